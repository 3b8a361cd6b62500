"""Kernels on int8 / int16 views and scalars (PyKokkos' pk.int8, pk.int16): C++'s integer promotion
(arithmetic as int), truncation on store, the C ABI of 8/16-bit scalars; compared with NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
import hpcir.pykokkos as pk


@pk.workunit
def narrow(i: int, a: pk.View1D[pk.int8], b: pk.View1D[pk.int16], wide: pk.View1D[pk.int32],
           a_out: pk.View1D[pk.int8], b_out: pk.View1D[pk.int16], k: int):
    wide[i] = (a[i] + a[i]) // 2 + b[i] * 3 - (-a[i])  # as int: a[i] + a[i] does not wrap at 8 bits
    a_out[i] = a[i] * 3 + k  # stored back into 8 bits: wraps as C++'s conversion
    b_out[i] += b[i] ^ (b[i] >> 3)
    if a[i] < b[i]:
        b_out[i] -= 1


@pytest.mark.parametrize("seed", range(4))
def test_int8_int16_views_against_numpy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    a = rng.integers(-128, 128, n).astype(np.int8)
    b = rng.integers(-32768, 32768, n).astype(np.int16)
    b_out = rng.integers(-1000, 1000, n).astype(np.int16)
    k = int(rng.integers(-100, 100))
    wide, a_out, b0 = np.zeros(n, np.int32), pk.View([n], pk.int8), b_out.copy()
    pk.parallel_for(n, narrow, a=a, b=b, wide=wide, a_out=a_out, b_out=b_out, k=np.int8(k))
    A, B = a.astype(np.int64), b.astype(np.int64)
    np.testing.assert_array_equal(wide, ((A + A) // 2 + B * 3 + A).astype(np.int32))
    np.testing.assert_array_equal(a_out, (A * 3 + k).astype(np.int8))
    np.testing.assert_array_equal(b_out, (b0 + (B ^ (B >> 3)) - (A < B)).astype(np.int16))
    assert a_out.dtype.value is np.int8 and type(a_out[0]) is np.int8


@hpcir.kernel
def shift_store(i: int, s: np.int16, x: hpcir.View1D[np.int16]):
    x[i] = s + i


def test_int16_scalar_through_the_c_abi():
    x = np.zeros(5, np.int16)
    hpcir.parallel_for(5, shift_store, s=np.int16(-32768), x=x)  # an int16 kernel parameter
    np.testing.assert_array_equal(x, (-32768 + np.arange(5)).astype(np.int16))


@pk.workunit
def unsigned(i: int, a: pk.View1D[pk.uint8], b: pk.View1D[pk.uint16], c: pk.View1D[pk.uint32],
             out: pk.View1D[pk.int64], c2: pk.View1D[pk.uint32], f: pk.View1D[pk.double], k: int):
    out[i] = a[i] + a[i] + b[i] * 2 - c[i] + (~a[i]) + (a[i] < b[i]) + c[i] // (a[i] + 1)
    c2[i] = c[i] - 5 * a[i] + k  # wraps modulo 2^32 when stored, as C++
    f[i] = c[i] * 0.5 + float(b[i])


@pytest.mark.parametrize("seed", range(3))
def test_unsigned_views_against_numpy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    a = rng.integers(0, 256, n).astype(np.uint8)
    b = rng.integers(0, 65536, n).astype(np.uint16)
    c = rng.integers(0, 2**32, n).astype(np.uint32)
    c[0] = 2**32 - 1
    out, c2, f, k = np.zeros(n, np.int64), pk.View([n], pk.uint32), np.zeros(n), int(rng.integers(-9, 9))
    pk.parallel_for(n, unsigned, a=a, b=b, c=c, out=out, c2=c2, f=f, k=np.uint8(k) if k >= 0 else k)
    A, B, C = a.astype(np.int64), b.astype(np.int64), c.astype(np.int64)
    np.testing.assert_array_equal(out, A + A + B * 2 - C + (~A) + (A < B) + C // (A + 1))
    np.testing.assert_array_equal(c2, (C - 5 * A + k).astype(np.uint32))
    np.testing.assert_allclose(f, C * 0.5 + B, rtol=1e-15)
    assert c2.dtype.value is np.uint32 and type(c2[0]) is np.uint32


def test_unsigned_atomics_and_a_uint64_mismatch():
    @pk.workunit
    def bump(i: int, v: pk.View1D[pk.uint16]):
        pk.atomic_add(v, [0], 1)
        pk.atomic_max(v, [1], 65535 - i)  # unsigned order (Kokkos::atomic_fetch_max on uint16_t)

    v = np.array([65534, 0], np.uint16)
    pk.parallel_for(3, bump, v=v)
    assert v.tolist() == [1, 65535]  # wraps, as uint16_t does
    with pytest.raises(hpcir.HpcirError, match="uint64"):
        pk.parallel_for(2, shift_store, s=1, x=np.zeros(2, np.uint64))


def test_narrow_and_unsigned_ir_verifies_upstream():
    """The kernels' IR (unsigned element types, unrealized casts, signless arith) passes MLIR 22's
    verifier at L2 and L3."""
    from hpcir.dialects.upstream import verify_upstream
    from hpcir.frontends.python.signature import bind_launch
    from hpcir.lowering import build_module, lower_to_l3

    n = 4
    specs = []
    for k, args in [(narrow, dict(a=np.zeros(n, np.int8), b=np.zeros(n, np.int16), wide=np.zeros(n, np.int32),
                                  a_out=np.zeros(n, np.int8), b_out=np.zeros(n, np.int16), k=1)),
                    (unsigned, dict(a=np.zeros(n, np.uint8), b=np.zeros(n, np.uint16), c=np.zeros(n, np.uint32),
                                    out=np.zeros(n, np.int64), c2=np.zeros(n, np.uint32), f=np.zeros(n), k=1))]:
        spec, _ = bind_launch(k, "for", "range", 1, args, None, "sum")
        specs.append(spec)
    l2 = build_module(specs, "cpu")
    l2.verify()
    verify_upstream(l2)
    text = str(l2)
    assert "ui8" in text and "builtin.unrealized_conversion_cast" in text and "arith.extui" in text
    verify_upstream(lower_to_l3(l2, "cpu"))
