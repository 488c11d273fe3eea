"""What `import autograd` loads: graphviz waits for the first drawing (it costs more to import
than the whole engine). Each check runs a fresh interpreter: this one has imported everything."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_python(code: str) -> list[str]:
    """The lines `code` prints, run by a new Python in the repository."""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)
    return result.stdout.splitlines()


def test_importing_autograd_and_nn_does_not_import_graphviz_until_a_drawing():
    code = ("import autograd as ag, nn, sys\n"
            "print('graphviz' in sys.modules)\n"
            "dot = ag.draw_graph(ag.Value(2.0, name='x') * 3)\n"
            "print('graphviz' in sys.modules, type(dot).__name__, '<B>x</B>' in dot.source)\n")
    assert run_python(code) == ["False", "True Digraph True"]


def test_autograd_works_without_the_graphviz_package_until_a_drawing():
    code = ("import sys\n"
            "sys.modules['graphviz'] = None  # what Python does when graphviz is not installed\n"
            "import autograd as ag, nn\n"
            "x = ag.Value(2.0)\n"
            "(x * x).backward()\n"
            "print(x.grad)\n"
            "try:\n"
            "    ag.draw_graph(x * 3)\n"
            "except ImportError as error:\n"
            "    print(type(error).__name__, error.name)\n")
    assert run_python(code) == ["4.0", "ModuleNotFoundError graphviz"]
