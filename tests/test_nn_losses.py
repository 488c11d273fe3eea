"""Losses: MSELoss and CrossEntropyLoss values, gradients and refusals."""

import numpy as np
import pytest

import nn


def test_mse_is_the_mean_of_squared_errors():
    prediction, target = np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0])
    assert nn.MSELoss()(prediction, target).item() == pytest.approx((0 + 4 + 9) / 3)
    assert nn.MSELoss(reduction="sum")(prediction, target).item() == pytest.approx(13.0)
    np.testing.assert_allclose(nn.MSELoss(reduction="none")(prediction, target).numpy(),
                               [0.0, 4.0, 9.0])


def test_mse_gradient_is_two_over_n_times_the_error():
    layer = nn.Linear(1, 1, bias=False)
    layer.weight.data[:] = 1.0
    x = np.array([[1.0], [2.0]])
    nn.MSELoss()(layer(x)[:, 0], np.array([0.0, 0.0])).backward()
    np.testing.assert_allclose(layer.weight.grad, [[(2 / 2) * (1 * 1 + 2 * 2)]])


def test_mse_with_different_shapes_names_both():
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 1\)"):
        nn.MSELoss()(np.zeros(4), np.zeros((4, 1)))


def test_mse_refuses_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="max")


def test_cross_entropy_is_the_mean_negative_log_softmax_of_the_labels():
    logits = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    labels = np.array([0, 1])
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -(log_p[0, 0] + log_p[1, 1]) / 2
    assert nn.CrossEntropyLoss()(logits, labels).item() == pytest.approx(expected)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n():
    head = nn.ClassificationHead(2, 3)
    x = np.array([[1.0, -1.0], [0.0, 2.0]])
    nn.CrossEntropyLoss()(head(x), [2, 0]).backward()
    proba = head.predict_proba(x)
    one_hot = np.eye(3)[[2, 0]]
    np.testing.assert_allclose(head.linear.bias.grad, ((proba - one_hot) / 2).sum(axis=0))


def test_cross_entropy_is_stable_for_huge_logits():
    loss = nn.CrossEntropyLoss()(np.array([[1000.0, -1000.0]]), [1])
    assert loss.item() == pytest.approx(2000.0)


@pytest.mark.parametrize(("labels", "message"), [
    ([0, 3], "out of range"),
    ([-1, 0], "out of range"),
    ([0.5, 1], "whole numbers"),
    ([0, 1, 2], "shape"),
    (["a", "b"], "integer class indices"),
])
def test_cross_entropy_refuses_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array(labels))
