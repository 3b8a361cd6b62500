"""Typed SSA values of the kernel language and the conversions between scalar types."""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import FloatAttr, IndexType, IntegerAttr
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

    def const(self, value: float | int | bool, ty: ScalarType) -> TV:
        """A constant of a kernel scalar type."""
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


def is_scalar(v: TV) -> bool:
    """True for scalar values (not views or team members)."""
    return isinstance(v.ty, ScalarType)


def join_types(a: TV, b: TV) -> ScalarType:
    """The common type of a binary op's operands; weak literals adopt the other side's type."""
    ta, tb = a.ty, b.ty
    assert isinstance(ta, ScalarType) and isinstance(tb, ScalarType)
    if a.weak and not b.weak:
        if tb.is_float or (ta.is_int and tb.is_int) or ta == tb:
            return tb if not tb.is_bool else (ta if not ta.is_bool else tb)
    if b.weak and not a.weak:
        if ta.is_float or (ta.is_int and tb.is_int) or ta == tb:
            return ta if not ta.is_bool else (tb if not tb.is_bool else ta)
    from .types import promote
    return promote(ta, tb)


