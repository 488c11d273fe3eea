"""Learning-rate schedulers with PyTorch's semantics and learning-rate sequences.

    scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        train_one_epoch()                # calls optimizer.step()
        scheduler.step()                 # sets every group's "lr" for the next epoch

Construction stores each group's starting lr as `group["initial_lr"]` (unless a scheduler
already did), takes it as `base_lrs`, and performs step 0: `last_epoch` becomes 0 (or one more
than the `last_epoch` given when resuming), and the learning rates are those of that epoch.
Each `step()` adds one to `last_epoch` and sets each group's "lr".

Like PyTorch's, `StepLR`, `ExponentialLR` and `CosineAnnealingLR` compute the new lr from the
group's current lr (the "chainable" form), not from a closed formula in `last_epoch`: two
schedulers on one optimizer then compose, and the floats equal PyTorch's. `LambdaLR` sets
`base_lr * lr_lambda(last_epoch)`.

`state_dict()` holds numbers only (PyTorch's entries less its two transient flags; LambdaLR's
functions are not saved, as in PyTorch): save it with `nn.save`, restore it with
`load_state_dict` on a scheduler built the same way.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: keeps `base_lrs`, `last_epoch` and the last learning rates set; a subclass
    computes the next learning rates in `compute_lrs`."""

    # the subclass's own entries of state_dict, saved before the base class's
    hyperparameters: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        last_epoch = _whole(last_epoch, "last_epoch", minimum=-1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param_groups[{index}] has no 'initial_lr', which resuming "
                                   f"with last_epoch={last_epoch} needs; load the optimizer's "
                                   f"state_dict first, or start with last_epoch=-1")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._last_lr: list[float] = []
        self._advance(initial=True)

    def compute_lrs(self, initial: bool) -> list[float]:
        """The learning rates for epoch `last_epoch`, one per group (`initial`: step 0, made
        by the constructor)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set every group's "lr"; call it after `optimizer.step()`."""
        self._advance(initial=False)

    def _advance(self, initial: bool) -> None:
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.compute_lrs(initial),
                             strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step set, one per parameter group."""
        return list(self._last_lr)

    def _base_lrs(self) -> list[float]:
        """`base_lrs`, for the schedulers computed from them: a group added to the optimizer
        after the scheduler was made has none (StepLR and ExponentialLR, which scale each
        group's current lr, carry on as in torch)."""
        groups = len(self.optimizer.param_groups)
        if groups != len(self.base_lrs):
            raise ValueError(f"{type(self).__name__} was made for {len(self.base_lrs)} parameter "
                             f"group(s), but the optimizer now has {groups}: make the scheduler "
                             f"after add_param_group")
        return self.base_lrs

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    # -- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: its hyperparameters, `base_lrs`, `last_epoch`, the step count
        and the last learning rates (numbers and lists of numbers, copied)."""
        state = {name: getattr(self, name) for name in self.hyperparameters}
        state.update(base_lrs=list(self.base_lrs), last_epoch=self.last_epoch,
                     _step_count=self._step_count, _last_lr=list(self._last_lr))
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a state saved by `state_dict()` (or read by `nn.load`), all or nothing:
        missing or unexpected entries raise KeyError, wrong values ValueError/TypeError."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a dict, got {type(state_dict).__name__}")
        expected = [*self.hyperparameters, "base_lrs", "last_epoch", "_step_count", "_last_lr"]
        missing = [name for name in expected if name not in state_dict]
        unexpected = [name for name in state_dict if name not in expected]
        if missing or unexpected:
            raise KeyError(f"load_state_dict: {type(self).__name__}'s state has the entries "
                           f"{expected}; missing {missing}, unexpected {unexpected}")
        groups = len(self.optimizer.param_groups)
        values = {name: self.checked(name, state_dict[name]) for name in self.hyperparameters}
        values["last_epoch"] = _whole(state_dict["last_epoch"], "last_epoch", minimum=-1)
        values["_step_count"] = _whole(state_dict["_step_count"], "_step_count", minimum=0)
        for name in ("base_lrs", "_last_lr"):
            values[name] = _rates(state_dict[name], name, groups)
        for name, value in values.items():
            setattr(self, name, value)

    def checked(self, name: str, value: Any) -> Any:
        """Hyperparameter `name` checked and normalized (construction and load_state_dict)."""
        raise NotImplementedError


class StepLR(LRScheduler):
    """Multiply every group's lr by `gamma` at each epoch that is a multiple of `step_size`:
    lr = base_lr * gamma ** (last_epoch // step_size)."""

    hyperparameters = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = self.checked("step_size", step_size)
        self.gamma = self.checked("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def checked(self, name: str, value: Any) -> Any:
        if name == "step_size":
            return _whole(value, "step_size", minimum=1)
        return _real(value, "gamma", positive=True)

    def compute_lrs(self, initial: bool) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply every group's lr by `gamma` each epoch: lr = base_lr * gamma ** last_epoch."""

    hyperparameters = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = self.checked("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def checked(self, name: str, value: Any) -> Any:
        return _real(value, "gamma", positive=True)

    def compute_lrs(self, initial: bool) -> list[float]:
        if initial:  # also when resuming: step 0 must not decay the loaded learning rates
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Anneal every group's lr from base_lr to `eta_min` along half a cosine over `T_max`
    epochs, then back up over the next `T_max`, and so on (no restarts):

        lr(t) = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    computed, as in PyTorch, by the recursion from the current lr
        lr(t) = eta_min + (lr(t-1) - eta_min) * c(t) / c(t-1),   c(t) = 1 + cos(pi t / T_max)
    except at t = T_max + 1 (mod 2 T_max), where the divisor is 0 and lr(t) = lr(t-1) +
    (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2.
    """

    hyperparameters = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = self.checked("T_max", T_max)
        self.eta_min = self.checked("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def checked(self, name: str, value: Any) -> Any:
        if name == "T_max":
            return _whole(value, "T_max", minimum=1)
        return _real(value, "eta_min")

    def compute_lrs(self, initial: bool) -> list[float]:
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if initial:
            return self._current_lrs()
        if (t - 1 - period) % (2 * period) == 0:  # the bottom of the cosine: 1 + cos(...) = 0
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / period)) / 2
                    for base_lr, lr in zip(self._base_lrs(), self._current_lrs(), strict=True)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class LambdaLR(LRScheduler):
    """Set each group's lr to base_lr * lr_lambda(last_epoch); `lr_lambda` is one function for
    every group or a list of them, one per group. The functions are not saved in state_dict."""

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"expected {groups} lr_lambdas, one per parameter group, got "
                                 f"{len(lr_lambda)}")
            functions = list(lr_lambda)
        else:
            functions = [lr_lambda] * groups
        for function in functions:
            if not callable(function):
                raise TypeError(f"lr_lambda must be a function of the epoch (or a list of them), "
                                f"got {function!r}")
        self.lr_lambdas = functions
        super().__init__(optimizer, last_epoch)

    def compute_lrs(self, initial: bool) -> list[float]:
        return [base_lr * function(self.last_epoch)
                for function, base_lr in zip(self.lr_lambdas, self._base_lrs(), strict=True)]


# -- checks ------------------------------------------------------------------------------------

def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"a scheduler needs an nn.optim optimizer, got "
                        f"{type(optimizer).__name__}")


def _plain(value: Any) -> Any:
    """A number read from a file (a 0-d array) as a Python number."""
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        return value.item()
    return value


def _whole(value: Any, name: str, minimum: int) -> int:
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _real(value: Any, name: str, positive: bool = False) -> float:
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            value > 0 if positive else value >= 0):
        raise ValueError(f"{name} must be a number {'> 0' if positive else '>= 0'}, "
                         f"got {value!r}")
    return float(value)


def _rates(value: Any, name: str, groups: int) -> list[float]:
    """A list of learning rates, one per group (a list, or a 1-d array read from a file)."""
    items = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 else value
    if (not isinstance(items, (list, tuple)) or len(items) != groups
            or any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in items)):
        raise ValueError(f"load_state_dict: {name} must be a list of {groups} numbers (one per "
                         f"parameter group), got {value!r}")
    return [float(v) for v in items]
