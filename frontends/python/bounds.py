"""Launch ranges checked against view extents on the host, before a kernel runs.

A kernel that indexes a view with its loop variables directly (`y[i]`, `a[i, j + 1]`) touches
`extent` elements only if the policy's range fits: checked here from the kernel's source, so
`parallel_for(1500, k, y=buf[:1000])` is an error at the launch instead of a write past the end.
Only accesses every iteration certainly makes are checked: straight-line statements of the body,
before any `if`, `while` or early `return` that could guard them (`if i < n: y[i] = ...` stays
legal), and the same inside leading `for v in range(...)` loops whose bounds are constants or
scalar arguments (the launch knows them: `out[i][j]` over `j in range(size)` is checked for the
whole loop when the loop runs at all). Indices computed otherwise are not provable here;
HPCIR_CHECK_BOUNDS is the tool for those.
"""
from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hpcir.core.errors import ArgumentError, SourceLocation

from .kernel import Kernel

# Statements that make what follows them conditional, or whose parts run conditionally.
_GUARDS = (ast.If, ast.For, ast.While, ast.Return, ast.Break, ast.Continue, ast.Try, ast.With, ast.Match)
# Expressions whose operands run conditionally (short-circuit, ternary) or elsewhere (lambda).
_LAZY = (ast.IfExp, ast.BoolOp, ast.Lambda)


@dataclass(frozen=True)
class Loop:
    """`for var in range(start, stop, step)` with bounds known at the launch (int constants or scalar arguments)."""

    var: str
    start: ast.expr | None
    stop: ast.expr
    step: int


@dataclass(frozen=True)
class Access:
    """`view[..., index + offset, ...]` at dimension `dim`, made by every iteration (inside `loops`,
    which run whenever their ranges are not empty)."""

    view: str
    dim: int
    index: str
    offset: int
    node: ast.Subscript
    loops: tuple[Loop, ...] = ()


def _offset_of(node: ast.expr, names: set[str]) -> tuple[str, int] | None:
    """(loop variable, constant) when `node` is `i`, `i + c`, `c + i` or `i - c`."""
    if isinstance(node, ast.Name) and node.id in names:
        return node.id, 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        left, right = node.left, node.right
        const = lambda n: isinstance(n, ast.Constant) and type(n.value) is int  # noqa: E731
        if isinstance(left, ast.Name) and left.id in names and const(right):
            return left.id, right.value if isinstance(node.op, ast.Add) else -right.value
        if isinstance(node.op, ast.Add) and const(left) and isinstance(right, ast.Name) and right.id in names:
            return right.id, left.value
    return None


def _subscript_chain(node: ast.Subscript) -> tuple[str, list[ast.expr]] | None:
    """(view name, indices) of `v[i, j]` or `v[i][j]`."""
    indices: list[ast.expr] = []
    while isinstance(node, ast.Subscript):
        idx = node.slice
        parts = list(idx.elts) if isinstance(idx, ast.Tuple) else [idx]
        indices = parts + indices
        node = node.value  # type: ignore[assignment]
    if not isinstance(node, ast.Name) or any(isinstance(p, ast.Slice) for p in indices):
        return None
    return node.id, indices


def _eager_subscripts(node: ast.AST) -> list[ast.Subscript]:
    """The outermost subscripts `node` evaluates unconditionally (iterative: expressions may
    nest thousands deep)."""
    found: list[ast.Subscript] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, _LAZY):
            continue
        if isinstance(n, ast.Subscript):
            found.append(n)
            continue
        stack.extend(ast.iter_child_nodes(n))
    return found


def direct_accesses(kernel: Kernel, index_params: list[str], views: set[str]) -> list[Access]:
    """The accesses of `views` by `index_params` (plus a constant) that every iteration makes
    (computed once per kernel and argument names: launches in a loop ask again and again)."""
    cache = kernel.__dict__.setdefault("_direct_accesses", {})
    key = (tuple(index_params), frozenset(views))
    if key not in cache:
        cache[key] = _direct_accesses(kernel, index_params, views)
    return cache[key]


def _direct_accesses(kernel: Kernel, index_params: list[str], views: set[str]) -> list[Access]:
    # A loop variable or view rebound anywhere in the body is no longer what the launch passed.
    stores = Counter(n.id for n in ast.walk(kernel.tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    rebound = set(stores)
    params = {a.arg for a in kernel.tree.args.args}
    names = set(index_params) - rebound
    views = views - rebound
    found: list[Access] = []

    def bound(node: ast.expr) -> bool:
        # known at the launch: an int constant or a scalar argument the body never rebinds
        return (isinstance(node, ast.Constant) and type(node.value) is int) or \
            (isinstance(node, ast.Name) and node.id in params and node.id not in rebound
             and node.id not in index_params and node.id not in views)

    def loop_of(stmt: ast.For) -> Loop | None:
        # `for v in range(...)` with known bounds, v bound by this loop only, no `else`
        call, target = stmt.iter, stmt.target
        if not (isinstance(target, ast.Name) and stores[target.id] == 1 and target.id not in params
                and not stmt.orelse and isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "range" and "range" not in params and not call.keywords
                and 1 <= len(call.args) <= 3 and all(bound(a) for a in call.args[:2])):
            return None
        step = 1
        if len(call.args) == 3:
            arg = call.args[2]
            if not (isinstance(arg, ast.Constant) and type(arg.value) is int and arg.value > 0):
                return None
            step = arg.value
        start, stop = (None, call.args[0]) if len(call.args) == 1 else (call.args[0], call.args[1])
        return Loop(target.id, start, stop, step)

    def scan(body: list[ast.stmt], indices: set[str], loops: tuple[Loop, ...]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.For):
                loop = loop_of(stmt)
                if loop is not None:
                    scan(stmt.body, indices | {loop.var}, loops + (loop,))
                break  # what follows may be skipped by a `return` inside it
            if isinstance(stmt, _GUARDS):
                break  # what follows may be guarded by it
            for sub in _eager_subscripts(stmt):
                chain = _subscript_chain(sub)
                if chain is None or chain[0] not in views:
                    continue
                for dim, idx in enumerate(chain[1]):
                    hit = _offset_of(idx, indices)
                    if hit is not None:
                        found.append(Access(chain[0], dim, hit[0], hit[1], sub, loops))

    scan(kernel.tree.body, names, ())
    return found


def _loop_span(loop: Loop, args: dict[str, Any]) -> tuple[int, int] | None:
    """[first, last + 1) of the values `loop` takes at this launch (empty: first >= end); None if unknown."""
    def value(node: ast.expr | None) -> int | None:
        if node is None:
            return 0
        v = node.value if isinstance(node, ast.Constant) else args.get(node.id)  # type: ignore[attr-defined]
        try:
            return int(v) if not isinstance(v, bool) and int(v) == v else None
        except (TypeError, ValueError):
            return None
    start, stop = value(loop.start), value(loop.stop)
    if start is None or stop is None:
        return None
    if stop <= start:
        return start, start
    return start, start + (stop - 1 - start) // loop.step * loop.step + 1


def check_launch_bounds(kernel: Kernel, index_params: list[str], ranges: list[tuple[int, int]],
                        arrays: dict[str, Any], site: SourceLocation | None) -> None:
    """Refuse a launch whose range takes a direct view access outside the view's extents."""
    if not ranges or not index_params:
        return
    span = dict(zip(index_params, ranges))
    for acc in direct_accesses(kernel, index_params, {k for k, v in arrays.items() if len(getattr(v, "shape", ())) > 0}):
        spans = [_loop_span(loop, arrays) for loop in acc.loops]
        if any(sp is None or sp[1] <= sp[0] for sp in spans):
            continue  # a loop whose bounds are not plain ints here, or that does not run
        loop_spans = {loop.var: sp for loop, sp in zip(acc.loops, spans)}
        begin, end = loop_spans.get(acc.index) or span[acc.index]
        shape = getattr(arrays[acc.view], "shape", ())
        if end <= begin or acc.dim >= len(shape):
            continue  # an empty range touches nothing; a rank mismatch is reported elsewhere
        lo, hi, extent = begin + acc.offset, end - 1 + acc.offset, shape[acc.dim]
        if lo >= 0 and hi < extent:
            continue
        bad = lo if lo < 0 else hi
        where = kernel.loc(acc.node)
        runs = "a loop in the kernel runs" if acc.index in loop_spans else "the launch runs"
        raise ArgumentError(
            f"{runs} {acc.index} over [{begin}, {end}), so `{ast.unparse(acc.node)}` (at {where}) "
            f"reaches index {bad} of dimension {acc.dim} of `{acc.view}`, which has {extent} element(s) there",
            site, hint=f"launch over the view's extent (e.g. {acc.view}.shape[{acc.dim}]), pass a larger array, "
                       f"or guard the access with `if`")
