"""Optimizers with PyTorch's update rules: `SGD` (momentum, Nesterov, weight decay) and `Adam`.

Given the same gradients they produce the same parameters as `torch.optim.SGD` and
`torch.optim.Adam`, step for step. Updates run in place on `p.data` through scratch buffers
allocated once per parameter, so a step allocates no new arrays (cheaper than the usual
`p.data -= lr * p.grad`, which makes a temporary for `lr * p.grad`). A parameter whose `.grad`
is None is skipped, as in PyTorch.

Every buffer is a numpy array, 0-d for a scalar parameter, and every gradient is seen as one:
a numpy scalar is immutable, so `buf *= momentum` on it would rebind a local name and leave the
stored buffer unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

import autograd as ag


class Optimizer:
    """Base class: holds the parameters, zeroes their gradients, runs `update` on each."""

    def __init__(self, params: Iterable[ag.Value]) -> None:
        if isinstance(params, ag.Value):
            raise TypeError("params must be an iterable of Values (e.g. model.parameters()), "
                            "got a single Value; wrap it in a list")
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty list of parameters")
        positions: dict[int, int] = {}  # id of each parameter -> its first position
        for index, p in enumerate(self.params):
            if not isinstance(p, ag.Value) or not p.requires_grad:
                raise TypeError(f"parameter {index} is not a Value that requires grad: {p!r}")
            if not p.is_leaf:
                raise ValueError(f"parameter {index} ({p!r}) is not a leaf: it is the result of "
                                 f"'{p.op}', so updating it would not change the Values it was "
                                 f"computed from; pass those instead")
            if id(p) in positions:
                raise ValueError(f"parameter {index} is parameter {positions[id(p)]} again: it "
                                 f"would be updated twice per step")
            positions[id(p)] = index
        self._scratch: list[np.ndarray | None] = [None] * len(self.params)

    def zero_grad(self) -> None:
        """Reset every parameter's `.grad` to None."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for index, p in enumerate(self.params):
            if p.grad is None:
                continue
            data = p.data
            if isinstance(data, np.ndarray):
                self.update(index, data, np.asarray(p.grad))
                p.data = data  # in place, but assigned: a graph built before refuses backward
            else:  # a scalar Value holds a Python float: update a 0-d copy and store it back
                data = np.array(p.data, dtype=np.float64)
                self.update(index, data, np.array(p.grad, dtype=np.float64))
                p.data = float(data)

    def update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        """Update `param` (the data of parameter number `index`) in place."""
        raise NotImplementedError

    def scratch(self, index: int, like: np.ndarray) -> np.ndarray:
        """A work array shaped like parameter `index`, reused from step to step."""
        buffer = self._scratch[index]
        if buffer is None or buffer.shape != like.shape or buffer.dtype != like.dtype:
            buffer = self._scratch[index] = np.empty_like(like)
        return buffer


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value}")


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule (no dampening). For each parameter p:

        d = grad + weight_decay * p
        buf = d (first step),  buf = momentum * buf + d (later steps)     [if momentum]
        d = d + momentum * buf (nesterov)  or  d = buf                    [if momentum]
        p = p - lr * d
    """

    def __init__(self, params: Iterable[ag.Value], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params)
        _check_non_negative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.nesterov = bool(nesterov)
        self._momentum_buffers: list[np.ndarray | None] = [None] * len(self.params)

    def update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        s = self.scratch(index, param)
        d = grad
        if self.weight_decay:
            np.multiply(param, self.weight_decay, out=s)
            s += grad
            d = s
        if self.momentum:
            buf = self._momentum_buffers[index]
            if buf is None:  # p's dtype and memory layout, whatever the gradient's
                buf = self._momentum_buffers[index] = np.empty_like(param)
                np.copyto(buf, d)
            else:
                buf *= self.momentum
                buf += d
            if not self.nesterov:
                d = buf
            elif d is grad:
                np.multiply(buf, self.momentum, out=s)
                s += grad
                d = s
            else:
                s += self.momentum * buf  # d already lives in s
        np.multiply(d, self.lr, out=s)
        param -= s


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's rule. For each parameter p, at step t = 1, 2, ...:

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g            (running mean of the gradient)
        v = beta2 * v + (1 - beta2) * g^2          (running mean of its square)
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)    (bias correction: m, v start at 0)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, params: Iterable[ag.Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params)
        _check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay)
        beta1, beta2 = (float(b) for b in betas)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {tuple(betas)}")
        self.lr, self.betas, self.eps = float(lr), (beta1, beta2), float(eps)
        self.weight_decay = float(weight_decay)
        count = len(self.params)
        self._steps = [0] * count
        self._means: list[np.ndarray | None] = [None] * count
        self._squares: list[np.ndarray | None] = [None] * count
        self._decayed: list[np.ndarray | None] = [None] * count  # g + weight_decay * p

    def update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        beta1, beta2 = self.betas
        if self._means[index] is None:
            self._means[index] = np.zeros_like(param)
            self._squares[index] = np.zeros_like(param)
        m, v = self._means[index], self._squares[index]
        self._steps[index] += 1
        t = self._steps[index]
        s = self.scratch(index, param)
        g = grad
        if self.weight_decay:
            if self._decayed[index] is None:
                self._decayed[index] = np.empty_like(param)
            g = np.multiply(param, self.weight_decay, out=self._decayed[index])
            g += grad
        np.subtract(g, m, out=s)  # m += (1 - beta1) (g - m), PyTorch's (lerp) form of m's update
        s *= 1 - beta1
        m += s
        v *= beta2
        np.multiply(g, 1 - beta2, out=s)
        s *= g
        v += s
        np.sqrt(v, out=s)  # s = sqrt(v_hat) + eps = sqrt(v) / sqrt(1 - beta2^t) + eps
        s /= math.sqrt(1 - beta2 ** t)
        s += self.eps
        np.divide(m, s, out=s)
        s *= self.lr / (1 - beta1 ** t)  # s = lr * m_hat / (sqrt(v_hat) + eps)
        param -= s
