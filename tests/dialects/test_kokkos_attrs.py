"""Kokkos attributes: textual round trips, constructors, and layout classification against NumPy."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType, StridedLayoutAttr, f32, f64
from xdsl.parser import Parser

from hpcir.dialects import context
from hpcir.dialects import kokkos as kk


def _parse_attr(text: str):
    return Parser(context(), text).parse_attribute()


@pytest.mark.parametrize("text", [
    "#kokkos.space<host>", "#kokkos.space<device>", "#kokkos.space<shared>", "#kokkos.space<scratch>",
    "#kokkos.exec<default>", "#kokkos.exec<openmp>", "#kokkos.exec<serial>", "#kokkos.exec<cuda>", "#kokkos.exec<hip>",
    "#kokkos.range", "#kokkos.mdrange<2, iterate = right>", "#kokkos.mdrange<3, iterate = left, tile = [64, 4, 2]>",
    "#kokkos.mdrange<6, iterate = default>", "#kokkos.team<scratch_bytes = 0>", "#kokkos.team<scratch_bytes = 4096>",
    "#kokkos.entry<for>", "#kokkos.entry<reduce>", "#kokkos.entry<scan>", "!kokkos.team_member",
    *[f"#kokkos.reducer<{r.value}>" for r in kk.ReducerKind],
])
def test_attribute_text_round_trips(text):
    attr = _parse_attr(text)
    assert str(attr) == text
    assert _parse_attr(str(attr)) == attr


@settings(max_examples=60, deadline=None)
@given(rank=st.integers(2, 6), iterate=st.sampled_from(["right", "left", "default"]), data=st.data())
def test_mdrange_round_trip(rank, iterate, data):
    tile = data.draw(st.one_of(st.just([]), st.lists(st.integers(1, 1024), min_size=rank, max_size=rank)))
    attr = kk.MDRangePolicyAttr(rank, iterate, tile)
    attr.verify()
    again = _parse_attr(str(attr))
    assert again == attr and again.tile_sizes == tuple(tile) and again.iterate.data.value == iterate


def test_constructors_equal_parsed():
    assert kk.SpaceAttr("device") == _parse_attr("#kokkos.space<device>")
    assert kk.ExecSpaceAttr(kk.ExecSpace.CUDA) == _parse_attr("#kokkos.exec<cuda>")
    assert kk.TeamPolicyAttr(16) == _parse_attr("#kokkos.team<scratch_bytes = 16>")
    assert kk.RangePolicyAttr() == _parse_attr("#kokkos.range")


def test_view_type():
    assert str(kk.view_type(f64, 2, "device", "left")) == "memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>"
    assert str(kk.view_type(f32, [4, 5])) == "memref<4x5xf32, #kokkos.space<host>>"
    assert str(kk.view_type(f64, 1, "host", "left")) == "memref<?xf64, #kokkos.space<host>>"
    assert kk.memory_space_of(kk.view_type(f64, 1, "shared")) == kk.MemorySpace.SHARED
    with pytest.raises(ValueError):
        kk.view_type(f64, 2, "host", "diagonal")


def _numpy_kind(shape: list[int], strides: list[int]) -> str:
    """Reference classification: C-contiguous strides -> right, Fortran-contiguous -> left, else stride."""
    item = np.dtype(np.float64).itemsize
    c = [s // item for s in np.empty(shape, order="C").strides]
    f = [s // item for s in np.empty(shape, order="F").strides]
    if strides == c:
        return "right"
    if strides == f:
        return "left"
    return "stride"


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_layout_kind_matches_numpy_for_static_strides(data):
    rank = data.draw(st.integers(1, 4))
    shape = data.draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank))
    item = np.dtype(np.float64).itemsize
    candidates = [[s // item for s in np.empty(shape, order=o).strides] for o in "CF"]
    strides = data.draw(st.one_of(st.sampled_from(candidates),
                                  st.lists(st.integers(1, 40), min_size=rank, max_size=rank)))
    ty = MemRefType(f64, shape, StridedLayoutAttr(strides, 0))
    assert kk.layout_kind(ty) == _numpy_kind(shape, strides)


def test_layout_kind_dynamic_conventions():
    dyn = [DYNAMIC_INDEX, DYNAMIC_INDEX, DYNAMIC_INDEX]
    assert kk.layout_kind(MemRefType(f64, dyn)) == "right"
    assert kk.layout_kind(MemRefType(f64, dyn, kk.layout_left(3))) == "left"
    assert kk.layout_kind(MemRefType(f64, dyn, StridedLayoutAttr([None, None, None], None))) == "stride"
    assert kk.layout_kind(MemRefType(f64, dyn, StridedLayoutAttr([1, None, None], 3))) == "stride"
    assert kk.layout_kind(MemRefType(f64, [DYNAMIC_INDEX, 8], StridedLayoutAttr([8, 1], 0))) == "right"
