"""`detect_anomaly`: stop at the first op whose forward result, or whose gradient in backward,
holds a nan or an inf, and say which op it is, where the user's code made it and what it got.

Normal runs pay nothing for it. A thread inside a block records ops with its own state, as it
does inside a scope (`autograd.value._customised`), and only on that path does `value._watch`
(set to `watch_op` while any thread is in a block) see each op it records: it keeps the line
of code that made the op and checks the result. Each backward pass such a thread runs gets
`check_backward` as its trace (`engine.watch_pass`), so the walk is the engine's own.
"""

from __future__ import annotations

import functools
import linecache
import math
import os
import sys
import threading
import weakref
from typing import Any

import numpy as np

from autograd import engine, value
from autograd.explain import rule_of
from autograd.formatting import describe, element_values
from autograd.value import Value


class AnomalyError(RuntimeError):
    """An op gave a nan or an inf inside `detect_anomaly()`; the message says which and where."""


class _Blocks(threading.local):
    block: detect_anomaly | None = None  # the innermost block this thread is in


_local = _Blocks()
_active = 0  # threads inside a block: the hooks are set while there is any
_active_lock = threading.Lock()
ENGINE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
STDLIB_DIR = os.path.dirname(os.__file__) + os.sep


class detect_anomaly:  # noqa: N801 - used like a function: `with detect_anomaly():`
    """Inside this block, the first op this thread records whose result holds a nan or an inf,
    and the first whose backward passes one to an input, raise `AnomalyError` naming the op,
    its scope, its inputs and the line of code that made it. Only ops recorded in a graph are
    checked (not those under no_grad(), nor ops on constants alone), and only ops made inside
    a block have a known line. Leaving the block, even by an exception, restores the state."""

    __slots__ = ("previous", "sites")

    def __init__(self) -> None:
        # the block this one was entered in, once per entry: an object may be entered again
        # inside itself
        self.previous: list[detect_anomaly | None] = []

    def __enter__(self) -> detect_anomaly:
        previous = _local.block
        self.previous.append(previous)
        if previous is None:
            # op -> where it was made; weak: a block must not keep the graphs it has seen alive
            self.sites: weakref.WeakKeyDictionary[Value, Site] = weakref.WeakKeyDictionary()
        elif previous is not self:
            self.sites = previous.sites
        _local.block = self
        if previous is None:
            _count_thread(entering=True)
        return self

    def __exit__(self, *exc_info: object) -> None:
        previous = self.previous.pop()
        _local.block = previous
        if previous is None:
            _count_thread(entering=False)


def _count_thread(entering: bool) -> None:
    """Set the hooks when the first thread enters a block and clear them when the last leaves,
    and have this thread record with its own state while it is inside."""
    global _active
    with _active_lock:
        _active += 1 if entering else -1
        value._watch = watch_op if _active else None
        engine.watch_pass = backward_check if _active else None
    value._count_thread(entering, reason="detect_anomaly")


# -- where an op was made --------------------------------------------------------------------
FRAMES_KEPT = 8  # of the calls that led to an op, outside the engine, innermost first


class Site:
    """The calls that made an op, outside the engine: (file, line, function, package) each,
    innermost first. Which of them is the user's code is decided only for a report."""

    __slots__ = ("frames",)

    def __init__(self, frames: tuple[tuple[str, int, str, str], ...]) -> None:
        self.frames = frames

    def user_frame(self) -> tuple[str, int, str, str] | None:
        """The innermost call from outside the installed packages and the standard library
        (nn, numpy, pytest...): the user's line. None if there is none."""
        return next((frame for frame in self.frames if not is_library(frame)), None)

    def __str__(self) -> str:
        if not self.frames:
            return "unknown: the op was made by the engine itself"
        text = place(self.frames[0])
        user = self.user_frame()
        if user is not None and user is not self.frames[0]:
            text += f"\n            called from {place(user)}"
        return text


def place(frame: tuple[str, int, str, str]) -> str:
    filename, line, function, _ = frame
    code = linecache.getline(filename, line).strip()
    where = f"{filename}:{line}" + (f", in {function}" if function != "<module>" else "")
    return f"{where}: {code}" if code else where


def creation_site() -> Site:
    frames = []
    frame = sys._getframe(1)
    while frame is not None and len(frames) < FRAMES_KEPT:
        code = frame.f_code
        if not code.co_filename.startswith(ENGINE_DIR):
            package = str(frame.f_globals.get("__name__", "")).partition(".")[0]
            frames.append((code.co_filename, frame.f_lineno, code.co_name, package))
        frame = frame.f_back
    return Site(tuple(frames))


@functools.cache
def library_packages() -> frozenset[str]:
    """The top-level names of every installed distribution's packages (read once: ~0.3 s)."""
    import importlib.metadata  # here: only a report needs it, and it is slow to import

    return frozenset(importlib.metadata.packages_distributions())


def is_library(frame: tuple[str, int, str, str]) -> bool:
    filename, _, _, package = frame
    return package in library_packages() or filename.startswith(STDLIB_DIR)


# -- the checks ------------------------------------------------------------------------------
def watch_op(out: Value) -> None:
    """`value._watch`: called with each op a thread records while any thread is in a block."""
    block = _local.block
    if block is None:  # this thread is in a scope or no_grad(), not in a block
        return
    site = creation_site()
    block.sites[out] = site
    if not finite(out._data):
        raise AnomalyError(report(out, "forward", f"gave {bad_values(out._data)}", site))


def backward_check() -> engine.Trace | None:
    """`engine.watch_pass`: the trace for a backward pass this thread runs in a block."""
    block = _local.block
    if block is None:
        return None

    # A Value's gradient is the sum of the shares its users pass it: finite shares can still
    # add up to an inf. An op's sum is its upstream g, checked when the op's turn comes; a
    # leaf has no turn, so its running sums are kept here.
    leaf_totals: dict[Value, Any] = {}

    def check_backward(node: Value, g: Any, passed: tuple) -> None:
        upstream = g._data if isinstance(g, Value) else g
        if not finite(upstream):
            what = (f"received a gradient of {bad_values(upstream)}, the sum of the finite "
                    f"shares passed to it")
            raise AnomalyError(report(node, "backward", what, block.sites.get(node)))
        inputs = value.inputs_of(node)
        for i, gp in enumerate(passed):
            if gp is None:
                continue
            data = gp._data if isinstance(gp, Value) else gp
            if not finite(data):
                what = f"passed {bad_values(data)} to input {i} (upstream {describe(g)})"
                raise AnomalyError(report(node, "backward", what, block.sites.get(node)))
            leaf = inputs[i]
            if leaf._op is None:
                total = leaf_totals.get(leaf)
                total = data if total is None else total + data
                if not finite(total):
                    what = (f"passed a finite share to input {i} that brings its gradient to "
                            f"{bad_values(total)} (upstream {describe(g)})")
                    raise AnomalyError(report(node, "backward", what, block.sites.get(node)))
                leaf_totals[leaf] = total

    return check_backward


def finite(data: Any) -> bool:
    if type(data) is float:
        return math.isfinite(data)
    return bool(np.isfinite(data).all())


def bad_values(data: Any) -> str:
    """`nan` or `-inf`, or for a tensor where they are: `nan in 2 of its 8 elements`."""
    if np.ndim(data) == 0:
        return f"{float(data)}"
    array = np.asarray(data)
    nans, infs = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    counts = [f"{kind} in {n}" for n, kind in ((nans, "nan"), (infs, "inf")) if n]
    return f"{' and '.join(counts)} of its {array.size} elements"


def report(node: Value, phase: str, what: str, site: Site | None) -> str:
    """The message: one line that answers which op, where and what, then the op's rule, its
    inputs and the lines that made it."""
    scope = f" in {' › '.join(node.scope)}" if node.scope else ""
    user = None if site is None else site.user_frame() or (site.frames or [None])[0]
    where = "" if user is None else f" (made at {user[0]}:{user[1]})"
    lines = [f"detect_anomaly: op {node.op!r}{scope}{where} {what} in the {phase} pass.",
             f"  rule:     {rule_of(node)}"]
    for i, parent in enumerate(node.parents):
        name = parent.name or f"input {i}"
        kind = "" if parent.requires_grad else " (constant)"
        values = element_values(parent.data)
        shown = describe(parent.data) + (f"  {values}" if values else "")
        lines.append(f"  {'inputs:' if i == 0 else '':9} {name}{kind} = {shown}")
    if site is not None:
        lines.append(f"  made at:  {site}")
    else:
        lines.append("  made at:  unknown: the op was made outside the detect_anomaly() block; "
                     "run the forward pass inside it too")
    return "\n".join(lines)
