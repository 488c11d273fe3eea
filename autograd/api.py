"""The public surface of the engine in one table: every op, operator, method and function.

`autograd.value` defines Value without a single op, and the op modules define the ops; this
module binds them together once. The core ops are listed here; the later groups (activations,
losses, network functions, convolutions) list theirs in their own modules. `OPS` lists the
built-in ops in the order the README's table shows them; the operators and methods are set on
Value from the tables below, and `FUNCTIONS` (exported by `autograd/__init__.py`, and read by
the tests) holds every `ag.NAME` function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import activations, conv_ops, losses, network_ops, recurrent_ops
from autograd import functional as F  # noqa: N812
from autograd.fused_ops import (
    BCEWithLogits,
    CrossEntropy,
    Linear,
    LogSoftmax,
    MSELoss,
    Softmax,
)
from autograd.ops import (
    Abs,
    Add,
    Div,
    Exp,
    Log,
    MatMul,
    Mul,
    Neg,
    Op,
    Pow,
    Relu,
    Sigmoid,
    Sqrt,
    Sub,
    Tanh,
)
from autograd.shape_ops import (
    AsType,
    BroadcastTo,
    Concat,
    GetItem,
    IndexAdd,
    LogSumExp,
    Max,
    Mean,
    Pad,
    Reshape,
    Stack,
    Std,
    Sum,
    Transpose,
    Var,
    Where,
)
from autograd.value import Value, apply_binary, apply_unary, constant

# The built-in ops: arithmetic and elementwise ops, then reductions and shape ops, then the
# fused ops.
OPS: dict[str, type[Op]] = {op.name: op for op in (
    Add, Sub, Mul, Div, Pow, Neg, MatMul, Exp, Log, Sqrt, Abs, Relu, Tanh, Sigmoid,
    Sum, Mean, Max, LogSumExp, Var, Std, BroadcastTo, Reshape, Transpose, AsType, Pad,
    GetItem, IndexAdd, Concat, Stack, Where, Softmax, LogSoftmax, MSELoss, CrossEntropy,
    BCEWithLogits, Linear,
)}
# The other op modules each declare, beside their ops, their own OPS, ELEMENTWISE, METHODS
# and FUNCTION_ONLY; they join the tables here, in this order (the README's table follows it).
_GROUPS = (activations, losses, network_ops, conv_ops, recurrent_ops)
OPS.update({op.name: op for group in _GROUPS for op in group.OPS})

# `a + b`, and `b + a` with a constant b on the left (Python then calls a.__radd__(b)).
BINARY_OPERATORS: dict[str, type[Op]] = {
    "add": Add, "sub": Sub, "mul": Mul, "truediv": Div, "pow": Pow, "matmul": MatMul,
}
# `x.exp()` and `ag.exp(x)`; `-x` and `abs(x)`.
ELEMENTWISE: dict[str, type[Op]] = {
    "exp": Exp, "log": Log, "sigmoid": Sigmoid, "tanh": Tanh, "relu": Relu, "sqrt": Sqrt,
    "abs": Abs,
}
for _group in _GROUPS:
    ELEMENTWISE.update(_group.ELEMENTWISE)
UNARY_OPERATORS: dict[str, type[Op]] = {"neg": Neg, "abs": Abs}
# `x.sum(axis)` and `ag.sum(x, axis)`: the functions that check arguments, bound as methods.
METHODS: dict[str, Callable[..., Value]] = {
    "sum": F.sum, "mean": F.mean, "max": F.max, "reshape": F.reshape,
    "transpose": F.transpose, "astype": F.astype, "softmax": F.softmax,
    "log_softmax": F.log_softmax, "__getitem__": F.getitem,
    "logsumexp": F.logsumexp, "var": F.var, "std": F.std, "argmax": F.argmax,
    "argmin": F.argmin, "squeeze": F.squeeze, "unsqueeze": F.unsqueeze, "flatten": F.flatten,
    "permute": F.permute, "view": F.reshape, "expand": F.expand, "split": F.split,
}
for _group in _GROUPS:
    METHODS.update(_group.METHODS)
# `ag.NAME(...)` only.
FUNCTION_ONLY: dict[str, Callable[..., Value]] = {
    "broadcast_to": F.broadcast_to, "concat": F.concat, "stack": F.stack, "where": F.where,
    "linear": F.linear, "mse_loss": F.mse_loss, "cross_entropy": F.cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
    "pad": F.pad,
}
for _group in _GROUPS:
    FUNCTION_ONLY.update(_group.FUNCTION_ONLY)


def _binary_operator(op: type[Op], reflected: bool) -> Callable[[Value, Any], Value]:
    if reflected:
        def method(self: Value, other: Any) -> Value:
            return apply_binary(op, other, self)
    else:
        def method(self: Value, other: Any) -> Value:
            return apply_binary(op, self, other)
    method.__doc__ = op.__doc__
    return method


def _elementwise_method(op: type[Op]) -> Callable[[Value], Value]:
    def method(self: Value) -> Value:
        return apply_unary(op, self)

    method.__doc__ = op.__doc__
    return method


def _elementwise_function(name: str, op: type[Op]) -> Callable[[Any], Value]:
    def function(x: Any) -> Value:
        return apply_unary(op, constant(x))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = op.__doc__
    return function


def _bind() -> dict[str, Callable[..., Value]]:
    """Set the operators and methods on Value; return the `ag.NAME` functions by name."""
    for name, op in BINARY_OPERATORS.items():
        setattr(Value, f"__{name}__", _binary_operator(op, reflected=False))
        setattr(Value, f"__r{name}__", _binary_operator(op, reflected=True))
    for name, op in UNARY_OPERATORS.items():
        setattr(Value, f"__{name}__", _elementwise_method(op))
    functions = {}
    for name, op in ELEMENTWISE.items():
        setattr(Value, name, _elementwise_method(op))
        functions[name] = _elementwise_function(name, op)
    for name, function in METHODS.items():
        setattr(Value, name, function)
        if not name.startswith("__"):
            functions[name] = function
    Value.T = property(F.transpose, doc="The axes reversed (a matrix transposed).")
    return {**functions, **FUNCTION_ONLY}


FUNCTIONS = _bind()
