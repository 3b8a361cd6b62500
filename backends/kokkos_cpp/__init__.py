"""Kokkos C++ emitter: L3 IR (kokkos dialect + arith/math/memref/scf/func) -> C++ sources + C ABI.

`emit_module(module, name)` (for the target the module carries) returns an `EmittedModule` whose `files` are

- `hpcir_prelude.hpp`: the support code every module includes, the same text for every module and
  target (hpcir_view and view wrapping, the C entries' helpers, math portable across Kokkos
  3.4-4.x, printing, HIP spellings); written next to the module's own files;
- `NAME.hpp`: inside `namespace NAME`, the target's execution and memory space aliases, one
  `using view_2d_const_double = Kokkos::View<...>` per View type the declarations use, and one C++
  function per public func (`NAME::entry(...)` taking views), for C++ applications;
- `NAME.cpp`: the remaining view aliases, device functions, one named functor per launch (no
  lambdas at launch level, so nvcc needs no extended lambdas), reducer structs, the entry
  definitions, and the JIT's C entries `hpcir_ENTRY(void** args, void* results, char* err, int
  errlen)`, `hpcir_initialize`, `hpcir_finalize`, `hpcir_manifest` (JSON description of the
  entries, read by the runtime);
- `NAME_main.cpp` when the module has an argument-free host program: `int main(int argc, char**
  argv)` applying hpcir's OpenMP defaults (docs/threads.md), initializing Kokkos and running it (a
  program named `main` is `NAME::main_program`).

Views a function only reads are `View<const T*>`; names are the IR's name hints (the user's).

Module layout (one job each): types (MLIR types -> C++, view aliases), context (names, output,
handler registry), expr (arith/math/memref), control (scf, func.call/return), reducers (built-in vs
generated reducer structs), launches (kokkos ops), module (files, C ABI, manifest), prelude.

Memory policy of the C entries: on host targets views are wrapped without copies. On GPU targets
`hpcir_ENTRY` expects host arrays and stages each non-host view through a device mirror (copied
back only if the kernel may write it); `hpcir_ENTRY_device` takes device pointers (DLPack) as is.
"""
from __future__ import annotations

from . import blas  # noqa: F401  (registers the blas.* handlers: cblas_?gemm calls)
from . import fft  # noqa: F401  (registers the fft.execute handler: calls of the FFT runtime)
from .module import EmittedModule, EntryInfo, ParamInfo, emit_module

__all__ = ["EmittedModule", "EntryInfo", "ParamInfo", "emit_module"]
