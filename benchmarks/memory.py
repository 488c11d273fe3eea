"""Workload 6: the memory of training workload 3's MLP, ours against numpy by hand.

Peak memory belongs to a whole process, so each side trains in a fresh Python process of its
own (the numpy side never imports `autograd` or `nn`), which reports its resident set size
(RSS) from /proc/self/status: the peak (VmHWM) after `peak_step` steps, and the current RSS
(VmRSS) at `growth_from` and at the last step. Flat RSS over many steps means every step's
graph is freed.

The child process is `python -m benchmarks.memory SIDE ...`; `run_memory` starts both.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np

from benchmarks import mlp
from benchmarks.baselines_numpy import NumpyMLP
from benchmarks.harness import Row, Settings

PEAK_TARGET = 1.2  # ours / numpy
GROWTH_LIMIT_MB = 5.0
STATUS = Path("/proc/self/status")


def status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status ("VmHWM", "VmRSS") in MB; None where there is none."""
    if not STATUS.exists():
        return None
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # the value is in kB
    return None


def numpy_init(sizes: list[int], seed: int = 0) -> NumpyMLP:
    """The numpy side's own weights, uniform in +-1/sqrt(fan_in) (values don't matter here)."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in pairwise(sizes):
        bound = 1 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)
        layers.append((w, np.zeros(fan_out, dtype=np.float32)))
    return NumpyMLP(layers)


def train_and_measure(side: str, sizes: list[int], batch: int, steps: int, peak_step: int,
                      growth_from: int) -> dict[str, float | None]:
    """Train for `steps` steps in this process and report its memory (in the child)."""
    x, labels = mlp.make_batch(sizes, batch)
    if side == "ours":
        step = mlp.OursMLP(sizes).train_step
    else:
        model = numpy_init(sizes)
        step = lambda x, labels: model.train_step(x, labels, mlp.LEARNING_RATE)  # noqa: E731
    report: dict[str, float | None] = {}
    for i in range(1, steps + 1):
        step(x, labels)
        if i == peak_step:
            report["peak_mb"] = status_mb("VmHWM")
        if i == growth_from:
            report["rss_from_mb"] = status_mb("VmRSS")
    report["rss_to_mb"] = status_mb("VmRSS")
    return report


def measure_in_subprocess(side: str, sizes: list[int], batch: int, steps: int, peak_step: int,
                          growth_from: int) -> dict[str, float | None]:
    command = [sys.executable, "-m", "benchmarks.memory", side,
               "--sizes", ",".join(map(str, sizes)), "--batch", str(batch),
               "--steps", str(steps), "--peak-step", str(peak_step),
               "--growth-from", str(growth_from)]
    # Run from the folder that holds `benchmarks`, with this process's environment (the same
    # BLAS settings on both sides).
    done = subprocess.run(command, cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {side} memory run failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def megabytes(mb: float | None, sign: bool = False) -> str:
    if mb is None:
        return "n/a"
    return f"{mb:+.1f} MB" if sign else f"{mb:.0f} MB"


def run_memory(settings: Settings) -> list[Row]:
    sizes, batch = mlp.LARGE_TINY if settings.tiny else mlp.LARGE
    steps, peak_step, growth_from = (10, 4, 2) if settings.tiny else (1000, 200, 100)
    mlp.setup(sizes, batch)  # checks the numpy baseline's gradients against ours, once
    ours, numpy = (measure_in_subprocess(side, list(sizes), batch, steps, peak_step,
                                         growth_from) for side in ("ours", "numpy"))

    peak_title = f"6 memory: peak RSS, {peak_step} steps of 3"
    if ours["peak_mb"] is None or numpy["peak_mb"] is None:
        peak = Row(peak_title, "n/a", "numpy: n/a", None, f"<= {PEAK_TARGET:g}x", "n/a")
    else:
        ratio = ours["peak_mb"] / numpy["peak_mb"]
        peak = Row(peak_title, megabytes(ours["peak_mb"]),
                   f"numpy {megabytes(numpy['peak_mb'])}", ratio, f"<= {PEAK_TARGET:g}x",
                   "pass" if ratio <= PEAK_TARGET else "MISS")

    growth_title = f"6 memory: RSS growth, steps {growth_from}..{steps}"
    growth = {}
    for side, report in (("ours", ours), ("numpy", numpy)):
        if report["rss_from_mb"] is not None and report["rss_to_mb"] is not None:
            growth[side] = report["rss_to_mb"] - report["rss_from_mb"]
    verdict = "n/a"
    if "ours" in growth:
        verdict = "pass" if growth["ours"] < GROWTH_LIMIT_MB else "MISS"
    return [peak, Row(growth_title, megabytes(growth.get("ours"), sign=True),
                      f"numpy {megabytes(growth.get('numpy'), sign=True)}", None,
                      f"< {GROWTH_LIMIT_MB:g} MB", verdict)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory",
                                     description="One side of workload 6 (run by the suite).")
    parser.add_argument("side", choices=("ours", "numpy"))
    parser.add_argument("--sizes", required=True, help="layer sizes, e.g. 784,512,512,10")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--peak-step", type=int, required=True)
    parser.add_argument("--growth-from", type=int, required=True)
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    print(json.dumps(train_and_measure(args.side, sizes, args.batch, args.steps,
                                       args.peak_step, args.growth_from)))


if __name__ == "__main__":
    main()
