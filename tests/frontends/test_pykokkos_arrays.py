"""PyKokkos' array API on views (pk.array, ufuncs, matmul, mean, var): hpcir kernels vs NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError
from hpcir.pykokkos_ufuncs import BINARY, UNARY

RNG = np.random.default_rng(14)
DOMAIN = {"arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctanh": (-0.9, 0.9), "log": (0.1, 4.0),
          "log2": (0.1, 4.0), "log10": (0.1, 4.0), "log1p": (-0.5, 4.0), "sqrt": (0.0, 4.0)}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ufuncs_float64(name):
    lo, hi = DOMAIN.get(name, (-3.0, 3.0))
    x = pk.array(RNG.uniform(lo, hi, 33))
    x[:3] = [0.0, -0.0, 1.0] if name not in ("log", "log2", "log10") else [1.0, 2.0, 0.5]
    got = getattr(pk, name)(view=x)
    want = getattr(np, name)(x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ufuncs_float64(name):
    a = RNG.uniform(0.5, 3.0, 29) if name == "power" else RNG.uniform(-3.0, 3.0, 29)
    b = RNG.uniform(-2.0, 2.0, 29)
    b[:2] = [a[0], 0.5]
    got = getattr(pk, name)(viewA=pk.array(a), viewB=pk.array(b))
    want = getattr(np, name)(a, b)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32])
@pytest.mark.parametrize("name", ["add", "multiply", "greater", "maximum", "divide"])
def test_binary_ufuncs_other_dtypes_and_broadcasting(dtype, name):
    a = (RNG.uniform(-9, 9, (4, 6))).astype(dtype)
    b = (RNG.uniform(1, 9, 6)).astype(dtype)  # broadcast along rows, as NumPy
    got = getattr(pk, name)(viewA=a, viewB=b)
    want = getattr(np, name)(a, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(getattr(pk, name)(viewA=a, viewB=dtype(3)), getattr(np, name)(a, dtype(3)), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
@pytest.mark.parametrize("name", ["sqrt", "sign", "square", "negative", "reciprocal"])
def test_unary_ufuncs_other_dtypes_2d(dtype, name):
    x = RNG.uniform(1, 9, (5, 3)).astype(dtype)
    if name in ("sign", "negative"):
        x[0] = -x[0]
    got, want = getattr(pk, name)(view=x), getattr(np, name)(x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_sign_and_sqrt_special_values():
    x = np.array([-5.0, 4.5, np.nan, -np.inf, np.inf, 0.0])
    np.testing.assert_array_equal(pk.sign(view=x), np.sign(x))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(pk.sqrt(view=x), np.sqrt(x))


@pytest.mark.parametrize("sa,sb", [((7,), (7, 3)), ((4, 7), (7, 3)), ((4, 7), (7,)), ((5,), (5,))])
def test_matmul(sa, sb):
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    np.testing.assert_allclose(pk.matmul(a, b), np.matmul(a, b), rtol=1e-12)
    with pytest.raises(HpcirError, match="mismatch in its core dimension") as err:
        pk.matmul(np.ones(sa[-1] + 1), b)
    assert isinstance(err.value, RuntimeError) and "test_pykokkos_arrays.py" in str(err.value)
    with pytest.raises(RuntimeError, match="not compatible for multiplication"):
        pk.np_matmul(np.ones(sa[-1] + 1), b)
    np.testing.assert_allclose(pk.np_matmul(a, b), np.matmul(a, b), rtol=1e-12)


@pytest.mark.parametrize("shape", [(1,), (100,), (7, 9)])
def test_mean_var(shape):
    x = RNG.normal(3.0, 2.0, size=shape)
    assert pk.mean(x) == pytest.approx(float(np.mean(x)), rel=1e-12)
    assert pk.var(x) == pytest.approx(float(np.var(x)), rel=1e-10, abs=1e-14)
    assert pk.mean(np.arange(10, dtype=np.int64)) == 4.5


def test_array_copies_and_rejects_unsupported():
    data = [[1, 2], [3, 4]]
    v = pk.array(data, dtype=pk.double, layout=pk.LayoutLeft)
    assert v.dtype == np.float64 and v.flags.f_contiguous
    src = np.arange(3.0)
    c = pk.array(src)
    c[0] = 9.0
    assert src[0] == 0.0
    with pytest.raises(HpcirError, match="uint64 views is not supported"):
        pk.sqrt(view=np.ones(3, np.uint64))
    with pytest.raises(HpcirError, match="gives float16") as err:
        pk.sqrt(view=np.ones(3, np.int8))
    assert "test_pykokkos_arrays.py" in str(err.value)
    np.testing.assert_allclose(pk.sqrt(view=np.full(3, 9, np.uint16)), np.full(3, 3.0, np.float32))
    with pytest.raises(HpcirError, match="do not broadcast"):
        pk.add(viewA=np.ones(3), viewB=np.ones(4))


def test_sum_ones_zeros():
    x = RNG.normal(size=(6, 5))
    assert pk.sum(x) == pytest.approx(float(x.sum()), rel=1e-12)
    assert pk.sum(np.arange(100, dtype=np.int32)) == 4950
    np.testing.assert_array_equal(pk.ones((3, 4), pk.int32), np.ones((3, 4), np.int32))
    assert pk.zeros([5]).dtype == np.float64 and not pk.zeros([5]).any()
    with pytest.raises(HpcirError, match="axis"):
        pk.sum(x, axis=0)


def test_copyto_broadcasts_with_a_kernel():
    dst = pk.View([3, 4], pk.int32)
    pk.copyto(dst, np.arange(4, dtype=np.int32))
    np.testing.assert_array_equal(dst, np.broadcast_to(np.arange(4), (3, 4)))
    with pytest.raises(HpcirError, match="do not broadcast"):
        pk.copyto(dst, np.ones(5))


def test_round_half_to_even_like_numpy():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6, np.nan, np.inf, -np.inf, 1e17, 0.0, -0.4])
    for dt in (np.float64, np.float32):
        got, want = pk.round(view=x.astype(dt)), np.round(x.astype(dt))
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
