"""Every op, driven by the one table in op_table.py: coverage of the registry, forward values
against numpy, gradients against finite differences (first and second order), float32."""

import numpy as np
import pytest
from op_table import CASES, OpCase

import autograd as ag
from autograd import Value

each_case = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
SMOOTH = [c for c in CASES if c.smooth]
each_smooth_case = pytest.mark.parametrize("case", SMOOTH, ids=[c.id for c in SMOOTH])


def sample_values(case: OpCase, dtype: type = np.float64) -> list[Value]:
    return [Value(x.astype(dtype)) for x in case.sample()]


def upstream_gradient(shape: tuple[int, ...]) -> np.ndarray:
    """A fixed, uneven vector to pull back through an op (ones would hide transposed rules)."""
    return np.random.default_rng(1).uniform(0.5, 1.5, size=shape)


def test_every_registered_op_has_a_case():
    assert sorted(set(ag.OPS) - {c.op for c in CASES}) == []


def test_every_case_names_a_registered_op():
    assert sorted({c.op for c in CASES} - set(ag.OPS)) == []


@each_case
def test_case_records_one_node_named_after_its_op(case):
    inputs = sample_values(case)
    out = case.fn(*inputs)
    assert out.op == case.op
    assert out.requires_grad


@each_case
def test_forward_matches_numpy(case):
    arrays = case.sample()
    out = case.fn(*[Value(a) for a in arrays])
    expected = np.asarray(case.numpy_fn(*arrays))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@each_smooth_case
def test_gradcheck(case):
    assert ag.gradcheck(case.fn, sample_values(case)) is True


@each_case
def test_gradient_has_the_shape_and_dtype_of_its_input(case):
    inputs = sample_values(case)
    out = case.fn(*inputs)
    out.backward(upstream_gradient(out.shape))
    for x in inputs:
        assert np.shape(x.grad) == x.shape
        assert np.asarray(x.grad).dtype == np.float64


@each_case
def test_create_graph_gradient_equals_plain_gradient(case):
    inputs = sample_values(case)
    out = case.fn(*inputs)
    g = upstream_gradient(out.shape)
    out.backward(g)
    differentiable = ag.grad(case.fn(*inputs), inputs, grad_outputs=g, create_graph=True)
    for x, dx in zip(inputs, differentiable, strict=True):
        np.testing.assert_allclose(dx.numpy(), np.asarray(x.grad), rtol=1e-12, atol=1e-15)


@each_smooth_case
def test_second_order_gradcheck(case):
    """The gradient from grad(..., create_graph=True) has correct gradients itself."""
    inputs = sample_values(case)
    g = upstream_gradient(case.fn(*inputs).shape)

    def gradient(*xs: Value) -> Value:
        grads = ag.grad(case.fn(*xs), xs, grad_outputs=g, create_graph=True)
        return ag.concat([dx.reshape(-1) for dx in grads])

    assert ag.gradcheck(gradient, inputs) is True


@each_case
def test_float32_stays_float32_in_value_and_gradient(case):
    inputs = sample_values(case, np.float32)
    out = case.fn(*inputs)
    assert out.dtype == (np.float32 if case.keeps_dtype else np.float64)
    out.backward(upstream_gradient(out.shape))
    for x in inputs:
        assert np.shape(x.grad) == x.shape
        assert x.grad.dtype == np.float32


@each_case
def test_float32_value_is_close_to_float64_value(case):
    out32 = case.fn(*sample_values(case, np.float32))
    out64 = case.fn(*sample_values(case))
    np.testing.assert_allclose(out32.numpy(), out64.numpy(), rtol=1e-5, atol=1e-5)


@each_case
def test_float32_stays_float32_in_a_differentiable_gradient(case):
    inputs = sample_values(case, np.float32)
    out = case.fn(*inputs)
    grads = ag.grad(out, inputs, grad_outputs=upstream_gradient(out.shape), create_graph=True)
    for x, dx in zip(inputs, grads, strict=True):
        assert dx.shape == x.shape
        assert dx.dtype == np.float32
