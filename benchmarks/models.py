"""Workloads 9 to 11: one training step of a small model, ours against torch and numpy by hand.

A step is a forward, a backward and an SGD update, from zeroed gradients, on one fixed float32
batch. Ours is written with the public `nn` API as a user would write it (`nn.Conv2d`,
`nn.GRU`, `nn.CrossEntropyLoss`, `nn.optim.SGD`, ...); torch's is the same model with our
weights loaded through `load_state_dict`; the numpy step is `benchmarks.baselines_models`,
started from the same weights. Before anything is timed, both baselines' losses and
gradients must equal ours (float32 rounding), else BaselineMismatchError.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from benchmarks.baselines_external import load_torch
from benchmarks.baselines_models import NumpyCNN, NumpyGRU, NumpyMakemore
from benchmarks.mlp import BaselineMismatchError, assert_close

LEARNING_RATE = 0.01
VOCABULARY = 27  # makemore's characters: a-z and the end-of-name mark


class Steps(NamedTuple):
    """One training step of each side; torch's is None when torch is not installed."""

    ours: Callable[[], Any]
    torch: Callable[[], Any] | None
    numpy: Callable[[], Any]


class Batch(NamedTuple):
    inputs: np.ndarray  # float32 images, or integer character indices
    labels: np.ndarray


# -- the three models, as a user writes them ---------------------------------------------------
# `nn` is our package or torch.nn; `dtype` is given to ours only (torch's default is float32).
def cnn(nn: Any, size: int, **dtype: Any) -> Any:
    """The issue's CNN on (N, 1, size, size) images (size 28: 16 x 5 x 5 = 400 features)."""
    pooled = ((size - 2) // 2 - 2) // 2
    return nn.Sequential(nn.Conv2d(1, 8, 3, **dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, **dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * pooled * pooled, 10, **dtype))


def makemore(nn: Any, context: int, **dtype: Any) -> Any:
    """Bengio et al.'s MLP: the previous `context` characters' embeddings, a tanh layer."""
    return nn.Sequential(nn.Embedding(VOCABULARY, 10, **dtype), nn.Flatten(),
                         nn.Linear(10 * context, 200, **dtype), nn.Tanh(),
                         nn.Linear(200, VOCABULARY, **dtype))


def char_gru(nn: Any, hidden: int, **dtype: Any) -> Any:
    """Embedding(27, 16), GRU(16, hidden, batch_first=True) and a Linear head at every step:
    logits (N, T, 27)."""

    class CharGRU(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(VOCABULARY, 16, **dtype)
            self.gru = nn.GRU(16, hidden, batch_first=True, **dtype)
            self.head = nn.Linear(hidden, VOCABULARY, **dtype)

        def forward(self, indices: Any) -> Any:
            output, _ = self.gru(self.emb(indices))
            return self.head(output)

    return CharGRU()


def images(tiny: bool) -> Batch:
    rng = np.random.default_rng(0)
    batch, size = (2, 12) if tiny else (64, 28)
    return Batch(rng.standard_normal((batch, 1, size, size), dtype=np.float32),
                 rng.integers(0, 10, batch))


def contexts(tiny: bool) -> Batch:
    rng = np.random.default_rng(0)
    batch = 8 if tiny else 256
    return Batch(rng.integers(0, VOCABULARY, (batch, 3)), rng.integers(0, VOCABULARY, batch))


def sequences(tiny: bool) -> Batch:
    rng = np.random.default_rng(0)
    shape = (2, 3) if tiny else (32, 16)
    return Batch(rng.integers(0, VOCABULARY, shape), rng.integers(0, VOCABULARY, shape))


# -- the steps ---------------------------------------------------------------------------------
class Trainer(NamedTuple):
    """A model with its loss and optimizer, of either library (they share these names)."""

    model: Any
    loss_fn: Any
    optimizer: Any
    flat_logits: bool  # the loss takes (N T, C) logits and (N T,) labels: the GRU's

    def loss(self, batch: Batch) -> Any:
        logits = self.model(batch.inputs)
        if self.flat_logits:
            return self.loss_fn(logits.reshape(-1, VOCABULARY), batch.labels.reshape(-1))
        return self.loss_fn(logits, batch.labels)

    def step(self, batch: Batch) -> Any:
        self.optimizer.zero_grad()
        loss = self.loss(batch)
        loss.backward()
        self.optimizer.step()
        return loss

    def gradients(self, batch: Batch) -> tuple[float, list[np.ndarray]]:
        """The loss and every parameter's gradient on the batch, leaving zeroed gradients."""
        self.optimizer.zero_grad()
        loss = self.loss(batch)
        loss.backward()
        grads = [np.array(p.grad.detach().numpy() if hasattr(p.grad, "detach") else p.grad)
                 for p in self.model.parameters()]  # torch's tensors, or our arrays
        self.optimizer.zero_grad()
        return float(loss.item()), grads


def ours_trainer(make: Callable[[Any], Any], flat_logits: bool) -> Trainer:
    import nn  # here: `python -m benchmarks` imports this module for every workload

    nn.manual_seed(0)
    model = make(nn, dtype=np.float32)
    return Trainer(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(),
                                                              lr=LEARNING_RATE), flat_logits)


def torch_trainer(torch: Any, make: Callable[[Any], Any], ours: Trainer) -> Trainer:
    """torch's model, with our weights (C-contiguous copies: nn.Linear's are column-major)."""
    model = make(torch.nn)
    model.load_state_dict({name: torch.from_numpy(np.ascontiguousarray(array))
                           for name, array in ours.model.state_dict().items()})
    return Trainer(model, torch.nn.CrossEntropyLoss(),
                   torch.optim.SGD(model.parameters(), lr=LEARNING_RATE), ours.flat_logits)


def check_same(what: str, baseline: str, expected: tuple[float, list[np.ndarray]],
               got: tuple[float, list[np.ndarray]], names: list[str]) -> None:
    """Raise BaselineMismatchError unless the loss and every gradient agree (float32)."""
    (loss, grads), (their_loss, their_grads) = expected, got
    if not np.isclose(their_loss, loss, rtol=1e-4, atol=1e-6):
        raise BaselineMismatchError(f"{what}: {baseline}'s loss is {their_loss}, ours {loss}")
    for name, mine, theirs in zip(names, grads, their_grads, strict=True):
        assert_close(f"{what}: {baseline}'s gradient of {name}", mine, theirs)


def model_steps(what: str, make: Callable[[Any], Any], batch: Batch, by_hand: type,
                flat_logits: bool = False) -> Steps:
    """Our step, torch's and numpy's on the batch, each baseline checked against ours."""
    ours = ours_trainer(make, flat_logits)
    names = [name for name, _ in ours.model.named_parameters()]
    numpy_model = by_hand([np.array(p.data, order="C") for p in ours.model.parameters()])
    expected = ours.gradients(batch)
    check_same(what, "numpy", expected, numpy_model.loss_and_grads(*batch), names)
    theirs = None
    torch = load_torch()
    if torch is not None:
        trainer = torch_trainer(torch, make, ours)
        torch_batch = Batch(*(torch.from_numpy(a) for a in batch))
        torch_grads = trainer.gradients(torch_batch)
        check_same(what, "torch", expected, torch_grads, names)
        theirs = lambda: trainer.step(torch_batch)  # noqa: E731
    return Steps(lambda: ours.step(batch), theirs,
                 lambda: numpy_model.train_step(*batch, LEARNING_RATE))


def build_cnn(tiny: bool) -> Steps:
    batch = images(tiny)
    return model_steps("CNN", partial(cnn, size=batch.inputs.shape[-1]), batch, NumpyCNN)


def build_makemore(tiny: bool) -> Steps:
    return model_steps("makemore MLP", partial(makemore, context=3), contexts(tiny),
                       NumpyMakemore)


def build_gru(tiny: bool) -> Steps:
    return model_steps("GRU", partial(char_gru, hidden=8 if tiny else 64), sequences(tiny),
                       NumpyGRU, flat_logits=True)
