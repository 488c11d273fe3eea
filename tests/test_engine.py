"""The backward engine: deep graphs, freeing graphs, `grad`, and higher-order derivatives."""

import gc
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Value


# -- deep and shared graphs -------------------------------------------------------------------
def test_backward_through_a_200000_op_chain():
    """No recursion: y <- 0.5 y + x, 100,000 times (two ops each); y -> 2x and dy/dx -> 2."""
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 0.5 + x
    y.backward()
    assert y.data == 1.0
    assert x.grad == 2.0


def test_grad_through_a_deep_tensor_chain():
    x = Value(np.array([1.0, -1.0]))
    y = x
    for _ in range(20_000):
        y = -y
    (dx,) = ag.grad(y.sum(), x)
    np.testing.assert_array_equal(dx.numpy(), [1.0, 1.0])


def test_gradient_through_nodes_shared_at_different_depths():
    """y = (a + 3a) a with a = 2x, so y = 16 x**2: a's gradient must be complete before use."""
    x = Value(1.5)
    a = x * 2
    y = (a + a * 3) * a
    y.backward()
    assert x.grad == 32 * 1.5


def test_the_same_graph_built_twice_gives_bitwise_equal_gradients():
    """x feeds 30 consumers, so its gradient is a sum whose rounding depends on the order."""

    def gradient() -> np.ndarray:
        x = Value(np.linspace(-1, 1, 7))
        total = x
        for k in range(1, 30):
            total = total + (x * k).tanh() * (1 / k)
        total.sum().backward()
        return x.grad

    np.testing.assert_array_equal(gradient(), gradient())


# -- graphs are freed by reference counting alone ---------------------------------------------
@pytest.fixture
def gc_disabled():
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


@pytest.mark.parametrize("data", [2.0, np.ones((3, 2))], ids=["scalar", "tensor"])
def test_intermediate_dies_when_the_output_is_deleted(gc_disabled, data):
    x = Value(data)
    hidden = (x * 2).tanh()
    out = (hidden.exp() * hidden).sum()
    ref = weakref.ref(hidden)
    del hidden
    held_by_the_output = ref() is not None
    del out
    assert held_by_the_output
    assert ref() is None


@pytest.mark.parametrize("data", [2.0, np.ones((3, 2))], ids=["scalar", "tensor"])
def test_intermediate_dies_after_backward_and_delete(gc_disabled, data):
    x = Value(data)
    hidden = (x * 2).sigmoid()
    out = (hidden * hidden).sum()
    ref = weakref.ref(hidden)
    del hidden
    out.backward()
    del out
    assert ref() is None
    assert x.grad is not None


def test_graphs_made_by_create_graph_are_freed_too(gc_disabled):
    x = Value(np.array([0.3, -0.2]))
    hidden = x.tanh()
    out = (hidden ** 3).sum()
    ref = weakref.ref(hidden)
    del hidden
    (dx,) = ag.grad(out, x, create_graph=True)
    ag.grad(dx.sum(), x)
    del out, dx
    assert ref() is None


def test_fused_ops_do_not_keep_their_graph_alive(gc_disabled):
    x = Value(np.zeros((2, 3)))
    hidden = x * 2
    out = ag.cross_entropy(hidden.log_softmax().softmax(), [0, 1])
    ref = weakref.ref(hidden)
    del hidden
    out.backward()
    del out
    assert ref() is None


# -- grad() -----------------------------------------------------------------------------------
def test_grad_returns_one_value_per_input_and_leaves_grad_untouched():
    x, w = Value([1.0, 2.0]), Value([3.0, -1.0])
    w.grad = np.array([7.0, 7.0])
    dx, dw = ag.grad((x * w).sum(), [x, w])
    np.testing.assert_array_equal(dx.numpy(), [3.0, -1.0])
    np.testing.assert_array_equal(dw.numpy(), [1.0, 2.0])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, [7.0, 7.0])


def test_grad_returns_independent_writable_arrays():
    """As with a leaf's .grad, a returned gradient can be updated in place, alone."""
    x, y = Value(np.ones(3)), Value(np.ones(3))
    dx, dy = ag.grad((x + y).sum(), [x, y])
    dx.data *= 2
    np.testing.assert_array_equal(dx.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(dy.numpy(), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("make", [
    lambda a, b: (a + b).sum(),            # add hands the same gradient to both leaves
    lambda a, b: ((a + b) * 1.0).sum(),    # ... and to the intermediate a + b
    lambda a, b: (a.reshape(3) + b).sum(),  # reshape's gradient is a view
    lambda a, b: a.sum() + b.sum(),        # sum's gradient is a read-only broadcast
], ids=["add", "add-then-mul", "reshape", "sum"])
def test_each_leaf_grad_is_its_own_writable_array(make):
    """Optimizers update .grad in place: no leaf's .grad may share memory with another .grad."""
    a, b = Value(np.ones(3)), Value(np.ones(3))
    out = make(a, b)
    out.backward()
    grads = [v.grad for v in (a, b)]
    for grad in grads:
        assert grad.flags.writeable
    assert not np.shares_memory(grads[0], grads[1])
    a.grad *= 2
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])


def test_a_leaf_grad_does_not_share_memory_with_an_intermediate_grad():
    x = Value(np.ones((2, 3)))
    y = x + 0.0
    y.backward(np.ones((2, 3)))
    assert not np.shares_memory(x.grad, y.grad)


def test_grad_does_not_fill_the_grad_of_intermediates():
    x = Value(2.0)
    h = x * 3
    ag.grad(h * h, x)
    assert h.grad is None


def test_grad_of_an_unused_input_is_zero_of_its_shape_and_dtype():
    x, unused = Value(2.0), Value(np.ones((2, 3), dtype=np.float32))
    scalar_unused = Value(5.0)
    dx, d_unused, d_scalar = ag.grad(x * x, [x, unused, scalar_unused])
    assert dx.item() == 4.0
    np.testing.assert_array_equal(d_unused.numpy(), np.zeros((2, 3)))
    assert d_unused.dtype == np.float32
    assert d_scalar.data == 0.0


def test_grad_with_respect_to_an_intermediate():
    x = Value(2.0)
    h = x * 3
    (dh,) = ag.grad(h * h, h)
    assert dh.item() == 12.0


def test_grad_of_several_outputs_sums_their_gradients():
    x = Value(2.0)
    (dx,) = ag.grad([x * x, x * 3], x)
    assert dx.item() == 7.0


def test_grad_with_grad_outputs_for_a_tensor_output():
    x = Value([1.0, 2.0])
    (dx,) = ag.grad(x * x, x, grad_outputs=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(dx.numpy(), [2.0, 40.0])


def test_grad_without_create_graph_returns_constants():
    x = Value(2.0)
    (dx,) = ag.grad(x * x, x)
    assert (dx.requires_grad, dx.op) == (False, "")


def test_grad_with_create_graph_returns_differentiable_values():
    x = Value(2.0)
    (dx,) = ag.grad(x ** 3, x, create_graph=True)
    assert dx.requires_grad
    assert dx.item() == 12.0
    dx.backward()
    assert x.grad == 12.0  # d(3x**2)/dx


# -- higher-order derivatives -----------------------------------------------------------------
def tanh_derivatives(x: np.ndarray) -> list[np.ndarray]:
    """The first four derivatives of tanh, in closed form (t = tanh x, s = 1 - t**2)."""
    t = np.tanh(x)
    s = 1 - t * t
    return [s, -2 * t * s, -2 * s * (1 - 3 * t * t), 8 * t * s * (2 - 3 * t * t)]


def test_first_four_derivatives_of_tanh_at_a_scalar():
    x = Value(0.7)
    y = x.tanh()
    for expected in tanh_derivatives(np.array(0.7)):
        (y,) = ag.grad(y, x, create_graph=True)
        assert y.item() == pytest.approx(expected, rel=1e-12)


def test_first_four_derivatives_of_tanh_elementwise():
    points = np.array([-1.5, 0.0, 0.3, 2.0])
    x = Value(points)
    y = x.tanh()
    for expected in tanh_derivatives(points):
        (y,) = ag.grad(y, x, grad_outputs=np.ones(4), create_graph=True)
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-15)


def test_hessian_vector_product_matches_the_analytic_hessian():
    """f(x) = x^T A x / 2 + sum(exp x), so H = (A + A^T) / 2 + diag(exp x)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    x = Value(rng.normal(size=4))
    v = rng.normal(size=4)
    f = 0.5 * (x @ a @ x) + x.exp().sum()
    (g,) = ag.grad(f, x, create_graph=True)
    (hv,) = ag.grad((g * v).sum(), x)
    hessian = (a + a.T) / 2 + np.diag(np.exp(x.data))
    np.testing.assert_allclose(hv.numpy(), hessian @ v, rtol=1e-12)


def test_hessian_of_cross_entropy_is_the_softmax_covariance():
    """For one row: d2/dz2 of -log softmax(z)[k] = diag(p) - p p^T, whatever k is."""
    z = Value(np.array([[0.5, -1.0, 2.0]]))
    (g,) = ag.grad(ag.cross_entropy(z, [1]), z, create_graph=True)
    rows = [ag.grad(g[0, i], z)[0].numpy()[0] for i in range(3)]
    p = np.exp(z.data[0]) / np.exp(z.data[0]).sum()
    np.testing.assert_allclose(np.array(rows), np.diag(p) - np.outer(p, p), rtol=1e-12,
                               atol=1e-15)


def test_second_derivative_of_a_product_of_two_inputs():
    """f = x**2 y: d2f/dx dy = 2x."""
    x, y = Value(3.0), Value(-2.0)
    (dx,) = ag.grad(x * x * y, x, create_graph=True)
    (dxy,) = ag.grad(dx, y)
    assert dxy.item() == 6.0


# -- the pass leaves the process as it found it -----------------------------------------------
@pytest.mark.parametrize("enabled", [True, False], ids=["gc on", "gc off"])
@pytest.mark.parametrize("fails", [False, True], ids=["a pass", "a pass that raised"])
def test_the_garbage_collector_is_as_before_after(enabled, fails):
    """The pass switches the collector off (it makes no cycles) and must switch it back on."""
    x = Value(np.ones(3), name="x")
    y = (x * 2).sum()
    if fails:
        x.data = np.zeros(3)  # backward then refuses the changed input
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        if fails:
            with pytest.raises(RuntimeError):
                y.backward()
        else:
            y.backward()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


# -- who owns a leaf's .grad: the rule in engine.store_leaf_grad ------------------------------
@pytest.mark.parametrize("make", [
    lambda a, b: (a + b).sum(),  # add passes its upstream gradient through to both inputs
    lambda a, b: (a - b).sum(),
    lambda a, b: (a.reshape(2, 2) + b.reshape(4).reshape(2, 2)).sum(),  # views of g
    lambda a, b: ag.concat([a, b]).sum(),  # slices of g
    lambda a, b: ag.where(np.ones(4, bool), a, b).sum(),
], ids=["add", "sub", "reshape", "concat", "where"])
def test_no_leaf_grad_shares_memory_with_another_grad_or_is_a_view(make):
    a, b = Value(np.arange(4.0)), Value(np.ones(4))
    out = make(a, b)
    out.backward()
    grads = [v.grad for v in (a, b)]
    intermediates = []
    stack = [out]
    while stack:
        v = stack.pop()
        if v.parents:
            intermediates.append(v.grad)
            stack.extend(v.parents)
    for g in grads:
        assert g.base is None and g.flags.writeable
        others = [h for h in grads + intermediates if h is not g]
        assert not any(np.shares_memory(g, h) for h in others)


def test_leaf_grad_ownership_does_not_depend_on_who_else_holds_the_array():
    """Holding an extra reference to an intermediate's gradient (as a trace or a user may)
    changes nothing: the leaf still gets its own array."""
    a, b = Value(np.ones(3)), Value(np.ones(3))
    s = a + b
    held = [s]  # one more reference to the intermediate, and so to its gradient later
    (s * 1.0).sum().backward()
    held.append(s.grad)
    assert not np.shares_memory(a.grad, b.grad)
    assert not np.shares_memory(a.grad, held[1])
    a.grad += 1  # updating one leaf's gradient in place changes no other gradient
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(s.grad, [1.0, 1.0, 1.0])


# -- Python floats behave as numpy floats where math would raise ------------------------------
@pytest.mark.parametrize(("make", "expected", "warning"), [
    (lambda x: x / 0.0, np.inf, "divide by zero"),
    (lambda x: (x * 0.0).log(), -np.inf, "divide by zero"),
    (lambda x: (-8.0 * x) ** 0.5, np.nan, "invalid value"),
], ids=["1 / 0", "log(0)", "(-8) ** 0.5"])
def test_scalar_float_fallbacks_give_inf_or_nan_and_warn_as_numpy_does(make, expected, warning):
    x = Value(1.0)
    with pytest.warns(RuntimeWarning, match=warning):
        out = make(x)
    assert type(out.data) is float
    np.testing.assert_equal(out.data, expected)
