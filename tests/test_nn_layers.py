"""Layers: Linear, activations, Sequential, MLP; dtypes, plain numpy inputs, initial scale."""

import numpy as np
import pytest

import autograd as ag
import nn


@pytest.fixture(autouse=True)
def _seed():
    nn.manual_seed(0)


def test_linear_computes_x_times_w_transposed_plus_b():
    layer = nn.Linear(3, 2)
    layer.weight.data[:] = [[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]]
    layer.bias.data[:] = [0.5, -0.5]
    out = layer(np.array([[1.0, 1.0, 2.0]]))
    np.testing.assert_allclose(out.numpy(), [[9.5, -0.5]])
    assert out.op == "linear"


def test_linear_shapes_and_no_bias():
    layer = nn.Linear(4, 3, bias=False)
    assert layer.weight.shape == (3, 4) and layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer(np.ones((5, 4))).shape == (5, 3)
    assert layer(np.ones(4)).shape == (3,)


def test_linear_gradients_match_the_formulas():
    layer = nn.Linear(3, 2)
    x = np.random.default_rng(1).standard_normal((4, 3))
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, np.ones((4, 2)).T @ x)
    np.testing.assert_allclose(layer.bias.grad, [4.0, 4.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_weights_and_their_gradients_are_column_major(dtype):
    """W stored column-major makes x @ W.T numpy's fastest product; its gradient is written in
    the same layout, so the optimizer's in-place update walks both arrays in order."""
    layer = nn.Linear(4, 3, dtype=dtype)
    assert layer.weight.data.flags.f_contiguous and not layer.weight.data.flags.c_contiguous
    layer(np.ones((5, 4), dtype)).sum().backward()
    assert layer.weight.grad.flags.f_contiguous and not layer.weight.grad.flags.c_contiguous
    nn.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9).step()
    assert layer.weight.data.flags.f_contiguous


def test_linear_with_a_wrong_input_width_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(5, 2\).*\(3, 4\)"):
        nn.Linear(4, 3)(np.ones((5, 2)))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_linear_sizes_must_be_positive_integers(bad):
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(bad, 3)


def test_linear_refuses_a_non_float_dtype_and_an_unknown_init():
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 2, dtype=np.int64)
    with pytest.raises(ValueError, match="init must be one of"):
        nn.Linear(2, 2, init="zeros")


def test_float32_is_preserved_through_linear_forward_and_backward():
    layer = nn.Linear(3, 2, dtype=np.float32)
    x = ag.Value(np.ones((4, 3), dtype=np.float32))
    out = layer(x)
    out.sum().backward()
    assert layer.weight.dtype == layer.bias.dtype == out.dtype == np.float32
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == x.grad.dtype == np.float32


def test_a_plain_float64_array_is_cast_to_a_float32_layers_dtype():
    model = nn.MLP([3, 8, 2], dtype=np.float32)
    assert model(np.ones((4, 3))).dtype == np.float32
    assert nn.MLP([3, 2])(np.ones((4, 3), dtype=np.float32)).dtype == np.float64


@pytest.mark.parametrize("layer", [nn.Linear(2, 2), nn.ReLU(), nn.Sigmoid(), nn.Tanh(),
                                   nn.MLP([2, 4, 2]), nn.Sequential(nn.Linear(2, 2), nn.Tanh())])
def test_layers_accept_plain_numpy_arrays_and_lists(layer):
    from_array = layer(np.array([[1.0, -2.0]]))
    from_list = layer([[1.0, -2.0]])
    assert isinstance(from_array, ag.Value)
    assert from_array.requires_grad == bool(list(layer.parameters()))  # the input is a constant
    np.testing.assert_array_equal(from_array.numpy(), from_list.numpy())


def test_activations_compute_their_functions():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(x))


def test_sequential_applies_layers_in_order_and_can_be_indexed():
    first, second = nn.Linear(2, 3), nn.ReLU()
    model = nn.Sequential(first, second)
    assert len(model) == 2 and model[0] is first and model[-1] is second
    assert list(model) == [first, second]
    x = np.array([[1.0, -1.0]])
    np.testing.assert_array_equal(model(x).numpy(), second(first(x)).numpy())


def test_sequential_refuses_non_modules():
    with pytest.raises(TypeError, match="Sequential takes Modules, got ufunc at position 1"):
        nn.Sequential(nn.ReLU(), np.tanh)


def test_mlp_puts_the_activation_between_layers_and_none_after_the_last():
    model = nn.MLP([3, 5, 4, 2], activation="tanh")
    assert [type(layer).__name__ for layer in model] == [
        "Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [layer.describe() for layer in model[::2]] == [
        "Linear(3→5)", "Linear(5→4)", "Linear(4→2)"]


def test_mlp_refuses_too_few_sizes_and_unknown_activations():
    with pytest.raises(ValueError, match="at least two sizes"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.MLP([3, 1], activation="gelu")


def test_init_keeps_a_six_layer_relu_mlp_output_scale_order_one():
    # He init: Var(z) is the same at every layer (x ~ N(0, 1) -> output std ~ sqrt(2)).
    # PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) divides the variance by 6 per
    # ReLU layer: ~0.008 here.
    model = nn.MLP([64, 256, 256, 256, 256, 256, 64])
    x = np.random.default_rng(0).standard_normal((512, 64))
    assert 0.5 < model(x).numpy().std() < 3


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_xavier_init_keeps_tanh_and_sigmoid_mlps_order_one(activation):
    model = nn.MLP([64, 256, 256, 256, 256, 256, 64], activation=activation)
    x = np.random.default_rng(0).standard_normal((512, 64))
    assert 0.1 < model(x).numpy().std() < 3


def test_init_uses_he_for_relu_and_xavier_for_tanh_and_sigmoid():
    relu_std = nn.MLP([400, 400, 400])[0].weight.numpy().std()
    tanh_std = nn.MLP([400, 400, 400], activation="tanh")[0].weight.numpy().std()
    np.testing.assert_allclose(relu_std, np.sqrt(2 / 400), rtol=0.02)
    np.testing.assert_allclose(tanh_std, np.sqrt(2 / 800), rtol=0.02)


def test_manual_seed_makes_new_weights_reproducible():
    nn.manual_seed(7)
    first = nn.Linear(3, 3).weight.numpy()
    nn.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(3, 3).weight.numpy(), first)
