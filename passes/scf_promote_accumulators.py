"""`scf-promote-accumulators`: an scf.for that loads, updates and stores one memref element per
iteration carries the value in a register instead (an iter_arg), with one load before and one store
after the loop.

Bufferized linalg reductions (a softmax's row max and sum, a layer norm's mean and variance, a
pooling window) become loops that read and write their accumulator in memory on every iteration:

    scf.for %k = ... {                                 %a0 = memref.load %acc[%i]
      %a = memref.load %acc[%i]                  ->    %r = scf.for %k = ... iter_args(%a = %a0) {
      %s = arith.addf %a, %x                             %s = arith.addf %a, %x
      memref.store %s, %acc[%i]                          scf.yield %s }
    }                                                  memref.store %r, %acc[%i]

and the C++ compiler cannot keep it in a register: the accumulator view might alias the views the
loop reads. The rewrite applies when the indices are defined outside the loop, the loop touches
the memref only through that one load (first) and that one store, the loop body holds only `arith`,
`math`, `scf` and `memref.load` / `memref.store` ops, and no other memref the loop accesses can alias
it (the accumulator, or every other memref the loop accesses, is a `memref.alloc` of its own). The
arithmetic and its order are unchanged: results are bit-identical. Target-neutral, L2.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import memref, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

_ALLOWED = ("arith.", "math.", "scf.", "memref.load", "memref.store")


def _outside(v: SSAValue, loop: Operation) -> bool:
    """v is defined outside loop (so it is invariant in it)."""
    owner = v.owner
    op = owner if isinstance(owner, Operation) else owner.parent_op()
    return op is None or (op is not loop and not loop.is_ancestor(op))


def _is_alloc(v: SSAValue) -> bool:
    return isinstance(v.owner, (memref.AllocOp, memref.AllocaOp))


def _accumulator(loop: scf.ForOp) -> tuple[memref.LoadOp, memref.StoreOp] | None:
    """The first (load, store) pair of loop's body the rewrite applies to, if any."""
    body = loop.body.block
    inner = list(loop.body.walk())
    if not all(o.name.startswith(_ALLOWED) for o in inner):
        return None
    memrefs = {o.memref for o in inner if isinstance(o, (memref.LoadOp, memref.StoreOp))}
    for s in body.ops:
        if not isinstance(s, memref.StoreOp):
            continue
        m = s.memref
        idx = list(s.indices)
        if not all(_outside(v, loop) for v in (m, *idx)):
            continue
        users = [o for o in inner if m in o.operands]
        loads = [o for o in users if isinstance(o, memref.LoadOp)]
        if len(users) != 2 or len(loads) != 1:
            continue
        ld = loads[0]
        if ld.parent_block() is not body or list(ld.indices) != idx or s.value is m:
            continue
        order = list(body.ops)
        if order.index(ld) > order.index(s):
            continue
        if not (_is_alloc(m) or all(_is_alloc(o) for o in memrefs if o is not m)):
            continue
        return ld, s
    return None


def promote(loop: scf.ForOp) -> scf.ForOp:
    """Carry one accumulator of loop in an iter_arg; returns the new loop (loop itself if none)."""
    found = _accumulator(loop)
    if found is None:
        return loop
    ld, st = found
    block = loop.parent_block()
    assert block is not None
    ld.detach()
    block.insert_op_before(ld, loop)
    body = loop.body.block
    arg = body.insert_arg(ld.res.type, len(body.args))
    ld.res.replace_all_uses_with(arg)  # (all its uses are inside the loop)
    old_yield = body.last_op
    assert isinstance(old_yield, scf.YieldOp)
    body.insert_op_before(scf.YieldOp(*old_yield.operands, st.value), old_yield)
    old_yield.detach()
    old_yield.erase()
    st.detach()
    region = loop.detach_region(loop.body)
    new = scf.ForOp(loop.lb, loop.ub, loop.step, [*loop.iter_args, ld.res], region)
    block.insert_op_before(new, loop)
    for old, r in zip(loop.results, new.results):
        old.replace_all_uses_with(r)
    loop.detach()
    loop.erase()
    block.insert_op_after(memref.StoreOp.get(new.results[-1], st.memref, list(st.indices)), new)
    st.erase(safe_erase=False)
    return new


@dataclass(frozen=True)
class ScfPromoteAccumulatorsPass(ModulePass):
    """Keep memref accumulators of scf.for loops in iter_args (registers) instead of memory."""

    name = "scf-promote-accumulators"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for loop in reversed([o for o in op.walk() if isinstance(o, scf.ForOp)]):  # inner loops first
            while True:
                new = promote(loop)
                if new is loop:
                    break
                loop = new
