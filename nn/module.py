"""`Module`, the base of every layer, head and loss, and `Parameter`, the Values it trains.

A Module finds its parameters and sub-modules by attribute assignment, as in PyTorch:

    class Neuron(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 1)      # a sub-module, registered as "linear"

        def forward(self, x):
            return self.linear(x).sigmoid()

Calling a module runs `forward` inside `autograd.scope(label)`, so every Value made there
remembers which module made it; drawings group the graph into one cluster per module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

import autograd as ag


class Parameter(ag.Value):
    """A Value that a Module trains: registered when assigned as a Module attribute.

    Array data is copied (contiguous, in the same row- or column-major layout, and writeable),
    so optimizers can update `.data` in place without ever writing into the array it was
    made from.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None):
        if isinstance(data, np.ndarray):
            data = np.array(data, order="K")
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__().removeprefix("Value")


class Module:
    """Base class of layers, heads and losses: subclasses set attributes and write `forward`."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_name", None)  # attribute name or index in the parent
        object.__setattr__(self, "_label", None)  # cached scope label (see `scope_label`)
        object.__setattr__(self, "training", True)

    # -- registration ---------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        parameters = self.__dict__.get("_parameters")
        if parameters is None:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before setting attributes (setting {name!r})")
        parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            parameters[name] = value
            if value.name is None:
                value.name = name  # drawings label the node "weight", "bias", ...
        elif isinstance(value, Module):
            self._modules[name] = value
            value._set_name(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def _set_name(self, name: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_label", None)

    # -- calling --------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with ag.scope(self._label or self.scope_label()):
            return self.forward(*args, **kwargs)

    def describe(self) -> str:
        """A short description, e.g. "Linear(3→16)": used in labels, drawings and repr."""
        return type(self).__name__

    def scope_label(self) -> str:
        """The label of this module's cluster in drawings: "0: Linear(3→16)" for a child
        registered as "0", just the description for a module with no parent."""
        if self._label is None:
            label = self.describe() if self._name is None else f"{self._name}: {self.describe()}"
            object.__setattr__(self, "_label", label)
        return self._label

    def __repr__(self) -> str:
        lines = [self.describe()]
        for name, child in self._modules.items():
            child_lines = repr(child).splitlines()
            lines.append(f"  ({name}): {child_lines[0]}")
            lines.extend("  " + line for line in child_lines[1:])
        return "\n".join(lines)

    # -- traversal ------------------------------------------------------------------------
    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ("") and every sub-module, each once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield prefix, module
            children = [(f"{prefix}.{name}" if prefix else name, child)
                        for name, child in module._modules.items()]
            stack.extend(reversed(children))  # depth first, in registration order

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs such as ("0.weight", ...); a parameter shared by
        several modules appears once, under its first name."""
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, parameter in module._parameters.items():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield (f"{prefix}.{name}" if prefix else name), parameter

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter of this module and its sub-modules, each once."""
        return (parameter for _, parameter in self.named_parameters())

    def zero_grad(self) -> None:
        """Reset every parameter's `.grad` to None (the next backward starts from zero)."""
        for parameter in self.parameters():
            parameter.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set `training` on this module and every sub-module; returns self."""
        for _, module in self.named_modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Same as `train(False)`."""
        return self.train(False)

    # -- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's data, by dotted name (later updates don't change it)."""
        return {name: np.array(p.data) for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy `state` (dotted name -> array) into the parameters, all or nothing.

        Every key and shape is checked before anything is written: a missing, unexpected,
        non-numeric or mis-shaped entry raises KeyError/ValueError naming it, and leaves every
        parameter as it was. Values are cast to each parameter's dtype.
        """
        parameters = dict(self.named_parameters())
        check_entry_names(parameters, state, "load_state_dict")
        arrays = {}
        for name, parameter in parameters.items():
            array = np.asarray(state[name])
            if array.dtype.kind not in "fiu":
                raise ValueError(f"load_state_dict: entry {name!r} has dtype {array.dtype}; "
                                 f"expected numbers")
            if array.shape != parameter.shape:
                raise ValueError(f"load_state_dict: entry {name!r} has shape {array.shape}, "
                                 f"but the parameter has shape {parameter.shape}")
            arrays[name] = array
        for name, parameter in parameters.items():
            data = parameter.data
            if isinstance(data, np.ndarray):
                np.copyto(data, arrays[name], casting="unsafe")
                parameter.data = data  # assigned: a graph built before refuses backward
            else:  # a scalar Value keeps a Python float
                parameter.data = float(arrays[name])


def check_entry_names(expected: Mapping[str, Any], given: Mapping[str, Any], where: str) -> None:
    """KeyError naming the entries of `given` that are missing from, or not in, `expected`."""
    missing = [name for name in expected if name not in given]
    if missing:
        raise KeyError(f"{where}: missing entries {missing}")
    unexpected = [name for name in given if name not in expected]
    if unexpected:
        raise KeyError(f"{where}: unexpected entries {unexpected} (the module has "
                       f"{list(expected)})")
