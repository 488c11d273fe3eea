"""Save and load: the .npz round trip, and every refusal leaves the module unchanged."""

import errno
import io
import os
import pickle
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn

REPO = Path(__file__).resolve().parents[1]


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


BAD_ENTRIES = [
    (lambda s: s.pop("2.linear.bias"), KeyError, r"missing entries \['2.linear.bias'\]"),
    (lambda s: s.update(extra=np.ones(2)), KeyError, r"unexpected entries \['extra'\]"),
    (lambda s: s.update({"0.2.weight": np.ones((4, 5))}), ValueError,
     r"'0.2.weight' has shape \(4, 5\), but the parameter has shape \(4, 4\)"),
    (lambda s: s.update({"0.0.bias": np.array(["a"] * 4)}), ValueError,
     r"'0.0.bias' has dtype <U1"),
]


@pytest.mark.parametrize(("change", "error", "message"), BAD_ENTRIES)
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


# -- save is atomic: a failed save leaves the previous checkpoint, and nothing else ------------

@pytest.fixture(params=["unnamed temporary file", "named temporary file"])
def save_mode(request, monkeypatch):
    """Run a test with Linux's O_TMPFILE, and again with the named-file fallback that other
    systems (and file systems without O_TMPFILE) use."""
    if request.param == "named temporary file":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    return request.param


def save_old_checkpoint(folder):
    path = folder / "model.npz"
    old = make_model(seed=1)
    nn.save(old, path)
    return path, old.state_dict()


def assert_holds_the_old_checkpoint(path, old_state):
    assert sorted(os.listdir(path.parent)) == [path.name]  # no temporary file left behind
    assert_unchanged(nn.load(make_model(seed=2), path), old_state)


def test_a_saved_file_gets_the_permissions_open_would_give_it(tmp_path, save_mode):
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    nn.save(make_model(), tmp_path / "model.npz")
    assert sorted(os.listdir(tmp_path)) == ["model.npz", "plain"]
    mode = stat.S_IMODE((tmp_path / "model.npz").stat().st_mode)
    assert mode == stat.S_IMODE(plain.stat().st_mode)


def test_saving_through_a_symlink_replaces_the_file_it_points_to(tmp_path):
    real, link = tmp_path / "run1.npz", tmp_path / "latest.npz"
    nn.save(make_model(seed=1), real)
    link.symlink_to(real.name)
    nn.save(make_model(seed=3), link)
    assert link.is_symlink()
    assert_unchanged(nn.load(make_model(seed=2), real), make_model(seed=3).state_dict())


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   KeyboardInterrupt()], ids=["disk full", "interrupted"])
def test_a_save_that_fails_part_way_keeps_the_old_checkpoint(tmp_path, monkeypatch, save_mode,
                                                             error):
    path, old_state = save_old_checkpoint(tmp_path)
    written = []
    write_array = np.lib.format.write_array

    def write_half_of_the_third_array(file, array, **options):
        buffer = io.BytesIO()
        write_array(buffer, array, **options)
        data = buffer.getvalue()
        if len(written) == 2:
            file.write(data[:len(data) // 2])
            raise error
        written.append(array.shape)
        file.write(data)

    monkeypatch.setattr(np.lib.format, "write_array", write_half_of_the_third_array)
    with pytest.raises(type(error)):
        nn.save(make_model(seed=3), path)
    assert len(written) == 2  # the failure came in the middle of the file
    monkeypatch.undo()
    assert_holds_the_old_checkpoint(path, old_state)


CHILD_SETUP = """
import errno, os, resource, signal, sys, time
import nn
if sys.argv[2] == "named temporary file":
    del os.O_TMPFILE
path = sys.argv[1]
model = nn.Linear(1024, 1024)  # 8 MB of weights
"""


def start_child(code, path, save_mode):
    """A Python process that runs CHILD_SETUP, then `code`, to save into `path`."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_SETUP + textwrap.dedent(code), str(path), save_mode],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
def test_a_save_stopped_by_the_file_size_limit_keeps_the_old_checkpoint(tmp_path, save_mode):
    path, old_state = save_old_checkpoint(tmp_path)
    child = start_child("""
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        try:
            nn.save(model, path)
        except OSError as error:
            print(errno.errorcode[error.errno])
    """, path, save_mode)
    out, err = child.communicate(timeout=120)
    assert (child.returncode, out.strip()) == (0, "EFBIG"), err
    assert_holds_the_old_checkpoint(path, old_state)


def makes_unnamed_files(folder):
    try:
        os.close(os.open(folder, os.O_TMPFILE | os.O_WRONLY))
    except (AttributeError, OSError):
        return False
    return True


def test_a_process_killed_while_saving_leaves_one_complete_checkpoint(tmp_path):
    if not makes_unnamed_files(tmp_path):
        pytest.skip("no O_TMPFILE here: a killed save may leave its named temporary file")
    path = tmp_path / "model.npz"
    model = nn.Linear(1024, 1024)
    for p in model.parameters():
        p.data[...] = -1.0
    nn.save(model, path)
    child = start_child("""
        for k in range(1, 10_000):
            for p in model.parameters():
                p.data[...] = k
            start = time.perf_counter()
            nn.save(model, path)
            print(k, time.perf_counter() - start, flush=True)
    """, path, "unnamed temporary file")
    try:
        seconds = [float(child.stdout.readline().split()[1]) for _ in range(3)]
        time.sleep(min(seconds) / 2)  # into the middle of the next save
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        _, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, err
    assert os.listdir(tmp_path) == ["model.npz"]
    loaded = nn.load(nn.Linear(1024, 1024), path)
    values = {float(x) for p in loaded.parameters() for x in np.unique(p.data)}
    assert len(values) == 1  # every entry comes from the same save: the old one or a later one


# -- load reads headers first and says what is wrong with a file ---------------------------------

def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def saved_entries():
    """The .npy bytes of each entry of a checkpoint of make_model(seed=1)."""
    return {name: npy_bytes(array) for name, array in make_model(seed=1).state_dict().items()}


def write_archive(path, entries):
    """An .npz made by hand: entry name -> the bytes of its .npy file."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(f"{name}.npy", data)


def assert_refused(path, error, message):
    model = make_model(seed=2)
    before = model.state_dict()
    with pytest.raises(error, match=message) as caught:
        nn.load(model, path)
    assert_unchanged(model, before)
    return str(caught.value)


@pytest.mark.parametrize(("change", "error", "message"), BAD_ENTRIES)
def test_load_refuses_a_file_with_a_bad_entry_and_changes_nothing(tmp_path, change, error,
                                                                   message):
    path = tmp_path / "model.npz"
    np.savez(path, **_edited(change))
    assert_refused(path, error, message)


def test_loading_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(make_model(), tmp_path / "nothing-here.npz")


def test_a_header_claiming_a_huge_array_is_refused_before_anything_is_allocated(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    entries = saved_entries()
    entries["0.0.weight"] = header.getvalue() + bytes(16)
    path = tmp_path / "huge.npz"
    write_archive(path, entries)
    tracemalloc.start()
    try:
        message = r"entry '0\.0\.weight' holds 16 bytes of data, its header says 8000000000000"
        assert_refused(path, ValueError, message)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def truncated_checkpoint(path):
    nn.save(make_model(seed=1), path)
    data = path.read_bytes()
    return data[:len(data) // 2]


@pytest.mark.parametrize(("contents", "reason"), [
    (lambda path: b"", r"is empty \(0 bytes\)"),
    (lambda path: b"weights, written as text\n", r"is not an \.npz archive"),
    (truncated_checkpoint, r"is truncated"),
], ids=["zero bytes", "not a zip file", "truncated file"])
def test_an_unreadable_file_raises_value_error_naming_the_path_and_reason(tmp_path, contents,
                                                                          reason):
    path = tmp_path / "model.npz"
    path.write_bytes(contents(path))
    assert_refused(path, ValueError, re.escape(repr(str(path))) + " " + reason)


@pytest.mark.parametrize(("keep", "message"), [
    (lambda header_size: header_size + 40,
     r"is truncated: entry '0\.0\.weight' holds 40 bytes of data, its header says 96"),
    (lambda header_size: 5, r"entry '0\.0\.weight' is truncated"),
    (lambda header_size: 30, r"entry '0\.0\.weight' has a truncated or damaged \.npy header"),
], ids=["in the data", "in the magic string", "in the header"])
def test_a_truncated_entry_is_reported_as_truncated_not_as_an_object_array(tmp_path, keep,
                                                                         message):
    entries = saved_entries()
    weight = entries["0.0.weight"]  # (4, 3) float64: its 96 bytes of data follow the header
    entries["0.0.weight"] = weight[:keep(len(weight) - 96)]
    path = tmp_path / "cut.npz"
    write_archive(path, entries)
    assert "object" not in assert_refused(path, ValueError, message)


def test_an_entry_with_bytes_beyond_its_array_is_refused(tmp_path):
    entries = saved_entries()
    entries["0.0.weight"] += bytes(8)
    path = tmp_path / "long.npz"
    write_archive(path, entries)
    assert_refused(path, ValueError,
                   r"entry '0\.0\.weight' holds 104 bytes of data, but its header says 96")


def test_an_entry_whose_data_fails_its_checksum_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    model = make_model(seed=1)
    nn.save(model, path)
    data = bytearray(path.read_bytes())
    at = data.find(model.state_dict()["0.0.bias"].tobytes())
    data[at] ^= 0xFF
    path.write_bytes(data)
    assert_refused(path, ValueError, r"entry '0\.0\.bias' is damaged")


class LeavesAMark:
    """Unpickling this calls Path.touch(marker): a stand-in for code a crafted file could run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


@pytest.mark.parametrize("packing", ["a pickle file", "an object array in an .npz"])
def test_pickled_content_is_refused_and_never_unpickled(tmp_path, packing):
    marker = tmp_path / "unpickled"
    pickle.loads(pickle.dumps(LeavesAMark(marker)))  # the payload does work when unpickled
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "model.npz"
    if packing == "a pickle file":
        path.write_bytes(pickle.dumps({"0.0.weight": LeavesAMark(marker)}))
    else:
        state = make_model().state_dict()
        state["0.0.weight"] = np.array([LeavesAMark(marker)], dtype=object)
        np.savez(path, **state)
    assert_refused(path, ValueError, "pickle")
    assert not marker.exists()


def test_saving_over_a_checkpoint_keeps_its_permissions(tmp_path):
    path = tmp_path / "private.npz"
    model = nn.Linear(2, 2)
    nn.save(model, path)
    path.chmod(0o600)
    nn.save(model, path)
    assert path.stat().st_mode & 0o777 == 0o600


# -- optimizers and schedulers ------------------------------------------------------------------

OPTIMIZERS = {
    "SGD": lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda ps: nn.optim.Adam(ps, lr=0.01, amsgrad=True),
    "AdamW": lambda ps: nn.optim.AdamW(ps, lr=0.01, betas=(0.8, 0.9)),
    "RMSprop": lambda ps: nn.optim.RMSprop(ps, momentum=0.5, centered=True),
}
each_optimizer = pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())


def groups_of(model):
    params = list(model.parameters())
    return [{"params": params[:-1]}, {"params": params[-1:], "lr": 0.003, "weight_decay": 0.1}]


def training_run(model, optimizer, scheduler, steps, first_step=0):
    x = np.random.default_rng(0).standard_normal((16, 3)).astype(model[0].weight.dtype)
    labels = np.arange(16) % 2
    for step in range(first_step, first_step + steps):
        batch = slice(step % 4 * 4, step % 4 * 4 + 4)
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(x[batch]), labels[batch]).backward()
        optimizer.step()
        scheduler.step()


def assert_same_optimizer_state(a, b):
    assert list(a["state"]) == list(b["state"])
    for index, entries in a["state"].items():
        assert list(entries) == list(b["state"][index])
        for key, value in entries.items():
            assert type(value) is type(b["state"][index][key]), f"{index} {key}"
            np.testing.assert_array_equal(value, b["state"][index][key], err_msg=f"{index} {key}")
    assert a["param_groups"] == b["param_groups"]
    for group, other in zip(a["param_groups"], b["param_groups"], strict=True):
        assert [type(v) for v in group.values()] == [type(v) for v in other.values()]


@each_optimizer
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_training_resumed_from_files_equals_an_uninterrupted_run_bit_for_bit(tmp_path, make,
                                                                           dtype):
    def build():
        model = nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.Tanh(), nn.Linear(4, 2,
                                                                               dtype=dtype))
        optimizer = make(groups_of(model))
        return model, optimizer, nn.optim.lr_scheduler.StepLR(optimizer, 3, gamma=0.5)

    nn.manual_seed(0)
    model, optimizer, scheduler = build()
    training_run(model, optimizer, scheduler, 10)
    nn.manual_seed(0)
    first = build()
    training_run(*first, 5)
    for obj, name in zip(first, ["model", "optimizer", "scheduler"], strict=True):
        nn.save(obj, tmp_path / f"{name}.npz")
    nn.manual_seed(1)  # other weights, until loaded
    resumed = build()
    for obj, name in zip(resumed, ["model", "optimizer", "scheduler"], strict=True):
        assert nn.load(obj, tmp_path / f"{name}.npz") is obj
    training_run(*resumed, 5, first_step=5)
    for p, q in zip(model.parameters(), resumed[0].parameters(), strict=True):
        assert np.array_equal(p.data, q.data) and q.dtype == dtype
    assert_same_optimizer_state(optimizer.state_dict(), resumed[1].state_dict())
    assert scheduler.state_dict() == resumed[2].state_dict()


def trained_optimizer(make=OPTIMIZERS["Adam"], seed=0, sizes=(3, 4, 2)):
    nn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.Tanh(), nn.Linear(sizes[1], sizes[2]))
    optimizer = make(groups_of(model))
    training_run(model, optimizer, nn.optim.lr_scheduler.ExponentialLR(optimizer, 0.9), 3)
    return model, optimizer


def fresh_optimizer(make=OPTIMIZERS["Adam"], sizes=(3, 4, 2)):
    model = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.Tanh(), nn.Linear(sizes[1], sizes[2]))
    return make(groups_of(model))


@each_optimizer
def test_an_optimizer_round_trips_with_its_types(tmp_path, make):
    _, optimizer = trained_optimizer(make)
    nn.save(optimizer, tmp_path / "optimizer.npz")
    loaded = nn.load(fresh_optimizer(make), tmp_path / "optimizer.npz")
    assert_same_optimizer_state(loaded.state_dict(), optimizer.state_dict())


def test_each_number_is_an_entry_named_by_its_path(tmp_path):
    _, optimizer = trained_optimizer()
    nn.save(optimizer, tmp_path / "optimizer.npz")
    with np.load(tmp_path / "optimizer.npz", allow_pickle=False) as archive:
        files = archive.files
        assert files[:4] == ["state/0/step", "state/0/exp_avg", "state/0/exp_avg_sq",
                             "state/0/max_exp_avg_sq"]
        assert files[-7:] == [f"param_groups/1/{key}" for key in [
            "lr", "weight_decay", "betas", "eps", "amsgrad", "initial_lr", "params"]]
        assert archive["state/0/step"].dtype == np.int64 and archive["state/0/step"] == 3
        np.testing.assert_array_equal(archive["param_groups/1/betas"], [0.9, 0.999])
        np.testing.assert_array_equal(archive["param_groups/0/params"], [0, 1, 2])
        assert archive["param_groups/0/amsgrad"].dtype == np.uint8
        assert archive["param_groups/1/lr"] == optimizer.param_groups[1]["lr"]


def test_an_optimizer_that_never_stepped_round_trips_and_clears_a_loaded_state(tmp_path):
    nn.save(fresh_optimizer(), tmp_path / "fresh.npz")
    _, optimizer = trained_optimizer()
    nn.load(optimizer, tmp_path / "fresh.npz")
    assert optimizer.state_dict()["state"] == {}
    assert optimizer.param_groups[1]["lr"] == 0.003


def assert_optimizer_refused(path, error, message, target=None):
    _, optimizer = trained_optimizer(seed=5) if target is None else (None, target)
    before = optimizer.state_dict()
    with pytest.raises(error, match=message):
        nn.load(optimizer, path)
    assert_same_optimizer_state(optimizer.state_dict(), before)


def test_a_truncated_optimizer_file_is_refused_and_changes_nothing(tmp_path):
    path = tmp_path / "optimizer.npz"
    nn.save(trained_optimizer()[1], path)
    path.write_bytes(path.read_bytes()[:-300])
    assert_optimizer_refused(path, ValueError, re.escape(repr(str(path))) + " is truncated")


def test_an_optimizer_file_with_a_damaged_array_is_refused(tmp_path):
    path = tmp_path / "optimizer.npz"
    _, optimizer = trained_optimizer()
    nn.save(optimizer, path)
    data = bytearray(path.read_bytes())
    data[data.find(optimizer.state_dict()["state"][1]["exp_avg"].tobytes())] ^= 0xFF
    path.write_bytes(data)
    assert_optimizer_refused(path, ValueError, r"entry 'state/1/exp_avg' is damaged")


def test_the_state_of_another_kind_of_optimizer_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "optimizer.npz"
    nn.save(trained_optimizer(OPTIMIZERS["SGD"])[1], path)
    assert_optimizer_refused(path, KeyError, re.escape(repr(str(path))) + r": load_state_dict: "
                             r"parameter group 0 lacks the hyperparameters \['betas', 'eps', "
                             r"'amsgrad'\]; Adam has")


def test_the_state_of_other_shapes_is_refused(tmp_path):
    path = tmp_path / "optimizer.npz"
    nn.save(trained_optimizer(sizes=(3, 5, 2))[1], path)
    assert_optimizer_refused(path, ValueError, r"the state of parameter 0: 'exp_avg' has shape "
                                               r"\(5, 3\), but the parameter has shape \(4, 3\)")


def test_a_module_file_is_not_an_optimizer_file_nor_the_reverse(tmp_path):
    model, optimizer = trained_optimizer()
    nn.save(model, tmp_path / "model.npz")
    nn.save(optimizer, tmp_path / "optimizer.npz")
    assert_optimizer_refused(tmp_path / "model.npz", KeyError,
                             r"the state_dict lacks the entries \['state', 'param_groups'\]")
    with pytest.raises(KeyError, match="missing entries"):
        nn.load(model, tmp_path / "optimizer.npz")


def test_an_optimizer_file_with_compressed_entries_is_refused(tmp_path):
    path = tmp_path / "optimizer.npz"
    nn.save(trained_optimizer()[1], path)
    with np.load(path) as archive:
        np.savez_compressed(path, **{name: archive[name] for name in archive.files})
    assert_optimizer_refused(path, ValueError, r"entry 'state/0/step' is compressed")


def test_badly_numbered_param_groups_are_refused(tmp_path):
    path = tmp_path / "optimizer.npz"
    nn.save(trained_optimizer()[1], path)
    with np.load(path) as archive:
        entries = {name.replace("param_groups/1/", "param_groups/2/"): archive[name]
                   for name in archive.files}
    np.savez(path, **entries)
    assert_optimizer_refused(path, ValueError, r"the entries under 'param_groups' must be "
                                               r"numbered 0 to 1, found \['0', '2'\]")


def test_an_optimizer_state_that_an_npz_cannot_hold_is_refused_before_writing(tmp_path):
    path = tmp_path / "optimizer.npz"
    nn.save(trained_optimizer()[1], path)
    saved = path.read_bytes()
    model = nn.Linear(2, 2)
    named = nn.optim.SGD([{"params": model.parameters(), "name": "encoder"}], lr=0.1)
    with pytest.raises(ValueError, match=r"entry 'param_groups/0/name' is 'encoder'"):
        nn.save(named, path)
    assert path.read_bytes() == saved and os.listdir(tmp_path) == ["optimizer.npz"]


def test_save_and_load_refuse_an_object_without_a_state_dict(tmp_path):
    with pytest.raises(TypeError, match="got list"):
        nn.save([1, 2], tmp_path / "list.npz")
    with pytest.raises(TypeError, match="got dict"):
        nn.load({}, tmp_path / "list.npz")


def test_a_header_that_breaks_numpys_literal_parser_is_a_value_error(tmp_path):
    """numpy reads the header as a Python literal: an unterminated one fails in the
    tokenizer, which must still come out as the documented ValueError."""
    entries = saved_entries()
    entries["0.0.weight"] = b"\x93NUMPY\x01\x00\x10\x00{'descr': lambda}"
    path = tmp_path / "crafted.npz"
    write_archive(path, entries)
    assert_refused(path, ValueError, r"entry '0\.0\.weight' has a truncated or damaged .npy")
