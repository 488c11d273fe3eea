"""Layers: `Linear`, the activations, `Sequential` and `MLP`.

Every layer takes a Value or anything numpy can turn into an array (a plain array is a
constant input: it gets no gradient).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

import autograd as ag
from nn.init import normal_weight
from nn.module import Module, Parameter

# The weight initialisation that keeps activations O(1) behind each activation (see nn.init).
INIT_FOR_ACTIVATION = {"relu": "he", "tanh": "xavier", "sigmoid": "xavier"}


def positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def floating_dtype(dtype: Any) -> np.dtype:
    """`dtype` as a numpy floating dtype (float32 or float64), or a TypeError."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating type such as np.float32, got {dtype}")
    return dtype


class Linear(Module):
    """y = x @ W^T + b, with W of shape (out_features, in_features) as in PyTorch.

    Input (..., in_features) -> output (..., out_features). `init` is "he" (for a ReLU after
    the layer, the default) or "xavier" (for tanh/sigmoid, or an output layer); b starts at 0.
    A plain numpy input is cast to the layer's dtype, so a float32 layer gives float32 outputs.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float64, init: str = "he") -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        dtype = floating_dtype(dtype)
        # Column-major: W^T is then row-major, the layout numpy's matmul is fastest with.
        weight = normal_weight(self.out_features, self.in_features, init, dtype)
        self.weight = Parameter(np.asfortranarray(weight))
        self.bias = Parameter(np.zeros(self.out_features, dtype)) if bias else None

    def forward(self, x: Any) -> ag.Value:
        if not isinstance(x, ag.Value):
            if not (isinstance(x, np.ndarray) and x.dtype.kind in "biuf"):
                x = ag.Value(x, requires_grad=False).data  # refuses lists of Values: ag.stack
            x = np.asarray(x, dtype=self.weight.dtype)
        return ag.linear(x, self.weight, self.bias)

    def describe(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"


class ReLU(Module):
    """relu(x) = max(x, 0), elementwise; its derivative is 1 for x > 0 and 0 otherwise."""

    def forward(self, x: Any) -> ag.Value:
        return ag.relu(x)


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + e^-x), elementwise, in (0, 1); its derivative is at most 1/4."""

    def forward(self, x: Any) -> ag.Value:
        return ag.sigmoid(x)


class Tanh(Module):
    """tanh(x), elementwise, in (-1, 1); its derivative 1 - tanh(x)² is at most 1."""

    def forward(self, x: Any) -> ag.Value:
        return ag.tanh(x)


ACTIVATIONS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class Sequential(Module):
    """Applies its layers in order: Sequential(a, b, c)(x) = c(b(a(x))).

    The layers are registered as "0", "1", ..., so parameters are named "0.weight" and so on.
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential takes Modules, got {type(layer).__name__} at "
                                f"position {index}")
            setattr(self, str(index), layer)

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class MLP(Sequential):
    """A multilayer perceptron: Linear layers of the given sizes with `activation` between
    them and none after the last, e.g. MLP([3, 16, 1]) = Linear(3→16), ReLU, Linear(16→1).

    `activation` is "relu", "tanh" or "sigmoid"; the weights are initialised to suit it (He
    for ReLU, Xavier for tanh and sigmoid), so activations stay O(1) through deep stacks.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu",
                 dtype: Any = np.float64) -> None:
        sizes = [positive_int(n, "every MLP size") for n in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least two sizes (inputs and outputs), got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got "
                             f"{activation!r}")
        init = INIT_FOR_ACTIVATION[activation]
        layers: list[Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [Linear(n_in, n_out, dtype=dtype, init=init), ACTIVATIONS[activation]()]
        super().__init__(*layers[:-1])
        self.sizes = sizes
        self.activation = activation

    def describe(self) -> str:
        return "MLP(" + "→".join(str(n) for n in self.sizes) + ")"
