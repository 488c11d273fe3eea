"""`explain_backward`: the chain rule of one backward pass, step by step, as a table.

It runs the engine's own backward pass with a trace that records each step, so each number
in the table is the one `backward()` computes, in the order it computes them. It stores
nothing in `.grad`.

Each step is one op: the gradient of the root with respect to the op's output (`upstream`),
and for each input the local derivative and the gradient passed back to it. The local
derivative d(output)/d(input) is given when the output is a single number: it is then
shaped like the input, and the gradient passed is `upstream * local`. For a tensor output it
would be a Jacobian matrix with output.size x input.size entries; backprop never builds it
(the vjp multiplies the upstream gradient through it directly), so `local` is None and the
table shows the gradient passed only.

Values are labelled as in `draw_graph` and the stepper (`autograd.formatting.value_labels`),
so each row can be found in the pictures; the stepper reads its steps from the same recorder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograd.collapse import topological_order
from autograd.engine import call_vjp, fit_to, run_backward, seed_gradient, vjp_arguments
from autograd.formatting import describe, value_labels
from autograd.value import Value


@dataclass(frozen=True)
class InputStep:
    """What one input of an op receives in a backward step."""

    value: Value
    label: str
    local: Any  # d(output)/d(input) shaped like the input; None for a tensor output or constant
    grad: Any  # the gradient passed back to this input; None for a constant (needs no grad)


@dataclass(frozen=True)
class BackwardStep:
    """One op of the backward pass: upstream gradient in, one gradient out per input."""

    number: int  # 1 for the op that made the root
    op: str
    rule: str  # the op's derivative, as its docstring states it
    output: Value
    label: str  # how the table names the output
    upstream: Any  # d(root)/d(output), complete when the step runs
    sources: tuple[int, ...]  # the steps whose gradients were summed into it (() for the seed)
    inputs: tuple[InputStep, ...]


@dataclass(frozen=True)
class LeafGradient:
    """The total gradient a leaf ends up with (what backward() adds into its .grad)."""

    value: Value
    label: str
    grad: Any
    sources: tuple[int, ...]


@dataclass(frozen=True, repr=False)
class Explanation:
    """The result of `explain_backward`; `str()` (or `print`) gives the table."""

    root: Value
    steps: tuple[BackwardStep, ...]
    leaves: tuple[LeafGradient, ...]

    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:  # short: the steps of a big graph would fill the screen
        return f"<Explanation: {len(self.steps)} backward steps; print() it for the table>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython and Jupyter show the table, not the repr."""
        printer.text(str(self))


def explain_backward(root: Value, grad: Any = None) -> Explanation:
    """Run the backward pass from `root` (seeded with 1, or with `grad` for a tensor root, as
    in `root.backward(grad)`) with a trace that records every chain-rule step. It stores
    nothing in any `.grad`."""
    recorder = record_backward(root, grad, caller="explain_backward")
    return Explanation(root, tuple(recorder.steps), tuple(recorder.leaves))


def record_backward(root: Value, grad: Any, caller: str) -> StepRecorder:
    """The engine's backward pass from `root`, storing no `.grad`, with a `StepRecorder` as its
    trace: explain_backward and the stepper (`caller`, for the errors) read their steps here."""
    if not isinstance(root, Value):
        raise TypeError(f"{caller} needs a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(f"{caller} through a Value that does not require grad (a constant, "
                           "or computed under no_grad()): there is nothing to explain")
    recorder = StepRecorder(root)
    run_backward([root], [seed_gradient(root, grad)], store=False, trace=recorder)
    return recorder


class StepRecorder:
    """The trace `explain_backward` gives the engine: one record per node it visits. Values
    are labelled as in `draw_graph` and the stepper (`autograd.formatting.value_labels`)."""

    def __init__(self, root: Value) -> None:
        self.order = topological_order(root)  # kept: the stepper draws the same Values
        self.labels = value_labels(self.order, root)
        self.sources: dict[Value, list[int]] = {root: []}  # the steps that passed to a Value
        self.steps: list[BackwardStep] = []
        self.leaves: list[LeafGradient] = []

    def __call__(self, node: Value, g: Any, passed: tuple) -> None:
        labels = self.labels
        sources = tuple(self.sources.pop(node))
        if node._op is None:
            self.leaves.append(LeafGradient(node, labels[node], g, sources))
            return
        number = len(self.steps) + 1
        inputs = []
        for i, (parent, gp) in enumerate(zip(node.parents, passed, strict=True)):
            if gp is None:
                inputs.append(InputStep(parent, labels[parent], None, None))
                continue
            inputs.append(InputStep(parent, labels[parent], local_derivative(node, i), gp))
            self.sources.setdefault(parent, []).append(number)
        self.steps.append(BackwardStep(number, node.op, rule_of(node), node, labels[node], g,
                                       sources, tuple(inputs)))


def local_derivative(node: Value, i: int) -> Any:
    """d(node)/d(input i), shaped like the input, when `node` is a single number: its vjp with
    an upstream gradient of 1. None for a tensor output (see the module docstring)."""
    if node.size != 1:
        return None
    op, parents = node._op, node.parents
    args, keywords = vjp_arguments(node, parents, create_graph=False)
    one = seed_gradient(node, None)
    if op.vjp_all is not None:
        local = op.vjp_all(one, *args, **keywords)[i]
    else:
        local = call_vjp(op.vjps[i], one, args, keywords)
    return fit_to(local.data if isinstance(local, Value) else local, parents[i])


def rule_of(node: Value) -> str:
    """The first line of the op's docstring: its forward and derivative in one line."""
    doc = node._op.__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else node.op


# -- the table -------------------------------------------------------------------------------
TABLE_WIDTH = 110  # wider tables (tensors) are printed as one block per step instead
JACOBIAN_NOTE = ("-- : the output is a tensor, so d(output)/d(input) is a Jacobian matrix; "
                 "backprop never builds it\n     but multiplies the upstream gradient through "
                 "it (the op's vjp), giving the gradient passed.")


def render(explanation: Explanation) -> str:
    steps = explanation.steps
    root = f"{explanation_label(explanation)} = {describe(explanation.root.data)}"
    if not steps:
        lines = [f"{root} is a leaf: backward() has no op to go through."]
    else:
        lines = [f"Backward pass from {root}: {len(steps)} op{'s' if len(steps) > 1 else ''}, "
                 "in the order backward() takes them.",
                 "grad passed = upstream x local derivative; an input used more than once adds "
                 "up what it gets.", ""]
        rows = step_table(steps)
        lines += rows if max(map(len, rows)) <= TABLE_WIDTH else step_blocks(steps)
    if any(item.grad is not None and item.local is None for step in steps for item in step.inputs):
        lines += ["", JACOBIAN_NOTE]
    leaf_rows = [[leaf.label, describe(leaf.value.data), describe(leaf.grad), sources(leaf)]
                 for leaf in explanation.leaves]
    if leaf_rows:
        lines += ["", "What backward() adds into each leaf's .grad:"]
        lines += table(["leaf", "data", "grad", "from steps"], leaf_rows)
    rules = dict.fromkeys(f"{step.op}: {step.rule}" for step in steps)
    if rules:
        lines += ["", "Rules used (each op's forward and local derivatives):"]
        lines += [f"  {rule}" for rule in rules]
    return "\n".join(lines)


def input_cells(item: InputStep) -> list[str]:
    """input, local derivative, gradient passed."""
    head = f"{item.label} = {describe(item.value.data)}"
    if item.grad is None:
        return [head, "", "(constant)"]
    return [head, "--" if item.local is None else describe(item.local), describe(item.grad)]


def sources(record: BackwardStep | LeafGradient) -> str:
    return ", ".join(map(str, record.sources)) or "seed"


def step_table(steps: tuple[BackwardStep, ...]) -> list[str]:
    rows = []
    for step in steps:
        lead = [str(step.number), step.op, f"{step.label} = {describe(step.output.data)}",
                describe(step.upstream), sources(step)]
        for k, item in enumerate(step.inputs):
            rows.append((lead if k == 0 else [""] * len(lead)) + input_cells(item))
    return table(["step", "op", "output", "upstream", "from", "input", "local d(out)/d(in)",
                  "grad passed"], rows, right_aligned={0})


def step_blocks(steps: tuple[BackwardStep, ...]) -> list[str]:
    """The same content as `step_table`, one block per step, for values too wide for columns."""
    lines = []
    for step in steps:
        lines += [f"step {step.number}: {step.op}",
                  f"  output    {step.label} = {describe(step.output.data)}",
                  f"  upstream  {describe(step.upstream)}  (from: {sources(step)})"]
        for item in step.inputs:
            head, local, passed = input_cells(item)
            lines.append(f"  input     {head}")
            if item.grad is not None:
                lines += [f"    local d(out)/d(in)  {local}", f"    grad passed         {passed}"]
            else:
                lines.append("    (constant: no gradient)")
    return lines


def explanation_label(explanation: Explanation) -> str:
    steps, leaves = explanation.steps, explanation.leaves
    return steps[0].label if steps else leaves[0].label


def table(header: list[str], rows: list[list[str]], right_aligned: set[int] = frozenset()
          ) -> list[str]:
    """Rows of cells as aligned text columns under a header and a rule."""
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.rjust(w) if c in right_aligned else cell.ljust(w)
                         for c, (cell, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)]
