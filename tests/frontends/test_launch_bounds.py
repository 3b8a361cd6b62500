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


@hpcir.kernel
def broadcast(i: int, out: hpcir.View2D[int], a: hpcir.View2D[int], b: hpcir.View2D[int], size: int):
    for j in range(size):
        out[i][j] = a[i][0] + b[j][0]


@hpcir.kernel
def strided_loop(i: int, out: hpcir.View2D[float], start: int, stop: int):
    for j in range(start, stop, 3):
        out[i, j - 1] = 1.0


@hpcir.kernel
def loop_with_exit(i: int, out: hpcir.View2D[float], size: int):
    for j in range(size):
        if j >= out.extent(1):
            break
        out[i, j] = 1.0


def test_accesses_in_a_leading_loop_are_checked_for_the_whole_loop(no_build):
    # GPU-Puzzles' broadcast as PyKokkos runs it: i over 4 rows of a 2 x 2 output, j past b's one row
    out, a, b = np.zeros((2, 2), np.int64), np.arange(2).reshape(2, 1), np.arange(2).reshape(1, 2)
    with pytest.raises(ArgumentError, match=r"a loop in the kernel runs j over \[0, 2\), so `b\[j\]\[0\]`"):
        hpcir.parallel_for(4, broadcast, out=out, a=a, b=b, size=2)
    with pytest.raises(ArgumentError, match=r"the launch runs i over \[0, 4\), so `(out|a)\[i\]\[0\]`"):
        hpcir.parallel_for(4, broadcast, out=out, a=a, b=np.arange(2).reshape(2, 1), size=2)
    assert not out.any()


def test_loops_that_fit_or_do_not_run_launch():
    out = np.zeros((2, 2), np.int64)
    hpcir.parallel_for(2, broadcast, out=out, a=np.arange(2).reshape(2, 1), b=np.arange(2).reshape(2, 1),
                       size=2, target="serial")
    np.testing.assert_array_equal(out, [[0, 1], [1, 2]])
    # a loop that runs zero times makes no access: b's single row is never read past
    hpcir.parallel_for(2, broadcast, out=out, a=np.zeros((2, 1), np.int64), b=np.zeros((0, 1), np.int64),
                       size=0, target="serial")
    y = np.zeros((3, 4))
    hpcir.parallel_for(3, loop_with_exit, out=y, size=10, target="serial")  # guarded by the `if ... break`
    assert y.all()


@settings(max_examples=300, deadline=None)
@given(st.integers(-3, 12), st.integers(-3, 12), st.integers(0, 10))
def test_the_loop_check_agrees_with_python_ranges(start, stop, width):
    """Refused exactly when some j of range(start, stop, 3) makes out[i, j - 1] leave [0, width)."""
    from hpcir.frontends.python.bounds import check_launch_bounds
    want_ok = all(0 <= j - 1 < width for j in range(start, stop, 3))
    try:
        check_launch_bounds(strided_loop, ["i"], [(0, 2)],
                            {"out": np.zeros((2, width)), "start": start, "stop": stop}, None)
        ok = True
    except ArgumentError:
        ok = False
    assert ok == want_ok
