"""The reference interpreter gives L3 ops their Kokkos meaning (checked against NumPy)."""
from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import f64, i64
from xdsl.parser import Parser

from hpcir.dialects import context
from hpcir.dialects.kokkos_interpreter import KokkosFunctions, array, make_interpreter

SCAN = """builtin.module {
  func.func @cumsum(%lo: index, %hi: index, %x: memref<?xi64, #kokkos.space<host>>,
                    %y: memref<?xi64, #kokkos.space<host>>) -> i64 {
    %z = arith.constant 0 : i64
    %t = kokkos.parallel_scan "cumsum" #kokkos.range on <serial>(%lo, %hi) init(%z : i64) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %acc: i64, %final: i1):
      %v = memref.load %x[%i] : memref<?xi64, #kokkos.space<host>>
      scf.if %final {
        memref.store %acc, %y[%i] : memref<?xi64, #kokkos.space<host>>
      }
      %n = arith.addi %acc, %v : i64
      kokkos.yield %n : i64
    } -> i64
    func.return %t : i64
  }
}"""

TEAM = """builtin.module {
  func.func @rowmax(%league: index, %ts: index, %vl: index, %m: index, %A: memref<?x?xf64, #kokkos.space<device>>,
                    %out: memref<?xf64, #kokkos.space<device>>) -> f64 {
    %z = arith.constant 0.0 : f64
    %ninf = arith.constant 0xFFF0000000000000 : f64
    %c0 = arith.constant 0 : index
    %total = kokkos.parallel_reduce "rowmax" #kokkos.team<scratch_bytes = 0> on <cuda>(%league, %ts, %vl)
        init(%z : f64) [#kokkos.reducer<sum>] {
    ^bb0(%mem: !kokkos.team_member, %acc: f64):
      %r = kokkos.league_rank %mem
      %mx = kokkos.team_thread_range %mem(%c0, %m) init(%ninf : f64) reducers [#kokkos.reducer<max>] {
      ^bb1(%j: index, %a: f64):
        %v = memref.load %A[%r, %j] : memref<?x?xf64, #kokkos.space<device>>
        %n = arith.maximumf %a, %v : f64
        kokkos.yield %n : f64
      } -> f64
      kokkos.single <per_team> %mem {
        memref.store %mx, %out[%r] : memref<?xf64, #kokkos.space<device>>
        kokkos.yield
      }
      %s = arith.addf %acc, %mx : f64
      kokkos.yield %s : f64
    } -> f64
    func.return %total : f64
  }
}"""

MIRROR = """builtin.module {
  func.func @roundtrip(%n: index, %h: memref<?xf64, #kokkos.space<host>>) {
    %d = kokkos.alloc "d"(%n) : memref<?xf64, #kokkos.space<device>>
    kokkos.deep_copy %d, %h : memref<?xf64, #kokkos.space<device>>, memref<?xf64, #kokkos.space<host>>
    %m = kokkos.create_mirror_view %d : memref<?xf64, #kokkos.space<device>> -> memref<?xf64, #kokkos.space<host>>
    COPY
    %c0 = arith.constant 0 : index
    %v = memref.load %m[%c0] : memref<?xf64, #kokkos.space<host>>
    kokkos.fence
    kokkos.print "first = {}"(%v : f64)
    func.return
  }
}"""


def _module(text):
    m = Parser(context(), text).parse_module()
    m.verify()
    return m


@pytest.mark.parametrize("seed", [None, 0, 1, 2])
def test_scan_gives_exclusive_prefix_and_total(seed):
    rng = np.random.default_rng(3)
    x = rng.integers(-50, 50, 17)
    y = array([0] * 17, [17], i64)
    (total,) = make_interpreter(_module(SCAN), seed=seed).call_op("cumsum", (2, 15, array(list(x), [17], i64), y))
    assert total == x[2:15].sum()
    assert y.data[2:15] == list(np.concatenate([[0], np.cumsum(x[2:14])]))


@pytest.mark.parametrize("seed", [None, 5, 6])
def test_team_reduce_with_nested_max_and_single(seed):
    rng = np.random.default_rng(seed or 0)
    A = rng.normal(size=(6, 5))
    out = array([0.0] * 6, [6], f64)
    (total,) = make_interpreter(_module(TEAM), seed=seed).call_op(
        "rowmax", (6, 0, 1, 5, array(list(A.ravel()), [6, 5], f64), out))
    assert np.allclose(out.data, A.max(axis=1))
    assert np.isclose(total, A.max(axis=1).sum())


def test_mirror_of_device_view_needs_the_deep_copy():
    h = array([4.0, 5.0], [2], f64)
    for copy, expected in [("kokkos.deep_copy %m, %d : memref<?xf64, #kokkos.space<host>>, "
                            "memref<?xf64, #kokkos.space<device>>", "first = 4.0"), ("", "first = 0.0")]:
        funcs = KokkosFunctions()
        make_interpreter(_module(MIRROR.replace("COPY", copy)), kokkos_functions=funcs).call_op("roundtrip", (2, h))
        assert funcs.printed == [expected]
