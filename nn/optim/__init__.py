"""Optimizers with PyTorch's update rules, parameter groups and state_dict layout, and the
learning-rate schedulers in `nn.optim.lr_scheduler`.

Given the same gradients they produce the same parameters as their `torch.optim` twins, step
for step: `SGD` (momentum, dampening, Nesterov, weight decay), `Adam` and `AdamW` (optionally
AMSGrad), `RMSprop` (momentum, centered). `Optimizer` is their base class (see
`nn.optim.optimizer` for groups, state and in-place updates).
"""

from nn.optim import lr_scheduler
from nn.optim.adam import Adam, AdamW
from nn.optim.optimizer import Optimizer
from nn.optim.rmsprop import RMSprop
from nn.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
