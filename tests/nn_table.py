"""The one table of nn layers, losses, optimizers and schedulers compared with their torch twins.

Each case names our object and torch's, built the same way; `test_nn_vs_torch.py` drives every
case. The cases of each group live in `nn_cases_<group>.py`, imported at the end:

    module_case("Linear", make=lambda: nn.Linear(3, 2),
                make_torch=lambda torch: torch.nn.Linear(3, 2), inputs=[(4, 3)])

- `inputs`: a shape (random normal data, differentiated on both sides) or a function
  `rng -> array` (a constant such as integer indices or labels).
- `output`: maps the module's result, ours or torch's, to what is compared: one tensor or a
  tuple (an RNN's `(output, h_n)`). Default: the result itself.
- `stochastic`: the forward draws random numbers (Dropout): compared in eval mode only.
- Optimizer cases train three parameters of shapes (3, 4), (4,) and () on the same gradients;
  `groups=True` passes them as two parameter groups, the second with lr 0.05.
- Scheduler cases step an SGD optimizer (lr 0.1) 30 times and compare the learning rates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Input = tuple[int, ...] | Callable[[np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class ModuleCase:
    id: str
    make: Callable[[], Any]
    make_torch: Callable[[Any], Any]
    inputs: tuple[Input, ...]
    output: Callable[[Any], Any] | None = None
    modes: tuple[str, ...] = ("train", "eval")
    stochastic: bool = False
    dtype: Any = np.float64
    kwargs: dict = field(default_factory=dict)
    rtol: float = 1e-10
    atol: float = 1e-12

    def arrays(self, seed: int = 0) -> list[np.ndarray]:
        """The inputs: random normal data for each shape, the case's function otherwise."""
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(spec).astype(self.dtype) if isinstance(spec, tuple)
                else spec(rng) for spec in self.inputs]

    def outputs(self, result: Any) -> tuple:
        """What is compared, always as a tuple."""
        result = result if self.output is None else self.output(result)
        return result if isinstance(result, tuple) else (result,)


@dataclass(frozen=True)
class OptimizerCase:
    id: str
    make: Callable[[Any], Any]
    make_torch: Callable[[Any, Any], Any]
    groups: bool = False
    steps: int = 10


@dataclass(frozen=True)
class SchedulerCase:
    id: str
    make: Callable[[Any], Any]
    make_torch: Callable[[Any, Any], Any]
    epochs: int = 30


MODULES: list[ModuleCase] = []
OPTIMIZERS: list[OptimizerCase] = []
SCHEDULERS: list[SchedulerCase] = []


def module_case(id: str, make: Callable, make_torch: Callable, inputs: list, **options: Any
                ) -> None:
    MODULES.append(ModuleCase(id, make, make_torch, tuple(inputs), **options))


def optimizer_case(id: str, make: Callable, make_torch: Callable, **options: Any) -> None:
    OPTIMIZERS.append(OptimizerCase(id, make, make_torch, **options))


def scheduler_case(id: str, make: Callable, make_torch: Callable, **options: Any) -> None:
    SCHEDULERS.append(SchedulerCase(id, make, make_torch, **options))


# -- the layers of version 1 -------------------------------------------------------------------
import nn  # noqa: E402

module_case("Linear", make=lambda: nn.Linear(3, 2),
            make_torch=lambda torch: torch.nn.Linear(3, 2), inputs=[(4, 3)])
module_case("Linear no bias, float32", make=lambda: nn.Linear(3, 2, bias=False, dtype=np.float32),
            make_torch=lambda torch: torch.nn.Linear(3, 2, bias=False), inputs=[(4, 3)],
            dtype=np.float32, rtol=1e-5, atol=1e-6)
module_case("Linear on (2, 4, 3)", make=lambda: nn.Linear(3, 2),
            make_torch=lambda torch: torch.nn.Linear(3, 2),
            inputs=[(2, 4, 3)])
for _name in ["ReLU", "Sigmoid", "Tanh"]:
    module_case(_name, make=getattr(nn, _name), make_torch=lambda torch, n=_name: getattr(
        torch.nn, n)(), inputs=[(3, 4)])
module_case("Sequential with nested names",
            make=lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(),
                                       nn.Sequential(nn.Linear(4, 2), nn.ReLU())),
            make_torch=lambda torch: torch.nn.Sequential(
                torch.nn.Linear(3, 4), torch.nn.Tanh(),
                torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU())),
            inputs=[(5, 3)])

# -- the other groups, one module each (imported last: they use the functions above)
import nn_cases_layers  # noqa: E402, F401
import nn_cases_optim  # noqa: E402, F401
import nn_cases_recurrent  # noqa: E402, F401
import nn_cases_training  # noqa: E402, F401
