"""The `Value`: one class for scalars and tensors, and the code that records ops on them.

A Value holds `.data` and, after a backward pass, `.grad`. Scalar data is kept as a Python
float (a float op costs ~50 ns, a numpy 0-d op ~1 µs); anything else is a numpy array of a
floating dtype. An op's result remembers its inputs (`.parents`) and the op that made it
(`.op`), which is all that backward needs. Nothing points back from an input to its result, so
a graph is freed by reference counting as soon as its output is dropped.

This module knows no op: the operators and methods are bound onto Value by the one table in
`autograd.api`.
"""

from __future__ import annotations

import functools
import operator
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

Data = Any  # a Python float or a numpy array of a floating dtype


# -- grad mode and scope: per thread, as in PyTorch -------------------------------------------
class _ThreadState(threading.local):
    grad_enabled = True
    scope: tuple[str, ...] = ()


_thread = _ThreadState()
# The threads now inside `no_grad()` or a `scope` (or a `detect_anomaly()` block), by id and
# reason, and whether there is any: while `_customised` is False, every thread records with an
# empty scope and the hot path skips the thread-local look-up (a thread-local attribute costs
# twice a global read, and every op reads two fields). The flag is a bool, not the set's
# truthiness, which costs a C call.
_customised_threads: set[tuple[int, str]] = set()
_customised = False
_customised_lock = threading.Lock()
# While a thread is in a detect_anomaly() block, autograd.anomaly's check of each recorded op.
# It is read only on the `_customised` path, so that ordinary programs never pay for it.
_watch: Callable[[Value], None] | None = None


def _count_thread(entering: bool, reason: str = "scope or no_grad") -> None:
    """This thread enters its first no_grad() or scope, or leaves its last (or, for another
    `reason`, enters or leaves what makes it record with its own state)."""
    global _customised
    with _customised_lock:
        key = (threading.get_ident(), reason)
        if entering:
            _customised_threads.add(key)
        else:
            _customised_threads.discard(key)
        _customised = bool(_customised_threads)


class set_grad_enabled:  # noqa: N801 - used like a function: `with set_grad_enabled(False):`
    """Inside this block this thread records graphs (mode=True) or records none (False)."""

    __slots__ = ("mode", "previous")

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        state = _thread
        self.previous = previous = state.grad_enabled
        state.grad_enabled = self.mode
        if previous != self.mode and not state.scope:
            _count_thread(entering=previous)  # from recording to not, or back

    def __exit__(self, *exc_info: object) -> None:
        state = _thread
        state.grad_enabled = self.previous
        if self.previous != self.mode and not state.scope:
            _count_thread(entering=self.mode)


class no_grad(set_grad_enabled):  # noqa: N801 - used like a function: `with no_grad():`
    """Inside this block this thread's ops record no graph; results have requires_grad=False."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):  # noqa: N801 - used like a function: `with enable_grad():`
    """Inside this block this thread records graphs, even inside a `no_grad()`."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    return _thread.grad_enabled


class scope:  # noqa: N801 - used like a function: `with scope("layer 1"):`
    """Tag every Value this thread creates inside this block with `label`, nested inside the
    enclosing scopes: `Value.scope` is then (..., label). Drawings group Values by it.

    A class rather than a generator-based context manager: nn.Module enters one per call.
    """

    __slots__ = ("label", "previous")

    def __init__(self, label: str) -> None:
        self.label = label if type(label) is str else str(label)

    def __enter__(self) -> None:
        state = _thread
        self.previous = previous = state.scope
        state.scope = (*previous, self.label)
        if not previous and state.grad_enabled:
            _count_thread(True)

    def __exit__(self, *exc_info: object) -> None:
        state = _thread
        state.scope = previous = self.previous
        if not previous and state.grad_enabled:
            _count_thread(False)


# -- data -------------------------------------------------------------------------------------
def holds_a_value(x: object) -> bool:
    """True for a (nested) list or tuple with a Value inside: numpy would read each Value
    through `__array__` and the result would be cut off from the graph."""
    return isinstance(x, (list, tuple)) and any(
        isinstance(item, Value) or holds_a_value(item) for item in x)


def as_data(x: object) -> Data:
    """Convert user data to what a Value stores: a float, or a float numpy array."""
    if type(x) is float:
        return x
    if type(x) is np.ndarray and x.dtype.kind == "f" and (x.ndim or x.dtype != np.float64):
        return x
    if isinstance(x, (bool, int, float, np.bool_, np.integer, np.float64)):
        return float(x)
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"Value data must be a number, a list or a numpy array, got {x!r}")
    if isinstance(x, Value):
        raise TypeError("Value(data) got a Value; use .detach() to copy it as a new leaf")
    if holds_a_value(x):
        raise TypeError("a list that holds Values would be cut off from the graph; join "
                        "Values with ag.stack([...]) (or ag.concat) instead")
    array = np.asarray(x)
    kind = array.dtype.kind
    if kind in "biu":
        array = array.astype(np.float64)
    elif kind != "f":
        raise TypeError(
            f"Value data must be numeric (float, int or bool), got dtype {array.dtype}")
    if array.ndim == 0 and array.dtype == np.float64:
        return float(array)
    return array


# Assignments to `.data` are counted, so that backward can tell when an input changed after
# an op used it (see `Value.data` and `autograd.engine.prepare_pass`).
_data_writes = 0


# -- the Value --------------------------------------------------------------------------------
class Value:
    """A scalar or a tensor in a computation graph.

    `Value(data, requires_grad=True, name=None)`; `data` is a number, a (nested) list or a
    numpy array. Floating dtypes are kept, ints and bools become float64.
    """

    # The node layout. The inputs live in slots, not in a tuple (see `inputs_of`): one object
    # per op instead of two halves the work of Python's cyclic garbage collector while a graph
    # grows. `_epoch` (ops only) is the count of `.data` assignments when the op ran;
    # `_version` is that count at this Value's last assignment (0: never assigned). All of
    # them are filled in `_fill`, the one place that writes the layout. `_g`, `_pending` and
    # `_inputs` are the backward pass's working space, set by autograd.engine.prepare_pass.
    __slots__ = ("__weakref__", "_attrs", "_data", "_epoch", "_g", "_inputs", "_more_parents",
                 "_name", "_op", "_parent0", "_parent1", "_pending", "_version", "grad",
                 "requires_grad", "scope")

    # numpy defers to us: `array * value` calls Value.__rmul__ instead of making an object array
    __array_ufunc__ = None
    __array_priority__ = 1000.0

    def __init__(self, data: object, requires_grad: bool = True, name: str | None = None):
        given, data = data, as_data(data)
        if data is given and type(data) is np.ndarray:  # the caller's own array: copy it, as
            data = data.copy(order="K")  # torch.tensor does (it may change, or feed another)
        _fill(self, data, None, None, None, (), (), bool(requires_grad))
        if name is not None:
            self.name = name

    # -- what it is ---------------------------------------------------------------------
    @property
    def data(self) -> Data:
        return self._data

    @data.setter
    def data(self, value: object) -> None:
        """Assigning (also `x.data *= 10`, which assigns) marks the Value as changed, so a
        graph built from the old data refuses to run backward. `p.data -= lr * p.grad` after
        backward, the optimizer's pattern, is fine: the next forward builds a new graph."""
        global _data_writes
        _data_writes += 1
        self._data = as_data(value)
        self._version = _data_writes

    @property
    def name(self) -> str | None:
        """The label drawings and explanations show (None: unnamed)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"a Value's name must be a str or None, got "
                            f"{type(value).__name__} {value!r}")
        self._name = value

    @property
    def op(self) -> str:
        """Name of the op that made this Value ("" for a leaf)."""
        return "" if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this Value, in argument order (() for a leaf)."""
        return inputs_of(self)

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    @property
    def shape(self) -> tuple[int, ...]:
        return () if type(self._data) is float else self._data.shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return 1 if type(self._data) is float else self._data.size

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float64) if type(self._data) is float else self._data.dtype

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
        return float(np.asarray(self._data).reshape(()))

    def __float__(self) -> float:
        if self.size != 1:
            raise TypeError(f"float() needs a Value of size 1, got shape {self.shape}")
        return self.item()

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(f"the truth value of a Value of shape {self.shape} is ambiguous")
        return bool(self.item())

    def __array__(self, dtype: object = None, copy: bool | None = None) -> np.ndarray:
        """numpy 2's protocol: copy=True (what `np.array(v)` asks) always copies, False never
        does (or raises), None shares `.data` where it can (`np.asarray(v)`)."""
        data = self._data
        if copy is False and (type(data) is float
                              or (dtype is not None and np.dtype(dtype) != data.dtype)):
            raise ValueError("np.asarray(value, copy=False) would need a copy: the Value holds "
                             "a Python float or another dtype")
        return np.array(data, dtype=dtype, copy=True if copy else None)

    def numpy(self) -> np.ndarray:
        """The data as a numpy array, sharing memory with `.data` (as torch's `.numpy()`)."""
        return np.asarray(self._data)

    def detach(self) -> Value:
        """A new leaf with a copy of the data and no graph (requires_grad=False)."""
        return Value(self._data, requires_grad=False, name=self._name)

    def __repr__(self) -> str:
        if self.size <= 6:
            shown = repr(self._data) if type(self._data) is float else np.array2string(
                np.asarray(self._data), precision=4, separator=", ").replace("\n", "")
            text = f"Value({shown}"
            if self.dtype != np.float64:
                text += f", dtype={self.dtype}"
        else:
            text = f"Value(shape={self.shape}, dtype={self.dtype}"
        if self._name:
            text += f", name={self._name!r}"
        if self._op is not None:
            text += f", op={self.op!r}"
        elif not self.requires_grad:
            text += ", requires_grad=False"
        return text + ")"

    def backward(self, grad: object = None) -> None:
        """Add d(self)/d(x) * grad into `x.grad` for every x in the graph that requires grad."""
        from autograd.engine import backward

        backward(self, grad)

    def __pos__(self) -> Value:
        return self

    # Values hash by identity (graphs put them in sets); `==` stays identity too.
    __hash__ = object.__hash__


# -- the node layout: written in `_fill`, read in `inputs_of` ---------------------------------
def _fill(out: Value, data: Data, op: Any, first: Value | None, second: Value | None,
          more: tuple, attrs: tuple, requires_grad: bool) -> None:
    """Write every slot of `out`: a leaf for op=None, else the result of `op` on its inputs
    (first, second, *more), with the op's non-differentiable attributes."""
    out._data, out.grad, out._name, out._version = data, None, None, 0
    out.requires_grad, out._op, out._attrs = requires_grad, op, attrs
    out._parent0, out._parent1, out._more_parents = first, second, more
    out._epoch = _data_writes
    if _customised:
        out.scope = _thread.scope
        if _watch is not None and op is not None:
            _watch(out)
    else:
        out.scope = ()


def inputs_of(node: Value) -> tuple[Value, ...]:
    """The inputs of the op that made `node`, in argument order (() for a leaf)."""
    first, second = node._parent0, node._parent1
    if first is None:
        return ()
    if second is None:
        return (first,)
    if node._more_parents:
        return (first, second, *node._more_parents)
    return (first, second)


def raw(x: Any) -> Data:
    """The data behind a Value, or x itself (backward rules get either)."""
    return x._data if isinstance(x, Value) else x


def constant(x: object, like: Value | None = None) -> Value:
    """Wrap a number or an array as a leaf that needs no gradient (a Value passes through).

    An integer or bool array takes the dtype of `like`, the Value it meets, so a float32 model
    stays float32 against integer targets (as in torch); Python numbers are "weak", as in
    numpy, and need no cast.
    """
    if isinstance(x, Value):
        return x
    leaf = Value.__new__(Value)
    if type(x) is float or type(x) is int:  # `y * 0.5`, `1 - y`: `_fill` written out, as in
        # apply_binary, for speed
        leaf._data, leaf.grad, leaf._name, leaf._version = float(x), None, None, 0
        leaf.requires_grad, leaf._op, leaf._attrs = False, None, ()
        leaf._parent0 = leaf._parent1 = None
        leaf._more_parents, leaf._epoch = (), _data_writes
        leaf.scope = _thread.scope if _customised else ()
        return leaf
    if like is not None and like.dtype != np.float64 and _integral(x):
        data = np.asarray(x, dtype=like.dtype)
    else:
        data = as_data(x)
    _fill(leaf, data, None, None, None, (), (), False)
    return leaf


def _integral(x: object) -> bool:
    """An integer or bool array, numpy scalar or list of them."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype.kind in "biu"
    return (isinstance(x, (list, tuple)) and not holds_a_value(x)
            and np.asarray(x).dtype.kind in "biu")


def as_values(*inputs: object) -> list[Value]:
    """Every input as a Value: constants for numbers and arrays, integer and bool arrays cast
    to the floating dtype of the Value inputs (see `constant`)."""
    values = [x for x in inputs if isinstance(x, Value)]
    if len(values) == len(inputs):
        return values
    like = None
    if values:
        dtype = np.result_type(*[v.dtype for v in values])
        like = values[0] if values[0].dtype == dtype else constant(np.zeros((), dtype))
    return [constant(x, like) for x in inputs]


# -- recording --------------------------------------------------------------------------------
def apply(op: Any, *inputs: object, attrs: tuple = ()) -> Value:
    """Run `op` forward on the inputs' data and record the result in the graph.

    Inputs that are not Values become constants. The result is a node (with parents and op)
    only if grad mode is on and some input requires grad; otherwise it is a constant leaf.
    """
    parents = inputs
    requires_grad = False
    for x in inputs:
        if not isinstance(x, Value):
            parents = as_values(*inputs)
            requires_grad = any(p.requires_grad for p in parents)
            break
        requires_grad = requires_grad or x.requires_grad
    data = op.forward(*[p._data for p in parents], *attrs)
    if len(parents) == 1:
        return _result(data, op, parents[0], None, (), attrs, requires_grad)
    return _result(data, op, parents[0], parents[1], tuple(parents[2:]), attrs, requires_grad)


def record(op: Any, data: Data, parents: list[Value], attrs: tuple) -> Value:
    """The Value for `data`, which `op` computed from `parents` (see `_result`)."""
    requires_grad = any(p.requires_grad for p in parents)
    more = tuple(parents[2:])
    return _result(data, op, parents[0], parents[1] if len(parents) > 1 else None, more, attrs,
                   requires_grad)


def _result(data: Data, op: Any, first: Value, second: Value | None, more: tuple,
            attrs: tuple, requires_grad: bool) -> Value:
    """The Value an op returns: a graph node, or a constant leaf when no grad is needed."""
    out = Value.__new__(Value)
    if type(data) is not float and type(data) is np.float64:
        data = float(data)  # a 0-d float64 result stays a fast, "weak" Python float
    if requires_grad and (_thread.grad_enabled if _customised else True):
        _fill(out, data, op, first, second, more, attrs, True)
    else:
        _fill(out, data, None, None, None, (), (), False)
    return out


# `apply` unrolled for one and two inputs without attributes: every operator and elementwise
# method goes through these, once per op, so they are the hottest code in scalar programs.
def apply_unary(op: Any, x: Value) -> Value:
    data = op.forward(x._data)
    if x.requires_grad and (_thread.grad_enabled if _customised else True):
        out = Value.__new__(Value)  # `_fill` written out, as in apply_binary
        if type(data) is not float and type(data) is np.float64:
            data = float(data)
        out._data, out.grad, out._name, out._version = data, None, None, 0
        out.requires_grad, out._op, out._attrs = True, op, ()
        out._parent0, out._parent1, out._more_parents = x, None, ()
        out._epoch = _data_writes
        if _customised:
            out.scope = _thread.scope
            if _watch is not None:
                _watch(out)
        else:
            out.scope = ()
        return out
    return _result(data, op, x, None, (), (), False)


def apply_binary(op: Any, a: object, b: object) -> Value:
    if not isinstance(a, Value):
        a = constant(a, b)
    if not isinstance(b, Value):
        b = constant(b, a)
    data = op.forward(a._data, b._data)
    if (a.requires_grad or b.requires_grad) and (
            _thread.grad_enabled if _customised else True):
        # `_fill` written out here, in apply_unary and for number constants: with the bool
        # `_customised`, they cut a 100,000-op scalar chain's forward from 919 to 826 million
        # instructions (callgrind)
        out = Value.__new__(Value)
        if type(data) is not float and type(data) is np.float64:
            data = float(data)
        out._data, out.grad, out._name, out._version = data, None, None, 0
        out.requires_grad, out._op, out._attrs = True, op, ()
        out._parent0, out._parent1, out._more_parents = a, b, ()
        out._epoch = _data_writes
        if _customised:
            out.scope = _thread.scope
            if _watch is not None:
                _watch(out)
        else:
            out.scope = ()
        return out
    return _result(data, op, a, b, (), (), False)


# -- checking arguments -----------------------------------------------------------------------
TORCH_NAMES = {"dim": "axis", "keepdim": "keepdims"}


def torch_names(function: Callable) -> Callable:
    """Let `function` also take torch's names for its arguments: `dim=` for `axis=` and
    `keepdim=` for `keepdims=` (torch users type them)."""

    @functools.wraps(function)
    def accepting_torch_names(*args: Any, **kwargs: Any) -> Any:
        for torch_name, name in TORCH_NAMES.items():
            if torch_name in kwargs:
                if name in kwargs:
                    raise TypeError(f"{function.__name__}() got both {name}= and "
                                    f"{torch_name}=; give one")
                kwargs[name] = kwargs.pop(torch_name)
        return function(*args, **kwargs)

    return accepting_torch_names


def normalize_axis(axis: int | tuple[int, ...] | list | None, ndim: int):
    """Check `axis` against `ndim` and make it non-negative (a tuple stays a tuple). A
    non-integer axis (1.7, "0", True) is a TypeError, as in numpy."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(normalize_axis(a, ndim) for a in axis)
    if isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {type(axis).__name__} {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a {ndim}-d Value")
    return axis % ndim


def normalize_index(index: object) -> object:
    """Check an index and turn lists inside it into numpy arrays (an index gets no gradient).

    A Value is refused: its data is float, so a boolean mask and the positions 0 and 1 would
    look the same. Float arrays are refused too, as numpy does.
    """
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if isinstance(index, Value):
        raise IndexError("a Value cannot be an index (its data is float, so a mask and the "
                         "positions 0 and 1 look the same); index with a numpy integer or "
                         "boolean array, e.g. v[mask.numpy() > 0] or v[idx.numpy().astype(int)]")
    if isinstance(index, list):
        if holds_a_value(index):
            raise IndexError("an index list holds a Value; index with numpy integer or "
                             "boolean arrays")
        index = np.asarray(index)
        if index.size == 0:
            index = index.astype(np.intp)  # [] is an empty list of positions, as in numpy
    if isinstance(index, (np.ndarray, np.generic)) and index.dtype.kind not in "biu":
        raise IndexError(f"arrays used as indices must hold integers or booleans, got dtype "
                         f"{index.dtype}")
    if isinstance(index, np.ndarray):
        index = index.copy()  # the caller may change theirs before backward
    return index
