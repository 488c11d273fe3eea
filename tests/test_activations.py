"""The activations and elementwise functions beyond the op table: stability at +-1000, torch's
choices at kinks and ties, gelu's accuracy, argument errors, where each name is bound, and the
comparisons."""

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Value
from autograd.activations import NormalCdf

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32])
EXTREMES = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
STABLE = {
    "softplus": ag.softplus,
    "silu": ag.silu,
    "elu": ag.elu,
    "gelu": ag.gelu,
    "gelu tanh": lambda x: ag.gelu(x, approximate="tanh"),
    "leaky_relu": ag.leaky_relu,
}
each_stable_function = pytest.mark.parametrize("name", STABLE)


@pytest.fixture
def numpy_errors_raise():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        yield


def gradient_of_sum(function, data):
    x = Value(data)
    function(x).sum().backward()
    return x.grad


# -- stability ------------------------------------------------------------------------------
@DTYPES
@each_stable_function
def test_finite_values_and_gradients_at_plus_minus_1000(name, dtype, numpy_errors_raise):
    x = Value(EXTREMES.astype(dtype))
    out = STABLE[name](x)
    out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(x.grad))


@DTYPES
@each_stable_function
def test_finite_second_derivatives_at_plus_minus_1000(name, dtype, numpy_errors_raise):
    x = Value(EXTREMES.astype(dtype))
    (dx,) = ag.grad(STABLE[name](x).sum(), x, create_graph=True)
    if not dx.requires_grad:  # leaky_relu: the gradient is a constant of x
        return
    (d2x,) = ag.grad(dx.sum(), x)
    assert d2x.dtype == dtype
    assert np.all(np.isfinite(d2x.numpy()))


@pytest.mark.parametrize("x", [-1000.0, 1000.0])
@each_stable_function
def test_python_float_scalars_at_plus_minus_1000(name, x, numpy_errors_raise):
    v = Value(x)
    out = STABLE[name](v)
    out.backward()
    assert type(out.data) is float and type(v.grad) is float
    assert math.isfinite(out.data) and math.isfinite(v.grad)


@DTYPES
def test_limits_at_plus_minus_1000(dtype, numpy_errors_raise):
    x = np.array([-1000.0, 1000.0], dtype=dtype)
    # -> 0 on the left (silu to -1000 sigmoid(-1000), sigmoid's ~1e-308 floor), x on the right
    for name in ["softplus", "silu", "gelu", "gelu tanh"]:
        out = STABLE[name](Value(x)).numpy()
        np.testing.assert_allclose(out, [0.0, 1000.0], rtol=1e-15, atol=1e-30, err_msg=name)
        np.testing.assert_allclose(gradient_of_sum(STABLE[name], x), [0.0, 1.0], rtol=1e-15,
                                   atol=1e-30, err_msg=name)
    np.testing.assert_array_equal(ag.elu(Value(x)).numpy(), [-1.0, 1000.0])
    np.testing.assert_array_equal(ag.leaky_relu(Value(x)).numpy(), [-10.0, 1000.0])


# -- torch's choices ------------------------------------------------------------------------
def test_leaky_relu_has_the_negative_slope_at_zero():
    grad = gradient_of_sum(lambda x: ag.leaky_relu(x, 0.2), np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(grad, [0.2, 0.2, 1.0])


def test_elu_has_slope_alpha_at_zero():
    grad = gradient_of_sum(lambda x: ag.elu(x, alpha=2.0), np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_allclose(grad, [2 * math.exp(-1), 2.0, 1.0], rtol=1e-15)


def test_clamp_passes_the_gradient_at_its_bounds_and_blocks_it_outside():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, np.nan])
    np.testing.assert_array_equal(gradient_of_sum(lambda v: v.clamp(-0.5, 0.5), x),
                                  [0.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(Value(x).clamp(-0.5, 0.5).numpy(),
                                  [-0.5, -0.5, 0.0, 0.5, 0.5, np.nan])


def test_clamp_with_min_above_max_gives_max_everywhere_and_no_gradient():
    x = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(Value(x).clamp(min=1.0, max=-1.0).numpy(), [-1.0] * 3)
    np.testing.assert_array_equal(gradient_of_sum(lambda v: v.clamp(1.0, -1.0), x), [0.0] * 3)


def test_clamp_of_a_python_float_is_a_float_with_the_same_rule():
    for data, value, grad in [(-2.0, -0.5, 0.0), (0.5, 0.5, 1.0), (0.1, 0.1, 1.0)]:
        x = Value(data)
        out = x.clamp(min=-0.5, max=0.5)
        out.backward()
        assert (type(out.data), out.data, x.grad) == (float, value, grad)
    assert math.isnan(Value(math.nan).clamp(0.0, 1.0).data)


@pytest.mark.parametrize("function", [ag.maximum, ag.minimum])
def test_maximum_and_minimum_split_the_gradient_evenly_at_a_tie(function):
    a, b = Value([1.0, 2.0, 3.0]), Value([2.0, 2.0, 1.0])
    function(a, b).sum().backward()
    larger = function is ag.maximum
    np.testing.assert_array_equal(a.grad, [0.0, 0.5, 1.0] if larger else [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(b.grad, [1.0, 0.5, 0.0] if larger else [0.0, 0.5, 1.0])


@pytest.mark.parametrize("function", [ag.maximum, ag.minimum])
def test_maximum_and_minimum_of_python_floats_split_ties_too(function):
    a, b = Value(2.0), Value(2.0)
    out = function(a, b)
    out.backward()
    assert (type(out.data), a.grad, b.grad) == (float, 0.5, 0.5)


def test_maximum_sums_a_broadcast_gradient_back_to_each_shape():
    a, b = Value(np.array([[0.0], [2.0]])), Value(np.array([1.0, 3.0, -1.0]))
    ag.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [[1.0], [2.0]])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 0.0])


def test_softplus_is_x_itself_above_the_threshold():
    x = Value([10.0, 10.1])  # beta x = 20 (not above 20: smooth) and 20.2 (linear)
    out = ag.softplus(x, beta=2.0, threshold=20.0)
    out.sum().backward()
    assert out.numpy()[1] == 10.1 and x.grad[1] == 1.0
    assert out.numpy()[0] == pytest.approx(10 + math.log1p(math.exp(-20)) / 2, rel=1e-15)
    assert x.grad[0] == pytest.approx(1 / (1 + math.exp(-20)), rel=1e-15)


def test_softplus_with_a_negative_beta_is_the_mirror_image():
    x = np.array([-3.0, 0.5, 2.0])
    np.testing.assert_allclose(ag.softplus(Value(x), beta=-1.0).numpy(),
                               -ag.softplus(Value(-x)).numpy(), rtol=1e-15)


# -- gelu's erf ------------------------------------------------------------------------------
def test_normal_cdf_has_the_relative_precision_of_math_erfc_in_both_tails():
    x = np.linspace(-37.0, 9.0, 46_001)  # down to Phi ~ 6e-300, still a normal float
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    relative = np.abs(NormalCdf.forward(x) / expected - 1)
    assert relative[x > -8].max() < 5e-14
    assert relative.max() < 1e-12  # far out, e**(-t**2) magnifies the rounding of t**2


def test_normal_cdf_of_a_float_equals_that_of_an_array():
    x = np.linspace(-12.0, 12.0, 97)
    floats = [NormalCdf.forward(float(v)) for v in x]
    np.testing.assert_allclose(NormalCdf.forward(x), floats, rtol=5e-14, atol=0)


def test_normal_cdf_at_infinities_nan_and_zero():
    out = NormalCdf.forward(np.array([-np.inf, np.inf, np.nan]))
    np.testing.assert_array_equal(out, [0.0, 1.0, np.nan])
    assert NormalCdf.forward(np.zeros(1))[0] == pytest.approx(0.5, rel=1e-14)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch_to_1e_10_on_a_dense_grid(approximate):
    torch = pytest.importorskip("torch")
    data = np.linspace(-10.0, 10.0, 20_001)
    x, t = Value(data), torch.tensor(data, requires_grad=True)
    out = ag.gelu(x, approximate=approximate)
    expected = torch.nn.functional.gelu(t, approximate=approximate)
    out.sum().backward()
    expected.sum().backward()
    # atol: where tanh rounds to -1, numpy's and torch's tanh may differ by one unit in the
    # last place, and the tanh form's derivative magnifies that to ~5e-15 (the value is ~1e-15)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)


# -- arguments ------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda x: ag.leaky_relu(x, "0.1"), TypeError, "negative_slope must be a real number"),
    (lambda x: ag.leaky_relu(x, True), TypeError, "negative_slope must be a real number"),
    (lambda x: ag.leaky_relu(x, math.inf), ValueError, "negative_slope must be a finite"),
    (lambda x: ag.elu(x, alpha=math.nan), ValueError, "alpha must be a finite number"),
    (lambda x: ag.gelu(x, approximate="erf"), ValueError, "'none' or 'tanh', got 'erf'"),
    (lambda x: ag.gelu(x, approximate=None), ValueError, "'none' or 'tanh', got None"),
    (lambda x: ag.softplus(x, beta=0), ValueError, "beta must not be 0"),
    (lambda x: ag.softplus(x, threshold=math.nan), ValueError, "threshold must be a finite"),
    (lambda x: ag.clamp(x), ValueError, "at least one of min and max"),
    (lambda x: x.clamp(min=math.nan), ValueError, "min must be a finite number"),
    (lambda x: x.clamp(max=Value(1.0)), TypeError, "max must be a real number, got Value"),
    (lambda x: ag.maximum(x, np.ones(4)), ValueError, r"shapes \(3,\) and \(4,\) do not"),
    (lambda x: ag.minimum(np.ones((2, 2)), x), ValueError, r"shapes \(2, 2\) and \(3,\)"),
])
def test_bad_arguments_raise_naming_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call(Value(np.zeros(3)))


def test_infinite_bounds_and_threshold_are_allowed():
    x = Value([-2.0, 3.0])
    np.testing.assert_array_equal(x.clamp(-math.inf, 1.0).numpy(), [-2.0, 1.0])
    np.testing.assert_allclose(ag.softplus(x, threshold=math.inf).numpy(),
                               np.log1p(np.exp([-2.0, 3.0])), rtol=1e-15)


def test_functions_take_numbers_lists_and_integer_arrays_as_constants():
    assert ag.sin(0.0).data == 0.0
    assert ag.silu([0.0, 0.0]).shape == (2,)
    x32 = Value(np.array([1.0, -2.0], dtype=np.float32))
    out = ag.maximum(x32, np.array([0, 0]))
    assert out.dtype == np.float32 and not ag.gelu(np.array([1, 2])).requires_grad
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.0])


# -- names: one graph node each, bound where torch binds them --------------------------------
@pytest.mark.parametrize("make", [
    lambda x, y: ag.leaky_relu(x), lambda x, y: ag.gelu(x), lambda x, y: ag.softplus(x),
    lambda x, y: ag.silu(x), lambda x, y: ag.elu(x), lambda x, y: x.log1p(),
    lambda x, y: x.sin(), lambda x, y: x.cos(), lambda x, y: x.clamp(max=0.0),
    lambda x, y: x.maximum(y), lambda x, y: ag.minimum(x, y)])
def test_each_function_is_one_graph_node_on_its_inputs(make):
    x, y = Value([0.5, -0.5]), Value([1.0, -2.0])
    out = make(x, y)
    assert all(parent is x or parent is y for parent in out.parents)


def test_tensor_methods_are_value_methods_and_activations_are_functions_only():
    for name in ["log1p", "sin", "cos", "clamp", "maximum", "minimum"]:  # torch.Tensor has them
        assert callable(getattr(Value, name)) and callable(getattr(ag, name)), name
    for name in ["leaky_relu", "gelu", "softplus", "silu", "elu"]:  # torch.nn.functional only
        assert not hasattr(Value, name) and callable(getattr(ag, name)), name


# -- comparisons ----------------------------------------------------------------------------
def test_comparisons_give_numpy_bool_arrays_without_gradient():
    v = Value([1.0, 2.0, 3.0])
    for result, expected in [(v < 2, [True, False, False]), (v <= 2, [True, True, False]),
                             (v > 2, [False, False, True]), (v >= 2, [False, True, True])]:
        assert type(result) is np.ndarray and result.dtype == np.bool_
        np.testing.assert_array_equal(result, expected)


def test_a_number_or_an_array_on_the_left_compares_as_well():
    v = Value([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(2 < v, [False, False, True])  # noqa: SIM300 (asks v > 2)
    np.testing.assert_array_equal(np.float32(2) >= v, [True, True, False])
    result = np.array([3.0, 2.0, 1.0]) < v  # numpy hands the operator to the Value
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, [False, False, True])


def test_comparing_two_values_broadcasts_their_data():
    result = Value([[1.0], [3.0]]) > Value([0.0, 2.0, 4.0])
    np.testing.assert_array_equal(result, [[True, False, False], [True, True, False]])


def test_a_scalar_comparison_is_a_0d_array_usable_in_if():
    result = Value(2.0) > 1
    assert type(result) is np.ndarray and result.shape == () and result
    assert not Value(math.nan) < 1


def test_a_comparison_masks_where():
    x = Value([-1.0, 2.0])
    out = ag.where(x > 0, x, 0.0)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_equality_stays_identity():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and not a == b  # noqa: SIM201
    assert (a == 1.0) is False and (np.float64(1.0) == a) is False
    assert (np.array([1.0]) == a) is False  # not an elementwise array
    assert {a: "a", b: "b"}[b] == "b"
