"""Arithmetic and elementwise ops: each op's forward and its chain rule, side by side.

An op is a class that is never instantiated. `forward` runs on raw data (Python floats or numpy
arrays). `vjps` holds one vector-Jacobian product per input: given the upstream gradient `g`
(shaped like the output), the output `out` and the inputs, it returns `g * d(out)/d(input)`.
The vjps are written with operators and methods that floats, numpy arrays and Values share,
so the same line runs fast on raw data in a plain backward and records a differentiable graph
under `grad(..., create_graph=True)`. A vjp may return a gradient shaped like the output: the
engine sums it back to the input's shape (broadcasting is undone in that one place).
"""

# An op class is never instantiated: its forward and vjps are plain functions of data.
# ruff: noqa: N805

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from autograd.value import Value, apply, as_values, raw, record

REGISTRY: dict[str, type[Op]] = {}  # every op by name, built-in and user-defined


def is_builtin(op: type[Op]) -> bool:
    return op.__module__.startswith("autograd.")


class Op:
    """Base of every op, built-in or yours. A subclass is never instantiated; it sets:

    - `name`: a unique lowercase name, shown in `.op`, drawings and explanations;
    - a docstring whose first line states the forward and its derivatives (explanations show
      it as the op's rule);
    - `forward(*inputs, **attrs)`: a plain function of raw data (Python floats or numpy
      arrays) that returns raw data;
    - `vjps`: one function per input, `vjp(g, out, *inputs, **attrs)`, returning g times
      d(out)/d(input) (g is shaped like out; a result shaped like out is summed back to the
      input's shape). Written with operators and `ag` functions, the same vjp runs on raw data
      in a plain backward and on Values under `create_graph=True`, so higher-order gradients
      work.

    `MyOp.apply(*inputs, **attrs)` records it; keyword arguments are attributes, never
    differentiated. An op with any number of inputs (concat, stack) sets `vjp_all(g, out,
    *inputs)` instead of `vjps`: one function returning every input's gradient, so that its
    backward takes time linear in the inputs. Built-in ops take their attributes positionally
    (`apply(Sum, x, attrs=(axis, keepdims))`), which is faster; an op defined outside autograd
    takes them by keyword.
    """

    name: ClassVar[str] = ""
    vjps: ClassVar[Any] = ()
    vjp_all: ClassVar[Any] = None
    # Set for every subclass: whether attributes are keyword arguments (ops defined outside
    # autograd), and `fast_vjps`, the one attribute the engine's fast path reads: `vjps`, or
    # None for an op that needs the general path (those, and vjp_all ops). One class
    # attribute look-up per node instead of two: each costs ~0.1 µs in Python 3.11.
    keyword_attrs: ClassVar[bool] = False
    fast_vjps: ClassVar[Any] = None

    def __init_subclass__(cls) -> None:
        if not isinstance(cls.name, str) or not cls.name:
            raise ValueError(f"op class {cls.__name__} needs a name: a non-empty str")
        taken = REGISTRY.get(cls.name)
        if taken is not None and is_builtin(taken):
            raise ValueError(f"the op name {cls.name!r} is taken by a built-in op; choose "
                             "another name")
        if not callable(getattr(cls, "forward", None)):
            raise TypeError(f"op {cls.name!r} needs a forward function")
        if cls.vjp_all is None and not all(callable(vjp) for vjp in cls.vjps):
            raise TypeError(f"op {cls.name!r}: vjps must be a tuple of functions, one per "
                            "input")
        cls.keyword_attrs = not is_builtin(cls)
        general = cls.keyword_attrs or cls.vjp_all is not None
        cls.fast_vjps = None if general else tuple(cls.vjps)
        REGISTRY[cls.name] = cls  # a user op defined again (a re-run notebook cell) replaces

    @classmethod
    def apply(cls, *inputs: Any, **attrs: Any) -> Value:
        """Record this op on `inputs` (Values; numbers and arrays are constants); keyword
        arguments are attributes, given to `forward` and to every vjp as keywords."""
        if not cls.keyword_attrs:
            if attrs:
                raise TypeError(f"the built-in op {cls.name!r} takes its attributes "
                                f"positionally: call ag.{cls.name}(...) instead")
            return apply(cls, *inputs)
        if cls.vjp_all is None and len(cls.vjps) != len(inputs):
            raise TypeError(f"op {cls.name!r} has {len(cls.vjps)} vjps but was applied to "
                            f"{len(inputs)} inputs")
        parents = as_values(*inputs)
        data = cls.forward(*[p._data for p in parents], **attrs)
        return record(cls, data, parents, (attrs,) if attrs else ())  # the engine's general
        # path gives the vjps the attributes back as keywords

    @classmethod
    def on(cls, *inputs: Any, attrs: tuple = ()) -> Any:
        """Apply to Values (recording the op) or to raw data (forward only).

        Backward rules use this for the few functions that have no operator, such as exp.
        """
        if any(isinstance(x, Value) for x in inputs):
            return apply(cls, *inputs, attrs=attrs)
        return cls.forward(*inputs, *attrs)


def float_or_array(scalar_fn: Callable, array_fn: Callable) -> Callable:
    """A forward that uses `math` on floats (20x faster than numpy) and numpy on arrays.

    Where `math` raises (log(0), exp(1000), 1/0) the float goes through numpy instead, so a
    scalar gives the same inf/nan (and warning) as a tensor would.
    """

    def forward(x: Any) -> Any:
        if type(x) is float:
            try:
                return scalar_fn(x)
            except (ArithmeticError, ValueError):
                return float(array_fn(np.float64(x)))
        return array_fn(x)

    return forward


def _float_divide(a: Any, b: Any) -> Any:
    try:
        return a / b
    except ZeroDivisionError:
        return float(np.float64(a) / b)


def power(a: Any, b: Any) -> Any:
    """a ** b with numpy's meaning on floats too (nan, not complex, for (-8) ** 0.5)."""
    if type(a) is float and type(b) is float:
        try:
            return math.pow(a, b)
        except (ArithmeticError, ValueError):
            return float(np.float64(a) ** b)
    if isinstance(a, Value) or isinstance(b, Value):
        return apply(Pow, a, b)
    return np.power(a, b)


def _log_where_positive(x: Any) -> Any:
    """log(x) where x > 0, else 0: where a <= 0, a ** b has no real derivative in b.

    On a Value it stays differentiable and warning-free: log(x m + 1 - m), m = (x > 0) constant.
    """
    if isinstance(x, Value):
        mask = positive(x)
        return Log.on(x * mask + (1 - mask))
    if type(x) is float:
        return math.log(x) if x > 0 else 0.0
    safe = np.where(x > 0, x, 1)
    return np.log(safe)


# -- arithmetic ------------------------------------------------------------------------------
class Add(Op):
    """out = a + b;  d/da = 1,  d/db = 1"""

    name = "add"
    forward = operator.add  # a + b

    vjps = (lambda g, out, a, b: g,
            lambda g, out, a, b: g)


class Sub(Op):
    """out = a - b;  d/da = 1,  d/db = -1"""

    name = "sub"
    forward = operator.sub  # a - b

    vjps = (lambda g, out, a, b: g,
            lambda g, out, a, b: -g)


class Mul(Op):
    """out = a * b;  d/da = b,  d/db = a"""

    name = "mul"
    forward = operator.mul  # a * b

    vjps = (lambda g, out, a, b: g * b,
            lambda g, out, a, b: g * a)


class Div(Op):
    """out = a / b;  d/da = 1 / b,  d/db = -a / b**2 = -out / b"""

    name = "div"
    forward = _float_divide

    vjps = (lambda g, out, a, b: g / b,
            lambda g, out, a, b: -g * out / b)


def _grad_base(g: Any, out: Any, a: Any, b: Any) -> Any:
    """g * b * a**(b-1), and 0 where b == 0, as torch gives: there a**(b-1) is inf at a = 0
    (0 * inf would be nan), so the exponent is taken as b there (a**0 = 1) and the product
    masked out. The mask is a constant, so every higher derivative is 0 there too, in a and
    in b, as torch's."""
    zero = raw(b) == 0
    if not np.any(zero):
        return g * b * power(a, b - 1)
    keep = np.logical_not(zero)
    if isinstance(b, Value):  # create_graph: the same, kept differentiable
        keep = keep.astype(b.dtype)
    return g * b * power(a, b - keep) * keep


class Pow(Op):
    """out = a ** b;  d/da = b * a**(b-1) (0 if b = 0),  d/db = a**b * log(a) (0 if a <= 0)"""

    name = "pow"
    forward = power

    vjps = (_grad_base,
            lambda g, out, a, b: g * out * _log_where_positive(a))


class Neg(Op):
    """out = -x;  d/dx = -1"""

    name = "neg"
    forward = operator.neg  # -x

    vjps = (lambda g, out, x: -g,)


class MatMul(Op):
    """out = a @ b (numpy's matmul, batch dims broadcast);  d/da = g @ b^T,  d/db = a^T @ g

    1-d operands are treated as a row (a) or a column (b) and the extra axis is dropped again.
    """

    name = "matmul"

    def forward(a, b):
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            raise ValueError(f"matmul needs arrays of at least 1 dimension, got shapes "
                             f"{np.shape(a)} and {np.shape(b)}; use * for scalars")
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ValueError(matmul_mismatch(np.shape(a), np.shape(b))) from None

    def grad_a(g, out, a, b):
        if a.ndim == 1 and b.ndim == 1:  # dot product: g is a scalar
            return g * b
        if b.ndim == 1:  # (..., n) @ (n,) -> (...): g[..., None] * b
            return g.reshape((*g.shape, 1)) * b
        if a.ndim == 1:  # (n,) @ (..., n, m) -> (..., m): g[..., None, :] @ b^T, batch summed
            if g.ndim == 1:
                return b @ g
            return (g.reshape((*g.shape[:-1], 1, g.shape[-1])) @ swap_last(b)).reshape(
                (*g.shape[:-1], *a.shape))
        return g @ swap_last(b)

    def grad_b(g, out, a, b):
        if a.ndim == 1 and b.ndim == 1:
            return g * a
        if a.ndim == 1:  # (n,) @ (..., n, m): a[:, None] * g[..., None, :]
            return a.reshape((*a.shape, 1)) * g.reshape((*g.shape[:-1], 1, g.shape[-1]))
        if b.ndim == 1:  # (..., k, n) @ (n,) -> (..., k): a^T @ g[..., None]
            return (swap_last(a) @ g.reshape((*g.shape, 1))).reshape((*g.shape[:-1], *b.shape))
        return swap_last(a) @ g

    vjps = (grad_a, grad_b)


def matmul_mismatch(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> str:
    """Why a @ b failed: the summed-over sizes differ, or the batch shapes do not broadcast."""
    inner_b = shape_b[-2] if len(shape_b) > 1 else shape_b[0]
    if shape_a[-1] != inner_b:
        return f"matmul shapes {shape_a} and {shape_b} do not match: {shape_a[-1]} != {inner_b}"
    return (f"matmul shapes {shape_a} and {shape_b} do not match: the batch shapes "
            f"{shape_a[:-2]} and {shape_b[:-2]} do not broadcast")


def swap_last(x: Any) -> Any:
    """Swap the last two axes (works on arrays and Values alike)."""
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return x.transpose(axes)


# -- elementwise functions -------------------------------------------------------------------
class Exp(Op):
    """out = e**x;  d/dx = e**x = out"""

    name = "exp"
    forward = float_or_array(math.exp, np.exp)
    vjps = (lambda g, out, x: g * out,)


class Log(Op):
    """out = ln(x);  d/dx = 1 / x"""

    name = "log"
    forward = float_or_array(math.log, np.log)
    vjps = (lambda g, out, x: g / x,)


class Sqrt(Op):
    """out = sqrt(x);  d/dx = 1 / (2 sqrt(x)) = 1 / (2 out)"""

    name = "sqrt"
    forward = float_or_array(math.sqrt, np.sqrt)
    vjps = (lambda g, out, x: g / (2 * out),)


class Abs(Op):
    """out = |x|;  d/dx = sign(x) (0 at 0 and at nan, as in PyTorch)"""

    name = "abs"
    forward = float_or_array(abs, np.abs)
    vjps = (lambda g, out, x: g * sign(x),)


class Relu(Op):
    """out = max(x, 0);  d/dx = 1 where x > 0, else 0 (1 at nan, as in PyTorch)"""

    name = "relu"
    # `not x <= 0` rather than `x > 0`: nan stays nan, as np.maximum and torch give
    forward = float_or_array(lambda x: 0.0 if x <= 0.0 else x, lambda x: np.maximum(x, 0))

    def vjp(g, out, x):
        if type(g) is np.ndarray and type(out) is np.ndarray:  # g has out's shape
            # The mask cast to g's dtype once, then multiplied in place: g * bool-mask casts
            # the mask chunk by chunk inside the multiply (0.85 of the time at 64x8x26x26).
            mask = (out != 0).astype(g.dtype)
            mask *= g
            return mask
        return g * nonzero(out)

    vjps = (vjp,)


class Tanh(Op):
    """out = tanh(x);  d/dx = 1 - tanh(x)**2 = 1 - out**2"""

    name = "tanh"
    forward = float_or_array(math.tanh, np.tanh)
    vjps = (lambda g, out, x: g * (1 - out * out),)


def _sigmoid_float(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # for x < 0 this cannot overflow
    return e / (1.0 + e)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + e**-x) with -x capped where e**-x would overflow; past the cap the true value is
    # below the dtype's smallest normal number anyway.
    cap = math.log(np.finfo(x.dtype).max) - 1
    t = np.negative(x, out=np.empty_like(x))  # out= keeps a 0-d input an array, not a scalar
    np.minimum(t, cap, out=t)
    np.exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


class Sigmoid(Op):
    """out = 1 / (1 + e**-x);  d/dx = out * (1 - out)"""

    name = "sigmoid"
    forward = float_or_array(_sigmoid_float, _sigmoid_array)
    vjps = (lambda g, out, x: g * out * (1 - out),)


def sign(x: Any) -> Any:
    """sign of the raw data of x, 0 at nan (as torch's), as a constant (a Value's sign has
    zero gradient)."""
    x = raw(x)
    if type(x) is float:
        return float((x > 0) - (x < 0))
    return np.subtract(x > 0, x < 0, dtype=x.dtype)


def nonzero(x: Any) -> Any:
    """1 where the raw data of x is not 0, else 0, as a constant: a boolean mask for raw data
    (multiplying by it keeps g's dtype), x's dtype for a Value (a bool Value would be
    float64). On relu's output, which is >= 0 or nan, that is where x > 0 or x is nan."""
    data = raw(x)
    if type(data) is float:
        return 1.0 if data != 0.0 else 0.0
    mask = data != 0
    return mask.astype(data.dtype) if isinstance(x, Value) else mask


def positive(x: Any) -> Any:
    """1 where the raw data of x is > 0, else 0, as a constant: a boolean mask for raw data
    (multiplying by it keeps g's dtype), x's dtype for a Value (a bool Value would be float64)."""
    data = raw(x)
    if type(data) is float:
        return float(data > 0)
    mask = data > 0
    return mask.astype(data.dtype) if isinstance(x, Value) else mask
