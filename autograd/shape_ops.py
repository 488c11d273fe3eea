"""Reductions, shape changes and indexing: ops that move numbers around rather than change them.

Same conventions as `autograd.ops`: `forward` on raw data, one vjp per input, written so it
runs on raw arrays and on Values alike.
"""

# An op class is never instantiated: its forward and vjps are plain functions of data.
# ruff: noqa: N805

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.ops import Exp, Op
from autograd.value import raw


def unreduce(g: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """Undo a reduction for the backward pass: put the reduced axes back and broadcast to shape."""
    if axis is not None and not keepdims and np.ndim(raw(g)) > 0:
        axes = axis if isinstance(axis, tuple) else (axis,)
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return BroadcastTo.on(g, attrs=(shape,))


def reduced_count(shape: tuple[int, ...], axis: Any) -> int:
    """n, the number of elements that each result of a reduction over `axis` takes in."""
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


# -- reductions ------------------------------------------------------------------------------
class Sum(Op):
    """out = sum of x over axis;  d/dx = 1 for every element summed"""

    name = "sum"

    def forward(x, axis, keepdims):
        return np.sum(x, axis=axis, keepdims=keepdims)

    vjps = (lambda g, out, x, axis, keepdims: unreduce(g, np.shape(x), axis, keepdims),)


class Mean(Op):
    """out = sum of x over axis / n;  d/dx = 1 / n"""

    name = "mean"

    def forward(x, axis, keepdims):
        if np.size(x) == 0:  # the mean of nothing is nan, as in torch (numpy also warns)
            return np.full(np.shape(np.sum(x, axis=axis, keepdims=keepdims)), np.nan,
                           dtype=np.result_type(x))
        return np.mean(x, axis=axis, keepdims=keepdims)

    def vjp(g, out, x, axis, keepdims):
        count = max(np.size(raw(x)) // max(np.size(raw(out)), 1), 1)  # 1 if x is empty
        return unreduce(g / count, np.shape(raw(x)), axis, keepdims)

    vjps = (vjp,)


class Max(Op):
    """out = max of x over axis;  d/dx = 1 at the maximum (or a nan), shared evenly by ties"""

    name = "max"

    def forward(x, axis, keepdims):
        return np.max(x, axis=axis, keepdims=keepdims)

    def vjp(g, out, x, axis, keepdims):
        x_data = np.asarray(raw(x))
        top = np.max(x_data, axis=axis, keepdims=True)
        at_max = x_data == top
        if np.isnan(top).any():  # nan == nan is False: a nan maximum is where x is nan
            at_max |= np.isnan(x_data)
        share = at_max / np.sum(at_max, axis=axis, keepdims=True)
        return unreduce(g, x_data.shape, axis, keepdims) * share.astype(x_data.dtype)

    vjps = (vjp,)


def log_sum_exp(x: Any, axis: Any, keepdims: bool) -> Any:
    # log(sum e**x) = m + log(sum e**(x - m)) with m the maximum: no term exceeds e**0 = 1, so
    # nothing overflows. A maximum of +-inf or nan is not subtracted (inf - inf would be nan):
    # the sum itself then gives inf, -inf or nan, as torch does. An empty sum is -inf.
    top = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    shift = np.where(np.isfinite(top), top, 0)
    with np.errstate(divide="ignore"):  # log(0) = -inf: no terms, or all of them e**-inf
        out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


class LogSumExp(Op):
    """out = log(sum of e**x over axis);  d/dx = e**(x - out) = softmax(x) along axis"""

    name = "logsumexp"
    forward = log_sum_exp

    def vjp(g, out, x, axis, keepdims):
        # out depends on x, so under create_graph this also gives softmax's own derivative
        shape = np.shape(raw(x))
        softmax = Exp.on(x - unreduce(out, shape, axis, keepdims))
        return unreduce(g, shape, axis, keepdims) * softmax

    vjps = (vjp,)


def variance(x: Any, axis: Any, keepdims: bool, correction: float) -> Any:
    """sum of (x - mean)**2 over axis / (n - correction), the divisor clamped at 0 as torch's
    (its dividing by 0 gives inf, or nan where every deviation is 0)."""
    x = np.asarray(x)
    n = reduced_count(x.shape, axis)
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 0, n - correction <= 0
        deviation = x - np.sum(x, axis=axis, keepdims=True) / n
        squares = np.sum(deviation * deviation, axis=axis, keepdims=keepdims)
        return squares / max(n - correction, 0)


def variance_vjp(g: Any, out: Any, x: Any, axis: Any, keepdims: bool, correction: float) -> Any:
    # d/dx_i sum_j (x_j - mean)**2 = 2 (x_i - mean): the terms through the mean sum to 0
    shape = np.shape(raw(x))
    dof = reduced_count(shape, axis) - correction
    two_over_dof = 2 / dof if dof > 0 else math.inf  # as torch: inf, and nan at the mean
    deviation = x - Mean.on(x, attrs=(axis, True))
    with np.errstate(invalid="ignore"):  # that nan: 0 * inf
        return unreduce(g, shape, axis, keepdims) * deviation * two_over_dof


class Var(Op):
    """out = sum over axis of (x - mean)**2 / (n - c);  d/dx = 2 (x - mean) / (n - c)

    n: the number of elements reduced; c: the correction (1, Bessel's, by default).
    """

    name = "var"
    forward = variance
    vjps = (variance_vjp,)


class Std(Op):
    """out = sqrt(var(x));  d/dx = (x - mean) / ((n - c) out), 0 where out = 0 (as in PyTorch)"""

    name = "std"

    def forward(x, axis, keepdims, correction):
        return np.sqrt(variance(x, axis, keepdims, correction))

    def vjp(g, out, x, axis, keepdims, correction):
        # d sqrt(v) = dv / (2 sqrt(v)). Where out = 0, x is constant along the axis and 1/0
        # would give 0 * inf = nan; torch passes 0 there, and so do we (a constant mask).
        positive = raw(out) != 0
        safe_out = Where.on(out, 1.0, attrs=(positive,))
        g_var = Where.on(g / (2 * safe_out), 0.0, attrs=(positive,))
        return variance_vjp(g_var, out, x, axis, keepdims, correction)

    vjps = (vjp,)


# -- shape changes ---------------------------------------------------------------------------
class BroadcastTo(Op):
    """out = x repeated along new or size-1 axes;  d/dx = 1 (the engine sums g back to x's shape)"""

    name = "broadcast_to"

    def forward(x, shape):
        return np.broadcast_to(x, shape)

    vjps = (lambda g, out, x, shape: g,)


class Reshape(Op):
    """out = x with a new shape;  d/dx: g reshaped back"""

    name = "reshape"

    def forward(x, shape):
        return np.reshape(x, shape)

    vjps = (lambda g, out, x, shape: g.reshape(np.shape(x)),)


class Transpose(Op):
    """out = x with permuted axes;  d/dx: g permuted back"""

    name = "transpose"

    def forward(x, axes):
        return np.transpose(x, axes)

    vjps = (lambda g, out, x, axes: g.transpose(tuple(np.argsort(axes))),)


class AsType(Op):
    """out = x converted to another float dtype;  d/dx: g converted back"""

    name = "astype"

    def forward(x, dtype):
        return np.asarray(x).astype(dtype)

    vjps = (lambda g, out, x, dtype: AsType.on(g, attrs=(np.result_type(raw(x)),)),)


def negated(widths: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    return tuple((-before, -after) for before, after in widths)


class Pad(Op):
    """out = x padded with value (cropped where a width is negative);  d/dx: g padded by -widths

    `widths` holds (before, after) for every axis, in the axes' order. Padding g by the negated
    widths crops the padding off and puts zeros where x was cropped.
    """

    name = "pad"

    def forward(x, widths, value):
        if not widths:  # a 0-d x: torch takes an empty pad and nothing else
            return x
        kept = tuple(slice(max(-before, 0), n - max(-after, 0))
                     for (before, after), n in zip(widths, np.shape(x), strict=True))
        added = [(max(before, 0), max(after, 0)) for before, after in widths]
        return np.pad(x[kept], added, constant_values=value)

    # out[i] = x[i - before] along each axis, so d/dx[j] = g[j + before]: g padded by -widths
    vjps = (lambda g, out, x, widths, value: Pad.on(g, attrs=(negated(widths), 0.0)),)


# -- indexing --------------------------------------------------------------------------------
def is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis: each element is picked at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               for p in parts)


class GetItem(Op):
    """out = x[index];  d/dx: g added into zeros at index (repeated indices accumulate)"""

    name = "getitem"

    def forward(x, index):
        return np.asarray(x)[index] if type(x) is float else x[index]  # 0-d: x[()], x[None]

    vjps = (lambda g, out, x, index: IndexAdd.on(g, attrs=(np.shape(x), index)),)


class IndexAdd(Op):
    """out = zeros(shape) with g added at index (the backward of getitem);  d/dg = out[index]"""

    name = "index_add"

    def forward(g, shape, index):
        out = np.zeros(shape, dtype=np.result_type(g))
        if is_basic_index(index):
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out

    vjps = (lambda g, out, source, shape, index: g[index],)


class Concat(Op):
    """out = inputs joined along axis;  d/d(input i): the slice of g where input i sits"""

    name = "concat"

    def forward(*inputs_and_axis):
        *inputs, axis = inputs_and_axis
        return np.concatenate(inputs, axis=axis)

    def vjp_all(g, out, *inputs_and_axis):
        *inputs, axis = inputs_and_axis
        stops = np.cumsum([np.shape(raw(x))[axis] for x in inputs])
        before = (slice(None),) * axis
        return [g[(*before, slice(stop - np.shape(raw(x))[axis], stop))]
                for x, stop in zip(inputs, stops.tolist(), strict=True)]


class Stack(Op):
    """out = inputs stacked along a new axis;  d/d(input i) = g[..., i, ...] at that axis"""

    name = "stack"

    def forward(*inputs_and_axis):
        *inputs, axis = inputs_and_axis
        return np.stack(inputs, axis=axis)

    def vjp_all(g, out, *inputs_and_axis):
        *inputs, axis = inputs_and_axis
        before = (slice(None),) * axis
        return [g[(*before, i)] for i in range(len(inputs))]


class Where(Op):
    """out = a where cond else b;  d/da = 1 where cond,  d/db = 1 where not cond"""

    name = "where"

    def forward(a, b, cond):
        return np.where(cond, a, b)

    vjps = (lambda g, out, a, b, cond: Where.on(g, 0.0, attrs=(cond,)),
            lambda g, out, a, b, cond: Where.on(0.0, g, attrs=(cond,)))
