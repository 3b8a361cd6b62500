"""Arithmetic semantics of kernels (issue 15 items 2-4; docs/reliability.md): Python's float `//`
and `%`, C's math.fmod, NaN-propagating max/min and max/min reductions that do not depend on the
thread count, integer division by zero as a located ZeroDivisionError (the process lives on),
INT64_MIN // -1 wrapping as in NumPy.

The differential properties (hypothesis, data drawn per example, kernels in semantics_kernels.py)
run in one subprocess per thread count: Kokkos reads HPCIR_NUM_THREADS once per process.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.parser import Parser

import hpcir
import hpcir.pykokkos as pk
from hpcir.backends.kokkos_cpp import emit_module
from hpcir.core.errors import HpcirError
from hpcir.dialects import context

import semantics_kernels as sk

HERE = Path(__file__).resolve().parent
THREAD_VARS = ("HPCIR_NUM_THREADS", "OMP_NUM_THREADS", "KOKKOS_NUM_THREADS")
# CI-sized: a few seconds of launches per thread count once the kernels are built (a long run:
# `python tests/frontends/semantics_kernels.py serial cpu --examples 2000`).
EXAMPLES = int(os.environ.get("HPCIR_SEMANTICS_EXAMPLES", "25"))


def _line_of(text: str, path: Path = HERE / "semantics_kernels.py", after: str = "def int_ops(") -> int:
    """The line number of `text` (a whole line) in `path`, after the line starting with `after`."""
    lines = path.read_text().splitlines()
    start = next((k for k, line in enumerate(lines) if line.startswith(after)), 0)
    return next(k for k, line in enumerate(lines[start:], start + 1) if line.strip() == text)


@pytest.mark.parametrize("threads", [1, 2])
def test_properties_serial_and_cpu(threads):
    """Both targets, both APIs, with 1 and 2 OpenMP threads: float and integer // and %, fmod,
    max/min, zero divisors, nan and ±inf, every reducer; and the issue's examples as they were."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS} | {"HPCIR_NUM_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, str(HERE / "semantics_kernels.py"), "serial", "cpu",
                           "--examples", str(EXAMPLES)], capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]
    assert f"HPCIR_NUM_THREADS={threads}" in proc.stdout


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_issue_examples(target):
    """3.0 % 0.1, 1.0 // 0.1, 3.0 // -0.3, INT64_MIN // -1, nan in max/min reductions (in this process)."""
    sk.check_issue_examples([target])


@pytest.mark.parametrize("api", list(sk.APIS))
@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_integer_division_by_zero_is_a_located_error(api, target):
    x = np.array([7, -7, 5, 9], dtype=np.int64)
    y = np.array([2, 0, 1, 3], dtype=np.int64)
    args = dict(x=x, x32=np.ones(4, np.int32), y32=np.ones(4, np.int32), q=np.zeros(4, np.int64),
                r=np.zeros(4, np.int64), q32=np.zeros(4, np.int32), r32=np.zeros(4, np.int32))
    with pytest.raises(ZeroDivisionError) as info:
        sk.launch("for", api, "int_ops", 4, target, y=y, **args)
    err = info.value
    assert isinstance(err, hpcir.KernelZeroDivisionError) and isinstance(err, HpcirError)
    # the first check in the kernel: its `//` line, Python's words, the launch named in the hint
    assert (err.loc.filename, err.loc.line) == (str(HERE / "semantics_kernels.py"), _line_of("q[i] = x[i] // y[i]"))
    assert err.message == "integer division or modulo by zero"
    text = str(err)
    assert f"semantics_kernels.py:{err.loc.line}:" in text and "q[i] = x[i] // y[i]" in text and "^" in text
    assert err.hint.startswith("raised by the launch at ") and "semantics_kernels.py:" in err.hint
    # the process lives on, the flag was cleared: the next launch runs and is right
    sk.launch("for", api, "int_ops", 4, target, y=np.array([2, -2, 1, 3]), **args)
    assert args["q"].tolist() == [3, 3, 5, 3] and args["r"].tolist() == [1, -1, 0, 0]


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_the_first_division_by_a_zero_divisor_is_reported(target):
    """A zero only in the int32 divisor: the first check of it, at the int32 `//` line, fails."""
    one = np.ones(3, np.int64)
    with pytest.raises(hpcir.KernelZeroDivisionError) as info:
        sk.launch("for", "hpcir", "int_ops", 3, target, x=one, y=one, q=one.copy(), r=one.copy(),
                  x32=np.ones(3, np.int32), y32=np.array([1, 0, 1], np.int32), q32=np.zeros(3, np.int32),
                  r32=np.zeros(3, np.int32))
    assert info.value.loc.line == _line_of("q32[i] = x32[i] // y32[i]")
    assert info.value.message == "integer division or modulo by zero"


@hpcir.kernel
def mod_only(i: int, x: hpcir.View1D[int], d: int, out: hpcir.View1D[int]):
    out[i] = x[i] % d


def test_modulo_by_zero_says_modulo():
    out = np.zeros(3, np.int64)
    with pytest.raises(hpcir.KernelZeroDivisionError) as info:
        hpcir.parallel_for(3, mod_only, x=np.arange(3), d=0, out=out)
    assert info.value.message == "integer modulo by zero"  # Python's words for `%`
    assert info.value.loc.line == _line_of("out[i] = x[i] % d", Path(__file__))


# A reduction and a team kernel dividing by a run-time value: the flag in other launch kinds.
@hpcir.kernel
def div_sum(i: int, acc: hpcir.Acc[int], x: hpcir.View1D[int], d: int):
    acc += x[i] // d + x[i] % d


@hpcir.kernel
def team_div(team: hpcir.TeamMember, x: hpcir.View2D[int], d: hpcir.View1D[int], out: hpcir.View1D[int]):
    row = team.league_rank()

    def inner(j: int, s: hpcir.Acc[int]):
        s += x[row, j] // d[row]

    out[row] = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, x.extent(1)), inner)


def test_checks_in_reductions_and_team_kernels():
    x = np.arange(-20, 20, dtype=np.int64)
    assert hpcir.parallel_reduce(len(x), div_sum, x=x, d=-3) == int(np.sum(x // -3 + x % -3))
    with pytest.raises(hpcir.KernelZeroDivisionError) as info:
        hpcir.parallel_reduce(len(x), div_sum, x=x, d=0)
    assert info.value.loc.line == _line_of("acc += x[i] // d + x[i] % d", Path(__file__))
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    out = np.zeros(3, np.int64)
    hpcir.parallel_for(hpcir.TeamPolicy(3, hpcir.AUTO), team_div, x=a, d=np.array([1, 2, -3]), out=out)
    assert out.tolist() == (a // np.array([[1], [2], [-3]])).sum(axis=1).tolist()
    with pytest.raises(ZeroDivisionError) as info:
        hpcir.parallel_for(hpcir.TeamPolicy(3, hpcir.AUTO), team_div, x=a, d=np.array([1, 0, 1]), out=out)
    assert info.value.loc.line == _line_of("s += x[row, j] // d[row]", Path(__file__))


def test_pykokkos_max_reduction_with_nan_and_threads_independent_join():
    """pk's spelling of the issue's reduction (a pk.Acc, pk.double views)."""
    @pk.workunit
    def vmax(i: int, acc: pk.Acc[pk.double], x: pk.View1D[pk.double]):
        acc = max(x[i], acc)

    x = np.arange(4096.0)
    x[17] = np.nan
    assert math.isnan(pk.parallel_reduce(pk.RangePolicy(pk.OpenMP, 0, len(x)), vmax, x=x, reducer="max"))
    x[17] = 3.0
    assert pk.parallel_reduce(pk.RangePolicy(pk.OpenMP, 0, len(x)), vmax, x=x, reducer="max") == 4095.0


# --- the generated C++ (no build) ----------------------------------------------------------------

def _cpp(fn, target="cpu") -> str:
    """The module's .cpp (not its header or the prelude)."""
    text = hpcir.lower(hpcir.kernel(fn), target=target)
    start = text.index(f"// ---- {fn.__name__}.cpp ----")
    return text[start: text.find("// ---- ", start + 1)]


def test_generated_checks_read_as_written():
    cpp = _cpp(sk.int_ops)
    line = _line_of("q[i] = x[i] // y[i]")
    assert "hpcir::check_flag<Kokkos::OpenMP> checks;" in cpp  # a functor member
    assert f"if (v == 0) checks.fail(1);  // {HERE / 'semantics_kernels.py'}:{line}:12: ZeroDivisionError" in cpp
    assert "checks.throw_if_failed(check_messages);" in cpp  # right after the launch
    assert "hpcir::floordiv(x(i), v)" in cpp and "hpcir::remsi(" in cpp
    # constant divisors: no check, no flag; `%` by a constant keeps the C++ operator
    lit = _cpp(sk.literal_ops)
    assert "check_flag" not in lit and "fail(" not in lit
    assert " % 7" in lit and "int64_t(-1LL))" in lit


def test_float_and_max_min_lower_to_upstream_ops():
    ir = hpcir.lower(hpcir.kernel(sk.float_ops), stage="L2")
    assert ir.count("arith.remf") == 5  # //, % (f64 and f32) and math.fmod
    assert "arith.maximumf" in ir and "arith.minimumf" in ir and "math.floor" in ir
    assert "hpcir::kmath::fmod(" in _cpp(sk.float_ops)
    red = hpcir.lower(hpcir.kernel(sk.max_red, reducer="max"))
    assert "hpcir::maximumf(dst.v0, src.v0)" in red  # the join propagates nan too


def test_checks_and_remainders_parse_upstream():
    """cf.assert and arith.remf are upstream MLIR: L2 and L3 verify with upstream MLIR as printed."""
    pytest.importorskip("mlir.ir")
    from hpcir.api import build_module, lower_to_l3
    from hpcir.dialects.upstream import verify_upstream
    from hpcir.frontends.python.signature import annotated_spec
    for fn in (sk.float_ops, sk.int_ops):
        spec = annotated_spec(hpcir.kernel(fn))
        spec.name = fn.__name__
        verify_upstream(build_module([spec], "cpu"))
        l3 = lower_to_l3(build_module([spec], "cpu"), "cpu")
        verify_upstream(l3)
        assert str(l3).count("cf.assert") == (4 if fn is sk.int_ops else 0)


def test_host_code_checks_throw_at_once():
    """A cf.assert outside a launch (host code) throws hpcir::check_failed where it stands."""
    text = """
    func.func @host(%a: i64, %b: i64) -> i64 attributes {kokkos.host_program} {
      %c0 = arith.constant 0 : i64
      %0 = arith.cmpi ne, %b, %c0 : i64
      cf.assert %0, "p.py:3:9: ZeroDivisionError: integer division or modulo by zero"
      %q = arith.floordivsi %a, %b : i64
      func.return %q : i64
    }"""
    module = Parser(context(), f"builtin.module attributes {{kokkos.target = \"cpu\"}} {{{text}}}").parse_module()
    cpp = emit_module(module, "hostdiv").files["hostdiv.cpp"]
    assert 'if (b == 0) throw hpcir::check_failed("p.py:3:9: ZeroDivisionError: integer division or modulo by ' \
           'zero");' in cpp
    assert "hpcir::floordiv(a, b)" in cpp


def test_check_error_text_round_trip():
    from hpcir.core.errors import KernelCheckError, check_error
    err = check_error('/a:b/k "x".py:12:5: ZeroDivisionError: integer modulo by zero')
    assert isinstance(err, ZeroDivisionError) and err.loc.filename == '/a:b/k "x".py'
    assert (err.loc.line, err.loc.col, err.message) == (12, 4, "integer modulo by zero")
    other = check_error("something else")
    assert type(other) is KernelCheckError and other.message == "something else"


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_semantics_kernels_compile_for_gpu(target):
    """The check flag in device memory, the helpers and the NaN-propagating joins compile with nvcc /
    hipcc against Kokkos CUDA / HIP (compile only: no GPU here)."""
    from hpcir.api import build_module, emit_cpp, lower_to_l3
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.core.targets import get_target
    from hpcir.frontends.python.signature import annotated_spec
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    specs = []
    for fn, reducer in [(sk.float_ops, None), (sk.int_ops, None), (sk.max_red, "max"), (sk.min_red, "min")]:
        spec = annotated_spec(hpcir.kernel(fn, reducer=reducer))
        spec.name = fn.__name__
        specs.append(spec)
    sources = emit_cpp(lower_to_l3(build_module(specs, target), target), target, f"semantics_{target}")
    cpp = sources[f"semantics_{target}.cpp"]
    exec_space = {"cuda": "Kokkos::Cuda", "hip": "HPCIR_HIP_EXEC"}[target]
    assert f"hpcir::check_flag<{exec_space}> checks;" in cpp and "hpcir::maximumf(dst.v0, src.v0)" in cpp
    compile_only(sources, get_target(target), install)
