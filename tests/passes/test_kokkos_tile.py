"""kokkos-tile: rule-based MDRange tiles per target (IR in/out) and the autotuner (builds, times, caches)."""
from __future__ import annotations

import json
import uuid

import pytest
from irtools import parse_mlir, run

from hpcir.core import cache
from hpcir.core.errors import HpcirError
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


@pytest.mark.parametrize("kwargs,cache_bytes,expected", [
    # 2 f64 views = 16 B/point; half of 1 MiB holds 32768 points: 512 contiguous x 16 rows
    (dict(), 1 << 20, "iterate = right, tile = [16, 512]"),
    (dict(iterate="left"), 1 << 20, "iterate = left, tile = [512, 16]"),
    # f32 halves the bytes per point: still capped at 512 x 16
    (dict(elt="f32"), 1 << 20, "tile = [16, 512]"),
    # a small cache: 2 KiB / 16 B = 128 points, all along the contiguous dimension
    (dict(), 4096, "tile = [1, 128]"),
    # constant extents cap the tile (100 -> 128 contiguous, 8 rows)
    (dict(bounds=([0, 0], [8, 100])), 1 << 20, "tile = [8, 128]"),
    # rank 3: 512 x 16 = 8192 points per plane, so 4 planes fill the 32768-point budget
    (dict(rank=3), 1 << 20, "tile = [4, 16, 512]"),
    # a reduction gets a tile too (one view: 8 B/point)
    (dict(reduce=True), 1 << 20, "tile = [16, 512]"),
])
def test_host_tiles_fit_the_cache_along_the_contiguous_dimension(kwargs, cache_bytes, expected):
    module, out = run(launch_text(**kwargs), f"kokkos-set-target{{target=cpu}},kokkos-tile{{cache_bytes={cache_bytes}}}")
    assert expected in out
    verify_upstream(module)


@pytest.mark.parametrize("iterate,rank,expected", [
    ("left", 2, "iterate = left, tile = [64, 4]"),
    ("right", 2, "iterate = right, tile = [4, 64]"),
    ("left", 3, "iterate = left, tile = [64, 4, 2]"),
    ("right", 3, "iterate = right, tile = [2, 4, 64]"),
    ("left", 4, "iterate = left, tile = [64, 4, 2, 1]"),
])
def test_gpu_tiles_put_64_on_the_fastest_dimension(iterate, rank, expected):
    text = launch_text(iterate=iterate, rank=rank, space="device", exec_space="cuda")
    module, out = run(text, "kokkos-set-target{target=cuda},kokkos-tile")
    assert expected in out
    verify_upstream(module)


def test_l2_to_l3_pipeline_with_layout_and_tile():
    text = """
    func.func @k(%l0: index, %l1: index, %h0: index, %h1: index, %A: memref<?x?xf64, #kokkos.space<device>>,
                 %B: memref<?x?xf64, #kokkos.space<device>>)
        attributes {kokkos.entry = #kokkos.entry<for>, kokkos.layout_free} {
      %c1 = arith.constant 1 : index
      scf.parallel (%i, %j) = (%l0, %l1) to (%h0, %h1) step (%c1, %c1) {
        %x = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
        memref.store %x, %B[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
        scf.reduce
      }
      return
    }"""
    module = parse_mlir(text)
    run_pipeline(module, "kokkos-fuse,convert-scf-to-kokkos,kokkos-layout,kokkos-tile,canonicalize", target="cuda")
    assert "#kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>" in str(module)
    verify_upstream(module)


def test_autotune_needs_a_shape_when_bounds_are_not_constant():
    module = parse_mlir(launch_text())
    with pytest.raises(HpcirError, match="shape"):
        run_pipeline(module, "kokkos-set-target{target=cpu},kokkos-tile{autotune=true}")


def test_autotune_refuses_targets_this_machine_cannot_run():
    module = parse_mlir(launch_text(space="device", exec_space="cuda"))
    with pytest.raises(HpcirError, match="autotune"):
        run_pipeline(module, "kokkos-set-target{target=cuda},kokkos-tile{autotune=true shape=8x8}")


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


def test_user_tiles_are_kept():
    text = launch_text().replace("}) : (index, index, index, index) -> ()",
                                 "}) {kokkos.user_tile} : (index, index, index, index) -> ()").replace(
        "iterate = right>", "iterate = right, tile = [3, 5]>")
    module, out = run(text, "kokkos-set-target{target=cpu},kokkos-tile{cache_bytes=1048576}")
    assert "tile = [3, 5]" in out
    verify_upstream(module)
