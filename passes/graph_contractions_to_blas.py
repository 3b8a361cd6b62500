"""`graph-contractions-to-blas`: matrix products and 2-D convolutions of graph programs become BLAS calls.

Recognised on L1 tensors (before bufferization, as `graph-fft-to-buffers` does for FFTs):

- `linalg.matmul`, and `linalg.generic` contractions (what torch and JAX imports give for dense
  layers, `@`, `bmm`, `einsum`): two inputs, one reduction dimension, body `out + a * b`, each input
  indexing (batch?, row, k) or a transpose of it; a transposing `linalg.generic` producing an
  input (torch's `permute` of a Linear weight) is folded into the gemm's transpose flag, and a
  broadcast of a 2-D B over the batch (torch's `expand` of a weight before a `bmm`) into a shared B
  (one weight for every batch, instead of a copy per batch);
- `linalg.conv_2d_nchw_fchw` and `linalg.conv_2d_nhwc_hwcf` (torch and JAX convolutions; padding
  is a `tensor.pad` before them: a zero pad of the spatial dimensions folds into the convolution's
  `padding`, whose zeros the im2col writes, instead of a padded copy of the input).

Each becomes its buffer form between the bufferization bridges that one-shot-bufferize folds away:

    %c = linalg.generic {...} ins(%a, %b) outs(%zero)  ->  %ab = bufferization.to_buffer %a read_only
                                                           %bb = bufferization.to_buffer %b read_only
                                                           %cb = memref.alloc()
                                                           blas.gemm %ab, %bb, %cb {beta = 0.0, ...}
                                                           %c = bufferization.to_tensor %cb restrict writable

An output initialised with zeros (`linalg.fill 0`) gives beta = 0; any other initial value is copied
into the result first (beta = 1). Anything else stays a linalg op and becomes loops: element types
other than f32 / f64, dynamic shapes, other bodies, broadcast batch dimensions. Convolutions get an
im2col scratch buffer of one image. The driver runs this pass for host targets (cpu, serial) only.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, bufferization, memref, tensor
from xdsl.dialects.builtin import AffineMapAttr, DenseIntOrFPElementsAttr, FloatAttr, MemRefType, ModuleOp, \
    TensorType, UnitAttr, f32, f64
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern

from hpcir.dialects.blas import Conv2dOp, GemmOp

_CONVS = {"linalg.conv_2d_nchw_fchw": "nchw_fchw", "linalg.conv_2d_nhwc_hwcf": "nhwc_hwcf"}


def _static_float_tensor(v: SSAValue) -> TensorType | None:
    t = v.type
    if isinstance(t, TensorType) and t.get_element_type() in (f32, f64) and all(d >= 0 for d in t.get_shape()):
        return t
    return None


def _map_dims(attr) -> tuple[int, ...] | None:
    """The dimensions a projected-permutation indexing map reads, in result order (None otherwise)."""
    m = attr.data if isinstance(attr, AffineMapAttr) else attr
    if m.num_symbols or not all(isinstance(e, AffineDimExpr) for e in m.results):
        return None
    return tuple(e.position for e in m.results)


def _is_zero(v: SSAValue) -> bool:
    """Is v a tensor filled with 0.0 (linalg.fill of a zero constant)?"""
    op = v.owner
    if not isinstance(op, Operation) or op.name != "linalg.fill":
        return False
    cst = op.operands[0].owner
    if not isinstance(cst, arith.ConstantOp):
        return False
    val = cst.value
    if isinstance(val, FloatAttr):
        return val.value.data == 0.0
    return isinstance(val, DenseIntOrFPElementsAttr) and all(x == 0.0 for x in val.get_values())


def _mul_add_body(op: Operation) -> bool:
    """Is the generic's body `yield out + a * b` (either operand order)?"""
    block = op.regions[0].block
    a, b, out = block.args
    ops = list(block.ops)
    if len(ops) != 3 or ops[0].name != "arith.mulf" or ops[1].name != "arith.addf" or ops[2].name != "linalg.yield":
        return False
    mul, add, yld = ops
    return (set(mul.operands) == {a, b} and set(add.operands) == {mul.results[0], out}
            and yld.operands[0] == add.results[0])


def _transposed_source(v: SSAValue) -> SSAValue | None:
    """The input of a 2-D transpose (a linalg.generic copying x[j, i] to y[i, j]) producing v, or None."""
    op = v.owner
    if not isinstance(op, Operation) or op.name != "linalg.generic" or len(op.operands) != 2:
        return None
    maps = [_map_dims(m) for m in op.properties["indexing_maps"].data]
    ops = list(op.regions[0].block.ops)
    if maps != [(1, 0), (0, 1)] or len(ops) != 1 or ops[0].operands[0] != op.regions[0].block.args[0]:
        return None
    return op.operands[0]


def _broadcast_source(v: SSAValue) -> SSAValue | None:
    """The 2-D input of a batch broadcast (a linalg.generic copying x[i, j] to y[b, i, j]) producing v, or None."""
    op = v.owner
    if not isinstance(op, Operation) or op.name != "linalg.generic" or len(op.operands) != 2:
        return None
    maps = [_map_dims(m) for m in op.properties["indexing_maps"].data]
    block = op.regions[0].block
    ops = list(block.ops)
    if maps != [(1, 2), (0, 1, 2)] or len(ops) != 1 or ops[0].operands[0] != block.args[0]:
        return None
    return op.operands[0]


def _operand_roles(maps, batch: tuple[int, ...], m: int, n: int, k: int):
    """(a index, transpose_a, b index, transpose_b) assigning the inputs to A (rows m) and B (columns n)."""
    for ia, ib in ((0, 1), (1, 0)):
        ma, mb = maps[ia], maps[ib]
        if ma[:len(batch)] != batch or mb[:len(batch)] != batch:
            continue
        ra, rb = ma[len(batch):], mb[len(batch):]
        if ra in ((m, k), (k, m)) and rb in ((k, n), (n, k)):
            return ia, ra == (k, m), ib, rb == (n, k)
    return None


def _gemm_roles(op: Operation):
    """For a contraction: ((A, transpose_a), (B, transpose_b)); None when op is no BLAS-shaped contraction."""
    if op.name not in ("linalg.generic", "linalg.matmul") or len(op.operands) != 3:
        return None
    if op.name == "linalg.matmul":  # its maps (transposed operands) if given, else (m, k) x (k, n)
        iters = ["parallel", "parallel", "reduction"]
        given = op.properties.get("indexing_maps")
        maps = [_map_dims(m) for m in given.data] if given is not None else [(0, 2), (2, 1), (0, 1)]
    else:
        iters = [str(t.data) for t in op.properties["iterator_types"].data]
        maps = [_map_dims(m) for m in op.properties["indexing_maps"].data]
    if None in maps or iters.count("reduction") != 1 or len(iters) not in (3, 4) or not _mul_add_body(op):
        return None
    k = iters.index("reduction")
    par = tuple(i for i in range(len(iters)) if i != k)
    if maps[2] != par:  # the output is indexed by the parallel dimensions in order
        return None
    batch, (m, n) = par[:-2], par[-2:]
    roles = _operand_roles(maps, batch, m, n, k)
    if roles is None:
        return None
    ia, ta, ib, tb = roles
    return (op.operands[ia], ta), (op.operands[ib], tb)


def _to_buffer(v: SSAValue) -> Operation:
    t = v.type
    assert isinstance(t, TensorType)
    return bufferization.ToBufferOp.create(operands=[v], result_types=[MemRefType(t.get_element_type(), t.get_shape())],
                                           properties={"read_only": UnitAttr()})


def _result_buffer(init: SSAValue) -> tuple[list[Operation], SSAValue, float]:
    """The result buffer (a copy of the initial value unless it is zeros), its ops, and beta."""
    t = init.type
    assert isinstance(t, TensorType)
    alloc = memref.AllocOp.get(t.get_element_type(), shape=t.get_shape(), alignment=64)
    if _is_zero(init):
        return [alloc], alloc.memref, 0.0
    src = _to_buffer(init)
    return [src, alloc, memref.CopyOp(src.results[0], alloc.memref)], alloc.memref, 1.0


def _erase_if_dead(rewriter: PatternRewriter, v: SSAValue) -> None:
    """Erase v's producer (and, for a fill or a transpose, its init tensor) once nothing uses it: a dead
    linalg op on tensors would otherwise still be bufferized into a write."""
    op = v.owner
    if isinstance(op, Operation) and op.name in ("linalg.fill", "linalg.generic", "tensor.empty") \
            and not any(r.uses for r in op.results):
        inits = list(op.operands[-1:]) if op.name != "tensor.empty" else []
        rewriter.erase(op)
        for i in inits:
            _erase_if_dead(rewriter, i)


class ContractionToGemm(RewritePattern):
    """A matmul-shaped linalg op on f32 / f64 tensors -> blas.gemm between bufferization bridges."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:  # noqa: D102
        roles = _gemm_roles(op)
        if roles is None or not all(_static_float_tensor(v) for v in op.operands):
            return
        if len({v.type.get_element_type() for v in op.operands}) != 1:  # type: ignore[union-attr]
            return
        (a, ta), (b, tb) = roles
        folded = []
        shared = _broadcast_source(b) if len(b.type.get_shape()) == 3 else None  # type: ignore[union-attr]
        if shared is not None:  # a weight broadcast over the batch: the gemm reads the 2-D weight itself
            folded.append(b)
            b = shared
        for i, (v, t) in enumerate(((a, ta), (b, tb))):
            src = _transposed_source(v) if len(v.type.get_shape()) == 2 else None  # type: ignore[union-attr]
            if src is not None:
                folded.append(v)
                a, ta = (src, not t) if i == 0 else (a, ta)
                b, tb = (src, not t) if i == 1 else (b, tb)
        ab, bb = _to_buffer(a), _to_buffer(b)
        init_ops, c, beta = _result_buffer(op.operands[2])
        gemm = GemmOp(ab.results[0], bb.results[0], c, ta, tb, beta)
        back = bufferization.ToTensorOp(c, restrict=True, writable=True)
        init = op.operands[2]
        rewriter.replace(op, [ab, bb, *init_ops, gemm, back], [back.tensor])
        for v in (*folded, init):
            _erase_if_dead(rewriter, v)


def _zero_padding(x: SSAValue, layout: str) -> tuple[SSAValue, tuple[int, int, int, int]] | None:
    """(source, (top, left, bottom, right)) when x is a static zero tensor.pad of the spatial dimensions only."""
    op = x.owner
    if not isinstance(op, tensor.PadOp) or op.low or op.high:
        return None
    low, high = (tuple(int(v) for v in a.get_values()) for a in (op.static_low, op.static_high))
    sp = (2, 3) if layout == "nchw_fchw" else (1, 2)
    if any(low[d] or high[d] for d in range(4) if d not in sp) or min(low + high) < 0:
        return None
    ops = list(op.region.block.ops)
    yld = ops[-1] if ops else None
    if yld is None or yld.name != "tensor.yield" or not isinstance(yld.operands[0].owner, arith.ConstantOp):
        return None
    val = yld.operands[0].owner.value
    if not isinstance(val, FloatAttr) or val.value.data != 0.0:
        return None
    return op.source, (low[sp[0]], low[sp[1]], high[sp[0]], high[sp[1]])


class ConvToIm2colGemm(RewritePattern):
    """linalg.conv_2d_nchw_fchw / nhwc_hwcf on f32 / f64 tensors -> blas.conv_2d with an im2col scratch."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:  # noqa: D102
        layout = _CONVS.get(op.name)
        if layout is None or len(op.operands) != 3 or not all(_static_float_tensor(v) for v in op.operands):
            return
        if len({v.type.get_element_type() for v in op.operands}) != 1:  # type: ignore[union-attr]
            return
        attrs = {**op.attributes, **op.properties}  # (xDSL keeps strides / dilations as properties)
        steps = [tuple(int(x) for x in attrs[n].get_values()) if n in attrs else (1, 1) for n in ("strides", "dilations")]
        x, w, init = op.operands
        padded, padding = x, (0, 0, 0, 0)
        folded = _zero_padding(x, layout)
        if folded is not None:  # the im2col writes the padding's zeros: no padded copy of the input
            x, padding = folded
        sw, so = w.type.get_shape(), init.type.get_shape()  # type: ignore[union-attr]
        if layout == "nchw_fchw":
            rows, cols = sw[1] * sw[2] * sw[3], so[2] * so[3]
        else:
            rows, cols = sw[0] * sw[1] * sw[2], so[1] * so[2]
            rows, cols = cols, rows
        xb, wb = _to_buffer(x), _to_buffer(w)
        scratch = memref.AllocOp.get(init.type.get_element_type(), shape=[rows, cols], alignment=64)  # type: ignore
        init_ops, out, beta = _result_buffer(init)
        conv = Conv2dOp(xb.results[0], wb.results[0], out, scratch.memref, layout, steps[0], steps[1], beta, padding)
        back = bufferization.ToTensorOp(out, restrict=True, writable=True)
        rewriter.replace(op, [xb, wb, scratch, *init_ops, conv, back], [back.tensor])
        _erase_if_dead(rewriter, init)
        if padded is not x and not padded.uses:
            rewriter.erase(padded.owner)  # type: ignore[arg-type]


@dataclass(frozen=True)
class GraphContractionsToBlasPass(ModulePass):
    """Turn matmul-shaped linalg contractions and 2-D convolutions on f32/f64 tensors into BLAS calls."""

    name = "graph-contractions-to-blas"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from xdsl.pattern_rewriter import GreedyRewritePatternApplier
        PatternRewriteWalker(GreedyRewritePatternApplier([ContractionToGemm(), ConvToIm2colGemm()]),
                             apply_recursively=False).rewrite_module(op)
