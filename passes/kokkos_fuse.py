"""`kokkos-fuse`: producer-consumer fusion of adjacent parallel loops, removing temporaries.

Works on L2 (`scf.parallel`, no reductions, unit steps) and L3 (`kokkos.parallel_for` with a
range/MDRange policy) alike, in any block (func bodies, host loops), so it can run before or after
`convert-scf-to-kokkos`; running it at L2 keeps the analysis on the frontend's loops and lets the
conversion see one loop. Two rewrites, repeated until neither applies:

1. Temporary inlining (forwarding / recomputation). A loop P whose only side effect is one store
   `tmp[iv + c] = v` to a function-local allocation (`memref.alloc` / `kokkos.alloc`) is removed
   when every other use of tmp is a load `tmp[iv' + d]` in later loops of the same block (or a
   dealloc): each load becomes P's expression recomputed at index `iv' + d - c` (d == c is plain
   forwarding), and tmp is deleted. Proved first: every point a consumer reads lies in P's index
   space (bounds compared as `same SSA base + constant`), nothing from P up to the last consumer
   writes a memref P reads, and every op in between has known memory effects.
2. Loop merging. Two adjacent loops (only side-effect-free ops between) with identical bounds and
   the same policy are merged when every memref one writes and the other accesses is accessed at
   one common offset from the index in both (so a dependence never crosses iterations); a load
   that follows a store of the same element in the merged body takes the stored value.

Recomputation is bounded: a producer is inlined only while (its ops) x (distinct shifted copies)
stays within `max_recompute` (default 256), so long chains of wide stencils cannot blow up.
Anything not provable (calls, atomics, reductions, non-affine subscripts, bounds with different
SSA bases, views escaping) leaves the IR unchanged. Distinct memref SSA values are assumed not to
alias (the Kokkos/stencil convention for distinct fields); `noalias=false` makes all function
arguments one alias class instead.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.builder import Builder, InsertPoint
from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import IndexType, IntegerAttr, MemRefType, ModuleOp
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from hpcir.dialects import kokkos as kk

from .fusion_analysis import Loop, affine, as_loop, bound_diff, memref_effects, subscript_offsets


class _Aliases:
    """Which memref values may alias, by root: views (subview, cast, ...) share their source's root.

    Roots are function arguments and local allocations; a memref produced by anything else
    (a call, a load of a memref) may alias everything. With noalias=false all function
    arguments are one root too.
    """

    def __init__(self, noalias: bool):
        self.noalias = noalias

    def key(self, v: SSAValue) -> object:
        """The alias class of memref value v."""
        for _ in range(64):
            owner = v.owner
            if isinstance(v, BlockArgument) or isinstance(owner, memref.AllocOp | memref.AllocaOp | kk.AllocOp):
                break
            sources = [o for o in owner.operands if isinstance(o.type, MemRefType)]
            if len(sources) != 1:
                return "opaque"
            v = sources[0]
        if isinstance(v, BlockArgument) and not isinstance(v.block.parent_op(), func.FuncOp):
            return "opaque"
        if not self.noalias and isinstance(v, BlockArgument):
            return "function-arguments"
        return v

    def overlap(self, a: set[SSAValue], b: set[SSAValue]) -> bool:
        """Whether some memref of a may share memory with some memref of b."""
        ka, kb = {self.key(x) for x in a}, {self.key(y) for y in b}
        if ("opaque" in ka and kb) or ("opaque" in kb and ka):
            return True
        return bool(ka & kb)


def _is_local_alloc(tmp: SSAValue) -> bool:
    return isinstance(tmp.owner, memref.AllocOp | kk.AllocOp)


def _top_ancestor(op: Operation, block: Block) -> Operation | None:
    """The op of `block` that contains op (op itself when it is in block)."""
    cur: Operation | None = op
    while cur is not None and cur.parent_block() is not block:
        cur = cur.parent_op()
    return cur


def _producer_store(p: Loop) -> memref.StoreOp | None:
    """P's single store when P is a flat loop whose only side effect is that store, else None."""
    effects = memref_effects(p.op)
    if effects is None:
        return None
    reads, writes = effects
    stores = [op for op in p.block.ops if isinstance(op, memref.StoreOp)]
    if len(writes) != 1 or len(stores) != 1 or stores[0].memref in reads:
        return None
    if any(op.regions for op in p.block.ops):  # keep recomputation to straight-line bodies
        return None
    return stores[0]


def _slice(store: memref.StoreOp, block: Block) -> list[Operation]:
    """The ops of block the stored value depends on, in block order."""
    needed: set[Operation] = set()
    work = [store.value]
    while work:
        v = work.pop()
        owner = v.owner
        if isinstance(owner, Operation) and owner.parent_block() is block and owner not in needed:
            needed.add(owner)
            work.extend(owner.operands)
    return [op for op in block.ops if op in needed]


def _shifted(b: Builder, ivs: list[BlockArgument], shift: tuple[int, ...]) -> list[SSAValue]:
    out: list[SSAValue] = []
    for iv, s in zip(ivs, shift):
        if s == 0:
            out.append(iv)
            continue
        c = b.insert(arith.ConstantOp(IntegerAttr(s, IndexType())))
        out.append(b.insert(arith.AddiOp(iv, c.result)).result)
    return out


def _canonical_index(b: Builder, clone: Operation, mapping: dict[SSAValue, SSAValue], orig: Operation) -> None:
    """Fold a cloned `iv + a + b` index chain into `iv + (a + b)` so shifted subscripts stay readable."""
    if not isinstance(clone, arith.AddiOp | arith.SubiOp) or not isinstance(clone.result.type, IndexType):
        return
    base, k = affine(clone.result)
    if base is None or base is clone.result or not isinstance(base, BlockArgument):
        return
    if k == 0:
        value = base
    else:
        c = b.insert(arith.ConstantOp(IntegerAttr(k, IndexType())))
        value = b.insert(arith.AddiOp(base, c.result)).result
    mapping[orig.results[0]] = value
    Rewriter.erase_op(clone)


def _try_inline(p: Loop, block: Block, aliases: _Aliases, max_recompute: int) -> bool:
    """Rewrite 1 for producer p; True when it applied."""
    store = _producer_store(p)
    if store is None:
        return False
    space = getattr(p.op, "exec_space", None)
    tmp = store.memref
    c = subscript_offsets(list(store.indices), p)
    if c is None or not _is_local_alloc(tmp) or tmp.owner.parent_block() is not block:
        return False
    reads, _ = memref_effects(p.op)  # type: ignore[misc]
    ops = list(block.ops)
    pos = ops.index(p.op)
    loads: list[tuple[memref.LoadOp, Loop, tuple[int, ...]]] = []
    deallocs: list[Operation] = []
    last = pos
    for use in list(tmp.uses):
        user = use.operation
        if user is store:
            continue
        top = _top_ancestor(user, block)
        if top is None:
            return False
        idx = ops.index(top)
        if isinstance(user, memref.DeallocOp) and top is user:
            deallocs.append(user)
            continue
        cons = as_loop(top)
        if not isinstance(user, memref.LoadOp) or cons is None or idx <= pos or cons.rank != p.rank:
            return False
        if getattr(cons.op, "exec_space", None) != space:  # recompute only where P itself would run
            return False
        d = subscript_offsets(list(user.indices), cons)
        if d is None:
            return False
        shift = tuple(dk - ck for dk, ck in zip(d, c))
        for k in range(p.rank):  # consumer point + shift must lie in P's index space
            lo, hi = bound_diff(cons.lowers[k], p.lowers[k]), bound_diff(p.uppers[k], cons.uppers[k])
            if lo is None or hi is None or lo + shift[k] < 0 or hi - shift[k] < 0:
                return False
        loads.append((user, cons, shift))
        last = max(last, idx)
    if any(ops.index(dl) <= last for dl in deallocs):
        return False
    for op in ops[pos + 1:last + 1]:  # nothing until the last consumer may change what P read
        if isinstance(op, kk.FenceOp):  # ordering only; it stays where it is
            continue
        effects = memref_effects(op)
        if effects is None or aliases.overlap(effects[1], reads):
            return False
    body = _slice(store, p.block)
    copies = len({(load.parent_block(), shift) for load, _, shift in loads})
    if len(body) * copies > max_recompute:  # recomputation would grow the consumers too much
        return False
    # Program order: the recomputation made for a block's first load must dominate its later ones.
    order = {op: k for k, op in enumerate(block.walk())}
    loads.sort(key=lambda t: order[t[0]])
    memo: dict[tuple[Block, tuple[int, ...]], SSAValue] = {}
    for load, cons, shift in loads:
        key = (load.parent_block(), shift)  # type: ignore[assignment]
        if key not in memo:
            b = Builder(InsertPoint.before(load))
            mapping: dict[SSAValue, SSAValue] = dict(zip(p.ivs, _shifted(b, cons.ivs, shift)))
            for op in body:
                clone = b.insert(op.clone(value_mapper=mapping))
                _canonical_index(b, clone, mapping, op)
            memo[key] = mapping.get(store.value, store.value)
        Rewriter.replace_op(load, [], [memo[key]])
    for dl in deallocs:
        Rewriter.erase_op(dl)
    Rewriter.erase_op(p.op)
    Rewriter.erase_op(tmp.owner)  # type: ignore[arg-type]
    return True


def _accesses(loop: Loop, m: SSAValue, aliases: _Aliases) -> list[Operation]:
    return [op for op in loop.op.walk() if isinstance(op, memref.LoadOp | memref.StoreOp)
            and aliases.overlap({op.memref}, {m})]


def _same_policy(a: Loop, b: Loop) -> bool:
    if type(a.op) is not type(b.op) or a.rank != b.rank:
        return False
    if isinstance(a.op, kk.ParallelForOp):
        if a.op.policy != b.op.policy or a.op.exec_space != b.op.exec_space:  # type: ignore[attr-defined]
            return False
    return all(bound_diff(x, y) == 0 for x, y in zip(a.lowers + a.uppers, b.lowers + b.uppers))


def _mergeable(a: Loop, b: Loop, aliases: _Aliases) -> bool:
    ea, eb = memref_effects(a.op), memref_effects(b.op)
    if ea is None or eb is None or not _same_policy(a, b):
        return False
    (ra, wa), (rb, wb) = ea, eb
    conflicts = [m for m in wa | wb if (m in wa and aliases.overlap({m}, rb | wb)) or
                 (m in wb and aliases.overlap({m}, ra))]
    for m in conflicts:
        accesses = [(lp, op) for lp in (a, b) for op in _accesses(lp, m, aliases)]
        if len({op.memref for _, op in accesses}) != 1:  # two views of one memory: offsets not comparable
            return False
        offsets = {subscript_offsets(list(op.indices), lp) for lp, op in accesses}
        if len(offsets) != 1 or None in offsets:
            return False
    return True


def _forward_stores(block: Block, loop: Loop) -> None:
    """In a merged body, a load of an element stored earlier in the same block takes the stored value."""
    last_store: dict[tuple[SSAValue, tuple[int, ...]], SSAValue] = {}
    for op in list(block.ops):
        if isinstance(op, memref.StoreOp):
            off = subscript_offsets(list(op.indices), loop)
            # Another element (or an unknown one) of this memref: forget what we knew about it.
            for key in [k for k in last_store if k[0] is op.memref]:
                del last_store[key]
            if off is not None:
                last_store[(op.memref, off)] = op.value
        elif isinstance(op, memref.LoadOp):
            off = subscript_offsets(list(op.indices), loop)
            if off is not None and (op.memref, off) in last_store:
                Rewriter.replace_op(op, [], [last_store[(op.memref, off)]])
        elif op.regions:
            effects = memref_effects(op)
            written = effects[1] if effects is not None else {k[0] for k in last_store}
            for key in [k for k in last_store if k[0] in written]:
                del last_store[key]


def _try_merge(a: Loop, b: Loop, block: Block, aliases: _Aliases) -> bool:
    """Rewrite 2 for adjacent loops a then b; True when it applied."""
    between: list[Operation] = []
    cur = a.op.next_op
    while cur is not None and cur is not b.op:
        if cur.regions or memref_effects(cur) != (set(), set()):
            return False
        between.append(cur)
        cur = cur.next_op
    if cur is not b.op or not _mergeable(a, b, aliases):
        return False
    for op in between:  # side-effect-free bound computations: hoist them above a
        op.detach()
        block.insert_op_before(op, a.op)
    term = a.block.last_op
    assert term is not None
    b_term = b.block.last_op
    assert b_term is not None
    b_term.detach()
    b_term.erase()
    Rewriter.inline_block(b.block, InsertPoint.before(term), a.ivs)
    Rewriter.erase_op(b.op)
    _forward_stores(a.block, a)
    return True


def fuse_block(block: Block, aliases: _Aliases, max_recompute: int = 256) -> bool:
    """Apply both rewrites in block until neither applies; True when anything changed."""
    changed = False
    progress = True
    while progress:
        progress = False
        for p in [lp for op in block.ops if (lp := as_loop(op)) is not None]:
            if _try_inline(p, block, aliases, max_recompute):
                progress = changed = True
                break
        if progress:
            continue
        loops = [lp for op in block.ops if (lp := as_loop(op)) is not None]
        for a, b in zip(loops, loops[1:]):
            if _try_merge(a, b, block, aliases):
                progress = changed = True
                break
    return changed


@dataclass(frozen=True)
class KokkosFusePass(ModulePass):
    """Fuse adjacent parallel loops (L2 scf.parallel or L3 range/MDRange parallel_for), removing temporaries."""

    name = "kokkos-fuse"

    noalias: bool = True
    max_recompute: int = 256  # most ops one producer may be cloned into its consumers as (body ops x copies)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        aliases = _Aliases(self.noalias)
        for f in list(op.walk()):
            if not isinstance(f, func.FuncOp) or not f.body.blocks:
                continue
            blocks = [blk for o in f.walk() for r in o.regions for blk in r.blocks]
            for blk in blocks:
                if blk.parent is not None and sum(as_loop(o) is not None for o in blk.ops) >= 2:
                    fuse_block(blk, aliases, self.max_recompute)
