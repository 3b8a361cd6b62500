"""Launch plans (hpcir/launch_plan.py): a launch repeated with the same argument signature skips
the full checks, so every check that depends on the values must still hold on the plan's path, its
errors must be located at the user's call, and its results must be the full path's."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpcir
import hpcir.api as api
from hpcir import launch_plan
from hpcir.core.errors import ArgumentError

HERE = __file__
SRC = open(HERE).read().splitlines()
SCALE = 2.0  # a module constant the compiled code inlines


@hpcir.kernel
def shift_scale(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float], k: int):
    y[i] = x[i + 1] * SCALE + k


@hpcir.kernel(reducer="maxloc")
def argmax(i: int, best: hpcir.Acc[float], at: hpcir.Acc[int], x: hpcir.View1D[float]):
    if x[i] > best:
        best = x[i]
        at = i


@hpcir.kernel
def idiv(i: int, q: hpcir.View1D[int], a: hpcir.View1D[int], d: int):
    q[i] = a[i] // d


def line_of(marker: str) -> int:
    return next(n for n, line in enumerate(SRC, 1) if marker in line and "line_of(" not in line)


@pytest.fixture
def planned_only(monkeypatch):
    """After this, a launch that takes the full path fails the test: it must run from its plan."""
    def fail(*a, **k):
        raise AssertionError("the launch took the full path")
    return lambda: monkeypatch.setattr(api, "bind", fail)


def test_repeated_launch_runs_from_its_plan_with_the_same_results(planned_only):
    x = np.arange(10.0)
    y = np.zeros(9)
    hpcir.parallel_for(9, shift_scale, x=x, y=y, k=3)
    np.testing.assert_array_equal(y, x[1:] * SCALE + 3)
    first = hpcir.parallel_reduce(10, argmax, x=-(x - 4.0) ** 2)
    planned_only()
    x2, y2 = np.linspace(0, 1, 10), np.empty(9)  # other arrays, same signature
    hpcir.parallel_for(9, shift_scale, x=x2, y=y2, k=-1)
    np.testing.assert_array_equal(y2, x2[1:] * SCALE - 1)
    again = hpcir.parallel_reduce(10, argmax, x=-(x - 4.0) ** 2)
    assert again == first == (0.0, 4) and [type(v) for v in again] == [float, int]
    assert hpcir.parallel_reduce(hpcir.RangePolicy(5, 10), argmax, x=-(x - 4.0) ** 2) == (-1.0, 5)


def test_value_checks_hold_on_the_plan():
    x, y = np.arange(10.0), np.zeros(9)
    hpcir.parallel_for(9, shift_scale, x=x, y=y, k=0)  # the plan of this signature
    cases = {
        "x[i + 1]": lambda: hpcir.parallel_for(10, shift_scale, x=x, y=np.zeros(10), k=0),  # P-bounds
        "share memory": lambda: hpcir.parallel_for(5, shift_scale, x=x, y=x[2:], k=0),  # P-alias
        "does not fit": lambda: hpcir.parallel_for(9, shift_scale, x=x, y=y, k=2**63),  # P-int
    }
    for words, launch in cases.items():
        with pytest.raises(ArgumentError) as e:
            launch()
        marker = {"x[i + 1]": "# P-bounds", "share memory": "# P-alias", "does not fit": "# P-int"}[words]
        assert e.value.loc is not None and (e.value.loc.filename, e.value.loc.line) == (HERE, line_of(marker))
        assert words in str(e.value), str(e.value)
    ro = np.zeros(9)
    ro.flags.writeable = False
    with pytest.raises(ArgumentError, match="read-only|not writable|writeable"):
        hpcir.parallel_for(9, shift_scale, x=x, y=ro, k=0)
    np.testing.assert_array_equal(y, x[1:] * SCALE)  # nothing wrote before its check


def test_kernel_errors_from_the_plan_are_located_at_the_launch():
    a, q = np.arange(1, 9), np.zeros(8, dtype=np.int64)
    hpcir.parallel_for(8, idiv, q=q, a=a, d=3)
    np.testing.assert_array_equal(q, a // 3)
    with pytest.raises(ZeroDivisionError) as e:
        hpcir.parallel_for(8, idiv, q=q, a=a, d=0)  # P-zero
    assert e.value.loc is not None and e.value.loc.filename == HERE
    assert f"{HERE}:{line_of('# P-zero')}:" in (e.value.hint or ""), e.value.hint
    hpcir.parallel_for(8, idiv, q=q, a=a, d=-2)
    np.testing.assert_array_equal(q, a // -2)


def test_a_changed_module_constant_compiles_again():
    global SCALE
    x, y = np.arange(5.0), np.zeros(4)
    hpcir.parallel_for(4, shift_scale, x=x, y=y, k=0)
    old = SCALE
    try:
        SCALE = 5.0
        hpcir.parallel_for(4, shift_scale, x=x, y=y, k=0)
        np.testing.assert_array_equal(y, x[1:] * 5.0)
    finally:
        SCALE = old
    hpcir.parallel_for(4, shift_scale, x=x, y=y, k=0)
    np.testing.assert_array_equal(y, x[1:] * old)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 12), step=st.integers(-2, 3), offset=st.integers(0, 2), extra=st.integers(-1, 1),
       k=st.integers(-5, 5))
def test_plans_agree_with_numpy_on_strided_arrays(n, step, offset, extra, k):
    """Views of any stride, length and offset, launched over ranges that fit or not: the result
    or the error is NumPy's reading of the kernel, whichever path (plan or full) runs it."""
    base = np.arange(40.0) - 7
    x = (base[offset::step] if step > 0 else base[::-1][offset::-step] if step < 0 else base[offset:])[:n + 1]
    y = np.full(max(n + extra, 0), np.nan)
    m = len(y)
    for _ in range(2):  # the second launch of a signature runs from its plan
        if step < 0 or m > len(x) - 1:  # negative strides are refused, as reads past the end
            with pytest.raises(ArgumentError):
                hpcir.parallel_for(m, shift_scale, x=x, y=y, k=k)
            continue
        hpcir.parallel_for(m, shift_scale, x=x, y=y, k=k)
        np.testing.assert_array_equal(y, x[1:m + 1] * SCALE + k)
    assert len(launch_plan._plans) <= launch_plan._MAX_PLANS
