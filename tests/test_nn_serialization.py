"""Save and load: the .npz round trip, and every refusal leaves the module unchanged."""

import pickle

import numpy as np
import pytest

import nn


def make_model(seed=0, dtype=np.float64):
    nn.manual_seed(seed)
    return nn.Sequential(nn.MLP([3, 4, 4], dtype=dtype), nn.ReLU(),
                         nn.ClassificationHead(4, 2, dtype=dtype))


def assert_unchanged(model, before):
    after = model.state_dict()
    assert list(after) == list(before)
    for name in after:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_then_load_restores_every_parameter(tmp_path, dtype):
    path = tmp_path / "model.npz"
    trained = make_model(seed=1, dtype=dtype)
    nn.save(trained, path)
    fresh = make_model(seed=2, dtype=dtype)
    assert nn.load(fresh, path) is fresh
    assert_unchanged(fresh, trained.state_dict())
    assert all(p.dtype == dtype for p in fresh.parameters())
    x = np.ones((2, 3))
    np.testing.assert_array_equal(fresh(x).numpy(), trained(x).numpy())


def test_save_writes_the_exact_path_as_a_plain_npz(tmp_path):
    path = tmp_path / "weights.bin"
    nn.save(make_model(), str(path))
    assert path.exists() and not (tmp_path / "weights.bin.npz").exists()
    with np.load(path, allow_pickle=False) as archive:
        assert archive.files == list(make_model().state_dict())


def test_loading_keeps_the_parameter_arrays_in_place(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(make_model(seed=1), path)
    model = make_model(seed=2)
    arrays = [p.data for p in model.parameters()]
    nn.load(model, path)
    assert all(p.data is a for p, a in zip(model.parameters(), arrays, strict=True))


def test_a_file_with_an_object_array_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    state = make_model().state_dict()
    state["0.0.weight"] = np.array([object(), "payload"], dtype=object)
    np.savez(path, **state)
    model = make_model(seed=3)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"entry '0.0.weight' is an object array.*pickle"):
        nn.load(model, path)
    assert_unchanged(model, before)


def test_a_pickle_file_is_refused(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(make_model().state_dict()))
    with pytest.raises(ValueError, match=r"not an \.npz archive"):
        nn.load(make_model(), path)


def test_a_single_npy_array_is_refused(tmp_path):
    path = tmp_path / "one.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        nn.load(make_model(), path)


def _edited(change):
    state = make_model(seed=1).state_dict()
    change(state)
    return state


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda s: s.pop("2.linear.bias"), KeyError, r"missing entries \['2.linear.bias'\]"),
    (lambda s: s.update(extra=np.ones(2)), KeyError, r"unexpected entries \['extra'\]"),
    (lambda s: s.update({"0.2.weight": np.ones((4, 5))}), ValueError,
     r"'0.2.weight' has shape \(4, 5\), but the parameter has shape \(4, 4\)"),
    (lambda s: s.update({"0.0.bias": np.array(["a"] * 4)}), ValueError,
     r"'0.0.bias' has dtype <U1"),
])
def test_load_state_dict_is_atomic_and_names_the_bad_entry(change, error, message):
    # the bad entry is checked after good ones that come earlier: nothing may be written
    model = make_model(seed=2)
    before = model.state_dict()
    with pytest.raises(error, match=message):
        model.load_state_dict(_edited(change))
    assert_unchanged(model, before)


def test_a_mis_shaped_file_is_refused_and_changes_nothing(tmp_path):
    path = tmp_path / "small.npz"
    nn.save(nn.Sequential(nn.MLP([3, 4, 4]), nn.ReLU(), nn.ClassificationHead(4, 3)), path)
    model = make_model(seed=2)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"2\.linear\.weight"):
        nn.load(model, path)
    assert_unchanged(model, before)


def test_load_state_dict_casts_to_the_parameter_dtype():
    model = make_model(dtype=np.float32)
    state = {name: array.astype(np.float64) for name, array in make_model(1).state_dict().items()}
    model.load_state_dict(state)
    assert all(p.dtype == np.float32 for p in model.parameters())
