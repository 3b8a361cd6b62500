"""Data ops of the kokkos dialect: view allocation, mirrors, deep copies, fences and host printing.

Memory effects are stated as xDSL traits, as `memref` does: allocations allocate, a deep copy reads
and writes, a fence (an ordering point for every launch) reads and writes, printing writes.
Canonicalization patterns (found by xDSL's `canonicalize` through the ops' traits) are defined
beside the ops they rewrite: `kokkos.deep_copy %v, %v` becomes `kokkos.fence` (a two-argument
`Kokkos::deep_copy` between one view only fences), and a fence right after a fence is erased.
"""
from __future__ import annotations

import re
import string
from collections.abc import Sequence

from xdsl.dialects.builtin import IndexType, IntegerType, MemRefType, Signedness, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def, var_operand_def
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern
from xdsl.traits import HasCanonicalizationPatternsTrait, MemoryAllocEffect, MemoryReadEffect, MemoryWriteEffect
from xdsl.utils.exceptions import VerifyException

from .kokkos_attrs import MemorySpace, SpaceAttr, memory_space_of

Value = SSAValue | Operation


def _values(vals: Sequence[Value]) -> list[SSAValue]:
    return [SSAValue.get(v) for v in vals]


class DeepCopyOpHasCanonicalizationPatterns(HasCanonicalizationPatternsTrait):
    """`kokkos.deep_copy %v, %v` only fences."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        return (DeepCopySelfToFence(),)


class FenceOpHasCanonicalizationPatterns(HasCanonicalizationPatternsTrait):
    """A fence right after a fence waits for nothing."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        return (EraseRepeatedFence(),)


def verify_dynamic_sizes(op: Operation, ty: MemRefType, sizes: Sequence[SSAValue]) -> None:
    dynamic = sum(1 for d in ty.get_shape() if d < 0)
    if len(sizes) != dynamic:
        raise VerifyException(f"'{op.name}' result type {ty} has {dynamic} dynamic dimensions but "
                              f"{len(sizes)} size operands were given")


@irdl_op_definition
class AllocOp(IRDLOperation):
    """`Kokkos::View<...>(label, sizes...)`: a managed view in a host/device/shared space."""

    name = "kokkos.alloc"
    dynamic_sizes = var_operand_def(IndexType)
    label = prop_def(StringAttr)
    result = result_def(MemRefType)
    traits = traits_def(MemoryAllocEffect())
    assembly_format = "$label `(` $dynamic_sizes `)` attr-dict `:` type($result)"

    def __init__(self, result_type: MemRefType, dynamic_sizes: Sequence[Value] = (), label: str = ""):
        super().__init__(operands=[_values(dynamic_sizes)], result_types=[result_type],
                         properties={"label": StringAttr(label)})

    def verify_(self) -> None:
        space = memory_space_of(self.result.type)
        if space is None or space == MemorySpace.SCRATCH:
            raise VerifyException(f"'{self.name}' result needs a #kokkos.space<host|device|shared> memory space, "
                                  f"got {self.result.type}; use kokkos.scratch_alloc for scratch")
        verify_dynamic_sizes(self, self.result.type, self.dynamic_sizes)


@irdl_op_definition
class CreateMirrorViewOp(IRDLOperation):
    """`Kokkos::create_mirror_view(v)`: a host view with v's shape and layout (v itself if already on host)."""

    name = "kokkos.create_mirror_view"
    source = operand_def(MemRefType)
    result = result_def(MemRefType)
    traits = traits_def(MemoryAllocEffect())
    assembly_format = "$source attr-dict `:` type($source) `->` type($result)"

    def __init__(self, source: Value, result_type: MemRefType | None = None):
        src = SSAValue.get(source)
        if result_type is None:
            st = src.type
            assert isinstance(st, MemRefType)
            result_type = MemRefType(st.element_type, st.get_shape(), st.layout, SpaceAttr("host"))
        super().__init__(operands=[src], result_types=[result_type])

    def verify_(self) -> None:
        src, res = self.source.type, self.result.type
        if memory_space_of(res) != MemorySpace.HOST:
            raise VerifyException(f"'{self.name}' result must be in #kokkos.space<host>, got {res}")
        if src.element_type != res.element_type or src.get_shape() != res.get_shape() or src.layout != res.layout:
            raise VerifyException(f"'{self.name}' result {res} must have the shape, element type and layout "
                                  f"of the source {src}")


@irdl_op_definition
class DeepCopyOp(IRDLOperation):
    """`Kokkos::deep_copy(dst, src)` between views of equal element type and extents."""

    name = "kokkos.deep_copy"
    dst = operand_def(MemRefType)
    src = operand_def(MemRefType)
    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect(), DeepCopyOpHasCanonicalizationPatterns())
    assembly_format = "$dst `,` $src attr-dict `:` type($dst) `,` type($src)"

    def __init__(self, dst: Value, src: Value):
        super().__init__(operands=[dst, src])

    def verify_(self) -> None:
        d, s = self.dst.type, self.src.type
        if d.element_type != s.element_type:
            raise VerifyException(f"'{self.name}' element types differ: {d.element_type} vs {s.element_type}")
        if d.get_num_dims() != s.get_num_dims():
            raise VerifyException(f"'{self.name}' ranks differ: {d.get_num_dims()} vs {s.get_num_dims()}")
        for k, (a, b) in enumerate(zip(d.get_shape(), s.get_shape())):
            if a >= 0 and b >= 0 and a != b:
                raise VerifyException(f"'{self.name}' extent {k} differs: {a} vs {b}")


@irdl_op_definition
class FenceOp(IRDLOperation):
    """`Kokkos::fence()`: wait for all outstanding launches."""

    name = "kokkos.fence"
    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect(), FenceOpHasCanonicalizationPatterns())
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__()


@irdl_op_definition
class PrintOp(IRDLOperation):
    """Host printing: `format` is a Python str.format-like string with one `{}` hole per value."""

    name = "kokkos.print"
    values = var_operand_def()
    format = prop_def(StringAttr)
    traits = traits_def(MemoryWriteEffect())  # output is a write, as for gpu.printf
    assembly_format = "$format (`(` $values^ `:` type($values) `)`)? attr-dict"

    def __init__(self, format: str, values: Sequence[Value] = ()):
        super().__init__(operands=[_values(values)], properties={"format": StringAttr(format)})

    def verify_(self) -> None:
        try:
            holes = [f for _, f, _, _ in string.Formatter().parse(self.format.data) if f is not None]
        except ValueError as err:
            raise VerifyException(f"'{self.name}' malformed format string {self.format.data!r}: {err}") from None
        if any(h for h in holes):
            raise VerifyException(f"'{self.name}' format holes must be positional '{{}}' (optionally with "
                                  f"':spec'), got {self.format.data!r}")
        if len(holes) != len(self.values):
            raise VerifyException(f"'{self.name}' format has {len(holes)} holes but {len(self.values)} values")


class DeepCopySelfToFence(RewritePattern):
    """`kokkos.deep_copy %v, %v` -> `kokkos.fence`: Kokkos copies nothing between one view, it only fences."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DeepCopyOp, rewriter: PatternRewriter, /) -> None:
        if op.dst is op.src:
            rewriter.replace(op, FenceOp())


class EraseRepeatedFence(RewritePattern):
    """A `kokkos.fence` directly after another one is erased."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: FenceOp, rewriter: PatternRewriter, /) -> None:
        if isinstance(op.prev_op, FenceOp) and not op.attributes:
            rewriter.erase(op)


@irdl_op_definition
class AtomicFetchAddOp(IRDLOperation):
    """`%old = kokkos.atomic_fetch_add %value, %view[%i...]`: Kokkos::atomic_fetch_add on one element.

    For element types upstream `memref.atomic_rmw` / `generic_atomic_rmw` refuse (complex numbers:
    both take integers and floats only); Kokkos adds Kokkos::complex atomically on every backend."""

    name = "kokkos.atomic_fetch_add"
    value = operand_def()
    view = operand_def(MemRefType)
    indices = var_operand_def(IndexType)
    result = result_def()

    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect())

    def __init__(self, value: SSAValue, view: SSAValue, indices: Sequence[SSAValue]):
        assert isinstance(view.type, MemRefType)
        super().__init__(operands=[value, view, list(indices)], result_types=[view.type.element_type])

    def verify_(self) -> None:
        ty = self.view.type
        assert isinstance(ty, MemRefType)
        if len(self.indices) != len(ty.get_shape()):
            raise VerifyException(f"{self.name}: {len(self.indices)} indices for a rank-{len(ty.get_shape())} view")
        if self.value.type != ty.element_type or self.result.type != ty.element_type:
            raise VerifyException(f"{self.name}: the value and the result must be of the element type {ty.element_type}")


# Kokkos' read-modify-write atomics that upstream `memref.atomic_rmw` has no kind for; each is
# Kokkos::atomic_fetch_<kind> (a compare-and-swap loop inside Kokkos), with C++'s meaning of the
# operator: / truncates integers toward zero, % takes the dividend's sign, << and >> shift.
ATOMIC_FETCH_KINDS = ("div", "mod", "lshift", "rshift")
# On views of unsigned integers (ui8..ui64) every atomic is written as kokkos.atomic_fetch: memref.atomic_rmw
# takes signless integers, and its maxs / mins would order them as signed.
UNSIGNED_ATOMICS = ("add", "sub", "mul", "max", "min", "and", "or", "xor")
INTEGER_ONLY_ATOMICS = ("mod", "lshift", "rshift")


@irdl_op_definition
class AtomicFetchOp(IRDLOperation):
    """`%old = kokkos.atomic_fetch "div" %value, %view[%i...]`: view[i] = view[i] <kind> value,
    atomically, returning the old value (Kokkos::atomic_fetch_div / _mod / _lshift / _rshift; on unsigned
    views also _add, _sub, ..., see UNSIGNED_ATOMICS)."""

    name = "kokkos.atomic_fetch"
    value = operand_def()
    view = operand_def(MemRefType)
    indices = var_operand_def(IndexType)
    kind = prop_def(StringAttr)
    result = result_def()

    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect())

    def __init__(self, kind: str, value: SSAValue, view: SSAValue, indices: Sequence[SSAValue]):
        assert isinstance(view.type, MemRefType)
        super().__init__(operands=[value, view, list(indices)], result_types=[view.type.element_type],
                         properties={"kind": StringAttr(kind)})

    def verify_(self) -> None:
        ty = self.view.type
        assert isinstance(ty, MemRefType)
        kind = self.kind.data
        unsigned = isinstance(ty.element_type, IntegerType) and ty.element_type.signedness.data == Signedness.UNSIGNED
        if kind not in ATOMIC_FETCH_KINDS and not (unsigned and kind in UNSIGNED_ATOMICS):
            raise VerifyException(f"{self.name}: unknown kind {kind!r} (one of {', '.join(ATOMIC_FETCH_KINDS)}; "
                                  f"also {', '.join(UNSIGNED_ATOMICS)} on unsigned element types)")
        if len(self.indices) != len(ty.get_shape()):
            raise VerifyException(f"{self.name}: {len(self.indices)} indices for a rank-{len(ty.get_shape())} view")
        if self.value.type != ty.element_type or self.result.type != ty.element_type:
            raise VerifyException(f"{self.name}: the value and the result must be of the element type "
                                  f"{ty.element_type}")
        if kind in INTEGER_ONLY_ATOMICS and not isinstance(ty.element_type, IntegerType):
            raise VerifyException(f"{self.name} {kind!r} needs an integer element type, not {ty.element_type}")


# One C printf conversion: flags, width, precision, length modifier, conversion character. `*`
# widths (which take an argument) and %s / %n / %p (pointers) are not accepted.
PRINTF_CONVERSION = re.compile(r"%(?P<flags>[-+ #0]*)(?P<width>\d*)(?P<prec>\.\d*)?"
                               r"(?P<length>hh|h|ll|l|j|z|t|L)?(?P<conv>[diouxXeEfFgGaAc%])")


def printf_conversions(fmt: str) -> list[re.Match[str]] | None:
    """The value-taking conversions of a C format, or None when it has one this op does not take."""
    out, pos = [], 0
    for m in PRINTF_CONVERSION.finditer(fmt):
        if "%" in fmt[pos:m.start()]:
            return None
        pos = m.end()
        if m.group("conv") != "%":
            out.append(m)
    return None if "%" in fmt[pos:] else out


@irdl_op_definition
class PrintfOp(IRDLOperation):
    """`kokkos.printf "x = %d\\n"(%x : i64)`: C printf inside a kernel (printf in device code works
    on CUDA and HIP); the backend converts each value to the type its conversion names."""

    name = "kokkos.printf"
    values = var_operand_def()
    format = prop_def(StringAttr)
    traits = traits_def(MemoryWriteEffect())  # output is a write, as for gpu.printf
    assembly_format = "$format (`(` $values^ `:` type($values) `)`)? attr-dict"

    def __init__(self, format: str, values: Sequence[Value] = ()):
        super().__init__(operands=[_values(values)], properties={"format": StringAttr(format)})

    def verify_(self) -> None:
        convs = printf_conversions(self.format.data)
        if convs is None:
            raise VerifyException(f"'{self.name}' format {self.format.data!r} has a conversion other than "
                                  "%d %i %o %u %x %X %e %E %f %F %g %G %a %A %c %%")
        if len(convs) != len(self.values):
            raise VerifyException(f"'{self.name}' format has {len(convs)} conversions but {len(self.values)} values")
