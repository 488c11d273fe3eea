"""Op-table cases for the shapes ops (see op_table.py)."""

import numpy as np
from op_table import case, torch, torch_functional

import autograd as ag


def np_logsumexp(x, axis, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def np_squeeze(x, axis):
    """torch's squeeze: of the axes given (all for None), only those of size 1 go."""
    axes = range(x.ndim) if axis is None else np.atleast_1d(axis) % max(x.ndim, 1)
    return np.squeeze(x, tuple(int(a) for a in axes if x.shape[a] == 1))


def np_pad(x, widths, value=0.0):
    """numpy's pad of torch's (before, after) pairs, last axis first; no negative widths."""
    if not widths:
        return x
    last_first = list(zip(widths[-2::-2], widths[::-2], strict=True))
    pairs = [(0, 0)] * (x.ndim - len(widths) // 2) + last_first
    return np.pad(x, pairs, constant_values=value)


# -- reductions -------------------------------------------------------------------------------
for shape, axis, keepdims in [((3, 4), -1, False), ((3, 4), 0, True), ((2, 3, 4), (0, 2), False),
                              ((2, 3, 4), (0, 2), True), ((5,), 0, False), ((), 0, False)]:
    case("logsumexp", lambda x, a=axis, k=keepdims: x.logsumexp(a, k), (shape,),
         lambda x, a=axis, k=keepdims: np_logsumexp(x, None if x.ndim == 0 else a, k),
         lambda x, a=axis, k=keepdims: torch.logsumexp(x, a, keepdim=k),
         note=f"{shape} axis={axis} keepdims={keepdims}")
case("logsumexp", lambda x: ag.logsumexp(x, dim=1, keepdim=True), ((2, 3),),
     lambda x: np_logsumexp(x, 1, True), lambda x: torch.logsumexp(x, dim=1, keepdim=True),
     note="ag.logsumexp dim=1 keepdim=True")
case("logsumexp", lambda x: x.logsumexp(0), ((0, 3),), lambda x: np.full(3, -np.inf),
     lambda x: torch.logsumexp(x, 0), note="empty (0, 3) axis=0: -inf")
case("logsumexp", lambda x: x.logsumexp(1), ((0, 3),), lambda x: np.zeros(0),
     lambda x: torch.logsumexp(x, 1), note="empty (0, 3) axis=1")

for op in ["var", "std"]:
    for shape, axis, keepdims, correction in [
        ((3, 4), None, False, 1), ((3, 4), 0, False, 1), ((3, 4), -1, True, 1),
        ((2, 3, 4), (0, 2), False, 1), ((2, 3, 4), (0, 2), True, 0), ((3, 4), 1, False, 0),
        ((3, 4), 0, False, 2), ((5,), None, False, 0.5), ((), None, False, 0),
    ]:
        numpy_fn = np.var if op == "var" else np.std
        case(op, lambda x, o=op, a=axis, k=keepdims, c=correction: getattr(x, o)(
                 a, keepdims=k, correction=c), (shape,),
             lambda x, f=numpy_fn, a=axis, k=keepdims, c=correction: f(x, axis=a, keepdims=k,
                                                                        ddof=c),
             lambda x, o=op, a=axis, k=keepdims, c=correction: getattr(torch, o)(
                 x, dim=a, keepdim=k, correction=c),
             note=f"{shape} axis={axis} keepdims={keepdims} correction={correction}")
    case(op, lambda x, o=op: getattr(ag, o)(x, dim=1, keepdim=True), ((2, 3),),
         lambda x, o=op: getattr(np, o)(x, axis=1, keepdims=True, ddof=1),
         lambda x, o=op: getattr(torch, o)(x, dim=1, keepdim=True), note=f"ag.{op} dim=1")

# -- shape changes: squeeze, unsqueeze, flatten and view record reshape, permute transpose,
# expand broadcast_to (the op that each of them is)
for dims in [None, 1, 0, (1, 3), -1]:
    case("reshape", lambda x, d=dims: x.squeeze(d), ((2, 1, 3, 1),),
         lambda x, d=dims: np_squeeze(x, d),
         lambda x, d=dims: x.squeeze() if d is None else x.squeeze(d), note=f"squeeze {dims}")
case("reshape", lambda x: x.squeeze(), ((),), lambda x: np_squeeze(x, None), lambda x: x.squeeze(),
     note="squeeze 0-d")
case("reshape", lambda x: ag.squeeze(x, dim=0), ((1, 3),), lambda x: x[0],
     lambda x: x.squeeze(dim=0), note="ag.squeeze dim=0")
for dim in [0, 2, -1, -3]:
    case("reshape", lambda x, d=dim: x.unsqueeze(d), ((2, 3),),
         lambda x, d=dim: np.expand_dims(x, d), lambda x, d=dim: x.unsqueeze(d),
         note=f"unsqueeze {dim}")
case("reshape", lambda x: ag.unsqueeze(x, dim=0), ((),), lambda x: x.reshape(1),
     lambda x: x.unsqueeze(dim=0), note="ag.unsqueeze 0-d")
for start, end in [(0, -1), (1, -1), (1, 2), (-2, -1), (2, 2)]:
    case("reshape", lambda x, s=start, e=end: x.flatten(s, e), ((2, 3, 2, 2),),
         lambda x, s=start, e=end: x.reshape(
             *x.shape[:s % 4], -1, *x.shape[e % 4 + 1:]),
         lambda x, s=start, e=end: x.flatten(s, e), note=f"flatten {start}..{end}")
case("reshape", lambda x: ag.flatten(x), ((),), lambda x: x.reshape(1),
     lambda x: x.flatten(), note="ag.flatten 0-d")
case("reshape", lambda x: x.view(4, -1), ((2, 3, 2),), lambda x: x.reshape(4, 3),
     lambda x: x.view(4, -1), note="view(4, -1)")
case("reshape", lambda x: ag.view(x, (6,)), ((2, 3),), lambda x: x.reshape(6),
     lambda x: x.view(6), note="ag.view (6,)")
for dims in [(2, 0, 1), (0, 2, 1), (-1, 0, 1)]:
    case("transpose", lambda x, d=dims: x.permute(*d), ((2, 3, 4),),
         lambda x, d=dims: np.transpose(x, d), lambda x, d=dims: x.permute(*d),
         note=f"permute {dims}")
case("transpose", lambda x: ag.permute(x, (1, 0)), ((2, 3),), lambda x: x.T,
     lambda x: torch.permute(x, (1, 0)), note="ag.permute (1, 0)")
case("transpose", lambda x: x.permute(()), ((),), lambda x: x, lambda x: x.permute(()),
     note="permute 0-d")
for source, sizes in [((3, 1), (2, 3, 4)), ((3, 1), (-1, 4)), ((1, 3), (2, 2, -1)),
                      ((), (2, 2)), ((3,), (3,))]:
    case("broadcast_to", lambda x, s=sizes: x.expand(*s), (source,),
         lambda x, s=sizes: np.broadcast_to(
             x, tuple(x.shape[i - len(s) + x.ndim] if n == -1 else n for i, n in enumerate(s))),
         lambda x, s=sizes: x.expand(*s), note=f"expand {source} to {sizes}")
case("broadcast_to", lambda x: ag.expand(x, (2, -1)), ((3,),),
     lambda x: np.broadcast_to(x, (2, 3)), lambda x: x.expand((2, -1)),
     note="ag.expand (2, -1)")

# -- pad: torch's order, the last axis first; a negative width crops ---------------------------
for shape, widths, value in [((3, 4), (1, 2), 0.0), ((3, 4), (1, 0, 0, 2), 0.0),
                             ((2, 3, 4), (0, 1, 2, 0, 1, 1), -1.5), ((3,), (0, 0), 0.0),
                             ((3, 4), (), 0.0), ((), (), 0.0)]:
    case("pad", lambda x, w=widths, v=value: ag.pad(x, w, value=v), (shape,),
         lambda x, w=widths, v=value: np_pad(x, w, v),
         lambda x, w=widths, v=value: torch_functional.pad(x, w, value=v),
         note=f"{shape} pad={widths} value={value}")
for widths, numpy_fn in [((-1, 2), lambda x: np_pad(x[:, 1:], (0, 2))),
                         ((1, -1, -1, 0), lambda x: np_pad(x[1:, :-1], (1, 0))),
                         ((-2, -2), lambda x: x[:, 2:2])]:
    case("pad", lambda x, w=widths: ag.pad(x, w), ((3, 4),), numpy_fn,
         lambda x, w=widths: torch_functional.pad(x, w), note=f"crop {widths}")
case("pad", lambda x: ag.pad(x, (1, 1)), ((0, 2),), lambda x: np.zeros((0, 4)),
     lambda x: torch_functional.pad(x, (1, 1)), note="empty (0, 2)")

# -- split: each piece is a getitem node (a slice of x) ----------------------------------------
for sizes, axis, piece in [(3, 0, 0), (3, 0, 2), ([1, 0, 6], 0, 1), ([1, 0, 6], 0, 2),
                           (2, 1, 1), ((2, 1), -1, 1)]:
    shape = (7,) if axis == 0 else (2, 3)
    case("getitem", lambda x, s=sizes, a=axis, p=piece: x.split(s, a)[p], (shape,),
         lambda x, s=sizes, a=axis, p=piece: np.split(
             x, np.cumsum(s)[:-1] if isinstance(s, (list, tuple)) else
             range(s, x.shape[a], s), axis=a)[p],
         lambda x, s=sizes, a=axis, p=piece: x.split(s, a)[p],
         note=f"split {shape} {sizes} axis={axis} piece {piece}")
case("getitem", lambda x: ag.split(x, 2, dim=1)[0], ((3, 2),), lambda x: x,
     lambda x: torch.split(x, 2, dim=1)[0], note="ag.split dim=1, one piece")
