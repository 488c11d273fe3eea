"""Every case of the nn table (nn_table.py) against its torch twin.

Layers and losses: the same state_dict keys, shapes and dtypes; our weights in torch give the
same outputs, input and parameter gradients and updated buffers, in train and eval mode;
torch's weights in ours give the same outputs. Optimizers: the same parameters after every
step, and a resumed run equals an uninterrupted one bit for bit. Schedulers: the same learning
rates. Skipped as a whole when torch is not installed.
"""

import numpy as np
import pytest
from nn_table import MODULES, OPTIMIZERS, SCHEDULERS, ModuleCase

import autograd as ag
import nn

torch = pytest.importorskip("torch")

TORCH_DTYPES = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}


def as_numpy(t):
    return t.detach().numpy(force=True)


def build_pair(case: ModuleCase, seed: int = 0):
    """Ours (seeded) and torch's (cast to the case's dtype), with identical weights: ours
    copied into torch's, which must accept them strictly."""
    nn.manual_seed(seed)
    ours = case.make()
    theirs = case.make_torch(torch).to(TORCH_DTYPES[np.dtype(case.dtype)])
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in
                            ours.state_dict().items()}, strict=True)
    return ours, theirs


def set_mode(ours, theirs, mode: str) -> None:
    ours.train(mode == "train")
    theirs.train(mode == "train")


def run_both(case: ModuleCase, ours, theirs):
    """Forward both on the same inputs; returns (our inputs, torch's inputs, our outputs,
    torch's outputs). Float inputs are differentiated on both sides."""
    arrays = case.arrays()
    our_inputs, torch_inputs = [], []
    for spec, array in zip(case.inputs, arrays, strict=True):
        differentiated = isinstance(spec, tuple)
        our_inputs.append(ag.Value(array) if differentiated else array)
        torch_inputs.append(torch.tensor(array, requires_grad=True) if differentiated
                            else torch.from_numpy(np.array(array)))
    mine = case.outputs(ours(*our_inputs, **case.kwargs))
    expected = case.outputs(theirs(*torch_inputs, **case.kwargs))
    return our_inputs, torch_inputs, mine, expected


def assert_close(case: ModuleCase, what: str, actual, expected) -> None:
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=case.rtol, atol=case.atol,
                               err_msg=f"{case.id}: {what}")


each_module = pytest.mark.parametrize("case", MODULES, ids=[c.id for c in MODULES])


def modes_of(case: ModuleCase) -> list[str]:
    return [m for m in case.modes if not (case.stochastic and m == "train")]


each_module_and_mode = pytest.mark.parametrize(
    "case, mode", [(c, m) for c in MODULES for m in modes_of(c)],
    ids=[f"{c.id}-{m}" for c in MODULES for m in modes_of(c)])


@each_module
def test_state_dict_keys_shapes_and_dtypes_equal_torchs(case):
    nn.manual_seed(0)
    ours = case.make().state_dict()
    theirs = case.make_torch(torch).to(TORCH_DTYPES[np.dtype(case.dtype)]).state_dict()
    assert list(ours) == list(theirs)
    for name, tensor in theirs.items():
        assert ours[name].shape == tuple(tensor.shape), name
        assert ours[name].dtype == as_numpy(tensor).dtype, name


@each_module_and_mode
def test_our_weights_in_torch_give_the_same_values_and_gradients(case, mode):
    ours, theirs = build_pair(case)
    set_mode(ours, theirs, mode)
    our_inputs, torch_inputs, mine, expected = run_both(case, ours, theirs)
    assert len(mine) == len(expected)
    rng = np.random.default_rng(1)
    upstream = [rng.uniform(-1.5, 1.5, tuple(t.shape)).astype(case.dtype) for t in expected]
    for i, (m, e) in enumerate(zip(mine, expected, strict=True)):
        assert m.shape == tuple(e.shape), f"output {i}"
        assert_close(case, f"output {i}", m.numpy(), as_numpy(e))
    torch_state = theirs.state_dict()
    for name, array in ours.state_dict().items():  # buffers updated by a training forward
        assert_close(case, f"state {name} after the forward", array, as_numpy(torch_state[name]))
    if not any(m.requires_grad for m in mine):  # e.g. a loss of two constant arrays
        return
    sum((m * g).sum() for m, g in zip(mine, upstream, strict=True)).backward()
    sum((e * torch.from_numpy(g)).sum() for e, g in zip(expected, upstream, strict=True)
        ).backward()
    for i, (x, t) in enumerate(zip(our_inputs, torch_inputs, strict=True)):
        if isinstance(x, ag.Value):
            assert_close(case, f"gradient of input {i}", x.grad, as_numpy(t.grad))
    torch_parameters = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        t = torch_parameters[name]
        if t.grad is None:
            assert p.grad is None or not np.any(p.grad), name
        else:
            assert_close(case, f"gradient of {name}", p.grad, as_numpy(t.grad))


@each_module
def test_torchs_weights_in_ours_give_the_same_outputs(case):
    theirs = case.make_torch(torch).to(TORCH_DTYPES[np.dtype(case.dtype)])
    nn.manual_seed(1)  # other weights than torch's, until loaded
    ours = case.make()
    ours.load_state_dict({k: as_numpy(v) for k, v in theirs.state_dict().items()})
    set_mode(ours, theirs, "eval")
    _, _, mine, expected = run_both(case, ours, theirs)
    for i, (m, e) in enumerate(zip(mine, expected, strict=True)):
        assert_close(case, f"output {i}", m.numpy(), as_numpy(e))


# -- optimizers --------------------------------------------------------------------------------
SHAPES = [(3, 4), (4,), ()]


def initial_arrays(dtype):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradients(step: int, dtype):
    rng = np.random.default_rng(100 + step)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def as_groups(params, groups: bool):
    if not groups:
        return list(params)
    return [{"params": list(params[:2])}, {"params": [params[2]], "lr": 0.05}]


def our_run(case, dtype, steps, optimizer=None, params=None, first_step=0):
    if params is None:
        params = [nn.Parameter(a) for a in initial_arrays(dtype)]
    if optimizer is None:
        optimizer = case.make(as_groups(params, case.groups))
    history = []
    for step in range(first_step, first_step + steps):
        for p, g in zip(params, gradients(step, dtype), strict=True):
            p.grad = g
        optimizer.step()
        history.append([np.array(p.data) for p in params])
    return params, optimizer, history


each_optimizer = pytest.mark.parametrize("case", OPTIMIZERS, ids=[c.id for c in OPTIMIZERS])


@each_optimizer
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_optimizer_matches_torch_step_for_step(case, dtype):
    _, _, mine = our_run(case, dtype, case.steps)
    params = [torch.nn.Parameter(torch.from_numpy(a)) for a in initial_arrays(dtype)]
    optimizer = case.make_torch(torch, as_groups(params, case.groups))
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for step in range(case.steps):
        for p, g in zip(params, gradients(step, dtype), strict=True):
            p.grad = torch.from_numpy(g)
        optimizer.step()
        for i, p in enumerate(params):
            np.testing.assert_allclose(mine[step][i], as_numpy(p), rtol=tolerance,
                                       atol=tolerance, err_msg=f"step {step}, parameter {i}")


@each_optimizer
def test_optimizer_resumed_from_its_state_dict_equals_an_uninterrupted_run(case):
    half = case.steps // 2
    _, _, uninterrupted = our_run(case, np.float64, case.steps)
    params, optimizer, _ = our_run(case, np.float64, half)
    state = optimizer.state_dict()
    resumed_params = [nn.Parameter(np.array(p.data)) for p in params]
    resumed = case.make(as_groups(resumed_params, case.groups))
    resumed.load_state_dict(state)
    _, _, rest = our_run(case, np.float64, case.steps - half, resumed, resumed_params,
                         first_step=half)
    for mine, expected in zip(rest[-1], uninterrupted[-1], strict=True):
        np.testing.assert_array_equal(mine, expected)


@each_optimizer
def test_optimizer_state_has_torchs_entries(case):
    _, optimizer, _ = our_run(case, np.float64, 2)
    torch_params = [torch.nn.Parameter(torch.from_numpy(a)) for a in initial_arrays(np.float64)]
    reference = case.make_torch(torch, as_groups(torch_params, case.groups))
    for step in range(2):
        for p, g in zip(torch_params, gradients(step, np.float64), strict=True):
            p.grad = torch.from_numpy(g)
        reference.step()
    ours, theirs = optimizer.state_dict(), reference.state_dict()
    assert [g["params"] for g in ours["param_groups"]] == [g["params"] for g in
                                                          theirs["param_groups"]]
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, entries in theirs["state"].items():
        expected = {k: v for k, v in entries.items() if v is not None}
        assert sorted(ours["state"][index]) == sorted(expected), index
        for key, value in expected.items():
            np.testing.assert_allclose(np.asarray(ours["state"][index][key], dtype=float),
                                       as_numpy(torch.as_tensor(value)), rtol=1e-12,
                                       err_msg=f"state {index} {key}")


# -- learning-rate schedulers ------------------------------------------------------------------
each_scheduler = pytest.mark.parametrize("case", SCHEDULERS, ids=[c.id for c in SCHEDULERS])


def learning_rates(optimizer, scheduler, epochs: int) -> list[list[float]]:
    rates = [[float(lr) for lr in scheduler.get_last_lr()]]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        last = [float(lr) for lr in scheduler.get_last_lr()]
        assert last == [float(g["lr"]) for g in optimizer.param_groups]
        rates.append(last)
    return rates


@each_scheduler
def test_scheduler_gives_torchs_learning_rates(case):
    ours_params = [nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))]
    ours_optimizer = nn.optim.SGD([{"params": ours_params[:1]},
                                   {"params": ours_params[1:], "lr": 0.05}], lr=0.1)
    mine = learning_rates(ours_optimizer, case.make(ours_optimizer), case.epochs)
    torch_params = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
    torch_optimizer = torch.optim.SGD([{"params": torch_params[:1]},
                                       {"params": torch_params[1:], "lr": 0.05}], lr=0.1)
    expected = learning_rates(torch_optimizer, case.make_torch(torch, torch_optimizer),
                              case.epochs)
    np.testing.assert_allclose(mine, expected, rtol=1e-13, atol=1e-16)
