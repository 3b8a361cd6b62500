"""`graph-fft-to-buffers`: the tensor FFT ops of graph programs become `fft.execute` on buffers.

Upstream one-shot bufferization knows nothing of our `fft` dialect, so each value op is given its
buffer form first, with the bufferization dialect's own bridges that one-shot-bufferize folds away:

    %k = fft.rfftn %x {axes, norm}        ->   %xb = bufferization.to_buffer %x read_only
                                               %kb = memref.alloc() : memref<...xcomplex<f64>>
                                               fft.execute %xb, %kb {kind = "rfftn", axes, norm}
                                               %k = bufferization.to_tensor %kb restrict writable

After `graph-bufferize` the program is a host program whose FFTs sit between its parallel loops;
the Kokkos emitter calls the target's FFT runtime (FFTW3 / cuFFT / hipFFT) for each. One rewrite
pattern per op, run by a PatternRewriteWalker; target-neutral.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import bufferization, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp, TensorType, UnitAttr
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern

from hpcir.dialects.fft import ExecuteOp, FftnOp, IfftnOp, IrfftnOp, RfftnOp, _FftBase

_KIND = {FftnOp: "fftn", IfftnOp: "ifftn", RfftnOp: "rfftn", IrfftnOp: "irfftn"}


class FftToExecute(RewritePattern):
    """fft.{fftn,ifftn,rfftn,irfftn} on tensors -> fft.execute between bufferization bridges."""

    def match_and_rewrite(self, op, rewriter: PatternRewriter) -> None:  # noqa: D102
        kind = _KIND.get(type(op))
        if kind is None:
            return
        assert isinstance(op, _FftBase)
        tin, tout = op.input.type, op.result.type
        assert isinstance(tin, TensorType) and isinstance(tout, TensorType)
        to_buf = bufferization.ToBufferOp.create(
            operands=[op.input], result_types=[MemRefType(tin.get_element_type(), tin.get_shape())],
            properties={"read_only": UnitAttr()})
        alloc = memref.AllocOp.get(tout.get_element_type(), shape=tout.get_shape(), alignment=64)
        run = ExecuteOp(to_buf.memref, alloc.memref, kind, op.get_axes(), op.norm.data)
        back = bufferization.ToTensorOp(alloc.memref, restrict=True, writable=True)
        rewriter.replace(op, [to_buf, alloc, run, back], [back.tensor])


@dataclass(frozen=True)
class GraphFftToBuffersPass(ModulePass):
    """Give every tensor FFT op of a graph program its buffer form (fft.execute)."""

    name = "graph-fft-to-buffers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FftToExecute(), apply_recursively=False).rewrite_module(op)
