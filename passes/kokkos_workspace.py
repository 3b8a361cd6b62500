"""`kokkos-workspace`: a host program's temporaries share one workspace, allocated once and kept.

A lowered graph allocates every intermediate buffer with `memref.alloc` at the top level of its
host program. Emitted as one Kokkos allocation each per call, they cost more than the model's
arithmetic on small inputs: each call asks the allocator for tens of MiB, glibc hands large
blocks back to the OS on free, and the next call faults every page in again (perf on a
TransformerEncoderLayer: half of the samples in the kernel, benchmarks/RESULTS.md).

This pass plans the temporaries' memory once, at compile time:

1. the live range of each statically shaped top-level `memref.alloc` is the span of top-level ops
   from the allocation to the last op that uses it or a view of it (uses inside kernels count at
   the kernel's launch; a view is any op result of memref type computed from it);
2. buffers are placed in one byte array, largest first, each at the lowest 64-byte aligned offset
   that overlaps no buffer live at the same time (so memory is reused along the program);
3. one `memref.alloc() {hpcir.workspace} : memref<NxI8>` per memory space opens the program and
   every planned allocation becomes `memref.view %ws[%offset][]` of it.

The Kokkos C++ emitter allocates a `hpcir.workspace` buffer on the first call and keeps it for
the next calls (it is freed when Kokkos finalizes); a call holds the workspace's lock while it
runs, so concurrent calls of one entry are serialised instead of sharing memory.

Buffers that escape (returned, yielded, passed into a region-holding op that returns memrefs,
or taken by any terminator), dynamically sized ones and allocations nested in loops keep their
own `memref.alloc`; a matching `memref.dealloc` of a planned buffer is dropped.

    %a = memref.alloc() : memref<64xf32>              %ws = memref.alloc() {hpcir.workspace} : memref<256xi8>
    ...last use of %a...                        ->     %a = memref.view %ws[%c0][] : memref<256xi8> to memref<64xf32>
    %b = memref.alloc() : memref<64xf32>               ...
                                                       %b = memref.view %ws[%c0][] : memref<256xi8> to memref<64xf32>
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import IndexType, IntegerAttr, IntegerType, MemRefType, ModuleOp, NoneAttr, UnitAttr
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.traits import IsTerminator

from hpcir.dialects.kokkos_discardable import HOST_PROGRAM

WORKSPACE = "hpcir.workspace"
ALIGN = 64  # bytes: a cache line, and the alignment graph-bufferize asks of its buffers


@dataclass
class _Buffer:
    alloc: memref.AllocOp
    start: int
    end: int
    nbytes: int
    offset: int = 0


def element_bytes(ty: Attribute) -> int | None:
    """Storage size in bytes of a memref element type (i1 is stored as one byte), or None if unknown."""
    if isinstance(ty, IntegerType):
        return max(1, (ty.width.data + 7) // 8)
    if isinstance(ty, IndexType):
        return 8
    width = getattr(ty, "bitwidth", None)
    if isinstance(width, int):
        return width // 8
    return None


def _top_level(op: Operation, block: Block) -> Operation | None:
    while op is not None and op.parent_block() is not block:
        op = op.parent_op()
    return op


def _live_end(value: SSAValue, block: Block, index: dict[Operation, int]) -> int | None:
    """Index of the last top-level op using `value` or a view of it; None if it escapes."""
    end, todo = index[value.owner], [value]
    while todo:
        v = todo.pop()
        for use in v.uses:
            user = use.operation
            if user.has_trait(IsTerminator) or isinstance(user, func.CallOp) and user.results:
                return None
            memref_results = [r for r in user.results if isinstance(r.type, MemRefType)]
            if user.regions and memref_results:
                return None  # the buffer may flow out through the region's results
            todo.extend(memref_results)
            top = _top_level(user, block)
            if top is None:
                return None
            end = max(end, index[top])
    return end


def plan_offsets(buffers: list[_Buffer]) -> int:
    """Give each buffer an aligned offset so that buffers live at once never overlap; returns the total bytes."""
    placed: list[_Buffer] = []
    for b in sorted(buffers, key=lambda b: (-b.nbytes, b.start)):
        busy = sorted((p.offset, p.offset + p.nbytes) for p in placed if p.start <= b.end and b.start <= p.end)
        offset = 0
        for lo, hi in busy:  # first gap, in address order, wide enough for b
            if offset + b.nbytes <= lo:
                break
            offset = max(offset, -(-hi // ALIGN) * ALIGN)
        b.offset = offset
        placed.append(b)
    return max((b.offset + b.nbytes for b in buffers), default=0)


def plan_workspace(f: func.FuncOp) -> int:
    """Rewrite the planned allocations of host program f into views of workspaces; returns the bytes saved."""
    block = f.body.block
    index = {op: i for i, op in enumerate(block.ops)}
    groups: dict[Attribute, list[_Buffer]] = {}
    for op in block.ops:
        if not isinstance(op, memref.AllocOp) or WORKSPACE in op.attributes or op.dynamic_sizes:
            continue
        ty = op.memref.type
        nbytes = element_bytes(ty.element_type)
        if nbytes is None or not isinstance(ty.layout, NoneAttr):
            continue
        deallocs = [u.operation for u in op.memref.uses if isinstance(u.operation, memref.DeallocOp)]
        for d in deallocs:  # a dealloc is no use: the workspace outlives the call
            d.detach()
            d.erase()
        end = _live_end(op.memref, block, index)
        if end is None:
            continue
        groups.setdefault(ty.memory_space, []).append(
            _Buffer(op, index[op], end, max(1, math.prod(ty.get_shape())) * nbytes))
    saved = 0
    for space, buffers in groups.items():
        total = plan_offsets(buffers)
        saved += sum(b.nbytes for b in buffers) - total
        ws = memref.AllocOp([], [], MemRefType(IntegerType(8), [max(total, 1)], memory_space=space),
                            IntegerAttr(ALIGN, 64))
        ws.attributes[WORKSPACE] = UnitAttr()
        ws.memref.name_hint = "workspace"
        block.insert_op_before(ws, block.first_op)
        for b in buffers:
            off = arith.ConstantOp.from_int_and_width(b.offset, IndexType())
            view = memref.ViewOp(ws.memref, off, [], b.alloc.memref.type)
            view.result.name_hint = b.alloc.memref.name_hint
            block.insert_ops_before([off, view], b.alloc)
            b.alloc.memref.replace_all_uses_with(view.result)
            b.alloc.detach()
            b.alloc.erase()
    return saved


@dataclass(frozen=True)
class KokkosWorkspacePass(ModulePass):
    """Plan a host program's top-level temporaries into one workspace kept between calls (memory reused by live range)."""

    name = "kokkos-workspace"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in [o for o in op.walk() if isinstance(o, func.FuncOp)]:
            if HOST_PROGRAM in f.attributes and f.body.blocks and len(f.body.blocks) == 1:
                plan_workspace(f)
