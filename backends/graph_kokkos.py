"""Graph programs on Kokkos targets: L1 -> L2 (upstream one-shot-bufferize) -> L3 -> C++."""
from __future__ import annotations

from pathlib import Path

from hpcir.errors import HpcirError
from hpcir.frontends.graph_program import GraphProgram


def _unavailable(target: str) -> HpcirError:
    return HpcirError(f"graph programs cannot be lowered to the Kokkos target {target!r} yet",
                      hint="use target='jax' or target='torch' for imported JAX / PyTorch programs")


def compile_kokkos(prog: GraphProgram, target: str, bind_weights: bool = True):
    """A callable running prog through the Kokkos JIT."""
    raise _unavailable(target)


def lower_stage(prog: GraphProgram, target: str, stage: str) -> str:
    """L2 / L3 MLIR or C++ source of prog for a Kokkos target."""
    raise _unavailable(target)


def write_kokkos(prog: GraphProgram, target: str, out_dir: Path) -> list[Path]:
    """Write the C++ of prog for a Kokkos target."""
    raise _unavailable(target)
