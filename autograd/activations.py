"""Elementwise ops beyond the basic ones: activations, log1p, sin, cos, clamp, maximum, minimum.

Each op is one graph node with PyTorch's semantics: its forward, its derivative (as one line of
math in the docstring) and its vjp stand together, as in `autograd.ops`. The activations are
stable at inputs of +-1000 in float32 and float64: nothing overflows, nothing warns. Where
torch picks a derivative at a kink (leaky_relu and elu at 0, clamp at its bounds, maximum at a
tie, nan), these ops pick the same.

Below the ops: the public functions, which check their arguments, and the comparisons
`< <= > >=`, which give numpy bool arrays (constants: a comparison has no gradient).
"""

# An op class is never instantiated: its forward and vjps are plain functions of data.
# ruff: noqa: N805

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.ops import Exp, Op, Sigmoid, Tanh, float_or_array
from autograd.shape_ops import Where
from autograd.value import Value, apply, as_values, raw

SQRT_HALF = math.sqrt(0.5)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)  # the tanh form of gelu: tanh(k (x + c x**3)) ...
GELU_CUBIC = 0.044715  # ... with k = sqrt(2 / pi) and this c, as in torch


def _where(condition: Any, a: Any, b: Any) -> Any:
    """a where `condition` holds, else b. The condition comes from raw data (a bool for a
    Python float); a and b are gradients (or 0), raw or Values: under create_graph, `where`
    records the choice, so it stays differentiable in g."""
    if isinstance(condition, bool):
        return a if condition else b
    return Where.on(a, b, attrs=(condition,))


# -- piecewise activations ----------------------------------------------------------------
class LeakyRelu(Op):
    """out = x where x > 0, else negative_slope x;  d/dx = 1 where x > 0, else negative_slope"""

    name = "leaky_relu"

    def forward(x, slope):
        if type(x) is float:
            return x if x > 0 else x * slope
        return np.where(x > 0, x, x * slope)

    # at 0 and at nan the slope is negative_slope, as torch's (x > 0 is False there)
    vjps = (lambda g, out, x, slope: _where(raw(x) > 0, g, g * slope),)


class Elu(Op):
    """out = x where x > 0, else alpha (e**x - 1);  d/dx = 1 where x > 0, else alpha e**x"""

    name = "elu"

    def forward(x, alpha):
        if type(x) is float:
            return alpha * math.expm1(x) if x <= 0 else x
        # e**x only where x <= 0: it overflows past x = 709 (float64) or 88 (float32)
        return np.where(x <= 0, alpha * np.expm1(np.minimum(x, 0)), x)

    # alpha e**x = out + alpha where x <= 0: alpha at 0, as torch; 1 at nan (not x <= 0)
    vjps = (lambda g, out, x, alpha: _where(raw(x) <= 0, g * (out + alpha), g),)


class Clamp(Op):
    """out = min(max(x, min), max);  d/dx = 1 where min <= x <= max (bounds included), else 0"""

    name = "clamp"

    def forward(x, low, high):
        if type(x) is not float:
            return np.clip(x, low, high)
        if low is not None and x < low:  # written out so that nan stays nan, as in np.clip
            x = low
        if high is not None and x > high:  # min > max gives max everywhere, as in torch
            x = high
        return x

    # torch's choice: a bound counts as inside (gradient 1); nan is outside (0)
    vjps = (lambda g, out, x, low, high: _where(_within(raw(x), low, high), g, 0.0),)


def _within(x: Any, low: float | None, high: float | None) -> Any:
    """low <= x <= high elementwise (a missing bound is no limit): a bool or a bool array."""
    inside = True
    if low is not None:
        inside = inside & (x >= low)
    if high is not None:
        inside = inside & (x <= high)
    return inside


# -- smooth activations -------------------------------------------------------------------
class Softplus(Op):
    """out = log(1 + e**(beta x)) / beta, x where beta x > threshold;  d/dx = sigmoid(beta x), 1"""

    name = "softplus"

    def forward(x, beta, threshold):
        # log(1 + e**s) = max(s, 0) + log(1 + e**-|s|): the exponent is never positive, so no
        # overflow at any s; torch's linear part above the threshold is kept for its values
        scaled = x * beta
        if type(x) is float:
            if scaled > threshold:
                return x
            return (max(scaled, 0.0) + math.log1p(math.exp(-abs(scaled)))) / beta
        smooth = (np.maximum(scaled, 0) + np.log1p(np.exp(-np.abs(scaled)))) / beta
        return np.where(scaled > threshold, x, smooth)

    # on the linear part d/dx = 1
    vjps = (lambda g, out, x, beta, threshold: _where(
        raw(x) * beta > threshold, g, g * Sigmoid.on(x * beta)),)


class Silu(Op):
    """out = x sigmoid(x);  d/dx = s + x s (1 - s) = s + out (1 - s), s = sigmoid(x)"""

    name = "silu"

    def forward(x):
        return x * Sigmoid.forward(x)  # sigmoid is stable, and x * ~0 is ~0 at x = -1000

    def vjp(g, out, x):
        s = Sigmoid.on(x)
        return g * (s + out * (1 - s))

    vjps = (vjp,)


class Gelu(Op):
    """out = x Phi(x), Phi the normal CDF or torch's tanh form;  d/dx = Phi(x) + x Phi'(x)

    approximate="none": Phi(x) = (1 + erf(x / sqrt 2)) / 2, Phi'(x) = e**(-x**2/2) / sqrt(2 pi).
    approximate="tanh": Phi(x) ~ (1 + t) / 2 with t = tanh(u), u = k (x + c x**3), so
    d/dx = (1 + t) / 2 + x (1 - t**2) k (1 + 3 c x**2) / 2.
    """

    name = "gelu"

    def forward(x, approximate):
        if approximate == "tanh":
            tanh = math.tanh if type(x) is float else np.tanh
            return 0.5 * x * (1 + tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)))
        return x * NormalCdf.forward(x)

    def vjp(g, out, x, approximate):
        if approximate == "tanh":
            t = Tanh.on(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x))
            du_dx = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx)
        return g * (NormalCdf.on(x) + x * _normal_pdf(x))  # NormalCdf: differentiable again

    vjps = (vjp,)


def _normal_pdf(x: Any) -> Any:
    """phi(x) = e**(-x**2/2) / sqrt(2 pi), on raw data or (differentiably) on a Value."""
    return Exp.on(-0.5 * x * x) * INV_SQRT_2PI


# numpy has no erf. Phi(-|x|) = erfc(t) / 2 with t = |x| / sqrt 2 >= 0, and erfc(t) = e**(-t**2)
# erfcx(t), where the scaled erfcx is smooth and slowly varying on [0, inf) (it falls like
# 1 / (sqrt(pi) t)). Mapping [0, inf) onto (-1, 1] by z = (L - t) / (L + t), one Chebyshev
# polynomial of degree 20 in z gives (L + t) erfcx(t) to a relative 6e-15, so erfc keeps its
# relative precision in the far tail, where 1 - erf would be all rounding error.
_ERFCX_SCALE = 3.0  # L, the map's centre: of 2, 2.5, ..., 4, the most precise at degree 20
_ERFCX_DEGREE = 20


def _normal_cdf_array(x: np.ndarray) -> np.ndarray:
    # erfc(t) underflows to 0 past t = 27.3, so capping t at 30 changes nothing and keeps t*t
    # finite (and t = inf out of the map). Computed in float64, returned in x's dtype.
    t = np.minimum(np.abs(x, dtype=np.float64) * SQRT_HALF, 30.0)
    scale = _ERFCX_SCALE + t
    erfcx = _chebval((_ERFCX_SCALE - t) / scale, _erfcx_coefficients()) / scale
    lower_tail = 0.5 * np.exp(-t * t) * erfcx  # Phi(-|x|)
    return np.where(x < 0, lower_tail, 1 - lower_tail).astype(x.dtype, copy=False)


@functools.cache
def _erfcx_coefficients() -> np.ndarray:
    """The Chebyshev coefficients of (L + t) erfcx(t) in z, interpolated at degree + 1 points
    from `math` (once, on gelu's first array; tests/test_activations.py checks the result
    against math.erfc)."""

    def scaled_erfcx(z: np.ndarray) -> np.ndarray:
        t = _ERFCX_SCALE * (1 - z) / (1 + z)
        return (_ERFCX_SCALE + t) * np.array([_erfcx_reference(float(ti)) for ti in t])

    nodes = np.cos(np.pi * (np.arange(_ERFCX_DEGREE + 1) + 0.5) / (_ERFCX_DEGREE + 1))
    # c_k = 2/n sum_j f(z_j) T_k(z_j) over the n Chebyshev points z_j (c_0 with 1/n)
    terms = np.cos(np.outer(np.arange(_ERFCX_DEGREE + 1), np.arccos(nodes)))
    coefficients = 2 / len(nodes) * terms @ scaled_erfcx(nodes)
    coefficients[0] /= 2
    return coefficients


def _erfcx_reference(t: float) -> float:
    """erfcx(t) = e**(t**2) erfc(t) for t >= 0 to full precision: from `math` below 2; above,
    where erfc(t) e**(t**2) would lose digits and then overflow, by the continued fraction
    erfcx(t) = 1 / (sqrt(pi) (t + (1/2) / (t + 1 / (t + (3/2) / (t + 2 / ...))))), summed from
    the bottom up (200 levels are exact to rounding from t = 2 on)."""
    if t < 2:
        return math.erfc(t) * math.exp(t * t)
    tail = t
    for k in range(200, 0, -1):
        tail = t + k / 2 / tail
    return 1 / (math.sqrt(math.pi) * tail)


def _chebval(z: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """sum_k c_k T_k(z) by Clenshaw's recurrence b_k = c_k + 2 z b_(k+1) - b_(k+2), which is
    stable where summing the powers of z would not be."""
    b1 = b2 = np.zeros_like(z)
    for c in coefficients[:0:-1]:
        b1, b2 = c + 2 * z * b1 - b2, b1
    return coefficients[0] + z * b1 - b2


class NormalCdf(Op):
    """out = Phi(x) = erfc(-x / sqrt 2) / 2, the normal CDF;  d/dx = e**(-x**2/2) / sqrt(2 pi)

    Part of gelu's backward, so that its second derivative exists (as index_add is getitem's).
    """

    name = "normal_cdf"
    forward = float_or_array(lambda x: 0.5 * math.erfc(-x * SQRT_HALF), _normal_cdf_array)
    vjps = (lambda g, out, x: g * _normal_pdf(x),)


# -- elementwise functions ----------------------------------------------------------------
class Log1p(Op):
    """out = ln(1 + x);  d/dx = 1 / (1 + x)"""

    name = "log1p"
    forward = float_or_array(math.log1p, np.log1p)  # exact for tiny x, where ln(1 + x) is not
    vjps = (lambda g, out, x: g / (1 + x),)


class Sin(Op):
    """out = sin(x);  d/dx = cos(x)"""

    name = "sin"
    forward = float_or_array(math.sin, np.sin)
    vjps = (lambda g, out, x: g * Cos.on(x),)


class Cos(Op):
    """out = cos(x);  d/dx = -sin(x)"""

    name = "cos"
    forward = float_or_array(math.cos, np.cos)
    vjps = (lambda g, out, x: -g * Sin.on(x),)


# -- binary -------------------------------------------------------------------------------
class Maximum(Op):
    """out = max(a, b) elementwise;  d/da = 1 where a > b,  d/db = 1 where b > a (1/2 at ties)"""

    name = "maximum"
    forward = np.maximum  # nan wins, as in torch
    vjps = (lambda g, out, a, b: g * _share(a, b, out),
            lambda g, out, a, b: g * _share(b, a, out))


class Minimum(Op):
    """out = min(a, b) elementwise;  d/da = 1 where a < b,  d/db = 1 where b < a (1/2 at ties)"""

    name = "minimum"
    forward = np.minimum
    vjps = (lambda g, out, a, b: g * _share(b, a, out),
            lambda g, out, a, b: g * _share(a, b, out))


def _share(first: Any, second: Any, out: Any) -> Any:
    """The share of g that `first` gets in max(first, second), as torch gives it: 1 where
    first > second, 1/2 at a tie, 0 where first < second, and 1 where either is nan (nan
    compares unequal, so both inputs get all of g). A constant in out's dtype."""
    first, second = raw(first), raw(second)
    if type(first) is float and type(second) is float:
        return 0.0 if first < second else 0.5 if first == second else 1.0
    share = np.where(np.less(first, second), 0.0, np.where(np.equal(first, second), 0.5, 1.0))
    return share.astype(np.result_type(raw(out)))


# -- the public functions: PyTorch's names and defaults, arguments checked ------------------
def _real(function: str, name: str, value: Any, infinite_ok: bool = False) -> float:
    """`value` as a Python float (so float32 stays float32), or a TypeError / ValueError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{function}: {name} must be a real number, got "
                        f"{type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not infinite_ok):
        raise ValueError(f"{function}: {name} must be a finite number, got {value}")
    return value


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Value:
    return apply(LeakyRelu, x, attrs=(_real("leaky_relu", "negative_slope", negative_slope),))


def elu(x: Any, alpha: float = 1.0) -> Value:
    return apply(Elu, x, attrs=(_real("elu", "alpha", alpha),))


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Value:
    """log(1 + e**(beta x)) / beta, and x itself where beta x > threshold (as torch)."""
    beta = _real("softplus", "beta", beta)
    if beta == 0:
        raise ValueError("softplus: beta must not be 0 (the result would be log(2) / 0)")
    return apply(Softplus, x, attrs=(beta, _real("softplus", "threshold", threshold,
                                                 infinite_ok=True)))


def silu(x: Any) -> Value:
    return apply(Silu, x)


def gelu(x: Any, approximate: str = "none") -> Value:
    """x Phi(x) with Phi the normal CDF (exact, with erf), or torch's tanh approximation."""
    if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return apply(Gelu, x, attrs=(approximate,))


def clamp(x: Any, min: float | None = None, max: float | None = None) -> Value:
    """Limit x to [min, max]; either bound may be None (no limit), but not both. Bounds are
    numbers: for a bound that varies (an array or a Value), use ag.maximum / ag.minimum."""
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    low, high = (None if bound is None else _real("clamp", name, bound, infinite_ok=True)
                 for name, bound in (("min", min), ("max", max)))
    return apply(Clamp, x, attrs=(low, high))


def _broadcast_pair(function: str, a: Any, b: Any) -> list[Value]:
    a, b = as_values(a, b)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{function}: shapes {a.shape} and {b.shape} do not broadcast") from None
    return [a, b]


def maximum(a: Any, b: Any) -> Value:
    """max(a, b) elementwise, broadcasting; at a tie each input gets half the gradient."""
    return apply(Maximum, *_broadcast_pair("maximum", a, b))


def minimum(a: Any, b: Any) -> Value:
    """min(a, b) elementwise, broadcasting; at a tie each input gets half the gradient."""
    return apply(Minimum, *_broadcast_pair("minimum", a, b))


def _comparison(name: str, ufunc: np.ufunc, symbol: str) -> Callable[[Value, Any], np.ndarray]:
    """`value SYMBOL other` on the data: a numpy bool array (0-d for a scalar), which has no
    gradient. `3 < v` comes here as v > 3, and so does `array < v`: numpy hands the operator to
    the Value (Value sets __array_ufunc__ = None)."""

    def compare(self: Value, other: Any) -> np.ndarray:
        return np.asarray(ufunc(self._data, raw(other)))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"`self {symbol} other` elementwise: a numpy bool array (no gradient)."
    return compare


OPS: tuple[type[Op], ...] = (  # the ops this module defines, in the README table's order
    LeakyRelu, Gelu, NormalCdf, Softplus, Silu, Elu, Log1p, Sin, Cos, Clamp, Maximum, Minimum)
# Where torch has a Tensor method (x.sin(), x.clamp(...), x.maximum(y)), so do we; the
# activations are functions only, as torch.nn.functional's are.
ELEMENTWISE: dict[str, type[Op]] = {"log1p": Log1p, "sin": Sin, "cos": Cos}
METHODS: dict[str, Callable[..., Value]] = {
    "clamp": clamp, "maximum": maximum, "minimum": minimum,
}
METHODS.update((name, _comparison(name, ufunc, symbol)) for name, ufunc, symbol in (
    ("__lt__", np.less, "<"), ("__le__", np.less_equal, "<="),
    ("__gt__", np.greater, ">"), ("__ge__", np.greater_equal, ">=")))
FUNCTION_ONLY: dict[str, Callable[..., Value]] = {
    "leaky_relu": leaky_relu, "gelu": gelu, "softplus": softplus, "silu": silu, "elu": elu}
