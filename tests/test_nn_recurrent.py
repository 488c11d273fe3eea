"""nn.RNN, nn.LSTM and nn.GRU: shapes, layouts, initial states, parameters and errors, and the
argument checks of the recurrent autograd functions. Values against torch are in the nn table
(nn_cases_recurrent.py) and the op table (op_cases_recurrent.py)."""

import re

import numpy as np
import pytest

import autograd as ag
import nn

LAYERS = [nn.RNN, nn.LSTM, nn.GRU]
GATES = {nn.RNN: 1, nn.LSTM: 4, nn.GRU: 3}
each_layer = pytest.mark.parametrize("layer", LAYERS, ids=lambda c: c.__name__)


def sequence(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def run(layer, x, state=None, **options):
    """(output, h_n, c_n or None) of a new layer(3, 4, **options) on x."""
    nn.manual_seed(0)
    module = layer(3, 4, **options)
    if layer is nn.LSTM:
        output, (h_n, c_n) = module(x, state)
        return output, h_n, c_n
    output, h_n = module(x, state)
    return output, h_n, None


# -- shapes and layouts ------------------------------------------------------------------------
@each_layer
def test_time_major_input_gives_an_output_per_step_and_the_last_state(layer):
    output, h_n, c_n = run(layer, sequence(5, 2, 3))
    assert output.shape == (5, 2, 4)
    assert h_n.shape == (1, 2, 4)
    np.testing.assert_array_equal(h_n.numpy()[0], output.numpy()[-1])
    if c_n is not None:
        assert c_n.shape == (1, 2, 4)


@each_layer
def test_batch_first_lays_out_the_output_batch_first_but_not_the_last_state(layer):
    x = sequence(5, 2, 3)
    time_major, h_n, _ = run(layer, x)
    batch_first, h_n_batch_first, _ = run(layer, x.transpose(1, 0, 2), batch_first=True)
    assert batch_first.shape == (2, 5, 4)
    assert h_n_batch_first.shape == (1, 2, 4)
    np.testing.assert_allclose(batch_first.numpy(), time_major.numpy().transpose(1, 0, 2),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h_n_batch_first.numpy(), h_n.numpy(), rtol=1e-13, atol=1e-15)


@each_layer
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_equals_a_batch_of_one(layer, batch_first):
    x = sequence(5, 3)
    output, h_n, c_n = run(layer, x, batch_first=batch_first)
    one = x[None] if batch_first else x[:, None]
    batched, h_n_batched, c_n_batched = run(layer, one, batch_first=batch_first)
    assert output.shape == (5, 4)
    assert h_n.shape == (1, 4)
    np.testing.assert_array_equal(output.numpy(), batched.numpy().reshape(5, 4))
    np.testing.assert_array_equal(h_n.numpy(), h_n_batched.numpy().reshape(1, 4))
    if c_n is not None:
        np.testing.assert_array_equal(c_n.numpy(), c_n_batched.numpy().reshape(1, 4))


@each_layer
def test_the_layer_is_one_node_of_its_sequence_op(layer):
    output, _, _ = run(layer, ag.Value(sequence(5, 2, 3)))
    op = {nn.RNN: "rnn_tanh", nn.LSTM: "getitem", nn.GRU: "gru"}[layer]
    assert output.op == op
    if layer is nn.LSTM:  # h of every step, picked from the op's [h, c]
        assert output.parents[0].op == "lstm"


def test_relu_rnn_uses_the_relu_sequence_op():
    output, _, _ = run(nn.RNN, sequence(5, 2, 3), nonlinearity="relu")
    assert output.op == "rnn_relu"
    assert output.numpy().min() >= 0


# -- initial states ----------------------------------------------------------------------------
@each_layer
def test_zero_initial_state_equals_no_initial_state(layer):
    x = sequence(5, 2, 3)
    zeros = np.zeros((1, 2, 4))
    state = (zeros, zeros) if layer is nn.LSTM else zeros
    for given, default in zip(run(layer, x, state), run(layer, x), strict=True):
        if given is not None:
            np.testing.assert_array_equal(given.numpy(), default.numpy())


def test_gru_from_h0_equals_its_cell_step_by_step():
    nn.manual_seed(0)
    gru = nn.GRU(3, 4)
    x, h0 = sequence(5, 2, 3), sequence(1, 2, 4, seed=1)
    output, h_n = gru(x, h0)
    h = h0[0]
    for t in range(5):
        h = ag.gru_cell(x[t], h, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0,
                        gru.bias_hh_l0)
        np.testing.assert_allclose(output.numpy()[t], h.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.numpy()[0], h.numpy(), rtol=1e-12, atol=1e-14)


def test_lstm_from_h0_and_c0_equals_its_cell_step_by_step():
    nn.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True)
    x = sequence(2, 5, 3)
    h0, c0 = sequence(1, 2, 4, seed=1), sequence(1, 2, 4, seed=2)
    output, (h_n, c_n) = lstm(x, (h0, c0))
    h, c = h0[0], c0[0]
    for t in range(5):
        state = ag.lstm_cell(x[:, t], h, c, lstm.weight_ih_l0, lstm.weight_hh_l0,
                             lstm.bias_ih_l0, lstm.bias_hh_l0)
        h, c = state[0], state[1]
        np.testing.assert_allclose(output.numpy()[:, t], h.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.numpy()[0], h.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_n.numpy()[0], c.numpy(), rtol=1e-12, atol=1e-14)


def test_gradients_reach_the_input_the_initial_state_and_the_weights():
    nn.manual_seed(0)
    gru = nn.GRU(3, 2, batch_first=True)
    x, h0 = ag.Value(sequence(2, 3, 3)), ag.Value(sequence(1, 2, 2, seed=1))
    weights = list(gru.parameters())

    def loss(x, h0, *_weights):
        output, h_n = gru(x, h0)
        return (output * output).sum() + h_n.sum()

    assert ag.gradcheck(loss, [x, h0, *weights]) is True


# -- parameters --------------------------------------------------------------------------------
@each_layer
def test_parameters_have_torchs_names_order_and_shapes(layer):
    rows = GATES[layer] * 4
    state = layer(3, 4).state_dict()
    assert list(state) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert [a.shape for a in state.values()] == [(rows, 3), (rows, 4), (rows,), (rows,)]


@each_layer
def test_bias_false_has_only_the_weights(layer):
    module = layer(3, 4, bias=False)
    assert list(module.state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert module.bias_ih_l0 is None and module.bias_hh_l0 is None


@each_layer
def test_initial_weights_are_uniform_within_one_over_sqrt_hidden_size(layer):
    nn.manual_seed(0)
    values = np.concatenate([p.data.ravel() for p in layer(3, 16).parameters()])
    assert np.abs(values).max() <= 0.25
    assert np.abs(values).max() > 0.24  # over 300 draws: they reach the interval's ends
    assert abs(values.mean()) < 0.02


@each_layer
def test_manual_seed_makes_the_weights_repeatable(layer):
    nn.manual_seed(3)
    first = layer(3, 4).state_dict()
    nn.manual_seed(3)
    second = layer(3, 4).state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


@each_layer
def test_float32_layer_gives_float32_outputs_for_a_float64_array(layer):
    output, h_n, _ = run(layer, sequence(5, 2, 3), dtype=np.float32)
    assert output.dtype == np.float32 and h_n.dtype == np.float32


def test_describe_names_the_sizes():
    assert nn.GRU(3, 4).describe() == "GRU(3→4)"
    assert nn.RNN(3, 4, nonlinearity="relu").describe() == "RNN(3→4, relu)"


def test_rnn_positional_arguments_follow_the_api_contract():
    """API.md: RNN(input_size, hidden_size, nonlinearity, batch_first...); torch's third
    argument, num_layers, is keyword-only here."""
    rnn = nn.RNN(3, 4, "relu", False, True)
    assert (rnn.num_layers, rnn.nonlinearity, rnn.bias, rnn.batch_first) == (1, "relu", False,
                                                                             True)
    with pytest.raises(ValueError, match="the third argument is nonlinearity; pass num_layers"):
        nn.RNN(3, 4, 1)


def test_lstm_and_gru_positional_arguments_follow_torchs_order():
    gru = nn.GRU(3, 4, 1, False, True)
    assert (gru.bias, gru.batch_first) == (False, True)


# -- errors --------------------------------------------------------------------------------------
@each_layer
def test_more_than_one_layer_is_refused(layer):
    with pytest.raises(ValueError, match="only num_layers=1 is supported, got 2"):
        layer(3, 4, num_layers=2)


def test_unknown_nonlinearity_is_refused():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")


@each_layer
def test_input_of_the_wrong_size_names_its_shape_and_the_expected_layout(layer):
    name = layer.__name__
    with pytest.raises(ValueError, match=re.escape(
            f"{name}: input has shape (5, 2, 7); expected (L, N, H_in) with H_in = "
            f"input_size = 3")):
        layer(3, 4)(np.zeros((5, 2, 7)))
    with pytest.raises(ValueError, match=re.escape("input has shape (5,); expected (N, L, H_in)")):
        layer(3, 4, batch_first=True)(np.zeros(5))


@each_layer
def test_empty_sequence_is_refused(layer):
    with pytest.raises(ValueError, match=re.escape("input of shape (0, 2, 3) has no time steps")):
        layer(3, 4)(np.zeros((0, 2, 3)))


@pytest.mark.parametrize("x_shape, h0_shape, expected", [
    ((5, 2, 3), (2, 4), "(1, 2, 4) (num_layers, N, hidden_size)"),
    ((5, 2, 3), (1, 3, 4), "(1, 2, 4) (num_layers, N, hidden_size)"),
    ((5, 3), (1, 1, 4), "(1, 4) (num_layers, hidden_size) for an unbatched input"),
])
def test_initial_state_of_the_wrong_shape_names_both_shapes(x_shape, h0_shape, expected):
    with pytest.raises(ValueError, match=re.escape(
            f"GRU: h0 has shape {h0_shape}, expected {expected}")):
        nn.GRU(3, 4)(np.zeros(x_shape), np.zeros(h0_shape))


def test_lstm_names_a_wrong_c0():
    with pytest.raises(ValueError, match=re.escape("LSTM: c0 has shape (1, 2, 5)")):
        nn.LSTM(3, 4)(np.zeros((5, 2, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 2, 5))))


def test_lstm_initial_state_must_be_a_pair():
    with pytest.raises(TypeError, match="hx must be a tuple \\(h0, c0\\) or a list \\[h0, c0\\], "
                                        "got ndarray"):
        nn.LSTM(3, 4)(np.zeros((5, 2, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="hx must hold two states \\(h0, c0\\), got 3"):
        nn.LSTM(3, 4)(np.zeros((5, 2, 3)), [np.zeros((1, 2, 4))] * 3)


def test_lstm_takes_hx_as_a_list_as_torch():
    torch = pytest.importorskip("torch")
    nn.manual_seed(0)
    lstm = nn.LSTM(3, 4)
    theirs = torch.nn.LSTM(3, 4).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in lstm.state_dict().items()})
    x, h0, c0 = sequence(5, 2, 3), sequence(1, 2, 4, seed=1), sequence(1, 2, 4, seed=2)
    output, (h_n, c_n) = lstm(x, [h0, c0])
    torch_output, (torch_h_n, torch_c_n) = theirs(
        torch.from_numpy(x), [torch.from_numpy(h0), torch.from_numpy(c0)])
    for mine, expected in ((output, torch_output), (h_n, torch_h_n), (c_n, torch_c_n)):
        np.testing.assert_allclose(mine.numpy(), expected.detach().numpy(), rtol=1e-12,
                                   atol=1e-14)


# -- the autograd functions' argument checks -----------------------------------------------------
W_IH, W_HH = np.zeros((12, 3)), np.zeros((12, 4))  # a GRU's: 3 gates of hidden size 4


def test_cell_names_an_input_that_does_not_fit_weight_ih():
    with pytest.raises(ValueError, match=re.escape(
            "gru_cell: input has shape (2, 5), expected (N, 3) or (3,) for weight_ih of shape "
            "(12, 3)")):
        ag.gru_cell(np.zeros((2, 5)), np.zeros((2, 4)), W_IH, W_HH)


def test_cell_names_a_state_that_does_not_fit_the_input():
    with pytest.raises(ValueError, match=re.escape(
            "gru_cell: h has shape (3, 4), expected (2, 4) for an input of shape (2, 3)")):
        ag.gru_cell(np.zeros((2, 3)), np.zeros((3, 4)), W_IH, W_HH)


def test_cell_names_weight_hh_that_does_not_fit_weight_ih():
    with pytest.raises(ValueError, match=re.escape(
            "lstm_cell: weight_hh has shape (12, 4), expected (12, 3) for weight_ih of shape "
            "(12, 3) (4 gates of hidden size 3)")):
        ag.lstm_cell(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)), W_IH, W_HH)


def test_weight_ih_must_hold_a_whole_number_of_gates():
    with pytest.raises(ValueError, match=re.escape(
            "gru: weight_ih must have shape (3 * hidden_size, input_size), got (10, 3)")):
        ag.gru(np.zeros((5, 2, 3)), np.zeros((2, 4)), np.zeros((10, 3)), W_HH)


def test_bias_of_the_wrong_size_is_named():
    with pytest.raises(ValueError, match=re.escape(
            "rnn: bias_hh has shape (5,), expected (4,)")):
        ag.rnn(np.zeros((5, 2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 4)),
               np.zeros(4), np.zeros(5))


def test_sequence_function_wants_a_batched_sequence():
    with pytest.raises(ValueError, match=re.escape(
            "gru: input has shape (5, 3), expected (N, L, 3) (batch_first=True)")):
        ag.gru(np.zeros((5, 3)), np.zeros((2, 4)), W_IH, W_HH, batch_first=True)


def test_sequence_initial_state_is_one_state_per_sequence():
    with pytest.raises(ValueError, match=re.escape(
            "gru: h0 has shape (1, 2, 4), expected (2, 4) for an input of shape (5, 2, 3)")):
        ag.gru(np.zeros((5, 2, 3)), np.zeros((1, 2, 4)), W_IH, W_HH)


def test_rnn_functions_refuse_an_unknown_nonlinearity():
    with pytest.raises(ValueError, match="rnn_cell: nonlinearity must be 'tanh' or 'relu'"):
        ag.rnn_cell(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 4)),
                    nonlinearity="sigmoid")
