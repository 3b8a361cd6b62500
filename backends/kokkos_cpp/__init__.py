"""Kokkos C++ emitter: L3 IR (kokkos dialect + arith/math/memref/scf/func) -> C++ sources + C ABI."""
from __future__ import annotations

from .module import EmittedModule, EntryInfo, ParamInfo, emit_module

__all__ = ["EmittedModule", "EntryInfo", "ParamInfo", "emit_module"]
