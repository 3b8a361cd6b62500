"""The FFT op set of L1: n-dimensional (inverse) complex and real FFTs on tensors.

Semantics follow numpy.fft: `axes` are the transformed dimensions, `norm` is "backward" (no
scaling forward, 1/n inverse), "ortho" (1/sqrt(n) both ways) or "forward" (1/n forward). rfftn
halves the last axis (n -> n//2 + 1); irfftn takes the output lengths from its result type.
Upstream MLIR sees these as unregistered ops; the emitters map them to jnp.fft / torch.fft and
the Kokkos backend to FFTW/cuFFT/hipFFT calls.
"""
from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    ComplexType, DenseArrayBase, MemRefType, StringAttr, TensorType, f32, f64, i64,
)
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

NORMS = ("backward", "ortho", "forward")


class _FftBase(IRDLOperation):
    """Common operands, properties and checks of the four FFT ops."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(DenseArrayBase)
    norm = prop_def(StringAttr)
    traits = traits_def(Pure())

    # (input is complex, result is complex) for each op
    IN_COMPLEX: ClassVar[bool] = True
    OUT_COMPLEX: ClassVar[bool] = True

    def __init__(self, x: SSAValue, axes, norm: str, result_type: TensorType):
        super().__init__(operands=[x], result_types=[result_type],
                         properties={"axes": DenseArrayBase.from_list(i64, list(axes)),
                                     "norm": StringAttr(norm)})

    def get_axes(self) -> tuple[int, ...]:
        """The transformed dimensions (non-negative, increasing)."""
        return tuple(int(a) for a in self.axes.get_values())

    def verify_(self) -> None:
        tin, tout = self.input.type, self.result.type
        assert isinstance(tin, TensorType) and isinstance(tout, TensorType)
        if self.norm.data not in NORMS:
            raise VerifyException(f"{self.name}: norm must be one of {NORMS}, got {self.norm.data!r}")
        axes = self.get_axes()
        rank = tin.get_num_dims()
        if not axes or list(axes) != sorted(set(axes)) or axes[0] < 0 or axes[-1] >= rank:
            raise VerifyException(f"{self.name}: axes {axes} must be increasing and within rank {rank}")
        if tout.get_num_dims() != rank:
            raise VerifyException(f"{self.name}: result rank differs from input rank")
        for t, want, what in ((tin, self.IN_COMPLEX, "input"), (tout, self.OUT_COMPLEX, "result")):
            if isinstance(t.get_element_type(), ComplexType) != want:
                raise VerifyException(f"{self.name}: {what} must be {'complex' if want else 'real'}")
        ein, eout = tin.get_element_type(), tout.get_element_type()
        fin = ein.element_type if isinstance(ein, ComplexType) else ein
        fout = eout.element_type if isinstance(eout, ComplexType) else eout
        if fin != fout:
            raise VerifyException(f"{self.name}: input and result precisions differ")
        self._check_shapes(tuple(tin.get_shape()), tuple(tout.get_shape()), axes)

    def _check_shapes(self, sin, sout, axes) -> None:
        if sin != sout:
            raise VerifyException(f"{self.name}: result shape {sout} must equal input shape {sin}")


@irdl_op_definition
class FftnOp(_FftBase):
    """Forward complex-to-complex FFT over `axes`."""

    name = "fft.fftn"


@irdl_op_definition
class IfftnOp(_FftBase):
    """Inverse complex-to-complex FFT over `axes`."""

    name = "fft.ifftn"


@irdl_op_definition
class RfftnOp(_FftBase):
    """Real-to-complex FFT over `axes`; the last axis shrinks to n//2 + 1."""

    name = "fft.rfftn"
    IN_COMPLEX: ClassVar[bool] = False

    def _check_shapes(self, sin, sout, axes) -> None:
        want = list(sin)
        want[axes[-1]] = sin[axes[-1]] // 2 + 1
        if tuple(want) != sout:
            raise VerifyException(f"{self.name}: result shape {sout} must be {tuple(want)}")


@irdl_op_definition
class IrfftnOp(_FftBase):
    """Complex-to-real inverse FFT over `axes`; output lengths are the result's shape."""

    name = "fft.irfftn"
    OUT_COMPLEX: ClassVar[bool] = False

    def _check_shapes(self, sin, sout, axes) -> None:
        last = axes[-1]
        ok = all(a == b for i, (a, b) in enumerate(zip(sin, sout)) if i != last)
        if not ok or sout[last] // 2 + 1 != sin[last]:
            raise VerifyException(f"{self.name}: result shape {sout} does not match input {sin}")


FFT_OPS = (FftnOp, IfftnOp, RfftnOp, IrfftnOp)


# ---- buffer level ------------------------------------------------------------------------------
# The tensor ops above are values; `fft.execute` is the same transform on buffers (memrefs, i.e.
# Kokkos views), writing its result into an output buffer that may be the input itself (in
# place). It is what a host program runs between launches and what the C++ emitters map to one
# FFTW / cuFFT / hipFFT plan execution. Extents may be dynamic: plans are made per shape at run time.
KINDS = ("fftn", "ifftn", "rfftn", "irfftn")
_TENSOR_OP = {"fftn": FftnOp, "ifftn": IfftnOp, "rfftn": RfftnOp, "irfftn": IrfftnOp}


@irdl_op_definition
class ExecuteOp(IRDLOperation):
    """Run one n-dimensional FFT of `kind` over `axes` from buffer `input` into buffer `output`.

    numpy.fft semantics: every dimension not in `axes` is a batch dimension; for rfftn / irfftn the
    last entry of `axes` is the halved one (n -> n//2 + 1), and irfftn's output extent along it
    says which n (odd or even) was meant.
    """

    name = "fft.execute"

    input = operand_def(MemRefType)
    output = operand_def(MemRefType)
    kind = prop_def(StringAttr)
    axes = prop_def(DenseArrayBase)
    norm = prop_def(StringAttr)

    def __init__(self, x: SSAValue, out: SSAValue, kind: str, axes, norm: str):
        super().__init__(operands=[x, out],
                         # (alphabetical, the order upstream MLIR prints them in)
                         properties={"axes": DenseArrayBase.from_list(i64, list(axes)), "kind": StringAttr(kind),
                                     "norm": StringAttr(norm)})

    def get_axes(self) -> tuple[int, ...]:
        """The transformed dimensions, in the order given (the last is the real one for r2c / c2r)."""
        return tuple(int(a) for a in self.axes.get_values())

    def verify_(self) -> None:
        kind = self.kind.data
        if kind not in KINDS:
            raise VerifyException(f"fft.execute: kind must be one of {KINDS}, got {kind!r}")
        if self.norm.data not in NORMS:
            raise VerifyException(f"fft.execute: norm must be one of {NORMS}, got {self.norm.data!r}")
        tin, tout = self.input.type, self.output.type
        assert isinstance(tin, MemRefType) and isinstance(tout, MemRefType)
        rank = tin.get_num_dims()
        axes = self.get_axes()
        if not axes or len(set(axes)) != len(axes) or min(axes) < 0 or max(axes) >= rank:
            raise VerifyException(f"fft.execute: axes {axes} must be distinct and within rank {rank}")
        if tout.get_num_dims() != rank:
            raise VerifyException("fft.execute: output rank differs from input rank")
        op = _TENSOR_OP[kind]
        for t, want, what in ((tin, op.IN_COMPLEX, "input"), (tout, op.OUT_COMPLEX, "output")):
            if isinstance(t.get_element_type(), ComplexType) != want:
                raise VerifyException(f"fft.execute: {kind} {what} must be {'complex' if want else 'real'}")
        ein, eout = tin.get_element_type(), tout.get_element_type()
        fin = ein.element_type if isinstance(ein, ComplexType) else ein
        fout = eout.element_type if isinstance(eout, ComplexType) else eout
        if fin != fout or fin not in (f32, f64):
            raise VerifyException("fft.execute: input and output must share one precision, f32 or f64")
        sin, sout = tuple(tin.get_shape()), tuple(tout.get_shape())
        last = axes[-1]
        for d, (a, b) in enumerate(zip(sin, sout)):
            if a < 0 or b < 0:
                continue  # dynamic: checked when the plan is made
            if kind == "rfftn" and d == last:
                ok = b == a // 2 + 1
            elif kind == "irfftn" and d == last:
                ok = b // 2 + 1 == a
            else:
                ok = a == b
            if not ok:
                raise VerifyException(f"fft.execute: {kind} output shape {sout} does not match input {sin}")


FFT = Dialect("fft", [*FFT_OPS, ExecuteOp], [])
