"""Containers: `Sequential`, `ModuleList` and `ModuleDict`, which hold sub-modules.

They register their modules as PyTorch's do, so the state_dict keys agree: a Sequential's and a
ModuleList's children are "0", "1", ... ("0.weight"), a ModuleDict's are its keys
("conv.weight"). Replacing, inserting or deleting a module keeps the order of the others (the
keys of a list are renumbered, as in torch).

A slice, `model[1:]`, is a new container of the same module objects (not copies): training one
trains the other. Those modules keep the scope labels of the container they were registered in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from nn.module import Module


def check_module(container: str, module: Any, where: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{container} takes Modules, got {type(module).__name__} {where}")
    return module


def check_name(container: Module, name: Any) -> str:
    """A key for a sub-module: a non-empty string without dots (a dot separates the levels of
    a state_dict key) that is not already an attribute such as "train" or "training"."""
    kind = type(container).__name__
    if not isinstance(name, str):
        raise TypeError(f"{kind} keys must be strings, got {type(name).__name__} {name!r}")
    if not name or "." in name:
        raise KeyError(f"{kind} key {name!r} must be a non-empty string without '.'")
    if name not in container._modules and hasattr(container, name):
        raise KeyError(f"{kind} key {name!r} is already an attribute of {kind}; choose "
                       f"another name")
    return name


def register_all(container: Module, named: Iterable[tuple[str, Module]]) -> None:
    """Make `named` the container's sub-modules, in this order, each renamed for its key.

    Every old entry is removed first: assigning an attribute anew moves it to the end of the
    registration order, which would reorder the state_dict."""
    for name in list(container._modules):
        delattr(container, name)
    for name, module in named:
        setattr(container, name, module)


def adopt(container: Module, named: Iterable[tuple[str, Module]]) -> Module:
    """Register `named` in a new container WITHOUT renaming the modules, for slices: the
    modules still belong to the container they came from, and keep its labels."""
    for name, module in named:
        container._modules[name] = module
        object.__setattr__(container, name, module)
    return container


def position(container: Module, index: Any) -> int:
    """`index` (an int, negative counting from the end) as a position in the container."""
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise TypeError(f"{type(container).__name__} indices must be integers or slices, got "
                        f"{type(index).__name__}")
    size = len(container._modules)
    index = index.__index__()
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of range for a {type(container).__name__} of "
                         f"{size} modules")
    return index % size


class Sequential(Module):
    """Applies its layers in order: Sequential(a, b, c)(x) = c(b(a(x))).

    The layers are registered as "0", "1", ..., so parameters are named "0.weight" and so on;
    Sequential({"conv": ..., "relu": ...}) (a dict, torch's OrderedDict) names them by its keys.
    `model[i]` counts positions whatever the names; `model[1:]` is a Sequential of the same
    modules under their names ("1.weight", as in torch).
    """

    def __init__(self, *layers: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            for name, layer in layers[0].items():
                check_module("Sequential", layer, f"for {name!r}")
                setattr(self, check_name(self, name), layer)
            return
        for index, layer in enumerate(layers):
            setattr(self, str(index), check_module("Sequential", layer, f"at position {index}"))

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x

    def append(self, layer: Module) -> Sequential:
        """Add `layer` at the end, registered as str(len(self)); returns self."""
        setattr(self, str(len(self)), check_module("Sequential", layer, "to append"))
        return self

    def insert(self, index: int, layer: Module) -> Sequential:
        """Insert `layer` before position `index` (-len(self) <= index <= len(self), as
        torch checks); the layers are renumbered "0", "1", ... as torch does. Returns self.

        (torch's insert fails with a KeyError on a Sequential of named layers; this one
        renumbers them, as `del` does in both.)"""
        check_module("Sequential", layer, "to insert")
        size = len(self)
        if isinstance(index, bool) or not hasattr(index, "__index__"):
            raise TypeError(f"Sequential.insert index must be an integer, got "
                            f"{type(index).__name__}")
        if not -size <= index.__index__() <= size:
            raise IndexError(f"Sequential.insert index {index} is out of range for a "
                             f"Sequential of {size} modules")
        layers = list(self)
        layers.insert(index.__index__(), layer)
        register_all(self, ((str(i), m) for i, m in enumerate(layers)))
        return self

    def pop(self, index: int | slice) -> Module:
        """Remove the layer at `index` (or a slice of them, as a Sequential) and return it;
        the others are renumbered, as in torch."""
        layer = self[index]
        del self[index]
        return layer

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return adopt(Sequential(), list(self._modules.items())[index])
        return list(self._modules.values())[position(self, index)]

    def __setitem__(self, index: int, layer: Module) -> None:
        """Replace the layer at position `index`; it takes the old one's key and place (a
        named layer keeps its name), as in torch."""
        key = list(self._modules)[position(self, index)]
        setattr(self, key, check_module("Sequential", layer, f"at {index}"))

    def __delitem__(self, index: int | slice) -> None:
        """Delete the layer at `index`, or a slice of them. As torch, the remaining layers
        are renumbered "0", "1", ..., even those that had names."""
        layers = list(self)
        del layers[index if isinstance(index, slice) else position(self, index)]
        register_all(self, ((str(i), m) for i, m in enumerate(layers)))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))


class ModuleList(Module):
    """A list of modules, registered as "0", "1", ... like a Sequential's, with no forward of
    its own: the owner's forward decides how to use them.

        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])   # "blocks.0.weight"

    `append`, `extend`, `insert`, `pop`, `del`, `+`, `+=`, `len`, iteration and indexing work
    as on a list; the keys are renumbered after an insert or a delete. A slice is a new
    ModuleList of the same modules, numbered from 0 (as in torch).
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add `module` at the end; returns self."""
        setattr(self, str(len(self)), check_module("ModuleList", module, "to append"))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each of `modules` at the end, in order; returns self."""
        if isinstance(modules, Module) or not isinstance(modules, Iterable):
            raise TypeError(f"ModuleList.extend takes an iterable of Modules, got "
                            f"{type(modules).__name__}")
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before position `index`, as list.insert; the later keys shift."""
        modules = list(self)
        modules.insert(index, check_module("ModuleList", module, "to insert"))
        register_all(self, ((str(i), m) for i, m in enumerate(modules)))

    def pop(self, index: int | slice) -> Module | ModuleList:
        """Remove the module at `index` (or a slice of them, as a ModuleList) and return it;
        the later keys shift down. As torch's, `index` is required (no default of -1)."""
        module = self[index]
        del self[index]
        return module

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        """A new ModuleList of this one's modules followed by `other`'s (the same module
        objects, numbered from 0), as torch's `+`; `other` is any iterable of Modules."""
        if not isinstance(other, Iterable):
            raise TypeError(f"ModuleList + takes an iterable of Modules, got "
                            f"{type(other).__name__}")
        return ModuleList([*self, *other])

    def __iadd__(self, other: Iterable[Module]) -> ModuleList:
        """`modules += other` extends this ModuleList in place, as torch's."""
        return self.extend(other)

    def __getitem__(self, index: int | slice) -> Module | ModuleList:
        if isinstance(index, slice):
            return adopt(ModuleList(), ((str(i), m) for i, m in enumerate(list(self)[index])))
        return self._modules[str(position(self, index))]

    def __setitem__(self, index: int, module: Module) -> None:
        modules = list(self)
        modules[position(self, index)] = check_module("ModuleList", module, f"at {index}")
        register_all(self, ((str(i), m) for i, m in enumerate(modules)))

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self)
        del modules[index if isinstance(index, slice) else position(self, index)]
        register_all(self, ((str(i), m) for i, m in enumerate(modules)))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))


class ModuleDict(Module):
    """A dict of modules registered under their keys, with no forward of its own:

        self.heads = nn.ModuleDict({"age": nn.Linear(8, 1), "kind": nn.Linear(8, 3)})
        # state_dict keys "heads.age.weight", ...; self.heads["age"](h)

    The mapping interface: `d[key]`, `d[key] = module`, `del d[key]`, `key in d`, `len`,
    iteration over the keys, `keys()`, `values()`, `items()`, `update()`, `pop()`. Keys keep
    the order they were first added in; a key is a string without '.'.
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
                 ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        self._check_present(key)
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        check_module("ModuleDict", module, f"for {key!r}")
        if check_name(self, key) in self._modules:  # keep the key's place in the order
            named = {**self._modules, key: module}
            register_all(self, named.items())
        else:
            setattr(self, key, module)

    def __delitem__(self, key: str) -> None:
        self._check_present(key)
        delattr(self, key)

    def pop(self, key: str) -> Module:
        """Remove `key` and return its module."""
        module = self[key]
        delattr(self, key)
        return module

    def _check_present(self, key: Any) -> None:
        if not isinstance(key, str) or key not in self._modules:
            raise KeyError(f"ModuleDict has no key {key!r}; its keys are {list(self._modules)}")

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace the modules of a mapping, or of an iterable of (key, module) pairs."""
        if isinstance(modules, Mapping):
            pairs = list(modules.items())
        elif isinstance(modules, Iterable) and not isinstance(modules, (str, Module)):
            pairs = [tuple(pair) for pair in modules]
            for i, pair in enumerate(pairs):
                if len(pair) != 2:
                    raise ValueError(f"ModuleDict.update: element {i} has length "
                                     f"{len(pair)}; expected a (key, module) pair")
        else:
            raise TypeError(f"ModuleDict.update takes a mapping or an iterable of (key, module) "
                            f"pairs, got {type(modules).__name__}")
        for key, module in pairs:
            self[key] = module

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))
