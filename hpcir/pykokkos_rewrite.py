"""Source rewrites that give PyKokkos' kernel-language details hpcir's meaning (on a copy of the AST).

- `nonlocal x` in a nested function: dropped, since hpcir's nested functions already share the
  enclosing kernel's variables (the statement only matters to Python);
- `range(a, b, step)` with a step only known at run time: a unit-step loop over the trip count,
  the index computed as a + t * step (the trip count follows Python: none when step is 0);
- `x: List[int] = [a, b]` read only as `x[0]`, `x[1]`: one scalar local per element (`x_0`, `x_1`);
  a list indexed otherwise is left alone, and the kernel frontend reports it;
- `parallel_for(TeamThreadMDRange(team, n0, n1), f)` with `def f(i0, i1, ...)` nested in the kernel
  (also ThreadVectorMDRange, TeamVectorMDRange and parallel_reduce): a one-dimensional
  TeamThreadRange over n0 * n1 whose function computes i0, i1 from the collapsed index (Kokkos
  gives no order to an MDRange's iterations either);
- `row = A[j, :]` (ints and `a:b` slices, as PyKokkos' `Kokkos::subview`), bound once and then only
  indexed (`row[k]`, loads and stores) or asked `row.extent(d)`: each use becomes an element of `A`
  (`A[j, k]`), the ints and slice starts bound to locals where the subview is made, so later changes
  of `j` do not move it. Other uses are left alone, and the kernel frontend reports them;
- `@pk.classtype` objects made in the kernel: one local per field, methods inlined (pykokkos_classtypes);
- `acc.min_val`, `acc.max_loc`, `acc.val`, ... of a pk.MinMax / MinMaxLoc / MaxLoc / MinLoc accumulator: one
  accumulator per field (pykokkos_accfields).
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from typing import Any

from .pykokkos_accfields import split_field_accumulators
from .pykokkos_classtypes import expand


def _const_step(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant)


class _Rewrite(ast.NodeTransformer):
    def __init__(self) -> None:
        self.changed = False
        self.count = 0

    def visit_Nonlocal(self, node: ast.Nonlocal) -> ast.AST:
        self.changed = True
        return ast.copy_location(ast.Pass(), node)

    def visit_For(self, node: ast.For) -> ast.AST | list[ast.AST]:
        self.generic_visit(node)
        it = node.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
                and len(it.args) == 3 and not it.keywords and not _const_step(it.args[2])
                and isinstance(node.target, ast.Name) and not node.orelse):
            return node
        self.changed = True
        n = self.count
        self.count += 1
        lo, step, trips, t = (f"pk_range{n}_{s}" for s in ("lo", "step", "trips", "t"))
        a, b, s = (ast.unparse(x) for x in it.args)
        src = (f"{lo} = {a}\n{step} = {s}\n"
               f"{trips} = ({b} - {lo} + {step} - 1) // {step} if {step} > 0 else "
               f"(({lo} - ({b}) - {step} - 1) // (-{step}) if {step} < 0 else 0)\n"
               f"for {t} in range({trips}):\n    {node.target.id} = {lo} + {t} * {step}\n")
        new = ast.parse(src).body
        new[-1].body += node.body  # type: ignore[attr-defined]
        for stmt in new:  # errors inside point at the user's loop
            for sub in ast.walk(stmt):
                if sub not in node.body and not any(sub is x for b_ in node.body for x in ast.walk(b_)):
                    ast.copy_location(sub, node)
        return new


def _small_lists(tree: ast.FunctionDef) -> dict[str, int]:
    """Locals `x: List[...] = [e0, e1, ...]` assigned once and only read as x[<int constant>]."""
    lists: dict[str, int] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and isinstance(n.value, ast.List) and \
                "List" in ast.unparse(n.annotation):
            lists[n.target.id] = -1 if n.target.id in lists else len(n.value.elts)
    ok_uses = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in lists and \
                isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, int) and \
                0 <= n.slice.value < lists[n.value.id] and isinstance(n.ctx, ast.Load):
            ok_uses.add(id(n.value))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in lists and isinstance(n.ctx, ast.Load) and id(n) not in ok_uses:
            lists[n.id] = -1
    return {k: v for k, v in lists.items() if v >= 0}


class _Lists(ast.NodeTransformer):
    def __init__(self, lists: dict[str, int]) -> None:
        self.lists = lists

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | list[ast.AST]:
        if isinstance(node.target, ast.Name) and node.target.id in self.lists and isinstance(node.value, ast.List):
            return [ast.copy_location(ast.Assign([ast.Name(f"{node.target.id}_{k}", ast.Store())],
                                                 self.visit(e)), node) for k, e in enumerate(node.value.elts)]
        return self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id in self.lists and isinstance(node.slice, ast.Constant):
            return ast.copy_location(ast.Name(f"{node.value.id}_{node.slice.value}", ast.Load()), node)
        return self.generic_visit(node)


_MD_RANGES = {"TeamThreadMDRange": "TeamThreadRange", "ThreadVectorMDRange": "ThreadVectorRange",
              "TeamVectorMDRange": "TeamVectorRange"}
_NESTED_LAUNCHES = ("parallel_for", "parallel_reduce")


def _name_of(f: ast.expr) -> str | None:
    return f.id if isinstance(f, ast.Name) else (f.attr if isinstance(f, ast.Attribute) else None)


def _md_launch(value: ast.expr | None) -> ast.Call | None:
    """`parallel_for(TeamThreadMDRange(team, n0, ...), f)` (or parallel_reduce) with f a name."""
    if isinstance(value, ast.Call) and _name_of(value.func) in _NESTED_LAUNCHES and len(value.args) == 2 and \
            isinstance(value.args[0], ast.Call) and _name_of(value.args[0].func) in _MD_RANGES and \
            len(value.args[0].args) >= 3 and not value.args[0].keywords and isinstance(value.args[1], ast.Name):
        return value
    return None


class _MDRanges:
    """Multi-dimensional team ranges as one-dimensional ones over the collapsed index space."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = False

    def block(self, stmts: list[ast.stmt], defs: dict[str, ast.FunctionDef]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        defs = dict(defs)
        for st in stmts:
            if isinstance(st, ast.FunctionDef):
                defs[st.name] = st
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(st, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(st, field, self.block(inner, defs))
            value = st.value if isinstance(st, (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)) else None
            call = _md_launch(value)
            fdef = defs.get(call.args[1].id) if call is not None else None  # type: ignore[union-attr]
            if call is not None and fdef is not None and len(fdef.args.args) >= len(call.args[0].args) - 1:
                out.extend(self.collapse(st, call, fdef))
            out.append(st)
        return out

    def collapse(self, st: ast.stmt, call: ast.Call, fdef: ast.FunctionDef) -> list[ast.stmt]:
        """The extents bound to locals and the collapsed function; `call` is changed in place."""
        self.changed = True
        n, md = self.count, call.args[0]
        self.count += 1
        assert isinstance(md, ast.Call)
        team, extents = md.args[0], md.args[1:]
        ext = [f"pk_md{n}_n{d}" for d in range(len(extents))]
        k = f"pk_md{n}_k"
        indices = [a.arg for a in fdef.args.args[:len(extents)]]
        src = "".join(f"{e}: int = {ast.unparse(x)}\n" for e, x in zip(ext, extents))
        rest = ", ".join(ast.unparse(a) for a in fdef.args.args[len(extents):])
        src += f"def {fdef.name}_md{n}({k}: int{', ' + rest if rest else ''}):\n"
        for d, name in enumerate(indices):  # row-major: the last index varies fastest
            stride = " * ".join(ext[d + 1:])
            q = f"({k} // ({stride}))" if stride else k
            src += f"    {name}: int = {q} % {ext[d]}\n" if d else f"    {name}: int = {q}\n"
        new = ast.parse(src).body
        for stmt in new:
            for sub in ast.walk(stmt):
                ast.copy_location(sub, st)
        new[-1].body += copy.deepcopy(fdef.body)  # type: ignore[attr-defined]
        total: ast.expr = ast.Name(ext[0], ast.Load())
        for e in ext[1:]:
            total = ast.BinOp(total, ast.Mult(), ast.Name(e, ast.Load()))
        one_d = copy.deepcopy(md.func)
        if isinstance(one_d, ast.Attribute):
            one_d.attr = _MD_RANGES[one_d.attr]
        else:
            assert isinstance(one_d, ast.Name)
            one_d.id = _MD_RANGES[one_d.id]
        call.args = [ast.copy_location(ast.Call(one_d, [team, total], []), md),
                     ast.copy_location(ast.Name(f"{fdef.name}_md{n}", ast.Load()), call.args[1])]
        ast.fix_missing_locations(call)
        return new


def _subview_of(value: ast.expr | None) -> list[ast.expr] | None:
    """The index list of `V[i, a:b, ...]` with at least one step-less slice, else None."""
    if not (isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Tuple)):
        return None
    elts = value.slice.elts
    if not any(isinstance(e, ast.Slice) for e in elts) or any(isinstance(e, ast.Slice) and e.step for e in elts):
        return None
    return list(elts)


class _Subviews(ast.NodeTransformer):
    """Subviews made inside a kernel, read and written as elements of the view they slice."""

    def __init__(self, tree: ast.FunctionDef) -> None:
        self.subs: dict[str, tuple[int, ast.Subscript]] = {}
        stores: dict[str, int] = {}
        made: dict[str, ast.Subscript] = {}
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                stores[n.id] = stores.get(n.id, 0) + 1
            if isinstance(n, (ast.Assign, ast.AnnAssign)):
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                if len(targets) == 1 and isinstance(targets[0], ast.Name) and _subview_of(n.value) is not None:
                    made[targets[0].id] = n.value  # type: ignore[assignment]
        ok = {name for name, sub in made.items() if stores.get(name) == 1}
        rank = {name: sum(isinstance(e, ast.Slice) for e in _subview_of(made[name]) or []) for name in ok}
        indexed: set[int] = set()
        for n in ast.walk(tree):  # uses other than x[k0, ...] with the subview's rank, or x.extent(d)
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in ok:
                k = len(n.slice.elts) if isinstance(n.slice, ast.Tuple) else 1
                if k == rank[n.value.id] and not any(isinstance(e, ast.Slice) for e in ast.walk(n.slice)):
                    indexed.add(id(n.value))
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "extent" and \
                    isinstance(n.func.value, ast.Name) and n.func.value.id in ok and len(n.args) == 1 and \
                    isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, int):
                indexed.add(id(n.func.value))
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and n.id in ok and isinstance(n.ctx, ast.Load) and id(n) not in indexed:
                ok.discard(n.id)
        self.subs = {name: (k, made[name]) for k, name in enumerate(sorted(ok))}

    def _local(self, name: str, d: int, what: str) -> ast.Name:
        return ast.Name(f"pk_sub{self.subs[name][0]}_{what}{d}", ast.Load())

    def visit_Assign(self, node: ast.Assign) -> ast.AST | list[ast.AST]:
        return self._bind(node, node.targets[0]) if len(node.targets) == 1 else self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | list[ast.AST]:
        return self._bind(node, node.target)

    def _bind(self, node: ast.stmt, target: ast.expr) -> ast.AST | list[ast.AST]:
        if not (isinstance(target, ast.Name) and target.id in self.subs and node.value is self.subs[target.id][1]):
            return self.generic_visit(node)
        name, sub = target.id, self.subs[target.id][1]
        out: list[ast.AST] = []
        for d, e in enumerate(_subview_of(sub) or []):  # the subview's position, fixed where it is made
            if isinstance(e, ast.Slice):
                lo = self.visit(copy.deepcopy(e.lower)) if e.lower else ast.Constant(0)
                hi = self.visit(copy.deepcopy(e.upper)) if e.upper else ast.Call(
                    ast.Attribute(copy.deepcopy(sub.value), "extent", ast.Load()), [ast.Constant(d)], [])
                out.append(ast.AnnAssign(self._local(name, d, "lo"), ast.Name("int", ast.Load()), lo, 1))
                out.append(ast.AnnAssign(self._local(name, d, "n"), ast.Name("int", ast.Load()),
                                         ast.BinOp(hi, ast.Sub(), self._local(name, d, "lo")), 1))
            else:
                out.append(ast.AnnAssign(self._local(name, d, "i"), ast.Name("int", ast.Load()),
                                         self.visit(copy.deepcopy(e)), 1))
        for st in out:
            st.target.ctx = ast.Store()  # type: ignore[attr-defined]
            for x in ast.walk(st):
                ast.copy_location(x, node)
        return out

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if not (isinstance(node.value, ast.Name) and node.value.id in self.subs):
            return self.generic_visit(node)
        name, sub = node.value.id, self.subs[node.value.id][1]
        given = iter(node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice])
        full: list[ast.expr] = []
        for d, e in enumerate(_subview_of(sub) or []):
            if isinstance(e, ast.Slice):
                full.append(ast.BinOp(self._local(name, d, "lo"), ast.Add(), self.visit(next(given))))
            else:
                full.append(self._local(name, d, "i"))
        new = ast.Subscript(copy.deepcopy(sub.value), ast.Tuple(full, ast.Load()), node.ctx)
        for x in ast.walk(new):
            ast.copy_location(x, node)
        return new

    def visit_Call(self, node: ast.Call) -> ast.AST:
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "extent" and isinstance(f.value, ast.Name) and \
                f.value.id in self.subs and isinstance(node.args[0], ast.Constant):
            sub = self.subs[f.value.id][1]
            axes = [d for d, e in enumerate(_subview_of(sub) or []) if isinstance(e, ast.Slice)]
            if node.args[0].value < len(axes):
                return ast.copy_location(self._local(f.value.id, axes[node.args[0].value], "n"), node)
        return self.generic_visit(node)


def rewrite(tree: ast.FunctionDef, names: Any = None,
            loc: Callable[[ast.AST], Any] | None = None) -> ast.FunctionDef | None:
    """A rewritten copy of a kernel's AST, or None when nothing needed rewriting (`names`: the kernel's
    free names, to find @pk.classtype classes; `loc`: the location of a node, for errors)."""
    fresh = copy.deepcopy(tree)
    fields = split_field_accumulators(fresh)
    objects = names is not None and loc is not None and expand(fresh, names, loc)
    md = _MDRanges()
    fresh.body = md.block(fresh.body, {})
    r = _Rewrite()
    r.changed = md.changed
    fresh.body = [x for s in fresh.body for x in _as_list(r.visit(s))]
    lists = _small_lists(fresh)
    if lists:
        lt = _Lists(lists)
        fresh.body = [x for s in fresh.body for x in _as_list(lt.visit(s))]
    subviews = _Subviews(fresh)
    if subviews.subs:
        fresh.body = [x for s in fresh.body for x in _as_list(subviews.visit(s))]
    return fresh if fields or objects or r.changed or lists or subviews.subs else None


def _as_list(x: ast.AST | list[ast.AST]) -> list[ast.AST]:
    return x if isinstance(x, list) else [x]
