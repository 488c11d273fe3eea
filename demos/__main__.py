"""A short tour of every demo: `python -m demos` (each demo also runs on its own, e.g.
`python -m demos.regression --help`)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from demos import classification, common, graph, regression, vanishing_gradients

# (title, demo, whether it trains: only those take --seed and --epochs)
TOUR = (
    ("See the graph: the lecture's neuron and its chain rule", graph, False),
    ("Regression: diabetes progression, MLP + RegressionHead", regression, True),
    ("Classification: iris and digits, softmax and argmax", classification, True),
    ("Vanishing gradients: sigmoid vs ReLU in a deep net", vanishing_gradients, True),
)


def main(argv: Sequence[str] | None = None) -> None:
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
    for title, demo, trains in TOUR:
        print(f"\n=== {title} ===")
        demo.main(["--out", str(args.out), *(training_options if trains else [])])
    print(f"\nTour done in {time.perf_counter() - started:.1f} s; the pictures are in {args.out}/")


if __name__ == "__main__":
    main()
