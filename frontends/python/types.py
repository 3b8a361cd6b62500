"""Kernel-language types: scalars, views, accumulators, team members, and their MLIR types."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import (ComplexType, IntegerType, MemRefType, NoneAttr, Signedness, StridedLayoutAttr, f32,
                                   f64, i1, i32, i64)
from xdsl.ir import Attribute

from xdsl.dialects.builtin import DYNAMIC_INDEX as DYN  # noqa: E402  (dynamic dimension marker)


@dataclass(frozen=True)
class ScalarType:
    """A scalar of the kernel language (f64, f32, i64, i32, bool, c64, c128)."""

    name: str
    numpy: type
    ctype: str

    @property
    def is_float(self) -> bool:
        """True for f32/f64."""
        return self.name.startswith("f")

    @property
    def is_int(self) -> bool:
        """True for i8/i16/i32/i64 (not bool)."""
        return self.name in ("i32", "i64", "i16", "i8")

    @property
    def is_unsigned(self) -> bool:
        """True for u8/u16/u32 (element types of views, computed with as int / int64: see promote()) and u64."""
        return self.name.startswith("u")

    @property
    def is_complex(self) -> bool:
        """True for c64/c128 (complex64/complex128: Kokkos::complex<float|double>)."""
        return self.name.startswith("c")

    @property
    def real_type(self) -> "ScalarType":
        """The type of .real / .imag / abs() of a complex (the type itself for the others)."""
        return {"c64": F32, "c128": F64}.get(self.name, self)

    @property
    def is_bool(self) -> bool:
        """True for bool."""
        return self.name == "i1"

    @property
    def bits(self) -> int:
        """Bit width."""
        return 1 if self.is_bool else int(self.name[1:])

    def mlir(self) -> Attribute:
        """The MLIR type."""
        if self.is_complex:
            return ComplexType(self.real_type.mlir())
        if self.is_unsigned:  # MLIR's ui8..ui32: the signedness reaches the C++ types and the C ABI
            return IntegerType(self.bits, Signedness.UNSIGNED)
        return {"f64": f64, "f32": f32, "i64": i64, "i32": i32, "i1": i1, "i16": IntegerType(16),
                "i8": IntegerType(8)}[self.name]

    def __str__(self) -> str:
        return np.dtype(self.numpy).name


F64 = ScalarType("f64", np.float64, "double")
F32 = ScalarType("f32", np.float32, "float")
I64 = ScalarType("i64", np.int64, "int64_t")
I32 = ScalarType("i32", np.int32, "int32_t")
BOOL = ScalarType("i1", np.bool_, "bool")
# Complex numbers: NumPy's complex64 / complex128, MLIR's complex<f32> / complex<f64>, C++'s
# Kokkos::complex<float|double> (same layout as NumPy's: real then imaginary part, no copies).
C64 = ScalarType("c64", np.complex64, "Kokkos::complex<float>")
C128 = ScalarType("c128", np.complex128, "Kokkos::complex<double>")
# 8- and 16-bit integers: element types of views (C++ promotes them to int in arithmetic, and so
# does the frontend: see promote()).
I16 = ScalarType("i16", np.int16, "int16_t")
I8 = ScalarType("i8", np.int8, "int8_t")
# Unsigned 8-, 16- and 32-bit integers: element types of views. Their values are widened (zero-
# extended) to int (8, 16 bits, as C++'s promotion) or int64 (32 bits: every value exact) before any
# arithmetic, and converted back, wrapping, when stored. (uint64: U64 below.)
U8 = ScalarType("u8", np.uint8, "uint8_t")
U16 = ScalarType("u16", np.uint16, "uint16_t")
U32 = ScalarType("u32", np.uint32, "uint32_t")
# Unsigned 64-bit integers compute as themselves (C++'s uint64_t): the frontend keeps their values
# typed u64 and emits the unsigned operations (divui, remui, shrui, cmpi ult, uitofp, fptoui, maxui)
# on the same bits as a signless i64; an operation with an int64 or narrower int is unsigned too.
U64 = ScalarType("u64", np.uint64, "uint64_t")
SCALARS = (F64, F32, I64, I32, BOOL, C64, C128, I16, I8, U8, U16, U32, U64)


def scalar_from_numpy(dtype: np.dtype) -> ScalarType | None:
    """The kernel scalar type of a numpy dtype, or None if unsupported."""
    dtype = np.dtype(dtype)
    for s in SCALARS:
        if np.dtype(s.numpy) == dtype:
            return s
    return None


def promote(a: ScalarType, b: ScalarType) -> ScalarType:
    """Result type of a binary arithmetic op, as in C++ (bool → int, int → float, wider wins);
    with a complex operand, NumPy's np.result_type (float32 or bool with complex64 is complex64,
    float64 or any int with complex64 is complex128)."""
    if a.is_complex or b.is_complex:
        return complex_promote(a, b)
    if U64 in (a, b) and not (a.is_float or b.is_float):  # C++: uint64_t with any narrower or signed int
        return U64
    if a == b:
        return I64 if a.is_bool else (I32 if (a.is_int or a.is_unsigned) and a.bits < 32 else
                                      (I64 if a.is_unsigned else a))
    if a.is_float or b.is_float:
        if a == F64 or b == F64:
            return F64
        return F32
    return I64  # mixed i32/i64/bool


def complex_promote(a: ScalarType, b: ScalarType) -> ScalarType:
    """np.result_type of two typed operands, one of them complex."""
    return scalar_from_numpy(np.result_type(a.numpy, b.numpy)) or C128


def complex_of(t: ScalarType) -> ScalarType:
    """The complex type a real value becomes next to a Python complex literal (NumPy's rule for a
    weak complex: float32 and complex64 give complex64, everything else complex128)."""
    return C64 if t in (F32, C64) else C128


@dataclass(frozen=True)
class ViewType:
    """A Kokkos view: element type, rank, layout (right|left|stride|None = not fixed) and memory space."""

    dtype: ScalarType
    rank: int
    layout: str | None = None
    space: str = "host"

    def with_layout(self, layout: str) -> "ViewType":
        """The same view type with a fixed layout."""
        return ViewType(self.dtype, self.rank, layout, self.space)

    def with_space(self, space: str) -> "ViewType":
        """The same view type in another memory space."""
        return ViewType(self.dtype, self.rank, self.layout, space)

    def mlir(self) -> MemRefType:
        """memref<?x..xT, layout, #kokkos.space<S>>."""
        from hpcir.dialects.kokkos import SpaceAttr

        layout: Attribute = NoneAttr()
        if self.layout == "left" and self.rank > 1:
            layout = StridedLayoutAttr([1] + [None] * (self.rank - 1), 0)
        elif self.layout == "stride":
            layout = StridedLayoutAttr([None] * self.rank, None)
        return MemRefType(self.dtype.mlir(), [DYN] * self.rank, layout, SpaceAttr(self.space))

    def __str__(self) -> str:
        lay = f", layout={self.layout}" if self.layout else ""
        return f"View{self.rank}D[{self.dtype}{lay}]"


@dataclass(frozen=True)
class LocalArrayType(ViewType):
    """A per-thread array of static shape (`hpcir.local(float, (4, 4))`): a C array in the C++."""

    shape: tuple[int, ...] = ()

    def mlir(self) -> MemRefType:
        """memref<4x4xT> (no memory space: it lives on the thread's stack)."""
        return MemRefType(self.dtype.mlir(), list(self.shape))

    def __str__(self) -> str:
        return f"local array of {self.dtype} {self.shape}"


@dataclass(frozen=True)
class AccType:
    """A reduction or scan accumulator of a scalar type."""

    dtype: ScalarType


@dataclass(frozen=True)
class TeamMemberType:
    """The team handle of a TeamPolicy kernel."""


TEAM_MEMBER = TeamMemberType()
KernelType = ScalarType | ViewType | AccType | TeamMemberType
