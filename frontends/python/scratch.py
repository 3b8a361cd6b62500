"""Per-thread local arrays (`hpcir.local`, `[0.0] * n`) and team scratch (`team.scratch`,
PyKokkos' `ScratchView1D(team.team_scratch(0), n)`) in the kernel language.

A local array is a statically shaped `memref.alloca` (a C array in the generated C++), so its
sizes must be known when the kernel is compiled. A team scratch view is a `kokkos.scratch_alloc`
whose sizes may be run-time values, but they are computed before the launch (Kokkos sizes a
team's scratch with `set_scratch_size` on the policy), so they may only use the kernel's
arguments, their extents and constants.
"""
from __future__ import annotations

import ast
import math
from typing import Any

import numpy as np
from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import DYNAMIC_INDEX, IndexType, MemRefType, StringAttr
from xdsl.ir import Block, Region

from hpcir.core.errors import KernelSyntaxError, KernelTypeError

from .scope import Scope
from .types import F64, LocalArrayType, ScalarType, TeamMemberType, ViewType
from .values import TV, join_types

# Local arrays live on each thread's stack (GPU registers or local memory): keep them small.
MAX_LOCAL_ELEMENTS = 4096
_FOLD = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
         ast.FloorDiv: lambda a, b: a // b if b else None, ast.Mod: lambda a, b: a % b if b else None,
         ast.LShift: lambda a, b: a << b if 0 <= b < 63 else None}


# -- recognising allocations ---------------------------------------------------------------------
def array_alloc_kind(self: Any, node: ast.expr | None) -> str | None:
    """'local', 'list', 'repeat', 'scratch' or 'pk_scratch' when `node` allocates an array, else None."""
    if isinstance(node, ast.List):
        return "list"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)):
        return "repeat"
    if not isinstance(node, ast.Call):
        return None
    f = node.func
    if isinstance(f, ast.Attribute) and f.attr in ("scratch", "team_scratch") and isinstance(f.value, ast.Name):
        b = self.scope.get(f.value.id)
        if isinstance(b, TV) and isinstance(b.ty, TeamMemberType):
            return "scratch" if f.attr == "scratch" else None
    tag = getattr(self.global_object(f), "__hpcir_intrinsic__", None)
    if tag == "local":
        return "local"
    if isinstance(tag, str) and tag.startswith("ScratchView"):
        return "pk_scratch"
    return None


def bind_array(self: Any, target: ast.expr, value: ast.expr, node: ast.AST, annotated: ViewType | None = None) -> None:
    """`t = hpcir.local(float, 16)`, `t = [0.0] * 16`, `s = team.scratch(float, n)`, ...: bind a name."""
    if not isinstance(target, ast.Name):  # located at the array expression: it is what cannot go there
        raise self.err(KernelSyntaxError, f"a local array or scratch view must be assigned to a plain name, not "
                       f"stored into `{ast.unparse(target)}`", value,
                       hint="write t = hpcir.local(float, 16), then t[i] = ...; a view element takes one number")
    kind = array_alloc_kind(self, value)
    if kind in ("scratch", "pk_scratch"):
        arr = self.team_scratch(value, kind, annotated)
    else:
        arr = self.local_array(value, kind)
    old = self.scope.get(target.id)
    if old is not None and not (isinstance(old, TV) and old.ty == arr.ty and kind not in ("scratch", "pk_scratch")):
        raise self.err(KernelTypeError, f"`{target.id}` is already defined in this kernel", target,
                       hint="give the array a name of its own")
    if old is not None:  # the same statement run again (a loop) or a local re-made: refill the old one
        self.copy_array(arr, old)
        return
    if target.id.isidentifier() and target.id.isascii():
        arr.ssa.name_hint = target.id  # the C++ array keeps the user's name
        if kind in ("scratch", "pk_scratch"):  # the extents are functor members: name them after the view
            sizes = list(arr.ssa.owner.dynamic_sizes)
            for d, s in enumerate(sizes):
                if s.name_hint is None and not isinstance(s.owner, arith.ConstantOp):
                    s.name_hint = f"{target.id}_extent{d if len(sizes) > 1 else ''}"
    self.scope.names[target.id] = arr


def copy_array(self: Any, src: TV, dst: TV) -> None:
    """dst[...] = src[...] elementwise (two local arrays of one shape)."""
    assert isinstance(src.ty, LocalArrayType)
    def body(idx: list) -> None:
        v = self.emit(memref.LoadOp.get(src.ssa, idx)).results[0]
        self.emit(memref.StoreOp.get(v, dst.ssa, idx))
    self.loop_nest(src.ty.shape, body)


# -- local arrays --------------------------------------------------------------------------------
def const_size(self: Any, node: ast.expr) -> int | None:
    """The value of an integer expression made of literals and module-level / closure constants."""
    if isinstance(node, ast.Constant):
        v = node.value
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if isinstance(node, (ast.Name, ast.Attribute)):
        if isinstance(node, ast.Name) and self.scope.get(node.id) is not None:
            return None  # a kernel variable or argument: a run-time value
        obj = self.global_object(node)
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
            return int(obj)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = const_size(self, node.operand)
        return None if v is None else -v
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLD:
        a, b = const_size(self, node.left), const_size(self, node.right)
        return None if a is None or b is None else _FOLD[type(node.op)](a, b)
    return None


def _shape_nodes(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, (ast.Tuple, ast.List)) else [node]


def _dtype(self: Any, node: ast.expr, what: str) -> ScalarType:
    from .annotations import to_scalar
    obj = self.global_object(node)
    st = to_scalar(obj) if obj is not None else None
    if st is None:
        raise self.err(KernelTypeError, f"`{ast.unparse(node)}` is not an element type for {what}", node,
                       hint="use float, int, bool, hpcir.float32, hpcir.int32, hpcir.int64 or hpcir.float64")
    return st


def local_array(self: Any, node: ast.expr, kind: str | None) -> TV:
    """Allocate and initialise a local array (zeros, the list's values, or the repeated value)."""
    if kind == "local":
        assert isinstance(node, ast.Call)
        if len(node.args) != 2 or node.keywords:
            raise self.err(KernelSyntaxError, "hpcir.local takes (dtype, size) or (dtype, (n0, n1, ...))", node,
                           hint="write t = hpcir.local(float, 16) or t = hpcir.local(float, (4, 4))")
        dtype = _dtype(self, node.args[0], "a local array")
        shape_nodes = _shape_nodes(node.args[1])
        shape = []
        for s in shape_nodes:
            n = const_size(self, s)
            if n is None:
                raise self.err(KernelTypeError, f"the size `{ast.unparse(s)}` of a local array is not a "
                               "compile-time constant", s,
                               hint="use an int literal or a module-level constant (N = 16 outside the kernel); "
                                    "for a size known only at the launch, use team.scratch(float, n) in a team kernel")
            shape.append(n)
        init: TV | None = None
    elif kind == "list":
        assert isinstance(node, ast.List)
        if not node.elts:
            raise self.err(KernelSyntaxError, "an empty list cannot be a local array", node,
                           hint="write [0.0] * n or hpcir.local(float, n)")
        vals = [self.scalar(e, "an element of a local array") for e in node.elts]
        dtype = _list_type(vals)
        shape = [len(vals)]
        arr = _alloca(self, dtype, shape, node)
        for k, v in enumerate(vals):
            self.store_element(arr, [self.const_index(k)], v, node.elts[k])
        return arr
    else:  # [value] * n
        assert isinstance(node, ast.BinOp)
        lst, count = (node.left, node.right) if isinstance(node.left, ast.List) else (node.right, node.left)
        if len(lst.elts) != 1 or isinstance(lst.elts[0], (ast.List, ast.ListComp)):
            raise self.err(KernelSyntaxError, "only a one-element list can be repeated in a kernel ([0.0] * n)",
                           node, hint="for a 2-D local array write hpcir.local(float, (n0, n1))")
        n = const_size(self, count)
        if n is None:
            raise self.err(KernelTypeError, f"the size `{ast.unparse(count)}` of a local array is not a "
                           "compile-time constant", count,
                           hint="use an int literal or a module-level constant; for a size known only at the "
                                "launch, use team.scratch(float, n) in a team kernel")
        init = self.scalar(lst.elts[0], "an element of a local array")
        dtype = _list_type([init])
        shape = [n]
        shape_nodes = [count]
    for n, s in zip(shape, shape_nodes):
        if n < 1:
            raise self.err(KernelTypeError, f"a local array needs a positive size, got {n}", s,
                           hint="give every dimension at least one element")
    total = math.prod(shape)
    if total > MAX_LOCAL_ELEMENTS:
        raise self.err(KernelTypeError, f"a local array of {total} elements is too large for a thread's stack "
                       f"(at most {MAX_LOCAL_ELEMENTS})", node,
                       hint="share a larger buffer between the threads of a team with team.scratch(float, n), "
                            "or pass a view")
    arr = _alloca(self, dtype, shape, node)
    fill = self.convert(init, dtype) if init is not None else self.const(0, dtype)

    def body(idx: list) -> None:
        self.emit(memref.StoreOp.get(fill.ssa, arr.ssa, idx))
    self.loop_nest(shape, body)
    return arr


def _list_type(vals: list[TV]) -> ScalarType:
    t = vals[0]
    for v in vals[1:]:
        t = TV(t.ssa, join_types(t, v), t.weak and v.weak)
    ty = t.ty
    assert isinstance(ty, ScalarType)
    return ty


def _alloca(self: Any, dtype: ScalarType, shape: list[int], node: ast.AST) -> TV:
    """A static alloca at the top of the kernel body, so the name is visible after an if or loop."""
    op = memref.AllocaOp.get(dtype.mlir(), shape=shape)
    blk = self.alloca_block if self.alloca_block is not None else self.block
    if blk.first_op is None:
        blk.add_op(op)
    else:
        blk.insert_op_before(op, blk.first_op)
    return TV(op.results[0], LocalArrayType(dtype, len(shape), None, "local", tuple(shape)))


def loop_nest(self: Any, shape: list[int] | tuple[int, ...], body: Any) -> None:
    """for i0 in range(n0): for i1 ...: body([i0, i1, ...]) as scf.for over `index`."""
    def level(d: int, idx: list) -> None:
        if d == len(shape):
            body(idx)
            return
        blk = Block(arg_types=[IndexType()])
        outer = self.block
        self.block = blk
        level(d + 1, idx + [blk.args[0]])
        self.emit(scf.YieldOp())
        self.block = outer
        self.emit(scf.ForOp(self.const_index(0), self.const_index(shape[d]), self.const_index(1), [], Region(blk)))
    level(0, [])


def check_constant_indices(self: Any, arr: TV, idx_nodes: list[ast.expr], indices: list, node: ast.AST) -> None:
    """A constant index outside a local array is a compile-time error (C would not say a word)."""
    from .exprs import constant_int
    ty = arr.ty
    assert isinstance(ty, LocalArrayType)
    for d, (n, i) in enumerate(zip(idx_nodes, indices)):
        k = constant_int(i.owner.operands[0]) if isinstance(i.owner, arith.IndexCastOp) else None
        if k is not None and not 0 <= k < ty.shape[d]:
            dim = f" in dimension {d}" if len(ty.shape) > 1 else ""
            raise self.err(KernelTypeError, f"index {k} is outside the local array `{ast.unparse(node)}` "
                           f"of shape {ty.shape}{dim}", n,
                           hint=f"indices run from 0 to {ty.shape[d] - 1} (negative indices do not count from "
                                "the end in kernels)")


# -- team scratch --------------------------------------------------------------------------------
def team_scratch(self: Any, node: ast.expr, kind: str, annotated: ViewType | None) -> TV:
    """team.scratch(dtype, n | (n0, n1), level=0) or ScratchView1D(team.team_scratch(level), n0, ...)."""
    from hpcir.dialects import kokkos as kk
    from hpcir.dialects.kokkos_discardable import SOURCE_LOC
    assert isinstance(node, ast.Call)
    level_node: ast.expr | None = None
    what = "team.scratch" if kind == "scratch" else self.global_object(node.func).__name__
    if self.team_outer is None or self.member is None:
        raise self.err(KernelSyntaxError, f"{what} is only available in a team kernel", node,
                       hint="launch the kernel with hpcir.TeamPolicy(league_size, team_size) and allocate the "
                            "scratch in its body; elsewhere use hpcir.local(float, n) for a per-thread array")
    if kind == "scratch":
        member = self.expr(node.func.value)  # type: ignore[attr-defined]
        if len(node.args) != 2:
            raise self.err(KernelSyntaxError, "team.scratch takes (dtype, size) or (dtype, (n0, n1))", node,
                           hint="write s = team.scratch(float, n)")
        for kw in node.keywords:
            if kw.arg != "level":
                raise self.err(KernelSyntaxError, f"unknown keyword `{kw.arg}` of team.scratch", kw.value,
                               hint="team.scratch(dtype, size, level=0 | 1)")
            level_node = kw.value
        dtype = _dtype(self, node.args[0], "a scratch view")
        size_nodes = _shape_nodes(node.args[1])
        what = "team.scratch"
    else:
        cls = self.global_object(node.func)
        rank = cls.rank
        what = cls.__name__
        scr = node.args[0] if node.args else None
        if not (isinstance(scr, ast.Call) and isinstance(scr.func, ast.Attribute) and scr.func.attr == "team_scratch"
                and len(scr.args) == 1) or node.keywords:
            raise self.err(KernelSyntaxError, f"{what} takes (team.team_scratch(level), n0, ...)", node,
                           hint=f"write s: pk.{what}[pk.double] = pk.{what}(team.team_scratch(0), n)")
        member = self.expr(scr.func.value)
        if not isinstance(member.ty, TeamMemberType):
            raise self.err(KernelTypeError, "team_scratch() is a method of the team member", scr.func.value)
        level_node = scr.args[0]
        size_nodes = list(node.args[1:])
        if size_nodes and len(size_nodes) != rank:
            raise self.err(KernelTypeError, f"{what} takes {rank} size(s), got {len(size_nodes)}", node)
        if not size_nodes:  # as Kokkos' View(team.team_scratch(level)): every extent 0, no element
            size_nodes = [ast.copy_location(ast.Constant(0), node) for _ in range(rank)]
            for n in size_nodes:
                n.no_extent = True  # type: ignore[attr-defined]
        dtype = annotated.dtype if annotated is not None else F64
    level = 0
    if level_node is not None:
        lv = const_size(self, level_node)
        if lv not in (0, 1):
            raise self.err(KernelTypeError, f"the scratch level must be the constant 0 or 1, got "
                           f"`{ast.unparse(level_node)}`", level_node,
                           hint="level 0 is the small fast memory (GPU shared memory), level 1 the larger one")
        level = lv
    if not 1 <= len(size_nodes) <= 3:
        raise self.err(KernelTypeError, f"a scratch view has 1 to 3 dimensions, not {len(size_nodes)}", node)
    if self.kernel is not self.team_kernel or self.block is not self.alloca_block:
        raise self.err(KernelSyntaxError, f"{what} must be called in the team kernel's own body, outside "
                       "loops, ifs and nested functions", node,
                       hint="every thread of the team takes the same scratch in the same order: allocate it "
                            "at the top of the team kernel and use it in nested ranges")
    sizes = [_scratch_size(self, s) for s in size_nodes]
    ty = ViewType(dtype, len(sizes), None, "scratch")
    op = kk.ScratchAllocOp(member.ssa, MemRefType(dtype.mlir(), [DYNAMIC_INDEX] * len(sizes), ty.mlir().layout,
                                                  ty.mlir().memory_space), sizes, level)
    op.attributes[SOURCE_LOC] = StringAttr(str(self.kernel.loc(node)))
    self.emit(op)
    return TV(op.results[0], ty)


def _scratch_size(self: Any, node: ast.expr) -> Any:
    """A scratch extent as an `index`, computed before the launch (from arguments and constants)."""
    k = const_size(self, node)
    if getattr(node, "no_extent", False):  # an extent-less pk.ScratchView (see team_scratch): sized 0 before the launch
        saved_block = self.block
        self.block = self.team_outer
        try:
            return self.const_index(0)
        finally:
            self.block = saved_block
    if k is not None and k < 1:
        raise self.err(KernelTypeError, f"a scratch view needs a positive size, got {k}", node,
                       hint="give every dimension at least one element")
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and self.scope.get(n.id) is not None and self.team_params.get(n.id) is not \
                self.scope.get(n.id):
            raise self.err(KernelTypeError, f"the scratch size `{ast.unparse(node)}` uses `{n.id}`, a value "
                           "computed inside the team", node,
                           hint="scratch is sized before the launch: use the kernel's arguments, their extents "
                                "(x.extent(0)) and constants")
    saved = self.block, self.scope
    self.block, self.scope = self.team_outer, Scope(dict(self.team_params))
    try:
        v = self.as_int(node, "a scratch size")
        return self.to_index(v)
    finally:
        self.block, self.scope = saved


__all__ = ["array_alloc_kind", "bind_array", "copy_array", "local_array", "loop_nest", "check_constant_indices",
           "team_scratch", "const_size"]
