"""The last PyKokkos gaps, against NumPy: pk.MaxLoc / pk.MinLoc, chained assignments, team sizes
above the thread count, subviews inside workunits."""
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


@pk.workunit
def chained(i: int, x: pk.View1D[pk.double], a: pk.View1D[pk.double], b: pk.View1D[pk.int32],
            c: pk.View1D[pk.double]):
    t = a[i] = x[i] * 2.5  # Python's order: x[i] * 2.5 once, then t, then a[i]
    u = v = t + 1.0
    c[i] = b[i] = u + v  # b is int32: truncated as C++ converts it


def test_chained_assignment_matches_python():
    x = np.linspace(-3.0, 3.0, 13)
    a, b, c = pk.View([13], pk.double), pk.View([13], pk.int32), pk.View([13], pk.double)
    pk.parallel_for(13, chained, x=x, a=a, b=b, c=c)
    np.testing.assert_array_equal(a, x * 2.5)
    np.testing.assert_array_equal(c, 2 * (x * 2.5 + 1.0))
    np.testing.assert_array_equal(b, np.trunc(2 * (x * 2.5 + 1.0)).astype(np.int32))
