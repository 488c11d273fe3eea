"""conv2d, max_pool2d and avg_pool2d beyond the op table: argument errors that name what is
wrong, torch's choices where windows tie or hold nan or -inf, empty batches, dtypes, and the
columns that conv2d keeps for its backward."""

import re

import numpy as np
import pytest

import autograd as ag
from autograd import Value


def raises_naming(error: type[Exception], *parts: str):
    """pytest.raises that also checks every part appears in the message, verbatim."""
    return pytest.raises(error, match="(?s)" + "".join(f"(?=.*{re.escape(p)})" for p in parts))


def images(*shape: int, seed: int = 0) -> Value:
    return Value(np.random.default_rng(seed).standard_normal(shape))


# -- conv2d's argument errors -----------------------------------------------------------------
def test_conv2d_names_an_input_that_is_not_a_batch_of_images():
    with raises_naming(ValueError, "(N, C, H, W)", "(3, 5, 5)", "x.reshape(1, *x.shape)"):
        ag.conv2d(images(3, 5, 5), images(4, 3, 3, 3))


def test_conv2d_names_a_weight_that_is_not_4d():
    with raises_naming(ValueError, "weight", "(4, 27)"):
        ag.conv2d(images(2, 3, 5, 5), images(4, 27))


def test_conv2d_names_input_channels_that_do_not_match_the_weight_and_groups():
    with raises_naming(ValueError, "(2, 2, 1, 1)", "groups=2", "expects 4 input channels",
                       "(1, 3, 3, 3)", "has 3"):
        ag.conv2d(images(1, 3, 3, 3), images(2, 2, 1, 1), groups=2)


def test_conv2d_names_output_channels_that_groups_does_not_divide():
    with raises_naming(ValueError, "3 output channels", "groups=2"):
        ag.conv2d(images(1, 4, 3, 3), images(3, 2, 1, 1), groups=2)


def test_conv2d_names_a_kernel_larger_than_the_padded_input():
    with raises_naming(ValueError, "kernel size (5, 5)", "padded input (4, 4)", "padding (1, 1)"):
        ag.conv2d(images(1, 2, 2, 2), images(1, 2, 5, 5), padding=1)


def test_conv2d_names_the_dilated_kernel_when_dilation_makes_it_too_large():
    with raises_naming(ValueError, "kernel size (3, 3)", "(dilated: (5, 5))", "(4, 4)"):
        ag.conv2d(images(1, 1, 4, 4), images(1, 1, 3, 3), dilation=2)


def test_conv2d_rejects_an_empty_kernel():
    with raises_naming(ValueError, "(4, 3, 0, 3)", "empty kernel"):
        ag.conv2d(images(1, 3, 5, 5), Value(np.zeros((4, 3, 0, 3))))


def test_conv2d_names_a_bias_of_the_wrong_shape():
    with raises_naming(ValueError, "bias has shape (3,)", "expected (4,)"):
        ag.conv2d(images(1, 3, 5, 5), images(4, 3, 3, 3), images(3))


@pytest.mark.parametrize(("argument", "value", "error", "why"), [
    ("stride", 0, ValueError, "stride must be at least 1"),
    ("stride", (1, 2, 3), ValueError, "stride must be an int or a pair of ints"),
    ("stride", 1.5, TypeError, "stride must be an int"),
    ("stride", True, TypeError, "stride must be an int"),
    ("padding", -1, ValueError, "padding must be at least 0"),
    ("padding", (1, "1"), TypeError, "padding must be an int"),
    ("dilation", 0, ValueError, "dilation must be at least 1"),
    ("groups", 0, ValueError, "groups must be at least 1"),
    ("groups", 1.0, TypeError, "groups must be an int"),
])
def test_conv2d_rejects_bad_geometry(argument, value, error, why):
    with raises_naming(error, why):
        ag.conv2d(images(1, 3, 5, 5), images(4, 3, 3, 3), **{argument: value})


def test_conv2d_takes_numpy_integers_and_lists_as_pairs():
    x, w = images(1, 3, 7, 7), images(2, 3, 3, 3)
    expected = ag.conv2d(x, w, stride=(2, 1), padding=(1, 0)).numpy()
    got = ag.conv2d(x, w, stride=[np.int64(2), 1], padding=[1, np.int32(0)]).numpy()
    np.testing.assert_array_equal(got, expected)


# -- pooling's argument errors ----------------------------------------------------------------
@pytest.mark.parametrize("pool", [ag.max_pool2d, ag.avg_pool2d])
def test_pooling_names_padding_over_half_the_kernel(pool):
    with raises_naming(ValueError, "padding (2, 2)", "at most half", "kernel size (3, 3)"):
        pool(images(1, 1, 5, 5), 3, stride=1, padding=2)


@pytest.mark.parametrize("pool", [ag.max_pool2d, ag.avg_pool2d])
def test_pooling_names_a_window_larger_than_the_input(pool):
    with raises_naming(ValueError, "kernel size (3, 3)", "padded input (2, 2)"):
        pool(images(1, 1, 2, 2), 3)


@pytest.mark.parametrize("pool", [ag.max_pool2d, ag.avg_pool2d])
def test_pooling_names_an_input_that_is_not_a_batch_of_images(pool):
    with raises_naming(ValueError, "(N, C, H, W)", "(4, 4)"):
        pool(images(4, 4), 2)


@pytest.mark.parametrize("pool", [ag.max_pool2d, ag.avg_pool2d])
def test_pooling_rejects_an_empty_kernel(pool):
    with raises_naming(ValueError, "kernel_size must be at least 1"):
        pool(images(1, 1, 4, 4), (0, 2))


@pytest.mark.parametrize("pool", [ag.max_pool2d, ag.avg_pool2d])
def test_pooling_stride_defaults_to_the_kernel_size(pool):
    x = images(2, 3, 7, 8)
    np.testing.assert_array_equal(pool(x, (3, 2)).numpy(), pool(x, (3, 2), stride=(3, 2)).numpy())


# -- where max_pool2d's gradient goes ---------------------------------------------------------
def test_max_pool2d_gives_a_tied_windows_gradient_to_its_first_maximum_only():
    x = Value(np.array([[[[1.0, 1.0, 0.0, 2.0],
                          [1.0, 0.0, 2.0, 2.0]]]]))
    ag.max_pool2d(x, 2).backward(np.array([[[[3.0, 5.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[3.0, 0.0, 0.0, 5.0],
                                              [0.0, 0.0, 0.0, 0.0]]]])


def test_max_pool2d_of_a_window_with_nan_is_nan_and_its_last_nan_gets_the_gradient():
    nan = np.nan
    x = Value(np.array([[[[nan, 1.0, 3.0],
                          [2.0, nan, 0.0]]]]))
    out = ag.max_pool2d(x, (2, 2), stride=1)
    np.testing.assert_array_equal(out.numpy(), [[[[nan, nan]]]])
    out.backward(np.array([[[[1.0, 10.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[0.0, 0.0, 0.0], [0.0, 11.0, 0.0]]]])


def test_max_pool2d_of_a_window_of_minus_inf_passes_its_gradient_to_its_first_real_element():
    x = Value(np.full((1, 1, 2, 2), -np.inf))
    out = ag.max_pool2d(x, 2, stride=1, padding=1)  # windows reach into the -inf padding
    assert np.all(out.numpy() == -np.inf)
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.grad, [[[[4.0, 2.0], [2.0, 1.0]]]])  # as torch


def test_max_pool2d_takes_infinities_without_warnings():
    x = Value(np.array([[[[np.inf, -np.inf], [1.0, -np.inf]]]]))
    out = ag.max_pool2d(x, 2)
    out.backward(np.ones(out.shape))
    assert out.item() == np.inf
    np.testing.assert_array_equal(x.grad, [[[[1.0, 0.0], [0.0, 0.0]]]])


# -- avg_pool2d --------------------------------------------------------------------------------
def test_avg_pool2d_counts_the_padding_in_every_mean():
    out = ag.avg_pool2d(Value(np.ones((1, 1, 2, 2))), 2, stride=1, padding=1)
    np.testing.assert_array_equal(out.numpy(), [[[[0.25, 0.5, 0.25],
                                                   [0.5, 1.0, 0.5],
                                                   [0.25, 0.5, 0.25]]]])


# -- shapes and dtypes --------------------------------------------------------------------------
@pytest.mark.parametrize("op", [
    lambda x: ag.conv2d(x, Value(np.ones((4, 3, 3, 3))), Value(np.ones(4)), padding=1),
    lambda x: ag.max_pool2d(x, 2),
    lambda x: ag.avg_pool2d(x, 2),
], ids=["conv2d", "max_pool2d", "avg_pool2d"])
def test_an_empty_batch_gives_an_empty_output_and_gradient(op):
    x = Value(np.zeros((0, 3, 5, 5)))
    out = op(x)
    assert out.shape[0] == 0
    out.backward(np.zeros(out.shape))
    assert x.grad.shape == (0, 3, 5, 5)


def test_conv2d_of_an_empty_batch_has_zero_weight_and_bias_gradients():
    w, b = Value(np.ones((4, 3, 3, 3))), Value(np.ones(4))
    out = ag.conv2d(np.zeros((0, 3, 5, 5)), w, b)
    out.backward(np.zeros(out.shape))
    np.testing.assert_array_equal(w.grad, np.zeros((4, 3, 3, 3)))
    np.testing.assert_array_equal(b.grad, np.zeros(4))


def test_conv2d_casts_an_integer_image_to_the_weights_dtype():
    w = Value(np.ones((2, 1, 2, 2), dtype=np.float32))
    out = ag.conv2d(np.arange(9).reshape(1, 1, 3, 3), w)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy()[0, 0], [[8.0, 12.0], [20.0, 24.0]])


def test_pooling_a_list_gives_a_float64_constant():
    out = ag.max_pool2d([[[[1, 2], [3, 4]]]], 2)
    assert out.dtype == np.float64
    assert out.item() == 4.0
    assert not out.requires_grad


# -- the columns conv2d keeps for its backward --------------------------------------------------
def conv_and_gradients(x: Value, w: Value, b: Value, g: np.ndarray) -> list[np.ndarray]:
    for v in (x, w, b):
        v.grad = None
    out = ag.conv2d(x, w, b, padding=1)
    out.backward(g)
    return [v.grad for v in (x, w, b) if v.requires_grad]


def test_a_second_backward_through_conv2d_gives_the_same_gradients():
    x, w, b = images(2, 3, 5, 5), images(4, 3, 3, 3, seed=1), images(4, seed=2)
    out = ag.conv2d(x, w, b, padding=1)
    g = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(g)
    first = [x.grad, w.grad, b.grad]
    for v in (x, w, b):
        v.grad = None
    out.backward(g)  # the kept columns went to the first backward: built again
    for got, expected in zip([x.grad, w.grad, b.grad], first, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_conv2d_gradients_are_the_same_whichever_inputs_need_them():
    g = np.random.default_rng(3).standard_normal((2, 4, 5, 5))
    every = conv_and_gradients(images(2, 3, 5, 5), images(4, 3, 3, 3, seed=1),
                               images(4, seed=2), g)
    x_only = conv_and_gradients(images(2, 3, 5, 5), images(4, 3, 3, 3, seed=1).detach(),
                                images(4, seed=2).detach(), g)
    weight_only = conv_and_gradients(images(2, 3, 5, 5).detach(), images(4, 3, 3, 3, seed=1),
                                     images(4, seed=2).detach(), g)
    np.testing.assert_allclose(x_only[0], every[0], rtol=1e-12)
    np.testing.assert_allclose(weight_only[0], every[1], rtol=1e-12)


def test_an_infinite_weight_reaches_only_the_input_gradient_it_multiplies():
    # the input gradient over whole rows would send 0 * inf = nan everywhere: col2im instead
    x, w = images(1, 3, 5, 5), images(4, 3, 3, 3, seed=1)
    w.data[0, 0, 0, 0] = np.inf  # multiplies x[:, 0, p, q] for the output pixels (p, q) only
    ag.conv2d(x, w).backward(np.ones((1, 4, 3, 3)))
    assert np.isinf(x.grad[0, 0, :3, :3]).all()
    assert np.isfinite(x.grad[0, 1:]).all() and np.isfinite(x.grad[0, 0, 3:]).all()


def test_conv2d_keeps_no_columns_for_a_weight_that_needs_no_gradient():
    out = ag.conv2d(images(1, 2, 4, 4), images(3, 2, 3, 3).detach())
    assert out.op == "conv2d" and out._attrs[-1] is None
    kept = ag.conv2d(images(1, 2, 4, 4), images(3, 2, 3, 3))
    assert list(kept._attrs[-1]) == ["columns"]

