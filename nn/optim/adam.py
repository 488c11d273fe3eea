"""Adam and AdamW (Adam with decoupled weight decay), PyTorch's rules, with optional AMSGrad."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn.optim.optimizer import (
    Optimizer,
    Params,
    Scratch,
    betas,
    flag,
    real,
    update_running_mean,
    update_running_square,
    with_weight_decay,
)


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's rule. For each parameter p, at its step t = 1, 2, ...:

        p = p * (1 - lr * weight_decay)            (AdamW only: decay decoupled from the gradient)
        g = grad + weight_decay * p                (Adam only: an L2 term in the gradient)
        m = beta1 * m + (1 - beta1) * g            (running mean of the gradient)
        v = beta2 * v + (1 - beta2) * g^2          (running mean of its square)
        v_max = max(v_max, v), used for v below    (amsgrad only)
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)    (bias correction: m, v start at 0)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    State: "step" (t), "exp_avg" (m), "exp_avg_sq" (v), and "max_exp_avg_sq" (v_max) with
    amsgrad.
    """

    decoupled_weight_decay = False

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad})

    def check_group(self, group: dict[str, Any], where: str) -> None:
        real(group, "lr", where)
        betas(group, where)
        real(group, "eps", where)
        real(group, "weight_decay", where)
        flag(group, "amsgrad", where)

    def state_keys(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        required = ("step", "exp_avg", "exp_avg_sq")
        if group["amsgrad"]:
            return (*required, "max_exp_avg_sq"), ()
        return required, ("max_exp_avg_sq",)

    def update(self, group: dict[str, Any], state: dict[str, Any], param: np.ndarray,
               grad: np.ndarray, scratch: Scratch) -> None:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        state["step"] += 1
        t = state["step"]
        s = scratch(0, param)
        g = grad
        if weight_decay and self.decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        elif weight_decay:
            g = with_weight_decay(grad, param, weight_decay, scratch(1, param))
        update_running_mean(m, g, beta1, s)
        update_running_square(v, g, beta2, s)
        if group["amsgrad"]:
            v_max = state.get("max_exp_avg_sq")
            if v_max is None:
                v_max = state["max_exp_avg_sq"] = np.zeros_like(param)
            v = np.maximum(v_max, v, out=v_max)
        np.sqrt(v, out=s)  # s = sqrt(v_hat) + eps = sqrt(v) / sqrt(1 - beta2^t) + eps
        s /= math.sqrt(1 - beta2 ** t)
        s += group["eps"]
        np.divide(m, s, out=s)
        s *= lr / (1 - beta1 ** t)  # s = lr * m_hat / (sqrt(v_hat) + eps)
        param -= s


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): each step first shrinks the
    parameter, p = p * (1 - lr * weight_decay), then takes an Adam step without weight decay
    (see `Adam` for the rule). PyTorch's default weight_decay, 1e-2."""

    decoupled_weight_decay = True

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
