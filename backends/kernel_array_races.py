"""Race checks of the array translation: which loads and stores of a launch stay within one iteration.

Array code runs every iteration at once, so a kernel whose iterations read what others write (or
write one element twice without an atomic) has no array form; these checks find that on the
affine index forms the emitter records, and the emitter refuses such kernels.
"""
from __future__ import annotations

from .kernel_array_values import Aff


class RaceCheckMixin:
    """Race analysis over the emitter's recorded accesses (`loads`, `stores`, `active_axes`, `static_extents`)."""

    def check_races(self) -> None:
        """Views both loaded and stored: every load must read the element its own iteration stores."""
        for view, stores in self.stores.items():
            loads = self.loads.get(view, [])
            keys = {tuple(a.key() if a is not None else None for a in s[0]) for s in stores}  # type: ignore
            for aff, _ in loads:
                k = tuple(a.key() if a is not None else None for a in aff)  # type: ignore[union-attr]
                if self.owned(aff, [s[0] for s in stores]):  # type: ignore[arg-type]
                    continue
                if None in k or any(x[1] is None for x in k) or k not in keys or len(keys) != 1:
                    self.fail(f"iterations read elements of `{self.view_names[view]}` that other iterations "
                              "write (a race in the source too)", self.view_names[view],
                              hint="read from one array and write another (e.g. out[i] = f(x[i-1], x[i+1]))")

    def owned(self, load: list[Aff | None], stores: list[list[Aff | None]]) -> bool:
        """Whether a load reads only elements its own iteration may write: for every launch axis d
        some dimension p is c * index_d + k in the load and in every store alike, so the stores
        partition the elements by iteration along p and the load stays in its own part
        (`spec[t, iphi[q], ipsi[q], s] += ...`: t and s own the element whatever the middle is)."""
        for d in self.active_axes:
            if self.extent_one(d):
                continue
            if not any(a is not None and a.offset is not None and len(a.coeffs) == 1 and a.coeffs.get(d)
                       and all(len(st) == len(load) and st[p] is not None and st[p].key() == a.key() for st in stores)
                       for p, a in enumerate(load)):
                return False
        return True

    def covers_grid(self, affs: list[Aff | None]) -> bool:
        """Whether distinct iterations of the launch grid store to distinct elements."""
        for d in self.active_axes:
            if self.extent_one(d):
                continue
            if not any(a is not None and set(a.coeffs) == {d} and a.coeffs[d] != 0 for a in affs):
                return False
        return True

    def extent_one(self, d: int) -> bool:
        return self.static_extents.get(d) == 1
