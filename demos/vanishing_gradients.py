"""Vanishing gradients: why deep networks use ReLU rather than sigmoid (the lecture's remark).

Backprop multiplies, layer by layer, by the activation's derivative. The sigmoid's is
sigmoid(z) (1 - sigmoid(z)) <= 1/4, so through L sigmoid layers the gradient shrinks roughly
like (1/4)^L even with a well-scaled (Xavier) init; ReLU's derivative is exactly 1 wherever a
unit is active, so with He init the gradient keeps its size. This demo builds two 9-layer
networks for the digits data that differ only in the activation, prints and plots the norm of
the gradient of the loss with respect to each layer's weights, then trains both with the same
plain SGD: the layers near the input of the sigmoid net hardly move, and it stays at chance.

    python -m demos.vanishing_gradients --epochs 15 --out demo-output
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits

import nn

try:
    from demos import common
except ModuleNotFoundError:  # run as a file (python demos/vanishing_gradients.py)
    import common

ACTIVATIONS = ("sigmoid", "relu")
SIZES = [64] + [32] * 8 + [10]  # 9 Linear layers: 64 pixels in, 10 logits out


def layer_gradient_norms(model: nn.MLP, x: np.ndarray, labels: np.ndarray) -> list[float]:
    """||dL/dW|| (Frobenius norm) for each Linear layer, input side first, for one backward
    pass of the cross-entropy over (x, labels)."""
    model.zero_grad()
    nn.CrossEntropyLoss()(model(x), labels).backward()
    norms = [float(np.linalg.norm(layer.weight.grad)) for layer in model
             if isinstance(layer, nn.Linear)]
    model.zero_grad()
    return norms


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the demo with command-line options `argv`; returns the scores it reports."""
    args = common.parse_args(__doc__.splitlines()[0], default_epochs=15, argv=argv)
    with common.one_blas_thread():
        return run(args)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure each net's gradient per layer, train both, plot, print the report."""
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)

    x, labels = load_digits(return_X_y=True)
    train, test = common.split(len(x), 0.25, rng, labels=labels)
    x_train, x_test = common.standardize(x[train], x[test])
    y_train, y_test = labels[train], labels[test]

    norms, histories, accuracies = {}, {}, {}
    for activation in ACTIVATIONS:
        nn.manual_seed(args.seed)  # the same random numbers for both networks
        model = nn.MLP(SIZES, activation=activation)
        norms[activation] = layer_gradient_norms(model, x_train, y_train)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.05)
        histories[activation] = common.fit(model, nn.CrossEntropyLoss(), optimizer, x_train,
                                           y_train, args.epochs, rng, description=activation)
        predicted = np.argmax(model(x_test).numpy(), axis=1)
        accuracies[activation] = float(np.mean(predicted == y_test))
    plots = [plot_norms(norms, args.out), plot_losses(histories, args.out)]
    seconds = time.perf_counter() - started

    print(f"Two MLPs {'→'.join(map(str, SIZES))} on digits ({len(train)} images to train), "
          f"the same but for the activation.")
    print("Gradient norm ||dL/dW|| per layer at initialisation (layer 1 is next to the input):")
    rows = [(str(i + 1), f"{s:.2e}", f"{r:.2e}")
            for i, (s, r) in enumerate(zip(norms["sigmoid"], norms["relu"], strict=True))]
    print(common.table(rows, header=("layer", "sigmoid", "relu")))
    for activation in ACTIVATIONS:
        first, last = norms[activation][0], norms[activation][-1]
        print(f"{activation:>7}: layer 1 gets {first / last:.1e} of the last layer's gradient; "
              f"after {args.epochs} epochs of SGD, training loss "
              f"{histories[activation][-1]['train_loss']:.3f}, held-out accuracy "
              f"{accuracies[activation]:.3f}")
    print("sigmoid' <= 1/4 at every layer multiplies the gradient away; relu' = 1 where active.")
    print("plots: " + ", ".join(str(p) for p in plots) + f"\ntime: {seconds:.1f} s")
    return {"norms": norms, "accuracy": accuracies, "seconds": seconds, "plots": plots}


def plot_norms(norms: dict[str, list[float]], out: Path) -> Path:
    figure = common.new_figure(6.5, 4.2)
    axes = figure.add_subplot()
    for activation, values in norms.items():
        axes.plot(np.arange(1, len(values) + 1), values, marker="o", label=activation)
    axes.set(xlabel="layer (1 = next to the input)", ylabel="||dL/dW|| at initialisation",
             yscale="log", title="Gradient size per layer: sigmoid vanishes, ReLU does not")
    axes.legend()
    return common.save(figure, out, "vanishing_gradients_norms.png")


def plot_losses(histories: dict[str, list[dict[str, float]]], out: Path) -> Path:
    figure = common.new_figure(6.5, 4.2)
    axes = figure.add_subplot()
    for activation, history in histories.items():
        losses = [h["train_loss"] for h in history]
        axes.plot(np.arange(1, len(losses) + 1), losses, label=activation)
    axes.axhline(np.log(10), color="gray", linestyle=":", label="chance: log 10")
    axes.set(xlabel="epoch", ylabel="training cross-entropy",
             title="The same SGD on both: only the ReLU net learns")
    axes.legend()
    return common.save(figure, out, "vanishing_gradients_loss.png")


if __name__ == "__main__":
    main()
