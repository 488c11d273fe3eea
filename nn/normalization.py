"""Normalisation layers: `BatchNorm1d`, `BatchNorm2d` and `LayerNorm`, as PyTorch's.

Both kinds compute x_hat = (x - mean) / sqrt(var + eps), with the biased variance, and then
y = weight x_hat + bias. They differ in what the statistics are taken over:

- batch norm: per channel (axis 1), over the batch and every spatial position. Training
  normalises by the batch's statistics and updates running estimates of them; evaluation
  normalises by the running estimates, so an example's output does not depend on the others in
  its batch.
- layer norm: per example, over its last axes (`normalized_shape`), in training and in
  evaluation alike.

The backward of x_hat (n values normalised together, statistics included) is
d/dx = rstd (g - mean(g) - x_hat mean(g x_hat)), g the gradient at x_hat, rstd = 1/sqrt(var + eps).
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd as ag
from nn.layers import floating_dtype, layer_input, positive_int, real_number
from nn.module import Module, Parameter


def positive(value: Any, what: str) -> float:
    """eps: with 0, a constant batch or row would divide 0 by 0."""
    value = real_number(value, what)
    if not value > 0:
        raise ValueError(f"{what} must be > 0 (with 0 a constant input divides 0 by 0), got "
                         f"{value}")
    return value


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ in the input ranks they accept."""

    ranks: tuple[int, ...] = ()
    shapes = ""  # the accepted input shapes, for errors

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        kind = type(self).__name__
        self.num_features = positive_int(num_features, f"{kind} num_features")
        self.eps = positive(eps, f"{kind} eps")
        if momentum is not None:
            momentum = real_number(momentum, f"{kind} momentum")
            if not 0 <= momentum <= 1:
                raise ValueError(f"{kind} momentum must be between 0 and 1 (or None, for a "
                                 f"cumulative average), got {momentum}")
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.dtype = floating_dtype(dtype)
        channels = self.num_features
        self.weight = Parameter(np.ones(channels, self.dtype)) if self.affine else None
        self.bias = Parameter(np.zeros(channels, self.dtype)) if self.affine else None
        tracking = self.track_running_stats  # torch's entries are None (not saved) otherwise
        self.register_buffer("running_mean", np.zeros(channels, self.dtype) if tracking else None)
        self.register_buffer("running_var", np.ones(channels, self.dtype) if tracking else None)
        self.register_buffer("num_batches_tracked",
                             np.array(0, dtype=np.int64) if tracking else None)

    def forward(self, x: Any) -> ag.Value:
        x = layer_input(x, self.dtype)
        if x.ndim not in self.ranks or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects input of "
                             f"shape {self.shapes} with C = {self.num_features}, got "
                             f"{tuple(x.shape)}")
        updating = self.training and self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        if updating:
            batches = int(self.num_batches_tracked) + 1
            if self.momentum is None:  # running = the mean of the statistics of every batch
                momentum = 1.0 / batches
        # Without running statistics, evaluation normalises by the batch's too (as torch).
        out = ag.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=self.training or not self.track_running_stats,
                            momentum=momentum, eps=self.eps)
        if updating:  # counted once the batch went through (a refused batch does not count)
            self.num_batches_tracked[...] = batches
        return out

    def describe(self) -> str:
        options = [str(self.num_features)]
        options += ["no affine"] * (not self.affine)
        options += ["no running stats"] * (not self.track_running_stats)
        return f"{type(self).__name__}({', '.join(options)})"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel c (axis 1):

        y[:, c] = weight[c] (x[:, c] - mean_c) / sqrt(var_c + eps) + bias[c]

    In training, mean_c and var_c (biased) are over the batch (and L) and the running
    statistics move towards them: running = (1 - momentum) running + momentum batch, with the
    unbiased variance for running_var (momentum=None: the plain average of every batch so far);
    `num_batches_tracked` counts those forwards. In eval mode the running statistics normalise.
    weight and bias (C,) are Parameters (1 and 0 to start; none with affine=False);
    running_mean, running_var (the layer's dtype) and num_batches_tracked (int64, 0-d) are
    buffers: in state_dict, not in parameters(). track_running_stats=False: no buffers, and
    the batch's statistics are used in eval mode too.
    """

    ranks = (2, 3)
    shapes = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images (N, C, H, W), per channel c over N, H and W; otherwise
    exactly BatchNorm1d (see there)."""

    ranks = (4,)
    shapes = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalises each example over its last axes, `normalized_shape` (an int for one axis):

        y = weight (x - mean) / sqrt(var + eps) + bias

    mean and the biased var over those axes, per example, in training and evaluation alike.
    weight (1 to start) and bias (0) have shape normalized_shape; elementwise_affine=False
    drops both, bias=False the bias alone. Input (*, *normalized_shape), output the same.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = np.float64
                 ) -> None:
        super().__init__()
        self.normalized_shape = normalized_shape_argument(normalized_shape)
        self.eps = positive(eps, "LayerNorm eps")
        self.elementwise_affine = bool(elementwise_affine)
        dtype = floating_dtype(dtype)
        self.dtype = dtype
        shape = self.normalized_shape
        self.weight = Parameter(np.ones(shape, dtype)) if self.elementwise_affine else None
        self.bias = (Parameter(np.zeros(shape, dtype)) if self.elementwise_affine and bias
                     else None)

    def forward(self, x: Any) -> ag.Value:
        return ag.layer_norm(layer_input(x, self.dtype), self.normalized_shape, self.weight,
                             self.bias, eps=self.eps)

    def describe(self) -> str:
        options = ["×".join(map(str, self.normalized_shape))]
        options += ["no affine"] * (not self.elementwise_affine)
        options += ["no bias"] * (self.elementwise_affine and self.bias is None)
        return f"LayerNorm({', '.join(options)})"


def normalized_shape_argument(normalized_shape: Any) -> tuple[int, ...]:
    """An int or a non-empty sequence of positive ints, as a tuple."""
    if isinstance(normalized_shape, (numbers.Integral, np.integer)):
        normalized_shape = (normalized_shape,)
    try:
        shape = tuple(normalized_shape)
        for n in shape:
            operator.index(n)
    except TypeError:
        raise TypeError(f"LayerNorm normalized_shape must be an int or a sequence of ints, got "
                        f"{normalized_shape!r}") from None
    if not shape:
        raise ValueError("LayerNorm normalized_shape must have at least one axis, got ()")
    return tuple(positive_int(n, "every LayerNorm normalized_shape size") for n in shape)
