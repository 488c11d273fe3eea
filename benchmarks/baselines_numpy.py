"""The numpy baseline: an MLP's forward, backward and SGD step written out by hand.

This is the code a careful numpy programmer writes for one model: weights stored as
(in, out) so that a layer is `x @ W + b`, the fused softmax-cross-entropy gradient, in-place
updates. It is what "as fast as numpy allows" means in workloads 2, 3 and 6.
"""

from __future__ import annotations

import numpy as np


class NumpyMLP:
    """Linear layers with ReLU between them and cross-entropy on the logits.

    `layers` is a list of (W, b) with W of shape (in, out); the arrays are updated in place.
    """

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.layers = layers

    def loss_and_grads(self, x: np.ndarray, labels: np.ndarray,
                       ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """The mean cross-entropy and, per layer, (dL/dW, dL/db)."""
        inputs = []  # what each layer saw: needed for dL/dW
        h = x
        for i, (w, b) in enumerate(self.layers):
            inputs.append(h)
            h = h @ w
            h += b
            if i < len(self.layers) - 1:
                np.maximum(h, 0, out=h)

        # loss = mean(logsumexp(z) - z[label]);  dL/dz = (softmax(z) - onehot) / n
        n = len(labels)
        rows = np.arange(n)
        h -= h.max(axis=1, keepdims=True)
        probs = np.exp(h)
        total = probs.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - h[rows, labels]))
        probs /= total
        probs[rows, labels] -= 1
        probs /= n

        grads = []
        g = probs
        for i in reversed(range(len(self.layers))):
            w, _ = self.layers[i]
            grads.append((inputs[i].T @ g, g.sum(axis=0)))
            if i > 0:
                g = g @ w.T
                g *= inputs[i] > 0  # ReLU's derivative, from the ReLU's output
        grads.reverse()
        return loss, grads

    def sgd(self, grads: list[tuple[np.ndarray, np.ndarray]], lr: float) -> None:
        for (w, b), (dw, db) in zip(self.layers, grads, strict=True):
            w -= lr * dw
            b -= lr * db

    def train_step(self, x: np.ndarray, labels: np.ndarray, lr: float) -> float:
        loss, grads = self.loss_and_grads(x, labels)
        self.sgd(grads, lr)
        return loss
