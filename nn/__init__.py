"""scratchgrad's neural-network package, built only on `autograd`'s public API.

    import nn
    nn.manual_seed(0)
    model = nn.Sequential(nn.MLP([3, 16, 16]), nn.ReLU(), nn.RegressionHead(16, low=0, high=10))
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    loss = nn.MSELoss()(model(x), y)          # x: (N, 3), y: (N,)
    optimizer.zero_grad(); loss.backward(); optimizer.step()

Modules: `module` (Module, Parameter), `layers` (Linear, activations, Sequential, MLP),
`heads` (RegressionHead, ClassificationHead), `losses`, `optim`, `serialization` (save/load),
`init` (weight scales, manual_seed).
"""

from nn import optim
from nn.heads import ClassificationHead, RegressionHead
from nn.init import manual_seed
from nn.layers import MLP, Linear, ReLU, Sequential, Sigmoid, Tanh
from nn.losses import CrossEntropyLoss, MSELoss
from nn.module import Module, Parameter
from nn.serialization import load, save

__all__ = [
    "MLP",
    "ClassificationHead",
    "CrossEntropyLoss",
    "Linear",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "RegressionHead",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "load",
    "manual_seed",
    "optim",
    "save",
]
