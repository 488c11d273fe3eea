"""Op-table cases for the conv ops (see op_table.py): conv2d and its two gradient ops, max_pool2d,
avg_pool2d and its gradient op, each against a plain numpy formula and torch.

The numpy references are written independently of the ops: windows from
`sliding_window_view` for the forwards, and for the gradient ops the adjoint of the forward,
built one basis vector at a time (<f(e_k), dy> for every element k).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from op_table import case, distinct, th, torch, torch_functional, with_nan

import autograd as ag
from autograd.conv_ops import (
    AvgPool2dBackward,
    Conv2dBackwardInput,
    Conv2dBackwardWeight,
    Window,
)


def two(v: Any) -> tuple[int, int]:
    return tuple(v) if isinstance(v, tuple) else (v, v)


def np_windows(x: np.ndarray, kernel: Any, stride: Any, padding: Any, dilation: Any = 1,
               fill: float = 0.0) -> np.ndarray:
    """(N, C, H', W', kh, kw): the kernel's view of x padded with `fill` at every output pixel."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(two, (kernel, stride, padding, dilation))
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    reach = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    return sliding_window_view(xp, reach, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]


def np_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: Any = 1,
              padding: Any = 0, dilation: Any = 1, groups: int = 1) -> np.ndarray:
    o, cg, kh, kw = w.shape
    win = np_windows(x, (kh, kw), stride, padding, dilation)
    n, _, out_h, out_w = win.shape[:4]
    win = win.reshape(n, groups, cg, out_h, out_w, kh, kw)
    out = np.einsum("ngcpqij,gocij->ngopq", win, w.reshape(groups, o // groups, cg, kh, kw))
    out = out.reshape(n, o, out_h, out_w)
    return out if b is None else out + b.reshape(o, 1, 1)


def np_max_pool2d(x: np.ndarray, kernel: Any, stride: Any = None, padding: Any = 0
                  ) -> np.ndarray:
    win = np_windows(x, kernel, kernel if stride is None else stride, padding, fill=-np.inf)
    return win.max(axis=(-2, -1))


def np_avg_pool2d(x: np.ndarray, kernel: Any, stride: Any = None, padding: Any = 0
                  ) -> np.ndarray:
    return np_windows(x, kernel, kernel if stride is None else stride, padding).mean(
        axis=(-2, -1))


def np_adjoint(linear: Callable[[np.ndarray], np.ndarray], shape: tuple[int, ...],
               dy: np.ndarray) -> np.ndarray:
    """The adjoint of a linear map applied to dy: element k is <linear(e_k), dy>."""
    out = np.zeros(shape)
    for k in np.ndindex(shape):
        basis = np.zeros(shape)
        basis[k] = 1.0
        out[k] = np.sum(linear(basis) * dy)
    return out


def conv_output_shape(x_shape: tuple[int, ...], w_shape: tuple[int, ...], **geometry: Any
                      ) -> tuple[int, ...]:
    return np_conv2d(np.zeros(x_shape), np.zeros(w_shape), **geometry).shape


def window_of(w_shape: tuple[int, ...], stride: Any = 1, padding: Any = 0, dilation: Any = 1,
              groups: int = 1) -> tuple[Window, int]:
    """The attributes of conv2d's gradient ops for this geometry."""
    return Window(w_shape[2:], two(stride), two(padding), two(dilation)), groups


def torch_avg_pool2d_backward(dy: Any, shape: tuple[int, ...], kernel: Any, **options: Any
                              ) -> Any:
    """torch's gradient of avg_pool2d (at any input: it is linear) applied to dy, kept
    differentiable in dy."""
    x = torch.zeros(shape, dtype=dy.dtype, requires_grad=True)
    pooled = torch_functional.avg_pool2d(x, kernel, **options)
    return torch.autograd.grad(pooled, x, dy, create_graph=True)[0]


def ties(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Small whole numbers: most pooling windows hold their maximum more than once."""
    return rng.integers(0, 3, size=shape).astype(np.float64)


# -- conv2d: each of stride, padding, dilation and groups, pairs, with and without a bias -----
CONV_GEOMETRIES = [
    ((2, 3, 5, 5), (4, 3, 3, 3), {}),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"stride": 2}),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"padding": 1}),
    ((2, 3, 7, 7), (4, 3, 3, 3), {"dilation": 2}),
    ((2, 4, 5, 5), (6, 2, 3, 3), {"groups": 2}),
    ((2, 3, 5, 5), (3, 1, 3, 3), {"groups": 3, "padding": 1}),  # depthwise
    ((2, 3, 6, 7), (4, 3, 3, 2), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}),
]
for x_shape, w_shape, geometry in CONV_GEOMETRIES:
    note = f"{x_shape} & {w_shape} {geometry or 'defaults'}"
    case("conv2d", lambda x, w, b, kw=geometry: ag.conv2d(x, w, b, **kw),
         (x_shape, w_shape, w_shape[:1]),
         lambda x, w, b, kw=geometry: np_conv2d(x, w, b, **kw),
         lambda x, w, b, kw=geometry: torch_functional.conv2d(x, w, b, **kw), note=note)
case("conv2d", lambda x, w: ag.conv2d(x, w), ((2, 3, 5, 5), (4, 3, 3, 3)), np_conv2d,
     th("F.conv2d"), note="no bias")
case("conv2d", lambda x, w: ag.conv2d(x, w, stride=2, padding=1, groups=3),
     ((2, 3, 6, 6), (6, 1, 2, 2)),
     lambda x, w: np_conv2d(x, w, stride=2, padding=1, groups=3),
     lambda x, w: torch_functional.conv2d(x, w, stride=2, padding=1, groups=3),
     note="no bias, stride 2, padding 1, groups 3")

# -- its gradient ops (their own vjps are conv2d and each other) ------------------------------
for x_shape, w_shape, geometry in [CONV_GEOMETRIES[0], CONV_GEOMETRIES[4], CONV_GEOMETRIES[6],
                                   ((2, 4, 7, 7), (6, 2, 3, 3),
                                    {"stride": 2, "padding": 1, "dilation": 2, "groups": 2})]:
    note = f"{x_shape} & {w_shape} {geometry or 'defaults'}"
    y_shape = conv_output_shape(x_shape, w_shape, **geometry)
    attrs = window_of(w_shape, **geometry)
    case("conv2d_backward_input",
         lambda dy, w, s=x_shape, a=attrs: Conv2dBackwardInput.on(dy, w, attrs=(s, *a)),
         (y_shape, w_shape),
         lambda dy, w, s=x_shape, kw=geometry: np_adjoint(
             lambda e: np_conv2d(e, w, **kw), s, dy),
         lambda dy, w, s=x_shape, kw=geometry: torch.nn.grad.conv2d_input(s, w, dy, **kw),
         note=note)
    case("conv2d_backward_weight",
         lambda x, dy, s=w_shape, a=attrs: Conv2dBackwardWeight.on(x, dy, attrs=(s, *a)),
         (x_shape, y_shape),
         lambda x, dy, s=w_shape, kw=geometry: np_adjoint(
             lambda e: np_conv2d(x, e, **kw), s, dy),
         lambda x, dy, s=w_shape, kw=geometry: torch.nn.grad.conv2d_weight(x, s, dy, **kw),
         note=note)

# -- pooling: the default stride, strides and padding, pairs, overlapping windows -------------
POOLS = [
    ((2, 3, 6, 6), 2, {}),
    ((2, 3, 7, 7), 3, {"stride": 2, "padding": 1}),
    ((2, 2, 5, 6), (2, 3), {"stride": 1}),  # overlapping windows
    ((1, 2, 7, 6), (3, 2), {"stride": (2, 1), "padding": (1, 0)}),
    ((2, 2, 7, 7), 2, {"stride": 3}),  # gaps between the windows
]
for x_shape, kernel, options in POOLS:
    note = f"{x_shape} kernel {kernel} {options or 'defaults'}"
    case("max_pool2d", lambda x, k=kernel, kw=options: ag.max_pool2d(x, k, **kw), (x_shape,),
         lambda x, k=kernel, kw=options: np_max_pool2d(x, k, **kw),
         lambda x, k=kernel, kw=options: torch_functional.max_pool2d(x, k, **kw),
         domains=(distinct,), note=note)
    case("avg_pool2d", lambda x, k=kernel, kw=options: ag.avg_pool2d(x, k, **kw), (x_shape,),
         lambda x, k=kernel, kw=options: np_avg_pool2d(x, k, **kw),
         lambda x, k=kernel, kw=options: torch_functional.avg_pool2d(x, k, **kw), note=note)
# ties and nans: the gradient goes where torch sends it (the first maximum; the last nan)
for domain, what in [(ties, "ties"), (with_nan, "nan")]:
    case("max_pool2d", lambda x: ag.max_pool2d(x, 2), ((2, 2, 4, 4),),
         lambda x: np_max_pool2d(x, 2), lambda x: torch_functional.max_pool2d(x, 2),
         domains=(domain,), note=f"{what}, kernel 2", smooth=False)
    case("max_pool2d", lambda x: ag.max_pool2d(x, 3, stride=1, padding=1), ((2, 2, 4, 4),),
         lambda x: np_max_pool2d(x, 3, stride=1, padding=1),
         lambda x: torch_functional.max_pool2d(x, 3, stride=1, padding=1),
         domains=(domain,), note=f"{what}, overlapping, padding 1", smooth=False)

for x_shape, kernel, options in POOLS[1:3]:
    note = f"{x_shape} kernel {kernel} {options}"
    y_shape = np_avg_pool2d(np.zeros(x_shape), kernel, **options).shape
    window = Window(two(kernel), two(options["stride"]), two(options.get("padding", 0)))
    case("avg_pool2d_backward",
         lambda dy, s=x_shape, w=window: AvgPool2dBackward.on(dy, attrs=(s, w)), (y_shape,),
         lambda dy, s=x_shape, k=kernel, kw=options: np_adjoint(
             lambda e: np_avg_pool2d(e, k, **kw), s, dy),
         lambda dy, s=x_shape, k=kernel, kw=options: torch_avg_pool2d_backward(dy, s, k, **kw),
         note=note)
