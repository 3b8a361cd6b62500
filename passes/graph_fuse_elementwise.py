"""`graph-fuse-elementwise`: chains of elementwise linalg ops become one linalg.generic (upstream MLIR).

Runs upstream `linalg-fuse-elementwise-ops` through the upstream-MLIR bridge, so a convolution's bias,
the batch norm after it, its ReLU and a residual add are one loop with no temporary per op. It is a
step of its own (not inside `graph-bufferize`) so that `graph-hoist-invariants` can take the
loop-invariant parts back out of the fused loops before bufferization: upstream fusion would merge
them in again. Target-neutral; tensors only.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

UPSTREAM_PIPELINE = "builtin.module(linalg-fuse-elementwise-ops)"


@dataclass(frozen=True)
class GraphFuseElementwisePass(ModulePass):
    """Fuse producer/consumer elementwise linalg ops on tensors with upstream MLIR."""

    name = "graph-fuse-elementwise"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from hpcir.dialects.upstream import run_upstream_passes_in_place

        run_upstream_passes_in_place(op, UPSTREAM_PIPELINE)
