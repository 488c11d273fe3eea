"""The timed workloads (1 to 5): each builder makes both sides' step and checks they agree.

`build_*(tiny)` returns (our step, the baseline's step or None when the baseline is not
importable); a step is one training step, or one forward and backward pass, from scratch.
`benchmarks.suite` times them; `benchmarks.profile` profiles our side. Workload 6 (memory)
lives in `benchmarks.memory`, since it measures whole processes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Value
from benchmarks import mlp
from benchmarks.baselines_external import load_torch, micrograd_value_class
from benchmarks.mlp import BaselineMismatchError, assert_close
from benchmarks.scalar_mlp import ScalarMLP, initial_weights, moons_like

Step = Callable[[], Any]
Steps = tuple[Step, Step | None]


# -- 1: scalar MLP vs micrograd ---------------------------------------------------------------
def build_scalar_mlp(tiny: bool) -> Steps:
    sizes, count = ((2, 4, 1), 5) if tiny else ((2, 16, 16, 1), 100)
    points, labels = moons_like(count)
    weights = initial_weights(sizes)
    ours = ScalarMLP(Value, weights)
    micrograd_value = micrograd_value_class()
    if micrograd_value is None:
        return (lambda: ours.train_step(points, labels)), None
    theirs = ScalarMLP(micrograd_value, weights, no_grad=0.0)
    check_scalar_engines_agree(ours, theirs, points, labels)
    return (lambda: ours.train_step(points, labels)), (lambda: theirs.train_step(points, labels))


def check_scalar_engines_agree(ours: ScalarMLP, theirs: ScalarMLP, points: list,
                               labels: list) -> None:
    """Same weights, same graph: the loss and every gradient must match to rounding."""
    results = []
    for model in (ours, theirs):
        for p in model.parameters():
            p.grad = model.no_grad
        loss = model.hinge_loss(points, labels)
        loss.backward()
        results.append([loss.data] + [p.grad for p in model.parameters()])
    for i, (a, b) in enumerate(zip(*results, strict=True)):
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            what = "loss" if i == 0 else f"gradient of parameter {i - 1}"
            raise BaselineMismatchError(f"scalar MLP: micrograd's {what} is {b}, ours {a}")
    for model in (ours, theirs):
        for p in model.parameters():
            p.grad = model.no_grad


# -- 2 and 3: tensor MLPs vs numpy by hand ---------------------------------------------------
def build_small_mlp(tiny: bool) -> Steps:
    sizes, batch = ((8, 16, 16, 4), 8) if tiny else ((64, 128, 128, 10), 64)
    return mlp.setup(sizes, batch)


def build_large_mlp(tiny: bool) -> Steps:
    sizes, batch = mlp.LARGE_TINY if tiny else mlp.LARGE
    return mlp.setup(sizes, batch)


# -- 4 and 5: chains of elementwise ops vs torch ---------------------------------------------
# One cycle of the chain: x * 0.5, + 0.1, tanh, exp. It keeps values in about [0.5, 2.5], and
# Values and torch tensors both understand every step.
CYCLE = (lambda v: v * 0.5, lambda v: v + 0.1, lambda v: v.tanh(), lambda v: v.exp())


def elementwise_chain(x: Any, length: int) -> Any:
    for i in range(length):
        x = CYCLE[i % len(CYCLE)](x)
    return x


def chain_steps(what: str, ours_x: Value, torch_x: Any, length: int, reduce: bool) -> Steps:
    """Forward through the chain (then sum, if `reduce`) and backward, from a cleared
    gradient, on each side; both sides' gradients are checked to agree first."""

    def step(x: Any) -> Any:
        x.grad = None
        out = elementwise_chain(x, length)
        (out.sum() if reduce else out).backward()
        return x.grad

    ours = lambda: step(ours_x)  # noqa: E731
    if torch_x is None:
        return ours, None
    assert_close(f"{what}: gradient", ours(), step(torch_x).numpy())
    return ours, lambda: step(torch_x)


def build_op_overhead(tiny: bool) -> Steps:
    length = 8 if tiny else 200
    x = np.random.default_rng(0).uniform(-1, 1, (16, 16)).astype(np.float32)
    torch = load_torch()
    torch_x = None if torch is None else torch.tensor(x, requires_grad=True)
    return chain_steps("op overhead", Value(x), torch_x, length, reduce=True)


def build_deep_chain(tiny: bool) -> Steps:
    length = 1_000 if tiny else 100_000
    torch = load_torch()
    torch_x = None
    if torch is not None:
        torch_x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    return chain_steps("deep chain", Value(0.3), torch_x, length, reduce=False)
