"""Typed SSA values of the kernel language and the conversions between scalar types."""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects import complex as cplx
from xdsl.dialects.builtin import ArrayAttr, FloatAttr, IndexType, IntegerAttr
from xdsl.ir import Block, Operation, SSAValue

from .types import BOOL, I64, KernelType, ScalarType


@dataclass
class TV:
    """A typed value: an SSA value and its kernel type; `weak` marks untyped Python literals."""

    ssa: SSAValue
    ty: KernelType
    weak: bool = False


class Emitter:
    """Appends ops to the current block; the base of the expression and statement lowerers."""

    block: Block

    def emit(self, op: Operation) -> Operation:
        """Append an op at the insertion point and return it."""
        self.block.add_op(op)
        return op

    def const(self, value: complex | float | int | bool, ty: ScalarType) -> TV:
        """A constant of a kernel scalar type."""
        if ty.is_complex:
            z, part = complex(value), ty.real_type.mlir()
            op = cplx.ConstantOp(ArrayAttr([FloatAttr(z.real, part), FloatAttr(z.imag, part)]), ty.mlir())
            return TV(self.emit(op).results[0], ty)
        if ty.is_float:
            op = arith.ConstantOp(FloatAttr(float(value), ty.mlir()))
        else:
            v = int(value)
            if ty.is_bool:
                v = 1 if v else 0
            op = arith.ConstantOp(IntegerAttr(v, ty.mlir()))
        return TV(self.emit(op).results[0], ty)

    def const_index(self, value: int) -> SSAValue:
        """An `index` constant."""
        return self.emit(arith.ConstantOp(IntegerAttr(value, IndexType()))).results[0]

    def to_index(self, v: TV) -> SSAValue:
        """An i64 (or i32) kernel integer as an MLIR `index`."""
        return self.emit(arith.IndexCastOp(v.ssa, IndexType())).results[0]

    def from_index(self, v: SSAValue) -> TV:
        """An MLIR `index` as a kernel i64."""
        return TV(self.emit(arith.IndexCastOp(v, I64.mlir())).results[0], I64)

    def convert(self, v: TV, to: ScalarType) -> TV:
        """Convert a scalar to another scalar type with C++ semantics (float → int truncates)."""
        src = v.ty
        assert isinstance(src, ScalarType) and isinstance(to, ScalarType)
        if src == to:
            return TV(v.ssa, to)
        if src.is_complex or to.is_complex:
            return self.convert_complex(v, to)
        if src.is_unsigned or to.is_unsigned:
            return self.convert_unsigned(v, to)
        if to.is_bool:
            zero = self.const(0, src)
            if src.is_float:
                op: Operation = arith.CmpfOp(v.ssa, zero.ssa, "une")
            else:
                op = arith.CmpiOp(v.ssa, zero.ssa, "ne")
            return TV(self.emit(op).results[0], BOOL)
        t = to.mlir()
        if src.is_float and to.is_float:
            op = arith.ExtFOp(v.ssa, t) if to.bits > src.bits else arith.TruncFOp(v.ssa, t)
        elif src.is_float:
            op = arith.FPToSIOp(v.ssa, t)
        elif to.is_float:
            op = arith.UIToFPOp(v.ssa, t) if src.is_bool else arith.SIToFPOp(v.ssa, t)
        elif to.bits > src.bits:
            op = arith.ExtUIOp(v.ssa, t) if src.is_bool else arith.ExtSIOp(v.ssa, t)
        else:
            op = arith.TruncIOp(v.ssa, t)
        return TV(self.emit(op).results[0], to)

    def convert_unsigned(self, v: TV, to: ScalarType) -> TV:
        """Conversions with an unsigned side (C++'s): through the signless integer of the same width
        (`builtin.unrealized_conversion_cast`, a reinterpretation of the bits), zero-extended to a
        wider type, truncated (wrapping) to a narrower one; unsigned → float is uitofp, float →
        unsigned fptoui."""
        from xdsl.dialects.builtin import IntegerType, UnrealizedConversionCastOp
        src = v.ty
        assert isinstance(src, ScalarType)
        ssa = v.ssa
        if src.is_unsigned:  # the same bits as a signless integer
            ssa = self.emit(UnrealizedConversionCastOp.get([ssa], [IntegerType(src.bits)])).results[0]
            if to.is_bool:
                zero = self.emit(arith.ConstantOp.from_int_and_width(0, src.bits)).results[0]
                return TV(self.emit(arith.CmpiOp(ssa, zero, "ne")).results[0], BOOL)
            if to.is_float:
                return TV(self.emit(arith.UIToFPOp(ssa, to.mlir())).results[0], to)
            if not to.is_unsigned:
                if to.bits == src.bits:
                    return TV(ssa, to)
                op: Operation = arith.ExtUIOp(ssa, to.mlir()) if to.bits > src.bits else arith.TruncIOp(ssa, to.mlir())
                return TV(self.emit(op).results[0], to)
            src_bits = src.bits
        else:
            src_bits = src.bits
            if src.is_float:
                ssa = self.emit(arith.FPToUIOp(ssa, IntegerType(to.bits))).results[0]
                src_bits = to.bits
        signless = IntegerType(to.bits)
        if src_bits > to.bits:
            ssa = self.emit(arith.TruncIOp(ssa, signless)).results[0]
        elif src_bits < to.bits:
            ext = arith.ExtUIOp if src.is_bool or src.is_unsigned else arith.ExtSIOp
            ssa = self.emit(ext(ssa, signless)).results[0]
        return TV(self.emit(UnrealizedConversionCastOp.get([ssa], [to.mlir()])).results[0], to)

    def convert_complex(self, v: TV, to: ScalarType) -> TV:
        """Conversions with a complex side: real → complex (imaginary part 0), complex64 ↔ complex128
        part by part, complex → bool (z != 0). Complex → real drops the imaginary part, which Python
        refuses (float(1j) is a TypeError): the frontend reports it, located, before calling this."""
        src = v.ty
        assert isinstance(src, ScalarType)
        if to.is_bool:
            zero = self.const(0, src)
            return TV(self.emit(cplx.NotEqualOp(v.ssa, zero.ssa)).results[0], BOOL)
        if not to.is_complex:
            raise ComplexToRealError(src, to)
        part = to.real_type
        if src.is_complex:
            re = TV(self.emit(cplx.ReOp(v.ssa)).results[0], src.real_type)
            im = TV(self.emit(cplx.ImOp(v.ssa)).results[0], src.real_type)
            re, im = self.convert(re, part), self.convert(im, part)
        else:
            re, im = self.convert(v, part), self.const(0.0, part)
        return TV(self.emit(cplx.CreateOp(re.ssa, im.ssa, to.mlir())).results[0], to)


class ComplexToRealError(Exception):
    """Internal: a complex value reached a conversion to a real type (the frontend locates it)."""

    def __init__(self, src: ScalarType, to: ScalarType):
        super().__init__(f"a {src} value cannot be converted to {to}")
        self.src, self.to = src, to


def is_scalar(v: TV) -> bool:
    """True for scalar values (not views or team members)."""
    return isinstance(v.ty, ScalarType)


def join_types(a: TV, b: TV) -> ScalarType:
    """The common type of a binary op's operands; weak literals adopt the other side's type."""
    ta, tb = a.ty, b.ty
    assert isinstance(ta, ScalarType) and isinstance(tb, ScalarType)
    if (ta.is_complex or tb.is_complex) and a.weak != b.weak:
        # NumPy (NEP 50): a Python number takes the typed side's precision; a Python complex
        # beside a real array gives the complex of its precision (float32 → complex64, others → complex128).
        from .types import complex_of
        typed, weak = (tb, ta) if a.weak else (ta, tb)
        return typed if typed.is_complex or not weak.is_complex else complex_of(typed)
    if a.weak and not b.weak:
        if tb.is_float or (ta.is_int and tb.is_int) or ta == tb:
            return tb if not tb.is_bool else (ta if not ta.is_bool else tb)
    if b.weak and not a.weak:
        if ta.is_float or (ta.is_int and tb.is_int) or ta == tb:
            return ta if not ta.is_bool else (tb if not tb.is_bool else ta)
    from .types import promote
    return promote(ta, tb)


