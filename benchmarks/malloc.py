"""glibc's malloc and the timings: the settings the suite runs under, and the study behind them.

glibc serves a large request with mmap, and returns freed memory at the top of its heap to the
OS once more than a trim threshold is free. Both thresholds adapt to the largest block freed
so far (up to 32 MiB), so a process that once freed a big array keeps its memory and one that
did not gives it back after every step, and pays the page faults of touching it again in the
next: a step's time then depends on what the process allocated before (see README.md,
"malloc"). `python -m benchmarks` therefore fixes both thresholds with mallopt (`tune`) and
records the settings in its header line (`describe`).

`python -m benchmarks.malloc` measures the effect: workloads 9 to 11 in fresh processes under
glibc's defaults, the defaults after one 30 MB temporary, the suite's mallopt, and the trim
threshold alone set through the environment (which turns the adaptation off and leaves the
mmap threshold at 128 KiB).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import resource
import subprocess
import sys

THRESHOLD = 256 << 20  # bytes: above any array a workload frees
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
ENVIRONMENT = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
               "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


def tune() -> str | None:
    """Fix glibc's mmap and trim thresholds at THRESHOLD for this process: freed memory stays
    with the process and is reused, whatever it freed before. Returns what was set, or None
    without glibc (the suite then runs under the system's allocator, as the header says)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return None
    if not (mallopt(M_MMAP_THRESHOLD, THRESHOLD) and mallopt(M_TRIM_THRESHOLD, THRESHOLD)):
        return None
    size = f"{THRESHOLD >> 20} MiB"
    return f"mallopt M_MMAP_THRESHOLD={size} M_TRIM_THRESHOLD={size}"


def describe(applied: str | None) -> str:
    """The malloc settings for the table's header: the environment's, then the suite's."""
    settings = [f"{key}={os.environ[key]}" for key in ENVIRONMENT if key in os.environ]
    if applied:
        settings.append(f"{applied} (by the suite)")
    return "malloc: " + (", ".join(settings) if settings else "the system's defaults")


# -- the study ---------------------------------------------------------------------------------
SETTINGS = {  # name: (environment, what the child does first)
    "glibc defaults": ({}, "nothing"),
    "defaults, after a 30 MB temporary": ({}, "temporary"),
    "the suite's mallopt": ({}, "tune"),
    "MALLOC_TRIM_THRESHOLD_ alone": ({"MALLOC_TRIM_THRESHOLD_": str(THRESHOLD)}, "nothing"),
}


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def child(first: str, reps: int) -> dict[str, list[float]]:
    """In a fresh process: time workloads 9-11 as the suite does, and count the page faults
    each side takes per step; prints {"row side": [ms per step, faults per step]}."""
    if first == "temporary":
        block = bytearray(30 << 20)  # touched (zeroed) and freed: glibc keeps 30 MB from now on
        del block
    elif first == "tune":
        tune()
    from benchmarks import models
    from benchmarks.baselines_external import load_torch
    from benchmarks.harness import frozen_heap, time_block

    torch = load_torch()
    if torch is not None:
        torch.set_num_threads(1)
    results = {}
    for row, build, steps in (("9 CNN", models.build_cnn, 1),
                              ("10 makemore", models.build_makemore, 5),
                              ("11 GRU", models.build_gru, 2)):
        built = build(False)
        sides = [(name, step) for name, step in zip(built._fields, built, strict=True)
                 if step is not None]
        with frozen_heap():
            for _, step in sides:
                step()
            times: dict[str, list[float]] = {name: [] for name, _ in sides}
            counts = dict.fromkeys(times, 0)
            for rep in range(reps):
                turn = rep % len(sides)
                for name, step in sides[turn:] + sides[:turn]:
                    before = faults()
                    times[name].append(time_block(step, steps, False))
                    counts[name] += faults() - before
        for name in times:
            times[name].sort()
            results[f"{row} {name}"] = [1e3 * times[name][len(times[name]) // 2],
                                        counts[name] / (reps * steps)]
    return results


def run_child(environment: dict[str, str], first: str, reps: int) -> dict[str, list[float]]:
    env = {key: value for key, value in os.environ.items() if key not in ENVIRONMENT}
    env.update(environment)
    done = subprocess.run([sys.executable, "-m", "benchmarks.malloc", "--child", first,
                           "--reps", str(reps)], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def table(results: dict[str, dict[str, list[float]]]) -> str:
    """One line per workload side, one column per setting: ms per step and faults per step."""
    settings = list(results)
    lines = ["| step | " + " | ".join(settings) + " |", "|---" * (len(settings) + 1) + "|"]
    for side in next(iter(results.values())):
        cells = [f"{results[s][side][0]:.3g} ms, {results[s][side][1]:.0f}" for s in settings]
        lines.append(f"| {side} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.malloc",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=15, help="interleaved repetitions")
    parser.add_argument("--child", choices=("nothing", "temporary", "tune"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.reps)))
        return
    results = {}
    for setting, (environment, first) in SETTINGS.items():
        print(f"{setting} ...", file=sys.stderr, flush=True)
        results[setting] = run_child(environment, first, args.reps)
    print("median ms per step, page faults per step (one fresh process per setting)")
    print(table(results))


if __name__ == "__main__":
    main()
