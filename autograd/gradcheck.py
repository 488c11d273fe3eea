"""Check analytic gradients against central finite differences, as torch.autograd.gradcheck.

For a function f with an output of any shape we compare one vector-Jacobian product: with a
fixed random vector v, the analytic gradient of sum(v * f(x)) (one backward pass) against
(sum(v * f(x + eps e_k)) - sum(v * f(x - eps e_k))) / (2 eps) for every element k of every
input. A wrong Jacobian entry changes that product for almost every v.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from autograd.engine import grad
from autograd.value import Value


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the finite-difference one. `input`, `element`,
    `analytic` and `numeric` say where and how (None where the failure is of another kind)."""

    def __init__(self, message: str, input: int | None = None, element: object = None,
                 analytic: float | None = None, numeric: float | None = None) -> None:
        super().__init__(message)
        self.input, self.element = input, element
        self.analytic, self.numeric = analytic, numeric


def gradcheck(fn: Callable[..., Value], inputs: Value | Sequence[Value], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Return True if fn's gradients match central differences, else raise GradcheckError.

    `fn(*inputs)` must return a Value. Inputs that require grad are checked, in float64 (a
    float32 input is copied to float64 first).
    """
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"gradcheck: input {i} is a {type(x).__name__}, not a Value")
    x64 = [Value(np.array(x.data, dtype=np.float64), requires_grad=x.requires_grad)
           for x in inputs]
    checked = [i for i, x in enumerate(x64) if x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    output = fn(*x64)
    if not isinstance(output, Value):
        raise TypeError(f"gradcheck: fn returned a {type(output).__name__}, not a Value")
    v = np.random.default_rng(seed).uniform(0.5, 1.5, size=output.shape)
    v *= np.where(np.arange(v.size).reshape(v.shape) % 2 == 0, 1.0, -1.0)

    def projected() -> float:
        return float(np.sum(v * np.asarray(fn(*x64).data, dtype=np.float64)))

    if output.requires_grad:
        found = grad(output, [x64[i] for i in checked], grad_outputs=v)
    else:
        found = [Value(np.zeros(x64[i].shape)) for i in checked]
    for i, g in zip(checked, found, strict=True):
        compare(i, x64[i], np.asarray(g.data, dtype=np.float64), projected, eps, atol, rtol)
    return True


def compare(i: int, x: Value, analytic: np.ndarray, projected: Callable[[], float], eps: float,
            atol: float, rtol: float) -> None:
    """Check input i's analytic gradient element by element against central differences of
    `projected` as x moves by +-eps; raise GradcheckError at the first that disagrees."""
    if analytic.shape != x.shape:
        raise GradcheckError(f"input {i}: analytic gradient has shape {analytic.shape}, "
                             f"expected {x.shape}")
    data = np.array(x.data, dtype=np.float64)
    worst = 0.0
    for k in np.ndindex(data.shape):
        original = data[k]
        values = []
        for step in (eps, -eps):
            data[k] = original + step
            x.data = data.copy() if data.ndim else float(data)
            values.append(projected())
        data[k] = original
        x.data = data.copy() if data.ndim else float(data)
        numeric = (values[0] - values[1]) / (2 * eps)
        error = abs(analytic[k] - numeric)
        relative = error / max(abs(numeric), 1e-12)
        worst = max(worst, relative)
        if not error <= atol + rtol * abs(numeric):
            element = k if data.ndim else "()"
            raise GradcheckError(
                f"gradcheck failed for input {i}, element {element}: analytic "
                f"{analytic[k]:.8g}, numeric {numeric:.8g} (relative error {relative:.3g}; "
                f"worst so far {worst:.3g})", i, element, float(analytic[k]), numeric)
