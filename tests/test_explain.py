"""explain_backward: the chain rule step by step, checked against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def small_graph() -> tuple[ag.Value, ag.Value, ag.Value]:
    """L = (a * b + a) ** 2 with a = 2, b = -3.

    By hand: c = a*b = -6, d = c + a = -4, L = d**2 = 16.
    dL/dd = 2d = -8;  dL/dc = dL/dd * 1 = -8;  dL/da = -8 (through add) + (-8) * b (through
    mul) = -8 + 24 = 16;  dL/db = -8 * a = -16.
    """
    a, b = ag.Value(2.0, name="a"), ag.Value(-3.0, name="b")
    c = a * b
    c.name = "c"
    d = c + a
    d.name = "d"
    loss = d ** 2
    loss.name = "L"
    return a, b, loss


def test_one_step_per_op_in_backward_order_starting_at_the_root_op():
    _, _, loss = small_graph()
    steps = ag.explain_backward(loss).steps
    assert [step.op for step in steps] == ["pow", "add", "mul"]
    assert [step.number for step in steps] == [1, 2, 3]
    assert steps[0].output is loss
    assert [step.label for step in steps] == ["L", "d", "c"]


def test_upstream_local_and_passed_gradients_match_the_chain_rule_by_hand():
    a, b, loss = small_graph()
    power, add, mul = ag.explain_backward(loss).steps

    assert power.upstream == 1.0 and power.sources == ()
    d, two = power.inputs
    assert (d.label, d.local, d.grad) == ("d", -8.0, -8.0)  # d(d**2)/dd = 2d
    assert two.value.data == 2.0 and two.local is None and two.grad is None  # the constant 2

    assert add.upstream == -8.0 and add.sources == (1,)
    assert [(i.label, i.local, i.grad) for i in add.inputs] == [("c", 1.0, -8.0),
                                                               ("a", 1.0, -8.0)]

    assert mul.upstream == -8.0 and mul.sources == (2,)
    assert [(i.value, i.local, i.grad) for i in mul.inputs] == [(a, -3.0, 24.0),  # local = b
                                                               (b, 2.0, -16.0)]  # local = a


def test_leaf_totals_add_up_every_use():
    a, b, loss = small_graph()
    leaves = {leaf.value: leaf for leaf in ag.explain_backward(loss).leaves}
    assert set(leaves) == {a, b}
    assert leaves[a].grad == 16.0 and leaves[a].sources == (2, 3)
    assert leaves[b].grad == -16.0 and leaves[b].sources == (3,)


def test_the_table_shows_the_chain_rule_with_4_significant_digits():
    x = ag.Value(1 / 3, name="x")
    y = x * x  # dy/dx through each use: x = 0.3333, total 2x = 0.6667
    y.name = "y"
    text = str(ag.explain_backward(y))
    assert "Backward pass from y = 0.1111: 1 op" in text
    assert text.count("x = 0.3333  0.3333              0.3333") == 2
    assert "x     0.3333  0.6667  1, 1" in text
    assert "mul: out = a * b;  d/da = b,  d/db = a" in text


def test_the_table_of_the_small_graph():
    _, _, loss = small_graph()
    lines = str(ag.explain_backward(loss)).splitlines()
    assert lines[3:12] == [
        "step  op   output  upstream  from  input      local d(out)/d(in)  grad passed",
        "----  ---  ------  --------  ----  ---------  ------------------  -----------",
        "   1  pow  L = 16  1         seed  d = -4     -8                  -8",
        "                                   const = 2                      (constant)",
        "   2  add  d = -4  -8        1     c = -6     1                   -8",
        "                                   a = 2      1                   -8",
        "   3  mul  c = -6  -8        2     a = 2      -3                  24",
        "                                   b = -3     2                   -16",
        "",
    ]


def test_no_grad_changes():
    a, b, loss = small_graph()
    ag.explain_backward(loss)
    assert a.grad is None and b.grad is None and loss.grad is None
    loss.backward()
    before = {v: v.grad for v in (a, b, loss)}
    ag.explain_backward(loss)
    assert {v: v.grad for v in (a, b, loss)} == before


def test_tensor_gradients_stay_unchanged_in_place():
    w = ag.Value(np.ones(3), name="w")
    loss = (w * np.array([1.0, 2.0, 3.0])).sum()
    loss.backward()
    before = w.grad.copy()
    ag.explain_backward(loss)
    np.testing.assert_array_equal(w.grad, before)


def test_leaf_gradients_equal_what_backward_stores_when_values_are_shared():
    rng = np.random.default_rng(0)
    x = ag.Value(rng.normal(size=(4, 3)), name="x")
    w = ag.Value(rng.normal(size=(3,)), name="w")
    h = (x * w).tanh()
    loss = ag.mse_loss((h * h + h).sum(axis=1), np.zeros(4)) + (w * w).sum()
    explained = {leaf.value: leaf.grad for leaf in ag.explain_backward(loss).leaves}
    loss.backward()
    np.testing.assert_allclose(explained[x], x.grad, rtol=1e-12)
    np.testing.assert_allclose(explained[w], w.grad, rtol=1e-12)


def test_tensor_steps_show_shapes_and_give_a_local_derivative_only_for_a_scalar_output():
    x = ag.Value(np.arange(6.0).reshape(2, 3), name="x")
    loss = ag.mse_loss(x.tanh(), np.zeros((2, 3)))
    mse, tanh = ag.explain_backward(loss).steps
    # scalar output: d(loss)/d(pred) exists, shaped like pred, and times upstream 1 is passed
    assert mse.inputs[0].local.shape == (2, 3)
    np.testing.assert_allclose(mse.inputs[0].local, mse.inputs[0].grad)
    # tensor output: the Jacobian is not formed
    assert tanh.inputs[0].local is None and tanh.inputs[0].grad.shape == (2, 3)
    text = str(ag.explain_backward(loss))
    assert "(2, 3) float64  min 0  mean 2.5  max 5" in text
    assert "Jacobian" in text


def test_float32_gradients_stay_float32():
    x = ag.Value(np.ones(3, dtype=np.float32), name="x")
    step = ag.explain_backward((x * 2.0).sum()).steps[-1]
    assert step.inputs[0].grad.dtype == np.float32


def test_a_tensor_root_needs_a_gradient_as_in_backward():
    x = ag.Value([1.0, 2.0], name="x")
    y = x * 3.0
    with pytest.raises(RuntimeError, match="not a scalar"):
        ag.explain_backward(y)
    leaf = ag.explain_backward(y, grad=[1.0, -1.0]).leaves[0]
    y.backward([1.0, -1.0])
    np.testing.assert_array_equal(leaf.grad, x.grad)


def test_a_constant_root_cannot_be_explained():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.explain_backward(ag.Value(1.0, requires_grad=False))
    with pytest.raises(TypeError, match="needs a Value"):
        ag.explain_backward(1.0)


def test_a_leaf_root_has_no_steps():
    x = ag.Value(3.0, name="x")
    explanation = ag.explain_backward(x)
    assert explanation.steps == () and explanation.leaves[0].grad == 1.0
    assert str(explanation).startswith("x = 3 is a leaf")


def test_unnamed_values_are_numbered_in_forward_order_and_the_root_is_out():
    x = ag.Value(2.0)
    steps = ag.explain_backward((x * 3.0).exp()).steps
    assert [step.label for step in steps] == ["out", "v2"]
    assert [item.label for item in steps[1].inputs] == ["v1", "const"]


def test_labels_do_not_depend_on_the_order_backward_takes_the_ops():
    x = ag.Value(2.0)
    left, right = x * 3.0, x + 1.0  # v2, v3: numbered as computed, inputs in argument order
    steps = ag.explain_backward(left * right).steps
    assert [step.label for step in steps] == ["out", "v3", "v2"]
    assert [item.label for item in steps[0].inputs] == ["v2", "v3"]


def test_a_graph_deeper_than_the_recursion_limit_is_explained():
    x = ag.Value(1.0, name="x")
    y = x
    for _ in range(100_000):
        y = -y
    explanation = ag.explain_backward(y)
    assert len(explanation.steps) == 100_000
    assert explanation.leaves[0].grad == 1.0


def test_repr_is_short_and_str_is_the_table():
    _, _, loss = small_graph()
    explanation = ag.explain_backward(loss)
    assert repr(explanation) == "<Explanation: 3 backward steps; print() it for the table>"
    assert str(explanation).startswith("Backward pass from L = 16: 3 ops")
