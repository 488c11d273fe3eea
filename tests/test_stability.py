"""Inputs of +-1000 to the stable functions: exact limits, finite gradients, no numpy warnings.

Each test runs under np.errstate(over/divide/invalid="raise"), so an overflow, a division by
zero or a nan anywhere in forward or backward raises (harmless underflow to 0 is allowed).
"""

import numpy as np
import pytest

import autograd as ag
from autograd import Value

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32])
EXTREMES = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])


@pytest.fixture(autouse=True)
def numpy_errors_raise():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        yield


def forward_and_backward(make, data: np.ndarray):
    x = Value(data)
    out = make(x)
    out.backward(np.ones(out.shape))
    assert np.all(np.isfinite(out.numpy()))
    assert np.all(np.isfinite(x.grad))
    assert out.dtype == data.dtype
    assert x.grad.dtype == data.dtype
    return out.numpy(), np.asarray(x.grad)


@DTYPES
def test_sigmoid_at_the_extremes(dtype):
    value, grad = forward_and_backward(lambda x: x.sigmoid(), EXTREMES.astype(dtype))
    s = 1 / (1 + np.exp(-1.0))
    # sigmoid(-1000) = e**-1000 is far below the smallest normal number: 0 up to that
    np.testing.assert_allclose(value, [0.0, 1 - s, 0.5, s, 1.0], rtol=1e-6,
                               atol=np.finfo(dtype).tiny)
    np.testing.assert_allclose(grad, [0.0, s * (1 - s), 0.25, s * (1 - s), 0.0], rtol=1e-6,
                               atol=np.finfo(dtype).tiny)


@DTYPES
def test_tanh_at_the_extremes(dtype):
    value, grad = forward_and_backward(lambda x: x.tanh(), EXTREMES.astype(dtype))
    t = np.tanh(1.0)
    np.testing.assert_allclose(value, [-1.0, -t, 0.0, t, 1.0], rtol=1e-6)
    np.testing.assert_allclose(grad, [0.0, 1 - t * t, 1.0, 1 - t * t, 0.0], rtol=1e-6, atol=0)


@pytest.mark.parametrize("x", [-1000.0, 1000.0])
@pytest.mark.parametrize("function", ["sigmoid", "tanh"])
def test_python_float_scalars_at_the_extremes(function, x):
    v = Value(x)
    out = getattr(v, function)()
    out.backward()
    assert type(out.data) is float
    low = {"sigmoid": 0.0, "tanh": -1.0}[function]
    assert out.data == (low if x < 0 else 1.0)
    assert v.grad == 0.0


LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0], [0.0, 0.0, 0.0]])


@DTYPES
def test_softmax_at_the_extremes(dtype):
    value, grad = forward_and_backward(lambda x: x.softmax() * np.arange(3.0).astype(dtype),
                                       LOGITS.astype(dtype))
    np.testing.assert_allclose(value, [[0, 0, 0], [0, 0.5, 1], [0, 1 / 3, 2 / 3]], rtol=1e-6)
    np.testing.assert_allclose(grad[0], 0.0, atol=0)  # saturated: no gradient at all


@DTYPES
def test_log_softmax_at_the_extremes(dtype):
    value, grad = forward_and_backward(lambda x: x.log_softmax(), LOGITS.astype(dtype))
    log_half = np.log(0.5)
    np.testing.assert_allclose(value, [[0, -2000, -1000], [-2000 + log_half, log_half, log_half],
                                       [np.log(1 / 3)] * 3], rtol=1e-6)
    # d(sum of log-softmax)/dx = 1 - C * softmax(x)
    np.testing.assert_allclose(grad, [[-2, 1, 1], [1, -0.5, -0.5], [0, 0, 0]], atol=1e-6)


@DTYPES
def test_cross_entropy_at_the_extremes(dtype):
    labels = [1, 0, 2]
    value, grad = forward_and_backward(lambda x: ag.cross_entropy(x, labels),
                                       LOGITS.astype(dtype))
    # per row: logsumexp(x) - x[label]
    np.testing.assert_allclose(value, (2000 + (2000 + np.log(2)) + np.log(3)) / 3, rtol=1e-6)
    np.testing.assert_allclose(grad, np.array([[1, -1, 0], [-1, 0.5, 0.5],
                                               [1 / 3, 1 / 3, -2 / 3]]) / 3, atol=1e-6)


@DTYPES
def test_confident_correct_cross_entropy_is_zero_not_nan(dtype):
    value, grad = forward_and_backward(lambda x: ag.cross_entropy(x, [0]),
                                       np.array([[1000.0, -1000.0]], dtype=dtype))
    assert value == 0.0
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])


@DTYPES
def test_binary_cross_entropy_with_logits_at_the_extremes(dtype):
    targets = np.array([0.0, 1.0, 0.5, 1.0, 0.0], dtype=dtype)
    value, grad = forward_and_backward(
        lambda x: ag.binary_cross_entropy_with_logits(x, targets), EXTREMES.astype(dtype))
    s = 1 / (1 + np.exp(-1.0))
    # per element: -t log(sigmoid(x)) - (1 - t) log(1 - sigmoid(x)), and sigmoid(-1) = 1 - s
    expected = (0.0 - np.log(1 - s) + np.log(2) - np.log(s) + 1000.0) / 5
    np.testing.assert_allclose(value, expected, rtol=1e-6)
    np.testing.assert_allclose(grad, np.array([0.0, -s, 0.0, s - 1, 1.0]) / 5,  # sigmoid - t
                               rtol=1e-6, atol=1e-7)


@DTYPES
def test_mse_loss_at_the_extremes(dtype):
    value, grad = forward_and_backward(lambda x: ag.mse_loss(x, np.zeros(5, dtype=dtype)),
                                       EXTREMES.astype(dtype))
    np.testing.assert_allclose(value, 2 * (1000.0 ** 2 + 1) / 5, rtol=1e-6)
    np.testing.assert_allclose(grad, 2 * EXTREMES / 5, rtol=1e-6)


@DTYPES
@pytest.mark.parametrize("make", [lambda x: x.sigmoid(), lambda x: x.tanh(),
                                  lambda x: x.softmax(axis=0), lambda x: x.log_softmax(axis=0)],
                         ids=["sigmoid", "tanh", "softmax", "log_softmax"])
def test_second_derivatives_at_the_extremes_are_finite(make, dtype):
    x = Value(EXTREMES.astype(dtype))
    (first,) = ag.grad(make(x), x, grad_outputs=np.ones(5, dtype=dtype), create_graph=True)
    (second,) = ag.grad(first.sum(), x)
    assert np.all(np.isfinite(second.numpy()))
