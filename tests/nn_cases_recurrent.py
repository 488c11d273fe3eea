"""nn-table cases: the recurrent layers RNN, LSTM and GRU (see nn_table.py).

An initial state is an extra input: (1, N, H) for h0. An LSTM takes its initial states as
one tuple (h0, c0), so its case with them wraps the layer on both sides in a module that takes
them as two inputs (its parameters are then named "lstm.weight_ih_l0", ...).
"""

import numpy as np
from nn_table import module_case

import nn

FLOAT32 = {"dtype": np.float32, "rtol": 1e-5, "atol": 1e-5}


def output_and_h_n(result):
    output, h_n = result
    return output, h_n


def output_h_n_and_c_n(result):
    output, (h_n, c_n) = result
    return output, h_n, c_n


class OurLSTMFromStates(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.lstm = nn.LSTM(*args, **kwargs)

    def forward(self, x, h0, c0):
        return self.lstm(x, (h0, c0))


def torch_lstm_from_states(torch, *args, **kwargs):
    class TorchLSTMFromStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(*args, **kwargs)

        def forward(self, x, h0, c0):
            return self.lstm(x, (h0, c0))

    return TorchLSTMFromStates()


# -- RNN -----------------------------------------------------------------------------------------
module_case("RNN tanh", make=lambda: nn.RNN(3, 4),
            make_torch=lambda torch: torch.nn.RNN(3, 4), inputs=[(5, 2, 3)],
            output=output_and_h_n)
module_case("RNN relu, batch_first, h0",
            make=lambda: nn.RNN(3, 4, nonlinearity="relu", batch_first=True),
            make_torch=lambda torch: torch.nn.RNN(3, 4, nonlinearity="relu", batch_first=True),
            inputs=[(2, 5, 3), (1, 2, 4)], output=output_and_h_n)
module_case("RNN bias=False, unbatched", make=lambda: nn.RNN(3, 4, bias=False),
            make_torch=lambda torch: torch.nn.RNN(3, 4, bias=False), inputs=[(5, 3)],
            output=output_and_h_n)
module_case("RNN float32, h0", make=lambda: nn.RNN(3, 4, dtype=np.float32),
            make_torch=lambda torch: torch.nn.RNN(3, 4), inputs=[(5, 2, 3), (1, 2, 4)],
            output=output_and_h_n, **FLOAT32)

# -- LSTM ----------------------------------------------------------------------------------------
module_case("LSTM", make=lambda: nn.LSTM(3, 4),
            make_torch=lambda torch: torch.nn.LSTM(3, 4), inputs=[(5, 2, 3)],
            output=output_h_n_and_c_n)
module_case("LSTM batch_first, (h0, c0)",
            make=lambda: OurLSTMFromStates(3, 4, batch_first=True),
            make_torch=lambda torch: torch_lstm_from_states(torch, 3, 4, batch_first=True),
            inputs=[(2, 5, 3), (1, 2, 4), (1, 2, 4)], output=output_h_n_and_c_n)
module_case("LSTM bias=False, unbatched", make=lambda: nn.LSTM(3, 4, bias=False),
            make_torch=lambda torch: torch.nn.LSTM(3, 4, bias=False), inputs=[(5, 3)],
            output=output_h_n_and_c_n)
module_case("LSTM float32, batch_first", make=lambda: nn.LSTM(3, 4, batch_first=True,
                                                             dtype=np.float32),
            make_torch=lambda torch: torch.nn.LSTM(3, 4, batch_first=True), inputs=[(2, 5, 3)],
            output=output_h_n_and_c_n, **FLOAT32)

# -- GRU -----------------------------------------------------------------------------------------
module_case("GRU", make=lambda: nn.GRU(3, 4), make_torch=lambda torch: torch.nn.GRU(3, 4),
            inputs=[(5, 2, 3)], output=output_and_h_n)
module_case("GRU batch_first, h0", make=lambda: nn.GRU(3, 4, batch_first=True),
            make_torch=lambda torch: torch.nn.GRU(3, 4, batch_first=True),
            inputs=[(2, 5, 3), (1, 2, 4)], output=output_and_h_n)
module_case("GRU bias=False, h0", make=lambda: nn.GRU(3, 4, bias=False),
            make_torch=lambda torch: torch.nn.GRU(3, 4, bias=False),
            inputs=[(5, 2, 3), (1, 2, 4)], output=output_and_h_n)
module_case("GRU unbatched, h0", make=lambda: nn.GRU(3, 4, batch_first=True),
            make_torch=lambda torch: torch.nn.GRU(3, 4, batch_first=True),
            inputs=[(5, 3), (1, 4)], output=output_and_h_n)
module_case("GRU float32, batch_first (the benchmark's layout)",
            make=lambda: nn.GRU(16, 8, batch_first=True, dtype=np.float32),
            make_torch=lambda torch: torch.nn.GRU(16, 8, batch_first=True),
            inputs=[(4, 6, 16)], output=output_and_h_n, **FLOAT32)
