"""Target records: the one place that says what each backend needs; passes read these."""
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

    @property
    def is_gpu(self) -> bool:
        """True for device targets (CUDA, HIP)."""
        return self.memory_space == "device"


TARGETS: dict[str, Target] = {
    "cpu": Target("cpu", "kokkos", "Kokkos::OpenMP", "host", "right", "right",
                  kokkos_backend="OPENMP", cxx_flags=("-O3", "-march=native", "-ffp-contract=off", "-fopenmp")),
    "serial": Target("serial", "kokkos", "Kokkos::Serial", "host", "right", "right",
                     kokkos_backend="SERIAL", cxx_flags=("-O3", "-march=native", "-ffp-contract=off")),
    "cuda": Target("cuda", "kokkos", "Kokkos::Cuda", "device", "left", "left",
                   mdrange_tile=(64, 4, 2), kokkos_backend="CUDA", runs_on_host=False,
                   cxx_flags=("-O3", "--expt-extended-lambda")),
    "hip": Target("hip", "kokkos", "HIP", "device", "left", "left",
                  mdrange_tile=(64, 4, 2), kokkos_backend="HIP", runs_on_host=False,
                  cxx_flags=("-O3",)),
    "jax": Target("jax", "jax"),
    "torch": Target("torch", "torch"),
}

KOKKOS_TARGETS = tuple(n for n, t in TARGETS.items() if t.kind == "kokkos")


def get_target(name: str, loc: SourceLocation | None = None) -> Target:
    """Look a target up by name, with an error that lists the valid ones (at `loc`, if given)."""
    try:
        return TARGETS[name]
    except KeyError:
        raise HpcirError(f"unknown target {name!r}", loc,
                         hint=f"use one of: {', '.join(TARGETS)}") from None
