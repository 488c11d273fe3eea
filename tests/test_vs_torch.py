"""Values, gradients and second derivatives against PyTorch, for every case of the op table.

Skipped as a whole when torch is not installed.
"""

import numpy as np
import pytest
from op_table import CASES

import autograd as ag
from autograd import Value

torch = pytest.importorskip("torch")

each_case = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])


def as_numpy(t: "torch.Tensor") -> np.ndarray:
    return t.detach().numpy(force=True)  # force: torch may answer with a lazy zero tensor


def upstream_gradient(shape: tuple[int, ...], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


@each_case
def test_values_and_gradients_match_torch(case):
    arrays = case.sample()
    ours = [Value(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*ours)
    expected = case.torch_fn(*theirs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), as_numpy(expected), rtol=1e-10, atol=1e-12)

    g = upstream_gradient(out.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    for x, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.asarray(x.grad), as_numpy(t.grad), rtol=1e-10, atol=1e-12)


@each_case
def test_second_derivatives_match_torch(case):
    """d/dx of <u, d<g, f(x)>/dx>: a Hessian-vector product through every op's backward rule."""
    arrays = case.sample()
    ours = [Value(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    g = upstream_gradient(case.fn(*ours).shape)
    us = [upstream_gradient(a.shape, seed=2 + i) for i, a in enumerate(arrays)]

    first = ag.grad(case.fn(*ours), ours, grad_outputs=g, create_graph=True)
    projected = sum((dx * u).sum() for dx, u in zip(first, us, strict=True))
    if projected.requires_grad:
        second = [dx.numpy() for dx in ag.grad(projected, ours)]
    else:
        second = [np.zeros(a.shape) for a in arrays]

    first_t = torch.autograd.grad(case.torch_fn(*theirs), theirs, torch.tensor(g),
                                  create_graph=True)
    projected_t = sum((dx * torch.tensor(u)).sum() for dx, u in zip(first_t, us, strict=True))
    if projected_t.requires_grad:
        second_t = torch.autograd.grad(projected_t, theirs, allow_unused=True,
                                       materialize_grads=True)
    else:
        second_t = [torch.zeros(a.shape) for a in arrays]
    for ours_dx, theirs_dx in zip(second, second_t, strict=True):
        np.testing.assert_allclose(ours_dx, as_numpy(theirs_dx), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_max_splits_the_gradient_between_ties_like_torch_amax(axis):
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [3.0, -1.0, 3.0]])
    x = Value(data)
    t = torch.tensor(data, requires_grad=True)
    x.max(axis=axis).sum().backward()
    torch.amax(t, dim=() if axis is None else axis).sum().backward()
    np.testing.assert_array_equal(x.grad, as_numpy(t.grad))


def test_tanh_higher_derivatives_match_torch():
    x = Value(0.7)
    t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    y, y_t = x.tanh(), t.tanh()
    for _ in range(4):
        (y,) = ag.grad(y, x, create_graph=True)
        (y_t,) = torch.autograd.grad(y_t, t, create_graph=True)
        assert y.item() == pytest.approx(y_t.item(), rel=1e-12)
