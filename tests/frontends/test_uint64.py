"""uint64 views and scalars (issue 14): unsigned 64-bit arithmetic as C++'s uint64_t (divui, remui,
shrui, cmpi ult, uitofp, maxui), values from 2^63 up included, compared with NumPy's uint64; atomics on
unsigned views; np.uint64 arguments through hpcir.pykokkos."""
from __future__ import annotations

import numpy as np

import hpcir
import hpcir.pykokkos as pk


@hpcir.kernel
def u64_ops(i: int, a: hpcir.View1D[np.uint64], b: hpcir.View1D[np.uint64], out: hpcir.View2D[np.uint64],
            f: hpcir.View2D[float], c: hpcir.View2D[bool], k: hpcir.View1D[np.int64], s: np.uint64):
    x = a[i]
    y = b[i]
    out[i, 0] = x + y
    out[i, 1] = x - y
    out[i, 2] = x * y
    out[i, 3] = x // y
    out[i, 4] = x % y
    out[i, 5] = x >> 3
    out[i, 6] = x << 2
    out[i, 7] = max(x, y)
    out[i, 8] = min(x, y)
    out[i, 9] = (x ^ y) | 1
    out[i, 10] = x + k[i]  # int64 with uint64: unsigned, as in C++
    out[i, 11] = -x
    out[i, 12] = s // (x | 1)
    f[i, 0] = x / y
    f[i, 1] = x
    c[i, 0] = x < y
    c[i, 1] = x >= k[i]  # uint64 against int64: compared as uint64 (C++), -1 is 2^64 - 1
    c[i, 2] = abs(x) == x


@pk.workunit
def u64_atomics(i: int, x: pk.View1D[pk.uint64], h: pk.View1D[pk.uint64], m: pk.View1D[pk.uint64],
                old: pk.View1D[pk.uint64]):
    pk.atomic_add(h, [x[i] % 4], 1)
    pk.atomic_max(m, [0], x[i])
    old[i] = pk.atomic_fetch_sub(m, [1], x[i])
    pk.atomic_min(m, [2], x[i])
    pk.atomic_fetch_div(m, [3], 2)


def test_uint64_arithmetic_matches_numpy():
    rng = np.random.default_rng(1)
    n = 64
    a = rng.integers(0, 2**64, n, dtype=np.uint64)
    b = rng.integers(1, 2**64, n, dtype=np.uint64)
    a[:6] = [2**63, 2**64 - 1, 0, 2**63 + 5, 7, 2**63 - 1]
    b[:6] = [3, 2**63, 5, 2**64 - 1, 2**63, 1]
    k = rng.integers(-2**63, 2**63, n, dtype=np.int64)
    k[:3] = [-1, 0, 2**63 - 1]
    s = np.uint64(2**64 - 7)
    out, f, c = np.zeros((n, 13), np.uint64), np.zeros((n, 2)), np.zeros((n, 3), bool)
    hpcir.parallel_for(n, u64_ops, a=a, b=b, out=out, f=f, c=c, k=k, s=s)
    u, one = np.uint64, np.uint64(1)
    with np.errstate(over="ignore"):
        want = np.stack([a + b, a - b, a * b, a // b, a % b, a >> u(3), a << u(2), np.maximum(a, b), np.minimum(a, b),
                         (a ^ b) | one, a + k.astype(np.uint64), u(0) - a, s // (a | one)], 1)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_allclose(f[:, 0], a / b, rtol=1e-15)
    np.testing.assert_array_equal(f[:, 1], a.astype(np.float64))
    np.testing.assert_array_equal(c, np.stack([a < b, a >= k.astype(np.uint64), np.ones(n, bool)], 1))


def test_uint64_atomics_and_pk_scalars():
    x = np.array([2**63 + 1, 5, 2**64 - 1, 8, 3, 2**63], dtype=np.uint64)
    h = np.zeros(4, np.uint64)
    m = np.array([0, 0, 2**64 - 1, 2**64 - 1], np.uint64)
    old = np.zeros(len(x), np.uint64)
    pk.parallel_for(len(x), u64_atomics, x=x, h=h, m=m, old=old)
    np.testing.assert_array_equal(h, np.bincount((x % np.uint64(4)).astype(np.int64), minlength=4))
    with np.errstate(over="ignore"):
        assert m.tolist() == [int(x.max()), int(np.uint64(0) - x.sum()), int(x.min()), (2**64 - 1) >> len(x)]
    assert sorted(int(v) for v in old)[0] == 0  # one thread saw the start value

    @pk.workunit
    def fill(i, view, init):
        view[i] = init + 2  # wraps past 2^64 - 1 as uint64_t does

    v = pk.View([3], pk.uint64)
    pk.parallel_for(3, fill, view=v, init=np.uint64(2**64 - 3))
    assert v.tolist() == [2**64 - 1] * 3
    pk.parallel_for(3, fill, view=v, init=np.uint64(2**64 - 1))
    assert v.tolist() == [1] * 3


def test_uint64_ir_verifies_upstream():
    """divui / remui / shrui / cmpi ult / maxui / uitofp on the signless bits, unrealized casts to and from
    ui64, and kokkos.atomic_fetch on ui64 views pass MLIR's verifier at L2 and L3."""
    from hpcir.dialects.upstream import verify_upstream
    from hpcir.frontends.python.signature import bind_launch
    from hpcir.lowering import build_module, lower_to_l3
    n, u = 4, np.uint64
    spec, _ = bind_launch(u64_ops, "for", "range", 1, dict(a=np.zeros(n, u), b=np.zeros(n, u), out=np.zeros((n, 13), u),
                          f=np.zeros((n, 2)), c=np.zeros((n, 3), bool), k=np.zeros(n, np.int64), s=u(1)), None, "sum")
    l2 = build_module([spec], "cpu")
    l2.verify()
    verify_upstream(l2)
    text = str(l2)
    assert all(op in text for op in ("arith.divui", "arith.remui", "arith.shrui", "arith.maxui", "arith.uitofp", "ult"))
    verify_upstream(lower_to_l3(l2, "cpu"))


def test_pk_views_of_int64_hold_long_long_as_pykokkos():
    """pk.View(n, pk.int64 / pk.uint64): NumPy's int64 / uint64 dtype (equal, same name and arithmetic)
    whose elements are numpy.longlong / ulonglong, the type PyKokkos' own views give."""
    v, u = pk.View([3], pk.int64), pk.View([2], pk.uint64)
    assert v.dtype == np.int64 and v.dtype.name == "int64" and u.dtype == np.uint64
    assert type(v[0]) is np.longlong and type(u[0]) is np.ulonglong
    assert v.dtype.value is pk.int64.value and u.dtype.value is pk.uint64.value
    assert (v + np.arange(3)).dtype == np.int64 and (v + 2**40)[0] == 2**40
