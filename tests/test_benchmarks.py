"""The benchmark suite (`python -m benchmarks`) runs, and its baselines compute what we compute.

Everything runs at tiny sizes, in seconds. Timings are never asserted: the machines are shared
and noisy, and the suite itself reports the ratios.
"""

import numpy as np
import pytest

from benchmarks import budget, mlp, suite, workloads
from benchmarks.__main__ import main
from benchmarks.harness import Settings, format_table, interleave, timed_row
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


def test_a_row_without_baseline_timings_says_na():
    row = timed_row("4 op overhead", interleave(lambda: None, None, reps=2), "torch", 0.5)
    assert (row.ratio, row.verdict) == (None, "n/a")
    assert "| n/a" in format_table([row])


def test_the_command_prints_one_row_per_selected_workload(capsys):
    assert main(["--quick", "--tiny", "--only", "deep_chain", "--only", "2"]) == 0
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
