"""MLIR types -> C++ types (scalars, Kokkos::View spellings, layouts and memory spaces)."""
from __future__ import annotations

from xdsl.dialects.builtin import Float32Type, Float64Type, IndexType, IntegerType, MemRefType
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
    "i1": ("bool", "bool"),
    "index": ("int64_t", "int64"),
}

LAYOUTS = {"right": "Kokkos::LayoutRight", "left": "Kokkos::LayoutLeft", "stride": "Kokkos::LayoutStride"}

# Aliases declared by prelude.target_prelude() inside each generated namespace.
SPACES = {None: "device_space", MemorySpace.HOST: "host_space", MemorySpace.DEVICE: "device_space",
          MemorySpace.SHARED: "shared_space", MemorySpace.SCRATCH: "scratch_space"}


def scalar_key(ty: Attribute) -> str:
    """'f64', 'i32', 'index', ... for a scalar type; raises for anything else."""
    if isinstance(ty, Float64Type):
        return "f64"
    if isinstance(ty, Float32Type):
        return "f32"
    if isinstance(ty, IndexType):
        return "index"
    if isinstance(ty, IntegerType) and f"i{ty.width.data}" in _SCALARS:
        return f"i{ty.width.data}"
    raise HpcirError(f"the Kokkos C++ emitter does not support the type {ty}",
                     hint="use f64, f32, i64, i32, i16, i8, i1 or index")


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
    """The C++ spelling of an MLIR type (views use the per-module space aliases)."""
    if isinstance(ty, MemRefType):
        return view_type(ty)
    if isinstance(ty, TeamMemberType):
        return "member_type"
    return _SCALARS[scalar_key(ty)][0]


def view_type(ty: MemRefType, space: str | None = None) -> str:
    """`Kokkos::View<T**, Layout, Space>`; every extent is a runtime extent (static shapes are sizes)."""
    elem = cpp_type(ty.element_type)
    stars = "*" * len(ty.get_shape())
    mspace = memory_space_of(ty)
    sp = space or SPACES[mspace]
    traits = ", Kokkos::MemoryUnmanaged" if mspace == MemorySpace.SCRATCH else ""
    return f"Kokkos::View<{elem}{stars}, {LAYOUTS[layout_kind(ty)]}, {sp}{traits}>"


def exec_space_expr(name: str) -> str:
    """C++ execution space of a `#kokkos.exec<...>` value ('default' = the target's)."""
    return {"default": "exec_space", "openmp": "Kokkos::OpenMP", "serial": "Kokkos::Serial",
            "cuda": "Kokkos::Cuda", "hip": "HPCIR_HIP_EXEC"}[name]


def target_spaces(target: Target) -> tuple[str, str, str]:
    """(exec space, device memory space, shared memory space) C++ spellings for a target."""
    if target.name == "cuda":
        return "Kokkos::Cuda", "Kokkos::CudaSpace", "Kokkos::CudaUVMSpace"
    if target.name == "hip":
        return "HPCIR_HIP_EXEC", "HPCIR_HIP_SPACE", "HPCIR_HIP_SHARED_SPACE"
    if target.exec_space is None:
        raise HpcirError(f"target {target.name!r} is not a Kokkos target",
                         hint="emit Kokkos C++ for cpu, serial, cuda or hip")
    return target.exec_space, "exec_space::memory_space", "exec_space::memory_space"


# HIP moved out of Kokkos::Experimental in 4.0.
HIP_ALIASES = r"""
#if defined(KOKKOS_ENABLE_HIP)
#if KOKKOS_VERSION >= 40000
#define HPCIR_HIP_EXEC Kokkos::HIP
#define HPCIR_HIP_SPACE Kokkos::HIPSpace
#define HPCIR_HIP_SHARED_SPACE Kokkos::HIPManagedSpace
#else
#define HPCIR_HIP_EXEC Kokkos::Experimental::HIP
#define HPCIR_HIP_SPACE Kokkos::Experimental::HIPSpace
#define HPCIR_HIP_SHARED_SPACE Kokkos::Experimental::HIPHostPinnedSpace
#endif
#endif
"""
