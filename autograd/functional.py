"""The ops as functions, `ag.NAME(x, ...)`, including the losses and the multi-input ops.

Inputs may be Values, numbers or arrays (non-Values are constants). Every function checks its
arguments and names what is wrong, because a wrong shape that numpy would happily broadcast is
a silently wrong answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.fused_ops import BCEWithLogits, CrossEntropy, Linear, MSELoss
from autograd.shape_ops import BroadcastTo, Concat, Stack, Where
from autograd.value import Value, apply, constant, normalize_axis, raw

Axis = int | tuple[int, ...] | None


def exp(x: Any) -> Value:
    return constant(x).exp()


def log(x: Any) -> Value:
    return constant(x).log()


def sigmoid(x: Any) -> Value:
    return constant(x).sigmoid()


def tanh(x: Any) -> Value:
    return constant(x).tanh()


def relu(x: Any) -> Value:
    return constant(x).relu()


def sqrt(x: Any) -> Value:
    return constant(x).sqrt()


def abs(x: Any) -> Value:  # shadows the builtin: the public name, as in numpy and torch
    return constant(x).abs()


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    return constant(x).sum(axis, keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    return constant(x).mean(axis, keepdims)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    return constant(x).max(axis, keepdims)


def reshape(x: Any, *shape: int | tuple[int, ...]) -> Value:
    return constant(x).reshape(*shape)


def transpose(x: Any, *axes: int | tuple[int, ...]) -> Value:
    return constant(x).transpose(*axes)


def softmax(x: Any, axis: int = -1) -> Value:
    return constant(x).softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Value:
    return constant(x).log_softmax(axis)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Value:
    x = constant(x)
    shape = tuple(shape)
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(f"cannot broadcast shape {x.shape} to {shape}") from None
    if np.broadcast_shapes(x.shape, shape) != shape:
        raise ValueError(f"cannot broadcast shape {x.shape} to {shape}")
    return apply(BroadcastTo, x, attrs=(shape,))


def concat(values: Sequence[Any], axis: int = 0) -> Value:
    """Join Values along an existing axis (numpy's concatenate)."""
    values = [constant(v) for v in values]
    if not values:
        raise ValueError("concat needs at least one Value")
    ndim = values[0].ndim
    if ndim == 0:
        raise ValueError("concat needs Values of at least 1 dimension; use stack for scalars")
    axis = normalize_axis(axis, ndim)
    for v in values:
        other = tuple(n for i, n in enumerate(v.shape) if i != axis)
        first = tuple(n for i, n in enumerate(values[0].shape) if i != axis)
        if v.ndim != ndim or other != first:
            raise ValueError(f"concat along axis {axis}: shapes {values[0].shape} and "
                             f"{v.shape} differ off that axis")
    return apply(Concat, *values, attrs=(axis,))


def stack(values: Sequence[Any], axis: int = 0) -> Value:
    """Stack Values of one shape along a new axis (numpy's stack)."""
    values = [constant(v) for v in values]
    if not values:
        raise ValueError("stack needs at least one Value")
    for v in values:
        if v.shape != values[0].shape:
            raise ValueError(f"stack needs Values of one shape, got {values[0].shape} and "
                             f"{v.shape}")
    axis = normalize_axis(axis, values[0].ndim + 1)
    return apply(Stack, *values, attrs=(axis,))


def where(cond: Any, a: Any, b: Any) -> Value:
    """Elementwise `a if cond else b`; cond is a boolean array (it gets no gradient)."""
    cond = np.asarray(raw(cond))
    if cond.dtype != np.bool_:
        cond = cond != 0
    return apply(Where, a, b, attrs=(cond,))


def linear(x: Any, weight: Any, bias: Any = None) -> Value:
    """x @ weight.T + bias as one op; weight is (out_features, in_features) as in PyTorch."""
    x, weight = constant(x), constant(weight)
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape "
                         f"{weight.shape} (expected input shape (..., {weight.shape[-1]}))")
    if bias is None:
        return apply(Linear, x, weight)
    bias = constant(bias)
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias has shape {bias.shape}, expected ({weight.shape[0]},)")
    return apply(Linear, x, weight, bias)


# -- losses ----------------------------------------------------------------------------------
def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error, L = 1/N sum((pred - target)**2). The shapes must be equal:
    (N,) against (N, 1) would broadcast to N x N and give a silently wrong loss."""
    pred, target = constant(pred), constant(target)
    if pred.shape != target.shape:
        raise ValueError(f"mse_loss: pred has shape {pred.shape} but target has shape "
                         f"{target.shape}; they must be equal (reshape one of them)")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"mse_loss: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    return apply(MSELoss, pred, target, attrs=(reduction,))


def class_labels(labels: Any, count: int, num_classes: int) -> np.ndarray:
    """Check cross-entropy labels: `count` integer class indices in [0, num_classes)."""
    array = np.asarray(raw(labels))
    if array.dtype.kind not in "iuf" or array.dtype == np.bool_:
        raise ValueError(f"cross_entropy: labels must be integer class indices, got dtype "
                         f"{array.dtype}")
    if array.shape != (count,):
        raise ValueError(f"cross_entropy: labels must have shape ({count},), one per row of "
                         f"logits, got shape {array.shape}")
    if array.dtype.kind == "f":
        not_whole = ~np.isfinite(array) | (array != np.round(array))
        if not_whole.any():
            i = int(np.argmax(not_whole))
            raise ValueError(f"cross_entropy: labels must be whole numbers, got {array[i]} at "
                             f"position {i}")
    if count and (array.min() < 0 or array.max() >= num_classes):
        i = int(np.argmax((array < 0) | (array >= num_classes)))
        raise ValueError(f"cross_entropy: label {array[i]} at position {i} is out of range "
                         f"for {num_classes} classes (0..{num_classes - 1})")
    return array if array.dtype == np.intp else array.astype(np.intp)


def cross_entropy(logits: Any, labels: Any) -> Value:
    """Mean over N rows of -log softmax(logits)[label]; logits (N, C), labels (N,) integers."""
    logits = constant(logits)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    n, c = logits.shape
    return apply(CrossEntropy, logits, attrs=(class_labels(labels, n, c),))


def binary_cross_entropy_with_logits(logits: Any, targets: Any) -> Value:
    """Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1] (same shape)."""
    logits, targets = constant(logits), constant(targets)
    if logits.shape != targets.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: logits have shape {logits.shape} "
                         f"but targets have shape {targets.shape}; they must be equal")
    t = np.asarray(targets.data)
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0 or t.max() > 1):
        raise ValueError("binary_cross_entropy_with_logits: targets must lie in [0, 1]")
    return apply(BCEWithLogits, logits, targets)
