"""nn.summary: one row per layer call (dotted name, description, output shape, own parameter
count), the totals, the table, and the forward hooks it leaves behind (none)."""

import numpy as np
import pytest

import autograd as ag
import nn


def hooks_left(model: nn.Module) -> int:
    return sum(len(module._forward_hooks) for module in model.modules())


def small_mlp() -> nn.Module:
    nn.manual_seed(0)
    return nn.Sequential(nn.MLP([3, 8, 4]), nn.ReLU(), nn.ClassificationHead(4, 2))


def small_cnn() -> nn.Module:
    nn.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(64, 10))


def torch_cnn(torch):
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Dropout(0.25),
                               torch.nn.Flatten(), torch.nn.Linear(64, 10))


def test_rows_are_the_leaves_of_nested_containers_in_call_order():
    rows = nn.summary(small_mlp(), np.zeros((5, 3))).rows
    assert rows == [
        ("0.0", "Linear(3→8)", (5, 8), 32),
        ("0.1", "ReLU", (5, 8), 0),
        ("0.2", "Linear(8→4)", (5, 4), 36),
        ("1", "ReLU", (5, 4), 0),
        ("2.linear", "Linear(4→2)", (5, 2), 10),
    ]
    assert (rows[0].name, rows[0].layer, rows[0].output_shape, rows[0].parameters) == (
        "0.0", "Linear(3→8)", (5, 8), 32)


def test_rows_of_a_small_cnn():
    rows = nn.summary(small_cnn(), np.zeros((2, 1, 8, 8))).rows
    assert rows == [
        ("0", "Conv2d(1→4, 3×3, padding 1×1)", (2, 4, 8, 8), 40),
        ("1", "BatchNorm2d(4)", (2, 4, 8, 8), 8),
        ("2", "ReLU", (2, 4, 8, 8), 0),
        ("3", "MaxPool2d(2×2)", (2, 4, 4, 4), 0),
        ("4", "Dropout(p=0.25)", (2, 4, 4, 4), 0),
        ("5", "Flatten", (2, 64), 0),
        ("6", "Linear(64→10)", (2, 10), 650),
    ]


def test_the_table_lists_every_row_and_the_totals():
    table = str(nn.summary(small_cnn(), np.zeros((2, 1, 8, 8))))
    assert table.splitlines() == [
        "Layer                               Output shape    Param #",
        "-----------------------------------------------------------",
        "0: Conv2d(1→4, 3×3, padding 1×1)    [2, 4, 8, 8]         40",
        "1: BatchNorm2d(4)                   [2, 4, 8, 8]          8",
        "2: ReLU                             [2, 4, 8, 8]          0",
        "3: MaxPool2d(2×2)                   [2, 4, 4, 4]          0",
        "4: Dropout(p=0.25)                  [2, 4, 4, 4]          0",
        "5: Flatten                          [2, 64]               0",
        "6: Linear(64→10)                    [2, 10]             650",
        "-----------------------------------------------------------",
        "Total parameters: 698",
        "Trainable parameters: 698",
    ]


def test_repr_is_the_table():
    result = nn.summary(small_mlp(), np.zeros((5, 3)))
    assert repr(result) == str(result)


def test_large_counts_have_thousands_separators():
    table = str(nn.summary(nn.Linear(100, 100), np.zeros((1, 100))))
    assert "10,100" in table.splitlines()[2]
    assert "Total parameters: 10,100" in table


def test_totals_are_the_sum_of_the_parameter_sizes():
    model = small_mlp()
    result = nn.summary(model, np.zeros((5, 3)))
    assert result.total_parameters == sum(p.size for p in model.parameters()) == 78
    assert result.trainable_parameters == 78
    assert sum(row.parameters for row in result.rows) == 78


def test_totals_equal_torchs_parameter_count_for_the_same_architecture():
    torch = pytest.importorskip("torch")
    result = nn.summary(small_cnn(), np.zeros((2, 1, 8, 8)))
    theirs = torch_cnn(torch)
    assert result.total_parameters == sum(p.numel() for p in theirs.parameters())
    assert [row.parameters for row in result.rows] == [
        sum(p.numel() for p in layer.parameters()) for layer in theirs]


def test_trainable_leaves_out_parameters_without_requires_grad():
    model = nn.Linear(3, 4)
    model.bias.requires_grad = False
    result = nn.summary(model, np.zeros((1, 3)))
    assert (result.total_parameters, result.trainable_parameters) == (16, 12)


def test_a_model_without_sub_modules_is_one_row_without_a_name():
    result = nn.summary(nn.Linear(2, 3), np.zeros((1, 2)))
    assert result.rows == [("", "Linear(2→3)", (1, 3), 9)]
    assert str(result).splitlines()[2] == "Linear(2→3)    [1, 3]                9"


def test_a_module_called_twice_has_two_rows_and_its_parameters_count_once():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    result = nn.summary(model, np.zeros((2, 4)))
    assert result.rows == [("0", "Linear(4→4)", (2, 4), 20), ("1", "ReLU", (2, 4), 0),
                           ("0", "Linear(4→4)", (2, 4), 0)]
    assert result.total_parameters == 20


class Scaled(nn.Module):
    """A module with a parameter of its own and a sub-module."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.scale = nn.Parameter(np.ones(2))

    def forward(self, x):
        return self.linear(x) * self.scale


def test_a_module_with_its_own_parameters_has_a_row_after_its_sub_modules():
    model = nn.Sequential(Scaled(), nn.Tanh())
    assert nn.summary(model, np.zeros((4, 3))).rows == [
        ("0.linear", "Linear(3→2)", (4, 2), 8), ("0", "Scaled", (4, 2), 2),
        ("1", "Tanh", (4, 2), 0)]


def test_an_rnn_row_shows_the_shape_of_each_output():
    nn.manual_seed(0)
    result = nn.summary(nn.RNN(3, 5, batch_first=True), np.zeros((2, 4, 3)))
    assert result.rows == [("", "RNN(3→5, tanh)", ((2, 4, 5), (1, 2, 5)), 50)]
    assert "[2, 4, 5], [1, 2, 5]" in str(result)


def test_an_lstm_row_shows_its_nested_state_shapes():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 3), nn.LSTM(3, 5))
    result = nn.summary(model, np.zeros((4, 2), dtype=int))
    assert result.rows[1].output_shape == ((4, 2, 5), ((1, 2, 5), (1, 2, 5)))
    assert "[4, 2, 5], ([1, 2, 5], [1, 2, 5])" in str(result).splitlines()[3]


def test_a_tuple_example_input_is_passed_as_several_inputs():
    nn.manual_seed(0)
    rnn = nn.GRU(3, 5)
    result = nn.summary(rnn, (np.zeros((4, 2, 3)), np.ones((1, 2, 5))))
    assert result.rows[0].output_shape == ((4, 2, 5), (1, 2, 5))


class Constant(nn.Module):
    def forward(self, x):
        return "not an array"


def test_an_output_that_is_not_an_array_shows_a_dash():
    result = nn.summary(Constant(), np.zeros(2))
    assert result.rows == [("", "Constant", None, 0)]
    assert str(result).splitlines()[2] == "Constant    -                     0"


def test_the_forward_runs_under_no_grad():
    seen = []
    model = nn.Linear(2, 2)
    model.register_forward_hook(lambda module, args, output: seen.append(output.requires_grad))
    nn.summary(model, np.zeros((1, 2)))
    assert seen == [False]
    assert ag.is_grad_enabled()
    assert model.weight.grad is None


@pytest.mark.parametrize("training", [True, False])
def test_the_model_stays_in_its_mode(training):
    model = small_cnn().train(training)
    nn.summary(model, np.zeros((2, 1, 8, 8)))
    assert all(module.training == training for module in model.modules())


def test_in_eval_mode_batch_norm_statistics_are_left_alone():
    model = small_cnn().eval()
    before = model.state_dict()
    nn.summary(model, np.random.default_rng(0).standard_normal((2, 1, 8, 8)))
    after = model.state_dict()
    for name, array in before.items():
        np.testing.assert_array_equal(after[name], array, err_msg=name)


def test_hooks_are_removed_afterwards():
    model = small_cnn()
    nn.summary(model, np.zeros((2, 1, 8, 8)))
    assert hooks_left(model) == 0


def test_hooks_are_removed_even_when_the_forward_raises():
    model = small_mlp()
    with pytest.raises(ValueError):
        nn.summary(model, np.zeros((5, 7)))  # the first Linear takes 3 features
    assert hooks_left(model) == 0


def test_the_users_own_hooks_stay_and_still_run():
    model = small_mlp()
    calls = []
    model[1].register_forward_hook(lambda module, args, output: calls.append(output.shape))
    nn.summary(model, np.zeros((5, 3)))
    assert calls == [(5, 4)]
    assert hooks_left(model) == 1


def test_summary_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match=r"needs an nn\.Module, got function"):
        nn.summary(lambda x: x, np.zeros(2))
