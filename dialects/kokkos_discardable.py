"""Discardable attributes of the kokkos dialect: each name once, what it means, where it goes, its value.

MLIR calls the entries of an op's attribute dictionary that the op itself does not define
*discardable* attributes; a dialect owns those under its prefix and verifies them. Every
`kokkos.*` name hpcir puts on IR is declared below as a constant (use the constant, never the
string) with its meaning, the ops it may appear on and the attribute type of its value, and
`verify_discardable_attributes(module)` checks every `kokkos.*` entry of a module against these
declarations; hpcir's pipeline runs it after every pass, beside `module.verify()`.

    from hpcir.dialects.kokkos_discardable import ENTRY, HOST_PROGRAM
    if ENTRY in f.attributes: ...
    f.attributes[HOST_PROGRAM] = UnitAttr()

A new discardable attribute is declared here first (a constant and an entry of `declarations()`),
or verification rejects it as unknown. Importing the names is cheap (the op classes the
declarations refer to are imported when the declarations are first needed).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr, UnitAttr
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import VerifyException

from hpcir.core.targets import TARGETS

PREFIX = "kokkos."

ENTRY = "kokkos.entry"
"""`#kokkos.entry<for|reduce|scan>` on a kernel entry `func.func`: a launchable kernel and what it launches."""

HOST_PROGRAM = "kokkos.host_program"
"""Unit, on a `func.func`: an `@hpcir.program` host function (allocations, launches, host loops)."""

ARG_NAMES = "kokkos.arg_names"
"""Array of strings, on an entry `func.func`: the Python names of its arguments, in order."""

LAYOUT_FREE = "kokkos.layout_free"
"""Unit, on an entry `func.func` lowered from annotations only: `kokkos-layout` may choose its views' layouts."""

DEVICE_FUNCTION = "kokkos.device_function"
"""Unit, on a `func.func`: a function called from kernels, emitted as `KOKKOS_INLINE_FUNCTION`."""

USER_TILE = "kokkos.user_tile"
"""Unit, on a launch (`kokkos.parallel_for|reduce|scan`): its MDRange tile is the user's; passes keep it."""

TILE = "kokkos.tile"
"""Array of positive integers, on an L2 `scf.parallel`: the MDRange tile the user asked for
(`MDRangePolicy(..., tile=...)`); convert-scf-to-kokkos gives it to the launch and marks it `user_tile`."""

ORDERED = "kokkos.ordered"
"""Unit, on an L2 `scf.parallel` or a launch (`kokkos.parallel_reduce|scan`): the user asked for the
reduction's sequential order (`@hpcir.kernel(ordered=True)`): float sums and products are not split
into vector lanes (one thread then gives Python's result exactly)."""

STENCIL = "kokkos.stencil"
"""Unit, on an entry `func.func` lowered from an `@hpcir.stencil`: host targets schedule its loop nests
for cache and vector lanes (stencil-host-schedule)."""

SIMD = "kokkos.simd"
"""Unit, on an `scf.for`: its iterations are independent (it came from an `scf.parallel` dimension), so
host emitters vectorise it (`#pragma omp simd`) without proving that its views do not alias."""

TARGET = "kokkos.target"
"""String, on `builtin.module`: the target the module is lowered for (`cpu`, `cuda`, ...), stamped once."""


SOURCE_LOC = "kokkos.source_loc"
"""String "FILE:LINE:COL", on a `kokkos.scratch_alloc`: the Python call that allocated it (for the
launch-time check of the scratch size against the execution space's limit)."""


@dataclass(frozen=True)
class DiscardableAttr:
    """The declaration of one discardable attribute: its name, where it may appear, what its value is."""

    name: str
    ops: tuple[type[Operation], ...]  # the ops it may appear on
    where: str  # those ops, for error messages
    value: str  # the value's attribute type, for error messages
    is_valid: Callable[[Attribute], bool]


def _unit(attr: Attribute) -> bool:
    return isinstance(attr, UnitAttr)


def _strings(attr: Attribute) -> bool:
    return isinstance(attr, ArrayAttr) and all(isinstance(a, StringAttr) for a in attr.data)


def _tile(attr: Attribute) -> bool:
    return isinstance(attr, ArrayAttr) and len(attr.data) > 0 and all(
        isinstance(a, IntegerAttr) and a.value.data > 0 for a in attr.data)


def _target_name(attr: Attribute) -> bool:
    return isinstance(attr, StringAttr) and attr.data in TARGETS


@cache
def declarations() -> dict[str, DiscardableAttr]:
    """Every discardable attribute of the kokkos dialect, by name."""
    from xdsl.dialects.func import FuncOp
    from xdsl.dialects.scf import ForOp, ParallelOp

    from .kokkos import LAUNCH_OPS, ScratchAllocOp
    from .kokkos_attrs import EntryAttr

    func, unit = ((FuncOp,), "func.func"), "a unit attribute"
    return {d.name: d for d in (
        DiscardableAttr(ENTRY, *func, "a #kokkos.entry<for|reduce|scan> attribute",
                        lambda a: isinstance(a, EntryAttr)),
        DiscardableAttr(HOST_PROGRAM, *func, unit, _unit),
        DiscardableAttr(ARG_NAMES, *func, "an array of strings", _strings),
        DiscardableAttr(LAYOUT_FREE, *func, unit, _unit),
        DiscardableAttr(DEVICE_FUNCTION, *func, unit, _unit),
        DiscardableAttr(STENCIL, *func, unit, _unit),
        DiscardableAttr(SIMD, (ForOp,), "scf.for", unit, _unit),
        DiscardableAttr(USER_TILE, LAUNCH_OPS, ", ".join(c.name for c in LAUNCH_OPS), unit, _unit),
        DiscardableAttr(ORDERED, (ParallelOp, *LAUNCH_OPS), "scf.parallel or a launch", unit, _unit),
        DiscardableAttr(TILE, (ParallelOp,), "scf.parallel", "an array of positive integers", _tile),
        DiscardableAttr(SOURCE_LOC, (ScratchAllocOp,), "kokkos.scratch_alloc", "a string FILE:LINE:COL",
                        lambda a: isinstance(a, StringAttr)),
        DiscardableAttr(TARGET, (ModuleOp,), "builtin.module", f"a string naming a target ({', '.join(TARGETS)})",
                        _target_name),
    )}


def verify_discardable_attribute(op: Operation, name: str) -> None:
    """Check one `kokkos.*` attribute of op: a declared name, on the right op, with a valid value."""
    known = declarations()
    decl = known.get(name)
    if decl is None:
        raise VerifyException(f"'{op.name}' carries unknown attribute '{name}'; the kokkos dialect declares "
                              f"{', '.join(sorted(known))} (hpcir.dialects.kokkos_discardable)")
    if not isinstance(op, decl.ops):
        raise VerifyException(f"'{name}' may appear only on {decl.where}, not on '{op.name}'")
    value = op.attributes[name]
    if not decl.is_valid(value):
        raise VerifyException(f"'{name}' on '{op.name}' must be {decl.value}, got {value}")


def verify_discardable_attributes(module: Operation) -> None:
    """Check every `kokkos.*` discardable attribute of module and the ops nested in it (VerifyException)."""
    for op in module.walk():
        for name in op.attributes:
            if name.startswith(PREFIX):
                verify_discardable_attribute(op, name)


__all__ = ["ARG_NAMES", "DEVICE_FUNCTION", "ENTRY", "HOST_PROGRAM", "LAYOUT_FREE", "ORDERED", "PREFIX", "SOURCE_LOC",
           "TARGET", "TILE", "USER_TILE", "DiscardableAttr", "declarations", "verify_discardable_attribute", "verify_discardable_attributes"]
