"""Stochastic gradient descent with PyTorch's rule: momentum, dampening, Nesterov, weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer, Params, Scratch, flag, real, with_weight_decay


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule. For each parameter p:

        d = grad + weight_decay * p
        buf = d (first step),  buf = momentum * buf + (1 - dampening) * d (later)  [if momentum]
        d = d + momentum * buf (nesterov)  or  d = buf                             [if momentum]
        p = p - lr * d

    State (with momentum): "momentum_buffer".
    """

    def __init__(self, params: Params, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def check_group(self, group: dict[str, Any], where: str) -> None:
        real(group, "lr", where)
        momentum = real(group, "momentum", where)
        dampening = real(group, "dampening", where, minimum=None)
        real(group, "weight_decay", where)
        if flag(group, "nesterov", where) and (momentum <= 0 or dampening != 0):
            raise ValueError(f"{where}: nesterov=True needs a momentum > 0 and dampening 0, "
                             f"got momentum {momentum} and dampening {dampening}")

    def state_keys(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("momentum_buffer",) if group["momentum"] else (), ("momentum_buffer",)

    def step_group(self, group: dict[str, Any]) -> None:
        """Plain SGD (no momentum, no weight decay) takes a shorter path: p -= lr * grad needs
        no state and one work array, so the per-parameter Python of `Optimizer.step_param` is
        cut to the two array operations (the same ones `update` does: equal results)."""
        if group["momentum"] or group["weight_decay"]:
            super().step_group(group)
            return
        lr, scratches = group["lr"], self._scratch
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data = p.data
            scratch = scratches.get(p)
            if (type(data) is not np.ndarray or type(grad) is not np.ndarray or scratch is None
                    or grad.shape != data.shape):
                self.step_param(group, p)  # a float parameter, its first step, or an error
                continue
            s = scratch(0, data)
            np.multiply(grad, lr, out=s)
            data -= s
            p.data = data  # in place, but assigned: a graph built before refuses backward

    def update(self, group: dict[str, Any], state: dict[str, Any], param: np.ndarray,
               grad: np.ndarray, scratch: Scratch) -> None:
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        s = scratch(0, param)
        d = grad
        if weight_decay:
            d = with_weight_decay(grad, param, weight_decay, s)
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:  # p's dtype and memory layout, whatever the gradient's
                buf = state["momentum_buffer"] = np.empty_like(param)
                np.copyto(buf, d)
            else:
                buf *= momentum
                if group["dampening"]:  # d is not needed after this: nesterov has no dampening
                    d = np.multiply(d, 1 - group["dampening"], out=s)
                buf += d
            if not group["nesterov"]:
                d = buf
            elif d is grad:
                np.multiply(buf, momentum, out=s)
                s += grad
                d = s
            else:  # d already lives in s
                s += np.multiply(buf, momentum, out=scratch(1, param))
        np.multiply(d, lr, out=s)
        param -= s
