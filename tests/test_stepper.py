"""step_through, the Python side: the steps are explain_backward's, the page is self-contained,
the layout is layered. tests/test_stepper_browser.py runs the page in a browser."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest

import autograd as ag
from autograd.formatting import describe
from autograd.layout import layered_layout, pull_towards


def small_graph() -> tuple[ag.Value, ag.Value, ag.Value]:
    """L = (a * b + a) ** 2 with a = 2, b = -3: dL/da = -8 (through add) + 24 (through mul)."""
    a, b = ag.Value(2.0, name="a"), ag.Value(-3.0, name="b")
    loss = (a * b + a) ** 2
    loss.name = "L"
    return a, b, loss


def page_data(page: str) -> dict:
    """The data the page's script reads: the JSON in its application/json script element."""
    match = re.search(r'<script type="application/json" class="stepper-data">(.*?)</script>',
                      page, flags=re.DOTALL)
    return json.loads(match.group(1))


def box_titles(page: str) -> list[str]:
    return re.findall(r'<tspan [^>]*class="title">([^<]*)</tspan>', page)


# -- the steps -------------------------------------------------------------------------------
def test_the_steps_are_explain_backwards_with_the_same_numbers():
    _, _, loss = small_graph()
    explained = ag.explain_backward(loss).steps
    steps = page_data(ag.step_through(loss).html())["steps"]
    assert [s["op"] for s in steps] == [s.op for s in explained] == ["pow", "add", "mul"]
    for shown, step in zip(steps, explained, strict=True):
        assert shown["label"] == step.label
        assert shown["upstream"] == describe(step.upstream)
        assert shown["rule"] == step.rule
        passed = [(i["label"], i.get("local"), i.get("passed")) for i in shown["inputs"]]
        assert passed == [(i.label, None if i.local is None else describe(i.local),
                           None if i.grad is None else describe(i.grad)) for i in step.inputs]


def test_a_value_used_twice_shows_its_gradients_adding_up():
    _, _, loss = small_graph()
    add, mul = page_data(ag.step_through(loss).html())["steps"][1:]
    a_through_add, a_through_mul = add["inputs"][1], mul["inputs"][0]
    assert (a_through_add["total"], a_through_add["complete"]) == ("-8", False)
    assert a_through_mul["previous"] == "-8" and a_through_mul["passed"] == "24"
    assert (a_through_mul["total"], a_through_mul["complete"]) == ("16", True)
    assert a_through_mul["product"] == "-8 × -3 = 24"


def test_an_input_used_twice_by_one_op_gets_two_shares_in_that_step():
    x = ag.Value(1 / 3, name="x")
    (step,) = page_data(ag.step_through(x * x).html())["steps"]
    assert [(i["previous"], i["total"]) for i in step["inputs"]] == [(None, "0.3333"),
                                                                    ("0.3333", "0.6667")]


def test_each_step_fills_in_the_boxes_whose_gradient_it_changes_and_leaves_end_complete():
    _, _, loss = small_graph()
    data = page_data(ag.step_through(loss).html())
    final = {}
    for step in data["steps"]:
        for box, lines, state in step["grads"]:
            final[box] = (lines, state)
    shown = {tuple(lines): state for lines, state in final.values()}
    assert shown[("grad 16",)] == 2 and shown[("grad -16",)] == 2  # a and b: complete
    assert data["leaves"] == [["b", "-16"], ["a", "16"]]


def test_a_gradient_still_to_be_added_to_is_marked_partial():
    _, _, loss = small_graph()
    add = page_data(ag.step_through(loss).html())["steps"][1]
    assert ["grad -8 +…"] in [lines for _, lines, state in add["grads"] if state == 1]


def test_no_grad_changes_and_the_graph_need_not_have_run_backward():
    a, b, loss = small_graph()
    ag.step_through(loss)
    assert a.grad is None and b.grad is None and loss.grad is None


def test_tensors_show_shape_min_mean_max_and_their_values_when_small():
    x = ag.Value(np.arange(6.0).reshape(2, 3), name="x")
    big = ag.Value(np.arange(17.0), name="big")
    loss = (x * 2.0).sum() + (big * 1.0).sum()
    page = ag.step_through(loss).html()
    steps = page_data(page)["steps"]
    by_label = {i["label"]: i for s in steps for i in s["inputs"]}
    assert by_label["x"]["data"] == "(2, 3) float64  min 0  mean 2.5  max 5"
    doubled = next(s for s in steps if s["op"] == "mul" and s["inputs"][0]["label"] == "x")
    assert doubled["upstreamValues"] == "[[1, 1, 1], [1, 1, 1]]"
    big_step = next(s for s in steps if s["op"] == "mul" and s["inputs"][0]["label"] == "big")
    assert big_step["upstreamValues"] is None  # 17 elements: the summary only
    assert "(2, 3) float64" in page  # the box


def test_a_tensor_output_has_no_local_derivative_and_says_why_in_the_page():
    x = ag.Value(np.ones(3), name="x")
    steps = page_data(ag.step_through((x.tanh() * 2.0).sum()).html())["steps"]
    tanh = next(s for s in steps if s["op"] == "tanh")
    assert tanh["inputs"][0]["local"] is None and tanh["inputs"][0]["passed"].startswith("(3,)")


def test_a_leaf_root_has_no_steps():
    data = page_data(ag.step_through(ag.Value(3.0, name="x")).html())
    assert data["steps"] == [] and data["root"] == ["x", "3"]


def test_bad_arguments_are_reported():
    with pytest.raises(TypeError, match="step_through needs a Value"):
        ag.step_through(1.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.step_through(ag.Value(1.0, requires_grad=False))
    with pytest.raises(ValueError, match="max_nodes"):
        ag.step_through(ag.Value(1.0), max_nodes=1)


# -- labels ----------------------------------------------------------------------------------
def test_boxes_carry_the_labels_of_explain_backward_and_draw_graph():
    x = ag.Value(2.0)
    y = (x * 3.0).exp()
    titles = box_titles(ag.step_through(y).html())
    assert sorted(titles) == ["const", "out", "v1", "v2"]
    source = ag.draw_graph(y).source
    for label in ("const", "out", "v1", "v2"):
        assert f"<B>{label}</B>" in source
    explained = ag.explain_backward(y)
    assert {s.label for s in explained.steps} | {
        i.label for s in explained.steps for i in s.inputs} == set(titles)


# -- the page --------------------------------------------------------------------------------
def test_save_writes_one_page_that_fetches_nothing(tmp_path):
    _, _, loss = small_graph()
    path = ag.step_through(loss).save(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script>" in page and "<style>" in page
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import", page)
    assert set(re.findall(r"url\((.)", page)) == {"#"}  # only the page's own markers
    assert set(re.findall(r"https?://[^\"' ]+", page)) == {"http://www.w3.org/2000/svg"}


def test_two_copies_on_one_page_have_ids_of_their_own():
    _, _, loss = small_graph()
    stepper = ag.step_through(loss)
    first, second = stepper._repr_html_(), stepper._repr_html_()
    ids = [set(re.findall(r'\bid="([^"]+)"', fragment)) for fragment in (first, second)]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    root = re.search(r'class="sg-stepper" id="([^"]+)"', first).group(1)
    assert all(i.startswith(root) for i in ids[0])
    assert first.count(root) > 3  # the script and the markers use it too


def test_a_name_cannot_end_the_data_script_early():
    x = ag.Value(1.0, name="</script><b>x")
    page = ag.step_through(x * 2).html()
    assert page_data(page)["steps"][0]["inputs"][0]["label"] == "</script><b>x"
    assert "&lt;/script&gt;&lt;b&gt;x" in page  # in the drawing


def test_big_graphs_fold_as_draw_graph_folds_them():
    x = ag.Value(0.5, name="x")
    y = x
    for _ in range(300):
        y = y.tanh()
    page = ag.step_through(y, max_nodes=50).html()
    assert "rest of the graph (folded)" in page
    assert len(re.findall(r'class="node (?:parameter|constant|intermediate|output)"', page)) == 49
    assert len(page_data(page)["steps"]) == 300


def test_the_same_graph_gives_the_same_drawing():
    pages = [ag.step_through(small_graph()[2]).html() for _ in range(2)]
    drawings = [re.search(r"<svg.*</svg>", page, flags=re.DOTALL).group() for page in pages]
    uids = [re.search(r'class="sg-stepper" id="([^"]+)"', page).group(1) for page in pages]
    assert drawings[0].replace(uids[0], "") == drawings[1].replace(uids[1], "")


def test_repr_is_short():
    assert repr(ag.step_through(small_graph()[2])).startswith("<Stepper: 3 backward steps")


# -- the layout ------------------------------------------------------------------------------
def test_every_edge_points_from_left_to_right_and_boxes_of_a_column_do_not_overlap():
    x = ag.Value(0.5)
    h = [(x * float(k)).tanh() for k in range(1, 5)]
    loss = (h[0] * h[1] + h[2] * x + h[3]).sum()
    stepper = ag.step_through(loss)
    boxes = stepper._drawing
    layout = boxes.layout
    for tail, head in boxes.edges:
        assert layout.centres[tail][0] < layout.centres[head][0]
    columns: dict[float, list[tuple[float, float]]] = {}
    for (cx, cy), (_, height) in zip(layout.centres, boxes.sizes, strict=True):
        columns.setdefault(cx, []).append((cy - height / 2, cy + height / 2))
    for spans in columns.values():
        spans.sort()
        assert all(top_of_next >= bottom for (_, bottom), (top_of_next, _) in
                   itertools.pairwise(spans))


def test_the_sweeps_untangle_crossed_inputs():
    """out = f(m0, m1) with m0 made from leaf 1 and m1 from leaf 0: drawn uncrossed, leaf 1
    above leaf 0."""
    sizes = [(10.0, 10.0)] * 5
    edges = [(1, 2), (0, 3), (2, 4), (3, 4)]  # leaves 0 and 1, m0 = 2, m1 = 3, out = 4
    centres = layered_layout(sizes, edges, rank=[0, 1, 2, 3, 4]).centres
    assert centres[2][1] < centres[3][1]  # m0 above m1: argument order at `out`
    assert centres[1][1] < centres[0][1]  # so leaf 1 is above leaf 0


def test_pull_towards_keeps_the_order_and_the_gaps_closest_to_what_is_wanted():
    assert pull_towards([0.0, 0.0], [10.0]) == [-5.0, 5.0]
    assert pull_towards([0.0, 30.0, 31.0], [10.0, 10.0]) == [0.0, 25.5, 35.5]


def test_only_the_last_of_two_shares_in_one_step_completes_the_gradient():
    a = ag.Value(3.0, name="a")
    (step,) = page_data(ag.step_through(a * a).html())["steps"]
    assert [(i["total"], i["complete"]) for i in step["inputs"]] == [("3", False), ("6", True)]


@pytest.mark.parametrize("name", ["<!--<script>", "</script><p>", "a & b > c"])
def test_markup_in_a_name_cannot_break_the_page_script(name):
    """Inside the JSON every < > & is a \\u escape, so no name can end the script element or
    put the parser in a state where the real </script> stops doing so."""
    a = ag.Value(2.0, name=name)
    page = ag.step_through(a * a).html()
    script = page.split('class="stepper-data">', 1)[1].split("</script>", 1)[0]
    assert not set("<>&") & set(script)
    assert page_data(page)["steps"][0]["inputs"][0]["label"].startswith(name[:3])


def test_the_seed_shown_is_the_one_given():
    a = ag.Value(2.0, name="a")
    assert page_data(ag.step_through(a * 2, 2.0).html())["seed"] == "2"
    assert page_data(ag.step_through(a * 2).html())["seed"] == "1"
    assert page_data(ag.step_through(a, 5.0).html())["seed"] == "5"  # a leaf root


def test_an_edge_shows_the_whole_shape_of_a_matrix_gradient():
    x = ag.Value(np.ones((3, 2)), name="x")
    flows = [f[2] for step in page_data(ag.step_through((x * 2).sum()).html())["steps"]
             for f in step["flows"]]
    assert flows == ["grad (3, 2)", "grad (3, 2)"]


def test_the_mean_of_huge_finite_values_is_finite():
    assert describe(np.full(4, 1e308)) == "(4,) float64  min 1e+308  mean 1e+308  max 1e+308"


def test_an_input_reused_along_a_long_chain_keeps_the_layout_linear():
    """Node 0 feeds each of 200 chained nodes (an RNN's weight): with a dummy point per layer
    crossed, its edges alone would need ~20,000; longer edges are drawn straight instead."""
    from autograd.layout import MAX_DUMMIES

    count = 201
    edges = [(i, i + 1) for i in range(1, count - 1)] + [(0, i) for i in range(1, count)]
    layout = layered_layout([(40.0, 20.0)] * count, edges, list(range(count)))
    assert max(len(route) for route in layout.routes) <= MAX_DUMMIES + 2
    assert len(layout.centres) == count
    assert all(x0 < x1 for (x0, _), (x1, _) in zip(layout.centres[1:], layout.centres[2:],
                                                      strict=False))
