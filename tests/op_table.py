"""The op table: every op in `autograd.OPS`, declared once, read by every table-driven test.

Each `OpCase` is one way of using one op: a function that applies it to Values, the shapes of
its differentiable inputs, where those inputs may be sampled (the op's domain), a plain numpy
formula for the forward value, and the PyTorch function that must agree on values and
gradients. Adding an op to the engine without adding a case here fails
`test_every_registered_op_has_a_case`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd as ag
from autograd.shape_ops import IndexAdd

try:
    import torch
    import torch.nn.functional as torch_functional
except ImportError:  # only the PyTorch comparisons read the torch column; they skip without it
    torch = torch_functional = None

Shape = tuple[int, ...]
Domain = Callable[[np.random.Generator, Shape], np.ndarray]


# -- domains: where an input may be sampled so that the op is smooth around every sample ----
def real(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Any value: the op is smooth everywhere."""
    return rng.uniform(-2.0, 2.0, size=shape)


def positive(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Inside the domain of log, sqrt and a ** b; far enough from 0 for finite differences."""
    return rng.uniform(0.5, 2.0, size=shape)


def away_from_zero(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Either sign, but |x| >= 0.2: no finite-difference step crosses the kink of abs or relu."""
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return sign * rng.uniform(0.2, 2.0, size=shape)


def distinct(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Values at least 0.2 apart: max has no ties, and no finite-difference step makes one."""
    n = int(np.prod(shape))
    grid = rng.permutation(n) * 0.25 - n * 0.125
    return (grid + rng.uniform(0.0, 0.05, size=n)).reshape(shape)


def with_nan(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """`distinct` values with a nan in the first place of every row (the whole of a 0-d x)."""
    x = distinct(rng, shape)
    if x.ndim == 0:
        return np.asarray(np.nan)
    x[..., 0] = np.nan
    return x


def unit_interval(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Targets of a binary cross-entropy: probabilities."""
    return rng.uniform(0.05, 0.95, size=shape)


@dataclass(frozen=True)
class OpCase:
    op: str  # the name in autograd.OPS, and the `.op` of fn's result
    fn: Callable[..., ag.Value]
    shapes: tuple[Shape, ...]  # one per differentiable input of fn
    numpy_fn: Callable[..., Any]  # the forward value, on float64 arrays
    torch_fn: Callable[..., Any]  # the same function on torch tensors
    domains: tuple[Domain, ...] = ()  # one per input; `real` for all when empty
    note: str = ""
    keeps_dtype: bool = True  # float32 inputs give a float32 result
    smooth: bool = True  # False for the NaN cases, which finite differences cannot check

    @property
    def id(self) -> str:
        shapes = " & ".join(str(s) for s in self.shapes)
        return f"{self.op} {self.note or shapes}"

    def sample(self, seed: int = 0) -> list[np.ndarray]:
        """Float64 inputs inside the domain (0-d arrays for the shape (), as scalars)."""
        rng = np.random.default_rng(seed)
        domains = self.domains or (real,) * len(self.shapes)
        return [np.asarray(domain(rng, shape), dtype=np.float64)
                for domain, shape in zip(domains, self.shapes, strict=True)]


# Constants that some cases close over (they are attributes of the op, never differentiated).
LABELS = np.array([0, 2, 1, 2])
COND = np.array([[True, False, True, True],
                 [False, False, True, False],
                 [True, True, False, False]])
ROW_MASK = np.array([True, False, True])
REPEATED = np.array([0, 0, 2, 1, 0])
SCATTER_AT = np.array([0, 3, 0, 4])


def np_index_add(g: np.ndarray, shape: Shape, index: Any) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


def np_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return np.log(np_softmax(x, axis))


def np_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    return -np.mean(np_log_softmax(logits, 1)[np.arange(len(labels)), labels])


def np_bce_with_logits(x: np.ndarray, t: np.ndarray) -> float:
    p = 1 / (1 + np.exp(-x))
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))


def _long(a: Any) -> Any:
    return torch.as_tensor(np.asarray(a), dtype=torch.long)


def th(name: str) -> Callable:
    """torch.NAME, or torch.nn.functional.NAME for "F.NAME", looked up when called (so that
    this table imports without torch)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        module = torch_functional if name.startswith("F.") else torch
        return getattr(module, name.removeprefix("F."))(*args, **kwargs)

    return call


CASES: list[OpCase] = []


def case(op: str, fn: Callable, shapes: tuple[Shape, ...], numpy_fn: Callable,
         torch_fn: Callable, domains: tuple[Domain, ...] = (), note: str = "",
         keeps_dtype: bool = True, smooth: bool = True) -> None:
    CASES.append(OpCase(op, fn, shapes, numpy_fn, torch_fn, domains, note, keeps_dtype,
                        smooth))


# -- arithmetic: every broadcasting pattern, and scalars ------------------------------------
for shapes in [((3, 4), (3, 4)), ((3, 1), (4,)), ((2, 3), (3,)), ((), (2, 3)), ((), ())]:
    case("add", lambda a, b: a + b, shapes, np.add, th("add"))
    case("mul", lambda a, b: a * b, shapes, np.multiply, th("mul"))
for shapes in [((3, 4), (3, 4)), ((3, 1), (4,)), ((2, 3), ()), ((), ())]:
    case("sub", lambda a, b: a - b, shapes, np.subtract, th("sub"))
    case("div", lambda a, b: a / b, shapes, np.divide, th("div"),
         domains=(real, away_from_zero))
for shapes in [((3,), (3,)), ((2, 3), ()), ((), (3,)), ((3, 1), (4,))]:
    case("pow", lambda a, b: a ** b, shapes, np.power, th("pow"),
         domains=(positive, real))
case("pow", lambda x: x ** 2, ((3, 4),), lambda x: x ** 2, lambda x: x ** 2, note="x ** 2")
case("pow", lambda x: x ** 3, ((),), lambda x: x ** 3, lambda x: x ** 3, note="scalar ** 3")
case("pow", lambda x: 2.0 ** x, ((3,),), lambda x: 2.0 ** x, lambda x: 2.0 ** x,
     note="2.0 ** x")
case("pow", lambda x: x ** -0.5, ((2, 2),), lambda x: x ** -0.5, lambda x: x ** -0.5,
     domains=(positive,), note="x ** -0.5")
for shape in [(3, 4), ()]:
    case("neg", lambda x: -x, (shape,), np.negative, th("neg"))

# matmul: 2-d, batched (with batch broadcasting), and each 1-d form
for shapes in [((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
               ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)),
               ((4,), (2, 4, 3)), ((2, 3, 4), (4,))]:
    case("matmul", lambda a, b: a @ b, shapes, np.matmul, th("matmul"))

# -- elementwise functions --------------------------------------------------------------------
for shape in [(3, 4), ()]:
    case("exp", lambda x: x.exp(), (shape,), np.exp, th("exp"))
    case("log", lambda x: x.log(), (shape,), np.log, th("log"), domains=(positive,))
    case("sqrt", lambda x: x.sqrt(), (shape,), np.sqrt, th("sqrt"),
         domains=(positive,))
    case("abs", lambda x: abs(x), (shape,), np.abs, th("abs"),
         domains=(away_from_zero,))
    case("relu", lambda x: x.relu(), (shape,), lambda x: np.maximum(x, 0),
         th("relu"), domains=(away_from_zero,))
    case("tanh", lambda x: x.tanh(), (shape,), np.tanh, th("tanh"))
    case("sigmoid", lambda x: x.sigmoid(), (shape,), lambda x: 1 / (1 + np.exp(-x)),
         th("sigmoid"))
case("exp", ag.exp, ((2, 3),), np.exp, th("exp"), note="ag.exp")
case("log", ag.log, ((2, 3),), np.log, th("log"), domains=(positive,), note="ag.log")
case("tanh", ag.tanh, ((2, 3),), np.tanh, th("tanh"), note="ag.tanh")
case("sigmoid", ag.sigmoid, ((2, 3),), lambda x: 1 / (1 + np.exp(-x)), th("sigmoid"),
     note="ag.sigmoid")
case("relu", ag.relu, ((2, 3),), lambda x: np.maximum(x, 0), th("relu"),
     domains=(away_from_zero,), note="ag.relu")
case("sqrt", ag.sqrt, ((2, 3),), np.sqrt, th("sqrt"), domains=(positive,),
     note="ag.sqrt")
case("abs", ag.abs, ((2, 3),), np.abs, th("abs"), domains=(away_from_zero,),
     note="ag.abs")

# -- reductions -----------------------------------------------------------------------------
for axis, keepdims, shape in [(None, False, (3, 4)), (0, False, (3, 4)), (-1, True, (3, 4)),
                              ((0, 2), False, (2, 3, 4)), ((0, 2), True, (2, 3, 4)),
                              (None, False, ())]:
    note = f"{shape} axis={axis} keepdims={keepdims}"
    dims = tuple(range(len(shape))) if axis is None else axis
    case("sum", lambda x, a=axis, k=keepdims: x.sum(a, k), (shape,),
         lambda x, a=axis, k=keepdims: np.sum(x, axis=a, keepdims=k),
         lambda x, d=dims, k=keepdims: x.sum(dim=d, keepdim=k), note=note)
    case("mean", lambda x, a=axis, k=keepdims: x.mean(axis=a, keepdims=k), (shape,),
         lambda x, a=axis, k=keepdims: np.mean(x, axis=a, keepdims=k),
         lambda x, d=dims, k=keepdims: x.mean(dim=d, keepdim=k), note=note)
    case("max", lambda x, a=axis, k=keepdims: x.max(axis=a, keepdims=k), (shape,),
         lambda x, a=axis, k=keepdims: np.max(x, axis=a, keepdims=k),
         lambda x, d=dims, k=keepdims: torch.amax(x, dim=d, keepdim=k), domains=(distinct,),
         note=note)
case("sum", lambda x: ag.sum(x, axis=1), ((2, 3),), lambda x: x.sum(axis=1),
     lambda x: x.sum(dim=1), note="ag.sum axis=1")
case("mean", lambda x: ag.mean(x), ((2, 3),), np.mean, lambda x: x.mean(), note="ag.mean")
case("max", lambda x: ag.max(x, axis=0), ((3, 2),), lambda x: x.max(axis=0),
     lambda x: torch.amax(x, dim=0), domains=(distinct,), note="ag.max axis=0")

# -- shape changes ----------------------------------------------------------------------------
for source, target in [((3, 1), (2, 3, 4)), ((), (2, 2)), ((4,), (3, 4))]:
    case("broadcast_to", lambda x, t=target: ag.broadcast_to(x, t), (source,),
         lambda x, t=target: np.broadcast_to(x, t),
         lambda x, t=target: torch.broadcast_to(x, t), note=f"{source} to {target}")
for source, target in [((3, 4), (2, 6)), ((2, 3, 4), (-1,)), ((6,), (3, -1)), ((1,), ())]:
    case("reshape", lambda x, t=target: x.reshape(t), (source,),
         lambda x, t=target: x.reshape(t), lambda x, t=target: x.reshape(t),
         note=f"{source} to {target}")
case("reshape", lambda x: x.reshape(2, 2, 3), ((3, 4),), lambda x: x.reshape(2, 2, 3),
     lambda x: x.reshape(2, 2, 3), note="x.reshape(2, 2, 3)")
case("reshape", lambda x: ag.reshape(x, 4, 3), ((3, 4),), lambda x: x.reshape(4, 3),
     lambda x: x.reshape(4, 3), note="ag.reshape(x, 4, 3)")
case("transpose", lambda x: x.T, ((3, 4),), lambda x: x.T, lambda x: x.T, note="x.T")
case("transpose", lambda x: x.transpose(2, 0, 1), ((2, 3, 4),),
     lambda x: x.transpose(2, 0, 1), lambda x: x.permute(2, 0, 1), note="(2, 3, 4) to (2, 0, 1)")
case("transpose", lambda x: ag.transpose(x, (1, 0, 2)), ((2, 3, 4),),
     lambda x: x.transpose(1, 0, 2), lambda x: x.permute(1, 0, 2), note="ag.transpose (1, 0, 2)")
case("astype", lambda x: x.astype(np.float64), ((3, 4),), lambda x: x.astype(np.float64),
     lambda x: x.to(torch.float64), keeps_dtype=False, note="to float64")

# -- indexing ---------------------------------------------------------------------------------
for note, index, torch_fn in [
    ("int", 1, lambda x: x[1]),
    ("negative int", (-1, 2), lambda x: x[-1, 2]),
    ("slices", (slice(None), slice(1, 3)), lambda x: x[:, 1:3]),
    ("reversed slice", slice(None, None, -1), lambda x: x.flip(0)),  # torch has no step -1
    ("int array with repeats", REPEATED % 3, lambda x: x[_long(REPEATED % 3)]),
    ("bool mask", ROW_MASK, lambda x: x[torch.as_tensor(ROW_MASK)]),
    ("int and int list", (1, [0, 2, 2]), lambda x: x[1, [0, 2, 2]]),
    ("ellipsis and None", (Ellipsis, None), lambda x: x[..., None]),
]:
    case("getitem", lambda x, i=index: x[i], ((3, 4),), lambda x, i=index: x[i], torch_fn,
         note=note)
case("getitem", lambda x: x[REPEATED], ((3,),), lambda x: x[REPEATED],
     lambda x: x[_long(REPEATED)], note="1-d, repeated indices (scatter-add)")
case("index_add", lambda g: IndexAdd.on(g, attrs=((5,), SCATTER_AT)), ((4,),),
     lambda g: np_index_add(g, (5,), SCATTER_AT),
     lambda g: torch.zeros(5, dtype=g.dtype).index_add(0, _long(SCATTER_AT), g),
     note="repeated indices")
case("index_add", lambda g: IndexAdd.on(g, attrs=((3, 4), (slice(None), 1))), ((3,),),
     lambda g: np_index_add(g, (3, 4), (slice(None), 1)),
     lambda g: torch.zeros(3, 4, dtype=g.dtype).index_put((torch.arange(3), _long([1] * 3)), g),
     note="a column")

# -- joining and selecting --------------------------------------------------------------------
case("concat", lambda a, b: ag.concat([a, b]), ((2, 3), (4, 3)),
     lambda a, b: np.concatenate([a, b]), lambda a, b: torch.cat([a, b]))
case("concat", lambda a, b, c: ag.concat([a, b, c], axis=1), ((2, 3), (2, 1), (2, 2)),
     lambda a, b, c: np.concatenate([a, b, c], axis=1),
     lambda a, b, c: torch.cat([a, b, c], dim=1))
case("concat", lambda a, b: ag.concat([a, b], axis=-1), ((2,), (3,)),
     lambda a, b: np.concatenate([a, b]), lambda a, b: torch.cat([a, b], dim=-1))
case("stack", lambda a, b, c: ag.stack([a, b, c]), ((2, 3),) * 3,
     lambda a, b, c: np.stack([a, b, c]), lambda a, b, c: torch.stack([a, b, c]))
case("stack", lambda a, b: ag.stack([a, b], axis=-1), ((2, 3),) * 2,
     lambda a, b: np.stack([a, b], axis=-1), lambda a, b: torch.stack([a, b], dim=-1))
case("stack", lambda a, b: ag.stack([a, b]), ((), ()), lambda a, b: np.stack([a, b]),
     lambda a, b: torch.stack([a, b]), note="scalars")
for shapes in [((3, 4), (3, 4)), ((3, 4), ()), ((4,), (3, 1))]:
    case("where", lambda a, b: ag.where(COND, a, b), shapes, lambda a, b: np.where(COND, a, b),
         lambda a, b: torch.where(torch.as_tensor(COND), a, b))

# -- the fused ops ----------------------------------------------------------------------------
for shape, axis in [((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((5,), 0)]:
    case("softmax", lambda x, a=axis: x.softmax(a), (shape,),
         lambda x, a=axis: np_softmax(x, a), lambda x, a=axis: torch.softmax(x, a),
         note=f"{shape} axis={axis}")
    case("log_softmax", lambda x, a=axis: x.log_softmax(axis=a), (shape,),
         lambda x, a=axis: np_log_softmax(x, a), lambda x, a=axis: torch.log_softmax(x, a),
         note=f"{shape} axis={axis}")
case("softmax", ag.softmax, ((2, 3),), lambda x: np_softmax(x, -1),
     lambda x: torch.softmax(x, -1), note="ag.softmax")
case("log_softmax", ag.log_softmax, ((2, 3),), lambda x: np_log_softmax(x, -1),
     lambda x: torch.log_softmax(x, -1), note="ag.log_softmax")
for shape, reduction in [((4, 3), "mean"), ((5,), "sum"), ((2, 3), "none"), ((), "mean")]:
    case("mse_loss", lambda p, t, r=reduction: ag.mse_loss(p, t, reduction=r), (shape, shape),
         lambda p, t, r=reduction: {"mean": np.mean, "sum": np.sum, "none": np.asarray}[r](
             (p - t) ** 2),
         lambda p, t, r=reduction: torch_functional.mse_loss(p, t, reduction=r),
         note=f"{shape} {reduction}")
case("cross_entropy", lambda x: ag.cross_entropy(x, LABELS), ((4, 3),),
     lambda x: np_cross_entropy(x, LABELS),
     lambda x: torch_functional.cross_entropy(x, _long(LABELS)))
for shape in [(4,), (2, 3)]:
    case("binary_cross_entropy_with_logits", ag.binary_cross_entropy_with_logits,
         (shape, shape), np_bce_with_logits, th("F.binary_cross_entropy_with_logits"),
         domains=(real, unit_interval))
case("linear", lambda x, w, b: ag.linear(x, w, b), ((4, 3), (2, 3), (2,)),
     lambda x, w, b: x @ w.T + b, th("F.linear"))
case("linear", lambda x, w: ag.linear(x, w), ((3,), (2, 3)), lambda x, w: w @ x,
     th("F.linear"), note="1-d input, no bias")
case("linear", lambda x, w, b: ag.linear(x, w, b), ((2, 4, 3), (5, 3), (5,)),
     lambda x, w, b: x @ w.T + b, th("F.linear"), note="batched input")

# -- NaN, empty and 0-d inputs: torch is the oracle ------------------------------------------
# NaN propagates as in torch: relu(nan) = nan with gradient 1, |x|' = 0 at nan, and the
# gradient of a max whose maximum is nan goes to the nan (torch.max without dim).
for shape in [(4,), ()]:
    case("relu", lambda x: x.relu(), (shape,), lambda x: np.maximum(x, 0), th("relu"),
         domains=(with_nan,), note=f"nan {shape}", smooth=False)
    case("abs", lambda x: abs(x), (shape,), np.abs, th("abs"), domains=(with_nan,),
         note=f"nan {shape}", smooth=False)
    case("tanh", lambda x: x.tanh(), (shape,), np.tanh, th("tanh"), domains=(with_nan,),
         note=f"nan {shape}", smooth=False)
case("max", lambda x: x.max(), ((2, 3),), np.max, lambda x: x.max(), domains=(with_nan,),
     note="nan, all axes", smooth=False)
case("max", lambda x: x.max(axis=1), ((2, 3),), lambda x: np.max(x, axis=1),
     lambda x: x.max(dim=1).values, domains=(with_nan,), note="nan, axis=1", smooth=False)
case("mul", lambda a, b: a * b, ((3,), (3,)), np.multiply, th("mul"), domains=(with_nan, real),
     note="nan", smooth=False)
case("sigmoid", lambda x: x.sigmoid(), ((3,),), lambda x: 1 / (1 + np.exp(-x)),
     th("sigmoid"), domains=(with_nan,), note="nan", smooth=False)

# empty tensors work as in torch (a mean of nothing is nan) ...
case("mse_loss", lambda p, t: ag.mse_loss(p, t), ((0, 3), (0, 3)),
     lambda p, t: np.full((), np.nan), lambda p, t: torch_functional.mse_loss(p, t),
     note="empty (0, 3)")
for shape in [(0, 3), (3, 0)]:
    case("softmax", lambda x: x.softmax(-1), (shape,), lambda x: np.ones_like(x),
         lambda x: torch.softmax(x, -1), note=f"empty {shape}")
    case("log_softmax", lambda x: x.log_softmax(-1), (shape,), lambda x: np.zeros_like(x),
         lambda x: torch.log_softmax(x, -1), note=f"empty {shape}")
case("sum", lambda x: x.sum(axis=0), ((0, 3),), lambda x: x.sum(axis=0),
     lambda x: x.sum(dim=0), note="empty (0, 3) axis=0")
case("mean", lambda x: x.mean(axis=0), ((0, 3),), lambda x: np.full(3, np.nan),
     lambda x: x.mean(dim=0), note="empty (0, 3) axis=0")
case("cross_entropy", lambda x: ag.cross_entropy(x, np.zeros(0, dtype=int)), ((0, 3),),
     lambda x: np.full((), np.nan),
     lambda x: torch_functional.cross_entropy(x, _long(np.zeros(0))), note="empty (0, 3)")

# ... and so do 0-d ones: the softmax of one number is 1, its log_softmax 0
for axis in [-1, 0]:
    case("softmax", lambda x, a=axis: x.softmax(a), ((),), lambda x: np.ones_like(x),
         lambda x, a=axis: torch.softmax(x, a), note=f"0-d axis={axis}")
    case("log_softmax", lambda x, a=axis: x.log_softmax(a), ((),), lambda x: np.zeros_like(x),
         lambda x, a=axis: torch.log_softmax(x, a), note=f"0-d axis={axis}")
case("getitem", lambda x: x[()], ((),), lambda x: x[()], lambda x: x[()], note="0-d [()]")
case("getitem", lambda x: x[None], ((),), lambda x: x[None], lambda x: x[None],
     note="0-d [None]")


# -- the cases of the ops being added, one module per group (imported last: they use `case`)
import op_cases_activations  # noqa: E402, F401
import op_cases_conv  # noqa: E402, F401
import op_cases_losses  # noqa: E402, F401
import op_cases_network  # noqa: E402, F401
import op_cases_recurrent  # noqa: E402, F401
import op_cases_shapes  # noqa: E402, F401
