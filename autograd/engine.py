"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

The algorithm, `backward_pass`:
1. Order the graph so that every node comes after all the Values made from it (one iterative
   depth-first walk, `backward_order`: no recursion limit).
2. Give each root its seed gradient.
3. Take the nodes in that order. When a node's turn comes its gradient g is complete, since
   every Value made from it has added its share. Pass g * d(node)/d(input), the op's vjp, to
   each input that requires grad (`pass_to_inputs`), summed back to the input's shape and
   dtype in `fit_to`, the one place where broadcasting is undone.

Whatever needs to watch a pass (`explain_backward`, the stepper, anomaly checks) hands it a
`trace`, called once per node with the node, its gradient and what each input received.

A pass keeps its running sums on the nodes (`_g`), so passes take turns through one lock: two
threads may run backward through graphs that share parameters, and their `.grad` sums are as
if the passes ran one after the other. A lock nobody else holds costs ~0.1 µs per pass.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from autograd.value import Value, constant, inputs_of

# trace(node, g, passed): `passed` holds what each input received (None for a constant input)
Trace = Callable[[Value, Any, tuple], None]

_pass_lock = threading.RLock()  # re-entrant: a vjp may run a backward pass of its own
_DONE = object()  # in backward_order's stack: the node below it has all its inputs ordered


def backward_order(roots: Iterable[Value]) -> list[Value]:
    """Every Value that requires grad behind `roots`, each after all the Values made from it.

    It also clears each node's running gradient and checks that no Value's data was assigned
    since an op used it (`check_versions`). Iterative: graphs can be far deeper than Python's
    recursion limit.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Any] = list(roots)
    while stack:
        node = stack.pop()
        if node is _DONE:
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        node._g = None
        stack.append(node)
        stack.append(_DONE)
        if node._op is not None:
            parents = inputs_of(node)
            check_versions(node, parents)
            for parent in parents:
                if parent.requires_grad and parent not in seen:
                    stack.append(parent)
    order.reverse()  # post-order has each node after its inputs: reversed, after its consumers
    return order


def check_versions(node: Value, parents: tuple[Value, ...]) -> None:
    """Refuse a node whose data, or an input's, was assigned after the op ran: its vjp would
    compute the gradient of other data than the forward pass used."""
    epoch = node._epoch
    for value in (node, *parents):
        if value._version > epoch:
            what = f"{value.name!r}" if value.name else f"of shape {value.shape}"
            raise RuntimeError(
                f"backward: the data of the Value {what} was assigned (`.data = ...` or "
                f"`.data *= ...`) after the op {node.op!r} used it, so its gradient would be "
                "that of other data. Run the forward pass again after changing .data.")


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
    data = parent._data
    if type(data) is float:
        if type(g) is float:
            return g
        return float(np.sum(g))
    if type(g) is not np.ndarray or g.shape != data.shape:
        g = np.asarray(sum_to(np.asarray(g), data.shape))  # a 0-d sum is a numpy scalar
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
    """The gradient that starts a backward pass: 1 for a size-1 output, else `grad` (checked
    against the output's shape, and copied: the pass may hand it to a leaf's .grad)."""
    if grad is None:
        if output.size != 1:
            raise RuntimeError(
                f"backward() on an output of shape {output.shape} needs a gradient: the output "
                "is not a scalar. Reduce it first (e.g. .sum() or .mean()) or pass grad=.")
        return 1.0 if type(output._data) is float else np.ones_like(output._data)
    data = grad._data if isinstance(grad, Value) else np.asarray(grad, dtype=output.dtype)
    if np.shape(data) != output.shape:
        raise ValueError(f"gradient of shape {np.shape(data)} given for an output of shape "
                         f"{output.shape}")
    return float(data) if type(output._data) is float else np.array(data, dtype=output.dtype)


def run_backward(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool = False,
                 store: bool = True, wanted: Sequence[Value] = (),
                 trace: Trace | None = None) -> dict[Value, Any]:
    """Run `backward_pass` with the garbage collector off and the pass lock held."""
    for root in roots:
        if not root.requires_grad:
            raise RuntimeError("backward through a Value that does not require grad (a constant, "
                               "or computed under no_grad())")
    # The pass creates no reference cycles, so the cyclic collector has nothing to find; left
    # on, it would walk the whole (large, young) graph again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with _pass_lock:
            return backward_pass(roots, seeds, create_graph, store, set(wanted), trace)
    finally:
        if collecting:
            gc.enable()


def backward_pass(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool, store: bool,
                  wanted: set[Value], trace: Trace | None) -> dict[Value, Any]:
    """The algorithm of the module docstring. Returns the gradients of `wanted`; if `store`,
    adds every gradient into its Value's `.grad`. In create_graph mode gradients are Values."""
    order = backward_order(roots)
    for root, seed in zip(roots, seeds, strict=True):
        root._g = seed if root._g is None else root._g + seed
    fit = fit_value_to if create_graph else fit_to
    found: dict[Value, Any] = {}
    upstream_ids: set[int] = set()  # the op nodes' gradients (see `store_leaf_grad`)
    for node in order:
        g = node._g
        node._g = None
        if wanted and node in wanted:
            found[node] = g
        if node._op is None:
            if store:
                store_leaf_grad(node, g, upstream_ids)
            if trace is not None:
                trace(node, g, ())
            continue
        if store:  # an intermediate's .grad may share memory with others: it is for reading
            node.grad = g if node.grad is None else node.grad + g
            if type(g) is np.ndarray:
                upstream_ids.add(id(g))
        pass_to_inputs(node, g, create_graph, fit, trace)
    return found


def pass_to_inputs(node: Value, g: Any, create_graph: bool, fit: Callable,
                   trace: Trace | None) -> None:
    """Add g * d(node)/d(input) into the running gradient `_g` of each input of `node` that
    requires grad. The vjps get raw data, or Values in create_graph mode."""
    op = node._op
    parents = inputs_of(node)
    attrs = node._attrs
    if create_graph:
        args = (node, *parents, *attrs)
    elif attrs or len(parents) > 2:
        args = (node._data, *[p._data for p in parents], *attrs)
    elif len(parents) == 1:
        args = (node._data, parents[0]._data)
    else:
        args = (node._data, parents[0]._data, parents[1]._data)
    every = None if op.vjp_all is None else op.vjp_all(g, *args)
    vjps = op.vjps
    passed = [] if trace is not None else None
    for i, parent in enumerate(parents):
        if not parent.requires_grad:
            if passed is not None:
                passed.append(None)
            continue
        if every is not None:
            gp = every[i]
        else:
            try:
                gp = vjps[i](g, *args)
            except ArithmeticError:
                gp = vjp_in_numpy(vjps[i], g, args)
        data = parent._data  # fit gp to it, unless it fits already (the common case)
        if type(gp) is float:
            if type(data) is not float:
                gp = fit(gp, parent)
        elif type(data) is float or gp.shape != data.shape or gp.dtype is not data.dtype:
            gp = fit(gp, parent)
        previous = parent._g
        parent._g = gp if previous is None else previous + gp
        if passed is not None:
            passed.append(gp)
    if trace is not None:
        trace(node, g, tuple(passed))


def vjp_in_numpy(vjp: Any, g: Any, args: tuple) -> Any:
    """Redo a vjp that raised on Python floats (1/0) with numpy floats, which give inf or nan
    (and a warning) as a tensor would."""
    return vjp(*[np.float64(a) if type(a) is float else a for a in (g, *args)])


def own_array(g: Any, taken: set[int]) -> Any:
    """`g`, or a copy of it where it may not be the caller's alone: a view, a read-only
    array, or an array whose id is in `taken`."""
    if type(g) is np.ndarray and (g.base is not None or not g.flags.writeable
                                  or id(g) in taken):
        return g.copy()
    return g


def store_leaf_grad(leaf: Value, g: Any, upstream_ids: set[int]) -> None:
    """Add g into leaf.grad. The rule: no leaf's .grad shares memory with another .grad or
    with a pending gradient, since optimizers and users update .grad in place.

    What the pass computed for a leaf is a fresh array (a vjp's result, or a sum of them)
    except in three cases, which are copied: a view (reshape, slicing), a read-only array, or
    an op node's own gradient passed through unchanged (add, sub, where...; `upstream_ids`):
    that node keeps it as its .grad and other inputs may receive the same array.
    """
    g = own_array(g, upstream_ids)
    leaf.grad = g if leaf.grad is None else leaf.grad + g


def backward(output: Value, grad: Any = None) -> None:
    """`output.backward(grad)`: accumulate d(output)/dx (times grad) into x.grad for every x."""
    run_backward([output], [seed_gradient(output, grad)])


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
        if create_graph and isinstance(seed, Value):  # a seed in the graph: check its shape
            if seed.shape != output.shape:
                raise ValueError(f"grad_outputs Value of shape {seed.shape} given for an "
                                 f"output of shape {output.shape}")
            seeds.append(seed)
        elif create_graph:
            seeds.append(constant(seed_gradient(output, seed)))
        else:
            seeds.append(seed_gradient(output, seed))
    found = run_backward(outputs, seeds, create_graph, store=False, wanted=inputs)
    results = []
    handed_out: set[int] = set()
    for x in inputs:
        g = found.get(x)
        if g is None:
            g = np.zeros_like(x._data) if x.shape else 0.0
        else:  # like .grad: every returned array is the caller's own
            g = own_array(g, handed_out)
            handed_out.add(id(g))
        results.append(g if isinstance(g, Value) else Value(g, requires_grad=False))
    return tuple(results)
