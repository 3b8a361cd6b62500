"""Names visible in a kernel body: mutable locals, immutable values and nested closures."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from xdsl.ir import SSAValue

from .types import ScalarType
from .values import TV


@dataclass
class Var:
    """A mutable local: its rank-0 alloca and type."""

    ref: SSAValue
    ty: ScalarType


@dataclass
class Closure:
    """A nested `def`/`lambda` inside a kernel, inlined where a nested policy uses it."""

    params: list[str]
    body: list[ast.stmt]
    node: ast.AST


@dataclass
class LoopCtx:
    """Exit flags of the innermost loop (created on demand)."""

    brk: Var | None = None
    cnt: Var | None = None


@dataclass
class Scope:
    """Names visible in a (nested) kernel body."""

    names: dict[str, Var | TV | Closure] = field(default_factory=dict)
    parent: "Scope | None" = None

    def get(self, name: str) -> Var | TV | Closure | None:
        s: Scope | None = self
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        return None


def _exits(node: ast.AST, loop_level: bool = True) -> bool:
    """Does `node` contain a return, or a break/continue of the current loop?"""
    if isinstance(node, ast.Return):
        return True
    if isinstance(node, (ast.Break, ast.Continue)):
        return loop_level
    if isinstance(node, (ast.FunctionDef, ast.Lambda)):
        return False
    nested_loop = isinstance(node, (ast.For, ast.While))
    return any(_exits(c, loop_level and not nested_loop) for c in ast.iter_child_nodes(node))
