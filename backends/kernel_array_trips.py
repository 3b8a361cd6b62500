"""Static trip counts for Torch loops whose bounds differ between lanes.

A loop `for e in range(lo[i], hi[i])` runs, in array code, max(hi - lo) times over all lanes, masked.
In Torch that maximum is `int(trip.max())`: a data-dependent scalar, where torch.compile breaks its
graph. When the trip counts depend only on the launch's scalars, its indices and views the caller
declares constant, they are the same at every launch: a first (recording) run measures each loop's
maximum, and the source emitted afterwards loops to that maximum as a literal (graph-break free,
unrolled when short). Eager launches still compare the live trip counts with it; compiled ones
trust the caller's declaration.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = re.compile(r"[A-Za-z_]\w*")
_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s(.*)$")
# a view's extent or device, not its data (the bound launch guards the shapes)
_SHAPE = re.compile(r"[A-Za-z_]\w*\.(shape\[[^\]]*\]|device)")
_STORE = re.compile(r"^\s*([A-Za-z_]\w*)(\[|\.view\(-1\)\.|\.index_put_|\.scatter)")


@dataclass(frozen=True)
class TripPlan:
    """How the emitter writes loops with per-lane trip counts (Torch): record them, or cap them."""

    record: bool = False
    constant: frozenset[str] = frozenset()     # views the caller promises not to change between launches
    caps: tuple[tuple[int, int], ...] = field(default_factory=tuple)  # (loop id, recorded maximum)

    def cap(self, loop: int) -> int | None:
        return dict(self.caps).get(loop)


def tainted_names(lines: list[str], seeds: set[str]) -> set[str]:
    """Names whose values may differ between launches with the same scalars and shapes: the seeds (views that are
    not constant), and whatever is computed from them; a fixpoint over all lines, so that a loop's
    later lines taint what its earlier lines read on the next iteration."""
    tainted = set(seeds)
    lines = [_SHAPE.sub("", ln) for ln in lines]
    while True:
        before = len(tainted)
        for ln in lines:
            m = _ASSIGN.match(ln)
            if m and "[" not in m.group(1):
                target, rhs = m.group(1), m.group(2)
            else:
                s = _STORE.match(ln)
                if not s:
                    continue
                target, rhs = s.group(1), ln
            if target not in tainted and any(w in tainted for w in _WORD.findall(rhs)):
                tainted.add(target)
        if len(tainted) == before:
            return tainted


TRIP_HELPERS = {
    "_torch_trip": "_TRIPS = {}\n\n\ndef _torch_trip(loop, n):\n"
                   "    # the recording launch of bind(constant=...): each loop's largest trip count\n"
                   "    _TRIPS[loop] = max(_TRIPS.get(loop, 0), n)\n    return n\n",
    "_torch_cap": "def _torch_cap(trip, cap, message):\n"
                  "    # eager launches check the bound recorded at bind time; torch.compile traces none of this\n"
                  "    if not torch.compiler.is_compiling() and bool((trip > cap).any()):\n"
                  "        raise ValueError(message)\n",
}

__all__ = ["TripPlan", "tainted_names", "TRIP_HELPERS"]
