"""Op-table cases for the activations ops (see op_table.py)."""

import math

import numpy as np
from op_table import away_from_zero, case, real, th, torch, torch_functional, with_nan

import autograd as ag
from autograd.activations import NormalCdf


def wide(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Both tails of the smooth activations: gelu, softplus and silu far from 0."""
    return rng.uniform(-9.0, 9.0, size=shape)


def above_minus_one(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Inside the domain of log1p, far enough from -1 for finite differences."""
    return rng.uniform(-0.5, 2.0, size=shape)


def away_from_one(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """|x - 1| >= 0.2: no step crosses softplus's threshold with beta = 2, threshold = 2."""
    return away_from_zero(rng, shape) + 1.0


def away_from_the_bounds(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """|x| in [0, 0.4] or [0.6, 2]: no step crosses the clamp bounds +-0.5 (or 0)."""
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    inner = rng.uniform(0.05, 0.4, size=shape)
    outer = rng.uniform(0.6, 2.0, size=shape)
    return sign * np.where(rng.uniform(size=shape) < 0.5, inner, outer)


def small_integers(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """-1, 0 or 1: two such inputs tie often, so maximum's tie rule is compared with torch."""
    return rng.integers(-1, 2, size=shape).astype(np.float64)


def np_normal_cdf(x: np.ndarray) -> np.ndarray:
    """The reference: math.erfc, one element at a time."""
    return np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2)))(x)


def np_gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def np_elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def as_tensor(x: float) -> "torch.Tensor":
    return torch.tensor(x, dtype=torch.float64)


# -- piecewise activations: every attribute value, a scalar, and the kink avoided ------------
for shape in [(3, 4), ()]:
    case("leaky_relu", ag.leaky_relu, (shape,), lambda x: np.where(x > 0, x, 0.01 * x),
         th("F.leaky_relu"), domains=(away_from_zero,))
    case("elu", ag.elu, (shape,), lambda x: np_elu(x, 1.0), th("F.elu"),
         domains=(away_from_zero,))
for slope in [0.2, -0.5, 1.5]:
    case("leaky_relu", lambda x, s=slope: ag.leaky_relu(x, negative_slope=s), ((2, 3),),
         lambda x, s=slope: np.where(x > 0, x, s * x),
         lambda x, s=slope: torch_functional.leaky_relu(x, s), domains=(away_from_zero,),
         note=f"negative_slope={slope}")
for alpha in [0.5, -1.0]:
    case("elu", lambda x, a=alpha: ag.elu(x, alpha=a), ((2, 3),),
         lambda x, a=alpha: np_elu(x, a), lambda x, a=alpha: torch_functional.elu(x, a),
         domains=(away_from_zero,), note=f"alpha={alpha}")

for low, high in [(-0.5, 0.5), (-0.5, None), (None, 0.5), (0, None), (0.5, -0.5)]:
    for shape in [(3, 4), ()]:
        case("clamp", lambda x, lo=low, hi=high: x.clamp(min=lo, max=hi), (shape,),
             lambda x, lo=low, hi=high: np.clip(x, lo, hi),
             lambda x, lo=low, hi=high: x.clamp(min=lo, max=hi),
             domains=(away_from_the_bounds,), note=f"{shape} min={low} max={high}")
case("clamp", lambda x: ag.clamp(x, -0.5, 0.5), ((2, 3),), lambda x: np.clip(x, -0.5, 0.5),
     lambda x: torch.clamp(x, -0.5, 0.5), domains=(away_from_the_bounds,), note="ag.clamp")

# -- smooth activations: both tails ---------------------------------------------------------
for shape, domain in [((3, 4), real), ((), real), ((4, 5), wide)]:
    note = f"{shape} {domain.__name__}"
    case("gelu", ag.gelu, (shape,), lambda x: x * np_normal_cdf(x), th("F.gelu"),
         domains=(domain,), note=note)
    case("gelu", lambda x: ag.gelu(x, approximate="tanh"), (shape,), np_gelu_tanh,
         lambda x: torch_functional.gelu(x, approximate="tanh"), domains=(domain,),
         note=f"tanh {note}")
    case("silu", ag.silu, (shape,), lambda x: x / (1 + np.exp(-x)), th("F.silu"),
         domains=(domain,), note=note)
    case("softplus", ag.softplus, (shape,), lambda x: np_softplus(x, 1.0, 20.0),
         th("F.softplus"), domains=(domain,), note=note)
    case("normal_cdf", NormalCdf.on, (shape,), np_normal_cdf, lambda x: torch.special.ndtr(x),
         domains=(domain,), note=note)
for beta, threshold in [(2.0, 2.0), (-1.5, 20.0), (0.5, 1.0)]:
    # beta 2, threshold 2: linear above x = 1 (away_from_one keeps off it); beta 0.5,
    # threshold 1: linear above x = 2, outside `real`
    domain = away_from_one if beta == 2.0 else real
    case("softplus", lambda x, b=beta, t=threshold: ag.softplus(x, beta=b, threshold=t),
         ((3, 4),), lambda x, b=beta, t=threshold: np_softplus(x, b, t),
         lambda x, b=beta, t=threshold: torch_functional.softplus(x, b, t),
         domains=(domain,), note=f"beta={beta} threshold={threshold}")

# -- elementwise functions: methods and ag.NAME ---------------------------------------------
for shape in [(3, 4), ()]:
    case("log1p", lambda x: x.log1p(), (shape,), np.log1p, th("log1p"),
         domains=(above_minus_one,))
    case("sin", lambda x: x.sin(), (shape,), np.sin, th("sin"))
    case("cos", lambda x: x.cos(), (shape,), np.cos, th("cos"))
case("log1p", ag.log1p, ((2, 3),), np.log1p, th("log1p"), domains=(above_minus_one,),
     note="ag.log1p")
case("sin", ag.sin, ((2, 3),), np.sin, th("sin"), domains=(wide,), note="ag.sin wide")
case("cos", ag.cos, ((2, 3),), np.cos, th("cos"), domains=(wide,), note="ag.cos wide")

# -- maximum and minimum: every broadcasting pattern, a constant, ties and nan ---------------
for shapes in [((3, 4), (3, 4)), ((3, 1), (4,)), ((2, 3), ()), ((), (2, 3)), ((), ())]:
    case("maximum", ag.maximum, shapes, np.maximum, th("maximum"))
    case("minimum", lambda a, b: a.minimum(b), shapes, np.minimum, th("minimum"))
case("maximum", lambda a, b: a.maximum(b), ((2, 3), (2, 3)), np.maximum, th("maximum"),
     note="method")
case("maximum", lambda x: ag.maximum(x, 0.5), ((2, 3),), lambda x: np.maximum(x, 0.5),
     lambda x: torch.maximum(x, as_tensor(0.5)), note="with a constant")
case("minimum", lambda x: ag.minimum(0.5, x), ((2, 3),), lambda x: np.minimum(0.5, x),
     lambda x: torch.minimum(as_tensor(0.5), x), note="constant first")
for op, np_fn in [("maximum", np.maximum), ("minimum", np.minimum)]:
    for shapes in [((4, 5), (4, 5)), ((4, 1), (5,))]:
        case(op, getattr(ag, op), shapes, np_fn, th(op), domains=(small_integers,) * 2,
             note=f"ties {shapes[0]} & {shapes[1]}", smooth=False)
    case(op, getattr(ag, op), ((4,), (4,)), np_fn, th(op), domains=(with_nan, real),
         note="nan", smooth=False)

# -- NaN: the values and gradients torch gives ------------------------------------------------
for shape in [(4,), ()]:
    case("leaky_relu", ag.leaky_relu, (shape,), lambda x: np.where(x > 0, x, 0.01 * x),
         th("F.leaky_relu"), domains=(with_nan,), note=f"nan {shape}", smooth=False)
    case("elu", ag.elu, (shape,), lambda x: np_elu(x, 1.0), th("F.elu"), domains=(with_nan,),
         note=f"nan {shape}", smooth=False)
    case("clamp", lambda x: x.clamp(-0.5, 0.5), (shape,), lambda x: np.clip(x, -0.5, 0.5),
         lambda x: x.clamp(-0.5, 0.5), domains=(with_nan,), note=f"nan {shape}", smooth=False)
    case("gelu", ag.gelu, (shape,), lambda x: x * np_normal_cdf(x), th("F.gelu"),
         domains=(with_nan,), note=f"nan {shape}", smooth=False)
    case("softplus", ag.softplus, (shape,), lambda x: np_softplus(x, 1.0, 20.0),
         th("F.softplus"), domains=(with_nan,), note=f"nan {shape}", smooth=False)
    case("silu", ag.silu, (shape,), lambda x: x / (1 + np.exp(-x)), th("F.silu"),
         domains=(with_nan,), note=f"nan {shape}", smooth=False)
