"""Op-table cases for the recurrent cells and sequences (see op_table.py).

The numpy formulas are torch's documented cell equations (a sequence: the cell in a loop).
The torch column runs torch's own functions: the cells torch.rnn_tanh_cell, rnn_relu_cell,
lstm_cell and gru_cell (which take a batch: an unbatched case adds one and takes it away
again), and the layers torch.rnn_tanh, rnn_relu and gru; for the lstm op, whose result holds
c at every step (torch.lstm returns only the last), torch.lstm_cell in a loop.
"""

from collections.abc import Callable

import numpy as np
from op_table import case, torch

import autograd as ag

BATCH, INPUT, HIDDEN, STEPS = 2, 3, 4, 3


# -- numpy references --------------------------------------------------------------------------
def np_sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def np_projections(x, h, w_ih, w_hh, b_ih, b_hh):
    gx, gh = x @ w_ih.T, h @ w_hh.T
    return gx + (0 if b_ih is None else b_ih), gh + (0 if b_hh is None else b_hh)


def np_rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    a = sum(np_projections(x, h, w_ih, w_hh, b_ih, b_hh))
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)


def np_lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    i, f, g, o = np.split(sum(np_projections(x, h, w_ih, w_hh, b_ih, b_hh)), 4, axis=-1)
    c_new = np_sigmoid(f) * c + np_sigmoid(i) * np.tanh(g)
    return np.stack([np_sigmoid(o) * np.tanh(c_new), c_new])


def np_gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    gx, gh = np_projections(x, h, w_ih, w_hh, b_ih, b_hh)
    (x_r, x_z, x_n), (h_r, h_z, h_n) = np.split(gx, 3, axis=-1), np.split(gh, 3, axis=-1)
    r, z = np_sigmoid(x_r + h_r), np_sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def np_sequence(cell: Callable, states: int, batch_first: bool) -> Callable:
    """The cell along x from the initial states: every step's states, as our sequence ops
    lay them out ((2, L, N, H) for an LSTM's h and c)."""

    def run(x, *rest):
        state, params = rest[:states], rest[states:]
        steps = []
        for x_t in np.swapaxes(x, 0, 1) if batch_first else x:
            new = cell(x_t, *state, *params)
            state = (new,) if states == 1 else (new[0], new[1])
            steps.append(new)
        out = np.stack(steps, axis=-3)  # (L, N, H), or (2, L, N, H)
        return np.swapaxes(out, -3, -2) if batch_first else out

    return run


# -- torch references ----------------------------------------------------------------------------
def torch_cell(name: str, unbatched: bool, states: int = 1) -> Callable:
    """torch.NAME on (x, *states, w_ih, w_hh, *biases), its result as ours: an LSTM's
    (h', c') stacked."""

    def call(x, *rest):
        cell = getattr(torch, name)
        state, params = list(rest[:states]), rest[states:]
        if unbatched:
            x, state = x[None], [s[None] for s in state]
        if states == 1:
            out = cell(x, state[0], *params)
        else:
            out = torch.stack(cell(x, tuple(state), *params))
        return out[..., 0, :] if unbatched else out

    return call


def torch_layer(name: str, batch_first: bool) -> Callable:
    """torch.NAME (rnn_tanh, rnn_relu or gru: the layers' own function) on (x, h0, w_ih, w_hh,
    *biases): its output."""

    def call(x, h0, *params):
        return getattr(torch, name)(x, h0[None], list(params), len(params) == 4, 1, 0.0, True,
                                    False, batch_first)[0]

    return call


def torch_lstm_sequence(batch_first: bool) -> Callable:
    def call(x, h, c, *params):
        hs, cs = [], []
        for x_t in x.unbind(1 if batch_first else 0):
            h, c = torch.lstm_cell(x_t, (h, c), *params)
            hs.append(h)
            cs.append(c)
        axis = 1 if batch_first else 0
        return torch.stack([torch.stack(hs, axis), torch.stack(cs, axis)])

    return call


def weights(gates: int, bias_count: int) -> tuple[tuple[int, ...], ...]:
    return ((gates * HIDDEN, INPUT), (gates * HIDDEN, HIDDEN)) + ((gates * HIDDEN,),) * bias_count


# -- the cells: batched with both biases, without biases, and unbatched with both biases -------
for note, batch, bias_count in [("batched", (BATCH,), 2), ("no bias", (BATCH,), 0),
                                ("unbatched", (), 2)]:
    x_shape, h_shape = (*batch, INPUT), (*batch, HIDDEN)
    for act in ("tanh", "relu"):
        case(f"rnn_{act}_cell", lambda x, h, *p, a=act: ag.rnn_cell(x, h, *p, nonlinearity=a),
             (x_shape, h_shape, *weights(1, bias_count)),
             lambda x, h, *p, a=act: np_rnn_cell(x, h, *p, nonlinearity=a),
             torch_cell(f"rnn_{act}_cell", not batch), note=note)
    case("lstm_cell", ag.lstm_cell, (x_shape, h_shape, h_shape, *weights(4, bias_count)),
         np_lstm_cell, torch_cell("lstm_cell", not batch, states=2), note=note)
    case("gru_cell", ag.gru_cell, (x_shape, h_shape, *weights(3, bias_count)), np_gru_cell,
         torch_cell("gru_cell", not batch), note=note)

# one bias only, and constant states (zeros, as the layers start from)
case("gru_cell", lambda x, h, w_ih, w_hh, b_hh: ag.gru_cell(x, h, w_ih, w_hh, bias_hh=b_hh),
     ((BATCH, INPUT), (BATCH, HIDDEN), *weights(3, 0), (3 * HIDDEN,)),
     lambda x, h, w_ih, w_hh, b_hh: np_gru_cell(x, h, w_ih, w_hh, None, b_hh),
     lambda x, h, w_ih, w_hh, b_hh: torch.gru_cell(x, h, w_ih, w_hh, None, b_hh),
     note="bias_hh only")
case("lstm_cell",
     lambda x, w_ih, w_hh: ag.lstm_cell(x, *[np.zeros((BATCH, HIDDEN), x.dtype)] * 2, w_ih, w_hh),
     ((BATCH, INPUT), *weights(4, 0)),
     lambda x, w_ih, w_hh: np_lstm_cell(x, *[np.zeros((BATCH, HIDDEN))] * 2, w_ih, w_hh),
     lambda x, w_ih, w_hh: torch.stack(torch.lstm_cell(
         x, (torch.zeros(BATCH, HIDDEN, dtype=x.dtype),) * 2, w_ih, w_hh)),
     note="zero states, constant")


# -- the sequences: time-major with biases, batch-first, and without biases --------------------
def sequence_shape(batch_first: bool) -> tuple[int, int, int]:
    return (BATCH, STEPS, INPUT) if batch_first else (STEPS, BATCH, INPUT)


for note, batch_first, bias_count in [("time-major", False, 2), ("batch_first", True, 2),
                                      ("no bias", False, 0)]:
    x_shape = sequence_shape(batch_first)
    for act in ("tanh", "relu"):
        case(f"rnn_{act}",
             lambda x, h, *p, a=act, bf=batch_first: ag.rnn(x, h, *p, nonlinearity=a,
                                                            batch_first=bf),
             (x_shape, (BATCH, HIDDEN), *weights(1, bias_count)),
             np_sequence(lambda x, h, *p, a=act: np_rnn_cell(x, h, *p, nonlinearity=a), 1,
                         batch_first),
             torch_layer(f"rnn_{act}", batch_first), note=note)
    case("gru", lambda x, h, *p, bf=batch_first: ag.gru(x, h, *p, batch_first=bf),
         (x_shape, (BATCH, HIDDEN), *weights(3, bias_count)),
         np_sequence(np_gru_cell, 1, batch_first), torch_layer("gru", batch_first), note=note)
    case("lstm", lambda x, h, c, *p, bf=batch_first: ag.lstm(x, h, c, *p, batch_first=bf),
         (x_shape, (BATCH, HIDDEN), (BATCH, HIDDEN), *weights(4, bias_count)),
         np_sequence(np_lstm_cell, 2, batch_first), torch_lstm_sequence(batch_first), note=note)

# one step, and a constant initial state
case("gru", lambda x, *p: ag.gru(x, np.zeros((BATCH, HIDDEN), x.dtype), *p),
     ((1, BATCH, INPUT), *weights(3, 2)),
     lambda x, *p: np_sequence(np_gru_cell, 1, False)(x, np.zeros((BATCH, HIDDEN)), *p),
     lambda x, *p: torch_layer("gru", False)(x, torch.zeros(BATCH, HIDDEN, dtype=x.dtype), *p),
     note="one step, zero h0, constant")
