"""scratchgrad's neural-network package, built only on `autograd`'s public API.

    import nn
    nn.manual_seed(0)
    model = nn.Sequential(nn.MLP([3, 16, 16]), nn.ReLU(), nn.RegressionHead(16, low=0, high=10))
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    loss = nn.MSELoss()(model(x), y)          # x: (N, 3), y: (N,)
    optimizer.zero_grad(); loss.backward(); optimizer.step()

Modules: `module` (Module, Parameter), `layers` (Linear, Conv2d, pools, Flatten, Embedding,
Dropout, Identity, activations, MLP), `containers` (Sequential, ModuleList, ModuleDict),
`normalization` (BatchNorm1d, BatchNorm2d, LayerNorm), `heads` (RegressionHead,
ClassificationHead), `losses`, `optim`, `serialization` (save/load),
`init` (weight scales, manual_seed), `data` (TensorDataset, DataLoader), `summary`.
"""

from nn import data, optim, utils
from nn.containers import ModuleDict, ModuleList
from nn.heads import ClassificationHead, RegressionHead
from nn.init import manual_seed
from nn.layers import (
    ELU,
    GELU,
    MLP,
    AvgPool2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from nn.module import Module, Parameter
from nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from nn.recurrent import GRU, LSTM, RNN
from nn.serialization import load, save
from nn.summary import summary

__all__ = [
    "ELU",
    "GELU",
    "GRU",
    "LSTM",
    "MLP",
    "RNN",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "ClassificationHead",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "RegressionHead",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "data",
    "load",
    "manual_seed",
    "optim",
    "save",
    "summary",
    "utils",
]
