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
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1},
]
ADAM_SETTINGS = [
    {},
    {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.01, "weight_decay": 0.05},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.01, "betas": (0.3, 0.9), "weight_decay": 0.05, "amsgrad": True},
]
ADAMW_SETTINGS = [
    {},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.0},
    {"lr": 0.01, "amsgrad": True},
]
RMSPROP_SETTINGS = [
    {},
    {"lr": 0.01, "alpha": 0.9, "eps": 1e-4},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "centered": True},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.005, "alpha": 0.3, "momentum": 0.5, "centered": True, "weight_decay": 0.1},
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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "settings"),
                         [("AdamW", s) for s in ADAMW_SETTINGS]
                         + [("RMSprop", s) for s in RMSPROP_SETTINGS], ids=str)
def test_adamw_and_rmsprop_match_torch_step_for_step(name, settings, dtype):
    torch = pytest.importorskip("torch")
    plan = random_gradients(8, dtype)
    ours = run_ours(lambda ps: getattr(nn.optim, name)(ps, **settings), dtype, plan)
    theirs = run_torch(torch, lambda ps: getattr(torch.optim, name)(ps, **settings), dtype, plan)
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
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
    lambda ps: nn.optim.Adam(ps, weight_decay=0.1),
    lambda ps: nn.optim.AdamW(ps, amsgrad=True),
    lambda ps: nn.optim.RMSprop(ps, momentum=0.9, centered=True, weight_decay=0.1),
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
    (lambda p: nn.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     ValueError, "nesterov=True needs a momentum > 0 and dampening 0"),
    (lambda p: nn.optim.AdamW([p], betas=(-0.1, 0.9)), ValueError, "betas"),
    (lambda p: nn.optim.AdamW([p], weight_decay=-1), ValueError, "weight_decay must be >= 0"),
    (lambda p: nn.optim.RMSprop([p], alpha=-0.5), ValueError, "alpha must be >= 0"),
    (lambda p: nn.optim.RMSprop([p], momentum=-0.5), ValueError, "momentum must be >= 0"),
    (lambda p: nn.optim.RMSprop([p], eps=-1), ValueError, "eps must be >= 0"),
    (lambda p: nn.optim.RMSprop([p], lr="fast"), TypeError, "lr must be a number"),
    (lambda p: nn.optim.RMSprop([p], centered="yes"), TypeError, "centered must be True"),
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


@pytest.mark.parametrize("gradient_form", GRADIENT_FORMS)
@pytest.mark.parametrize("data", SCALAR_DATA)
@pytest.mark.parametrize(("name", "settings"), [
    ("AdamW", {"lr": 0.05, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
], ids=str)
def test_adamw_rmsprop_and_dampening_on_a_0d_parameter_match_torch(name, settings, data,
                                                                   gradient_form):
    torch = pytest.importorskip("torch")
    scalar_trajectories(torch, lambda ps: getattr(nn.optim, name)(ps, **settings),
                        lambda ps: getattr(torch.optim, name)(ps, **settings), data,
                        gradient_form)


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


def test_each_optimizer_step_makes_a_graph_built_before_it_refuse_backward():
    for make in MAKERS.values():
        layer = nn.Linear(2, 2)
        first, second = layer(np.ones((1, 2))).sum(), layer(np.ones((1, 2))).mean()
        first.backward()
        make(list(layer.parameters())).step()
        with pytest.raises(RuntimeError, match="was assigned"):
            second.backward()


# -- parameter groups ---------------------------------------------------------------------------

# One of each optimizer, with settings that give every state entry (as torch.optim too).
MAKERS = {
    "SGD": lambda ps, **kw: nn.optim.SGD(ps, **{"lr": 0.1, "momentum": 0.9, **kw}),
    "Adam": lambda ps, **kw: nn.optim.Adam(ps, **{"lr": 0.01, "weight_decay": 0.1, **kw}),
    "AdamW": lambda ps, **kw: nn.optim.AdamW(ps, **{"amsgrad": True, **kw}),
    "RMSprop": lambda ps, **kw: nn.optim.RMSprop(ps, **{"momentum": 0.5, "centered": True,
                                                      **kw}),
}
each_optimizer = pytest.mark.parametrize("name", MAKERS)
# what torch's groups hold beyond ours: switches for other implementations and modes
TORCH_ONLY = {"maximize", "foreach", "differentiable", "fused", "capturable",
              "decoupled_weight_decay"}


def torch_twin(torch, name, params, **kw):
    """torch's optimizer with the settings of MAKERS[name]."""
    settings = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {"lr": 0.01, "weight_decay": 0.1},
                "AdamW": {"amsgrad": True}, "RMSprop": {"momentum": 0.5, "centered": True}}
    return getattr(torch.optim, name)(params, **{**settings[name], **kw})


GROUP_SHAPES = [(4, 3), (4,), ()]


def three_parameters(dtype=np.float64):
    rng = np.random.default_rng(3)
    return [nn.Parameter(rng.standard_normal(shape).astype(dtype)) for shape in GROUP_SHAPES]


def gradient_plan(steps, dtype):
    """Gradients for three_parameters; parameter 1 has none at step 2."""
    rng = np.random.default_rng(4)
    plan = [[rng.standard_normal(shape).astype(dtype) for shape in GROUP_SHAPES]
            for _ in range(steps)]
    if steps > 2:
        plan[2][1] = None
    return plan


def torch_copies(torch, params):
    return [torch.nn.Parameter(torch.tensor(np.array(p.data))) for p in params]


def two_groups(params):
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.05}]


@each_optimizer
def test_param_groups_hold_every_hyperparameter_in_torchs_order(name):
    torch = pytest.importorskip("torch")
    params = three_parameters()
    ours = MAKERS[name](two_groups(params))
    theirs = torch_twin(torch, name, two_groups(torch_copies(torch, params)))
    assert len(ours.param_groups) == 2
    for mine, reference in zip(ours.param_groups, theirs.param_groups, strict=True):
        assert list(mine) == [key for key in reference if key not in TORCH_ONLY]
        for key, value in mine.items():
            if key != "params":
                assert value == reference[key], key
    assert ours.param_groups[0]["params"] == params[:2]
    assert ours.param_groups[1]["params"] == params[2:]
    assert ours.param_groups[1]["lr"] == 0.05
    assert ours.defaults == {k: v for k, v in theirs.defaults.items() if k not in TORCH_ONLY}


@each_optimizer
def test_parameter_groups_train_like_torchs(name):
    torch = pytest.importorskip("torch")
    plan = random_gradients(8, np.float64)
    ours = run_ours(lambda ps: MAKERS[name](two_groups(ps)), np.float64, plan)
    theirs = run_torch(torch, lambda ps: torch_twin(torch, name, two_groups(ps)), np.float64,
                       plan)
    for a, b in zip(ours[-1], theirs[-1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@each_optimizer
def test_a_change_to_a_groups_hyperparameters_takes_effect_at_the_next_step(name):
    torch = pytest.importorskip("torch")
    params = three_parameters()
    references = torch_copies(torch, params)
    ours, theirs = MAKERS[name](params), torch_twin(torch, name, references)
    for step, grads in enumerate(gradient_plan(6, np.float64)):
        if step == 3:
            for optimizer in (ours, theirs):
                optimizer.param_groups[0]["lr"] = 0.5
                optimizer.param_groups[0]["weight_decay"] = 0.2
        for p, t, g in zip(params, references, grads, strict=True):
            p.grad = None if g is None else g
            t.grad = None if g is None else torch.tensor(g)
        ours.step()
        theirs.step()
    for p, t in zip(params, references, strict=True):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)


@each_optimizer
def test_add_param_group_trains_the_new_group_like_torch(name):
    torch = pytest.importorskip("torch")
    params = three_parameters()
    references = torch_copies(torch, params)
    ours, theirs = MAKERS[name](params[:2]), torch_twin(torch, name, references[:2])
    for step, grads in enumerate(gradient_plan(6, np.float64)):
        if step == 2:
            ours.add_param_group({"params": params[2], "lr": 0.02})
            theirs.add_param_group({"params": references[2], "lr": 0.02})
        for p, t, g in zip(params, references, grads, strict=True):
            p.grad = None if g is None else g
            t.grad = None if g is None else torch.tensor(g)
        ours.step()
        theirs.step()
    assert ours.param_groups[1]["params"] == [params[2]]
    assert {k: v for k, v in ours.param_groups[1].items() if k != "params"} == {
        **{k: v for k, v in ours.defaults.items()}, "lr": 0.02}
    for p, t in zip(params, references, strict=True):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_a_group_dict_given_by_the_caller_is_not_changed():
    group = {"params": [nn.Parameter(np.ones(2))], "lr": 0.5}
    nn.optim.SGD([group], lr=0.1)
    assert list(group) == ["params", "lr"]


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda a, b: nn.optim.SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1), ValueError,
     r"parameter 2 \(group 1\) is parameter 1 \(group 0\) again"),
    (lambda a, b: nn.optim.SGD([{"params": [a]}, {"params": [b, b]}], lr=0.1), ValueError,
     r"parameter 2 \(group 1\) is parameter 1 \(group 1\) again"),
    (lambda a, b: nn.optim.SGD([{"params": [a]}, b], lr=0.1), TypeError, "mixes"),
    (lambda a, b: nn.optim.SGD({a, b}, lr=0.1), TypeError, "set"),
    (lambda a, b: nn.optim.SGD([{"params": {a, b}}], lr=0.1), TypeError, "set"),
    (lambda a, b: nn.optim.SGD([{"lr": 0.1}], lr=0.1), KeyError, "group 0 has no 'params'"),
    (lambda a, b: nn.optim.SGD([{"params": [a]}, {"params": [b], "lr": -1}], lr=0.1),
     ValueError, r"parameter group 1: lr must be >= 0, got -1"),
    (lambda a, b: nn.optim.Adam([{"params": [a], "betas": (0.9,)}]), ValueError,
     r"parameter group 0: betas must be two numbers in \[0, 1\)"),
    (lambda a, b: nn.optim.SGD([{"params": [a], "momentum": 0.0, "nesterov": True}], lr=0.1,
                               momentum=0.9), ValueError, "group 0: nesterov=True needs"),
])
def test_bad_parameter_groups_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make(nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3)))


def test_add_param_group_refuses_a_parameter_already_optimized_and_changes_nothing():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    optimizer = nn.optim.Adam([a])
    with pytest.raises(ValueError, match=r"parameter 2 \(group 1\) is parameter 0 \(group 0\)"):
        optimizer.add_param_group({"params": [b, a]})
    with pytest.raises(TypeError, match="parameter group 1 must be a dict"):
        optimizer.add_param_group([b])
    assert len(optimizer.param_groups) == 1


def test_a_single_value_as_a_groups_params_is_a_group_of_one():
    p = nn.Parameter(np.ones(2))
    optimizer = nn.optim.SGD([{"params": p}], lr=0.5)
    p.grad = np.ones(2)
    optimizer.step()
    assert optimizer.param_groups[0]["params"] == [p]
    np.testing.assert_array_equal(p.numpy(), [0.5, 0.5])


# -- state_dict ---------------------------------------------------------------------------------

def trained(name, steps=3, dtype=np.float64, groups=True, **kw):
    """(params, optimizer) after `steps` steps of gradient_plan (parameter 1 skips step 2)."""
    params = three_parameters(dtype)
    optimizer = MAKERS[name](two_groups(params) if groups else params, **kw)
    for grads in gradient_plan(steps, dtype):
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        optimizer.step()
    return params, optimizer


@each_optimizer
def test_state_dict_has_torchs_layout(name):
    torch = pytest.importorskip("torch")
    params = three_parameters()
    references = torch_copies(torch, params)
    ours = MAKERS[name](two_groups(params))
    theirs = torch_twin(torch, name, two_groups(references))
    for grads in gradient_plan(2, np.float64):  # parameter 2 never gets a gradient
        for p, t, g in zip(params[:2], references[:2], grads, strict=False):
            p.grad, t.grad = g, torch.tensor(g)
        ours.step()
        theirs.step()
    mine, expected = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(expected) == ["state", "param_groups"]
    assert list(mine["state"]) == list(expected["state"]) == [0, 1]
    for index, entries in expected["state"].items():
        assert list(mine["state"][index]) == list(entries), index
        for key, value in entries.items():
            np.testing.assert_allclose(mine["state"][index][key], value.numpy(), rtol=1e-12,
                                       err_msg=f"{index} {key}")
    for group, reference in zip(mine["param_groups"], expected["param_groups"], strict=True):
        assert list(group) == [key for key in reference if key not in TORCH_ONLY]
        assert all(group[key] == reference[key] for key in group)


def test_sgd_without_momentum_keeps_no_state():
    _, optimizer = trained("SGD", momentum=0.0)
    assert optimizer.state_dict()["state"] == {}
    assert optimizer.state == {}


def test_step_is_a_count_per_parameter():
    _, optimizer = trained("Adam", steps=3)
    assert [entries["step"] for entries in optimizer.state_dict()["state"].values()] == [3, 2, 3]


@each_optimizer
def test_state_dict_is_a_copy(name):
    _, optimizer = trained(name)
    state = optimizer.state_dict()
    saved = {index: {k: np.array(v) for k, v in entries.items()}
             for index, entries in state["state"].items()}
    for entries in state["state"].values():
        for value in entries.values():
            if isinstance(value, np.ndarray):
                value += 100.0
    state["param_groups"][0]["params"].append(7)
    state["param_groups"][0]["lr"] = 9.0
    assert optimizer.param_groups[0]["lr"] != 9.0
    assert optimizer.state_dict()["param_groups"][0]["params"] == [0, 1]
    for index, entries in optimizer.state_dict()["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(value, saved[index][key])


def assert_same_state(a, b):
    assert list(a["state"]) == list(b["state"])
    for index in a["state"]:
        assert list(a["state"][index]) == list(b["state"][index])
        for key, value in a["state"][index].items():
            np.testing.assert_array_equal(value, b["state"][index][key], err_msg=f"{index} {key}")
    assert a["param_groups"] == b["param_groups"]


@each_optimizer
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_resuming_from_a_state_dict_equals_an_uninterrupted_run_bit_for_bit(name, dtype):
    plan = gradient_plan(10, dtype)

    def run(params, optimizer, grads_plan):
        for grads in grads_plan:
            for p, g in zip(params, grads, strict=True):
                p.grad = g
            optimizer.step()

    params = three_parameters(dtype)
    optimizer = MAKERS[name](two_groups(params))
    run(params, optimizer, plan)
    first = three_parameters(dtype)
    interrupted = MAKERS[name](two_groups(first))
    run(first, interrupted, plan[:5])
    state = interrupted.state_dict()
    resumed_params = [nn.Parameter(np.array(p.data)) for p in first]
    resumed = MAKERS[name](two_groups(resumed_params), lr=0.5)  # the state restores the lr
    resumed.load_state_dict(state)
    del interrupted, state
    run(resumed_params, resumed, plan[5:])
    for p, q in zip(params, resumed_params, strict=True):
        assert np.array_equal(p.data, q.data)
        assert q.dtype == dtype
    assert_same_state(optimizer.state_dict(), resumed.state_dict())


def test_load_state_dict_copies_the_arrays_and_casts_them_to_the_parameters_dtype():
    _, source = trained("Adam")
    state = source.state_dict()
    params = three_parameters(np.float32)
    optimizer = MAKERS["Adam"](two_groups(params))
    optimizer.load_state_dict(state)
    state["state"][0]["exp_avg"] += 1.0
    loaded = optimizer.state_dict()["state"][0]["exp_avg"]
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, source.state_dict()["state"][0]["exp_avg"]
                                  .astype(np.float32))


def _edit(change):
    _, optimizer = trained("Adam")
    state = optimizer.state_dict()
    change(state)
    return state


BAD_STATES = [
    (lambda s: s["param_groups"].pop(), ValueError,
     "the state_dict has 1 parameter groups, the optimizer has 2"),
    (lambda s: s["param_groups"][1]["params"].append(5), ValueError,
     "parameter group 1 has 2 parameters in the state_dict, 1 in the optimizer"),
    (lambda s: s["param_groups"][1].update(params=[0]), ValueError,
     "parameter number 0 appears twice"),
    (lambda s: s["param_groups"][0].pop("betas"), KeyError,
     r"parameter group 0 lacks the hyperparameters \['betas'\].*another kind of optimizer"),
    (lambda s: s["param_groups"][1].update(lr=-1.0), ValueError,
     "parameter group 1: lr must be >= 0"),
    (lambda s: s["state"][2].update(exp_avg=np.ones(5)), ValueError,
     r"the state of parameter 2: 'exp_avg' has shape \(5,\), but the parameter has shape \(\)"),
    (lambda s: s["state"][0].pop("exp_avg_sq"), KeyError,
     r"the state of parameter 0 lacks the entries \['exp_avg_sq'\]"),
    (lambda s: s["state"][1].update(momentum_buffer=np.ones(4)), KeyError,
     r"the state of parameter 1 has unexpected entries \['momentum_buffer'\]"),
    (lambda s: s["state"][1].update(step=2.5), ValueError,
     r"'step' must be a whole number from 0 to 2\*\*53, got 2.5"),
    (lambda s: s["state"][1].update(step=1e300), ValueError,  # nn.save could not store it
     r"'step' must be a whole number from 0 to 2\*\*53, got 1e\+300"),
    (lambda s: s["state"][1].update(exp_avg=np.array(["a"] * 4)), ValueError,
     "'exp_avg' has dtype <U1; expected numbers"),
    (lambda s: s["state"].update({3: s["state"][0]}), KeyError,
     r"'state' has an entry for parameter 3, but the param_groups number the parameters "
     r"\[0, 1, 2\]"),
    (lambda s: s.pop("state"), KeyError, r"lacks the entries \['state'\]"),
    (lambda s: s.update(extra=1), KeyError, r"unexpected entries \['extra'\]"),
    (lambda s: s.update(param_groups={"lr": 1}), TypeError, "must be a list of dicts"),
]


@pytest.mark.parametrize(("change", "error", "message"), BAD_STATES)
def test_load_state_dict_names_what_is_wrong_and_changes_nothing(change, error, message):
    # the bad entry comes after good ones: nothing may be written before the check fails
    params, optimizer = trained("Adam", steps=1)
    before = optimizer.state_dict()
    with pytest.raises(error, match=message):
        optimizer.load_state_dict(_edit(change))
    assert_same_state(optimizer.state_dict(), before)
    assert optimizer.param_groups[0]["params"] == params[:2]


def test_the_state_of_another_kind_of_optimizer_is_refused():
    _, adam = trained("Adam")
    params = three_parameters()
    sgd = MAKERS["SGD"](two_groups(params))
    with pytest.raises(KeyError, match=r"lacks the hyperparameters \['momentum', 'dampening', "
                                       r"'nesterov'\]"):
        sgd.load_state_dict(adam.state_dict())


@pytest.mark.parametrize("make", [
    lambda ps: nn.optim.SGD(ps, lr=0.1), lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: nn.optim.Adam(ps), lambda ps: nn.optim.AdamW(ps), lambda ps: nn.optim.RMSprop(ps)])
@pytest.mark.parametrize("grad", [np.ones(2), np.ones((2, 3)), 1.0])
def test_a_gradient_of_another_shape_is_refused_not_broadcast(make, grad):
    """torch refuses the assignment; here the step refuses it, before changing anything."""
    p = nn.Parameter(np.zeros((3, 2)), name="weight")
    optimizer = make([p])
    p.grad = np.ones((3, 2))
    optimizer.step()  # the first step (SGD's fast path starts at the second)
    before = np.array(p.data)
    p.grad = grad
    with pytest.raises(ValueError, match=r"parameter 0 of group 0 \(weight\) has a .grad of "
                                         r"shape .*, but its data has shape \(3, 2\)"):
        optimizer.step()
    np.testing.assert_array_equal(p.data, before)
