"""Op-table cases for the network ops (see op_table.py)."""

import numpy as np
from op_table import _long, case, torch, torch_functional

import autograd as ag

# -- dropout: a fixed generator per call, so every call draws the same mask ------------------
MASK_SEED = 7


def dropout_mask(shape: tuple[int, ...], p: float) -> np.ndarray:
    """The mask `dropout` draws from default_rng(MASK_SEED): keep where u >= p, scaled."""
    keep = np.random.default_rng(MASK_SEED).random(shape) >= p
    return keep / (1 - p)


for shape, p in [((3, 4), 0.4), ((2, 3, 4), 0.5), ((), 0.3)]:
    # torch cannot take a mask, so it checks the scaling rule with our known mask
    case("dropout",
         lambda x, p=p: ag.dropout(x, p, generator=np.random.default_rng(MASK_SEED)), (shape,),
         lambda x, p=p: x * dropout_mask(x.shape, p),
         lambda x, p=p: x * torch.as_tensor(dropout_mask(tuple(x.shape), p)),
         note=f"{shape} p={p}, seeded mask")
case("dropout", lambda x: ag.dropout(x, 1.0), ((3, 4),), np.zeros_like,
     lambda x: torch_functional.dropout(x, 1.0), note="p=1: zeros, as torch")

# -- layer_norm -------------------------------------------------------------------------------
for x_shape, normalized, affine in [((3, 4), (4,), ""), ((3, 4), (4,), "wb"),
                                    ((2, 3, 4), (3, 4), "wb"), ((2, 3, 4), (3, 4), ""),
                                    ((2, 3, 4), 4, "w"), ((4,), (4,), "b")]:
    normalized_shape = (normalized,) if isinstance(normalized, int) else normalized
    shapes = (x_shape,) + (normalized_shape,) * len(affine)
    axis_count = len(normalized_shape)

    def ours(x, *params, n=normalized, affine=affine):
        named = dict(zip(affine, params, strict=True))
        return ag.layer_norm(x, n, weight=named.get("w"), bias=named.get("b"))

    def reference(x, *params, k=axis_count, affine=affine):
        named = dict(zip(affine, params, strict=True))
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        out = (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
        return out * named.get("w", 1.0) + named.get("b", 0.0)

    def theirs(x, *params, n=normalized_shape, affine=affine):
        named = dict(zip(affine, params, strict=True))
        weight = named.get("w")
        if weight is None and "b" in named:  # torch's double backward needs a weight with a bias
            weight = torch.ones(n, dtype=x.dtype)
        return torch_functional.layer_norm(x, n, weight=weight, bias=named.get("b"))

    case("layer_norm", ours, shapes, reference, theirs,
         note=f"{x_shape} over {normalized}{' with ' + affine if affine else ''}")

# -- batch_norm: training on (N, C) and (N, C, H, W), evaluation with running statistics ----
RUNNING_MEAN = np.array([0.5, -0.2, 0.1])
RUNNING_VAR = np.array([0.8, 1.5, 0.3])


def np_batch_norm(x, mean, var, weight=None, bias=None):
    channel = (1, -1) + (1,) * (x.ndim - 2)
    out = (x - mean.reshape(channel)) / np.sqrt(var.reshape(channel) + 1e-5)
    if weight is not None:
        out = out * weight.reshape(channel)
    return out if bias is None else out + bias.reshape(channel)


def batch_statistics(x):
    axes = (0, *range(2, x.ndim))
    return x.mean(axis=axes), x.var(axis=axes)


for x_shape in [(4, 3), (2, 3, 2, 2)]:
    # training with fresh running arrays each call: they are updated in place
    case("batch_norm",
         lambda x, w, b: ag.batch_norm(x, np.zeros(3), np.ones(3), w, b, training=True),
         (x_shape, (3,), (3,)), lambda x, w, b: np_batch_norm(x, *batch_statistics(x), w, b),
         lambda x, w, b: torch_functional.batch_norm(
             x, torch.zeros(3, dtype=x.dtype), torch.ones(3, dtype=x.dtype), w, b,
             training=True),
         note=f"training {x_shape} with weight and bias")
    case("batch_norm", lambda x: ag.batch_norm(x, None, None, training=True), (x_shape,),
         lambda x: np_batch_norm(x, *batch_statistics(x)),
         lambda x: torch_functional.batch_norm(x, None, None, training=True),
         note=f"training {x_shape}, no running statistics, no affine")
    case("batch_norm",
         lambda x, w, b: ag.batch_norm(x, RUNNING_MEAN, RUNNING_VAR, w, b),
         (x_shape, (3,), (3,)),
         lambda x, w, b: np_batch_norm(x, RUNNING_MEAN, RUNNING_VAR, w, b),
         lambda x, w, b: torch_functional.batch_norm(
             x, torch.as_tensor(RUNNING_MEAN), torch.as_tensor(RUNNING_VAR), w, b),
         note=f"evaluation {x_shape} with weight and bias")
case("batch_norm", lambda x, b: ag.batch_norm(x, RUNNING_MEAN, RUNNING_VAR, bias=b),
     ((5, 3), (3,)), lambda x, b: np_batch_norm(x, RUNNING_MEAN, RUNNING_VAR, bias=b),
     lambda x, b: torch_functional.batch_norm(  # a weight of ones: as for layer_norm above
         x, torch.as_tensor(RUNNING_MEAN), torch.as_tensor(RUNNING_VAR),
         torch.ones(3, dtype=x.dtype), b),
     note="evaluation (5, 3), bias only")

# -- embedding --------------------------------------------------------------------------------
for note, indices in [("repeated indices", np.array([0, 3, 0, 4, 3, 0])),
                      ("2-d indices", np.array([[1, 0], [4, 1], [1, 1]])),
                      ("0-d index", np.array(2))]:
    case("embedding", lambda w, i=indices: ag.embedding(i, w), ((5, 3),),
         lambda w, i=indices: w[i], lambda w, i=indices: torch_functional.embedding(_long(i), w),
         note=note)
