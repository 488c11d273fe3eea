"""Optimizers: PyTorch's update rules step for step, in-place updates, argument checks."""

import numpy as np
import pytest

import autograd as ag
import nn

SHAPES = [(4, 3), (4,), (2, 5)]


def random_gradients(steps, dtype, seed=0):
    """Gradients for `steps` steps; parameter 1 has none at step 2 (it must be skipped)."""
    rng = np.random.default_rng(seed)
    plan = [[rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
            for _ in range(steps)]
    plan[2][1] = None
    return plan


def run_ours(make, dtype, plan):
    rng = np.random.default_rng(42)
    params = [nn.Parameter(rng.standard_normal(shape).astype(dtype)) for shape in SHAPES]
    optimizer = make(params)
    history = []
    for grads in plan:
        optimizer.zero_grad()
        for p, g in zip(params, grads, strict=True):
            p.grad = None if g is None else g.copy()
        optimizer.step()
        history.append([p.numpy().copy() for p in params])
    return history


def run_torch(torch, make, dtype, plan):
    rng = np.random.default_rng(42)
    params = [torch.nn.Parameter(torch.tensor(rng.standard_normal(shape).astype(dtype)))
              for shape in SHAPES]
    optimizer = make(params)
    history = []
    for grads in plan:
        optimizer.zero_grad()
        for p, g in zip(params, grads, strict=True):
            p.grad = None if g is None else torch.tensor(g)
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


SGD_SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True},
]
ADAM_SETTINGS = [
    {},
    {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.01, "weight_decay": 0.05},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=str)
def test_sgd_matches_torch_step_for_step(settings, dtype):
    torch = pytest.importorskip("torch")
    plan = random_gradients(8, dtype)
    ours = run_ours(lambda ps: nn.optim.SGD(ps, **settings), dtype, plan)
    theirs = run_torch(torch, lambda ps: torch.optim.SGD(ps, **settings), dtype, plan)
    tolerance = 1e-13 if dtype == np.float64 else 1e-6
    for step, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        for a, b in zip(mine, reference, strict=True):
            np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=f"step {step}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("settings", ADAM_SETTINGS, ids=str)
def test_adam_matches_torch_step_for_step(settings, dtype):
    torch = pytest.importorskip("torch")
    plan = random_gradients(8, dtype)
    ours = run_ours(lambda ps: nn.optim.Adam(ps, **settings), dtype, plan)
    theirs = run_torch(torch, lambda ps: torch.optim.Adam(ps, **settings), dtype, plan)
    tolerance = 1e-12 if dtype == np.float64 else 2e-6
    for step, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        for a, b in zip(mine, reference, strict=True):
            np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=f"step {step}")


def test_sgd_step_is_p_minus_lr_times_grad():
    p = nn.Parameter(np.array([1.0, 2.0]))
    p.grad = np.array([0.5, -1.0])
    nn.optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), [0.95, 2.1])


def test_momentum_accumulates_the_gradient():
    p = nn.Parameter(np.array([0.0]))
    optimizer = nn.optim.SGD([p], lr=1.0, momentum=0.5)
    for _ in range(3):
        p.grad = np.array([1.0])
        optimizer.step()
    np.testing.assert_allclose(p.numpy(), [-(1 + 1.5 + 1.75)])


def test_adam_first_step_moves_each_parameter_by_lr():
    # with bias correction, m_hat = g and v_hat = g^2, so the first step is lr * sign(g) (up to eps)
    p = nn.Parameter(np.array([1.0, 1.0, 1.0]))
    p.grad = np.array([0.01, -5.0, 300.0])
    nn.optim.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), [0.9, 1.1, 0.9], rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
    lambda ps: nn.optim.Adam(ps, weight_decay=0.1),
])
def test_updates_are_in_place_and_leave_the_gradient_alone(make):
    p = nn.Parameter(np.ones((3, 2), dtype=np.float32))
    data = p.data
    optimizer = make([p])
    for _ in range(3):
        p.grad = np.full((3, 2), 0.5, dtype=np.float32)
        optimizer.step()
        np.testing.assert_array_equal(p.grad, 0.5)
    assert p.data is data and p.dtype == np.float32
    assert not np.array_equal(p.numpy(), np.ones((3, 2)))


def test_scalar_values_are_optimized_too():
    x = ag.Value(3.0)
    optimizer = nn.optim.SGD([x], lr=0.25)
    for _ in range(20):
        optimizer.zero_grad()
        (x * x).backward()  # d/dx x^2 = 2x: x halves every step
        optimizer.step()
    assert type(x.data) is float and x.data == pytest.approx(3.0 / 2**20)


def test_zero_grad_resets_gradients_and_parameters_without_gradients_are_skipped():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    optimizer = nn.optim.Adam([a, b], lr=0.1)
    a.grad = np.ones(2)
    optimizer.step()
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None


def test_training_a_linear_model_with_each_optimizer_reaches_the_minimum():
    x = np.random.default_rng(0).standard_normal((64, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    for make in (lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9),
                 lambda ps: nn.optim.Adam(ps, lr=0.05)):
        nn.manual_seed(0)
        model = nn.Linear(3, 1)
        optimizer = make(model.parameters())
        for _ in range(300):
            optimizer.zero_grad()
            loss = nn.MSELoss()(model(x)[:, 0], y)
            loss.backward()
            optimizer.step()
        assert loss.item() < 1e-6


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda p: nn.optim.SGD([p], lr=-0.1), ValueError, "lr must be >= 0"),
    (lambda p: nn.optim.SGD([p], lr=0.1, momentum=-1), ValueError, "momentum must be >= 0"),
    (lambda p: nn.optim.SGD([p], lr=0.1, nesterov=True), ValueError, "nesterov"),
    (lambda p: nn.optim.Adam([p], betas=(0.9, 1.0)), ValueError, "betas"),
    (lambda p: nn.optim.Adam([p], eps=-1), ValueError, "eps must be >= 0"),
    (lambda p: nn.optim.Adam([], lr=0.1), ValueError, "empty"),
    (lambda p: nn.optim.SGD(p, lr=0.1), TypeError, "single Value"),
    (lambda p: nn.optim.SGD([p, p], lr=0.1), ValueError, "parameter 1 is parameter 0 again.*twice"),
    (lambda p: nn.optim.SGD([np.ones(2)], lr=0.1), TypeError, "parameter 0"),
    (lambda p: nn.optim.SGD([p, p * 2], lr=0.1), ValueError, r"parameter 1 .*is not a leaf"),
    (lambda p: nn.optim.Adam([p.sum()]), ValueError, r"parameter 0 .*is not a leaf"),
])
def test_bad_optimizer_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make(nn.Parameter(np.ones(2)))


# A 0-d parameter: a float32 numpy scalar or 0-d array stays a 0-d array in the Value, a
# float64 one becomes a Python float; its gradient may be a numpy scalar, a float or an array.
SCALAR_DATA = {
    "float32 numpy scalar": lambda: np.float32(0.5),
    "0-d float32 array": lambda: np.array(0.5, dtype=np.float32),
    "0-d float64 array": lambda: np.array(0.5),
    "Python float": lambda: 0.5,
}
GRADIENT_FORMS = {
    "numpy scalar": lambda g, dtype: dtype.type(g),
    "Python float": lambda g, dtype: float(g),
    "0-d array": lambda g, dtype: np.array(g, dtype=dtype),
}


def scalar_trajectories(torch, make_ours, make_theirs, data, gradient_form, steps=10):
    """Ten steps of our optimizer and torch's on one 0-d parameter, fed the same gradients."""
    p = ag.Value(SCALAR_DATA[data]())
    dtype = p.dtype
    reference = torch.nn.Parameter(torch.tensor(np.array(0.5, dtype=dtype)))
    ours, theirs = make_ours([p]), make_theirs([reference])
    gradients = np.random.default_rng(0).standard_normal(steps).astype(dtype)
    mine, torch_values = [], []
    for g in gradients:
        p.grad = GRADIENT_FORMS[gradient_form](g, dtype)
        ours.step()
        mine.append(float(p.data))
        reference.grad = torch.tensor(np.array(g, dtype=dtype))
        theirs.step()
        torch_values.append(reference.item())
    assert p.dtype == dtype and p.shape == ()
    assert (type(p.data) is float) == (dtype == np.float64)  # a float stays a float
    tolerance = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(mine, torch_values, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("gradient_form", GRADIENT_FORMS)
@pytest.mark.parametrize("data", SCALAR_DATA)
@pytest.mark.parametrize("settings", [
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.1},
], ids=str)
def test_sgd_with_momentum_on_a_0d_parameter_matches_torch(settings, data, gradient_form):
    torch = pytest.importorskip("torch")
    scalar_trajectories(torch, lambda ps: nn.optim.SGD(ps, **settings),
                        lambda ps: torch.optim.SGD(ps, **settings), data, gradient_form)


@pytest.mark.parametrize("gradient_form", GRADIENT_FORMS)
@pytest.mark.parametrize("data", SCALAR_DATA)
@pytest.mark.parametrize("settings", [{"lr": 0.1}, {"lr": 0.05, "weight_decay": 0.1}], ids=str)
def test_adam_on_a_0d_parameter_matches_torch(settings, data, gradient_form):
    torch = pytest.importorskip("torch")
    scalar_trajectories(torch, lambda ps: nn.optim.Adam(ps, **settings),
                        lambda ps: torch.optim.Adam(ps, **settings), data, gradient_form)


def test_training_an_mlp_matches_torch_end_to_end():
    torch = pytest.importorskip("torch")
    nn.manual_seed(0)
    model = nn.MLP([3, 8, 1], activation="tanh")
    reference = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    reference = reference.double()
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), reference.parameters(), strict=True):
            theirs.copy_(torch.tensor(ours.numpy()))
    x = np.random.default_rng(1).standard_normal((16, 3))
    y = np.sin(x).sum(axis=1)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    torch_optimizer = torch.optim.Adam(reference.parameters(), lr=0.01)
    for _ in range(10):
        optimizer.zero_grad()
        nn.MSELoss()(model(x)[:, 0], y).backward()
        optimizer.step()
        torch_optimizer.zero_grad()
        torch.nn.functional.mse_loss(reference(torch.tensor(x))[:, 0], torch.tensor(y)).backward()
        torch_optimizer.step()
    for ours, theirs in zip(model.parameters(), reference.parameters(), strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
