"""Workloads 2, 3 and 6: a float32 ReLU MLP trained with cross-entropy and SGD, twice.

Ours is built from `nn.Linear`, `nn.ReLU`, `nn.Sequential`, `nn.CrossEntropyLoss` and
`nn.optim.SGD`, as a user would; the baseline is `NumpyMLP` started from the same weights.
`check_numpy_baseline` makes sure both compute the same gradients before anything is timed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from benchmarks.baselines_numpy import NumpyMLP

LEARNING_RATE = 0.01
LARGE = ((784, 512, 512, 10), 256)  # workload 3's (layer sizes, batch), also workload 6's
LARGE_TINY = ((16, 32, 32, 4), 8)  # the same for the smoke test


class BaselineMismatchError(AssertionError):
    """A baseline computes something other than we do: its timings would compare nothing."""


def make_batch(sizes: Sequence[int], batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal float32 inputs (batch, sizes[0]) and integer labels in [0, sizes[-1])."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    return x, rng.integers(0, sizes[-1], size=batch)


class OursMLP:
    """The model, its loss and its optimizer from `nn`; `linears` lists the Linear layers."""

    def __init__(self, sizes: Sequence[int]) -> None:
        import nn  # here, so that numpy-only runs (workload 6's baseline) never load it

        self.linears = [nn.Linear(fan_in, fan_out, dtype=np.float32)
                        for fan_in, fan_out in pairwise(sizes)]
        layers = []
        for linear in self.linears:
            layers += [linear, nn.ReLU()]
        self.model = nn.Sequential(*layers[:-1])  # no ReLU after the last layer
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)

    def train_step(self, x: np.ndarray, labels: np.ndarray) -> object:
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), labels)
        loss.backward()
        self.optimizer.step()
        return loss

    def numpy_twin(self) -> NumpyMLP:
        """The numpy baseline with a copy of our current weights, in its (in, out) layout."""
        return NumpyMLP([(linear.weight.data.T.copy(order="C"), linear.bias.data.copy())
                         for linear in self.linears])


def check_numpy_baseline(ours: OursMLP, baseline: NumpyMLP, x: np.ndarray,
                         labels: np.ndarray) -> None:
    """Raise BaselineMismatchError unless both compute the same loss and gradients (float32
    tolerances) on this batch. Leaves our gradients cleared and changes no weight."""
    ours.optimizer.zero_grad()
    loss = ours.loss_fn(ours.model(x), labels)
    loss.backward()
    expected_loss, grads = baseline.loss_and_grads(x, labels)
    if not np.isclose(float(loss.item()), expected_loss, rtol=1e-4, atol=1e-6):
        raise BaselineMismatchError(f"numpy baseline loss {expected_loss} != ours {loss.item()}")
    for i, (linear, (dw, db)) in enumerate(zip(ours.linears, grads, strict=True)):
        assert_close(f"layer {i} weight gradient", linear.weight.grad, dw.T)
        assert_close(f"layer {i} bias gradient", linear.bias.grad, db)
    ours.optimizer.zero_grad()


def assert_close(what: str, ours: object, baseline: object) -> None:
    """Equal up to float32 rounding, relative to the largest entry (sums ran in other orders)."""
    ours, baseline = np.asarray(ours, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    if ours.shape != baseline.shape:
        raise BaselineMismatchError(f"{what}: ours has shape {ours.shape}, the baseline's "
                               f"{baseline.shape}")
    scale = max(float(np.max(np.abs(baseline), initial=0.0)), 1e-12)
    error = float(np.max(np.abs(ours - baseline), initial=0.0))
    if error > 1e-4 * scale:
        raise BaselineMismatchError(f"{what}: ours and the baseline differ by up to {error:.3g} "
                               f"(largest entry {scale:.3g})")


def setup(sizes: Sequence[int], batch: int) -> tuple[Callable[[], object], Callable[[], object]]:
    """Our train step and the checked numpy baseline's, on one fixed batch."""
    x, labels = make_batch(sizes, batch)
    ours = OursMLP(sizes)
    baseline = ours.numpy_twin()
    check_numpy_baseline(ours, baseline, x, labels)
    return (lambda: ours.train_step(x, labels),
            lambda: baseline.train_step(x, labels, LEARNING_RATE))
