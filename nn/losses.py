"""Losses as Modules (each is one fused, numerically stable op in the graph)."""

from __future__ import annotations

from typing import Any

import autograd as ag
from nn.module import Module

REDUCTIONS = ("mean", "sum", "none")


class MSELoss(Module):
    """Mean squared error between predictions y_hat and targets y:

        L = 1/N * sum_i (y_hat_i - y_i)^2,   dL/dy_hat_i = 2/N * (y_hat_i - y_i)

    N is the number of elements. reduction="sum" drops the 1/N; "none" returns the squared
    errors themselves. The two shapes must be equal: (N,) against (N, 1) would broadcast to
    an N x N matrix and a silently wrong loss, so it raises a ValueError naming both shapes.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def forward(self, prediction: Any, target: Any) -> ag.Value:
        return ag.mse_loss(prediction, target, reduction=self.reduction)


class CrossEntropyLoss(Module):
    """Cross-entropy of logits z (N, C) against integer class labels y (N,):

        L = -1/N * sum_n log softmax(z_n)_(y_n) = 1/N * sum_n (log sum_j e^(z_nj) - z_(n, y_n))
        dL/dz_n = (softmax(z_n) - onehot(y_n)) / N

    Computed from the logits with the maximum subtracted first, so it never overflows; give it
    the logits, not probabilities. Labels out of range, negative, non-integer or of the wrong
    count raise a ValueError naming the bad label.
    """

    def forward(self, logits: Any, labels: Any) -> ag.Value:
        return ag.cross_entropy(logits, labels)
