"""`python -m benchmarks`: run the workloads and print the results table.

Each row is one workload: our time per step, the baseline's measured in this same process
(interleaved repetitions, medians), their ratio, the target ratio and whether we meet it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path

import numpy as np

from benchmarks import malloc
from benchmarks.harness import Settings, format_table
from benchmarks.suite import WORKLOADS, run


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def machine_line(malloc_settings: str) -> str:
    """Where and when the table was measured: the load average says how busy the machine was
    (other processes slow multi-threaded BLAS down a lot), OPENBLAS_* variables change numpy,
    and the malloc settings change the steps that free large arrays (benchmarks.malloc)."""
    blas = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())
                    if k.startswith("OPENBLAS_"))
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{datetime.date.today()}, {cpu_model()}, {os.cpu_count()} cores{load}, "
            f"Python {platform.python_version()}, numpy {np.__version__}"
            + (f", {blas}" if blas else "") + f", {malloc_settings}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0],
        epilog="workloads: " + ", ".join(f"{w.number} {w.name}" for w in WORKLOADS))
    parser.add_argument("--quick", action="store_true",
                        help="3 repetitions instead of 11: rougher ratios, a few times faster")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this workload (a name or number; may be repeated)")
    parser.add_argument("--tiny", action="store_true",
                        help="tiny sizes, to check that everything runs (the times mean nothing)")
    parser.add_argument("--default-malloc", action="store_true",
                        help="leave glibc's malloc thresholds alone: timings then depend on "
                             "what the process freed before (see benchmarks/README.md)")
    args = parser.parse_args(argv)
    settings = Settings(reps=3 if args.quick else 11, tiny=args.tiny)
    applied = None if args.default_malloc else malloc.tune()
    try:
        rows = run(settings, args.only)
    except ValueError as error:
        parser.error(str(error))
    print(machine_line(malloc.describe(applied)))
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
