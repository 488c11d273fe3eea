"""nn.utils.clip_grad_norm_ and clip_grad_value_: torch's results, in place, 0-d gradients."""

import math

import numpy as np
import pytest

import autograd as ag
import nn

SHAPES = [(3, 4), (5,), ()]


def parameters_with_grads(scale=1.0, dtype=np.float64, seed=0):
    """Three parameters (one 0-d) with random gradients; a fourth without a gradient."""
    rng = np.random.default_rng(seed)
    params = [nn.Parameter(np.zeros(shape, dtype=dtype)) for shape in SHAPES]
    for p in params:
        p.grad = np.array(scale * rng.standard_normal(p.shape), dtype=dtype)
    return [*params, nn.Parameter(np.zeros(2, dtype=dtype))]


def torch_twins(torch, params):
    twins = []
    for p in params:
        twin = torch.nn.Parameter(torch.tensor(np.array(p.data)))
        twin.grad = None if p.grad is None else torch.tensor(np.array(p.grad))
        twins.append(twin)
    return twins


def assert_grads_equal_torchs(params, twins, rtol):
    for index, (p, t) in enumerate(zip(params, twins, strict=True)):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=rtol, atol=1e-300,
                                       err_msg=f"parameter {index}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    torch = pytest.importorskip("torch")
    params = parameters_with_grads(dtype=dtype)
    twins = torch_twins(torch, params)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(twins, max_norm, norm_type=norm_type)
    rtol = 1e-13 if dtype == np.float64 else 2e-6
    assert type(total) is float
    assert total == pytest.approx(expected.item(), rel=rtol)
    assert_grads_equal_torchs(params, twins, rtol)
    assert all(p.grad.dtype == dtype for p in params if p.grad is not None)


def test_clip_grad_norm_scales_in_place_to_max_norm():
    p = nn.Parameter(np.zeros(2))
    grad = p.grad = np.array([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0) == 5.0
    assert p.grad is grad
    np.testing.assert_allclose(grad, [0.6, 0.8], rtol=1e-6)


def test_gradients_under_the_limit_are_unchanged():
    params = parameters_with_grads()
    before = [None if p.grad is None else p.grad.copy() for p in params]
    total = nn.utils.clip_grad_norm_(iter(params), 100.0)  # any iterable, a generator too
    expected = math.sqrt(sum(float(np.sum(g * g)) for g in before if g is not None))
    assert total == pytest.approx(expected, rel=1e-14)
    for p, g in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_zero_gradients_have_norm_zero_and_stay_zero():
    torch = pytest.importorskip("torch")
    params = [nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))]
    for p in params:
        p.grad = np.zeros(p.shape)
    twins = torch_twins(torch, params)
    assert nn.utils.clip_grad_norm_(params, 1.0) == 0.0
    assert torch.nn.utils.clip_grad_norm_(twins, 1.0).item() == 0.0
    assert_grads_equal_torchs(params, twins, rtol=0)


def test_no_gradients_give_norm_zero():
    assert nn.utils.clip_grad_norm_([nn.Parameter(np.ones(2))], 1.0) == 0.0
    assert nn.utils.clip_grad_norm_([], 1.0) == 0.0


@pytest.mark.parametrize("form", ["Python float", "numpy float32 scalar", "0-d array"])
def test_a_0d_gradient_is_clipped_and_keeps_its_type(form):
    torch = pytest.importorskip("torch")
    scalar = ag.Value(2.0) if form == "Python float" else nn.Parameter(np.float32(2.0))
    scalar.grad = {"Python float": 6.0, "numpy float32 scalar": np.float32(6.0),
                   "0-d array": np.array(6.0, dtype=np.float32)}[form]
    vector = nn.Parameter(np.zeros(2, dtype=scalar.dtype))
    vector.grad = np.array([8.0, 0.0], dtype=scalar.dtype)
    kind = type(scalar.grad)
    twins = torch_twins(torch, [scalar, vector])
    assert nn.utils.clip_grad_norm_([scalar, vector], 2.0) == pytest.approx(10.0)
    torch.nn.utils.clip_grad_norm_(twins, 2.0)
    assert type(scalar.grad) is kind
    assert_grads_equal_torchs([scalar, vector], twins, rtol=1e-6)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_nonfinite_norm_spreads_as_in_torch(bad):
    torch = pytest.importorskip("torch")
    params = parameters_with_grads()
    params[0].grad[1, 2] = bad
    twins = torch_twins(torch, params)
    total = nn.utils.clip_grad_norm_(params, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(twins, 1.0).item()
    assert (math.isnan(total) and math.isnan(expected)) or total == expected
    for p, t in zip(params, twins, strict=True):
        if p.grad is not None:
            np.testing.assert_array_equal(p.grad, t.grad.numpy())  # nan where torch has nan


def test_error_if_nonfinite_raises_and_leaves_the_gradients():
    params = parameters_with_grads()
    params[1].grad[0] = math.inf
    before = [None if p.grad is None else p.grad.copy() for p in params]
    with pytest.raises(RuntimeError, match=r"total norm of order 2\.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    for p, g in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_a_read_only_gradient_is_replaced_not_written():
    p = nn.Parameter(np.zeros(2))
    source = np.array([3.0, 4.0])
    source.flags.writeable = False
    p.grad = source
    nn.utils.clip_grad_norm_([p], 1.0)
    np.testing.assert_array_equal(source, [3.0, 4.0])
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("clip_value", [0.0, 0.3, 10.0])
def test_clip_grad_value_matches_torch(clip_value, dtype):
    torch = pytest.importorskip("torch")
    params = parameters_with_grads(dtype=dtype)
    params[0].grad[0, 0] = math.nan
    twins = torch_twins(torch, params)
    grads = [p.grad for p in params]
    assert nn.utils.clip_grad_value_(params, clip_value) is None
    torch.nn.utils.clip_grad_value_(twins, clip_value)
    for p, t, g in zip(params, twins, grads, strict=True):
        if p.grad is not None:
            assert p.grad is g  # in place
            np.testing.assert_array_equal(p.grad, t.grad.numpy())


def test_clip_grad_value_clamps_a_0d_gradient_and_a_single_value():
    x = ag.Value(1.0)
    x.grad = -5.0
    nn.utils.clip_grad_value_(x, 2.0)
    assert x.grad == -2.0 and type(x.grad) is float


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda ps: nn.utils.clip_grad_norm_(ps, -1.0), ValueError, "max_norm must be >= 0"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, norm_type=0), ValueError,
     "norm_type must be a number > 0 or inf"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, norm_type=-math.inf), ValueError,
     "norm_type"),
    (lambda ps: nn.utils.clip_grad_value_(ps, -0.5), ValueError, "clip_value must be >= 0"),
    (lambda ps: nn.utils.clip_grad_norm_([*ps, np.ones(2)], 1.0), TypeError,
     "parameter 4 is not a Value"),
])
def test_bad_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call(parameters_with_grads())


@pytest.mark.parametrize("norm_type", [2.0, 3.0, 1.0])
def test_huge_finite_gradients_give_their_exact_norm_without_a_warning(norm_type):
    p = nn.Parameter(np.zeros(2))
    p.grad = np.array([1e200, 1e200])
    total = nn.utils.clip_grad_norm_([p], max_norm=1.0, norm_type=norm_type)
    assert total == pytest.approx(2 ** (1 / norm_type) * 1e200, rel=1e-12)
    np.testing.assert_allclose(p.grad, [2 ** (-1 / norm_type)] * 2, rtol=1e-9)
