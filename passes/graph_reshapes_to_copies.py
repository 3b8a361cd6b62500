"""`graph-reshapes-to-copies`: tensor.collapse_shape / expand_shape become linalg.generic copies.

The Kokkos emitter has no reshaped views, so every static reshape of a graph becomes a copy
into a fresh `tensor.empty` whose indexing maps delinearize the index (floordiv / mod for a
collapse, a weighted sum for an expand); after bufferization it is a plain parallel loop. The pass
is target-neutral and needs static shapes (graph frontends only produce those).

    %r = tensor.collapse_shape %x [[0, 1]] : tensor<3x4xf32> into tensor<12xf32>
  ->
    %e = tensor.empty() : tensor<12xf32>
    %r = linalg.generic {indexing_maps = [(d0) -> (d0 floordiv 4, d0 mod 4), (d0) -> (d0)],
                         iterator_types = ["parallel"]} ins(%x) outs(%e) { linalg.yield %in }
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from xdsl.context import Context
from xdsl.dialects import tensor
from xdsl.dialects.builtin import AffineMapAttr, ModuleOp, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.ir import Block, Region
from xdsl.ir.affine import AffineDimExpr, AffineExpr, AffineMap
from xdsl.passes import ModulePass

from hpcir.core.errors import HpcirError
from hpcir.dialects.graph_types import SRC_ATTR

Reshape = tensor.CollapseShapeOp | tensor.ExpandShapeOp


def source_exprs(op: Reshape) -> list[AffineExpr]:
    """The source index of each source dimension, as affine expressions of the result's indices."""
    sshape = list(op.operands[0].type.get_shape())
    rshape = list(op.results[0].type.get_shape())
    if any(d < 0 for d in sshape + rshape):
        raise HpcirError(f"graph-reshapes-to-copies: {op.name} with a dynamic shape "
                         f"({op.operands[0].type} -> {op.results[0].type})",
                         hint="graph programs are traced with static shapes; trace it with concrete example inputs")
    groups = [[int(i.value.data) for i in g] for g in op.reassociation]
    exprs: list[AffineExpr] = []
    if isinstance(op, tensor.CollapseShapeOp):  # source dim m in group k: (d_k floordiv inner) mod size
        for k, g in enumerate(groups):
            for pos, m in enumerate(g):
                inner = prod(sshape[j] for j in g[pos + 1:])
                e = AffineDimExpr(k) if inner == 1 else AffineDimExpr(k) // inner
                exprs.append(e % sshape[m] if pos > 0 else e)
    else:  # source dim k = sum over its group of d_m * stride_m
        for g in groups:
            e = None
            for pos, m in enumerate(g):
                stride = prod(rshape[j] for j in g[pos + 1:])
                term = AffineDimExpr(m) * stride if stride != 1 else AffineDimExpr(m)
                e = term if e is None else e + term
            exprs.append(e)
    return exprs


def reshape_to_copy(op: Reshape) -> None:
    """Replace one reshape by tensor.empty + a delinearizing linalg.generic copy."""
    src, res = op.operands[0], op.results[0]
    rank = len(res.type.get_shape())
    elem = res.type.get_element_type()
    empty = tensor.EmptyOp([], TensorType(elem, res.type.get_shape()))
    body = Block(arg_types=[elem, elem])
    body.add_op(linalg.YieldOp(body.args[0]))
    maps = [AffineMapAttr(AffineMap(rank, 0, tuple(source_exprs(op)))),
            AffineMapAttr(AffineMap(rank, 0, tuple(AffineDimExpr(i) for i in range(rank))))]
    gen = linalg.GenericOp([src], [empty.results[0]], Region(body), maps,
                           [IteratorTypeAttr.parallel()] * rank, [res.type])
    block = op.parent_block()
    assert block is not None
    block.insert_op_before(empty, op)
    block.insert_op_before(gen, op)
    gen.results[0].name_hint = res.name_hint
    if SRC_ATTR in op.attributes:  # keep the user's source line for later diagnostics
        gen.attributes[SRC_ATTR] = op.attributes[SRC_ATTR]
    res.replace_all_uses_with(gen.results[0])
    op.detach()
    op.erase()


@dataclass(frozen=True)
class GraphReshapesToCopiesPass(ModulePass):
    """Turn static tensor.collapse_shape / expand_shape ops into delinearizing linalg.generic copies."""

    name = "graph-reshapes-to-copies"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for r in [o for o in op.walk() if isinstance(o, Reshape)]:
            reshape_to_copy(r)
