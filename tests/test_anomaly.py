"""detect_anomaly: the first nan or inf, forward or backward, named with its op, scope and line."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import engine, value

HERE = __file__


def next_line() -> int:
    """The number of the caller's next line: the line that makes the op under test."""
    return sys._getframe(1).f_lineno + 1


@pytest.fixture(autouse=True)
def quiet_numpy():
    """log(0) and friends warn, and pytest makes warnings errors: these tests want the inf."""
    with np.errstate(all="ignore"):
        yield


def test_a_nan_in_a_forward_result_raises_naming_the_op_its_input_and_the_line():
    x = ag.Value(-1.0, name="x")
    with pytest.raises(ag.AnomalyError) as caught, ag.detect_anomaly():
        line = next_line()
        ag.log(x)
    message = str(caught.value)
    first = message.splitlines()[0]
    assert first == (f"detect_anomaly: op 'log' (made at {HERE}:{line}) gave nan in the "
                     "forward pass.")
    assert "  rule:     out = ln(x);  d/dx = 1 / x" in message
    assert "  inputs:   x = -1" in message
    assert f"  made at:  {HERE}:{line}, in test_a_nan_in_a_forward_result" in message
    assert "ag.log(x)" in message  # the line's code


def test_anomaly_error_is_a_runtime_error():
    assert issubclass(ag.AnomalyError, RuntimeError)


def test_only_the_first_bad_op_raises_not_the_ones_after_it():
    x = ag.Value(0.0, name="x")
    with pytest.raises(ag.AnomalyError, match="op 'log'"), ag.detect_anomaly():
        (ag.log(x) * 2).exp()


def test_an_inf_gradient_in_backward_raises_naming_the_op_and_the_input():
    x = ag.Value(0.0, name="x")
    with pytest.raises(ag.AnomalyError) as caught, ag.detect_anomaly():
        line = next_line()
        y = x.sqrt() * 3.0  # forward: sqrt(0) = 0 is fine; d/dx = 1 / (2 sqrt(x)) is inf
        y.backward()
    first = str(caught.value).splitlines()[0]
    assert first == (f"detect_anomaly: op 'sqrt' (made at {HERE}:{line}) passed inf to input 0 "
                     "(upstream 3) in the backward pass.")


def test_a_tensor_result_says_how_many_elements_are_bad():
    x = ag.Value([1.0, 0.0, -1.0, 4.0])
    with pytest.raises(ag.AnomalyError, match=r"gave nan in 1 and inf in 1 of its 4 elements"), \
            ag.detect_anomaly():
        ag.log(x) * ag.Value([1.0, -1.0, 1.0, 1.0])  # log gives [0, -inf, nan, 1.386]


def test_the_scope_is_named():
    x = ag.Value(0.0)
    with pytest.raises(ag.AnomalyError, match=r"^detect_anomaly: op 'log' in block › inner "), \
            ag.detect_anomaly(), ag.scope("block"), ag.scope("inner"):
        ag.log(x)


def test_an_op_inside_an_nn_module_names_the_module_and_the_users_line():
    layer = nn.Linear(3, 2)
    batch = np.ones((4, 3))
    batch[0, 0] = np.nan
    with pytest.raises(ag.AnomalyError) as caught, ag.detect_anomaly():
        line = next_line()
        layer(batch)
    message = str(caught.value)
    assert message.startswith(f"detect_anomaly: op 'linear' in Linear(3→2) (made at {HERE}:{line})"
                              " gave nan in 2 of its 8 elements in the forward pass.")
    assert f"called from {HERE}:{line}, in test_an_op_inside_an_nn_module" in message
    assert "weight = (2, 3) float64" in message


def test_an_op_made_before_the_block_is_reported_without_a_line():
    x = ag.Value(0.0)
    y = x.sqrt()
    with pytest.raises(ag.AnomalyError, match="made outside the detect_anomaly"), \
            ag.detect_anomaly():
        y.backward()


def test_finite_programs_give_the_same_results_inside_a_block():
    def run() -> tuple[float, np.ndarray]:
        nn.manual_seed(0)
        model = nn.MLP([3, 4, 1])
        x = ag.Value(np.linspace(-1, 1, 6).reshape(2, 3))
        loss = model(x).sum()
        loss.backward()
        return loss.item(), next(model.parameters()).grad

    plain = run()
    with ag.detect_anomaly():
        checked = run()
    assert plain[0] == checked[0]
    np.testing.assert_array_equal(plain[1], checked[1])


def test_outside_a_block_nothing_is_checked():
    x = ag.Value(0.0)
    with ag.detect_anomaly():
        pass
    assert ag.log(x).item() == -np.inf
    y = x.sqrt()
    y.backward()
    assert x.grad == np.inf


def test_leaving_the_block_by_an_exception_restores_the_state():
    with pytest.raises(ag.AnomalyError), ag.detect_anomaly():
        ag.log(ag.Value(0.0))
    assert value._watch is None and engine.watch_pass is None
    assert value._customised is False and not value._customised_threads
    assert ag.log(ag.Value(0.0)).item() == -np.inf


def test_leaving_an_inner_block_keeps_the_outer_one():
    with ag.detect_anomaly():
        with ag.detect_anomaly():
            pass
        with pytest.raises(ag.AnomalyError):
            ag.log(ag.Value(0.0))
    assert value._watch is None


def test_a_block_covers_only_its_own_thread():
    entered, done = threading.Event(), threading.Event()
    results = []

    def other_thread() -> None:
        entered.wait(timeout=30)
        results.append((ag.Value(1e308) * 10.0).item())  # inf, but not in a block: no check
        done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with ag.detect_anomaly():
        entered.set()
        done.wait(timeout=30)
        with pytest.raises(ag.AnomalyError):
            ag.Value(1e308) * 10.0
    worker.join(timeout=30)
    assert results == [np.inf]


def test_scopes_and_no_grad_keep_working_inside_and_after_a_block():
    with ag.detect_anomaly(), ag.scope("s"):
        inside = ag.Value(1.0) * 2
        with ag.no_grad():
            constant = ag.Value(1.0) * 2
    after = ag.Value(1.0) * 2
    assert inside.scope == ("s",) and after.scope == ()
    assert not constant.requires_grad and after.requires_grad


def test_one_block_entered_inside_itself_leaves_nothing_switched_on():
    block = ag.detect_anomaly()
    with block, block:
        pass
    assert value._watch is None and engine.watch_pass is None and not value._customised
    with np.errstate(invalid="ignore"):
        assert np.isnan(ag.log(ag.Value(-1.0)).item())  # no AnomalyError outside the block


def test_finite_shares_that_add_up_to_inf_are_caught_where_they_meet():
    """Each sqrt passes 9e307 back, finite; their sum at the Value both use is inf."""
    a = ag.Value(1e-300, name="a")
    with pytest.raises(ag.AnomalyError, match=r"op 'mul' .* received a gradient of inf, the sum "
                                              r"of the finite shares passed to it"), \
            ag.detect_anomaly():
        s = a * 1.0
        (ag.sqrt(s) * 1.8e158 + ag.sqrt(s) * 1.8e158).backward()


def test_finite_shares_that_add_up_to_inf_in_a_leaf_are_caught():
    a = ag.Value(1e-300, name="a")
    with pytest.raises(ag.AnomalyError, match=r"op 'sqrt' .* passed a finite share to input 0 "
                                              r"that brings its gradient to inf"), \
            ag.detect_anomaly():
        (ag.sqrt(a) * 1.8e158 + ag.sqrt(a) * 1.8e158).backward()
