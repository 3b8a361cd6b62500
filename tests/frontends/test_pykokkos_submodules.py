"""PyKokkos' submodules through hpcir.pykokkos: linalg.l3_blas.dgemm (an hpcir kernel, compared with
NumPy), interface.data_types, pk.DataTypeClass, pk.result_type and pk.asarray."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError
from hpcir.pykokkos.interface import data_types
from hpcir.pykokkos.linalg import dgemm
from hpcir.pykokkos.linalg.l3_blas import dgemm as dgemm_l3


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (3, 5, 4), (8, 2, 7)])
@pytest.mark.parametrize("with_c", [False, True])
def test_dgemm_matches_numpy(m, k, n, with_c):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a, b = pk.array(rng.standard_normal((m, k))), pk.array(rng.standard_normal((k, n)))
    c = pk.array(rng.standard_normal((m, n))) if with_c else None
    alpha, beta = rng.uniform(-2, 2), rng.uniform(-2, 2)
    out = dgemm(alpha=alpha, view_a=a, view_b=b, beta=beta, view_c=c)
    expect = alpha * (a @ b) + (beta * c if with_c else 0.0)
    np.testing.assert_allclose(out, expect, rtol=1e-12, atol=1e-12)
    assert out.shape == (m, n) and out.dtype == np.float64 and out.dtype.value is pk.double.value
    if with_c:
        assert not np.shares_memory(out, c)  # a new view, as PyKokkos returns


def test_dgemm_converts_to_double_and_reads_strided_views():
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    b = np.asfortranarray(np.arange(20.0).reshape(4, 5))[:, ::2]  # strided, column-major
    np.testing.assert_array_equal(dgemm_l3(0.5, a, b), 0.5 * (a @ b))


def test_dgemm_shape_errors_are_located_value_errors():
    with pytest.raises(ValueError, match="Second dimensions shape of a is 3") as e:
        dgemm(alpha=1.0, view_a=np.zeros((4, 3)), view_b=np.zeros((4, 3)))
    assert isinstance(e.value, HpcirError) and "test_pykokkos_submodules.py" in str(e.value)
    with pytest.raises(ValueError, match="view_c has shape"):
        dgemm(1.0, np.zeros((2, 3)), np.zeros((3, 2)), 1.0, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="2-D view"):
        dgemm(1.0, np.zeros(3), np.zeros((3, 2)))


def test_data_types_are_pk_dtypes():
    for name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float", "double",
                 "real", "float32", "float64", "bool", "DataType"):
        assert getattr(data_types, name) is getattr(pk, name), name
    assert isinstance(pk.int32, pk.DataTypeClass) and issubclass(pk.double, data_types.DataTypeClass)
    assert not isinstance(np.int32, pk.DataTypeClass) and not isinstance(3, pk.DataTypeClass)
    with pytest.raises(HpcirError, match="complex64 is not supported"):
        data_types.complex64  # noqa: B018


def test_forwarding_module_reaches_the_submodules(monkeypatch):
    """A module named `pykokkos` that forwards to hpcir.pykokkos, as PyKokkos users run it unchanged."""
    monkeypatch.setitem(sys.modules, "pykokkos", pk)
    for sub in ("pykokkos.linalg", "pykokkos.linalg.l3_blas", "pykokkos.interface", "pykokkos.interface.data_types"):
        monkeypatch.setitem(sys.modules, sub, None)  # recorded, so that the test's imports are undone after it
        monkeypatch.delitem(sys.modules, sub)
    ns: dict = {}
    exec("from pykokkos.linalg.l3_blas import dgemm\nfrom pykokkos.interface.data_types import int32\n"  # noqa: S102
         "from pykokkos.interface import View", ns)
    assert ns["int32"] is pk.int32 and ns["View"] is pk.View
    np.testing.assert_allclose(ns["dgemm"](2.0, np.eye(2), np.ones((2, 3))), 2.0 * np.ones((2, 3)))
    assert isinstance(sys.modules["pykokkos.linalg.l3_blas"], types.ModuleType)


@pytest.mark.parametrize("a, b", [(pk.uint8, pk.uint16), (pk.uint64, pk.uint8), (pk.int8, pk.int32),
                                  (pk.float32, pk.float64), (pk.float, pk.float), (pk.int64, pk.int16)])
def test_result_type_within_a_kind_is_numpys(a, b):
    assert pk.result_type(a, b) is pk.DataType(np.result_type(a.value, b.value).type)
    assert pk.result_type(a, b) == pk.result_type(b, a)


@pytest.mark.parametrize("args", [(pk.uint64, pk.int8), (pk.float32, pk.int64), (pk.array(np.zeros(2)), pk.double)])
def test_result_type_refuses_what_pykokkos_refuses(args):
    with pytest.raises(NotImplementedError) as e:
        pk.result_type(*args)
    assert isinstance(e.value, HpcirError) and "test_pykokkos_submodules.py" in str(e.value)


@pytest.mark.parametrize("const", [pk.e, pk.pi, pk.inf, pk.nan])
@pytest.mark.parametrize("dtype", [None, pk.float32, pk.double, pk.int32])
def test_asarray_is_a_pk_view_like_numpys(const, dtype):
    data = [const, 1.5] if np.isfinite(const) else [2.0, 1.5]
    got, want = pk.asarray(data, dtype=dtype), np.asarray(data, dtype=None if dtype is None else dtype.value)
    assert got.dtype == want.dtype and got.layout is pk.LayoutRight
    np.testing.assert_array_equal(got, want)
    base = np.arange(4.0)
    assert np.shares_memory(pk.asarray(base), base)


def test_view_resize_of_one_extent_is_a_located_error():
    v = pk.View([4, 3], pk.int32)
    with pytest.raises(HpcirError, match=r"v.resize\(0, 8\) is not supported") as e:
        v.resize(0, 8)
    assert "test_pykokkos_submodules.py" in str(e.value) and v.shape == (4, 3)
