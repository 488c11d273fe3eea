"""Recurrent layers: `RNN`, `LSTM` and `GRU`, one layer each, as torch.nn's.

Each is one op over the whole sequence (`ag.rnn`, `ag.lstm`, `ag.gru`: one graph node per
call, with a fused backward through time), which applies the cell of every step
(`ag.rnn_cell`, `ag.lstm_cell`, `ag.gru_cell`) and returns the hidden state of each:

    output, h_n = nn.GRU(16, 64, batch_first=True)(x)      # x: (N, L, 16)
    output.shape, h_n.shape                                # (N, L, 64), (1, N, 64)

Shapes, as torch's: the input is (L, N, H_in), or (N, L, H_in) with batch_first=True, or
unbatched (L, H_in); the output holds h_t for every step t, (L, N, H) (or (N, L, H), or
(L, H)); h_n (and an LSTM's c_n) is (num_layers, N, H) = (1, N, H), or (1, H) unbatched,
never batch-first. An initial state has the shape of h_n; without one, the layer
starts from zeros. The parameters are torch's, by name and shape: `weight_ih_l0`
(gates * H, H_in), `weight_hh_l0` (gates * H, H), `bias_ih_l0` and `bias_hh_l0` (gates * H,),
the gates stacked in torch's order (RNN: 1; LSTM: i, f, g, o; GRU: r, z, n), so state dicts
move between the two.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

import autograd as ag
from nn.init import generator
from nn.layers import floating_dtype, positive_int
from nn.module import Module, Parameter


def as_input(x: Any, dtype: np.dtype) -> Any:
    """A Value as it is; anything else as a constant array of the layer's dtype."""
    if isinstance(x, ag.Value):
        return x
    if not (isinstance(x, np.ndarray) and x.dtype.kind in "biuf"):
        x = ag.Value(x, requires_grad=False).data  # refuses lists of Values: ag.stack them
    return np.asarray(x, dtype=dtype)


class RNNBase(Module):
    """What the three layers share: the parameters, the argument checks, and the shapes around
    their sequence op (an unbatched input gets a batch of one; h_n is the last step's state).

    Initialisation, as torch's: every weight and bias is drawn from U(-1/sqrt(H), 1/sqrt(H)),
    H = hidden_size (nn's generator, reseeded by `nn.manual_seed`). This differs from
    `nn.Linear`'s He/Xavier normal weights and zero biases.
    """

    gates: ClassVar[int] = 1  # blocks of H rows in each weight

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dtype: Any = np.float64) -> None:
        super().__init__()
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        if num_layers != 1:
            raise ValueError(f"{type(self).__name__}: only num_layers=1 is supported, got "
                             f"{num_layers!r}; stack layers yourself, feeding one layer's "
                             "output to the next")
        self.num_layers = 1
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        dtype = floating_dtype(dtype)
        rows, bound = self.gates * self.hidden_size, 1 / math.sqrt(self.hidden_size)
        shapes = {"weight_ih_l0": (rows, self.input_size),
                  "weight_hh_l0": (rows, self.hidden_size)}
        if self.bias:
            shapes.update(bias_ih_l0=(rows,), bias_hh_l0=(rows,))
        for name, shape in shapes.items():  # torch's order
            setattr(self, name, Parameter(generator().uniform(-bound, bound, shape).astype(dtype)))
        if not self.bias:
            self.bias_ih_l0 = self.bias_hh_l0 = None

    @property
    def dtype(self) -> np.dtype:
        return self.weight_ih_l0.dtype

    def describe(self) -> str:
        return f"{type(self).__name__}({self.input_size}→{self.hidden_size})"

    def weights(self) -> tuple[Any, ...]:
        """The cell's parameters, in the cell functions' order."""
        return self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0

    def sequence(self, x: Any) -> tuple[Any, bool]:
        """The input as a batched sequence, (L, N, H_in) or (N, L, H_in) (an unbatched
        (L, H_in) gets a batch axis of 1), and whether it was batched; a ValueError naming a
        shape that does not fit."""
        x = as_input(x, self.dtype)
        shape = np.shape(x)
        if len(shape) not in (2, 3) or shape[-1] != self.input_size:
            layout = "(N, L, H_in)" if self.batch_first else "(L, N, H_in)"
            raise ValueError(f"{type(self).__name__}: input has shape {shape}; expected "
                             f"{layout} with H_in = input_size = {self.input_size} "
                             f"(batch_first={self.batch_first}), or (L, {self.input_size}) "
                             f"unbatched")
        if len(shape) == 3:
            return x, True
        return x.reshape((1, *shape) if self.batch_first else (shape[0], 1, shape[1])), False

    def initial_state(self, state: Any, what: str, x: Any, batched: bool) -> Any:
        """One initial state for the sequence op, (N, H), from a given (1, N, H) ((1, H) for
        an unbatched input); zeros without one."""
        batch = np.shape(x)[0 if self.batch_first else 1]
        if state is None:
            return np.zeros((batch, self.hidden_size), self.dtype)
        state = as_input(state, self.dtype)
        expected = (1, batch, self.hidden_size) if batched else (1, self.hidden_size)
        if np.shape(state) != expected:
            layout = "num_layers, N, hidden_size" if batched else "num_layers, hidden_size"
            unbatched = "" if batched else " for an unbatched input"
            raise ValueError(f"{type(self).__name__}: {what} has shape {np.shape(state)}, "
                             f"expected {expected} ({layout}){unbatched}")
        return state.reshape(batch, self.hidden_size)

    def results(self, states: Any, batched: bool) -> tuple[Any, Any]:
        """The output and the last state, (1, N, H), from the sequence op's states of every
        step, (L, N, H) or (N, L, H); for an unbatched input (L, H) and (1, H)."""
        last = states[None, :, -1] if self.batch_first else states[-1:]
        if batched:
            return states, last
        length = np.shape(states)[1 if self.batch_first else 0]
        return states.reshape(length, self.hidden_size), last.reshape(1, self.hidden_size)


class RNN(RNNBase):
    """An Elman RNN, as torch.nn.RNN: h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh), act =
    tanh or relu (`nonlinearity`). `forward(x, h0=None)` returns (output, h_n); see the
    module docstring for the shapes and RNNBase for the initialisation.

    The third positional argument is `nonlinearity`, as scratchgrad's API has always had it
    (torch's is num_layers, which is 1 here anyway: pass it by keyword)."""

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, *, num_layers: int = 1,
                 dtype: Any = np.float64) -> None:
        if nonlinearity not in ("tanh", "relu"):
            hint = (" (the third argument is nonlinearity; pass num_layers by keyword)"
                    if not isinstance(nonlinearity, str) else "")
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}{hint}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dtype)
        self.nonlinearity = nonlinearity

    def describe(self) -> str:
        return super().describe()[:-1] + f", {self.nonlinearity})"

    def forward(self, x: Any, h0: Any = None) -> tuple[ag.Value, ag.Value]:
        x, batched = self.sequence(x)
        h0 = self.initial_state(h0, "h0", x, batched)
        states = ag.rnn(x, h0, *self.weights(), nonlinearity=self.nonlinearity,
                        batch_first=self.batch_first)
        return self.results(states, batched)


class LSTM(RNNBase):
    """A long short-term memory layer, as torch.nn.LSTM (gates i, f, g, o): c_t = f c_(t-1)
    + i g, h_t = o tanh(c_t). `forward(x, hx=None)`, hx = (h0, c0) or [h0, c0], returns
    (output, (h_n, c_n)); see the module docstring for the shapes and RNNBase for the
    initialisation."""

    gates = 4

    def forward(self, x: Any, hx: tuple[Any, Any] | list[Any] | None = None
                ) -> tuple[ag.Value, tuple[ag.Value, ag.Value]]:
        x, batched = self.sequence(x)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)):  # torch takes either: it only indexes hx
            raise TypeError(f"LSTM: hx must be a tuple (h0, c0) or a list [h0, c0], got "
                            f"{type(hx).__name__}")
        elif len(hx) != 2:
            raise ValueError(f"LSTM: hx must hold two states (h0, c0), got {len(hx)}")
        h0, c0 = (self.initial_state(s, name, x, batched)
                  for s, name in zip(hx, ("h0", "c0"), strict=True))
        states = ag.lstm(x, h0, c0, *self.weights(), batch_first=self.batch_first)
        output, h_n = self.results(states[0], batched)
        return output, (h_n, self.results(states[1], batched)[1])


class GRU(RNNBase):
    """A gated recurrent unit layer, as torch.nn.GRU (gates r, z, n): h_t = (1 - z) n + z
    h_(t-1), n = tanh(W_in x_t + b_in + r (W_hn h_(t-1) + b_hn)). `forward(x, h0=None)`
    returns (output, h_n); see the module docstring for the shapes and RNNBase for the
    initialisation."""

    gates = 3

    def forward(self, x: Any, h0: Any = None) -> tuple[ag.Value, ag.Value]:
        x, batched = self.sequence(x)
        h0 = self.initial_state(h0, "h0", x, batched)
        states = ag.gru(x, h0, *self.weights(), batch_first=self.batch_first)
        return self.results(states, batched)
