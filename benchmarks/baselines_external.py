"""Baselines from other engines, used when they are importable: micrograd and torch (CPU).

Each loader returns the module, or None when it is not installed; the table then says "n/a".
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any


def optional_import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def micrograd_value_class() -> type | None:
    """micrograd's scalar `Value` (`pip install micrograd`, or the `bench` extra)."""
    engine = optional_import("micrograd.engine")
    return None if engine is None else engine.Value


def load_torch() -> Any:
    """torch, or None. Install it only as `pip install torch==2.13.0` (a local CPU build)."""
    return optional_import("torch")


@contextlib.contextmanager
def torch_threads(torch: Any, count: int) -> Iterator[None]:
    """Run torch on `count` threads inside the block, then restore the previous setting.

    The op-overhead and deep-chain workloads are about per-op cost: one thread, as we use.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
