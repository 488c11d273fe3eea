"""nn-table cases: layers (see nn_table.py).

Convolution and pooling, Flatten, Embedding, Dropout, Identity, the activation modules, the
normalisations, and models built from the containers. The container models are small Module
subclasses here; their torch twins (built inside make_torch, since torch may be missing) use the
same attribute names, so the state_dict keys agree.
"""

import warnings
from collections import OrderedDict

import numpy as np
from nn_table import module_case

import nn


def labels(high: int, shape: tuple[int, ...]):
    return lambda rng: rng.integers(0, high, shape)


def quiet_same_conv(torch, *args, **kwargs):
    """torch.nn.Conv2d(*args, padding="same", **kwargs), without the UserWarning that torch
    gives (once) for uneven padding: that it pads a copy of the input, as ours does too."""

    class Conv2d(torch.nn.Conv2d):
        def forward(self, x):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Using padding='same'", UserWarning)
                return super().forward(x)

    return Conv2d(*args, padding="same", **kwargs)


# -- convolution and pooling -------------------------------------------------------------------
module_case("Conv2d", make=lambda: nn.Conv2d(2, 3, 3),
            make_torch=lambda torch: torch.nn.Conv2d(2, 3, 3), inputs=[(2, 2, 6, 7)])
module_case("Conv2d stride 2, padding 1", make=lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1),
            make_torch=lambda torch: torch.nn.Conv2d(2, 3, 3, stride=2, padding=1),
            inputs=[(2, 2, 7, 7)])
module_case("Conv2d pairs: kernel (2, 3), stride (2, 1), padding (1, 2), dilation 2",
            make=lambda: nn.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=(1, 2), dilation=2),
            make_torch=lambda torch: torch.nn.Conv2d(2, 3, (2, 3), stride=(2, 1),
                                                     padding=(1, 2), dilation=2),
            inputs=[(2, 2, 8, 6)])
module_case("Conv2d groups 2", make=lambda: nn.Conv2d(4, 6, 3, groups=2),
            make_torch=lambda torch: torch.nn.Conv2d(4, 6, 3, groups=2), inputs=[(2, 4, 5, 5)])
module_case("Conv2d depthwise (groups = in_channels)",
            make=lambda: nn.Conv2d(3, 6, 3, padding=1, groups=3),
            make_torch=lambda torch: torch.nn.Conv2d(3, 6, 3, padding=1, groups=3),
            inputs=[(2, 3, 5, 5)])
module_case("Conv2d no bias, float32", make=lambda: nn.Conv2d(2, 4, 3, bias=False,
                                                              dtype=np.float32),
            make_torch=lambda torch: torch.nn.Conv2d(2, 4, 3, bias=False),
            inputs=[(3, 2, 6, 6)], dtype=np.float32, rtol=1e-5, atol=1e-5)
module_case("Conv2d padding same, kernel 3", make=lambda: nn.Conv2d(2, 3, 3, padding="same"),
            make_torch=lambda torch: torch.nn.Conv2d(2, 3, 3, padding="same"),
            inputs=[(2, 2, 5, 6)])
module_case("Conv2d padding same, kernel (2, 4): uneven sides",
            make=lambda: nn.Conv2d(2, 3, (2, 4), padding="same"),
            make_torch=lambda torch: quiet_same_conv(torch, 2, 3, (2, 4)),
            inputs=[(2, 2, 5, 6)])
module_case("Conv2d padding same, kernel 2, dilation (1, 3), groups 2",
            make=lambda: nn.Conv2d(2, 4, 2, padding="same", dilation=(1, 3), groups=2),
            make_torch=lambda torch: quiet_same_conv(torch, 2, 4, 2, dilation=(1, 3), groups=2),
            inputs=[(2, 2, 5, 7)])
module_case("Conv2d padding valid, stride 2", make=lambda: nn.Conv2d(2, 3, 3, 2, "valid"),
            make_torch=lambda torch: torch.nn.Conv2d(2, 3, 3, 2, "valid"), inputs=[(2, 2, 7, 6)])
module_case("MaxPool2d", make=lambda: nn.MaxPool2d(2),
            make_torch=lambda torch: torch.nn.MaxPool2d(2), inputs=[(2, 3, 6, 7)])
module_case("MaxPool2d 3, stride 2, padding 1", make=lambda: nn.MaxPool2d(3, stride=2, padding=1),
            make_torch=lambda torch: torch.nn.MaxPool2d(3, stride=2, padding=1),
            inputs=[(2, 3, 7, 7)])
module_case("AvgPool2d", make=lambda: nn.AvgPool2d(2),
            make_torch=lambda torch: torch.nn.AvgPool2d(2), inputs=[(2, 3, 6, 7)])
module_case("AvgPool2d (2, 3), stride (1, 2), padding 1",
            make=lambda: nn.AvgPool2d((2, 3), stride=(1, 2), padding=1),
            make_torch=lambda torch: torch.nn.AvgPool2d((2, 3), stride=(1, 2), padding=1),
            inputs=[(2, 3, 5, 6)])

# -- reshaping, lookup, dropout, identity ------------------------------------------------------
module_case("Flatten", make=nn.Flatten, make_torch=lambda torch: torch.nn.Flatten(),
            inputs=[(2, 3, 4, 5)])
module_case("Flatten(0, 2)", make=lambda: nn.Flatten(0, 2),
            make_torch=lambda torch: torch.nn.Flatten(0, 2), inputs=[(2, 3, 4, 5)])
module_case("Flatten(-3, -2)", make=lambda: nn.Flatten(-3, -2),
            make_torch=lambda torch: torch.nn.Flatten(-3, -2), inputs=[(2, 3, 4, 5)])
module_case("Embedding", make=lambda: nn.Embedding(10, 3),
            make_torch=lambda torch: torch.nn.Embedding(10, 3), inputs=[labels(10, (4, 3))])
module_case("Embedding float32, repeated indices", make=lambda: nn.Embedding(4, 5,
                                                                              dtype=np.float32),
            make_torch=lambda torch: torch.nn.Embedding(4, 5), inputs=[labels(4, (20,))],
            dtype=np.float32, rtol=1e-6, atol=1e-6)
module_case("Embedding padding_idx -2", make=lambda: nn.Embedding(6, 3, padding_idx=-2),
            make_torch=lambda torch: torch.nn.Embedding(6, 3, padding_idx=-2),
            inputs=[labels(6, (5, 4))])
module_case("Dropout", make=nn.Dropout, make_torch=lambda torch: torch.nn.Dropout(),
            inputs=[(4, 5)], stochastic=True)
module_case("Identity", make=nn.Identity, make_torch=lambda torch: torch.nn.Identity(),
            inputs=[(3, 4)])

# -- activation modules ------------------------------------------------------------------------
for _name, _args in [("LeakyReLU", ()), ("LeakyReLU", (0.2,)), ("GELU", ()), ("GELU", ("tanh",)),
                     ("Softplus", ()), ("Softplus", (2.0, 1.0)), ("SiLU", ()), ("ELU", ()),
                     ("ELU", (0.5,)), ("Softmax", (1,)), ("Softmax", (0,)),
                     ("LogSoftmax", (-1,))]:
    module_case(f"{_name}{_args}", make=lambda n=_name, a=_args: getattr(nn, n)(*a),
                make_torch=lambda torch, n=_name, a=_args: getattr(torch.nn, n)(*a),
                inputs=[(4, 5)])

# -- normalisation -----------------------------------------------------------------------------
module_case("BatchNorm1d on (N, C)", make=lambda: nn.BatchNorm1d(4),
            make_torch=lambda torch: torch.nn.BatchNorm1d(4), inputs=[(8, 4)])
module_case("BatchNorm1d on (N, C, L)", make=lambda: nn.BatchNorm1d(3),
            make_torch=lambda torch: torch.nn.BatchNorm1d(3), inputs=[(4, 3, 5)])
module_case("BatchNorm1d momentum None (cumulative average)",
            make=lambda: nn.BatchNorm1d(3, momentum=None),
            make_torch=lambda torch: torch.nn.BatchNorm1d(3, momentum=None), inputs=[(6, 3)])
module_case("BatchNorm1d no running stats",
            make=lambda: nn.BatchNorm1d(3, track_running_stats=False),
            make_torch=lambda torch: torch.nn.BatchNorm1d(3, track_running_stats=False),
            inputs=[(6, 3)])
module_case("BatchNorm2d", make=lambda: nn.BatchNorm2d(3),
            make_torch=lambda torch: torch.nn.BatchNorm2d(3), inputs=[(2, 3, 4, 5)])
module_case("BatchNorm2d momentum 0.3, eps 1e-3",
            make=lambda: nn.BatchNorm2d(3, momentum=0.3, eps=1e-3),
            make_torch=lambda torch: torch.nn.BatchNorm2d(3, momentum=0.3, eps=1e-3),
            inputs=[(2, 3, 4, 5)])
module_case("BatchNorm2d affine=False", make=lambda: nn.BatchNorm2d(3, affine=False),
            make_torch=lambda torch: torch.nn.BatchNorm2d(3, affine=False),
            inputs=[(2, 3, 4, 5)])
module_case("BatchNorm2d float32", make=lambda: nn.BatchNorm2d(3, dtype=np.float32),
            make_torch=lambda torch: torch.nn.BatchNorm2d(3), inputs=[(4, 3, 4, 5)],
            dtype=np.float32, rtol=1e-4, atol=1e-5)
module_case("LayerNorm over the last axis", make=lambda: nn.LayerNorm(5),
            make_torch=lambda torch: torch.nn.LayerNorm(5), inputs=[(3, 5)])
module_case("LayerNorm over the last two axes", make=lambda: nn.LayerNorm((4, 5)),
            make_torch=lambda torch: torch.nn.LayerNorm((4, 5)), inputs=[(2, 3, 4, 5)])
module_case("LayerNorm no affine", make=lambda: nn.LayerNorm(5, elementwise_affine=False),
            make_torch=lambda torch: torch.nn.LayerNorm(5, elementwise_affine=False),
            inputs=[(3, 5)])
module_case("LayerNorm no bias, eps 1e-2", make=lambda: nn.LayerNorm(5, eps=1e-2, bias=False),
            make_torch=lambda torch: torch.nn.LayerNorm(5, eps=1e-2, bias=False),
            inputs=[(2, 3, 5)])


# -- containers --------------------------------------------------------------------------------
class Blocks(nn.Module):
    """A ModuleList of blocks (a Linear and a LayerNorm each) and a ModuleDict of two heads."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(3, 4)])
        self.blocks.extend([nn.LayerNorm(4), nn.Linear(4, 4)])
        self.blocks.insert(1, nn.Tanh())
        self.heads = nn.ModuleDict({"value": nn.Linear(4, 1)})
        self.heads["policy"] = nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(-1))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.heads["value"](x), self.heads["policy"](x)


def torch_blocks(torch):
    class TorchBlocks(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                               torch.nn.LayerNorm(4), torch.nn.Linear(4, 4)])
            self.heads = torch.nn.ModuleDict({
                "value": torch.nn.Linear(4, 1),
                "policy": torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LogSoftmax(-1))})

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.heads["value"](x), self.heads["policy"](x)

    return TorchBlocks()


module_case("ModuleList and ModuleDict model", make=Blocks, make_torch=torch_blocks,
            inputs=[(5, 3)])


def cnn(conv=nn.Conv2d, norm=nn.BatchNorm2d, relu=nn.ReLU, pool=nn.MaxPool2d,
        flatten=nn.Flatten, linear=nn.Linear, sequential=nn.Sequential):
    return sequential(conv(1, 4, 3, padding=1), norm(4), relu(), pool(2), flatten(),
                      linear(4 * 4 * 4, 3))


module_case("CNN: Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear", make=cnn,
            make_torch=lambda torch: cnn(*(getattr(torch.nn, n) for n in (
                "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "Sequential"))),
            inputs=[(3, 1, 8, 8)])
module_case("Char-level MLP: Embedding, Flatten, Linear, BatchNorm1d, Tanh, Linear",
            make=lambda: nn.Sequential(nn.Embedding(27, 5), nn.Flatten(), nn.Linear(15, 8),
                                       nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 27)),
            make_torch=lambda torch: torch.nn.Sequential(
                torch.nn.Embedding(27, 5), torch.nn.Flatten(), torch.nn.Linear(15, 8),
                torch.nn.BatchNorm1d(8), torch.nn.Tanh(), torch.nn.Linear(8, 27)),
            inputs=[labels(27, (6, 3))])
module_case("Sequential of named layers (a dict)",
            make=lambda: nn.Sequential({"conv": nn.Conv2d(2, 2, 3), "act": nn.GELU(),
                                        "drop": nn.Dropout(0.0), "out": nn.Flatten()}),
            make_torch=lambda torch: torch.nn.Sequential(OrderedDict(
                conv=torch.nn.Conv2d(2, 2, 3), act=torch.nn.GELU(), drop=torch.nn.Dropout(0.0),
                out=torch.nn.Flatten())),
            inputs=[(2, 2, 5, 5)])
