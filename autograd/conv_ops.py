"""Convolution and pooling on (N, C, H, W) images: conv2d, max_pool2d and avg_pool2d.

Each is ONE op with PyTorch's semantics, vectorised over the batch, the channels and the
pixels: the only Python loops run over the kernel's kh * kw offsets, one strided slice of the
padded image each. conv2d is im2col and a matrix product, its input gradient col2im (adds of
those slices, or of whole rows where that is faster, then a crop). The backward rules of
conv2d and avg_pool2d are ops of their own, each the other's adjoint (so second derivatives
work); max_pool2d's gradient is a scatter to one element per window, which the indexing ops
(`index_add`, `getitem`) differentiate.
"""

# An op class is never instantiated: its forward and vjps are plain functions of data.
# ruff: noqa: N805

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.ops import Op
from autograd.shape_ops import IndexAdd
from autograd.value import Value, apply, as_values, constant, raw

Pair = tuple[int, int]


@dataclass(frozen=True)
class Window:
    """How a kernel slides over an image; each field is a (height, width) pair."""

    kernel: Pair
    stride: Pair
    padding: Pair  # rows and columns added on every side
    dilation: Pair = (1, 1)

    def output_size(self, height: int, width: int) -> Pair:
        """torch's floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1."""
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (self.kernel, self.stride, self.padding,
                                                  self.dilation)
        return ((height + 2 * ph - dh * (kh - 1) - 1) // sh + 1,
                (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1)

    def offsets(self, out_h: int, out_w: int) -> tuple[tuple[slice, slice], ...]:
        """For each kernel offset (i, j), in row-major order, the rows and columns of the
        padded image that it reads: rows d i, d i + s, ..., one per output row."""
        return kernel_offsets(self, out_h, out_w)


@functools.lru_cache(maxsize=256)  # a layer asks for the same ones at every step
def kernel_offsets(window: Window, out_h: int, out_w: int) -> tuple[tuple[slice, slice], ...]:
    (kh, kw), (sh, sw), (dh, dw) = window.kernel, window.stride, window.dilation
    return tuple((slice(dh * i, dh * i + sh * (out_h - 1) + 1, sh),
                  slice(dw * j, dw * j + sw * (out_w - 1) + 1, sw))
                 for i in range(kh) for j in range(kw))


def padded(x: np.ndarray, padding: Pair, fill: float = 0.0) -> np.ndarray:
    """x with `padding` rows and columns of `fill` on every side (x itself for no padding)."""
    ph, pw = padding
    if not (ph or pw):
        return x
    *lead, h, w = x.shape
    out = np.full((*lead, h + 2 * ph, w + 2 * pw), fill, dtype=x.dtype)
    out[..., ph:ph + h, pw:pw + w] = x
    return out


def cropped(xp: np.ndarray, padding: Pair, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of `padded` (contiguous, like every gradient the engine hands on)."""
    ph, pw = padding
    if not (ph or pw):
        return xp
    return np.ascontiguousarray(xp[..., ph:ph + shape[-2], pw:pw + shape[-1]])


# -- conv2d ----------------------------------------------------------------------------------
# In matrix form, with G groups of Cg input and Og output channels and L output pixels:
#   cols(x)[n, g] (kh kw Cg, L): column l holds the padded window under output pixel l, ordered
#     by kernel offset, then channel (one slice copy per offset: im2col);
#   W[g] (Og, kh kw Cg): the weight in the same order;
#   out[n, g] = W[g] @ cols(x)[n, g], so  d/dW[g] = sum over n of g[n, g] @ cols(x)[n, g]^T
#   and  d/dcols = W^T @ g, which col2im adds back where each window lies: d/dx.
def columns(x: np.ndarray, window: Window, groups: int, room: int = 0) -> np.ndarray:
    """cols(x), shaped (N, G, kh kw Cg, L), at the start of a buffer of at least `room`
    elements (see `input_gradient`)."""
    n, c, h, w = x.shape
    out_h, out_w = window.output_size(h, w)
    (kh, kw), cg = window.kernel, c // groups
    xp = padded(x, window.padding)
    xp = xp.reshape(n, groups, cg, *xp.shape[2:])
    shape = (n, groups, kh * kw, cg, out_h, out_w)
    cols = np.empty(max(math.prod(shape), room), dtype=x.dtype)[:math.prod(shape)].reshape(shape)
    for k, (rows, cols_k) in enumerate(window.offsets(out_h, out_w)):
        cols[:, :, k] = xp[..., rows, cols_k]
    return cols.reshape(n, groups, kh * kw * cg, out_h * out_w)


def weight_matrix(weight: np.ndarray, groups: int) -> np.ndarray:
    """W: (O, Cg, kh, kw) as (G, Og, kh kw Cg), the row order of cols(x)."""
    o, cg, kh, kw = weight.shape
    by_offset = weight.reshape(groups, o // groups, cg, kh * kw).transpose(0, 1, 3, 2)
    return by_offset.reshape(groups, o // groups, kh * kw * cg)


def col2im(dcols: np.ndarray, shape: tuple[int, ...], window: Window, groups: int
           ) -> np.ndarray:
    """Add each column of dcols (N, G, kh kw Cg, L) back onto the window it came from, into
    an image of `shape` (N, C, H, W): the adjoint of `columns`."""
    n, c, h, w = shape
    ph, pw = window.padding
    out_h, out_w = window.output_size(h, w)
    (kh, kw), cg = window.kernel, c // groups
    dcols = dcols.reshape(n, groups, kh * kw, cg, out_h, out_w)
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dcols.dtype)
    by_group = dxp.reshape(n, groups, cg, h + 2 * ph, w + 2 * pw)
    for k, (rows, cols_k) in enumerate(window.offsets(out_h, out_w)):
        by_group[..., rows, cols_k] += dcols[:, :, k]
    return cropped(dxp, window.padding, shape)  # not a view: the engine would copy one


# col2im over whole rows, for stride 1. Offset (i, j) sends output pixel (p, q) to the padded
# image's flat position s + p Wp + q, s = dh i Wp + dw j (Wp: the padded width): its oh x ow
# block is oh runs of ow elements, and numpy's cost per run is what made col2im slow. Let q go
# on to Wp - 1 (the extra columns wrap into the next row, or past the end) and the block is ONE
# run of oh Wp elements: kh kw adds in all instead of kh kw N C oh short ones. The extra
# columns of dy are zeros, so they add nothing (their positions past the end are left out); a
# weight with an inf or nan would make them nan: col2im then.
SHORT_ROWS = 16  # output rows of at most this many pixels: numpy's cost per run dominates


def whole_rows(window: Window, shape: tuple[int, ...], out_channels: int) -> bool:
    """Whether `input_gradient` takes whole rows for an input of `shape`. Widening dy costs
    N O oh short runs itself, and the extra columns cost work per element, so it pays where
    kh kw C is well above O and the rows are short. Measured with 3 x 3 kernels, the input
    gradient with the forward's im2col: 0.8 of the time at C = 8 -> O = 16 on 13 x 13 images,
    0.9 on 20 x 20, the same on 26 x 26, 1.05 on 32 x 32; col2im alone 1.1 at C = 1 -> O = 8."""
    (kh, kw), pw = window.kernel, window.padding[1]
    out_w = window.output_size(*shape[2:])[1]
    return (window.stride == (1, 1) and out_w < shape[3] + 2 * pw and out_w <= SHORT_ROWS
            and kh * kw * shape[1] >= 2 * out_channels)


def whole_rows_size(window: Window, shape: tuple[int, ...]) -> int:
    """The number of elements of W^T @ dy over whole rows."""
    n, c, h, w = shape
    (kh, kw), pw = window.kernel, window.padding[1]
    return n * kh * kw * c * window.output_size(h, w)[0] * (w + 2 * pw)


def input_gradient(dy: np.ndarray, weight: np.ndarray, shape: tuple[int, ...], window: Window,
                   groups: int, memory: np.ndarray | None = None) -> np.ndarray:
    """d/dx = col2im(W^T @ dy) for an input of `shape` (N, C, H, W). W^T @ dy goes into the
    buffer behind `memory` (the forward's columns, no longer needed) where it fits: fresh
    memory that large is paid for in page faults (half the time of a whole step, measured on
    (64, 8, 26, 26) inputs with glibc's default malloc settings)."""
    n, c, h, w = shape
    (ph, pw), (dh, dw), (kh, kw) = window.padding, window.dilation, window.kernel
    dtype = np.result_type(weight, dy)
    if not (whole_rows(window, shape, weight.shape[0]) and np.isfinite(weight).all()):
        out = reusable(memory, (n, groups, kh * kw * (c // groups), math.prod(dy.shape[2:])),
                       dtype)
        return col2im(columns_gradient(dy, weight, groups, out), shape, window, groups)
    out_h, out_w = dy.shape[2:]
    height, width = h + 2 * ph, w + 2 * pw
    wide = np.zeros((*dy.shape[:3], width), dtype=dy.dtype)
    wide[..., :out_w] = dy
    run = out_h * width
    out = reusable(memory, (n, groups, kh * kw * (c // groups), run), dtype)
    dcols = columns_gradient(wide, weight, groups, out)
    dcols = dcols.reshape(n, groups, kh * kw, c // groups, run)
    dxp = np.empty((n, groups, c // groups, height * width), dtype=dcols.dtype)
    dxp[..., :run] = dcols[:, :, 0]  # offset (0, 0) starts the sum: no pass over zeros
    dxp[..., run:] = 0
    for k in range(1, kh * kw):
        start = dh * (k // kw) * width + dw * (k % kw)
        length = min(run, height * width - start)
        dxp[..., start:start + length] += dcols[:, :, k, :, :length]
    return cropped(dxp.reshape(n, c, height, width), window.padding, shape)


def reusable(memory: np.ndarray | None, shape: tuple[int, ...], dtype: np.dtype
             ) -> np.ndarray | None:
    """An array of `shape` over the memory of `memory`'s buffer, if that is large enough and
    of `dtype`; else None (np.matmul then allocates)."""
    if memory is None or memory.dtype != dtype:
        return None
    buffer = memory if memory.base is None else memory.base
    if buffer.size < math.prod(shape) or not buffer.flags.c_contiguous:
        return None
    return buffer.reshape(-1)[:math.prod(shape)].reshape(shape)


def channel_sums(g: np.ndarray) -> np.ndarray:
    """g summed over all axes but 1, as two matrix-vector products: numpy's sum over the
    short inner axes (N, C, H, W) -> (C,) is many times slower."""
    n, c, h, w = g.shape
    per_image = g.reshape(n, c, h * w) @ np.ones(h * w, dtype=g.dtype)
    return np.ones(n, dtype=g.dtype) @ per_image


def weight_gradient(cols: np.ndarray, dy: np.ndarray, weight_shape: tuple[int, ...],
                    groups: int) -> np.ndarray:
    """d/dW = the sum over n of dy[n, g] @ cols(x)[n, g]^T, in the weight's (O, Cg, kh, kw)."""
    n, _, out_h, out_w = dy.shape
    o, cg, kh, kw = weight_shape
    dy_matrix = dy.reshape(n, groups, o // groups, out_h * out_w)
    per_image = np.matmul(dy_matrix, cols.transpose(0, 1, 3, 2))  # (N, G, Og, kh kw Cg)
    summed = np.ones(n, dtype=per_image.dtype) @ per_image.reshape(n, o * kh * kw * cg)
    by_offset = summed.reshape(groups, o // groups, kh * kw, cg).transpose(0, 1, 3, 2)
    return by_offset.reshape(weight_shape)


def columns_gradient(dy: np.ndarray, weight: np.ndarray, groups: int,
                     out: np.ndarray | None = None) -> np.ndarray:
    """d/dcols = W^T @ dy, shaped like cols(x) (into `out` if given)."""
    n, o, out_h, out_w = dy.shape
    dy_matrix = dy.reshape(n, groups, o // groups, out_h * out_w)
    return np.matmul(weight_matrix(weight, groups).transpose(0, 2, 1), dy_matrix, out=out)


class Conv2d(Op):
    """out = W @ cols(x) + b;  d/dx = col2im(W^T @ g),  d/dW = g @ cols(x)^T,  d/db = sum of g

    A cross-correlation, as torch.nn.functional.conv2d: out[n, o, p, q] = b[o] + the sum over
    the group's channels c and the offsets (i, j) of w[o, c, i, j] x_pad[n, c, p s + i d,
    q s + j d]. cols(x) is the im2col matrix (see `columns`), W the weight as a matrix.

    `saved` is an empty dict (None when W needs no gradient) in which the forward leaves
    cols(x), kh kw times the size of x, so that the first backward need not build it again
    (a second backward does): memory for speed. Its buffer has room for the first backward's
    W^T @ g where that runs over whole rows (see `input_gradient`).
    """

    name = "conv2d"

    def forward(x, weight, *bias_and_attrs):
        *bias, window, groups, saved = bias_and_attrs
        n, o = x.shape[0], weight.shape[0]
        out_h, out_w = window.output_size(*x.shape[2:])
        room = 0  # for the first backward's W^T @ g over whole rows, in the same memory
        if saved is not None and whole_rows(window, x.shape, o):
            room = whole_rows_size(window, x.shape)
        cols = columns(x, window, groups, room)
        if saved is not None:
            saved["columns"] = cols
        dtype = np.result_type(x, weight, *bias)
        out = np.matmul(weight_matrix(weight, groups), cols, dtype=dtype)
        out = out.reshape(n, o, out_h, out_w)
        if bias:
            out += bias[0].reshape(o, 1, 1)
        return out

    def grad_x(g, out, x, weight, *bias_and_attrs):
        *_, window, groups, saved = bias_and_attrs
        if isinstance(x, Value) or not saved or "columns" not in saved:
            return Conv2dBackwardInput.on(g, weight, attrs=(x.shape, window, groups))
        # W's gradient first, while the forward's columns are at hand; W^T @ g then goes into
        # their memory
        cols = saved.pop("columns")
        saved["weight_grad"] = weight_gradient(cols, g, weight.shape, groups)
        return input_gradient(g, weight, x.shape, window, groups, memory=cols)

    def grad_weight(g, out, x, weight, *bias_and_attrs):
        *_, window, groups, saved = bias_and_attrs
        if isinstance(x, Value) or not saved:
            return Conv2dBackwardWeight.on(x, g, attrs=(weight.shape, window, groups))
        if "weight_grad" in saved:  # left by grad_x
            return saved.pop("weight_grad")
        return weight_gradient(saved.pop("columns"), g, weight.shape, groups)

    def grad_bias(g, out, x, weight, bias, window, groups, saved):
        return g.sum(axis=(0, 2, 3)) if isinstance(g, Value) else channel_sums(g)

    vjps = (grad_x, grad_weight, grad_bias)


class Conv2dBackwardInput(Op):
    """out = col2im(W^T @ dy), conv2d's x gradient;  d/d(dy) = conv2d(g, W),  d/dW = dy @ cols(g)^T

    Linear in dy and in W: its vjps are conv2d and conv2d's weight gradient, applied to g.
    """

    name = "conv2d_backward_input"

    def forward(dy, weight, input_shape, window, groups):
        return input_gradient(dy, weight, input_shape, window, groups)

    vjps = (lambda g, out, dy, weight, input_shape, window, groups:
            Conv2d.on(g, weight, attrs=(window, groups, None)),
            lambda g, out, dy, weight, input_shape, window, groups:
            Conv2dBackwardWeight.on(g, dy, attrs=(weight.shape, window, groups)))


class Conv2dBackwardWeight(Op):
    """out = dy @ cols(x)^T, conv2d's W gradient;  d/dx = col2im(g^T @ dy),  d/d(dy) = g @ cols(x)

    Linear in x and in dy: its vjps are conv2d's input gradient and conv2d, with g as weight.
    """

    name = "conv2d_backward_weight"

    def forward(x, dy, weight_shape, window, groups):
        return weight_gradient(columns(x, window, groups), dy, weight_shape, groups)

    vjps = (lambda g, out, x, dy, weight_shape, window, groups:
            Conv2dBackwardInput.on(dy, g, attrs=(x.shape, window, groups)),
            lambda g, out, x, dy, weight_shape, window, groups:
            Conv2d.on(x, g, attrs=(window, groups, None)))


# -- pooling ---------------------------------------------------------------------------------
def window_slices(x: np.ndarray, window: Window) -> tuple[tuple[slice, slice], ...]:
    return window.offsets(*window.output_size(*x.shape[2:]))


class MaxPool2d(Op):
    """out = max of x over each window;  d/dx = g at the window's first maximum (row-major order)

    As in torch: the padding is -inf; a window holding a nan gives nan and passes its gradient
    to its last nan; ties pass all of it to the first maximum, not a share to each.
    """

    name = "max_pool2d"

    def forward(x, window):
        # By strided np.maximum (9x faster than .max over the axes of a strided view): first
        # over the window's rows, whole rows at a time (long runs), then over its columns;
        # kh + kw - 2 passes instead of kh kw - 1 (measured at 2 x 2: 0.7-0.8 of the time).
        # The rows are cut where the last window ends, so that with windows side by side the
        # columns' pass runs through memory in one stride.
        (kh, kw), (sh, sw) = window.kernel, window.stride
        out_h, out_w = window.output_size(*x.shape[2:])
        xp = padded(x, window.padding, -np.inf)
        width = min(xp.shape[3], max(sw * out_w, sw * (out_w - 1) + kw))
        rows = [xp[..., i:i + sh * (out_h - 1) + 1:sh, :width] for i in range(kh)]
        by_rows = np.maximum(rows[0], rows[1]) if kh > 1 else rows[0]
        for row in rows[2:]:
            np.maximum(by_rows, row, out=by_rows)
        by_columns = [by_rows[..., j:j + sw * (out_w - 1) + 1:sw] for j in range(kw)]
        out = np.maximum(by_columns[0], by_columns[1]) if kw > 1 else by_columns[0].copy()
        for column in by_columns[2:]:
            np.maximum(out, column, out=out)
        return out

    def vjp(g, out, x, window):
        if isinstance(x, Value):  # create_graph: a scatter that `getitem` differentiates
            return IndexAdd.on(g, attrs=(x.shape, max_positions(raw(x), raw(out), window)))
        (kh, kw), (sh, sw), (ph, pw) = window.kernel, window.stride, window.padding
        shape = (*x.shape[:2], x.shape[2] + 2 * ph, x.shape[3] + 2 * pw)
        disjoint = sh >= kh and sw >= kw
        # windows that tile the padded image write each element once: no zeros needed
        tiled = (sh, sw) == (kh, kw) and (out.shape[2] * sh, out.shape[3] * sw) == shape[2:]
        dxp = np.empty(shape, g.dtype) if tiled else np.zeros(shape, g.dtype)
        for rows, cols, chosen in chosen_elements(x, out, window):
            if disjoint:  # each element lies in one window at most: write, not add
                np.multiply(g, chosen, out=dxp[..., rows, cols])
            else:
                dxp[..., rows, cols] += g * chosen
        return cropped(dxp, window.padding, x.shape)

    vjps = (vjp,)


def chosen_elements(x: np.ndarray, out: np.ndarray, window: Window
                    ) -> Iterator[tuple[slice, slice, np.ndarray]]:
    """For each kernel offset in row-major order: its slices of the padded image and where it
    holds the element that gets its window's gradient, the one torch's loop keeps (`if val >
    max or isnan(val)`): the first maximum, or the last nan of a window with a nan.

    The comparisons run on x padded with nan, which equals nothing: a window of -infs picks
    its first element inside the image, as in torch, never the padding.
    """
    slices = window_slices(x, window)
    xp = padded(x, window.padding, np.nan)
    # the windows whose maximum no offset held so far; None: all of them (the first offset's
    # comparison then gives it in one pass, instead of an array of ones and two)
    unclaimed = None
    last_nans = [None] * len(slices)
    if out.size and np.isnan(out.min()):  # one pass, no temporary, rules nans out
        nan_windows = np.isnan(out)
        unclaimed = ~nan_windows
        real = padded(x, window.padding, -np.inf)  # scan backwards for the last (real) nan
        for k in reversed(range(len(slices))):
            rows, cols = slices[k]
            last_nans[k] = np.isnan(real[..., rows, cols]) & nan_windows
            nan_windows ^= last_nans[k]
    for k, (rows, cols) in enumerate(slices):
        if k < len(slices) - 1:
            chosen = xp[..., rows, cols] == out
            if unclaimed is None:
                unclaimed = ~chosen
            else:
                chosen &= unclaimed
                unclaimed ^= chosen
        else:  # the windows left hold their maximum here
            chosen = np.ones(out.shape, dtype=bool) if unclaimed is None else unclaimed
        if last_nans[k] is not None:
            chosen |= last_nans[k]
        yield rows, cols, chosen


def max_positions(x: np.ndarray, out: np.ndarray, window: Window) -> tuple[np.ndarray, ...]:
    """The (n, c, h, w) indices into x of the element each window passes its gradient to."""
    offset = np.zeros(out.shape, dtype=np.intp)
    for k, (_, _, chosen) in enumerate(chosen_elements(x, out, window)):
        offset[chosen] = k
    i, j = np.divmod(offset, window.kernel[1])
    n, c, out_h, out_w = out.shape
    (sh, sw), (ph, pw) = window.stride, window.padding
    return (np.arange(n).reshape(n, 1, 1, 1), np.arange(c).reshape(c, 1, 1),
            np.arange(out_h).reshape(out_h, 1) * sh - ph + i, np.arange(out_w) * sw - pw + j)


class AvgPool2d(Op):
    """out = mean of x over each window, padding counted as 0;  d/dx = g / (kh kw) on each window

    torch's defaults (count_include_pad=True): every window divides by kh * kw.
    """

    name = "avg_pool2d"

    def forward(x, window):
        xp = padded(x, window.padding)
        (rows, cols), *others = window_slices(x, window)
        out = xp[..., rows, cols].copy()
        for rows, cols in others:
            out += xp[..., rows, cols]
        out /= window.kernel[0] * window.kernel[1]
        return out

    vjps = (lambda g, out, x, window:
            AvgPool2dBackward.on(g, attrs=(x.shape, window)),)


class AvgPool2dBackward(Op):
    """out = dy / (kh kw) added onto each window, avg_pool2d's gradient;  d/d(dy) = avg_pool2d(g)"""

    name = "avg_pool2d_backward"

    def forward(dy, input_shape, window):
        ph, pw = window.padding
        share = dy / (window.kernel[0] * window.kernel[1])
        dxp = np.zeros((*input_shape[:2], input_shape[2] + 2 * ph, input_shape[3] + 2 * pw),
                       dtype=share.dtype)
        for rows, cols in window.offsets(*dy.shape[2:]):
            dxp[..., rows, cols] += share
        return cropped(dxp, window.padding, input_shape)

    vjps = (lambda g, out, dy, input_shape, window: AvgPool2d.on(g, attrs=(window,)),)


# -- the functions: check the arguments, then record the op ----------------------------------
def integer(function: str, name: str, value: Any, minimum: int) -> int:
    """An int (numpy's too, but not a bool or a float) of at least `minimum`."""
    if type(value) is not int:
        if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__index__"):
            raise TypeError(f"{function}: {name} must be an int, got {value!r}")
        value = operator.index(value)
    if value < minimum:
        raise ValueError(f"{function}: {name} must be at least {minimum}, got {value!r}")
    return value


def pair(function: str, name: str, value: Any, minimum: int) -> Pair:
    """An int, or a pair of ints (height, width), each at least `minimum`."""
    if not isinstance(value, (tuple, list)):
        value = integer(function, name, value, minimum)
        return value, value
    if len(value) != 2:
        raise ValueError(f"{function}: {name} must be an int or a pair of ints, got {value!r}")
    return (integer(function, name, value[0], minimum),
            integer(function, name, value[1], minimum))


def image_batch(function: str, x: Value) -> None:
    if x.ndim != 4:
        hint = "; for one image, add a batch axis: x.reshape(1, *x.shape)" if x.ndim == 3 else ""
        raise ValueError(f"{function}: input must have shape (N, C, H, W), got {x.shape}{hint}")


def check_fits(function: str, window: Window, x: Value) -> None:
    """The (dilated) kernel must fit inside the padded image: at least one output pixel."""
    (kh, kw), (dh, dw), (ph, pw) = window.kernel, window.dilation, window.padding
    padded_hw = (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw)
    reach = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    if reach[0] > padded_hw[0] or reach[1] > padded_hw[1]:
        dilated = "" if window.dilation == (1, 1) else f" (dilated: {reach})"
        raise ValueError(f"{function}: kernel size {window.kernel}{dilated} is larger than the "
                         f"padded input {padded_hw} (input {x.shape[2:]}, padding "
                         f"{window.padding})")


def conv2d(x: Any, weight: Any, bias: Any = None, stride: int | Pair = 1,
           padding: int | Pair = 0, dilation: int | Pair = 1, groups: int = 1) -> Value:
    """2-d cross-correlation, as torch.nn.functional.conv2d: x (N, C, H, W) and weight
    (O, C / groups, kh, kw) give (N, O, H', W'); input channels and output channels are split
    into `groups` groups, each convolved with its own slice of the weight."""
    x, weight = as_values(x, weight)
    image_batch("conv2d", x)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (out_channels, in_channels / groups, "
                         f"kh, kw), got {weight.shape}")
    groups = integer("conv2d", "groups", groups, 1)
    channels, (out_channels, per_group) = x.shape[1], weight.shape[:2]
    if out_channels % groups:
        raise ValueError(f"conv2d: weight of shape {weight.shape} has {out_channels} output "
                         f"channels, which groups={groups} does not divide")
    if per_group * groups != channels:
        raise ValueError(f"conv2d: weight of shape {weight.shape} with groups={groups} expects "
                         f"{per_group * groups} input channels ({per_group} per group), but "
                         f"the input of shape {x.shape} has {channels}")
    if min(weight.shape[2:]) < 1:
        raise ValueError(f"conv2d: weight of shape {weight.shape} has an empty kernel")
    window = Window(weight.shape[2:], pair("conv2d", "stride", stride, 1),
                    pair("conv2d", "padding", padding, 0), pair("conv2d", "dilation", dilation, 1))
    check_fits("conv2d", window, x)
    attrs = (window, groups, {} if weight.requires_grad else None)
    if bias is None:
        return apply(Conv2d, x, weight, attrs=attrs)
    bias = as_values(bias, weight)[0]
    if bias.shape != (out_channels,):
        raise ValueError(f"conv2d: bias has shape {bias.shape}, expected ({out_channels},), "
                         f"one per output channel")
    return apply(Conv2d, x, weight, bias, attrs=attrs)


def pool_window(function: str, x: Value, kernel_size: Any, stride: Any, padding: Any) -> Window:
    """Check a pooling's arguments as torch does (stride defaults to the kernel size; the
    padding is at most half the kernel)."""
    image_batch(function, x)
    kernel = pair(function, "kernel_size", kernel_size, 1)
    window = Window(kernel, kernel if stride is None else pair(function, "stride", stride, 1),
                    pair(function, "padding", padding, 0))
    if any(2 * p > k for p, k in zip(window.padding, kernel, strict=True)):
        raise ValueError(f"{function}: padding {window.padding} must be at most half of the "
                         f"kernel size {kernel}")
    check_fits(function, window, x)
    return window


def max_pool2d(x: Any, kernel_size: int | Pair, stride: int | Pair | None = None,
               padding: int | Pair = 0) -> Value:
    """The maximum of each kh x kw window of x (N, C, H, W), as torch.nn.functional.max_pool2d
    (padding with -inf)."""
    x = constant(x)
    return apply(MaxPool2d, x, attrs=(pool_window("max_pool2d", x, kernel_size, stride, padding),))


def avg_pool2d(x: Any, kernel_size: int | Pair, stride: int | Pair | None = None,
               padding: int | Pair = 0) -> Value:
    """The mean of each kh x kw window of x (N, C, H, W), as torch.nn.functional.avg_pool2d
    (zero padding, counted in the mean)."""
    x = constant(x)
    return apply(AvgPool2d, x, attrs=(pool_window("avg_pool2d", x, kernel_size, stride, padding),))


OPS: tuple[type[Op], ...] = (Conv2d, Conv2dBackwardInput, Conv2dBackwardWeight, MaxPool2d,
                             AvgPool2d, AvgPool2dBackward)
ELEMENTWISE: dict[str, type[Op]] = {}  # x.NAME() and ag.NAME(x), no arguments
METHODS: dict[str, Callable[..., Value]] = {}  # x.NAME(...) and ag.NAME(x, ...)
FUNCTION_ONLY: dict[str, Callable[..., Value]] = {  # ag.NAME(...) only
    "conv2d": conv2d, "max_pool2d": max_pool2d, "avg_pool2d": avg_pool2d,
}
