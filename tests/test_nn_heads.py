"""The lecture's heads: RegressionHead's range and shapes, ClassificationHead's predictions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autograd as ag
import nn


@pytest.fixture(autouse=True)
def _seed():
    nn.manual_seed(0)


# -- RegressionHead ----------------------------------------------------------------------------
def test_regression_head_is_the_rescaled_sigmoid_of_a_linear_layer():
    head = nn.RegressionHead(2, low=25, high=346)
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    z = x @ head.linear.weight.numpy().T + head.linear.bias.numpy()
    expected = (346 - 25) / (1 + np.exp(-z[:, 0])) + 25
    np.testing.assert_allclose(head(x).numpy(), expected)


def test_regression_head_outputs_stay_in_range_even_for_huge_inputs():
    head = nn.RegressionHead(3, low=-2.0, high=5.0)
    x = np.random.default_rng(0).standard_normal((1000, 3)) * 1e4
    y = head(x).numpy()
    assert y.min() >= -2.0 and y.max() <= 5.0
    assert y.min() < -1.99 and y.max() > 4.99  # the whole range is reachable


@settings(max_examples=200, deadline=None)
@given(low=st.floats(-1e6, 1e6), width=st.floats(1e-3, 1e7),
       x=arrays(np.float64, (4, 2), elements=st.floats(-1e4, 1e4)))
def test_regression_head_range_holds_for_any_bounds_and_inputs(low, width, x):
    high = low + width
    y = nn.RegressionHead(2, low, high)(x).numpy()
    assert np.all(low <= y) and np.all(y <= high)


def test_regression_head_shape_is_n_for_one_output_and_n_k_for_several():
    assert nn.RegressionHead(4, 0, 1)(np.ones((6, 4))).shape == (6,)
    assert nn.RegressionHead(4, 0, 1, out_features=3)(np.ones((6, 4))).shape == (6, 3)
    assert nn.RegressionHead(4, 0, 1)(np.ones(4)).shape == ()


@pytest.mark.parametrize(("low", "high"), [(1.0, 1.0), (2.0, 1.0), (0.0, np.inf),
                                           (np.nan, 1.0)])
def test_regression_head_needs_finite_low_below_high(low, high):
    with pytest.raises(ValueError, match="low < high"):
        nn.RegressionHead(3, low, high)


def test_mse_against_targets_of_another_shape_raises_instead_of_broadcasting():
    head = nn.RegressionHead(2, 0, 1)
    prediction = head(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"\(5,\).*\(5, 1\)"):
        nn.MSELoss()(prediction, np.ones((5, 1)))


def test_regression_head_gradient_is_the_chain_rule_through_the_rescaling():
    head = nn.RegressionHead(1, low=-1.0, high=3.0)
    head.linear.weight.data[:] = 0.5
    head(np.array([[2.0]])).sum().backward()
    s = 1 / (1 + np.exp(-1.0))
    np.testing.assert_allclose(head.linear.bias.grad, [4.0 * s * (1 - s)])


def test_regression_head_keeps_float32():
    head = nn.RegressionHead(3, 0.0, 10.0, dtype=np.float32)
    y = head(np.ones((4, 3), dtype=np.float32))
    y.sum().backward()
    assert y.dtype == head.linear.weight.grad.dtype == np.float32


# -- ClassificationHead ------------------------------------------------------------------------
def test_classification_head_forward_returns_logits():
    head = nn.ClassificationHead(4, 3)
    x = np.random.default_rng(1).standard_normal((5, 4))
    logits = head(x)
    assert isinstance(logits, ag.Value) and logits.shape == (5, 3) and logits.op == "linear"


def test_predict_proba_rows_are_probabilities_summing_to_one():
    head = nn.ClassificationHead(4, 3)
    x = np.random.default_rng(2).standard_normal((50, 4)) * 30
    proba = head.predict_proba(x)
    assert isinstance(proba, np.ndarray) and proba.shape == (50, 3)
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    logits = head(x).numpy()
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(proba, expected / expected.sum(axis=1, keepdims=True))


def test_predict_is_the_argmax_of_predict_proba():
    head = nn.ClassificationHead(4, 5)
    x = np.random.default_rng(3).standard_normal((200, 4))
    predictions = head.predict(x)
    assert predictions.shape == (200,) and predictions.dtype.kind == "i"
    np.testing.assert_array_equal(predictions, np.argmax(head.predict_proba(x), axis=1))
    assert set(predictions) <= set(range(5))


def test_predictions_record_no_graph():
    head = nn.ClassificationHead(2, 2)
    head.predict(np.ones((3, 2)))
    assert head.linear.weight.grad is None


def test_classification_head_needs_two_classes():
    with pytest.raises(ValueError, match="at least 2 classes"):
        nn.ClassificationHead(4, 1)


def test_classification_head_keeps_float32():
    head = nn.ClassificationHead(3, 4, dtype=np.float32)
    x = np.ones((2, 3), dtype=np.float32)
    assert head(x).dtype == head.predict_proba(x).dtype == np.float32
