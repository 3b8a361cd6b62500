"""PyKokkos workunit programs run unchanged with `import hpcir.pykokkos as pk`."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk


@pk.workunit
def yAx(team_member: pk.TeamMember, acc: pk.Acc[pk.double], cols: int, y_view: pk.View1D[pk.double],
        x_view: pk.View1D[pk.double], A_view: pk.View2D[pk.double]):
    j: int = team_member.league_rank()

    def inner_reduce(i: int, inner_acc: pk.Acc[pk.double]):
        inner_acc += A_view[j][i] * x_view[i]

    temp2: float = pk.parallel_reduce(pk.TeamThreadRange(team_member, cols), inner_reduce)

    if team_member.team_rank() == 0:
        acc += y_view[j] * temp2


def test_team_policy_yAx_from_pykokkos_examples():
    rows, cols = 64, 48
    y = pk.View([rows], pk.double)
    x = pk.View([cols], pk.double)
    A = pk.View([rows, cols], pk.double)
    y[:] = 1.0
    x[:] = np.linspace(0.0, 1.0, cols)
    A[:] = np.arange(rows * cols).reshape(rows, cols) / 100.0
    result = pk.parallel_reduce("yAx", pk.TeamPolicy(rows, pk.AUTO), yAx, cols=cols, y_view=y, x_view=x, A_view=A)
    assert result == pytest.approx(float(y @ (A @ x)), rel=1e-12)


def test_workunit_defined_inside_a_function_with_serial_space():
    def run(n: int) -> np.ndarray:
        @pk.workunit
        def squares(i: int, out: pk.View1D[pk.int64]):
            out[i] = i * i

        out = pk.View([n], pk.int64)
        pk.parallel_for("squares", pk.RangePolicy(pk.Serial, 0, n), squares, out=out)
        return out

    np.testing.assert_array_equal(run(37), np.arange(37) ** 2)


def test_default_space_and_scan():
    @pk.workunit
    def prefix(i: int, acc: pk.Acc[pk.double], last: bool, x: pk.View1D[pk.double], out: pk.View1D[pk.double]):
        acc += x[i]
        if last:
            out[i] = acc

    old = pk.get_default_space()
    try:
        pk.set_default_space(pk.Serial)
        assert pk.get_default_space() is pk.Serial
        x = np.random.default_rng(0).random(100)
        out = np.zeros(100)
        total = pk.parallel_scan(100, prefix, x=x, out=out)
    finally:
        pk.set_default_space(old)
    np.testing.assert_allclose(out, np.cumsum(x), rtol=1e-12)
    assert total == pytest.approx(x.sum(), rel=1e-12)


def test_atomics_and_mdrange_with_tile():
    @pk.workunit
    def hist2d(i: int, j: int, img: pk.View2D[pk.int32], h: pk.View1D[pk.int32]):
        pk.atomic_fetch_add(h, [img[i][j]], 1)

    rng = np.random.default_rng(1)
    img = rng.integers(0, 10, size=(40, 30)).astype(np.int32)
    h = np.zeros(10, np.int32)
    pk.parallel_for(pk.MDRangePolicy([0, 0], [40, 30], [8, 8]), hist2d, img=img, h=h)
    np.testing.assert_array_equal(h, np.bincount(img.ravel(), minlength=10))


def test_float32_dtype_is_pykokkos_float():
    assert pk.float is pk.float32
    v = pk.View([4], pk.float)
    assert v.dtype == np.float32
