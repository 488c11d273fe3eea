"""scratchgrad's autodiff engine: `Value`, reverse-mode backward, `grad`, `gradcheck`.

    from autograd import Value
    a, b = Value(2.0), Value(-3.0)
    (a * b + a ** 2).backward()
    a.grad, b.grad   # (1.0, 2.0)

The layers: `value` (Value, recording, grad mode), the op modules (`ops`, `shape_ops`,
`fused_ops`, `functional`), and `api`, the one table that binds ops onto Value and lists the
`ag.NAME` functions exported here.
"""

from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.api import FUNCTIONS, OPS
from autograd.check_op import check_op
from autograd.drawing import draw_graph
from autograd.engine import grad
from autograd.explain import explain_backward
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.ops import Op
from autograd.value import (
    Value,
    enable_grad,
    is_grad_enabled,
    no_grad,
    scope,
    set_grad_enabled,
)

globals().update(FUNCTIONS)  # ag.exp, ag.sum, ag.mse_loss, ...: see autograd.api


def __getattr__(name: str) -> object:
    """`ag.step_through` loads the stepper (its page, layout and JSON: ~8 ms of imports) on
    first use, as `draw_graph` loads graphviz: most programs never step through a graph."""
    if name == "step_through":
        from autograd.stepper import step_through

        return step_through
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")

__all__ = [
    "OPS",
    "AnomalyError",
    "GradcheckError",
    "Op",
    "Value",
    "check_op",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "explain_backward",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "scope",
    "set_grad_enabled",
    "step_through",
    *FUNCTIONS,
]
