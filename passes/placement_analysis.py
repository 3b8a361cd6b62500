"""Access facts for `kokkos-placement`: which views an op of a host program reads/writes, and where.

A *side* is "H" (the host copy of a view: host element accesses) or "D" (the copy device launches
use). An access is (view, side, writes). Views are the results of `kokkos.alloc` in a host program.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import func, memref
from xdsl.dialects.builtin import ModuleOp, SymbolRefAttr
from xdsl.ir import Operation, SSAValue

from hpcir.dialects import kokkos as kk
from hpcir.dialects.kokkos_discardable import ENTRY

HOST, DEVICE = "H", "D"

# Host-code ops that touch one element of a view (the memref is operand 0 of load, 1 of store/atomic).
_ELEMENT_READS = (memref.LoadOp,)
_ELEMENT_WRITES = (memref.StoreOp, memref.AtomicRMWOp)
# Uses that neither read nor write the data (extents only).
_SHAPE_ONLY = (memref.DimOp,)


@dataclass(frozen=True)
class Access:
    """One op's use of one view: on which copy, and whether it may write it."""

    view: SSAValue
    side: str
    writes: bool


def _may_write(value: SSAValue, module: ModuleOp, seen: set[str], inside: Operation | None = None) -> bool:
    """Whether code may write through `value` (only uses nested in `inside` when given); unknown uses count."""
    for use in value.uses:
        op = use.operation
        if inside is not None and not inside.is_ancestor(op):
            continue
        if isinstance(op, _ELEMENT_READS + _SHAPE_ONLY):
            continue
        if isinstance(op, kk.DeepCopyOp):
            if use.index == 0:
                return True
            continue
        if isinstance(op, func.CallOp):
            callee = _lookup(module, op.callee)
            name = op.callee.root_reference.data
            if callee is None or not callee.body.blocks or name in seen:
                return True
            if _may_write(callee.body.block.args[use.index], module, seen | {name}):
                return True
            continue
        # Stores, atomics, and anything we cannot see through (subviews, casts) may write.
        return True
    return False


def _lookup(module: ModuleOp, ref: SymbolRefAttr) -> func.FuncOp | None:
    name = ref.root_reference.data
    for op in module.body.block.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return op
    return None


def is_entry_call(op: Operation, module: ModuleOp) -> bool:
    """A func.call of a kernel entry (a device launch when its views are in device space)."""
    if not isinstance(op, func.CallOp):
        return False
    callee = _lookup(module, op.callee)
    return callee is not None and ENTRY in callee.attributes


def is_blocking(op: Operation, module: ModuleOp) -> bool:
    """Ops after which every earlier launch has finished: fences, deep copies, reductions into scalars."""
    if isinstance(op, kk.FenceOp | kk.DeepCopyOp):
        return True
    if isinstance(op, kk.ParallelReduceOp | kk.ParallelScanOp) and op.results:
        return True
    return is_entry_call(op, module) and bool(op.results)


class AccessMap:
    """The accesses of each op of one host program to its tracked views."""

    def __init__(self, module: ModuleOp, views: list[SSAValue]):
        self.module = module
        self.views = views
        self._index = {v: k for k, v in enumerate(views)}
        self.opaque: set[SSAValue] = set()  # views with a use we cannot classify: left untouched
        for v in views:
            for use in v.uses:
                if self._classify(use.operation, v, use.index) is None:
                    self.opaque.add(v)

    def _launch_of(self, op: Operation) -> Operation | None:
        """The outermost launch op enclosing op (inline L3 launches in the program), if any."""
        found = None
        cur = op.parent_op()
        while cur is not None and not isinstance(cur, func.FuncOp):
            if isinstance(cur, kk.LAUNCH_OPS):
                found = cur
            cur = cur.parent_op()
        return found

    def _classify(self, op: Operation, v: SSAValue, index: int) -> Access | None:
        launch = self._launch_of(op)
        if launch is not None:
            return Access(v, DEVICE, _may_write(v, self.module, set(), inside=launch))
        if isinstance(op, _SHAPE_ONLY):
            return Access(v, "", False)
        if isinstance(op, _ELEMENT_READS):
            return Access(v, HOST, False)
        if isinstance(op, _ELEMENT_WRITES):
            return Access(v, HOST, True)
        if isinstance(op, kk.DeepCopyOp):
            return Access(v, DEVICE, index == 0)
        if is_entry_call(op, self.module):
            callee = _lookup(self.module, op.callee)
            assert callee is not None
            return Access(v, DEVICE, _may_write(callee.body.block.args[index], self.module, {callee.sym_name.data}))
        return None

    def accesses(self, op: Operation) -> list[Access]:
        """The accesses op makes, as a unit (a launch op counts once for everything in its body)."""
        found: dict[SSAValue, Access] = {}
        targets = list(op.walk()) if isinstance(op, kk.LAUNCH_OPS) else [op]
        for o in targets:
            for k, v in enumerate(o.operands):
                if v not in self._index or v in self.opaque:
                    continue
                acc = self._classify(o, v, k)
                if acc is None or not acc.side:
                    continue
                prev = found.get(v)
                found[v] = acc if prev is None else Access(v, prev.side, prev.writes or acc.writes)
        return list(found.values())

    def sides(self, v: SSAValue) -> set[str]:
        """Every side a view is accessed on anywhere in the program."""
        out = set()
        for use in v.uses:
            acc = self._classify(use.operation, v, use.index)
            if acc is not None and acc.side:
                out.add(acc.side)
        return out
