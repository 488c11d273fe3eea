"""nn-table cases: training (see nn_table.py). Every loss with every reduction, and each of
its other arguments (label_smoothing, pos_weight, delta, class scores with extra axes).

Targets and labels are constant inputs (functions of the rng): BCE targets in [0, 1], class
labels in [0, C). BCELoss needs probabilities in (0, 1) that are still differentiated, so its
cases wrap it in a module that applies the sigmoid to both inputs first (with both inputs
constant, the driver would have nothing to differentiate).
"""

import numpy as np
from nn_table import module_case

import autograd as ag
import nn

REDUCTIONS = ("mean", "sum", "none")
POS_WEIGHT = [0.5, 2.0, 3.0]  # one per class: the last axis of the (4, 3) logits


def labels(classes: int, shape: int | tuple[int, ...]):
    return lambda rng: rng.integers(0, classes, shape)


def unit_targets(shape: tuple[int, ...], dtype=np.float64):
    return lambda rng: rng.uniform(0, 1, shape).astype(dtype)


class OnProbabilities(nn.Module):
    """loss(sigmoid(a), sigmoid(b)): probabilities and targets in (0, 1), both differentiated."""

    def __init__(self, loss: nn.Module) -> None:
        super().__init__()
        self.loss = loss

    def forward(self, a, b):
        return self.loss(ag.sigmoid(a), ag.sigmoid(b))


def torch_on_probabilities(torch, loss):
    """torch's twin of OnProbabilities (made here: torch is imported only by the driver)."""

    class TorchOnProbabilities(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.loss = loss

        def forward(self, a, b):
            return self.loss(torch.sigmoid(a), torch.sigmoid(b))

    return TorchOnProbabilities()


for r in REDUCTIONS:
    for name in ("MSELoss", "L1Loss", "HuberLoss"):
        module_case(f"{name} reduction={r}", make=lambda n=name, r=r: getattr(nn, n)(reduction=r),
                    make_torch=lambda torch, n=name, r=r: getattr(torch.nn, n)(reduction=r),
                    inputs=[(4, 3), (4, 3)])
    module_case(f"HuberLoss delta=0.5 reduction={r}",
                make=lambda r=r: nn.HuberLoss(r, 0.5),
                make_torch=lambda torch, r=r: torch.nn.HuberLoss(r, 0.5),
                inputs=[(4, 3), (4, 3)])
    module_case(f"HuberLoss delta=2.5 on (2, 3, 4) reduction={r}",
                make=lambda r=r: nn.HuberLoss(reduction=r, delta=2.5),
                make_torch=lambda torch, r=r: torch.nn.HuberLoss(reduction=r, delta=2.5),
                inputs=[(2, 3, 4), (2, 3, 4)])

    module_case(f"CrossEntropyLoss reduction={r}",
                make=lambda r=r: nn.CrossEntropyLoss(reduction=r),
                make_torch=lambda torch, r=r: torch.nn.CrossEntropyLoss(reduction=r),
                inputs=[(5, 3), labels(3, 5)])
    module_case(f"CrossEntropyLoss label_smoothing=0.2 reduction={r}",
                make=lambda r=r: nn.CrossEntropyLoss(reduction=r, label_smoothing=0.2),
                make_torch=lambda torch, r=r: torch.nn.CrossEntropyLoss(reduction=r,
                                                                        label_smoothing=0.2),
                inputs=[(5, 3), labels(3, 5)])
    module_case(f"CrossEntropyLoss on (2, 3, 4) reduction={r}",
                make=lambda r=r: nn.CrossEntropyLoss(reduction=r, label_smoothing=0.1),
                make_torch=lambda torch, r=r: torch.nn.CrossEntropyLoss(reduction=r,
                                                                        label_smoothing=0.1),
                inputs=[(2, 3, 4), labels(3, (2, 4))])

    module_case(f"NLLLoss reduction={r}", make=lambda r=r: nn.NLLLoss(reduction=r),
                make_torch=lambda torch, r=r: torch.nn.NLLLoss(reduction=r),
                inputs=[(5, 3), labels(3, 5)])
    module_case(f"NLLLoss on (2, 3, 4) reduction={r}", make=lambda r=r: nn.NLLLoss(reduction=r),
                make_torch=lambda torch, r=r: torch.nn.NLLLoss(reduction=r),
                inputs=[(2, 3, 4), labels(3, (2, 4))])

    module_case(f"BCELoss reduction={r}",
                make=lambda r=r: OnProbabilities(nn.BCELoss(reduction=r)),
                make_torch=lambda torch, r=r: torch_on_probabilities(
                    torch, torch.nn.BCELoss(reduction=r)),
                inputs=[(4, 3), (4, 3)])

    module_case(f"BCEWithLogitsLoss reduction={r}",
                make=lambda r=r: nn.BCEWithLogitsLoss(reduction=r),
                make_torch=lambda torch, r=r: torch.nn.BCEWithLogitsLoss(reduction=r),
                inputs=[(4, 3), unit_targets((4, 3))])
    module_case(f"BCEWithLogitsLoss pos_weight reduction={r}",
                make=lambda r=r: nn.BCEWithLogitsLoss(reduction=r,
                                                      pos_weight=np.array(POS_WEIGHT)),
                make_torch=lambda torch, r=r: torch.nn.BCEWithLogitsLoss(
                    reduction=r, pos_weight=torch.tensor(POS_WEIGHT)),
                inputs=[(4, 3), unit_targets((4, 3))])
    module_case(f"BCEWithLogitsLoss with differentiated targets reduction={r}",
                make=lambda r=r: OnProbabilities(nn.BCEWithLogitsLoss(reduction=r)),
                make_torch=lambda torch, r=r: torch_on_probabilities(
                    torch, torch.nn.BCEWithLogitsLoss(reduction=r)),
                inputs=[(4, 3), (4, 3)])

# float32 in, float32 out, as torch's
F32 = {"dtype": np.float32, "rtol": 1e-5, "atol": 1e-6}
module_case("MSELoss float32", make=nn.MSELoss, make_torch=lambda torch: torch.nn.MSELoss(),
            inputs=[(4, 3), (4, 3)], **F32)
module_case("CrossEntropyLoss float32", make=nn.CrossEntropyLoss,
            make_torch=lambda torch: torch.nn.CrossEntropyLoss(),
            inputs=[(5, 3), labels(3, 5)], **F32)
module_case("BCEWithLogitsLoss pos_weight float32",
            make=lambda: nn.BCEWithLogitsLoss(pos_weight=np.array(POS_WEIGHT, np.float32)),
            make_torch=lambda torch: torch.nn.BCEWithLogitsLoss(
                pos_weight=torch.tensor(POS_WEIGHT)),
            inputs=[(4, 3), unit_targets((4, 3), np.float32)], **F32)
