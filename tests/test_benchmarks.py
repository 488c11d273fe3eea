"""The benchmark suite (`python -m benchmarks`) runs, and its baselines compute what we compute.

Everything runs at tiny sizes, in seconds. Timings are never asserted: the machines are shared
and noisy, and the suite itself reports the ratios.
"""

import platform
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from benchmarks import budget, malloc, mlp, models, suite, workloads
from benchmarks.__main__ import main
from benchmarks.baselines_models import NumpyMakemore
from benchmarks.harness import Settings, Timings, format_table, interleave, timed_row
from benchmarks.mlp import BaselineMismatchError

TINY = Settings(reps=1, tiny=True)


def tiny_mlp() -> tuple[mlp.OursMLP, np.ndarray, np.ndarray]:
    sizes, batch = mlp.LARGE_TINY
    x, labels = mlp.make_batch(sizes, batch)
    return mlp.OursMLP(sizes), x, labels


def test_numpy_baseline_gradients_match_ours_on_the_same_weights_and_batch():
    ours, x, labels = tiny_mlp()
    mlp.check_numpy_baseline(ours, ours.numpy_twin(), x, labels)


def test_numpy_baseline_check_fails_loudly_when_the_baselines_differ():
    ours, x, labels = tiny_mlp()
    baseline = ours.numpy_twin()
    baseline.layers[0][0][0, :] += 0.5  # its weights are no longer ours
    with pytest.raises(BaselineMismatchError):
        mlp.check_numpy_baseline(ours, baseline, x, labels)


def test_numpy_baseline_check_leaves_gradients_cleared():
    ours, x, labels = tiny_mlp()
    mlp.check_numpy_baseline(ours, ours.numpy_twin(), x, labels)
    assert all(p.grad is None for p in ours.model.parameters())


def expected_verdict(row) -> str:
    """What a row's result must say, from its own numbers: a ratio against "<= 1.2x", or
    (the memory growth row) its MB against "< 5 MB"."""
    if row.target.startswith("<="):
        if row.ratio is None:
            return "n/a"
        return "pass" if row.ratio <= float(row.target.removeprefix("<= ").rstrip("x")) else "MISS"
    if row.ours == "n/a":
        return "n/a"
    return "pass" if float(row.ours.split()[0]) < float(row.target.split()[1]) else "MISS"


@pytest.mark.parametrize("workload", suite.WORKLOADS, ids=lambda w: w.name)
def test_every_workload_runs_at_tiny_size_and_judges_its_numbers(workload):
    rows = workload.run(TINY)
    assert rows
    for row in rows:
        assert row.workload.startswith(str(workload.number))
        assert row.ours != "n/a"
        assert row.verdict == expected_verdict(row)


def test_a_ratio_over_its_target_is_a_miss_and_under_it_a_pass():
    timings = interleave(lambda: None, lambda: None, reps=1)
    timings.ours, timings.baseline = [2.0], [1.0]
    assert timed_row("x", timings, "numpy", 1.5).verdict == "MISS"
    assert timed_row("x", timings, "numpy", 2.0).verdict == "pass"


def test_missing_micrograd_and_torch_are_reported_as_na(monkeypatch):
    monkeypatch.setattr(workloads, "micrograd_value_class", lambda: None)
    monkeypatch.setattr(workloads, "load_torch", lambda: None)
    rows = suite.run(TINY, ["scalar_mlp", "op_overhead", "deep_chain"])
    assert [row.verdict for row in rows] == ["n/a"] * 3
    assert [row.baseline for row in rows] == ["micrograd: n/a", "torch: n/a", "torch: n/a"]
    assert all(row.ours != "n/a" for row in rows)


def test_missing_torch_leaves_the_model_rows_with_numpy_by_hand_only(monkeypatch):
    monkeypatch.setattr(models, "load_torch", lambda: None)
    rows = suite.run(TINY, ["cnn", "makemore", "gru"])
    assert [(row.verdict, row.baseline) for row in rows] == [("n/a", "torch: n/a")] * 3
    assert all(row.ours != "n/a" and row.by_hand.endswith("s") for row in rows)


@pytest.mark.parametrize("build", [models.build_cnn, models.build_makemore, models.build_gru],
                         ids=["cnn", "makemore", "gru"])
def test_model_baselines_compute_our_gradients_at_full_size(build, monkeypatch):
    monkeypatch.setattr(models, "load_torch", lambda: None)  # torch's check runs in the suite
    steps = build(False)  # raises BaselineMismatchError otherwise
    assert steps.torch is None


def test_a_model_baseline_with_another_gradient_is_refused():
    class Off(NumpyMakemore):
        def loss_and_grads(self, indices, labels):
            loss, grads = super().loss_and_grads(indices, labels)
            grads[1][0, 0] += 1.0
            return loss, grads

    with pytest.raises(BaselineMismatchError, match=r"numpy's gradient of 2\.weight"):
        models.model_steps("makemore MLP", partial(models.makemore, context=3),
                           models.contexts(True), Off)


def test_a_row_with_numpy_by_hand_shows_its_time_and_its_ratio_to_torch():
    row = timed_row("9 CNN step", Timings([2e-3], [4e-3], [1e-3]), "torch", 0.7)
    assert (row.ratio, row.verdict, row.by_hand) == (0.5, "pass", "1 ms, 0.250x")
    assert format_table([row]).splitlines()[2].endswith("| 1 ms, 0.250x            |")


def test_interleave_times_numpy_by_hand_as_a_third_side():
    calls = []
    timings = interleave(lambda: calls.append("ours"), lambda: calls.append("torch"), reps=3,
                         by_hand=lambda: calls.append("numpy"))
    assert [len(t) for t in (timings.ours, timings.baseline, timings.by_hand)] == [3, 3, 3]
    # a warm-up call each, then each repetition starts with the next side
    assert calls == ["ours", "torch", "numpy", "ours", "torch", "numpy", "torch", "numpy",
                     "ours", "numpy", "ours", "torch"]


def test_the_malloc_settings_name_the_environment_and_the_suites_mallopt(monkeypatch):
    for key in malloc.ENVIRONMENT:
        monkeypatch.delenv(key, raising=False)
    assert malloc.describe(None) == "malloc: the system's defaults"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    assert (malloc.describe("mallopt X=1")
            == "malloc: MALLOC_ARENA_MAX=2, mallopt X=1 (by the suite)")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_command_applies_and_reports_its_malloc_settings():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--tiny", "--quick", "--only",
                           "deep_chain"], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[1])
    header = done.stdout.splitlines()[0]
    applied = "mallopt M_MMAP_THRESHOLD=256 MiB M_TRIM_THRESHOLD=256 MiB"
    assert header.endswith(", " + malloc.describe(applied))


def test_a_row_without_baseline_timings_says_na():
    row = timed_row("4 op overhead", interleave(lambda: None, None, reps=2), "torch", 0.5)
    assert (row.ratio, row.verdict) == (None, "n/a")
    assert "| n/a" in format_table([row])


def test_the_command_prints_one_row_per_selected_workload(capsys):
    assert main(["--quick", "--tiny", "--default-malloc", "--only", "deep_chain", "--only",
                 "2"]) == 0
    table = capsys.readouterr().out
    assert "| 2 small MLP" in table
    assert "| 5 deep chain" in table
    assert "scalar MLP" not in table


def test_an_unknown_workload_name_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["--only", "no_such_workload"])
    assert "unknown workload no_such_workload" in capsys.readouterr().err


def test_the_budget_of_workload_2_lists_each_item_with_its_count_and_budget(capsys):
    budget.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["item", "count", "measured", "budget"]
    items = ["module calls and scopes", "linear nodes: checks and recording",
             "relu nodes: recording", "cross-entropy label check",
             "backward walk (2-wide arrays)", "SGD step", "zero_grad"]
    assert [line[:len(item)] for line, item in zip(lines[1:-1], items, strict=True)] == items
    assert lines[-1].startswith("total")
