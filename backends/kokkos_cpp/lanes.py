"""Whether a host reduction or sum scan runs in vector lanes (hpcir::lane_reduce / lane_scan).

Lanes reassociate the reduction: W partial values per block of indices, joined at the end. That is
exact for integers, booleans, max and min, and changes the rounding of float sums and products,
which is allowed unless the kernel asked for `ordered=True` (docs/reductions-and-scans.md)."""
from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import Operation

from hpcir.dialects.kokkos_attrs import RangePolicyAttr, ReducerKind
from hpcir.dialects.kokkos_discardable import ORDERED

_HOST = ("openmp", "serial")
_EXACT_TYPES = ("int64_t", "int32_t", "int16_t", "int8_t", "bool")
# Ops after which a body is not a plain vector loop: nested parallelism, atomics (kokkos.* and
# memref.atomic_rmw), prints, run-time checks (their flag is shared) and calls.
_OPAQUE = ("cf.assert", "func.call", "memref.atomic_rmw", "memref.generic_atomic_rmw")


def lanes_allowed(op: Operation, kinds: Sequence[str], types: Sequence[str]) -> bool:
    """Can this launch (a 1-D host range reduction or scan) run its body in vector lanes?"""
    if not isinstance(op.properties["policy"], RangePolicyAttr):
        return False
    if op.properties["exec_space"].data.value not in _HOST:
        return False
    if any(k == ReducerKind.CUSTOM.value for k in kinds):
        return False
    if ORDERED in op.attributes and any(k in ("sum", "prod") and t not in _EXACT_TYPES for k, t in zip(kinds, types)):
        return False
    for inner in op.walk():
        if inner is op:
            continue
        if inner.name in _OPAQUE or (inner.name.startswith("kokkos.") and inner.name != "kokkos.yield"):
            return False
    return True


def host_scan(op: Operation) -> bool:
    """A 1-D sum scan on a host execution space (one thread: one ordered pass; more: lane first pass)."""
    kinds = [r.data.value for r in op.properties["reducers"].data]
    return (kinds == [ReducerKind.SUM.value] and isinstance(op.properties["policy"], RangePolicyAttr)
            and op.properties["exec_space"].data.value in _HOST)



def extremum_lanes(op: Operation, kinds: Sequence[str], types: Sequence[str]) -> str | None:
    """"max" / "min" when a lane reduction has one float max (min) accumulator: if its body is
    `acc = max(acc, v)` (the emitter checks the C++ it wrote), its lanes may keep the plain comparison
    and leave NaNs and signed zeros to an exact rerun of the block (hpcir::lane_extremum); else None."""
    if len(kinds) != 1 or kinds[0] not in ("max", "min") or types[0] not in ("double", "float"):
        return None
    return kinds[0] if lanes_allowed(op, kinds, types) else None
