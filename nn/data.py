"""Minibatches: `TensorDataset` (arrays that share a first axis) and `DataLoader`.

    loader = nn.data.DataLoader(nn.data.TensorDataset(x, y), batch_size=32, shuffle=True,
                                seed=0)
    for epoch in range(10):
        for xb, yb in loader:      # numpy arrays: xb = x[idx], yb = y[idx]
            ...

As in torch, a shuffling loader draws a new order of the samples every time it is iterated
(once per epoch). With `seed`, the loader has its own generator, so two loaders made with the
same seed give the same sequence of epochs; without it, the orders come from the generator
that `nn.manual_seed` reseeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import autograd as ag
from nn.init import generator
from nn.layers import positive_int


class TensorDataset:
    """Samples made of one row of each array: `dataset[i] == (a[i], b[i], ...)`.

    The arrays (numpy arrays, lists, or Values, of which the data is taken) must have the same
    length along their first axis, the number of samples. A DataLoader batches a
    TensorDataset by indexing each array with the batch's indices at once.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(np.asarray(a.data if isinstance(a, ag.Value) else a)
                            for a in arrays)
        for position, array in enumerate(self.arrays):
            if array.ndim == 0:
                raise ValueError(f"TensorDataset: array {position} is a scalar; every array "
                                 f"needs a first axis of samples")
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) > 1:
            raise ValueError(f"TensorDataset: the arrays have lengths {lengths} along their "
                             f"first axis; they must be equal (one row per sample)")

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(array[index] for array in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])


class DataLoader:
    """Iterates over `dataset` in minibatches of `batch_size` samples, each a tuple of numpy
    arrays (one per field of the samples), as torch's DataLoader does.

    - `shuffle`: a new random order of the samples on every `iter()` (every epoch); otherwise
      the samples in order.
    - `drop_last`: leave out the last batch if it is smaller than `batch_size`.
    - `seed`: the shuffles come from the loader's own generator seeded with it, so they repeat
      from run to run; without it, from `nn.init.generator()` (seeded by `nn.manual_seed`).
    - `len(loader)`: the number of batches, ceil(n / batch_size), or floor with `drop_last`.

    `dataset` is a TensorDataset, or any object with `__len__` and a `__getitem__(i)` that
    returns a tuple of array-likes: then each field of the batch is `np.stack` of that field
    of its samples.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader needs a dataset with __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = positive_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise TypeError(f"DataLoader seed must be a non-negative integer or None, got "
                            f"{seed!r}")
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        # The order is drawn here, when the epoch starts, not at its first batch.
        n = len(self.dataset)
        if not self.shuffle:
            return self._batches(np.arange(n))
        shuffler = generator() if self._generator is None else self._generator
        return self._batches(shuffler.permutation(n))

    def _batches(self, order: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            if isinstance(self.dataset, TensorDataset):
                yield tuple(array[indices] for array in self.dataset.arrays)
            else:
                yield self._collate(indices)

    def _collate(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        samples = []
        for i in indices:
            sample = self.dataset[int(i)]
            if not isinstance(sample, tuple):
                raise TypeError(f"DataLoader: dataset[{i}] is a {type(sample).__name__}; "
                                f"its __getitem__ must return a tuple of fields, e.g. (x, y)")
            if samples and len(sample) != len(samples[0]):
                raise ValueError(f"DataLoader: dataset[{i}] has {len(sample)} fields, but "
                                 f"dataset[{indices[0]}] has {len(samples[0])}")
            samples.append(sample)
        fields = []
        for k, field in enumerate(zip(*samples, strict=True)):
            shapes = {np.shape(x) for x in field}
            if len(shapes) > 1:
                raise ValueError(f"DataLoader: field {k} of the samples has different shapes "
                                 f"{sorted(shapes)} in one batch; they must be equal to stack")
            fields.append(np.stack([np.asarray(x) for x in field]))
        return tuple(fields)
