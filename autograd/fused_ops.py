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


class Softmax(Op):
    """out_i = e**x_i / sum_j e**x_j;  g -> out * (g - sum(g * out))  (along axis)"""

    name = "softmax"

    def forward(x, axis):
        t = x - np.max(x, axis=axis, keepdims=True)  # the largest exponent is 0: no overflow
        np.exp(t, out=t)
        t /= np.sum(t, axis=axis, keepdims=True)
        return t

    vjps = (lambda g, out, x, axis: out * (g - (g * out).sum(axis=axis, keepdims=True)),)


class LogSoftmax(Op):
    """out_i = x_i - log(sum_j e**x_j);  g -> g - softmax(x) * sum(g)  (along axis)"""

    name = "log_softmax"

    def forward(x, axis):
        t = x - np.max(x, axis=axis, keepdims=True)
        t -= np.log(np.sum(np.exp(t), axis=axis, keepdims=True))
        return t

    vjps = (lambda g, out, x, axis: g - Exp.on(out) * g.sum(axis=axis, keepdims=True),)


def _reduce(squared: np.ndarray, reduction: str) -> Any:
    if reduction == "mean":
        return np.mean(squared)
    if reduction == "sum":
        return np.sum(squared)
    return squared


class MSELoss(Op):
    """out = mean((pred - target)**2);  d/dpred = 2 (pred - target) / n,  d/dtarget = -d/dpred

    n is the number of elements for reduction="mean", 1 for "sum" and "none".
    """

    name = "mse_loss"

    def forward(pred, target, reduction):
        diff = np.subtract(pred, target)
        return _reduce(diff * diff, reduction)

    def grad_pred(g, out, pred, target, reduction):
        n = np.size(raw(pred)) if reduction == "mean" else 1
        return g * (2 / n) * (pred - target)

    def grad_target(g, out, pred, target, reduction):
        n = np.size(raw(pred)) if reduction == "mean" else 1
        return g * (-2 / n) * (pred - target)

    vjps = (grad_pred, grad_target)


class CrossEntropy(Op):
    """out = mean over rows of -log softmax(logits)[label];  d/dlogits = (softmax - onehot) / N

    `labels` are integer class indices (an attribute: they get no gradient).
    """

    name = "cross_entropy"

    def forward(logits, labels):
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=-1))
        return (log_norm - shifted[np.arange(len(labels)), labels]).sum() / len(labels)

    def vjp(g, out, logits, labels):
        rows = np.arange(len(labels))
        if isinstance(logits, Value):  # create_graph: the same formula, kept differentiable
            one_hot = np.zeros(logits.shape, dtype=logits.dtype)
            one_hot[rows, labels] = 1
            return (Softmax.on(logits, attrs=(1,)) - one_hot) * (g / len(labels))
        grad = Softmax.forward(logits, 1)  # a fresh array: finish it in place
        grad[rows, labels] -= 1
        grad *= g / len(labels)
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
        return np.mean(np.maximum(x, 0) - x * targets + np.log1p(np.exp(-np.abs(x))))

    vjps = (lambda g, out, x, t: (Sigmoid.on(x) - t) * (g / np.size(raw(x))),
            lambda g, out, x, t: -x * (g / np.size(raw(x))))


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
