"""Sequential, ModuleList and ModuleDict: registration, state_dict keys, the list and mapping
interfaces, and errors."""

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn


@pytest.fixture(autouse=True)
def _seed():
    nn.manual_seed(0)


def state_keys(module):
    return list(module.state_dict())


# -- ModuleList ------------------------------------------------------------------------------
class Stack(nn.Module):
    def __init__(self, count):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(2, 2) for _ in range(count))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def test_module_list_registers_its_modules_as_numbered_children():
    model = Stack(2)
    assert state_keys(model) == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                                 "layers.1.bias"]
    assert len(list(model.parameters())) == 4
    assert model.layers[1].scope_label() == "1: Linear(2→2)"


def test_module_list_supports_append_extend_insert_and_renumbers():
    first, second, third, fourth = nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity()
    layers = nn.ModuleList([first])
    assert layers.append(second) is layers
    assert layers.extend([third]) is layers
    layers.insert(1, fourth)
    assert list(layers) == [first, fourth, second, third]
    assert [name for name, _ in layers.named_children()] == ["0", "1", "2", "3"]
    assert third.scope_label() == "3: Sigmoid"


def test_module_list_indexing_counts_from_either_end_and_slices_give_module_lists():
    modules = [nn.ReLU(), nn.Tanh(), nn.Sigmoid()]
    layers = nn.ModuleList(modules)
    assert layers[0] is modules[0] and layers[-1] is modules[2] and len(layers) == 3
    tail = layers[1:]
    assert isinstance(tail, nn.ModuleList) and list(tail) == modules[1:]
    assert [name for name, _ in tail.named_children()] == ["0", "1"]
    assert modules[2].scope_label() == "2: Sigmoid"  # still the label from the full list


def test_module_list_setitem_and_delitem_keep_the_order():
    modules = [nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(2, 3)]
    layers = nn.ModuleList(modules)
    replacement = nn.Linear(1, 4)
    layers[0] = replacement
    assert list(layers) == [replacement, *modules[1:]]
    assert [p.shape for p in layers.parameters()] == [(4, 1), (4,), (2, 1), (2,), (3, 2), (3,)]
    del layers[1]
    assert list(layers) == [replacement, modules[2]]
    assert state_keys(layers) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    del layers[:]
    assert len(layers) == 0


def test_module_list_refuses_non_modules_bad_indices_and_a_forward():
    layers = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match="ModuleList takes Modules, got function to append"):
        layers.append(lambda x: x)
    with pytest.raises(TypeError, match=r"ModuleList\.extend takes an iterable of Modules, "
                                        r"got ReLU"):
        layers.extend(nn.ReLU())
    with pytest.raises(IndexError, match="index 1 is out of range for a ModuleList of 1 modules"):
        layers[1]
    with pytest.raises(TypeError, match="ModuleList indices must be integers or slices, got "
                                        "str"):
        layers["0"]
    with pytest.raises(NotImplementedError, match="ModuleList does not define forward"):
        layers(np.ones(2))


# -- ModuleDict ------------------------------------------------------------------------------
def test_module_dict_registers_its_modules_under_their_keys():
    heads = nn.ModuleDict({"age": nn.Linear(3, 1), "kind": nn.Linear(3, 2)})
    assert state_keys(heads) == ["age.weight", "age.bias", "kind.weight", "kind.bias"]
    assert heads["kind"].scope_label() == "kind: Linear(3→2)"


def test_module_dict_has_the_mapping_interface():
    relu, tanh, sigmoid = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    heads = nn.ModuleDict([("a", relu)])
    heads["b"] = tanh
    heads.update({"c": sigmoid})
    assert list(heads) == list(heads.keys()) == ["a", "b", "c"]
    assert list(heads.values()) == [relu, tanh, sigmoid]
    assert list(heads.items()) == [("a", relu), ("b", tanh), ("c", sigmoid)]
    assert len(heads) == 3 and "b" in heads and "z" not in heads
    assert heads.pop("a") is relu
    del heads["b"]
    assert list(heads.items()) == [("c", sigmoid)]


def test_replacing_a_module_dict_entry_keeps_its_place():
    heads = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.Linear(1, 1)})
    heads["a"] = nn.Linear(1, 2)
    assert state_keys(heads) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert heads["a"].out_features == 2


def test_module_dict_refuses_bad_keys_and_names_the_missing_one():
    heads = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(KeyError, match=r"ModuleDict has no key 'b'; its keys are \['a'\]"):
        heads["b"]
    with pytest.raises(KeyError, match=r"must be a non-empty string without '\.'"):
        heads["x.y"] = nn.ReLU()
    with pytest.raises(KeyError, match="'train' is already an attribute of ModuleDict"):
        heads["train"] = nn.ReLU()
    with pytest.raises(TypeError, match="ModuleDict keys must be strings, got int 3"):
        heads[3] = nn.ReLU()
    with pytest.raises(TypeError, match="ModuleDict takes Modules, got int for 'c'"):
        heads["c"] = 3
    with pytest.raises(ValueError, match="element 0 has length 3"):
        heads.update([("c", nn.ReLU(), 1)])


# -- Sequential ------------------------------------------------------------------------------
def test_sequential_append_registers_the_next_index_and_returns_itself():
    model = nn.Sequential(nn.Linear(2, 3))
    assert model.append(nn.ReLU()) is model
    assert [name for name, _ in model.named_children()] == ["0", "1"]


def test_a_sequential_slice_holds_the_same_modules_under_their_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == list(model)[1:]
    assert state_keys(tail) == ["2.weight", "2.bias"]  # torch's keys for the slice too
    x = np.ones((4, 3))
    np.testing.assert_array_equal(tail(x).numpy(), model[2](model[1](x)).numpy())
    assert model[-1] is model[2]


def test_sequential_from_a_dict_names_its_layers_by_the_keys():
    model = nn.Sequential({"hidden": nn.Linear(2, 3), "act": nn.Tanh(), "out": nn.Linear(3, 1)})
    assert state_keys(model) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert model[1] is model.act
    assert model(np.ones((5, 2))).shape == (5, 1)


def test_containers_nest_into_dotted_names_and_a_tree_repr():
    model = nn.Sequential(nn.ModuleDict({"body": nn.ModuleList([nn.Conv2d(1, 2, 3)])}),)
    assert state_keys(model) == ["0.body.0.weight", "0.body.0.bias"]
    assert repr(model) == ("Sequential\n  (0): ModuleDict\n    (body): ModuleList\n"
                           "      (0): Conv2d(1→2, 3×3)")


def test_a_module_list_model_trains_every_registered_parameter():
    model = Stack(3)
    out = model(ag.Value(np.ones((4, 2))))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert len(list(model.parameters())) == 6


# -- torch's list operations, checked against torch --------------------------------------------
def _describe(container):
    """The state_dict keys with each layer's input width, to follow which layer went where."""
    return [(key, value.shape) for key, value in container.state_dict().items()]


def _torch_describe(container):
    return [(key, tuple(value.shape)) for key, value in container.state_dict().items()]


def _pair(torch, kind, widths):
    """The same stack of Linear(w, w) layers (ReLU for 0) in our nn and in torch."""
    def layers(lib):
        return [lib.Linear(w, w) if w else lib.ReLU() for w in widths]

    if kind == "ModuleList":
        return nn.ModuleList(layers(nn)), torch.nn.ModuleList(layers(torch.nn))
    return nn.Sequential(*layers(nn)), torch.nn.Sequential(*layers(torch.nn))


@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
def test_insert_pop_setitem_and_delitem_renumber_the_keys_as_torch(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, kind, [1, 0, 2])
    steps = [
        lambda m, lib: m.insert(2, lib.Linear(3, 3)),  # torch.nn.ModuleList: index >= 0
        lambda m, lib: m.insert(len(m), lib.Linear(4, 4)),
        lambda m, lib: m.insert(0, lib.Linear(5, 5)),
        lambda m, lib: m.pop(1),
        lambda m, lib: m.pop(-2),
        lambda m, lib: m.__setitem__(1, lib.Linear(6, 6)),
        lambda m, lib: m.__delitem__(0),
        lambda m, lib: m.pop(slice(0, 2)),
    ]
    for step in steps:
        popped, torch_popped = step(ours, nn), step(theirs, torch.nn)
        assert _describe(ours) == _torch_describe(theirs)
        if isinstance(torch_popped, torch.nn.Module) and torch_popped is not theirs:
            assert _describe(popped) == _torch_describe(torch_popped)


def test_sequential_insert_returns_itself_and_checks_the_index_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, "Sequential", [1, 2])
    assert ours.insert(-2, nn.Linear(3, 3)) is ours
    assert theirs.insert(-2, torch.nn.Linear(3, 3)) is theirs
    assert _describe(ours) == _torch_describe(theirs)
    for index in (4, -4):
        with pytest.raises(IndexError):
            theirs.insert(index, torch.nn.ReLU())
        with pytest.raises(IndexError, match=f"insert index {index} is out of range"):
            ours.insert(index, nn.ReLU())
    with pytest.raises(TypeError, match="Sequential takes Modules, got int to insert"):
        ours.insert(0, 3)


def test_sequential_setitem_keeps_a_layers_name_and_delitem_renumbers_names_as_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential({"a": nn.Linear(1, 1), "b": nn.ReLU(), "c": nn.Linear(2, 2)})
    theirs = torch.nn.Sequential(OrderedDict(a=torch.nn.Linear(1, 1), b=torch.nn.ReLU(),
                                             c=torch.nn.Linear(2, 2)))
    ours[-1], theirs[-1] = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    assert _describe(ours) == _torch_describe(theirs)
    assert list(ours._modules) == list(theirs._modules) == ["a", "b", "c"]
    del ours[1], theirs[1]
    assert _describe(ours) == _torch_describe(theirs)
    assert list(ours._modules) == list(theirs._modules) == ["0", "1"]
    with pytest.raises(IndexError, match="index 2 is out of range"):
        ours[2] = nn.ReLU()
    with pytest.raises(TypeError, match="Sequential takes Modules, got str at 0"):
        ours[0] = "relu"


def test_module_list_plus_is_a_new_list_and_plus_equals_extends_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, "ModuleList", [1, 2])
    combined = ours + [nn.Linear(3, 3)]  # noqa: RUF005 (the operator under test)
    torch_combined = theirs + [torch.nn.Linear(3, 3)]  # noqa: RUF005
    assert isinstance(combined, nn.ModuleList) and combined is not ours
    assert _describe(combined) == _torch_describe(torch_combined)
    assert combined[0] is ours[0] and len(ours) == 2
    assert _describe(ours + ours) == _torch_describe(theirs + theirs)
    same = ours
    ours += [nn.Linear(4, 4)]
    theirs += [torch.nn.Linear(4, 4)]
    assert ours is same and _describe(ours) == _torch_describe(theirs)
    with pytest.raises(TypeError, match="ModuleList \\+ takes an iterable of Modules, got Linear"):
        ours + nn.Linear(1, 1)
    with pytest.raises(TypeError, match="ModuleList takes Modules, got int"):
        ours + [1]  # noqa: RUF005
