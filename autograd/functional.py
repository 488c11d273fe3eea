"""The ops that take arguments: each checks them and records its op.

Each is a function `ag.NAME(x, ...)`, and those that read as methods are also bound as
`x.NAME(...)` by the table in `autograd.api`. Inputs may be Values, numbers or arrays
(non-Values are constants). Every function checks its arguments and names what is wrong,
because a wrong shape that numpy would happily broadcast is a silently wrong answer.
"""

from __future__ import annotations

import itertools
import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.fused_ops import (
    BCEWithLogits,
    CrossEntropy,
    Linear,
    LogSoftmax,
    MSELoss,
    Softmax,
    check_reduction,
)
from autograd.shape_ops import (
    AsType,
    BroadcastTo,
    Concat,
    GetItem,
    LogSumExp,
    Max,
    Mean,
    Pad,
    Reshape,
    Stack,
    Std,
    Sum,
    Transpose,
    Var,
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


def reduction_axis(axis: Axis, ndim: int) -> Axis:
    """normalize_axis for a reduction. A 0-d Value takes axis 0 or -1 (its one element), as in
    torch, and is reduced over everything (axis None)."""
    if ndim == 0:
        normalize_axis(axis, 1)
        return None
    return normalize_axis(axis, ndim)


def single_axis(axis: Any, ndim: int) -> int:
    """normalize_axis for an argument that is one axis (an int), as torch's `dim` there."""
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"expected one axis (an int), got {axis!r}")
    return normalize_axis(axis, ndim)


@torch_names
def logsumexp(x: Any, axis: int | tuple[int, ...], keepdims: bool = False) -> Value:
    """log(sum(exp(x))) over axis, stable at any size of x (the maximum is taken out first)."""
    x = constant(x)
    if axis is None or (isinstance(axis, (tuple, list)) and not axis):
        raise ValueError("logsumexp needs the axis (an int or a tuple of ints) to reduce over")
    return apply(LogSumExp, x, attrs=(reduction_axis(axis, x.ndim), bool(keepdims)))


def variance_attrs(x: Value, axis: Axis, keepdims: bool, correction: float) -> tuple:
    if isinstance(correction, (bool, np.bool_)) or not isinstance(correction, numbers.Real):
        raise TypeError(f"correction must be a number (1 for the sample variance, 0 for the "
                        f"population's), got {correction!r}")
    if isinstance(axis, (tuple, list)) and not axis:
        axis = None  # torch reduces an empty list of dims over every axis
    return reduction_axis(axis, x.ndim), bool(keepdims), correction


@torch_names
def var(x: Any, axis: Axis = None, *, keepdims: bool = False, correction: float = 1) -> Value:
    """Variance over axis, sum((x - mean)**2) / (n - correction). keepdims and correction are
    keyword-only, as in torch, where var(x, 0, True) means the older unbiased=True."""
    x = constant(x)
    return apply(Var, x, attrs=variance_attrs(x, axis, keepdims, correction))


@torch_names
def std(x: Any, axis: Axis = None, *, keepdims: bool = False, correction: float = 1) -> Value:
    """Standard deviation over axis, sqrt(var(x, axis, correction=correction))."""
    x = constant(x)
    return apply(Std, x, attrs=variance_attrs(x, axis, keepdims, correction))


def first_index(find: Any, x: Any, axis: int | None, keepdims: bool) -> np.ndarray:
    """np.argmax or np.argmin of x's data with torch's arguments: the first of tied
    positions (a nan counts as the extreme), an index into the flattened x for axis None."""
    data = np.asarray(raw(x))
    name = find.__name__
    if data.ndim == 0:  # its one element, whatever axis (0 or -1) and keepdims say
        if axis is not None:
            single_axis(axis, 1)
        return np.zeros((), dtype=np.int64)
    if axis is not None:
        axis = single_axis(axis, data.ndim)
    if data.size == 0 and (axis is None or data.shape[axis] == 0):
        where = "" if axis is None else f" along axis {axis}, which has size 0"
        raise ValueError(f"{name}() of an empty Value of shape {data.shape}{where}")
    return np.asarray(find(data, axis=axis, keepdims=bool(keepdims)), dtype=np.int64)


@torch_names
def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """Where the maximum is (the first if tied), as a numpy int64 array: no gradient."""
    return first_index(np.argmax, x, axis, keepdims)


@torch_names
def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """Where the minimum is (the first if tied), as a numpy int64 array: no gradient."""
    return first_index(np.argmin, x, axis, keepdims)


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
    """The axis of a softmax: one integer; a 0-d Value (one number) takes -1 or 0, as in
    torch."""
    if axis is None or isinstance(axis, (tuple, list)):
        raise TypeError(f"softmax takes one integer axis, got {axis!r}")
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


def sizes_argument(sizes: tuple) -> tuple:
    """`f(x, 2, 3)` and `f(x, (2, 3))` alike, as torch's shape arguments."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        return tuple(sizes[0])
    return sizes


@torch_names
def squeeze(x: Any, axis: Axis = None) -> Value:
    """Drop the axes of size 1 (those among `axis`, if given); an axis of another size stays,
    as in torch. Records a reshape node."""
    x = constant(x)
    if axis is None:
        axes = range(x.ndim)
    else:
        axes = normalize_axis(axis, x.ndim or 1)
        axes = axes if isinstance(axes, tuple) else (axes,)
        if len(set(axes)) != len(axes):
            raise ValueError(f"squeeze: an axis appears twice in {axis}")
    shape = tuple(n for i, n in enumerate(x.shape) if not (n == 1 and i in axes))
    return apply(Reshape, x, attrs=(shape,))


@torch_names
def unsqueeze(x: Any, axis: int) -> Value:
    """Insert an axis of size 1 at `axis` (-1: at the end). Records a reshape node."""
    x = constant(x)
    axis = single_axis(axis, x.ndim + 1)
    return apply(Reshape, x, attrs=((*x.shape[:axis], 1, *x.shape[axis:]),))


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Value:
    """Merge the axes start_dim..end_dim (both included) into one; a 0-d x becomes (1,).
    Records a reshape node."""
    x = constant(x)
    shape = x.shape or (1,)
    start, end = single_axis(start_dim, len(shape)), single_axis(end_dim, len(shape))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = math.prod(shape[start:end + 1])
    return apply(Reshape, x, attrs=((*shape[:start], merged, *shape[end + 1:]),))


def permute(x: Any, *dims: int | tuple[int, ...]) -> Value:
    """Reorder the axes: axis i of the result is axis dims[i] of x, each axis named once.
    Records a transpose node."""
    x = constant(x)
    dims = sizes_argument(dims)
    axes = normalize_axis(dims, x.ndim)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute dims {dims} are not a permutation of a {x.ndim}-d Value's "
                         f"axes")
    return apply(Transpose, x, attrs=(axes,))


def expand(x: Any, *shape: int | tuple[int, ...]) -> Value:
    """broadcast_to with torch's -1 for "keep this axis' size" (not for new leading axes).
    Records a broadcast_to node."""
    x = constant(x)
    shape = tuple(operator.index(n) for n in sizes_argument(shape))
    new = len(shape) - x.ndim
    if new < 0:
        raise ValueError(f"expand: {len(shape)} sizes given for a {x.ndim}-d Value; give at "
                         f"least {x.ndim}")
    for i, n in enumerate(shape):
        if n < -1 or (n == -1 and i < new):
            raise ValueError(f"expand: size {n} at position {i} of {shape} is not allowed "
                             f"(-1, keep the size, works only on x's own axes)")
    kept = tuple(x.shape[i - new] if n == -1 else n for i, n in enumerate(shape))
    return broadcast_to(x, kept)


def pad(x: Any, pad: Sequence[int], value: float = 0.0) -> Value:
    """Pad with `value` in torch's order: (before, after) for the last axis, then for the one
    before it, and so on. A negative width crops instead."""
    x = constant(x)
    widths = list(pad)
    for w in widths:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, np.integer)):
            raise TypeError(f"pad widths must be integers, got {w!r} in {pad}")
    if len(widths) % 2 or len(widths) > 2 * x.ndim:
        raise ValueError(f"pad needs (before, after) pairs for at most the {x.ndim} axes of "
                         f"a Value of shape {x.shape}, got {len(widths)} widths")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"pad value must be a number (it gets no gradient), got {value!r}")
    pairs = [(0, 0)] * (x.ndim - len(widths) // 2)
    pairs += [(int(b), int(a)) for b, a in zip(widths[-2::-2], widths[::-2], strict=True)]
    for axis, (n, (before, after)) in enumerate(zip(x.shape, pairs, strict=True)):
        cropped = (-before if before < 0 else 0) + (-after if after < 0 else 0)
        if cropped > n:
            raise ValueError(f"pad: widths ({before}, {after}) crop {cropped} elements off "
                             f"axis {axis}, which has {n}")
    return apply(Pad, x, attrs=(tuple(pairs), float(value)))


@torch_names
def split(x: Any, size: int | Sequence[int], axis: int = 0) -> tuple[Value, ...]:
    """Cut x along axis into pieces of `size` elements (the last piece may be shorter), or of
    the sizes in a list, which must add up to the axis' size (torch's split_size_or_sections).
    Each piece is a getitem node (a slice)."""
    x = constant(x)
    if x.ndim == 0:
        raise ValueError("split needs a Value of at least 1 dimension")
    axis = single_axis(axis, x.ndim)
    n = x.shape[axis]
    if isinstance(size, (tuple, list)):
        sizes = [operator.index(section) for section in size]
        stops = list(itertools.accumulate(sizes))
        if any(size < 0 for size in sizes) or (stops[-1] if stops else 0) != n:
            raise ValueError(f"split: sections {sizes} must be sizes >= 0 that add up to {n}, "
                             f"the size of axis {axis}")
    else:
        size = operator.index(size)
        if size < 0 or (size == 0 and n > 0):
            raise ValueError(f"split: size {size} must be positive (0 only for an axis of "
                             f"size 0)")
        if n == 0:
            sizes = [0]  # one empty piece, as in torch
        else:
            full, rest = divmod(n, size)
            sizes = [size] * full + ([rest] if rest else [])
        stops = list(itertools.accumulate(sizes))
    before = (slice(None),) * axis
    return tuple(apply(GetItem, x, attrs=((*before, slice(stop - size, stop)),))
                 for size, stop in zip(sizes, stops, strict=True))


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
    cond = np.array(raw(cond))  # a copy: the caller may change theirs before backward
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
def same_shapes(function: str, pred: Any, target: Any,
                names: tuple[str, str] = ("pred", "target")) -> list[Value]:
    """pred and target as Values of one shape, or a ValueError naming both shapes."""
    pred, target = as_values(pred, target)
    if pred.shape != target.shape:
        raise ValueError(f"{function}: {names[0]} has shape {pred.shape} but {names[1]} has "
                         f"shape {target.shape}; they must be equal (reshape one of them)")
    return [pred, target]


def in_unit_interval(x: Value) -> bool:
    """Every element in [0, 1] (a nan is not)."""
    data = np.asarray(x.data)
    return not data.size or bool(data.min() >= 0 and data.max() <= 1)


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Value:
    """Mean squared error, L = 1/N sum((pred - target)**2). The shapes must be equal:
    (N,) against (N, 1) would broadcast to N x N and give a silently wrong loss."""
    pred, target = same_shapes("mse_loss", pred, target)
    check_reduction("mse_loss", reduction)
    return apply(MSELoss, pred, target, attrs=(reduction,))


def class_labels(labels: Any, shape: int | tuple[int, ...], num_classes: int,
                 function: str = "cross_entropy") -> np.ndarray:
    """Check the labels of `function`: integer class indices in [0, num_classes), of `shape`
    (the scores' shape without their class axis 1; an int n means (n,))."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    array = np.asarray(raw(labels))
    if array.dtype.kind not in "iuf" or array.dtype == np.bool_:
        raise ValueError(f"{function}: labels must be integer class indices, got dtype "
                         f"{array.dtype}")
    if array.shape != shape:
        raise ValueError(f"{function}: labels must have shape {shape}, one per row of scores "
                         f"(their shape without the class axis 1), got shape {array.shape}")
    if array.dtype.kind == "f":
        not_whole = ~np.isfinite(array) | (array != np.round(array))
        if not_whole.any():
            i = int(np.argmax(not_whole))
            at = i if array.ndim == 1 else tuple(int(k) for k in np.unravel_index(i, shape))
            raise ValueError(f"{function}: labels must be whole numbers, got {array.flat[i]} "
                             f"at position {at}")
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        i = int(np.argmax((array < 0) | (array >= num_classes)))
        at = i if array.ndim == 1 else tuple(int(k) for k in np.unravel_index(i, shape))
        raise ValueError(f"{function}: label {array.flat[i]} at position {at} is out of range "
                         f"for {num_classes} classes (0..{num_classes - 1})")
    return array.astype(np.intp)  # a copy: the caller may change theirs before backward


def cross_entropy(logits: Any, labels: Any, *, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Value:
    """-log softmax(logits)[label], averaged over the labels; logits (N, C) with labels (N,),
    or logits (N, C, d1, ...) with labels (N, d1, ...), labels being integer class indices.
    label_smoothing s takes the target (1 - s) onehot(label) + s / C, as torch does."""
    logits = constant(logits)
    if logits.ndim < 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C) or (N, C, d1, ...), "
                         f"got {logits.shape}")
    check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got "
                         f"{label_smoothing!r}")
    shape = logits.shape
    labels = class_labels(labels, (shape[0], *shape[2:]), shape[1])
    return apply(CrossEntropy, logits, attrs=(labels, reduction, float(label_smoothing), []))


def binary_cross_entropy_with_logits(logits: Any, targets: Any, *, reduction: str = "mean",
                                     pos_weight: Any = None) -> Value:
    """Binary cross-entropy of sigmoid(x) against targets t in [0, 1] (same shape), from the
    logits x. The optional pos_weight w (an array that broadcasts to t, such as one per
    class, as in torch) weighs the positive term: -(w t log sigmoid(x) + (1 - t) log(1 -
    sigmoid(x)))."""
    logits, targets = same_shapes("binary_cross_entropy_with_logits", logits, targets,
                                  ("logits", "targets"))
    check_reduction("binary_cross_entropy_with_logits", reduction)
    if not in_unit_interval(targets):
        raise ValueError("binary_cross_entropy_with_logits: targets must lie in [0, 1]")
    if pos_weight is not None:
        if isinstance(pos_weight, Value) and pos_weight.requires_grad:
            raise ValueError("binary_cross_entropy_with_logits: pos_weight gets no gradient "
                             "(as in torch); pass its data or pos_weight.detach()")
        pos_weight = np.asarray(raw(pos_weight), dtype=logits.dtype)
        try:
            fits = np.broadcast_shapes(pos_weight.shape, logits.shape) == logits.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"binary_cross_entropy_with_logits: pos_weight of shape "
                             f"{pos_weight.shape} does not broadcast to the targets' shape "
                             f"{logits.shape}")
    return apply(BCEWithLogits, logits, targets, attrs=(reduction, pos_weight))
