"""PyKokkos kernel-language details: bare math names, nonlocal, run-time range steps, truncating
stores into integer views, and kernel lists."""
from __future__ import annotations

from math import *  # noqa: F403  (PyKokkos programs do this; the workunits below name sqrt, fabs bare)
from typing import List  # noqa: F401

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError


@pk.workunit
def bare_math(i: int, x: pk.View1D[pk.double], out: pk.View1D[pk.double]):
    out[i] = sqrt(fabs(x[i])) + exp2(x[i]) - pi  # noqa: F405


@pk.workunit
def stepped_sum(i: int, lo: int, hi: int, step: int, out: pk.View1D[pk.int64]):
    total: int = 0
    for k in range(lo + i, hi, step):
        total += k
    out[i] = total


@pk.workunit
def truncating(i: int, x: pk.View1D[pk.double], out: pk.View1D[pk.int32]):
    out[i] = x[i] * 1.5


@pk.workunit
def team_nonlocal(team: pk.TeamMember, out: pk.View1D[pk.double]):
    j: int = team.league_rank()
    total: float = 0.0

    def count(i: int):
        nonlocal total
        total += i * j

    pk.parallel_for(pk.TeamThreadRange(team, 5), count)
    out[j] = total


def test_bare_math_names():
    x = np.linspace(-3.0, 3.0, 41)
    out = np.zeros_like(x)
    pk.parallel_for(41, bare_math, x=x, out=out)
    np.testing.assert_allclose(out, np.sqrt(np.abs(x)) + np.exp2(x) - np.pi, rtol=1e-13)


@pytest.mark.parametrize("lo,hi,step", [(0, 20, 3), (5, 50, 7), (20, 0, -3), (10, -10, -1), (0, 10, 0), (3, 3, 2),
                                         (9, 2, 4)])
def test_range_with_run_time_step_matches_python(lo, hi, step):
    out = np.zeros(4, np.int64)
    pk.parallel_for(4, stepped_sum, lo=lo, hi=hi, step=step, out=out)
    want = [sum(range(lo + i, hi, step)) if step else 0 for i in range(4)]
    np.testing.assert_array_equal(out, want)


def test_float_stores_into_int_views_truncate_like_cpp():
    x = np.array([1.0, -1.0, 0.3, -0.3, 2.9, -2.9, 1e6])
    out = np.zeros(x.size, np.int32)
    pk.parallel_for(x.size, truncating, x=x, out=out)
    np.testing.assert_array_equal(out, np.trunc(x * 1.5).astype(np.int32))


def test_nonlocal_in_nested_function():
    out = np.zeros(4)
    pk.parallel_for(pk.TeamPolicy(4, 1), team_nonlocal, out=out)
    np.testing.assert_array_equal(out, [10.0 * j for j in range(4)])


@pk.workunit
def init_view(i, view, init):
    view[i] = init


@pk.workunit
def add_views(i: int, view_1: pk.View1D[pk.int64], view_2: pk.View1D[pk.int64]):
    view_1[i] += view_2[i]


def test_kernel_lists():
    v1, v2 = pk.View([10], pk.int64), pk.View([10], pk.double)
    pk.parallel_for(10, [init_view, init_view], args_1={"view": v1, "init": 5}, args_2={"view": v2, "init": 6.5})
    np.testing.assert_array_equal(v1, 5)
    np.testing.assert_array_equal(v2, 6.5)
    ones = np.ones(10, np.int64)
    pk.parallel_for(10, [add_views, add_views], args_0={"view_1": v1, "view_2": ones},
                    args_1={"view_1": v1, "view_2": ones})
    np.testing.assert_array_equal(v1, 7)
    with pytest.raises(HpcirError, match="args_1, args_2"):
        pk.parallel_for(10, [init_view, init_view], view=v1)


@pk.workunit
def sin(tid: int, view: pk.View1D[pk.double]):  # noqa: F811  (a workunit named like the math function it calls)
    view[tid] = sin(view[tid])


def test_workunit_named_like_the_math_function_it_calls():
    v = pk.array(np.linspace(0.0, 3.0, 7))
    want = np.sin(v)
    pk.parallel_for(7, sin, view=v)
    np.testing.assert_allclose(v, want, rtol=1e-15)


@pk.functor
class Lists:
    def __init__(self, a: int, b: int):
        self.i_1: int = a
        self.i_2: int = b

    @pk.workunit
    def list_type(self, tid: int, acc: pk.Acc[pk.double]) -> None:
        x: List[int] = [self.i_1, self.i_2 * tid]
        acc += x[0]
        acc += x[1]


def test_small_list_locals_with_constant_indices():
    assert pk.parallel_reduce(10, Lists(3, 4).list_type) == 10 * 3 + 4 * 45


@pk.functor
class Conversions:
    def __init__(self, n: int):
        self.v32 = pk.View([n], pk.int32)
        self.v32[:] = np.arange(n) - 3

    @pk.function
    def widened(self, i: int) -> int:
        return self.v32[i]  # an int32 element returned as int (int64), as C++ converts it

    @pk.workunit
    def total(self, i: int, acc: pk.Acc[pk.double]):
        half: int = self.v32[i] * 0.5  # a float assigned to an int local truncates, as in C++
        acc += self.widened(i) + half


def test_cpp_number_conversions_in_locals_and_returns():
    got = pk.parallel_reduce(9, Conversions(9).total)
    v = np.arange(9) - 3
    assert got == float((v + np.trunc(v * 0.5)).sum())
