"""Weight initialisation: the random numbers a new layer starts from, and their scale.

A layer computes z_j = sum_i W_ji h_i over `fan_in` inputs, so with independent weights of
variance s² the variance of z is fan_in * s² * E[h²]. The scale is chosen so that this neither
grows nor shrinks from layer to layer; otherwise a deep stack multiplies it by the same factor
at every layer, and activations (and, on the way back, gradients) vanish or explode.

- He (Kaiming) for ReLU: ReLU zeroes half of a symmetric input, so E[h²] = Var(z_prev) / 2;
  s² = 2 / fan_in makes Var(z) = Var(z_prev).
- Xavier (Glorot) for tanh and sigmoid, which are close to linear around 0: s² = 2 / (fan_in +
  fan_out), a compromise between 1 / fan_in (which keeps the variance going forward) and
  1 / fan_out (which keeps the gradient's variance going backward).

For a convolution, fan_in = in_channels / groups * kh * kw (the inputs of one output pixel) and
fan_out = out_channels * kh * kw, the counts torch uses.

How the layers' defaults compare with PyTorch's:
- `Linear` and `Conv2d`: torch draws weights AND biases from U(-1/√fan_in, 1/√fan_in), i.e.
  s² = 1 / (3 fan_in); ours draws weights from N(0, 2 / fan_in) (He; `Linear(init="xavier")`:
  N(0, 2 / (fan_in + fan_out))) and starts biases at 0. Behind a ReLU torch's scale divides the
  variance by 6 per layer, so six layers shrink the output's standard deviation about 200-fold.
- The same as torch: `Embedding` weights N(0, 1); `BatchNorm1d`/`BatchNorm2d`/`LayerNorm` weight
  1 and bias 0, running mean 0 and running variance 1.
- The random numbers themselves differ (numpy's generator, not torch's), so equal seeds give
  different weights in the two; copy a state_dict to get the same ones.
"""

from __future__ import annotations

import numpy as np

import autograd as ag

INITS = ("he", "xavier")


class _Random:
    """The generator behind every new layer's weights (reseeded by `manual_seed`), made on
    first use: importing numpy.random takes longer than importing all of `nn`."""

    generator: np.random.Generator | None = None


def manual_seed(seed: int) -> None:
    """Make the weights of layers created from now on, and dropout's masks, reproducible (like
    `torch.manual_seed`)."""
    _Random.generator = np.random.default_rng(seed)
    ag.manual_seed(seed)


def generator() -> np.random.Generator:
    if _Random.generator is None:
        _Random.generator = np.random.default_rng()
    return _Random.generator


def weight_std(init: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the initial weights for the scheme `init` ("he" or "xavier")."""
    if init == "he":
        return float(np.sqrt(2.0 / fan_in))
    if init == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    raise ValueError(f"init must be one of {INITS}, got {init!r}")


def normal_weight(out_features: int, in_features: int, init: str,
                  dtype: np.dtype) -> np.ndarray:
    """A (out_features, in_features) weight matrix drawn from N(0, weight_std²)."""
    return normal_kernel((out_features, in_features), init, dtype)


def normal_kernel(shape: tuple[int, ...], init: str, dtype: np.dtype) -> np.ndarray:
    """A weight of shape (out, in / groups, *kernel) drawn from N(0, weight_std²), with
    fan_in = shape[1] * prod(kernel) and fan_out = shape[0] * prod(kernel), as torch counts."""
    receptive = int(np.prod(shape[2:]))
    std = weight_std(init, shape[1] * receptive, shape[0] * receptive)
    return (generator().standard_normal(shape) * std).astype(dtype)
