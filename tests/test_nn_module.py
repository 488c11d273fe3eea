"""nn.Module: registration, names, gradients reset, modes, scope labels, repr."""

import numpy as np
import pytest

import autograd as ag
import nn


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.out = nn.Linear(4, 2)
        self.scale = nn.Parameter(np.ones(2))
        self.note = "not registered"

    def forward(self, x):
        return self.out(self.hidden(x).relu()) * self.scale


def test_parameters_are_registered_by_attribute_assignment_in_order():
    names = [name for name, _ in TwoLayers().named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def test_named_parameters_of_nested_sequentials_are_unique_dotted_names():
    model = nn.Sequential(nn.MLP([2, 3, 3]), nn.ReLU(), nn.RegressionHead(3, 0, 1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias",
                     "2.linear.weight", "2.linear.bias"]
    assert len(set(names)) == len(names)
    assert len({id(p) for p in model.parameters()}) == len(names)


def test_a_shared_parameter_or_module_is_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.parameters())) == 2


def test_reassigning_an_attribute_unregisters_the_old_parameter():
    model = TwoLayers()
    model.scale = None
    del model.out
    assert [name for name, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias"]


def test_a_parameter_is_named_after_its_attribute_for_drawings():
    layer = nn.Linear(2, 3)
    assert (layer.weight.name, layer.bias.name) == ("weight", "bias")
    assert nn.Parameter(np.ones(2), name="gain").name == "gain"


def test_parameter_is_a_value_that_copies_its_array():
    source = np.arange(3.0)
    p = nn.Parameter(source)
    p.data += 1
    assert isinstance(p, ag.Value) and p.requires_grad
    np.testing.assert_array_equal(source, [0.0, 1.0, 2.0])
    assert repr(p) == "Parameter([1., 2., 3.])"


def test_forgetting_super_init_gives_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_zero_grad_resets_every_gradient_to_none():
    model = TwoLayers()
    model(np.ones((5, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_set_the_mode_recursively_and_return_the_module():
    model = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    assert model.eval() is model
    assert [m.training for _, m in model.named_modules()] == [False] * 4
    model.train()
    assert all(m.training for _, m in model.named_modules())


def test_forward_values_are_tagged_with_the_module_path_labels():
    model = nn.MLP([3, 16, 1])
    out = model(np.ones((2, 3)))
    relu = out.parents[0]
    first = relu.parents[0]
    assert out.scope == ("MLP(3→16→1)", "2: Linear(16→1)")
    assert relu.scope == ("MLP(3→16→1)", "1: ReLU")
    assert first.scope == ("MLP(3→16→1)", "0: Linear(3→16)")


def test_scope_labels_name_attributes_and_heads():
    model = TwoLayers()
    y = model.hidden(np.ones((1, 3)))
    assert y.scope == ("hidden: Linear(3→4)",)
    head = nn.RegressionHead(4, 25, 346)
    assert head(np.ones((2, 4))).scope == ("RegressionHead(4→1, [25, 346])",)
    assert nn.ClassificationHead(4, 3).scope_label() == "ClassificationHead(4→3)"
    assert nn.MSELoss()(np.ones(2), np.zeros(2)).scope == ("MSELoss",)


def test_no_scope_is_left_open_after_a_call():
    nn.Linear(2, 2)(np.ones((1, 2)))
    assert ag.Value(1.0).scope == ()


def test_repr_is_a_tree_of_descriptions():
    assert repr(nn.MLP([3, 16, 1])) == (
        "MLP(3→16→1)\n  (0): Linear(3→16)\n  (1): ReLU\n  (2): Linear(16→1)")


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()(1.0)


def test_state_dict_is_a_copy_by_dotted_name():
    model = nn.MLP([2, 3, 1])
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model[0].weight.data += 1
    assert not np.array_equal(state["0.weight"], model[0].weight.data)


class WithStatistics(nn.Module):
    """A parameter, a buffer and a child, in that order of registration."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(np.ones(2))
        self.register_buffer("running", np.zeros(2))
        self.register_buffer("count", np.array(0, dtype=np.int64))
        self.child = nn.Linear(2, 1)

    def forward(self, x):
        self.running += 1.0  # in place, as batch_norm updates its running statistics
        return self.child(x * self.weight)


def test_buffers_are_in_the_state_dict_but_not_in_the_parameters():
    model = WithStatistics()
    assert [name for name, _ in model.named_parameters()] == ["weight", "child.weight",
                                                              "child.bias"]
    assert [name for name, _ in model.named_buffers()] == ["running", "count"]
    # torch's order: each module's parameters, then its buffers, then its children
    assert list(model.state_dict()) == ["weight", "running", "count", "child.weight",
                                        "child.bias"]
    assert model.state_dict()["count"].dtype == np.int64


def test_the_state_dict_copies_buffers():
    model = WithStatistics()
    state = model.state_dict()
    model(np.ones((1, 2)))
    np.testing.assert_array_equal(state["running"], [0.0, 0.0])
    np.testing.assert_array_equal(model.state_dict()["running"], [1.0, 1.0])


def test_load_state_dict_writes_buffers_in_place_with_their_dtype():
    model = WithStatistics()
    running = model.running
    state = model.state_dict()
    state["running"] = np.array([3.0, 4.0])
    state["count"] = np.array(7.0)
    model.load_state_dict(state)
    assert model.running is running
    np.testing.assert_array_equal(running, [3.0, 4.0])
    assert model.count.dtype == np.int64 and model.count == 7


def test_a_misshaped_buffer_is_refused_by_name():
    model = WithStatistics()
    state = model.state_dict()
    state["running"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"'running' has shape \(3,\), but the buffer"):
        model.load_state_dict(state)


def test_assigning_a_buffer_attribute_replaces_the_buffer():
    model = WithStatistics()
    model.running = np.full(2, 5.0)
    np.testing.assert_array_equal(model.state_dict()["running"], [5.0, 5.0])
    with pytest.raises(TypeError, match="buffer 'running' must be a numpy array"):
        model.running = [1.0, 2.0]


def test_a_buffer_name_taken_by_a_parameter_is_refused():
    model = WithStatistics()
    with pytest.raises(KeyError, match="'weight' is already a parameter"):
        model.register_buffer("weight", np.zeros(2))


def test_a_forward_hook_sees_each_call_and_can_be_removed():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seen = []
    handle = model[0].register_forward_hook(
        lambda module, args, output: seen.append((module, args[0].shape, output.shape)))
    model(np.ones((4, 2)))
    assert seen == [(model[0], (4, 2), (4, 3))]
    handle.remove()
    model(np.ones((4, 2)))
    assert len(seen) == 1


def test_a_forward_hook_that_returns_a_value_replaces_the_output():
    layer = nn.ReLU()
    layer.register_forward_hook(lambda module, args, output: output * 2)
    np.testing.assert_array_equal(layer(np.array([-1.0, 3.0])).numpy(), [0.0, 6.0])


def test_children_modules_and_apply_visit_in_torch_order():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    assert list(model.children()) == [model[0], model[1]]
    assert list(model.modules()) == [model, model[0], model[1], model[1][0], model[1][1]]
    visited = []
    assert model.apply(visited.append) is model
    assert visited == [model[0], model[1][0], model[1][1], model[1], model]


def test_a_module_assigned_again_keeps_its_place_in_the_state_dict():
    model = TwoLayers()
    model.hidden = nn.Linear(3, 4)  # as torch: the key order does not change
    assert list(model.state_dict()) == ["scale", "hidden.weight", "hidden.bias", "out.weight",
                                        "out.bias"]


class Tied(nn.Module):
    """A char model's tied weights: the output layer reuses the embedding's matrix."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(5, 4)
        self.out = nn.Linear(4, 5)
        self.out.weight = self.embedding.weight


def test_tied_weights_appear_under_each_name_in_the_state_dict_as_in_torch():
    model = Tied()
    assert list(model.state_dict()) == ["embedding.weight", "out.weight", "out.bias"]
    assert [name for name, _ in model.named_parameters()] == ["embedding.weight", "out.bias"]
    state = model.state_dict()
    state["embedding.weight"] = state["out.weight"] = np.full((5, 4), 2.0)
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.out.weight.data, np.full((5, 4), 2.0))


def test_a_shared_module_appears_under_each_name_in_the_state_dict():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_tied_weights_match_torchs_state_dict_keys():
    torch = pytest.importorskip("torch")

    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(5, 4)
            self.out = torch.nn.Linear(4, 5)
            self.out.weight = self.embedding.weight

    assert list(Tied().state_dict()) == list(TorchTied().state_dict())


@pytest.mark.parametrize("value", [np.zeros((2, 3)), ag.Value(np.zeros((2, 3))), 1.0])
def test_assigning_a_non_parameter_to_a_parameter_is_refused(value):
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="as parameter 'weight' of Linear"):
        layer.weight = value
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_assigning_a_non_module_to_a_sub_module_is_refused():
    model = TwoLayers()
    with pytest.raises(TypeError, match="as sub-module 'hidden' of TwoLayers"):
        model.hidden = "not a layer"
    model.hidden = None  # as torch: None is allowed, and unregisters it
    assert "hidden.weight" not in model.state_dict()


def test_load_state_dict_returns_empty_incompatible_keys_when_strict():
    model = WithStatistics()
    result = model.load_state_dict(model.state_dict())
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []


def test_strict_load_state_dict_still_names_a_missing_entry():
    model = WithStatistics()
    state = model.state_dict()
    del state["count"]
    with pytest.raises(KeyError, match=r"missing entries \['count'\]"):
        model.load_state_dict(state)


def _edited_state(model):
    """The model's state with "child.bias" dropped, an extra entry and new values elsewhere."""
    state = {name: array + 1 for name, array in model.state_dict().items()}
    del state["child.bias"]
    state["extra.weight"] = np.zeros(3)
    return state


def test_non_strict_load_state_dict_skips_missing_and_unexpected_keys_as_torch():
    torch = pytest.importorskip("torch")
    model = WithStatistics()
    bias = model.child.bias.data.copy()
    state = _edited_state(model)
    result = model.load_state_dict(state, strict=False)

    theirs = torch.nn.Module()
    theirs.weight = torch.nn.Parameter(torch.ones(2))
    theirs.register_buffer("running", torch.zeros(2))
    theirs.register_buffer("count", torch.tensor(0))
    theirs.child = torch.nn.Linear(2, 1)
    expected = theirs.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()},
                                      strict=False)
    assert result == (expected.missing_keys, expected.unexpected_keys)
    assert result.missing_keys == ["child.bias"] and result.unexpected_keys == ["extra.weight"]
    np.testing.assert_array_equal(model.weight.data, [2.0, 2.0])
    np.testing.assert_array_equal(model.child.bias.data, bias)


def test_non_strict_load_state_dict_still_checks_shapes_and_writes_nothing():
    model = WithStatistics()
    before = model.state_dict()
    state = _edited_state(model)
    state["running"] = np.zeros(5)
    with pytest.raises(ValueError, match=r"'running' has shape \(5,\), but the buffer"):
        model.load_state_dict(state, strict=False)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


class WithCache(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("saved", np.zeros(2))
        self.register_buffer("cache", np.ones(3), persistent=False)


def test_a_non_persistent_buffer_is_a_buffer_but_not_in_the_state_dict_as_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Module()
    theirs.register_buffer("saved", torch.zeros(2))
    theirs.register_buffer("cache", torch.ones(3), persistent=False)
    model = nn.Sequential(WithCache())
    torch_model = torch.nn.Sequential(theirs)
    assert [name for name, _ in model.named_buffers()] == [
        name for name, _ in torch_model.named_buffers()] == ["0.saved", "0.cache"]
    assert list(model.state_dict()) == list(torch_model.state_dict()) == ["0.saved"]
    model.load_state_dict({"0.saved": np.full(2, 4.0)})  # strict: "0.cache" is not expected
    np.testing.assert_array_equal(model[0].cache, np.ones(3))


def test_reassigning_a_non_persistent_buffer_keeps_it_out_of_the_state_dict():
    model = WithCache()
    model.cache = np.zeros(4)
    assert list(model.state_dict()) == ["saved"]
    model.register_buffer("cache", np.zeros(4))  # registered again, persistent
    assert list(model.state_dict()) == ["saved", "cache"]
