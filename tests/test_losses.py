"""The losses: values, reductions, arguments refused, and inputs of +-1000.

Values and gradients against torch, and gradchecks, for every loss and reduction are in the
op table (op_cases_losses.py); this file holds the behaviours a table cannot state.
"""

import re

import numpy as np
import pytest

import autograd as ag
from autograd import Value

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32])
REDUCTIONS = ("mean", "sum", "none")


def raises_naming(error: type[Exception], *parts: str):
    """pytest.raises that also checks every part appears in the message, verbatim."""
    return pytest.raises(error, match="(?s)" + "".join(f"(?=.*{re.escape(p)})" for p in parts))


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


# -- values -----------------------------------------------------------------------------------
def test_l1_loss_is_the_mean_absolute_error_with_gradient_sign_over_n():
    pred, target = Value([1.0, 2.0, 3.0]), Value([1.0, 0.0, 5.0])
    loss = ag.l1_loss(pred, target)
    loss.backward()
    assert loss.item() == pytest.approx(4 / 3)
    np.testing.assert_array_equal(pred.grad, np.array([0.0, 1.0, -1.0]) / 3)  # 0 where equal
    np.testing.assert_array_equal(target.grad, np.array([0.0, -1.0, 1.0]) / 3)


def test_huber_loss_is_quadratic_inside_delta_and_linear_beyond():
    pred = Value([0.5, 3.0, -3.0])
    loss = ag.huber_loss(pred, np.zeros(3), reduction="none", delta=2.0)
    loss.backward(np.ones(3))
    np.testing.assert_allclose(loss.numpy(), [0.125, 2.0 * (3.0 - 1.0), 4.0])
    np.testing.assert_array_equal(pred.grad, [0.5, 2.0, -2.0])  # clip(d, -delta, delta)


def test_nll_loss_is_minus_the_mean_log_probability_of_the_labels():
    log_probs = Value(np.log([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    loss = ag.nll_loss(log_probs, [1, 2])
    loss.backward()
    assert loss.item() == pytest.approx(-(np.log(0.25) + np.log(0.8)) / 2)
    np.testing.assert_array_equal(log_probs.grad, [[0, -0.5, 0], [0, 0, -0.5]])


def test_nll_loss_of_log_softmax_is_cross_entropy():
    logits = np.random.default_rng(0).normal(size=(4, 5))
    labels = [0, 4, 2, 2]
    x, y = Value(logits), Value(logits)
    nll = ag.nll_loss(x.log_softmax(axis=1), labels, reduction="sum")
    ce = ag.cross_entropy(y, labels, reduction="sum")
    nll.backward()
    ce.backward()
    assert nll.item() == pytest.approx(ce.item(), rel=1e-12)
    np.testing.assert_allclose(x.grad, y.grad, rtol=1e-12, atol=1e-15)


def test_binary_cross_entropy_of_sigmoid_is_bce_with_logits():
    logits = np.array([-3.0, -0.5, 0.0, 2.0])
    targets = np.array([0.0, 1.0, 0.3, 1.0])
    x, y = Value(logits), Value(logits)
    probs = ag.binary_cross_entropy(x.sigmoid(), targets)
    from_logits = ag.binary_cross_entropy_with_logits(y, targets)
    probs.backward()
    from_logits.backward()
    assert probs.item() == pytest.approx(from_logits.item(), rel=1e-12)
    np.testing.assert_allclose(x.grad, y.grad, rtol=1e-10)


def test_cross_entropy_label_smoothing_mixes_the_label_with_the_uniform_distribution():
    logits = np.random.default_rng(1).normal(size=(3, 4))
    labels = np.array([3, 0, 1])
    x = Value(logits)
    loss = ag.cross_entropy(x, labels, label_smoothing=0.2)
    loss.backward()
    log_p = log_softmax(logits)
    q = 0.8 * np.eye(4)[labels] + 0.2 / 4  # torch's target: (1 - s) onehot + s / C
    assert loss.item() == pytest.approx(-(q * log_p).sum() / 3, rel=1e-12)
    np.testing.assert_allclose(x.grad, (np.exp(log_p) - q) / 3, rtol=1e-12, atol=1e-15)


def test_cross_entropy_with_extra_axes_is_that_of_the_rows_moved_to_the_front():
    logits = np.random.default_rng(2).normal(size=(2, 3, 4, 5))  # (N, C, d1, d2)
    labels = np.random.default_rng(3).integers(0, 3, size=(2, 4, 5))
    x = Value(logits)
    loss = ag.cross_entropy(x, labels, reduction="none", label_smoothing=0.1)
    assert loss.shape == (2, 4, 5)
    rows = Value(np.moveaxis(logits, 1, -1).reshape(-1, 3))
    flat = ag.cross_entropy(rows, labels.reshape(-1), reduction="none", label_smoothing=0.1)
    np.testing.assert_allclose(loss.numpy().reshape(-1), flat.numpy(), rtol=1e-12)
    g = np.random.default_rng(4).uniform(size=(2, 4, 5))
    loss.backward(g)
    flat.backward(g.reshape(-1))
    np.testing.assert_allclose(np.moveaxis(x.grad, 1, -1).reshape(-1, 3), rows.grad, rtol=1e-12)


def test_cross_entropy_backward_finishes_the_forward_softmax_then_computes_it_again():
    x = Value(np.random.default_rng(5).normal(size=(4, 3)))
    loss = ag.cross_entropy(x, [0, 1, 2, 1])
    saved = loss._attrs[-1]
    assert len(saved) == 1  # the forward's softmax, kept for the first backward
    loss.backward()
    first = x.grad.copy()
    assert saved == []
    x.grad = None
    loss.backward()
    np.testing.assert_array_equal(x.grad, first)


def test_bce_with_logits_pos_weight_of_one_changes_nothing():
    x = np.random.default_rng(6).normal(size=(3, 2))
    t = np.random.default_rng(7).uniform(size=(3, 2))
    a, b = Value(x), Value(x)
    plain = ag.binary_cross_entropy_with_logits(a, t)
    weighed = ag.binary_cross_entropy_with_logits(b, t, pos_weight=np.ones(2))
    plain.backward()
    weighed.backward()
    assert weighed.item() == pytest.approx(plain.item(), rel=1e-12)
    np.testing.assert_allclose(b.grad, a.grad, rtol=1e-12)


def test_bce_with_logits_pos_weight_weighs_the_positive_term():
    x, t, w = np.array([[0.3, -1.2]]), np.array([[1.0, 0.25]]), np.array([2.0, 4.0])
    loss = ag.binary_cross_entropy_with_logits(x, t, pos_weight=w, reduction="none")
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(loss.numpy(), -(w * t * np.log(p) + (1 - t) * np.log(1 - p)),
                               rtol=1e-12)


def every_loss(reduction: str) -> dict:
    """Each loss on moderate inputs, called with `reduction`."""
    rng = np.random.default_rng(8)
    pred, target = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    probs, labels = rng.uniform(0.1, 0.9, size=(3, 4)), [0, 3, 1]
    r = reduction
    return {
        "mse_loss": ag.mse_loss(pred, target, reduction=r),
        "l1_loss": ag.l1_loss(pred, target, reduction=r),
        "huber_loss": ag.huber_loss(pred, target, reduction=r, delta=0.5),
        "nll_loss": ag.nll_loss(pred, labels, reduction=r),
        "binary_cross_entropy": ag.binary_cross_entropy(probs, probs[::-1], reduction=r),
        "binary_cross_entropy_with_logits": ag.binary_cross_entropy_with_logits(
            pred, probs, reduction=r, pos_weight=np.arange(1.0, 5.0)),
        "cross_entropy": ag.cross_entropy(pred, labels, reduction=r, label_smoothing=0.1),
    }


@pytest.mark.parametrize("name", list(every_loss("none")))
def test_mean_and_sum_reduce_the_losses_of_reduction_none(name):
    each = every_loss("none")[name].numpy()
    assert every_loss("sum")[name].item() == pytest.approx(each.sum(), rel=1e-12)
    assert every_loss("mean")[name].item() == pytest.approx(each.mean(), rel=1e-12)


# -- arguments refused ------------------------------------------------------------------------
LOSS_CALLS = {
    "mse_loss": lambda **kw: ag.mse_loss(Value(np.zeros(3)), np.zeros(3), **kw),
    "l1_loss": lambda **kw: ag.l1_loss(Value(np.zeros(3)), np.zeros(3), **kw),
    "huber_loss": lambda **kw: ag.huber_loss(Value(np.zeros(3)), np.zeros(3), **kw),
    "nll_loss": lambda **kw: ag.nll_loss(Value(np.zeros((2, 3))), [0, 1], **kw),
    "binary_cross_entropy": lambda **kw: ag.binary_cross_entropy(
        Value(np.full(3, 0.5)), np.zeros(3), **kw),
    "binary_cross_entropy_with_logits": lambda **kw: ag.binary_cross_entropy_with_logits(
        Value(np.zeros(3)), np.zeros(3), **kw),
    "cross_entropy": lambda **kw: ag.cross_entropy(Value(np.zeros((2, 3))), [0, 1], **kw),
}


@pytest.mark.parametrize("name", list(LOSS_CALLS))
def test_an_unknown_reduction_is_refused_naming_it(name):
    with raises_naming(ValueError, name, "'average'"):
        LOSS_CALLS[name](reduction="average")


@pytest.mark.parametrize("name", list(LOSS_CALLS))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_every_reduction_is_accepted(name, reduction):
    assert LOSS_CALLS[name](reduction=reduction).op == name


@pytest.mark.parametrize("function", [ag.l1_loss, ag.nll_loss, ag.binary_cross_entropy,
                                      ag.binary_cross_entropy_with_logits, ag.cross_entropy])
def test_reduction_is_keyword_only_where_torchs_third_argument_is_a_weight(function):
    with pytest.raises(TypeError):
        function(Value(np.full((2, 3), 0.5)), np.zeros((2, 3)), "sum")


@pytest.mark.parametrize("function", [ag.mse_loss, ag.l1_loss, ag.huber_loss,
                                      ag.binary_cross_entropy],
                         ids=["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy"])
@pytest.mark.parametrize(("shape_a", "shape_b"), [((4,), (4, 1)), ((4, 1), (4,)), ((2, 3), (3,))])
def test_elementwise_losses_of_different_shapes_name_both(function, shape_a, shape_b):
    with raises_naming(ValueError, function.__name__, str(shape_a), str(shape_b)):
        function(Value(np.full(shape_a, 0.5)), np.full(shape_b, 0.5))


@pytest.mark.parametrize(("labels", "why"), [
    ([0, 3], "out of range"),
    ([-1, 0], "out of range"),
    ([0.5, 1], "whole numbers"),
    ([0], "shape (2,)"),
    ([[0], [1]], "shape (2,)"),
    ([True, False], "integer"),
])
def test_nll_loss_refuses_the_labels_cross_entropy_refuses(labels, why):
    with raises_naming(ValueError, "nll_loss", why):
        ag.nll_loss(Value(np.zeros((2, 3))), np.array(labels))


@pytest.mark.parametrize("function", [ag.nll_loss, ag.cross_entropy])
def test_scores_need_a_class_axis(function):
    with raises_naming(ValueError, function.__name__, "(N, C)", "(4,)"):
        function(Value(np.zeros(4)), [1])


@pytest.mark.parametrize("function", [ag.nll_loss, ag.cross_entropy])
def test_labels_of_scores_with_extra_axes_have_their_shape_without_the_class_axis(function):
    with raises_naming(ValueError, "shape (2, 4)", "(2, 3)"):
        function(Value(np.zeros((2, 3, 4))), np.zeros((2, 3), dtype=int))


def test_a_label_out_of_range_among_extra_axes_is_named_by_its_position():
    labels = np.zeros((2, 4), dtype=int)
    labels[1, 2] = 5
    with raises_naming(ValueError, "label 5 at position (1, 2)", "3 classes"):
        ag.cross_entropy(Value(np.zeros((2, 3, 4))), labels)


@pytest.mark.parametrize("smoothing", [-0.1, 1.5, np.nan])
def test_label_smoothing_outside_the_unit_interval_is_refused(smoothing):
    with raises_naming(ValueError, "label_smoothing", "[0, 1]"):
        ag.cross_entropy(Value(np.zeros((2, 3))), [0, 1], label_smoothing=smoothing)


@pytest.mark.parametrize("which", ["probs", "targets"])
@pytest.mark.parametrize("bad", [-0.1, 1.1, np.nan])
def test_binary_cross_entropy_refuses_values_outside_the_unit_interval(which, bad):
    values = {"probs": np.array([0.5, 0.5]), "targets": np.array([0.5, 0.5])}
    values[which][1] = bad
    with raises_naming(ValueError, which, "[0, 1]"):
        ag.binary_cross_entropy(Value(values["probs"]), values["targets"])


@pytest.mark.parametrize("delta", [0.0, -1.0, np.nan, np.inf])
def test_huber_delta_must_be_positive_and_finite(delta):
    with raises_naming(ValueError, "delta"):
        ag.huber_loss(Value(np.zeros(2)), np.zeros(2), delta=delta)


@pytest.mark.parametrize("delta", ["1", None, True, Value(1.0)])
def test_huber_delta_must_be_a_number(delta):
    with raises_naming(TypeError, "delta"):
        ag.huber_loss(Value(np.zeros(2)), np.zeros(2), delta=delta)


def test_pos_weight_that_does_not_broadcast_to_the_targets_names_both_shapes():
    with raises_naming(ValueError, "pos_weight", "(2,)", "(2, 3)"):
        ag.binary_cross_entropy_with_logits(Value(np.zeros((2, 3))), np.zeros((2, 3)),
                                            pos_weight=np.ones(2))


def test_pos_weight_that_would_grow_the_targets_is_refused():
    with raises_naming(ValueError, "pos_weight", "(2, 3)", "(3,)"):
        ag.binary_cross_entropy_with_logits(Value(np.zeros(3)), np.zeros(3),
                                            pos_weight=np.ones((2, 3)))


def test_pos_weight_that_requires_grad_is_refused_as_in_torch():
    with raises_naming(ValueError, "pos_weight", "no gradient"):
        ag.binary_cross_entropy_with_logits(Value(np.zeros(3)), np.zeros(3),
                                            pos_weight=Value(np.ones(3)))


# -- inputs of +-1000 -------------------------------------------------------------------------
# Every floating-point error raises. Where a loss takes e**x (softmax, sigmoid, softplus),
# e**-1000 underflows: 0 is its correctly rounded value, numpy never warns about it, and the
# losses are built so that it is harmless; only those losses let underflow pass.
EXTREMES = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0], [0.0, 0.0, 0.0]])
LABELS = [1, 0, 2]
BINARY_TARGETS = np.array([0.0, 1.0, 0.5, 1.0, 0.0])
PROBS = np.array([0.0, 1.0, 0.5, 0.0, 1.0])  # probabilities at both ends, each target
PROB_TARGETS = np.array([1.0, 0.0, 0.5, 0.0, 1.0])

# name: (loss of the inputs and a reduction, the inputs (all differentiable), uses e**x)
AT_THE_EXTREMES = {
    "mse_loss": (lambda p, t, r: ag.mse_loss(p, t, reduction=r), (EXTREMES, EXTREMES[::-1]),
                 False),
    "l1_loss": (lambda p, t, r: ag.l1_loss(p, t, reduction=r), (EXTREMES, EXTREMES[::-1]),
                False),
    "huber_loss": (lambda p, t, r: ag.huber_loss(p, t, reduction=r),
                   (EXTREMES, EXTREMES[::-1]), False),
    "nll_loss": (lambda x, r: ag.nll_loss(x, LABELS, reduction=r), (LOGITS,), False),
    "binary_cross_entropy": (lambda p, t, r: ag.binary_cross_entropy(p, t, reduction=r),
                             (PROBS, PROB_TARGETS), False),
    "binary_cross_entropy_with_logits": (
        lambda x, t, r: ag.binary_cross_entropy_with_logits(x, t, reduction=r),
        (EXTREMES, BINARY_TARGETS), True),
    "bce_with_logits pos_weight": (
        lambda x, t, r: ag.binary_cross_entropy_with_logits(x, t, reduction=r, pos_weight=3.0),
        (EXTREMES, BINARY_TARGETS), True),
    "cross_entropy": (lambda x, r: ag.cross_entropy(x, LABELS, reduction=r), (LOGITS,), True),
    "cross_entropy label_smoothing": (
        lambda x, r: ag.cross_entropy(x, LABELS, reduction=r, label_smoothing=0.1), (LOGITS,),
        True),
}


@pytest.fixture(autouse=True)
def numpy_errors_raise():
    with np.errstate(all="raise"):
        yield


def errors_raise(uses_exp: bool) -> np.errstate:
    return np.errstate(under="ignore") if uses_exp else np.errstate()


@DTYPES
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(AT_THE_EXTREMES))
def test_every_loss_at_the_extremes_is_finite_in_value_and_gradient(name, reduction, dtype):
    loss, arrays, uses_exp = AT_THE_EXTREMES[name]
    inputs = [Value(a.astype(dtype)) for a in arrays]
    with errors_raise(uses_exp):
        out = loss(*inputs, reduction)
        out.backward(np.ones(out.shape, dtype=dtype))
    assert out.dtype == dtype
    assert np.all(np.isfinite(out.numpy()))
    for x in inputs:
        assert x.grad.dtype == dtype
        assert np.all(np.isfinite(x.grad))


@DTYPES
@pytest.mark.parametrize("name", list(AT_THE_EXTREMES))
def test_every_loss_at_the_extremes_has_finite_second_derivatives(name, dtype):
    loss, arrays, uses_exp = AT_THE_EXTREMES[name]
    inputs = [Value(a.astype(dtype)) for a in arrays]
    with errors_raise(uses_exp):
        first = ag.grad(loss(*inputs, "sum"), inputs, create_graph=True)
        projected = sum((dx * dx).sum() for dx in first)
        second = ag.grad(projected, inputs) if projected.requires_grad else ()
    for dx in second:
        assert dx.dtype == dtype
        assert np.all(np.isfinite(dx.numpy()))


def value_and_gradients(loss, *arrays: np.ndarray, uses_exp: bool = False):
    inputs = [Value(a) for a in arrays]
    with errors_raise(uses_exp):
        out = loss(*inputs)
        out.backward()
    return out.item(), *[np.asarray(x.grad) for x in inputs]


@DTYPES
def test_l1_loss_at_the_extremes(dtype):
    value, grad = value_and_gradients(lambda x: ag.l1_loss(x, np.zeros(5, dtype=dtype)),
                                      EXTREMES.astype(dtype))
    assert value == pytest.approx(2002 / 5, rel=1e-6)
    np.testing.assert_array_equal(grad, np.array([-1, -1, 0, 1, 1], dtype=dtype) / 5)


@DTYPES
def test_huber_loss_at_the_extremes(dtype):
    value, grad = value_and_gradients(lambda x: ag.huber_loss(x, np.zeros(5, dtype=dtype)),
                                      EXTREMES.astype(dtype))
    assert value == pytest.approx((999.5 + 0.5 + 0 + 0.5 + 999.5) / 5, rel=1e-6)
    np.testing.assert_array_equal(grad, np.array([-1, -1, 0, 1, 1], dtype=dtype) / 5)


@DTYPES
def test_binary_cross_entropy_at_probabilities_0_and_1_clamps_each_log_at_minus_100(dtype):
    value, grad_p, grad_t = value_and_gradients(
        lambda p, t: ag.binary_cross_entropy(p, t, reduction="sum"),
        PROBS.astype(dtype), PROB_TARGETS.astype(dtype))
    assert value == pytest.approx(100 + 100 + np.log(2), rel=1e-6)
    # d/dp = (p - t) / max(p (1 - p), 1e-12) as torch; d/dt = max(log(1-p), -100) - max(log p, -100)
    np.testing.assert_allclose(grad_p, [-1e12, 1e12, 0, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(grad_t, [100, -100, 0, 100, -100], rtol=1e-6)


@DTYPES
def test_binary_cross_entropy_of_a_saturated_sigmoid_is_finite(dtype):
    value, grad = value_and_gradients(
        lambda x: ag.binary_cross_entropy(x.sigmoid(), BINARY_TARGETS.astype(dtype)),
        EXTREMES.astype(dtype), uses_exp=True)
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))


@DTYPES
def test_cross_entropy_with_label_smoothing_at_the_extremes(dtype):
    s = 0.1
    value, grad = value_and_gradients(
        lambda x: ag.cross_entropy(x, LABELS, reduction="sum", label_smoothing=s),
        LOGITS.astype(dtype), uses_exp=True)
    # per row: logsumexp(x) - (1 - s) x[label] - s / C * sum(x)
    rows = [1000 + (1 - s) * 1000, 1000 + np.log(2) + (1 - s) * 1000 - s / 3 * 1000, np.log(3)]
    assert value == pytest.approx(sum(rows), rel=1e-6)
    softmax = np.array([[1, 0, 0], [0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    q = (1 - s) * np.eye(3)[LABELS] + s / 3
    np.testing.assert_allclose(grad, softmax - q, atol=1e-6)


@DTYPES
def test_bce_with_logits_pos_weight_at_the_extremes(dtype):
    value, grad = value_and_gradients(
        lambda x: ag.binary_cross_entropy_with_logits(x, BINARY_TARGETS.astype(dtype),
                                                      reduction="sum", pos_weight=3.0),
        EXTREMES.astype(dtype), uses_exp=True)
    s = 1 / (1 + np.exp(-1.0))  # sigmoid(1); softplus(1) = -log(1 - s), softplus(-1) = -log(s)
    # per element: 3 t softplus(-x) + (1 - t) softplus(x)
    expected = 0 - 3 * np.log(1 - s) + 2 * np.log(2) - 3 * np.log(s) + 1000
    assert value == pytest.approx(expected, rel=1e-6)
    # d/dx = (1 + 2 t) sigmoid(x) - 3 t
    np.testing.assert_allclose(grad, [0, 3 * (1 - s) - 3, -0.5, 3 * s - 3, 1], atol=1e-6)
