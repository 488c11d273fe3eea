"""`draw_graph`: the graph behind a Value as a Graphviz drawing.

Each Value is a box (its label, data and, after a backward, its grad) and each op an oval
between its inputs and its output. Leaves that require grad, constants, intermediate results
and the output each have their own look. Values made inside `with ag.scope(label):` are drawn
inside a frame labelled `label` (nested scopes, nested frames), and so are the parameters used
only there (a module's weights are drawn in its frame). Building the drawing needs only
the `graphviz` Python package (imported on the first drawing, not with `autograd`: it takes
longer to import than the whole engine); rendering it to a file needs Graphviz's `dot` program.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from autograd.collapse import REST, Group, Plan, Scope, plan_drawing, topological_order
from autograd.formatting import describe_parts, value_labels
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

DEFAULT_MAX_NODES = 400  # dot lays this many boxes out in about a second
# The most characters of a name a label shows: dot refuses a label of over 16 KiB and a frame
# wider than 65,535 points, and a box as wide as a paragraph helps no one.
NAME_LIMIT = 80

FONT = "Helvetica"
GRAD_COLOR = "#b3261e"
LOOKS = {  # Graphviz attributes of each kind of box
    "parameter": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d6e6ff"},
    "constant": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#f2f2f2",
                 "color": "#888888", "fontcolor": "#555555"},
    "intermediate": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff"},
    "output": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffe2b8",
               "penwidth": "2.5"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#ececec", "fontsize": "12",
           "margin": "0.05,0.02", "height": "0.3"},
    "summary": {"shape": "box3d", "style": "filled", "fillcolor": "#fff5c2"},
}
CLUSTER_LOOK = {"style": "rounded", "color": "#7a7a7a", "fontcolor": "#444444",
                "labeljust": "l", "fontname": FONT}
RANKDIRS = ("LR", "RL", "TB", "BT")


def draw_graph(root: Value, *, show_data: bool = True, show_grad: bool = True,
               rankdir: str = "LR", max_nodes: int | None = DEFAULT_MAX_NODES,
               ) -> graphviz.Digraph:
    """Draw the graph behind `root` (a `graphviz.Digraph`: it shows itself in Jupyter;
    `.render(outfile="g.svg")` or `.pipe(format="svg")` need Graphviz's `dot` program).

    Each box is labelled as in `explain_backward` and the stepper: its name, else `out`,
    `const` or v1, v2, ... (see `autograd.formatting.value_labels`).
    - show_data / show_grad: print each Value's data / its `.grad` (when it has one).
      Scalars are printed to 4 significant digits, tensors as shape, dtype, min/mean/max.
    - rankdir: "LR" draws inputs on the left and the output on the right ("TB": top-down).
    - max_nodes: the most Value boxes to draw. Past it, whole scopes and then the parts of the
      graph farthest from the output are folded into summary boxes that say what they hold,
      and the drawing's caption says how much was folded. None draws every Value.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph needs a Value, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if max_nodes is not None and max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2 (or None for no limit), got {max_nodes}")
    import graphviz  # here, not at the top: see the module docstring

    values = topological_order(root)
    plan = plan_drawing(values, root, max_nodes)
    dot = graphviz.Digraph(
        # newrank: dot ranks all nodes at once instead of cluster by cluster, which lays a
        # graph of many scopes out ~20x faster (2 s instead of 60 s for 2,000 Values)
        graph_attr={"rankdir": rankdir, "newrank": "true", "fontname": FONT,
                    "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": FONT, "fontsize": "13"},
        edge_attr={"arrowsize": "0.7", "color": "#555555"})
    boxes = add_boxes(dot, plan, root, value_labels(values, root), show_data, show_grad)
    add_edges(dot, plan, boxes)
    if plan.group_of:
        dot.attr(label=html_label(caption(plan, max_nodes)), labelloc="t", fontsize="14")
    return dot


def kind_of(value: Value, root: Value) -> str:
    if value is root:
        return "output"
    if value.parents:
        return "intermediate"
    return "parameter" if value.requires_grad else "constant"


# -- nodes -----------------------------------------------------------------------------------
def add_boxes(dot: graphviz.Digraph, plan: Plan, root: Value, labels: dict[Value, str],
              show_data: bool, show_grad: bool) -> dict[Value, str]:
    """Add a box per shown Value (and an oval per op), a box per folded group, each inside the
    frames of its scope. Returns the id of the box that shows each Value."""
    clusters: dict[Scope, graphviz.Digraph] = {(): dot}
    group_ids = {group: f"g{k}" for k, group in enumerate(plan.groups)}
    boxes: dict[Value, str] = {}
    for i, value in enumerate(plan.values):
        group = plan.group_of.get(value)
        if group is not None:
            boxes[value] = group_ids[group]
            if group.values[0] is value:
                frame = cluster_for(group.container, clusters)
                frame.node(group_ids[group], html_label(summary_lines(group), bold_first=True),
                           _attributes=LOOKS["summary"])
            continue
        boxes[value] = f"v{i}"
        frame = cluster_for(plan.visible_scope(plan.scope_of[value]), clusters)
        frame.node(f"v{i}", value_label(value, labels[value], show_data, show_grad),
                   _attributes=LOOKS[kind_of(value, root)])
        if value.parents:
            frame.node(f"op{i}", html_label([shown_name(value.op)]), _attributes=LOOKS["op"])
    # A subgraph is copied into its parent when added, so the innermost frames go in first.
    for scope in sorted((s for s in clusters if s), key=len, reverse=True):
        clusters[scope[:-1]].subgraph(clusters[scope])
    return boxes


def cluster_for(scope: Scope, clusters: dict[Scope, graphviz.Digraph]) -> graphviz.Digraph:
    """The frame of `scope`, made (with the frames around it) on first use."""
    import graphviz

    for depth in range(1, len(scope) + 1):
        prefix = scope[:depth]
        if prefix not in clusters:
            attrs = {**CLUSTER_LOOK, "label": html_label([shown_name(prefix[-1])])}
            clusters[prefix] = graphviz.Digraph(name=f"cluster_{len(clusters)}",
                                                graph_attr=attrs)
    return clusters[scope]


# -- edges -----------------------------------------------------------------------------------
def add_edges(dot: graphviz.Digraph, plan: Plan, boxes: dict[Value, str]) -> None:
    """input -> op -> output for every shown Value. Edges into or out of a summary box are
    drawn once per pair of boxes, dashed, and labelled with their number when more than one."""
    folded_edges: Counter[tuple[str, str]] = Counter()
    for i, value in enumerate(plan.values):
        if not value.parents:
            continue
        shown = value not in plan.group_of
        if shown:
            dot.edge(f"op{i}", boxes[value])
        head = f"op{i}" if shown else boxes[value]
        for parent in value.parents:
            tail = boxes[parent]
            if shown and parent not in plan.group_of:
                dot.edge(tail, head)  # x * x draws two arrows: x is used twice
            elif tail != head:
                folded_edges[tail, head] += 1
    for (tail, head), count in folded_edges.items():
        dot.edge(tail, head, label=f"×{count}" if count > 1 else None, style="dashed")


# -- labels ----------------------------------------------------------------------------------
def value_label(value: Value, label: str, show_data: bool, show_grad: bool) -> str:
    """A small table: the label (see `autograd.formatting.value_labels`) in bold, then `data`
    and `grad` rows."""
    rows = [f'<TR><TD COLSPAN="2"><B>{label_text(shown_name(label))}</B></TD></TR>']
    if show_data:
        rows.append(field_row("data", value.data, color=None))
    if show_grad and value.grad is not None:
        rows.append(field_row("grad", value.grad, color=GRAD_COLOR))
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>>")


def field_row(title: str, data: object, color: str | None) -> str:
    """`title | value`, the value on one or two lines (a tensor: shape and dtype, then values)."""
    text = "<BR/>".join(label_text(part) for part in describe_parts(data))
    if color:
        title, text = (f'<FONT COLOR="{color}">{part}</FONT>' for part in (title, text))
    return (f'<TR><TD ALIGN="LEFT" VALIGN="TOP"><I>{title}</I></TD>'
            f'<TD ALIGN="LEFT" BALIGN="LEFT">{text}</TD></TR>')


def html_label(lines: list[str], bold_first: bool = False) -> str:
    """Lines of plain text as a Graphviz HTML label (so no character needs DOT escaping)."""
    escaped = [label_text(line) for line in lines]
    if bold_first and escaped:
        escaped[0] = f"<B>{escaped[0]}</B>"
    return "<" + "<BR/>".join(escaped) + ">"


def shown_name(name: object) -> str:
    """A name the user chose (a Value's, a scope's, an op's) as a label shows it: as text even
    if it is not a str ("" for None), and at most NAME_LIMIT characters, ending in "…"."""
    text = "" if name is None else str(name)
    return text if len(text) <= NAME_LIMIT else text[:NAME_LIMIT - 1] + "…"


# Graphviz HTML labels are XML, and dot refuses C0 control characters in them even written as
# entities; lone surrogates cannot be encoded as UTF-8 at all, and U+FFFE / U+FFFF are not XML
# characters. So each of these, and the other (invisible) control characters, is drawn as a
# visible stand-in; the markup characters are escaped in the same pass.
LABEL_SPECIAL = "[&<>\"\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
MARKUP = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def label_text(text: str) -> str:
    """Plain text as the content of an HTML label: every label's text goes through here."""
    return re.sub(LABEL_SPECIAL, stand_in, text)


def stand_in(match: re.Match[str]) -> str:
    """What a label shows for one special character: its entity, for markup; its Unicode
    control picture for C0 controls and DEL (␀, ␛, ␡); else its Python escape (\\x85, \\ud800)."""
    char = match.group()
    if char in MARKUP:
        return MARKUP[char]
    if char < " ":
        return chr(0x2400 + ord(char))
    if char == "\x7f":
        return "\u2421"
    return repr(char)[1:-1]


def summary_lines(group: Group) -> list[str]:
    """What a summary box holds: its title, how many Values, which ops, how many leaves."""
    title = "rest of the graph" if group.key == REST else shown_name(group.key[-1])
    ops = Counter(shown_name(value.op) for value in group.values if value.parents)
    leaves = sum(1 for value in group.values if not value.parents)
    shown = [f"{count} {op}" for op, count in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))]
    if len(shown) > 4:
        shown[3:] = [f"{sum(sorted(ops.values(), reverse=True)[3:])} other"]
    lines = [f"{title} (folded)", f"{len(group.values)} values"]
    if shown:
        lines.append("ops: " + ", ".join(shown))
    if leaves:
        lines.append(f"{leaves} lea{'ves' if leaves > 1 else 'f'}")
    return lines


def caption(plan: Plan, max_nodes: int | None) -> list[str]:
    folded = len(plan.group_of)
    boxes = len(plan.groups)
    return [f"{len(plan.values) - folded} of {len(plan.values)} values drawn one by one; "
            f"{folded} folded into {boxes} summary box{'es' if boxes > 1 else ''} "
            f"(max_nodes={max_nodes})"]
