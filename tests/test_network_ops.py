"""dropout, layer_norm, batch_norm, embedding and one_hot beyond the op table: running
statistics, masks and seeds, argument errors, and stability at +-1000."""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Value
from autograd.network_ops import ONE_HOT_ROWS, scatter_rows


def torch_or_skip():
    return pytest.importorskip("torch")


# -- batch_norm's running statistics ----------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 5)])
def test_batch_norm_updates_running_statistics_in_place_as_torch_across_three_steps(shape):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    running_mean, running_var = np.zeros(3), np.ones(3)  # never reassigned: updated in place
    torch_mean, torch_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for _ in range(3):
        x = rng.normal(2.0, 3.0, size=shape)
        out = ag.batch_norm(Value(x), running_mean, running_var, training=True, momentum=0.3)
        expected = torch.nn.functional.batch_norm(torch.tensor(x), torch_mean, torch_var,
                                                  training=True, momentum=0.3)
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(running_mean, torch_mean.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(running_var, torch_var.numpy(), rtol=1e-12)
    x = rng.normal(size=shape)
    evaluated = ag.batch_norm(x, running_mean, running_var)
    expected = torch.nn.functional.batch_norm(torch.tensor(x), torch_mean, torch_var)
    np.testing.assert_allclose(evaluated.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_batch_norm_running_variance_is_unbiased_and_normalising_variance_biased():
    x = np.array([[1.0], [2.0], [4.0], [9.0]])
    running_mean, running_var = np.zeros(1), np.zeros(1)
    out = ag.batch_norm(x, running_mean, running_var, training=True, momentum=1.0, eps=0.0)
    np.testing.assert_allclose(running_mean, [4.0])
    np.testing.assert_allclose(running_var, [np.var(x, ddof=1)])
    np.testing.assert_allclose(out.numpy(), (x - 4.0) / np.std(x))


def test_batch_norm_in_evaluation_leaves_running_statistics_unchanged():
    running_mean, running_var = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    ag.batch_norm(np.ones((3, 2)), running_mean, running_var, training=False)
    np.testing.assert_array_equal(running_mean, [0.5, -1.0])
    np.testing.assert_array_equal(running_var, [2.0, 0.5])


def test_batch_norm_evaluation_graph_keeps_the_statistics_it_used():
    """A later training step updates the running arrays in place; an evaluation graph built
    before must still differentiate the function it computed."""
    running_mean, running_var = np.zeros(2), np.full(2, 4.0)
    x = Value(np.array([[1.0, 2.0], [3.0, 5.0]]))
    out = ag.batch_norm(x, running_mean, running_var, eps=0.0)
    ag.batch_norm(np.array([[9.0, 9.0], [7.0, 1.0]]), running_mean, running_var, training=True)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 2), 0.5))


def test_batch_norm_accepts_a_value_holding_the_running_statistics():
    running_mean = Value(np.zeros(2), requires_grad=False)
    running_var = Value(np.ones(2), requires_grad=False)
    ag.batch_norm(np.array([[1.0, 2.0], [3.0, 6.0]]), running_mean, running_var,
                  training=True, momentum=0.5)
    np.testing.assert_allclose(running_mean.data, [1.0, 2.0])


def test_batch_norm_of_float32_input_with_float64_running_statistics_stays_float32():
    running_mean, running_var = np.zeros(2), np.ones(2)
    x = Value(np.arange(8, dtype=np.float32).reshape(4, 2))
    for training in (True, False):
        out = ag.batch_norm(x, running_mean, running_var, training=training)
        out.sum().backward()
        assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert running_mean.dtype == np.float64


# -- batch_norm's errors ----------------------------------------------------------------------
def test_batch_norm_in_evaluation_needs_running_statistics():
    with pytest.raises(ValueError, match="running_mean and running_var must be given"):
        ag.batch_norm(np.ones((3, 2)), None, None)


def test_batch_norm_in_training_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3, 1, 1\)"):
        ag.batch_norm(np.ones((1, 3, 1, 1)), None, None, training=True)


def test_batch_norm_refuses_a_one_dimensional_input():
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, H, W\), got shape \(3,\)"):
        ag.batch_norm(np.ones(3), None, None, training=True)


def test_batch_norm_refuses_a_weight_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"weight has shape \(2,\), expected \(3,\)"):
        ag.batch_norm(np.ones((4, 3)), None, None, weight=np.ones(2), training=True)


def test_batch_norm_refuses_running_statistics_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"running_var has shape \(4,\), expected \(3,\)"):
        ag.batch_norm(np.ones((4, 3)), np.zeros(3), np.ones(4))


def test_batch_norm_refuses_running_statistics_it_cannot_update_in_place():
    with pytest.raises(TypeError, match="running_mean must be a float numpy array"):
        ag.batch_norm(np.ones((4, 3)), [0.0, 0.0, 0.0], np.ones(3), training=True)
    with pytest.raises(TypeError, match="running_var must be a float numpy array"):
        ag.batch_norm(np.ones((4, 3)), np.zeros(3), None, training=True)


# -- dropout ----------------------------------------------------------------------------------
def test_dropout_mask_is_reproducible_with_ag_manual_seed():
    x = np.ones((20, 30))
    ag.manual_seed(3)
    first = ag.dropout(x, 0.5).numpy()
    second = ag.dropout(x, 0.5).numpy()
    ag.manual_seed(3)
    np.testing.assert_array_equal(ag.dropout(x, 0.5).numpy(), first)
    np.testing.assert_array_equal(ag.dropout(x, 0.5).numpy(), second)
    assert not np.array_equal(first, second)  # each call draws a new mask


def test_nn_manual_seed_also_seeds_dropout():
    x = np.ones(1000)
    nn.manual_seed(5)
    first = ag.dropout(x, 0.5).numpy()
    ag.manual_seed(5)
    np.testing.assert_array_equal(ag.dropout(x, 0.5).numpy(), first)


def test_dropout_with_a_generator_draws_from_it():
    x = np.ones(1000)
    a = ag.dropout(x, 0.3, generator=np.random.default_rng(11)).numpy()
    b = ag.dropout(x, 0.3, generator=np.random.default_rng(11)).numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout_reuses_its_mask_in_backward():
    x = Value(np.random.default_rng(0).uniform(1.0, 2.0, size=(50, 40)))
    out = ag.dropout(x, 0.25)
    mask = out.numpy() / x.data  # 0 or 1 / (1 - p) where the forward dropped or kept
    out.sum().backward()
    np.testing.assert_allclose(x.grad, mask)
    out.sum().backward()  # a second backward: the same mask, not a new draw
    np.testing.assert_allclose(x.grad, 2 * mask)


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    out = ag.dropout(np.ones(200_000), 0.3, generator=np.random.default_rng(0)).numpy()
    assert set(np.unique(out)) == {0.0, 1 / 0.7}
    assert abs(np.mean(out == 0) - 0.3) < 0.005


def test_dropout_scales_kept_elements_and_their_gradients_as_torch():
    torch = torch_or_skip()
    data = np.random.default_rng(0).uniform(1.0, 2.0, size=(40, 50))
    for dtype in (np.float64, np.float32):
        scale = dtype(1 / 0.6)
        t = torch.tensor(data.astype(dtype), requires_grad=True)
        torch_out = torch.nn.functional.dropout(t, 0.4).detach().numpy()
        torch.nn.functional.dropout(t, 0.4).sum().backward()
        x = Value(data.astype(dtype))
        out = ag.dropout(x, 0.4)
        out.sum().backward()
        for result, kept in [(out.numpy(), out.numpy() != 0), (torch_out, torch_out != 0)]:
            np.testing.assert_allclose(result[kept], x.data[kept] * scale, rtol=1e-6)
        assert set(np.unique(x.grad)) == set(np.unique(t.grad.numpy())) == {0, scale}


def test_dropout_not_training_or_with_p_zero_returns_its_input_as_torch():
    torch = torch_or_skip()
    x = Value(np.arange(6.0))
    t = torch.arange(6.0)
    assert ag.dropout(x, 0.5, training=False) is x
    assert ag.dropout(x, 0.0) is x
    assert torch.nn.functional.dropout(t, 0.5, training=False) is t
    assert torch.nn.functional.dropout(t, 0.0) is t


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5"])
def test_dropout_probability_outside_zero_to_one_raises(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        ag.dropout(np.ones(3), p)


def test_dropout_refuses_a_generator_that_is_not_a_numpy_generator():
    with pytest.raises(TypeError, match="generator must be a numpy Generator"):
        ag.dropout(np.ones(3), 0.5, generator=42)


# -- layer_norm -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layer_norm_of_a_constant_row_is_zero_with_a_finite_gradient(dtype):
    x = Value(np.full((2, 5), 1000.0, dtype=dtype))
    with np.errstate(all="raise"):
        out = ag.layer_norm(x, 5)
        out.backward(np.arange(10.0).reshape(2, 5))
    np.testing.assert_array_equal(out.numpy(), np.zeros((2, 5)))
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad.sum(axis=1), 0.0, atol=1e-3)  # d/dx sums to 0 per row


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layer_norm_at_plus_minus_1000_is_exact_and_warning_free(dtype):
    x = Value(np.array([[-1000.0, 1000.0, -1000.0, 1000.0], [1000.0, 1000.5, 999.5, 1000.0]],
                       dtype=dtype))
    with np.errstate(all="raise"):
        out = ag.layer_norm(x, (4,), weight=np.full(4, 2.0), bias=np.ones(4))
        out.backward(np.ones((2, 4)))
    first_row = 1 + 2 * np.array([-1.0, 1.0, -1.0, 1.0]) / np.sqrt(1 + 1e-5 / 1e6)
    np.testing.assert_allclose(out.numpy()[0], first_row, rtol=1e-6)
    second_row = 1 + 2 * np.array([0.0, 0.5, -0.5, 0.0]) / np.sqrt(0.125 + 1e-5)
    np.testing.assert_allclose(out.numpy()[1], second_row, rtol=2e-3 if dtype == np.float32
                               else 1e-12)
    assert np.all(np.isfinite(x.grad)) and x.grad.dtype == dtype


def test_layer_norm_eps_matches_torch():
    torch = torch_or_skip()
    x = np.random.default_rng(0).normal(size=(3, 4)) * 0.1
    out = ag.layer_norm(x, [4], eps=0.01)
    expected = torch.nn.functional.layer_norm(torch.tensor(x), [4], eps=0.01)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_layer_norm_refuses_an_input_whose_last_axes_differ_from_normalized_shape():
    with pytest.raises(ValueError, match=r"normalized_shape \(3,\) needs an input of shape "
                                         r"\(\*, 3\), got \(2, 4\)"):
        ag.layer_norm(np.ones((2, 4)), 3)
    with pytest.raises(ValueError, match=r"got \(4,\)"):
        ag.layer_norm(np.ones(4), (2, 4))


def test_layer_norm_refuses_a_weight_or_bias_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"bias has shape \(3,\), expected normalized_shape "
                                         r"\(4,\)"):
        ag.layer_norm(np.ones((2, 4)), 4, weight=np.ones(4), bias=np.ones(3))


def test_layer_norm_refuses_an_empty_or_non_integer_normalized_shape():
    with pytest.raises(ValueError, match="at least one axis"):
        ag.layer_norm(np.ones((2, 4)), ())
    with pytest.raises(TypeError, match="normalized_shape must be an int or a sequence"):
        ag.layer_norm(np.ones((2, 4)), 4.0)


def test_batch_norm_at_plus_minus_1000_and_a_constant_channel_is_warning_free():
    x = Value(np.array([[1000.0, 5.0], [-1000.0, 5.0], [1000.0, 5.0], [-1000.0, 5.0]]))
    with np.errstate(all="raise"):
        out = ag.batch_norm(x, np.zeros(2), np.ones(2), training=True)
        out.backward(np.arange(8.0).reshape(4, 2))
    np.testing.assert_allclose(out.numpy()[:, 0], [1, -1, 1, -1], rtol=1e-9)
    np.testing.assert_array_equal(out.numpy()[:, 1], 0.0)
    assert np.all(np.isfinite(x.grad))


# -- embedding --------------------------------------------------------------------------------
def test_embedding_gradient_adds_up_repeated_indices():
    weight = Value(np.zeros((4, 2)))
    out = ag.embedding(np.array([[3, 1], [3, 3]]), weight)
    out.backward(np.arange(8.0).reshape(2, 2, 2))
    np.testing.assert_array_equal(weight.grad, [[0, 0], [2, 3], [0, 0], [0 + 4 + 6, 1 + 5 + 7]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scatter_rows_matches_np_add_at(dtype):
    rng = np.random.default_rng(0)
    indices = rng.integers(0, 50, size=(7, 30))
    g = rng.normal(size=(7, 30, 6)).astype(dtype)
    expected = np.zeros((60, 6), dtype=dtype)
    np.add.at(expected, indices, g)
    result = scatter_rows(g, indices, 60)
    assert result.dtype == dtype
    np.testing.assert_allclose(result, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("rows", [ONE_HOT_ROWS, ONE_HOT_ROWS + 1])  # a one-hot product, bincount
def test_scatter_rows_matches_np_add_at_either_way_it_sums(rows):
    rng = np.random.default_rng(1)
    indices = rng.integers(0, rows, size=(5, 40))
    g = rng.normal(size=(5, 40, 3))
    expected = np.zeros((rows, 3))
    np.add.at(expected, indices, g)
    np.testing.assert_allclose(scatter_rows(g, indices, rows), expected, rtol=1e-12)


def test_scatter_rows_keeps_an_infinite_gradient_in_its_own_row():
    g = np.ones((3, 2))
    g[1, 0] = np.inf
    result = scatter_rows(g, np.array([0, 2, 2]), 4)
    np.testing.assert_array_equal(result, [[1, 1], [0, 0], [np.inf, 2], [0, 0]])


def test_embedding_of_no_indices_is_empty_with_a_zero_gradient():
    weight = Value(np.ones((3, 2)))
    out = ag.embedding(np.zeros((0,), dtype=np.int64), weight)
    assert out.shape == (0, 2)
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad, np.zeros((3, 2)))


@pytest.mark.parametrize("indices", [np.array([0.0, 1.0]), np.array([True, False]),
                                     Value([0.0, 1.0])])
def test_embedding_refuses_indices_that_are_not_integers(indices):
    with pytest.raises(TypeError, match="indices must be"):
        ag.embedding(indices, np.ones((3, 2)))


def test_embedding_names_the_indices_out_of_range():
    with pytest.raises(ValueError, match=r"indices -1, 3, 7 out of range for 3 embeddings "
                                         r"\(0\.\.2\)"):
        ag.embedding(np.array([[0, 7], [3, -1], [7, 2]]), np.ones((3, 2)))


def test_embedding_refuses_a_weight_that_is_not_a_matrix():
    with pytest.raises(ValueError, match=r"weight must be \(num_embeddings, embedding_dim\)"):
        ag.embedding(np.array([0]), np.ones(3))


# -- one_hot ----------------------------------------------------------------------------------
@pytest.mark.parametrize("labels, num_classes", [([0, 2, 1], -1), ([[1], [0]], 4), (2, 3),
                                                 (np.zeros(0, dtype=np.int64), 3)])
def test_one_hot_matches_torch(labels, num_classes):
    torch = torch_or_skip()
    result = ag.one_hot(labels, num_classes)
    expected = torch.nn.functional.one_hot(torch.as_tensor(np.asarray(labels)), num_classes)
    assert type(result) is np.ndarray and result.dtype == np.int64
    np.testing.assert_array_equal(result, expected.numpy())


def test_one_hot_names_labels_out_of_range():
    with pytest.raises(ValueError, match=r"labels -2, 5 out of range for 3 classes"):
        ag.one_hot(np.array([0, 5, -2]), 3)


def test_one_hot_cannot_infer_the_number_of_classes_of_no_labels():
    with pytest.raises(ValueError, match="cannot infer num_classes"):
        ag.one_hot(np.zeros(0, dtype=np.int64))


def test_one_hot_refuses_float_labels_and_a_bad_num_classes():
    with pytest.raises(TypeError, match="labels must be integers, got dtype float64"):
        ag.one_hot(np.array([1.0]))
    with pytest.raises(ValueError, match="num_classes must be -1"):
        ag.one_hot([1], -3)
