"""The last PyKokkos gaps, against NumPy: pk.MaxLoc / pk.MinLoc, chained assignments, team sizes
above the thread count, subviews inside workunits."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError
from math import fabs

ROOT = Path(__file__).resolve().parents[2]


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


@pk.workunit
def mdrange_team(team: pk.TeamMember, A: pk.View3D[pk.double], B: pk.View2D[pk.double],
                 C: pk.View1D[pk.double], N1: int, N2: int):
    r: int = team.league_rank()

    def inner(i0: int, i1: int):
        A[r][i0][i1] = B[r][i0] * 10.0 + C[i1] + team.team_size()

    pk.parallel_for(pk.TeamThreadMDRange(team, N1, N2), inner)


def test_team_size_above_the_thread_pool_is_refused_as_kokkos_does():
    # Kokkos::OpenMP aborts on a team larger than its thread pool; hpcir raises, saying how to get more threads
    A = pk.View([3, 4, 5], pk.double)
    with pytest.raises(HpcirError, match="exceeds this execution space's maximum") as err:
        pk.parallel_for(pk.TeamPolicy(3, 1000), mdrange_team, A=A, B=np.ones((3, 4)), C=np.ones(5), N1=4, N2=5)
    assert "OMP_NUM_THREADS" in err.value.hint and not A.any()


_SIXTEEN = """
import numpy as np, hpcir.pykokkos as pk
from tests.frontends.test_pykokkos_gaps import mdrange_team
A, B, C = pk.View([16, 4, 4], pk.double), np.arange(64.0).reshape(16, 4), np.arange(4.0)
pk.parallel_for(pk.TeamPolicy(16, 16), mdrange_team, A=A, B=B, C=C, N1=4, N2=4)
np.testing.assert_array_equal(A, B[:, :, None] * 10.0 + C[None, None, :] + 16)
print("ok")
"""


def test_team_of_16_runs_with_16_threads_whatever_the_cores():
    # what PyKokkos' team_thread_mdrange example needs: a pool of 16 OpenMP threads, oversubscribed here
    env = {**os.environ, "HPCIR_NUM_THREADS": "16", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _SIXTEEN], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


@pk.functor
class RowOps:
    def __init__(self, A: np.ndarray):
        self.A = pk.array(A)
        self.out = pk.View(list(A.shape), pk.double)
        self.sums = pk.View([A.shape[0]], pk.double)

    @pk.workunit
    def run(self, i: int):
        j: int = i
        row = self.A[j, :]
        mid: pk.View1D[pk.double] = self.A[j, 1:4]
        dst = self.out[j, :]
        r: int = j
        j = 0  # the subviews stay where they were made
        s: float = 0.0
        for k in range(mid.extent(0)):
            s += mid[k]
        for k in range(row.extent(0)):
            dst[k] = row[k] * 2.0 + r
        self.sums[r] = s + row.extent(0) * 1000


def test_subviews_inside_workunits():
    A = np.arange(30.0).reshape(5, 6) ** 1.5
    f = RowOps(A)
    pk.parallel_for(5, f.run)
    np.testing.assert_array_equal(f.out, A * 2.0 + np.arange(5)[:, None])
    np.testing.assert_allclose(f.sums, A[:, 1:4].sum(axis=1) + 6000, rtol=1e-15)


@pk.workunit
def whole_row(j: int, A: pk.View2D[pk.double], out: pk.View1D[pk.double]):
    row = A[j, :]
    out[j] = row  # not an element: the subview is left to the kernel frontend, which refuses it


def test_subview_used_as_a_value_is_an_error():
    with pytest.raises(HpcirError, match="test_pykokkos_gaps.py"):
        pk.parallel_for(2, whole_row, A=np.ones((2, 3)), out=np.zeros(2))


@pk.classtype
class Segment:
    def __init__(self, a: float, b: float):
        self.a: float = a
        self.b: float = b

    def length(self) -> float:
        return fabs(self.b - self.a)

    def at(self, t: float) -> float:
        if t < 0.0:
            return self.a
        else:
            return self.a + t * (self.b - self.a)

    def stretch(self, s: float):
        self.b = self.a + s * (self.b - self.a)


@pk.classtype
class Pair:
    def __init__(self, seg: Segment, w: int):
        self.seg: Segment = Segment(seg.b, seg.a)  # a copy, reversed
        self.w: int = w

    def weighted(self) -> float:
        return self.w * self.seg.length() + self.seg.at(0.5)


@pk.workunit
def use_classtypes(i: int, x: pk.View1D[pk.double], out: pk.View2D[pk.double]):
    s: Segment = Segment(x[i], x[i] * x[i] - 1.0)
    p = Pair(s, i % 3)
    s.stretch(2.0)  # p holds its own copy: unchanged
    out[i][0] = s.length() + s.at(0.25) * 10.0
    out[i][1] = p.weighted() - s.at(-1.0)
    p.seg.a = p.seg.a + 1.0
    out[i][2] = p.seg.length()


def test_classtypes_inside_workunits_match_python():
    x = np.linspace(-2.0, 3.0, 11)
    out = pk.View([11, 3], pk.double)
    pk.parallel_for(11, use_classtypes, x=x, out=out)
    want = np.zeros((11, 3))
    for i in range(11):  # the same classes, run by Python on the host
        s = Segment(x[i], x[i] * x[i] - 1.0)
        p = Pair(s, i % 3)
        s.stretch(2.0)
        want[i, :2] = [s.length() + s.at(0.25) * 10.0, p.weighted() - s.at(-1.0)]
        p.seg.a += 1.0
        want[i, 2] = p.seg.length()
    np.testing.assert_allclose(out, want, rtol=1e-14)


@pk.classtype
class EarlyReturn:
    def __init__(self, v: float):
        self.v: float = v

    def f(self) -> float:
        if self.v > 0.0:
            return 1.0
        return 2.0


def test_classtype_limits_are_located_errors():
    # raised when the workunit is defined, before anything is built
    with pytest.raises(HpcirError, match="only be used through its fields and methods") as err:
        @pk.workunit
        def passes_object(i: int, out: pk.View1D[pk.double]):
            s = Segment(1.0, 2.0)
            out[i] = max(s, 1.0)
    assert "test_pykokkos_gaps.py" in str(err.value) and "max(s, 1.0)" in str(err.value)
    with pytest.raises(HpcirError, match="may return only at its end") as err:
        @pk.workunit
        def early_return(i: int, out: pk.View1D[pk.double]):
            e = EarlyReturn(out[i])
            out[i] = e.f()
    assert "return 1.0" in str(err.value)  # points into the method
