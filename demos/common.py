"""What the demos share: command-line options, data preparation, the training loop, figures.

Figures are drawn on `matplotlib.figure.Figure` objects directly (no pyplot, no window), which
render to PNG through matplotlib's Agg backend.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits
from tqdm import tqdm

import nn


def parse_args(description: str, default_epochs: int,
               argv: Sequence[str] | None) -> argparse.Namespace:
    """The options every demo takes: --seed, --epochs, --out."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for the data split and the initial weights (default: 0)")
    parser.add_argument("--epochs", type=positive, default=default_epochs,
                        help=f"passes over the training data (default: {default_epochs})")
    parser.add_argument("--out", type=Path, default=Path("demo-output"),
                        help="folder for the PNG plots (default: demo-output/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run numpy's BLAS on one thread. The demos' matrices are small, so extra threads cost
    more than they save, and on a busy machine they spin waiting for each other (a 1347x32
    product measured 0.3 ms on one thread and 70 ms on two with the cores shared)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def split(n: int, test_fraction: float, rng: np.random.Generator,
          labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a random train/test split; with `labels`, each class is split in proportion
    (so a small class is not missing from the test set)."""
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c)
                                                   for c in np.unique(labels)]
    train, test = [], []
    for group in groups:
        group = rng.permutation(group)
        n_test = round(len(group) * test_fraction)
        test.append(group[:n_test])
        train.append(group[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Shift and scale every feature to mean 0, std 1 using the training rows' statistics only
    (the held-out rows must not leak into training). Constant features are left at 0."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[std == 0] = 1.0
    return [(x - mean) / std for x in (train, *others)]


def fit(model: nn.Module, loss_fn: nn.Module, optimizer: nn.optim.Optimizer, x: np.ndarray,
        y: np.ndarray, epochs: int, rng: np.random.Generator, batch_size: int = 32,
        description: str = "training",
        after_epoch: Callable[[int], dict[str, float]] | None = None) -> list[dict[str, float]]:
    """Mini-batch training with a progress bar. Returns one record per epoch: the mean
    training loss, plus whatever `after_epoch(epoch)` measures (e.g. a validation loss);
    epochs count from 1."""
    history = []
    bar = tqdm(range(epochs), desc=description, unit="epoch", leave=False)
    for epoch in bar:
        order = rng.permutation(len(x))
        total = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        record = {"train_loss": total / len(x)}
        if after_epoch is not None:
            record.update(after_epoch(epoch + 1))
        history.append(record)
        bar.set_postfix({key: f"{value:.4g}" for key, value in record.items()}, refresh=False)
    return history


def fit_loader(model: nn.Module, batch_loss: Callable[..., Any], optimizer: nn.optim.Optimizer,
               loader: Iterable[tuple[np.ndarray, ...]], epochs: int, *, scheduler: Any = None,
               max_grad_norm: float | None = None, description: str = "training",
               after_epoch: Callable[[int], dict[str, float]] | None = None,
               ) -> list[dict[str, float]]:
    """Train for `epochs` passes over `loader` (an `nn.data.DataLoader`), with a progress bar.

    Each batch: zero the gradients, `batch_loss(*batch)` (a scalar Value), backward, then with
    `max_grad_norm` rescale the gradients to at most that total norm
    (`nn.utils.clip_grad_norm_`), then `optimizer.step()`. After each epoch `scheduler.step()`
    sets the next epoch's learning rate. The model is in train mode for the batches and in eval
    mode for `after_epoch(epoch)` (epochs count from 1), which may measure e.g. a validation
    loss. Returns one record per epoch: the mean of its batch losses, the learning rate it ran
    with, whatever `after_epoch` returns, and with clipping the number of steps clipped.
    """
    history = []
    bar = tqdm(range(epochs), desc=description, unit="epoch", leave=False)
    for epoch in bar:
        model.train()
        record = {"lr": optimizer.param_groups[0]["lr"]}
        losses, clipped = [], 0
        for batch in loader:
            optimizer.zero_grad()
            loss = batch_loss(*batch)
            loss.backward()
            if max_grad_norm is not None:
                norm = nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                clipped += int(norm > max_grad_norm)
            optimizer.step()
            losses.append(loss.item())
        record["train_loss"] = float(np.mean(losses))
        if max_grad_norm is not None:
            record["clipped"] = clipped
        if scheduler is not None:
            scheduler.step()
        model.eval()
        if after_epoch is not None:
            record.update(after_epoch(epoch + 1))
        history.append(record)
        bar.set_postfix({key: f"{value:.4g}" for key, value in record.items()}, refresh=False)
    model.eval()
    return history


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """counts[i, j] = how many examples of true class i were predicted as class j."""
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (truth, predicted), 1)
    return counts


def draw_confusion(axes: Any, counts: np.ndarray, title: str) -> None:
    """A confusion matrix as a heat map with its counts written in (zeros left blank)."""
    axes.imshow(counts, cmap="Blues")
    for (row, column), count in np.ndenumerate(counts):
        if count:
            axes.text(column, row, str(count), ha="center", va="center", fontsize=8,
                      color="white" if count > counts.max() / 2 else "black")
    ticks = np.arange(len(counts))
    axes.set_xticks(ticks)
    axes.set_yticks(ticks)
    axes.set(xlabel="predicted class", ylabel="true class", title=title)


def new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def save(figure: Figure, out: Path, name: str) -> Path:
    path = out / name
    figure.savefig(path, dpi=110)
    return path


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]))
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
