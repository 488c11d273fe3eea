"""docs/learn-backprop.ipynb runs from top to bottom: the lesson cannot go stale. Skipped where
nbclient or ipykernel is missing (`pip install -e '.[dev]'` brings them)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "learn-backprop.ipynb"


def test_the_lesson_notebook_runs_without_errors(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The lesson runs in a few seconds; the timeout only stops a hung kernel (at most 30 s
    # per cell), and the kernel runs in a scratch directory so that it leaves nothing behind.
    client = nbclient.NotebookClient(notebook, timeout=30, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on an error
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    html = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any('class="sg-stepper"' in o["data"]["text/html"] for o in html)  # the stepper
    assert any("detect_anomaly: op 'log'" in o.get("text", "") for o in outputs)
