"""Losses: values, gradients, output shapes of every reduction, and refusals."""

import numpy as np
import pytest

import autograd as ag
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


# -- every loss: reduction, shapes, one op -----------------------------------------------------
REDUCTIONS = ("mean", "sum", "none")
ELEMENTWISE_LOSSES = {"MSELoss": "mse_loss", "L1Loss": "l1_loss", "HuberLoss": "huber_loss",
                      "BCELoss": "binary_cross_entropy",
                      "BCEWithLogitsLoss": "binary_cross_entropy_with_logits"}
CLASS_LOSSES = {"CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss"}
ALL_LOSSES = [*ELEMENTWISE_LOSSES, *CLASS_LOSSES]


def example_inputs(name: str, shape: tuple[int, ...]):
    """Inputs of loss `name`: two Values of `shape` in (0, 1) for the elementwise losses;
    scores of `shape` (class axis 1) and integer labels for the class losses."""
    rng = np.random.default_rng(0)
    if name in CLASS_LOSSES:
        labels = rng.integers(0, shape[1], (shape[0], *shape[2:]))
        return ag.Value(rng.standard_normal(shape)), labels
    return ag.Value(rng.uniform(0.1, 0.9, shape)), ag.Value(rng.uniform(0.1, 0.9, shape))


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("reduction", ["max", "Mean", None, ""])
def test_every_loss_refuses_an_unknown_reduction_when_made(name, reduction):
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\)"):
        getattr(nn, name)(reduction=reduction)


@pytest.mark.parametrize("name", [n for n in ALL_LOSSES if n != "HuberLoss"])
def test_reduction_is_keyword_only_as_torchs_first_argument_is_another(name):
    with pytest.raises(TypeError):
        getattr(nn, name)("sum")


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_every_loss_is_one_op_named_after_its_function(name, reduction):
    loss = getattr(nn, name)(reduction=reduction)(*example_inputs(name, (4, 3)))
    assert loss.op == {**ELEMENTWISE_LOSSES, **CLASS_LOSSES}[name]
    assert loss.scope == (name,)


@pytest.mark.parametrize("name", list(ELEMENTWISE_LOSSES))
@pytest.mark.parametrize(("reduction", "shape"), [("mean", ()), ("sum", ()), ("none", (2, 3, 4))])
def test_elementwise_loss_shape_is_a_scalar_or_the_inputs_shape(name, reduction, shape):
    loss = getattr(nn, name)(reduction=reduction)(*example_inputs(name, (2, 3, 4)))
    assert loss.shape == shape


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@pytest.mark.parametrize(("scores", "reduction", "shape"), [
    ((5, 3), "mean", ()), ((5, 3), "sum", ()), ((5, 3), "none", (5,)),
    ((2, 3, 4), "mean", ()), ((2, 3, 4), "none", (2, 4)),
])
def test_class_loss_shape_is_a_scalar_or_the_labels_shape(name, scores, reduction, shape):
    loss = getattr(nn, name)(reduction=reduction)(*example_inputs(name, scores))
    assert loss.shape == shape


@pytest.mark.parametrize("name", ["L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss"])
def test_elementwise_loss_with_different_shapes_names_both(name):
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 1\)"):
        getattr(nn, name)()(np.full(4, 0.5), np.full((4, 1), 0.5))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sum_is_n_times_mean_and_none_holds_every_term(reduction):
    prediction, target = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.0, 0.0, 0.0, 0.0])
    terms = np.array([0.5, 1.5, 0.125, 2.5])  # huber with delta 1
    expected = {"mean": terms.mean(), "sum": terms.sum(), "none": terms}[reduction]
    np.testing.assert_allclose(nn.HuberLoss(reduction)(prediction, target).numpy(), expected)


# -- values and gradients of the new losses ----------------------------------------------------
def test_l1_is_the_mean_absolute_error_with_gradient_sign_over_n():
    prediction = ag.Value(np.array([1.0, 2.0, 4.0, 1.0]))
    loss = nn.L1Loss()(prediction, np.array([0.0, 3.0, 1.0, 1.0]))
    assert loss.item() == pytest.approx((1 + 1 + 3 + 0) / 4)
    loss.backward()
    np.testing.assert_allclose(prediction.grad, [0.25, -0.25, 0.25, 0.0])


def test_huber_is_quadratic_inside_delta_and_linear_beyond_with_clipped_gradient():
    prediction = ag.Value(np.array([0.5, -1.0, 3.0]))
    loss = nn.HuberLoss(reduction="sum", delta=2.0)(prediction, np.zeros(3))
    assert loss.item() == pytest.approx(0.5 * 0.25 + 0.5 * 1.0 + 2.0 * (3.0 - 1.0))
    loss.backward()
    np.testing.assert_allclose(prediction.grad, [0.5, -1.0, 2.0])


def test_huber_takes_reduction_and_delta_positionally_as_torch():
    loss = nn.HuberLoss("sum", 0.5)
    assert (loss.reduction, loss.delta) == ("sum", 0.5)
    assert nn.HuberLoss().delta == 1.0


@pytest.mark.parametrize("delta", [0, -1.0, float("inf"), float("nan"), "1", True, None])
def test_huber_refuses_a_delta_that_is_not_a_positive_number(delta):
    with pytest.raises(ValueError, match="HuberLoss: delta must be"):
        nn.HuberLoss(delta=delta)


def test_nll_picks_minus_the_log_probability_of_each_label_with_gradient_minus_one_hot():
    log_probs = ag.Value(np.log(np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])))
    loss = nn.NLLLoss()(log_probs, np.array([1, 0, 0]))
    assert loss.item() == pytest.approx(-(np.log(0.8) + np.log(0.6) + np.log(0.5)) / 3)
    loss.backward()
    np.testing.assert_allclose(log_probs.grad, -np.eye(2)[[1, 0, 0]] / 3)


def test_nll_after_log_softmax_equals_cross_entropy():
    logits = np.random.default_rng(0).standard_normal((6, 4))
    labels = np.array([0, 3, 1, 1, 2, 0])
    nll = nn.NLLLoss()(ag.log_softmax(logits, axis=1), labels)
    assert nll.item() == pytest.approx(nn.CrossEntropyLoss()(logits, labels).item(), rel=1e-12)


@pytest.mark.parametrize(("labels", "message"), [([0, 3], "out of range"), ([0, 1, 1], "shape")])
def test_nll_refuses_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        nn.NLLLoss()(np.zeros((2, 3)), np.array(labels))


def test_cross_entropy_label_smoothing_targets_one_minus_s_onehot_plus_s_over_c():
    logits = ag.Value(np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]]))
    labels = np.array([0, 1])
    s = 0.3
    q = (1 - s) * np.eye(3)[labels] + s / 3
    log_p = logits.data - np.log(np.exp(logits.data).sum(axis=1, keepdims=True))
    loss = nn.CrossEntropyLoss(label_smoothing=s)(logits, labels)
    assert loss.item() == pytest.approx(-(q * log_p).sum() / 2)
    loss.backward()
    np.testing.assert_allclose(logits.grad, (np.exp(log_p) - q) / 2)


@pytest.mark.parametrize("smoothing", [-0.1, 1.5, float("nan"), "0.1", None])
def test_cross_entropy_refuses_label_smoothing_outside_zero_one(smoothing):
    with pytest.raises(ValueError, match="label_smoothing must"):
        nn.CrossEntropyLoss(label_smoothing=smoothing)


def test_bce_of_probabilities_with_gradient_p_minus_t_over_p_q_n():
    probs = ag.Value(np.array([0.8, 0.3]))
    targets = np.array([1.0, 0.5])
    loss = nn.BCELoss()(probs, targets)
    expected = -(np.log(0.8) + 0.5 * np.log(0.3) + 0.5 * np.log(0.7)) / 2
    assert loss.item() == pytest.approx(expected)
    loss.backward()
    p = probs.data
    np.testing.assert_allclose(probs.grad, (p - targets) / (p * (1 - p) * 2))


def test_bce_is_finite_at_probabilities_zero_and_one():
    loss = nn.BCELoss(reduction="none")(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    np.testing.assert_array_equal(loss.numpy(), [100.0, 100.0])


@pytest.mark.parametrize(("probs", "targets", "name"), [
    ([1.5, 0.5], [1.0, 0.0], "probs"), ([0.5, 0.5], [-0.5, 1.0], "targets"),
])
def test_bce_refuses_values_outside_zero_one(probs, targets, name):
    with pytest.raises(ValueError, match=f"{name} must lie in"):
        nn.BCELoss()(np.array(probs), np.array(targets))


def test_bce_with_logits_equals_bce_of_the_sigmoid_with_gradient_sigmoid_minus_t_over_n():
    logits = ag.Value(np.array([[2.0, -1.0], [0.0, 4.0]]))
    targets = np.array([[1.0, 0.0], [0.25, 1.0]])
    loss = nn.BCEWithLogitsLoss()(logits, targets)
    sigmoid = 1 / (1 + np.exp(-logits.data))
    assert loss.item() == pytest.approx(nn.BCELoss()(sigmoid, targets).item(), rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(logits.grad, (sigmoid - targets) / 4)


def test_bce_with_logits_is_exact_where_the_sigmoid_rounds_to_one():
    loss = nn.BCEWithLogitsLoss()(np.array([-800.0]), np.array([1.0]))
    assert loss.item() == pytest.approx(800.0)


def test_bce_with_logits_refuses_targets_outside_zero_one():
    with pytest.raises(ValueError, match="targets must lie in"):
        nn.BCEWithLogitsLoss()(np.zeros(2), np.array([0.0, 2.0]))


def test_pos_weight_weighs_the_positive_term():
    logits, targets = np.array([[0.5, -1.0]]), np.array([[1.0, 1.0]])
    loss = nn.BCEWithLogitsLoss(reduction="none", pos_weight=np.array([2.0, 3.0]))
    sigmoid = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(loss(logits, targets).numpy(),
                               -np.array([[2.0, 3.0]]) * np.log(sigmoid))


def test_pos_weight_is_a_buffer_in_the_state_dict_as_in_torch():
    loss = nn.BCEWithLogitsLoss(pos_weight=[1, 2, 3])
    assert list(loss.state_dict()) == ["pos_weight"]
    assert loss.pos_weight.dtype == np.float64
    assert list(loss.parameters()) == []
    assert nn.BCEWithLogitsLoss().state_dict() == {}


def test_pos_weight_given_as_a_value_takes_its_data():
    loss = nn.BCEWithLogitsLoss(pos_weight=ag.Value(np.array([2.0, 3.0])))
    assert isinstance(loss.pos_weight, np.ndarray)
    np.testing.assert_array_equal(loss.pos_weight, [2.0, 3.0])


def test_pos_weight_refuses_non_numbers():
    with pytest.raises(ValueError, match="pos_weight must be numbers"):
        nn.BCEWithLogitsLoss(pos_weight=["a", "b"])


def test_pos_weight_that_does_not_broadcast_names_both_shapes():
    loss = nn.BCEWithLogitsLoss(pos_weight=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\).*\(2, 3\)"):
        loss(np.zeros((2, 3)), np.zeros((2, 3)))
