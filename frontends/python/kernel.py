"""The `Kernel` object behind @hpcir.kernel: the parsed source, its location and its annotations."""
from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
from dataclasses import dataclass
from collections.abc import Iterator, Mapping
from typing import Any, Callable

from hpcir.core.errors import HpcirError, KernelSyntaxError, SourceLocation, user_call_site

from .annotations import annotation_to_type
from .types import KernelType


@dataclass
class Param:
    """One kernel parameter: its name, its annotated kernel type (if any) and its AST node."""

    name: str
    annotation: KernelType | None
    node: ast.arg


class Kernel:
    """A Python function written in the kernel language, with what the frontend needs to lower it."""

    def __init__(self, fn: Callable[..., Any], rank: int | None = None, name: str | None = None,
                 reducer: str | tuple[str, ...] | None = None, adjoint: Any = None, ordered: bool = False):
        self.fn = fn
        # Reductions and scans in sequential order: float sums/products are not split into vector
        # lanes (docs/reductions-and-scans.md, "Order and speed").
        self.ordered = bool(ordered)
        self.reducer = reducer  # default reducer(s) of a reduction kernel, one per accumulator (sum when None)
        self.adjoint = adjoint  # the kernel computing its vector-Jacobian product (hpcir.as_jax / as_torch)
        self.name = name or fn.__name__
        self.rank = rank  # number of index parameters when no policy says (hpcir lower); else index_rank()
        self.filename = inspect.getsourcefile(fn) or "<unknown>"
        try:
            lines, first = inspect.getsourcelines(fn)
        except OSError as err:
            raise HpcirError(f"cannot read the source of kernel {fn.__name__!r}: {err}", user_call_site(),
                             hint="define kernels in a .py file (not in an interactive prompt)") from None
        raw = "".join(lines)
        dedented = textwrap.dedent(raw)
        # Column offset removed by dedent, to report columns of the original file.
        self.col_offset = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
        self.line_offset = first - 1
        module = ast.parse(dedented)
        fdef = module.body[0]
        if not isinstance(fdef, ast.FunctionDef):
            raise KernelSyntaxError("@hpcir.kernel must decorate a plain `def` function",
                                    self.loc(fdef))
        self.tree: ast.FunctionDef = fdef
        self._check_ascii_names(fdef)
        # Launch-time cache keys: computed once here, not on every launch.
        self.source_hash = hashlib.sha256(dedented.encode()).hexdigest()
        self.global_names = sorted({n.id for n in ast.walk(fdef) if isinstance(n, ast.Name)})
        self._written: set[str] | None = None
        self._const_names: tuple[list[str], list[str]] | None = None  # (global_names, those read from outside)
        self._index_rank: tuple[int, ast.Subscript | None] | None = None
        # Names are looked up when the kernel is lowered, not when it is defined: a device function
        # may call one defined later in the file (closure cells first, then the module).
        self.globals: _LiveNames = _LiveNames(fn)
        self.params = [self._param(a) for a in self._all_args()]
        self.returns = self._eval_annotation(fdef.returns) if fdef.returns is not None else None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Calling a kernel from Python runs it as Python (useful for debugging a device function).
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<hpcir.kernel {self.name} at {self.filename}:{self.line_offset + 1}>"

    def const_globals(self) -> tuple[tuple[str, Any], ...]:
        """The free names of the body bound now to an int, float or bool (closure cells first), which
        the compiled code inlines: part of a launch's cache key, so it reads no more than it must."""
        names, live = self.global_names, self.globals
        if type(live) is not _LiveNames:  # an overlay (pykokkos rewrites): read through it, as the lowering does
            return tuple((n, v) for n in names if isinstance(v := live.get(n), (int, float, bool)))
        cached = self.__dict__.get("_const_names")
        if cached is None or cached[0] is not names:  # names the body reads from outside: not its locals
            fn = live._fn
            plain = type(self) is Kernel and not hasattr(fn, "__wrapped__")  # the tree is fn's own source
            outside = _outside_names(fn.__code__) if plain else None
            cached = self._const_names = (names, [n for n in names if outside is None or n in outside])
        fn = live._fn
        module = fn.__globals__
        cells = live.closure() if fn.__closure__ else None
        out = []
        for name in cached[1]:
            value = cells.get(name, _UNSET) if cells else _UNSET
            if value is _UNSET:
                value = module.get(name)
            if isinstance(value, (int, float, bool)):
                out.append((name, value))
        return tuple(out)

    def loc(self, node: ast.AST) -> SourceLocation:
        """Location of a node of this kernel's AST in the user's file."""
        return SourceLocation.of(node, self.filename, self.line_offset, self.col_offset)

    def _all_args(self) -> list[ast.arg]:
        a = self.tree.args
        if a.vararg or a.kwarg:
            node = a.vararg or a.kwarg
            raise KernelSyntaxError("kernels cannot take *args or **kwargs", self.loc(node),
                                    hint="list every parameter by name")
        return list(a.posonlyargs) + list(a.args) + list(a.kwonlyargs)

    def _check_ascii_names(self, fdef: ast.FunctionDef) -> None:
        """The kernel's name and parameters become C++ identifiers, which hpcir keeps ASCII."""
        named = [(self.name, fdef)] + [(a.arg, a) for a in self._all_args()]
        for name, node in named:
            if not name.isascii():
                raise KernelSyntaxError(f"`{name}` is not an ASCII name: hpcir names the generated C++ "
                                        "functions and views after the kernel and its parameters",
                                        self.loc(node), hint="rename it with ASCII letters, digits and _")

    def _eval_annotation(self, node: ast.expr) -> KernelType | None:
        try:
            value = eval(compile(ast.Expression(node), self.filename, "eval"), self.fn.__globals__,  # noqa: S307
                         dict(self.globals.closure()))
        except Exception as err:  # an annotation we cannot evaluate is a user error
            raise KernelSyntaxError(f"cannot evaluate annotation `{ast.unparse(node)}`: {err}",
                                    self.loc(node)) from None
        if value is None:
            return None
        kt = annotation_to_type(value)
        if kt is None:
            raise KernelSyntaxError(f"`{ast.unparse(node)}` is not a kernel type", self.loc(node),
                                    hint="use int, float, bool, hpcir.float32/int32, hpcir.View1D[float], "
                                         "hpcir.Acc[float] or hpcir.TeamMember")
        return kt

    def _param(self, a: ast.arg) -> Param:
        ann = self._eval_annotation(a.annotation) if a.annotation is not None else None
        return Param(a.arg, ann, a)

    def index_rank(self) -> int:
        """How many leading parameters the body uses as the indices of one view access (at least 1).

        The candidates are the leading parameters annotated `int` (or not annotated); the rank is
        the longest run of them that some subscript takes, in any order, as its first components
        (`x[i, j]`, `x[j][i]`): `def k(i: int, j: int, x: View2D[float])` writing `x[i, j]` has
        rank 2, while `n` in `def k(i: int, n: int, x)` stays an argument unless the body writes
        `x[i, n]` (then pass `n=` at the launch, or declare `@hpcir.kernel(rank=1)`)."""
        return self.index_access()[0]

    def index_access(self) -> tuple[int, ast.Subscript | None]:
        """index_rank() and the view access that shows it (None for rank 1)."""
        if self._index_rank is None:
            self._index_rank = _index_rank(self.tree, self.params)
        return self._index_rank

    @property
    def is_device_function(self) -> bool:
        """True when the kernel returns a value (it is then called from other kernels)."""
        if self.returns is not None:
            return True
        return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(self.tree))


def _subscript_components(node: ast.Subscript) -> list[ast.expr]:
    """The index expressions of `x[i, j]` or `x[i][j]`, outermost view first."""
    parts: list[ast.expr] = []
    cur: ast.expr = node
    while isinstance(cur, ast.Subscript):
        sl = cur.slice
        parts[:0] = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
        cur = cur.value
    return parts


def _index_rank(tree: ast.FunctionDef, params: list[Param]) -> tuple[int, ast.Subscript | None]:
    """See Kernel.index_rank; also returns the access that shows the rank."""
    cands: list[str] = []
    for p in params:
        if p.annotation is not None and getattr(p.annotation, "is_int", False) is not True:
            break
        cands.append(p.name)
    if len(cands) < 2:
        return 1, None
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}  # x[i] of x[i][j]
    best, shown = 1, None
    for n in ast.walk(tree):
        if not isinstance(n, ast.Subscript) or id(n) in inner:
            continue
        names = [c.id if isinstance(c, ast.Name) else None for c in _subscript_components(n)]
        for d in range(min(len(names), len(cands)), best, -1):
            if set(names[:d]) == set(cands[:d]):
                best, shown = d, n
                break
    return best, shown


def kernel(fn: Callable[..., Any] | None = None, *, rank: int | None = None,
           name: str | None = None, reducer: str | tuple[str, ...] | None = None, adjoint: Any = None,
           ordered: bool = False) -> Any:
    """Decorator marking a Python function as an hpcir kernel (also @kernel(rank=2, reducer="max", adjoint=bwd),
    or reducer=("sum", "max"): one per accumulator; ordered=True keeps float sums in sequential order)."""
    if fn is None:
        return lambda f: Kernel(f, rank=rank, name=name, reducer=reducer, adjoint=adjoint, ordered=ordered)
    if isinstance(fn, Kernel):
        return fn
    return Kernel(fn, rank=rank, name=name, reducer=reducer, adjoint=adjoint, ordered=ordered)


_UNSET = object()


def _outside_names(code: Any) -> set[str]:
    """The global and closure names a code object (and the code nested in it) reads."""
    out = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            out |= _outside_names(const)
    return out


class _LiveNames(Mapping):
    """A function's free names as they are now: its closure cells, then its module's globals."""

    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def closure(self) -> dict[str, Any]:
        """The filled closure cells by name."""
        cells = {}
        for name, cell in zip(self._fn.__code__.co_freevars, self._fn.__closure__ or ()):
            try:
                cells[name] = cell.cell_contents
            except ValueError:  # a cell not yet assigned
                pass
        return cells

    def __getitem__(self, name: str) -> Any:
        cells = self.closure()
        return cells[name] if name in cells else self._fn.__globals__[name]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._fn.__globals__, **self.closure()})

    def __len__(self) -> int:
        return len({**self._fn.__globals__, **self.closure()})
