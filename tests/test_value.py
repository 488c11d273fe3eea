"""The Value: what it holds, its operators and methods, and how gradients land in `.grad`."""

import operator

import numpy as np
import pytest

import autograd as ag
from autograd import Value, api, no_grad


# -- what a Value holds -----------------------------------------------------------------------
def test_micrograd_style_scalar_program():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a ** 2
    c.backward()
    assert c.data == -2.0
    assert (a.grad, b.grad) == (1.0, 2.0)  # dc/da = b + 2a, dc/db = a


def test_scalar_data_and_gradients_are_python_floats():
    a = Value(2.0)
    b = (a * 3.0 + 1.0).tanh()
    b.backward()
    assert type(a.data) is float
    assert type(b.data) is float
    assert type(a.grad) is float


@pytest.mark.parametrize("data", [3, True, [1, 2], np.arange(3, dtype=np.int32),
                                  np.array([True, False]), np.uint8(7), np.int64(-2)],
                         ids=["int", "bool", "int list", "int32 array", "bool array", "uint8",
                              "int64"])
def test_ints_and_bools_become_float64(data):
    v = Value(data)
    assert v.dtype == np.float64
    np.testing.assert_array_equal(v.numpy(), np.asarray(data, dtype=np.float64))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_floating_dtypes_are_kept(dtype):
    assert Value(np.ones(3, dtype=dtype)).dtype == dtype
    assert Value(dtype(2.5)).dtype == dtype


def test_attributes_of_a_new_leaf():
    v = Value(np.zeros((2, 3)), name="w")
    assert (v.shape, v.ndim, v.size, v.dtype) == ((2, 3), 2, 6, np.float64)
    assert v.grad is None
    assert v.requires_grad is True
    assert (v.name, v.op, v.parents) == ("w", "", ())


def test_attributes_of_a_scalar():
    v = Value(1.5)
    assert (v.shape, v.ndim, v.size, v.dtype) == ((), 0, 1, np.float64)


def test_name_and_data_are_assignable():
    p = Value([1.0, 2.0])
    p.name = "p"
    (p * p).sum().backward()
    p.data -= 0.25 * p.grad
    assert p.name == "p"
    np.testing.assert_array_equal(p.data, [0.5, 1.0])


# -- conversions ------------------------------------------------------------------------------
def test_conversions_of_a_size_one_value():
    v = Value(np.array([[2.5]]))
    assert v.item() == 2.5
    assert float(v) == 2.5
    assert float(Value(np.float32(0.5))) == 0.5


def test_numpy_and_asarray_give_the_data():
    data = np.arange(6.0).reshape(2, 3)
    v = Value(data)
    np.testing.assert_array_equal(v.numpy(), data)
    np.testing.assert_array_equal(np.asarray(v), data)
    assert np.asarray(Value(2.0)).shape == ()
    assert np.asarray(v, dtype=np.float32).dtype == np.float32


def test_repr_is_short_and_readable():
    assert repr(Value(2.0)) == "Value(2.0)"
    assert repr(Value([1.0, 2.0])) == "Value([1., 2.])"
    assert repr(Value(1.0) + 1) == "Value(2.0, op='add')"
    assert repr(Value(1.0, requires_grad=False)) == "Value(1.0, requires_grad=False)"
    assert repr(Value(np.ones(2, np.float32), name="w")) == (
        "Value([1., 1.], dtype=float32, name='w')")
    assert repr(Value(np.ones((10, 10)))) == "Value(shape=(10, 10), dtype=float64)"
    assert repr(Value([[1.0, 2.0], [3.0, 4.0]])) == "Value([[1., 2.], [3., 4.]])"  # one line


def test_len_and_iteration_go_over_the_first_axis():
    v = Value(np.arange(6.0).reshape(3, 2))
    rows = list(v)
    assert len(v) == 3
    assert [r.shape for r in rows] == [(2,)] * 3
    np.testing.assert_array_equal(rows[2].numpy(), [4.0, 5.0])


# -- operators with constants on either side --------------------------------------------------
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul,
             "/": operator.truediv, "**": operator.pow}
CONSTANTS = {"int": 2, "float": 1.5, "bool": True, "numpy float64": np.float64(1.5),
             "numpy float32": np.float32(1.5), "numpy int64": np.int64(3),
             "numpy 0-d array": np.array(1.5), "numpy array": np.array([1.5, 0.5, 2.0])}


@pytest.mark.parametrize("symbol", OPERATORS)
@pytest.mark.parametrize("constant", CONSTANTS.values(), ids=CONSTANTS.keys())
@pytest.mark.parametrize("side", ["left", "right"])
def test_operator_with_a_constant_gives_a_value(symbol, constant, side):
    x = Value([0.5, 1.25, 2.0])
    apply = OPERATORS[symbol]
    out = apply(constant, x) if side == "left" else apply(x, constant)
    expected = apply(np.asarray(constant), x.data) if side == "left" else apply(
        x.data, np.asarray(constant))
    assert isinstance(out, Value)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert ag.gradcheck(lambda v: apply(constant, v) if side == "left" else apply(v, constant),
                        x)


@pytest.mark.parametrize("side", ["left", "right"])
def test_matmul_with_a_numpy_array_on_either_side(side):
    matrix = np.arange(6.0).reshape(2, 3)
    x = Value(np.array([1.0, -1.0, 2.0]) if side == "left" else np.array([1.0, -1.0]))
    out = matrix @ x if side == "left" else x @ matrix
    assert isinstance(out, Value)
    expected = matrix @ x.data if side == "left" else x.data @ matrix
    np.testing.assert_array_equal(out.numpy(), expected)


def np_softmax(x: np.ndarray) -> np.ndarray:
    return np.exp(x) / np.exp(x).sum()


# The functions of one array that the table in autograd.api binds: each needs a reference here.
ONE_ARRAY_REFERENCES = {
    "exp": np.exp, "log": np.log, "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0), "sqrt": np.sqrt, "abs": np.abs, "log1p": np.log1p,
    "sin": np.sin, "cos": np.cos, "sum": np.sum,
    "mean": np.mean, "max": np.max, "softmax": np_softmax,
    "log_softmax": lambda x: np.log(np_softmax(x)),
}
ONE_ARRAY_FUNCTIONS = [*api.ELEMENTWISE, "sum", "mean", "max", "softmax", "log_softmax"]


def test_every_function_of_the_table_is_exported():
    assert set(api.FUNCTIONS) <= set(ag.__all__)
    for name, function in api.FUNCTIONS.items():
        assert getattr(ag, name) is function


@pytest.mark.parametrize("name", ONE_ARRAY_FUNCTIONS)
def test_functions_take_plain_arrays_as_constants(name):
    data = np.array([0.5, 2.0])
    out = getattr(ag, name)(data)
    assert isinstance(out, Value)
    assert out.requires_grad is False
    np.testing.assert_allclose(out.numpy(), ONE_ARRAY_REFERENCES[name](data), rtol=1e-12)


@pytest.mark.parametrize("name", ONE_ARRAY_FUNCTIONS)
def test_each_function_is_also_a_method_recording_the_same_op(name):
    x = Value(np.array([0.5, 2.0]))
    assert getattr(x, name)().op == getattr(ag, name)(x).op != ""


def test_unary_minus_and_plus():
    x = Value([1.0, -2.0])
    np.testing.assert_array_equal((-x).numpy(), [-1.0, 2.0])
    assert +x is x


@pytest.mark.parametrize(("make", "name"), [
    (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"), (lambda a, b: a * b, "mul"),
    (lambda a, b: a / b, "div"), (lambda a, b: a ** b, "pow"), (lambda a, b: a @ b, "matmul"),
    (lambda a, b: -a, "neg"), (lambda a, b: abs(a), "abs"), (lambda a, b: a.T, "transpose"),
    (lambda a, b: a[0], "getitem"), (lambda a, b: a.reshape(-1), "reshape"),
    (lambda a, b: ag.where(a.data > 0, a, b), "where"), (lambda a, b: 2.0 - a, "sub"),
])
def test_operators_and_methods_record_their_op_name(make, name):
    a, b = Value(np.ones((2, 2))), Value(np.ones((2, 2)))
    assert make(a, b).op == name


def test_parents_are_the_inputs_in_argument_order():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)
    assert ag.stack([c, a, b]).parents == (c, a, b)


def test_a_constant_operand_becomes_a_leaf_parent_that_needs_no_grad():
    x = Value(3.0)
    left, right = (2.0 - x).parents
    assert right is x
    assert (left.data, left.requires_grad, left.op) == (2.0, False, "")


# -- shape methods ----------------------------------------------------------------------------
def test_T_reverses_all_axes_as_in_numpy():
    data = np.arange(24.0).reshape(2, 3, 4)
    assert Value(data).T.shape == (4, 3, 2)
    np.testing.assert_array_equal(Value(data).T.numpy(), data.T)
    np.testing.assert_array_equal(Value(data[0]).T.numpy(), data[0].T)


@pytest.mark.parametrize("axes", [(), ((1, 0, 2),), (1, 0, 2), ([2, 0, 1],), (-1, 0, 1)],
                         ids=["none", "tuple", "ints", "list", "negative"])
def test_transpose_forms(axes):
    data = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(Value(data).transpose(*axes).numpy(),
                                  data.transpose(*axes))


@pytest.mark.parametrize("shape", [(2, 6), ((2, 6),), ([2, 6],), (-1,), (3, -1), ((4, 3),)],
                         ids=["ints", "tuple", "list", "-1", "3, -1", "tuple 4x3"])
def test_reshape_forms(shape):
    data = np.arange(12.0).reshape(3, 4)
    x = Value(data)
    y = x.reshape(*shape)
    np.testing.assert_array_equal(y.numpy(), data.reshape(*shape))
    y.backward(np.arange(12.0).reshape(y.shape))
    np.testing.assert_array_equal(x.grad, np.arange(12.0).reshape(3, 4))


# -- indexing ---------------------------------------------------------------------------------
DATA = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize("index", [
    1, -1, (2, 3), slice(1, None), (slice(None), 0), (Ellipsis, 1), np.array([2, 0]), [2, 0],
    (np.array([0, 2]), np.array([1, 3])), DATA > 6.5, np.array([True, False, True]),
    (1, [0, 3]), np.int64(2),
], ids=["int", "negative int", "two ints", "slice", "column", "ellipsis", "int array",
        "int list", "paired int arrays", "bool mask", "row mask", "int and list", "numpy int"])
def test_indexing_value_and_gradient(index):
    x = Value(DATA)
    y = x[index]
    np.testing.assert_array_equal(y.numpy(), DATA[index])
    y.sum().backward()
    expected = np.zeros_like(DATA)
    expected[index] = 1.0
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize("index", [Value([2, 0]), Value([True, False, True]),
                                   (0, Value([1, 0])), [Value(1.0)]],
                         ids=["int Value", "bool mask Value", "in a tuple", "in a list"])
def test_a_value_as_an_index_is_refused_since_a_mask_would_read_as_positions(index):
    with pytest.raises(IndexError, match=r"cannot be an index|holds a Value"):
        Value(DATA)[index]


def test_a_float_array_as_an_index_is_refused_as_numpy_does():
    with pytest.raises(IndexError, match="integers or booleans, got dtype float64"):
        Value(DATA)[np.array([0.0, 1.0])]


def test_repeated_indices_accumulate_their_gradients():
    x = Value([10.0, 20.0, 30.0])
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 1.0, 0.0])


def test_repeated_indices_accumulate_weighted_gradients():
    x = Value(DATA)
    (x[[0, 0, 2], [1, 1, 3]] * np.array([1.0, 2.0, 4.0])).sum().backward()
    expected = np.zeros_like(DATA)
    expected[0, 1], expected[2, 3] = 3.0, 4.0
    np.testing.assert_array_equal(x.grad, expected)


# -- max and ties -----------------------------------------------------------------------------
def test_max_splits_the_gradient_evenly_between_ties():
    x = Value([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5, 0.0])


def test_max_splits_three_way_ties_in_thirds():
    x = Value([2.0, 2.0, 2.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad, [1 / 3] * 3, rtol=1e-15)


def test_max_along_an_axis_splits_ties_per_row():
    x = Value([[1.0, 5.0, 5.0], [7.0, 0.0, 1.0]])
    x.max(axis=1).backward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [2.0, 0.0, 0.0]])


# -- kinks: the subgradient PyTorch uses ------------------------------------------------------
@pytest.mark.parametrize("data", [0.0, np.zeros(2)], ids=["scalar", "tensor"])
@pytest.mark.parametrize("method", ["relu", "abs"])
def test_relu_and_abs_have_zero_gradient_at_zero(method, data):
    x = Value(data)
    getattr(x, method)().sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros_like(data))


# -- gradients in .grad -----------------------------------------------------------------------
def test_gradients_accumulate_across_backward_calls():
    x = Value([1.0, 2.0])
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_backward_twice_through_the_same_graph_accumulates():
    x = Value(3.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0


def test_setting_grad_to_none_resets_it():
    x = Value(2.0)
    (x * x).backward()
    x.grad = None
    (x * 5).backward()
    assert x.grad == 5.0


def test_leaf_gradients_never_share_memory():
    a, b = Value(np.ones(2)), Value(np.ones(2))
    (a + b).sum().backward()
    a.grad += 1  # as an optimizer might do in place
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_a_value_used_twice_gets_both_contributions():
    x = Value(3.0)
    (x * x + x).backward()
    assert x.grad == 7.0


def test_backward_with_an_explicit_gradient_for_a_tensor_output():
    x = Value([1.0, 2.0, 3.0])
    (x * x).backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])


def test_inputs_that_do_not_require_grad_get_no_gradient():
    w = Value([1.0, 2.0])
    x = Value([3.0, 4.0], requires_grad=False)
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
    assert x.grad is None


def test_a_result_of_constants_only_needs_no_grad():
    out = Value(1.0, requires_grad=False) + np.ones(2)
    assert out.requires_grad is False
    assert (out.op, out.parents) == ("", ())


# -- no_grad and detach -----------------------------------------------------------------------
def test_no_grad_records_no_graph():
    x = Value([1.0, 2.0])
    with no_grad():
        y = (x * 2).exp().sum()
    assert y.requires_grad is False
    assert (y.op, y.parents) == ("", ())
    assert y.data == pytest.approx(np.exp(2) + np.exp(4))


def test_no_grad_ends_with_its_block_even_after_an_error():
    with pytest.raises(ZeroDivisionError), no_grad():
        assert not ag.is_grad_enabled()
        raise ZeroDivisionError
    assert ag.is_grad_enabled()
    assert (Value(1.0) * 2).requires_grad


def test_nested_no_grad_restores_the_outer_mode():
    with no_grad():
        with no_grad():
            pass
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_detach_makes_a_leaf_that_stops_the_gradient():
    x = Value([1.0, 2.0])
    d = (x * 3).detach()
    assert (d.op, d.parents, d.requires_grad) == ("", (), False)
    np.testing.assert_array_equal(d.numpy(), [3.0, 6.0])
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 6.0])  # d counts as a constant


# -- dtypes through ops -----------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda x: x * 2, lambda x: 2 * x, lambda x: x / 3, lambda x: 3.0 / x, lambda x: x - 1,
    lambda x: 1.5 - x, lambda x: x + True, lambda x: x ** 2, lambda x: 2.0 ** x,
    lambda x: (x * 0.5).exp().sum() / 7,
], ids=["x*2", "2*x", "x/3", "3.0/x", "x-1", "1.5-x", "x+True", "x**2", "2.0**x", "chain"])
def test_float32_stays_float32_with_python_numbers(make):
    x = Value(np.array([0.5, 1.5], dtype=np.float32))
    out = make(x)
    out.backward(np.ones(out.shape))
    assert out.dtype == np.float32
    assert x.grad.dtype == np.float32


def test_float32_with_a_scalar_value_stays_float32_as_with_a_0d_tensor_in_pytorch():
    x = Value(np.array([0.5, 1.5], dtype=np.float32))
    s = Value(2.0)
    out = x * s
    out.sum().backward()
    assert out.dtype == x.grad.dtype == np.float32
    assert s.grad == 2.0


def test_float32_with_a_float64_array_follows_numpy_and_keeps_each_gradient_dtype():
    x32 = Value(np.ones(2, dtype=np.float32))
    x64 = Value(np.ones(2))
    out = x32 * x64
    out.sum().backward()
    assert out.dtype == np.float64
    assert (x32.grad.dtype, x64.grad.dtype) == (np.float32, np.float64)


def test_astype_converts_and_the_gradient_comes_back_in_the_original_dtype():
    x = Value(np.array([1.0, 2.0], dtype=np.float32))
    y = x.astype(np.float64)
    (y * y).sum().backward()
    assert y.dtype == np.float64
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_astype_to_a_non_float_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="floating"):
        Value([1.0]).astype(np.int32)


# -- the fused ops are one node each ----------------------------------------------------------
@pytest.mark.parametrize(("make", "name"), [
    (lambda x: x.sigmoid(), "sigmoid"), (lambda x: x.softmax(), "softmax"),
    (lambda x: x.log_softmax(), "log_softmax"),
    (lambda x: ag.mse_loss(x, np.zeros((2, 3))), "mse_loss"),
    (lambda x: ag.cross_entropy(x, [0, 2]), "cross_entropy"),
    (lambda x: ag.binary_cross_entropy_with_logits(x, np.ones((2, 3))),
     "binary_cross_entropy_with_logits"),
])
def test_stable_functions_are_one_node_whose_parent_is_the_input(make, name):
    x = Value(np.zeros((2, 3)))
    out = make(x)
    assert out.op == name
    assert out.parents[0] is x
    assert all(p.op == "" for p in out.parents)


@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_exponent_gradient_is_zero_where_the_base_is_not_positive(create_graph):
    """d(a ** b)/db = a ** b log(a) has no real value for a <= 0; it is taken as 0, with no
    warning, in a plain backward and with create_graph alike."""
    a, b = Value([-2.0, 0.0, 2.0]), Value([3.0, 2.0, 3.0])
    da, db = ag.grad((a ** b).sum(), [a, b], create_graph=create_graph)
    np.testing.assert_array_equal(da.numpy(), [12.0, 0.0, 12.0])
    np.testing.assert_allclose(db.numpy(), [0.0, 0.0, 8 * np.log(2)], rtol=1e-15)
