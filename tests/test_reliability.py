"""Hostile input to the engine: each case behaves as PyTorch does, or raises a clear error.

Never a silently wrong answer: copies that are copies, grad mode and scopes per thread,
concurrent backward passes, data changed between forward and backward, lists that hold
Values, non-integer axes, integer constants meeting float32, and joins of many inputs.
"""

import sys
import threading

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Value


# -- data safety ------------------------------------------------------------------------------
@pytest.mark.parametrize("convert", [np.array, lambda v: np.array(v, copy=True),
                                     lambda v: np.array(v, dtype=np.float64)],
                         ids=["np.array", "copy=True", "with a dtype"])
def test_np_array_of_a_value_is_a_copy(convert):
    v = Value([1.0, 2.0])
    array = convert(v)
    array[0] = 9.0
    assert v.data[0] == 1.0


def test_np_asarray_of_a_value_shares_its_data():
    v = Value([1.0, 2.0])
    assert np.shares_memory(np.asarray(v), v.data)
    assert np.shares_memory(np.asarray(v, copy=False), v.data)


def test_np_asarray_without_copy_of_a_python_float_value_raises_as_numpy_does():
    with pytest.raises(ValueError, match="would need a copy"):
        np.asarray(Value(2.0), copy=False)


# -- threads ----------------------------------------------------------------------------------
def run_in_thread_while(inside: type, label: str | None, main_work):
    """Hold `inside` (no_grad or scope) open in another thread while `main_work` runs here;
    return what main_work returned and what the same work gave inside the other thread."""
    entered, done = threading.Event(), threading.Event()
    results = {}

    def other():
        with inside() if label is None else inside(label):
            entered.set()
            done.wait(5)
            results["other"] = main_work()

    thread = threading.Thread(target=other)
    thread.start()
    entered.wait(5)
    results["main"] = main_work()
    done.set()
    thread.join()
    return results["main"], results["other"]


def test_no_grad_in_one_thread_does_not_stop_another_thread_from_recording():
    x = Value(2.0)
    here, there = run_in_thread_while(ag.no_grad, None, lambda: x * 3)
    assert (here.requires_grad, here.op) == (True, "mul")
    assert (there.requires_grad, there.op) == (False, "")
    assert ag.is_grad_enabled()


def test_a_scope_is_per_thread():
    x = Value(2.0)
    here, there = run_in_thread_while(ag.scope, "helper", lambda: x * 3)
    assert here.scope == ()
    assert there.scope == ("helper",)


def test_concurrent_backward_passes_through_shared_parameters_add_up_as_run_in_turn():
    """Four threads each run backward five times through their own long graphs, which all
    use `w`: the total must equal the passes run one after the other."""
    w = Value(np.linspace(-1.0, 1.0, 8))

    def loss(seed: int) -> Value:
        h = Value(np.random.default_rng(seed).normal(size=8), requires_grad=False)
        for k in range(300):
            h = (h * w + 0.01 * k).tanh()
        return h.sum()

    def passes(seed: int) -> None:
        for _ in range(5):
            loss(seed).backward()

    for seed in range(4):
        passes(seed)
    in_turn = w.grad.copy()
    w.grad = None
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: passes overlap
    try:
        threads = [threading.Thread(target=passes, args=(seed,)) for seed in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    np.testing.assert_allclose(w.grad, in_turn, rtol=1e-12)


# -- data changed between forward and backward ------------------------------------------------
@pytest.mark.parametrize("change", [
    lambda x: setattr(x, "data", x.data * 10),
    lambda x: x.__setattr__("data", np.zeros(3)),
], ids=["x.data = x.data * 10", "x.data = zeros"])
def test_assigning_data_after_forward_makes_backward_raise_naming_the_value(change):
    x = Value([1.0, 2.0, 3.0], name="x")
    y = (x * x).sum()
    change(x)
    with pytest.raises(RuntimeError, match=r"Value 'x' was assigned .* after the op 'mul'"):
        y.backward()


def test_in_place_operator_on_data_after_forward_makes_backward_raise():
    x = Value([1.0, 2.0, 3.0], name="x")
    y = (x * x).sum()
    x.data *= 10  # reads x.data, multiplies the array in place, assigns it back
    with pytest.raises(RuntimeError, match="'x'"):
        y.backward()


@pytest.mark.parametrize("which", ["intermediate", "output", "constant"])
def test_assigning_any_data_in_the_graph_makes_backward_raise(which):
    x = Value([1.0, 2.0])
    c = Value([3.0, 4.0], requires_grad=False)
    h = x * c
    y = h.exp().sum()
    {"intermediate": h, "output": y, "constant": c}[which].data = np.ones(h.shape if which
                                                                          != "output" else ())
    with pytest.raises(RuntimeError, match="was assigned"):
        y.backward()


def test_the_optimizer_pattern_of_updating_data_after_backward_keeps_working():
    w = Value([0.5, -0.5])
    for _ in range(3):
        w.grad = None
        loss = ((w * 2.0) ** 2).sum()
        loss.backward()
        w.data -= 0.1 * w.grad
    np.testing.assert_allclose(w.data, [0.5 * 0.2 ** 3, -0.5 * 0.2 ** 3])


def test_an_optimizer_step_between_two_backward_passes_of_one_graph_is_refused():
    w = nn.Parameter(np.array([1.0, 2.0]))
    loss = (w * w).sum()
    loss.backward()
    w.data = w.data - 0.1 * w.grad
    with pytest.raises(RuntimeError, match="was assigned"):
        loss.backward()


# -- lists that hold Values -------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda a, b: Value([a, b]),
    lambda a, b: Value([[a], [b]]),
    lambda a, b: Value(np.ones(2)) * [a, b],
    lambda a, b: [a, b] * Value(np.ones(2)),
    lambda a, b: ag.mse_loss([a, b], np.zeros(2)),
    lambda a, b: nn.Linear(2, 1)([a, b]),
], ids=["Value([a, b])", "nested", "v * [a, b]", "[a, b] * v", "mse_loss", "layer([a, b])"])
def test_a_list_that_holds_values_is_refused_pointing_to_stack(make):
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match=r"ag\.stack"):
        make(a, b)


def test_stack_keeps_the_values_of_a_list_in_the_graph():
    a, b = Value(1.0), Value(2.0)
    (ag.stack([a, b]) * np.array([3.0, 4.0])).sum().backward()
    assert (a.grad, b.grad) == (3.0, 4.0)


# -- arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda x: x.sum(axis=1.7), lambda x: x.mean(axis="0"), lambda x: x.max(axis=(0, 1.0)),
    lambda x: x.softmax(axis=0.5), lambda x: x.transpose(0.0, 1), lambda x: x.sum(axis=True),
    lambda x: ag.concat([x, x], axis=1.0),
], ids=["sum 1.7", "mean '0'", "max (0, 1.0)", "softmax 0.5", "transpose 0.0", "bool",
        "concat 1.0"])
def test_a_non_integer_axis_is_a_type_error(call):
    with pytest.raises(TypeError, match="axis must be an integer"):
        call(Value(np.ones((2, 3))))


def test_a_numpy_integer_axis_is_fine():
    np.testing.assert_array_equal(Value(np.ones((2, 3))).sum(axis=np.int64(1)).data, [3, 3])


def test_create_graph_checks_the_shape_of_a_value_given_as_grad_outputs():
    x = Value(np.ones(3))
    with pytest.raises(ValueError, match=r"grad_outputs Value of shape \(2,\) given for an "
                                         r"output of shape \(3,\)"):
        ag.grad(x * 2, x, grad_outputs=Value(np.ones(2)), create_graph=True)


@pytest.mark.parametrize("name", [3, 2.5, b"w", ["w"]], ids=["int", "float", "bytes", "list"])
def test_a_name_that_is_not_a_str_is_refused_when_assigned(name):
    with pytest.raises(TypeError, match="name must be a str or None"):
        Value(1.0, name=name)
    v = Value(1.0)
    with pytest.raises(TypeError, match="name must be a str or None"):
        v.name = name


# -- integer and bool constants take the Value's float dtype ----------------------------------
INTEGER_CONSTANTS = {"int array": np.array([1, 2, 3]), "bool array": np.array([1, 0, 1], bool),
                     "int list": [1, 2, 3], "numpy int": np.int64(2),
                     "uint8 array": np.array([1, 2, 3], np.uint8)}


@pytest.mark.parametrize("other", INTEGER_CONSTANTS.values(), ids=INTEGER_CONSTANTS.keys())
@pytest.mark.parametrize("make", [lambda x, c: x * c, lambda x, c: c - x, lambda x, c: x ** c,
                                  lambda x, c: ag.where(np.array([1, 0, 1], bool), x, c)],
                         ids=["x * c", "c - x", "x ** c", "where"])
def test_float32_stays_float32_against_integer_constants(make, other):
    x = Value(np.array([0.5, 1.5, 2.5], np.float32))
    out = make(x, other)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_a_float32_model_against_integer_targets_gives_a_float32_loss_as_in_torch():
    pred = Value(np.array([0.5, 1.5, 2.5], np.float32))
    loss = ag.mse_loss(pred, np.array([0, 1, 3]))
    assert loss.dtype == np.float32
    loss.backward()
    assert pred.grad.dtype == np.float32
    assert ag.concat([pred, np.array([1, 2])]).dtype == np.float32


# -- x ** n at 0 ---------------------------------------------------------------------------------
def derivatives_at(x0: float, n: float, order: int) -> list[float]:
    x = Value(x0)
    y, found = x ** n, []
    for _ in range(order):
        (y,) = ag.grad(y, x, create_graph=True)
        found.append(y.item())
    return found


@pytest.mark.parametrize(("n", "expected"), [(0.0, [0, 0, 0]), (1.0, [1, 0, 0]),
                                             (2.0, [0, 2, 0]), (3.0, [0, 0, 6])])
def test_derivatives_of_a_power_at_zero_are_finite_and_exact(n, expected):
    assert derivatives_at(0.0, n, 3) == expected


def test_derivatives_of_a_power_at_zero_match_torch():
    torch = pytest.importorskip("torch")
    for n in [0.0, 1.0, 2.0, 3.0]:
        t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        y, theirs = t ** n, []
        for _ in range(3):
            (y,) = torch.autograd.grad(y, t, create_graph=True)
            theirs.append(y.item())
            if not y.requires_grad:
                theirs += [0.0] * (3 - len(theirs))
                break
        assert derivatives_at(0.0, n, 3) == theirs


def test_polynomial_features_of_zero_get_finite_gradients_without_warnings():
    x = Value(np.array([0.0, 0.5, -1.0]))
    features = x.reshape(3, 1) ** np.arange(4)  # columns x**0 .. x**3
    features.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1 + 2 * 0.5 + 3 * 0.25, 1 - 2 + 3])


# -- joining many Values takes linear time ------------------------------------------------------
def calls_in_backward(join, count: int) -> int:
    """Python and C function calls made by one backward pass through `join` of `count` scalars
    (counted, not timed: the machines are shared)."""
    values = [Value(float(i)) for i in range(count)]
    out = join(values).sum()
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(profile)
    try:
        out.backward()
    finally:
        sys.setprofile(None)
    assert values[-1].grad == 1.0
    return calls


JOINS = pytest.mark.parametrize(
    "join", [ag.stack, lambda vs: ag.concat([v.reshape(1) for v in vs])], ids=["stack", "concat"])


@JOINS
def test_backward_of_a_join_takes_time_linear_in_its_inputs(join):
    small, large = calls_in_backward(join, 300), calls_in_backward(join, 1200)
    assert large < 4.5 * small  # quadratic work would make it ~16x


@JOINS
def test_backward_of_a_join_runs_its_rule_once_for_all_inputs(join):
    """Once per input, each call would be handed all N inputs: N**2 work in argument passing
    alone (32,000 inputs took minutes)."""
    values = [Value(float(i)) for i in range(1000)]
    out = join(values).sum()
    rule_calls = 0

    def profile(frame, event, arg):
        nonlocal rule_calls
        rule_calls += event == "call" and frame.f_code.co_filename.endswith("shape_ops.py") \
            and frame.f_code.co_name.startswith("vjp")

    sys.setprofile(profile)
    try:
        out.backward()
    finally:
        sys.setprofile(None)
    assert rule_calls == 1


# -- found by trying to break the above ---------------------------------------------------------
def test_an_optimizer_step_after_forward_makes_the_old_graph_refuse_backward():
    """In place (`param -= lr * d`), but the step marks the parameter changed, as torch's
    version counter does: backward through the old graph would mix old and new weights."""
    layer = nn.Linear(2, 2)
    first, second = layer(np.ones((1, 2))).sum(), layer(np.ones((1, 2))).mean()
    first.backward()
    nn.optim.SGD(layer.parameters(), lr=0.5).step()
    with pytest.raises(RuntimeError, match="was assigned"):
        second.backward()


@pytest.mark.parametrize("reload", ["load_state_dict", "nn.load"])
def test_loading_weights_after_forward_makes_the_old_graph_refuse_backward(reload, tmp_path):
    layer = nn.Linear(2, 2)
    out = layer(np.ones((1, 2))).sum()
    if reload == "load_state_dict":
        layer.load_state_dict(layer.state_dict())
    else:
        nn.save(layer, tmp_path / "w.npz")
        nn.load(layer, tmp_path / "w.npz")
    with pytest.raises(RuntimeError, match="was assigned"):
        out.backward()


def test_a_value_copies_the_array_it_is_made_from_as_torch_tensor_does():
    source = np.ones(3)
    a, b = Value(source), Value(source)
    a.data -= 1
    source[0] = 5.0
    np.testing.assert_array_equal(b.data, [1.0, 1.0, 1.0])
    assert not np.shares_memory(a.data, b.data)


def test_a_detached_copy_does_not_change_when_its_source_is_updated():
    w, z = Value(np.ones(3)), Value(np.full(3, 2.0))
    y = (z * w.detach()).sum()
    w.data -= 5
    y.backward()
    np.testing.assert_array_equal(z.grad, [1.0, 1.0, 1.0])


def test_mixed_second_derivatives_of_a_power_at_exponent_zero_match_torch():
    a, b = Value(2.0), Value(0.0)
    (da,) = ag.grad(a ** b, a, create_graph=True)
    (db,) = ag.grad(a ** b, b, create_graph=True)
    assert (ag.grad(da, b)[0].item(), ag.grad(db, a)[0].item()) == (0.0, 0.5)


def test_a_grad_of_another_shape_is_refused_rather_than_broadcast():
    p = Value(np.ones(3))
    (p * p).sum().backward()
    p.data = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"\.grad of a leaf of shape \(2, 3\) has shape \(3,\)"):
        (p * p).sum().backward()


def test_an_object_array_of_values_into_a_layer_is_refused():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match="dtype object"):
        nn.Linear(2, 1)(np.array([a, b], dtype=object))


def test_create_graph_records_the_gradient_graph_even_inside_no_grad():
    x = Value(2.0)
    y = x ** 3
    with ag.no_grad():
        (g,) = ag.grad(y, x, create_graph=True)
    assert g.requires_grad and ag.grad(g, x)[0].item() == 12.0
    assert ag.is_grad_enabled()


@pytest.mark.parametrize("use", ["index", "where", "labels"])
def test_changing_an_index_mask_or_labels_after_forward_changes_no_gradient(use):
    x = Value(np.arange(6.0).reshape(2, 3))
    positions, mask, labels = np.array([0, 0]), np.array([[True, False, True]] * 2), np.array(
        [0, 2])
    y = {"index": lambda: x[positions].sum(), "where": lambda: ag.where(mask, x, 0.0).sum(),
         "labels": lambda: ag.cross_entropy(x, labels)}[use]()
    y.backward()
    expected = x.grad.copy()
    x.grad = None
    y2 = {"index": lambda: x[positions].sum(), "where": lambda: ag.where(mask, x, 0.0).sum(),
          "labels": lambda: ag.cross_entropy(x, labels)}[use]()
    positions[:], labels[:] = 1, 1
    mask[:] = False
    y2.backward()
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize("axis", [None, (), (0, 1)])
def test_softmax_takes_one_integer_axis(axis):
    with pytest.raises(TypeError, match="one integer axis"):
        Value(np.ones((2, 3))).softmax(axis=axis)
