"""`python -m benchmarks.budget`: workload 2's fixed Python work per step, item by item.

Workload 2 (an MLP 64-128-128-10, batch 64, float32) spends most of its step in numpy, as the
hand-written baseline does; what it spends on top is the engine's fixed work per step. Each
row times one item of that work alone (its numpy part subtracted, or run on 2-wide arrays where
numpy costs nothing) next to its budget: the share of the 15% over numpy that the target
(ratio <= 1.15) allows. The rows do not add up to the whole step exactly: items overlap in
cache and allocator effects. Timings are minimums over repetitions, so noise only adds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

import autograd as ag
import nn
from benchmarks import mlp
from benchmarks.harness import seconds


def per_call(step: Callable[[], object], calls: int = 2000, reps: int = 7) -> float:
    """Seconds per call of `step`: the minimum over `reps` blocks of `calls` calls."""
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


class Passthrough(nn.Module):
    def forward(self, x: object) -> object:
        return x


def items() -> list[tuple[str, int, float, float]]:
    """(item, count per step, measured seconds per step, budget in seconds per step)."""
    sizes, batch = (64, 128, 128, 10), 64
    x, labels = mlp.make_batch(sizes, batch)
    ours = mlp.OursMLP(sizes)
    linear = ours.linears[0]
    weight, bias = linear.weight, linear.bias
    x_value = ag.Value(x, requires_grad=False)
    hidden = linear(x)
    modules = nn.Sequential(*[Passthrough() for _ in range(5)])
    outer = Passthrough()
    # the same graph on 2-wide arrays: the walk and its bookkeeping, numpy nearly free
    tiny = mlp.OursMLP((2, 2, 2, 2))
    tiny_x, tiny_labels = mlp.make_batch((2, 2, 2, 2), 2)
    tiny_loss = tiny.loss_fn(tiny.model(tiny_x), tiny_labels)

    def tiny_backward() -> None:
        tiny.optimizer.zero_grad()
        tiny_loss.backward()

    tiny_backward()
    ours.optimizer.zero_grad()
    ours.loss_fn(ours.model(x), labels).backward()
    us = 1e-6
    return [
        ("module calls and scopes", 7, per_call(lambda: (outer(x), modules(x))), 7 * 0.4 * us),
        ("linear nodes: checks and recording", 3,
         3 * (per_call(lambda: ag.linear(x_value, weight, bias))
              - per_call(lambda: np.matmul(x, weight.data.T) + bias.data)), 3 * 1.0 * us),
        ("relu nodes: recording", 2, 2 * (per_call(lambda: ag.relu(hidden))
                                          - per_call(lambda: np.maximum(hidden.data, 0))),
         2 * 0.6 * us),
        ("cross-entropy label check", 1,
         per_call(lambda: ag.cross_entropy(tiny_loss.parents[0], tiny_labels))
         - per_call(lambda: tiny_loss.parents[0].data.max()), 1.5 * us),
        ("backward walk (2-wide arrays)", 13, per_call(tiny_backward), 13 * 0.8 * us),
        ("SGD step", 6, per_call(ours.optimizer.step, 500), 6 * 1.2 * us),
        ("zero_grad", 6, per_call(ours.optimizer.zero_grad), 6 * 0.1 * us),
    ]


def main() -> None:
    rows = items()
    width = max(len(name) for name, *_ in rows)
    print(f"{'item':{width}}  count  measured   budget")
    for name, count, measured, budget in rows:
        print(f"{name:{width}}  {count:5d}  {seconds(measured):>8}  {seconds(budget):>7}")
    total = sum(m for _, _, m, _ in rows)
    print(f"{'total':{width}}         {seconds(total):>8}  "
          f"{seconds(sum(b for *_, b in rows)):>7}")


if __name__ == "__main__":
    main()
