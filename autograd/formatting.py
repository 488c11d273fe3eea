"""How drawings, explanations and the stepper name Values and print numbers: the same
everywhere, so a row of a table can be found in the picture.

A Value's label is its `.name`, else a short one given by `value_labels`. A scalar is its value
to 4 significant digits. A tensor is too big to print, so it shows what a learner checks first:
its shape (as numpy prints it), its dtype, and min / mean / max.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from autograd.value import Value

SMALL_TENSOR = 16  # the stepper lists every element of a tensor this small


def value_labels(values: list[Value], root: Value) -> dict[Value, str]:
    """The label of each of `values` (every Value behind `root`, inputs before the Values made
    from them, as `autograd.collapse.topological_order` lists them): its `.name`; else `out`
    for the root, `const` for a constant, and v1, v2, ... for the others, numbered in that
    order. So v1 is the first unnamed Value computed, the numbers grow towards the output, and
    a label does not depend on which of the three views (or how much folding) shows it."""
    labels = {}
    unnamed = 0
    for value in values:
        if value.name:
            labels[value] = value.name
        elif value is root:
            labels[value] = "out"
        elif not value.requires_grad:
            labels[value] = "const"
        else:
            unnamed += 1
            labels[value] = f"v{unnamed}"
    return labels


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
        low, mean, high = (float(array.min()), float(array.mean(dtype=np.float64)),
                           float(array.max()))
        if math.isinf(mean) and math.isfinite(low) and math.isfinite(high):  # the sum overflowed
            mean = float(np.sum(array / np.float64(array.size)))  # each term at most max / size
    return low, mean, high


def element_values(data: Any) -> str | None:
    """Every element of a small tensor (at most SMALL_TENSOR) to 4 significant digits, nested
    as numpy nests them: `[[1, -0.5], [2, 0]]`; None for a scalar or a bigger tensor."""
    array = np.asarray(data)
    if array.ndim == 0 or array.size > SMALL_TENSOR:
        return None
    return nested(array.tolist())


def nested(items: Any) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(nested(item) for item in items) + "]"
    return format_number(items)
