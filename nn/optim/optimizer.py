"""`Optimizer`, the base of every optimizer: parameter groups, the step loop, and state_dict.

As in PyTorch, `params` is an iterable of Values or a list of dicts, the parameter groups:

    nn.optim.SGD([{"params": body.parameters()},
                  {"params": head.parameters(), "lr": 0.01}], lr=0.1, momentum=0.9)

Each group is a dict holding its "params" and every hyperparameter; what a group leaves out is
filled from the constructor's arguments (`optimizer.defaults`). A step reads the
hyperparameters from the group, so a scheduler (or you) can change `group["lr"]` between steps.

`state` maps each parameter to its own dict of running arrays ("exp_avg", "momentum_buffer",
...), created at its first update, with PyTorch's names. `state_dict()` returns PyTorch's
layout, parameters numbered in group order:

    {"state": {0: {"step": 3, "exp_avg": array, ...}, ...},
     "param_groups": [{"lr": 0.1, ..., "params": [0, 1]}, ...]}

Updates run in place on `p.data`, through work arrays kept per parameter (`Scratch`), so a step
allocates no new arrays; `p.data` is then assigned back to itself, which marks the parameter
as changed so a graph built before the step refuses to run backward. A parameter whose `.grad`
is None is skipped, as in PyTorch. A scalar Value holds a Python float: it is updated as a 0-d
float64 array, its state is 0-d arrays, and it is stored back as a float.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

import autograd as ag

Params = ag.Value | Iterable[ag.Value] | Iterable[Mapping[str, Any]]


class Scratch:
    """A parameter's work arrays, reused from step to step and never saved.
    `scratch(slot, like)` is work array number `slot`, shaped like `like`."""

    __slots__ = ("_arrays",)

    def __init__(self) -> None:
        self._arrays: list[np.ndarray] = []

    def __call__(self, slot: int, like: np.ndarray) -> np.ndarray:
        if slot == len(self._arrays):
            self._arrays.append(np.empty_like(like))
        array = self._arrays[slot]
        if array.shape != like.shape or array.dtype != like.dtype:
            array = self._arrays[slot] = np.empty_like(like)
        return array


class Optimizer:
    """Base class: holds the parameter groups and the per-parameter state, zeroes gradients,
    and runs the subclass's `update` on every parameter that has a gradient.

    A subclass passes its hyperparameters as `defaults`, and defines `update`, `check_group`
    (validate and normalize one group's hyperparameters) and `state_keys` (the state entries
    a parameter of that group must have).
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[ag.Value, dict[str, Any]] = {}
        self._scratch: dict[ag.Value, Scratch] = {}
        if isinstance(params, ag.Value):
            raise TypeError("params must be an iterable of Values (e.g. model.parameters()) or "
                            "of parameter-group dicts, got a single Value; wrap it in a list")
        if isinstance(params, (set, frozenset)):
            raise TypeError("params is a set, whose order changes from run to run (and with it "
                            "the numbering in state_dict); pass a list")
        groups = list(params)
        if not groups:
            raise ValueError("the optimizer got an empty list of parameters")
        dicts = [isinstance(group, Mapping) for group in groups]
        if all(dicts):
            for group in groups:
                self.add_param_group(group)
        elif any(dicts):
            raise TypeError("params mixes parameter-group dicts with single parameters; put "
                            "every parameter in a group: [{'params': [...]}, ...]")
        else:
            self.add_param_group({"params": groups})

    # -- groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group (a dict with "params" and any hyperparameters; the others are taken
        from `defaults`). Its parameters must be leaf Values that require grad, each in no
        other group."""
        index = len(self.param_groups)
        if not isinstance(param_group, Mapping):
            raise TypeError(f"parameter group {index} must be a dict, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise KeyError(f"parameter group {index} has no 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"the params of parameter group {index} are a set, whose order "
                            f"changes from run to run; pass a list")
        group["params"] = [params] if isinstance(params, ag.Value) else list(params)
        self._check_params(group["params"], index)
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.check_group(group, f"parameter group {index}")
        self.param_groups.append(group)

    def _check_params(self, params: list[Any], group_index: int) -> None:
        first = sum(len(group["params"]) for group in self.param_groups)
        positions = {id(p): i for i, p in enumerate(self._all_params())}
        several = group_index > 0  # name the groups once there is more than one

        def describe(index: int) -> str:
            group = group_index if index >= first else self._group_of(index)
            return f"parameter {index} (group {group})" if several else f"parameter {index}"

        for offset, p in enumerate(params):
            where = describe(first + offset)
            if not isinstance(p, ag.Value) or not p.requires_grad:
                raise TypeError(f"{where} is not a Value that requires grad: {p!r}")
            if not p.is_leaf:
                raise ValueError(f"{where} ({p!r}) is not a leaf: it is the result of '{p.op}', "
                                 f"so updating it would not change the Values it was computed "
                                 f"from; pass those instead")
            if id(p) in positions:
                raise ValueError(f"{where} is {describe(positions[id(p)])} again: it would be "
                                 f"updated twice per step")
            positions[id(p)] = first + offset

    def _group_of(self, index: int) -> int:
        for group_index, group in enumerate(self.param_groups):
            if index < len(group["params"]):
                return group_index
            index -= len(group["params"])
        raise IndexError(index)

    def _all_params(self) -> list[ag.Value]:
        return [p for group in self.param_groups for p in group["params"]]

    def check_group(self, group: dict[str, Any], where: str) -> None:
        """Check the hyperparameters of `group` and normalize their types, in place."""
        raise NotImplementedError

    def state_keys(self, group: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the state entries a parameter of `group` must have, those it may also have)."""
        raise NotImplementedError

    # -- stepping -------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Reset every parameter's `.grad` to None."""
        for p in self._all_params():
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, with its group's hyperparameters."""
        for group in self.param_groups:
            self.step_group(group)

    def step_group(self, group: dict[str, Any]) -> None:
        """Update the parameters of one group that have a gradient (a subclass may take a
        faster path for some hyperparameters, and come back here for the others)."""
        for p in group["params"]:
            if p.grad is not None:
                self.step_param(group, p)

    def step_param(self, group: dict[str, Any], p: ag.Value) -> None:
        """Update one parameter that has a gradient, with `group`'s hyperparameters."""
        if np.shape(p.grad) != np.shape(p.data):  # broadcast, it would update silently wrong
            where = (f"parameter {group['params'].index(p)} of group "
                     f"{self.param_groups.index(group)} ({p.name or 'unnamed'})")
            raise ValueError(f"{where} has a .grad of shape {np.shape(p.grad)}, but its data has "
                             f"shape {np.shape(p.data)}; a gradient must have its parameter's "
                             f"shape")
        state = self.state.get(p)
        if state is None:
            state = {}
        scratch = self._scratch.get(p)
        if scratch is None:
            scratch = self._scratch[p] = Scratch()
        data = p.data
        if isinstance(data, np.ndarray):
            self.update(group, state, data, np.asarray(p.grad), scratch)
            p.data = data  # in place, but assigned: a graph built before refuses backward
        else:  # a Python float: update a 0-d copy and store it back
            data = np.array(data, dtype=np.float64)
            self.update(group, state, data, np.array(p.grad, dtype=np.float64), scratch)
            p.data = float(data)
        if state and p not in self.state:
            self.state[p] = state

    def update(self, group: dict[str, Any], state: dict[str, Any], param: np.ndarray,
               grad: np.ndarray, scratch: Scratch) -> None:
        """Update `param` in place from `grad`, with `group`'s hyperparameters; `state` is the
        parameter's own (empty at its first update), `scratch` its work arrays."""
        raise NotImplementedError

    # -- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A copy of the state in PyTorch's layout (see the module docstring): parameters are
        numbered in group order, and only those with state appear in "state"."""
        numbers = {p: index for index, p in enumerate(self._all_params())}
        groups = []
        for group in self.param_groups:
            packed = {key: _copy(value) for key, value in group.items() if key != "params"}
            packed["params"] = [numbers[p] for p in group["params"]]
            groups.append(packed)
        state = {numbers[p]: {key: _copy(value) for key, value in entries.items()}
                 for p, entries in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a state saved by `state_dict()` (or read by `nn.load`), all or nothing.

        The saved groups' hyperparameters replace the current ones; their "params" are matched
        to this optimizer's parameters by position. Everything is checked before anything
        changes: the number of groups and of parameters in each, every hyperparameter, the
        state entries of each parameter and their shapes (KeyError/ValueError/TypeError naming
        what is wrong). Arrays are copied, cast to the parameter's dtype.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a dict with 'state' and 'param_groups', "
                            f"got {type(state_dict).__name__}")
        _check_names(["state", "param_groups"], state_dict, "the state_dict")
        saved_groups = state_dict["param_groups"]
        if isinstance(saved_groups, (str, Mapping)) or not isinstance(saved_groups, Sequence):
            raise TypeError(f"load_state_dict: 'param_groups' must be a list of dicts, got "
                            f"{type(saved_groups).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: the state_dict has {len(saved_groups)} parameter "
                             f"groups, the optimizer has {len(self.param_groups)}")
        groups, params, group_of = [], {}, {}
        pairs = zip(saved_groups, self.param_groups, strict=True)
        for index, (saved, current) in enumerate(pairs):
            group = self._loaded_group(saved, current, index)
            for number, p in zip(_indices(saved["params"], index), group["params"], strict=True):
                if number in params:
                    raise ValueError(f"load_state_dict: parameter number {number} appears twice "
                                     f"in the param_groups")
                params[number], group_of[number] = p, group
            groups.append(group)
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise TypeError(f"load_state_dict: 'state' must be a dict (parameter number -> "
                            f"dict of arrays), got {type(saved_state).__name__}")
        state = {}
        for number, entries in saved_state.items():
            if _integer(number) not in params:
                raise KeyError(f"load_state_dict: 'state' has an entry for parameter {number!r}, "
                               f"but the param_groups number the parameters {sorted(params)}")
            number = _integer(number)
            p = params[number]
            state[p] = self._loaded_state(entries, p, group_of[number], f"parameter {number}")
        self.param_groups[:] = groups
        self.state = state

    def _loaded_group(self, saved: Any, current: dict[str, Any], index: int) -> dict[str, Any]:
        where = f"parameter group {index}"
        if not isinstance(saved, Mapping):
            raise TypeError(f"load_state_dict: {where} must be a dict, got "
                            f"{type(saved).__name__}")
        if "params" not in saved:
            raise KeyError(f"load_state_dict: {where} has no 'params' entry")
        count = len(_indices(saved["params"], index))
        if count != len(current["params"]):
            raise ValueError(f"load_state_dict: {where} has {count} parameters in the state_dict, "
                             f"{len(current['params'])} in the optimizer")
        missing = [name for name in self.defaults if name not in saved]
        if missing:
            raise KeyError(f"load_state_dict: {where} lacks the hyperparameters {missing}; "
                           f"{type(self).__name__} has {list(self.defaults)} (is this the state "
                           f"of another kind of optimizer?)")
        group = {key: _plain(value) for key, value in saved.items() if key != "params"}
        group["params"] = current["params"]
        self.check_group(group, f"load_state_dict: {where}")
        return group

    def _loaded_state(self, entries: Any, p: ag.Value, group: Mapping[str, Any], where: str
                      ) -> dict[str, Any]:
        if not isinstance(entries, Mapping):
            raise TypeError(f"load_state_dict: the state of {where} must be a dict, got "
                            f"{type(entries).__name__}")
        required, optional = self.state_keys(group)
        _check_names(required, entries, f"the state of {where}", optional)
        loaded: dict[str, Any] = {}
        for key, value in entries.items():
            if key == "step":
                loaded[key] = _count(value, f"load_state_dict: the state of {where}: 'step'")
                continue
            array = np.asarray(value)
            if array.dtype.kind not in "fiu":
                raise ValueError(f"load_state_dict: the state of {where}: {key!r} has dtype "
                                 f"{array.dtype}; expected numbers")
            if array.shape != p.shape:
                raise ValueError(f"load_state_dict: the state of {where}: {key!r} has shape "
                                 f"{array.shape}, but the parameter has shape {p.shape}")
            buffer = np.empty_like(p.data) if isinstance(p.data, np.ndarray) else np.zeros(())
            np.copyto(buffer, array, casting="unsafe")
            loaded[key] = buffer
        return loaded


# -- checks and conversions shared by the optimizers -------------------------------------------

# -- the update steps several optimizers share, in place on numpy arrays --------------------
def with_weight_decay(grad: np.ndarray, param: np.ndarray, weight_decay: float,
                      out: np.ndarray) -> np.ndarray:
    """g = grad + weight_decay * p (L2 regularisation, PyTorch's coupled weight decay), in
    `out`, which is returned."""
    np.multiply(param, weight_decay, out=out)
    out += grad
    return out


def update_running_mean(mean: np.ndarray, x: np.ndarray, decay: float,
                        work: np.ndarray) -> None:
    """mean = decay * mean + (1 - decay) * x, as PyTorch computes it: mean += (1 - decay) *
    (x - mean) (its lerp form)."""
    np.subtract(x, mean, out=work)
    work *= 1 - decay
    mean += work


def update_running_square(average: np.ndarray, g: np.ndarray, decay: float,
                          work: np.ndarray) -> None:
    """average = decay * average + (1 - decay) * g^2 (Adam's v, RMSprop's square_avg)."""
    average *= decay
    np.multiply(g, 1 - decay, out=work)
    work *= g
    average += work


def real(group: dict[str, Any], name: str, where: str, minimum: float | None = 0.0) -> float:
    """group[name] as a float, refused if it is not a number or is below `minimum`."""
    value = _plain(group[name])
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    if minimum is not None and not value >= minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum:g}, got {value}")
    group[name] = float(value)
    return group[name]


def flag(group: dict[str, Any], name: str, where: str) -> bool:
    """group[name] as a bool (0 and 1, as a file stores them, are accepted)."""
    value = _plain(group[name])
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral)
                                              and value in (0, 1)):
        group[name] = bool(value)
        return group[name]
    raise TypeError(f"{where}: {name} must be True or False, got {value!r}")


def betas(group: dict[str, Any], where: str) -> tuple[float, float]:
    """group["betas"] as a pair of floats in [0, 1)."""
    value = group["betas"]
    pair = value.tolist() if isinstance(value, np.ndarray) else value
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or any(isinstance(b, bool) or not isinstance(b, numbers.Real) for b in pair)
            or not all(0 <= b < 1 for b in pair)):
        raise ValueError(f"{where}: betas must be two numbers in [0, 1), got {value!r}")
    group["betas"] = (float(pair[0]), float(pair[1]))
    return group["betas"]


def _plain(value: Any) -> Any:
    """A number read from a file (a 0-d array) as a Python number; anything else as it is."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.array(value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _integer(value: Any) -> int | None:
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def _count(value: Any, where: str) -> int:
    """A step count: a whole number from 0 to 2**53, where floats stop counting one by one
    (PyTorch saves it as a float tensor; nn.save as an int64)."""
    value = _plain(value)
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not 0 <= value <= 2 ** 53 or not float(value).is_integer()):
        raise ValueError(f"{where} must be a whole number from 0 to 2**53, got {value!r}")
    return int(value)


def _indices(value: Any, group_index: int) -> list[int]:
    """A group's saved "params": parameter numbers (a list, or a 1-d array read from a file)."""
    items = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 else value
    if isinstance(items, (str, Mapping)) or not isinstance(items, Sequence):
        raise TypeError(f"load_state_dict: the 'params' of parameter group {group_index} must be "
                        f"a list of parameter numbers, got {value!r}")
    numbers_ = [_integer(item) for item in items]
    if any(number is None for number in numbers_):
        raise TypeError(f"load_state_dict: the 'params' of parameter group {group_index} must be "
                        f"a list of parameter numbers, got {value!r}")
    return numbers_


def _check_names(required: Sequence[str], given: Mapping[str, Any], what: str,
                 optional: Sequence[str] = ()) -> None:
    """KeyError naming the entries of `given` that are missing or not expected."""
    missing = [name for name in required if name not in given]
    if missing:
        raise KeyError(f"load_state_dict: {what} lacks the entries {missing}")
    unexpected = [name for name in given if name not in required and name not in optional]
    if unexpected:
        raise KeyError(f"load_state_dict: {what} has unexpected entries {unexpected} "
                       f"(expected {[*required, *optional]})")
