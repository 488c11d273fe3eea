"""Layers: `Linear`, `Conv2d`, the pools, `Flatten`, `Embedding`, `Dropout`, `Identity`, the
activations and `MLP`. (`Sequential` lives in nn.containers; it is importable from here too.)

Every layer takes a Value or anything numpy can turn into an array (a plain array is a
constant input: it gets no gradient). A layer with parameters casts a plain float array to its
dtype, so a float32 model gives float32 outputs. Arguments are checked when the layer is made.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd as ag
from nn.containers import Sequential  # also importable from here, as before nn.containers
from nn.init import generator, normal_kernel, normal_weight
from nn.module import Module, Parameter

# The weight initialisation that keeps activations O(1) behind each activation (see nn.init).
INIT_FOR_ACTIVATION = {"relu": "he", "tanh": "xavier", "sigmoid": "xavier"}


def positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def int_pair(value: Any, what: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a (height, width) pair of ints, each at least `minimum` (0 or 1)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                               or v < minimum for v in values):
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{what} must be a {kind} integer or a pair of them, got {value!r}")
    return int(values[0]), int(values[1])


def integer(value: Any, what: str) -> int:
    """An int (numpy's too), possibly negative, such as an axis; not a bool or a float."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    return int(value)


def real_number(value: Any, what: str, infinite_ok: bool = False) -> float:
    """`value` as a float: a real number, not a bool, not nan (nor infinite, unless allowed)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {value!r}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not infinite_ok):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


def floating_dtype(dtype: Any) -> np.dtype:
    """`dtype` as a numpy floating dtype (float32 or float64), or a TypeError."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating type such as np.float32, got {dtype}")
    return dtype


def layer_input(x: Any, dtype: np.dtype) -> ag.Value | np.ndarray:
    """What a layer with parameters computes on: a Value as it is; anything else as a constant
    array of the layer's dtype."""
    if isinstance(x, ag.Value):
        return x
    if not (isinstance(x, np.ndarray) and x.dtype.kind in "biuf"):
        x = ag.Value(x, requires_grad=False).data  # refuses lists of Values: use ag.stack
    return np.asarray(x, dtype=dtype)


def size_text(pair: tuple[int, int]) -> str:
    return f"{pair[0]}×{pair[1]}"


class Linear(Module):
    """y = x @ W^T + b, with W of shape (out_features, in_features) as in PyTorch.

    Input (..., in_features) -> output (..., out_features). `init` is "he" (for a ReLU after
    the layer, the default) or "xavier" (for tanh/sigmoid, or an output layer); b starts at 0.
    A plain numpy input is cast to the layer's dtype, so a float32 layer gives float32 outputs.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float64, init: str = "he") -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        dtype = floating_dtype(dtype)
        # Column-major: W^T is then row-major, the layout numpy's matmul is fastest with.
        weight = normal_weight(self.out_features, self.in_features, init, dtype)
        self.weight = Parameter(np.asfortranarray(weight))
        self.bias = Parameter(np.zeros(self.out_features, dtype)) if bias else None

    def forward(self, x: Any) -> ag.Value:
        return ag.linear(layer_input(x, self.weight.dtype), self.weight, self.bias)

    def describe(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"


class Conv2d(Module):
    """2-d convolution of images x (N, C_in, H, W), a cross-correlation as in PyTorch:

        y[n, o, p, q] = b[o] + sum over c, i, j of W[o, c, i, j] x_pad[n, c, p s + i d, q s + j d]

    with c over the input channels of o's group, x_pad padded with `padding` zeros on every
    side, s the stride and d the dilation. Output (N, C_out, H', W'), H' = floor((H + 2 padding
    - d (kh - 1) - 1) / s) + 1, W' alike. Derivatives: d/dW[o, c, i, j] = the sum over n, p, q of
    g[n, o, p, q] x_pad[n, c, p s + i d, q s + j d]; d/db[o] = the sum of g[:, o]; d/dx is the
    transposed convolution of g with W.

    weight (out_channels, in_channels / groups, kh, kw), bias (out_channels,). `groups` splits
    both kinds of channels into that many groups, convolved separately (groups = in_channels:
    depthwise). kernel_size, stride, padding and dilation are ints or (height, width) pairs.
    As in torch, padding may also be "valid" (no padding) or "same" (the output has the input's
    size; stride 1 only): each side gets d (k - 1) / 2 zeros, and when d (k - 1) is odd the
    extra one goes after (bottom, right), as torch does. The weight starts He-normal with
    fan_in = in_channels / groups * kh * kw, the bias at 0 (torch's differ: see nn.init).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1,
                 padding: int | tuple[int, int] | str = 0, dilation: int | tuple[int, int] = 1,
                 groups: int = 1, bias: bool = True, dtype: Any = np.float64) -> None:
        super().__init__()
        self.in_channels = positive_int(in_channels, "Conv2d in_channels")
        self.out_channels = positive_int(out_channels, "Conv2d out_channels")
        self.kernel_size = int_pair(kernel_size, "Conv2d kernel_size")
        self.stride = int_pair(stride, "Conv2d stride")
        self.dilation = int_pair(dilation, "Conv2d dilation")
        # `padding` keeps what was given ("same" stays "same", as torch's attribute does);
        # `_sides` is the zeros before and after each of height and width.
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv2d padding string must be 'same' or 'valid', got "
                                 f"{padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d padding='same' needs stride 1 (as in torch), got "
                                 f"stride {self.stride}")
            self.padding = padding
            totals = [d * (k - 1) if padding == "same" else 0
                      for d, k in zip(self.dilation, self.kernel_size, strict=True)]
            self._sides = tuple((total // 2, total - total // 2) for total in totals)
        else:
            self.padding = int_pair(padding, "Conv2d padding", minimum=0)
            self._sides = tuple((p, p) for p in self.padding)
        self.groups = positive_int(groups, "Conv2d groups")
        for name, channels in (("in_channels", self.in_channels),
                               ("out_channels", self.out_channels)):
            if channels % self.groups:
                raise ValueError(f"Conv2d {name}={channels} must be divisible by "
                                 f"groups={self.groups}")
        dtype = floating_dtype(dtype)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(normal_kernel(shape, "he", dtype))
        self.bias = Parameter(np.zeros(self.out_channels, dtype)) if bias else None

    def forward(self, x: Any) -> ag.Value:
        x = layer_input(x, self.weight.dtype)
        (top, bottom), (left, right) = self._sides
        padding = (top, left)
        if (top, left) != (bottom, right):  # "same" with an odd d (k - 1): pad unevenly first
            x = ag.pad(x, (left, right, top, bottom))
            padding = (0, 0)
        return ag.conv2d(x, self.weight, self.bias, stride=self.stride, padding=padding,
                         dilation=self.dilation, groups=self.groups)

    def describe(self) -> str:
        padding = self.padding if isinstance(self.padding, str) else size_text(self.padding)
        options = [f"{name} {text}" for name, value, default, text in (
            ("stride", self.stride, (1, 1), size_text(self.stride)),
            ("padding", self.padding, (0, 0), padding),
            ("dilation", self.dilation, (1, 1), size_text(self.dilation))) if value != default]
        options += [f"groups {self.groups}"] * (self.groups != 1)
        options += ["no bias"] * (self.bias is None)
        return (f"Conv2d({self.in_channels}→{self.out_channels}, "
                + ", ".join([size_text(self.kernel_size), *options]) + ")")


class _Pool2d(Module):
    """The arguments of MaxPool2d and AvgPool2d, checked as torch does: stride defaults to the
    kernel size (windows side by side), padding is at most half the kernel."""

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        kind = type(self).__name__
        self.kernel_size = int_pair(kernel_size, f"{kind} kernel_size")
        self.stride = self.kernel_size if stride is None else int_pair(stride, f"{kind} stride")
        self.padding = int_pair(padding, f"{kind} padding", minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(f"{kind} padding {self.padding} must be at most half of the "
                             f"kernel size {self.kernel_size}")

    def describe(self) -> str:
        options = [size_text(self.kernel_size)]
        if self.stride != self.kernel_size:
            options.append(f"stride {size_text(self.stride)}")
        if self.padding != (0, 0):
            options.append(f"padding {size_text(self.padding)}")
        return f"{type(self).__name__}({', '.join(options)})"


class MaxPool2d(_Pool2d):
    """The maximum of each kh×kw window of x (N, C, H, W), channel by channel (padding with
    -inf, as torch); d/dx: each window's gradient goes to its (first) maximum."""

    def forward(self, x: Any) -> ag.Value:
        return ag.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """The mean of each kh×kw window of x (N, C, H, W), channel by channel (zero padding,
    counted in the mean: torch's count_include_pad=True); d/dx: g / (kh kw) to each element of
    the window."""

    def forward(self, x: Any) -> ag.Value:
        return ag.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class Flatten(Module):
    """Merges the axes start_dim..end_dim (both included; negative counts from the end) into
    one: (N, C, H, W) -> (N, C H W) by default, which keeps the batch axis. A reshape, so its
    gradient is g reshaped back."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = integer(start_dim, "Flatten start_dim")
        self.end_dim = integer(end_dim, "Flatten end_dim")

    def forward(self, x: Any) -> ag.Value:
        return ag.flatten(x, self.start_dim, self.end_dim)

    def describe(self) -> str:
        if (self.start_dim, self.end_dim) == (1, -1):
            return "Flatten"
        return f"Flatten({self.start_dim}, {self.end_dim})"


class Embedding(Module):
    """A lookup table: integer indices of any shape pick rows of weight (num_embeddings,
    embedding_dim), giving indices.shape + (embedding_dim,).

        y[..., :] = W[indices[...], :];   d/dW[k] = the sum of g over the positions holding k

    The weight starts N(0, 1), as torch's. Indices are integers (a float array or a Value is
    refused); one outside 0..num_embeddings-1 raises a ValueError naming it.

    `padding_idx`, as in torch, marks a row for padding positions (negative counts from the
    end; the attribute holds it from the start): that row starts at zeros and gets no
    gradient, so it stays as it is while the others train. Its lookup still gives the row's
    actual values, zeros unless it was set to something else.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: int | None = None, dtype: Any = np.float64) -> None:
        super().__init__()
        self.num_embeddings = positive_int(num_embeddings, "Embedding num_embeddings")
        self.embedding_dim = positive_int(embedding_dim, "Embedding embedding_dim")
        if padding_idx is not None:
            padding_idx = integer(padding_idx, "Embedding padding_idx")
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding padding_idx {padding_idx} is out of range for "
                                 f"{self.num_embeddings} embeddings")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        shape = (self.num_embeddings, self.embedding_dim)
        weight = generator().standard_normal(shape).astype(floating_dtype(dtype))
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(weight)

    def forward(self, indices: Any) -> ag.Value:
        rows = ag.embedding(indices, self.weight)
        if self.padding_idx is None:
            return rows
        # The padding positions take the same values from a detached copy, so no gradient
        # flows from them into the padding row.
        keep = np.asarray(indices)[..., None] != self.padding_idx
        return ag.where(np.broadcast_to(keep, rows.shape), rows, rows.detach())

    def describe(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}{padding})"


class Dropout(Module):
    """In training mode, zeroes each element with probability p and scales the others by
    1 / (1 - p), so the expected output is x; in eval mode, x itself.

        y = x m / (1 - p), m ~ Bernoulli(1 - p) per element;   d/dx = m / (1 - p)

    The masks come from autograd's generator, which `nn.manual_seed` seeds.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = real_number(p, "Dropout probability p")
        if not 0 <= self.p <= 1:
            raise ValueError(f"Dropout probability p must be between 0 and 1, got {p!r}")

    def forward(self, x: Any) -> ag.Value:
        return ag.dropout(x, self.p, training=self.training)

    def describe(self) -> str:
        return f"Dropout(p={self.p:g})"


class Identity(Module):
    """Returns its input unchanged (the same object), e.g. to switch a layer off without
    changing the model's structure. Like torch's, it accepts and ignores any arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class ReLU(Module):
    """relu(x) = max(x, 0), elementwise; its derivative is 1 for x > 0 and 0 otherwise."""

    def forward(self, x: Any) -> ag.Value:
        return ag.relu(x)


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + e^-x), elementwise, in (0, 1); its derivative is at most 1/4."""

    def forward(self, x: Any) -> ag.Value:
        return ag.sigmoid(x)


class Tanh(Module):
    """tanh(x), elementwise, in (-1, 1); its derivative 1 - tanh(x)² is at most 1."""

    def forward(self, x: Any) -> ag.Value:
        return ag.tanh(x)


class LeakyReLU(Module):
    """y = x for x > 0, negative_slope x otherwise; d/dx = 1 for x > 0, negative_slope
    otherwise (at 0 too, as torch)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = real_number(negative_slope, "LeakyReLU negative_slope")

    def forward(self, x: Any) -> ag.Value:
        return ag.leaky_relu(x, self.negative_slope)

    def describe(self) -> str:
        return f"LeakyReLU({self.negative_slope:g})"


class GELU(Module):
    """y = x Phi(x), Phi the standard normal CDF; d/dx = Phi(x) + x phi(x), phi its density.
    approximate="tanh" uses torch's Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x³))) / 2."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> ag.Value:
        return ag.gelu(x, self.approximate)

    def describe(self) -> str:
        return "GELU" if self.approximate == "none" else "GELU(tanh)"


class Softplus(Module):
    """y = log(1 + e^(beta x)) / beta, a smooth relu; d/dx = sigmoid(beta x). Where
    beta x > threshold, y = x (d/dx = 1), as torch's (there the two differ by < e^-threshold)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = real_number(beta, "Softplus beta")
        if self.beta == 0:
            raise ValueError("Softplus beta must not be 0 (the result would be log(2) / 0)")
        self.threshold = real_number(threshold, "Softplus threshold", infinite_ok=True)

    def forward(self, x: Any) -> ag.Value:
        return ag.softplus(x, self.beta, self.threshold)

    def describe(self) -> str:
        if (self.beta, self.threshold) == (1.0, 20.0):
            return "Softplus"
        return f"Softplus(beta={self.beta:g}, threshold={self.threshold:g})"


class SiLU(Module):
    """y = x sigmoid(x) (swish); d/dx = s + x s (1 - s), s = sigmoid(x)."""

    def forward(self, x: Any) -> ag.Value:
        return ag.silu(x)


class ELU(Module):
    """y = x for x > 0, alpha (e^x - 1) otherwise; d/dx = 1 for x > 0, alpha e^x otherwise."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = real_number(alpha, "ELU alpha")

    def forward(self, x: Any) -> ag.Value:
        return ag.elu(x, self.alpha)

    def describe(self) -> str:
        return "ELU" if self.alpha == 1.0 else f"ELU(alpha={self.alpha:g})"


class Softmax(Module):
    """y_i = e^(x_i) / sum_j e^(x_j) along axis `dim`; d/dx = y (g - sum_j g_j y_j).

    `dim` must be given: torch's Softmax() without it picks an axis from the input's rank, a
    deprecated guess that silently normalises over the batch for some shapes.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = integer(dim, "Softmax dim")

    def forward(self, x: Any) -> ag.Value:
        return ag.softmax(x, axis=self.dim)

    def describe(self) -> str:
        return f"Softmax(dim={self.dim})"


class LogSoftmax(Module):
    """y_i = x_i - log sum_j e^(x_j) along axis `dim` (computed stably); d/dx = g - softmax(x)
    sum_j g_j. `dim` must be given, as for Softmax."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = integer(dim, "LogSoftmax dim")

    def forward(self, x: Any) -> ag.Value:
        return ag.log_softmax(x, axis=self.dim)

    def describe(self) -> str:
        return f"LogSoftmax(dim={self.dim})"


ACTIVATIONS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class MLP(Sequential):
    """A multilayer perceptron: Linear layers of the given sizes with `activation` between
    them and none after the last, e.g. MLP([3, 16, 1]) = Linear(3→16), ReLU, Linear(16→1).

    `activation` is "relu", "tanh" or "sigmoid"; the weights are initialised to suit it (He
    for ReLU, Xavier for tanh and sigmoid), so activations stay O(1) through deep stacks.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu",
                 dtype: Any = np.float64) -> None:
        sizes = [positive_int(n, "every MLP size") for n in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least two sizes (inputs and outputs), got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got "
                             f"{activation!r}")
        init = INIT_FOR_ACTIVATION[activation]
        layers: list[Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [Linear(n_in, n_out, dtype=dtype, init=init), ACTIVATIONS[activation]()]
        super().__init__(*layers[:-1])
        self.sizes = sizes
        self.activation = activation

    def describe(self) -> str:
        return "MLP(" + "→".join(str(n) for n in self.sizes) + ")"
