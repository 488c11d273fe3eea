"""How drawings and explanations print numbers: short, and the same everywhere.

A scalar is its value to 4 significant digits. A tensor is too big to print, so it shows what
a learner checks first: its shape (as numpy prints it), its dtype, and min / mean / max.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def format_number(x: float) -> str:
    """A number to 4 significant digits: 0.3333, -12.5, 1.235e+05, nan."""
    return f"{float(x):.4g}"


def describe(data: Any) -> str:
    """Scalars as a number; tensors as `(32, 4) float32  min -1.2  mean 0.03  max 2.1`."""
    return "  ".join(describe_parts(data))


def describe_parts(data: Any) -> tuple[str, ...]:
    """`describe` in parts, for a drawing to put on separate lines: the number, or the
    shape and dtype followed by the values (one number, or min / mean / max)."""
    array = np.asarray(data)
    if array.ndim == 0:
        text = format_number(array)
        return (text,) if array.dtype == np.float64 else (f"{text} {array.dtype}",)
    head = f"{array.shape} {array.dtype}"
    if array.size == 0:
        return head, "empty"
    if array.size == 1:
        return head, format_number(array.reshape(()))
    low, mean, high = (format_number(s) for s in summary(array))
    return head, f"min {low}  mean {mean}  max {high}"


def summary(array: np.ndarray) -> tuple[float, float, float]:
    """min, mean, max of a non-empty array (nan if it holds a nan, never a warning)."""
    with np.errstate(all="ignore"):  # inf - inf in the mean is nan, as it should be
        return float(array.min()), float(array.mean(dtype=np.float64)), float(array.max())
