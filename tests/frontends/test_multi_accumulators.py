"""Several accumulators in one reduction (issue 11, item 4): generated kernels pairing every reducer
with every dtype it takes, over ranges and MDRanges, through hpcir.parallel_reduce, hpcir.compile and
the PyKokkos spelling, compared with NumPy on serial and cpu; their IR at L2 and L3 verified here and
upstream; the C++ compile-checked for cuda and hip; bad input rejected before anything runs."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

import hpcir
import hpcir.pykokkos as pk
from hpcir.api import build_module, emit_cpp, lower_to_l3
from hpcir.core.errors import ArgumentError, HpcirError, KernelSyntaxError, KernelTypeError
from hpcir.dialects import context
from hpcir.dialects.upstream import verify_upstream
from tests.frontends.located_errors import Located, forbid_builds

import multi_acc_cases as mc

HERE = __file__
LOCATED = Located(HERE)


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    return mc.load(mc.CASES, tmp_path_factory.mktemp("multi") / "multi_acc_kernels.py")


def _policy(api, case: mc.MultiCase, shape: tuple[int, ...], target: str):
    if api is pk:
        space = pk.Serial if target == "serial" else pk.OpenMP
        return (pk.RangePolicy(space, 0, shape[0]) if case.rank == 1
                else pk.MDRangePolicy([0, 0], list(shape)))
    return shape[0] if case.rank == 1 else hpcir.MDRangePolicy([0, 0], list(shape))


def _launch(k: int, case: mc.MultiCase, kern, policy, args: dict, target: str):
    """Three spellings, taken in turn: hpcir.parallel_reduce, hpcir.compile(...)(...), pk.parallel_reduce."""
    if k % 3 == 0:
        return hpcir.parallel_reduce(policy, kern, reducer=case.reducers, target=target, **args)
    if k % 3 == 1:
        return hpcir.compile(kern, target=target, reducer=case.reducers)(policy, **args)
    if case.rank == 1:
        return pk.parallel_reduce(policy, kern, reducer=case.reducers, **args)
    return pk.parallel_reduce(policy, kern, reducer=case.reducers, target=target, **args)


def _compare(case: mc.MultiCase, got, want) -> None:
    assert isinstance(got, tuple) and len(got) == len(want), got
    for (r, d), g, w in zip(case.accs, got, want):
        assert type(g) is type(w), (r, d, g, w)
        if d.startswith("float"):
            rtol = 1e-4 if d == "float32" else 1e-10
            np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-5 if d == "float32" else 1e-12,
                                       err_msg=f"{r} on {d}")
        else:
            assert g == w, (r, d, g, w)


@pytest.mark.parametrize("target", ["serial", "cpu"])
@pytest.mark.parametrize("k", range(len(mc.CASES)), ids=[c.name for c in mc.CASES])
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), size=st.integers(0, 40))
def test_generated_reductions_match_numpy(kernels, k, target, seed, size):
    case = mc.CASES[k]
    rng = np.random.default_rng(seed)
    shape = (size,) if case.rank == 1 else (size // 3 + 1, size % 7)  # empty ranges included
    args = case.inputs(rng, shape)
    got = _launch(k, case, getattr(kernels, case.name), _policy(pk if k % 3 == 2 else hpcir, case, shape, target),
                  args, target)
    _compare(case, got, case.reference(args))


def test_every_reducer_and_dtype_is_generated_on_both_policies():
    for rank in (1, 2):
        covered = {a for c in mc.CASES if c.rank == rank for a in c.accs}
        assert set(mc.PAIRS) <= covered, set(mc.PAIRS) - covered
    assert {len(c.accs) for c in mc.CASES} == {2, 3}
    assert any(len({d for _, d in c.accs}) > 1 for c in mc.CASES)  # mixed dtypes in one reduction


def test_the_comparison_catches_a_wrong_answer(kernels):
    """Not vacuous: a result off by one accumulator, or of another type, fails."""
    case = mc.CASES[0]
    args = case.inputs(np.random.default_rng(0), (17,))
    want = case.reference(args)
    got = hpcir.parallel_reduce(17, getattr(kernels, case.name), reducer=case.reducers, target="serial", **args)
    _compare(case, got, want)
    with pytest.raises(AssertionError):
        _compare(case, got[::-1], want)
    with pytest.raises(AssertionError):
        _compare(case, (got[0] + 1.0,) + got[1:], want)


# ------------------------------------------------------------------------------------ the example
@hpcir.kernel
def energy(i: int, f: hpcir.Acc[float], n: hpcir.Acc[int], x: hpcir.View1D[float], x0: hpcir.View1D[float],
           cut: float):
    d = x[i] - x0[i]
    f += 0.5 * d * d
    if abs(d) > cut:
        n += 1


def test_energy_and_displaced_count_in_one_pass():
    rng = np.random.default_rng(5)
    x, x0 = rng.normal(size=1001), rng.normal(size=1001)
    for target in ("serial", "cpu"):
        e, n = hpcir.parallel_reduce(x.size, energy, x=x, x0=x0, cut=1.0, target=target)  # sum, sum
        np.testing.assert_allclose(e, 0.5 * ((x - x0) ** 2).sum(), rtol=1e-12)
        assert n == int((abs(x - x0) > 1.0).sum()) and type(n) is int


def test_cpp_value_struct_is_named_after_the_accumulators():
    cpp = hpcir.lower(energy, target="cpu")
    assert re.search(r"struct alignas\(8\) f_and_n \{\n  double f;\n  int64_t n;\n\};", cpp), cpp
    assert "dst.f = (dst.f + src.f);" in cpp and "dst.n = (dst.n + src.n);" in cpp
    assert "v.f = Kokkos::reduction_identity<double>::sum();" in cpp
    assert "KOKKOS_INLINE_FUNCTION void operator()(const int64_t i, f_and_n& acc) const {" in cpp
    assert "acc.f += " in cpp and "acc.n += 1;" in cpp


def test_kernel_decorator_takes_a_reducer_tuple():
    @hpcir.kernel(reducer=("max", "min"))
    def span(i: int, hi: hpcir.Acc[float], lo: hpcir.Acc[float], x: hpcir.View1D[float]):
        hi = max(hi, x[i])
        lo = min(lo, x[i])

    x = np.random.default_rng(2).normal(size=50)
    assert hpcir.parallel_reduce(50, span, x=x, target="serial") == (x.max(), x.min())
    l3 = hpcir.lower(span, stage="L3")
    assert "[#kokkos.reducer<max>, #kokkos.reducer<min>]" in l3 and "%hi, %lo = kokkos.parallel_reduce" in l3


# ------------------------------------------------------------------------------------------- IR
@pytest.mark.parametrize("target", ["cpu", "cuda", "hip"])
def test_ir_verifies_and_round_trips(kernels, target):
    from hpcir.frontends.python.signature import bind_launch
    from hpcir.frontends.python.types import ViewType
    from hpcir.core.targets import get_target
    specs = []
    for case in mc.CASES:
        args = case.inputs(np.random.default_rng(0), (5,) * case.rank)
        spec, _ = bind_launch(getattr(kernels, case.name), "reduce", "range" if case.rank == 1 else "mdrange",
                              case.rank, args, None, case.reducers)
        space = get_target(target).memory_space
        spec.param_types = {n: t.with_space(space) if isinstance(t, ViewType) else t
                            for n, t in spec.param_types.items()}
        spec.name = case.name
        specs.append(spec)
    l2 = build_module(specs, target)
    l2.verify()
    verify_upstream(l2)
    l3 = lower_to_l3(l2.clone(), target)
    verify_upstream(l3)
    text = str(l3)
    again = Parser(context(), text).parse_module()
    again.verify()
    assert str(again) == text
    launches = [op for op in l3.walk() if op.name == "kokkos.parallel_reduce"]
    # bool min / max / band / bor are and / or (convert-scf-to-kokkos matches the combiner, arith.andi / ori)
    same = {"min": "land", "max": "lor", "band": "land", "bor": "lor"}
    want = [[same.get(r, r) if d == "bool" else r for r, d in c.accs] for c in mc.CASES]
    assert [[r.data.value for r in op.reducers.data] for op in launches] == want


MIXED = """
func.func @f(%lo: index, %hi: index, %x: memref<?xf64>) -> (f64, i64) {
  %z = arith.constant 0.0 : f64
  %c = arith.constant 0 : i64
  %e, %n = kokkos.parallel_reduce "energy" #kokkos.range on <default>(%lo, %hi) init(%z, %c : f64, i64) \
[#kokkos.reducer<sum>, #kokkos.reducer<max>] {
  ^bb0(%i: index, %a: f64, %b: i64):
    %v = memref.load %x[%i] : memref<?xf64>
    %a2 = arith.addf %a, %v : f64
    kokkos.yield %a2, %b : f64, i64
  } -> f64, i64
  func.return %e, %n : f64, i64
}
"""


def _generic(module) -> str:
    out = io.StringIO()
    Printer(stream=out, print_generic_format=True).print_op(module)
    return out.getvalue()


def test_mixed_type_reduce_op_round_trips():
    module = Parser(context(), MIXED).parse_module()
    module.verify()
    for text in (str(module), _generic(module)):
        again = Parser(context(), text).parse_module()
        again.verify()
        assert str(again) == str(module)
    verify_upstream(module)


@pytest.mark.parametrize("edit, words", [
    (("[#kokkos.reducer<sum>, #kokkos.reducer<max>]", "[#kokkos.reducer<sum>]"), "has 2 results but 1 reducers"),
    (("#kokkos.reducer<max>]", "#kokkos.reducer<max>, #kokkos.reducer<min>]"), "has 2 results but 3 reducers"),
    (("#kokkos.reducer<sum>, #kokkos.reducer<max>", "#kokkos.reducer<band>, #kokkos.reducer<max>"), "result #0"),
    (("kokkos.yield %a2, %b : f64, i64", "kokkos.yield %a2 : f64"), "yield"),
])
def test_reduce_op_verifier_rejects_mismatches(edit, words):
    module = Parser(context(), MIXED.replace(*edit)).parse_module()
    with pytest.raises(VerifyException, match=re.escape(words)):
        module.verify()


# ------------------------------------------------------------------------------- GPU compile check
@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_multi_accumulator_kernels_compile_for_gpu(kernels, target):
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.core.targets import get_target
    from test_kernel_ir import spec_for
    from kernel_cases import CASES
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    specs = [spec_for(c, target) for c in CASES if isinstance(c.reducer, tuple)]
    for case in mc.CASES:
        args = case.inputs(np.random.default_rng(0), (5,) * case.rank)
        spec, _ = __import__("hpcir.frontends.python.signature", fromlist=["bind_launch"]).bind_launch(
            getattr(kernels, case.name), "reduce", "range" if case.rank == 1 else "mdrange", case.rank, args,
            None, case.reducers)
        space = get_target(target).memory_space
        spec.param_types = {n: t.with_space(space) if hasattr(t, "with_space") else t
                            for n, t in spec.param_types.items()}
        spec.name = case.name
        specs.append(spec)
    module = lower_to_l3(build_module(specs, target), target)
    sources = emit_cpp(module, target, f"multi_acc_{target}")
    assert "struct alignas(8) f_and_n {" in sources[f"multi_acc_{target}.cpp"]
    compile_only(sources, get_target(target), install)


# ------------------------------------------------------------------------------------ bad input
where, check = LOCATED.where, LOCATED.check


@pytest.fixture
def no_build(monkeypatch):
    forbid_builds(monkeypatch)


@hpcir.kernel
def two(i: int, f: hpcir.Acc[float], n: hpcir.Acc[int], x: hpcir.View1D[float]):  # E-two
    f += x[i]
    n += 1


X = np.ones(8)


def test_reducer_tuple_too_short(no_build):
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_reduce(8, two, x=X, reducer=("sum",))  # E-short
    check(e.value, "# E-short", "hpcir.parallel_reduce", "names 1 reducer(s) but kernel two has 2 accumulator(s): f, n")
    assert "reducer=('sum', 'sum')" in str(e.value)  # the hint: one per accumulator


def test_reducer_tuple_too_long(no_build):
    with pytest.raises(ArgumentError) as e:
        hpcir.compile(two, target="serial", reducer=("sum", "max", "min"))(8, x=X)  # E-long
    check(e.value, "# E-long", "hpcir.compile", "names 3 reducer(s) but kernel two has 2 accumulator(s)")


def test_empty_reducer_tuple(no_build):
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_reduce(8, two, x=X, reducer=())  # E-empty
    check(e.value, "# E-empty", "hpcir.parallel_reduce", "names no reducer")


def test_unknown_reducer_in_a_tuple(no_build):
    with pytest.raises(ArgumentError) as e:
        pk.parallel_reduce(8, two, x=X, reducer=("sum", "mean"))  # E-unknown
    check(e.value, "# E-unknown", "pk.parallel_reduce", "unknown reducer 'mean'")


def test_reducer_not_defined_on_the_dtype(no_build):
    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_reduce(8, two, x=X, reducer=("band", "sum"))
    check(e.value, "# E-two", "f: hpcir.Acc[float]", "reducer 'band' is not defined on float64 accumulators "
          "(accumulator `f`)")
    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_reduce(8, two, x=X, reducer=("sum", "land"))
    check(e.value, "# E-two", "n: hpcir.Acc[int]", "reducer 'land' is not defined on int64")


def test_returning_values_from_a_reduction(no_build):
    @hpcir.kernel
    def k(i: int, f: hpcir.Acc[float], n: hpcir.Acc[int], x: hpcir.View1D[float]):
        return x[i], 1  # E-ret

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_reduce(8, k, x=X, reducer=("sum", "sum"))
    check(e.value, "# E-ret", "return", "returns 2 value(s): a reduction's results are the final values of its "
          "accumulator(s) f, n")


def test_a_second_accumulator_is_not_an_argument(no_build):
    """What issue 11 met: `kernel two_acc needs argument(s) b`; now b is an accumulator, and passing it fails."""
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_reduce(8, two, x=X, n=3)  # E-passed
    check(e.value, "# E-passed", "hpcir.parallel_reduce", "has no parameter(s) n")


def test_unannotated_accumulators_count_from_the_tuple():
    @hpcir.kernel
    def k(i, s, m, x):
        s += x[i]
        m = max(m, x[i])

    x = np.random.default_rng(3).normal(size=30)
    s, m = hpcir.parallel_reduce(30, k, x=x, reducer=("sum", "max"), target="serial")
    assert m == x.max() and abs(s - x.sum()) < 1e-12
    s, m = hpcir.compile(k, target="serial", reducer=("sum", "max"))(30, x=x)  # reducer= makes it a reduction
    assert m == x.max() and abs(s - x.sum()) < 1e-12


# ------------------------------------------------------------------ nested team reductions, programs
def test_nested_team_reduction_with_several_accumulators():
    from kernel_cases import team_nested_multi
    k = hpcir.kernel(team_nested_multi)
    a = np.random.default_rng(4).normal(size=(9, 29))
    for target in ("serial", "cpu"):
        rmax = np.zeros(9)
        s, c = hpcir.parallel_reduce(hpcir.TeamPolicy(9, hpcir.AUTO), k, a=a, rmax=rmax,
                                     reducer=("sum", "sum"), target=target)
        np.testing.assert_allclose(s, a.sum(), rtol=1e-12)
        assert c == int((a > 0).sum())
        np.testing.assert_array_equal(rmax, a.max(axis=1))  # the nested "max", per team
    from kernel_cases import CASES
    from test_kernel_ir import spec_for
    case = next(c for c in CASES if c.name == "team_nested_multi")
    cpp = emit_cpp(lower_to_l3(build_module([spec_for(case, "cuda")], "cuda"), "cuda"), "cuda", "nested")["nested.cpp"]
    assert "struct alignas(8) t_and_m_and_k {" in cpp and "dst.m = hpcir::maximumf(dst.m, src.m);" in cpp


def test_nested_reduction_bad_input(no_build):
    @hpcir.kernel
    def k1(team: hpcir.TeamMember, s: hpcir.Acc[float], a: hpcir.View2D[float]):
        def inner(j, t, m):
            t += a[0, j]
            m = max(m, a[0, j])

        t = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, 4), inner, reducer=("sum", "max"))  # E-one-name
        s += t

    @hpcir.kernel
    def k2(team: hpcir.TeamMember, s: hpcir.Acc[float], a: hpcir.View2D[float]):
        def inner(j, t, m):
            t += a[0, j]

        t, m, q = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, 4), inner, reducer=("sum", "max"))  # E-3names
        s += t

    @hpcir.kernel
    def k3(team: hpcir.TeamMember, s: hpcir.Acc[float], a: hpcir.View2D[float]):
        def inner(j, t, m):
            t += a[0, j]

        t, m = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, 4), inner, reducer=("sum", "avg"))  # E-avg
        s += t

    @hpcir.kernel
    def k4(team: hpcir.TeamMember, s: hpcir.Acc[float], a: hpcir.View2D[float]):
        def inner(j, t):
            t += a[0, j]

        t, m = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, 4), inner, reducer=("sum", "max"))  # E-params
        s += t

    @hpcir.kernel
    def k5(team: hpcir.TeamMember, s: hpcir.Acc[float], a: hpcir.View2D[float]):
        def inner(j, t, m: hpcir.Acc[float]):
            t += a[0, j]

        t, m = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, 4), inner, reducer=("sum", "bor"))  # E-bor
        s += t

    a = np.ones((2, 4))
    pol = hpcir.TeamPolicy(2, 1)
    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_reduce(pol, k1, a=a)
    check(e.value, "# E-one-name", "hpcir.parallel_reduce", "has 2 accumulators and returns 2 values")
    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_reduce(pol, k2, a=a)
    check(e.value, "# E-3names", "t, m, q", "3 names are assigned from a call that returns 2 value(s)")
    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_reduce(pol, k3, a=a)
    check(e.value, "# E-avg", '"avg"', "unknown reducer `'avg'` in a nested parallel_reduce")
    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_reduce(pol, k4, a=a)
    check(e.value, "# E-params", "inner, reducer", "must take 3 parameter(s), it takes 2")
    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_reduce(pol, k5, a=a)
    check(e.value, "# E-bor", "hpcir.parallel_reduce", "reducer 'bor' is not defined on float64 (accumulator `m`)")


PROGRAM = '''import hpcir


@hpcir.kernel
def fill(i: int, x: hpcir.View1D[float]):
    x[i] = 0.5 * i


@hpcir.kernel
def stats(i: int, s: hpcir.Acc[float], m: hpcir.Acc[float], x: hpcir.View1D[float]):
    s += x[i]
    m = max(m, x[i])


@hpcir.program
def main():
    x = hpcir.View((100,), float)
    hpcir.parallel_for(100, fill, x=x)
    s, m = hpcir.parallel_reduce(100, stats, x=x, reducer=("sum", "max"))
    print("sum", s, "max", m)
'''


def test_program_launches_a_reduction_with_several_accumulators(tmp_path, capsys):
    from hpcir.cli import main
    src = tmp_path / "prog.py"
    src.write_text(PROGRAM)
    assert main(["lower", str(src), "--emit=mlir", "--stage=L2"]) == 0
    l2 = capsys.readouterr().out
    assert re.search(r'%s\w*, %m\w* = "func.call"\(.*<\{callee = @stats\}> : .* -> \(f64, f64\)', l2), l2
    verify_upstream(l2)  # the generic text the CLI prints is upstream MLIR
    out = tmp_path / "cpp"
    assert main(["lower", str(src), "-o", str(out)]) == 0
    cpp = (out / "prog.cpp").read_text()
    assert "const auto stats_values = stats(" in cpp
    assert "const double s = stats_values.r0;" in cpp and "const double m = stats_values.r1;" in cpp
    import importlib.util
    spec = importlib.util.spec_from_file_location("multi_acc_prog", src)  # the program also runs as Python
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    capsys.readouterr()
    mod.main()
    assert capsys.readouterr().out.strip() == f"sum {0.5 * sum(range(100))} max 49.5"
