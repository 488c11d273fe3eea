"""(being written)"""

from __future__ import annotations

from collections.abc import Callable

from autograd.ops import Op
from autograd.value import Value

OPS: tuple[type[Op], ...] = ()  # the ops this module defines, in the README table's order
ELEMENTWISE: dict[str, type[Op]] = {}  # x.NAME() and ag.NAME(x), no arguments
METHODS: dict[str, Callable[..., Value]] = {}  # x.NAME(...) and ag.NAME(x, ...)
FUNCTION_ONLY: dict[str, Callable[..., Value]] = {}  # ag.NAME(...) only
