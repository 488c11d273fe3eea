"""Learning-rate schedulers: torch's sequences, chaining, state_dict, resuming, errors."""

import math

import numpy as np
import pytest

import nn

sched = nn.optim.lr_scheduler


def sgd(lrs=(0.1, 0.05)):
    """An SGD optimizer with one group per lr (one parameter each)."""
    return nn.optim.SGD([{"params": [nn.Parameter(np.ones(2))], "lr": lr} for lr in lrs], lr=1.0)


def torch_sgd(torch, lrs=(0.1, 0.05)):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(2))], "lr": lr}
                            for lr in lrs], lr=1.0)


def rates(optimizer, schedulers, epochs):
    """get_last_lr() of the last scheduler after construction and after each epoch."""
    history = [schedulers[-1].get_last_lr()]
    for _ in range(epochs):
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
        history.append(schedulers[-1].get_last_lr())
    return history


CASES = {
    "StepLR": lambda s, opt: [s.StepLR(opt, step_size=4, gamma=0.3)],
    "ExponentialLR": lambda s, opt: [s.ExponentialLR(opt, gamma=0.8)],
    "CosineAnnealingLR": lambda s, opt: [s.CosineAnnealingLR(opt, T_max=6)],
    "CosineAnnealingLR eta_min": lambda s, opt: [s.CosineAnnealingLR(opt, 5, eta_min=0.001)],
    "LambdaLR": lambda s, opt: [s.LambdaLR(opt, lambda epoch: 1 / (epoch + 1))],
    "LambdaLR per group": lambda s, opt: [s.LambdaLR(opt, [lambda e: 0.9 ** e,
                                                           lambda e: 1 + (e % 3)])],
    "ExponentialLR then StepLR": lambda s, opt: [s.ExponentialLR(opt, 0.9),
                                                 s.StepLR(opt, 3, gamma=0.5)],
    "CosineAnnealingLR then ExponentialLR": lambda s, opt: [
        s.CosineAnnealingLR(opt, 4, eta_min=0.01), s.ExponentialLR(opt, 0.95)],
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_learning_rates_equal_torchs_over_40_epochs(make):
    torch = pytest.importorskip("torch")
    optimizer, reference = sgd(), torch_sgd(torch)
    mine = rates(optimizer, make(sched, optimizer), 40)
    expected = rates(reference, make(torch.optim.lr_scheduler, reference), 40)
    assert mine == expected  # the same float operations in the same order
    assert [g["lr"] for g in optimizer.param_groups] == mine[-1]


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    optimizer = sgd((1.0,))
    history = rates(optimizer, [sched.StepLR(optimizer, 2, gamma=0.5)], 6)
    assert history == [[1.0], [1.0], [0.5], [0.5], [0.25], [0.25], [0.125]]


def test_cosine_annealing_reaches_eta_min_at_t_max_and_climbs_back():
    optimizer = sgd((1.0,))
    history = [lrs[0] for lrs in rates(optimizer, [sched.CosineAnnealingLR(optimizer, 4, 0.2)],
                                       8)]
    closed_form = [0.2 + 0.8 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    np.testing.assert_allclose(history, closed_form, rtol=1e-14, atol=1e-15)
    assert history[4] == pytest.approx(0.2) and history[8] == pytest.approx(1.0)


def test_construction_sets_initial_lr_once_and_performs_step_zero():
    optimizer = sgd()
    first = sched.ExponentialLR(optimizer, 0.5)
    assert first.last_epoch == 0 and first.get_last_lr() == [0.1, 0.05]
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.05]
    first.step()
    second = sched.StepLR(optimizer, 3)  # initial_lr is kept: base_lrs are the first lrs
    assert second.base_lrs == [0.1, 0.05]
    assert second.get_last_lr() == [0.05, 0.025]


def test_get_last_lr_is_a_copy():
    optimizer = sgd()
    scheduler = sched.StepLR(optimizer, 3)
    scheduler.get_last_lr().append(1.0)
    assert scheduler.get_last_lr() == [0.1, 0.05]


def test_state_dict_holds_torchs_numbers():
    torch = pytest.importorskip("torch")
    for make in CASES.values():
        optimizer, reference = sgd(), torch_sgd(torch)
        ours, theirs = make(sched, optimizer)[-1], make(torch.optim.lr_scheduler, reference)[-1]
        rates(optimizer, [ours], 3)
        rates(reference, [theirs], 3)
        expected = {key: value for key, value in theirs.state_dict().items()
                    if key not in ("_is_initial", "_get_lr_called_within_step", "lr_lambdas")}
        mine = ours.state_dict()
        assert list(mine) == list(expected)
        for key, value in expected.items():
            np.testing.assert_allclose(mine[key], value, rtol=1e-15, err_msg=key)


@pytest.mark.parametrize("through", ["state_dict", "file"])
@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_a_resumed_scheduler_continues_the_same_sequence(make, through, tmp_path):
    optimizer = sgd()
    uninterrupted = rates(optimizer, make(sched, optimizer), 20)
    optimizer = sgd()
    schedulers = make(sched, optimizer)
    first_half = rates(optimizer, schedulers, 10)
    fresh = sgd((0.7, 0.7))
    fresh_schedulers = make(sched, fresh)  # torch's order: build, then load both states
    if through == "state_dict":
        fresh.load_state_dict(optimizer.state_dict())
        for old, new in zip(schedulers, fresh_schedulers, strict=True):
            new.load_state_dict(old.state_dict())
    else:
        nn.save(optimizer, tmp_path / "optimizer.npz")
        nn.load(fresh, tmp_path / "optimizer.npz")
        for index, (old, new) in enumerate(zip(schedulers, fresh_schedulers, strict=True)):
            nn.save(old, tmp_path / f"scheduler{index}.npz")
            nn.load(new, tmp_path / f"scheduler{index}.npz")
    second_half = rates(fresh, fresh_schedulers, 10)
    assert first_half + second_half[1:] == uninterrupted
    assert [type(lr) for lr in second_half[-1]] == [float, float]


def test_resuming_with_last_epoch_continues_from_the_loaded_learning_rates():
    torch = pytest.importorskip("torch")

    def anneal_then_resume(module, optimizer):
        history = rates(optimizer, [module.CosineAnnealingLR(optimizer, 7)], 5)
        resumed = module.CosineAnnealingLR(optimizer, 7, last_epoch=5)  # step 0 keeps the lrs
        return history + rates(optimizer, [resumed], 6)

    mine = anneal_then_resume(sched, sgd())
    expected = anneal_then_resume(torch.optim.lr_scheduler, torch_sgd(torch))
    np.testing.assert_allclose(mine, expected, rtol=1e-15)


def test_lambda_lr_state_dict_leaves_the_functions_out():
    optimizer = sgd()
    scheduler = sched.LambdaLR(optimizer, lambda epoch: 0.5)
    assert list(scheduler.state_dict()) == ["base_lrs", "last_epoch", "_step_count", "_last_lr"]


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda opt: sched.StepLR(opt, 0), ValueError, "step_size must be an integer >= 1, got 0"),
    (lambda opt: sched.StepLR(opt, 2.5), ValueError, "step_size must be an integer"),
    (lambda opt: sched.StepLR(opt, 2, gamma=-0.5), ValueError, "gamma must be a number > 0"),
    (lambda opt: sched.ExponentialLR(opt, "0.9"), ValueError, "gamma must be a number > 0"),
    (lambda opt: sched.CosineAnnealingLR(opt, 0), ValueError, "T_max must be an integer >= 1"),
    (lambda opt: sched.CosineAnnealingLR(opt, 5, eta_min=-1), ValueError, "eta_min must be"),
    (lambda opt: sched.LambdaLR(opt, [lambda e: 1.0]), ValueError,
     "expected 2 lr_lambdas, one per parameter group, got 1"),
    (lambda opt: sched.LambdaLR(opt, 0.5), TypeError, "lr_lambda must be a function"),
    (lambda opt: sched.StepLR(opt, 3, last_epoch=4), KeyError,
     r"param_groups\[0\] has no 'initial_lr'"),
    (lambda opt: sched.StepLR(opt, 3, last_epoch=-2), ValueError, "last_epoch must be"),
    (lambda opt: sched.StepLR("optimizer", 3), TypeError, "needs an nn.optim optimizer"),
])
def test_bad_scheduler_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make(sgd())


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda s: s.pop("gamma"), KeyError, r"missing \['gamma'\]"),
    (lambda s: s.update(T_max=3), KeyError, r"unexpected \['T_max'\]"),
    (lambda s: s.update(base_lrs=[0.1]), ValueError, "base_lrs must be a list of 2 numbers"),
    (lambda s: s.update(_last_lr=[0.1, "x"]), ValueError, "_last_lr must be a list of 2"),
    (lambda s: s.update(step_size=0), ValueError, "step_size must be an integer >= 1"),
    (lambda s: s.update(last_epoch=1.5), ValueError, "last_epoch must be an integer"),
])
def test_load_state_dict_refuses_a_bad_state_and_changes_nothing(change, error, message):
    optimizer = sgd()
    scheduler = sched.StepLR(optimizer, 3, gamma=0.5)
    rates(optimizer, [scheduler], 4)
    before = scheduler.state_dict()
    state = dict(before, last_epoch=9, gamma=0.1)  # good changes first, then the bad one
    change(state)
    with pytest.raises(error, match=message):
        scheduler.load_state_dict(state)
    assert scheduler.state_dict() == before


@pytest.mark.parametrize("make", [
    lambda opt: nn.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5 ** epoch),
    lambda opt: nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)])
def test_a_scheduler_made_before_add_param_group_says_so(make):
    optimizer = nn.optim.SGD([nn.Parameter(np.ones(2))], lr=0.1)
    scheduler = make(optimizer)
    optimizer.add_param_group({"params": [nn.Parameter(np.ones(3))]})
    with pytest.raises(ValueError, match=r"made for 1 parameter group\(s\), but the optimizer "
                                         r"now has 2: make the scheduler after add_param_group"):
        for _ in range(5):
            scheduler.step()


def test_step_lr_carries_on_after_add_param_group_as_in_torch():
    optimizer = nn.optim.SGD([nn.Parameter(np.ones(2))], lr=0.1)
    scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.add_param_group({"params": [nn.Parameter(np.ones(3))], "lr": 1.0})
    scheduler.step()
    assert scheduler.get_last_lr() == [0.05, 0.5]
