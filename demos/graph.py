"""See the graph: the lecture's neuron drawn before and after backward, and its chain rule.

    python demos/graph.py [--out DIR]

A neuron with three inputs, y = a + (b - a) * sigmoid(w . x + bias), rescales its output to
[a, b] and is scored by the squared error against a target. The demo saves the drawing of that
graph before and after backward (SVG and PNG), prints the chain rule step by step, writes the
page that steps through it (neuron-stepper.html, which needs no Graphviz), and draws the graph
that `grad(..., create_graph=True)` builds for the second derivative of tanh.
Without Graphviz's `dot` program it writes the DOT source (.gv) and says how to render it.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import graphviz

import autograd as ag

LOW, HIGH = 1.0, 5.0  # the neuron's output range [a, b]


def neuron_loss() -> tuple[ag.Value, list[ag.Value]]:
    """The squared error of one rescaled sigmoid neuron; returns it and the parameters."""
    xs = [ag.Value(v, requires_grad=False, name=f"x{i}") for i, v in enumerate([0.5, -1.5, 2.0], 1)]
    ws = [ag.Value(v, name=f"w{i}") for i, v in enumerate([0.8, 0.3, -0.4], 1)]
    bias = ag.Value(0.1, name="bias")
    with ag.scope("neuron"):
        z = xs[0] * ws[0] + xs[1] * ws[1] + xs[2] * ws[2] + bias
        z.name = "z"
        s = ag.sigmoid(z)
        s.name = "sigmoid(z)"
    with ag.scope(f"rescale to [{LOW:g}, {HIGH:g}]"):
        y = LOW + (HIGH - LOW) * s
        y.name = "y"
    target = ag.Value(4.0, requires_grad=False, name="target")
    loss = ag.mse_loss(y, target)
    loss.name = "loss"
    return loss, [*ws, bias]


def tanh_second_derivative(at: float) -> ag.Value:
    """d²/dx² tanh(x) at `at`, as a graph: the derivative of the derivative's graph."""
    x = ag.Value(at, name="x")
    y = ag.tanh(x)
    (dy,) = ag.grad(y, x, create_graph=True)
    dy.name = "dy/dx"
    (d2y,) = ag.grad(dy, x, create_graph=True)
    d2y.name = "d²y/dx²"
    return d2y


def save(graph: graphviz.Digraph, out: Path, stem: str) -> bool:
    """Write `stem`.gv, and `stem`.svg and `stem`.png if `dot` is installed. Says what it wrote;
    returns whether it could render."""
    source = out / f"{stem}.gv"
    graph.save(source)
    try:
        for fmt in ("svg", "png"):
            (out / f"{stem}.{fmt}").write_bytes(graph.pipe(format=fmt))
    except graphviz.ExecutableNotFound:
        print(f"  wrote {source} (Graphviz's `dot` is not installed: install Graphviz, e.g. "
              f"`apt install graphviz`, then run `dot -Tsvg {source} -o {out / stem}.svg`)")
        return False
    print(f"  wrote {out / stem}.svg and .png (and the DOT source {source.name})")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("demo-output"),
                        help="directory for the drawings (default: demo-output/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    loss, params = neuron_loss()
    print(f"The neuron's loss is {loss.item():.4g}. Its graph before backward (no gradients):")
    save(ag.draw_graph(loss), args.out, "neuron-forward")

    print("\nThe chain rule, step by step (explain_backward changes no .grad):\n")
    print(ag.explain_backward(loss))
    page = ag.step_through(loss).save(args.out / "neuron-stepper.html")
    print(f"\n  wrote {page}: the same steps over the graph; open it in a browser (← → keys)")

    loss.backward()
    print("\nAfter loss.backward(): " + ", ".join(f"{p.name}.grad = {p.grad:.4g}" for p in params))
    save(ag.draw_graph(loss), args.out, "neuron-backward")

    at = 0.5
    d2y = tanh_second_derivative(at)
    t = math.tanh(at)
    print(f"\nd²/dx² tanh(x) at x = {at}: {d2y.item():.4g} (by hand, -2 tanh(x) (1 - tanh(x)²) = "
          f"{-2 * t * (1 - t * t):.4g}). The graph grad(create_graph=True) built for it:")
    save(ag.draw_graph(d2y), args.out, "tanh-second-derivative")


if __name__ == "__main__":
    main()
