"""Reductions in vector lanes, sum scans, and the maxloc / minloc reducers (issue 16, item 2): one
cpu module and one serial module hold every kernel (two builds), compared with NumPy over generated
inputs (sizes across the lanes' and blocks' edges, many ties, infinities and NaNs); the same kernels
on the jax and torch array targets; the IR verified here and upstream; the C++ compile-checked for
cuda and hip; misuse of maxloc / minloc rejected, located, before anything is built."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

import hpcir
from hpcir.api import build_library, build_module, emit_cpp, lower_to_l3
from hpcir.core.errors import ArgumentError, HpcirError, KernelTypeError
from hpcir.core.targets import get_target
from hpcir.dialects import context
from hpcir.dialects.upstream import verify_upstream
from hpcir.frontends.python.signature import bind_launch
from hpcir.frontends.python.types import ViewType
from tests.frontends.located_errors import Located, forbid_builds

HERE = __file__
LOCATED = Located(HERE)
NONE = 2**63 - 1  # the index of a maxloc / minloc that found nothing (an empty range)


@hpcir.kernel
def fsum(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc += x[i]


@hpcir.kernel(ordered=True)
def fsum_ordered(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc += x[i]


@hpcir.kernel(reducer="max")
def fmax(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc = max(acc, x[i])


@hpcir.kernel(reducer="min")
def fmin(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc = min(acc, x[i])


@hpcir.kernel
def isum(i: int, acc: hpcir.Acc[int], k: hpcir.View1D[int]):
    acc += k[i]


@hpcir.kernel(reducer=("sum", "max", "land"))
def stats(i: int, s: hpcir.Acc[int], m: hpcir.Acc[int], pos: hpcir.Acc[bool], k: hpcir.View1D[int]):
    s += k[i] * k[i]
    m = max(m, k[i])
    pos = pos and k[i] > -100


@hpcir.kernel(reducer="maxloc")
def argmax(i: int, best: hpcir.Acc[float], at: hpcir.Acc[int], x: hpcir.View1D[float]):
    if x[i] > best:
        best = x[i]
        at = i


@hpcir.kernel(reducer="minloc")
def argmin(i: int, best: hpcir.Acc[float], at: hpcir.Acc[int], x: hpcir.View1D[float]):
    if x[i] < best:
        best = x[i]
        at = i


@hpcir.kernel(reducer="maxloc")
def iargmax(i: int, best: hpcir.Acc[int], at: hpcir.Acc[int], k: hpcir.View1D[int]):
    if k[i] > best:
        best = k[i]
        at = i


@hpcir.kernel(reducer="minloc")
def absargmin(i: int, best: hpcir.Acc[float], at: hpcir.Acc[int], x: hpcir.View1D[float], c: float):
    d = abs(x[i] - c)  # the element nearest c
    if d < best:
        best = d
        at = i


@hpcir.kernel
def cumsum(i: int, acc: hpcir.Acc[float], final: bool, x: hpcir.View1D[float], out: hpcir.View1D[float]):
    acc += x[i]
    if final:
        out[i] = acc


@hpcir.kernel
def offsets(i: int, acc: hpcir.Acc[int], final: bool, k: hpcir.View1D[int], out: hpcir.View1D[int]):
    if final:
        out[i] = acc
    acc += k[i]


REDUCE = [fsum, fsum_ordered, fmax, fmin, isum, stats, argmax, argmin, iargmax, absargmin]
SCAN = [cumsum, offsets]
X, K, C = np.zeros(4), np.zeros(4, dtype=np.int64), 0.5


def _args(k) -> dict:
    names = [p.name for p in k.params]
    return {n: v for n, v in (("x", X), ("k", K), ("c", C), ("out", X.copy() if "x" in names else K.copy()))
            if n in names}


def _specs(target: str) -> list:
    specs = []
    for k, kind in [(k, "reduce") for k in REDUCE] + [(k, "scan") for k in SCAN]:
        spec, _ = bind_launch(k, kind, "range", 1, _args(k), None, k.reducer or "sum")
        space = get_target(target).memory_space
        spec.param_types = {n: t.with_space(space) if isinstance(t, ViewType) else t
                            for n, t in spec.param_types.items()}
        spec.name = k.name
        specs.append(spec)
    return specs


def _sources(target: str) -> dict[str, str]:
    return emit_cpp(lower_to_l3(build_module(_specs(target), target), target), target, f"fast_red_{target}")


@pytest.fixture(scope="module", params=["cpu", "serial"])
def lib(request):
    """Every kernel in one module per target (serial: one thread, the scans' single ordered pass)."""
    t = request.param
    built = build_library(_sources(t), t, f"fast_red_{t}")
    return lambda name: built[name], t


def _data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Floats with many ties (a few distinct values), some infinities and NaNs; small ints."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, size=n).astype(np.float64) * rng.choice([1.0, 0.25], size=n)
    if n and rng.random() < 0.5:
        x[rng.integers(0, n, size=max(1, n // 50))] = rng.choice([np.inf, -np.inf, np.nan, -0.0])
    return x, rng.integers(-50, 50, size=n)


def _same(got, want) -> bool:
    return (np.isnan(want) and np.isnan(got)) or got == want


# Sizes straddle the lanes (16 doubles), the blocks (4096) and the threads' share.
SIZES = st.one_of(st.integers(0, 70), st.sampled_from([4095, 4096, 4097, 8192 + 33]), st.integers(70, 20000))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=SIZES)
def test_reductions_and_scans_match_numpy(lib, seed, n):
    lib, target = lib
    x, k = _data(seed, n)
    clean = x[~np.isnan(x)]
    finite = np.where(np.isfinite(x), x, 0.0)
    s = lib("fsum")(0, n, finite)
    assert abs(s - finite.sum()) <= 1e-12 * max(1.0, np.abs(finite).sum())
    ordered = lib("fsum_ordered")(0, n, finite)
    if target == "serial":  # one thread, in order: Python's own sum
        assert ordered == sum(finite.tolist())
    else:
        assert abs(ordered - s) <= 1e-12 * max(1.0, np.abs(finite).sum())
    if n:
        assert _same(lib("fmax")(0, n, x), x.max()) and _same(lib("fmin")(0, n, x), x.min())
        # maxloc / minloc: NaNs never compare larger, so they match NumPy on the NaN-free values.
        if clean.size and np.isfinite(clean).any():
            for name, want in (("argmax", np.argmax), ("argmin", np.argmin)):
                masked = np.where(np.isnan(x), -np.inf if name == "argmax" else np.inf, x)
                v, at = lib(name)(0, n, x)
                if np.isfinite(masked[want(masked)]):
                    assert (v, at) == (masked[want(masked)], int(want(masked))), (name, v, at)
        assert lib("iargmax")(0, n, k) == (k.max(), int(k.argmax()))
        d = np.abs(x - C)
        dm = np.where(np.isnan(d), np.inf, d)
        if np.isfinite(dm).any():
            assert lib("absargmin")(0, n, x, C) == (dm.min(), int(dm.argmin()))
    else:
        assert lib("argmax")(0, 0, x) == (-np.inf, NONE) and lib("iargmax")(0, 0, k)[1] == NONE
    assert lib("isum")(0, n, k) == k.sum()
    assert lib("stats")(0, n, k) == ((k * k).sum(), k.max() if n else -(2**63), bool((k > -100).all()))
    out = np.full(n, np.nan)
    total = lib("cumsum")(0, n, finite, out)
    np.testing.assert_allclose(out, np.cumsum(finite), rtol=0, atol=1e-12 * max(1.0, np.abs(finite).sum()))
    assert abs(total - finite.sum()) <= 1e-12 * max(1.0, np.abs(finite).sum())
    off = np.full(n, -1, dtype=np.int64)
    assert lib("offsets")(0, n, k, off) == k.sum()
    assert np.array_equal(off, np.concatenate([[0], np.cumsum(k)[:-1]])[:n])


def test_a_sub_range_reduces_only_its_indices(lib):
    lib, _ = lib
    x = np.arange(10000, dtype=np.float64) % 7
    assert lib("argmax")(5, 9000, x) == (6.0, 6) and lib("argmin")(8, 9000, x) == (0.0, 14)
    assert lib("fsum")(100, 5000, x) == x[100:5000].sum()


def test_ties_go_to_the_lowest_index(lib):
    lib, _ = lib
    x = np.zeros(50000)
    x[[40000, 3, 17, 4099]] = 2.0  # 3 is in lane 3 of block 0; 17 in lane 1; 40000 in the last thread
    assert lib("argmax")(0, len(x), x) == (2.0, 3)
    x[:] = 1.0
    assert lib("argmin")(0, len(x), x) == (1.0, 0) and lib("argmax")(0, len(x), x) == (1.0, 0)


def test_ordered_sum_keeps_python_order_on_one_thread(lib):
    lib, target = lib
    # 1e16 + 1 + 1 + ... : in order every 1 is lost; lanes or threads may add the ones together.
    x = np.concatenate([[1e16], np.ones(20000)])
    ordered = lib("fsum_ordered")(0, len(x), x)
    if target == "serial":
        assert ordered == sum(x.tolist()) == 1e16
    # In 16 lanes only the lane holding 1e16 drops its ones (1/16 of them): closer to 1e16 + 20000.
    assert 1e16 + 18000 <= lib("fsum")(0, len(x), x) <= 1e16 + 20000


@pytest.mark.parametrize("n", [5000, 4096 * 3 + 7])
def test_max_min_lanes_keep_signed_zeros_and_nans(lib, n):
    """The plain-comparison lanes (hpcir::lane_extremum) give the exact IEEE maximum / minimum:
    +0 beats -0 wherever it sits (a lane, the tail, another block), and a NaN anywhere wins."""
    lib, _ = lib
    for at in (0, 17, 4095, 4096, n - 1):
        x = np.full(n, -0.0)
        got = lib("fmax")(0, n, x)
        assert got == 0.0 and np.signbit(got)  # only -0: the maximum is -0
        x[at] = 0.0
        got = lib("fmax")(0, n, x)
        assert got == 0.0 and not np.signbit(got), at
        y = np.full(n, 0.0)
        assert not np.signbit(lib("fmin")(0, n, y))
        y[at] = -0.0
        assert np.signbit(lib("fmin")(0, n, y)), at
        z = np.linspace(-1.0, 1.0, n)
        z[at] = np.nan
        assert np.isnan(lib("fmax")(0, n, z)) and np.isnan(lib("fmin")(0, n, z)), at
        z[at] = 7.0 if at % 2 else -7.0
        assert lib("fmax")(0, n, z) == z.max() and lib("fmin")(0, n, z) == z.min()


def test_cpp_uses_lanes_and_kokkos_maxloc():
    sources = _sources("cpu")
    cpp = sources["fast_red_cpu.cpp"]
    # A float `acc = max(acc, v)` runs in plain-comparison lanes; the functor takes either value.
    assert "hpcir::lane_extremum<fmax_functor, decltype(fmax_reduction), true>" in cpp
    assert "hpcir::lane_extremum<fmin_functor, decltype(fmin_reduction), false>" in cpp
    assert re.search(r"struct fmax_functor \{\n.*\n  template <class Acc>\n  KOKKOS_INLINE_FUNCTION void "
                     r"operator\(\)\(const int64_t i, Acc& acc\) const \{", cpp)
    assert "lane_extremum<stats_functor" not in cpp and "lane_extremum<fsum_functor" not in cpp
    assert "hpcir::lane_reduce<fsum_functor," in cpp and "hpcir::lane_reduce<fsum_ordered_functor" not in cpp
    # maxloc / minloc: Kokkos' reducers joining lanes kept as two arrays, values and indices.
    assert "hpcir::max_loc<double>(" in cpp and "Kokkos::ValLocScalar<double, int64_t> argmax_result;" in cpp
    assert "hpcir::lane_loc<argmax_functor, decltype(argmax_reduction)>" in cpp
    assert "hpcir::lane_loc<absargmin_functor, decltype(absargmin_reduction)>" in cpp
    assert re.search(r"struct argmax_functor \{\n.*\n  template <class Acc>\n  KOKKOS_INLINE_FUNCTION void "
                     r"operator\(\)\(const int64_t i, Acc& acc\) const \{", cpp)
    assert "hpcir::lane_scan<cumsum_functor, double>" in cpp and "hpcir::ordered_scan<cumsum_functor" in cpp
    prelude = sources["hpcir_prelude.hpp"]
    assert "struct max_loc : Kokkos::MaxLoc<T, int64_t, Space>" in prelude and "struct lane_loc {" in prelude


@hpcir.kernel
def counted(i: int, acc: hpcir.Acc[int], k: hpcir.View1D[int], h: hpcir.View1D[int]):
    hpcir.atomic_add(h, k[i], 1)
    acc += 1


def test_bodies_with_atomics_checks_or_other_policies_keep_the_plain_functor():
    cpp = hpcir.lower(counted, kind="reduce")
    assert "hpcir::lane_reduce" not in cpp and "Kokkos::parallel_reduce(\"counted\", counted_policy, counted_functor{" in cpp
    assert "hpcir::lane_reduce" not in hpcir.lower(fsum, target="cuda", kind="reduce")


@pytest.mark.parametrize("target", ["jax", "torch"])
def test_maxloc_on_array_targets(target):
    pytest.importorskip(target)
    x, k = _data(3, 3000)
    x = np.where(np.isnan(x), 0.0, x)
    for kern, arr, want in ((argmin, x, np.argmin), (iargmax, k, np.argmax)):
        args = {"k": k} if kern is iargmax else {"x": x}
        v, at = hpcir.compile(kern, target=target)(len(arr), **args)
        assert (float(v), int(at)) == (float(arr[want(arr)]), int(want(arr))), kern.name
    v, at = hpcir.compile(absargmin, target=target)(len(x), x=x, c=C)
    assert int(at) == int(np.abs(x - C).argmin())
    v, at = hpcir.compile(argmin, target=target)(0, x=x)
    assert (float(v), int(at)) == (np.inf, NONE)


# ------------------------------------------------------------------------------------------- IR
@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_ir_verifies_and_round_trips(target):
    l2 = build_module(_specs(target), target)
    l2.verify()
    verify_upstream(l2)
    l3 = lower_to_l3(l2.clone(), target)
    verify_upstream(l3)
    text = str(l3)
    assert "[#kokkos.reducer<maxloc>, #kokkos.reducer<maxloc>]" in text
    assert text.count("kokkos.ordered") == 1  # fsum_ordered's launch only
    again = Parser(context(), text).parse_module()
    again.verify()
    assert str(again) == text


LOC = """
func.func @f(%lo: index, %hi: index, %x: memref<?xf64>) -> (f64, i64) {
  %v = arith.constant 0xFFF0000000000000 : f64
  %n = arith.constant 9223372036854775807 : i64
  %b, %at = kokkos.parallel_reduce "am" #kokkos.range on <default>(%lo, %hi) init(%v, %n : f64, i64) \
[#kokkos.reducer<maxloc>, #kokkos.reducer<maxloc>] {
  ^bb0(%i: index, %a: f64, %l: i64):
    kokkos.yield %a, %l : f64, i64
  } -> f64, i64
  func.return %b, %at : f64, i64
}
"""


@pytest.mark.parametrize("edit, words", [
    (("#kokkos.reducer<maxloc>, #kokkos.reducer<maxloc>]", "#kokkos.reducer<maxloc>, #kokkos.reducer<max>]"),
     "takes exactly two results"),
    (("i64", "i32"), "index result must be i64"),
])
def test_loc_verifier_rejects_misuse(edit, words):
    src = LOC.replace("9223372036854775807", "7").replace(*edit)
    module = Parser(context(), src).parse_module()
    with pytest.raises(VerifyException, match=re.escape(words)):
        module.verify()


# ------------------------------------------------------------------------------- GPU compile check
@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_kernels_compile_for_gpu(target):
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    sources = _sources(target)
    cpp = sources[f"fast_red_{target}.cpp"]
    assert "hpcir::max_loc<double>(" in cpp and "lane_reduce" not in cpp  # lanes are a host feature
    compile_only(sources, get_target(target), install)


# ------------------------------------------------------------------------------------ bad input
where, check = LOCATED.where, LOCATED.check


@pytest.fixture
def no_build(monkeypatch):
    forbid_builds(monkeypatch)


@hpcir.kernel
def three(i: int, v: hpcir.Acc[float], at: hpcir.Acc[int], n: hpcir.Acc[int], x: hpcir.View1D[float]):
    n += 1


@hpcir.kernel(reducer="maxloc")
def float_index(i: int, best: hpcir.Acc[float], at: hpcir.Acc[float], x: hpcir.View1D[float]):  # E-findex
    if x[i] > best:
        best = x[i]


@hpcir.kernel(reducer="maxloc")
def grid(i: int, j: int, best: hpcir.Acc[float], at: hpcir.Acc[int], a: hpcir.View2D[float]):
    if a[i, j] > best:
        best = a[i, j]


def test_maxloc_needs_two_accumulators(no_build):
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_reduce(4, three, x=X, reducer="maxloc")  # E-three
    check(e.value, "# E-three", "hpcir.parallel_reduce", "reducer 'maxloc' needs two accumulators")
    assert "at: hpcir.Acc[int]" in str(e.value)  # the hint shows the spelling


def test_maxloc_is_not_mixed_with_other_reducers(no_build):
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_reduce(4, three, x=X, reducer=("maxloc", "maxloc", "sum"))  # E-mixed
    check(e.value, "# E-mixed", "hpcir.parallel_reduce", "cannot be combined with other reducers")


def test_maxloc_index_must_be_an_int(no_build):
    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_reduce(4, float_index, x=X)
    check(e.value, "# E-findex", "at: hpcir.Acc[float]", "must be an int, not float64 (`at`)")


def test_maxloc_runs_over_a_range_only(no_build):
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_reduce(hpcir.MDRangePolicy([0, 0], [2, 2]), grid, a=np.zeros((2, 2)))  # E-md
    check(e.value, "# E-md", "hpcir.parallel_reduce", "runs over a 1-D range, not over a 2-D MDRangePolicy")


@hpcir.kernel(reducer="maxloc")
def running(i: int, acc: hpcir.Acc[float], final: bool, x: hpcir.View1D[float], out: hpcir.View1D[float]):
    acc = max(acc, x[i])


def test_no_maxloc_scan(no_build):
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_scan(4, running, x=X, out=np.zeros(4))  # E-scan
    check(e.value, "# E-scan", "hpcir.parallel_scan", "parallel_scan has no 'maxloc' reducer")


@hpcir.kernel
def team_argmax(team: hpcir.TeamMember, x: hpcir.View1D[float], out: hpcir.View1D[float]):
    def body(j: int, best: hpcir.Acc[float], at: hpcir.Acc[int]):
        if x[j] > best:
            best = x[j]
            at = j

    b, a = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, 4), body, reducer="maxloc")  # E-nested
    out[team.league_rank()] = b


def test_no_maxloc_in_a_nested_range(no_build):
    with pytest.raises(HpcirError) as e:
        hpcir.parallel_for(hpcir.TeamPolicy(2, 1), team_argmax, x=X, out=np.zeros(2))
    check(e.value, "# E-nested", '"maxloc"', "reducer 'maxloc' is not available in")
