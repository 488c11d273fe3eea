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

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

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
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())  # left out of state_dict
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "_name", None)  # attribute name or index in the parent
        object.__setattr__(self, "_label", None)  # cached scope label (see `scope_label`)
        object.__setattr__(self, "training", True)

    # -- registration ---------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        parameters = self.__dict__.get("_parameters")
        if parameters is None:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before setting attributes (setting {name!r})")
        if name in self._buffers:
            if value is not None and not isinstance(value, np.ndarray):
                raise TypeError(f"buffer {name!r} must be a numpy array or None, got "
                                f"{type(value).__name__}")
            self._buffers[name] = value
            object.__setattr__(self, name, value)
            return
        # As torch: a registered parameter or sub-module is replaced only by its own kind or
        # None; anything else would silently leave the model's parameters.
        if name in parameters and not (value is None or isinstance(value, Parameter)):
            raise TypeError(f"cannot assign a {type(value).__name__} as parameter {name!r} of "
                            f"{type(self).__name__} (nn.Parameter or None expected)")
        if name in self._modules and not (value is None or isinstance(value, Module)):
            raise TypeError(f"cannot assign a {type(value).__name__} as sub-module {name!r} of "
                            f"{type(self).__name__} (nn.Module or None expected)")
        # A name assigned again keeps its place (dicts keep the order of first insertion), so
        # state_dict keys keep torch's order.
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            parameters[name] = value
            if value.name is None:
                value.name = name  # drawings label the node "weight", "bias", ...
        elif isinstance(value, Module):
            parameters.pop(name, None)
            self._modules[name] = value
            value._set_name(name)
        else:
            parameters.pop(name, None)
            self._modules.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, array: np.ndarray | None, persistent: bool = True
                        ) -> None:
        """Register `array` as state that is saved but not trained (BatchNorm's running
        statistics): it is in `state_dict()`, not in `parameters()`, and `load_state_dict`
        copies into it in place. Later assignments to `self.<name>` replace the buffer.

        With `persistent=False`, as in torch, the buffer is in `named_buffers()` but left out
        of `state_dict()` and `load_state_dict()`: state derived from elsewhere (a cached
        mask, say) that a checkpoint need not carry."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"a buffer name must be an identifier, got {name!r}")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"{name!r} is already a parameter or sub-module of "
                           f"{type(self).__name__}")
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        self._buffers[name] = None
        setattr(self, name, array)

    def _set_name(self, name: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_label", None)

    # -- calling --------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with ag.scope(self._label or self.scope_label()):
            output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> HookHandle:
        """Call `hook(module, args, output)` after every forward of this module, as in
        PyTorch; a hook that returns something other than None replaces the output.
        Returns a handle whose `.remove()` unregisters the hook."""
        handle = HookHandle(self._forward_hooks)
        self._forward_hooks[handle.key] = hook
        return handle

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

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, each once, depth first."""
        return (module for _, module in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct sub-modules, in registration order."""
        return iter(list(self._modules.items()))

    def children(self) -> Iterator[Module]:
        return (module for _, module in self.named_children())

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every sub-module and then on this one (children first, as in
        PyTorch), e.g. to re-initialise weights; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

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

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, array) for every buffer of this module and its sub-modules."""
        for prefix, module in self.named_modules():
            for name, array in module._buffers.items():
                if array is not None:
                    yield (f"{prefix}.{name}" if prefix else name), array

    def buffers(self) -> Iterator[np.ndarray]:
        return (array for _, array in self.named_buffers())

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
        """A copy of every parameter's and buffer's data, by dotted name, in PyTorch's order
        (each module's parameters, then its buffers, then its sub-modules), so the keys equal
        those of the same architecture in torch. Later updates don't change the copy."""
        return {name: np.array(target.data if isinstance(target, Parameter) else target)
                for name, target in self._state_targets()}

    def _state_targets(self) -> Iterator[tuple[str, Parameter | np.ndarray]]:
        """(dotted name, Parameter or buffer array) of every state entry, in state_dict order.

        As in torch, a parameter or module shared by several places (tied weights) appears
        under each of its names, so the keys are torch's; `named_parameters` lists it once.
        """
        stack: list[tuple[str, Module, frozenset[int]]] = [("", self, frozenset())]
        while stack:
            prefix, module, ancestors = stack.pop()
            dot = f"{prefix}." if prefix else ""
            for name, parameter in module._parameters.items():
                yield dot + name, parameter
            for name, array in module._buffers.items():
                if array is not None and name not in module._non_persistent_buffers:
                    yield dot + name, array
            inside = ancestors | {id(module)}
            children = [(dot + name, child, inside) for name, child in module._modules.items()
                        if id(child) not in inside]  # a module inside itself: once
            stack.extend(reversed(children))

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy `state` (dotted name -> array) into the parameters and buffers, all or nothing.

        Every key and shape is checked before anything is written: a non-numeric or
        mis-shaped entry raises ValueError naming it, and leaves every parameter as it was.
        With `strict` (the default), so does a missing or unexpected entry (KeyError); with
        `strict=False`, as in torch, those are skipped, e.g. to load a backbone into a model
        with a new head. Values are cast to each entry's dtype; buffers are written in place
        (a batch_norm op holds on to its running statistics).

        Returns, as torch, the named tuple `(missing_keys, unexpected_keys)`: both empty
        unless `strict=False` let some through.
        """
        targets = dict(self._state_targets())
        if strict:
            check_entry_names(targets, state, "load_state_dict")
        incompatible = IncompatibleKeys([name for name in targets if name not in state],
                                        [name for name in state if name not in targets])
        targets = {name: target for name, target in targets.items() if name in state}
        arrays = {}
        for name, target in targets.items():
            array = np.asarray(state[name])
            if array.dtype.kind not in "fiu":
                raise ValueError(f"load_state_dict: entry {name!r} has dtype {array.dtype}; "
                                 f"expected numbers")
            if array.shape != target.shape:
                kind = "parameter" if isinstance(target, Parameter) else "buffer"
                raise ValueError(f"load_state_dict: entry {name!r} has shape {array.shape}, "
                                 f"but the {kind} has shape {target.shape}")
            arrays[name] = array
        for name, target in targets.items():
            if not isinstance(target, Parameter):
                np.copyto(target, arrays[name], casting="unsafe")
                continue
            data = target.data
            if isinstance(data, np.ndarray):
                np.copyto(data, arrays[name], casting="unsafe")
                target.data = data  # assigned: a graph built before refuses backward
            else:  # a scalar Value keeps a Python float
                target.data = float(arrays[name])
        return incompatible


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` returns, as torch's: the module's entries that `state` lacked,
    and the entries of `state` the module has no place for."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class HookHandle:
    """What `register_forward_hook` returns: `.remove()` unregisters the hook."""

    _next_key = 0

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.hooks = hooks
        self.key = HookHandle._next_key
        HookHandle._next_key += 1

    def remove(self) -> None:
        self.hooks.pop(self.key, None)


def check_entry_names(expected: Mapping[str, Any], given: Mapping[str, Any], where: str) -> None:
    """KeyError naming the entries of `given` that are missing from, or not in, `expected`."""
    missing = [name for name in expected if name not in given]
    if missing:
        raise KeyError(f"{where}: missing entries {missing}")
    unexpected = [name for name in given if name not in expected]
    if unexpected:
        raise KeyError(f"{where}: unexpected entries {unexpected} (the module has "
                       f"{list(expected)})")
