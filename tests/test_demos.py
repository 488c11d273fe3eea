"""Smoke tests of the demos with a tiny --epochs (skipped without the `demos` extra)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demos import __main__ as tour
from demos import classification, regression, vanishing_gradients

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_pngs(paths, out):
    assert paths, "the demo saved no plot"
    for path in paths:
        path = Path(path)
        assert path.parent == out and path.read_bytes()[:8] == PNG_SIGNATURE, path


def test_regression_demo_reports_scores_next_to_the_baselines(tmp_path, capsys):
    results = regression.main(["--epochs", "2", "--seed", "1", "--out", str(tmp_path)])
    report = capsys.readouterr().out
    for line in ("mean of training targets", "least squares (lstsq)", "MLP + RegressionHead"):
        assert line in report
    assert set(results["baselines"]) == {"mean of training targets", "least squares (lstsq)",
                                         "MLP + RegressionHead"}
    assert results["mse"] > 0
    assert_pngs(results["plots"], tmp_path)


def test_classification_demo_reports_accuracy_confusion_and_examples(tmp_path, capsys):
    results = classification.main(["--epochs", "1", "--out", str(tmp_path)])
    report = capsys.readouterr().out
    assert "held-out accuracy" in report and "confusion matrix" in report
    assert "top three" in report
    assert 0 <= results["iris_accuracy"] <= 1 and 0 <= results["digits_accuracy"] <= 1
    assert_pngs(results["plots"], tmp_path)


def test_classification_demo_reaches_0_96_on_held_out_digits_with_default_epochs(tmp_path):
    results = classification.main(["--out", str(tmp_path)])
    assert results["digits_accuracy"] >= 0.96


def test_vanishing_gradients_demo_shows_sigmoid_gradients_vanishing(tmp_path, capsys):
    results = vanishing_gradients.main(["--epochs", "1", "--out", str(tmp_path)])
    assert "layer" in capsys.readouterr().out
    sigmoid, relu = results["norms"]["sigmoid"], results["norms"]["relu"]
    assert sigmoid[0] / sigmoid[-1] < 1e-3  # the first layer gets a vanishing share
    assert relu[0] / relu[-1] > 1e-1
    assert_pngs(results["plots"], tmp_path)


def test_tour_runs_every_demo(tmp_path, capsys):
    tour.main(["--epochs", "1", "--out", str(tmp_path)])
    report = capsys.readouterr().out
    assert report.count("===") == 2 * len(tour.TOUR) and "Tour done" in report
    for prefix in ("regression_", "classification_", "vanishing_gradients_"):
        assert list(tmp_path.glob(prefix + "*.png")), prefix
    assert list(tmp_path.glob("neuron-forward.*"))


def test_plots_go_to_demo_output_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    regression.main(["--epochs", "1"])
    assert (tmp_path / "demo-output" / "regression_loss.png").exists()


@pytest.mark.parametrize("command", [["-m", "demos", "--help"],
                                     ["demos/vanishing_gradients.py", "--help"]])
def test_help_works_as_a_module_and_as_a_file(command):
    done = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "--seed" in done.stdout and "--epochs" in done.stdout and "--out" in done.stdout
