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

from collections.abc import Iterator, Mapping
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
    """Iterates over `dataset` in minibatches of `batch_size` samples, as torch's DataLoader
    does: for samples (x, y), each batch is a tuple of numpy arrays (xb, yb).

    - `shuffle`: a new random order of the samples on every `iter()` (every epoch); otherwise
      the samples in order.
    - `drop_last`: leave out the last batch if it is smaller than `batch_size`.
    - `seed`: the shuffles come from the loader's own generator seeded with it, so they repeat
      from run to run; without it, from `nn.init.generator()` (seeded by `nn.manual_seed`).
    - `len(loader)`: the number of batches, ceil(n / batch_size), or floor with `drop_last`.

    `dataset` is a TensorDataset (batched by indexing its arrays at once), or any object with
    `__len__` and a `__getitem__(i)`, of which the samples are combined as torch's default
    collate does (see `collate`): a sample that is an array or a number gives a batch array
    (`np.stack` of the samples), a dict a dict of batch arrays, a list a list of them, a
    tuple a tuple of them (torch gives a list there; both unpack as `for x, y in loader`).
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

    def __iter__(self) -> Iterator[Any]:
        # The order is drawn here, when the epoch starts, not at its first batch.
        n = len(self.dataset)
        if not self.shuffle:
            return self._batches(np.arange(n))
        shuffler = generator() if self._generator is None else self._generator
        return self._batches(shuffler.permutation(n))

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            if isinstance(self.dataset, TensorDataset):
                yield tuple(array[indices] for array in self.dataset.arrays)
            else:
                yield self._collate(indices)

    def _collate(self, indices: np.ndarray) -> Any:
        positions = [int(i) for i in indices]
        return collate([self.dataset[i] for i in positions], positions, "")


def collate(samples: list[Any], positions: list[int], path: str) -> Any:
    """One batch from `samples` (the items dataset[i] for i in `positions`), structured as
    torch's default collate: arrays and numbers are stacked along a new first axis, a dict
    gives a dict of batches (by the first sample's keys), a tuple (or named tuple) a tuple
    of batches, a list a list of batches, strings a list of strings; recursively.

    `path` is the part of a sample being collated, e.g. "['image'][0]", to name it in errors.
    """
    first = samples[0]

    def name(k: int) -> str:
        return f"dataset[{positions[k]}]{path}"

    if isinstance(first, str):
        return list(samples)
    if isinstance(first, Mapping):
        for k, sample in enumerate(samples):
            if not isinstance(sample, Mapping) or sample.keys() != first.keys():
                what = (f"has the keys {list(sample)}" if isinstance(sample, Mapping)
                        else f"is a {type(sample).__name__}")
                raise ValueError(f"DataLoader: {name(k)} {what}, but {name(0)} has the keys "
                                 f"{list(first)}; the samples must have the same keys")
        return {key: collate([sample[key] for sample in samples], positions, f"{path}[{key!r}]")
                for key in first}
    if isinstance(first, (tuple, list)):
        for k, sample in enumerate(samples):
            if not isinstance(sample, (tuple, list)) or len(sample) != len(first):
                count = (f"has {len(sample)} fields" if isinstance(sample, (tuple, list))
                         else f"is a {type(sample).__name__}")
                raise ValueError(f"DataLoader: {name(k)} {count}, but {name(0)} has "
                                 f"{len(first)}")
        fields = [collate([sample[j] for sample in samples], positions, f"{path}[{j}]")
                  for j in range(len(first))]
        if isinstance(first, list):
            return fields
        if hasattr(type(first), "_fields"):  # a named tuple keeps its type, as in torch
            return type(first)(*fields)
        return tuple(fields)
    arrays = [np.asarray(sample) for sample in samples]
    for k, array in enumerate(arrays):
        if array.dtype == object:
            raise TypeError(f"DataLoader: {name(k)} is a {type(samples[k]).__name__}; a sample "
                            f"holds arrays, numbers, strings, tuples, lists or dicts")
        if array.shape != arrays[0].shape:
            raise ValueError(f"DataLoader: {name(k)} has shape {array.shape}, but {name(0)} "
                             f"has shape {arrays[0].shape}; the samples of a batch must have "
                             f"equal shapes to be stacked")
    return np.stack(arrays)
