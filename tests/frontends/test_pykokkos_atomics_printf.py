"""PyKokkos' dtype enum (`pk.double.value`, `view.dtype.value`), the div/mod/lshift/rshift atomics
and printf inside kernels, run through Kokkos and compared with NumPy."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError
from hpcir.frontends.python.signature import bind_launch
from hpcir.frontends.python.types import ViewType


@pytest.mark.parametrize("member", list(pk.DataType))
def test_dtype_value_of_views_and_members(member):
    v = pk.View([2, 3], member)
    assert v.dtype.value is member.value and v.dtype == np.dtype(member.value)
    assert np.dtype(member) == v.dtype and hash(v.dtype) == hash(np.dtype(member.value))
    assert v[1:].dtype.value is member.value  # slices are pk views too
    assert member(1) == 1 and type(member(1)) is member.value


@pytest.mark.parametrize("dtype, ufunc", [(pk.double, "floor"), (pk.double, "ceil"), (pk.double, "trunc"),
                                          (pk.double, "round"), (pk.float, "floor")])
def test_ufunc_results_keep_the_dtype(dtype, ufunc):
    v = pk.array(np.linspace(-2.5, 2.5, 12), dtype=dtype)
    out = getattr(pk, ufunc)(v)
    assert out.dtype.value is dtype.value and type(out.dtype)._is_numeric
    np.testing.assert_array_equal(out, getattr(np, ufunc if ufunc != "round" else "rint")(np.asarray(v)))


def _c_div(a: np.ndarray, b: int) -> np.ndarray:
    return np.trunc(a / b).astype(a.dtype) if a.dtype.kind == "i" else a / b


def _c_mod(a: np.ndarray, b: int) -> np.ndarray:
    return np.fmod(a, b)  # C's %: the dividend's sign


@pk.workunit
def rmw(i: int, fdiv: pk.View1D[pk.double], idiv: pk.View1D[pk.int32], imod: pk.View1D[pk.int64],
        shl: pk.View1D[pk.int64], shr: pk.View1D[pk.int32], old: pk.View2D[pk.int64], d: int, s: int):
    pk.atomic_div(fdiv, [i % 4], 2.0)  # every thread divides one of 4 shared elements
    pk.atomic_fetch_div(idiv, [i % 4], d)
    old[i][0] = pk.atomic_fetch_mod(imod, [i], d)  # one element per thread: % does not commute
    old[i][1] = pk.atomic_fetch_lshift(shl, [i % 2], s)
    pk.atomic_rshift(shr, [i % 3], s)


@pytest.mark.parametrize("seed", range(6))
def test_div_mod_shift_atomics_against_numpy(seed):
    rng = np.random.default_rng(seed)
    n, d, s = int(rng.integers(6, 40)), int(rng.integers(1, 4)), int(rng.integers(0, 2))
    fdiv = rng.uniform(-1e6, 1e6, 4)
    idiv = rng.integers(-10**9, 10**9, 4).astype(np.int32)
    imod = rng.integers(-1000, 1000, n)
    shl = rng.integers(-3, 4, 2)
    shr = rng.integers(-10**9, 10**9, 3).astype(np.int32)
    old = np.zeros((n, 2), np.int64)
    want = [fdiv.copy(), idiv.copy(), imod.copy(), shl.copy(), shr.copy()]
    for i in range(n):  # the order of the shared updates does not change these results
        want[0][i % 4] = _c_div(want[0][i % 4: i % 4 + 1], 2.0)[0]
        want[1][i % 4] = _c_div(want[1][i % 4: i % 4 + 1], d)[0]
        want[3][i % 2] <<= s
        want[4][i % 3] >>= s
    want[2] = _c_mod(imod, d)
    imod0, shl0 = imod.copy(), shl.copy()
    args = dict(fdiv=fdiv, idiv=idiv, imod=imod, shl=shl, shr=shr, old=old)
    pk.parallel_for(n, rmw, d=d, s=s, **args)
    for (name, got), w in zip(list(args.items())[:5], want):
        np.testing.assert_array_equal(got, w, err_msg=name)
    # the fetched values: the element before this thread's % (its own element) ...
    np.testing.assert_array_equal(old[:, 0], imod0)
    # ... and a value the shared << element held at some point: its first value shifted k times
    for i in range(n):
        updates = len(range(i % 2, n, 2))
        assert old[i, 1] in [shl0[i % 2] << (s * k) for k in range(updates)]


def test_div_mod_shift_on_the_host_have_cs_meaning():
    """Called as plain Python (debugging), the atomics compute as C++ does."""
    v = np.array([-7, 7], np.int32)
    assert pk.atomic_fetch_div(v, [0], 2) == -7 and v[0] == -3
    assert pk.atomic_fetch_mod(v, [1], -3) == 7 and v[1] == 1
    w = np.array([-7], np.int64)
    pk.atomic_mod(w, 0, 3)
    pk.atomic_lshift(w, 0, 2)
    pk.atomic_rshift(w, 0, 1)
    assert w[0] == -2  # -7 % 3 = -1 (C), << 2 = -4, >> 1 = -2


@pk.workunit
def fmod_on_doubles(i: int, x: pk.View1D[pk.double]):
    pk.atomic_fetch_mod(x, [i], 2)


@pk.workunit
def printf_string(i: int, x: pk.View1D[pk.double]):
    pk.printf("%s\n", x[i])


@pk.workunit
def printf_count(i: int, x: pk.View1D[pk.double]):
    pk.printf("%d %f\n", i)


@pytest.mark.parametrize("kernel, words", [
    (fmod_on_doubles, "atomic_fetch_mod needs an integer view"),
    (printf_string, "kernels print numbers only"),
    (printf_count, "has 2 conversions but 1 values"),
])
def test_located_errors(kernel, words):
    with pytest.raises(HpcirError) as err:
        pk.parallel_for(3, kernel, x=np.zeros(3))
    assert words in str(err.value) and "test_pykokkos_atomics_printf.py" in str(err.value)


@pk.workunit
def report(i: int, acc: pk.Acc[pk.double], x: pk.View1D[pk.double]):
    if i % 3 == 1:
        pk.printf("i=%d x=%.2f big=%lld hex=%x 100%% \"q\"\n", i, x[i], i * 10000000000, i + 250)
    acc += x[i]


def test_printf_inside_a_kernel(capfd):
    x = np.linspace(0.0, 3.0, 7)
    total = pk.parallel_reduce(7, report, x=x)
    ctypes.CDLL(None).fflush(None)  # the C library's stdout buffer, written by the kernel
    lines = sorted(line for line in capfd.readouterr().out.splitlines() if line.startswith("i="))
    want = sorted(f'i={i} x={x[i]:.2f} big={i * 10000000000} hex={i + 250:x} 100% "q"' for i in (1, 4))
    assert lines == want
    assert abs(total - x.sum()) < 1e-12
    report(4, 0.0, x)  # as plain Python: the same text
    assert capfd.readouterr().out == want[1] + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_atomics_and_printf_compile_for_gpu(target):
    """The same kernels as CUDA / HIP Kokkos code, compiled (no GPU needed)."""
    from hpcir.api import build_module, emit_cpp, lower_to_l3
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.core.targets import get_target

    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    space = get_target(target).memory_space
    specs = []
    for k, kind, args in [
        (rmw, "for", dict(fdiv=np.ones(4), idiv=np.ones(4, np.int32), imod=np.ones(4, np.int64),
                          shl=np.ones(2, np.int64), shr=np.ones(3, np.int32), old=np.zeros((4, 2), np.int64),
                          d=2, s=1)),
        (report, "reduce", dict(x=np.ones(4))),
    ]:
        spec, _ = bind_launch(k, kind, "range", 1, args, None, "sum")
        spec.param_types = {n: t.with_space(space) if isinstance(t, ViewType) else t
                            for n, t in spec.param_types.items()}
        specs.append(spec)
    sources = emit_cpp(lower_to_l3(build_module(specs, target), target), target, f"pk_rmw_{target}")
    cpp = sources[f"pk_rmw_{target}.cpp"]
    for kind in ("div", "mod", "lshift", "rshift"):
        assert f"Kokkos::atomic_fetch_{kind}(&" in cpp
    assert 'printf("i=%d x=%.2f big=%lld hex=%x 100%% \\"q\\"\\n", static_cast<int>(' in cpp
    compile_only(sources, get_target(target), install)


def test_the_ops_verifiers():
    """kokkos.atomic_fetch and kokkos.printf refuse what Kokkos' functions / C's printf do not take."""
    from xdsl.dialects import arith
    from xdsl.dialects.builtin import FloatAttr, IndexType, IntegerAttr, f64, i32
    from xdsl.utils.exceptions import VerifyException
    from hpcir.dialects import kokkos as kk
    from xdsl.ir import Block

    blk = Block(arg_types=[kk.view_type(f64, 1, "host"), kk.view_type(i32, 1, "host"), IndexType()])
    fv, iv, i = blk.args
    x = arith.ConstantOp(FloatAttr(2.0, f64))
    n = arith.ConstantOp(IntegerAttr(3, i32))
    kk.AtomicFetchOp("mod", n.result, iv, [i]).verify()
    kk.AtomicFetchOp("div", x.result, fv, [i]).verify()
    kk.PrintfOp("%d %% %5.2f\n", [n.result, x.result]).verify()
    for bad, words in [(kk.AtomicFetchOp("mod", x.result, fv, [i]), "needs an integer element type"),
                       (kk.AtomicFetchOp("nand", n.result, iv, [i]), "unknown kind"),
                       (kk.AtomicFetchOp("div", x.result, fv, []), "0 indices"),
                       (kk.PrintfOp("%s\n", [x.result]), "conversion other than"),
                       (kk.PrintfOp("%d %d\n", [n.result]), "2 conversions but 1 values")]:
        with pytest.raises(VerifyException, match=words):
            bad.verify()
