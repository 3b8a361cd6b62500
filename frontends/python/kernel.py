"""The `Kernel` object behind @hpcir.kernel: the parsed source, its location and its annotations."""
from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
from dataclasses import dataclass
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
                 reducer: str | None = None):
        self.fn = fn
        self.reducer = reducer  # default reducer of a reduction kernel (sum when None)
        self.name = name or fn.__name__
        self.rank = rank  # number of index parameters when no policy says (hpcir lower); default 1
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
        # Launch-time cache keys: computed once here, not on every launch.
        self.source_hash = hashlib.sha256(dedented.encode()).hexdigest()
        self.global_names = sorted({n.id for n in ast.walk(fdef) if isinstance(n, ast.Name)})
        self._written: set[str] | None = None
        self.globals: dict[str, Any] = dict(fn.__globals__)
        if fn.__closure__:
            for cname, cell in zip(fn.__code__.co_freevars, fn.__closure__):
                try:
                    self.globals[cname] = cell.cell_contents
                except ValueError:
                    pass
        self.params = [self._param(a) for a in self._all_args()]
        self.returns = self._eval_annotation(fdef.returns) if fdef.returns is not None else None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Calling a kernel from Python runs it as Python (useful for debugging a device function).
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<hpcir.kernel {self.name} at {self.filename}:{self.line_offset + 1}>"

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

    def _eval_annotation(self, node: ast.expr) -> KernelType | None:
        try:
            value = eval(compile(ast.Expression(node), self.filename, "eval"), self.globals)  # noqa: S307
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

    @property
    def is_device_function(self) -> bool:
        """True when the kernel returns a value (it is then called from other kernels)."""
        if self.returns is not None:
            return True
        return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(self.tree))


def kernel(fn: Callable[..., Any] | None = None, *, rank: int | None = None,
           name: str | None = None, reducer: str | None = None) -> Any:
    """Decorator marking a Python function as an hpcir kernel (also @kernel(rank=2, reducer="max"))."""
    if fn is None:
        return lambda f: Kernel(f, rank=rank, name=name, reducer=reducer)
    if isinstance(fn, Kernel):
        return fn
    return Kernel(fn, rank=rank, name=name, reducer=reducer)
