"""The lecture's classification task: iris flowers (3 classes) and handwritten digits (10).

Each network is features -> MLP -> ReLU -> ClassificationHead, whose forward gives one score
(logit) z_c per class. Training minimises the cross-entropy of the logits,
L = -1/N sum_n log softmax(z_n)_(y_n); at test time softmax turns the logits into
probabilities p_c = e^(z_c) / sum_j e^(z_j), and the prediction is argmax_c p_c (argmax has no
useful gradient, which is why it is not the training objective).

    python -m demos.classification --epochs 20 --out demo-output
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits, load_iris

import autograd as ag
import nn

try:
    from demos import common
except ModuleNotFoundError:  # run as a file (python demos/classification.py)
    import common


class Classifier(nn.Module):
    """features -> MLP -> ReLU -> ClassificationHead, with the head's predict/predict_proba."""

    def __init__(self, sizes: Sequence[int], num_classes: int) -> None:
        super().__init__()
        self.body = nn.MLP(sizes)
        self.head = nn.ClassificationHead(sizes[-1], num_classes)

    def forward(self, x: Any) -> ag.Value:
        return self.head(self.body(x).relu())

    def predict_proba(self, x: Any) -> np.ndarray:
        with ag.no_grad():
            return self.head.predict_proba(self.body(x).relu())

    def predict(self, x: Any) -> np.ndarray:
        with ag.no_grad():
            return self.head.predict(self.body(x).relu())


def train_and_test(name: str, x: np.ndarray, labels: np.ndarray, hidden: int, lr: float,
                   epochs: int, rng: np.random.Generator) -> dict[str, Any]:
    """Split (stratified, a quarter held out), standardise, train, and score one data set."""
    train, test = common.split(len(x), 0.25, rng, labels=labels)
    x_train, x_test = common.standardize(x[train], x[test])
    num_classes = len(np.unique(labels))
    model = Classifier([x.shape[1], hidden], num_classes)
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    history = common.fit(model, nn.CrossEntropyLoss(), optimizer, x_train, labels[train],
                         epochs, rng, description=name)
    proba = model.predict_proba(x_test)
    predicted = model.predict(x_test)
    confusion = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(confusion, (labels[test], predicted), 1)
    return {"name": name, "model": model, "history": history, "test": test,
            "proba": proba, "predicted": predicted, "truth": labels[test],
            "accuracy": float(np.mean(predicted == labels[test])), "confusion": confusion,
            "sizes": (len(train), len(test))}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the demo with command-line options `argv`; returns the scores it reports."""
    args = common.parse_args(__doc__.splitlines()[0], default_epochs=20, argv=argv)
    with common.one_blas_thread():
        return run(args)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train and score a classifier on iris, then on digits; plot; print the report."""
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    nn.manual_seed(args.seed)

    iris, digits = load_iris(), load_digits()
    iris_run = train_and_test("iris", iris.data, iris.target, hidden=16, lr=0.03,
                              epochs=args.epochs, rng=rng)
    digits_run = train_and_test("digits", digits.data, digits.target, hidden=128, lr=0.003,
                                epochs=args.epochs, rng=rng)
    plots = [plot_confusions([iris_run, digits_run], [list(iris.target_names),
                                                      [str(d) for d in range(10)]], args.out),
             plot_digit_examples(digits_run, digits.images, args.out),
             plot_losses([iris_run, digits_run], args.out)]
    seconds = time.perf_counter() - started

    for run, model_text in ((iris_run, "MLP(4→16) → ReLU → ClassificationHead(16→3)"),
                            (digits_run, "MLP(64→128) → ReLU → ClassificationHead(128→10)")):
        n_train, n_test = run["sizes"]
        print(f"{run['name']}: {n_train} to train, {n_test} held out; {model_text}; "
              f"held-out accuracy {run['accuracy']:.3f}")
    print("\niris confusion matrix (rows: true class, columns: predicted):")
    print(common.table([(name, *row) for name, row in zip(iris.target_names,
                                                          iris_run["confusion"], strict=True)],
                       header=("", *iris.target_names)))
    print("\nHeld-out digits and their softmax probabilities (the least sure, then the first):")
    print(common.table(example_rows(digits_run), header=("digit", "predicted", "top three")))
    print("\nplots: " + ", ".join(str(p) for p in plots) + f"\ntime: {seconds:.1f} s")
    return {"iris_accuracy": iris_run["accuracy"], "digits_accuracy": digits_run["accuracy"],
            "seconds": seconds, "plots": plots}


def chosen_examples(run: dict[str, Any], count: int) -> np.ndarray:
    """Positions in the test set: the `count // 2` least confident, then the first others."""
    unsure = np.argsort(run["proba"].max(axis=1))[: count // 2]
    others = [i for i in range(len(run["proba"])) if i not in set(unsure)]
    return np.concatenate([unsure, others[: count - len(unsure)]])


def example_rows(run: dict[str, Any], count: int = 6) -> list[tuple[str, str, str]]:
    rows = []
    for i in chosen_examples(run, count):
        top = np.argsort(run["proba"][i])[::-1][:3]
        rows.append((str(run["truth"][i]), str(run["predicted"][i]),
                     "  ".join(f"{c}: {run['proba'][i, c]:.3f}" for c in top)))
    return rows


def plot_confusions(runs: list[dict[str, Any]], class_names: list[list[str]], out: Path) -> Path:
    figure = common.new_figure(11, 5)
    for axes, run, names in zip(figure.subplots(1, len(runs)), runs, class_names, strict=True):
        confusion = run["confusion"]
        axes.imshow(confusion, cmap="Blues")
        for (row, column), count in np.ndenumerate(confusion):
            if count:
                axes.text(column, row, str(count), ha="center", va="center",
                          color="white" if count > confusion.max() / 2 else "black")
        ticks = np.arange(len(names))
        axes.set_xticks(ticks, names, rotation=30 if len(names) < 5 else 0)
        axes.set_yticks(ticks, names)
        axes.set(xlabel="predicted class (argmax of softmax)", ylabel="true class",
                 title=f"{run['name']}: held-out accuracy {run['accuracy']:.3f}")
    return common.save(figure, out, "classification_confusion.png")


def plot_digit_examples(run: dict[str, Any], images: np.ndarray, out: Path,
                        count: int = 6) -> Path:
    figure = common.new_figure(2 * count, 4.5)
    grid = figure.subplots(2, count, height_ratios=[1.2, 1])
    for column, i in enumerate(chosen_examples(run, count)):
        picture, bars = grid[0, column], grid[1, column]
        picture.imshow(images[run["test"][i]], cmap="gray_r")
        picture.set_axis_off()
        picture.set_title(f"true {run['truth'][i]}, predicted {run['predicted'][i]}",
                          fontsize=9)
        colors = ["tab:green" if c == run["truth"][i] else "tab:gray" for c in range(10)]
        bars.bar(np.arange(10), run["proba"][i], color=colors)
        bars.set(ylim=(0, 1), xticks=np.arange(10))
        bars.tick_params(labelsize=8)
    grid[1, 0].set_ylabel("softmax probability")
    figure.suptitle("Held-out digits: the least sure (left), then the first (green: true class)")
    return common.save(figure, out, "classification_examples.png")


def plot_losses(runs: list[dict[str, Any]], out: Path) -> Path:
    figure = common.new_figure(6, 4)
    axes = figure.add_subplot()
    for run in runs:
        losses = [h["train_loss"] for h in run["history"]]
        axes.plot(np.arange(1, len(losses) + 1), losses, label=run["name"])
    axes.set(xlabel="epoch", ylabel="training cross-entropy", yscale="log",
             title="Cross-entropy per epoch")
    axes.legend()
    return common.save(figure, out, "classification_loss.png")


if __name__ == "__main__":
    main()
