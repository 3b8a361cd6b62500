"""pk.MaxLoc / pk.MinLoc as PyKokkos spells them, against NumPy's argmax / argmin."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError


@pk.functor
class Extremes:
    def __init__(self, x: np.ndarray):
        self.x = pk.array(x)

    @pk.workunit
    def largest(self, i: int, best: pk.Acc[pk.double], at: pk.Acc[pk.int64]):
        if self.x[i] > best:
            best = self.x[i]
            at = i

    @pk.workunit
    def smallest(self, i: int, best: pk.Acc[pk.double], at: pk.Acc[pk.int64]):
        if self.x[i] < best:
            best = self.x[i]
            at = i


@pk.workunit
def one_acc(i: int, best: pk.Acc[pk.double], x: pk.View1D[pk.double]):
    best = max(best, x[i])


def test_maxloc_minloc_match_argmax_argmin():
    rng = np.random.default_rng(14)
    for n in (1, 2, 7, 100, 5000, 20011):
        # few distinct values: ties are common, and both must give NumPy's lowest index
        x = rng.integers(-50, 50, n).astype(np.float64)
        f = Extremes(x)
        hi = pk.parallel_reduce(n, f.largest, reducer=pk.MaxLoc)
        lo = pk.parallel_reduce(pk.RangePolicy(pk.OpenMP, 0, n), f.smallest, reducer=pk.MinLoc)
        assert (hi.val, hi.loc) == (x.max(), x.argmax())
        assert tuple(lo) == (x.min(), x.argmin())
        assert isinstance(hi.loc, int)


def test_loc_reducer_needs_value_and_index():
    with pytest.raises(HpcirError, match="two accumulators"):
        pk.parallel_reduce(4, one_acc, reducer=pk.MaxLoc, x=np.ones(4))
