"""The README's table of ops is generated from the op registry, so it cannot go stale."""

from pathlib import Path

import autograd as ag
from autograd.ops import REGISTRY

README = Path(__file__).resolve().parents[1] / "README.md"


def ops_table() -> str:
    """One row per registered op: its name and the first line of its docstring."""
    rows = ["| op | forward; derivatives (g is the upstream gradient) |", "|---|---|"]
    for name, op in ag.OPS.items():
        rule = op.__doc__.strip().splitlines()[0].replace("|", "\\|")
        rows.append(f"| `{name}` | {rule} |")
    return "\n".join(rows)


def test_every_op_documents_forward_and_derivative_in_its_first_docstring_line():
    for name, op in ag.OPS.items():
        first_line = (op.__doc__ or "").strip().splitlines()[0]
        assert first_line.startswith("out"), name
        assert "d/d" in first_line or "g ->" in first_line, name


def test_readme_lists_every_op_as_the_registry_does():
    expected = ops_table()
    assert expected in README.read_text(encoding="utf-8"), (
        "README.md's table of ops is out of date; replace it with:\n\n" + expected)


def python_blocks(section: str) -> list[str]:
    """The ```python blocks of the README section headed `## {section}`, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start:end if end != -1 else None]
    return [block.split("```", 1)[0] for block in body.split("```python\n")[1:]]


def test_the_write_your_own_op_tutorial_runs_line_by_line(capsys):
    blocks = python_blocks("Write your own op")
    assert len(blocks) == 3
    namespace: dict = {}
    try:
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    finally:
        REGISTRY.pop("my_softplus", None)
    printed = capsys.readouterr().out.split("\n")
    assert printed[0] == "[0.11920292 0.5        0.95257413]"
    assert printed[1] == "0.0"


def test_the_cnn_example_trains_to_the_accuracy_it_promises(capsys, tmp_path, monkeypatch):
    """The README's CNN example runs as printed (it saves its files in the current folder)."""
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks("Neural networks")
    cnn = [block for block in blocks if "nn.Conv2d" in block]
    assert len(cnn) == 1
    exec(compile(cnn[0], "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "Total parameters: 6,122" in printed
    accuracy = float(printed.rsplit("held-out accuracy ", 1)[1].split()[0])
    assert accuracy >= 0.97
    assert (tmp_path / "cnn.npz").exists() and (tmp_path / "cnn-optimizer.npz").exists()
