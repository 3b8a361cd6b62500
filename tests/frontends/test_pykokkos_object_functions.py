"""ExaMiniMD's spellings: a @pk.function that fills a named @pk.classtype object and returns it (views
passed straight through), and @pk.workload classes without @pk.main (only pk.execute needs one)."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError


@pk.classtype
class Particle:
    def __init__(self):
        self.x: float = 0.0
        self.q: float = 0.0
        self.id: int = 0


@pk.function
def get_particle(i: int, x: pk.View2D[float], q: pk.View1D[float]) -> Particle:
    p: Particle = Particle()
    p.x = x[i][0] + x[i][1]
    p.q = q[i]
    p.id = i
    return p


@pk.function
def set_particle(i: int, p: Particle, x: pk.View2D[float], q: pk.View1D[float]) -> None:
    x[i][0] = p.x
    q[i] = p.q * p.id


@pk.workunit
def swap_in(i: int, n: int, x: pk.View2D[float], q: pk.View1D[float], y: pk.View2D[float], r: pk.View1D[float]):
    p: Particle = get_particle(n - 1 - i, x, q)
    set_particle(i, p, y, r)


def test_function_returning_a_named_object_against_python():
    rng = np.random.default_rng(3)
    n = 37
    x, q = pk.View([n, 2], pk.double), pk.View([n], pk.double)
    x[:], q[:] = rng.standard_normal((n, 2)), rng.standard_normal(n)
    y, r = pk.View([n, 2], pk.double), pk.View([n], pk.double)
    pk.parallel_for(n, swap_in, n=n, x=x, q=q, y=y, r=r)
    src = np.arange(n)[::-1]
    np.testing.assert_array_equal(np.asarray(y)[:, 0], np.asarray(x)[src, 0] + np.asarray(x)[src, 1])
    np.testing.assert_array_equal(np.asarray(y)[:, 1], 0.0)
    np.testing.assert_array_equal(np.asarray(r), np.asarray(q)[src] * src)


@pk.workunit
def add_one(i: int, v: pk.View1D[float]):
    v[i] += 1.0


@pk.workload
class Helper:
    """A workload whose methods launch directly, as ExaMiniMD's Temperature does."""

    def __init__(self, n: int):
        self.n = n

    def run(self, v) -> None:
        pk.parallel_for(self.n, add_one, v=v)


def test_workload_without_main_runs_its_methods_and_execute_says_what_is_missing():
    v = pk.View([5], pk.double)
    h = Helper(5)
    h.run(v)
    np.testing.assert_array_equal(np.asarray(v), 1.0)
    with pytest.raises(HpcirError, match=r"test_pykokkos_object_functions.py:\d+:\d+.*no @pk.main"):
        pk.execute(pk.ExecutionSpace.Default, h)


def test_workload_with_two_mains_is_refused_at_the_class():
    with pytest.raises(HpcirError, match="one @pk.main method, it has 2"):
        @pk.workload
        class Two:
            @pk.main
            def a(self):
                pass

            @pk.main
            def b(self):
                pass
