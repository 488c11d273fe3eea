"""The public op API: an op written outside autograd is a first-class citizen, and check_op."""

import numpy as np
import pytest

import autograd as ag
from autograd.ops import REGISTRY


@pytest.fixture
def define():
    """Define op classes inside a test; they leave the registry when it ends."""
    names = []

    def make(name, forward, *vjps, doc="out = f(x);  d/dx = f'(x)"):
        op = type(f"Op_{name}", (ag.Op,), {"name": name, "__doc__": doc,
                                          "forward": staticmethod(forward), "vjps": vjps})
        names.append(name)
        return op

    yield make
    for name in names:
        REGISTRY.pop(name, None)


def cube(define):
    return define("cube_for_test", lambda x: x * x * x, lambda g, out, x: g * 3 * x * x,
                  doc="out = x**3;  d/dx = 3 x**2")


def test_the_built_in_ops_share_the_public_base_class():
    assert all(issubclass(op, ag.Op) for op in ag.OPS.values())


def test_a_user_op_records_one_node_with_its_name_and_its_gradient(define):
    x = ag.Value([1.0, 2.0])
    y = cube(define).apply(x)
    assert (y.op, y.parents) == ("cube_for_test", (x,))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])


def test_numbers_and_arrays_are_constant_inputs_of_a_user_op(define):
    times = define("times_for_test", lambda a, b: a * b, lambda g, out, a, b: g * b,
                   lambda g, out, a, b: g * a)
    x = ag.Value(2.0)
    y = times.apply(x, 5.0)
    y.backward()
    assert (y.data, x.grad, y.parents[1].requires_grad) == (10.0, 5.0, False)


def test_keyword_arguments_are_attributes_given_to_forward_and_every_vjp(define):
    seen = []

    def forward(x, *, slope):
        seen.append(("forward", slope))
        return x * slope

    def vjp(g, out, x, *, slope):
        seen.append(("vjp", slope))
        return g * slope

    scale = define("scale_for_test", forward, vjp)
    x = ag.Value(3.0)
    scale.apply(x, slope=-2.0).backward()
    assert x.grad == -2.0
    assert seen == [("forward", -2.0), ("vjp", -2.0)]


def test_create_graph_works_through_a_vjp_written_with_operators_and_ag_functions(define):
    softplus = define("softplus_for_test", lambda x: np.logaddexp(0.0, x),
                      lambda g, out, x: g * ag.sigmoid(x))
    x = ag.Value(0.3)
    (dx,) = ag.grad(softplus.apply(x), x, create_graph=True)
    (ddx,) = ag.grad(dx, x)
    s = 1 / (1 + np.exp(-0.3))
    assert dx.item() == pytest.approx(s) and ddx.item() == pytest.approx(s * (1 - s))


def test_gradcheck_drawing_and_explanation_treat_a_user_op_as_a_built_in(define):
    op = cube(define)
    x = ag.Value(np.array([0.5, -1.5]), name="x")
    assert ag.gradcheck(lambda v: op.apply(v), x)
    y = op.apply(x).sum()
    assert "cube_for_test" in ag.draw_graph(y).source
    table = str(ag.explain_backward(y))
    assert "cube_for_test: out = x**3;  d/dx = 3 x**2" in table


def test_defining_a_user_op_again_under_its_name_replaces_it(define):
    first = cube(define)
    second = cube(define)
    assert REGISTRY["cube_for_test"] is second is not first


def test_a_user_op_taking_a_built_in_name_is_refused(define):
    with pytest.raises(ValueError, match="'exp' is taken by a built-in op"):
        define("exp", np.exp, lambda g, out, x: g * out)


def test_a_vjp_whose_result_cannot_be_summed_back_names_the_op_and_the_input(define):
    wrong = define("wrong_shape_for_test", lambda x: x * 2.0,
                   lambda g, out, x: np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"op 'wrong_shape_for_test' for input 0 returned a "
                                         r"gradient of shape \(5, 4\).*shape \(3,\)"):
        wrong.apply(ag.Value(np.ones(3))).sum().backward()


def test_applying_a_user_op_to_the_wrong_number_of_inputs_is_a_type_error(define):
    with pytest.raises(TypeError, match="has 1 vjps but was applied to 2 inputs"):
        cube(define).apply(ag.Value(1.0), ag.Value(2.0))


def test_a_built_in_op_takes_its_attributes_through_its_function():
    assert ag.OPS["add"].apply(ag.Value(1.0), 2.0).data == 3.0
    with pytest.raises(TypeError, match=r"call ag\.sum"):
        ag.OPS["sum"].apply(ag.Value([1.0]), axis=0)


# -- check_op -------------------------------------------------------------------------------
def test_check_op_passes_a_correct_op_over_its_derived_cases(define):
    times = define("times_check", lambda a, b: a * b, lambda g, out, a, b: g * b,
                   lambda g, out, a, b: g * a)
    assert ag.check_op(times, np.array([[0.5, 1.5], [2.0, -1.0]]), np.array([1.0, -2.0]))
    assert ag.check_op(cube(define), 0.7)


@pytest.mark.parametrize(("vjp", "hint"), [
    (lambda g, out, x: g * 1.5 * x * x, "half what it should be"),
    (lambda g, out, x: g * 6 * x * x, "twice too large"),
    (lambda g, out, x: -g * 3 * x * x, "wrong sign"),
], ids=["factor 1/2", "factor 2", "sign"])
def test_check_op_names_the_case_the_input_and_a_hint(define, vjp, hint):
    op = define("cube_wrong", lambda x: x * x * x, vjp)
    with pytest.raises(ag.GradcheckError, match=rf"gradient is wrong for the example shapes: "
                                                rf"input 0 \(shape \(2,\)\).*hint: .*{hint}"):
        ag.check_op(op, np.array([0.5, 1.2]))


def test_check_op_finds_a_vjp_that_is_right_only_to_first_order(define):
    """np.cos on a Value's raw data is a constant: create_graph cannot see through it."""
    sin = define("sin_raw", np.sin,
                 lambda g, out, x: g * np.cos(x.data if isinstance(x, ag.Value) else x))
    with pytest.raises(ag.GradcheckError, match="second derivative"):
        ag.check_op(sin, np.array([0.3, 1.1]))


def test_check_op_refuses_an_op_that_loses_float32(define):
    op = define("to_float64", lambda x: np.asarray(x, dtype=np.float64) * 2.0,
                lambda g, out, x: g * 2.0)
    with pytest.raises(ag.GradcheckError, match="float32 inputs gave a float64 result"):
        ag.check_op(op, np.array([1.0, 2.0]))
