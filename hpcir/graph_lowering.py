"""How the driver takes a graph (JAX / PyTorch) program to a Kokkos target, through registered passes only:

    L1 (linalg on tensors)
      --GRAPH_L1_TO_L2-->            L2: a kokkos.host_program of scf.parallel loops on memrefs, output views
      --l2_to_l3_pipeline(target)--> L3: kokkos dialect (the same pipeline as kernels and stencils)
  --GRAPH_L3_FINISH-->           L3 whose temporaries are views of one workspace kept between calls
      --emit_cpp--> Kokkos C++ --build_library--> JIT entry, wrapped by backends.graph_kokkos.graph_callable

`GRAPH_L1_TO_L2` is target-neutral (the same for cpu, serial, cuda and hip); host targets run
`graph-contractions-to-blas` before it (`GRAPH_L1_TO_L2_HOST`: matrix products and convolutions
become BLAS calls); the target enters the IR with the L2 -> L3 pipeline, whose first pass stamps it
on the module. Every step can be replayed
on its own: `hpcir opt prog.l1.mlir -p "graph-lift-constants,graph-reshapes-to-copies,..."`, and
`hpcir lower model.py --target=T --dump-ir-after-all` prints the IR after each pass.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from hpcir.core.errors import HpcirError
from hpcir.core.targets import get_target
from hpcir.dialects.graph_program import GraphProgram
from hpcir.dialects.kokkos_target import set_module_target

# The graph L1 -> L2 pipeline: each is a pass of hpcir.passes (see their module docstrings).
GRAPH_L1_TO_L2 = ("graph-lift-constants,graph-reshapes-to-copies,graph-fft-to-buffers,graph-fuse-elementwise,"
                  "graph-hoist-invariants,graph-bufferize,scf-promote-accumulators,graph-results-to-out-params")
# On host targets (cpu, serial) matrix products and convolutions go to the BLAS first; GPU targets
# keep them as Kokkos loops (no cuBLAS / hipBLAS calls yet: docs/blas.md).
GRAPH_L1_TO_L2_HOST = "graph-contractions-to-blas," + GRAPH_L1_TO_L2

# After the L2 -> L3 pipeline (which moves and fuses loops, so live ranges are final only then):
# the temporaries of a graph's host program share one workspace kept between calls.
GRAPH_L3_FINISH = "kokkos-workspace"


def graph_l1_to_l2(target: str | None) -> str:
    """The L1 -> L2 pass pipeline for a target (None: the target-neutral one, without BLAS calls)."""
    return GRAPH_L1_TO_L2_HOST if target is not None and not get_target(target).is_gpu else GRAPH_L1_TO_L2


def _check_kokkos_target(target: str) -> None:
    if get_target(target).kind != "kokkos":
        raise HpcirError(f"{target!r} is not a Kokkos target", hint="use cpu, serial, cuda or hip")


def graph_l2(prog: GraphProgram, dump_after_all: bool = False, target: str | None = None) -> ModuleOp:
    """L2 of a graph program: graph_l1_to_l2(target) run on a copy of its L1 module."""
    from .pipeline import run_pipeline
    return run_pipeline(prog.module.clone(), graph_l1_to_l2(target), dump_after_all=dump_after_all)


def graph_l3(prog: GraphProgram, target: str, dump_after_all: bool = False) -> ModuleOp:
    """L3 (kokkos dialect) of a graph program for a Kokkos target: GRAPH_L1_TO_L2, the L2 -> L3 pipeline,
    then GRAPH_L3_FINISH."""
    from .lowering import lower_to_l3
    from .pipeline import run_pipeline
    _check_kokkos_target(target)
    l3 = lower_to_l3(graph_l2(prog, dump_after_all, target), target, dump_after_all)
    return run_pipeline(l3, GRAPH_L3_FINISH, dump_after_all=dump_after_all)


def lifted_constants(prog: GraphProgram) -> list[np.ndarray]:
    """Values of the dense constants graph-lift-constants turns into trailing input views (in order)."""
    from .passes.graph_lift_constants import lifted_constants as lifted
    return [v for _, v in lifted(prog.func)]


def _text(module: ModuleOp) -> str:
    from .pipeline import print_module
    buf = io.StringIO()
    print_module(module, buf)
    return buf.getvalue()


def lower_kokkos(prog: GraphProgram, target: str, stage: str, dump_after_all: bool = False) -> str:
    """L2 / L3 MLIR, or C++ source (stage "CPP"), of prog for a Kokkos target."""
    from .lowering import emit_cpp
    _check_kokkos_target(target)
    if stage == "L2":  # target-neutral, with the target stamped on the module (as for kernels)
        l2 = graph_l2(prog, dump_after_all, target)
        set_module_target(l2, target)
        return _text(l2)
    if stage == "L3":
        return _text(graph_l3(prog, target, dump_after_all))
    if stage == "CPP":
        files = emit_cpp(graph_l3(prog, target, dump_after_all), target, prog.name)
        return "\n".join(f"// ===== {n} =====\n{t}" for n, t in files.items())
    raise HpcirError(f"unknown stage {stage!r} for a graph program", hint="use L1, L2, L3 or none (C++)")


def write_kokkos(prog: GraphProgram, target: str, out_dir: Path, dump_after_all: bool = False) -> list[Path]:
    """Write the C++ files of prog for a Kokkos target (plus its L1 MLIR)."""
    from .lowering import emit_cpp
    module = graph_l3(prog, target, dump_after_all)
    files = emit_cpp(module, target, prog.name)
    if any(op.name == "fft.execute" for op in module.walk()):  # the FFT runtime its host program calls
        from .backends.fft_cpp import runtime_source
        fname, text = runtime_source(get_target(target))
        files[fname] = text
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        p = out / name
        p.write_text(text)
        written.append(p)
    l1 = out / f"{prog.name}.l1.mlir"
    l1.write_text(prog.text())
    return written + [l1]


def compile_kokkos(prog: GraphProgram, target: str, bind_weights: bool = True) -> Any:
    """A Python callable running prog through the Kokkos JIT (numpy / CPU torch arrays in, numpy out).

    GPU targets run where the machine has the driver and a device, as kernels do
    (`cannot_run_reason`); elsewhere the error says what is missing.
    """
    from .backends.graph_kokkos import graph_callable
    from .lowering import build_library, cannot_run_reason, emit_cpp, runtime_cflags, runtime_libraries
    _check_kokkos_target(target)
    why = cannot_run_reason(get_target(target))
    if why:
        raise HpcirError(f"target {target!r} cannot run graph programs on this machine: {why}",
                         hint="use target='cpu' or 'serial' to run here; hpcir.lower(prog, target=...) writes "
                              "the C++ for any Kokkos target")
    module = graph_l3(prog, target)
    name = f"hpcir_graph_{prog.name}"
    libs, cflags = runtime_libraries(module, target), runtime_cflags(module)  # (a missing library: named here)
    entry = build_library(emit_cpp(module, target, name), target, name, libs, label=prog.name,
                          cflags=cflags)[prog.name]
    return graph_callable(entry, prog, target, lifted_constants(prog), bind_weights)
