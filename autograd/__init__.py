"""scratchgrad's autodiff engine: `Value`, reverse-mode backward, `grad`, `gradcheck`.

    from autograd import Value
    a, b = Value(2.0), Value(-3.0)
    (a * b + a ** 2).backward()
    a.grad, b.grad   # (1.0, 2.0)
"""

from autograd.value import Value, is_grad_enabled, no_grad, scope  # isort: skip
from autograd.drawing import draw_graph
from autograd.engine import grad
from autograd.explain import explain_backward
from autograd.functional import (
    abs,
    binary_cross_entropy_with_logits,
    broadcast_to,
    concat,
    cross_entropy,
    exp,
    linear,
    log,
    log_softmax,
    max,
    mean,
    mse_loss,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    stack,
    sum,
    tanh,
    transpose,
    where,
)
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.ops import REGISTRY as OPS

__all__ = [
    "OPS",
    "GradcheckError",
    "Value",
    "abs",
    "binary_cross_entropy_with_logits",
    "broadcast_to",
    "concat",
    "cross_entropy",
    "draw_graph",
    "exp",
    "explain_backward",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "linear",
    "log",
    "log_softmax",
    "max",
    "mean",
    "mse_loss",
    "no_grad",
    "relu",
    "reshape",
    "scope",
    "sigmoid",
    "softmax",
    "sqrt",
    "stack",
    "sum",
    "tanh",
    "transpose",
    "where",
]
