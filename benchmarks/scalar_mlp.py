"""Workload 1's model: an MLP built from scalar Values, one node per weight.

The same code drives scratchgrad and micrograd: both `Value` classes have `+ * relu backward`,
`.data` and `.grad`, so the two engines record exactly the same graph and any difference in
time is the engine's. Inputs are plain Python floats, as a learner's data would be.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

Point = list[float]


def moons_like(count: int, seed: int = 0) -> tuple[list[Point], list[float]]:
    """`count` 2-d points in [-1.5, 1.5]^2 labelled +1 inside the unit circle and -1 outside."""
    rng = random.Random(seed)
    points = [[rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)] for _ in range(count)]
    labels = [1.0 if x * x + y * y < 1.0 else -1.0 for x, y in points]
    return points, labels


def initial_weights(sizes: Sequence[int], seed: int = 1) -> list[list[list[float]]]:
    """Per layer, per neuron: its weights followed by its bias (0), as floats."""
    rng = random.Random(seed)
    return [[[rng.uniform(-1.0, 1.0) for _ in range(fan_in)] + [0.0] for _ in range(fan_out)]
            for fan_in, fan_out in pairwise(sizes)]


class ScalarMLP:
    """Fully connected layers of scalar neurons, ReLU between layers, a linear last layer.

    `value_class` is the engine's scalar node type; `no_grad` is what it uses for "no gradient
    yet" (None in scratchgrad and PyTorch, 0 in micrograd).
    """

    def __init__(self, value_class: type, weights: list[list[list[float]]],
                 no_grad: Any = None) -> None:
        self.no_grad = no_grad
        # each neuron is (its weights, its bias)
        self.layers = [[([value_class(w) for w in neuron[:-1]], value_class(neuron[-1]))
                        for neuron in layer] for layer in weights]

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for weights, bias in layer for p in (*weights, bias)]

    def __call__(self, x: Sequence[Any]) -> Any:
        last = len(self.layers) - 1
        for depth, layer in enumerate(self.layers):
            # a neuron: bias + sum_i w_i x_i, summed left to right
            x = [sum((w * xi for w, xi in zip(weights, x, strict=True)), bias)
                 for weights, bias in layer]
            if depth != last:
                x = [v.relu() for v in x]
        return x[0]

    def hinge_loss(self, points: list[Point], labels: list[float]) -> Any:
        """mean of max(0, 1 - y * score) over the points (the SVM loss)."""
        losses = [(1 + -y * self(x)).relu() for x, y in zip(points, labels, strict=True)]
        return sum(losses) * (1.0 / len(losses))

    def train_step(self, points: list[Point], labels: list[float], lr: float = 0.05) -> Any:
        """One step of gradient descent on the hinge loss; returns the loss node."""
        params = self.parameters()
        for p in params:
            p.grad = self.no_grad
        loss = self.hinge_loss(points, labels)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        return loss
