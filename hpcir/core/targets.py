"""Target records: the one table that says what each target is (execution and memory spaces, layout,
tiles, toolchain). The API and the CLI resolve a name here once; the IR carries the name from then
on (the `kokkos.target` module attribute), and passes and emitters look the record up from it."""
from __future__ import annotations

from dataclasses import dataclass, field

from hpcir.core.errors import HpcirError, SourceLocation


@dataclass(frozen=True)
class Target:
    """Execution space, memory space, preferred layout, default tiles and toolchain of one target."""

    name: str
    kind: str  # "kokkos", "jax" or "torch"
    exec_space: str | None = None  # Kokkos C++ execution space expression
    memory_space: str = "host"  # kokkos dialect memory space: host | device | shared
    layout: str = "right"  # preferred view layout: right | left
    iterate: str = "right"  # MDRange iteration order matching the layout
    mdrange_tile: tuple[int, ...] = ()  # () = Kokkos' default tiles
    team_size: int | None = None  # None = Kokkos::AUTO
    vector_length: int = 1
    kokkos_backend: str | None = None  # the Kokkos_ENABLE_<X> a build of Kokkos must have
    # Flags of JIT builds (which run where they are built: host targets tune for the host CPU;
    # the build cache key then names the CPU; no FMA contraction, so `a * x + y` rounds twice as
    # in Python and NumPy). Generated CMake projects do not use them.
    cxx_flags: tuple[str, ...] = field(default_factory=tuple)
    runs_on_host: bool = True
    # C++ spellings of the target's device and shared (unified) memory spaces; host targets use
    # their execution space's memory space.
    device_space: str = "exec_space::memory_space"
    shared_space: str = "exec_space::memory_space"

    @property
    def is_gpu(self) -> bool:
        """True for device targets (CUDA, HIP)."""
        return self.memory_space == "device"

    @property
    def is_kokkos(self) -> bool:
        """True for the targets hpcir emits Kokkos C++ for."""
        return self.kind == "kokkos"

    @property
    def is_array(self) -> bool:
        """True for the targets kernels run on as generated array code (jax, torch)."""
        return self.kind in ("jax", "torch")

    @property
    def exec_space_attr(self) -> str:
        """The `#kokkos.exec<...>` value of the target's launches (`default` for non-Kokkos targets)."""
        return (self.kokkos_backend or "default").lower()


TARGETS: dict[str, Target] = {
    "cpu": Target("cpu", "kokkos", "Kokkos::OpenMP", "host", "right", "right",
                  kokkos_backend="OPENMP", cxx_flags=("-O3", "-march=native", "-ffp-contract=off", "-fopenmp")),
    "serial": Target("serial", "kokkos", "Kokkos::Serial", "host", "right", "right",
                     kokkos_backend="SERIAL",
                     cxx_flags=("-O3", "-march=native", "-ffp-contract=off", "-fopenmp-simd")),
    "cuda": Target("cuda", "kokkos", "Kokkos::Cuda", "device", "left", "left",
                   mdrange_tile=(64, 4, 2), kokkos_backend="CUDA", runs_on_host=False,
                   cxx_flags=("-O3", "--expt-extended-lambda"),
                   device_space="Kokkos::CudaSpace", shared_space="Kokkos::CudaUVMSpace"),
    # HIP's names moved out of Kokkos::Experimental in 4.0: the prelude defines these macros.
    "hip": Target("hip", "kokkos", "HPCIR_HIP_EXEC", "device", "left", "left",
                  mdrange_tile=(64, 4, 2), kokkos_backend="HIP", runs_on_host=False,
                  cxx_flags=("-O3",), device_space="HPCIR_HIP_SPACE", shared_space="HPCIR_HIP_SHARED_SPACE"),
    "jax": Target("jax", "jax"),
    "torch": Target("torch", "torch"),
}

KOKKOS_TARGETS = tuple(n for n, t in TARGETS.items() if t.kind == "kokkos")
ARRAY_TARGETS = tuple(n for n, t in TARGETS.items() if t.is_array)


def target_of_exec_space(exec_space_attr: str) -> Target | None:
    """The Kokkos target whose launches carry `#kokkos.exec<exec_space_attr>` (None for `default`)."""
    return next((t for t in TARGETS.values() if t.is_kokkos and t.exec_space_attr == exec_space_attr), None)


def get_target(name: str, loc: SourceLocation | None = None) -> Target:
    """Look a target up by name, with an error that lists the valid ones (at `loc`, if given)."""
    try:
        return TARGETS[name]
    except KeyError:
        raise HpcirError(f"unknown target {name!r}", loc,
                         hint=f"use one of: {', '.join(TARGETS)}") from None
