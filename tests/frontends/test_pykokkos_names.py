"""PyKokkos' plain names in hpcir.pykokkos: dtypes, layouts, spaces, subviews, Timer, reducers, errors."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError


@pk.workunit
def scale2d(i: int, j: int, a: pk.View2D[pk.double], s: float, out: pk.View2D[pk.double]):
    out[i][j] = s * a[i][j] + i - j


@pytest.mark.parametrize("layout", [pk.LayoutLeft, pk.LayoutRight, pk.Layout.LayoutDefault])
@pytest.mark.parametrize("s", [2.5, np.float64(-1.5), np.float32(0.25), np.int8(3), np.uint16(7)])
def test_layouts_and_numpy_scalars(layout, s):
    a = pk.View([5, 7], pk.double, layout=layout)
    out = pk.View([5, 7], pk.double, layout=layout, space=pk.HostSpace)
    assert a.flags.f_contiguous == (layout is pk.LayoutLeft)
    a[:] = np.arange(35.0).reshape(5, 7)
    pk.parallel_for(pk.MDRangePolicy([0, 0], [5, 7]), scale2d, a=a, s=s, out=out)
    i, j = np.indices((5, 7))
    np.testing.assert_allclose(out, float(s) * a + i - j, rtol=1e-6)


@pk.workunit
def axpy(i: int, a: float, x: pk.View1D[pk.double], y: pk.View1D[pk.double]):
    y[i] += a * x[i]


def test_subviews_outside_kernels_share_memory():
    A = pk.View([6, 10], pk.double)
    A[:] = np.arange(60.0).reshape(6, 10)
    ref = A.copy()
    col = pk.subview(A, slice(None), 3)  # a strided column
    row = A[2, 1:9]  # slicing, as in PyKokkos
    pk.parallel_for(6, axpy, a=2.0, x=np.ones(6), y=col)
    pk.parallel_for(8, axpy, a=-1.0, x=np.arange(8.0), y=row)
    ref[:, 3] += 2.0
    ref[2, 1:9] -= np.arange(8.0)
    np.testing.assert_array_equal(A, ref)
    with pytest.raises(HpcirError, match="ints and start:stop slices"):
        pk.subview(A, [0, 1])


@pk.workunit
def vmax(i: int, acc: pk.Acc[pk.double], x: pk.View1D[pk.double]):
    acc = max(acc, x[i])


@pk.workunit
def vprod(i: int, acc: pk.Acc[pk.int64], x: pk.View1D[pk.int64]):
    acc *= x[i]


def test_reducer_names_and_dtypes():
    x = np.random.default_rng(5).normal(size=200)
    assert pk.parallel_reduce(200, vmax, reducer=pk.Max, x=x) == x.max()
    v = pk.View([10], pk.int64)
    v[:] = np.arange(1, 11)
    assert pk.parallel_reduce(10, vprod, reducer=pk.Prod, x=v) == 3628800
    for name, dt in [("int8", np.int8), ("int16", np.int16), ("uint8", np.uint8), ("uint16", np.uint16),
                     ("uint32", np.uint32), ("uint64", np.uint64), ("int32", np.int32), ("int64", np.int64),
                     ("double", np.float64), ("float", np.float32), ("real", np.float64), ("float64", np.float64),
                     ("float32", np.float32)]:
        assert pk.View([3], getattr(pk, name)).dtype == dt, name
    assert pk.View([2], pk.bool).dtype == np.bool_


def test_timer_and_view_type_info():
    t = pk.Timer()
    assert 0.0 <= t.seconds() < 60.0
    t.reset()
    assert t.seconds() < 60.0

    @pk.workunit(x=pk.ViewTypeInfo(layout=pk.LayoutRight))
    def double_it(i: int, x: pk.View1D[pk.double]):
        x[i] *= 2.0

    x = np.arange(5.0)
    pk.parallel_for(5, double_it, x=x)
    np.testing.assert_array_equal(x, 2.0 * np.arange(5.0))


def test_missing_names_are_hpcir_errors():
    for name in ("atomic_fetch_nand", "atomic_compare_exchange", "no_such_name"):
        with pytest.raises(HpcirError, match=f"pk.{name} is not supported"):
            getattr(pk, name)
    assert not hasattr(pk, "atomic_fetch_nand")  # hasattr stays usable: the error is also an AttributeError
    with pytest.raises(HpcirError, match="pk views are host arrays"):
        pk.View([3], pk.double, space=pk.CudaSpace)


def test_hints_use_pk_spelling():
    with pytest.raises(HpcirError) as err:
        @pk.workunit
        def bad(i: int, x: "pk.Timer"):
            pass
    assert "pk.View1D" in err.value.hint and "hpcir." not in err.value.hint


def test_views_answer_layout_and_space():
    left = pk.View([6], pk.int64, layout=pk.Layout.LayoutLeft)
    assert left.layout is pk.LayoutLeft and left.space is pk.HostSpace
    assert pk.View([2, 3], pk.double).layout is pk.LayoutRight
    assert pk.View([2, 3], pk.double, layout=pk.LayoutLeft)[1, :].layout is pk.LayoutStride
    assert isinstance(left, np.ndarray)


@pk.workunit
def per_team(team: pk.TeamMember, out: pk.View1D[pk.int64]):
    out[team.league_rank()] = team.league_rank() + 1


def test_team_policy_accepts_auto_string():
    out = pk.View([5], pk.int64)
    pk.parallel_for(pk.TeamPolicy(5, "auto"), per_team, out=out)
    np.testing.assert_array_equal(out, np.arange(1, 6))
