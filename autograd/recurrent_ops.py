"""Recurrent networks: one time step (a cell) or a whole sequence, each as ONE op.

Four kinds of recurrence, with torch's semantics, gate order and weight shapes: the Elman
RNN with tanh or relu, the LSTM (gates i, f, g, o) and the GRU (gates r, z, n). Each has

- a cell op (`rnn_tanh_cell`, `rnn_relu_cell`, `lstm_cell`, `gru_cell`), one step as
  torch.nn.RNNCell, LSTMCell and GRUCell compute it: x (N, H_in) or unbatched (H_in,), the
  states (N, H) or (H,);
- a sequence op (`rnn_tanh`, `rnn_relu`, `lstm`, `gru`), the same step applied along a
  sequence x (L, N, H_in) (or (N, L, H_in), batch_first) from initial states (N, H); its
  output holds the new state of every step (as torch.nn.GRU's output does). The layers in nn
  use these: one node per layer call, however long the sequence.

With weight_ih (gates * H, H_in), weight_hh (gates * H, H) and optional biases (gates * H,),
each step starts from two projections,

    gx = x @ weight_ih^T + bias_ih,    gh = h @ weight_hh^T + bias_hh,

and its backward ends with their gradients dgx and dgh: d/dx = dgx @ weight_ih,
d/dweight_ih = dgx^T @ x, d/dbias_ih = dgx summed over the batch, and the same for h,
weight_hh and bias_hh with dgh (`projection_vjps`). A sequence op computes gx for all steps
in one matrix product; backward, it runs the steps in reverse (backpropagation through time:
the gradient reaching h_t is the output's plus dgh_(t+1) @ weight_hh) and ends with one
matrix product per weight over all steps.

The forward leaves the gates of each step in `saved` (a dict given with each call), so that
the backward need not compute them again. Under `create_graph=True` the vjps get Values: the
gates are then computed again from the Values with the same formulas (written with operators
and ops that arrays and Values share; a sequence's earlier states are slices of its own
output), so the gradient is differentiable in turn and higher-order gradients work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from autograd.ops import Op, Relu, Tanh, positive
from autograd.shape_ops import Concat, Stack
from autograd.value import Value, apply, as_values

States = tuple[Any, ...]  # (h,), or (h, c) for an LSTM


# -- shared by every op ----------------------------------------------------------------------------
def rows(a: Any) -> Any:
    """a as a matrix of rows (n, k): the leading axes of (..., k) flattened, (k,) as (1, k)."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


def transposed(weight: Any) -> Any:
    """weight^T, contiguous for an array: numpy's matmul with a transposed operand took about
    3x as long (32 x 64 @ 64 x 192, one thread), and a copy of weight^T costs far less."""
    return weight.T if isinstance(weight, Value) else np.ascontiguousarray(weight.T)


def times_transposed(a: Any, weight: Any) -> Any:
    """a @ weight^T over the last axis of a, as one matrix product for any number of leading
    axes (numpy would loop over them)."""
    if a.ndim <= 2:
        return a @ transposed(weight)
    return (rows(a) @ transposed(weight)).reshape(*a.shape[:-1], weight.shape[0])


def column_sums(a: Any) -> Any:
    """The sums of a matrix's columns: on an array, a vector-matrix product with ones (numpy's
    sum over the rows took 2-3x as long on the gates' (512, 192))."""
    if isinstance(a, Value):
        return a.sum(axis=0)
    return np.ones(a.shape[0], a.dtype) @ a


def plus_bias(a: Any, bias: Any) -> Any:
    """a + bias, in place where a is an array of the result's dtype: every caller passes a
    new one (a matrix product's result) or a Value."""
    if bias is None:
        return a
    if isinstance(a, np.ndarray) and np.result_type(a, bias) == a.dtype:
        a += bias
        return a
    return a + bias


def gate(a: Any, k: int, size: int) -> Any:
    """Gate k (0, 1, ...) of the gates stacked along the last axis, each `size` wide."""
    return a[..., k * size:(k + 1) * size]


def joined(pieces: list[Any]) -> Any:
    """The gates' gradients side by side along the last axis (arrays or Values)."""
    if len(pieces) == 1:
        return pieces[0]
    if isinstance(pieces[0], Value):
        return Concat.on(*pieces, attrs=(pieces[0].ndim - 1,))  # Concat wants axis >= 0
    return np.concatenate(pieces, axis=-1)


def stacked(pieces: list[Any], axis: int) -> Any:
    if isinstance(pieces[0], Value):
        return Stack.on(*pieces, attrs=(axis,))
    return np.stack(pieces, axis=axis)


def sigmoid(a: Any) -> Any:
    """1 / (1 + e**-a) as (1 + tanh(a / 2)) / 2, the same function: four numpy calls, none of
    which can overflow (the guarded exp of `ag.sigmoid` took three times as long on the
    gates' small arrays), on arrays or Values."""
    if isinstance(a, Value):
        return Tanh.on(a * 0.5) * 0.5 + 0.5
    t = a * 0.5
    np.tanh(t, out=t)
    t *= 0.5
    t += 0.5
    return t


def added(a: Any, b: Any) -> Any:
    """a + b, where None stands for zero."""
    if a is None or b is None:
        return b if a is None else a
    return a + b


def given_biases(parts: tuple[str, ...], biases: tuple) -> tuple[Any, Any]:
    """(bias_ih, bias_hh), None for one not given; `parts` names the given ones in order."""
    named = dict(zip(parts, biases, strict=True))
    return named.get("bias_ih"), named.get("bias_hh")


# -- the steps: forward and gradient of one time step, on arrays or Values -----------------------
# `step(gx, gh, states)` returns the new states and the gates that the gradient needs;
# `step_gradients(g, states, gates)` gets the gradients of the new states and returns dgx and
# dgh, each as its gate blocks (a list; dgh's is dgx's own list where the two are equal), and
# for each old state the part of its gradient that does not pass through gh (None if there
# is none).
def tanh_step(gx: Any, gh: Any, states: States) -> tuple[States, dict[str, Any]]:
    out = Tanh.on(gx + gh)
    return (out,), {"out": out}


def tanh_step_gradients(g: States, states: States, gates: dict[str, Any]) -> tuple:
    out = gates["out"]
    blocks = [g[0] * (1 - out * out)]
    return blocks, blocks, (None,)


def relu_step(gx: Any, gh: Any, states: States) -> tuple[States, dict[str, Any]]:
    out = Relu.on(gx + gh)
    return (out,), {"out": out}


def relu_step_gradients(g: States, states: States, gates: dict[str, Any]) -> tuple:
    blocks = [g[0] * positive(gates["out"])]  # a constant mask: relu's second derivative is 0
    return blocks, blocks, (None,)


def lstm_step(gx: Any, gh: Any, states: States) -> tuple[States, dict[str, Any]]:
    _, c = states
    a = gx + gh
    size = c.shape[-1]
    s = sigmoid(a)  # one call for i, f and o; g's block of it goes unused
    i, f, o = gate(s, 0, size), gate(s, 1, size), gate(s, 3, size)
    cell = Tanh.on(gate(a, 2, size))
    c_new = f * c
    c_new += i * cell  # on arrays in place (c_new is new), on Values c_new = c_new + ...
    tanh_c = Tanh.on(c_new)
    return (o * tanh_c, c_new), {"i": i, "f": f, "g": cell, "o": o, "tanh_c": tanh_c}


def lstm_step_gradients(g: States, states: States, gates: dict[str, Any]) -> tuple:
    (g_h, g_c), (_, c) = g, states
    i, f, cell, o, tanh_c = (gates[k] for k in ("i", "f", "g", "o", "tanh_c"))
    dc = 1 - tanh_c * tanh_c
    dc *= o
    dc *= g_h
    dc += g_c
    di, df, dg, do = dc * cell, dc * c, dc * i, g_h * tanh_c
    di *= i * (1 - i)
    df *= f * (1 - f)
    dg *= 1 - cell * cell
    do *= o * (1 - o)
    blocks = [di, df, dg, do]
    return blocks, blocks, (None, dc * f)


def gru_step(gx: Any, gh: Any, states: States) -> tuple[States, dict[str, Any]]:
    (h,) = states
    size = h.shape[-1]
    rz = sigmoid(gx[..., :2 * size] + gh[..., :2 * size])  # one call for both
    r, z = gate(rz, 0, size), gate(rz, 1, size)
    gh_n = gate(gh, 2, size)
    n = r * gh_n
    n += gate(gx, 2, size)  # on arrays in place (n is new), on Values n = n + ...
    n = Tanh.on(n)
    h_minus_n = h - n
    h_new = z * h_minus_n
    h_new += n
    return (h_new,), {"r": r, "z": z, "n": n, "gh_n": gh_n, "h_minus_n": h_minus_n}


def gru_step_gradients(g: States, states: States, gates: dict[str, Any]) -> tuple:
    (g,) = g
    r, z, n, gh_n, h_minus_n = (gates[k] for k in ("r", "z", "n", "gh_n", "h_minus_n"))
    one_minus_z = 1 - z
    dn = g * one_minus_z  # each product below is new: the in-place steps change nothing else
    dn *= 1 - n * n
    dz = g * h_minus_n
    dz *= z
    dz *= one_minus_z
    dr = dn * gh_n
    dr *= r
    dr *= 1 - r
    return [dr, dz, dn], [dr, dz, dn * r], (g * z,)


@dataclass(frozen=True)
class Recurrence:
    """One kind of recurrent step, shared by its cell op and its sequence op."""

    gates: int  # blocks of H rows in each weight
    states: int  # 1 (h), or 2 (h, c)
    step: Callable[..., tuple[States, dict[str, Any]]]
    step_gradients: Callable[..., tuple]

    def split(self, a: Any) -> States:
        """The states held in a cell's or a sequence's output (an LSTM stacks h and c)."""
        return (a,) if self.states == 1 else (a[0], a[1])


TANH = Recurrence(1, 1, tanh_step, tanh_step_gradients)
RELU = Recurrence(1, 1, relu_step, relu_step_gradients)
LSTM = Recurrence(4, 2, lstm_step, lstm_step_gradients)
GRU = Recurrence(3, 1, gru_step, gru_step_gradients)


# -- the vjps of every op, from the gradients of its projections -------------------------------
# An op's inputs are (x, *states, weight_ih, weight_hh, *biases); its attributes end with
# (parts, saved): `parts` names the given biases ("bias_ih", "bias_hh", either or none) and
# `saved` is a fresh dict per call.
class Gradients(NamedTuple):
    dgx: Any  # the gradient of gx, shaped like gx
    dgh: Any  # the gradient of gh
    states: States  # the gradients of the state inputs
    hh_input: Any  # what weight_hh multiplies: h (a cell), or each step's old h (a sequence)


def projection_vjps(gradients: Callable[..., Gradients], states: int) -> tuple[Callable, ...]:
    """One vjp per input of an op with `states` state inputs, from `gradients(g, out,
    *inputs_and_attrs)`. The engine calls a node's vjps one after the other with the same g:
    the first computes the Gradients and leaves them in `saved` for the others. Under
    create_graph (g is a Value) nothing is kept: kept Values would tie the node to the graph
    of its own gradient."""

    def shared(g: Any, args: tuple) -> Gradients:
        if isinstance(g, Value):
            return gradients(g, *args)
        saved = args[-1]
        if saved.get("g") is not g:  # a new backward pass
            saved["g"], saved["gradients"] = g, gradients(g, *args)
        return saved["gradients"]

    def x_vjp(g: Any, *args: Any) -> Any:
        weight_ih = args[2 + states]
        dgx = shared(g, args).dgx
        if dgx.ndim <= 2:
            return dgx @ weight_ih
        return (rows(dgx) @ weight_ih).reshape(*dgx.shape[:-1], weight_ih.shape[1])

    def state_vjp(k: int) -> Callable:
        return lambda g, *args: shared(g, args).states[k]

    def weight_ih_vjp(g: Any, *args: Any) -> Any:
        return rows(shared(g, args).dgx).T @ rows(args[1])

    def weight_hh_vjp(g: Any, *args: Any) -> Any:
        grads = shared(g, args)
        return rows(grads.dgh).T @ rows(grads.hh_input)

    def bias_vjp(k: int) -> Callable:  # the k-th bias given: its name is parts[k]
        def vjp(g: Any, *args: Any) -> Any:
            grads = shared(g, args)
            return column_sums(rows(grads.dgx if args[-2][k] == "bias_ih" else grads.dgh))

        return vjp

    return (x_vjp, *[state_vjp(k) for k in range(states)], weight_ih_vjp, weight_hh_vjp,
            bias_vjp(0), bias_vjp(1))


def op_inputs(kind: Recurrence, inputs_and_attrs: tuple, attrs: int
              ) -> tuple[States, Any, Any, tuple]:
    """The states, weight_ih, weight_hh and biases among an op's inputs after x (followed by
    `attrs` attributes)."""
    inputs = inputs_and_attrs[:-attrs]
    weight_ih, weight_hh, *biases = inputs[kind.states:]
    return tuple(inputs[:kind.states]), weight_ih, weight_hh, tuple(biases)


# -- the cell ops ----------------------------------------------------------------------------------
def cell_forward(kind: Recurrence) -> Callable:
    def forward(x, *inputs_and_attrs):
        states, weight_ih, weight_hh, biases = op_inputs(kind, inputs_and_attrs, 2)
        parts, saved = inputs_and_attrs[-2:]
        bias_ih, bias_hh = given_biases(parts, biases)
        gx = plus_bias(x @ transposed(weight_ih), bias_ih)
        gh = plus_bias(states[0] @ transposed(weight_hh), bias_hh)
        new, saved["gates"] = kind.step(gx, gh, states)
        return new[0] if len(new) == 1 else np.stack(new)

    return forward


def cell_gradients(kind: Recurrence) -> Callable[..., Gradients]:
    def gradients(g, out, x, *inputs_and_attrs):
        states, weight_ih, weight_hh, biases = op_inputs(kind, inputs_and_attrs, 2)
        parts, saved = inputs_and_attrs[-2:]
        if isinstance(g, Value):  # create_graph: the gates again, from the Values
            bias_ih, bias_hh = given_biases(parts, biases)
            _, gates = kind.step(plus_bias(x @ weight_ih.T, bias_ih),
                                 plus_bias(states[0] @ weight_hh.T, bias_hh), states)
        else:
            gates = saved["gates"]
        dgx_blocks, dgh_blocks, direct = kind.step_gradients(kind.split(g), states, gates)
        dgx = joined(dgx_blocks)
        dgh = dgx if dgh_blocks is dgx_blocks else joined(dgh_blocks)
        state_grads = (added(dgh @ weight_hh, direct[0]), *direct[1:])  # only h enters gh
        return Gradients(dgx, dgh, state_grads, states[0])

    return gradients


CELL_RULE = """

    gx = x @ W_ih^T + b_ih, gh = h @ W_hh^T + b_hh; the gradients of x, h and the weights
    follow from dgx and dgh (see the module docstring).
    """


class RNNTanhCell(Op):
    __doc__ = "out = tanh(gx + gh);  d/dgx = d/dgh = g (1 - out**2)" + CELL_RULE
    name = "rnn_tanh_cell"
    forward = cell_forward(TANH)
    vjps = projection_vjps(cell_gradients(TANH), states=1)


class RNNReluCell(Op):
    __doc__ = "out = relu(gx + gh);  d/dgx = d/dgh = g where out > 0, else 0" + CELL_RULE
    name = "rnn_relu_cell"
    forward = cell_forward(RELU)
    vjps = projection_vjps(cell_gradients(RELU), states=1)


class LSTMCell(Op):
    """out = [h', c'], c' = f c + i g, h' = o tanh(c');  d/dc = f dc',  d/dh = dgh @ W_hh

    dc' = g_c + g_h o (1 - tanh(c')**2) is the gradient of c'; i, f, o = sigmoid and g = tanh
    of the four blocks of gx + gh (torch's order i, f, g, o), gx = x @ W_ih^T + b_ih,
    gh = h @ W_hh^T + b_hh. out has shape (2, N, H) ((2, H) unbatched): out[0] = h',
    out[1] = c', and the upstream gradient [g_h, g_c] likewise. The gradient of gx + gh
    (dgx = dgh), by block: di = dc' g i (1 - i), df = dc' c f (1 - f), dg = dc' i (1 - g**2),
    do = g_h tanh(c') o (1 - o); the gradients of x and the weights follow from it (see the
    module docstring).
    """

    name = "lstm_cell"
    forward = cell_forward(LSTM)
    vjps = projection_vjps(cell_gradients(LSTM), states=2)


class GRUCell(Op):
    """out = (1 - z) n + z h, n = tanh(gx_n + r gh_n);  d/dh = g z + dgh @ W_hh,  dn = g (1 - z)

    r, z = sigmoid of the r and z blocks of gx + gh (torch's order r, z, n), gx = x @ W_ih^T +
    b_ih, gh = h @ W_hh^T + b_hh. With dn_pre = g (1 - z) (1 - n**2), dz_pre = g (h - n)
    z (1 - z) and dr_pre = dn_pre gh_n r (1 - r): dgx = [dr_pre, dz_pre, dn_pre] and
    dgh = [dr_pre, dz_pre, dn_pre r]; the gradients of x, h and the weights follow from them
    (see the module docstring), plus g z for h, which out uses directly.
    """

    name = "gru_cell"
    forward = cell_forward(GRU)
    vjps = projection_vjps(cell_gradients(GRU), states=1)


# -- the sequence ops ------------------------------------------------------------------------------
# Their attributes are (batch_first, parts, saved); the time axis is 0, or 1 with batch_first,
# in x, in the output and in every gradient alike.
def time_step(batch_first: bool, t: int) -> Any:
    """The index of step t along the time axis."""
    return (slice(None), t) if batch_first else t


def sequence_forward(kind: Recurrence) -> Callable:
    def forward(x, *inputs_and_attrs):
        states, weight_ih, weight_hh, biases = op_inputs(kind, inputs_and_attrs, 3)
        batch_first, parts, saved = inputs_and_attrs[-3:]
        bias_ih, bias_hh = given_biases(parts, biases)
        gx = plus_bias(times_transposed(x, weight_ih), bias_ih)  # every step at once
        weight_hh_t = transposed(weight_hh)
        size, dtype = weight_hh.shape[1], np.result_type(x, *inputs_and_attrs[:-3])
        out = np.empty((kind.states,) * (kind.states > 1) + (*x.shape[:-1], size), dtype)
        held, saved["gates"] = kind.split(out), []
        for t in range(x.shape[1 if batch_first else 0]):
            at = time_step(batch_first, t)
            gh = plus_bias(states[0] @ weight_hh_t, bias_hh)
            states, gates = kind.step(gx[at], gh, states)
            saved["gates"].append(gates)
            for into, state in zip(held, states, strict=True):
                into[at] = state
        return out

    return forward


def time_span(batch_first: bool, start: int | None, stop: int | None) -> Any:
    """The index of steps start to stop (a slice) along the time axis."""
    return (slice(None), slice(start, stop)) if batch_first else slice(start, stop)


def sequence_gradients(kind: Recurrence) -> Callable[..., Gradients]:
    def gradients(g, out, x, *inputs_and_attrs):
        first, weight_ih, weight_hh, biases = op_inputs(kind, inputs_and_attrs, 3)
        batch_first, parts, saved = inputs_and_attrs[-3:]
        bias_ih, bias_hh = given_biases(parts, biases)
        create_graph = isinstance(g, Value)
        length = x.shape[1 if batch_first else 0]
        held, upstream = kind.split(out), kind.split(g)
        if create_graph:  # the gates again from the Values, and the steps' dgx, dgh in lists
            gx = plus_bias(times_transposed(x, weight_ih), bias_ih)
            dgx, dgh = [None] * length, [None] * length
        else:  # into arrays laid out like gx (dgh: only where it differs from dgx)
            dgx = np.empty((*x.shape[:-1], weight_ih.shape[0]), np.result_type(g, weight_hh))
            dgh = None
        carried: States = (None,) * kind.states  # what step t + 1 passed to the states
        for t in reversed(range(length)):
            at = time_step(batch_first, t)
            states = first if t == 0 else tuple(s[time_step(batch_first, t - 1)] for s in held)
            if create_graph:
                gh = plus_bias(states[0] @ weight_hh.T, bias_hh)
                _, gates = kind.step(gx[at], gh, states)
            else:
                gates = saved["gates"][t]
            g_new = tuple(added(u[at], c) for u, c in zip(upstream, carried, strict=True))
            dgx_blocks, dgh_blocks, direct = kind.step_gradients(g_new, states, gates)
            if create_graph:
                dgx[t] = joined(dgx_blocks)
                dgh[t] = dgx[t] if dgh_blocks is dgx_blocks else joined(dgh_blocks)
                dgh_t = dgh[t]
            else:
                dgh_t = np.concatenate(dgx_blocks, axis=-1, out=dgx[at])
                if dgh_blocks is not dgx_blocks:
                    dgh = np.empty_like(dgx) if dgh is None else dgh
                    dgh_t = np.concatenate(dgh_blocks, axis=-1, out=dgh[at])
            carried = (added(dgh_t @ weight_hh, direct[0]), *direct[1:])
        if create_graph:
            axis = 1 if batch_first else 0
            old_h = stacked([first[0], *(held[0][time_step(batch_first, t)]
                                         for t in range(length - 1))], axis)
            return Gradients(stacked(dgx, axis), stacked(dgh, axis), carried, old_h)
        old_h = np.empty_like(held[0])  # h_(t-1) for each t
        old_h[time_step(batch_first, 0)] = first[0]
        old_h[time_span(batch_first, 1, None)] = held[0][time_span(batch_first, None, -1)]
        return Gradients(dgx, dgx if dgh is None else dgh, carried, old_h)

    return gradients


SEQUENCE_RULE = """

    for t = 0, ..., L - 1, h_(-1) = h0 (out[-1] = h0 in the line above); the gradients come
    back through the steps in reverse (see the module docstring).
    """


class RNNTanh(Op):
    __doc__ = ("out[t] = rnn_tanh_cell(x[t], out[t-1]);  d/dx, d/dh0, d/dW: the cell's rule, "
               "from the last step back" + SEQUENCE_RULE)
    name = "rnn_tanh"
    forward = sequence_forward(TANH)
    vjps = projection_vjps(sequence_gradients(TANH), states=1)


class RNNRelu(Op):
    __doc__ = ("out[t] = rnn_relu_cell(x[t], out[t-1]);  d/dx, d/dh0, d/dW: the cell's rule, "
               "from the last step back" + SEQUENCE_RULE)
    name = "rnn_relu"
    forward = sequence_forward(RELU)
    vjps = projection_vjps(sequence_gradients(RELU), states=1)


class LSTMSequence(Op):
    __doc__ = ("out[:, t] = lstm_cell(x[t], *out[:, t-1]);  d/dx, d/dh0, d/dc0, d/dW: the cell's "
               "rule, from the last step back" + """

    for t = 0, ..., L - 1, out[:, -1] = [h0, c0] in the line above: out[0] holds the h of
    every step, out[1] its c. The gradients come back through the steps in reverse (see the
    module docstring).
    """)
    name = "lstm"
    forward = sequence_forward(LSTM)
    vjps = projection_vjps(sequence_gradients(LSTM), states=2)


class GRUSequence(Op):
    __doc__ = ("out[t] = gru_cell(x[t], out[t-1]);  d/dx, d/dh0, d/dW: the cell's rule, from "
               "the last step back" + SEQUENCE_RULE)
    name = "gru"
    forward = sequence_forward(GRU)
    vjps = projection_vjps(sequence_gradients(GRU), states=1)


# -- the functions: check the arguments, then record the op -------------------------------------
def recurrent_inputs(function: str, kind: Recurrence, x: Any, states: dict[str, Any],
                     weight_ih: Any, weight_hh: Any, bias_ih: Any, bias_hh: Any,
                     batch_first: bool | None = None) -> tuple[list[Value], tuple[str, ...]]:
    """The inputs as Values in the op's order (x, the states, weight_ih, weight_hh, the given
    biases) and the names of the given biases, checked against torch's shapes: weight_ih
    (gates * H, H_in), weight_hh (gates * H, H), each bias (gates * H,); for a cell
    (batch_first None) x (N, H_in) or (H_in,) and each state (N, H) or (H,); for a sequence
    x (L, N, H_in), or (N, L, H_in) with batch_first, and each state (N, H)."""
    parts = tuple(name for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh))
                  if b is not None)
    x, *values = as_values(x, *states.values(), weight_ih, weight_hh,
                           *[b for b in (bias_ih, bias_hh) if b is not None])
    state_values, (weight_ih, weight_hh, *biases) = values[:len(states)], values[len(states):]
    gates = kind.gates
    if weight_ih.ndim != 2 or weight_ih.shape[0] % gates or not weight_ih.shape[0]:
        raise ValueError(f"{function}: weight_ih must have shape ({gates} * hidden_size, "
                         f"input_size), got {weight_ih.shape}")
    size, input_size = weight_ih.shape[0] // gates, weight_ih.shape[1]
    if weight_hh.shape != (gates * size, size):
        raise ValueError(f"{function}: weight_hh has shape {weight_hh.shape}, expected "
                         f"{(gates * size, size)} for weight_ih of shape {weight_ih.shape} "
                         f"({gates} gate{'s' * (gates > 1)} of hidden size {size})")
    if batch_first is None:
        if x.ndim not in (1, 2) or x.shape[-1] != input_size:
            raise ValueError(f"{function}: input has shape {x.shape}, expected "
                             f"(N, {input_size}) or ({input_size},) for weight_ih of shape "
                             f"{weight_ih.shape}")
        expected = (*x.shape[:-1], size)
    else:
        layout = f"(N, L, {input_size})" if batch_first else f"(L, N, {input_size})"
        if x.ndim != 3 or x.shape[-1] != input_size:
            raise ValueError(f"{function}: input has shape {x.shape}, expected {layout} "
                             f"(batch_first={batch_first}) for weight_ih of shape "
                             f"{weight_ih.shape}")
        if not x.shape[1 if batch_first else 0]:
            raise ValueError(f"{function}: input of shape {x.shape} has no time steps")
        expected = (x.shape[0 if batch_first else 1], size)
    for name, state in zip(states, state_values, strict=True):
        if state.shape != expected:
            raise ValueError(f"{function}: {name} has shape {state.shape}, expected "
                             f"{expected} for an input of shape {x.shape} and hidden size "
                             f"{size}")
    for name, bias in zip(parts, biases, strict=True):
        if bias.shape != (gates * size,):
            raise ValueError(f"{function}: {name} has shape {bias.shape}, expected "
                             f"({gates * size},)")
    return [x, *state_values, weight_ih, weight_hh, *biases], parts


def nonlinearity_of(function: str, nonlinearity: str) -> Recurrence:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{function}: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    return TANH if nonlinearity == "tanh" else RELU


def rnn_cell(x: Any, h: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
             bias_hh: Any = None, nonlinearity: str = "tanh") -> Value:
    """One step of an Elman RNN, as torch.nn.RNNCell: h' = act(x @ weight_ih^T + bias_ih +
    h @ weight_hh^T + bias_hh), act = tanh or relu (`nonlinearity`)."""
    kind = nonlinearity_of("rnn_cell", nonlinearity)
    inputs, parts = recurrent_inputs("rnn_cell", kind, x, {"h": h}, weight_ih, weight_hh,
                                     bias_ih, bias_hh)
    return apply(RNNTanhCell if kind is TANH else RNNReluCell, *inputs, attrs=(parts, {}))


def lstm_cell(x: Any, h: Any, c: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
              bias_hh: Any = None) -> Value:
    """One step of an LSTM, as torch.nn.LSTMCell (gates i, f, g, o). Returns h' and c'
    stacked, shape (2, N, H) ((2, H) unbatched): index it for each."""
    inputs, parts = recurrent_inputs("lstm_cell", LSTM, x, {"h": h, "c": c}, weight_ih,
                                     weight_hh, bias_ih, bias_hh)
    return apply(LSTMCell, *inputs, attrs=(parts, {}))


def gru_cell(x: Any, h: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
             bias_hh: Any = None) -> Value:
    """One step of a GRU, as torch.nn.GRUCell (gates r, z, n): h' = (1 - z) n + z h with
    n = tanh(W_in x + b_in + r (W_hn h + b_hn))."""
    inputs, parts = recurrent_inputs("gru_cell", GRU, x, {"h": h}, weight_ih, weight_hh,
                                     bias_ih, bias_hh)
    return apply(GRUCell, *inputs, attrs=(parts, {}))


def rnn(x: Any, h0: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
        bias_hh: Any = None, nonlinearity: str = "tanh", batch_first: bool = False) -> Value:
    """`rnn_cell` along the sequence x (L, N, H_in), or (N, L, H_in) with batch_first, from
    h0 (N, H): the state after every step, (L, N, H) (or (N, L, H)), as torch.nn.RNN's
    output."""
    kind = nonlinearity_of("rnn", nonlinearity)
    inputs, parts = recurrent_inputs("rnn", kind, x, {"h0": h0}, weight_ih, weight_hh, bias_ih,
                                     bias_hh, bool(batch_first))
    return apply(RNNTanh if kind is TANH else RNNRelu, *inputs,
                 attrs=(bool(batch_first), parts, {}))


def lstm(x: Any, h0: Any, c0: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
         bias_hh: Any = None, batch_first: bool = False) -> Value:
    """`lstm_cell` along the sequence x (L, N, H_in), or (N, L, H_in) with batch_first, from
    h0 and c0 (N, H): h and c after every step, stacked, (2, L, N, H) (or (2, N, L, H)); its
    [0] is torch.nn.LSTM's output."""
    inputs, parts = recurrent_inputs("lstm", LSTM, x, {"h0": h0, "c0": c0}, weight_ih,
                                     weight_hh, bias_ih, bias_hh, bool(batch_first))
    return apply(LSTMSequence, *inputs, attrs=(bool(batch_first), parts, {}))


def gru(x: Any, h0: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
        bias_hh: Any = None, batch_first: bool = False) -> Value:
    """`gru_cell` along the sequence x (L, N, H_in), or (N, L, H_in) with batch_first, from
    h0 (N, H): the state after every step, (L, N, H) (or (N, L, H)), as torch.nn.GRU's
    output."""
    inputs, parts = recurrent_inputs("gru", GRU, x, {"h0": h0}, weight_ih, weight_hh, bias_ih,
                                     bias_hh, bool(batch_first))
    return apply(GRUSequence, *inputs, attrs=(bool(batch_first), parts, {}))


OPS: tuple[type[Op], ...] = (RNNTanhCell, RNNReluCell, LSTMCell, GRUCell, RNNTanh, RNNRelu,
                             LSTMSequence, GRUSequence)
ELEMENTWISE: dict[str, type[Op]] = {}  # x.NAME() and ag.NAME(x), no arguments
METHODS: dict[str, Callable[..., Value]] = {}  # x.NAME(...) and ag.NAME(x, ...)
FUNCTION_ONLY: dict[str, Callable[..., Value]] = {  # ag.NAME(...) only
    "rnn_cell": rnn_cell, "lstm_cell": lstm_cell, "gru_cell": gru_cell, "rnn": rnn,
    "lstm": lstm, "gru": gru,
}
