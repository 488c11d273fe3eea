"""`step_through`: the backward pass, one op at a time, over a drawing of the graph, in one
self-contained HTML page.

The steps are `explain_backward`'s: the engine's own backward pass, run with the recorder of
`autograd.explain` as its trace and storing no `.grad`. The drawing is planned as `draw_graph`
plans it (the same labels, the same folding of big graphs, in `autograd.collapse`) and laid out
in Python (`autograd.layout`), so no Graphviz program is needed. Everything the page shows is
formatted here, with `autograd.formatting`, so its numbers are the table's; the page's script
(`stepper_page.html`, beside this module) only shows step k's part of them.
"""

from __future__ import annotations

import html
import inspect
import itertools
import json
import re
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from autograd.collapse import Group, Plan, plan_drawing
from autograd.drawing import DEFAULT_MAX_NODES, kind_of, label_text, shown_name, summary_lines
from autograd.explain import BackwardStep, StepRecorder, record_backward
from autograd.formatting import describe, describe_parts, element_values
from autograd.layout import Layout, layered_layout
from autograd.value import Value

CHAR_WIDTH = 7.3  # of the 12 px monospace font the boxes use
LINE_HEIGHT = 15.0
PADDING = 8.0
OP_HEIGHT = 24.0
PORT_SPREAD = 7.0  # between the ends of edges that enter one op
FIT_WIDTH = 1800.0  # scaled to the page when so wide, before the script fits it to the frame
LEAVES_LISTED = 24  # the most final leaf gradients the last step lists
UID_TOKEN = "__STEPPER_ID__"  # stands in the drawing for the id of each copy of the page


def step_through(root: Value, grad: Any = None, *,
                 max_nodes: int | None = DEFAULT_MAX_NODES) -> Stepper:
    """The backward pass from `root` (seeded as in `root.backward(grad)`), one op per step, over
    a drawing of the graph. It changes no `.grad`. `.save("steps.html")` writes one file that
    opens offline; in Jupyter the stepper shows itself. Past `max_nodes` Value boxes the
    drawing folds scopes and far parts of the graph as `draw_graph` does (None: never)."""
    if max_nodes is not None and max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2 (or None for no limit), got {max_nodes}")
    return Stepper(root, record_backward(root, grad, caller="step_through"), max_nodes)


class Stepper:
    """The steps of one backward pass and their page. `steps` are explain_backward's."""

    def __init__(self, root: Value, recorder: StepRecorder, max_nodes: int | None) -> None:
        self.root = root
        self.steps: tuple[BackwardStep, ...] = tuple(recorder.steps)
        plan = plan_drawing(recorder.order, root, max_nodes)
        shares = running_totals(recorder)
        self._drawing = drawing = Drawing(plan, root, recorder.labels, grad_widths(shares))
        self._svg = drawing.svg()
        self._data = json.dumps(page_data(drawing, recorder, shares), separators=(",", ":"))

    def __repr__(self) -> str:
        return (f"<Stepper: {len(self.steps)} backward steps; .save('steps.html') writes the "
                "page, Jupyter shows it>")

    def _repr_html_(self) -> str:
        """The stepper as an HTML fragment, with ids of its own: one page can hold several."""
        uid = f"stepper-{uuid.uuid4().hex[:12]}"
        head, rest = template().replace(UID_TOKEN, uid).split("__SVG__")
        middle, tail = rest.split("__DATA__")
        # The data last, with every < > & as a JSON escape: inside a script element, `</` would
        # end it, and `<!--<script` would send the HTML parser into a state where the real
        # `</script>` no longer does (a name can hold either).
        data = self._data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return "".join([head, self._svg.replace(UID_TOKEN, uid), middle, data, tail])

    def html(self) -> str:
        """A whole HTML page: the stepper, its script and styles inline, nothing to fetch."""
        title = html.escape(f"Backward pass, step by step: {len(self.steps)} ops")
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<title>{title}</title>\n"
                "<meta name=\"viewport\" content=\"width=device-width\">\n</head>\n"
                f"<body class=\"stepper-page\">\n{self._repr_html_()}\n</body>\n</html>\n")

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path


def template() -> str:
    return resources.files("autograd").joinpath("stepper_page.html").read_text(encoding="utf-8")


# -- the drawing -----------------------------------------------------------------------------
class Drawing:
    """The boxes (Values, ops, folded groups) and edges of the page's SVG, laid out."""

    def __init__(self, plan: Plan, root: Value, labels: dict[Value, str],
                 widest_grad: dict[Value, int]) -> None:
        self.plan, self.root, self.labels = plan, root, labels
        self.kinds: list[str] = []
        self.lines: list[list[str]] = []  # each box's fixed text: label, data or summary
        self.grad_lines: list[int] = []  # how many grad lines each box keeps room for
        self.sizes: list[tuple[float, float]] = []
        rank: list[int] = []
        self.box_of: dict[Value, int] = {}  # the node that shows each Value
        self.op_of: dict[Value, int] = {}  # the oval of each shown op
        group_node: dict[Group, int] = {}
        for i, value in enumerate(plan.values):
            group = plan.group_of.get(value)
            if group is not None:
                if group not in group_node:
                    group_node[group] = self.add("summary", summary_lines(group), 0, 0)
                    rank.append(0)
                node = group_node[group]
                rank[node] = 2 * i + 1  # a group ranks as its last Value
                self.box_of[value] = node
                continue
            if value.parents:
                self.op_of[value] = self.add("op", [shown_name(value.op)], 0, 0)
                rank.append(2 * i)
            parts = describe_parts(value.data)
            lines = [shown_name(self.labels[value]), *field_lines("data", parts)]
            needs_grad = value.requires_grad
            self.box_of[value] = self.add(kind_of(value, root), lines,
                                          len(parts) if needs_grad else 0,
                                          widest_grad.get(value, 0) if needs_grad else 0)
            rank.append(2 * i + 1)
        self.edges: list[tuple[int, int]] = []
        self.dashed: list[bool] = []
        self.counts: list[int] = []
        self.input_edges: dict[Value, list[int]] = {}  # per input, in argument order
        self.output_edge: dict[Value, int] = {}  # op -> box, for each shown op
        self.into: dict[int, list[int]] = {}  # the edges into each node, in argument order
        self.add_edges()
        self.layout: Layout = layered_layout(self.sizes, self.edges, rank)

    def add(self, kind: str, lines: list[str], grad_lines: int, grad_width: int) -> int:
        self.kinds.append(kind)
        self.lines.append(lines)
        self.grad_lines.append(grad_lines)
        if kind == "op":
            width, height = len(lines[0]) * CHAR_WIDTH + 22, OP_HEIGHT
        else:
            chars = max([len(line) for line in lines] + [grad_width])
            width = chars * CHAR_WIDTH + 2 * PADDING
            height = (len(lines) + grad_lines) * LINE_HEIGHT + PADDING
        self.sizes.append((width, height))
        return len(self.kinds) - 1

    def add_edges(self) -> None:
        """input -> op -> output for every shown Value; edges into a summary box, or out of one
        into an op, are drawn once per pair of nodes, dashed, with their number (as draw_graph
        draws them)."""
        folded: dict[tuple[int, int], int] = {}  # (tail, head) -> its edge
        group_of = self.plan.group_of
        for value in self.plan.values:
            if not value.parents:
                continue
            shown = value not in group_of
            head = self.op_of[value] if shown else self.box_of[value]
            if shown:
                self.output_edge[value] = self.edge(head, self.box_of[value], dashed=False)
            uses = []
            for parent in value.parents:
                tail = self.box_of[parent]
                if shown and parent not in group_of:
                    uses.append(self.edge(tail, head, dashed=False))
                elif tail != head:
                    if (tail, head) not in folded:
                        folded[tail, head] = self.edge(tail, head, dashed=True)
                    self.counts[folded[tail, head]] += 1
                    uses.append(folded[tail, head])
                else:
                    uses.append(-1)  # inside one folded group: nothing drawn
            self.input_edges[value] = uses

    def edge(self, tail: int, head: int, dashed: bool) -> int:
        self.into.setdefault(head, []).append(len(self.edges))
        self.edges.append((tail, head))
        self.dashed.append(dashed)
        self.counts.append(0)
        return len(self.edges) - 1

    # -- geometry --------------------------------------------------------------------------
    def ends(self, e: int) -> tuple[tuple[float, float], tuple[float, float]]:
        """Where edge e leaves its tail (right side) and meets its head (left side; the inputs
        of an op meet it at ports spread in argument order)."""
        tail, head = self.edges[e]
        (tx, ty), (hx, hy) = self.layout.centres[tail], self.layout.centres[head]
        into = self.into[head] if self.kinds[head] == "op" else [e]
        offset = (into.index(e) - (len(into) - 1) / 2) * PORT_SPREAD
        return (tx + self.sizes[tail][0] / 2, ty), (hx - self.sizes[head][0] / 2, hy + offset)

    def path(self, e: int) -> str:
        """Edge e as SVG path data: one horizontal S-curve per column it crosses."""
        start, end = self.ends(e)
        points = [start, *self.layout.routes[e][1:-1], end]
        if len(self.layout.routes[e]) < 2:  # drawn against the layout's order: around it
            (sx, sy), (ex, ey) = start, end
            return (f"M{sx:.1f},{sy:.1f} C{sx + 80:.1f},{sy:.1f} {ex - 80:.1f},{ey:.1f} "
                    f"{ex:.1f},{ey:.1f}")
        parts = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            middle = (x0 + x1) / 2
            parts.append(f"C{middle:.1f},{y0:.1f} {middle:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
        return " ".join(parts)

    def flow_point(self, e: int) -> tuple[float, float]:
        """Where the gradient an edge carries back is written: halfway along its last curve."""
        start, end = self.ends(e)
        points = [start, *self.layout.routes[e][1:-1], end]
        (x0, y0), (x1, y1) = points[-2], points[-1]
        return round((x0 + x1) / 2, 1), round((y0 + y1) / 2 - 4, 1)

    # -- SVG -------------------------------------------------------------------------------
    def svg(self) -> str:
        width, height = self.layout.width, self.layout.height
        fit = " fit" if width <= FIT_WIDTH else ""
        out = [f'<svg class="graph{fit}" xmlns="http://www.w3.org/2000/svg" '
               f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
               f'height="{height:.0f}" role="img" aria-label="the graph, drawn for stepping">',
               "<defs>"]
        for marker in ("arrow", "arrow-hot"):
            out.append(f'<marker id="{UID_TOKEN}-{marker}" class="{marker}" viewBox="0 0 10 10" '
                       'refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" '
                       'markerHeight="9" orient="auto">'
                       '<path d="M0,0 L10,5 L0,10 z"/></marker>')
        out.append('</defs><g class="edges">')
        for e in range(len(self.edges)):
            dashed = " folded" if self.dashed[e] else ""
            out.append(f'<path class="edge{dashed}" data-edge="{e}" d="{self.path(e)}" '
                       f'marker-end="url(#{UID_TOKEN}-arrow)"/>')
        for e, count in enumerate(self.counts):
            if count > 1:
                x, y = self.flow_point(e)
                out.append(f'<text class="count" x="{x}" y="{y}">×{count}</text>')
        out.append('</g><g class="nodes">')
        for node in range(len(self.kinds)):
            out.append(self.node_svg(node))
        out.append('</g><g class="flows"></g></svg>')
        return "".join(out)

    def node_svg(self, node: int) -> str:
        kind, lines = self.kinds[node], self.lines[node]
        (x, y), (w, h) = self.layout.centres[node], self.sizes[node]
        head = f'<g class="node {kind}" data-node="{node}" transform="translate({x:.1f},{y:.1f})">'
        if kind == "op":
            return (f'{head}<ellipse rx="{w / 2:.1f}" ry="{h / 2:.1f}"/>'
                    f'<text class="op-name" y="4">{label_text(lines[0])}</text></g>')
        parts = [head, f'<rect x="{-w / 2:.1f}" y="{-h / 2:.1f}" width="{w:.1f}" '
                       f'height="{h:.1f}" rx="6"/>']
        left, top = -w / 2 + PADDING, -h / 2 + PADDING / 2 + LINE_HEIGHT - 3
        spans = []
        for k, line in enumerate(lines):
            bold = ' class="title"' if k == 0 else ""
            spans.append(f'<tspan x="{left:.1f}" y="{top + k * LINE_HEIGHT:.1f}"{bold}>'
                         f'{label_text(line)}</tspan>')
        parts.append(f'<text xml:space="preserve">{"".join(spans)}</text>')
        if self.grad_lines[node]:
            first = top + len(lines) * LINE_HEIGHT
            spans = [f'<tspan x="{left:.1f}" y="{first + k * LINE_HEIGHT:.1f}"></tspan>'
                     for k in range(self.grad_lines[node])]
            parts.append(f'<text class="grad" xml:space="preserve">{"".join(spans)}</text>')
        parts.append("</g>")
        return "".join(parts)


def field_lines(title: str, parts: tuple[str, ...]) -> list[str]:
    """`data 2`, or for a tensor `data (2, 3) float64` then `     min ...` under it."""
    return [f"{title} {parts[0]}", *(" " * (len(title) + 1) + part for part in parts[1:])]


PARTIAL = " +…"  # after a gradient that more shares will still be added to


Share = tuple[int, Value, Any, Any]  # step, Value, its gradient so far, what it had before


def grad_widths(shares: list[Share]) -> dict[Value, int]:
    """The most characters any grad line of each Value's box will show, so that its box is
    drawn wide enough from the start."""
    widths: dict[Value, int] = {}
    for _, value, total, _ in shares:
        longest = max(len(line) for line in field_lines("grad", describe_parts(total)))
        widths[value] = max(widths.get(value, 0), longest + len(PARTIAL))
    return widths


def running_totals(recorder: StepRecorder) -> list[Share]:
    """(step, Value, its gradient so far, what it had before) for every share passed, in the
    order of the pass, summed as the engine sums them (`previous + share`). The root's seed
    comes first, at step 1."""
    totals: dict[Value, Any] = {}
    events = []
    steps = recorder.steps
    if steps:
        events.append((1, steps[0].output, steps[0].upstream, None))
    for step in steps:
        for item in step.inputs:
            if item.grad is None:
                continue
            previous = totals.get(item.value)
            total = item.grad if previous is None else previous + item.grad
            totals[item.value] = total
            events.append((step.number, item.value, total, previous))
    return events


# -- what the page shows at each step --------------------------------------------------------
def page_data(drawing: Drawing, recorder: StepRecorder, shares: list[Share]) -> dict[str, Any]:
    """Everything the page's script needs, formatted: one record per step, the leaves' final
    gradients, and which boxes each step highlights and fills in."""
    steps = recorder.steps
    last_share = {value: k for k, (_, value, _, _) in enumerate(shares)}  # completes it
    records = [step_record(step, drawing) for step in steps]
    rows = iter(row for record in records for row in record["inputs"] if "passed" in row)
    for k, (number, value, total, previous) in enumerate(shares):
        complete = k == last_share[value]  # two shares in one step (a * a): the second
        if k:  # after the seed, the shares come in the order of the input rows
            row = next(rows)
            row.update(total=describe(total), complete=complete,
                       previous=None if previous is None else describe(previous))
        box = drawing.box_of[value]
        if drawing.kinds[box] == "summary":
            continue
        lines = field_lines("grad", describe_parts(total))
        if not complete:
            lines[-1] += PARTIAL
        records[number - 1]["grads"].append([box, lines, 2 if complete else 1])
    leaves = [[shown_name(leaf.label), describe(leaf.grad)] for leaf in recorder.leaves]
    root = drawing.root
    return {"steps": records, "leaves": leaves[:LEAVES_LISTED],
            "moreLeaves": max(0, len(leaves) - LEAVES_LISTED),
            "root": [shown_name(drawing.labels[root]), describe(root.data)],
            "seed": describe(shares[0][2] if shares else  # a leaf root: its grad is the seed
                             recorder.leaves[0].grad if recorder.leaves else 1.0),
            "folded": len(drawing.plan.group_of),
            "centres": [[round(x), round(y)] for x, y in drawing.layout.centres]}


def step_record(step: BackwardStep, drawing: Drawing) -> dict[str, Any]:
    output = step.output
    shown = output in drawing.op_of
    edges = [e for e in drawing.input_edges[output] if e >= 0]
    if shown:
        edges.append(drawing.output_edge[output])
    names = argument_names(output, step.rule)
    inputs, flows = [], []
    scalar_out = output.size == 1
    for i, item in enumerate(step.inputs):
        record: dict[str, Any] = {"label": shown_name(item.label),
                                  "data": describe(item.value.data),
                                  "arg": names[i] if names else None,
                                  "box": drawing.box_of[item.value]}
        if item.grad is None:
            record["constant"] = True
        else:
            record.update(local=None if item.local is None else describe(item.local),
                          localValues=element_values(item.local), passed=describe(item.grad),
                          passedValues=element_values(item.grad))
            if scalar_out and item.value.size == 1:
                record["product"] = (f"{describe(step.upstream)} × {describe(item.local)} = "
                                     f"{describe(item.grad)}")
            edge = drawing.input_edges[output][i]
            if edge >= 0 and not drawing.dashed[edge]:
                x, y = drawing.flow_point(edge)
                flows.append([x, y, flow_text(item.grad)])
        inputs.append(record)
    return {"number": step.number, "op": shown_name(step.op), "rule": step.rule,
            "scope": " › ".join(shown_name(part) for part in output.scope),
            "label": shown_name(step.label), "data": describe(output.data),
            "dataValues": element_values(output.data), "upstream": describe(step.upstream),
            "upstreamValues": element_values(step.upstream),
            "from": ", ".join(map(str, step.sources)) or "seed",
            "node": drawing.op_of[output] if shown else drawing.box_of[output],
            "box": drawing.box_of[output], "edges": edges, "inputs": inputs, "flows": flows,
            "grads": []}


def flow_text(grad: Any) -> str:
    """What an edge shows of the gradient it carries back: the number, or the tensor's shape."""
    parts = describe_parts(grad)
    return parts[0] if len(parts) == 1 else f"grad {parts[0].rsplit(' ', 1)[0]}"  # the shape


def argument_names(output: Value, rule: str) -> list[str] | None:
    """The names the op's rule gives its inputs (`d/da`, `d/db`), read from its forward's
    parameters; None when the rule does not use them."""
    try:
        parameters = list(inspect.signature(output._op.forward).parameters)
    except (TypeError, ValueError):
        return None
    names = parameters[:len(output.parents)]
    if len(names) < len(output.parents):
        return None
    if all(re.search(rf"d/d\(?{re.escape(name)}\b", rule) for name in names):
        return names
    return None
