"""Reductions and shape ops beyond the op table: special values, torch's edge cases, errors."""

import numpy as np
import pytest

import autograd as ag
from autograd import Value

INF = np.inf


# -- logsumexp ---------------------------------------------------------------------------------
def test_logsumexp_is_stable_at_plus_and_minus_1000():
    x = Value([[1000.0, 1000.0, 999.0], [-1000.0, -1000.0, -1001.0]])
    out = x.logsumexp(1)
    out.backward(np.ones(2))
    offset = np.log(2 + np.exp(-1.0))
    np.testing.assert_allclose(out.numpy(), [1000 + offset, -1000 + offset], rtol=1e-15)
    softmax = np.array([1.0, 1.0, np.exp(-1.0)]) / (2 + np.exp(-1.0))
    np.testing.assert_allclose(x.grad, [softmax, softmax], rtol=1e-12)  # ulp(1000) ~ 1e-13


def test_logsumexp_skips_minus_inf_entries_and_gives_them_zero_gradient():
    x = Value([-INF, 0.0, -INF])
    out = x.logsumexp(0)
    out.backward()
    assert out.item() == 0.0
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


@pytest.mark.parametrize(("row", "expected"), [([-INF, -INF], -INF), ([INF, 1.0], INF),
                                               ([np.nan, 1.0], np.nan)])
def test_logsumexp_of_infinities_and_nan_is_torchs(row, expected):
    np.testing.assert_array_equal(ag.logsumexp(Value(row), 0).numpy(), expected)


def test_logsumexp_over_an_empty_axis_is_minus_inf():
    np.testing.assert_array_equal(ag.logsumexp(Value(np.zeros((0, 2))), dim=0).numpy(),
                                  [-INF, -INF])


@pytest.mark.parametrize("axis", [None, ()])
def test_logsumexp_needs_an_axis_as_in_torch(axis):
    with pytest.raises(ValueError, match="logsumexp needs the axis"):
        ag.logsumexp(Value([1.0, 2.0]), axis)


# -- var and std -------------------------------------------------------------------------------
def test_std_gradient_is_zero_where_the_variance_is_zero_as_in_torch():
    x = Value([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    x.std(1).backward(np.ones(2))
    np.testing.assert_array_equal(x.grad[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(x.grad[1], [-0.5, 0.0, 0.5])


def test_std_second_derivative_is_zero_where_the_variance_is_zero_as_in_torch():
    x = Value([2.0, 2.0, 2.0])
    (dx,) = ag.grad(x.std(), x, create_graph=True)
    (ddx,) = ag.grad(dx.sum(), x)
    np.testing.assert_array_equal(ddx.numpy(), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_and_std_of_one_element_are_nan_with_a_nan_gradient_as_in_torch(op):
    x = Value([[3.0]])
    out = getattr(x, op)(dim=1)  # n - correction = 0 and the deviation is 0: 0 / 0
    out.backward(np.ones(1))
    np.testing.assert_array_equal(out.numpy(), [np.nan])
    np.testing.assert_array_equal(x.grad, [[np.nan]])


def test_var_with_no_degrees_of_freedom_left_is_inf_as_in_torch():
    x = Value([[1.0, 2.0]])
    out = x.var(1, correction=2)  # divides by max(2 - 2, 0) = 0
    out.backward(np.ones(1))
    np.testing.assert_array_equal(out.numpy(), [INF])
    np.testing.assert_array_equal(x.grad, [[-INF, INF]])


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_and_std_of_an_empty_axis_are_nan_as_in_torch(op):
    x = Value(np.zeros((0, 3)))
    out = getattr(x, op)(0)
    out.backward(np.ones(3))
    np.testing.assert_array_equal(out.numpy(), [np.nan] * 3)
    assert x.grad.shape == (0, 3)


def test_var_of_an_empty_list_of_axes_reduces_every_axis_as_in_torch():
    data = np.arange(6.0).reshape(2, 3)
    assert Value(data).var(()).item() == pytest.approx(np.var(data, ddof=1))


def test_var_keeps_its_accuracy_far_from_zero():
    data = np.array([1.0, 2.0, 4.0])
    assert Value(data + 1e8).var().item() == pytest.approx(np.var(data, ddof=1), rel=1e-7)


def test_var_takes_keepdims_and_correction_only_by_keyword_as_torch():
    # torch's older var(x, dim, unbiased) would read a second positional as `unbiased`
    with pytest.raises(TypeError):
        Value([1.0, 2.0]).var(0, True)


@pytest.mark.parametrize("correction", [True, "1", None])
def test_var_refuses_a_correction_that_is_not_a_number(correction):
    with pytest.raises(TypeError, match="correction must be a number"):
        ag.var(Value([1.0, 2.0]), correction=correction)


# -- argmax and argmin -------------------------------------------------------------------------
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [0.0, 3.0, 0.0]])


@pytest.mark.parametrize(("axis", "keepdims", "expected"), [
    (None, False, 1), (0, False, [1, 0, 0]), (1, False, [1, 0, 1]), (-1, True, [[1], [0], [1]]),
    (None, True, [[1]]),
])
def test_argmax_returns_the_first_of_tied_maxima_as_an_int64_array(axis, keepdims, expected):
    found = ag.argmax(Value(TIES), axis=axis, keepdims=keepdims)
    assert type(found) is np.ndarray and found.dtype == np.int64
    np.testing.assert_array_equal(found, expected)
    assert found.shape == np.shape(expected)


def test_argmin_returns_the_first_of_tied_minima():
    np.testing.assert_array_equal(Value(TIES).argmin(dim=1), [0, 2, 0])


def test_argmax_and_argmin_match_torch_with_ties_and_nan():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, np.nan, 5.0, np.nan], [4.0, 4.0, -1.0, -1.0]])
    for name in ["argmax", "argmin"]:
        for axis in [None, 0, 1]:
            expected = getattr(torch, name)(torch.tensor(data), dim=axis, keepdim=True)
            found = getattr(Value(data), name)(axis, keepdims=True)
            np.testing.assert_array_equal(found, expected.numpy())


def test_argmax_of_a_0d_value_is_0():
    assert ag.argmax(Value(2.0)) == 0
    assert ag.argmax(Value(2.0), dim=-1).shape == ()


def test_argmax_along_an_empty_axis_is_an_error():
    with pytest.raises(ValueError, match=r"argmax\(\) of an empty Value of shape \(0, 3\) "
                                         r"along axis 0"):
        ag.argmax(Value(np.zeros((0, 3))), 0)


def test_argmax_along_a_full_axis_of_an_empty_value_is_empty():
    assert ag.argmax(Value(np.zeros((0, 3))), 1).shape == (0,)


def test_argmax_takes_one_axis():
    with pytest.raises(TypeError, match="one axis"):
        ag.argmax(Value(TIES), axis=(0, 1))


def as_tuple(result):
    return result if isinstance(result, tuple) else (result,)  # split gives a tuple


# -- torch's argument names --------------------------------------------------------------------
@pytest.mark.parametrize(("name", "extra"), [
    ("logsumexp", {"keepdim": True}), ("var", {"keepdim": True}), ("std", {"keepdim": True}),
    ("argmax", {"keepdim": True}), ("argmin", {"keepdim": True}), ("squeeze", {}),
    ("unsqueeze", {}), ("split", {"size": 1}),
])
def test_every_axis_argument_is_also_dim_and_every_keepdims_keepdim(name, extra):
    x = Value(np.arange(6.0).reshape(3, 2) % 4)
    by_torch_names = getattr(ag, name)(x, dim=1, **extra)
    extra = {"keepdims" if k == "keepdim" else k: v for k, v in extra.items()}
    by_our_names = getattr(ag, name)(x, axis=1, **extra)
    for ours, theirs in zip(as_tuple(by_our_names), as_tuple(by_torch_names), strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


# -- the shape functions that record an existing op --------------------------------------------
@pytest.mark.parametrize(("make", "op"), [
    (lambda x: x.squeeze(), "reshape"), (lambda x: x.unsqueeze(0), "reshape"),
    (lambda x: x.flatten(), "reshape"), (lambda x: x.view(-1), "reshape"),
    (lambda x: x.permute(2, 0, 1), "transpose"), (lambda x: x.expand(-1, 3, -1), "broadcast_to"),
    (lambda x: x.split(2, dim=2)[0], "getitem"), (lambda x: ag.pad(x, (1, 1)), "pad"),
])
def test_each_shape_function_records_one_node_of_the_op_it_is(make, op):
    x = Value(np.zeros((2, 1, 4)))
    out = make(x)
    assert out.op == op
    assert out.parents == (x,)


def test_squeeze_leaves_an_axis_that_is_not_size_1_as_torch():
    assert Value(np.zeros((2, 1))).squeeze(0).shape == (2, 1)


def test_squeeze_refuses_an_axis_named_twice():
    with pytest.raises(ValueError, match="appears twice"):
        Value(np.zeros((2, 1, 1))).squeeze((1, -2))


def test_squeeze_of_a_0d_value_takes_axis_0_and_minus_1_only():
    assert Value(1.0).squeeze(-1).shape == ()
    with pytest.raises(ValueError, match="out of range"):
        Value(1.0).squeeze(1)


def test_unsqueeze_takes_one_axis_within_ndim_plus_1():
    assert Value(np.zeros((2, 3))).unsqueeze(2).shape == (2, 3, 1)
    with pytest.raises(ValueError, match="out of range"):
        Value(np.zeros((2, 3))).unsqueeze(3)
    with pytest.raises(TypeError, match="one axis"):
        Value(np.zeros((2, 3))).unsqueeze((0, 1))


def test_squeeze_and_flatten_keep_empty_axes_as_torch():
    assert Value(np.zeros((0, 1))).squeeze().shape == (0,)
    assert Value(np.zeros((2, 0, 3))).flatten(1).shape == (2, 0)


def test_flatten_of_a_0d_value_has_shape_1():
    assert Value(2.0).flatten().shape == (1,)


def test_flatten_refuses_start_dim_after_end_dim():
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        Value(np.zeros((2, 3, 4))).flatten(2, 1)


def test_permute_refuses_what_is_not_a_permutation():
    with pytest.raises(ValueError, match=r"permute dims \(0, 0, 1\) are not a permutation"):
        Value(np.zeros((2, 3, 4))).permute(0, 0, 1)
    with pytest.raises(ValueError, match="not a permutation"):
        Value(np.zeros((2, 3, 4))).permute(1, 0)


def test_expand_refuses_minus_1_on_a_new_axis():
    with pytest.raises(ValueError, match="size -1 at position 0"):
        Value(np.zeros((3, 1))).expand(-1, 3, 4)


def test_expand_refuses_fewer_sizes_than_axes():
    with pytest.raises(ValueError, match="1 sizes given for a 2-d Value"):
        Value(np.zeros((3, 1))).expand(3)


def test_expand_refuses_a_size_that_does_not_broadcast():
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(3, 2\) to \(3, 4\)"):
        Value(np.zeros((3, 2))).expand(3, 4)


def test_view_is_reshape():
    assert ag.view is ag.reshape
    assert Value(np.zeros((2, 3))).view(3, 2).shape == (3, 2)


# -- pad ---------------------------------------------------------------------------------------
def test_pad_puts_the_last_axis_first_and_value_around():
    out = ag.pad(Value([[1.0, 2.0], [3.0, 4.0]]), (1, 0, 0, 1), value=9.0)
    np.testing.assert_array_equal(out.numpy(), [[9, 1, 2], [9, 3, 4], [9, 9, 9]])


def test_pad_with_negative_widths_crops_and_its_gradient_has_zeros_there():
    x = Value([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = ag.pad(x, (-1, 2, 0, -1))
    np.testing.assert_array_equal(out.numpy(), [[2, 3, 0, 0]])
    out.backward(np.array([[10.0, 20.0, 30.0, 40.0]]))
    np.testing.assert_array_equal(x.grad, [[0, 10, 20], [0, 0, 0]])


def test_pad_refuses_to_crop_more_than_an_axis_holds():
    with pytest.raises(ValueError, match=r"widths \(-2, -2\) crop 4 elements off axis 1, "
                                         r"which has 3"):
        ag.pad(Value(np.zeros((2, 3))), (-2, -2))


@pytest.mark.parametrize("widths", [(1,), (1, 1, 1, 1, 1, 1)])
def test_pad_needs_pairs_for_at_most_every_axis(widths):
    with pytest.raises(ValueError, match="pad needs"):
        ag.pad(Value(np.zeros((2, 3))), widths)


def test_pad_refuses_widths_that_are_not_integers():
    with pytest.raises(TypeError, match="pad widths must be integers"):
        ag.pad(Value(np.zeros((2, 3))), (1.5, 1))


def test_pad_refuses_a_value_that_is_a_value():
    with pytest.raises(TypeError, match="pad value must be a number"):
        ag.pad(Value(np.zeros(2)), (1, 1), value=Value(1.0))


def test_pad_keeps_float32_with_a_nan_fill():
    out = ag.pad(Value(np.ones(2, dtype=np.float32)), (1, 0), value=np.nan)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [np.nan, 1, 1])


# -- split -------------------------------------------------------------------------------------
def test_split_by_size_gives_a_tuple_whose_last_piece_is_shorter():
    pieces = Value(np.arange(7.0)).split(3)
    assert type(pieces) is tuple
    assert [p.shape for p in pieces] == [(3,), (3,), (1,)]


def test_split_gradients_from_every_piece_add_up_like_torchs():
    torch = pytest.importorskip("torch")
    data = np.arange(12.0).reshape(2, 6)
    x, t = Value(data), torch.tensor(data, requires_grad=True)
    for tensor in (x, t):
        pieces = tensor.split([1, 0, 5], dim=1)
        sum(w * (p * p).sum() for w, p in zip([1.0, -2.0, 3.0], pieces, strict=True)).backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_split_of_an_empty_axis_is_one_empty_piece_as_in_torch():
    assert [p.shape for p in Value(np.zeros((0, 2))).split(3)] == [(0, 2)]
    assert [p.shape for p in Value(np.zeros((0, 2))).split(0)] == [(0, 2)]


def test_split_refuses_sections_that_do_not_add_up_to_the_axis():
    with pytest.raises(ValueError, match=r"sections \[2, 4\] must be sizes >= 0 that add up "
                                         r"to 7"):
        Value(np.zeros(7)).split([2, 4])


@pytest.mark.parametrize("size", [0, -1])
def test_split_refuses_a_size_below_1(size):
    with pytest.raises(ValueError, match=f"size {size} must be positive"):
        Value(np.zeros(7)).split(size)


def test_split_needs_at_least_one_axis():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        Value(1.0).split(1)
