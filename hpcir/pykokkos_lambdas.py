"""PyKokkos' lambda workunits: `parallel_for(n, lambda i: expr, view)` stores expr into view[i],
`parallel_reduce(n, lambda i, acc: acc + expr)` sums expr; each lambda becomes an hpcir kernel."""
from __future__ import annotations

import ast
import copy
import hashlib
import inspect
import linecache
from typing import Any

from hpcir.core.errors import HpcirError, KernelSyntaxError, user_call_site

from .frontends.python.kernel import Kernel, _LiveNames

_KERNELS: dict[tuple[Any, str, frozenset, bool], "LambdaKernel"] = {}


def is_lambda(obj: Any) -> bool:
    """A Python lambda (not a def, a workunit or a bound method)."""
    return inspect.isfunction(obj) and obj.__name__ == "<lambda>"


def _find(fn: Any, tree: ast.AST, line0: int, col0: int) -> ast.Lambda | None:
    """The lambda node of `fn` in the parsed fragment: the one whose body holds the code's positions
    (a line may hold several lambdas; Python records each instruction's column)."""
    spots = {(ln, c) for ln, _, c, ec in fn.__code__.co_positions()  # (0, 0): the frame's set-up
             if ln is not None and c is not None and ec is not None and ec > c}
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda):
            b = node.body
            start = (b.lineno + line0, b.col_offset + col0)
            end = (b.end_lineno + line0, b.end_col_offset + col0)  # type: ignore[operator]
            if spots and all(start <= s <= end for s in spots):
                return node
    return None


def _terms(node: ast.expr, sign: int = 1) -> list[tuple[int, ast.expr]]:
    """The signed terms of a chain of + and - (`a + b - c`: +a, +b, -c)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        return _terms(node.left, sign) + _terms(node.right, sign if isinstance(node.op, ast.Add) else -sign)
    return [(sign, node)]


def _without_acc(body: ast.expr, acc: str) -> ast.expr | None:
    """The value a reduce lambda adds: its sum without the one `+acc` term (`acc + x - y`: x - y),
    or None when the body is not such a sum."""
    terms = _terms(body)
    at = [k for k, (sg, t) in enumerate(terms) if isinstance(t, ast.Name) and t.id == acc]
    rest = [st for k, st in enumerate(terms) if k not in at]
    if len(at) != 1 or terms[at[0]][0] != 1 or not rest or \
            any(isinstance(n, ast.Name) and n.id == acc for _, t in rest for n in ast.walk(t)):
        return None
    sign, out = rest[0]
    if sign < 0:
        out = ast.copy_location(ast.UnaryOp(ast.USub(), out), out)
    for sg, t in rest[1:]:
        out = ast.copy_location(ast.BinOp(out, ast.Add() if sg > 0 else ast.Sub(), t), t)
    return out


class LambdaKernel(Kernel):
    """A lambda as a kernel: its index (and accumulator) parameters, then one parameter per captured
    value (`self.x` of the enclosing object, a local of the enclosing function), then the output view."""

    def __init__(self, fn: Any, kind: str, aliased: frozenset = frozenset(), stores: bool = True) -> None:
        self.fn, self.reducer, self.adjoint, self.rank, self.ordered = fn, None, None, None, False
        self.name = f"pk_lambda_{fn.__code__.co_firstlineno}"
        self.filename = inspect.getsourcefile(fn) or "<unknown>"
        site = user_call_site()
        try:  # the whole file: a lambda may sit on a continuation line of a longer call
            text = "".join(linecache.getlines(self.filename)) or inspect.getsource(inspect.getmodule(fn))
            fragment = ast.parse(text)
        except (OSError, TypeError, SyntaxError):
            raise HpcirError("cannot read the source of this lambda", site,
                             hint="write the workunit as a def decorated with @pk.workunit") from None
        self.line_offset, self.col_offset = 0, 0
        lam = _find(fn, fragment, self.line_offset, self.col_offset)
        if lam is None:
            raise HpcirError("cannot find this lambda in its source line", site,
                             hint="write the workunit as a def decorated with @pk.workunit")
        params = [a.arg for a in lam.args.args]
        want = {"for": 1, "reduce": 2}.get(kind)
        if want is None:
            raise HpcirError(f"lambdas are workunits of parallel_for and parallel_reduce, not parallel_{kind}", site,
                             hint="write the workunit as a def decorated with @pk.workunit")
        if len(params) != want or lam.args.vararg or lam.args.kwarg or lam.args.kwonlyargs:
            shape = "lambda i: value" if kind == "for" else "lambda i, acc: acc + value"
            raise KernelSyntaxError(f"a parallel_{kind} lambda takes {want} parameter(s): {shape}", self.loc(lam))
        body = copy.deepcopy(lam.body)
        self.captures: dict[str, tuple[str, str | None]] = {}  # parameter -> (free name, attribute or None)
        taken = set(params) | {n.id for n in ast.walk(body) if isinstance(n, ast.Name)}
        cells = dict(zip(fn.__code__.co_freevars, range(len(fn.__code__.co_freevars))))
        kernel = self

        class Capture(ast.NodeTransformer):
            """`self.x` and other captured locals become parameters (read from the closure at launch)."""

            def param(self, name: str, attr: str | None, node: ast.AST) -> ast.Name:
                if (name, attr) in aliased:  # the output view itself (`lambda i: self.v[i] + 1, self.v`)
                    return ast.copy_location(ast.Name(kernel.out_name, ast.Load()), node)
                for p, key in kernel.captures.items():
                    if key == (name, attr):
                        return ast.copy_location(ast.Name(p, ast.Load()), node)
                p = name if attr is None else (attr if attr not in taken else f"{name}_{attr}")
                while p in kernel.captures or (attr is not None and p in taken):
                    p += "_"
                kernel.captures[p] = (name, attr)
                taken.add(p)
                return ast.copy_location(ast.Name(p, ast.Load()), node)

            def visit_Attribute(self, node: ast.Attribute) -> Any:
                if isinstance(node.value, ast.Name) and node.value.id in cells:
                    return self.param(node.value.id, node.attr, node)
                return self.generic_visit(node)

            def visit_Name(self, node: ast.Name) -> Any:
                if node.id in cells and node.id not in params:
                    return self.param(node.id, None, node)
                return node

        self.stores, self.reduces = kind == "for" and stores, kind == "reduce"
        if self.stores:
            self.out_name = "out" if "out" not in taken else "out_"
            taken.add(self.out_name)
        if kind == "reduce":  # acc + value: the value each index adds to the sum
            acc = params[1]
            value = _without_acc(body, acc)
            if value is None:
                raise KernelSyntaxError(f"a parallel_reduce lambda returns `{acc} + value` (a sum)", self.loc(lam.body),
                                        hint="write the workunit as a def with pk.Acc for other reductions")
            stmt: ast.stmt = ast.AugAssign(ast.Name(acc, ast.Store()), ast.Add(), Capture().visit(value))
        else:  # the value of index i, stored into the launch's view
            if not stores:  # `lambda i: pk.printf(...)` with no view after it: the body is the statement
                stmt = ast.Expr(Capture().visit(body))
            else:
                target = ast.Subscript(ast.Name(self.out_name, ast.Load()), ast.Name(params[0], ast.Load()),
                                       ast.Store())
                stmt = ast.Assign([target], Capture().visit(body))
        ast.fix_missing_locations(ast.copy_location(stmt, lam.body))
        for n in ast.walk(stmt):
            if not hasattr(n, "lineno") or n.lineno is None:
                ast.copy_location(n, lam.body)
        args = [ast.copy_location(ast.arg(p), lam) for p in params + list(self.captures)]
        if self.stores:
            args.append(ast.copy_location(ast.arg(self.out_name), lam))
        self.tree = ast.FunctionDef(self.name, ast.arguments([], args, None, [], [], None, []), [stmt], [], None)
        ast.copy_location(self.tree, lam)
        self._check_ascii_names(self.tree)
        self.cpp_conversions = True  # PyKokkos' C++ conversions (a float stored into an int view truncates)
        self.source_hash = hashlib.sha256((self.filename + ast.unparse(self.tree)).encode()).hexdigest()
        self.global_names = sorted({n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)})
        self._written = None
        self._index_rank = None
        self.globals = _LiveNames(fn)
        self.params = [self._param(a) for a in self._all_args()]
        self.returns = None

    def captured(self, fn: Any) -> dict[str, Any]:
        """The captured values by parameter, read now."""
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        out: dict[str, Any] = {}
        for p, (name, attr) in self.captures.items():
            value = cells[name].cell_contents
            out[p] = getattr(value, attr) if attr is not None else value
        return out

    def arguments(self, fn: Any, views: tuple) -> dict[str, Any]:
        """The launch's keyword arguments: the captured values and the output view."""
        out = self.captured(fn)
        if self.stores:
            if len(views) != 1:
                raise HpcirError(f"a parallel_for lambda stores into one view, passed after it; got {len(views)}",
                                 user_call_site(), hint="pk.parallel_for(n, lambda i: value, view)")
            out[self.out_name] = views[0]
        elif views:
            raise HpcirError(f"a {'parallel_reduce ' if self.reduces else ''}lambda that stores nothing takes no "
                             "view after it", user_call_site())
        return out


def lambda_launch(fn: Any, kind: str, views: tuple) -> tuple[Kernel, dict[str, Any]]:
    """The kernel of a lambda workunit (built once per lambda) and its launch arguments."""
    stores = kind == "for" and bool(views)
    k = _kernel(fn, kind, frozenset(), stores)
    if stores and len(views) == 1:  # a captured view that is the output: read it as the output
        aliased = frozenset(k.captures[p] for p, v in k.captured(fn).items() if v is views[0])
        k = _kernel(fn, kind, aliased, stores) if aliased else k
    return k, k.arguments(fn, views)


def _kernel(fn: Any, kind: str, aliased: frozenset, stores: bool) -> LambdaKernel:
    key = (fn.__code__, kind, aliased, stores)
    k = _KERNELS.get(key)
    if k is None:
        k = _KERNELS[key] = LambdaKernel(fn, kind, aliased, stores)
    return k
