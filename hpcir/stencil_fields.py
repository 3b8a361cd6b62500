"""`hpcir.field_empty` / `hpcir.field_zeros`: NumPy arrays for stencil fields, allocated in a chosen
memory layout (as GT4Py's storages are), which `@hpcir.stencil` then runs on without copies.

    u = hpcir.field_zeros((256, 256, 64), layout="F")          # i contiguous
    v = hpcir.field_zeros((256, 256, 64), layout=(2, 0, 1))    # stored as (k, i, j): j contiguous
    w = hpcir.field_zeros((256, 256, 64), layout="target")     # the target's preferred Kokkos layout

`layout` is "C" (LayoutRight, the last dimension contiguous), "F" (LayoutLeft, the first one),
"target" (the target's preferred layout: LayoutRight on cpu / serial, LayoutLeft on cuda / hip, as
Kokkos' defaults), or the memory order of the dimensions as a permutation (outermost first).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from hpcir.core.errors import ArgumentError, SourceLocation, user_call_site
from hpcir.core.targets import get_target

# Kokkos names and NumPy orders of the two dense layouts.
_NAMED = {"C": "right", "F": "left", "right": "right", "left": "left", "LayoutRight": "right",
          "LayoutLeft": "left"}


def storage_order(layout: Any, rank: int, target: str | None, site: SourceLocation | None) -> tuple[int, ...]:
    """The memory order (dimensions, outermost first) a `layout=` argument asks for."""
    if isinstance(layout, str):
        if layout == "target":
            from .lowering import default_target
            layout = get_target(target or default_target(), site).layout
        kind = _NAMED.get(layout)
        if kind is None:
            raise ArgumentError(f"unknown layout {layout!r}", site,
                                hint="use 'C', 'F', 'target' or a permutation of the dimensions such as (2, 0, 1)")
        return tuple(range(rank)) if kind == "right" else tuple(reversed(range(rank)))
    try:
        order = tuple(int(d) for d in layout)
    except (TypeError, ValueError):
        order = ()
    if sorted(order) != list(range(rank)):
        raise ArgumentError(f"layout {layout!r} is not a permutation of the {rank} dimensions", site,
                            hint=f"list every dimension once, outermost first, e.g. {tuple(reversed(range(rank)))} "
                                 "for Fortran order")
    return order


def _allocate(shape: Any, dtype: Any, layout: Any, target: str | None, zero: bool,
              site: SourceLocation | None) -> np.ndarray:
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in dims):
        raise ArgumentError(f"shape {shape!r} is not a tuple of non-negative ints", site, hint="e.g. (64, 64, 64)")
    try:
        dt = np.dtype(getattr(dtype, "numpy", dtype))  # hpcir.float32 or a NumPy dtype
    except TypeError:
        raise ArgumentError(f"{dtype!r} is not a dtype", site, hint="use float, np.float64 or hpcir.float32") from None
    order = storage_order(layout, len(dims), target, site)
    stored = tuple(int(dims[d]) for d in order)
    base = np.zeros(stored, dt) if zero else np.empty(stored, dt)
    return np.transpose(base, np.argsort(order))  # a view: element [i, j, k] wherever the layout puts it


def field_empty(shape: Any, dtype: Any = np.float64, layout: Any = "target", target: str | None = None) -> np.ndarray:
    """A NumPy array of `shape` in memory layout `layout`, its values undefined."""
    return _allocate(shape, dtype, layout, target, False, user_call_site(2))


def field_zeros(shape: Any, dtype: Any = np.float64, layout: Any = "target", target: str | None = None) -> np.ndarray:
    """A NumPy array of `shape` in memory layout `layout`, filled with zeros."""
    return _allocate(shape, dtype, layout, target, True, user_call_site(2))
