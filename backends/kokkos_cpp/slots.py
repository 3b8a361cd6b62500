"""Where a kernel's scalar local (a rank-0 memref.alloca) is declared in the emitted C++.

The frontend puts every local's alloca at the top of its function, also the locals of a nested
`def` run by a TeamThreadRange or of a loop body. Declared there, a local used only inside a
team-level lambda is shared by reference with it ([&]), and GCC keeps such an accumulator in
memory: every `acc += ...` of an inner loop becomes a load and a store that no store to a view
may alias (the k-space contraction of mdft_case ran 1.3x slower for that alone, 32^3 mmax 3).
A local is therefore declared at its first store when that store starts the innermost C++ scope
(`{ ... }` of a loop, branch, lambda) holding every use of it: each entry into the scope
overwrites the value before anything reads it, so a fresh variable per entry is the same program.
"""
from __future__ import annotations

from xdsl.ir import Block, Operation, SSAValue

# Ops whose blocks are emitted as C++ scopes of the same function (control.py, launches.py). A
# launch (kokkos.parallel_*) is not among them: its body is another function (a functor).
_SCOPED = frozenset({"scf.for", "scf.if", "scf.while", "scf.execute_region", "scf.parallel",
                     "kokkos.team_thread_range", "kokkos.thread_vector_range", "kokkos.team_vector_range",
                     "kokkos.single"})


def declaring_store(slot: SSAValue, alloca: Operation) -> Operation | None:
    """The store that declares `slot`: the first use of it in the innermost scope holding all its uses,
    when that use is a plain store into it (None: declare it at the alloca)."""
    home = alloca.parent_block()
    uses = [u.operation for u in slot.uses]
    if not uses or home is None:
        return None
    chains = [_blocks_up_to(op, home) for op in uses]
    if any(c is None for c in chains):
        return None
    scope = home
    for level in zip(*(reversed(c) for c in chains)):   # outermost first: the deepest block they share
        if any(b is not level[0] for b in level):
            break
        scope = level[0]
    op = alloca.next_op if scope is home else scope.first_op
    while op is not None:
        if any(v is slot for inner in op.walk() for v in inner.operands):
            ok = op.name == "memref.store" and op.operands[1] is slot and op.operands[0] is not slot
            return op if ok else None
        op = op.next_op
    return None


def _blocks_up_to(op: Operation, home: Block) -> list[Block] | None:
    """The blocks enclosing `op`, innermost first, up to `home` (excluded); None if one of them is not a
    C++ scope of `home`'s function."""
    out: list[Block] = []
    block = op.parent_block()
    while block is not home:
        owner = block.parent_op() if block is not None else None
        if owner is None or owner.name not in _SCOPED or (owner.name == "scf.parallel" and block is not owner.body.block):
            return None
        out.append(block)
        block = owner.parent_block()
    return out
