"""gradcheck itself: True on a correct op, a precise GradcheckError on a wrong one."""

import re

import numpy as np
import pytest

import autograd as ag
from autograd import GradcheckError, Value, gradcheck
from autograd.ops import REGISTRY, Op
from autograd.value import apply


@pytest.fixture
def half_square():
    """An op with a classic bug: forward x**2, but backward forgets the factor 2 for x > 0.

    Subclassing Op registers the op by name; the fixture removes it again so the registry
    only ever holds the real ops once the test is over.
    """

    class HalfSquare(Op):
        name = "half_square_for_test"

        def forward(x):  # noqa: N805 - an op class is never instantiated
            return x * x

        vjps = (lambda g, out, x: g * x * np.where(x > 0, 1.0, 2.0),)

    try:
        yield lambda x: apply(HalfSquare, x)
    finally:
        del REGISTRY[HalfSquare.name]


def reported_numbers(message: str) -> tuple[float, float]:
    analytic = float(re.search(r"analytic (\S+),", message).group(1))
    numeric = float(re.search(r"numeric (\S+) ", message).group(1))
    return analytic, numeric


def test_gradcheck_returns_true_for_correct_gradients():
    x = Value(np.random.default_rng(0).normal(size=(3, 2)))
    assert gradcheck(lambda x: (x.tanh() * x).sum(axis=0), x) is True


def test_gradcheck_accepts_a_sequence_of_inputs_and_a_scalar_output():
    a, b = Value(1.5), Value(np.array([0.5, -2.0]))
    assert gradcheck(lambda a, b: (a * b).exp().sum(), [a, b]) is True


def test_gradcheck_skips_inputs_that_do_not_require_grad(half_square):
    wrong_but_constant = Value(np.array([1.0, 2.0]), requires_grad=False)
    x = Value(np.array([0.5, -1.0]))
    assert gradcheck(lambda c, x: half_square(c) * x, [wrong_but_constant, x]) is True


def test_gradcheck_checks_float32_inputs_in_float64():
    """In float32, steps of 1e-6 would drown in rounding (float32 resolves ~1e-7 relative)."""
    x = Value(np.array([0.3, -0.7, 1.1], dtype=np.float32))
    assert gradcheck(lambda x: (x * x).exp() * x, x) is True


def test_gradcheck_error_names_input_element_and_both_values(half_square):
    a = Value(np.array([0.5, 1.5]))
    x = Value(np.array([[-1.0, -2.0], [3.0, -0.5]]))  # the bug shows only where x > 0
    with pytest.raises(GradcheckError) as failure:
        gradcheck(lambda a, x: a * half_square(x), [a, x])
    message = str(failure.value)
    assert "input 1" in message
    assert "element (1, 0)" in message
    analytic, numeric = reported_numbers(message)
    assert numeric == pytest.approx(2 * analytic, rel=1e-6)  # the forgotten factor 2
    assert "relative error" in message


def test_gradcheck_error_for_a_scalar_input(half_square):
    with pytest.raises(GradcheckError, match=r"input 0, element \(\)"):
        gradcheck(half_square, Value(2.0))


def test_gradcheck_tolerance_decides(half_square):
    x = Value(np.array([1e-4]))  # the error, x * v, is tiny here
    assert gradcheck(half_square, x, atol=1e-3) is True
    with pytest.raises(GradcheckError):
        gradcheck(half_square, x, atol=1e-6, rtol=1e-6)


def test_gradcheck_needs_values():
    with pytest.raises(TypeError, match="input 0"):
        gradcheck(lambda x: x, [np.ones(2)])


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck(lambda x: x * 2, Value(1.0, requires_grad=False))


def test_an_op_subclass_registers_under_its_name(half_square):
    assert REGISTRY["half_square_for_test"].name == "half_square_for_test"
    assert "half_square_for_test" not in ag.OPS  # the table of built-in ops
    assert half_square(Value(3.0)).op == "half_square_for_test"


def test_an_op_taking_a_built_in_name_is_refused():
    before = dict(REGISTRY)
    with pytest.raises(ValueError, match="'add' is taken by a built-in op"):
        type("SecondAdd", (Op,), {"name": "add"})
    assert before == REGISTRY
