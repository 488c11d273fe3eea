"""The lecture's regression task: predict diabetes progression with an MLP and a RegressionHead.

442 patients, 10 features (age, sex, BMI, blood pressure, six blood measurements); the target
is a measure of disease progression one year later, between 25 and 346. The network is

    features (10) -> MLP -> ReLU -> RegressionHead: y = (b - a) * sigmoid(z) + a

with [a, b] the range of the training targets, trained on the mean squared error
L = 1/N sum (y_hat - y)^2. A small data set overfits quickly, so a fifth of the training rows
is held back for validation and the weights of the best validation epoch are kept (a
`state_dict` snapshot: "early stopping"). The held-out patients are seen only at the end,
where the network is compared with predicting the mean and with ordinary least squares.

    python -m demos.regression --epochs 100 --out demo-output
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_diabetes

import nn

try:
    from demos import common
except ModuleNotFoundError:  # run as a file (python demos/regression.py): its folder is on the path
    import common


def least_squares(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """Ordinary least squares with an intercept (np.linalg.lstsq); returns test predictions."""
    with_ones = np.column_stack([x_train, np.ones(len(x_train))])
    coefficients, *_ = np.linalg.lstsq(with_ones, y_train, rcond=None)
    return np.column_stack([x_test, np.ones(len(x_test))]) @ coefficients


def scores(prediction: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(MSE, R²); R² = 1 - MSE / Var(target): 1 is perfect, 0 is no better than the mean."""
    mse = float(np.mean((prediction - target) ** 2))
    return mse, 1.0 - mse / float(np.var(target))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the demo with command-line options `argv`; returns the scores it reports."""
    args = common.parse_args(__doc__.splitlines()[0], default_epochs=100, argv=argv)
    with common.one_blas_thread():
        return run(args)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train with early stopping, compare with the baselines, plot, print the report."""
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    nn.manual_seed(args.seed)

    x, y = load_diabetes(return_X_y=True)
    train, test = common.split(len(x), 0.2, rng)
    x_train, x_test = common.standardize(x[train], x[test])
    y_train, y_test = y[train], y[test]
    fit_rows, val_rows = common.split(len(train), 0.2, rng)

    low, high = float(y_train.min()), float(y_train.max())
    model = nn.Sequential(nn.MLP([10, 16]), nn.ReLU(), nn.RegressionHead(16, low, high))
    optimizer = nn.optim.Adam(model.parameters(), lr=0.003)
    mse = nn.MSELoss()
    best = {"val_loss": np.inf, "epoch": 0, "state": model.state_dict()}

    def validate(epoch: int) -> dict[str, float]:
        val_loss = mse(model(x_train[val_rows]), y_train[val_rows]).item()
        if val_loss < best["val_loss"]:
            best.update(val_loss=val_loss, epoch=epoch, state=model.state_dict())
        return {"val_loss": val_loss}

    history = common.fit(model, mse, optimizer, x_train[fit_rows], y_train[fit_rows],
                         args.epochs, rng, description="diabetes", after_epoch=validate)
    model.load_state_dict(best["state"])

    predictions = {
        "mean of training targets": np.full(len(y_test), y_train.mean()),
        "least squares (lstsq)": least_squares(x_train, y_train, x_test),
        "MLP + RegressionHead": model(x_test).numpy(),
    }
    results = {name: scores(p, y_test) for name, p in predictions.items()}
    plots = [plot_losses(history, best["epoch"], args.out),
             plot_predictions(predictions, y_test, low, high, args.out)]
    seconds = time.perf_counter() - started

    print(f"Diabetes progression: {len(x)} patients, {x.shape[1]} features; "
          f"{len(fit_rows)} to train, {len(val_rows)} to validate, {len(test)} held out")
    print(f"model: MLP(10→16) → ReLU → RegressionHead to [a, b] = [{low:g}, {high:g}]; "
          f"kept epoch {best['epoch']} of {args.epochs} (lowest validation MSE)")
    print(common.table([(name, f"{m:.0f}", f"{r:.3f}") for name, (m, r) in results.items()],
                       header=("held-out patients", "MSE", "R²")))
    print("With a few hundred patients and nearly linear effects, expect the network to land "
          "near least squares:\nalways compare with a simple baseline.")
    print("plots: " + ", ".join(str(p) for p in plots) + f"\ntime: {seconds:.1f} s")
    return {"mse": results["MLP + RegressionHead"][0], "r2": results["MLP + RegressionHead"][1],
            "baselines": results, "seconds": seconds, "plots": plots}


def plot_losses(history: list[dict[str, float]], best_epoch: int, out: Path) -> Path:
    figure = common.new_figure(6, 4)
    axes = figure.add_subplot()
    epochs = np.arange(1, len(history) + 1)
    axes.plot(epochs, [h["train_loss"] for h in history], label="training MSE")
    axes.plot(epochs, [h["val_loss"] for h in history], label="validation MSE")
    axes.axvline(best_epoch, color="gray", linestyle=":", label=f"kept: epoch {best_epoch}")
    axes.set(xlabel="epoch", ylabel="mean squared error", yscale="log",
             title="Diabetes: loss per epoch")
    axes.legend()
    return common.save(figure, out, "regression_loss.png")


def plot_predictions(predictions: dict[str, np.ndarray], target: np.ndarray, low: float,
                     high: float, out: Path) -> Path:
    figure = common.new_figure(6, 5)
    axes = figure.add_subplot()
    axes.scatter(target, predictions["least squares (lstsq)"], s=14, alpha=0.6,
                 label="least squares")
    axes.scatter(target, predictions["MLP + RegressionHead"], s=14, alpha=0.8,
                 label="MLP + RegressionHead")
    axes.plot([low, high], [low, high], color="black", linewidth=1, label="perfect")
    for bound in (low, high):
        axes.axhline(bound, color="gray", linestyle="--", linewidth=1)
    axes.text(low, high, " head's range [a, b]", va="bottom", color="gray")
    axes.set(xlabel="true progression", ylabel="predicted progression",
             title="Held-out patients: predicted vs true")
    axes.legend(loc="lower right")
    return common.save(figure, out, "regression_predictions.png")


if __name__ == "__main__":
    main()
