"""The list of workloads, and running a selection of them into table rows."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks import models, ops, workloads
from benchmarks.baselines_external import load_torch, torch_threads
from benchmarks.harness import Row, Settings, frozen_heap, interleave, timed_row
from benchmarks.memory import run_memory


@dataclass(frozen=True)
class Timed:
    """A workload timed against a baseline; its target is `ours / baseline <= target`."""

    name: str  # what `--only` takes (the number works too)
    number: int
    title: str  # the table's first column
    summary: str
    baseline: str
    target: float
    build: Callable[[bool], workloads.Steps]
    steps: int = 1  # calls per timed block: a block should last well over a millisecond
    reps_scale: float = 1.0  # cheap workloads get more repetitions
    collect: bool = False  # end each block with a garbage collection, paid by its side
    one_thread: bool = False  # torch on one thread: a per-op cost, not a parallel one

    def run(self, settings: Settings) -> list[Row]:
        """Time both sides with the collector on, blind to the objects alive before (see
        `frozen_heap`): torch's import alone leaves ~150,000 of them, which would make every
        full collection on our side 7x slower than in a process that imports only scratchgrad."""
        ours, baseline = self.build(settings.tiny)
        reps = max(3, round(settings.reps * self.reps_scale))
        torch = load_torch() if self.one_thread and baseline is not None else None
        with contextlib.ExitStack() as stack:
            if torch is not None:
                stack.enter_context(torch_threads(torch, 1))
            stack.enter_context(frozen_heap())
            timings = interleave(ours, baseline, reps, self.steps, self.collect)
        return [timed_row(self.title, timings, self.baseline, self.target)]


@dataclass(frozen=True)
class ModelStep:
    """A model's training step timed against torch (one thread), with numpy by hand timed in
    the same repetitions; its target is `ours / torch <= target`."""

    name: str
    number: int
    title: str
    summary: str
    target: float
    build: Callable[[bool], models.Steps]
    steps: int = 1
    reps_scale: float = 1.0
    baseline: str = "torch"
    collect: bool = False  # as `Timed.collect`: not needed, every side frees by refcounts

    def run(self, settings: Settings) -> list[Row]:
        """As `Timed.run`, with torch on one thread and a third side, numpy by hand."""
        steps = self.build(settings.tiny)
        reps = max(3, round(settings.reps * self.reps_scale))
        torch = load_torch() if steps.torch is not None else None
        with contextlib.ExitStack() as stack:
            if torch is not None:
                stack.enter_context(torch_threads(torch, 1))
            stack.enter_context(frozen_heap())
            timings = interleave(steps.ours, steps.torch, reps, self.steps,
                                 by_hand=steps.numpy)
        return [timed_row(self.title, timings, self.baseline, self.target)]


@dataclass(frozen=True)
class Measured:
    """A workload with its own measurement (memory) and rows."""

    name: str
    number: int
    summary: str
    run: Callable[[Settings], list[Row]]


WORKLOADS: tuple[Timed | ModelStep | Measured, ...] = (
    # Each side pays for its own garbage collection: micrograd's graphs are reference
    # cycles, which only the collector frees; ours are freed by reference counting.
    Timed("scalar_mlp", 1, "1 scalar MLP",
          "scalar-Value MLP 2-16-16-1, 100 points, hinge loss, SGD step",
          "micrograd", 0.12, workloads.build_scalar_mlp, reps_scale=0.5, collect=True),
    Timed("small_mlp", 2, "2 small MLP",
          "nn MLP 64-128-128-10, batch 64, float32, cross-entropy, SGD step",
          "numpy", 1.15, workloads.build_small_mlp, steps=20, reps_scale=3),
    Timed("large_mlp", 3, "3 large MLP", "the same at 784-512-512-10, batch 256",
          "numpy", 1.05, workloads.build_large_mlp, steps=3, reps_scale=2),
    Timed("op_overhead", 4, "4 op overhead", "200 elementwise ops on 16x16 float32, sum, "
          "backward", "torch", 0.5, workloads.build_op_overhead, steps=10, reps_scale=3,
          one_thread=True),
    Timed("deep_chain", 5, "5 deep chain", "100,000 scalar ops, backward", "torch", 0.35,
          workloads.build_deep_chain, one_thread=True),
    Measured("memory", 6, "peak RSS of 200 steps of workload 3, RSS growth over steps "
             "100..1,000, vs numpy (fresh processes)", run_memory),
    Measured("conv2d", 7, "conv2d forward and backward, float32, vs torch (1 thread) and numpy "
             "by hand", ops.runner(7, ops.CONV2D_ROWS)),
    Measured("max_pool2d", 8, "max_pool2d forward and backward, float32, vs torch (1 thread) "
             "and numpy by hand", ops.runner(8, ops.MAX_POOL2D_ROWS)),
    # the three models, each a training step against torch with numpy by hand beside
    ModelStep("cnn", 9, "9 CNN step", "Conv2d 1->8 ReLU MaxPool Conv2d 8->16 ReLU MaxPool "
              "Linear 400->10, batch 64 of 28x28, float32, cross-entropy, SGD step", 0.7,
              models.build_cnn, reps_scale=2),
    ModelStep("makemore", 10, "10 makemore MLP step", "Embedding 27x10 of 3 characters, "
              "Linear 30->200 tanh Linear 200->27, batch 256, cross-entropy, SGD step", 0.75,
              models.build_makemore, steps=5, reps_scale=2),
    ModelStep("gru", 11, "11 GRU step", "Embedding 27x16, GRU 16->64 over 16 steps, Linear "
              "64->27 at every step, batch 32, cross-entropy, SGD step", 1.0, models.build_gru,
              steps=2, reps_scale=2),
)


def select(names: Sequence[str] | None) -> list[Timed | ModelStep | Measured]:
    """The workloads named (by name or number), in suite order; all of them for None."""
    if not names:
        return list(WORKLOADS)
    wanted = set(names)
    known = {w.name for w in WORKLOADS} | {str(w.number) for w in WORKLOADS}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"unknown workload {', '.join(unknown)}; choose from "
                         f"{', '.join(w.name for w in WORKLOADS)} (or their numbers "
                         f"1-{len(WORKLOADS)})")
    return [w for w in WORKLOADS if w.name in wanted or str(w.number) in wanted]


def run(settings: Settings, names: Sequence[str] | None = None) -> list[Row]:
    """Run the selected workloads, telling stderr which one is running."""
    rows = []
    for workload in select(names):
        against = "" if isinstance(workload, Measured) else f" vs {workload.baseline}"
        print(f"[{workload.number}/{len(WORKLOADS)}] {workload.name}: {workload.summary}"
              f"{against}", file=sys.stderr, flush=True)
        rows += workload.run(settings)
    return rows
