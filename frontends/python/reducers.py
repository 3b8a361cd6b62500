"""Reducer kinds: their identities and the kernel types they accept."""
from __future__ import annotations

import math

from xdsl.dialects import arith, scf
from xdsl.dialects import complex as cplx
from xdsl.ir import Block

from .types import BOOL, F32, F64, I32, I64, ScalarType

REDUCERS = ("sum", "prod", "min", "max", "land", "lor", "band", "bor", "maxloc", "minloc")
# Value-and-location reducers: they take two accumulators, the value and its int64 index
# (Kokkos::MaxLoc / MinLoc; ties go to the lowest index, as numpy.argmax).
LOC_REDUCERS = ("maxloc", "minloc")
# Kokkos::MinMaxLoc: a minloc pair then a maxloc pair (min value, its index, max value, its index).
MINMAXLOC = ("minloc", "minloc", "maxloc", "maxloc")
LOC_NONE = 2**63 - 1  # the location's identity (Kokkos' reduction_identity<int64_t>::min()): no index yet
_INT_LIMITS = {I64: (-(2**63), 2**63 - 1), I32: (-(2**31), 2**31 - 1)}


def identity(kind: str, ty: ScalarType) -> float | int | bool:
    """The neutral element of a reducer for a type (what Kokkos' reducers initialise with)."""
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if kind in LOC_REDUCERS:  # the value's identity; the location's is LOC_NONE (loc_identities)
        kind = kind[:3]
    if kind in ("min", "max"):
        if ty.is_float:
            return math.inf if kind == "min" else -math.inf
        if ty.is_bool:
            return kind == "min"
        lo, hi = _INT_LIMITS[ty]
        return hi if kind == "min" else lo
    if kind == "land":
        return True
    if kind == "lor":
        return False
    if kind == "band":
        return True if ty.is_bool else -1
    if kind == "bor":
        return False if ty.is_bool else 0
    raise ValueError(kind)


def loc_identities(kind: str, ty: ScalarType) -> tuple[float | int, int]:
    """(value, location) identities of maxloc / minloc on values of type `ty`."""
    return identity(kind, ty), LOC_NONE  # type: ignore[return-value]


def default_type(kind: str) -> ScalarType:
    """The accumulator type used when nothing says otherwise."""
    return {"land": BOOL, "lor": BOOL, "band": I64, "bor": I64}.get(kind, F64)


def accepts(kind: str, ty: ScalarType) -> bool:
    """Whether a reducer is defined on a type (land/lor on bool; band/bor on ints and bool)."""
    if kind in ("land", "lor"):
        return ty.is_bool
    if ty.is_complex:
        return kind in ("sum", "prod")  # complex numbers have no order and no bits
    if kind in ("band", "bor"):
        return not ty.is_float
    if kind in LOC_REDUCERS:
        return ty in (F64, F32, I64, I32)
    return ty in (F64, F32, I64, I32) or (kind in ("min", "max") and ty.is_bool)


def combiner_block(kind: str, ty: ScalarType) -> Block:
    """The `scf.reduce` region block (a, b) -> a (op) b of a built-in reducer on `ty`.

    convert-scf-to-kokkos maps each back to the Kokkos reducer (bool max/min are or/and)."""
    block = Block(arg_types=[ty.mlir(), ty.mlir()])
    a, b = block.args
    if ty.is_complex:
        op_cls = {"sum": cplx.AddOp, "prod": cplx.MulOp}[kind]
    elif ty.is_float:
        op_cls = {"sum": arith.AddfOp, "prod": arith.MulfOp, "max": arith.MaximumfOp, "min": arith.MinimumfOp}[kind]
    elif ty.is_bool:
        op_cls = {"max": arith.OrIOp, "min": arith.AndIOp, "land": arith.AndIOp, "lor": arith.OrIOp,
                  "band": arith.AndIOp, "bor": arith.OrIOp}[kind]
    else:
        op_cls = {"sum": arith.AddiOp, "prod": arith.MuliOp, "max": arith.MaxSIOp, "min": arith.MinSIOp,
                  "band": arith.AndIOp, "bor": arith.OrIOp}[kind]
    combined = op_cls(a, b)
    block.add_ops([combined, scf.ReduceReturnOp(combined.result)])
    return block
