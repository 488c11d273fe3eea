"""The lecture's building blocks as single, numerically stable ops.

softmax, log_softmax and the three losses are each ONE node in the graph (named after the
function), with a fused backward. Composing them from exp/sum/log would work for moderate
inputs but overflows at |x| ~ 700 (float64) or ~ 90 (float32); the fused forms below subtract
the maximum first and their gradients never divide by a tiny number.
"""

# An op class is never instantiated: its forward and vjps are plain functions of data.
# ruff: noqa: N805

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.ops import Exp, Log, Op, Sigmoid, positive
from autograd.value import Value, raw


def _sum_along(x: Any, axis: int | None) -> Any:
    """x summed along axis, keeping it (on raw data, a 0-d float included, or on a Value)."""
    if isinstance(x, Value):
        return x.sum(axis=axis, keepdims=True)
    return np.sum(x, axis=axis, keepdims=True)


def _trivial(x: Any) -> bool:
    """A 0-d input (one number: softmax 1, log_softmax 0) or an empty one (an empty result);
    `np.max` could not take the maximum of either along an axis."""
    return np.ndim(x) == 0 or np.size(x) == 0


class Softmax(Op):
    """out_i = e**x_i / sum_j e**x_j;  g -> out * (g - sum(g * out))  (along axis)"""

    name = "softmax"

    def forward(x, axis):
        if _trivial(x):
            return np.ones_like(x)
        t = x - np.max(x, axis=axis, keepdims=True)  # the largest exponent is 0: no overflow
        np.exp(t, out=t)
        t /= np.sum(t, axis=axis, keepdims=True)
        return t

    vjps = (lambda g, out, x, axis: out * (g - _sum_along(g * out, axis)),)


class LogSoftmax(Op):
    """out_i = x_i - log(sum_j e**x_j);  g -> g - softmax(x) * sum(g)  (along axis)"""

    name = "log_softmax"

    def forward(x, axis):
        if _trivial(x):
            return np.zeros_like(x)
        t = x - np.max(x, axis=axis, keepdims=True)
        t -= np.log(np.sum(np.exp(t), axis=axis, keepdims=True))
        return t

    vjps = (lambda g, out, x, axis: g - Exp.on(out) * _sum_along(g, axis),)


def mean_of(x: np.ndarray) -> Any:
    """The mean of every element (nan without a warning for an empty array, as in torch)."""
    return x.sum() / x.size if x.size else np.full((), np.nan, dtype=x.dtype)


# -- the losses: each takes reduction="mean" | "sum" | "none", as in torch --------------------
REDUCTIONS = ("mean", "sum", "none")


def check_reduction(function: str, reduction: str) -> None:
    """A ValueError naming `function` and the reduction unless it is one of REDUCTIONS."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{function}: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")


def reduce_loss(losses: Any, reduction: str) -> Any:
    """The losses of the elements (or labels) reduced; "none" keeps them (a 0-d array becomes a
    numpy scalar, which a Value stores as a float)."""
    if reduction == "mean":
        return mean_of(losses)
    if reduction == "sum":
        return np.sum(losses)
    return losses[()] if np.ndim(losses) == 0 else losses


def mean_count(x: Any, reduction: str) -> int:
    """The n of a mean (1 for the other reductions; an empty input has no gradient to scale)."""
    return max(np.size(raw(x)), 1) if reduction == "mean" else 1


def label_positions(labels: np.ndarray) -> tuple:
    """Where each label's score sits in scores of shape (N, C, d1, ...), labels (N, d1, ...):
    scores[label_positions(labels)] has the labels' shape."""
    if labels.ndim == 1:
        return np.arange(len(labels)), labels
    grids = np.indices(labels.shape, sparse=True)
    return (grids[0], labels, *grids[1:])


def along_classes(g: Any) -> Any:
    """A gradient per label (N, d1, ...) shaped to broadcast against scores (N, C, d1, ...); a
    scalar one (reduction "mean" or "sum") as it is."""
    return g if np.ndim(g) == 0 else g.reshape((g.shape[0], 1, *g.shape[1:]))


class MSELoss(Op):
    """out = mean((pred - target)**2);  d/dpred = 2 (pred - target) / n,  d/dtarget = -d/dpred

    n is the number of elements for reduction="mean", 1 for "sum" and "none".
    """

    name = "mse_loss"

    def forward(pred, target, reduction):
        diff = np.subtract(pred, target)
        return reduce_loss(diff * diff, reduction)

    def grad_pred(g, out, pred, target, reduction):
        return g * (2 / mean_count(pred, reduction)) * (pred - target)

    def grad_target(g, out, pred, target, reduction):
        return g * (-2 / mean_count(pred, reduction)) * (pred - target)

    vjps = (grad_pred, grad_target)


# numpy reduces slowly over a short inner axis, such as the classes of (N, C) logits
FEW_CLASSES = 64


def class_max(x: np.ndarray) -> np.ndarray:
    """The maximum over axis 1, kept. For (N, C) with few classes, as the maximum over axis 0
    of the transposed copy, which numpy runs across the rows at once: 4.7 µs against 19 µs at
    256 x 27 float32 (from 64 classes on, .max(axis=1) is as fast)."""
    if x.ndim == 2 and x.shape[1] < FEW_CLASSES:
        return np.ascontiguousarray(x.T).max(axis=0, keepdims=True).T
    return x.max(axis=1, keepdims=True)


def class_sum(x: np.ndarray) -> np.ndarray:
    """The sum over axis 1, kept. For (N, C), a matrix-vector product with ones: 1.5 µs against
    6.7 µs at 256 x 27 float32, and never slower."""
    if x.ndim == 2:
        return (x @ np.ones(x.shape[1], dtype=x.dtype))[:, None]
    return x.sum(axis=1, keepdims=True)


class CrossEntropy(Op):
    """out = mean over labels of -sum_c q_c log softmax(logits)_c;  d/dlogits = (softmax - q) / N

    q is the target distribution (1 - s) onehot(label) + s / C, with label_smoothing s (the
    one-hot label itself for s = 0), as in torch. `labels` are integer class indices (an
    attribute: they get no gradient): (N,) for logits (N, C), or (N, d1, ...) for logits
    (N, C, d1, ...), the class axis being 1. N is the number of labels for reduction="mean",
    1 for "sum" and "none". `saved` is an empty list given with each call: the forward leaves
    softmax(logits) in it, which the backward finishes in place into the gradient instead of
    computing it again.
    """

    name = "cross_entropy"

    def forward(logits, labels, reduction, label_smoothing, saved):
        shifted = logits - class_max(logits)
        exp = np.exp(shifted)
        total = class_sum(exp)
        # -sum_c q_c log softmax_c = log(total) - sum_c q_c shifted_c, as sum_c q_c = 1
        picked = shifted[label_positions(labels)]
        if label_smoothing:
            picked = ((1 - label_smoothing) * picked
                      + (label_smoothing / logits.shape[1]) * shifted.sum(axis=1))
        loss = reduce_loss(np.log(total[:, 0]) - picked, reduction)
        exp /= total
        saved.append(exp)
        return loss

    def vjp(g, out, logits, labels, reduction, label_smoothing, saved):
        positions = label_positions(labels)
        scale = along_classes(g / mean_count(labels, reduction))
        uniform_part = label_smoothing / logits.shape[1]  # s / C of every q_c
        if isinstance(logits, Value):  # create_graph: the same formula, kept differentiable
            q = np.full(logits.shape, uniform_part, dtype=logits.dtype)
            q[positions] += 1 - label_smoothing
            return (Softmax.on(logits, attrs=(1,)) - q) * scale
        # the forward's softmax on the first backward; a second backward computes it again
        grad = saved.pop() if saved else Softmax.forward(logits, 1)
        grad[positions] -= 1 - label_smoothing
        if uniform_part:
            grad -= uniform_part
        grad *= scale
        return grad

    vjps = (vjp,)


def stable_softplus(x: Any) -> Any:
    """log(1 + e**x) = max(x, 0) + log(1 + e**-|x|), which never overflows. On a Value the
    form is picked by a constant mask m = (x > 0), as x m + log(1 + e**(x (1 - 2m))): both
    forms are the same function, so every derivative is exact, at 0 too."""
    if not isinstance(x, Value):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    m = positive(x)
    return x * m + Log.on(1 + Exp.on(x * (1 - 2 * m)))


class BCEWithLogits(Op):
    """out = mean(softplus(x) - x t);  d/dx = (sigmoid(x) - t) / n,  d/dt = -x / n

    The binary cross-entropy of sigmoid(x) against t, with softplus(x) = log(1 + e**x)
    computed as max(x, 0) + log(1 + e**-|x|), which never overflows. pos_weight w (None, or
    an array that broadcasts to x) weighs the positive term -t log sigmoid(x) = t softplus(-x),
    which adds (w - 1) t softplus(-x) to out: then d/dx = (1 + (w - 1) t) sigmoid(x) - w t and
    d/dt = -x + (w - 1) softplus(-x) (over n). n is the number of elements for
    reduction="mean", 1 for "sum" and "none".
    """

    name = "binary_cross_entropy_with_logits"

    def forward(logits, targets, reduction, pos_weight):
        x = np.asarray(logits)
        tail = np.log1p(np.exp(-np.abs(x)))  # softplus(+-x) = max(+-x, 0) + tail
        losses = np.maximum(x, 0) - x * targets + tail
        if pos_weight is not None:
            losses = losses + (pos_weight - 1) * targets * (np.maximum(-x, 0) + tail)
        return reduce_loss(losses, reduction)

    def grad_logits(g, out, x, t, reduction, pos_weight):
        scale = g / mean_count(x, reduction)
        if pos_weight is None:
            return (Sigmoid.on(x) - t) * scale
        return ((1 + (pos_weight - 1) * t) * Sigmoid.on(x) - pos_weight * t) * scale

    def grad_targets(g, out, x, t, reduction, pos_weight):
        scale = g / mean_count(x, reduction)
        if pos_weight is None:
            return -x * scale
        return ((pos_weight - 1) * stable_softplus(-x) - x) * scale

    vjps = (grad_logits, grad_targets)


def _rows(x: Any) -> Any:
    """x as a 2-d matrix of rows: (..., k) -> (n, k) (works on arrays and Values)."""
    return x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x


class Linear(Op):
    """out = x @ W^T + b;  d/dx = g @ W,  d/dW = g^T @ x,  d/db = g summed over rows

    W has shape (out_features, in_features) as in PyTorch; x may have any number of leading
    axes (d/dW and d/db then sum over all of them). One node instead of matmul, transpose and
    add: fewer temporaries, and W's gradient comes out in W's own memory layout (see
    `grad_weight`).
    """

    name = "linear"

    def forward(x, weight, bias=None):
        out = np.matmul(x, weight.T)
        if bias is not None:
            out += bias
        return out

    def grad_weight(g, out, x, weight, *bias):
        # nn.Linear stores W column-major, so that W^T is row-major and x @ W^T runs as
        # numpy's fastest matmul. The gradient is written in that same layout: an optimizer
        # updating W with a gradient of the other layout would stride through memory.
        if isinstance(weight, Value) or not weight.flags.f_contiguous:
            return _rows(g).T @ _rows(x)
        grad = np.empty(weight.shape, dtype=np.result_type(g, x), order="F")
        np.matmul(_rows(x).T, _rows(g), out=grad.T)  # grad.T is row-major: no temporary
        return grad

    def grad_bias(g, out, x, weight, bias):
        rows = _rows(g)
        if isinstance(rows, Value):
            return rows.sum(axis=0)
        # the sum over the rows as a matrix-vector product with ones: 2.5x faster at 256 x 200
        return np.ones(len(rows), dtype=rows.dtype) @ rows

    vjps = (lambda g, out, x, weight, *bias: g @ weight, grad_weight, grad_bias)
