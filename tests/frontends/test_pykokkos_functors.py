"""PyKokkos functor and workload classes run unchanged through `import hpcir.pykokkos as pk`."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError


@pk.functor
class Saxpy:
    def __init__(self, n: int, a: float, seed: int):
        rng = np.random.default_rng(seed)
        self.n: int = n
        self.a: float = a
        self.x: pk.View1D[pk.double] = pk.View([n], pk.double)
        self.y: pk.View1D[pk.double] = pk.View([n], pk.double)
        self.out: pk.View1D[pk.double] = pk.View([n], pk.double)
        self.x[:] = rng.random(n)
        self.y[:] = rng.random(n)

    @pk.function
    def axpy(self, u: float, v: float) -> float:
        return self.a * u + v

    @pk.workunit
    def run(self, i: int):
        self.out[i] = self.axpy(self.x[i], self.y[i])

    @pk.workunit
    def dot(self, i: int, acc: pk.Acc[pk.double]):
        acc += self.x[i] * self.y[i]

    @pk.workunit
    def prefix(self, i: int, acc: pk.Acc[pk.double], last: bool):
        acc += self.x[i]
        if last:
            self.out[i] = acc


@pytest.mark.parametrize("n,a,seed", [(1, 0.5, 0), (17, -2.0, 1), (1000, 3.25, 2)])
def test_functor_for_reduce_scan_match_numpy(n, a, seed):
    f = Saxpy(n, a, seed)
    pk.parallel_for(n, f.run)
    np.testing.assert_allclose(f.out, a * f.x + f.y, rtol=1e-14)
    dot = pk.parallel_reduce("dot", pk.RangePolicy(pk.OpenMP, 0, n), f.dot)
    assert dot == pytest.approx(float(f.x @ f.y), rel=1e-12)
    total = pk.parallel_scan(n, f.prefix)
    np.testing.assert_allclose(f.out, np.cumsum(f.x), rtol=1e-12)
    assert total == pytest.approx(f.x.sum(), rel=1e-12)


def test_field_values_are_read_at_each_launch():
    f = Saxpy(8, 1.0, 3)
    pk.parallel_for(8, f.run)
    f.a = 4.0  # a scalar field changed between launches: the next launch sees it
    f.x = np.ones(8)  # a field rebound to another array
    pk.parallel_for(8, f.run)
    np.testing.assert_allclose(f.out, 4.0 + f.y)


@pk.functor
class TeamRowSums:
    def __init__(self, A: np.ndarray):
        self.A = A
        self.rows = pk.View([A.shape[0]], pk.double)
        self.cols: int = A.shape[1]

    @pk.workunit
    def rowsum(self, team: pk.TeamMember):
        j: int = team.league_rank()

        def inner(i: int, acc: pk.Acc[pk.double]):
            acc += self.A[j][i]

        s: float = pk.parallel_reduce(pk.TeamThreadRange(team, self.cols), inner)
        if team.team_rank() == 0:
            self.rows[j] = s


def test_functor_team_policy_reads_fields_in_nested_lambda():
    A = np.random.default_rng(4).random((23, 31))
    f = TeamRowSums(A)
    pk.parallel_for(pk.TeamPolicy(23, pk.AUTO), f.rowsum)
    np.testing.assert_allclose(f.rows, A.sum(axis=1), rtol=1e-12)


@pk.workload
class SquareSum:
    def __init__(self, n: int):
        self.N: int = n
        self.total: int = 0
        self.squares = pk.View([n], pk.int64)

    @pk.main
    def run(self):
        pk.parallel_for(self.N, self.fill)
        self.total = pk.parallel_reduce(self.N, self.squaresum)

    @pk.workunit
    def fill(self, i: int):
        self.squares[i] = i * i

    @pk.callback
    def check(self):
        self.checked = self.total == int(self.squares.sum())

    @pk.workunit
    def squaresum(self, i: int, acc: pk.Acc[pk.int64]):
        acc += self.squares[i]


@pytest.mark.parametrize("space", [pk.OpenMP, pk.Serial])
def test_workload_execute(space):
    w = SquareSum(300)
    before = pk.get_default_space()
    pk.execute(space, w)
    assert pk.get_default_space() is before
    np.testing.assert_array_equal(w.squares, np.arange(300) ** 2)
    assert w.total == int((np.arange(300) ** 2).sum())
    assert w.checked  # @pk.callback ran after @pk.main


@pk.function
def clamp01(v: float) -> float:
    return min(max(v, 0.0), 1.0)


@pk.workunit
def clamp_all(i: int, x: pk.View1D[pk.double], out: pk.View1D[pk.double]):
    out[i] = clamp01(x[i])


def test_standalone_function_called_from_workunit():
    x = np.linspace(-1.0, 2.0, 50)
    out = np.zeros(50)
    pk.parallel_for(50, clamp_all, x=x, out=out)
    np.testing.assert_array_equal(out, np.clip(x, 0.0, 1.0))


@pk.functor
class Bad:
    def __init__(self):
        self.v = pk.View([4], pk.double)
        self.s: float = 1.0

    @pk.workunit
    def assigns_field(self, i: int):
        self.s = 2.0

    @pk.workunit
    def calls_plain_method(self, i: int):
        self.v[i] = self.helper()

    def helper(self) -> float:
        return 1.0

    @pk.workunit
    def reads_missing(self, i: int):
        self.v[i] = self.nothere


@pytest.mark.parametrize("method,msg", [("assigns_field", "cannot assign the field self.s"),
                                        ("calls_plain_method", "not a @pk.function method"),
                                        ("reads_missing", "does not have")])
def test_functor_errors_name_the_line(method, msg):
    with pytest.raises(HpcirError, match=msg) as err:
        pk.parallel_for(4, getattr(Bad(), method))
    assert "test_pykokkos_functors.py" in str(err.value)


def test_workload_needs_a_main():
    @pk.workload  # accepted, as PyKokkos does (ExaMiniMD's workloads launch from plain methods) ...
    class NoMain:
        pass
    with pytest.raises(HpcirError, match="no @pk.main"):  # ... until pk.execute needs the main
        pk.execute(pk.OpenMP, NoMain())
    with pytest.raises(HpcirError, match="@pk.workload"):
        pk.execute(pk.OpenMP, Bad())


@pk.functor(tail=pk.ViewTypeInfo(trait=pk.Unmanaged))
class WithSubviewField:
    def __init__(self, n: int):
        self.base = pk.View([n], pk.int32)
        self.base[:] = np.arange(n)
        self.tail = self.base[n // 2:]

    @pk.workunit
    def total(self, i: int, acc: pk.Acc[pk.int64]):
        acc += self.tail[i]


def test_functor_with_view_type_info_and_subview_field():
    f = WithSubviewField(11)
    assert pk.parallel_reduce(f.tail.size, f.total) == int(np.arange(5, 11).sum())
