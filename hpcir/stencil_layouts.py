"""Which layout a stencil call's arrays have, so that the stencil is specialised to it (no copies).

A call's layout is a `StencilLayout`: the memory order of the dimensions (largest stride first, voted
over the fields, a written field counting twice) and, per field, the Kokkos layout of the field
re-indexed in that order (`right`, `left` or `stride`). The stencil is built once per layout
(passes/stencil_layout.py) and called with `np.transpose(a, order)` views of the arrays.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .frontends.python.signature import layout_of


@dataclass(frozen=True)
class StencilLayout:
    """The memory order of the dimensions (outermost first) and each field's layout in that order."""

    order: tuple[int, ...]
    layouts: tuple[str, ...]

    @property
    def is_default(self) -> bool:
        """True for the layout of C-ordered arrays (the build without the stencil-layout pass)."""
        return self.order == tuple(range(len(self.order))) and all(lay == "right" for lay in self.layouts)

    def pass_spec(self) -> str:
        """The stencil-layout pass with this layout's options."""
        return (f"stencil-layout{{order={','.join(map(str, self.order))} "
                f"layouts={','.join(self.layouts)}}}")

    def tag(self) -> str:
        """A short name for library names: `o201_rsl` (order 2,0,1; right, stride, left)."""
        return "o" + "".join(map(str, self.order)) + "_" + "".join(lay[0] for lay in self.layouts)


def default_layout(rank: int, n_fields: int) -> StencilLayout:
    """C order for every field."""
    return StencilLayout(tuple(range(rank)), ("right",) * n_fields)


def strides_usable(a: Any) -> bool:
    """True when a host array's strides can be wrapped as they are (non-negative multiples of the item size)."""
    return all(s >= 0 and s % a.itemsize == 0 for s in a.strides)


def memory_order(arrays: Sequence[Any], written: Sequence[bool]) -> tuple[int, ...]:
    """Dimensions sorted from the largest stride to the smallest, voted over the arrays.

    Each array ranks its dimensions by stride (extent-1 dimensions, whose stride means nothing, go
    outermost); a dimension's score is the sum of its ranks, a written array counting twice because its
    stores cost more than loads. Ties keep the array's dimension order (C order)."""
    rank = arrays[0].ndim
    score = [0] * rank
    for a, w in zip(arrays, written):
        keyed = sorted(range(rank), key=lambda d: (-(a.strides[d] if a.shape[d] > 1 else np.inf), d))
        for pos, d in enumerate(keyed):
            score[d] += pos * (2 if w else 1)
    return tuple(sorted(range(rank), key=lambda d: (score[d], d)))


def choose_layout(arrays: Sequence[Any], written: Sequence[bool], host: bool) -> StencilLayout:
    """The layout to specialise for: memory order from the strides; fields' layouts in that order.

    host: the target reads host memory, so any strided view is wrapped in place (LayoutStride). GPU
    targets stage host arrays through contiguous buffers, so there every field is LayoutRight in the
    chosen order (arrays that are not, sliced views, are copied by the runtime as before)."""
    order = memory_order(arrays, written)
    if not host:
        return StencilLayout(order, ("right",) * len(arrays))
    return StencilLayout(order, tuple(layout_of(np.transpose(a, order)) for a in arrays))


def reindex(a: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """The array seen in memory order (a view)."""
    return a if order == tuple(range(a.ndim)) else np.transpose(a, order)
