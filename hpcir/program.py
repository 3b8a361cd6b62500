"""@hpcir.program: host functions that allocate views and launch kernels; run as Python, or lowered
by `hpcir lower` into a C++ host function (an executable when named main)."""
from __future__ import annotations

from typing import Any, Callable

from .frontends.python.kernel import Kernel


class Program(Kernel):
    """A host program: calling it runs the Python function (launches JIT-compile to Kokkos)."""

    def __repr__(self) -> str:
        return f"<hpcir.program {self.name} at {self.filename}:{self.line_offset + 1}>"


def program(fn: Callable[..., Any]) -> Program:
    """Decorator marking a host function whose launches `hpcir lower` turns into C++."""
    return Program(fn)


def fence() -> None:
    """Wait for all launched kernels (launches from Python are already synchronous)."""


fence.__hpcir_intrinsic__ = "fence"  # type: ignore[attr-defined]
