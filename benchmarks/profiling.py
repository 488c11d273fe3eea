"""`python -m benchmarks.profiling NAME`: where our side of a timed workload spends its time.

First it times a few steps as the suite does and reports the share spent in CPython's cyclic
garbage collector (a profiler charges that to whichever function happened to allocate); then it
runs the steps under cProfile and prints the top functions. Profiling slows Python-heavy code
down, so read the profile for proportions, and the first line for the real time per step.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import pstats
import time
from collections.abc import Iterator

from benchmarks.harness import frozen_heap, seconds
from benchmarks.suite import WORKLOADS, ModelStep, Timed


class CollectorClock:
    """Counts the collector's runs and adds up their time, through `gc.callbacks`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.runs += 1

    @contextlib.contextmanager
    def running(self) -> Iterator[CollectorClock]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


def main(argv: list[str] | None = None) -> None:
    timed = [w for w in WORKLOADS if isinstance(w, (Timed, ModelStep))]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=[w.name for w in timed])
    parser.add_argument("--steps", type=int, default=5, help="steps to time and to profile")
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"),
                        help="order of the profile: own time, or time including callees")
    parser.add_argument("--top", type=int, default=30, help="functions to list")
    args = parser.parse_args(argv)
    workload = next(w for w in timed if w.name == args.name)

    ours = workload.build(False)[0]
    ours()
    with frozen_heap():  # as the suite times it
        clock = CollectorClock()
        with clock.running():
            start = time.perf_counter()
            for _ in range(args.steps):
                ours()
                if workload.collect:
                    gc.collect()
            elapsed = time.perf_counter() - start
        print(f"{workload.title}: {seconds(elapsed / args.steps)} per step over {args.steps} "
              f"steps; the garbage collector ran {clock.runs / args.steps:.0f} times per step, "
              f"{clock.seconds / elapsed:.0%} of the time")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.steps):
            ours()
            if workload.collect:
                gc.collect()
        profiler.disable()
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
