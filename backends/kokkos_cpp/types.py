"""MLIR types -> C++ types (scalars, Kokkos::View spellings, layouts and memory spaces)."""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import (ComplexType, Float32Type, Float64Type, IndexType, IntegerType, MemRefType,
                                   Signedness)
from xdsl.ir import Attribute

from hpcir.dialects.kokkos_attrs import MemorySpace, TeamMemberType, layout_kind, memory_space_of
from hpcir.core.errors import HpcirError
from hpcir.core.targets import Target

# dtype names used in the runtime manifest (numpy spelling) per scalar MLIR type.
_SCALARS: dict[str, tuple[str, str]] = {
    "f64": ("double", "float64"),
    "f32": ("float", "float32"),
    "i64": ("int64_t", "int64"),
    "i32": ("int32_t", "int32"),
    "i16": ("int16_t", "int16"),
    "i8": ("int8_t", "int8"),
    "u64": ("uint64_t", "uint64"),
    "u32": ("uint32_t", "uint32"),
    "u16": ("uint16_t", "uint16"),
    "u8": ("uint8_t", "uint8"),
    "i1": ("bool", "bool"),
    "index": ("int64_t", "int64"),
    # complex<f32|f64>: Kokkos::complex<float|double> through the prelude's aliases
    "c64": ("hpcir::complex64", "complex64"),
    "c128": ("hpcir::complex128", "complex128"),
}

LAYOUTS = {"right": "Kokkos::LayoutRight", "left": "Kokkos::LayoutLeft", "stride": "Kokkos::LayoutStride"}

# Memory-space aliases declared by prelude.target_prelude() inside each generated namespace.
SPACES = {"host": "host_space", "device": "device_space", "shared": "shared_space", "scratch": "scratch_space"}


@dataclass(frozen=True)
class ViewSpec:
    """One Kokkos::View type of a module: element, rank, layout, memory space, constness.

    `space` is host | device | shared | scratch (the module's space aliases); a scratch view also
    names the execution space of its launch (`exec_` is a C++ spelling, "" for the module's)."""

    elem: str
    rank: int
    layout: str
    space: str
    const: bool = False
    exec_: str = ""

    def spelled(self) -> str:
        """`Kokkos::View<const double**, Kokkos::LayoutRight, host_space>`."""
        elem = ("const " if self.const else "") + self.elem + "*" * self.rank
        space = f"{self.exec_}::scratch_memory_space" if self.exec_ else SPACES[self.space]
        traits = ", Kokkos::MemoryUnmanaged" if self.space == "scratch" else ""
        return f"Kokkos::View<{elem}, {LAYOUTS[self.layout]}, {space}{traits}>"

    def alias(self, target: Target) -> str:
        """A readable name: `view_2d_const_double`, plus the layout and space where they are not the
        target's (`view_1d_double_host` on a GPU, `view_2d_float_left` on a CPU)."""
        elem = self.elem.removeprefix("hpcir::").removesuffix("_t")
        name = f"view_{self.rank}d_{'const_' if self.const else ''}{elem}"
        if self.layout != (target.layout if self.rank >= 2 else "right"):  # rank 1: Left and Right alike
            name += f"_{self.layout}"
        if self.space != target.memory_space:
            name += f"_{self.space}"
        if self.exec_:
            name += "_" + self.exec_.rsplit("::", 1)[-1].lower()
        return name


def view_spec(ty: MemRefType, target: Target, const: bool = False, exec_: str = "") -> ViewSpec:
    """The ViewSpec of a memref type (no memory space: the target's)."""
    space = memory_space_of(ty)
    key = space.value if space is not None else target.memory_space
    return ViewSpec(cpp_type(ty.element_type), len(ty.get_shape()), layout_kind(ty), key, const,
                    exec_ if key == "scratch" else "")


def scalar_key(ty: Attribute) -> str:
    """'f64', 'i32', 'index', ... for a scalar type; raises for anything else."""
    if isinstance(ty, Float64Type):
        return "f64"
    if isinstance(ty, Float32Type):
        return "f32"
    if isinstance(ty, IndexType):
        return "index"
    if isinstance(ty, ComplexType) and isinstance(ty.element_type, (Float32Type, Float64Type)):
        return "c64" if isinstance(ty.element_type, Float32Type) else "c128"
    if isinstance(ty, IntegerType) and ty.signedness.data == Signedness.UNSIGNED and f"u{ty.width.data}" in _SCALARS:
        return f"u{ty.width.data}"
    if isinstance(ty, IntegerType) and ty.signedness.data == Signedness.SIGNLESS and f"i{ty.width.data}" in _SCALARS:
        return f"i{ty.width.data}"
    raise HpcirError(f"the Kokkos C++ emitter does not support the type {ty}",
                     hint="use f64, f32, i64, i32, i16, i8, i1, index, complex<f32> or complex<f64>")


def is_scalar(ty: Attribute) -> bool:
    """True for the scalar types the emitter maps to C++ arithmetic types."""
    try:
        scalar_key(ty)
        return True
    except HpcirError:
        return False


def dtype_name(ty: Attribute) -> str:
    """The numpy dtype name of a scalar type (or of a memref's element type)."""
    if isinstance(ty, MemRefType):
        ty = ty.element_type
    return _SCALARS[scalar_key(ty)][1]


def view_layout(ty: MemRefType) -> str:
    """'right', 'left' or 'stride' (docs/IR.md layout rules)."""
    return layout_kind(ty)


def view_space(ty: MemRefType) -> MemorySpace | None:
    """The memref's kokkos memory space (None: the target's default)."""
    return memory_space_of(ty)


def cpp_type(ty: Attribute) -> str:
    """The C++ spelling of a scalar or team-member type (views: ModuleState.view_type)."""
    if isinstance(ty, MemRefType):
        raise HpcirError("internal: a view type is spelled through the module's aliases (ModuleState.view_type)")
    if isinstance(ty, TeamMemberType):
        return "member_type"
    return _SCALARS[scalar_key(ty)][0]


def exec_space_expr(name: str) -> str:
    """C++ execution space of a `#kokkos.exec<...>` value ('default' = the target's)."""
    return {"default": "exec_space", "openmp": "Kokkos::OpenMP", "serial": "Kokkos::Serial",
            "cuda": "Kokkos::Cuda", "hip": "HPCIR_HIP_EXEC"}[name]


def target_spaces(target: Target) -> tuple[str, str, str]:
    """(exec space, device memory space, shared memory space) C++ spellings of a target (its record)."""
    if not target.is_kokkos or target.exec_space is None:
        raise HpcirError(f"target {target.name!r} is not a Kokkos target",
                         hint="emit Kokkos C++ for cpu, serial, cuda or hip")
    return target.exec_space, target.device_space, target.shared_space
