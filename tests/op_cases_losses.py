"""Op-table cases for the losses ops (see op_table.py): every loss with every reduction.

The cases of mse_loss, cross_entropy and binary_cross_entropy_with_logits with their default
arguments are in op_table.py; those here add the other reductions and arguments.
"""

import numpy as np
from op_table import (
    LABELS,
    _long,
    away_from_zero,
    case,
    np_log_softmax,
    real,
    torch,
    torch_functional,
    unit_interval,
)

import autograd as ag

REDUCTIONS = ("mean", "sum", "none")
REDUCE = {"mean": np.mean, "sum": np.sum, "none": np.asarray}
LABELS_2D = np.array([[0, 2, 1, 2], [1, 1, 0, 2]])  # for scores (2, 3, 4): class axis 1
POS_WEIGHT = np.array([0.5, 2.0, 3.0])  # one per class (the last axis) of (2, 3) targets


# -- domains ----------------------------------------------------------------------------------
def near_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Targets within 0.1 of 0, so that pred's domain decides where pred - target lies."""
    return rng.uniform(-0.1, 0.1, size=shape)


def huber_pred(delta: float):
    """Preds (against `near_zero` targets) with |pred - target| at least 0.1 delta away from
    delta, the kink of huber's second derivative: alternately inside and outside it."""

    def domain(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        inside = np.arange(int(np.prod(shape))).reshape(shape) % 2 == 0
        size = np.where(inside, rng.uniform(0.2, 0.8, size=shape),
                        rng.uniform(1.2, 2.5, size=shape))
        return delta * size * np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)

    return domain


# -- numpy references -------------------------------------------------------------------------
def np_huber(p: np.ndarray, t: np.ndarray, delta: float) -> np.ndarray:
    d = np.abs(p - t)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


def np_picked(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """scores[n, labels[n, ...], ...]: each label's score, the class axis being 1."""
    return np.take_along_axis(scores, np.expand_dims(labels, 1), axis=1).squeeze(1)


def np_cross_entropy(x: np.ndarray, labels: np.ndarray, smoothing: float) -> np.ndarray:
    log_p = np_log_softmax(x, 1)
    return -((1 - smoothing) * np_picked(log_p, labels) + smoothing * log_p.mean(axis=1))


def np_bce(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def np_bce_with_logits(x: np.ndarray, t: np.ndarray, pos_weight: np.ndarray) -> np.ndarray:
    p = 1 / (1 + np.exp(-x))
    return -(pos_weight * t * np.log(p) + (1 - t) * np.log(1 - p))


def torch_pos_weight(pos_weight: np.ndarray | None):
    return None if pos_weight is None else torch.as_tensor(pos_weight)


for r in REDUCTIONS:
    # -- l1_loss: |pred - target| >= 0.1, away from the kink ------------------------------
    for shape in [(3, 4), ()]:
        case("l1_loss", lambda p, t, r=r: ag.l1_loss(p, t, reduction=r), (shape, shape),
             lambda p, t, r=r: REDUCE[r](np.abs(p - t)),
             lambda p, t, r=r: torch_functional.l1_loss(p, t, reduction=r),
             domains=(away_from_zero, near_zero), note=f"{shape} {r}")

    # -- huber_loss: both sides of delta --------------------------------------------------
    for delta in [1.0, 2.0]:
        case("huber_loss", lambda p, t, r=r, d=delta: ag.huber_loss(p, t, reduction=r, delta=d),
             ((3, 4), (3, 4)), lambda p, t, r=r, d=delta: REDUCE[r](np_huber(p, t, d)),
             lambda p, t, r=r, d=delta: torch_functional.huber_loss(p, t, reduction=r, delta=d),
             domains=(huber_pred(delta), near_zero), note=f"(3, 4) {r} delta={delta}")
    case("huber_loss", lambda p, t, r=r: ag.huber_loss(p, t, r), ((), ()),
         lambda p, t, r=r: REDUCE[r](np_huber(p, t, 1.0)),
         lambda p, t, r=r: torch_functional.huber_loss(p, t, r),
         domains=(huber_pred(1.0), near_zero), note=f"() {r} (reduction positional)")

    # -- nll_loss: (N, C) and (N, C, d) ---------------------------------------------------
    for shape, labels in [((4, 3), LABELS), ((2, 3, 4), LABELS_2D)]:
        case("nll_loss", lambda x, r=r, y=labels: ag.nll_loss(x, y, reduction=r), (shape,),
             lambda x, r=r, y=labels: REDUCE[r](-np_picked(x, y)),
             lambda x, r=r, y=labels: torch_functional.nll_loss(x, _long(y), reduction=r),
             note=f"{shape} {r}")

    # -- binary_cross_entropy: probabilities ----------------------------------------------
    for shape in [(3, 4), ()]:
        case("binary_cross_entropy",
             lambda p, t, r=r: ag.binary_cross_entropy(p, t, reduction=r), (shape, shape),
             lambda p, t, r=r: REDUCE[r](np_bce(p, t)),
             lambda p, t, r=r: torch_functional.binary_cross_entropy(p, t, reduction=r),
             domains=(unit_interval, unit_interval), note=f"{shape} {r}")

    # -- cross_entropy: reductions, label smoothing, (N, C, d) ----------------------------
    for shape, labels, smoothing in [((4, 3), LABELS, 0.0), ((4, 3), LABELS, 0.25),
                                     ((2, 3, 4), LABELS_2D, 0.0), ((2, 3, 4), LABELS_2D, 0.1)]:
        case("cross_entropy",
             lambda x, r=r, y=labels, s=smoothing: ag.cross_entropy(
                 x, y, reduction=r, label_smoothing=s), (shape,),
             lambda x, r=r, y=labels, s=smoothing: REDUCE[r](np_cross_entropy(x, y, s)),
             lambda x, r=r, y=labels, s=smoothing: torch_functional.cross_entropy(
                 x, _long(y), reduction=r, label_smoothing=s),
             note=f"{shape} {r} label_smoothing={smoothing}")

    # -- binary_cross_entropy_with_logits: reductions, pos_weight -------------------------
    for pos_weight in [None, POS_WEIGHT]:
        weight = 1.0 if pos_weight is None else pos_weight
        case("binary_cross_entropy_with_logits",
             lambda x, t, r=r, w=pos_weight: ag.binary_cross_entropy_with_logits(
                 x, t, reduction=r, pos_weight=w), ((2, 3), (2, 3)),
             lambda x, t, r=r, w=weight: REDUCE[r](np_bce_with_logits(x, t, w)),
             lambda x, t, r=r, w=pos_weight: torch_functional.binary_cross_entropy_with_logits(
                 x, t, reduction=r, pos_weight=torch_pos_weight(w)),
             domains=(real, unit_interval),
             note=f"(2, 3) {r} pos_weight={'None' if pos_weight is None else 'per class'}")

# 0-d and empty inputs
case("mse_loss", lambda p, t: ag.mse_loss(p, t, reduction="none"), ((), ()),
     lambda p, t: (p - t) ** 2, lambda p, t: torch_functional.mse_loss(p, t, reduction="none"),
     note="() none")
case("binary_cross_entropy_with_logits",
     lambda x, t: ag.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=2.0),
     ((), ()), lambda x, t: np_bce_with_logits(x, t, 2.0),
     lambda x, t: torch_functional.binary_cross_entropy_with_logits(
         x, t, reduction="none", pos_weight=torch.tensor(2.0, dtype=torch.float64)),
     domains=(real, unit_interval), note="() none pos_weight=2.0")
for op, fn, torch_fn in [
    ("l1_loss", ag.l1_loss, lambda p, t: torch_functional.l1_loss(p, t)),
    ("huber_loss", ag.huber_loss, lambda p, t: torch_functional.huber_loss(p, t)),
    ("binary_cross_entropy", ag.binary_cross_entropy,
     lambda p, t: torch_functional.binary_cross_entropy(p, t)),
]:
    case(op, fn, ((0, 3), (0, 3)), lambda p, t: np.full((), np.nan), torch_fn,
         domains=(unit_interval, unit_interval), note="empty (0, 3) mean")
case("nll_loss", lambda x: ag.nll_loss(x, np.zeros(0, dtype=int)), ((0, 3),),
     lambda x: np.full((), np.nan),
     lambda x: torch_functional.nll_loss(x, _long(np.zeros(0))), note="empty (0, 3) mean")
for r in ["sum", "none"]:
    case("cross_entropy", lambda x, r=r: ag.cross_entropy(x, np.zeros(0, dtype=int), reduction=r),
         ((0, 3),), lambda x, r=r: REDUCE[r](np.zeros(0)),
         lambda x, r=r: torch_functional.cross_entropy(x, _long(np.zeros(0)), reduction=r),
         note=f"empty (0, 3) {r}")
