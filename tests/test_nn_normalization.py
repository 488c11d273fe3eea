"""BatchNorm1d, BatchNorm2d and LayerNorm: statistics, running buffers, modes, state, errors."""

import numpy as np
import pytest

import autograd as ag
import nn


def batch(shape, seed=0, loc=3.0, scale=2.0):
    return np.random.default_rng(seed).normal(loc, scale, shape)


# -- BatchNorm: training ---------------------------------------------------------------------
@pytest.mark.parametrize("layer, shape, axes", [(nn.BatchNorm1d(3), (8, 3), (0,)),
                                                (nn.BatchNorm1d(3), (4, 3, 5), (0, 2)),
                                                (nn.BatchNorm2d(3), (2, 3, 4, 5), (0, 2, 3))])
def test_batch_norm_in_training_normalises_each_channel_by_the_batch(layer, shape, axes):
    x = batch(shape)
    out = layer(x).numpy()
    np.testing.assert_allclose(out.mean(axis=axes), 0.0, atol=1e-14)
    # biased variance of the batch: var(out) = var / (var + eps)
    expected = x.var(axis=axes) / (x.var(axis=axes) + 1e-5)
    np.testing.assert_allclose(out.var(axis=axes), expected, rtol=1e-12)


def test_batch_norm_scales_and_shifts_by_weight_and_bias():
    layer = nn.BatchNorm1d(2)
    layer.weight.data[:] = [2.0, -1.0]
    layer.bias.data[:] = [0.5, 1.0]
    x = batch((6, 2))
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    np.testing.assert_allclose(layer(x).numpy(), xhat * [2.0, -1.0] + [0.5, 1.0], rtol=1e-12)


def test_a_training_forward_moves_the_running_statistics_by_momentum():
    layer = nn.BatchNorm2d(3, momentum=0.25)
    x = batch((2, 3, 4, 5))
    layer(x)
    axes = (0, 2, 3)
    np.testing.assert_allclose(layer.running_mean, 0.25 * x.mean(axis=axes), rtol=1e-13)
    # the running variance takes the unbiased variance of the batch (n = 40 per channel)
    np.testing.assert_allclose(layer.running_var, 0.75 + 0.25 * x.var(axis=axes, ddof=1),
                               rtol=1e-13)


def test_momentum_none_keeps_the_plain_average_of_every_batch():
    layer = nn.BatchNorm1d(2, momentum=None)
    first, second, third = batch((5, 2), 1), batch((5, 2), 2), batch((5, 2), 3)
    for x in (first, second, third):
        layer(x)
    np.testing.assert_allclose(layer.running_mean,
                               (first.mean(0) + second.mean(0) + third.mean(0)) / 3, rtol=1e-13)
    np.testing.assert_allclose(layer.running_var, (first.var(0, ddof=1) + second.var(
        0, ddof=1) + third.var(0, ddof=1)) / 3, rtol=1e-13)


def test_num_batches_tracked_counts_training_forwards_only():
    layer = nn.BatchNorm1d(2)
    assert layer.num_batches_tracked.shape == () and layer.num_batches_tracked.dtype == np.int64
    layer(batch((4, 2)))
    layer(batch((4, 2)))
    assert layer.num_batches_tracked == 2
    layer.eval()(batch((4, 2)))
    assert layer.num_batches_tracked == 2


def test_a_refused_batch_changes_no_statistic():
    layer = nn.BatchNorm1d(2)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(np.ones((1, 2)))
    assert layer.num_batches_tracked == 0
    np.testing.assert_array_equal(layer.running_mean, [0.0, 0.0])
    np.testing.assert_array_equal(layer.running_var, [1.0, 1.0])


# -- BatchNorm: evaluation -------------------------------------------------------------------
def test_batch_norm_in_eval_mode_normalises_by_the_running_statistics():
    layer = nn.BatchNorm1d(2)
    layer.running_mean[:] = [1.0, -2.0]
    layer.running_var[:] = [4.0, 0.25]
    layer.weight.data[:] = [3.0, 1.0]
    layer.eval()
    x = batch((5, 2))
    expected = (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [3.0, 1.0]
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-13)
    np.testing.assert_array_equal(layer.running_mean, [1.0, -2.0])  # not updated in eval


def test_in_eval_mode_an_example_does_not_depend_on_its_batch():
    layer = nn.BatchNorm2d(3)
    for seed in range(3):
        layer(batch((4, 3, 2, 2), seed))
    layer.eval()
    x = batch((4, 3, 2, 2), 9)
    np.testing.assert_allclose(layer(x[:1]).numpy(), layer(x).numpy()[:1], rtol=1e-14)


def test_eval_gradient_is_the_weight_over_the_running_std():
    layer = nn.BatchNorm1d(2).eval()
    layer.running_var[:] = [4.0, 1.0]
    layer.weight.data[:] = [3.0, 2.0]
    x = ag.Value(batch((3, 2)))
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.tile([3.0 / np.sqrt(4 + 1e-5), 2.0 / np.sqrt(1 + 1e-5)],
                                               (3, 1)), rtol=1e-14)


def test_without_running_statistics_eval_mode_uses_the_batch_too():
    layer = nn.BatchNorm1d(2, track_running_stats=False)
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.running_mean is None and layer.num_batches_tracked is None
    x = batch((6, 2))
    np.testing.assert_array_equal(layer.eval()(x).numpy(), layer.train()(x).numpy())


# -- BatchNorm: parameters, buffers and state ------------------------------------------------
def test_batch_norm_state_dict_has_torchs_entries_and_buffers_are_not_parameters():
    layer = nn.BatchNorm2d(4)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in layer.named_buffers()] == [
        "running_mean", "running_var", "num_batches_tracked"]
    assert list(layer.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones(4))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(4))
    np.testing.assert_array_equal(layer.running_var, np.ones(4))


def test_affine_false_has_no_parameters():
    layer = nn.BatchNorm1d(3, affine=False)
    assert layer.weight is None and list(layer.parameters()) == []
    assert list(layer.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


def test_a_float32_batch_norm_keeps_float32_throughout():
    layer = nn.BatchNorm2d(2, dtype=np.float32)
    out = layer(batch((2, 2, 3, 3)))  # a float64 array is cast to the layer's dtype
    assert out.dtype == layer.running_mean.dtype == layer.running_var.dtype == np.float32
    assert layer.weight.dtype == np.float32 and layer.num_batches_tracked.dtype == np.int64


def test_save_and_load_restore_the_running_statistics_and_the_int64_count(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    for seed in range(3):
        model(batch((5, 3), seed))
    nn.save(model, tmp_path / "model.npz")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    nn.load(fresh, tmp_path / "model.npz")
    assert fresh[1].num_batches_tracked.dtype == np.int64
    assert fresh[1].num_batches_tracked == 3
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name], array, err_msg=name)
    x = batch((2, 3), 7)
    np.testing.assert_array_equal(fresh.eval()(x).numpy(), model.eval()(x).numpy())


def test_loading_a_state_dict_keeps_the_buffers_in_use():
    layer = nn.BatchNorm1d(2)
    running_mean = layer.running_mean
    state = layer.state_dict()
    state["running_mean"] = np.array([5.0, 6.0])
    layer.load_state_dict(state)
    assert layer.running_mean is running_mean
    np.testing.assert_array_equal(layer.running_mean, [5.0, 6.0])


# -- BatchNorm: errors and descriptions ------------------------------------------------------
@pytest.mark.parametrize("layer, shape, message", [
    (nn.BatchNorm1d(3), (2, 3, 4, 5),
     r"BatchNorm1d\(3\) expects input of shape \(N, C\) or \(N, C, L\) with C = 3, got "
     r"\(2, 3, 4, 5\)"),
    (nn.BatchNorm1d(3), (6,), r"got \(6,\)"),
    (nn.BatchNorm1d(3), (4, 2), r"with C = 3, got \(4, 2\)"),
    (nn.BatchNorm2d(3), (4, 3, 5),
     r"BatchNorm2d\(3\) expects input of shape \(N, C, H, W\) with C = 3, got \(4, 3, 5\)"),
    (nn.BatchNorm2d(3), (2, 4, 5, 5), r"with C = 3, got \(2, 4, 5, 5\)"),
])
def test_batch_norm_refuses_a_wrong_rank_or_channel_count_naming_the_shapes(layer, shape,
                                                                           message):
    with pytest.raises(ValueError, match=message):
        layer(np.ones(shape))


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.BatchNorm1d(0), ValueError, "BatchNorm1d num_features must be a positive"),
    (lambda: nn.BatchNorm2d(2, eps=-1e-5), ValueError, "BatchNorm2d eps must be > 0"),
    (lambda: nn.BatchNorm1d(2, eps=0), ValueError, r"BatchNorm1d eps must be > 0 \(with 0 a "),
    (lambda: nn.LayerNorm(2, eps=0.0), ValueError, "LayerNorm eps must be > 0"),
    (lambda: nn.BatchNorm2d(2, momentum=1.5), ValueError, "momentum must be between 0 and 1"),
    (lambda: nn.BatchNorm1d(2, momentum="0.1"), TypeError, "momentum must be a real number"),
    (lambda: nn.BatchNorm1d(2, dtype=np.int64), TypeError, "floating"),
])
def test_batch_norm_refuses_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_batch_norm_describes_itself():
    assert nn.BatchNorm2d(8).describe() == "BatchNorm2d(8)"
    assert nn.BatchNorm1d(4, affine=False, track_running_stats=False).describe() == (
        "BatchNorm1d(4, no affine, no running stats)")


# -- LayerNorm -------------------------------------------------------------------------------
@pytest.mark.parametrize("normalized_shape, axes", [(5, (-1,)), ((4, 5), (-2, -1))])
def test_layer_norm_normalises_each_example_over_its_last_axes(normalized_shape, axes):
    layer = nn.LayerNorm(normalized_shape)
    x = batch((2, 3, 4, 5))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    np.testing.assert_allclose(layer(x).numpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-12)


def test_layer_norm_is_the_same_in_training_and_eval():
    layer = nn.LayerNorm(4)
    x = batch((3, 4))
    np.testing.assert_array_equal(layer.eval()(x).numpy(), layer.train()(x).numpy())


def test_layer_norm_parameters_follow_elementwise_affine_and_bias():
    assert [(n, p.shape) for n, p in nn.LayerNorm((2, 3)).named_parameters()] == [
        ("weight", (2, 3)), ("bias", (2, 3))]
    assert [n for n, _ in nn.LayerNorm(3, bias=False).named_parameters()] == ["weight"]
    assert list(nn.LayerNorm(3, elementwise_affine=False).parameters()) == []
    assert nn.LayerNorm(3, dtype=np.float32)(batch((2, 3))).dtype == np.float32


def test_layer_norm_with_a_mismatched_input_names_the_shapes():
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\) needs an input of shape "
                                         r"\(\*, 4\), got \(3, 5\)"):
        nn.LayerNorm(4)(np.ones((3, 5)))


@pytest.mark.parametrize("normalized_shape, error, message", [
    ((), ValueError, "at least one axis"), (0, ValueError, "must be a positive integer"),
    ((3, -1), ValueError, "must be a positive integer"), (2.5, TypeError, "int or a sequence"),
    ("ab", TypeError, "int or a sequence"),
])
def test_layer_norm_refuses_a_bad_normalized_shape(normalized_shape, error, message):
    with pytest.raises(error, match=message):
        nn.LayerNorm(normalized_shape)


def test_layer_norm_describes_its_shape():
    assert nn.LayerNorm(10).describe() == "LayerNorm(10)"
    assert nn.LayerNorm((4, 5), elementwise_affine=False).describe() == "LayerNorm(4×5, no affine)"
    assert nn.LayerNorm(3, bias=False).describe() == "LayerNorm(3, no bias)"
