"""kokkos-fuse: interpreter differential checks (the IR-in/IR-out checks and refusals are in tests/passes/kokkos-fuse/)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fusetools import interpret
from irtools import parse_mlir, run
from hpcir.dialects import kokkos as kk
from hpcir.dialects.upstream import verify_upstream
from hpcir.pipeline import run_pipeline

M = "memref<?x?xf64>"
IR_TESTS = Path(__file__).parent / "kokkos-fuse"

# ISSUE5's hdiff as xDSL's convert-stencil-to-ll-mlir lowers it: lap -> flx, fly -> out, interior [2, n-2).
HDIFF = f"""
func.func @hdiff(%n: index, %u: {M}, %coeff: {M}, %out: {M}) attributes {{kokkos.host_program}} {{
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4.0 : f64
  %hi = arith.subi %n, %c2 : index
  %hi1 = arith.addi %hi, %c1 : index
  %lap = memref.alloc(%n, %n) : {M}
  %flx = memref.alloc(%n, %n) : {M}
  %fly = memref.alloc(%n, %n) : {M}
  scf.parallel (%i, %j) = (%c1, %c1) to (%hi1, %hi1) step (%c1, %c1) {{
    %ip = arith.addi %i, %c1 : index
    %im = arith.subi %i, %c1 : index
    %jp = arith.addi %j, %c1 : index
    %jm = arith.subi %j, %c1 : index
    %u0 = memref.load %u[%i, %j] : {M}
    %u1 = memref.load %u[%ip, %j] : {M}
    %u2 = memref.load %u[%im, %j] : {M}
    %u3 = memref.load %u[%i, %jp] : {M}
    %u4 = memref.load %u[%i, %jm] : {M}
    %s1 = arith.addf %u1, %u2 : f64
    %s2 = arith.addf %s1, %u3 : f64
    %s3 = arith.addf %s2, %u4 : f64
    %m = arith.mulf %c4, %u0 : f64
    %l = arith.subf %m, %s3 : f64
    memref.store %l, %lap[%i, %j] : {M}
    scf.reduce
  }}
  scf.parallel (%i, %j) = (%c1, %c2) to (%hi, %hi) step (%c1, %c1) {{
    %ip = arith.addi %i, %c1 : index
    %a = memref.load %lap[%ip, %j] : {M}
    %b = memref.load %lap[%i, %j] : {M}
    %d = arith.subf %a, %b : f64
    memref.store %d, %flx[%i, %j] : {M}
    scf.reduce
  }}
  scf.parallel (%i, %j) = (%c2, %c1) to (%hi, %hi) step (%c1, %c1) {{
    %jp = arith.addi %j, %c1 : index
    %a = memref.load %lap[%i, %jp] : {M}
    %b = memref.load %lap[%i, %j] : {M}
    %d = arith.subf %a, %b : f64
    memref.store %d, %fly[%i, %j] : {M}
    scf.reduce
  }}
  scf.parallel (%i, %j) = (%c2, %c2) to (%hi, %hi) step (%c1, %c1) {{
    %im = arith.subi %i, %c1 : index
    %jm = arith.subi %j, %c1 : index
    %x0 = memref.load %flx[%i, %j] : {M}
    %x1 = memref.load %flx[%im, %j] : {M}
    %y0 = memref.load %fly[%i, %j] : {M}
    %y1 = memref.load %fly[%i, %jm] : {M}
    %dx = arith.subf %x0, %x1 : f64
    %dy = arith.subf %y0, %y1 : f64
    %t = arith.addf %dx, %dy : f64
    %cf = memref.load %coeff[%i, %j] : {M}
    %ct = arith.mulf %cf, %t : f64
    %u0 = memref.load %u[%i, %j] : {M}
    %r = arith.subf %u0, %ct : f64
    memref.store %r, %out[%i, %j] : {M}
    scf.reduce
  }}
  memref.dealloc %lap : {M}
  memref.dealloc %flx : {M}
  memref.dealloc %fly : {M}
  return
}}
"""


def hdiff_numpy(u: np.ndarray, coeff: np.ndarray, out: np.ndarray) -> np.ndarray:
    """ISSUE5's hdiff on the interior [2, n-2) by slicing (independent of any IR)."""
    n = u.shape[0]
    lap = np.zeros_like(u)
    lap[1:n - 1, 1:n - 1] = 4 * u[1:n - 1, 1:n - 1] - (u[2:n, 1:n - 1] + u[0:n - 2, 1:n - 1]
                                                       + u[1:n - 1, 2:n] + u[1:n - 1, 0:n - 2])
    flx = lap[2:n - 1, :] - lap[1:n - 2, :]   # flx[i] for i in [1, n-2)
    fly = lap[:, 2:n - 1] - lap[:, 1:n - 2]   # fly[:, j] for j in [1, n-2)
    res = out.copy()
    s = slice(2, n - 2)
    res[s, s] = u[s, s] - coeff[s, s] * (flx[1:n - 3, s] - flx[0:n - 4, s] + fly[s, 1:n - 3] - fly[s, 0:n - 4])
    return res


def _hdiff_inputs(n: int = 9, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n)), rng.uniform(0.1, 1.0, (n, n)), rng.standard_normal((n, n))


def test_hdiff_fused_matches_numpy_and_unfused():
    u, coeff, out0 = _hdiff_inputs()
    before = parse_mlir(HDIFF)
    after = parse_mlir(HDIFF)
    run_pipeline(after, "kokkos-fuse,canonicalize,cse")
    ref = hdiff_numpy(u, coeff, out0)
    got_before = interpret(before, "hdiff", [u.shape[0]], [u, coeff, out0])[2]
    got_after = interpret(after, "hdiff", [u.shape[0]], [u, coeff, out0])[2]
    np.testing.assert_allclose(got_before, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_after, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_hdiff_l3_becomes_one_launch(target):
    module = parse_mlir(HDIFF)
    run_pipeline(module, f"kokkos-set-target{{target={target}}},kokkos-memory-spaces,convert-scf-to-kokkos")
    assert str(module).count("kokkos.parallel_for") == 4
    run_pipeline(module, "kokkos-fuse,canonicalize,cse")
    out = str(module)
    assert out.count("kokkos.parallel_for") == 1
    assert "memref.alloc" not in out and "memref.dealloc" not in out
    verify_upstream(module)
    u, coeff, out0 = _hdiff_inputs(8, seed=3)
    got = interpret(module, "hdiff", [8], [u, coeff, out0], seed=5)[2]
    np.testing.assert_allclose(got, hdiff_numpy(u, coeff, out0), rtol=1e-12, atol=1e-12)


# Two 1-D loops; PROD/CONS are the bodies, BOUNDS2 the consumer's bounds.
PAIR = """
func.func @pair(%n: index, %a: memref<?xf64>, %b: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2.0 : f64
  %nm = arith.subi %n, %c1 : index
  %t = memref.alloc(%n) : memref<?xf64>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf64>
    PROD
    scf.reduce
  }
  scf.parallel (%i) = BOUNDS2 step (%c1) {
    CONS
    scf.reduce
  }
  TAIL
  return
}
"""


def pair(prod: str = "%y = arith.mulf %x, %c2 : f64\n memref.store %y, %t[%i] : memref<?xf64>",
         cons: str = "%v = memref.load %t[%i] : memref<?xf64>\n memref.store %v, %b[%i] : memref<?xf64>",
         bounds: str = "(%c0) to (%n)", tail: str = "memref.dealloc %t : memref<?xf64>") -> str:
    return PAIR.replace("PROD", prod).replace("CONS", cons).replace("BOUNDS2", bounds).replace("TAIL", tail)


def test_offset_read_recomputed_at_the_shifted_index_computes_the_same():
    """The fused loop of kokkos-fuse/offset_read.mlir (which checks its IR) computes b[i] = 2 a[i+1]."""
    module, _ = run((IR_TESTS / "offset_read.mlir").read_text(), "kokkos-fuse,canonicalize,cse")
    a = np.arange(6.0)
    got = interpret(module, "pair", [6], [a, np.zeros(6)])[1]
    np.testing.assert_array_equal(got[:5], 2 * a[1:])


def test_store_to_argument_read_at_the_same_index_merges_loops_and_forwards():
    prod = "%y = arith.mulf %x, %c2 : f64\n memref.store %y, %b[%i] : memref<?xf64>"
    cons = ("%v = memref.load %b[%i] : memref<?xf64>\n %w = arith.addf %v, %v : f64\n"
            " memref.store %w, %a[%i] : memref<?xf64>")
    module, out = run(pair(prod=prod, cons=cons, tail=""), "kokkos-fuse")
    assert out.count('"scf.parallel"') == 1
    assert out.count("memref.load") == 1  # b[i] is taken from the store, not reloaded
    verify_upstream(module)
    a = np.arange(5.0)
    a2, b2 = interpret(module, "pair", [5], [a, np.zeros(5)])
    np.testing.assert_array_equal(b2, 2 * a)
    np.testing.assert_array_equal(a2, 4 * a)


# Cases where recomputation is not provably right but merging the two loops is (same-index accesses).
KEEP_TEMPORARY = {
    # the consumer overwrites what the producer read: recomputation would see new values
    "consumer writes the producer's input": dict(
        cons="%v = memref.load %t[%i] : memref<?xf64>\n memref.store %v, %a[%i] : memref<?xf64>"),
    # the temporary is read again after the loops
    "temporary read later": dict(tail="%z = memref.load %t[%c0] : memref<?xf64>\n"
                                      " memref.store %z, %b[%c0] : memref<?xf64>"),
    # the temporary escapes to a call
    "temporary passed to a call": dict(tail="func.call @g(%t) : (memref<?xf64>) -> ()"),
}

CALLEE = "\nfunc.func @g(%m: memref<?xf64>) {\n  return\n}\n"


def _with_callee(case: dict) -> str:
    text = pair(**case).replace("%nm = arith", "%nm2 = arith.muli %n, %c1 : index\n  %nm = arith")
    return text + CALLEE


@pytest.mark.parametrize("case", sorted(KEEP_TEMPORARY))
def test_temporaries_with_other_uses_are_kept_but_loops_merge(case):
    text = _with_callee(KEEP_TEMPORARY[case])
    before = parse_mlir(text)
    module, out = run(text, "kokkos-fuse")
    assert "memref.alloc" in out and out.count('"scf.parallel"') == 1
    verify_upstream(module)
    a = np.linspace(1.0, 2.0, 6)
    ref = interpret(before, "pair", [6], [a, np.zeros(6)])
    got = interpret(module, "pair", [6], [a, np.zeros(6)])
    for r, g in zip(ref, got):
        np.testing.assert_array_equal(g, r)


def test_launches_on_different_execution_spaces_are_not_fused():
    module = parse_mlir(pair(cons="%ip = arith.addi %i, %c1 : index\n %v = memref.load %t[%ip] : memref<?xf64>\n"
                                  " memref.store %v, %b[%i] : memref<?xf64>", bounds="(%c0) to (%nm)")
                        .replace("memref<?xf64>) {", "memref<?xf64>) attributes {kokkos.host_program} {", 1))
    run_pipeline(module, "kokkos-set-target{target=cpu},kokkos-memory-spaces,convert-scf-to-kokkos")
    launches = [op for op in module.walk() if isinstance(op, kk.ParallelForOp)]
    assert len(launches) == 2
    launches[1].exec_space = kk.ExecSpaceAttr("serial")  # the consumer runs elsewhere
    before = str(module)
    run_pipeline(module, "kokkos-fuse")
    assert str(module) == before


F = "!stencil.field<[-4,12]x[-4,12]xf64>"
T = "!stencil.temp<?x?xf64>"

# ISSUE5's hdiff in xDSL's stencil dialect; xDSL's own passes lower it to four scf.parallel loops.
HDIFF_STENCIL = f"""
func.func @hdiff(%u: {F}, %coeff: {F}, %out: {F}) {{
  %ut = stencil.load %u : {F} -> {T}
  %ct = stencil.load %coeff : {F} -> {T}
  %lap = stencil.apply(%a = %ut : {T}) -> ({T}) {{
    %four = arith.constant 4.0 : f64
    %c = stencil.access %a[0, 0] : {T}
    %e = stencil.access %a[1, 0] : {T}
    %w = stencil.access %a[-1, 0] : {T}
    %n = stencil.access %a[0, 1] : {T}
    %s = stencil.access %a[0, -1] : {T}
    %s1 = arith.addf %e, %w : f64
    %s2 = arith.addf %s1, %n : f64
    %s3 = arith.addf %s2, %s : f64
    %m = arith.mulf %four, %c : f64
    %r = arith.subf %m, %s3 : f64
    stencil.return %r : f64
  }}
  %flx = stencil.apply(%l = %lap : {T}) -> ({T}) {{
    %p = stencil.access %l[1, 0] : {T}
    %q = stencil.access %l[0, 0] : {T}
    %r = arith.subf %p, %q : f64
    stencil.return %r : f64
  }}
  %fly = stencil.apply(%l = %lap : {T}) -> ({T}) {{
    %p = stencil.access %l[0, 1] : {T}
    %q = stencil.access %l[0, 0] : {T}
    %r = arith.subf %p, %q : f64
    stencil.return %r : f64
  }}
  %o = stencil.apply(%a = %ut : {T}, %k = %ct : {T}, %fx = %flx : {T}, %fy = %fly : {T}) -> ({T}) {{
    %x0 = stencil.access %fx[0, 0] : {T}
    %x1 = stencil.access %fx[-1, 0] : {T}
    %y0 = stencil.access %fy[0, 0] : {T}
    %y1 = stencil.access %fy[0, -1] : {T}
    %dx = arith.subf %x0, %x1 : f64
    %dy = arith.subf %y0, %y1 : f64
    %t = arith.addf %dx, %dy : f64
    %kc = stencil.access %k[0, 0] : {T}
    %kt = arith.mulf %kc, %t : f64
    %uc = stencil.access %a[0, 0] : {T}
    %r = arith.subf %uc, %kt : f64
    stencil.return %r : f64
  }}
  stencil.store %o to %out(<[0, 0], [8, 8]>) : {T} to {F}
  func.return
}}
"""


def hdiff_pointwise(u: np.ndarray, coeff: np.ndarray, out: np.ndarray, origin: int = 4, size: int = 8) -> np.ndarray:
    """hdiff on the logical domain [0, size)^2 of fields whose logical 0 is array index `origin` (plain loops)."""
    def lap(i: int, j: int) -> float:
        return 4 * u[i, j] - (u[i + 1, j] + u[i - 1, j] + u[i, j + 1] + u[i, j - 1])

    res = out.copy()
    for i in range(origin, origin + size):
        for j in range(origin, origin + size):
            flx = lambda a, b: lap(a + 1, b) - lap(a, b)  # noqa: E731
            fly = lambda a, b: lap(a, b + 1) - lap(a, b)  # noqa: E731
            res[i, j] = u[i, j] - coeff[i, j] * (flx(i, j) - flx(i - 1, j) + fly(i, j) - fly(i, j - 1))
    return res


def test_hdiff_lowered_by_xdsl_stencil_passes_fuses_into_one_loop():
    from xdsl.parser import Parser

    from hpcir.dialects import context
    module = Parser(context(), HDIFF_STENCIL).parse_module()
    run_pipeline(module, "shape-inference,stencil-storage-materialization,convert-stencil-to-ll-mlir")
    assert str(module).count('"scf.parallel"') == 4 and str(module).count("memref.alloc") == 3
    rng = np.random.default_rng(7)
    u, coeff, out0 = rng.standard_normal((16, 16)), rng.uniform(0.1, 1.0, (16, 16)), np.zeros((16, 16))
    unfused = interpret(module, "hdiff", [], [u, coeff, out0])[2]
    run_pipeline(module, "kokkos-fuse,canonicalize,cse")
    out = str(module)
    assert out.count('"scf.parallel"') == 1 and "memref.alloc" not in out and "memref.dealloc" not in out
    verify_upstream(module)
    fused = interpret(module, "hdiff", [], [u, coeff, out0])[2]
    np.testing.assert_array_equal(fused, unfused)
    np.testing.assert_allclose(fused, hdiff_pointwise(u, coeff, out0), rtol=1e-12, atol=1e-12)


# The Python frontend's style: i64 bounds cast to index per loop, subscripts computed in i64.
FRONTEND = """
func.func @prog(%b: i64, %e: i64, %x: memref<?xf64>, %y: memref<?xf64>) attributes {kokkos.host_program} {
  %c1 = arith.constant 1 : index
  %lo = arith.index_cast %b : i64 to index
  %hi = arith.index_cast %e : i64 to index
  %t = memref.alloc(%hi) : memref<?xf64>
  scf.parallel (%iv) = (%lo) to (%hi) step (%c1) {
    %i = arith.index_cast %iv : index to i64
    %k = arith.index_cast %i : i64 to index
    %v = memref.load %x[%k] : memref<?xf64>
    %w = arith.mulf %v, %v : f64
    memref.store %w, %t[%k] : memref<?xf64>
    scf.reduce
  }
  %one = arith.constant 1 : i64
  %e1 = arith.subi %e, %one : i64
  %lo2 = arith.index_cast %b : i64 to index
  %hi2 = arith.index_cast %e1 : i64 to index
  scf.parallel (%iv) = (%lo2) to (%hi2) step (%c1) {
    %i = arith.index_cast %iv : index to i64
    %ip = arith.addi %i, %one : i64
    %k = arith.index_cast %ip : i64 to index
    %v = memref.load %t[%k] : memref<?xf64>
    %k0 = arith.index_cast %i : i64 to index
    memref.store %v, %y[%k0] : memref<?xf64>
    scf.reduce
  }
  return
}
"""


def test_frontend_style_casts_are_seen_through():
    before = parse_mlir(FRONTEND)
    module, out = run(FRONTEND, "kokkos-fuse")
    assert out.count('"scf.parallel"') == 1 and "memref.alloc" not in out
    verify_upstream(module)
    x = np.linspace(-1.0, 1.0, 7)
    ref = interpret(before, "prog", [1, 7], [x, np.zeros(7)])[1]
    got = interpret(module, "prog", [1, 7], [x, np.zeros(7)])[1]
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(got[1:6], x[2:7] ** 2)


def test_recomputation_budget_limits_inlining():
    # max_recompute=4 leaves the IR unchanged (kokkos-fuse/hdiff.mlir); 40 fuses part of hdiff.
    module, out = run(HDIFF, "kokkos-fuse{max_recompute=40}")
    assert 1 < out.count('"scf.parallel"') < 4  # partial fusion, still correct
    u, coeff, out0 = _hdiff_inputs(8, seed=1)
    got = interpret(module, "hdiff", [8], [u, coeff, out0])[2]
    np.testing.assert_allclose(got, hdiff_numpy(u, coeff, out0), rtol=1e-12, atol=1e-12)
