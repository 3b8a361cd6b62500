"""Aliasing checks are exact (issue 15, item 8): interleaved strided outputs (s[::2], s[1::2]) are
accepted; views that share an element are still refused; device arrays use the same arithmetic."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpcir
from hpcir.core.arrays import DeviceArray, share_memory
from hpcir.core.errors import ArgumentError


@hpcir.kernel
def fill_two(i: int, a: hpcir.View1D[float], b: hpcir.View1D[float]):
    a[i] = 1.0
    b[i] = 2.0


def _device(a: np.ndarray) -> DeviceArray:
    """A DeviceArray with `a`'s addresses (never dereferenced)."""
    return DeviceArray(a, a.ctypes.data, a.shape, a.strides, a.dtype, False, "cuda")


def test_interleaved_strided_outputs_are_accepted():
    s = np.zeros(10)
    hpcir.parallel_for(5, fill_two, a=s[::2], b=s[1::2], target="serial")
    np.testing.assert_array_equal(s, np.tile([1.0, 2.0], 5))
    s[:] = 0
    hpcir.parallel_for(5, fill_two, a=s[1::2], b=s[::2], target="serial")
    np.testing.assert_array_equal(s, np.tile([2.0, 1.0], 5))


def test_views_sharing_an_element_are_refused():
    s = np.zeros(10)
    with pytest.raises(ArgumentError, match="share memory|overlap"):
        hpcir.parallel_for(5, fill_two, a=s[::2], b=s[2::2], target="serial")
    assert not s.any()  # refused before anything ran


slices = st.tuples(st.integers(0, 5), st.integers(6, 24), st.integers(1, 4))


@settings(max_examples=200, deadline=None)
@given(slices, slices, st.booleans())
def test_share_memory_is_exact(sx, sy, two_d):
    """Against NumPy's exact answer, for host views and the same views as device arrays."""
    base = np.zeros(48)
    x, y = base[sx[0]:sx[1]:sx[2]], base[sy[0]:sy[1]:sy[2]]
    if two_d:  # rows of a 2-D view with a column stride: strides in two dimensions
        x, y = base.reshape(6, 8)[sx[2]:, ::sx[2]], base.reshape(6, 8)[:sy[2], sy[0] % 8::sy[2]]
    want = bool(np.shares_memory(x, y))
    assert share_memory(x, y) is want
    assert share_memory(_device(x), _device(y)) is want
    assert share_memory(x, _device(y)) is False  # host and device memory never overlap
