"""Kokkos C++ emitter + JIT runtime: one module of L3 kernels built once, each compared with NumPy."""
from __future__ import annotations

import ctypes
import math
import numpy as np
import pytest

from hpcir.core.errors import ArgumentError

from kokkos_cpp_support import emit_kernels


SIZES = [0, 1, 7, 100, 1023]


@pytest.fixture(scope="module")
def lib():
    """The kernel module built once (cached) and loaded through the runtime."""
    from hpcir.backends.build import build_shared_library
    from hpcir.backends.runtime import load_module
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    from hpcir.core.targets import get_target

    emitted = emit_kernels("cpu")
    try:
        install = ensure_kokkos("cpu")
    except KokkosNotFoundError as err:  # pragma: no cover - depends on the machine
        pytest.skip(f"no Kokkos: {err}")
    sources = {k: v for k, v in emitted.files.items() if not k.endswith("_main.cpp")}
    return load_module(build_shared_library(sources, get_target("cpu"), install, "kk_test"))


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("n", SIZES)
def test_axpy_and_dot(lib, n):
    x, y = rng(n).normal(size=n), rng(n + 1).normal(size=n)
    expect = 2.5 * x + y
    lib.axpy(0, n, 2.5, x, y)
    np.testing.assert_allclose(y, expect, rtol=1e-15)
    assert lib.dot(0, n, x, y) == pytest.approx(float(x @ y), rel=1e-12, abs=1e-12)


def test_axpy_subrange_leaves_the_rest(lib):
    x, y = np.arange(10.0), np.zeros(10)
    lib.axpy(3, 7, 1.0, x, y)
    np.testing.assert_array_equal(y, [0, 0, 0, 3, 4, 5, 6, 0, 0, 0])


@pytest.mark.parametrize("n", [1, 5, 64, 999])
def test_multi_result_builtin_kinds(lib, n):
    x = rng(n).uniform(0.5, 1.5, size=n)
    s, p, mn, mx = lib.stats(0, n, x)
    assert s == pytest.approx(x.sum(), rel=1e-12)
    assert p == pytest.approx(np.prod(x), rel=1e-9)
    assert (mn, mx) == (x.min(), x.max())
    assert lib.max_only(0, n, x) == x.max()


def test_empty_reduction_gives_init(lib):
    x = np.zeros(0)
    assert lib.stats(0, 0, x) == (0.0, 1.0, 1.0e300, -1.0e300)
    assert lib.sum_init(0, 0, x, 4.25) == 4.25


def test_float_min_identity_is_infinity(lib):
    assert lib.min_inf(0, 0, np.zeros(0)) == np.inf
    assert lib.min_inf(0, 3, np.full(3, np.inf)) == np.inf
    x = rng(12).normal(size=100)
    assert lib.min_inf(0, 100, x) == x.min()


@pytest.mark.parametrize("init", [0.0, 10.5, -3.0])
def test_non_identity_init_is_folded_once(lib, init):
    x = rng(3).normal(size=500)
    assert lib.sum_init(0, 500, x, init) == pytest.approx(init + x.sum(), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_integer_reducers(lib, seed):
    g = rng(seed)
    xl = g.integers(-(2**62), 2**62, size=77, dtype=np.int64) | np.int64(0x10)
    assert lib.band_i64(0, 77, xl) == np.bitwise_and.reduce(xl)
    xi = g.integers(0, 2**20, size=77, dtype=np.int32)
    r = lib.bor_i32(0, 77, xi)
    assert isinstance(r, np.int32) and r == np.bitwise_or.reduce(xi)
    xs = g.integers(-1000, 1000, size=77, dtype=np.int32)
    assert lib.minmax_i32(0, 77, xs) == (xs.min(), xs.max())


@pytest.mark.parametrize("t", [-10.0, 0.0, 0.5, 10.0])
def test_land_lor(lib, t):
    x = rng(5).normal(size=300)
    all_, any_ = lib.all_any(0, 300, x, t)
    assert (bool(all_), bool(any_)) == (bool((x > t).all()), bool((x > t).any()))


@pytest.mark.parametrize("n", [1, 2, 33, 1000])
def test_custom_join_argmax_with_ties(lib, n):
    x = rng(n).integers(0, 5, size=n).astype(np.float64)  # many ties: the smallest index must win
    v, i = lib.argmax(0, n, x)
    assert v == x.max() and i == int(np.argmax(x))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("init", [0.0, 2.5])
def test_exclusive_scan_with_init(lib, n, init):
    x = rng(n).normal(size=n)
    out = np.full(n, np.nan)
    total = lib.cumsum(0, n, x, out, init)
    np.testing.assert_allclose(out, init + np.concatenate([[0.0], np.cumsum(x)[:-1]])[:n], rtol=1e-12, atol=1e-12)
    assert total == pytest.approx(init + x.sum(), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n", [1, 10, 1000])
def test_max_scan(lib, n):
    x = rng(n).integers(-10**6, 10**6, size=n, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    total = lib.runmax(0, n, x, out)
    np.testing.assert_array_equal(out, np.maximum.accumulate(x))
    assert total == x.max()


@pytest.mark.parametrize("shape", [(3, 3, 3), (9, 17, 33), (20, 5, 12)])
def test_mdrange_7_point_stencil(lib, shape):
    u = rng(sum(shape)).normal(size=shape)
    v = np.zeros(shape)
    lib.lap7(1, 1, 1, shape[0] - 1, shape[1] - 1, shape[2] - 1, u, v)
    c = u[1:-1, 1:-1, 1:-1]
    ref = (u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1] + u[1:-1, 2:, 1:-1]
           + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:] - 6 * c)
    np.testing.assert_allclose(v[1:-1, 1:-1, 1:-1], ref, rtol=1e-13, atol=1e-13)
    assert not v[0].any() and not v[-1].any() and not v[:, 0].any() and not v[:, :, -1].any()


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (64, 3)])
def test_layout_left_inputs(lib, shape):
    a = np.asfortranarray(rng(1).normal(size=shape))
    i, j = np.indices(shape)
    assert lib.wsum_left(0, 0, *shape, a) == pytest.approx(float((a * i * j).sum()), rel=1e-12, abs=1e-12)
    c = np.asfortranarray(np.zeros(shape))
    lib.affine_left(0, 0, *shape, a, c)
    np.testing.assert_allclose(c, 2 * a + (i - j), rtol=1e-15)


def test_layout_left_rejects_c_order_unless_copy_allowed(lib):
    a = np.ascontiguousarray(rng(2).normal(size=(4, 6)))
    c = np.asfortranarray(np.zeros((4, 6)))
    with pytest.raises(ArgumentError, match="LayoutLeft"):
        lib.affine_left(0, 0, 4, 6, a, c)
    c_c = np.zeros((4, 6))  # written C-order output: copied in and back
    lib.affine_left(0, 0, 4, 6, a, c_c, strict_layout=False)
    i, j = np.indices((4, 6))
    np.testing.assert_allclose(c_c, 2 * a + (i - j))


@pytest.mark.parametrize("slicer", [np.s_[::2, 1::3], np.s_[1:, ::4], np.s_[3:, :5]])
def test_layout_stride_views_and_device_function(lib, slicer):
    base = rng(7).normal(size=(12, 15))
    a = base[slicer]
    c = np.zeros(a.shape)
    lib.sq_strided(0, 0, *a.shape, a, c)
    np.testing.assert_array_equal(c, a * a)
    t = base.T  # Fortran-ordered view of a C array: strides in elements, not bytes
    c2 = np.zeros(t.shape)
    lib.sq_strided(0, 0, *t.shape, t, c2)
    np.testing.assert_array_equal(c2, t * t)


@pytest.mark.parametrize("rows,cols,team", [(1, 1, 0), (6, 37, 0), (17, 300, 2), (3, 1000, 1)])
def test_team_scratch_barrier_single(lib, rows, cols, team):
    a = rng(rows * cols).normal(size=(rows, cols))
    out = np.zeros(rows)
    lib.rowsum2(rows, team, 1, a, out)
    np.testing.assert_allclose(out, 2 * a.sum(axis=1), rtol=1e-12)
    assert lib.sum_rowmax(rows, team, 1, a) == pytest.approx(a.max(axis=1).sum(), rel=1e-12)


@pytest.mark.parametrize("shape", [(1, 1, 1), (4, 9, 33), (7, 2, 100)])
def test_thread_vector_range_in_team_thread_range(lib, shape):
    u = rng(3).normal(size=shape)
    o = np.zeros(shape[:2])
    lib.sum_last(shape[0], 0, 4, u, o)
    np.testing.assert_allclose(o, u.sum(axis=2), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("n", [0, 1, 1000, 20000])
def test_atomics(lib, n):
    g = rng(n)
    idx = g.integers(0, 13, size=n, dtype=np.int32)
    w = g.normal(size=n)
    cnt, acc, mx = np.zeros(13, np.int32), np.zeros(13), np.full(13, -1, np.int64)
    lib.hist(0, n, idx, w, cnt, acc, mx)
    np.testing.assert_array_equal(cnt, np.bincount(idx, minlength=13))
    np.testing.assert_allclose(acc, np.bincount(idx, weights=w, minlength=13), rtol=1e-10, atol=1e-12)
    ref = np.full(13, -1, np.int64)
    np.maximum.at(ref, idx, np.arange(n))
    np.testing.assert_array_equal(mx, ref)


def test_float32(lib):
    x, y = rng(1).normal(size=257).astype(np.float32), rng(2).normal(size=257).astype(np.float32)
    expect = np.float32(0.75) * x + y
    lib.saxpy(0, 257, 0.75, x, y)
    np.testing.assert_array_equal(y, expect)
    r = lib.sdot(0, 257, x, y)
    assert isinstance(r, np.float32)
    assert r == pytest.approx(float(x.astype(np.float64) @ y), rel=1e-4)


def test_integer_semantics(lib):
    g = rng(11)
    x = g.integers(-10**5, 10**5, size=500, dtype=np.int32)
    y = g.integers(1, 50, size=500, dtype=np.int32) * g.choice(np.array([-1, 1], np.int32), size=500)
    o = np.zeros(500, np.int64)
    lib.iops(0, 500, x, y, o)
    ref = (np.floor_divide(x, y) + np.fmod(x, y) + ((x << 2) ^ y) + (x >> 3)
           + (x.view(np.uint32) < y.view(np.uint32))).astype(np.int64) * 4294967296
    np.testing.assert_array_equal(o, ref)


def test_math_functions(lib):
    x = np.concatenate([rng(4).normal(scale=3, size=300), [0.5 / 3, -0.5 / 3, 2.5 / 3, 0.0, -0.0]])
    o = np.zeros_like(x)
    lib.mathf(0, x.size, x, o)
    ab, x3 = np.abs(x), x * 3
    # math.round rounds halves away from zero (np.round rounds them to even, like math.roundeven).
    away = np.where(np.abs(x3 - np.trunc(x3)) >= 0.5, np.trunc(x3) + np.sign(x3), np.trunc(x3))
    ref = (np.sqrt(ab) + np.exp(np.sin(x)) + ab ** 1.5 + away + np.copysign(1.0, x) + np.tanh(x)
           + np.arctan2(x, 2.0) + np.floor(x3) + np.log1p(ab)) * np.rint(x3) + (x * 2 + 1)
    np.testing.assert_allclose(o, ref, rtol=1e-13, atol=1e-12)


def test_loops_while_if_for(lib):
    x = np.array([1, 2, 3, 6, 7, 27, 97, 871], dtype=np.int64)
    n = x.size
    steps = np.zeros(n, np.int64)
    y = rng(8).uniform(-1, 1, size=n)
    p = np.zeros(n)

    def collatz(v: int) -> int:
        c = 0
        while v > 1:
            v = v // 2 if v % 2 == 0 else 3 * v + 1
            c += 1
        return c

    lib.loops(0, n, x, steps, y, p, 6)
    assert steps.tolist() == [collatz(int(v)) for v in x]
    # Horner over k = 0..5 of a*y + (6 - k): coefficients 6, 5, ..., 1 from the highest power.
    np.testing.assert_allclose(p, np.polyval([6, 5, 4, 3, 2, 1], y), rtol=1e-13)


@pytest.mark.parametrize("shape", [(1, 1), (4, 9), (30, 2)])
def test_sequential_scf_parallel_and_subview(lib, shape):
    a = rng(9).normal(size=shape)
    o = np.zeros(shape[0])
    lib.rowsum_seq(0, shape[0], a, o)
    np.testing.assert_allclose(o, a.sum(axis=1), rtol=1e-13, atol=1e-14)
    r = shape[0] - 1
    expect = a.copy()
    expect[r] *= 3.0
    lib.scale_row(0, shape[1], a, r, 3.0)
    np.testing.assert_array_equal(a, expect)
    assert lib.entries["scale_row"].params[2].written  # written through the subview


@pytest.mark.parametrize("shape", [(1, 1), (5, 40)])
def test_team_vector_range_and_rank0_view(lib, shape):
    a = rng(10).normal(size=shape)
    o = np.zeros(shape)
    total = np.array(1.5)  # a 0-d array is a rank-0 view
    lib.tvr(shape[0], 0, 1, a, o, total)
    np.testing.assert_array_equal(o, 3 * a)
    assert total == pytest.approx(1.5 + a.sum(), rel=1e-12)


def test_host_program_prints_like_python(lib, capfd):
    lib.prog(5)
    out = capfd.readouterr().out.splitlines()
    vals = [0.5 * k for k in range(5)]
    assert out[0] == f"n = 5, sum = {sum(vals)}, last = {vals[-1]:.3f}, ok = True"
    assert out[1:] == [f"v[{k}] = {v}" for k, v in enumerate(vals)]


def test_argument_errors(lib):
    x = np.zeros(4)
    with pytest.raises(ArgumentError, match="dtype float32"):
        lib.dot(0, 4, x.astype(np.float32), x)
    with pytest.raises(ArgumentError, match="2 dimensions"):
        lib.dot(0, 4, np.zeros((2, 2)), x)
    with pytest.raises(ArgumentError, match="takes 4 arguments"):
        lib.dot(0, 4, x)
    with pytest.raises(ArgumentError, match="int64 scalar"):
        lib.dot(0.5, 4, x, x)
    with pytest.raises(ArgumentError, match="overlap"):
        lib.axpy(0, 4, 1.0, x, x)
    with pytest.raises(ArgumentError, match="read-only"):
        ro = np.zeros(4)
        ro.flags.writeable = False
        lib.axpy(0, 4, 1.0, x.copy(), ro)


def test_static_extents_are_checked(lib):
    x = np.zeros((3, 4))
    lib.fixed(0, 0, 3, 4, x)
    np.testing.assert_array_equal(x, np.ones((3, 4)))
    assert lib.entries["fixed"].params[-1].shape == (3, -1)
    with pytest.raises(ArgumentError, match="expects extent 3 in dimension 0"):
        lib.fixed(0, 0, 2, 4, np.zeros((2, 4)))


def test_cpp_exception_text_reaches_caller(lib):
    """The C entry itself checks ranks: bypass the Python checks and read the C++ error text."""
    from hpcir.backends.runtime import HpcirView

    fn = lib.cdll.hpcir_dot
    x = np.zeros((2, 2))
    view = HpcirView()
    view.data, view.rank = x.ctypes.data, 2
    b, e = ctypes.c_int64(0), ctypes.c_int64(2)
    args = (ctypes.c_void_p * 4)(*[ctypes.cast(ctypes.pointer(o), ctypes.c_void_p) for o in (b, e, view, view)])
    err = ctypes.create_string_buffer(256)
    res = (ctypes.c_uint64 * 1)()
    assert fn(args, ctypes.cast(res, ctypes.c_void_p), err, 256) == 1
    assert b"argument 'x' has rank 2, the kernel expects rank 1" in err.value


def test_manifest_describes_entries(lib):
    dot = lib.entries["dot"]
    assert dot.kind == "reduce" and dot.num_bounds == 2 and dot.results == ["float64"]
    assert [(p.name, p.kind, p.written) for p in lib.entries["axpy"].params] == [
        ("b", "scalar", False), ("e", "scalar", False), ("a", "scalar", False), ("x", "view", False),
        ("y", "view", True)]
    assert lib.entries["lap7"].num_bounds == 6 and lib.entries["rowsum2"].num_bounds == 3
    assert lib.entries["prog"].kind == "host_program"
    assert "sq" not in lib.entries  # device functions have no C entry


def test_loading_twice_reuses_the_module(lib):
    from hpcir.backends.runtime import load_module

    assert load_module(lib.path) is lib
