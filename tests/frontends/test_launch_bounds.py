"""Launch ranges are checked against view extents on the host before anything runs (issue 15,
item 1): the issue's examples are located errors that leave memory untouched; guarded and
computed accesses stay legal; a property test decides in-range exactly as NumPy would."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpcir
from hpcir.core.errors import ArgumentError


@hpcir.kernel
def set_one(i: int, y: hpcir.View1D[float]):
    y[i] = 1.0


@hpcir.kernel
def total(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc += x[i]


@hpcir.kernel
def shift(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = x[i + 1] - x[i - 1]


@hpcir.kernel
def guarded(i: int, y: hpcir.View1D[float]):
    if i < y.extent(0):
        y[i] = 1.0


@hpcir.kernel
def plane(i: int, j: int, a: hpcir.View2D[float]):
    a[i, j + 1] = 2.0


@pytest.fixture
def no_build(monkeypatch):
    import hpcir.api as api
    monkeypatch.setattr(api, "build_library", lambda *a, **k: pytest.fail("built after bad input"))


def test_the_issue_examples_are_refused_before_anything_runs(no_build):
    buf = np.zeros(1500)
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(1500, set_one, y=buf[:1000])
    msg = str(e.value)
    assert msg.startswith(f"{__file__}:") and "`y[i]`" in msg and "index 1499" in msg and "1000 element" in msg
    assert not buf.any()
    with pytest.raises(ArgumentError, match="index 1499"):
        hpcir.parallel_reduce(1500, total, x=np.ones(1000))
    with pytest.raises(ArgumentError, match="index -100"):
        hpcir.parallel_for(hpcir.RangePolicy(-100, 500), set_one, y=np.zeros(1000))
    with pytest.raises(ArgumentError, match="index 999999999"):
        hpcir.parallel_for(10**9, set_one, y=np.zeros(10))
    with pytest.raises(ArgumentError, match=r"`a\[i, j \+ 1\]`.*index 4 of dimension 1"):
        hpcir.parallel_for(hpcir.MDRangePolicy([0, 0], [3, 4]), plane, a=np.zeros((3, 4)))
    with pytest.raises(ArgumentError, match=r"`x\[i - 1\]`.*index -1"):
        hpcir.parallel_for(hpcir.RangePolicy(0, 9), shift, x=np.zeros(10), y=np.zeros(10))


def test_ranges_that_fit_run(tmp_path):
    x = np.arange(10.0)
    y = np.zeros(10)
    hpcir.parallel_for(hpcir.RangePolicy(1, 9), shift, x=x, y=y, target="serial")
    np.testing.assert_array_equal(y[1:9], 2.0)
    a = np.zeros((3, 4))
    hpcir.parallel_for(hpcir.MDRangePolicy([0, 0], [3, 3]), plane, a=a, target="serial")
    assert (a[:, 1:] == 2.0).all() and (a[:, 0] == 0).all()
    hpcir.parallel_for(0, set_one, y=np.zeros(0), target="serial")  # an empty range touches nothing


def test_a_guarded_access_may_launch_past_the_extent():
    y = np.zeros(1000)
    hpcir.parallel_for(1024, guarded, y=y, target="serial")  # the CUDA idiom: round up, guard
    assert y.all()


@settings(max_examples=300, deadline=None)
@given(st.integers(-5, 15), st.integers(-5, 15), st.integers(0, 12))
def test_the_check_agrees_with_numpy_indexing(begin, end, n):
    """Refused exactly when some i in [begin, end) makes x[i + 1] or x[i - 1] leave [0, n)."""
    from hpcir.frontends.python.bounds import check_launch_bounds
    want_ok = all(0 <= i + 1 < n and 0 <= i - 1 < n for i in range(begin, end))
    try:
        check_launch_bounds(shift, ["i"], [(begin, end)], {"x": np.zeros(n), "y": np.zeros(max(n, 20))}, None)
        ok = True
    except ArgumentError:
        ok = False
    if ok and begin < end:
        assert all(0 <= i < 20 for i in range(begin, end))  # y[i] was checked too
        assert want_ok
    assert ok == (want_ok and all(0 <= i < max(n, 20) for i in range(begin, end)))
