"""Network functions: dropout, layer and batch normalisation, embeddings, one-hot labels.

Each differentiable function is ONE op with a closed-form backward. The two normalisations
share their statistics (two passes: the mean, then the mean square about it, which stays exact
where E[x**2] - E[x]**2 loses every digit, e.g. at x ~ 1000 + small noise) and their gradient
(`through_normalization`). The functions check their arguments first and name what is wrong.
"""

# An op class is never instantiated: its forward and vjps are plain functions of data.
# ruff: noqa: N805

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.ops import Op
from autograd.shape_ops import IndexAdd
from autograd.value import Value, apply, as_values, constant, raw

Axes = tuple[int, ...]


# -- shared by layer_norm and batch_norm --------------------------------------------------------
def moments(x: Any, axes: Axes) -> tuple[Any, Any]:
    """The mean and the biased variance of x over axes (kept as size-1 axes), on arrays or
    Values."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    return mean, (centred * centred).mean(axis=axes, keepdims=True)


def inverse_std(var: Any, eps: float) -> Any:
    return (var + eps) ** -0.5  # finite even for a constant input (var = 0): eps > 0


def through_normalization(g_xhat: Any, xhat: Any, rstd: Any, axes: Axes) -> Any:
    """g times d(xhat)/dx for xhat = (x - mean) rstd, mean and rstd taken over axes (n each).

    d xhat_i / dx_j = rstd (delta_ij - 1/n - xhat_i xhat_j / n), so
    dx = rstd (g - mean(g) - xhat mean(g xhat)), every mean over axes.
    """
    return rstd * (g_xhat - g_xhat.mean(axis=axes, keepdims=True)
                   - xhat * (g_xhat * xhat).mean(axis=axes, keepdims=True))


def scale_and_shift(xhat: np.ndarray, weight: Any, bias: Any) -> np.ndarray:
    """xhat * weight + bias, in place on the fresh xhat (weight and bias may be None)."""
    if weight is not None:
        xhat *= weight
    if bias is not None:
        xhat += bias
    return xhat


def affine_inputs(weight: Any, bias: Any) -> tuple[tuple[str, ...], list[Any]]:
    """Which of weight and bias are given (their names, in input order), and them."""
    given = [(name, p) for name, p in (("weight", weight), ("bias", bias)) if p is not None]
    return tuple(name for name, _ in given), [p for _, p in given]


# -- dropout -----------------------------------------------------------------------------------
class Dropout(Op):
    """out = x * mask, mask = keep / (1 - p), keep ~ Bernoulli(1 - p);  d/dx = mask

    `mask` is an attribute drawn once by `dropout`: the backward (and a second backward)
    zeroes the same elements as the forward did.
    """

    name = "dropout"

    def forward(x, mask):
        return x * mask

    vjps = (lambda g, out, x, mask: g * mask,)


class _Random:
    """The generator behind dropout's masks (reseeded by `manual_seed`), made on first use:
    importing numpy.random takes longer than importing the whole engine."""

    generator: np.random.Generator | None = None


def manual_seed(seed: int) -> None:
    """Make dropout's masks reproducible from now on (`nn.manual_seed` calls this too).

    A stream of its own, not `default_rng(seed)`: nn seeds its weights' generator with the same
    seed, and two equal streams would tie each weight to the first mask's bits.
    """
    _Random.generator = np.random.default_rng([seed, 1])


def _generator() -> np.random.Generator:
    if _Random.generator is None:
        _Random.generator = np.random.default_rng()
    return _Random.generator


def dropout(x: Any, p: float = 0.5, training: bool = True,
            generator: np.random.Generator | None = None) -> Value:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (inverted
    dropout: the expected output is x, so evaluation needs no rescaling). Not training, or
    p = 0: x itself. The mask comes from `generator` (a numpy Generator), else from autograd's
    generator (seeded by `ag.manual_seed`)."""
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:  # also refuses nan
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"dropout: generator must be a numpy Generator "
                        f"(np.random.default_rng(seed)), got {type(generator).__name__}")
    x = constant(x)
    if not training or p == 0:
        return x
    # drawn in float64 whatever x's dtype, so a float32 model drops the same elements
    keep = (generator or _generator()).random(x.shape) >= p
    scale = 1.0 / (1.0 - p) if p < 1 else 0.0
    return apply(Dropout, x, attrs=(np.multiply(keep, scale, dtype=x.dtype),))


# -- layer_norm --------------------------------------------------------------------------------
class LayerNorm(Op):
    """out = w xh + b, xh = (x - mean) rstd;  d/dx = rstd (gw - mean(gw) - xh mean(gw xh))

    mean, var over the last axes; rstd = 1 / sqrt(var + eps); gw = g w;  d/dw = g xh,
    d/db = g (summed over the leading axes). `mean` and `rstd` are attributes computed by
    `layer_norm`; `parts` names the inputs after x ("weight", "bias", either or none).
    """

    name = "layer_norm"

    def forward(x, *params_and_attrs):
        *params, _axes, _eps, parts, mean, rstd = params_and_attrs
        affine = dict(zip(parts, params, strict=True))
        return scale_and_shift((x - mean) * rstd, affine.get("weight"), affine.get("bias"))

    def vjp_all(g, out, x, *params_and_attrs):
        *params, axes, eps, parts, mean, rstd = params_and_attrs
        affine = dict(zip(parts, params, strict=True))
        if isinstance(x, Value):  # create_graph: mean and rstd are functions of x again
            mean, var = moments(x, axes)
            rstd = inverse_std(var, eps)
        xhat = (x - mean) * rstd
        weight = affine.get("weight")
        grads = [through_normalization(g if weight is None else g * weight, xhat, rstd, axes)]
        if weight is not None:
            grads.append(g * xhat)  # the engine sums it over the leading axes, to w's shape
        if "bias" in affine:
            grads.append(g)
        return grads


def layer_norm(x: Any, normalized_shape: int | Sequence[int], weight: Any = None,
               bias: Any = None, eps: float = 1e-5) -> Value:
    """Normalise over the last len(normalized_shape) axes to mean 0 and variance 1 (biased),
    then scale by weight and shift by bias (each of shape normalized_shape), as torch's."""
    shape = _shape_argument(normalized_shape)
    parts, params = affine_inputs(weight, bias)
    x, *params = as_values(x, *params)
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} needs an input of shape "
                         f"(*, {', '.join(map(str, shape))}), got {x.shape}")
    for name, p in zip(parts, params, strict=True):
        if p.shape != shape:
            raise ValueError(f"layer_norm: {name} has shape {p.shape}, expected "
                             f"normalized_shape {shape}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean, var = moments(np.asarray(x.data), axes)
    attrs = (axes, float(eps), parts, mean, inverse_std(var, float(eps)))
    return apply(LayerNorm, x, *params, attrs=attrs)


def _shape_argument(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    try:
        if isinstance(normalized_shape, (numbers.Integral, np.integer)):
            shape = (operator.index(normalized_shape),)
        else:
            shape = tuple(operator.index(n) for n in normalized_shape)
    except TypeError:
        raise TypeError(f"layer_norm: normalized_shape must be an int or a sequence of ints, "
                        f"got {normalized_shape!r}") from None
    if not shape:
        raise ValueError("layer_norm: normalized_shape must have at least one axis, got ()")
    return shape


# -- batch_norm --------------------------------------------------------------------------------
def per_channel(p: Any, ndim: int) -> Any:
    """A (C,) array or Value shaped to broadcast against (N, C, *spatial)."""
    return p if ndim == 2 else p.reshape((-1,) + (1,) * (ndim - 2))


class BatchNorm(Op):
    """out = w xh + b, xh = (x - mean_c) rstd_c;  d/dx = rstd (gw - mean(gw) - xh mean(gw xh))

    mean_c, var_c per channel c, over every axis but 1: (N,) or (N, H, W); rstd = 1 / sqrt(var +
    eps); gw = g w;  d/dw = sum of g xh, d/db = sum of g. In training mean and var are the
    batch's (d/dx as above); in evaluation they are the running statistics, constants, and
    d/dx = gw rstd. `mean` and `rstd` are attributes computed by `batch_norm`.
    """

    name = "batch_norm"

    def forward(x, *params_and_attrs):
        *params, _axes, _eps, parts, _training, mean, rstd = params_and_attrs
        affine = {name: per_channel(p, np.ndim(x)) for name, p in zip(parts, params,
                                                                       strict=True)}
        return scale_and_shift((x - mean) * rstd, affine.get("weight"), affine.get("bias"))

    def vjp_all(g, out, x, *params_and_attrs):
        *params, axes, eps, parts, training, mean, rstd = params_and_attrs
        affine = dict(zip(parts, params, strict=True))
        if training and isinstance(x, Value):  # create_graph: the batch's statistics again
            mean, var = moments(x, axes)
            rstd = inverse_std(var, eps)
        xhat = (x - mean) * rstd
        weight = affine.get("weight")
        g_xhat = g if weight is None else g * per_channel(weight, x.ndim)
        grads = [through_normalization(g_xhat, xhat, rstd, axes) if training else g_xhat * rstd]
        if weight is not None:
            grads.append((g * xhat).sum(axis=axes))
        if "bias" in affine:
            grads.append(g.sum(axis=axes))
        return grads


def batch_norm(x: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Value:
    """Normalise each channel (axis 1) of x, (N, C) or (N, C, H, W), then scale by weight and
    shift by bias (each (C,)), as torch's.

    Training: the batch's mean and biased variance normalise x, and the running arrays (numpy
    float arrays of shape (C,), or None) are updated in place, running = (1 - momentum) *
    running + momentum * batch statistic, with the unbiased variance for running_var.
    Evaluation: the running statistics normalise x.
    """
    parts, params = affine_inputs(weight, bias)
    x, *params = as_values(x, *params)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, H, W), got shape "
                         f"{x.shape}")
    channels = x.shape[1]
    for name, p in zip(parts, params, strict=True):
        if p.shape != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {p.shape}, expected ({channels},) "
                             f"for an input of shape {x.shape}")
    running = _running_arrays(running_mean, running_var, channels, training)
    if not isinstance(momentum, numbers.Real):
        raise TypeError(f"batch_norm: momentum must be a number, got {momentum!r}")
    axes = (0, *range(2, x.ndim))
    broadcast = (1, channels) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // channels
        if count < 2:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {x.shape}")
        mean, var = moments(np.asarray(x.data), axes)
        if running is not None:
            _update(running[0], mean, momentum)
            _update(running[1], var * (count / (count - 1)), momentum)
    else:  # copies: a later training step updates the running arrays in place
        mean, var = (r.reshape(broadcast).astype(x.dtype) for r in running)
    attrs = (axes, float(eps), parts, bool(training), mean, inverse_std(var, float(eps)))
    return apply(BatchNorm, x, *params, attrs=attrs)


def _running_arrays(running_mean: Any, running_var: Any, channels: int,
                    training: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """The running statistics' arrays (a Value's data array is used), checked; None if not
    given, which only training allows."""
    if running_mean is None and running_var is None:
        if not training:
            raise ValueError("batch_norm: running_mean and running_var must be given in "
                             "evaluation mode (training=False)")
        return None
    arrays = []
    for name, r in (("running_mean", running_mean), ("running_var", running_var)):
        r = raw(r)
        if not isinstance(r, np.ndarray) or r.dtype.kind != "f":
            raise TypeError(f"batch_norm: {name} must be a float numpy array of shape "
                            f"({channels},) (it is updated in place), got {r!r}")
        if r.shape != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {r.shape}, expected ({channels},)")
        arrays.append(r)
    return arrays[0], arrays[1]


def _update(running: np.ndarray, batch: np.ndarray, momentum: float) -> None:
    """running = (1 - momentum) running + momentum batch, in place (torch's rule)."""
    running *= 1 - momentum
    running += momentum * batch.reshape(-1)


# -- embedding and one_hot ---------------------------------------------------------------------
ONE_HOT_ROWS = 64  # tables up to this size sum their gradient by a one-hot matrix product


def scatter_rows(g: np.ndarray, indices: np.ndarray, rows: int) -> np.ndarray:
    """zeros((rows, dim)) with g[k] added into row indices[k] (repeated rows accumulate).

    Summed by np.bincount over the distinct rows only. Measured (µs, best of several runs, one
    thread; rows x indices x dim): at 1000 x 640 x 64, np.add.at 270, sorting then
    np.add.reduceat 390, a one-hot matmul 1800, bincount over all rows 85, this 125; at
    50000 x 4096 x 128 float32, np.add.at 4500, bincount over all rows 16000 (its float64
    rows x dim result), this 3000. Over every size tried, this was never far from the fastest.

    A table of at most ONE_HOT_ROWS rows takes a one-hot matrix product instead, onehot(indices)
    (rows, count) @ g (count, dim). Measured at 27 x 768 x 10 (the makemore MLP's): 13 µs
    against 39 µs; it loses from about 100 rows on. Not with an inf or nan in g: 0 * inf would
    give nan to every row.
    """
    dim = g.shape[-1]
    flat_indices = indices.reshape(-1)
    if rows <= ONE_HOT_ROWS and np.isfinite(g).all():
        one_hot = np.zeros((rows, len(flat_indices)), dtype=g.dtype)
        one_hot[flat_indices, np.arange(len(flat_indices))] = 1
        return one_hot @ g.reshape(-1, dim)
    distinct, position = np.unique(flat_indices, return_inverse=True)
    flat = (position.reshape(-1, 1) * dim + np.arange(dim)).reshape(-1)
    sums = np.bincount(flat, weights=g.reshape(-1), minlength=len(distinct) * dim)
    out = np.zeros((rows, dim), dtype=g.dtype)
    out[distinct] = sums.reshape(len(distinct), dim)
    return out


class Embedding(Op):
    """out = weight[indices];  d/dweight: g's rows added into zeros at indices (repeats add up)"""

    name = "embedding"

    def forward(weight, indices):
        return weight[indices]

    def vjp(g, out, weight, indices):
        if isinstance(g, Value):  # create_graph: the same sum, as a differentiable op
            return IndexAdd.on(g, attrs=(weight.shape, indices))
        return scatter_rows(g, indices, weight.shape[0])

    vjps = (vjp,)


def _class_indices(function: str, what: str, indices: Any) -> np.ndarray:
    """An integer array of indices; floats, bools and Values (whose data is float) refused."""
    if isinstance(indices, Value):
        raise TypeError(f"{function}: {what} must be an integer numpy array, got a Value (its "
                        f"data is float); pass an integer array, e.g. "
                        f"v.numpy().astype(np.int64)")
    array = np.asarray(indices)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{function}: {what} must be integers, got dtype {array.dtype}")
    return array


def _out_of_range(function: str, what: str, array: np.ndarray, count: int,
                  counted: str) -> ValueError:
    bad = np.unique(array[(array < 0) | (array >= count)])
    shown = ", ".join(map(str, bad[:5].tolist())) + (", ..." if len(bad) > 5 else "")
    return ValueError(f"{function}: {what} {shown} out of range for {count} {counted} "
                      f"(0..{count - 1})")


def embedding(indices: Any, weight: Any) -> Value:
    """Rows of weight (num_embeddings, embedding_dim) picked by an integer array of any shape:
    the result has shape indices.shape + (embedding_dim,)."""
    array = _class_indices("embedding", "indices", indices)
    weight = constant(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    rows = weight.shape[0]
    if array.size and (array.min() < 0 or array.max() >= rows):
        raise _out_of_range("embedding", "indices", array, rows, "embeddings")
    return apply(Embedding, weight, attrs=(array.astype(np.intp, copy=False),))


def one_hot(labels: Any, num_classes: int = -1) -> np.ndarray:
    """An int64 array of shape labels.shape + (num_classes,), 1 at each label, as torch's;
    num_classes=-1 takes the largest label + 1."""
    array = _class_indices("one_hot", "labels", labels)
    if not isinstance(num_classes, (numbers.Integral, np.integer)) or num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be -1 (the largest label + 1) or a "
                         f"non-negative integer, got {num_classes!r}")
    if num_classes == -1:
        if not array.size:
            raise ValueError("one_hot: cannot infer num_classes from empty labels; give it")
        num_classes = int(array.max()) + 1
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise _out_of_range("one_hot", "labels", array, num_classes, "classes")
    return (array[..., None] == np.arange(num_classes)).astype(np.int64)


OPS: tuple[type[Op], ...] = (Dropout, LayerNorm, BatchNorm, Embedding)
ELEMENTWISE: dict[str, type[Op]] = {}  # x.NAME() and ag.NAME(x), no arguments
METHODS: dict[str, Callable[..., Value]] = {}  # x.NAME(...) and ag.NAME(x, ...)
FUNCTION_ONLY: dict[str, Callable[..., Any]] = {  # ag.NAME(...) only
    "dropout": dropout, "layer_norm": layer_norm, "batch_norm": batch_norm,
    "embedding": embedding, "one_hot": one_hot, "manual_seed": manual_seed,
}
