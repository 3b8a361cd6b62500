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
