"""Losses as Modules, with PyTorch's names, arguments and defaults: each is one fused,
numerically stable op in the graph.

Every loss takes `reduction`: "mean" (the default) averages the loss of every element (or of
every label), "sum" adds them, "none" returns them unreduced, in the input's shape (the labels'
shape for the class losses). N in the formulas below is that count for "mean"; "sum" and "none"
drop the 1/N. The arguments are keyword-only, as torch's first positional arguments are
others (`weight`, the deprecated `size_average`); HuberLoss takes `(reduction, delta)` as torch
does. Bad arguments raise a ValueError when the loss is made, not on its first call.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import autograd as ag
from nn.module import Module

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: Any) -> str:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def real_number(value: Any, what: str) -> float:
    """`value` as a float, or a ValueError naming `what` (bools are refused, not 0 or 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {value!r}")
    return float(value)


class _Loss(Module):
    """A loss: its `reduction`, checked once here."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction)


class MSELoss(_Loss):
    """Mean squared error between predictions y_hat and targets y:

        L = 1/N * sum_i (y_hat_i - y_i)^2,   dL/dy_hat_i = 2/N * (y_hat_i - y_i) = -dL/dy_i

    N is the number of elements. The two shapes must be equal: (N,) against (N, 1) would
    broadcast to an N x N matrix and a silently wrong loss, so it raises a ValueError naming
    both shapes.
    """

    def forward(self, prediction: Any, target: Any) -> ag.Value:
        return ag.mse_loss(prediction, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error between predictions y_hat and targets y (of one shape):

        L = 1/N * sum_i |y_hat_i - y_i|,   dL/dy_hat_i = sign(y_hat_i - y_i) / N = -dL/dy_i

    The sign is 0 where y_hat_i == y_i, as in torch. Less swayed by outliers than MSELoss: each
    element pulls with the same strength 1/N however far off it is.
    """

    def forward(self, prediction: Any, target: Any) -> ag.Value:
        return ag.l1_loss(prediction, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss of d = y_hat - y (predictions and targets of one shape): quadratic near 0,
    linear beyond `delta`, so outliers pull like L1Loss and small errors like MSELoss:

        l_i = d_i^2 / 2                   if |d_i| < delta
            = delta * (|d_i| - delta / 2)  otherwise
        L = 1/N * sum_i l_i,   dL/dy_hat_i = clip(d_i, -delta, delta) / N = -dL/dy_i

    `delta` is a positive number (torch's default 1.0); the slope is continuous at |d| = delta.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        delta = real_number(delta, "HuberLoss: delta")
        if not 0 < delta < math.inf:
            raise ValueError(f"HuberLoss: delta must be positive and finite, got {delta!r}")
        self.delta = delta

    def forward(self, prediction: Any, target: Any) -> ag.Value:
        return ag.huber_loss(prediction, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits z (N, C) against integer class labels y (N,):

        L = -1/N * sum_n log softmax(z_n)_(y_n) = 1/N * sum_n (log sum_j e^(z_nj) - z_(n, y_n))
        dL/dz_n = (softmax(z_n) - onehot(y_n)) / N

    With label_smoothing s in [0, 1] the target is q_n = (1 - s) onehot(y_n) + s / C instead
    of the one-hot label: L = -1/N sum_n sum_c q_nc log softmax(z_n)_c, and dL/dz_n =
    (softmax(z_n) - q_n) / N. Logits (N, C, d1, ...) take labels (N, d1, ...), the class axis
    being 1, as in torch. Computed from the logits with the maximum subtracted first, so it
    never overflows; give it the logits, not probabilities. Labels out of range, negative,
    non-integer or of the wrong shape raise a ValueError naming the bad label (torch's
    `weight` and `ignore_index` are not supported: the op has neither).
    """

    def __init__(self, *, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction=reduction)
        label_smoothing = real_number(label_smoothing, "CrossEntropyLoss: label_smoothing")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must lie in [0, 1], got "
                             f"{label_smoothing!r}")
        self.label_smoothing = label_smoothing

    def forward(self, logits: Any, labels: Any) -> ag.Value:
        return ag.cross_entropy(logits, labels, reduction=self.reduction,
                                label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities a (N, C) at integer class labels y (N,):

        L = -1/N * sum_n a_(n, y_n),   dL/da_n = -onehot(y_n) / N

    Give it log-probabilities, e.g. `log_softmax(z, axis=1)`; NLLLoss after log_softmax is
    CrossEntropyLoss, which does both in one op. Scores (N, C, d1, ...) take labels
    (N, d1, ...), as in torch; bad labels raise a ValueError naming them (torch's `weight` and
    `ignore_index` are not supported: the op has neither).
    """

    def forward(self, log_probs: Any, labels: Any) -> ag.Value:
        return ag.nll_loss(log_probs, labels, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities p against targets t, both in [0, 1], of one shape:

        L = -1/N * sum_i (t_i log p_i + (1 - t_i) log(1 - p_i))
        dL/dp_i = (p_i - t_i) / (p_i (1 - p_i) N),   dL/dt_i = (log(1 - p_i) - log p_i) / N

    As in torch each log is clamped at -100, so p = 0 or 1 gives a finite loss. Probabilities
    that come from a sigmoid lose digits near 0 and 1: give the logits to BCEWithLogitsLoss
    instead. Probabilities or targets outside [0, 1] raise a ValueError (torch's `weight` is
    not supported: the op has none).
    """

    def forward(self, probs: Any, targets: Any) -> ag.Value:
        return ag.binary_cross_entropy(probs, targets, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(x) against targets t in [0, 1], from the logits x:

        L = 1/N * sum_i (softplus(x_i) - t_i x_i)
          = -1/N * sum_i (t_i log sigmoid(x_i) + (1 - t_i) log(1 - sigmoid(x_i)))
        dL/dx_i = (sigmoid(x_i) - t_i) / N,   dL/dt_i = -x_i / N

    softplus(x) = log(1 + e^x) is computed as max(x, 0) + log(1 + e^-|x|), which never
    overflows, so this is exact where sigmoid(x) would round to 0 or 1.

    `pos_weight` w (an array that broadcasts to the targets, e.g. one per class; a buffer, as
    in torch, so it is in `state_dict`) weighs the positive term, to make up for rare
    positives: l_i = -(w t_i log sigmoid(x_i) + (1 - t_i) log(1 - sigmoid(x_i))), and
    dl/dx_i = (1 + (w - 1) t_i) sigmoid(x_i) - w t_i. It gets no gradient. (torch's `weight`
    is not supported: the op has none.)
    """

    def __init__(self, *, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction=reduction)
        if pos_weight is not None:
            data = pos_weight.data if isinstance(pos_weight, ag.Value) else pos_weight
            pos_weight = np.array(data)
            if pos_weight.dtype.kind not in "biuf":
                raise ValueError(f"BCEWithLogitsLoss: pos_weight must be numbers, got dtype "
                                 f"{pos_weight.dtype}")
            if pos_weight.dtype.kind != "f":
                pos_weight = pos_weight.astype(np.float64)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, logits: Any, targets: Any) -> ag.Value:
        return ag.binary_cross_entropy_with_logits(logits, targets, reduction=self.reduction,
                                                   pos_weight=self.pos_weight)
