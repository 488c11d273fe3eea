"""The `Value`: one class for scalars and tensors, and the code that records ops on them.

A Value holds `.data` and, after a backward pass, `.grad`. Scalar data is kept as a Python
float (a float op costs ~50 ns, a numpy 0-d op ~1 µs); anything else is a numpy array of a
floating dtype. An op's result remembers its inputs (`.parents`) and the op that made it
(`.op`), which is all that backward needs. Nothing points back from an input to its result, so
a graph is freed by reference counting as soon as its output is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

Data = Any  # a Python float or a numpy array/scalar of a floating dtype


class _GradMode:
    """Whether ops record a graph (switched off by `no_grad`)."""

    enabled = True


class no_grad:  # noqa: N801 - used like a function: `with no_grad():`
    """Inside this block ops record no graph; their results have `requires_grad=False`."""

    def __enter__(self) -> None:
        self.previous = _GradMode.enabled
        _GradMode.enabled = False

    def __exit__(self, *exc_info: object) -> None:
        _GradMode.enabled = self.previous


def is_grad_enabled() -> bool:
    return _GradMode.enabled


class _Scope:
    """The labels of the code that is running, outermost first (e.g. nested nn.Modules)."""

    current: tuple[str, ...] = ()


class scope:  # noqa: N801 - used like a function: `with scope("layer 1"):`
    """Tag every Value created inside this block with `label`, nested inside the enclosing
    scopes: `Value.scope` is then (..., label). Drawings group Values by it.

    A class rather than a generator-based context manager: nn.Module enters one per call.
    """

    def __init__(self, label: str) -> None:
        self.label = str(label)

    def __enter__(self) -> None:
        self.previous = _Scope.current
        _Scope.current = (*self.previous, self.label)

    def __exit__(self, *exc_info: object) -> None:
        _Scope.current = self.previous


def as_data(x: object) -> Data:
    """Convert user data to what a Value stores: a float, or a float numpy array."""
    if type(x) is float:
        return x
    if isinstance(x, (bool, int, float, np.bool_, np.integer, np.float64)):
        return float(x)
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"Value data must be a number, a list or a numpy array, got {x!r}")
    array = np.asarray(x)
    kind = array.dtype.kind
    if kind in "biu":
        array = array.astype(np.float64)
    elif kind != "f":
        raise TypeError(
            f"Value data must be numeric (float, int or bool), got dtype {array.dtype}"
        )
    if array.ndim == 0 and array.dtype == np.float64:
        return float(array)
    return array


class Value:
    """A scalar or a tensor in a computation graph.

    `Value(data, requires_grad=True, name=None)`; `data` is a number, a (nested) list or a
    numpy array. Floating dtypes are kept, ints and bools become float64.
    """

    # The inputs live in slots, not in a tuple (see `parents`): one object per op instead of
    # two halves the work of Python's cyclic garbage collector while a graph grows.
    # _g and _pending are the backward pass's working space (see autograd.engine).
    __slots__ = ("__weakref__", "_attrs", "_g", "_more_parents", "_op", "_parent0", "_parent1",
                 "_pending", "data", "grad", "name", "requires_grad", "scope")

    # numpy defers to us: `array * value` calls Value.__rmul__ instead of making an object array
    __array_ufunc__ = None
    __array_priority__ = 1000.0

    def __init__(self, data: object, requires_grad: bool = True, name: str | None = None):
        if isinstance(data, Value):
            raise TypeError("Value(data) got a Value; use .detach() to copy it as a new leaf")
        self.data = as_data(data)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._parent0 = self._parent1 = None
        self._more_parents = ()
        self._op = None
        self._attrs = ()
        self.scope = _Scope.current

    # -- what it is ---------------------------------------------------------------------
    @property
    def op(self) -> str:
        """Name of the op that made this Value ("" for a leaf)."""
        return "" if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this Value, in argument order (() for a leaf)."""
        if self._parent0 is None:
            return ()
        if self._parent1 is None:
            return (self._parent0,)
        return (self._parent0, self._parent1, *self._more_parents)

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    @property
    def shape(self) -> tuple[int, ...]:
        return () if type(self.data) is float else self.data.shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return 1 if type(self.data) is float else self.data.size

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float64) if type(self.data) is float else self.data.dtype

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d Value")
        return self.shape[0]

    def __iter__(self) -> Iterator[Value]:
        return (self[i] for i in range(len(self)))

    # -- conversions --------------------------------------------------------------------
    def item(self) -> float:
        if self.size != 1:
            raise ValueError(f"item() needs a Value of size 1, got shape {self.shape}")
        return float(np.asarray(self.data).reshape(()))

    def __float__(self) -> float:
        if self.size != 1:
            raise TypeError(f"float() needs a Value of size 1, got shape {self.shape}")
        return self.item()

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(f"the truth value of a Value of shape {self.shape} is ambiguous")
        return bool(self.item())

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        array = np.asarray(self.data)
        return array if dtype is None else array.astype(dtype)

    def numpy(self) -> np.ndarray:
        return np.asarray(self.data)

    def detach(self) -> Value:
        """A new leaf with the same data and no graph (requires_grad=False)."""
        return Value(self.data, requires_grad=False, name=self.name)

    def __repr__(self) -> str:
        if self.size <= 6:
            shown = repr(self.data) if type(self.data) is float else np.array2string(
                np.asarray(self.data), precision=4, separator=", ").replace("\n", "")
            text = f"Value({shown}"
            if self.dtype != np.float64:
                text += f", dtype={self.dtype}"
        else:
            text = f"Value(shape={self.shape}, dtype={self.dtype}"
        if self.name:
            text += f", name={self.name!r}"
        if self._op is not None:
            text += f", op={self.op!r}"
        elif not self.requires_grad:
            text += ", requires_grad=False"
        return text + ")"

    # -- backward -----------------------------------------------------------------------
    def backward(self, grad: object = None) -> None:
        """Add d(self)/d(x) * grad into `x.grad` for every x in the graph that requires grad."""
        from autograd.engine import backward

        backward(self, grad)

    # -- operators (numbers and numpy arrays on either side are constants) ---------------
    def __add__(self, other: object) -> Value:
        return apply_binary(Add, self, other)

    def __radd__(self, other: object) -> Value:
        return apply_binary(Add, other, self)

    def __sub__(self, other: object) -> Value:
        return apply_binary(Sub, self, other)

    def __rsub__(self, other: object) -> Value:
        return apply_binary(Sub, other, self)

    def __mul__(self, other: object) -> Value:
        return apply_binary(Mul, self, other)

    def __rmul__(self, other: object) -> Value:
        return apply_binary(Mul, other, self)

    def __truediv__(self, other: object) -> Value:
        return apply_binary(Div, self, other)

    def __rtruediv__(self, other: object) -> Value:
        return apply_binary(Div, other, self)

    def __pow__(self, other: object) -> Value:
        return apply_binary(Pow, self, other)

    def __rpow__(self, other: object) -> Value:
        return apply_binary(Pow, other, self)

    def __matmul__(self, other: object) -> Value:
        return apply_binary(MatMul, self, other)

    def __rmatmul__(self, other: object) -> Value:
        return apply_binary(MatMul, other, self)

    def __neg__(self) -> Value:
        return apply_unary(Neg, self)

    def __pos__(self) -> Value:
        return self

    # Values hash by identity (graphs put them in sets); `==` stays identity too.
    __hash__ = object.__hash__

    # -- methods (each is also a function in `autograd`) ---------------------------------
    def exp(self) -> Value:
        return apply_unary(Exp, self)

    def log(self) -> Value:
        return apply_unary(Log, self)

    def sigmoid(self) -> Value:
        return apply_unary(Sigmoid, self)

    def tanh(self) -> Value:
        return apply_unary(Tanh, self)

    def relu(self) -> Value:
        return apply_unary(Relu, self)

    def sqrt(self) -> Value:
        return apply_unary(Sqrt, self)

    def abs(self) -> Value:
        return apply_unary(Abs, self)

    __abs__ = abs

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        return apply(Sum, self, attrs=(normalize_axis(axis, self.ndim), keepdims))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        return apply(Mean, self, attrs=(normalize_axis(axis, self.ndim), keepdims))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        if self.size == 0:
            raise ValueError("max() of an empty Value")
        return apply(Max, self, attrs=(normalize_axis(axis, self.ndim), keepdims))

    def reshape(self, *shape: int | tuple[int, ...]) -> Value:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        new_shape = np.empty(self.shape, dtype=np.bool_).reshape(shape).shape  # checks it
        return apply(Reshape, self, attrs=(new_shape,))

    def transpose(self, *axes: int | tuple[int, ...]) -> Value:
        """Permute the axes as numpy does: no axes reverses them (`x.T`)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        if sorted(normalize_axis(axes, self.ndim)) != list(range(self.ndim)):
            raise ValueError(f"transpose axes {axes} are not a permutation of a "
                             f"{self.ndim}-d Value's axes")
        return apply(Transpose, self, attrs=(normalize_axis(axes, self.ndim),))

    @property
    def T(self) -> Value:
        return self.transpose()

    def astype(self, dtype: object) -> Value:
        """Convert to another floating dtype (gradients flow back in the original dtype)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"astype needs a floating dtype, got {dtype}")
        return apply(AsType, self, attrs=(dtype,))

    def __getitem__(self, index: object) -> Value:
        return apply(GetItem, self, attrs=(normalize_index(index),))

    def softmax(self, axis: int = -1) -> Value:
        return apply(Softmax, self, attrs=(normalize_axis(axis, self.ndim),))

    def log_softmax(self, axis: int = -1) -> Value:
        return apply(LogSoftmax, self, attrs=(normalize_axis(axis, self.ndim),))


def raw(x: Any) -> Data:
    """The data behind a Value, or x itself (backward rules get either)."""
    return x.data if isinstance(x, Value) else x


def constant(x: object) -> Value:
    """Wrap a number or an array as a leaf that needs no gradient."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:  # `y * 0.5`, `1 - y`: skip the checks in __init__
        leaf = Value.__new__(Value)
        leaf.data, leaf.grad, leaf.requires_grad, leaf.name = float(x), None, False, None
        leaf._parent0 = leaf._parent1 = leaf._op = None
        leaf._more_parents, leaf._attrs, leaf.scope = (), (), _Scope.current
        return leaf
    return Value(x, requires_grad=False)


def apply(op: Any, *inputs: object, attrs: tuple = ()) -> Value:
    """Run `op` forward on the inputs' data and record the result in the graph.

    Inputs that are not Values become constants. The result is a node (with parents and op)
    only if grad mode is on and some input requires grad; otherwise it is a constant leaf.
    """
    parents = [constant(x) for x in inputs]  # a Value passes through unchanged
    data = op.forward(*[p.data for p in parents], *attrs)
    requires_grad = any(p.requires_grad for p in parents)
    if len(parents) == 1:
        return _result(data, op, parents[0], None, (), attrs, requires_grad)
    return _result(data, op, parents[0], parents[1], tuple(parents[2:]), attrs, requires_grad)


# `apply` unrolled for one and two inputs without attributes: every operator and elementwise
# method goes through these, once per op, so they are the hottest code in scalar programs.
def apply_unary(op: Any, x: Value) -> Value:
    return _result(op.forward(x.data), op, x, None, (), (), x.requires_grad)


def apply_binary(op: Any, a: object, b: object) -> Value:
    if not isinstance(a, Value):
        a = constant(a)
    if not isinstance(b, Value):
        b = constant(b)
    data = op.forward(a.data, b.data)
    if (a.requires_grad or b.requires_grad) and _GradMode.enabled:
        # `_result` written out: this is the hottest line of a scalar program
        out = Value.__new__(Value)
        if type(data) is not float and type(data) is np.float64:
            data = float(data)
        out.data, out.grad, out.name, out.scope = data, None, None, _Scope.current
        out.requires_grad, out._op, out._attrs = True, op, ()
        out._parent0, out._parent1, out._more_parents = a, b, ()
        return out
    return _result(data, op, a, b, (), (), False)


def _result(data: Data, op: Any, first: Value, second: Value | None, more: tuple,
            attrs: tuple, requires_grad: bool) -> Value:
    """The Value an op returns: a graph node, or a constant leaf when no grad is needed."""
    out = Value.__new__(Value)
    if type(data) is not float and type(data) is np.float64:
        data = float(data)  # a 0-d float64 result stays a fast, "weak" Python float
    out.data, out.grad, out.name, out.scope = data, None, None, _Scope.current
    if requires_grad and _GradMode.enabled:
        out.requires_grad, out._op, out._attrs = True, op, attrs
        out._parent0, out._parent1, out._more_parents = first, second, more
    else:
        out.requires_grad, out._op, out._attrs = False, None, ()
        out._parent0 = out._parent1 = None
        out._more_parents = ()
    return out


def normalize_axis(axis: int | tuple[int, ...] | list | None, ndim: int):
    """Check `axis` against `ndim` and make it non-negative (a tuple stays a tuple)."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(normalize_axis(a, ndim) for a in axis)
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a {ndim}-d Value")
    return axis % ndim


def normalize_index(index: object) -> object:
    """Turn Values and lists inside an index into numpy arrays (an index gets no gradient)."""
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if isinstance(index, Value):
        index = index.data
        if not isinstance(index, np.ndarray):
            raise IndexError("a Value used as an index must hold an integer or boolean array")
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind == "f":
        if not np.all(index == np.round(index)):
            raise IndexError("index arrays must hold integers or booleans")
        index = index.astype(np.intp)
    return index


# The op classes import Value from this module, so they are bound after the class exists.
# Importing registers them in autograd.OPS, in this order: arithmetic and elementwise ops,
# then reductions and shape ops, then the fused ops (the order of the README's table).
from autograd.ops import (  # noqa: E402
    Abs,
    Add,
    Div,
    Exp,
    Log,
    MatMul,
    Mul,
    Neg,
    Pow,
    Relu,
    Sigmoid,
    Sqrt,
    Sub,
    Tanh,
)

# isort: split
from autograd.shape_ops import AsType, GetItem, Max, Mean, Reshape, Sum, Transpose  # noqa: E402

# isort: split
from autograd.fused_ops import LogSoftmax, Softmax  # noqa: E402
