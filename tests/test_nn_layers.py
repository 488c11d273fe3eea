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


# -- Conv2d ----------------------------------------------------------------------------------
def test_conv2d_parameters_have_torchs_shapes_and_names():
    layer = nn.Conv2d(4, 6, (3, 2), groups=2)
    assert [(name, p.shape) for name, p in layer.named_parameters()] == [
        ("weight", (6, 2, 3, 2)), ("bias", (6,))]
    assert [name for name, _ in nn.Conv2d(4, 6, 3, bias=False).named_parameters()] == ["weight"]


def test_conv2d_with_a_1x1_kernel_mixes_channels_pixel_by_pixel():
    layer = nn.Conv2d(2, 1, 1)
    layer.weight.data[:] = np.array([2.0, -1.0]).reshape(1, 2, 1, 1)
    layer.bias.data[:] = 0.5
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    np.testing.assert_array_equal(layer(x).numpy(), 2 * x[:, :1] - x[:, 1:] + 0.5)


def test_conv2d_output_size_follows_stride_padding_and_dilation():
    x = np.zeros((2, 3, 9, 8))
    assert nn.Conv2d(3, 5, 3)(x).shape == (2, 5, 7, 6)
    assert nn.Conv2d(3, 5, 3, stride=2, padding=1)(x).shape == (2, 5, 5, 4)
    assert nn.Conv2d(3, 5, 3, dilation=(2, 1))(x).shape == (2, 5, 5, 6)


def test_conv2d_weights_start_he_normal_over_the_groups_fan_in_and_biases_at_zero():
    layer = nn.Conv2d(32, 64, 3, groups=4)  # fan_in = 32 / 4 * 3 * 3 = 72
    np.testing.assert_allclose(layer.weight.numpy().std(), np.sqrt(2 / 72), rtol=0.03)
    assert abs(layer.weight.numpy().mean()) < 0.01
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(64))


def test_conv2d_casts_a_plain_array_to_its_dtype():
    layer = nn.Conv2d(1, 2, 3, dtype=np.float32)
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    assert layer(np.ones((1, 1, 4, 4))).dtype == np.float32


def test_conv2d_with_the_wrong_channel_count_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3, 3, 3\).*\(1, 2, 5, 5\)"):
        nn.Conv2d(3, 2, 3)(np.ones((1, 2, 5, 5)))


@pytest.mark.parametrize("arguments, message", [
    ((0, 2, 3), "in_channels must be a positive integer"),
    ((2, 2, 0), "kernel_size must be a positive integer or a pair"),
    ((2, 2, (3, 3, 3)), "kernel_size must be a positive integer or a pair"),
    ((2, 2, 3.0), "kernel_size must be a positive integer or a pair"),
    ((2, 2, 3, 0), "stride must be a positive integer or a pair"),
    ((2, 2, 3, 1, -1), "padding must be a non-negative integer or a pair"),
    ((2, 2, 3, 1, 0, 0), "dilation must be a positive integer or a pair"),
    ((3, 2, 3, 1, 0, 1, 2), r"in_channels=3 must be divisible by groups=2"),
    ((2, 3, 3, 1, 0, 1, 2), r"out_channels=3 must be divisible by groups=2"),
])
def test_conv2d_refuses_bad_arguments_by_name(arguments, message):
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(*arguments)


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")  # torch's, uneven sides
@pytest.mark.parametrize(("kernel", "dilation"), [(3, 1), (4, 1), ((2, 5), (3, 2)), (1, 1)])
def test_conv2d_padding_same_keeps_the_size_and_equals_torchs(kernel, dilation):
    torch = pytest.importorskip("torch")
    layer = nn.Conv2d(2, 3, kernel, padding="same", dilation=dilation)
    theirs = torch.nn.Conv2d(2, 3, kernel, padding="same", dilation=dilation).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 7))
    out = layer(x)
    assert out.shape == (2, 3, 6, 7)
    np.testing.assert_allclose(out.numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    assert layer.padding == theirs.padding == "same"


def test_conv2d_padding_valid_is_no_padding():
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    layer = nn.Conv2d(2, 3, 3, padding="valid")
    plain = nn.Conv2d(2, 3, 3)
    plain.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(layer(x).numpy(), plain(x).numpy())
    assert layer.describe() == "Conv2d(2→3, 3×3, padding valid)"
    assert nn.Conv2d(2, 3, 3, padding="same").describe() == "Conv2d(2→3, 3×3, padding same)"


def test_conv2d_refuses_same_padding_with_a_stride_and_unknown_padding_strings_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.nn.Conv2d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"padding='same' needs stride 1.*stride \(1, 2\)"):
        nn.Conv2d(2, 3, 3, stride=(1, 2), padding="same")
    with pytest.raises(ValueError):
        torch.nn.Conv2d(2, 3, 3, padding="full")
    with pytest.raises(ValueError, match="padding string must be 'same' or 'valid', got 'full'"):
        nn.Conv2d(2, 3, 3, padding="full")


def test_conv2d_refuses_an_integer_dtype():
    with pytest.raises(TypeError, match="floating"):
        nn.Conv2d(1, 1, 1, dtype=np.int32)


def test_conv2d_describes_its_shape_and_its_non_default_options():
    assert nn.Conv2d(1, 8, 3).describe() == "Conv2d(1→8, 3×3)"
    assert nn.Conv2d(4, 8, (3, 5), stride=2, padding=(1, 2), dilation=2, groups=4,
                     bias=False).describe() == (
        "Conv2d(4→8, 3×5, stride 2×2, padding 1×2, dilation 2×2, groups 4, no bias)")


# -- pooling ---------------------------------------------------------------------------------
def test_max_and_avg_pool_take_each_windows_max_and_mean():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).numpy(), [[[[5.0, 7.0], [13.0, 15.0]]]])
    np.testing.assert_array_equal(nn.AvgPool2d(2)(x).numpy(), [[[[2.5, 4.5], [10.5, 12.5]]]])


def test_pool_stride_defaults_to_the_kernel_size():
    assert nn.MaxPool2d(3).stride == (3, 3)
    assert nn.AvgPool2d((2, 3), stride=1).stride == (1, 1)
    assert nn.MaxPool2d(2)(np.zeros((2, 3, 7, 9))).shape == (2, 3, 3, 4)


def test_max_pool_passes_the_gradient_to_each_windows_maximum():
    x = ag.Value(np.array([[[[1.0, 3.0], [2.0, 0.0]]]]))
    nn.MaxPool2d(2)(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0.0, 1.0], [0.0, 0.0]]]])


@pytest.mark.parametrize("pool", [nn.MaxPool2d, nn.AvgPool2d])
def test_pools_refuse_padding_over_half_the_kernel_and_bad_sizes(pool):
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half of the kernel "
                                         r"size \(3, 3\)"):
        pool(3, padding=2)
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        pool(0)
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        pool(2, stride=-1)


def test_pools_describe_their_window():
    assert nn.MaxPool2d(2).describe() == "MaxPool2d(2×2)"
    assert nn.AvgPool2d(3, stride=2, padding=1).describe() == "AvgPool2d(3×3, stride 2×2, " \
                                                              "padding 1×1)"


# -- Flatten ---------------------------------------------------------------------------------
def test_flatten_keeps_the_batch_axis_by_default_and_takes_torchs_dims():
    x = np.zeros((2, 3, 4, 5))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(-2)(x).shape == (2, 3, 20)


def test_flatten_refuses_non_integer_dims_and_describes_them():
    with pytest.raises(TypeError, match=r"Flatten start_dim must be an integer, got 1\.0"):
        nn.Flatten(1.0)
    assert nn.Flatten().describe() == "Flatten"
    assert nn.Flatten(0, 2).describe() == "Flatten(0, 2)"


# -- Embedding -------------------------------------------------------------------------------
def test_embedding_picks_rows_for_indices_of_any_shape():
    layer = nn.Embedding(5, 2)
    indices = np.array([[4, 0, 4], [1, 1, 2]])
    out = layer(indices)
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out.numpy(), layer.weight.numpy()[indices])
    assert layer([3, 1]).shape == (2, 2)


def test_embedding_gradient_adds_up_repeated_rows():
    layer = nn.Embedding(4, 2)
    layer(np.array([1, 3, 1, 1])).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_embedding_weights_start_standard_normal_in_its_dtype():
    layer = nn.Embedding(1000, 100, dtype=np.float32)
    assert layer.weight.dtype == np.float32
    np.testing.assert_allclose(layer.weight.numpy().std(), 1.0, rtol=0.01)


@pytest.mark.parametrize("padding_idx", [1, -1])
def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient_as_torch(padding_idx):
    torch = pytest.importorskip("torch")
    layer = nn.Embedding(4, 3, padding_idx=padding_idx)
    theirs = torch.nn.Embedding(4, 3, padding_idx=padding_idx).double()
    assert layer.padding_idx == theirs.padding_idx == padding_idx % 4
    np.testing.assert_array_equal(layer.weight.numpy()[padding_idx], np.zeros(3))
    np.testing.assert_array_equal(theirs.weight.detach().numpy()[padding_idx], np.zeros(3))
    with torch.no_grad():  # set non-zero: both look up the row's actual values
        theirs.weight[padding_idx] = torch.tensor([1.0, 2.0, 3.0])
    layer.load_state_dict({"weight": theirs.weight.detach().numpy()})
    indices = np.array([[0, 1, 3], [1, 2, 1]])
    upstream = np.random.default_rng(0).standard_normal((2, 3, 3))
    out = layer(indices)
    (out * upstream).sum().backward()
    torch_out = theirs(torch.from_numpy(indices))
    (torch_out * torch.from_numpy(upstream)).sum().backward()
    np.testing.assert_array_equal(out.numpy(), torch_out.detach().numpy())
    np.testing.assert_allclose(layer.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(layer.weight.grad[padding_idx], np.zeros(3))


def test_embedding_padding_row_stays_put_while_the_others_train():
    layer = nn.Embedding(3, 2, padding_idx=0)
    before = layer.weight.numpy().copy()
    optimizer = nn.optim.SGD(layer.parameters(), lr=0.5)
    layer(np.array([0, 1, 0])).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(layer.weight.numpy()[0], before[0])
    np.testing.assert_array_equal(layer.weight.numpy()[1], before[1] - 0.5)
    np.testing.assert_array_equal(layer.weight.numpy()[2], before[2])


def test_embedding_refuses_a_padding_idx_out_of_range_and_describes_it():
    for padding_idx in (3, -4):
        with pytest.raises(ValueError, match=f"padding_idx {padding_idx} is out of range for 3"):
            nn.Embedding(3, 2, padding_idx=padding_idx)
    with pytest.raises(TypeError, match=r"padding_idx must be an integer, got 1\.0"):
        nn.Embedding(3, 2, padding_idx=1.0)
    assert nn.Embedding(3, 2, padding_idx=-1).describe() == "Embedding(3, 2, padding_idx=2)"


def test_embedding_refuses_float_indices_and_indices_out_of_range():
    layer = nn.Embedding(3, 2)
    with pytest.raises(TypeError, match="indices must be integers, got dtype float64"):
        layer(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="indices 3, 7 out of range for 3 embeddings"):
        layer(np.array([0, 3, 7]))
    with pytest.raises(ValueError, match="embedding_dim must be a positive integer"):
        nn.Embedding(3, 0)
    assert layer.describe() == "Embedding(3, 2)"


# -- Dropout and Identity --------------------------------------------------------------------
def test_dropout_in_training_zeroes_about_p_and_scales_the_rest():
    out = nn.Dropout(0.25)(np.ones((200, 100))).numpy()
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    np.testing.assert_allclose((out == 0).mean(), 0.25, atol=0.01)


def test_dropout_in_eval_mode_returns_its_input():
    layer = nn.Dropout(0.9).eval()
    x = ag.Value(np.arange(6.0))
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    assert layer.train()(x).numpy().min() == 0.0


def test_dropout_gradient_uses_the_forward_mask():
    x = ag.Value(np.ones(1000))
    out = nn.Dropout(0.5)(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.numpy())


def test_dropout_masks_are_reproducible_with_manual_seed():
    nn.manual_seed(3)
    first = nn.Dropout()(np.ones(50)).numpy()
    nn.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout()(np.ones(50)).numpy(), first)


def test_dropout_with_p_0_and_1_keeps_or_drops_everything():
    np.testing.assert_array_equal(nn.Dropout(0.0)(np.ones(5)).numpy(), np.ones(5))
    np.testing.assert_array_equal(nn.Dropout(1.0)(np.ones(5)).numpy(), np.zeros(5))


@pytest.mark.parametrize("p, error", [(1.5, ValueError), (-0.1, ValueError),
                                      (float("nan"), ValueError), ("0.5", TypeError),
                                      (True, TypeError)])
def test_dropout_probability_must_be_a_number_in_0_1(p, error):
    with pytest.raises(error, match="Dropout probability p"):
        nn.Dropout(p)


def test_dropout_describes_its_probability():
    assert nn.Dropout().describe() == "Dropout(p=0.5)"


def test_identity_returns_the_same_object_and_ignores_arguments():
    x = ag.Value(np.ones(3))
    assert nn.Identity(54, unused="ignored")(x) is x
    assert list(nn.Identity().parameters()) == []


# -- activation modules ----------------------------------------------------------------------
X = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])


@pytest.mark.parametrize("layer, expected", [
    (nn.LeakyReLU(), np.where(X > 0, X, 0.01 * X)),
    (nn.LeakyReLU(0.2), np.where(X > 0, X, 0.2 * X)),
    (nn.ELU(), np.where(X > 0, X, np.expm1(X))),
    (nn.ELU(alpha=0.5), np.where(X > 0, X, 0.5 * np.expm1(X))),
    (nn.SiLU(), X / (1 + np.exp(-X))),
    (nn.Softplus(), np.log1p(np.exp(X))),
    (nn.Softplus(beta=2.0, threshold=1.0), np.where(2 * X > 1, X, np.log1p(np.exp(2 * X)) / 2)),
    (nn.GELU(approximate="tanh"),
     0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))),
])
def test_activation_modules_compute_their_functions(layer, expected):
    np.testing.assert_allclose(layer(X).numpy(), expected, rtol=1e-14, atol=1e-15)


def test_gelu_is_x_times_the_normal_cdf():
    # Phi(0) = 1/2; Phi(1) = 0.8413447460685429 and Phi(-1) = 1 - Phi(1) (tables)
    np.testing.assert_allclose(nn.GELU()(np.array([0.0, 1.0, -1.0])).numpy(),
                               [0.0, 0.8413447460685429, -0.15865525393145707], rtol=1e-14)


def test_softmax_and_log_softmax_normalise_along_dim():
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).numpy().sum(axis=0), np.ones(4))
    np.testing.assert_allclose(nn.Softmax(1)(x).numpy().sum(axis=1), np.ones(3))
    np.testing.assert_allclose(np.exp(nn.LogSoftmax(dim=-1)(x).numpy()),
                               nn.Softmax(-1)(x).numpy(), rtol=1e-14)


def test_softmax_needs_an_integer_dim():
    with pytest.raises(TypeError, match="dim"):
        nn.Softmax()
    with pytest.raises(TypeError, match="Softmax dim must be an integer, got None"):
        nn.Softmax(None)
    with pytest.raises(TypeError, match="LogSoftmax dim must be an integer, got True"):
        nn.LogSoftmax(True)


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.LeakyReLU("0.1"), TypeError, "LeakyReLU negative_slope must be a real number"),
    (lambda: nn.ELU(float("inf")), ValueError, "ELU alpha must be a finite number"),
    (lambda: nn.GELU("erf"), ValueError, "GELU approximate must be 'none' or 'tanh'"),
    (lambda: nn.Softplus(beta=0), ValueError, "Softplus beta must not be 0"),
    (lambda: nn.Softplus(threshold=float("nan")), ValueError, "Softplus threshold"),
])
def test_activation_modules_refuse_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_activation_modules_describe_their_non_default_arguments():
    assert [layer.describe() for layer in (
        nn.LeakyReLU(), nn.GELU(), nn.GELU("tanh"), nn.Softplus(), nn.Softplus(beta=2),
        nn.SiLU(), nn.ELU(), nn.ELU(0.5), nn.Softmax(1), nn.LogSoftmax(-1))] == [
        "LeakyReLU(0.01)", "GELU", "GELU(tanh)", "Softplus", "Softplus(beta=2, threshold=20)",
        "SiLU", "ELU", "ELU(alpha=0.5)", "Softmax(dim=1)", "LogSoftmax(dim=-1)"]


# -- every new layer on Values and plain arrays ------------------------------------------------
NEW_LAYERS = [
    (lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 4, 4)),
    (lambda: nn.MaxPool2d(2), (2, 2, 4, 4)), (lambda: nn.AvgPool2d(2), (2, 2, 4, 4)),
    (nn.Flatten, (2, 2, 4, 4)), (lambda: nn.Dropout(0.3), (3, 4)), (nn.LeakyReLU, (3, 4)),
    (nn.GELU, (3, 4)), (nn.Softplus, (3, 4)), (nn.SiLU, (3, 4)), (nn.ELU, (3, 4)),
    (lambda: nn.Softmax(-1), (3, 4)), (lambda: nn.LogSoftmax(-1), (3, 4)),
    (lambda: nn.BatchNorm1d(4), (3, 4)), (lambda: nn.BatchNorm2d(2), (2, 2, 4, 4)),
    (lambda: nn.LayerNorm(4), (3, 4)),
]


@pytest.mark.parametrize("make, shape", NEW_LAYERS)
def test_new_layers_give_the_same_result_for_a_value_and_a_plain_array(make, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    nn.manual_seed(0)
    from_array = make()(x)
    nn.manual_seed(0)
    from_value = make()(ag.Value(x))
    assert isinstance(from_array, ag.Value)
    np.testing.assert_array_equal(from_array.numpy(), from_value.numpy())


def test_sequential_is_still_importable_from_nn_layers():
    from nn.layers import Sequential
    assert Sequential is nn.Sequential
