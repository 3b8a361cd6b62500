"""A reference interpreter for L2 (`scf.parallel`) and L3 (kokkos) IR on top of xDSL's interpreter.

It gives the IR levels an executable meaning independent of any C++ build, so passes can be
tested differentially: run L2 and the L3 a pass produced on the same inputs and compare. Kokkos
reductions are modelled faithfully: iterations are split into chunks (randomly, when a seed is
given), each chunk reduces into a thread-local partial that starts at the reducer identity (the
init value for custom reducers), partials are joined (with the join region for custom reducers)
and, for built-in reducers, the init value is folded in once. Team policies run one team member
per league rank; nested ranges run sequentially (valid for race-free kernels).

    interp = make_interpreter(module, seed=0)
    results = interp.call_op("kernel", (0, n, array(x)))
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from xdsl.dialects import arith, cf, scf
from xdsl.dialects.builtin import AnyFloat, IntegerType, MemRefType, ModuleOp
from xdsl.interpreter import (Interpreter, InterpreterFunctions, PythonValues, ReturnedValues, TerminatorValue,
                              impl, impl_terminator, register_impls)
from xdsl.interpreters import arith as xarith
from xdsl.interpreters import builtin as xbuiltin
from xdsl.interpreters import func as xfunc
from xdsl.interpreters import math as xmath
from xdsl.interpreters import memref as xmemref
from xdsl.interpreters import scf as xscf
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.interpreters.utils.ptr import TypedPtr
from xdsl.ir import Attribute, Region
from xdsl.utils.comparisons import to_signed
from xdsl.utils.exceptions import InterpretationError

from . import kokkos as kk
from .arith_ext import RemFOp


@dataclass
class TeamMember:
    """What a `!kokkos.team_member` value is during interpretation."""

    league_rank: int
    league_size: int
    team_rank: int = 0
    team_size: int = 1


def _bits(interpreter: Interpreter, ty: Attribute) -> int:
    return ty.width.data if isinstance(ty, IntegerType) else interpreter.index_bitwidth


def _combine(interpreter: Interpreter, kind: kk.ReducerKind, ty: Attribute, a: Any, b: Any) -> Any:
    """Python meaning of a built-in Kokkos reducer's join."""
    if isinstance(ty, AnyFloat):
        # Float min/max join as arith.minimumf / maximumf (nan propagates; -0.0 < 0.0).
        ops = {kk.ReducerKind.SUM: lambda: a + b, kk.ReducerKind.PROD: lambda: a * b,
               kk.ReducerKind.MIN: lambda: _minimumf(a, b), kk.ReducerKind.MAX: lambda: _maximumf(a, b)}
        return ops[kind]()
    w = _bits(interpreter, ty)
    a, b = to_signed(int(a), w), to_signed(int(b), w)
    if kind == kk.ReducerKind.LAND:
        return to_signed(int(bool(a) and bool(b)), 1) if w == 1 else int(bool(a) and bool(b))
    if kind == kk.ReducerKind.LOR:
        return to_signed(int(bool(a) or bool(b)), 1) if w == 1 else int(bool(a) or bool(b))
    ops = {kk.ReducerKind.SUM: a + b, kk.ReducerKind.PROD: a * b, kk.ReducerKind.MIN: min(a, b),
           kk.ReducerKind.MAX: max(a, b), kk.ReducerKind.BAND: a & b, kk.ReducerKind.BOR: a | b}
    return to_signed(ops[kind], w)


def _maximumf(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b:
        return a if math.copysign(1.0, a) > 0 else b
    return max(a, b)


def _minimumf(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b:
        return a if math.copysign(1.0, a) < 0 else b
    return min(a, b)


def _identity(interpreter: Interpreter, kind: kk.ReducerKind, ty: Attribute) -> Any:
    attr = kk.reducer_identity(kind, ty)
    assert attr is not None, f"no identity for {kind} on {ty}"
    value = attr.value.data  # type: ignore[attr-defined]
    return value if isinstance(ty, AnyFloat) else to_signed(value, _bits(interpreter, ty))


def _index_space(lowers: Sequence[int], uppers: Sequence[int]) -> list[tuple[int, ...]]:
    return list(product(*[range(lo, hi) for lo, hi in zip(lowers, uppers)]))


@register_impls
class ScfParallelFunctions(InterpreterFunctions):
    """`scf.parallel` run sequentially in row-major order, folding contributions into init."""

    @impl(scf.ParallelOp)
    def run_parallel(self, interpreter: Interpreter, op: scf.ParallelOp, args: PythonValues) -> PythonValues:
        r = len(op.lowerBound)
        lbs, ubs, steps, inits = args[:r], args[r:2 * r], args[2 * r:3 * r], list(args[3 * r:])
        ranges = [range(lb, ub, st) for lb, ub, st in zip(lbs, ubs, steps)]
        reduce = op.body.block.last_op
        assert isinstance(reduce, scf.ReduceOp)
        acc = inits
        for ivs in product(*ranges):
            contrib = interpreter.run_ssacfg_region(op.body, ivs, "scf.parallel")
            acc = [interpreter.run_ssacfg_region(reg, (a, c), "scf.reduce")[0]
                   for reg, a, c in zip(reduce.reductions, acc, contrib)]
        return tuple(acc)

    @impl_terminator(scf.ReduceOp)
    def run_reduce(self, interpreter: Interpreter, op: scf.ReduceOp,
                   args: PythonValues) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()

    @impl_terminator(scf.ReduceReturnOp)
    def run_reduce_return(self, interpreter: Interpreter, op: scf.ReduceReturnOp,
                          args: PythonValues) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()


@register_impls
class ArithExtraFunctions(InterpreterFunctions):
    """arith ops xDSL's interpreter lacks and L2/L3 kernels use."""

    @impl(arith.MaxSIOp)
    def run_maxsi(self, interpreter: Interpreter, op: arith.MaxSIOp, args: PythonValues) -> PythonValues:
        w = _bits(interpreter, op.result.type)
        return (max(to_signed(args[0], w), to_signed(args[1], w)),)

    @impl(arith.MinSIOp)
    def run_minsi(self, interpreter: Interpreter, op: arith.MinSIOp, args: PythonValues) -> PythonValues:
        w = _bits(interpreter, op.result.type)
        return (min(to_signed(args[0], w), to_signed(args[1], w)),)

    @impl(arith.MaxnumfOp)
    def run_maxnumf(self, interpreter: Interpreter, op: arith.MaxnumfOp, args: PythonValues) -> PythonValues:
        a, b = args
        return (b if math.isnan(a) else a if math.isnan(b) else max(a, b),)

    @impl(arith.MinnumfOp)
    def run_minnumf(self, interpreter: Interpreter, op: arith.MinnumfOp, args: PythonValues) -> PythonValues:
        a, b = args
        return (b if math.isnan(a) else a if math.isnan(b) else min(a, b),)

    @impl(arith.DivfOp)
    def run_divf(self, interpreter: Interpreter, op: arith.DivfOp, args: PythonValues) -> PythonValues:
        a, b = args
        return (a / b if b != 0 else math.copysign(math.inf, a) if a != 0 else math.nan,)

    @impl(RemFOp)
    def run_remf(self, interpreter: Interpreter, op: RemFOp, args: PythonValues) -> PythonValues:
        a, b = args
        return (math.nan if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b) else math.fmod(a, b),)

    @impl(cf.AssertOp)
    def run_assert(self, interpreter: Interpreter, op: cf.AssertOp, args: PythonValues) -> PythonValues:
        if not args[0]:
            raise InterpretationError(f"cf.assert failed: {op.msg.data}")
        return ()

    @impl(arith.FPToSIOp)
    def run_fptosi(self, interpreter: Interpreter, op: arith.FPToSIOp, args: PythonValues) -> PythonValues:
        return (to_signed(int(math.trunc(args[0])), _bits(interpreter, op.result.type)),)

    @impl(arith.SIToFPOp)
    def run_sitofp(self, interpreter: Interpreter, op: arith.SIToFPOp, args: PythonValues) -> PythonValues:
        return (float(to_signed(args[0], _bits(interpreter, op.input.type))),)


@register_impls
class KokkosFunctions(InterpreterFunctions):
    """Kokkos launches, nested ranges, team queries and data ops."""

    def __init__(self, seed: int | None = None, max_chunks: int = 4):
        self.rng = random.Random(seed) if seed is not None else None
        self.max_chunks = max_chunks
        self.printed: list[str] = []

    # -- helpers --------------------------------------------------------------------------------
    def _chunks(self, items: list[Any]) -> list[list[Any]]:
        """Contiguous chunks of the iteration list, like Kokkos' per-thread work split."""
        if self.rng is None or len(items) < 2:
            return [items]
        k = self.rng.randint(1, min(self.max_chunks, len(items)))
        cuts = sorted(self.rng.sample(range(1, len(items)), k - 1))
        return [items[a:b] for a, b in zip([0, *cuts], [*cuts, len(items)])]

    def _reduce(self, interpreter: Interpreter, points: list[Any], body: Region, join: Region | None,
                reducers: Sequence[kk.ReducerKind], types: Sequence[Attribute], inits: Sequence[Any],
                prefix: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        """Chunked reduction with Kokkos semantics; `prefix` are extra leading body args (the member)."""
        start = [init if kind == kk.ReducerKind.CUSTOM else _identity(interpreter, kind, ty)
                 for kind, ty, init in zip(reducers, types, inits)]
        partials = []
        for chunk in self._chunks(points):
            acc = list(start)
            for pt in chunk:
                acc = list(interpreter.run_ssacfg_region(body, (*prefix, *pt, *acc), "kokkos.body"))
            partials.append(acc)
        total = partials[0]
        for other in partials[1:]:
            total = self._join(interpreter, join, reducers, types, total, other)
        return tuple(v if kind == kk.ReducerKind.CUSTOM else _combine(interpreter, kind, ty, init, v)
                     for kind, ty, init, v in zip(reducers, types, inits, total))

    def _join(self, interpreter: Interpreter, join: Region | None, reducers: Sequence[kk.ReducerKind],
              types: Sequence[Attribute], a: list[Any], b: list[Any]) -> list[Any]:
        if join is not None and join.blocks:
            return list(interpreter.run_ssacfg_region(join, (*a, *b), "kokkos.join"))
        return [_combine(interpreter, k, t, x, y) for k, t, x, y in zip(reducers, types, a, b)]

    def _points(self, op: kk.ParallelForOp | kk.ParallelReduceOp, bounds: Sequence[int]) -> list[tuple[Any, ...]]:
        if isinstance(op.policy, kk.TeamPolicyAttr):
            league = bounds[0]
            return [(TeamMember(r, league),) for r in range(league)]
        r = op.num_indices
        return _index_space(bounds[:r], bounds[r:2 * r])

    # -- launches -------------------------------------------------------------------------------
    @impl(kk.ParallelForOp)
    def run_parallel_for(self, interpreter: Interpreter, op: kk.ParallelForOp, args: PythonValues) -> PythonValues:
        points = self._points(op, args)
        if self.rng is not None:  # a race-free parallel_for cannot depend on the iteration order
            self.rng.shuffle(points)
        for pt in points:
            interpreter.run_ssacfg_region(op.body, pt, "kokkos.parallel_for")
        return ()

    @impl(kk.ParallelReduceOp)
    def run_parallel_reduce(self, interpreter: Interpreter, op: kk.ParallelReduceOp,
                            args: PythonValues) -> PythonValues:
        nb = len(op.bounds)
        kinds = [r.data for r in op.reducers.data]
        return self._reduce(interpreter, self._points(op, args[:nb]), op.body, op.join, kinds,
                            [r.type for r in op.res], args[nb:])

    @impl(kk.ParallelScanOp)
    def run_parallel_scan(self, interpreter: Interpreter, op: kk.ParallelScanOp, args: PythonValues) -> PythonValues:
        lo, hi, init = args
        kind = op.reducers.data[0].data
        ty = op.res.type
        acc = init if kind == kk.ReducerKind.CUSTOM else _identity(interpreter, kind, ty)
        for i in range(lo, hi):  # the final pass: each body call sees the exclusive prefix
            (acc,) = interpreter.run_ssacfg_region(op.body, (i, acc, to_signed(1, 1)), "kokkos.parallel_scan")
        return (acc if kind == kk.ReducerKind.CUSTOM else _combine(interpreter, kind, ty, init, acc),)

    def _nested(self, interpreter: Interpreter, op: kk.TeamThreadRangeOp, args: PythonValues) -> PythonValues:
        _, lo, hi, *inits = args
        points = [(i,) for i in range(lo, hi)]
        if not op.res:
            for pt in points:
                interpreter.run_ssacfg_region(op.body, pt, op.name)
            return ()
        kinds = [r.data for r in op.reducers.data] if op.reducers is not None else []
        return self._reduce(interpreter, points, op.body, op.join, kinds, [r.type for r in op.res], inits)

    @impl(kk.TeamThreadRangeOp)
    def run_ttr(self, interpreter: Interpreter, op: kk.TeamThreadRangeOp, args: PythonValues) -> PythonValues:
        return self._nested(interpreter, op, args)

    @impl(kk.ThreadVectorRangeOp)
    def run_tvr(self, interpreter: Interpreter, op: kk.ThreadVectorRangeOp, args: PythonValues) -> PythonValues:
        return self._nested(interpreter, op, args)  # type: ignore[arg-type]

    @impl(kk.TeamVectorRangeOp)
    def run_tvec(self, interpreter: Interpreter, op: kk.TeamVectorRangeOp, args: PythonValues) -> PythonValues:
        return self._nested(interpreter, op, args)  # type: ignore[arg-type]

    @impl(kk.SingleOp)
    def run_single(self, interpreter: Interpreter, op: kk.SingleOp, args: PythonValues) -> PythonValues:
        interpreter.run_ssacfg_region(op.body, (), "kokkos.single")
        return ()

    @impl(kk.TeamBarrierOp)
    def run_barrier(self, interpreter: Interpreter, op: kk.TeamBarrierOp, args: PythonValues) -> PythonValues:
        return ()

    @impl(kk.LeagueRankOp)
    def run_league_rank(self, interpreter: Interpreter, op: kk.LeagueRankOp, args: PythonValues) -> PythonValues:
        return (args[0].league_rank,)

    @impl(kk.LeagueSizeOp)
    def run_league_size(self, interpreter: Interpreter, op: kk.LeagueSizeOp, args: PythonValues) -> PythonValues:
        return (args[0].league_size,)

    @impl(kk.TeamRankOp)
    def run_team_rank(self, interpreter: Interpreter, op: kk.TeamRankOp, args: PythonValues) -> PythonValues:
        return (args[0].team_rank,)

    @impl(kk.TeamSizeOp)
    def run_team_size(self, interpreter: Interpreter, op: kk.TeamSizeOp, args: PythonValues) -> PythonValues:
        return (args[0].team_size,)

    @impl_terminator(kk.YieldOp)
    def run_yield(self, interpreter: Interpreter, op: kk.YieldOp,
                  args: PythonValues) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()

    # -- data -----------------------------------------------------------------------------------
    def _new_array(self, interpreter: Interpreter, ty: MemRefType, sizes: Sequence[int]) -> ShapedArray[Any]:
        dyn = iter(sizes)
        shape = [d if d >= 0 else next(dyn) for d in ty.get_shape()]
        xtype = xbuiltin.xtype_for_el_type(ty.element_type, interpreter.index_bitwidth)
        return ShapedArray(TypedPtr[Any].zeros(math.prod(shape), xtype=xtype), shape)

    @impl(kk.AllocOp)
    def run_alloc(self, interpreter: Interpreter, op: kk.AllocOp, args: PythonValues) -> PythonValues:
        return (self._new_array(interpreter, op.result.type, args),)

    @impl(kk.ScratchAllocOp)
    def run_scratch(self, interpreter: Interpreter, op: kk.ScratchAllocOp, args: PythonValues) -> PythonValues:
        return (self._new_array(interpreter, op.result.type, args[1:]),)

    @impl(kk.CreateMirrorViewOp)
    def run_mirror(self, interpreter: Interpreter, op: kk.CreateMirrorViewOp, args: PythonValues) -> PythonValues:
        # A host view mirrors itself; any other space gets a separate (uninitialised) allocation,
        # so a missing deep_copy shows up as wrong values.
        if kk.memory_space_of(op.source.type) == kk.MemorySpace.HOST:
            return (args[0],)
        return (self._new_array(interpreter, op.result.type, args[0].shape),)

    @impl(kk.DeepCopyOp)
    def run_deep_copy(self, interpreter: Interpreter, op: kk.DeepCopyOp, args: PythonValues) -> PythonValues:
        dst, src = args
        if list(dst.shape) != list(src.shape):
            raise ValueError(f"kokkos.deep_copy between extents {src.shape} and {dst.shape}")
        for idx in product(*[range(n) for n in src.shape]):
            dst.store(idx, src.load(idx))
        return ()

    @impl(kk.FenceOp)
    def run_fence(self, interpreter: Interpreter, op: kk.FenceOp, args: PythonValues) -> PythonValues:
        return ()

    @impl(kk.PrintOp)
    def run_print(self, interpreter: Interpreter, op: kk.PrintOp, args: PythonValues) -> PythonValues:
        self.printed.append(op.format.data.format(*args))
        return ()


def make_interpreter(module: ModuleOp, seed: int | None = None, max_chunks: int = 4,
                     kokkos_functions: KokkosFunctions | None = None) -> Interpreter:
    """An xDSL Interpreter for L2/L3 modules (builtin, func, arith, math, memref, scf, kokkos).

    Pass your own `kokkos_functions` to read what `kokkos.print` printed (its `printed` list).
    """
    interp = Interpreter(module)
    for funcs in (xbuiltin.BuiltinFunctions(), xfunc.FuncFunctions(), xarith.ArithFunctions(),
                  xmath.MathFunctions(), xmemref.MemRefFunctions(), xscf.ScfFunctions(), ScfParallelFunctions(),
                  ArithExtraFunctions(), kokkos_functions or KokkosFunctions(seed, max_chunks)):
        interp.register_implementations(funcs)
    return interp


def array(values: Sequence[Any], shape: Sequence[int], element_type: Attribute,
          index_bitwidth: int = 64) -> ShapedArray[Any]:
    """A row-major interpreter array (what a memref value is) holding `values`."""
    xtype = xbuiltin.xtype_for_el_type(element_type, index_bitwidth)  # type: ignore[arg-type]
    return ShapedArray(TypedPtr[Any].new(list(values), xtype=xtype), list(shape))


__all__ = ["make_interpreter", "array", "TeamMember", "KokkosFunctions", "ScfParallelFunctions",
           "ArithExtraFunctions"]
