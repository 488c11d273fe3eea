"""nn-table cases: optim (see nn_table.py). Optimizers and schedulers beside their torch twins."""

from nn_table import optimizer_case, scheduler_case

import nn

# (id, our class, torch's class name, keyword arguments: the same for both)
OPTIMIZERS = [
    ("SGD", nn.optim.SGD, "SGD", {"lr": 0.1}),
    ("SGD momentum", nn.optim.SGD, "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD nesterov", nn.optim.SGD, "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD nesterov weight decay", nn.optim.SGD, "SGD",
     {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True}),
    ("SGD weight decay", nn.optim.SGD, "SGD", {"lr": 0.05, "weight_decay": 0.01}),
    ("SGD dampening", nn.optim.SGD, "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD dampening weight decay", nn.optim.SGD, "SGD",
     {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.1}),
    ("Adam", nn.optim.Adam, "Adam", {"lr": 0.01}),
    ("Adam betas eps", nn.optim.Adam, "Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam weight decay", nn.optim.Adam, "Adam", {"lr": 0.01, "weight_decay": 0.05}),
    ("Adam amsgrad", nn.optim.Adam, "Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", nn.optim.AdamW, "AdamW", {"lr": 0.01}),
    ("AdamW weight decay 0.1", nn.optim.AdamW, "AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW amsgrad", nn.optim.AdamW, "AdamW", {"lr": 0.01, "amsgrad": True}),
    ("RMSprop", nn.optim.RMSprop, "RMSprop", {}),
    ("RMSprop alpha eps", nn.optim.RMSprop, "RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}),
    ("RMSprop momentum", nn.optim.RMSprop, "RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop centered", nn.optim.RMSprop, "RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop weight decay", nn.optim.RMSprop, "RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop centered momentum weight decay", nn.optim.RMSprop, "RMSprop",
     {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
]

for _id, _ours, _theirs, _kwargs in OPTIMIZERS:
    for _groups in (False, True):
        optimizer_case(f"{_id}, groups" if _groups else _id,
                       make=lambda params, cls=_ours, kw=_kwargs: cls(params, **kw),
                       make_torch=lambda torch, params, name=_theirs, kw=_kwargs: getattr(
                           torch.optim, name)(params, **kw),
                       groups=_groups)

# (id, factory taking the lr_scheduler module and the optimizer: ours and torch's alike)
SCHEDULERS = [
    ("StepLR", lambda s, opt: s.StepLR(opt, 3, gamma=0.5)),
    ("StepLR default gamma", lambda s, opt: s.StepLR(opt, step_size=7)),
    ("ExponentialLR", lambda s, opt: s.ExponentialLR(opt, 0.9)),
    ("CosineAnnealingLR past T_max", lambda s, opt: s.CosineAnnealingLR(opt, T_max=7)),
    ("CosineAnnealingLR eta_min", lambda s, opt: s.CosineAnnealingLR(opt, 10, eta_min=0.01)),
    ("LambdaLR", lambda s, opt: s.LambdaLR(opt, lambda epoch: 0.95 ** epoch)),
    ("LambdaLR one function per group", lambda s, opt: s.LambdaLR(
        opt, [lambda epoch: 1 / (1 + epoch), lambda epoch: min(1.0, (epoch + 1) / 5)])),
]

for _id, _make in SCHEDULERS:
    scheduler_case(_id, make=lambda opt, f=_make: f(nn.optim.lr_scheduler, opt),
                   make_torch=lambda torch, opt, f=_make: f(torch.optim.lr_scheduler, opt))
