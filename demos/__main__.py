"""A short tour of every demo: `python -m demos` (each demo also runs on its own, e.g.
`python -m demos.regression --help`)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

# (title, module in demos/, whether it trains: only those take --seed and --epochs)
TOUR = (
    ("See the graph: the lecture's neuron and its chain rule", "graph", False),
    ("Regression: diabetes progression, MLP + RegressionHead", "regression", True),
    ("Classification: iris and digits, softmax and argmax", "classification", True),
    ("Vanishing gradients: sigmoid vs ReLU in a deep net", "vanishing_gradients", True),
    ("A CNN on the digits: Conv2d, BatchNorm2d, MaxPool2d", "cnn_digits", True),
    ("Character-level language models of first names: MLP and GRU", "char_model", True),
)

# The modules the demos import from the `demos` extra of pyproject.toml, and the package on
# the package index that provides each.
DEMOS_EXTRA = {"sklearn": "scikit-learn", "matplotlib": "matplotlib", "tqdm": "tqdm",
               "threadpoolctl": "threadpoolctl", "names": "names"}


def load_tour() -> list[tuple[str, ModuleType, bool]]:
    """Import every demo, once the packages of the demos extra are known to be there. A
    missing one stops the tour at once with the command that installs them (SystemExit, status
    1), rather than with a bare ModuleNotFoundError, maybe after the first demos have run."""
    missing = [package if package == module else f"{package} (import {module})"
               for module, package in DEMOS_EXTRA.items()
               if importlib.util.find_spec(module) is None]
    if missing:
        raise SystemExit(f"python -m demos needs the packages of the demos extra; missing: "
                         f"{', '.join(missing)}.\nInstall them, in the repository's folder, "
                         f"with\n\n    pip install -e '.[demos]'\n")
    return [(title, importlib.import_module(f"demos.{name}"), trains)
            for title, name, trains in TOUR]


def main(argv: Sequence[str] | None = None) -> None:
    tour = load_tour()
    from demos import common  # importable now: load_tour imported every demo, which use it

    parser = argparse.ArgumentParser(prog="python -m demos", description=__doc__)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for every demo that trains (default: 0)")
    parser.add_argument("--epochs", type=common.positive, default=None,
                        help="epochs for every demo that trains (default: each demo's own)")
    parser.add_argument("--out", type=Path, default=Path("demo-output"),
                        help="folder for the plots and drawings (default: demo-output/)")
    args = parser.parse_args(argv)
    training_options = ["--seed", str(args.seed)]
    if args.epochs is not None:
        training_options += ["--epochs", str(args.epochs)]
    started = time.perf_counter()
    for title, demo, trains in tour:
        print(f"\n=== {title} ===")
        demo.main(["--out", str(args.out), *(training_options if trains else [])])
    print(f"\nTour done in {time.perf_counter() - started:.1f} s; the pictures are in {args.out}/")


if __name__ == "__main__":
    main()
