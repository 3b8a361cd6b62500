"""kokkos-tile's autotuner (builds, times, caches); the rule-based tiles are IR tests in tests/passes/kokkos-tile/."""
from __future__ import annotations

import json
import uuid

import pytest
from irtools import parse_mlir

from hpcir.core import cache
from hpcir.dialects.upstream import verify_upstream
from hpcir.pipeline import run_pipeline

V = "memref<?x?x{t}, #kokkos.space<{s}>>"


def launch_text(name="k", iterate="right", elt="f64", space="host", exec_space="openmp", bounds=None,
                rank=2, reduce=False) -> str:
    """An entry with one MDRange launch B[i..] = A[i..] * 2 (or a sum when reduce)."""
    v = "memref<" + "?x" * rank + f"{elt}, #kokkos.space<{space}>>"
    ivs = ", ".join(f"%i{d}: index" for d in range(rank))
    idx = ", ".join(f"%i{d}" for d in range(rank))
    args = ", ".join(f"%lo{d}: index" for d in range(rank)) + ", " + ", ".join(f"%hi{d}: index" for d in range(rank))
    consts = ""
    if bounds is not None:  # constant bounds: (lows, highs)
        consts = "\n".join(f"  %cl{d} = arith.constant {bounds[0][d]} : index\n"
                           f"  %ch{d} = arith.constant {bounds[1][d]} : index" for d in range(rank))
        operands = ", ".join(f"%cl{d}" for d in range(rank)) + ", " + ", ".join(f"%ch{d}" for d in range(rank))
    else:
        operands = ", ".join(f"%lo{d}" for d in range(rank)) + ", " + ", ".join(f"%hi{d}" for d in range(rank))
    types = ", ".join(["index"] * 2 * rank)
    two = f"arith.constant 2.0 : {elt}"
    if reduce:
        return f"""
func.func @{name}({args}, %A: {v}) -> {elt} attributes {{kokkos.entry = #kokkos.entry<reduce>}} {{
{consts}
  %z = arith.constant 0.0 : {elt}
  %r = "kokkos.parallel_reduce"({operands}, %z) <{{policy = #kokkos.mdrange<{rank}, iterate = {iterate}>,
      exec_space = #kokkos.exec<{exec_space}>, name = "{name}", reducers = [#kokkos.reducer<sum>],
      operandSegmentSizes = array<i32: {2 * rank}, 1>}}> ({{
  ^bb0({ivs}, %acc: {elt}):
    %x = memref.load %A[{idx}] : {v}
    %s = arith.addf %acc, %x : {elt}
    "kokkos.yield"(%s) : ({elt}) -> ()
  }}) : ({types}, {elt}) -> {elt}
  return %r : {elt}
}}"""
    return f"""
func.func @{name}({args}, %A: {v}, %B: {v}) attributes {{kokkos.entry = #kokkos.entry<for>}} {{
{consts}
  %two = {two}
  "kokkos.parallel_for"({operands}) <{{policy = #kokkos.mdrange<{rank}, iterate = {iterate}>,
      exec_space = #kokkos.exec<{exec_space}>, name = "{name}"}}> ({{
  ^bb0({ivs}):
    %x = memref.load %A[{idx}] : {v}
    %w = arith.mulf %x, %two : {elt}
    memref.store %w, %B[{idx}] : {v}
    "kokkos.yield"() : () -> ()
  }}) : ({types}) -> ()
  return
}}"""


@pytest.mark.slow
def test_autotuner_picks_a_candidate_and_caches_it(monkeypatch):
    from hpcir.passes import kokkos_tile

    name = f"tune_{uuid.uuid4().hex[:12]}"  # a fresh cache key: this run must measure
    text = launch_text(name=name, bounds=([1, 1], [17, 9]))  # a 16x8 space with constant bounds
    module = parse_mlir(text)
    run_pipeline(module, "kokkos-set-target{target=cpu},kokkos-tile{autotune=true candidates=3 repeats=2}")
    entries = list((cache.cache_root() / "tiles").glob(f"*/*/tile.json"))
    records = [json.loads(p.read_text()) for p in entries]
    mine = [r for r in records if r["function"] == name]
    assert len(mine) == 1
    record = mine[0]
    assert record["shape"] == [16, 8] and len(record["candidates"]) == 3 and len(record["seconds"]) == 3
    assert record["tile"] in record["candidates"]
    tile = record["tile"]
    out = str(module)
    assert (f"tile = [{', '.join(map(str, tile))}]" if tile else "#kokkos.mdrange<2, iterate = right> on") in out
    verify_upstream(module)

    # A second run takes the cached winner without building or timing anything.
    def no_timing(*args, **kwargs):
        raise AssertionError("the cached winner should have been used")

    monkeypatch.setattr(kokkos_tile, "time_candidates", no_timing)
    again = parse_mlir(text)
    run_pipeline(again, "kokkos-set-target{target=cpu},kokkos-tile{autotune=true candidates=3 repeats=2}")
    assert str(again) == out

    # The winner belongs to this machine: other thread settings (or another CPU sharing the
    # cache directory) must measure again rather than reuse it.
    monkeypatch.setenv("OMP_NUM_THREADS", "17")
    with pytest.raises(AssertionError, match="cached winner"):
        run_pipeline(parse_mlir(text), "kokkos-set-target{target=cpu},kokkos-tile{autotune=true candidates=3 repeats=2}")
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setattr(kokkos_tile, "host_cpu_id", lambda: "another CPU")
    with pytest.raises(AssertionError, match="cached winner"):
        run_pipeline(parse_mlir(text), "kokkos-set-target{target=cpu},kokkos-tile{autotune=true candidates=3 repeats=2}")
