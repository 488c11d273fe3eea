"""RMSprop (Hinton's lecture 6e), PyTorch's rule: momentum, the centered variant, weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.optim.optimizer import (
    Optimizer,
    Params,
    Scratch,
    flag,
    real,
    update_running_mean,
    update_running_square,
    with_weight_decay,
)


class RMSprop(Optimizer):
    """RMSprop, PyTorch's rule. For each parameter p:

        g = grad + weight_decay * p
        v = alpha * v + (1 - alpha) * g^2              (running mean of the squared gradient)
        mu = alpha * mu + (1 - alpha) * g              (centered only: running mean of g)
        avg = sqrt(v - mu^2) + eps  (centered)   or   sqrt(v) + eps
        buf = momentum * buf + g / avg,  p = p - lr * buf     (momentum > 0)
        p = p - lr * g / avg                                   (momentum = 0)

    State: "step", "square_avg" (v), "momentum_buffer" (buf, with momentum) and "grad_avg"
    (mu, centered).
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False
                 ) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                                  "centered": centered, "weight_decay": weight_decay})

    def check_group(self, group: dict[str, Any], where: str) -> None:
        real(group, "lr", where)
        real(group, "momentum", where)
        real(group, "alpha", where)
        real(group, "eps", where)
        flag(group, "centered", where)
        real(group, "weight_decay", where)

    def state_keys(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        required = ["step", "square_avg"]
        if group["momentum"] > 0:
            required.append("momentum_buffer")
        if group["centered"]:
            required.append("grad_avg")
        optional = [key for key in ("momentum_buffer", "grad_avg") if key not in required]
        return tuple(required), tuple(optional)

    def update(self, group: dict[str, Any], state: dict[str, Any], param: np.ndarray,
               grad: np.ndarray, scratch: Scratch) -> None:
        alpha, momentum, weight_decay = group["alpha"], group["momentum"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
        if momentum > 0 and "momentum_buffer" not in state:  # PyTorch's order of entries
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        v = state["square_avg"]
        s = scratch(0, param)
        g = grad
        if weight_decay:
            g = with_weight_decay(grad, param, weight_decay, scratch(1, param))
        update_running_square(v, g, alpha, s)
        if group["centered"]:
            mu = state["grad_avg"]
            update_running_mean(mu, g, alpha, s)
            np.multiply(mu, mu, out=s)
            np.subtract(v, s, out=s)
            np.sqrt(s, out=s)
        else:
            np.sqrt(v, out=s)
        s += group["eps"]
        np.divide(g, s, out=s)  # s = g / avg
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += s
            np.multiply(buf, group["lr"], out=s)
        else:
            s *= group["lr"]
        param -= s
