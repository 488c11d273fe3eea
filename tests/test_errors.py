"""Bad input gets an error that says what to change, never a silently wrong answer."""

import re

import numpy as np
import pytest

import autograd as ag
from autograd import Value


def raises_naming(error: type[Exception], *parts: str):
    """pytest.raises that also checks every part appears in the message, verbatim."""
    return pytest.raises(error, match="(?s)" + "".join(f"(?=.*{re.escape(p)})" for p in parts))


# -- mse_loss ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("pred_shape", "target_shape"),
                         [((4,), (4, 1)), ((4, 1), (4,)), ((3,), (4,)), ((2, 3), (3, 2))])
def test_mse_loss_with_different_shapes_names_both(pred_shape, target_shape):
    with raises_naming(ValueError, str(pred_shape), str(target_shape)):
        ag.mse_loss(Value(np.zeros(pred_shape)), np.zeros(target_shape))


def test_mse_loss_with_an_unknown_reduction_names_it():
    with raises_naming(ValueError, "'average'"):
        ag.mse_loss(Value([1.0]), Value([2.0]), reduction="average")


# -- cross_entropy ----------------------------------------------------------------------------
LOGITS = Value(np.zeros((3, 4)))


@pytest.mark.parametrize(("labels", "why"), [
    ([0, 4, 1], "out of range"),
    ([0, -1, 1], "out of range"),
    ([0, 1.5, 1], "whole numbers"),
    ([0.0, np.nan, 1.0], "whole numbers"),
    ([0, 1], "shape (3,)"),
    ([[0], [1], [2]], "shape (3,)"),
    (["a", "b", "c"], "integer"),
    ([True, False, True], "integer"),
])
def test_cross_entropy_rejects_bad_labels(labels, why):
    with raises_naming(ValueError, why):
        ag.cross_entropy(LOGITS, np.array(labels))


def test_cross_entropy_names_the_bad_label_and_its_position():
    with raises_naming(ValueError, "label 7 at position 2", "4 classes"):
        ag.cross_entropy(LOGITS, [0, 1, 7])


def test_cross_entropy_needs_two_dimensional_logits():
    with raises_naming(ValueError, "(N, C)", "(4,)"):
        ag.cross_entropy(Value(np.zeros(4)), [1])


# -- binary_cross_entropy_with_logits ---------------------------------------------------------
def test_bce_with_logits_with_different_shapes_names_both():
    with raises_naming(ValueError, "(3,)", "(3, 1)"):
        ag.binary_cross_entropy_with_logits(Value(np.zeros(3)), np.zeros((3, 1)))


@pytest.mark.parametrize("bad", [-0.5, 1.5, np.nan])
def test_bce_with_logits_targets_outside_the_unit_interval(bad):
    with raises_naming(ValueError, "[0, 1]"):
        ag.binary_cross_entropy_with_logits(Value(np.zeros(2)), np.array([0.5, bad]))


# -- matmul -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("shape_a", "shape_b"), [
    ((2, 3), (2, 3)), ((3,), (2,)), ((4,), (3, 2)), ((2, 3), (4,)), ((2, 3, 4), (3, 4, 5)),
])
def test_matmul_with_incompatible_shapes_names_both(shape_a, shape_b):
    with raises_naming(ValueError, str(shape_a), str(shape_b)):
        Value(np.ones(shape_a)) @ Value(np.ones(shape_b))


def test_matmul_error_names_the_batch_shapes_when_they_do_not_broadcast():
    with raises_naming(ValueError, "batch", "(2,)", "(3,)"):
        Value(np.ones((2, 3, 4))) @ Value(np.ones((3, 4, 5)))


def test_matmul_with_a_scalar_names_both_shapes():
    with raises_naming(ValueError, "()", "(2, 2)"):
        Value(2.0) @ Value(np.ones((2, 2)))


def test_matmul_error_from_a_numpy_array_on_the_left():
    with raises_naming(ValueError, "(2, 3)", "(2, 3)"):
        np.ones((2, 3)) @ Value(np.ones((2, 3)))


# -- Value data -------------------------------------------------------------------------------
@pytest.mark.parametrize("data", ["1.0", b"1", None, np.array([1.0, "a"], dtype=object),
                                  np.array(["a", "b"]), ["a"], 1 + 2j, object()],
                         ids=["str", "bytes", "None", "object array", "str array", "str list",
                              "complex", "object"])
def test_non_numeric_value_data_is_a_type_error(data):
    with pytest.raises(TypeError):
        Value(data)


def test_value_of_a_value_is_a_type_error_pointing_to_detach():
    with raises_naming(TypeError, "detach"):
        Value(Value(1.0))


# -- backward and conversions -----------------------------------------------------------------
def test_backward_on_a_non_scalar_without_grad_says_it_is_not_a_scalar():
    y = Value([1.0, 2.0]) * 2
    with raises_naming(RuntimeError, "scalar", "(2,)"):
        y.backward()


def test_backward_with_a_grad_of_the_wrong_shape_names_both_shapes():
    y = Value([1.0, 2.0]) * 2
    with raises_naming(ValueError, "(3,)", "(2,)"):
        y.backward(np.ones(3))


def test_backward_through_a_constant_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Value(1.0, requires_grad=False) * 2).backward()


def test_float_of_a_value_with_more_than_one_element():
    with raises_naming(TypeError, "size 1", "(2,)"):
        float(Value([1.0, 2.0]))


def test_item_of_a_value_with_more_than_one_element():
    with raises_naming(ValueError, "size 1", "(2, 2)"):
        Value(np.ones((2, 2))).item()


def test_truth_value_of_a_value_with_more_than_one_element_is_ambiguous():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Value([1.0, 2.0]))


# -- shapes, axes and indices -----------------------------------------------------------------
def test_reshape_to_a_different_size():
    with pytest.raises(ValueError):
        Value(np.ones((2, 3))).reshape(4, 2)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_reduction_over_an_axis_out_of_range_names_it(reduce):
    with raises_naming(ValueError, "axis 2", "2-d"):
        getattr(Value(np.ones((2, 3))), reduce)(axis=2)


def test_transpose_axes_that_are_not_a_permutation():
    with raises_naming(ValueError, "permutation"):
        Value(np.ones((2, 3))).transpose(0, 0)


def test_indexing_with_a_non_integer_float_array():
    with pytest.raises(IndexError, match="integers"):
        Value(np.ones(3))[np.array([0.5])]


def test_indexing_a_scalar():
    with pytest.raises(IndexError):
        Value(1.0)[0]


def test_max_of_an_empty_value():
    with pytest.raises(ValueError, match="empty"):
        Value(np.ones((0,))).max()


def test_broadcast_to_an_incompatible_shape_names_both():
    with raises_naming(ValueError, "(3,)", "(2, 4)"):
        ag.broadcast_to(Value(np.ones(3)), (2, 4))


def test_concat_of_shapes_that_differ_off_the_axis_names_both():
    with raises_naming(ValueError, "(2, 3)", "(2, 4)"):
        ag.concat([Value(np.ones((2, 3))), Value(np.ones((2, 4)))], axis=0)


def test_stack_of_different_shapes_names_both():
    with raises_naming(ValueError, "(2,)", "(3,)"):
        ag.stack([Value(np.ones(2)), Value(np.ones(3))])


def test_linear_with_a_mismatched_weight_names_both_shapes():
    with raises_naming(ValueError, "(4, 3)", "(2, 5)"):
        ag.linear(Value(np.ones((4, 3))), Value(np.ones((2, 5))))


def test_linear_with_a_mismatched_bias_names_its_shape():
    with raises_naming(ValueError, "(3,)", "(2,)"):
        ag.linear(Value(np.ones((4, 3))), Value(np.ones((2, 3))), Value(np.ones(3)))


# -- grad -------------------------------------------------------------------------------------
def test_grad_with_respect_to_a_constant():
    x = Value(1.0, requires_grad=False)
    with pytest.raises(ValueError, match="require grad"):
        ag.grad(Value(2.0) * x, x)


def test_grad_with_too_few_grad_outputs():
    x = Value(1.0)
    with raises_naming(ValueError, "1 grad_outputs", "2 outputs"):
        ag.grad([x * 2, x * 3], x, grad_outputs=[1.0])
