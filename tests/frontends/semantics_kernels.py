"""Kernels, references and hypothesis properties for the arithmetic semantics of kernels (issue 15
items 2-4, docs/reliability.md): float and integer `//` and `%`, math.fmod, max/min, every reducer
with nan and ±inf, zero divisors, INT64_MIN // -1.

Few kernels, each computing many things (every kernel is a JIT build of a few seconds). The
properties draw data, not kernels: each example runs every kernel through both APIs (hpcir and
hpcir.pykokkos) on the given targets and compares with Python / NumPy.

Run as a script (what tests/frontends/test_semantics.py does, once per thread count, since Kokkos
reads HPCIR_NUM_THREADS once per process):

    HPCIR_NUM_THREADS=2 python tests/frontends/semantics_kernels.py serial cpu [--examples N]
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpcir
import hpcir.pykokkos as pk

I64_MIN, I64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
I32_MIN, I32_MAX = int(np.iinfo(np.int32).min), int(np.iinfo(np.int32).max)


# --------------------------------------------------------------------------------------- kernels
def float_ops(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float], q: hpcir.View1D[float],
              r: hpcir.View1D[float], fm: hpcir.View1D[float], mx: hpcir.View1D[float], mn: hpcir.View1D[float],
              x32: hpcir.View1D[hpcir.float32], y32: hpcir.View1D[hpcir.float32],
              q32: hpcir.View1D[hpcir.float32], r32: hpcir.View1D[hpcir.float32]):
    q[i] = x[i] // y[i]
    r[i] = x[i] % y[i]
    fm[i] = math.fmod(x[i], y[i])
    mx[i] = max(x[i], y[i])
    mn[i] = min(y[i], x[i])
    q32[i] = x32[i] // y32[i]
    r32[i] = x32[i] % y32[i]


def int_ops(i: int, x: hpcir.View1D[int], y: hpcir.View1D[int], q: hpcir.View1D[int], r: hpcir.View1D[int],
            x32: hpcir.View1D[hpcir.int32], y32: hpcir.View1D[hpcir.int32], q32: hpcir.View1D[hpcir.int32],
            r32: hpcir.View1D[hpcir.int32]):
    q[i] = x[i] // y[i]
    r[i] = x[i] % y[i]
    q32[i] = x32[i] // y32[i]
    r32[i] = x32[i] % y32[i]


def literal_ops(i: int, x: hpcir.View1D[float], k: hpcir.View1D[int], out: hpcir.View1D[float],
                iout: hpcir.View1D[int]):
    """The issue's examples with literal divisors (constant folding must not change them)."""
    out[0] = 3.0 % 0.1
    out[1] = 1.0 // 0.1
    out[2] = 3.0 // -0.3
    out[3] = x[i] % 0.1
    out[4] = x[i] // 0.1
    out[5] = x[i] // -0.3
    iout[0] = k[i] // -1
    iout[1] = k[i] % -1
    iout[2] = k[i] // 7 + k[i] % 7
    iout[3] = k[i] // -7 + k[i] % -7


def sum_red(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc += x[i]


def prod_red(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc *= x[i]


def max_red(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc = max(x[i], acc)  # the issue's order: the element first


def min_red(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc = min(acc, x[i])


def max_red_acc_first(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc = max(acc, x[i])  # the issue's all-nan example


def land_red(i: int, acc: hpcir.Acc[bool], m: hpcir.View1D[bool]):
    acc = acc and m[i]


def lor_red(i: int, acc: hpcir.Acc[bool], m: hpcir.View1D[bool]):
    acc = acc or m[i]


def band_red(i: int, acc: hpcir.Acc[int], k: hpcir.View1D[int]):
    acc = acc & k[i]


def bor_red(i: int, acc: hpcir.Acc[int], k: hpcir.View1D[int]):
    acc = acc | k[i]


APIS = {"hpcir": (hpcir, hpcir.kernel), "pykokkos": (pk, pk.workunit)}
FUNCS = [float_ops, int_ops, literal_ops, sum_red, prod_red, max_red, min_red, max_red_acc_first, land_red,
         lor_red, band_red, bor_red]
KERNELS = {(api, f.__name__): deco(f) for api, (_, deco) in APIS.items() for f in FUNCS}
# reducer -> (kernel, argument name, NumPy reference)
REDUCERS = {"sum": ("sum_red", "x", np.sum), "prod": ("prod_red", "x", np.prod), "max": ("max_red", "x", np.max),
            "min": ("min_red", "x", np.min), "land": ("land_red", "m", np.all), "lor": ("lor_red", "m", np.any),
            "band": ("band_red", "k", np.bitwise_and.reduce), "bor": ("bor_red", "k", np.bitwise_or.reduce)}


def launch(kind: str, api: str, name: str, n: int, target: str, reducer: str | None = None, **args):
    """parallel_for / parallel_reduce of kernel `name` over range(n) through one API on one target."""
    mod, kern = APIS[api][0], KERNELS[(api, name)]
    fn = mod.parallel_for if kind == "for" else mod.parallel_reduce
    extra = {"reducer": reducer} if reducer else {}
    if api == "pykokkos":  # PyKokkos picks the execution space with the policy
        return fn(pk.RangePolicy(pk.Serial if target == "serial" else pk.OpenMP, 0, n), kern, **args, **extra)
    return fn(n, kern, target=target, **args, **extra)


# ------------------------------------------------------------------------------------ references
def same_floats(got: np.ndarray, want: np.ndarray, signed_zeros: bool = True) -> np.ndarray:
    """Elementwise: equal, both nan, and (signed_zeros) the same sign when both are zero."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    eq = (got == want) | (np.isnan(got) & np.isnan(want))
    if signed_zeros:
        eq &= ~((got == 0) & (want == 0)) | (np.signbit(got) == np.signbit(want))
    return eq


def assert_same_floats(got, want, what: str, inputs: tuple, signed_zeros: bool = True) -> None:
    ok = same_floats(got, want, signed_zeros)
    if not ok.all():
        k = int(np.flatnonzero(~ok)[0])
        args = ", ".join(repr(a[k].item()) for a in inputs)
        raise AssertionError(f"{what}({args}) = {np.asarray(got)[k]!r}, expected {np.asarray(want)[k]!r}")


def python_floordiv_mod(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Python's float // and % where y != 0; NumPy's x / 0.0 and nan where y == 0 (what kernels do)."""
    with np.errstate(all="ignore"):
        q, r = np.floor_divide(x, y), np.remainder(x, y)
    for k, (a, b) in enumerate(zip(x.tolist(), y.tolist())):
        if b != 0:
            q[k], r[k] = a // b, a % b
    return q, r


# ------------------------------------------------------------------------------------ strategies
SPECIAL_FLOATS = [0.0, -0.0, 0.1, -0.1, 0.3, -0.3, 1.0, -1.0, 3.0, -3.0, 0.5, 7.0, 1e300, -1e300, 5e-324,
                  math.inf, -math.inf, math.nan]
floats64 = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(SPECIAL_FLOATS),
                     st.integers(-30, 30).map(float), st.integers(-30, 30).map(lambda k: k / 10))
floats32 = st.one_of(st.floats(width=32, allow_nan=True, allow_infinity=True),
                     st.sampled_from([v for v in SPECIAL_FLOATS if v == 0 or not math.isfinite(v)
                                      or 1e-30 < abs(v) < 1e30]), st.integers(-30, 30).map(float))
ints64 = st.one_of(st.integers(I64_MIN, I64_MAX), st.integers(-50, 50),
                   st.sampled_from([I64_MIN, I64_MAX, -1, 1, 0, -7, 7, I64_MIN + 1]))
nonzero64 = ints64.filter(bool)
ints32 = st.one_of(st.integers(I32_MIN, I32_MAX), st.integers(-50, 50), st.sampled_from([I32_MIN, I32_MAX, -1, 1, 0]))
nonzero32 = ints32.filter(bool)


def _settings(examples: int):
    return settings(max_examples=examples, deadline=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=list(HealthCheck), print_blob=True)


# ------------------------------------------------------------------------------------ properties
def check_float_ops(targets: list[str], examples: int) -> None:
    """Float `//`, `%` (Python's), math.fmod (C's), max/min (np.maximum / np.minimum), f64 and f32."""
    @_settings(examples)
    @given(st.lists(st.tuples(floats64, floats64, floats32, floats32), min_size=1, max_size=40))
    def prop(rows):
        x, y = (np.array([r[k] for r in rows], dtype=np.float64) for k in (0, 1))
        x32, y32 = (np.array([r[k] for r in rows], dtype=np.float32) for k in (2, 3))
        q_ref, r_ref = python_floordiv_mod(x, y)
        with np.errstate(all="ignore"):
            fm_ref, q32_ref, r32_ref = np.fmod(x, y), np.floor_divide(x32, y32), np.remainder(x32, y32)
        for target in targets:
            for api in APIS:
                out = {k: np.zeros(len(rows)) for k in ("q", "r", "fm", "mx", "mn")}
                out32 = {k: np.zeros(len(rows), np.float32) for k in ("q32", "r32")}
                launch("for", api, "float_ops", len(rows), target, x=x, y=y, x32=x32, y32=y32, **out, **out32)
                where = f" [{api}, {target}]"
                assert_same_floats(out["q"], q_ref, "floordiv" + where, (x, y))
                assert_same_floats(out["r"], r_ref, "mod" + where, (x, y))
                assert_same_floats(out["fm"], fm_ref, "math.fmod" + where, (x, y))
                # nan wherever an argument is nan; zeros compare equal whatever their sign (docs)
                assert_same_floats(out["mx"], np.maximum(x, y), "max" + where, (x, y), signed_zeros=False)
                assert_same_floats(out["mn"], np.minimum(y, x), "min" + where, (x, y), signed_zeros=False)
                assert_same_floats(out32["q32"], q32_ref, "floordiv f32" + where, (x32, y32))
                assert_same_floats(out32["r32"], r32_ref, "mod f32" + where, (x32, y32))
    prop()


def check_int_ops(targets: list[str], examples: int) -> None:
    """Integer `//` and `%` as NumPy (INT_MIN // -1 wraps); a zero divisor raises a located
    ZeroDivisionError after the launch, the process lives on and the next launch is fine."""
    @_settings(examples)
    @given(st.lists(st.tuples(ints64, ints64, ints32, ints32), min_size=1, max_size=40))
    def prop(rows):
        x, y = (np.array([r[k] for r in rows], dtype=np.int64) for k in (0, 1))
        x32, y32 = (np.array([r[k] for r in rows], dtype=np.int32) for k in (2, 3))
        for target in targets:
            for api in APIS:
                out = {k: np.zeros(len(rows), np.int64) for k in ("q", "r")}
                out32 = {k: np.zeros(len(rows), np.int32) for k in ("q32", "r32")}
                args = dict(x=x, x32=x32, **out, **out32)
                if not (y.all() and y32.all()):
                    try:
                        launch("for", api, "int_ops", len(rows), target, y=y, y32=y32, **args)
                    except ZeroDivisionError as err:
                        assert isinstance(err, hpcir.KernelZeroDivisionError), type(err)
                        assert err.loc is not None and err.loc.filename == __file__, err.loc
                        assert "by zero" in err.message, err.message
                    else:
                        raise AssertionError(f"no ZeroDivisionError for divisors {y.tolist()} / {y32.tolist()}")
                yy, yy32 = np.where(y == 0, 1, y), np.where(y32 == 0, 1, y32).astype(np.int32)
                launch("for", api, "int_ops", len(rows), target, y=yy, y32=yy32, **args)  # the flag was cleared
                with np.errstate(all="ignore"):
                    refs = {"q": np.floor_divide(x, yy), "r": np.remainder(x, yy),
                            "q32": np.floor_divide(x32, yy32), "r32": np.remainder(x32, yy32)}
                for k, ref in refs.items():
                    got = (out | out32)[k]
                    bad = np.flatnonzero(got != ref)
                    if bad.size:
                        j = int(bad[0])
                        a, b = (x, yy) if k in ("q", "r") else (x32, yy32)
                        raise AssertionError(f"{k} [{api}, {target}]: {a[j]} and {b[j]} give {got[j]}, NumPy {ref[j]}")
    prop()


def check_reducers(targets: list[str], examples: int) -> None:
    """Every reducer against NumPy, with nan and ±inf: max/min propagate nan (np.max / np.min)."""
    finite = st.floats(-1e6, 1e6)
    specials = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0])
    moderate = st.lists(st.one_of(finite, finite, finite, specials), min_size=1, max_size=64)
    # products: no overflow whatever the order of multiplication (it would depend on the threads)
    factors = st.lists(st.one_of(st.floats(0.5, 2.0), st.floats(-2.0, -0.5), specials, st.just(-1.0)),
                       min_size=1, max_size=48)
    anything = st.lists(floats64, min_size=1, max_size=64)

    @_settings(examples)
    @given(moderate, factors, anything, st.lists(st.booleans(), min_size=1, max_size=64),
           st.lists(ints64, min_size=1, max_size=64))
    def prop(sums, prods, extremes, bools, ints):
        data = {"sum": np.array(sums), "prod": np.array(prods), "max": np.array(extremes),
                "min": np.array(extremes), "land": np.array(bools), "lor": np.array(bools),
                "band": np.array(ints, dtype=np.int64), "bor": np.array(ints, dtype=np.int64)}
        for reducer, (name, arg, ref_fn) in REDUCERS.items():
            v = data[reducer]
            with np.errstate(all="ignore"):
                ref = ref_fn(v)
            for target in targets:
                for api in APIS:
                    got = launch("reduce", api, name, len(v), target, reducer=reducer, **{arg: v})
                    where = f"{reducer} [{api}, {target}] of {v.tolist()}"
                    if v.dtype.kind == "f":
                        ok = same_floats(got, ref, signed_zeros=False) if reducer in ("max", "min") else \
                            (np.isnan(got) and np.isnan(ref)) or got == ref or \
                            (math.isfinite(ref) and math.isclose(got, ref, rel_tol=1e-9, abs_tol=1e-6))
                        assert ok, f"{where}: {got!r}, NumPy {ref!r}"
                    else:
                        assert got == ref, f"{where}: {got!r}, NumPy {ref!r}"
    prop()


# ----------------------------------------------------------------- the issue's examples, as they were
def check_issue_examples(targets: list[str]) -> None:
    """Issue 15 items 2-4, literally (thread-count dependent before: run with 1 and 2 threads)."""
    x = np.array([3.0, 1.0, 3.0]); y = np.array([0.1, 0.1, -0.3])
    for target in targets:
        for api in APIS:
            out = {k: np.zeros(3) for k in ("q", "r", "fm", "mx", "mn")}
            out32 = {k: np.zeros(3, np.float32) for k in ("q32", "r32")}
            launch("for", api, "float_ops", 3, target, x=x, y=y, x32=x.astype(np.float32),
                   y32=y.astype(np.float32), **out, **out32)
            assert out["r"][0] == 3.0 % 0.1 == 0.09999999999999984, out["r"]  # was 0.0
            assert out["q"][1] == 1.0 // 0.1 == 9.0, out["q"]  # was 10.0
            assert out["q"][2] == 3.0 // -0.3 == -11.0, out["q"]  # was -10.0
            lit, ilit = np.zeros(6), np.zeros(4, np.int64)
            launch("for", api, "literal_ops", 1, target, x=np.array([3.0]), k=np.array([I64_MIN]), out=lit, iout=ilit)
            assert lit.tolist() == [3.0 % 0.1, 1.0 // 0.1, 3.0 // -0.3, 3.0 % 0.1, 3.0 // 0.1, 3.0 // -0.3], lit
            with np.errstate(all="ignore"):
                n = np.array([I64_MIN])
                want = [n // -1, n % -1, n // 7 + n % 7, n // -7 + n % -7]
            assert ilit.tolist() == [int(w[0]) for w in want] and ilit[0] == I64_MIN, ilit  # wraps as NumPy
            one_nan = np.arange(1024.0)
            one_nan[300] = np.nan
            all_nan = np.full(1000, np.nan)
            assert math.isnan(launch("reduce", api, "max_red", 1024, target, reducer="max", x=one_nan))  # was 511.0
            assert math.isnan(launch("reduce", api, "max_red_acc_first", 1000, target, reducer="max", x=all_nan))  # -inf
            assert math.isnan(launch("reduce", api, "min_red", 1024, target, reducer="min", x=one_nan))


def main(argv: list[str]) -> int:
    examples = 25
    if "--examples" in argv:
        k = argv.index("--examples")
        examples = int(argv[k + 1])
        argv = argv[:k] + argv[k + 2:]
    targets = argv or ["serial", "cpu"]
    check_issue_examples(targets)
    check_float_ops(targets, examples)
    check_int_ops(targets, examples)
    check_reducers(targets, examples)
    print(f"ok: {examples} examples per property on {', '.join(targets)} "
          f"(HPCIR_NUM_THREADS={os.environ.get('HPCIR_NUM_THREADS', '')})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
