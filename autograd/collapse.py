"""Which Values a drawing shows one by one, and which it folds into summary boxes.

Past a few hundred boxes a drawing is unreadable and slow to lay out, so past `max_nodes`
boxes some Values are folded. Scopes go first (a scope is a unit the user named, such as a
module): the innermost level first, and within a level the scopes that save the most boxes.
If that is not enough (or there are no scopes), the boxes nearest the output stay and
everything farther away becomes one "rest of the graph" box. `draw_graph` and the stepper
both plan their drawings here, from the same `topological_order`.
"""

from __future__ import annotations

from collections import Counter

from autograd.value import Value

Scope = tuple[str, ...]

# The group key of the "rest of the graph" box: the empty scope prefix, which holds everything.
REST: Scope = ()


# Plain classes rather than dataclasses: `import autograd` runs this module, and making a
# dataclass generates and compiles its methods (about 0.5 ms each).
class Group:
    """Values folded into one summary box (compared by identity: one object per box)."""

    __slots__ = ("key", "values")

    def __init__(self, key: Scope) -> None:
        self.key = key  # the folded scope, or REST
        self.values: list[Value] = []

    @property
    def container(self) -> Scope:
        """The scope whose cluster holds the summary box."""
        return self.key[:-1]


class Plan:
    """Every Value behind the root (inputs before outputs) and how the drawing shows it."""

    __slots__ = ("folded_scopes", "group_of", "scope_of", "values")

    def __init__(self, values: list[Value], scope_of: dict[Value, Scope],
                 group_of: dict[Value, Group], folded_scopes: frozenset[Scope]) -> None:
        self.values = values
        self.scope_of = scope_of  # the scope each Value is drawn in (see `drawn_scopes`)
        self.group_of = group_of  # the summary box of each folded Value
        self.folded_scopes = folded_scopes

    @property
    def groups(self) -> list[Group]:
        """The summary boxes, in the order of their first Value."""
        return list(dict.fromkeys(self.group_of.values()))

    def visible_scope(self, scope: Scope) -> Scope:
        """`scope` cut just before its outermost folded part: the cluster a box is drawn in."""
        for depth in range(1, len(scope) + 1):
            if scope[:depth] in self.folded_scopes:
                return scope[:depth - 1]
        return scope


def topological_order(root: Value) -> list[Value]:
    """Every Value behind `root`, each after its inputs (inputs in argument order), iteratively:
    graphs can be far deeper than Python's recursion limit."""
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        value, inputs_done = stack.pop()
        if inputs_done:
            order.append(value)
        elif value not in seen:
            seen.add(value)
            stack.append((value, True))
            stack.extend((p, False) for p in reversed(value.parents) if p not in seen)
    return order


def plan_drawing(values: list[Value], root: Value, max_nodes: int | None) -> Plan:
    """Decide which of `values` (every Value behind `root`, inputs first) to fold so that at
    most `max_nodes` boxes are drawn. `root` is always drawn by itself."""
    scope_of = drawn_scopes(values)
    if max_nodes is None or len(values) <= max_nodes:
        return Plan(values, scope_of, {}, frozenset())
    nearness = {value: i for i, value in enumerate(breadth_first(root))}
    folded = fold_scopes(values, root, scope_of, nearness, max_nodes)
    key_of: dict[Value, Scope] = {}
    for value in values:
        scope = scope_of[value]
        if value is not root:
            for depth in range(1, len(scope) + 1):
                if scope[:depth] in folded:
                    key_of[value] = scope[:depth]
                    break
    boxes = len(values) - len(key_of) + len(set(key_of.values()))
    if boxes > max_nodes:
        fold_far_boxes(values, root, nearness, key_of, keep=max_nodes - 1)
    groups: dict[Scope, Group] = {}
    group_of = {}
    for value in values:
        key = key_of.get(value)
        if key is not None:
            group = groups.setdefault(key, Group(key))
            group.values.append(value)
            group_of[value] = group
    return Plan(values, scope_of, group_of, frozenset(folded))


def drawn_scopes(values: list[Value]) -> dict[Value, Scope]:
    """The scope each Value is drawn in: its own `.scope`, except for a parameter (a leaf that
    requires grad) made outside the scope where it is used, which is drawn in the innermost
    scope that holds all its uses. So a module's weights, made in `__init__`, appear in the
    frame of the module's forward."""
    uses: dict[Value, Scope] = {}  # the longest scope prefix shared by a Value's consumers
    for value in values:
        for parent in value.parents:
            uses[parent] = shared_prefix(uses.get(parent, value.scope), value.scope)
    scope_of = {}
    for value in values:
        scope = value.scope
        if not value.parents and value.requires_grad:
            used = uses.get(value, scope)
            if used[:len(scope)] == scope:
                scope = used
        scope_of[value] = scope
    return scope_of


def shared_prefix(a: Scope, b: Scope) -> Scope:
    depth = 0
    while depth < min(len(a), len(b)) and a[depth] == b[depth]:
        depth += 1
    return a[:depth]


def breadth_first(root: Value) -> list[Value]:
    """The Values behind `root`, nearest first (inputs in argument order)."""
    order = [root]
    seen = {root}
    for value in order:  # the list grows while it is read: a queue without pops
        for parent in value.parents:
            if parent not in seen:
                seen.add(parent)
                order.append(parent)
    return order


def fold_scopes(values: list[Value], root: Value, scope_of: dict[Value, Scope],
                nearness: dict[Value, int], max_nodes: int) -> set[Scope]:
    """The scopes to fold, innermost level first and, within a level, the scope whose nearest
    Value is farthest from the output first, until at most `max_nodes` boxes remain or no
    scope is left. Returns every folded scope, nested ones too."""
    boxes_inside: Counter[Scope] = Counter()  # boxes drawn for the Values inside each scope
    nearest: dict[Scope, int] = {}  # the nearness of the scope's Value nearest the output
    for value in values:
        if value is root:
            continue
        for depth in range(1, len(scope_of[value]) + 1):
            prefix = scope_of[value][:depth]
            boxes_inside[prefix] += 1
            nearest[prefix] = min(nearest.get(prefix, len(values)), nearness[value])
    boxes = len(values)
    folded: set[Scope] = set()
    deepest = max((len(prefix) for prefix in boxes_inside), default=0)
    for depth in range(deepest, 0, -1):
        level = sorted((prefix for prefix in boxes_inside if len(prefix) == depth),
                       key=nearest.__getitem__, reverse=True)
        for prefix in level:
            if boxes <= max_nodes:
                return folded
            saving = boxes_inside[prefix] - 1
            if saving <= 0:
                continue
            folded.add(prefix)
            boxes -= saving
            for outer in range(1, depth + 1):
                boxes_inside[prefix[:outer]] -= saving
    return folded


def fold_far_boxes(values: list[Value], root: Value, nearness: dict[Value, int],
                   key_of: dict[Value, Scope], keep: int) -> None:
    """Keep the `keep` boxes nearest the root and put every Value of the others into the REST
    group (updates `key_of`). A folded scope is as near as its nearest Value."""
    rank: dict[object, int] = {}  # box (a Value or a folded scope) -> its place, nearest first
    for value in sorted(values, key=nearness.__getitem__):
        rank.setdefault(key_of.get(value, value), len(rank))
    for value in values:
        if value is not root and rank[key_of.get(value, value)] >= keep:
            key_of[value] = REST
