"""`kokkos-team-scratch{target=... tile=... force=false}`: stage stencil inputs in team scratch on GPUs.

An MDRange `kokkos.parallel_for` whose body reads an input view only at constant offsets from the
launch indices (`u[i-1, j, k]`, `u[i, j+1, k]`, ...) is rewritten into a team-policy launch: one
team per tile of the iteration space. Each team

1. copies its tile plus the halo of every staged input into `kokkos.scratch_alloc` views
   (a `kokkos.team_thread_range` over the halo box, first dimension fastest so that the global
   loads are coalesced on LayoutLeft views),
2. waits at a `kokkos.team_barrier`,
3. runs the original body once per tile point (a `team_thread_range` over the tile, guarded by
   the launch's upper bounds), with the staged loads turned into scratch loads.

The halo box of tile origin o is [o + min_off, o + T + max_off) per dimension, clipped to
[.., hi + max_off): every element of it lies in the bounding box of elements the original launch
reads, so staging never reads out of bounds if the original does not.

When it pays: an input qualifies when it is never written by the launch and is read at >= 2
distinct offsets in at least two dimensions; the rewrite happens when, for some qualifying input,
the number of distinct offset vectors (global loads per point without reuse) exceeds the halo
overhead prod(T + halo) / prod(T) (global loads per point when staged). Otherwise the IR is left
unchanged, as it is when the staged boxes would not fit the 48 KiB of level-0 scratch a team can
count on (a too-large MDRange tile falls back to the default team tile first). The team tile is
the `tile` option, else the launch's MDRange tile (set by kokkos-layout / kokkos-tile) when it has
at most 1024 points, else a default. GPU targets only, unless `force=true` (used to test the
scratch indexing on CPUs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import DYNAMIC_INDEX, IndexType, IntegerAttr, MemRefType, ModuleOp, NoneAttr
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from hpcir.dialects import kokkos as kk
from hpcir.core.targets import Target
from hpcir.dialects.kokkos_target import module_target

_MAX_TEAM = 256  # threads per team on GPUs; the team_thread_ranges stride over larger tiles
_MAX_SCRATCH_BYTES = 48 * 1024  # level-0 team scratch every CUDA/HIP device offers per team
_DEFAULT_TILES = {1: (256,), 2: (32, 8), 3: (32, 4, 2)}  # first entry on the fastest dimension


@dataclass
class StagedInput:
    """One input view read at constant offsets: its loads and the offset box."""

    view: SSAValue
    loads: list[tuple[memref.LoadOp, tuple[int, ...]]] = field(default_factory=list)

    @property
    def offsets(self) -> set[tuple[int, ...]]:
        return {off for _, off in self.loads}

    def lo(self, d: int) -> int:
        return min(off[d] for off in self.offsets)

    def hi(self, d: int) -> int:
        return max(off[d] for off in self.offsets)

    def halo_volume(self, tile: tuple[int, ...]) -> int:
        return math.prod(t + self.hi(d) - self.lo(d) for d, t in enumerate(tile))


def index_offset(value: SSAValue, launch: Operation, depth: int = 12) -> tuple[int, int] | None:
    """(d, c) when value == launch index d + constant c (through index casts, addi/subi of constants)."""
    if isinstance(value, BlockArgument) and value.block is launch.regions[0].block:
        return value.index, 0
    owner = value.owner
    if depth == 0 or not isinstance(owner, Operation):
        return None
    if isinstance(owner, arith.IndexCastOp):
        return index_offset(owner.input, launch, depth - 1)
    if isinstance(owner, arith.AddiOp | arith.SubiOp):
        lhs, rhs = owner.lhs, owner.rhs
        c = _constant(rhs)
        if c is not None:
            base = index_offset(lhs, launch, depth - 1)
            return None if base is None else (base[0], base[1] + (c if isinstance(owner, arith.AddiOp) else -c))
        c = _constant(lhs)
        if c is not None and isinstance(owner, arith.AddiOp):
            base = index_offset(rhs, launch, depth - 1)
            return None if base is None else (base[0], base[1] + c)
    return None


def _constant(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _written(view: SSAValue, launch: Operation) -> bool:
    """Whether the launch may write the view (stores, atomics, or uses we cannot see through)."""
    for use in view.uses:
        op = use.operation
        if launch.is_ancestor(op) and not isinstance(op, memref.LoadOp):
            return True
    return False


def stencil_inputs(launch: kk.ParallelForOp) -> list[StagedInput]:
    """Views read inside the launch only at `index + constant` subscripts, never written there."""
    rank = launch.policy.rank.data
    found: dict[SSAValue, StagedInput] = {}
    rejected: set[SSAValue] = set()
    for op in launch.walk():
        if not isinstance(op, memref.LoadOp):
            continue
        view = op.memref
        ty = view.type
        if view in rejected or not isinstance(ty, MemRefType) or ty.get_num_dims() != rank:
            continue
        if launch.is_ancestor(view.owner) if isinstance(view.owner, Operation) else view.block is launch.body.block:
            rejected.add(view)  # defined inside the launch (scratch, locals)
            continue
        offs = [index_offset(s, launch) for s in op.indices]
        if any(o is None or o[0] != d for d, o in enumerate(offs)):
            rejected.add(view)
            found.pop(view, None)
            continue
        found.setdefault(view, StagedInput(view)).loads.append((op, tuple(o[1] for o in offs)))  # type: ignore[index]
    return [s for v, s in found.items() if v not in rejected and not _written(v, launch)]


def worth_staging(inp: StagedInput, tile: tuple[int, ...]) -> bool:
    """Reuse across >= 2 dimensions and fewer modeled global loads per point than without scratch."""
    rank = len(tile)
    reused_dims = sum(1 for d in range(rank) if len({o[d] for o in inp.offsets}) >= 2)
    if reused_dims < min(2, rank):
        return False
    return len(inp.offsets) > inp.halo_volume(tile) / math.prod(tile)


def scratch_bytes(inputs: list[StagedInput], tile: tuple[int, ...]) -> int:
    """Level-0 scratch one team needs to stage all inputs."""
    total = 0
    for s in inputs:
        ty = s.view.type
        assert isinstance(ty, MemRefType)
        total += s.halo_volume(tile) * max(1, getattr(ty.element_type, "bitwidth", 64) // 8)
    return total


def choose_tile(launch: kk.ParallelForOp, requested: tuple[int, ...]) -> tuple[int, ...]:
    """Tile extents per dimension: the option, else the MDRange tile when it fits a team, else defaults."""
    policy = launch.policy
    rank = policy.rank.data
    if len(requested) == rank:
        return tuple(requested)
    tile = tuple(policy.tile_sizes)
    if len(tile) == rank and all(t > 0 for t in tile) and math.prod(tile) <= 4 * _MAX_TEAM:
        return tile
    default = _DEFAULT_TILES.get(rank, (8,) * rank)
    return default if _fastest_first(policy) else tuple(reversed(default))


def _fastest_first(policy: kk.MDRangePolicyAttr) -> bool:
    """True when dimension 0 is the fastest-varying one (iterate left / GPU default)."""
    return policy.iterate.data.value != "right"


class _Index:
    """Index arithmetic emitted through a builder (constants are created where first needed)."""

    def __init__(self, b: Builder):
        self.b = b

    def const(self, v: int) -> SSAValue:
        return self.b.insert(arith.ConstantOp.from_int_and_width(v, IndexType())).result

    def add(self, x: SSAValue, y: SSAValue | int) -> SSAValue:
        if isinstance(y, int):
            if y == 0:
                return x
            y = self.const(y)
        return self.b.insert(arith.AddiOp(x, y)).result

    def op(self, cls, x: SSAValue, y: SSAValue) -> SSAValue:
        return self.b.insert(cls(x, y)).result

    def delinearize(self, q: SSAValue, extents: list[SSAValue], order: list[int]) -> list[SSAValue]:
        """Coordinates of linear index q in a box, order[0] the fastest dimension."""
        coords: list[SSAValue | None] = [None] * len(extents)
        for k, d in enumerate(order):
            if k == len(order) - 1:
                coords[d] = q
            else:
                coords[d] = self.op(arith.RemSIOp, q, extents[d])
                q = self.op(arith.DivSIOp, q, extents[d])
        return coords  # type: ignore[return-value]

    def all_less(self, xs: list[SSAValue], limits: list[SSAValue]) -> SSAValue:
        cond = None
        for x, lim in zip(xs, limits):
            c = self.b.insert(arith.CmpiOp(x, lim, "slt")).result
            cond = c if cond is None else self.b.insert(arith.AndIOp(cond, c)).result
        assert cond is not None
        return cond


def _scratch_type(ty: MemRefType, fastest_first: bool) -> MemRefType:
    rank = ty.get_num_dims()
    layout = kk.layout_left(rank) if fastest_first and rank >= 2 else NoneAttr()
    return MemRefType(ty.element_type, [DYNAMIC_INDEX] * rank, layout, kk.SpaceAttr("scratch"))


def _erase_dead(block_ops: list[Operation]) -> None:
    """Drop side-effect-free index arithmetic left unused by the load rewrite."""
    changed = True
    while changed:
        changed = False
        for op in block_ops:
            if op.parent is not None and isinstance(op, arith.IndexCastOp | arith.AddiOp | arith.SubiOp
                                                     | arith.ConstantOp) and not any(r.uses for r in op.results):
                op.detach()
                op.erase()
                changed = True


def _named(value: SSAValue, name: str) -> SSAValue:
    """Give a value the generated code's variable name (only if it has none: shared constants keep theirs)."""
    if not value.name_hint and not isinstance(value.owner, arith.ConstantOp):
        value.name_hint = name
    return value


def stage_launch(launch: kk.ParallelForOp, inputs: list[StagedInput], tile: tuple[int, ...], target: Target) -> None:
    """Replace the MDRange launch by the team-policy launch staging `inputs` in scratch."""
    policy = launch.policy
    rank = policy.rank.data
    fastest = _fastest_first(policy)
    order = list(range(rank)) if fastest else list(reversed(range(rank)))
    lows, highs = list(launch.bounds[:rank]), list(launch.bounds[rank:])
    # The user's index names (i, j, ...) name the tile's points; the rest is named after them.
    names = [a.name_hint or "ijklmn"[d] for d, a in enumerate(launch.body.block.args[:rank])]
    # Outside the launch: tile counts, league size, the sizes the emitter needs for shmem_size.
    b = Builder(InsertPoint.before(launch))
    ix = _Index(b)
    tiles = [ix.const(t) for t in tile]
    ntiles = []
    for d in range(rank):
        ext = ix.op(arith.SubiOp, highs[d], lows[d])
        ntiles.append(_named(ix.op(arith.DivSIOp, ix.add(ext, tile[d] - 1), tiles[d]), f"{names[d]}_tiles"))
    league = ntiles[0]
    for n in ntiles[1:]:
        league = _named(ix.op(arith.MuliOp, league, n), "league_size")
    team = ix.const(min(math.prod(tile), _MAX_TEAM) if target.is_gpu else 0)
    vec = ix.const(1)
    sizes = {id(s): [ix.const(t + s.hi(d) - s.lo(d)) for d, t in enumerate(tile)] for s in inputs}
    volumes = {id(s): ix.const(s.halo_volume(tile)) for s in inputs}
    limits = {id(s): [_named(ix.add(highs[d], s.hi(d)), f"{names[d]}_halo_end") for d in range(rank)] for s in inputs}
    tile_volume = ix.const(math.prod(tile))
    zero = ix.const(0)

    new = kk.ParallelForOp(launch.kernel_name, kk.TeamPolicyAttr(0), [league, team, vec],
                           exec_space=launch.exec_space)
    member = new.body.block.args[0]
    b = Builder(InsertPoint.at_end(new.body.block))
    ix = _Index(b)
    rank_in_league = _named(b.insert(kk.LeagueRankOp(member)).results[0], "tile")
    tcoord = ix.delinearize(rank_in_league, ntiles, order)
    origin = [_named(ix.add(lows[d], ix.op(arith.MuliOp, tcoord[d], tiles[d])), f"{names[d]}_origin")
              for d in range(rank)]

    scratch: dict[int, SSAValue] = {}
    for s in inputs:
        sty = _scratch_type(s.view.type, fastest)
        sv = b.insert(kk.ScratchAllocOp(member, sty, sizes[id(s)], level=0)).results[0]
        if s.view.name_hint:
            sv.name_hint = f"{s.view.name_hint}_tile"
        scratch[id(s)] = sv
        ttr = b.insert(kk.TeamThreadRangeOp(member, zero, volumes[id(s)]))
        lb = Builder(InsertPoint.at_end(ttr.body.block))
        lix = _Index(lb)
        a = [_named(v, f"{names[d]}_halo") for d, v in
             enumerate(lix.delinearize(_named(ttr.body.block.args[0], "halo_point"), sizes[id(s)], order))]
        g = [_named(lix.add(origin[d], lix.add(a[d], s.lo(d))), f"{names[d]}_src") for d in range(rank)]
        guard = lb.insert(scf.IfOp(_named(lix.all_less(g, limits[id(s)]), "in_field"), [], [Block()]))
        gb = Builder(InsertPoint.at_end(guard.true_region.block))
        x = gb.insert(memref.LoadOp.get(s.view, g)).res
        gb.insert(memref.StoreOp.get(x, sv, a))
        gb.insert(scf.YieldOp())
        lb.insert(kk.YieldOp())
    b.insert(kk.TeamBarrierOp(member))

    ttr = b.insert(kk.TeamThreadRangeOp(member, zero, tile_volume))
    lb = Builder(InsertPoint.at_end(ttr.body.block))
    lix = _Index(lb)
    local = [_named(v, f"{names[d]}_local") for d, v in
             enumerate(lix.delinearize(_named(ttr.body.block.args[0], "tile_point"), tiles, order))]
    point = [_named(lix.op(arith.AddiOp, origin[d], local[d]), names[d]) for d in range(rank)]
    guard = lb.insert(scf.IfOp(_named(lix.all_less(point, highs), "in_domain"), [], [Block()]))
    lb.insert(kk.YieldOp())

    # The original body, per tile point, with staged loads reading scratch.
    mapper: dict[SSAValue, SSAValue] = dict(zip(launch.body.block.args, point))
    gblock = guard.true_region.block
    for op in launch.body.block.ops:
        if isinstance(op, kk.YieldOp):
            continue
        gblock.add_op(op.clone(value_mapper=mapper))
    gblock.add_op(scf.YieldOp())
    for s in inputs:
        for load, off in s.loads:
            old = mapper[load.res].owner
            assert isinstance(old, memref.LoadOp)
            rb = _Index(Builder(InsertPoint.before(old)))
            idx = [rb.add(local[d], off[d] - s.lo(d)) for d in range(rank)]
            repl = memref.LoadOp.get(scratch[id(s)], idx)
            Rewriter.insert_op(repl, InsertPoint.before(old))
            old.res.replace_all_uses_with(repl.res)
            old.detach()
            old.erase()
    _erase_dead(list(guard.walk()))
    b.insert(kk.YieldOp())
    Rewriter.replace_op(launch, new)


@dataclass(frozen=True)
class KokkosTeamScratchPass(ModulePass):
    """Stage MDRange stencil inputs (tile + halo) in team scratch memory on GPU targets."""

    name = "kokkos-team-scratch"

    tile: tuple[int, ...] = ()
    force: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        target = module_target(op, self.name)
        if not (target.is_gpu or self.force):
            return
        for launch in list(op.walk()):
            if not isinstance(launch, kk.ParallelForOp) or not isinstance(launch.policy, kk.MDRangePolicyAttr):
                continue
            tile = choose_tile(launch, self.tile)
            inputs = [s for s in stencil_inputs(launch) if worth_staging(s, tile)]
            if inputs and scratch_bytes(inputs, tile) > _MAX_SCRATCH_BYTES and not self.tile:
                rank = launch.policy.rank.data  # a large MDRange tile: retry with the default team tile
                default = _DEFAULT_TILES.get(rank, (8,) * rank)
                tile = default if _fastest_first(launch.policy) else tuple(reversed(default))
                inputs = [s for s in stencil_inputs(launch) if worth_staging(s, tile)]
            if inputs and scratch_bytes(inputs, tile) <= _MAX_SCRATCH_BYTES:
                stage_launch(launch, inputs, tile, target)
