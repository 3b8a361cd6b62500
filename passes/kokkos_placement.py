"""`kokkos-placement{target=...}`: memory spaces of a host program's views and the fewest deep copies.

In a `kokkos.host_program` func every `kokkos.alloc` view is classified by where it is accessed:
host element accesses (memref.load/store/atomic_rmw in host code, which is also how `kokkos.print`
gets its values) and device accesses (func.call of a kernel entry, inline L3 launches, deep_copy).

- accessed only on the host: allocated in `#kokkos.space<host>` (no copies, ever);
- accessed only by launches: stays where the frontend put it (device space on GPU targets);
- both, in device space: a host mirror (`kokkos.create_mirror_view`, right after the alloc) takes
  the host accesses, and a forward dataflow over the program's straight-line code and structured
  control flow (scf.for / scf.while / scf.if) tracks which copy (H, D) holds the current data.
  A `kokkos.deep_copy` is inserted only where a stale copy is about to be read (a launch needs D,
  a host access needs H; partial host writes need H first). Loops: copies that the first access
  of a view in the body needs are hoisted in front of the loop, and the loop header state is a
  fixpoint (meet = intersection of valid copies), so data stays resident across launches and a
  loop copies per iteration only when its body itself alternates host and device accesses.
- host-space views touched by launches (CPU targets) need no copies; instead a `kokkos.fence` is
  inserted before a host access that follows a launch touching the view with no synchronisation
  in between (fences, deep copies and reductions into scalars synchronise).

Deep copies without an execution-space argument fence before and after (Kokkos semantics), so
the mirrored path needs no extra fences. Views with uses this pass cannot see through (subviews,
casts, calls of non-entry functions) are left untouched.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from hpcir.dialects import kokkos as kk
from hpcir.dialects.kokkos_target import module_target
from hpcir.dialects.kokkos_discardable import HOST_PROGRAM

from .placement_analysis import DEVICE, HOST, AccessMap, is_blocking

_BOTH = frozenset({HOST, DEVICE})


@dataclass
class State:
    """Per mirrored view: the copies holding current data; host views with launches not yet fenced."""

    valid: dict[SSAValue, frozenset[str]] = field(default_factory=dict)
    pending: frozenset[SSAValue] = frozenset()

    def copy(self) -> State:
        return State(dict(self.valid), self.pending)


def meet(a: State, b: State) -> tuple[State, list[SSAValue]]:
    """What holds on both paths; views with no copy valid on both paths are returned as conflicts."""
    out = State(pending=a.pending | b.pending)
    conflicts = []
    for v in a.valid.keys() & b.valid.keys():
        both = a.valid[v] & b.valid[v]
        if both:
            out.valid[v] = both
        else:
            conflicts.append(v)
    return out, conflicts


class Planner:
    """Walks a host program in order, inserting copies/fences (or only simulating, insert=False)."""

    def __init__(self, amap: AccessMap, mirrors: dict[SSAValue, SSAValue], fenced: set[SSAValue], insert: bool):
        self.amap, self.mirrors, self.fenced, self.insert = amap, mirrors, fenced, insert
        self.copies = 0
        self.fences = 0

    # -- insertion -------------------------------------------------------------------------
    def _copy(self, v: SSAValue, side: str, st: State, point: InsertPoint) -> None:
        """Make `side` of v current (copying from the other one)."""
        if self.insert:
            h = self.mirrors[v]
            Rewriter.insert_op(kk.DeepCopyOp(h, v) if side == HOST else kk.DeepCopyOp(v, h), point)
            self.copies += 1
        st.valid[v] = st.valid[v] | {side}
        st.pending = frozenset()

    def _fence(self, st: State, point: InsertPoint) -> None:
        if self.insert:
            Rewriter.insert_op(kk.FenceOp(), point)
            self.fences += 1
        st.pending = frozenset()

    # -- walking ---------------------------------------------------------------------------
    def block(self, block: Block, st: State) -> State:
        for op in list(block.ops):
            st = self.op(op, st)
        return st

    def op(self, op: Operation, st: State) -> State:
        if isinstance(op, kk.AllocOp) and op.result in self.mirrors:
            st.valid[op.result] = _BOTH  # a fresh view and its fresh mirror are both zero-filled
            return st
        if isinstance(op, scf.ForOp):
            return self.loop(op, [op.body.block], st)
        if isinstance(op, scf.WhileOp):
            return self.loop(op, [op.before_region.block, op.after_region.block], st)
        if isinstance(op, scf.IfOp):
            return self.branch(op, st)
        for acc in self.amap.accesses(op):
            v = acc.view
            if v in self.mirrors:
                if acc.side not in st.valid[v]:
                    self._copy(v, acc.side, st, InsertPoint.before(op))
                if acc.writes:
                    st.valid[v] = frozenset({acc.side})
            elif v in self.fenced:
                if acc.side == HOST and v in st.pending:
                    self._fence(st, InsertPoint.before(op))
                if acc.side == DEVICE:
                    st.pending = st.pending | {v}
        if is_blocking(op, self.amap.module):
            st.pending = frozenset()
        return st

    def first_needs(self, op: Operation) -> dict[SSAValue, str]:
        """The side each tracked view is first accessed on inside op (program order)."""
        needs: dict[SSAValue, str] = {}
        for o in op.walk():
            if o is op:
                continue
            for acc in self.amap.accesses(o):
                needs.setdefault(acc.view, acc.side)
        return needs

    def loop(self, op: Operation, bodies: list[Block], st: State) -> State:
        needs = self.first_needs(op)
        # Hoist what the body needs first: afterwards the back edge keeps it valid (data stays resident).
        for v, side in needs.items():
            if v in st.valid and side not in st.valid[v]:
                self._copy(v, side, st, InsertPoint.before(op))
            if side == HOST and v in st.pending:
                self._fence(st, InsertPoint.before(op))
        head = st.copy()
        sim = Planner(self.amap, self.mirrors, self.fenced, insert=False)
        for _ in range(4 * len(st.valid) + 8):  # the header state only shrinks: terminates
            end, _, _ = sim._iteration(bodies, head.copy(), needs)
            new, _ = meet(head, end)
            if new == head:
                break
            head = new
        end, exit_before, fixes = self._iteration(bodies, head.copy(), needs)
        if self.insert:
            last = bodies[-1]
            assert last.last_op is not None
            for v, side in fixes.items():
                self._copy(v, side, State({v: frozenset({side})}), InsertPoint.before(last.last_op))
        if isinstance(op, scf.WhileOp):
            return exit_before  # the loop leaves after its `before` region, from any iteration
        out, _ = meet(st, end)
        return out

    def _iteration(self, bodies: list[Block], head: State, needs: dict[SSAValue, str]
                   ) -> tuple[State, State, dict[SSAValue, str]]:
        """One loop iteration from `head`: end state (after back-edge fixes), state after bodies[0], fixes."""
        st = self.block(bodies[0], head.copy())
        after_first = st.copy()
        for b in bodies[1:]:
            st = self.block(b, st)
        fixes: dict[SSAValue, str] = {}
        for v, valid in head.valid.items():
            if v in st.valid and not valid & st.valid[v]:
                # No copy is current on both the entry and the back edge: refresh one at the end of the body.
                side = needs.get(v, DEVICE)
                side = side if side in valid else min(valid)
                fixes[v] = side
                st.valid[v] = st.valid[v] | {side}
        return st, after_first, fixes

    def branch(self, op: scf.IfOp, st: State) -> State:
        then_st = self.block(op.true_region.block, st.copy())
        else_st = self.block(op.false_region.block, st.copy()) if op.false_region.blocks else st.copy()
        out, conflicts = meet(then_st, else_st)
        for v in conflicts:
            side = self.next_need(op, v)
            lacking = then_st if side not in then_st.valid[v] else else_st
            if self.insert:
                if lacking is else_st and not op.false_region.blocks:
                    op.false_region.add_block(Block([scf.YieldOp()]))
                region = op.true_region if lacking is then_st else op.false_region
                term = region.block.last_op
                assert term is not None
                self._copy(v, side, lacking, InsertPoint.before(term))
            out.valid[v] = frozenset({side})
        return out

    def next_need(self, op: Operation, v: SSAValue) -> str:
        """The side v is next accessed on after op (following ops, then enclosing ones); D if none."""
        cur: Operation | None = op
        while cur is not None and not isinstance(cur, func.FuncOp):
            nxt = cur.next_op
            while nxt is not None:
                for o in nxt.walk():
                    for acc in self.amap.accesses(o):
                        if acc.view is v:
                            return acc.side
                nxt = nxt.next_op
            cur = cur.parent_op()
        return DEVICE


def _retype(v: SSAValue, space: str) -> None:
    ty = v.type
    assert isinstance(ty, MemRefType)
    Rewriter.replace_value_with_new_type(v, MemRefType(ty.element_type, ty.get_shape(), ty.layout, kk.SpaceAttr(space)))


def place_program(f: func.FuncOp, module: ModuleOp, gpu: bool) -> tuple[int, int]:
    """Place the views of one host program; returns (deep copies, fences) inserted."""
    allocs = [op for op in f.walk() if isinstance(op, kk.AllocOp)]
    amap = AccessMap(module, [a.result for a in allocs])
    mirrors: dict[SSAValue, SSAValue] = {}
    fenced: set[SSAValue] = set()
    for a in allocs:
        v = a.result
        if v in amap.opaque:
            continue
        sides, space = amap.sides(v), kk.memory_space_of(v.type)
        if sides == {HOST} and space == kk.MemorySpace.DEVICE:
            _retype(v, "host")  # host-only data never needs a device allocation
        elif sides == {HOST, DEVICE} and space == kk.MemorySpace.DEVICE and gpu:
            mirror = kk.CreateMirrorViewOp(v)
            base = v.name_hint or a.label.data
            if base.isidentifier():
                mirror.result.name_hint = f"{base}_h"
            Rewriter.insert_op(mirror, InsertPoint.after(a))
            mirrors[v] = mirror.result
        elif DEVICE in sides and HOST in sides and space in (kk.MemorySpace.HOST, kk.MemorySpace.SHARED):
            fenced.add(v)
    planner = Planner(amap, mirrors, fenced, insert=True)
    planner.block(f.body.block, State())
    # Host element accesses of mirrored views go to the mirror.
    for v, h in mirrors.items():
        for use in list(v.uses):
            o = use.operation
            if isinstance(o, memref.LoadOp | memref.StoreOp | memref.AtomicRMWOp) and amap._launch_of(o) is None:
                o.operands[use.index] = h
    return planner.copies, planner.fences


@dataclass(frozen=True)
class KokkosPlacementPass(ModulePass):
    """Memory spaces for host-program views and the fewest deep_copy/fence ops between host and device."""

    name = "kokkos-placement"


    def apply(self, ctx: Context, op: ModuleOp) -> None:
        gpu = module_target(op, self.name).is_gpu
        for f in list(op.body.block.ops):
            if isinstance(f, func.FuncOp) and HOST_PROGRAM in f.attributes and f.body.blocks:
                place_program(f, op, gpu)
