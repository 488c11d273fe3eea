"""`check_op`: gradcheck an op, yours or built-in, over the inputs a user would feed it.

From a few example inputs it derives the cases where hand-written vjps usually go wrong: the
examples' own shapes, every input a scalar, each input of a binary op broadcast against the
other's shape, and float32. Each case is checked to first order (the vjps against central
differences) and to second order (the vjps' own gradients, through `create_graph=True`). The
first failure is reported in words, with a hint when the analytic and numeric values differ by
a clean factor: a sign, or a factor of two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autograd.engine import grad
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.value import Value

HINTS = {-1.0: "wrong sign", 2.0: "off by a factor of 2 (twice too large)",
         0.5: "off by a factor of 2 (half what it should be)",
         -2.0: "wrong sign and off by a factor of 2", -0.5: "wrong sign and off by a factor of 2"}


def check_op(op: type, *example_inputs: Any, **attrs: Any) -> bool:
    """True if `op`'s gradients match finite differences in every derived case, else raise
    GradcheckError describing the first failing case (input, shape, the analytic and numeric
    values, and a hint such as "wrong sign" when their ratio is clean).

    `example_inputs` are numbers or arrays (one per input of the op, inside its domain); `attrs`
    are given to `op.apply` as they are.
    """
    if not example_inputs:
        raise ValueError(f"check_op({op.__name__}) needs one example input per input of the op")
    examples = [np.asarray(x, dtype=np.float64) for x in example_inputs]

    def apply(*xs: Value) -> Value:
        return op.apply(*xs, **attrs)

    for case, arrays in derived_cases(apply, examples):
        for order, fn in ((1, apply), (2, second_order(apply, arrays))):
            try:
                gradcheck(fn, [Value(a) for a in arrays])
            except GradcheckError as error:
                raise GradcheckError(describe_failure(op, case, order, arrays, error),
                                     error.input, error.element, error.analytic,
                                     error.numeric) from None
    check_float32(op, apply, examples)
    return True


def derived_cases(apply: Callable, examples: list[np.ndarray]
                  ) -> Iterator[tuple[str, list[np.ndarray]]]:
    """(description, float64 inputs) for each case; shapes the op's forward refuses (it may not
    broadcast) are skipped, except the examples' own."""
    yield "the example shapes", examples
    variants = [("every input a scalar", [a.reshape(-1)[:1].reshape(()) for a in examples])]
    if len(examples) == 2:
        a, b = examples
        variants += [("input 1 broadcast (a scalar) against input 0", [a, b.reshape(-1)[:1]
                                                                       .reshape(())]),
                     ("input 0 broadcast (a scalar) against input 1", [a.reshape(-1)[:1]
                                                                       .reshape(()), b])]
        if a.ndim >= 1 and a.shape[-1:] == b.shape[-1:] and a.ndim >= 2:
            variants.append(("input 1 broadcast as a row against input 0", [a, b[(0,) * (b.ndim
                                                                            - 1)]]))
    for description, arrays in variants:
        try:
            apply(*[Value(x) for x in arrays])
        except (ValueError, IndexError, TypeError):
            continue
        yield description, arrays


def second_order(apply: Callable, arrays: list[np.ndarray]) -> Callable[..., Value]:
    """The first-order gradients of `apply` (for a fixed upstream gradient) as one Value, whose
    own gradients check the vjps' second derivatives."""
    out_shape = apply(*[Value(a) for a in arrays]).shape
    upstream = np.random.default_rng(1).uniform(0.5, 1.5, size=out_shape)

    def gradients(*xs: Value) -> Value:
        from autograd.functional import concat

        found = grad(apply(*xs), list(xs), grad_outputs=upstream, create_graph=True)
        return concat([g.reshape(-1) for g in found])

    return gradients


def describe_failure(op: type, case: str, order: int, arrays: list[np.ndarray],
                     error: GradcheckError) -> str:
    what = "gradient" if order == 1 else "second derivative (the vjps' own gradient)"
    where = "" if error.input is None else (
        f" input {error.input} (shape {arrays[error.input].shape}), element {error.element}:")
    message = (f"check_op({op.__name__}): the {what} is wrong for {case}:{where} "
               f"{error}")
    hint = ratio_hint(error.analytic, error.numeric)
    return message + (f"; hint: {hint}" if hint else "")


def ratio_hint(analytic: float | None, numeric: float | None) -> str:
    """A hint when analytic / numeric is a clean -1, 2 or 0.5 (or 0: a missing term)."""
    if analytic is None or numeric is None or abs(numeric) < 1e-8:
        return ""
    ratio = analytic / numeric
    if abs(ratio) < 1e-6:
        return "the analytic gradient is 0: a missing term, or a vjp that ignores g"
    for clean, hint in HINTS.items():
        if abs(ratio - clean) <= 1e-3 * abs(clean):
            return hint
    return ""


def check_float32(op: type, apply: Callable, examples: list[np.ndarray]) -> None:
    """float32 inputs give a float32 result and float32 gradients close to float64's."""
    x32 = [Value(a.astype(np.float32)) for a in examples]
    x64 = [Value(a) for a in examples]
    out32, out64 = apply(*x32), apply(*x64)
    if out32.dtype != np.float32:
        raise GradcheckError(f"check_op({op.__name__}): float32 inputs gave a {out32.dtype} "
                             "result; keep the inputs' dtype")
    g32 = grad(out32, x32, grad_outputs=np.ones(out32.shape))
    g64 = grad(out64, x64, grad_outputs=np.ones(out64.shape))
    for i, (a, b) in enumerate(zip(g32, g64, strict=True)):
        if a.dtype != np.float32:
            raise GradcheckError(f"check_op({op.__name__}): the gradient of float32 input {i} "
                                 f"is {a.dtype}; keep the input's dtype", i)
        if not np.allclose(a.data, b.data, rtol=1e-3, atol=1e-4):
            raise GradcheckError(f"check_op({op.__name__}): the float32 gradient of input {i} "
                                 f"differs from the float64 one by more than float32 rounding", i)
