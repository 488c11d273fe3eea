"""Gradient clipping, PyTorch's `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # before optimizer.step()
    optimizer.step()

Both change the `.grad` of each parameter in place and skip parameters whose `.grad` is None.
`parameters` is one Value or an iterable of them (a generator such as `model.parameters()` is
fine). A gradient that cannot change in place (the Python float of a scalar Value, a numpy
scalar, a read-only array) is replaced by the clipped value, of the same type.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

import autograd as ag


def clip_grad_norm_(parameters: ag.Value | Iterable[ag.Value], max_norm: float,
                     norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale the gradients so that their total norm is at most `max_norm`; return the total
    norm they had, as a Python float (PyTorch returns a 0-d tensor; 0.0 if no gradient).

    The total norm is the p-norm (p = `norm_type`, any p > 0 or inf) of all gradients seen as
    one vector: ||(||g_1||_p, ..., ||g_k||_p)||_p, computed in float64. Then, as PyTorch does,

        coef = min(max_norm / (total + 1e-6), 1);   g = coef * g   for every gradient

    so gradients under the limit stay as they are. A nan or inf total (a nan or inf in some
    gradient) makes every gradient nan or 0, as in PyTorch; with `error_if_nonfinite=True` it
    raises RuntimeError instead, leaving the gradients unchanged.
    """
    params = _parameter_list(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"max_norm must be >= 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"norm_type must be a number > 0 or inf, got {norm_type}")
    with_grad = [p for p in params if p.grad is not None]
    if not with_grad:
        return 0.0
    norms = [_norm(np.asarray(p.grad, dtype=np.float64).ravel(), norm_type) for p in with_grad]
    total = _norm(np.array(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total}, "
                           f"so they cannot be clipped; pass error_if_nonfinite=False to scale "
                           f"them by it anyway")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1:  # a nan coef (nan total) scales too, turning the gradients into nan
        with np.errstate(invalid="ignore"):  # inf * 0 (an inf total) is nan, as in PyTorch
            for p in with_grad:
                _set_grad(p, np.multiply, coef)
    return total


def clip_grad_value_(parameters: ag.Value | Iterable[ag.Value], clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place (nan stays nan)."""
    params = _parameter_list(parameters)
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_value must be >= 0, got {clip_value}")
    for p in params:
        if p.grad is not None:
            _set_grad(p, np.clip, -clip_value, clip_value)


def _parameter_list(parameters: ag.Value | Iterable[ag.Value]) -> list[ag.Value]:
    params = [parameters] if isinstance(parameters, ag.Value) else list(parameters)
    for index, p in enumerate(params):
        if not isinstance(p, ag.Value):
            raise TypeError(f"parameter {index} is not a Value: {p!r}")
    return params


def _norm(values: np.ndarray, p: float) -> float:
    """The p-norm of a 1-d float64 array (0 for an empty one). Where the sum of powers
    overflows although every value is finite (gradients of 1e200), the values are scaled by
    their largest magnitude first, so the norm stays finite and exact (torch's is inf)."""
    if values.size == 0:
        return 0.0
    if p == math.inf:
        return float(np.max(np.abs(values)))
    with np.errstate(over="ignore"):
        norm = _sum_of_powers_norm(values, p)
    if math.isinf(norm) and np.isfinite(values).all():
        scale = float(np.max(np.abs(values)))
        norm = scale * _sum_of_powers_norm(values / scale, p)
    return norm


def _sum_of_powers_norm(values: np.ndarray, p: float) -> float:
    """(sum |v|^p)^(1/p), as it comes: it can overflow."""
    if p == 2:
        return math.sqrt(np.dot(values, values))
    if p == 1:
        return float(np.sum(np.abs(values)))
    return float(np.sum(np.abs(values) ** p) ** (1 / p))


def _set_grad(p: ag.Value, function: Callable[..., np.ndarray], *args: float) -> None:
    """p.grad = function(p.grad, *args), in place when the gradient is a writeable array."""
    grad = p.grad
    if isinstance(grad, np.ndarray) and grad.flags.writeable:
        function(grad, *args, out=grad)
    elif isinstance(grad, np.ndarray):
        p.grad = function(grad, *args)
    else:  # a Python float or a numpy scalar keeps its type
        p.grad = type(grad)(function(grad, *args))
