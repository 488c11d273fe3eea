"""More losses, each ONE op with PyTorch's semantics: l1_loss, huber_loss, nll_loss and
binary_cross_entropy (mse_loss, cross_entropy and the logits form of the binary
cross-entropy are in fused_ops.py).

Each takes reduction="mean" (the default), "sum" or "none" (the loss of every element, or of
every label). n in the derivatives below is the number of elements (or labels) for "mean",
1 for "sum" and "none". The elementwise losses need pred and target of one shape: (N,)
against (N, 1) would broadcast to N x N and give a silently wrong loss.
"""

# An op class is never instantiated: its forward and vjps are plain functions of data.
# ruff: noqa: N805

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.functional import class_labels, in_unit_interval, same_shapes
from autograd.fused_ops import (
    along_classes,
    check_reduction,
    label_positions,
    mean_count,
    reduce_loss,
)
from autograd.ops import Log, Op, sign
from autograd.value import Value, apply, constant, raw

LOG_FLOOR = -100.0  # binary_cross_entropy's logs are clamped here, as torch does
GRAD_EPS = 1e-12  # ... and its gradient divides by max(p (1 - p), GRAD_EPS), as torch's does


class L1Loss(Op):
    """out = mean(|pred - target|);  d/dpred = sign(pred - target) / n,  d/dtarget = -d/dpred

    The sign is 0 where pred == target, as in torch, so the second derivative is 0.
    """

    name = "l1_loss"

    def forward(pred, target, reduction):
        return reduce_loss(np.abs(np.subtract(pred, target)), reduction)

    def grad_pred(g, out, pred, target, reduction):
        return g * (1 / mean_count(pred, reduction)) * sign(pred - target)

    def grad_target(g, out, pred, target, reduction):
        return g * (-1 / mean_count(pred, reduction)) * sign(pred - target)

    vjps = (grad_pred, grad_target)


def clip_within(d: Any, delta: float) -> Any:
    """clip(d, -delta, delta). On a Value: d times the constant mask |d| < delta, plus the
    constant +-delta outside, so its derivative is 1 inside and 0 outside (torch's too)."""
    if not isinstance(d, Value):
        return np.clip(d, -delta, delta)
    data = raw(d)
    inside = np.abs(data) < delta
    edge = np.where(inside, 0, np.clip(data, -delta, delta))
    return d * inside.astype(d.dtype) + edge.astype(d.dtype)


class HuberLoss(Op):
    """out = mean(d**2/2 if |d| < delta else delta (|d| - delta/2));  d/dpred = clip(d, +-delta)

    d = pred - target: quadratic near 0, linear (slope delta) beyond delta, the slope
    continuous; over n, d/dpred = clip(d, -delta, delta) and d/dtarget = -d/dpred. The
    second derivative is 1 where |d| < delta, else 0 (as torch's).
    """

    name = "huber_loss"

    def forward(pred, target, reduction, delta):
        size = np.abs(np.subtract(pred, target))
        losses = np.where(size < delta, 0.5 * size * size, delta * (size - 0.5 * delta))
        return reduce_loss(losses, reduction)

    def grad_pred(g, out, pred, target, reduction, delta):
        return g * (1 / mean_count(pred, reduction)) * clip_within(pred - target, delta)

    def grad_target(g, out, pred, target, reduction, delta):
        return g * (-1 / mean_count(pred, reduction)) * clip_within(pred - target, delta)

    vjps = (grad_pred, grad_target)


class NLLLoss(Op):
    """out = mean over labels of -log_probs[label];  d/dlog_probs = -onehot(label) / N

    `labels` are integer class indices (an attribute: they get no gradient): (N,) for
    log_probs (N, C), or (N, d1, ...) for (N, C, d1, ...), the class axis being 1.
    """

    name = "nll_loss"

    def forward(log_probs, labels, reduction):
        return reduce_loss(-log_probs[label_positions(labels)], reduction)

    def vjp(g, out, log_probs, labels, reduction):
        scale = g / mean_count(labels, reduction)
        if isinstance(log_probs, Value):  # create_graph: -onehot * scale, differentiable in g
            one_hot = np.zeros(log_probs.shape, dtype=log_probs.dtype)
            one_hot[label_positions(labels)] = 1
            return -one_hot * along_classes(scale)
        grad = np.zeros_like(log_probs)
        grad[label_positions(labels)] = -scale
        return grad

    vjps = (vjp,)


def clamped_logs(p: Any) -> tuple[np.ndarray, np.ndarray]:
    """log(p) and log(1 - p), each clamped at LOG_FLOOR as torch clamps them: finite, and no
    warning at p = 0 or 1."""
    p = np.asarray(p)
    log_p = np.full_like(p, LOG_FLOOR)
    np.log(p, out=log_p, where=p > 0)
    log_q = np.full_like(p, LOG_FLOOR)
    np.log1p(-p, out=log_q, where=p < 1)
    return np.maximum(log_p, LOG_FLOOR), np.maximum(log_q, LOG_FLOOR)


def clamped_log(x: Value) -> Value:
    """max(log(x), LOG_FLOOR) of a Value, differentiable: log(x) where it is above the floor
    (a constant mask m), the constant floor elsewhere, and never log(0)."""
    m = np.asarray(raw(x) > math.exp(LOG_FLOOR), dtype=x.dtype)
    return Log.on(x * m + (1 - m)) * m + LOG_FLOOR * (1 - m)


def at_least(x: Any, floor: float) -> Any:
    """max(x, floor); on a Value differentiable where x > floor (a constant mask), else the
    constant floor."""
    if not isinstance(x, Value):
        return np.maximum(x, floor)
    m = np.asarray(raw(x) > floor, dtype=x.dtype)
    return x * m + floor * (1 - m)


class BCELoss(Op):
    """out = mean(-t log p - (1-t) log(1-p));  d/dp = (p-t) / (p (1-p)),  d/dt = log(1-p) - log p

    p are probabilities, t targets (both in [0, 1]); both derivatives are over n. As in
    torch, each log is clamped at -100, so p = 0 or 1 gives a finite loss, and d/dp divides by
    max(p (1 - p), 1e-12). d/dt is the derivative of the clamped forward,
    max(log(1 - p), -100) - max(log(p), -100): finite at p = 0 or 1, where torch's is inf.
    """

    name = "binary_cross_entropy"

    def forward(probs, targets, reduction):
        log_p, log_q = clamped_logs(probs)
        return reduce_loss(-(targets * log_p + (1 - targets) * log_q), reduction)

    def grad_probs(g, out, p, t, reduction):
        return g * (1 / mean_count(p, reduction)) * (p - t) / at_least(p * (1 - p), GRAD_EPS)

    def grad_targets(g, out, p, t, reduction):
        if isinstance(p, Value):
            log_odds = clamped_log(1 - p) - clamped_log(p)
        else:
            log_p, log_q = clamped_logs(p)
            log_odds = log_q - log_p
        return g * (1 / mean_count(p, reduction)) * log_odds

    vjps = (grad_probs, grad_targets)


# -- the functions: check the arguments, record the op ---------------------------------------
def l1_loss(pred: Any, target: Any, *, reduction: str = "mean") -> Value:
    """Mean absolute error, L = 1/N sum |pred - target|; pred and target of one shape."""
    pred, target = same_shapes("l1_loss", pred, target)
    check_reduction("l1_loss", reduction)
    return apply(L1Loss, pred, target, attrs=(reduction,))


def huber_loss(pred: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Value:
    """Huber loss of d = pred - target: d**2 / 2 for |d| < delta, delta (|d| - delta / 2)
    beyond; pred and target of one shape, delta a positive number (torch's argument order)."""
    pred, target = same_shapes("huber_loss", pred, target)
    check_reduction("huber_loss", reduction)
    if not isinstance(delta, numbers.Real) or isinstance(delta, bool):
        raise TypeError(f"huber_loss: delta must be a number, got {delta!r}")
    if not 0 < delta < math.inf:
        raise ValueError(f"huber_loss: delta must be positive and finite, got {delta!r}")
    return apply(HuberLoss, pred, target, attrs=(reduction, float(delta)))


def nll_loss(log_probs: Any, labels: Any, *, reduction: str = "mean") -> Value:
    """-log_probs[label], averaged over the labels: log_probs (N, C) with labels (N,), or
    (N, C, d1, ...) with labels (N, d1, ...), labels being integer class indices. Give it
    log-probabilities, such as log_softmax's (cross_entropy does both in one op)."""
    log_probs = constant(log_probs)
    if log_probs.ndim < 2:
        raise ValueError(f"nll_loss: log_probs must have shape (N, C) or (N, C, d1, ...), "
                         f"got {log_probs.shape}")
    check_reduction("nll_loss", reduction)
    shape = log_probs.shape
    labels = class_labels(labels, (shape[0], *shape[2:]), shape[1], function="nll_loss")
    return apply(NLLLoss, log_probs, attrs=(labels, reduction))


def binary_cross_entropy(probs: Any, targets: Any, *, reduction: str = "mean") -> Value:
    """Binary cross-entropy -(t log(p) + (1 - t) log(1 - p)) of probabilities p against
    targets t, both in [0, 1] and of one shape; each log is clamped at -100, as in torch.
    From logits, binary_cross_entropy_with_logits is exact where p would round to 0 or 1."""
    probs, targets = same_shapes("binary_cross_entropy", probs, targets, ("probs", "targets"))
    check_reduction("binary_cross_entropy", reduction)
    for name, x in (("probs", probs), ("targets", targets)):
        if not in_unit_interval(x):
            raise ValueError(f"binary_cross_entropy: {name} must lie in [0, 1]")
    return apply(BCELoss, probs, targets, attrs=(reduction,))


OPS: tuple[type[Op], ...] = (L1Loss, HuberLoss, NLLLoss, BCELoss)  # the README table's order
ELEMENTWISE: dict[str, type[Op]] = {}  # x.NAME() and ag.NAME(x), no arguments
METHODS: dict[str, Callable[..., Value]] = {}  # x.NAME(...) and ag.NAME(x, ...)
FUNCTION_ONLY: dict[str, Callable[..., Value]] = {  # ag.NAME(...) only
    "l1_loss": l1_loss, "huber_loss": huber_loss, "nll_loss": nll_loss,
    "binary_cross_entropy": binary_cross_entropy,
}
