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

from autograd.ops import Exp, Op, Sigmoid
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


def _reduce(squared: np.ndarray, reduction: str) -> Any:
    if reduction == "mean":
        return mean_of(squared)
    if reduction == "sum":
        return np.sum(squared)
    return squared


def _count(x: Any, reduction: str) -> int:
    """The n of a mean (1 for the other reductions; an empty input has no gradient to scale)."""
    return max(np.size(raw(x)), 1) if reduction == "mean" else 1


class MSELoss(Op):
    """out = mean((pred - target)**2);  d/dpred = 2 (pred - target) / n,  d/dtarget = -d/dpred

    n is the number of elements for reduction="mean", 1 for "sum" and "none".
    """

    name = "mse_loss"

    def forward(pred, target, reduction):
        diff = np.subtract(pred, target)
        return _reduce(diff * diff, reduction)

    def grad_pred(g, out, pred, target, reduction):
        return g * (2 / _count(pred, reduction)) * (pred - target)

    def grad_target(g, out, pred, target, reduction):
        return g * (-2 / _count(pred, reduction)) * (pred - target)

    vjps = (grad_pred, grad_target)


class CrossEntropy(Op):
    """out = mean over rows of -log softmax(logits)[label];  d/dlogits = (softmax - onehot) / N

    `labels` are integer class indices (an attribute: they get no gradient). `saved` is an
    empty list given with each call: the forward leaves softmax(logits) in it, which the
    backward finishes in place into the gradient instead of computing it again.
    """

    name = "cross_entropy"

    def forward(logits, labels, saved):
        shifted = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=-1, keepdims=True)
        loss = mean_of(np.log(total[:, 0]) - shifted[np.arange(len(labels)), labels])
        exp /= total
        saved.append(exp)
        return loss

    def vjp(g, out, logits, labels, saved):
        rows = np.arange(len(labels))
        if isinstance(logits, Value):  # create_graph: the same formula, kept differentiable
            one_hot = np.zeros(logits.shape, dtype=logits.dtype)
            one_hot[rows, labels] = 1
            return (Softmax.on(logits, attrs=(1,)) - one_hot) * (g / max(len(labels), 1))
        # the forward's softmax on the first backward; a second backward computes it again
        grad = saved.pop() if saved else Softmax.forward(logits, 1)
        grad[rows, labels] -= 1
        grad *= g / max(len(labels), 1)
        return grad

    vjps = (vjp,)


class BCEWithLogits(Op):
    """out = mean(softplus(x) - x t);  d/dx = (sigmoid(x) - t) / n,  d/dt = -x / n

    The binary cross-entropy of sigmoid(x) against t, with softplus(x) = log(1 + e**x)
    computed as max(x, 0) + log(1 + e**-|x|), which never overflows.
    """

    name = "binary_cross_entropy_with_logits"

    def forward(logits, targets):
        x = np.asarray(logits)
        return mean_of(np.maximum(x, 0) - x * targets + np.log1p(np.exp(-np.abs(x))))

    vjps = (lambda g, out, x, t: (Sigmoid.on(x) - t) * (g / _count(x, "mean")),
            lambda g, out, x, t: -x * (g / _count(x, "mean")))


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

    vjps = (lambda g, out, x, weight, *bias: g @ weight,
            grad_weight,
            lambda g, out, x, weight, bias: _rows(g).sum(axis=0))
