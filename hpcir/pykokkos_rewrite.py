"""Source rewrites that give PyKokkos' kernel-language details hpcir's meaning (on a copy of the AST).

- `nonlocal x` in a nested function: dropped, since hpcir's nested functions already share the
  enclosing kernel's variables (the statement only matters to Python);
- `range(a, b, step)` with a step only known at run time: a unit-step loop over the trip count,
  the index computed as a + t * step (the trip count follows Python: none when step is 0);
- `x: List[int] = [a, b]` read only as `x[0]`, `x[1]`: one scalar local per element (`x_0`, `x_1`);
  a list indexed otherwise is left alone, and the kernel frontend reports it.
"""
from __future__ import annotations

import ast
import copy


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


def rewrite(tree: ast.FunctionDef) -> ast.FunctionDef | None:
    """A rewritten copy of a kernel's AST, or None when nothing needed rewriting."""
    fresh = copy.deepcopy(tree)
    r = _Rewrite()
    fresh.body = [x for s in fresh.body for x in _as_list(r.visit(s))]
    lists = _small_lists(fresh)
    if lists:
        lt = _Lists(lists)
        fresh.body = [x for s in fresh.body for x in _as_list(lt.visit(s))]
    return fresh if r.changed or lists else None


def _as_list(x: ast.AST | list[ast.AST]) -> list[ast.AST]:
    return x if isinstance(x, list) else [x]
