"""Character-level language models of first names: the makemore MLP and a GRU, side by side.

Data: the first-name lists of the 1990 US Census (`dist.female.first`, `dist.male.first`, a
work of the US government), as shipped inside the PyPI package `names` 0.3.0 by Trey Hunner
(MIT licence), read with importlib.resources: no download. Lower-cased and deduplicated, they
give 5,163 names of 2 to 11 letters. A fifth of the names, chosen at random, is held out for
validation. Each name is spelled over 27 symbols: '.' for start and end, then 'a' to 'z'.

The task is to predict the next character. A model gives probabilities p(c | what came before)
and is scored by the cross-entropy, the mean of -ln p(next character) over every position of
every name, the end '.' included. Guessing uniformly scores ln 27 = 3.296; a table of bigram
counts (the next letter given only the previous one) is the simple baseline to beat.

- MLP (Bengio et al. 2003; Karpathy's makemore): the previous 3 characters, each looked up in
  an `Embedding` table of 10-vectors, concatenated (30) -> Linear(30, 200) -> BatchNorm1d ->
  tanh -> Linear(200, 27) logits. BatchNorm1d uses the batch's statistics in training and the
  running averages in eval mode, which is how a name is sampled one character at a time.
- GRU: the whole name so far, read one character at a time by a gated recurrent unit over
  16-dimensional embeddings; its hidden state h_t (64 numbers) is all it keeps of the past:
  r = sigmoid(W_ir x + W_hr h + b_r), z = sigmoid(W_iz x + W_hz h + b_z),
  n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h_t = (1 - z) * n + z * h_(t-1);
  then Linear(64, 27) at every step. Names of a batch are padded to the longest one, and the
  padded positions are masked out of the loss. The gradient is clipped to a total norm of 1
  (`nn.utils.clip_grad_norm_`) before each step: a recurrent net can have rare huge gradients.

Both train with Adam, a cosine learning-rate schedule and an `nn.data.DataLoader`.

    python -m demos.char_model --epochs 8 --out demo-output
"""

from __future__ import annotations

import argparse
import importlib.resources
import math
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
import nn

try:
    from demos import common
except ModuleNotFoundError:  # run as a file (python demos/char_model.py)
    import common

SOURCE = ("1990 US Census first names (a US government work), from the PyPI package names "
          "0.3.0 (MIT licence)")
SYMBOLS = ".abcdefghijklmnopqrstuvwxyz"  # '.' (index 0) starts and ends every name
CONTEXT = 3  # characters the MLP sees
MAX_SAMPLE_LENGTH = 20
MLP_TEXT = ("Embedding(27, 10) of each of the 3 previous characters → Linear(30, 200) → "
            "BatchNorm1d(200) → tanh → Linear(200, 27)")
GRU_TEXT = ("Embedding(27, 16) → GRU(16, 64, batch_first=True) → Linear(64, 27) at every step; "
            "gradient norm clipped to 1")


def load_names() -> list[str]:
    """Every first name of the census lists in the `names` package, lower-case, unique, sorted."""
    package = importlib.resources.files("names")
    found = set()
    for file in ("dist.female.first", "dist.male.first"):
        for line in package.joinpath(file).read_text(encoding="ascii").splitlines():
            if line.strip():  # a line is: NAME  frequency  cumulative-frequency  rank
                found.add(line.split()[0].lower())
    unknown = set("".join(found)) - set(SYMBOLS)
    if unknown:
        raise ValueError(f"the name lists hold characters outside a-z: {sorted(unknown)}")
    return sorted(found)


def encode(name: str) -> list[int]:
    return [SYMBOLS.index(c) for c in name]


def context_windows(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The MLP's examples: (the CONTEXT previous symbols, the next one) at every position of
    every name; "emma" gives ... -> e, ..e -> m, .em -> m, emm -> a, mma -> . (5 examples)."""
    contexts, targets = [], []
    for name in names:
        window = [0] * CONTEXT
        for symbol in [*encode(name), 0]:
            contexts.append(window)
            targets.append(symbol)
            window = [*window[1:], symbol]
    return np.array(contexts), np.array(targets)


def padded_sequences(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The GRU's examples, one row per name: inputs '.' + name, targets name + '.', both padded
    with '.' to the longest name, and a mask that is True at the real (not padded) positions."""
    length = max(len(name) for name in names) + 1
    inputs = np.zeros((len(names), length), dtype=np.int64)
    targets = np.zeros_like(inputs)
    mask = np.zeros(inputs.shape, dtype=bool)
    for row, name in enumerate(names):
        symbols = encode(name)
        inputs[row, 1:len(symbols) + 1] = symbols
        targets[row, :len(symbols)] = symbols
        mask[row, :len(symbols) + 1] = True
    return inputs, targets, mask


def bigram_losses(train_names: Sequence[str],
                  val_names: Sequence[str]) -> tuple[float, float]:
    """Train and validation cross-entropy of the bigram count table (add-one smoothed):
    p(b | a) = (count(a, b) + 1) / (count(a) + 27), counted on the training names only."""
    def pairs(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        contexts, targets = context_windows(names)
        return contexts[:, -1], targets

    counts = np.ones((len(SYMBOLS), len(SYMBOLS)))
    np.add.at(counts, pairs(train_names), 1)
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))
    return tuple(float(-log_p[pairs(names)].mean()) for names in (train_names, val_names))


def make_mlp() -> nn.Sequential:
    model = nn.Sequential(
        nn.Embedding(len(SYMBOLS), 10), nn.Flatten(),
        nn.Linear(CONTEXT * 10, 200, bias=False, init="xavier"),  # BatchNorm's shift is the bias
        nn.BatchNorm1d(200), nn.Tanh(), nn.Linear(200, len(SYMBOLS), init="xavier"))
    # Small output weights make the first predictions nearly uniform, so training starts near
    # ln 27 rather than at a confidently wrong, much higher loss.
    model[-1].weight.data *= 0.1
    return model


class CharGRU(nn.Module):
    """Embedding(27, 16) -> GRU(16, 64, batch_first=True) -> Linear(64, 27) at every step."""

    def __init__(self, embedding_dim: int = 16, hidden_size: int = 64) -> None:
        super().__init__()
        self.embedding = nn.Embedding(len(SYMBOLS), embedding_dim)
        self.gru = nn.GRU(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, len(SYMBOLS), init="xavier")
        self.head.weight.data *= 0.1  # nearly uniform first predictions, as in the MLP

    def forward(self, symbols: np.ndarray, h0: Any = None) -> tuple[ag.Value, ag.Value]:
        """symbols (batch, steps) -> logits (batch, steps, 27) and the last hidden state."""
        output, h_n = self.gru(self.embedding(symbols), h0)
        return self.head(output), h_n


def masked_loss(model: CharGRU, inputs: np.ndarray, targets: np.ndarray,
                mask: np.ndarray) -> ag.Value:
    """Mean cross-entropy over the real positions of a batch of padded names. The batch is cut
    to its longest name first: the GRU need not run over columns that are all padding."""
    steps = int(mask.sum(axis=1).max())
    mask = mask[:, :steps]
    logits, _ = model(inputs[:, :steps])
    return ag.cross_entropy(logits[mask], targets[:, :steps][mask])


def mlp_loss(model: nn.Module, contexts: np.ndarray, targets: np.ndarray) -> float:
    """Mean cross-entropy of a whole data set, in eval mode and without a graph."""
    model.eval()
    with ag.no_grad():
        return ag.cross_entropy(model(contexts), targets).item()


def gru_loss(model: CharGRU, inputs: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> float:
    model.eval()
    with ag.no_grad():
        return masked_loss(model, inputs, targets, mask).item()


def sample(next_logits: Callable[[int, Any], tuple[np.ndarray, Any]], rng: np.random.Generator,
           count: int) -> list[str]:
    """Draw `count` names one character at a time, each from softmax(logits), until '.' comes.
    `next_logits(symbol, state)` gives the logits of the character after `symbol` and the new
    state (whatever the model keeps of the past); the first call gets '.' and state None."""
    names = []
    for _ in range(count):
        symbol, state, letters = 0, None, []
        while len(letters) < MAX_SAMPLE_LENGTH:
            logits, state = next_logits(symbol, state)
            p = np.exp(logits - logits.max())
            symbol = int(rng.choice(len(SYMBOLS), p=p / p.sum()))
            if symbol == 0:
                break
            letters.append(SYMBOLS[symbol])
        names.append("".join(letters))
    return names


def mlp_sampler(model: nn.Module) -> Callable[[int, Any], tuple[np.ndarray, Any]]:
    def next_logits(symbol: int, window: Any) -> tuple[np.ndarray, Any]:
        window = [0] * CONTEXT if window is None else [*window[1:], symbol]
        return model(np.array([window])).numpy()[0], window
    return next_logits


def gru_sampler(model: CharGRU) -> Callable[[int, Any], tuple[np.ndarray, Any]]:
    def next_logits(symbol: int, h: Any) -> tuple[np.ndarray, Any]:
        logits, h = model(np.array([[symbol]]), h)
        return logits.numpy()[0, -1], h
    return next_logits


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the demo with command-line options `argv`; returns the losses it reports."""
    args = common.parse_args(__doc__.splitlines()[0], default_epochs=8, argv=argv)
    with common.one_blas_thread():
        return run(args)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train the MLP and the GRU on the same names, compare, sample, plot, print the report."""
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    nn.manual_seed(args.seed)
    names = load_names()
    train_rows, val_rows = common.split(len(names), 0.2, rng)
    train_names, val_names = [names[i] for i in train_rows], [names[i] for i in val_rows]
    bigram = bigram_losses(train_names, val_names)

    # The MLP
    mlp_started = time.perf_counter()
    windows = {"train": context_windows(train_names), "val": context_windows(val_names)}
    mlp = make_mlp()
    initial_loss = mlp_loss(mlp, *windows["train"])
    optimizer = nn.optim.Adam(mlp.parameters(), lr=0.01)
    mlp_loader = nn.data.DataLoader(nn.data.TensorDataset(*windows["train"]), batch_size=128,
                                    shuffle=True, seed=args.seed)
    cross_entropy = nn.CrossEntropyLoss()
    mlp_history = common.fit_loader(
        mlp, lambda x, y: cross_entropy(mlp(x), y), optimizer, mlp_loader, args.epochs,
        scheduler=nn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs),
        description="MLP", after_epoch=lambda epoch: {"val_loss": mlp_loss(mlp, *windows["val"])})
    mlp_result = {"train": mlp_loss(mlp, *windows["train"]), "val": mlp_history[-1]["val_loss"],
                  "seconds": time.perf_counter() - mlp_started}

    # The GRU
    gru_started = time.perf_counter()
    sequences = {"train": padded_sequences(train_names), "val": padded_sequences(val_names)}
    gru = CharGRU()
    optimizer = nn.optim.Adam(gru.parameters(), lr=0.01)
    gru_loader = nn.data.DataLoader(nn.data.TensorDataset(*sequences["train"]), batch_size=32,
                                    shuffle=True, seed=args.seed)
    gru_history = common.fit_loader(
        gru, lambda *batch: masked_loss(gru, *batch), optimizer, gru_loader, args.epochs,
        scheduler=nn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs),
        max_grad_norm=1.0, description="GRU",
        after_epoch=lambda epoch: {"val_loss": gru_loss(gru, *sequences["val"])})
    gru_result = {"train": gru_loss(gru, *sequences["train"]), "val": gru_history[-1]["val_loss"],
                  "seconds": time.perf_counter() - gru_started}

    with ag.no_grad():
        samples = {"MLP": sample(mlp_sampler(mlp), np.random.default_rng(args.seed), 20),
                   "GRU": sample(gru_sampler(gru), np.random.default_rng(args.seed), 20)}
    plots = [plot_losses(mlp_history, gru_history, bigram[1], args.out),
             plot_embedding(mlp, args.out)]
    seconds = time.perf_counter() - started

    uniform = math.log(len(SYMBOLS))
    print(f"Data: {SOURCE}.\n{len(names)} names: {len(train_names)} to train, {len(val_names)} "
          f"to validate; {len(windows['train'][1]):,} training characters (each name's end '.' "
          f"included)")
    print(f"MLP: {MLP_TEXT}\nGRU: {GRU_TEXT}")
    print(f"The MLP's loss at initialisation: {initial_loss:.3f} (uniform: ln 27 = {uniform:.3f})")
    n_mlp = sum(p.size for p in mlp.parameters())
    n_gru = sum(p.size for p in gru.parameters())
    rows = [("uniform guess, ln 27", 0, uniform, uniform, "-"),
            ("bigram counts, add-one smoothed", len(SYMBOLS) ** 2, *bigram, "-"),
            ("MLP: the 3 previous characters", n_mlp, mlp_result["train"], mlp_result["val"],
             f"{mlp_result['seconds']:.1f} s"),
            ("GRU: all the previous characters", n_gru, gru_result["train"], gru_result["val"],
             f"{gru_result['seconds']:.1f} s")]
    print(f"\nCross-entropy per character (nats) after {args.epochs} epochs; the train loss is "
          f"measured in eval mode after training:")
    print(common.table([(name, f"{n:,}", f"{train:.3f}", f"{val:.3f}", spent)
                        for name, n, train, val, spent in rows],
                       header=("model", "parameters", "train loss", "validation loss", "time")))
    clipped = sum(h["clipped"] for h in gru_history)
    print(f"The GRU's gradient norm was above 1, and clipped to 1, on {clipped} of its "
          f"{args.epochs * len(gru_loader):,} steps.")
    known = set(names)
    print(f"\n20 names sampled from each (seed {args.seed}; * = not in the census lists):")
    for model, drawn in samples.items():
        listing = ", ".join(name if name in known else f"{name}*" for name in drawn)
        print(textwrap.fill(listing, width=96, initial_indent=f"{model}: ",
                            subsequent_indent=" " * 5))
    print("plots: " + ", ".join(str(p) for p in plots) + f"\ntime: {seconds:.1f} s")
    return {"mlp": mlp_result, "gru": gru_result, "bigram": bigram, "uniform": uniform,
            "initial_loss": initial_loss, "samples": samples, "parameters": (n_mlp, n_gru),
            "seconds": seconds, "plots": plots}


def plot_losses(mlp_history: list[dict[str, float]], gru_history: list[dict[str, float]],
                bigram_val: float, out: Path) -> Path:
    figure = common.new_figure(7, 4.5)
    axes = figure.add_subplot()
    epochs = np.arange(1, len(mlp_history) + 1)
    for name, history, color in (("MLP", mlp_history, "tab:blue"),
                                 ("GRU", gru_history, "tab:green")):
        axes.plot(epochs, [h["train_loss"] for h in history], color=color, linestyle="--",
                  label=f"{name}: training batches (train mode)")
        axes.plot(epochs, [h["val_loss"] for h in history], color=color, marker="o",
                  label=f"{name}: validation")
    axes.axhline(bigram_val, color="gray", linestyle=":", label="bigram counts: validation")
    axes.set(xlabel="epoch", ylabel="cross-entropy per character (nats)",
             title=f"Next-character loss (uniform guess: ln 27 = {math.log(27):.2f})")
    axes.legend(fontsize=8)
    return common.save(figure, out, "char_model_loss.png")


def plot_embedding(model: nn.Sequential, out: Path) -> Path:
    """The MLP's 10-dimensional character embeddings on their first two principal axes."""
    table = model[0].weight.numpy()
    centered = table - table.mean(axis=0)
    _, _, axes_of_variance = np.linalg.svd(centered, full_matrices=False)
    points = centered @ axes_of_variance[:2].T
    figure = common.new_figure(5.5, 5)
    axes = figure.add_subplot()
    axes.scatter(points[:, 0], points[:, 1], s=0)
    for symbol, (x, y) in zip(SYMBOLS, points, strict=True):
        axes.text(x, y, "'.'" if symbol == "." else symbol, ha="center", va="center", fontsize=13,
                  color="tab:red" if symbol in "aeiouy" else "black")
    axes.set(xlabel="first principal axis", ylabel="second principal axis",
             title="The MLP's character embeddings (vowels in red)")
    return common.save(figure, out, "char_model_embedding.png")


if __name__ == "__main__":
    main()
