"""draw_graph: what the DOT source says, scope frames, folding big graphs, rendering, the demo."""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import graphviz
import numpy as np
import pytest

import autograd as ag
from autograd.formatting import describe
from autograd.ops import REGISTRY, Op
from autograd.value import apply

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")
REPO = Path(__file__).resolve().parents[1]


def small_graph() -> tuple[ag.Value, ag.Value, ag.Value]:
    """L = (a * b + a) ** 2 with a = 2, b = -3: L = 16, dL/da = 16, dL/db = -16."""
    a, b = ag.Value(2.0, name="a"), ag.Value(-3.0, name="b")
    loss = (a * b + a) ** 2
    loss.name = "L"
    return a, b, loss


def node_ids(source: str) -> list[str]:
    """The ids of the boxes (Values and summaries, not op ovals) declared in the source."""
    return re.findall(r"^\s*([vg]\d+) \[", source, flags=re.MULTILINE)


def node_attrs(source: str, text: str) -> str:
    """The attributes after the label of the one node whose label contains `text`."""
    lines = [line for line in source.splitlines() if "[label=" in line and text in line]
    assert len(lines) == 1, lines
    return lines[0].rsplit(">", 1)[1]


def svg_texts(dot: graphviz.Digraph) -> list[str]:
    """The texts of the drawing rendered to SVG (as XML writes them: & is &amp;)."""
    svg = dot.pipe(format="svg", encoding="utf-8")
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def scalar_mlp(sizes: list[int], scoped: bool) -> ag.Value:
    """A squared error through a tanh MLP made of scalar Values, each neuron in the scopes
    (f"layer {i}", f"neuron {j}") if `scoped`."""
    rng = random.Random(0)
    xs = [ag.Value(rng.uniform(-1, 1), requires_grad=False) for _ in range(sizes[0])]
    for i, n_out in enumerate(sizes[1:]):
        outs = []
        for j in range(n_out):
            with contextlib.ExitStack() as scopes:
                if scoped:
                    scopes.enter_context(ag.scope(f"layer {i}"))
                    scopes.enter_context(ag.scope(f"neuron {j}"))
                act = ag.Value(0.0, name="b")
                for x in xs:
                    act = act + ag.Value(rng.uniform(-1, 1), name="w") * x
                outs.append(act.tanh())
        xs = outs
    return (xs[0] - 1.0) ** 2


# -- what a drawing shows --------------------------------------------------------------------
def test_returns_a_digraph_built_without_the_dot_program():
    assert isinstance(ag.draw_graph(small_graph()[2]), graphviz.Digraph)


def test_op_nodes_show_the_op_names():
    source = ag.draw_graph(small_graph()[2]).source
    for op in ("mul", "add", "pow"):
        assert f"label=<{op}>" in source


def test_value_boxes_show_the_name_and_the_data_to_4_significant_digits():
    third = ag.Value(1 / 3, name="third")
    big = ag.Value(12345.678, name="big")
    source = ag.draw_graph(third * big).source
    assert "<B>third</B>" in source and ">0.3333<" in source
    assert "<B>big</B>" in source and ">1.235e+04<" in source
    assert ">4115<" in source  # the product, 4115.226


def test_tensor_boxes_show_shape_dtype_and_min_mean_max():
    x = ag.Value(np.arange(128, dtype=np.float32).reshape(32, 4), name="x")
    source = ag.draw_graph(x.sum()).source
    assert "(32, 4) float32<BR/>min 0  mean 63.5  max 127" in source
    assert ">8128 float32<" in source  # the 0-d float32 sum is a number, with its dtype


def test_grad_rows_appear_only_after_backward():
    _, _, loss = small_graph()
    assert "grad" not in ag.draw_graph(loss).source
    loss.backward()
    source = ag.draw_graph(loss).source
    a_box = next(line for line in source.splitlines() if "<B>a</B>" in line)
    b_box = next(line for line in source.splitlines() if "<B>b</B>" in line)
    assert re.search(r"grad</FONT></I></TD><TD [^>]*><FONT [^>]*>16<", a_box)
    assert re.search(r">-16<", b_box)


def test_tensor_gradients_are_summarised_like_the_data():
    w = ag.Value(np.ones((2, 3)), name="w")
    (w * np.array([1.0, 2.0, 3.0])).sum().backward()
    box = next(line for line in ag.draw_graph(w * 1.0).source.splitlines() if "<B>w</B>" in line)
    assert "grad" in box and "(2, 3) float64" in box and "min 1  mean 2  max 3" in box


def test_show_data_and_show_grad_false_leave_those_rows_out():
    _, _, loss = small_graph()
    loss.backward()
    source = ag.draw_graph(loss, show_data=False, show_grad=False).source
    assert "data" not in source and "grad" not in source
    assert "<B>a</B>" in source


def test_parameters_constants_intermediates_and_the_output_look_different():
    w = ag.Value(0.5, name="w")
    c = ag.Value(2.0, requires_grad=False, name="c")
    h = w * c
    h.name = "h"
    out = h.tanh()
    out.name = "out"
    source = ag.draw_graph(out).source
    looks = {name: node_attrs(source, f"<B>{name}</B>") for name in ("w", "c", "h", "out")}
    assert len(set(looks.values())) == 4, looks
    assert "dashed" in looks["c"]


def test_edges_run_from_inputs_through_the_op_to_its_output():
    x = ag.Value(3.0, name="x")
    y = x * x
    source = ag.draw_graph(y).source
    assert source.count("v0 -> op1") == 2  # x is used twice
    assert "op1 -> v1" in source


def test_unnamed_values_carry_the_labels_explain_backward_gives_them():
    x = ag.Value(2.0)
    y = (x * 3.0).exp()
    source = ag.draw_graph(y).source
    for step in ag.explain_backward(y).steps:
        for item in step.inputs:  # v1 = 2 (x), const = 3, v2 = 6 (x * 3)
            (box,) = [line for line in source.splitlines() if f"<B>{item.label}</B>" in line]
            assert f">{describe(item.value.data)}<" in box


def test_the_same_graph_gives_the_same_source_every_time():
    assert ag.draw_graph(small_graph()[2]).source == ag.draw_graph(small_graph()[2]).source


def test_html_special_characters_in_names_are_escaped():
    x = ag.Value(1.0, name="<x & y>")
    assert "&lt;x &amp; y&gt;" in ag.draw_graph(x * 2).source


NAMES = [  # a name, and what a drawing shows for it
    pytest.param("\x00", "␀", id="nul"),
    pytest.param("\x1b[31mred", "␛[31mred", id="terminal-colour"),
    pytest.param("a\r\nb", "a␍␊b", id="crlf"),
    pytest.param("\t", "␉", id="tab"),
    pytest.param("\x7f", "␡", id="del"),
    pytest.param("\x85", "\\x85", id="c1-control"),
    pytest.param("\ud800", "\\ud800", id="lone-surrogate"),
    pytest.param("\uffff", "\\uffff", id="not-an-xml-character"),
    pytest.param("]]>", "]]&gt;", id="cdata-end"),
    pytest.param('<&">', "&lt;&amp;&quot;&gt;", id="markup"),
    pytest.param("x" * 100_000, "x" * 79 + "…", id="100000-characters"),
]


@pytest.mark.parametrize(("name", "shown"), NAMES)
def test_control_characters_in_labels_become_visible_stand_ins(name, shown):
    source = ag.draw_graph(ag.Value(1.0, name=name) * 2).source
    assert f"<B>{shown}</B>" in source
    source.encode("utf-8")  # no lone surrogate left: dot reads UTF-8


def test_long_names_are_cut_to_80_characters():
    name = "".join(str(i % 10) for i in range(200))
    source = ag.draw_graph(ag.Value(1.0, name=name) * 2).source
    assert f"<B>{name[:79]}…</B>" in source


@pytest.fixture
def op_named():
    """Make identity ops with the given names; they are taken out of the registry of ops
    again, so other tests only ever see the real ops."""
    made: list[type[Op]] = []

    def make(op_name: str) -> type[Op]:
        class Identity(Op):
            name = op_name

            def forward(x):  # noqa: N805 - an op class is never instantiated
                return x

            vjps = (lambda g, out, x: g,)

        made.append(Identity)
        return Identity

    try:
        yield make
    finally:
        for op in made:
            del REGISTRY[op.name]


@needs_dot
@pytest.mark.parametrize(("name", "shown"), NAMES)
def test_value_names_with_any_characters_render(name, shown):
    x = ag.Value(1.0, name=name)
    y = x * 2
    y.name = name
    assert svg_texts(ag.draw_graph(y)).count(shown) == 2


@needs_dot
@pytest.mark.parametrize(("name", "shown"), NAMES)
def test_scope_labels_with_any_characters_render_as_frames_and_summary_boxes(name, shown):
    x = ag.Value(1.0)
    with ag.scope(name):
        h = (x * 2).tanh().exp()
    out = h + 1
    assert svg_texts(ag.draw_graph(out)).count(shown) == 1  # the frame's label
    assert f"{shown} (folded)" in svg_texts(ag.draw_graph(out, max_nodes=3))


@needs_dot
@pytest.mark.parametrize(("name", "shown"), NAMES)
def test_op_names_with_any_characters_render_as_ovals_and_in_summary_boxes(name, shown,
                                                                           op_named):
    identity = op_named(name)
    x = ag.Value(1.0)
    with ag.scope("block"):
        h = apply(identity, apply(identity, x * 2))
    out = h + 1
    assert svg_texts(ag.draw_graph(out)).count(shown) == 2  # one oval per use
    assert f"ops: 2 {shown}, 1 mul" in svg_texts(ag.draw_graph(out, max_nodes=3))


def test_a_leaf_can_be_drawn_on_its_own():
    assert node_ids(ag.draw_graph(ag.Value(1.0)).source) == ["v0"]


# -- scopes ----------------------------------------------------------------------------------
def test_values_made_in_a_scope_are_drawn_in_a_frame_with_its_label():
    x = ag.Value(1.0, name="x")
    with ag.scope("layer 1"):
        h = x * 2
        h.name = "h"
    out = h + x
    out.name = "out"
    source = ag.draw_graph(out).source
    assert source.count("subgraph cluster_") == 1
    assert frame_of(source, "h") == "layer 1"
    assert frame_of(source, "x") is None and frame_of(source, "out") is None


def test_nested_scopes_give_nested_frames():
    x = ag.Value(1.0, name="x")
    with ag.scope("MLP"):
        with ag.scope("0: Linear(3→16)"):
            h = x * 2
            h.name = "inner"
        y = h.relu()
        y.name = "outer"
    source = ag.draw_graph(y + 1).source
    outer = re.search(r"\tsubgraph (cluster_\d+) \{\n\t\tgraph \[.*label=<MLP>", source)
    inner = re.search(r"\t\tsubgraph (cluster_\d+) \{\n\t\t\tgraph \[.*label=<0: Linear\(3→16\)>",
                      source)
    assert outer and inner and outer.start() < inner.start()
    assert re.search(r"\n\t\t\tv\d+ \[label=.*<B>inner</B>", source)
    assert re.search(r"\n\t\tv\d+ \[label=.*<B>outer</B>", source)


def frame_of(source: str, name: str) -> str | None:
    """The label of the innermost frame that declares the box named `name` (None: no frame)."""
    frames: list[str | None] = [None]
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("subgraph"):
            frames.append(None)
        elif line.startswith("graph [") and len(frames) > 1:
            frames[-1] = re.search(r"label=<([^>]*)>", line).group(1)
        elif line == "}":
            frames.pop()
        elif f"<B>{name}</B>" in line:
            return frames[-1]
    raise AssertionError(f"no box named {name}")


def test_parameters_used_only_in_a_scope_are_drawn_in_its_frame():
    w = ag.Value(0.5, name="w")  # made outside, like a module's weight made in __init__
    shared = ag.Value(1.0, name="shared")
    data = ag.Value(2.0, requires_grad=False, name="data")
    with ag.scope("layer"):
        h = w * data + shared
        h.name = "h"
    out = h * shared
    out.name = "out"
    source = ag.draw_graph(out).source
    assert frame_of(source, "w") == "layer"
    assert frame_of(source, "h") == "layer"
    assert frame_of(source, "shared") is None  # also used outside the scope
    assert frame_of(source, "data") is None  # data is not a parameter: drawn where it was made
    assert frame_of(source, "out") is None


# -- big graphs ------------------------------------------------------------------------------
def test_a_big_scoped_graph_folds_scopes_into_summary_boxes():
    loss = scalar_mlp([3, 8, 8, 1], scoped=True)
    source = ag.draw_graph(loss, max_nodes=60).source
    assert len(node_ids(source)) <= 60
    assert "neuron 0 (folded)" in source
    assert re.search(r"\d+ values<BR/>ops: \d+ add, \d+ mul, 1 tanh", source)
    assert re.search(r"\d+ of \d+ values drawn one by one; \d+ folded into \d+ summary boxes "
                     r"\(max_nodes=60\)", source)


def test_folding_keeps_the_scopes_nearest_the_output_in_detail():
    loss = scalar_mlp([3, 4, 4, 1], scoped=True)
    source = ag.draw_graph(loss, max_nodes=40).source
    assert "label=<neuron 0> " in source  # the output neuron (layer 2) is still a frame
    assert source.count("(folded)") == 8  # the 4 + 4 neurons of layers 0 and 1


def test_a_big_graph_without_scopes_folds_the_part_farthest_from_the_output():
    x = ag.Value(0.5, name="x")
    y = x
    for _ in range(1000):
        y = y.tanh()
    source = ag.draw_graph(y, max_nodes=50).source
    assert len(node_ids(source)) == 50
    assert "rest of the graph (folded)</B><BR/>952 values<BR/>ops: 951 tanh<BR/>1 leaf" in source
    assert ("49 of 1001 values drawn one by one; 952 folded into 1 summary box (max_nodes=50)"
            in source)


def test_max_nodes_none_draws_every_value():
    loss = scalar_mlp([3, 8, 8, 1], scoped=True)
    source = ag.draw_graph(loss, max_nodes=None).source
    assert "(folded)" not in source
    assert len(node_ids(source)) > 300


def test_a_graph_deeper_than_the_recursion_limit_is_drawn():
    y = ag.Value(1.0)
    for _ in range(100_000):
        y = -y
    source = ag.draw_graph(y).source
    assert "rest of the graph (folded)" in source


def test_bad_arguments_are_reported():
    with pytest.raises(TypeError, match="needs a Value"):
        ag.draw_graph(1.0)
    with pytest.raises(ValueError, match="rankdir"):
        ag.draw_graph(ag.Value(1.0), rankdir="sideways")
    with pytest.raises(ValueError, match="max_nodes"):
        ag.draw_graph(ag.Value(1.0), max_nodes=1)


# -- rendering -------------------------------------------------------------------------------
@needs_dot
def test_renders_to_svg():
    _, _, loss = small_graph()
    loss.backward()
    svg = ag.draw_graph(loss, rankdir="TB").pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg and ">mul<" in svg and ">16<" in svg


@needs_dot
def test_a_2000_value_scalar_mlp_draws_and_renders_to_svg():
    """What keeps it fast (no timing here: that is noise on a shared machine): the default
    max_nodes folds the graph, and newrank lets dot lay clusters out in one pass (2 s, not 60)."""
    loss = scalar_mlp([3, 24, 24, 1], scoped=True)
    loss.backward()
    dot = ag.draw_graph(loss)
    assert "newrank=true" in dot.source
    assert len(re.findall(r"^\s*v\d+ \[", dot.source, flags=re.MULTILINE)) <= 400
    assert dot.pipe(format="svg").startswith(b"<?xml")


# -- the demo --------------------------------------------------------------------------------
def run_demo(out: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([sys.executable, str(REPO / "demos" / "graph.py"), "--out", str(out)],
                            capture_output=True, text=True, env=env, timeout=120, check=True)
    return result.stdout


@needs_dot
def test_demo_saves_drawings_before_and_after_backward_and_prints_the_chain_rule(tmp_path):
    stdout = run_demo(tmp_path)
    for stem in ("neuron-forward", "neuron-backward", "tanh-second-derivative"):
        for suffix in (".svg", ".png", ".gv"):
            assert (tmp_path / f"{stem}{suffix}").stat().st_size > 0
    assert "grad" not in (tmp_path / "neuron-forward.gv").read_text()
    assert "grad" in (tmp_path / "neuron-backward.gv").read_text()
    assert "Backward pass from loss" in stdout and "sigmoid" in stdout
    assert "d²/dx² tanh(x) at x = 0.5: -0.7269" in stdout


def test_demo_without_dot_writes_the_source_and_says_how_to_render_it(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    stdout = run_demo(tmp_path, env=env)
    assert (tmp_path / "neuron-backward.gv").exists()
    assert not (tmp_path / "neuron-backward.svg").exists()
    assert "dot -Tsvg" in stdout
    assert "<svg" in (tmp_path / "neuron-stepper.html").read_text(encoding="utf-8")


def test_demo_help():
    result = subprocess.run([sys.executable, str(REPO / "demos" / "graph.py"), "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    assert "--out" in result.stdout
