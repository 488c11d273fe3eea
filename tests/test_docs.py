"""The README's table of ops is generated from the op registry, so it cannot go stale."""

from pathlib import Path

import autograd as ag

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
