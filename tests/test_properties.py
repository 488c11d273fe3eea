"""Algebraic laws checked on random inputs (hypothesis): broadcasting, linearity of grad."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from op_table import CASES

import autograd as ag
from autograd import Value

few_examples = settings(max_examples=40, deadline=None)  # the whole suite stays fast

broadcastable_pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    max_side=4)

# The gradients of a (op) b, written without broadcasting: d/da and d/db elementwise, on arrays
# already broadcast to the output shape.
BINARY = {
    "add": (np.add, lambda a, b: np.ones_like(a), lambda a, b: np.ones_like(b)),
    "sub": (np.subtract, lambda a, b: np.ones_like(a), lambda a, b: -np.ones_like(b)),
    "mul": (np.multiply, lambda a, b: b, lambda a, b: a),
    "div": (np.divide, lambda a, b: 1 / b, lambda a, b: -a / b ** 2),
}
OPERATORS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
             "mul": lambda a, b: a * b, "div": lambda a, b: a / b}


def gradient_by_scatter(local: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum each output position's contribution into the input element it was read from.

    Independent of the engine's way of undoing broadcasting: it follows which element of the
    input every output position reads, by broadcasting the input's flat indices.
    """
    reads = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), local.shape)
    total = np.bincount(reads.ravel(), weights=local.ravel(), minlength=int(np.prod(shape)))
    return total.reshape(shape)


@pytest.mark.parametrize("name", sorted(BINARY))
@few_examples
@given(shapes=broadcastable_pairs, seed=st.integers(0, 2**16))
def test_broadcasting_binary_op_gradients_sum_back_to_each_input(name, shapes, seed):
    shape_a, shape_b = shapes.input_shapes
    rng = np.random.default_rng(seed)
    a_data = rng.uniform(-2, 2, size=shape_a)
    b_data = rng.uniform(0.5, 2, size=shape_b) * rng.choice([-1, 1], size=shape_b)
    a, b = Value(a_data), Value(b_data)
    out = OPERATORS[name](a, b)
    forward, d_da, d_db = BINARY[name]
    np.testing.assert_allclose(out.numpy(), forward(a_data, b_data), rtol=1e-13)
    assert out.shape == shapes.result_shape

    g = rng.uniform(-1, 1, size=out.shape)
    out.backward(g)
    wide_a, wide_b = np.broadcast_arrays(a_data, b_data)
    assert np.shape(a.grad) == shape_a
    assert np.shape(b.grad) == shape_b
    np.testing.assert_allclose(a.grad, gradient_by_scatter(g * d_da(wide_a, wide_b), shape_a),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad, gradient_by_scatter(g * d_db(wide_a, wide_b), shape_b),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY))
@few_examples
@given(shapes=broadcastable_pairs, seed=st.integers(0, 2**16))
def test_broadcasting_binary_op_keeps_float32(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a = Value(rng.uniform(0.5, 2, size=shapes.input_shapes[0]).astype(np.float32))
    b = Value(rng.uniform(0.5, 2, size=shapes.input_shapes[1]).astype(np.float32))
    out = OPERATORS[name](a, b)
    out.backward(np.ones(out.shape))
    assert out.dtype == a.grad.dtype == b.grad.dtype == np.float32


@few_examples
@given(batch=mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
       n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_batched_matmul_gradients_have_input_shapes(batch, n, k, m, seed):
    rng = np.random.default_rng(seed)
    a_data = rng.normal(size=(*batch.input_shapes[0], n, k))
    b_data = rng.normal(size=(*batch.input_shapes[1], k, m))
    a, b = Value(a_data), Value(b_data)
    out = a @ b
    np.testing.assert_allclose(out.numpy(), a_data @ b_data, rtol=1e-12, atol=1e-12)
    g = rng.normal(size=out.shape)
    out.backward(g)
    # d<g, a @ b>/da = g @ b^T, read back through the broadcast batch axes
    wide_a_shape = (*batch.result_shape, n, k)
    wide_b_shape = (*batch.result_shape, k, m)
    np.testing.assert_allclose(
        a.grad, gradient_by_scatter(g @ np.broadcast_to(b_data, wide_b_shape).swapaxes(-1, -2),
                                    a_data.shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        b.grad, gradient_by_scatter(np.broadcast_to(a_data, wide_a_shape).swapaxes(-1, -2) @ g,
                                    b_data.shape), rtol=1e-10, atol=1e-12)


# Single-input cases on a (3, 4) input: all of them are smooth on distinct positive values.
UNARY = [c for c in CASES if c.shapes == ((3, 4),)]


@few_examples
@given(f=st.sampled_from(UNARY), h=st.sampled_from(UNARY),
       alpha=st.floats(-3, 3), beta=st.floats(-3, 3), seed=st.integers(0, 2**16))
def test_grad_is_linear(f, h, alpha, beta, seed):
    """grad(alpha f + beta h) = alpha grad f + beta grad h."""
    rng = np.random.default_rng(seed)
    x = Value(0.5 + rng.permutation(12).reshape(3, 4) * 0.2 + rng.uniform(0, 0.1, (3, 4)))
    w_f = rng.uniform(-1, 1, size=f.fn(x).shape)
    w_h = rng.uniform(-1, 1, size=h.fn(x).shape)

    def weighted(case, w):
        return (case.fn(x) * w).sum()

    (combined,) = ag.grad(alpha * weighted(f, w_f) + beta * weighted(h, w_h), x)
    (grad_f,) = ag.grad(weighted(f, w_f), x)
    (grad_h,) = ag.grad(weighted(h, w_h), x)
    np.testing.assert_allclose(combined.numpy(), alpha * grad_f.numpy() + beta * grad_h.numpy(),
                               rtol=1e-9, atol=1e-9)
