"""`summary(model, example_input)`: a table of the layers a forward pass runs through, with
their output shapes and parameter counts, like torchinfo's.

    >>> print(nn.summary(nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2)),
    ...                  np.zeros((4, 3))))
    Layer              Output shape    Param #
    ------------------------------------------
    0: Linear(3→16)    [4, 16]              64
    1: ReLU            [4, 16]               0
    2: Linear(16→2)    [4, 2]               34
    ------------------------------------------
    Total parameters: 98
    Trainable parameters: 98

The rows come from forward hooks, so they list what the forward actually calls, in that order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import autograd as ag
from nn.module import Module

# The shape of an output: a tuple of ints, or a tuple of shapes for a tuple output (an RNN's
# (output, h_n)), or None for an output that is not an array.
Shape = Any


class LayerRow(NamedTuple):
    """One call of one layer: its dotted name in the model ("" for the model itself), its
    description, the shape of what it returned, and the parameters it adds to the count."""

    name: str
    layer: str
    output_shape: Shape
    parameters: int


class Summary:
    """What `summary` returns: `.rows` (LayerRows, in call order), `.total_parameters`,
    `.trainable_parameters`; `str()` and `repr()` give the table."""

    def __init__(self, rows: list[LayerRow], total_parameters: int,
                 trainable_parameters: int) -> None:
        self.rows = rows
        self.total_parameters = total_parameters
        self.trainable_parameters = trainable_parameters

    def __str__(self) -> str:
        header = ("Layer", "Output shape", "Param #")
        cells = [(f"{row.name}: {row.layer}" if row.name else row.layer,
                  format_shape(row.output_shape), f"{row.parameters:,}") for row in self.rows]
        widths = [max(len(line[k]) for line in [header, *cells]) for k in range(3)]

        def line(layer: str, shape: str, count: str) -> str:
            return (f"{layer:<{widths[0]}}    {shape:<{widths[1]}}    "
                    f"{count:>{widths[2]}}").rstrip()

        rule = "-" * (sum(widths) + 8)
        return "\n".join([line(*header), rule, *(line(*cell) for cell in cells), rule,
                          f"Total parameters: {self.total_parameters:,}",
                          f"Trainable parameters: {self.trainable_parameters:,}"])

    def __repr__(self) -> str:
        return str(self)


def summary(model: Module, example_input: Any) -> Summary:
    """Run `model` once on `example_input` and tabulate every layer call: its dotted name and
    description, its output's shape and its number of parameters.

    `example_input` is what the model is called with (a tuple: several positional inputs).
    The rows are the modules that do the work: those without sub-modules (containers such as
    Sequential show as their layers, as in torchinfo), and any module with parameters of its
    own, whose row comes after those of its sub-modules (a row is written when a forward
    returns). A module called twice has two rows; each parameter is counted in the first row
    that uses it, so the column adds up to the total when every layer runs. The totals count
    every parameter of `model` once (trainable: those with requires_grad).

    The forward runs under `no_grad()` in the model's current mode, and nothing is restored
    afterwards: in train mode, BatchNorm updates its running statistics, as any forward does.
    Call `model.eval()` first to leave them alone. The hooks are removed even if it raises.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary needs an nn.Module, got {type(model).__name__}")
    names = {id(module): name for name, module in model.named_modules()}
    rows: list[LayerRow] = []
    counted: set[int] = set()  # ids of the parameters already counted in a row

    def record(module: Module, args: tuple, output: Any) -> None:
        new = [p for p in module._parameters.values() if id(p) not in counted]
        counted.update(id(p) for p in new)
        rows.append(LayerRow(names[id(module)], module.describe(), shape_of(output),
                             sum(p.size for p in new)))

    handles = [module.register_forward_hook(record) for module in model.modules()
               if not module._modules or module._parameters]
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    try:
        with ag.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    parameters = list(model.parameters())
    return Summary(rows, sum(p.size for p in parameters),
                   sum(p.size for p in parameters if p.requires_grad))


def shape_of(output: Any) -> Shape:
    if isinstance(output, (ag.Value, np.ndarray)):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return tuple(shape_of(item) for item in output)
    return None


def format_shape(shape: Shape) -> str:
    """[4, 16] for one array; [4, 5, 8], [1, 4, 8] for a tuple of them (nested tuples in
    parentheses); - for an output that is not an array."""
    if shape is None:
        return "-"
    if all(isinstance(n, int) for n in shape):
        return "[" + ", ".join(str(n) for n in shape) + "]"
    parts = [format_shape(s) if s is None or all(isinstance(n, int) for n in s)
             else f"({format_shape(s)})" for s in shape]
    return ", ".join(parts)
