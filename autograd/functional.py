"""The ops that take arguments: each checks them and records its op.

Each is a function `ag.NAME(x, ...)`, and those that read as methods are also bound as
`x.NAME(...)` by the table in `autograd.api`. Inputs may be Values, numbers or arrays
(non-Values are constants). Every function checks its arguments and names what is wrong,
because a wrong shape that numpy would happily broadcast is a silently wrong answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.fused_ops import BCEWithLogits, CrossEntropy, Linear, LogSoftmax, MSELoss, Softmax
from autograd.shape_ops import (
    AsType,
    BroadcastTo,
    Concat,
    GetItem,
    Max,
    Mean,
    Reshape,
    Stack,
    Sum,
    Transpose,
    Where,
)
from autograd.value import (
    Value,
    apply,
    as_values,
    constant,
    normalize_axis,
    normalize_index,
    raw,
    torch_names,
)

Axis = int | tuple[int, ...] | None


@torch_names
def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    x = constant(x)
    return apply(Sum, x, attrs=(normalize_axis(axis, x.ndim), bool(keepdims)))


@torch_names
def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    x = constant(x)
    return apply(Mean, x, attrs=(normalize_axis(axis, x.ndim), bool(keepdims)))


@torch_names
def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    x = constant(x)
    if x.size == 0:
        raise ValueError("max() of an empty Value")
    return apply(Max, x, attrs=(normalize_axis(axis, x.ndim), bool(keepdims)))


def reshape(x: Any, *shape: int | tuple[int, ...]) -> Value:
    x = constant(x)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    new_shape = np.empty(x.shape, dtype=np.bool_).reshape(shape).shape  # checks it
    return apply(Reshape, x, attrs=(new_shape,))


def transpose(x: Any, *axes: int | tuple[int, ...]) -> Value:
    """Permute the axes as numpy does: no axes reverses them (`x.T`)."""
    x = constant(x)
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        axes = tuple(reversed(range(x.ndim)))
    axes = normalize_axis(axes, x.ndim)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose axes {axes} are not a permutation of a {x.ndim}-d "
                         f"Value's axes")
    return apply(Transpose, x, attrs=(axes,))


def astype(x: Any, dtype: Any) -> Value:
    """Convert to another floating dtype (gradients flow back in the original dtype)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"astype needs a floating dtype, got {dtype}")
    return apply(AsType, constant(x), attrs=(dtype,))


def getitem(x: Any, index: Any) -> Value:
    """x[index]: ints, slices, None, Ellipsis, integer arrays and boolean masks, as numpy."""
    return apply(GetItem, constant(x), attrs=(normalize_index(index),))


def softmax_axis(x: Value, axis: int) -> int | None:
    """The axis of a softmax; a 0-d Value (one number) takes -1 or 0, as in torch."""
    if x.ndim == 0:
        normalize_axis(axis, 1)
        return None
    return normalize_axis(axis, x.ndim)


@torch_names
def softmax(x: Any, axis: int = -1) -> Value:
    x = constant(x)
    return apply(Softmax, x, attrs=(softmax_axis(x, axis),))


@torch_names
def log_softmax(x: Any, axis: int = -1) -> Value:
    x = constant(x)
    return apply(LogSoftmax, x, attrs=(softmax_axis(x, axis),))


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


@torch_names
def concat(values: Sequence[Any], axis: int = 0) -> Value:
    """Join Values along an existing axis (numpy's concatenate)."""
    values = as_values(*values)
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


@torch_names
def stack(values: Sequence[Any], axis: int = 0) -> Value:
    """Stack Values of one shape along a new axis (numpy's stack)."""
    values = as_values(*values)
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
    x, weight = as_values(x, weight)
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape "
                         f"{weight.shape} (expected input shape (..., {weight.shape[-1]}))")
    if bias is None:
        return apply(Linear, x, weight)
    bias = as_values(bias, weight)[0]
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias has shape {bias.shape}, expected ({weight.shape[0]},)")
    return apply(Linear, x, weight, bias)


# -- losses ----------------------------------------------------------------------------------
def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error, L = 1/N sum((pred - target)**2). The shapes must be equal:
    (N,) against (N, 1) would broadcast to N x N and give a silently wrong loss."""
    pred, target = as_values(pred, target)
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
    return apply(CrossEntropy, logits, attrs=(class_labels(labels, n, c), []))


def binary_cross_entropy_with_logits(logits: Any, targets: Any) -> Value:
    """Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1] (same shape)."""
    logits, targets = as_values(logits, targets)
    if logits.shape != targets.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: logits have shape {logits.shape} "
                         f"but targets have shape {targets.shape}; they must be equal")
    t = np.asarray(targets.data)
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0 or t.max() > 1):
        raise ValueError("binary_cross_entropy_with_logits: targets must lie in [0, 1]")
    return apply(BCEWithLogits, logits, targets)
