"""The lecture's two output heads: a bounded regression head and a softmax classifier."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from nn.layers import Linear, positive_int
from nn.module import Module


class RegressionHead(Module):
    """A linear layer to z, then the sigmoid rescaled to [a, b] = [low, high]:

        y = (b - a) * sigmoid(z) + a,   sigmoid(z) = 1 / (1 + e^-z)

    so every prediction lies in [low, high] ("linear rescaling" of the sigmoid's (0, 1)), up to
    the rounding of the output's dtype (in float32, 0.7 itself is 0.699999988 or 0.70000005).
    The chain rule through it is dy/dz = (b - a) * sigmoid(z) * (1 - sigmoid(z)).

    Shapes: input (N, in_features) -> output (N,) when out_features == 1 (the shape to give
    targets for `MSELoss`, which refuses (N,) against (N, 1)), else (N, out_features).
    Take [low, high] from the range of the training targets (or a known physical range).
    """

    def __init__(self, in_features: int, low: float, high: float, out_features: int = 1,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        low, high = float(low), float(high)
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise ValueError(f"RegressionHead needs finite low < high, got low={low}, "
                             f"high={high}")
        self.low, self.high = low, high
        self.out_features = positive_int(out_features, "out_features")
        # Xavier: z should start O(1), where the sigmoid is neither flat nor saturated.
        self.linear = Linear(in_features, self.out_features, dtype=dtype, init="xavier")

    def forward(self, x: Any) -> ag.Value:
        z = self.linear(x)
        y = (self.high - self.low) * ag.sigmoid(z) + self.low
        if self.out_features == 1:
            y = y.reshape(y.shape[:-1])  # (N, 1) -> (N,)
        return y

    def describe(self) -> str:
        return (f"RegressionHead({self.linear.in_features}→{self.out_features}, "
                f"[{self.low:g}, {self.high:g}])")


class ClassificationHead(Module):
    """A linear layer to one score (logit) per class. `forward` returns the logits z (N, C);

        predict_proba:  p_c = softmax(z)_c = e^(z_c) / sum_j e^(z_j)   (each row sums to 1)
        predict:        y_hat = argmax_c p_c                          (integer classes, (N,))

    argmax is not differentiable (it is piecewise constant: its gradient is 0 almost
    everywhere), so training minimises the cross-entropy of the logits instead,
    L = -1/N sum_n log p_(n, y_n), with `CrossEntropyLoss()(head(x), labels)`.
    """

    def __init__(self, in_features: int, num_classes: int, dtype: Any = np.float64) -> None:
        super().__init__()
        self.num_classes = positive_int(num_classes, "num_classes")
        if self.num_classes < 2:
            raise ValueError(f"ClassificationHead needs at least 2 classes, got {num_classes}")
        self.linear = Linear(in_features, self.num_classes, dtype=dtype, init="xavier")

    def forward(self, x: Any) -> ag.Value:
        return self.linear(x)

    def predict_proba(self, x: Any) -> np.ndarray:
        """Softmax probabilities, shape (N, num_classes), as a numpy array (no graph)."""
        with ag.no_grad():
            return self(x).softmax(axis=-1).numpy()

    def predict(self, x: Any) -> np.ndarray:
        """The most probable class of each row, shape (N,), integers (not differentiable)."""
        return np.argmax(self.predict_proba(x), axis=-1)

    def describe(self) -> str:
        return f"ClassificationHead({self.linear.in_features}→{self.num_classes})"
