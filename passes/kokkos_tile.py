"""`kokkos-tile{target=..., autotune=false, ...}`: MDRange tile sizes per target, optionally autotuned.

Static rule (every `#kokkos.mdrange` launch, tiles in dimension order, iterate kept):
- GPU targets: the target's tile (64x4x2 on CUDA/HIP) with its first entry on the fastest
  dimension (the first for `iterate = left`, the last for `right`); KOKKOS.md measured
  LayoutLeft + Iterate::Left + 64x4x2 at 80 % of triad for the 7-point stencil on an H100.
- Host targets: a tile whose working set (tile points x bytes per point over the distinct views
  the body touches) fits in half the L2 cache, filled from the fastest dimension outwards (up to
  512 contiguous elements, then 16, 4, 2 rows/planes), so a thread streams whole cache lines
  and neighbouring rows of a stencil stay cached; never larger than a constant extent. (Kokkos'
  host default is 2 x ... x 2 x the whole contiguous extent; the autotuner also times that one.)
  GPU tiles stay within CUDA's 1024 threads per block (Kokkos aborts beyond it).

`autotune=true`: for each entry function with MDRange launches, JIT-builds the module with a
few candidate tiles (the static one, Kokkos' default, variants) on this machine, runs each on
arrays of the iteration-space `shape` (option `shape=256x256`, else the launch's constant
bounds) padded by the largest constant subscript offset, and keeps the tile with the median
fastest time. Launches marked `kokkos.user_tile` keep their tile. The winner is cached under the hpcir cache (`tiles/`) keyed by the function's IR,
the target, the shape, the host CPU and its thread settings, so a second run on the same machine
builds nothing and another machine sharing the cache tunes for itself.
"""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from hpcir.core.cache import atomic_write_text, cache_key, cached_build
from hpcir.dialects import kokkos as kk
from hpcir.core.errors import HpcirError
from hpcir.core.machine import host_cpu_id, host_l2_bytes, host_threads_id
from hpcir.core.targets import Target
from hpcir.dialects.kokkos_target import module_target
from hpcir.dialects.kokkos_discardable import ENTRY, USER_TILE

from .fusion_analysis import as_loop, const_int, subscript_offsets

_HOST_CAPS = (512, 16, 4, 2)  # per dimension, fastest first


def _pow2_floor(n: int) -> int:
    return 1 << max(0, int(n).bit_length() - 1) if n >= 1 else 1


def _pow2_ceil(n: int) -> int:
    return 1 << max(0, (int(n) - 1).bit_length())


# A launch carrying this unit attribute keeps the tile the user wrote (MDRangePolicy(..., tile)).


def _mdrange_launches(root: Operation) -> list[kk.ParallelForOp | kk.ParallelReduceOp]:
    return [op for op in root.walk() if isinstance(op, kk.ParallelForOp | kk.ParallelReduceOp)
            and isinstance(op.policy, kk.MDRangePolicyAttr) and USER_TILE not in op.attributes]


def bytes_per_point(launch: Operation) -> int:
    """Sum of element sizes of the distinct views a launch loads or stores (8 when it touches none)."""
    seen = {}
    for op in launch.walk():
        if isinstance(op, memref.LoadOp | memref.StoreOp):
            ty = op.memref.type
            if isinstance(ty, MemRefType):
                width = getattr(ty.element_type, "bitwidth", 64)
                seen[op.memref] = max(1, width // 8)
    return sum(seen.values()) or 8


def constant_extents(launch: kk.ParallelForOp | kk.ParallelReduceOp) -> list[int | None]:
    """Per dimension, upper - lower when both bounds are constants, else None."""
    r = launch.policy.rank.data  # type: ignore[union-attr]
    bounds = list(launch.bounds)
    out: list[int | None] = []
    for lo, hi in zip(bounds[:r], bounds[r:2 * r]):
        a, b = const_int(lo), const_int(hi)
        out.append(b - a if a is not None and b is not None else None)
    return out


def _fastest_first(rank: int, iterate: str) -> list[int]:
    return list(range(rank)) if iterate == "left" else list(reversed(range(rank)))


def _iterate_of(policy: kk.MDRangePolicyAttr, target: Target) -> str:
    it = policy.iterate.data.value if hasattr(policy.iterate.data, "value") else str(policy.iterate.data)
    return target.iterate if it == "default" else it


def static_tile(launch: kk.ParallelForOp | kk.ParallelReduceOp, target: Target, cache_bytes: int) -> tuple[int, ...]:
    """The rule-based tile for one MDRange launch on a target (dimension order)."""
    policy = launch.policy
    assert isinstance(policy, kk.MDRangePolicyAttr)
    rank = policy.rank.data
    order = _fastest_first(rank, _iterate_of(policy, target))
    tile = [1] * rank
    if target.is_gpu:
        sizes = list(target.mdrange_tile[:rank]) + [1] * max(0, rank - len(target.mdrange_tile))
        for dim, size in zip(order, sizes):
            tile[dim] = size
        return tuple(tile)
    extents = constant_extents(launch)
    points = max(1, (cache_bytes // 2) // bytes_per_point(launch))
    for dim, cap in zip(order, list(_HOST_CAPS) + [1] * rank):
        if extents[dim] is not None:
            cap = min(cap, _pow2_ceil(max(1, extents[dim])))
        tile[dim] = max(1, min(cap, _pow2_floor(points)))
        points = max(1, points // tile[dim])
    return tuple(tile)


def candidate_tiles(launch: kk.ParallelForOp | kk.ParallelReduceOp, target: Target, cache_bytes: int,
                    count: int) -> list[tuple[int, ...]]:
    """Up to `count` distinct tiles to time: the static rule, Kokkos' default (()), then variants."""
    policy = launch.policy
    assert isinstance(policy, kk.MDRangePolicyAttr)
    rank = policy.rank.data
    order = _fastest_first(rank, _iterate_of(policy, target))
    base = static_tile(launch, target, cache_bytes)
    variants: list[tuple[int, ...]] = [base, ()]
    shapes = ([(32, 8, 1), (128, 2, 1), (256, 1, 1), (16, 16, 1)] if target.is_gpu else
              [(64, 8, 2), (1024, 4, 1), (128, 32, 4), (32, 2, 2)])
    for fast_first in shapes:
        tile = [1] * rank
        for dim, size in zip(order, list(fast_first) + [1] * rank):
            tile[dim] = size
        variants.append(tuple(tile))
    out: list[tuple[int, ...]] = []
    for v in variants:
        if v not in out:
            out.append(v)
    return out[:max(1, count)]


def set_tile(launch: kk.ParallelForOp | kk.ParallelReduceOp, tile: tuple[int, ...]) -> None:
    """Replace the launch's MDRange tile, keeping rank and iterate."""
    policy = launch.policy
    assert isinstance(policy, kk.MDRangePolicyAttr)
    it = policy.iterate.data.value if hasattr(policy.iterate.data, "value") else str(policy.iterate.data)
    launch.policy = kk.MDRangePolicyAttr(policy.rank.data, it, list(tile))


def parse_shape(text: str) -> tuple[int, ...]:
    """'256x128' -> (256, 128)."""
    try:
        dims = tuple(int(t) for t in text.lower().replace(",", "x").split("x") if t.strip())
    except ValueError:
        dims = ()
    if not dims or any(d <= 0 for d in dims):
        raise HpcirError(f"kokkos-tile: bad shape {text!r}", hint="write extents like shape=256x256")
    return dims


def _margin(launch: Operation) -> int:
    """Largest constant subscript offset in the launch (the halo representative arrays need)."""
    loop = as_loop(launch)
    margin = 0
    for op in launch.walk():
        if isinstance(op, memref.LoadOp | memref.StoreOp) and loop is not None:
            off = subscript_offsets(list(op.indices), loop)
            margin = max([margin, *(abs(o) for o in off)]) if off is not None else max(margin, 2)
    return margin


def _constant_uppers(launch: kk.ParallelForOp | kk.ParallelReduceOp) -> tuple[int | None, ...]:
    r = launch.policy.rank.data  # type: ignore[union-attr]
    return tuple(const_int(v) for v in list(launch.bounds)[r:2 * r])


@dataclass
class _Bench:
    """Representative arguments of one entry: bounds from the shape, views padded by the halo."""

    shape: tuple[int, ...]
    margin: int
    uppers: tuple[int | None, ...] = ()  # constant upper bounds of the launch (arrays must reach them)

    def _extent(self, d: int) -> int:
        upper = self.uppers[d] if d < len(self.uppers) and self.uppers[d] is not None else self.margin + self.shape[d]
        return max(upper, self.margin + self.shape[d]) + self.margin

    def arguments(self, entry) -> list:
        """Arguments for a runtime Entry: bounds, views of the padded shape filled with 0.5, scalars."""
        args: list = []
        nb = entry.num_bounds
        r = len(self.shape)
        bounds = [self.margin] * r + [self.margin + s for s in self.shape]
        for k, p in enumerate(entry.params):
            if k < nb:
                args.append(int(bounds[k]) if k < len(bounds) else 1)
            elif p.kind == "view":
                dims = [self._extent(min(d, r - 1)) for d in range(p.rank)]
                dims = [want if want >= 0 else got for want, got in zip(p.shape or [-1] * p.rank, dims)]
                a = np.full(dims, 0.5, dtype=np.dtype(p.dtype))
                args.append(a if p.layout != "left" else np.asfortranarray(a))
            else:
                kind = np.dtype(p.dtype).kind
                args.append(True if kind == "b" else 1 if kind in "iu" else 0.5)
        return args


# Builds an L3 module into a loaded library (`library[entry_name]` is callable). Passes never import
# the build: the driver hands its builder over with `use_module_builder` (hpcir.api does on import).
ModuleBuilder = Callable[[ModuleOp, str], Any]
_module_builder: ModuleBuilder | None = None


def use_module_builder(builder: ModuleBuilder) -> None:
    """Give the autotuner the function that compiles and loads a module: builder(module, library_name)."""
    global _module_builder
    _module_builder = builder


def time_candidates(module: ModuleOp, fname: str, launch_index: int, tiles: list[tuple[int, ...]],
                    target: str, bench: _Bench, repeats: int) -> list[float]:
    """Median wall time (s) of entry `fname` built with each candidate tile on the launch_index-th MDRange launch."""
    if _module_builder is None:
        raise HpcirError("kokkos-tile: autotune=true needs a module builder and none was given",
                         hint="import hpcir (its API registers one), or call passes.kokkos_tile.use_module_builder")
    times = []
    for k, tile in enumerate(tiles):
        trial = module.clone()
        set_tile(_mdrange_launches(trial)[launch_index], tile)
        lib = _module_builder(trial, f"hpcir_tune_{fname}_{k}")
        entry = lib[fname]
        args = bench.arguments(entry)
        entry(*args)  # warm-up: first touch, thread pool start
        runs = []
        for _ in range(max(1, repeats)):
            t0 = time.perf_counter()
            entry(*args)
            runs.append(time.perf_counter() - t0)
        times.append(statistics.median(runs))
    return times


@dataclass(frozen=True)
class KokkosTilePass(ModulePass):
    """Set MDRange tile sizes per target (cache-sized on hosts, 64x4x2 on GPUs); autotune=true times candidates."""

    name = "kokkos-tile"

    cache_bytes: int = 0  # host tile budget: L2 bytes (0 = this machine's L2)
    autotune: bool = False
    shape: str = ""  # autotune: iteration-space extents, e.g. 256x256 ("" = the launch's constant bounds)
    candidates: int = 4
    repeats: int = 5

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        target = module_target(op, self.name)
        cache_bytes = self.cache_bytes or host_l2_bytes()
        for launch in _mdrange_launches(op):
            set_tile(launch, static_tile(launch, target, cache_bytes))
        if self.autotune:
            self._autotune(op, target, cache_bytes)

    def _autotune(self, module: ModuleOp, target: Target, cache_bytes: int) -> None:
        if not target.runs_on_host or target.kind != "kokkos":
            raise HpcirError(f"kokkos-tile: cannot autotune for target {target.name!r} on this machine",
                             hint="autotune on a machine that runs the target, or drop autotune=true")
        launches = _mdrange_launches(module)
        for index, launch in enumerate(launches):
            f = launch.parent_op()
            while f is not None and not isinstance(f, func.FuncOp):
                f = f.parent_op()
            if f is None or ENTRY not in f.attributes:
                continue  # host programs: no representative call can be built (their scalars' meaning is unknown)
            shape = parse_shape(self.shape) if self.shape else tuple(
                e for e in constant_extents(launch) if e is not None)
            if len(shape) != launch.policy.rank.data:  # type: ignore[union-attr]
                raise HpcirError(f"kokkos-tile: autotuning {f.sym_name.data} needs the iteration-space shape",
                                 hint="pass shape=NxM (one extent per MDRange dimension)")
            tiles = candidate_tiles(launch, target, cache_bytes, self.candidates)
            # The winner is a measurement of this machine: key it on the CPU and thread settings too.
            key = cache_key("kokkos-tile/2", str(f), target.name, list(shape), [list(t) for t in tiles],
                            host_cpu_id(), host_threads_id())
            winner = tune_cached(key, module, f.sym_name.data, index, tiles, target.name,
                                 _Bench(shape, _margin(launch), _constant_uppers(launch)), self.repeats)
            set_tile(launch, winner)


def tune_cached(key: str, module: ModuleOp, fname: str, index: int, tiles: list[tuple[int, ...]], target: str,
                bench: _Bench, repeats: int) -> tuple[int, ...]:
    """The cached winner for key, timing the candidates once (the first time) to find it."""

    def measure(work: Path) -> Path:
        times = time_candidates(module, fname, index, tiles, target, bench, repeats)
        best = min(range(len(tiles)), key=lambda k: times[k])
        out = work / "tile.json"
        atomic_write_text(out, json.dumps({"tile": list(tiles[best]), "function": fname, "target": target,
                                           "shape": list(bench.shape),
                                           "candidates": [list(t) for t in tiles], "seconds": times}))
        return out

    record = json.loads(cached_build(key, measure, kind="tiles").read_text())
    return tuple(record["tile"])
