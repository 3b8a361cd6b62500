"""`graph-bufferize`: L1 graph functions on tensors become L2 parallel loops on memrefs (upstream MLIR).

Runs, through the upstream-MLIR bridge (`hpcir.dialects.upstream.run_upstream_passes_in_place`):

    one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map
                       allow-return-allocs-from-loops},
    convert-linalg-to-parallel-loops, lower-affine, int-range-optimizations, canonicalize, cse

so tensors become memrefs with identity layouts (LayoutRight views), every linalg op an
`scf.parallel` (reductions become `scf.for` inside it), and functions return freshly allocated
buffers (`graph-results-to-out-params` turns those into output views). Elementwise chains are
fused before, by `graph-fuse-elementwise` (and `graph-hoist-invariants` runs between the two).
`int-range-optimizations` uses the loops' bounds: the floor divisions and remainders lower-affine
writes for reshaped indices need no sign fix-ups when the index is known non-negative. Upstream inserts no
deallocations. The names of function arguments (`%x`, `%fc1_weight`, ...) survive the round trip:
upstream MLIR prints its own (`%arg0`), so they are restored by position. The pass is
target-neutral: memrefs carry no memory space; the L2 -> L3 pipeline places them. Function
arguments (the caller's arrays) are marked `bufferization.writable = false` for the run, so a loop
that updates a carried input copies it first; `allow-return-allocs-from-loops` lets loop-carried
tensors (scf.for / scf.while iter_args from lax.scan and friends) take fresh buffers each step.
Ops without a bufferization (the `fft` dialect's tensor ops: graph-fft-to-buffers gives them their
buffer form first) are refused with an HpcirError before anything runs.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, BoolAttr, DictionaryAttr, ModuleOp, i1
from xdsl.passes import ModulePass

from hpcir.core.errors import HpcirError

UPSTREAM_PIPELINE = ("builtin.module(one-shot-bufferize{bufferize-function-boundaries "
                     "function-boundary-type-conversion=identity-layout-map "
                     "allow-return-allocs-from-loops},"
                     "convert-linalg-to-parallel-loops,lower-affine,int-range-optimizations,canonicalize,cse)")


@dataclass(frozen=True)
class GraphBufferizePass(ModulePass):
    """Bufferize graph functions and lower linalg to scf.parallel loops on memrefs, with upstream MLIR."""

    name = "graph-bufferize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from hpcir.dialects.upstream import run_upstream_passes_in_place

        for o in op.walk():
            if o.name in ("fft.fftn", "fft.ifftn", "fft.rfftn", "fft.irfftn"):
                raise HpcirError(f"{o.name} on tensors cannot be bufferized by upstream MLIR",
                                 hint="run graph-fft-to-buffers first (it is in the graph L1 -> L2 pipeline)")
        for f in _funcs(op):  # inputs, weights and lifted constants belong to the caller: never written in place
            _set_arg_attrs(f, {_WRITABLE: BoolAttr(False, i1)})
        run_upstream_passes_in_place(op, UPSTREAM_PIPELINE)
        for f in _funcs(op):
            _set_arg_attrs(f, None)


def _funcs(op: ModuleOp) -> list[func.FuncOp]:
    return [f for f in op.walk() if isinstance(f, func.FuncOp) and f.body.blocks]


_WRITABLE = "bufferization.writable"


def _set_arg_attrs(f: func.FuncOp, extra: dict | None) -> None:
    """Add `extra` to (or, with None, drop bufferization.writable from) every argument's attributes."""
    n = len(f.body.block.args)
    old = list(f.arg_attrs.data) if f.arg_attrs is not None else [DictionaryAttr({})] * n
    new = []
    for d in old:
        entries = {k: v for k, v in d.data.items() if k != _WRITABLE}
        new.append(DictionaryAttr({**entries, **(extra or {})}))
    f.arg_attrs = ArrayAttr(new) if any(d.data for d in new) else None
