"""Timing and reporting: interleaved repetitions, medians, and the results table.

The machines are shared and noisy, so each repetition times our side and the baseline back to
back, alternating which goes first; a slow spell then hits both, and the median of each side
over the repetitions ignores the odd interruption.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Step = Callable[[], object]


@dataclass(frozen=True)
class Settings:
    """How hard to measure: `reps` interleaved repetitions per workload (a workload may scale
    it), and `tiny` sizes that only check the suite runs (the times then mean nothing)."""

    reps: int = 11
    tiny: bool = False


@dataclass
class Timings:
    """Seconds per step of each side, one entry per repetition (baseline None: not timed;
    by_hand: a second baseline's, numpy by hand next to torch, when there is one)."""

    ours: list[float]
    baseline: list[float] | None
    by_hand: list[float] | None = None

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        base = self.baseline_median
        return None if base is None else self.ours_median / base

    @property
    def by_hand_median(self) -> float | None:
        return statistics.median(self.by_hand) if self.by_hand else None


def time_block(step: Step, steps: int, collect: bool) -> float:
    """Seconds per call of `step`, over `steps` calls in a row (plus a final collection)."""
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if collect:
        gc.collect()
    return (time.perf_counter() - start) / steps


def interleave(ours: Step, baseline: Step | None, reps: int, steps: int = 1,
               collect: bool = False, by_hand: Step | None = None) -> Timings:
    """Time `steps` calls of each side per repetition, the sides taking turns to go first.

    One untimed warm-up call of each side comes first. With `collect`, every timed block ends
    with a full garbage collection, so each side pays for freeing its own garbage (reference
    cycles are freed only by the collector) and leaves none for the other side to pay for.
    """
    timings = Timings([], None if baseline is None else [], None if by_hand is None else [])
    sides = [(step, times) for step, times in ((ours, timings.ours),
                                                (baseline, timings.baseline),
                                                (by_hand, timings.by_hand)) if step is not None]
    for step, _ in sides:
        step()
    for rep in range(reps):
        turn = rep % len(sides)
        for step, times in sides[turn:] + sides[:turn]:
            times.append(time_block(step, steps, collect))
    return timings


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object alive now out of the collector's sight for the duration.

    The collector stays on, but a full collection then walks only what the workload makes, not
    the ~10^5 objects that importing torch, micrograd or a test runner left behind: those
    belong to neither side, and a process that imports only scratchgrad has ~24,000.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# -- the table -------------------------------------------------------------------------------
@dataclass
class Row:
    """One line of the results table. `ours` and `baseline` are already formatted."""

    workload: str
    ours: str
    baseline: str
    ratio: float | None
    target: str
    verdict: str  # "pass", "MISS" or "n/a"
    by_hand: str = ""  # numpy by hand next to a torch baseline: its time and its ratio to torch


def seconds(t: float | None) -> str:
    """A duration with a readable unit: 812 ms, 4.31 ms, 95.2 µs."""
    if t is None:
        return "n/a"
    unit, scale = next(((u, s) for u, s in (("s", 1.0), ("ms", 1e-3)) if t >= s), ("µs", 1e-6))
    value = t / scale
    return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"


def timed_row(workload: str, timings: Timings, baseline_name: str, target: float) -> Row:
    """A row for a timed workload whose target is `ratio <= target`."""
    ratio = timings.ratio
    if ratio is None:
        baseline, verdict = f"{baseline_name}: n/a", "n/a"
    else:
        baseline = f"{baseline_name} {seconds(timings.baseline_median)}"
        verdict = "pass" if ratio <= target else "MISS"
    by_hand = ""
    if timings.by_hand:
        by_hand = seconds(timings.by_hand_median)
        if ratio is not None:
            by_hand += f", {timings.by_hand_median / timings.baseline_median:.3f}x"
    return Row(workload, seconds(timings.ours_median), baseline, ratio, f"<= {target:g}x",
               verdict, by_hand)


COLUMNS = ("workload", "ours", "baseline", "ratio", "target", "result",
           "numpy by hand, vs torch")


def format_table(rows: list[Row]) -> str:
    """A Markdown table (it reads well in a terminal and pastes into the README)."""
    cells = [list(COLUMNS)]
    for row in rows:
        if row.ratio is None:
            ratio = "n/a" if row.verdict == "n/a" else "-"  # "-": the target is no ratio
        else:
            ratio = f"{row.ratio:.3f}"
        cells.append([row.workload, row.ours, row.baseline, ratio, row.target, row.verdict,
                      row.by_hand])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
             for line in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
