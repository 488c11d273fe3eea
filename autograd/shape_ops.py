"""Reductions, shape changes and indexing: ops that move numbers around rather than change them.

Same conventions as `autograd.ops`: `forward` on raw data, one vjp per input, written so it
runs on raw arrays and on Values alike.
"""

# An op class is never instantiated: its forward and vjps are plain functions of data.
# ruff: noqa: N805

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.ops import Op
from autograd.value import raw


def unreduce(g: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """Undo a reduction for the backward pass: put the reduced axes back and broadcast to shape."""
    if axis is not None and not keepdims and np.ndim(raw(g)) > 0:
        axes = axis if isinstance(axis, tuple) else (axis,)
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return BroadcastTo.on(g, attrs=(shape,))


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
