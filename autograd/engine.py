"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

The algorithm, `backward_pass`:
1. Count, for every node behind the roots, how many graph edges use it (`prepare_pass`: one
   iterative walk, no recursion limit).
2. Give each root its seed gradient; a root that no other root uses is ready.
3. Take a ready node. Its gradient g is complete, since every Value made from it has added its
   share. Pass g * d(node)/d(input), the op's vjp, to each input that requires grad, summed
   back to the input's shape and dtype in `fit_to`, the one place where broadcasting is
   undone. An input is ready once its last consumer has passed to it. Repeat.

Whatever needs to watch a pass (`explain_backward`, the stepper, anomaly checks) hands it a
`trace`, called once per node with the node, its gradient and what each input received.

A pass keeps its working state on the nodes (`_pending`, `_g`, `_inputs`), so passes take turns
through one lock: two threads may run backward through graphs that share parameters, and their
`.grad` sums are as if the passes ran one after the other. A lock nobody else holds costs
~0.1 µs per pass.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.value import Value, constant, enable_grad

# trace(node, g, passed): `passed` holds what each input received (None for a constant input)
Trace = Callable[[Value, Any, tuple], None]
# While a thread is in a detect_anomaly() block: gives the trace that checks that thread's
# passes (None for other threads). See autograd.anomaly.
watch_pass: Callable[[], Trace | None] | None = None

_pass_lock = threading.RLock()  # re-entrant: a vjp may run a backward pass of its own


def prepare_pass(roots: Sequence[Value]) -> list[Value]:
    """Get every Value that requires grad behind `roots` ready for a pass, and return the
    roots that no other root uses (the first ready nodes).

    On each such Value it sets `_pending`, the number of graph edges that use it, clears `_g`,
    the running gradient, and stores `_inputs`, the node layout of autograd.value decoded once
    for the pass (as `inputs_of` decodes it; written out, since it runs once per node). It also
    refuses a node whose data, or an input's, was assigned after the op ran: its vjp would
    compute the gradient of other data than the forward pass used.
    """
    stack = list(dict.fromkeys(roots))
    for root in stack:
        root._pending, root._g = 0, None
    seen = set(stack)
    while stack:
        node = stack.pop()
        first, second = node._parent0, node._parent1
        if first is None:
            node._inputs = ()
            continue
        if second is None:
            parents = (first,)
        elif node._more_parents:
            parents = (first, second, *node._more_parents)
        else:
            parents = (first, second)
        node._inputs = parents
        epoch = node._epoch
        if node._version > epoch:
            raise changed_data_error(node, node)
        for parent in parents:
            if parent._version > epoch:
                raise changed_data_error(parent, node)
            if parent.requires_grad:
                if parent in seen:
                    parent._pending += 1
                else:
                    seen.add(parent)
                    parent._pending, parent._g = 1, None
                    stack.append(parent)
    return [root for root in dict.fromkeys(roots) if root._pending == 0]


def changed_data_error(value: Value, node: Value) -> RuntimeError:
    what = f"{value.name!r}" if value.name else f"of shape {value.shape}"
    return RuntimeError(
        f"backward: the data of the Value {what} was assigned (`.data = ...` or `.data *= ...`) "
        f"after the op {node.op!r} used it, so its gradient would be that of other data. Run "
        "the forward pass again after changing .data.")


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
    if trace is None and watch_pass is not None:
        trace = watch_pass()
    # The pass creates no reference cycles, so the cyclic collector has nothing to find; left
    # on, it would walk the whole (large, young) graph again and again.
    with _pass_lock:  # inside it: another thread's pass may have the collector off
        collecting = gc.isenabled()
        gc.disable()
        try:
            return backward_pass(roots, seeds, create_graph, store, set(wanted), trace)
        finally:
            if collecting:
                gc.enable()


def backward_pass(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool, store: bool,
                  wanted: set[Value], trace: Trace | None) -> dict[Value, Any]:
    """The algorithm of the module docstring. Returns the gradients of `wanted`; if `store`,
    adds every gradient into its Value's `.grad`. In create_graph mode gradients are Values and
    the vjps get Values; else raw data. Written for speed: it runs once per node."""
    ready = prepare_pass(roots)
    for root, seed in zip(roots, seeds, strict=True):
        root._g = seed if root._g is None else root._g + seed
    fit = fit_value_to if create_graph else fit_to
    found: dict[Value, Any] = {}
    upstream_ids: set[int] = set()  # the op nodes' gradients (see `store_leaf_grad`)
    while ready:
        node = ready.pop()
        g, node._g = node._g, None
        if wanted and node in wanted:
            found[node] = g
        parents = node._inputs
        if not parents:  # a leaf
            if store:
                store_leaf_grad(node, g, upstream_ids)
            if trace is not None:
                trace(node, g, ())
            continue
        if store:  # an intermediate's .grad may share memory with others: it is for reading
            node.grad = g if node.grad is None else node.grad + g
            if type(g) is np.ndarray:
                upstream_ids.add(id(g))
        vjps = node._op.fast_vjps
        if vjps is None or trace is not None:
            pass_to_inputs(node, parents, g, create_graph, fit, trace)
            for parent in parents:
                if parent.requires_grad:
                    parent._pending -= 1
                    if not parent._pending:
                        ready.append(parent)
            continue
        # `pass_to_inputs` written out for the common case (a built-in op with one vjp per
        # input, no trace): the call and its checks cost about 10% of a scalar MLP's
        # backward (callgrind instructions)
        attrs = node._attrs
        if create_graph:
            args = (node, *parents, *attrs)
        elif attrs or node._more_parents:
            args = (node._data, *[p._data for p in parents], *attrs)
        elif node._parent1 is None:
            args = (node._data, node._parent0._data)
        else:
            args = (node._data, node._parent0._data, node._parent1._data)
        i = -1
        for parent in parents:
            i += 1
            if not parent.requires_grad:
                continue
            try:
                gp = vjps[i](g, *args)
            except ArithmeticError:  # raised on Python floats: see call_vjp
                gp = call_vjp(vjps[i], g, args)
            data = parent._data  # fit gp to it, unless it fits already (the common case)
            if type(gp) is float:
                if type(data) is not float:
                    gp = fit(gp, parent)
            elif type(data) is float or gp.shape != data.shape or gp.dtype is not data.dtype:
                gp = fit_input(fit, gp, node, i)
            previous = parent._g
            parent._g = gp if previous is None else previous + gp
            left = parent._pending - 1
            parent._pending = left
            if not left:
                ready.append(parent)
    return found


def vjp_arguments(node: Value, parents: tuple[Value, ...], create_graph: bool
                  ) -> tuple[tuple, dict[str, Any]]:
    """What an op's vjps get after g: the output, the inputs and the attributes, as raw data,
    or as Values in create_graph mode. An op defined outside autograd gets its attributes as
    keywords (see autograd.ops.Op)."""
    values = (node, *parents) if create_graph else (node._data, *[p._data for p in parents])
    if node._op.keyword_attrs:
        return values, node._attrs[0] if node._attrs else {}
    return (*values, *node._attrs), {}


def pass_to_inputs(node: Value, parents: tuple[Value, ...], g: Any, create_graph: bool,
                   fit: Callable, trace: Trace | None) -> None:
    """Add g * d(node)/d(input) into the running gradient `_g` of each input of `node` that
    requires grad, and tell `trace` what each input received."""
    op = node._op
    args, keywords = vjp_arguments(node, parents, create_graph)
    every = None if op.vjp_all is None else op.vjp_all(g, *args, **keywords)
    passed = []
    for i, parent in enumerate(parents):
        if not parent.requires_grad:
            passed.append(None)
            continue
        gp = every[i] if every is not None else call_vjp(op.vjps[i], g, args, keywords)
        if isinstance(gp, Value) and not create_graph:  # a vjp that used ag functions on raw
            gp = gp._data  # data got constant Values back: their data is the gradient
        if type(gp) is not float or type(parent._data) is not float:
            gp = fit_input(fit, gp, node, i)
        parent._g = gp if parent._g is None else parent._g + gp
        passed.append(gp)
    if trace is not None:
        trace(node, g, tuple(passed))


def fit_input(fit: Callable, gp: Any, node: Value, i: int) -> Any:
    """`fit(gp, input i)`, or a ValueError naming the op and the input when the vjp's result
    cannot be summed back to the input's shape (a wrong vjp, most likely a user op's)."""
    parent = node._inputs[i]
    shape = getattr(gp, "shape", ())  # an array's, a Value's; () for a float
    try:
        fits = np.broadcast_shapes(parent.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"the vjp of op {node.op!r} for input {i} returned a gradient of shape "
                         f"{shape}, which cannot be summed back to the input's shape "
                         f"{parent.shape}")
    return fit(gp, parent)


def call_vjp(vjp: Callable, g: Any, args: tuple, keywords: dict[str, Any] | None = None) -> Any:
    """vjp(g, *args, **keywords); a vjp that raises on Python floats (1/0) runs again on numpy
    floats, which give inf or nan (and a warning) as a tensor would."""
    keywords = keywords or {}
    try:
        return vjp(g, *args, **keywords)
    except ArithmeticError:
        return vjp(*[np.float64(a) if type(a) is float else a for a in (g, *args)], **keywords)


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
    if leaf.grad is None:
        leaf.grad = g
    elif np.shape(leaf.grad) != np.shape(g):
        raise ValueError(f"backward: the .grad of a leaf of shape {leaf.shape} has shape "
                         f"{np.shape(leaf.grad)}, so this pass's gradient cannot be added to "
                         "it; reset it first (v.grad = None, or zero_grad())")
    else:
        leaf.grad = leaf.grad + g


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
    # create_graph records the gradients' graph even inside no_grad(), as torch does
    with enable_grad() if create_graph else contextlib.nullcontext():
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
