"""A layered drawing of a graph, computed in Python: the stepper's layout, so that it needs no
Graphviz.

The method is Sugiyama's, in its simplest form:
1. Layers: each node's layer is its longest distance to the output (layer 0, drawn on the
   right), so every edge points from left to right. An edge that spans several layers gets a
   chain of dummy points, one per layer it crosses, through which it is drawn; one that spans
   more than MAX_DUMMIES layers (a Value reused all along a long chain, like an RNN's weight)
   is drawn straight from tail to head and shapes nothing, so that the work and the page stay
   linear in the graph's size rather than quadratic.
2. Order within each layer: start from the order a walk back from the output meets the nodes
   (inputs in argument order), then sweep the layers a few times, each time sorting a layer by
   the barycentre (the mean position) of its neighbours in the layer just swept. Keep the
   order with the fewest edge crossings.
3. Coordinates: each layer is a column as wide as its widest box. Within a column, each node
   is pulled towards the mean height of its neighbours, keeping the order and a gap between
   boxes (an isotonic regression, solved exactly by pooling adjacent violators).

Nodes are numbered 0..n-1 and edges are (tail, head) pairs; `rank` orders the nodes so that
each edge should go from a lower to a higher rank (a topological order). An edge against it,
which only a folded drawing can have, is drawn as it falls and does not shape the layers.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right, insort

SWEEPS = 4  # each down and back; more rarely removes another crossing
LAYER_GAP = 44.0  # between columns, for the edges' curves
NODE_GAP = 14.0  # between boxes of one column
DUMMY_HEIGHT = 3.0  # the room an edge takes where it crosses a column
MAX_DUMMIES = 8  # a longer edge is drawn straight, without dummies
DUMMY_GAP = 3.0  # between an edge crossing a column and its neighbours there
MARGIN = 12.0


class Layout:
    """Where each node's centre is, the points each edge passes through (tail, dummies,
    head; empty for an edge drawn against the rank order), and the drawing's size."""

    __slots__ = ("centres", "height", "routes", "width")

    def __init__(self, centres: list[tuple[float, float]], routes: list[list[tuple[float, float]]],
                 width: float, height: float) -> None:
        self.centres = centres
        self.routes = routes
        self.width = width
        self.height = height


def layered_layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]],
                   rank: list[int]) -> Layout:
    """Lay out nodes of the given (width, height) joined by `edges` (see the module docstring)."""
    count = len(sizes)
    forward = [(tail, head) for tail, head in edges if rank[tail] < rank[head]]
    layer = layers_by_distance(count, forward, rank)
    # Split long edges: `chains` holds each forward edge's nodes, tail first, dummies between.
    layer_of = list(layer)
    heights = [h for _, h in sizes]
    widths = [w for w, _ in sizes]
    chains: list[list[int]] = []
    links: list[tuple[int, int]] = []  # between adjacent layers: what orders and places nodes
    for tail, head in forward:
        chain = [tail]
        if layer[tail] - layer[head] - 1 <= MAX_DUMMIES:
            for depth in range(layer[tail] - 1, layer[head], -1):
                layer_of.append(depth)
                heights.append(DUMMY_HEIGHT)
                widths.append(0.0)
                chain.append(len(layer_of) - 1)
            links += itertools.pairwise([*chain, head])
        chain.append(head)
        chains.append(chain)
    ports: dict[tuple[int, int], float] = {}  # (tail, head) of a link -> where it meets head
    slots: dict[int, int] = {}
    for tail, head in links:  # argument order: a link's slot among its head's incoming links
        ports[tail, head] = slots.get(head, 0)
        slots[head] = slots.get(head, 0) + 1
    for (tail, head), slot in ports.items():
        ports[tail, head] = (slot + 1) / (slots[head] + 1) - 0.5
    layers = order_layers(layer_of, links, ports, rank)
    centres = place(layers, links, widths, heights, dummies=count)
    routes: list[list[tuple[float, float]]] = [[] for _ in edges]
    chain_of = iter(chains)
    for e, (tail, head) in enumerate(edges):
        if rank[tail] < rank[head]:
            routes[e] = [centres[node] for node in next(chain_of)]
    width = max((x + w / 2 for (x, _), w in zip(centres, widths, strict=False)), default=0.0)
    height = max((y + h / 2 for (_, y), h in zip(centres, heights, strict=False)), default=0.0)
    return Layout(centres[:count], routes, width + MARGIN, height + MARGIN)


def layers_by_distance(count: int, forward: list[tuple[int, int]], rank: list[int]) -> list[int]:
    """Each node's longest distance, in edges, to a node with no outgoing edge (the output)."""
    heads: list[list[int]] = [[] for _ in range(count)]
    for tail, head in forward:
        heads[tail].append(head)
    layer = [0] * count
    for node in sorted(range(count), key=rank.__getitem__, reverse=True):
        if heads[node]:
            layer[node] = 1 + max(layer[head] for head in heads[node])
    return layer


def order_layers(layer_of: list[int], links: list[tuple[int, int]],
                 ports: dict[tuple[int, int], float], rank: list[int]) -> list[list[int]]:
    """The nodes of each layer (index 0: the output's), top to bottom, after barycentre sweeps."""
    depth = max(layer_of, default=0) + 1
    heads: list[list[int]] = [[] for _ in layer_of]  # towards the output (layer - 1)
    tails: list[list[int]] = [[] for _ in layer_of]  # towards the inputs (layer + 1)
    for tail, head in links:
        heads[tail].append(head)
        tails[head].append(tail)
    layers: list[list[int]] = [[] for _ in range(depth)]
    for node in sorted(range(len(rank)), key=rank.__getitem__):  # inputs in argument order
        layers[layer_of[node]].append(node)
    for node in range(len(rank), len(layer_of)):  # the dummies
        layers[layer_of[node]].append(node)
    position = {node: i for nodes in layers for i, node in enumerate(nodes)}

    def sweep(levels: range, neighbours: list[list[int]], towards_output: bool) -> None:
        for level in levels:
            nodes = layers[level]

            def barycentre(node: int) -> float:
                near = neighbours[node]
                if not near:
                    return position[node]
                if towards_output:  # each input meets its op at its own port
                    return sum(position[n] + ports[node, n] for n in near) / len(near)
                return sum(position[n] for n in near) / len(near)

            nodes.sort(key=barycentre)
            for i, node in enumerate(nodes):
                position[node] = i

    best = [list(nodes) for nodes in layers]
    fewest = count_crossings(layers, links, layer_of, position)
    for k in range(SWEEPS):
        if k % 2 == 0:
            sweep(range(1, depth), heads, towards_output=True)
        else:
            sweep(range(depth - 2, -1, -1), tails, towards_output=False)
        crossings = count_crossings(layers, links, layer_of, position)
        if crossings <= fewest:  # on a tie, the later sweeps' order: inputs in argument order
            best, fewest = [list(nodes) for nodes in layers], crossings
    return best


def count_crossings(layers: list[list[int]], links: list[tuple[int, int]], layer_of: list[int],
                    position: dict[int, int]) -> int:
    """Pairs of links between neighbouring layers that cross: per layer pair, the inversions
    of the tails' positions once the links are sorted by their heads' positions."""
    between: list[list[tuple[int, int]]] = [[] for _ in layers]
    for tail, head in links:
        between[layer_of[head]].append((position[head], position[tail]))
    crossings = 0
    for pairs in between:
        pairs.sort()
        seen: list[int] = []
        for _, tail in pairs:
            crossings += len(seen) - bisect_right(seen, tail)
            insort(seen, tail)
    return crossings


def place(layers: list[list[int]], links: list[tuple[int, int]], widths: list[float],
          heights: list[float], dummies: int) -> list[tuple[float, float]]:
    """Centres for every node: columns from the inputs (left) to the output (right), and within
    each column heights pulled towards the neighbours' (see `pull_towards`). Nodes from
    `dummies` on are edges crossing a column, packed closer than boxes."""
    neighbours: list[list[int]] = [[] for _ in widths]
    for tail, head in links:
        neighbours[tail].append(head)
        neighbours[head].append(tail)
    xs = [0.0] * len(widths)
    left = MARGIN
    for nodes in reversed(layers):
        column = max((widths[n] for n in nodes), default=0.0)
        for node in nodes:
            xs[node] = left + column / 2
        left += column + LAYER_GAP
    # the space between the centres of each node and the next one in its column
    spaces = [[(heights[a] + heights[b]) / 2 + (NODE_GAP if max(a, b) < dummies else DUMMY_GAP)
               for a, b in itertools.pairwise(nodes)] for nodes in layers]
    ys = [0.0] * len(widths)
    for nodes, space in zip(layers, spaces, strict=True):
        offsets = [0.0]
        for gap in space:
            offsets.append(offsets[-1] + gap)
        for node, offset in zip(nodes, offsets, strict=True):  # each column centred on 0
            ys[node] = offset - offsets[-1] / 2
    order = list(range(len(layers)))
    for sweep in range(SWEEPS):
        for level in order if sweep % 2 == 0 else reversed(order):
            nodes = layers[level]
            wanted = [sum(ys[n] for n in neighbours[node]) / len(neighbours[node])
                      if neighbours[node] else ys[node] for node in nodes]
            for node, y in zip(nodes, pull_towards(wanted, spaces[level]), strict=True):
                ys[node] = y
    lowest = min((ys[n] - heights[n] / 2 for n in range(len(ys))), default=0.0)
    return [(x, y - lowest + MARGIN) for x, y in zip(xs, ys, strict=True)]


def pull_towards(wanted: list[float], spaces: list[float]) -> list[float]:
    """Heights y, in the given order with y[i + 1] - y[i] >= spaces[i], as close as can be to
    `wanted` (least squares). With offsets o_i, the space the nodes above node i need,
    z_i = y_i - o_i must not decrease; pooling adjacent violators finds the closest such z."""
    offsets = [0.0]
    for space in spaces:
        offsets.append(offsets[-1] + space)
    blocks: list[list[float]] = []  # [sum of targets, count]: pooled runs of z
    for target in (w - o for w, o in zip(wanted, offsets, strict=True)):
        blocks.append([target, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    zs = [total / count for total, count in blocks for _ in range(int(count))]
    return [z + o for z, o in zip(zs, offsets, strict=True)]
