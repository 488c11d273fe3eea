"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

Each node's gradient is complete once every Value made from it has passed its share back, so
the walk counts each node's consumers first (one iterative pass, no recursion) and hands a
node on when that count reaches zero. Gradients are summed back to each input's shape and
dtype in `fit_to`, the one place where broadcasting is undone.

The pass keeps its working state on the nodes themselves (`_pending`, `_g`): two backward
passes through one graph must not run at the same time in different threads.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from autograd.value import Value, constant


def prepare_nodes(roots: Iterable[Value]) -> set[Value]:
    """Set `_pending` (the number of graph edges that use it) and clear `_g` on every Value
    that requires grad behind `roots`; return those Values. The counts live on the nodes, so
    the backward loop needs no dictionary look-ups. One iterative walk: no recursion limit."""
    stack = []
    for root in roots:
        root._pending = 0
        root._g = None
        stack.append(root)
    seen = set(stack)
    while stack:
        node = stack.pop()
        if node._parent0 is None:
            continue
        for parent in (node._parent0, node._parent1, *node._more_parents):
            if parent is not None and parent.requires_grad:
                if parent in seen:
                    parent._pending += 1
                else:
                    seen.add(parent)
                    parent._pending = 1
                    parent._g = None
                    stack.append(parent)
    return seen


def count_consumers(roots: Iterable[Value]) -> dict[Value, int]:
    """For every Value that requires grad behind `roots`: how many graph edges use it."""
    return {node: node._pending for node in prepare_nodes(roots)}


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum `g` over the axes that broadcasting added or stretched, so that it has `shape`."""
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g


def fit_to(g: Any, parent: Value) -> Any:
    """Give a raw gradient the shape and dtype of `parent.data`."""
    data = parent.data
    if type(data) is float:
        if type(g) is float:
            return g
        return float(np.sum(g))
    if type(g) is float or g.shape != data.shape:
        g = sum_to(np.asarray(g), data.shape)
    if g.dtype is not data.dtype and g.dtype != data.dtype:  # `is` answers most cases fast
        g = g.astype(data.dtype)
    return g


def fit_value_to(g: Value, parent: Value) -> Value:
    """`fit_to` for a gradient that is itself a Value (create_graph mode)."""
    if g.shape != parent.shape:
        g = sum_to(g, parent.shape)
    if g.dtype != parent.dtype:
        g = g.astype(parent.dtype)
    return g


def seed_gradient(output: Value, grad: Any) -> Any:
    """The gradient that starts a backward pass: 1 for a size-1 output, else `grad`."""
    if grad is None:
        if output.size != 1:
            raise RuntimeError(
                f"backward() on an output of shape {output.shape} needs a gradient: the output "
                "is not a scalar. Reduce it first (e.g. .sum() or .mean()) or pass grad=.")
        return 1.0 if type(output.data) is float else np.ones_like(output.data)
    data = grad.data if isinstance(grad, Value) else np.asarray(grad, dtype=output.dtype)
    if np.shape(data) != output.shape:
        raise ValueError(f"gradient of shape {np.shape(data)} given for an output of shape "
                         f"{output.shape}")
    return float(data) if type(output.data) is float else np.array(data, dtype=output.dtype)


def run_backward(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool,
                 store: bool, wanted: Sequence[Value] = ()) -> dict[Value, Any]:
    """The backward pass. Returns the gradients of `wanted`; if `store`, adds every gradient
    into its Value's `.grad` (raw data). In create_graph mode gradients are Values."""
    for root in roots:
        if not root.requires_grad:
            raise RuntimeError("backward through a Value that does not require grad (a constant, "
                               "or computed under no_grad())")
    # The pass creates no reference cycles, so the cyclic collector has nothing to find; left
    # on, it would walk the whole (large, young) graph again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _backward_pass(roots, seeds, create_graph, store, set(wanted))
    finally:
        if collecting:
            gc.enable()


def _backward_pass(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool,
                   store: bool, wanted: set[Value]) -> dict[Value, Any]:
    prepare_nodes(roots)
    for root, seed in zip(roots, seeds, strict=True):
        root._g = seed if root._g is None else root._g + seed
    found: dict[Value, Any] = {}
    fit = fit_value_to if create_graph else fit_to
    ready = [root for root in dict.fromkeys(roots) if root._pending == 0]
    # This loop runs once per node: it is written for speed, the scalar case checked first.
    # A node is ready when every Value made from it has added its share into `node._g`.
    while ready:
        node = ready.pop()
        g = node._g
        node._g = None
        if wanted and node in wanted:
            found[node] = g
        op = node._op
        if store:
            if op is None:
                store_leaf_grad(node, g)
            else:  # an intermediate's .grad may share memory with others: it is for reading
                node.grad = g if node.grad is None else node.grad + g
        if op is None:
            continue
        first, second = node._parent0, node._parent1
        attrs = node._attrs
        if second is None:
            parents = (first,)
        elif node._more_parents:
            parents = (first, second, *node._more_parents)
        else:
            parents = (first, second)
        if create_graph:
            args = (node, *parents, *attrs)
        elif attrs or node._more_parents:
            args = (node.data, *[p.data for p in parents], *attrs)
        elif second is None:
            args = (node.data, first.data)
        else:
            args = (node.data, first.data, second.data)
        vjps = op.vjps
        i = -1
        for parent in parents:
            i += 1
            if not parent.requires_grad:
                continue
            try:
                gp = vjps[i](g, *args)
            except ArithmeticError:
                gp = vjp_in_numpy(vjps[i], g, args)
            data = parent.data  # fit gp to it, unless it fits already (the common case)
            if type(gp) is float:
                if type(data) is not float:
                    gp = fit(gp, parent)
            elif type(data) is float or gp.shape != data.shape or gp.dtype is not data.dtype:
                gp = fit(gp, parent)
            previous = parent._g
            parent._g = gp if previous is None else previous + gp
            left = parent._pending - 1
            parent._pending = left
            if not left:
                ready.append(parent)
    return found


def vjp_in_numpy(vjp: Any, g: Any, args: tuple) -> Any:
    """Redo a vjp that raised on Python floats (1/0) with numpy floats, which give inf or nan
    (and a warning) as a tensor would."""
    return vjp(*[np.float64(a) if type(a) is float else a for a in (g, *args)])


# References to the gradient array inside store_leaf_grad when nothing else holds it: the
# backward loop's variable, the parameter, and sys.getrefcount's own argument.
_PRIVATE_REFERENCES = 3


def store_leaf_grad(leaf: Value, g: Any) -> None:
    """Add g into leaf.grad, which never shares memory with another .grad: optimizers and
    users may update it in place. An array that anything else still refers to (an
    intermediate's .grad, another input's pending gradient) or that is a view is copied."""
    if type(g) is np.ndarray and (g.base is not None or not g.flags.writeable
                                  or sys.getrefcount(g) > _PRIVATE_REFERENCES):
        g = g.copy()
    leaf.grad = g if leaf.grad is None else leaf.grad + g


def backward(output: Value, grad: Any = None) -> None:
    """`output.backward(grad)`: accumulate d(output)/dx (times grad) into x.grad for every x."""
    run_backward([output], [seed_gradient(output, grad)], create_graph=False, store=True)


def grad(outputs: Value | Sequence[Value], inputs: Value | Sequence[Value],
         grad_outputs: Any = None, create_graph: bool = False) -> tuple[Value, ...]:
    """Gradients of `outputs` with respect to `inputs`, returned, without touching any .grad.

    With create_graph=True the returned Values are part of a new graph and can be
    differentiated again (grad of grad, Hessian-vector products). An input that the outputs
    do not depend on gets a zero gradient.
    """
    if isinstance(outputs, Value):  # one output: grad_outputs is its one seed
        outputs, grad_outputs = [outputs], [grad_outputs]
    else:
        outputs = list(outputs)
        grad_outputs = [None] * len(outputs) if grad_outputs is None else list(grad_outputs)
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{len(grad_outputs)} grad_outputs given for {len(outputs)} outputs")
    for x in inputs:
        if not isinstance(x, Value) or not x.requires_grad:
            raise ValueError("grad() inputs must be Values that require grad")
    seeds = []
    for output, seed in zip(outputs, grad_outputs, strict=True):
        if create_graph:
            seeds.append(seed if isinstance(seed, Value)
                         else constant(seed_gradient(output, seed)))
        else:
            seeds.append(seed_gradient(output, seed))
    found = run_backward(outputs, seeds, create_graph, store=False, wanted=inputs)
    results = []
    handed_out: set[int] = set()
    for x in inputs:
        g = found.get(x)
        if g is None:
            g = np.zeros_like(x.data) if x.shape else 0.0
        elif isinstance(g, np.ndarray):  # like .grad: every returned array is the caller's own
            if id(g) in handed_out or g.base is not None or not g.flags.writeable:
                g = g.copy()
            handed_out.add(id(g))
        results.append(g if isinstance(g, Value) else Value(g, requires_grad=False))
    return tuple(results)
