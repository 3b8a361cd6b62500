"""The kokkos dialect (L3 of docs/IR.md): Kokkos launches, nested team levels and views as memrefs.

Building IR in Python (every body is a single block ending in `kokkos.yield`; a constructor
called without `body=` creates that block with the right arguments, you append ops to it):

    from xdsl.builder import Builder, InsertPoint
    from xdsl.dialects.builtin import f64, i1, IndexType
    from hpcir.dialects import kokkos as kk

    # 1-D range launch: body args = (%i : index)
    pf = kk.ParallelForOp.range("axpy", lo, hi, exec_space="openmp")
    b = Builder(InsertPoint.at_end(pf.body.block)); i = pf.indices[0]
    ...; b.insert(kk.YieldOp())
    # MDRange: body args = one index per dim; bounds are lowers then uppers
    kk.ParallelForOp.mdrange("k2", [lo0, lo1], [hi0, hi1], iterate="left", tile=[64, 4])
    # Team policy: body arg = %member : !kokkos.team_member
    kk.ParallelForOp.team("t", league, team_size, vector_length, scratch_bytes=0)
    # Generic form of all three: kk.ParallelForOp(name, policy_attr, bounds, exec_space=..., body=None)

    # Reductions: body args = indices (or member), then one accumulator per result;
    # the body yields the updated accumulators (acc += x[i] yields acc + x[i]).
    pr = kk.ParallelReduceOp.range("dot", lo, hi, init=[zero], reducers=["sum"])
    pr.accumulators[0]; ...; kk.YieldOp(new_acc); pr.results[0]
    # result = init (+) all contributions for built-in reducers; init is the identity for custom ones.
    # reducers="custom" needs a join region: args (a_0..a_n-1, b_0..b_n-1), yields n values;
    # without join= an empty join block with those args is created (pr.join.block).
    ps = kk.ParallelScanOp("cumsum", lo, hi, init=zero)   # args (i, acc, final: i1); yields acc

    # Nested levels (member is the team body's argument): for form and reduce form
    kk.TeamThreadRangeOp(member, b0, e0)                      # body args (%j : index)
    kk.ThreadVectorRangeOp(member, b0, e0, init=[z], reducers=["max"])  # args (%k, %acc)
    kk.TeamVectorRangeOp(member, b0, e0)
    kk.TeamBarrierOp(member); kk.SingleOp(member, level="per_team")      # SingleOp has a body
    kk.LeagueRankOp(member); kk.TeamRankOp(member); kk.TeamSizeOp(member); kk.LeagueSizeOp(member)
    kk.ScratchAllocOp(member, kk.view_type(f64, 1, "scratch"), [n], level=0)

    # Data
    kk.AllocOp(kk.view_type(f64, 2, "device", "left"), [n, m], label="A")
    kk.CreateMirrorViewOp(device_view)     # result: same view type in #kokkos.space<host>
    kk.DeepCopyOp(dst, src); kk.FenceOp(); kk.PrintOp("x = {}", [x])

Attributes: SpaceAttr("device"), ExecSpaceAttr("cuda"), RangePolicyAttr(),
MDRangePolicyAttr(2, "left", [64, 4]), TeamPolicyAttr(scratch_bytes=0), ReducerAttr("sum"),
EntryAttr("reduce"); type TeamMemberType(). Custom syntax, e.g.

    kokkos.parallel_for "axpy" #kokkos.range on <openmp>(%lo, %hi) {
    ^bb0(%i : index):
      kokkos.yield
    }

Structure and effects are xDSL traits, as in xDSL's scf/memref: region ops end their single
blocks in kokkos.yield (SingleBlockImplicitTerminator) and have the memory effects of their
bodies (RecursiveMemoryEffect); team-level ops need an enclosing team launch (HasAncestor) and
keep Kokkos' nesting rules (NotNestedIn); member queries are Pure; data ops state their
read/write/alloc effects. Canonicalization (xDSL's `canonicalize`) removes launches and nested
ranges with a provably empty index space (FoldEmptyIndexSpace) and folds self deep copies and
repeated fences (kokkos_data_ops).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects.builtin import (I64, AnyFloat, ArrayAttr, ComplexType, FloatAttr, IndexType, IntegerAttr, IntegerType, MemRefType,
                                   StringAttr, i1, i64)
from xdsl.ir import Attribute, Block, Dialect, Operation, Region, SSAValue
from xdsl.irdl import (AttrSizedOperandSegments, IRDLOperation, irdl_op_definition, lazy_traits_def, operand_def,
                       opt_prop_def, opt_region_def, prop_def, region_def, result_def, traits_def, var_operand_def,
                       var_result_def)
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern
from xdsl.traits import (HasAncestor, HasCanonicalizationPatternsTrait, HasParent, IsTerminator, MemoryAllocEffect,
                         MemoryReadEffect, MemoryWriteEffect, OpTrait, Pure, RecursiveMemoryEffect,
                         SingleBlockImplicitTerminator)
from xdsl.transforms.canonicalization_patterns.utils import const_evaluate_operand
from xdsl.utils.exceptions import VerifyException

from .kokkos_data_ops import AllocOp, AtomicFetchAddOp, AtomicFetchOp, PrintfOp, CreateMirrorViewOp, DeepCopyOp, FenceOp, PrintOp, verify_dynamic_sizes
from .kokkos_attrs import (EntryAttr, EntryKind, ExecSpace, ExecSpaceAttr, Iterate, IterateAttr, MDRangePolicyAttr,
                           MemorySpace, RangePolicyAttr, ReducerAttr, ReducerKind, SingleLevel, SingleLevelAttr,
                           SpaceAttr, TeamMemberType, TeamPolicyAttr, layout_kind, layout_left, memory_space_of,
                           policy_rank, view_type)

__all__ = [
    "Kokkos", "ParallelForOp", "ParallelReduceOp", "ParallelScanOp", "TeamThreadRangeOp", "ThreadVectorRangeOp",
    "TeamVectorRangeOp", "TeamBarrierOp", "SingleOp", "LeagueRankOp", "TeamRankOp", "TeamSizeOp", "LeagueSizeOp",
    "ScratchAllocOp", "AllocOp", "CreateMirrorViewOp", "DeepCopyOp", "FenceOp", "PrintOp", "YieldOp", "AtomicFetchAddOp",
    "AtomicFetchOp", "PrintfOp",
    "SpaceAttr", "ExecSpaceAttr", "IterateAttr", "ReducerAttr", "EntryAttr", "SingleLevelAttr", "RangePolicyAttr",
    "MDRangePolicyAttr", "TeamPolicyAttr", "TeamMemberType", "MemorySpace", "ExecSpace", "Iterate", "ReducerKind",
    "EntryKind", "SingleLevel", "view_type", "layout_left", "layout_kind", "memory_space_of", "policy_rank",
    "reducer_type_error", "reducer_identity", "LAUNCH_OPS", "NESTED_RANGE_OPS", "TEAM_LAUNCH_OPS", "NotNestedIn",
    "FoldEmptyIndexSpace", "index_space_is_empty",
]

Value = SSAValue | Operation
_POLICY = RangePolicyAttr | MDRangePolicyAttr | TeamPolicyAttr


def _values(vals: Sequence[Value]) -> list[SSAValue]:
    return [SSAValue.get(v) for v in vals]


def _reducers(reducers: Sequence[str | ReducerKind | ReducerAttr]) -> ArrayAttr[ReducerAttr]:
    return ArrayAttr([r if isinstance(r, ReducerAttr) else ReducerAttr(r) for r in reducers])


def _exec(space: str | ExecSpace | ExecSpaceAttr) -> ExecSpaceAttr:
    return space if isinstance(space, ExecSpaceAttr) else ExecSpaceAttr(space)


def _name(name: str | StringAttr) -> StringAttr:
    return name if isinstance(name, StringAttr) else StringAttr(name)


def _region(body: Region | Block | None, arg_types: Sequence[Attribute]) -> Region:
    """The given body, or a fresh single block with the given argument types."""
    if body is None:
        return Region(Block(arg_types=arg_types))
    return body if isinstance(body, Region) else Region(body)


def _policy_arg_types(policy: Attribute) -> list[Attribute]:
    if isinstance(policy, TeamPolicyAttr):
        return [TeamMemberType()]
    return [IndexType()] * policy_rank(policy)


def _policy_num_bounds(policy: Attribute) -> int:
    return 3 if isinstance(policy, TeamPolicyAttr) else 2 * policy_rank(policy)


def reducer_type_error(kind: ReducerKind, ty: Attribute) -> str | None:
    """None when a built-in reducer applies to values of type ty, else why not."""
    if kind in (ReducerKind.LAND, ReducerKind.LOR):
        return None if ty == i1 else f"reducer {kind.value} needs i1 values, got {ty}"
    if kind in (ReducerKind.BAND, ReducerKind.BOR):
        return None if isinstance(ty, IntegerType) else f"reducer {kind.value} needs integer values, got {ty}"
    if kind == ReducerKind.CUSTOM:
        return None
    if kind in (ReducerKind.MAXLOC, ReducerKind.MINLOC) and ty == i1:
        return f"reducer {kind.value} needs integer or float values, got {ty}"
    if isinstance(ty, IntegerType | IndexType | AnyFloat):
        return None
    if isinstance(ty, ComplexType) and kind in (ReducerKind.SUM, ReducerKind.PROD):
        return None  # complex numbers have no order: sum and prod only
    return f"reducer {kind.value} needs integer or float values (complex ones for sum and prod), got {ty}"


def reducer_identity(kind: ReducerKind, ty: Attribute) -> Attribute | None:
    """The identity of a built-in reducer on values of type ty (None for custom)."""
    if isinstance(ty, AnyFloat):
        values = {ReducerKind.SUM: 0.0, ReducerKind.PROD: 1.0, ReducerKind.MAX: -math.inf,
                  ReducerKind.MIN: math.inf}
        return FloatAttr(values[kind], ty) if kind in values else None
    if isinstance(ty, IntegerType | IndexType):
        width = ty.width.data if isinstance(ty, IntegerType) else 64
        if ty == i1:
            values = {ReducerKind.LAND: -1, ReducerKind.LOR: 0, ReducerKind.BAND: -1,
                      ReducerKind.BOR: 0, ReducerKind.MAX: 0, ReducerKind.MIN: -1}
        else:
            values = {ReducerKind.SUM: 0, ReducerKind.PROD: 1, ReducerKind.BAND: -1,
                      ReducerKind.BOR: 0, ReducerKind.MAX: -(2 ** (width - 1)),
                      ReducerKind.MIN: 2 ** (width - 1) - 1}
        return IntegerAttr(values[kind], ty) if kind in values else None
    return None


def _verify_terminator(op: Operation, region: Region, what: str, types: Sequence[Attribute]) -> None:
    """The region's single block ends in kokkos.yield whose operand types are `types`."""
    if not region.blocks:
        raise VerifyException(f"'{op.name}' {what} region must have a block")
    last = region.block.last_op
    if not isinstance(last, YieldOp):
        raise VerifyException(f"'{op.name}' {what} region must end with kokkos.yield")
    got = [v.type for v in last.values]
    if got != list(types):
        raise VerifyException(f"'{op.name}' {what} yields ({', '.join(map(str, got))}) but "
                              f"({', '.join(map(str, types))}) is expected")


def _verify_block_args(op: Operation, region: Region, what: str, types: Sequence[Attribute]) -> None:
    got = [a.type for a in region.block.args]
    if got != list(types):
        raise VerifyException(f"'{op.name}' {what} block arguments are ({', '.join(map(str, got))}) but the "
                              f"policy and results require ({', '.join(map(str, types))})")


def _verify_reduction(op: Operation, init: Sequence[SSAValue], results: Sequence[SSAValue],
                      reducers: ArrayAttr[ReducerAttr] | None, join: Region | None) -> None:
    """Shared checks of every reduce form: init/result/reducer counts and types, join region."""
    n = len(results)
    reds = list(reducers.data) if reducers is not None else []
    if len(init) != n:
        raise VerifyException(f"'{op.name}' has {n} results but {len(init)} init values")
    if len(reds) != n:
        raise VerifyException(f"'{op.name}' has {n} results but {len(reds)} reducers")
    for k, (v, r) in enumerate(zip(init, results)):
        if v.type != r.type:
            raise VerifyException(f"'{op.name}' init value #{k} has type {v.type} but result #{k} has type {r.type}")
    for k, (red, r) in enumerate(zip(reds, results)):
        if (why := reducer_type_error(red.data, r.type)) is not None:
            raise VerifyException(f"'{op.name}' result #{k}: {why}")
    _verify_loc_pair(op, reds, results)
    has_custom = any(r.data == ReducerKind.CUSTOM for r in reds)
    has_join = join is not None and bool(join.blocks)
    if has_custom and not has_join:
        raise VerifyException(f"'{op.name}' has a custom reducer but no join region")
    if has_join and not has_custom:
        raise VerifyException(f"'{op.name}' has a join region but no custom reducer; use reducer 'custom'")
    if has_join:
        types = [r.type for r in results]
        _verify_block_args(op, join, "join", types + types)
        _verify_terminator(op, join, "join", types)


def _verify_loc_pair(op: Operation, reds: Sequence[ReducerAttr], results: Sequence[SSAValue]) -> None:
    """maxloc / minloc reduce a (value, i64 index) pair: exactly two results, both with that reducer (or
    [minloc, minloc, maxloc, maxloc]: both pairs at once, Kokkos::MinMaxLoc)."""
    locs = [r.data for r in reds if r.data in (ReducerKind.MAXLOC, ReducerKind.MINLOC)]
    if not locs:
        return
    kinds = tuple(r.data for r in reds)
    minmax = (ReducerKind.MINLOC, ReducerKind.MINLOC, ReducerKind.MAXLOC, ReducerKind.MAXLOC)
    if kinds != minmax and (len(reds) != 2 or reds[0].data != reds[1].data):
        raise VerifyException(f"'{op.name}' reducer {locs[0].value} takes exactly two results (value, index) "
                              "and no other reducer, or four as [minloc, minloc, maxloc, maxloc]")
    for k in range(1, len(results), 2):
        if results[k].type != i64:
            raise VerifyException(f"'{op.name}' {kinds[k].value}: the index result must be i64, got {results[k].type}")
    if kinds == minmax and results[0].type != results[2].type:
        raise VerifyException(f"'{op.name}' minloc and maxloc values must have one type, got {results[0].type} and "
                              f"{results[2].type}")
    if op.name == "kokkos.parallel_scan":
        raise VerifyException(f"'{op.name}' has no {locs[0].value} reducer")


@dataclass(frozen=True)
class NotNestedIn(OpTrait):
    """A Kokkos nesting rule: the op may not sit inside any of `op_types` within its launch.

    Ancestors are checked from the op's parent up to the enclosing launch (ops around the launch do
    not count); `message` is the error, with `{op}` and `{parent}` standing for the two op names.
    """

    op_types: tuple[type[Operation], ...]
    message: str

    def verify(self, op: Operation) -> None:
        parent = op.parent_op()
        while parent is not None and not isinstance(parent, _LaunchOp):
            if isinstance(parent, self.op_types):
                raise VerifyException(self.message.format(op=op.name, parent=parent.name))
            parent = parent.parent_op()


class IndexSpaceHasCanonicalizationPatterns(HasCanonicalizationPatternsTrait):
    """Launches and nested ranges: a provably empty index space runs nothing (FoldEmptyIndexSpace)."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        return (FoldEmptyIndexSpace(),)


class _LaunchOp(IRDLOperation):
    """Fields and helpers shared by parallel_for / parallel_reduce / parallel_scan."""

    policy = prop_def(_POLICY)
    exec_space = prop_def(ExecSpaceAttr)
    kernel_name = prop_def(StringAttr, prop_name="name")
    # Bodies (and join regions) are single blocks ending in kokkos.yield; a launch has the memory
    # effects of the ops in its body.
    traits = lazy_traits_def(lambda: (SingleBlockImplicitTerminator(YieldOp), RecursiveMemoryEffect(),
                                      IndexSpaceHasCanonicalizationPatterns()))
    # Operands and regions are declared in each subclass: xDSL orders fields subclass-first.

    @property
    def num_indices(self) -> int:
        """Number of index block arguments (0 for a team policy)."""
        return policy_rank(self.policy)

    @property
    def indices(self) -> tuple[SSAValue, ...]:
        """The body's index arguments (empty for a team policy)."""
        return tuple(self.body.block.args[: self.num_indices])

    @property
    def member(self) -> SSAValue | None:
        """The body's `!kokkos.team_member` argument under a team policy."""
        return self.body.block.args[0] if isinstance(self.policy, TeamPolicyAttr) else None

    @property
    def accumulators(self) -> tuple[SSAValue, ...]:
        """The body's accumulator arguments (reduce/scan), one per result."""
        first = 1 if isinstance(self.policy, TeamPolicyAttr) else self.num_indices
        return tuple(self.body.block.args[first: first + len(self.results)])

    @property
    def lower_bounds(self) -> tuple[SSAValue, ...]:
        """Range/MDRange begin bounds."""
        return tuple(self.bounds[: self.num_indices])

    @property
    def upper_bounds(self) -> tuple[SSAValue, ...]:
        """Range/MDRange end bounds."""
        return tuple(self.bounds[self.num_indices: 2 * self.num_indices])

    def _verify_launch(self, acc_types: Sequence[Attribute], extra_args: Sequence[Attribute] = ()) -> None:
        name = self.kernel_name.data
        if not name.isidentifier() or not name.isascii():
            raise VerifyException(f"'{self.name}' name {name!r} is not a C++ identifier")
        expected = _policy_num_bounds(self.policy)
        if len(self.bounds) != expected:
            raise VerifyException(f"'{self.name}' with policy {self.policy} takes {expected} bound operands, "
                                  f"got {len(self.bounds)}")
        if not self.body.blocks:
            raise VerifyException(f"'{self.name}' body region must have a block")
        _verify_block_args(self, self.body, "body", _policy_arg_types(self.policy) + list(acc_types) + list(extra_args))
        _verify_terminator(self, self.body, "body", acc_types)


@irdl_op_definition
class ParallelForOp(_LaunchOp):
    """`Kokkos::parallel_for(name, policy, functor)`; bounds are index operands, body args the indices/member."""

    name = "kokkos.parallel_for"
    bounds = var_operand_def(IndexType)
    body = region_def("single_block")

    assembly_format = "$name $policy `on` $exec_space `(` $bounds `)` attr-dict-with-keyword $body"

    def __init__(self, name: str | StringAttr, policy: Attribute, bounds: Sequence[Value],
                 exec_space: str | ExecSpaceAttr = "default", body: Region | Block | None = None):
        super().__init__(operands=[_values(bounds)], regions=[_region(body, _policy_arg_types(policy))],
                         properties={"policy": policy, "exec_space": _exec(exec_space), "name": _name(name)})

    @classmethod
    def range(cls, name: str, begin: Value, end: Value, exec_space: str = "default") -> ParallelForOp:
        """A 1-D RangePolicy launch with an empty body block `(%i: index)`."""
        return cls(name, RangePolicyAttr(), [begin, end], exec_space)

    @classmethod
    def mdrange(cls, name: str, lowers: Sequence[Value], uppers: Sequence[Value], iterate: str = "right",
                tile: Sequence[int] = (), exec_space: str = "default") -> ParallelForOp:
        """An MDRangePolicy launch with an empty body block (one index per dim)."""
        return cls(name, MDRangePolicyAttr(len(lowers), iterate, tile), [*lowers, *uppers], exec_space)

    @classmethod
    def team(cls, name: str, league: Value, team_size: Value, vector_length: Value, scratch_bytes: int = 0,
             exec_space: str = "default") -> ParallelForOp:
        """A TeamPolicy launch with an empty body block `(%member: !kokkos.team_member)`."""
        return cls(name, TeamPolicyAttr(scratch_bytes), [league, team_size, vector_length], exec_space)

    def verify_(self) -> None:
        self._verify_launch([])


@irdl_op_definition
class ParallelReduceOp(_LaunchOp):
    """`Kokkos::parallel_reduce` with one result per reducer; body yields the updated accumulators.

    Semantics (shared by every reduce form): each thread-local accumulator starts at the reducer's
    identity (for `custom`: at the init value, which must be the join's identity), the body maps
    (indices, acc) to the updated acc, partials are joined, and for built-in reducers the init
    value is folded into the result once: `result = init (+) partials`, as scf.parallel does.
    """

    name = "kokkos.parallel_reduce"
    bounds = var_operand_def(IndexType)
    init = var_operand_def()
    reducers = prop_def(ArrayAttr[ReducerAttr])
    body = region_def("single_block")
    join = opt_region_def("single_block")
    res = var_result_def()

    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    assembly_format = ("$name $policy `on` $exec_space `(` $bounds `)` `init` `(` $init `:` type($init) `)` $reducers "
                       "attr-dict-with-keyword $body (`join` $join^)? `->` type($res)")

    def __init__(self, name: str | StringAttr, policy: Attribute, bounds: Sequence[Value], init: Sequence[Value],
                 reducers: Sequence[str | ReducerAttr], exec_space: str | ExecSpaceAttr = "default",
                 body: Region | Block | None = None, join: Region | Block | None = None):
        init_v = _values(init)
        types = [v.type for v in init_v]
        reds = _reducers(reducers)
        if join is None and any(r.data == ReducerKind.CUSTOM for r in reds.data):
            join = Block(arg_types=types + types)
        super().__init__(operands=[_values(bounds), init_v], result_types=[types],
                         regions=[_region(body, _policy_arg_types(policy) + types),
                                  [] if join is None else _region(join, [])],
                         properties={"policy": policy, "exec_space": _exec(exec_space), "name": _name(name),
                                     "reducers": reds})

    @classmethod
    def range(cls, name: str, begin: Value, end: Value, init: Sequence[Value], reducers: Sequence[str],
              exec_space: str = "default") -> ParallelReduceOp:
        """A 1-D RangePolicy reduction with an empty body block `(%i, %acc...)`."""
        return cls(name, RangePolicyAttr(), [begin, end], init, reducers, exec_space)

    @classmethod
    def mdrange(cls, name: str, lowers: Sequence[Value], uppers: Sequence[Value], init: Sequence[Value],
                reducers: Sequence[str], iterate: str = "right", tile: Sequence[int] = (),
                exec_space: str = "default") -> ParallelReduceOp:
        """An MDRangePolicy reduction with an empty body block."""
        return cls(name, MDRangePolicyAttr(len(lowers), iterate, tile), [*lowers, *uppers], init, reducers,
                   exec_space)

    @classmethod
    def team(cls, name: str, league: Value, team_size: Value, vector_length: Value, init: Sequence[Value],
             reducers: Sequence[str], scratch_bytes: int = 0, exec_space: str = "default") -> ParallelReduceOp:
        """A TeamPolicy reduction with an empty body block `(%member, %acc...)`."""
        return cls(name, TeamPolicyAttr(scratch_bytes), [league, team_size, vector_length], init, reducers,
                   exec_space)

    def verify_(self) -> None:
        _verify_reduction(self, self.init, self.res, self.reducers, self.join)
        self._verify_launch([r.type for r in self.res])


@irdl_op_definition
class ParallelScanOp(_LaunchOp):
    """`Kokkos::parallel_scan` over a range: body args (i, exclusive prefix, final: i1); result is the total."""

    name = "kokkos.parallel_scan"
    bounds = var_operand_def(IndexType)
    init = operand_def()
    reducers = prop_def(ArrayAttr[ReducerAttr])
    body = region_def("single_block")
    join = opt_region_def("single_block")
    res = result_def()

    assembly_format = ("$name $policy `on` $exec_space `(` $bounds `)` `init` `(` $init `:` type($init) `)` $reducers "
                       "attr-dict-with-keyword $body (`join` $join^)? `->` type($res)")

    def __init__(self, name: str | StringAttr, begin: Value, end: Value, init: Value, reducer: str = "sum",
                 exec_space: str | ExecSpaceAttr = "default", body: Region | Block | None = None,
                 join: Region | Block | None = None):
        ty = SSAValue.get(init).type
        reds = _reducers([reducer])
        if join is None and reds.data[0].data == ReducerKind.CUSTOM:
            join = Block(arg_types=[ty, ty])
        super().__init__(operands=[[SSAValue.get(begin), SSAValue.get(end)], init], result_types=[ty],
                         regions=[_region(body, [IndexType(), ty, i1]), [] if join is None else _region(join, [])],
                         properties={"policy": RangePolicyAttr(), "exec_space": _exec(exec_space),
                                     "name": _name(name), "reducers": reds})

    @property
    def final(self) -> SSAValue:
        """The body's `i1` final-pass flag."""
        return self.body.block.args[2]

    @property
    def accumulators(self) -> tuple[SSAValue, ...]:
        return (self.body.block.args[1],)

    def verify_(self) -> None:
        if not isinstance(self.policy, RangePolicyAttr):
            raise VerifyException(f"'{self.name}' supports only #kokkos.range policies, got {self.policy}")
        _verify_reduction(self, [self.init], [self.res], self.reducers, self.join)
        self._verify_launch([self.res.type], extra_args=[i1])


class _NestedRangeOp(IRDLOperation):
    """Fields shared by TeamThreadRange / ThreadVectorRange / TeamVectorRange (for and reduce forms)."""

    member = operand_def(TeamMemberType)
    begin = operand_def(IndexType)
    end = operand_def(IndexType)
    init = var_operand_def()
    reducers = opt_prop_def(ArrayAttr[ReducerAttr])
    body = region_def("single_block")
    join = opt_region_def("single_block")
    res = var_result_def()

    assembly_format = ("$member `(` $begin `,` $end `)` (`init` `(` $init^ `:` type($init) `)`)? "
                       "(`reducers` $reducers^)? attr-dict-with-keyword $body (`join` $join^)? (`->` type($res)^)?")

    # Inside a team launch; the Kokkos nesting rules (which ranges may enclose which) are each
    # subclass's NotNestedIn trait.
    traits = lazy_traits_def(lambda: (SingleBlockImplicitTerminator(YieldOp), RecursiveMemoryEffect(),
                                      HasAncestor(*TEAM_LAUNCH_OPS), IndexSpaceHasCanonicalizationPatterns()))

    def __init__(self, member: Value, begin: Value, end: Value, init: Sequence[Value] = (),
                 reducers: Sequence[str | ReducerAttr] = (), body: Region | Block | None = None,
                 join: Region | Block | None = None):
        init_v = _values(init)
        types = [v.type for v in init_v]
        reds = _reducers(reducers) if init_v or reducers else None
        if join is None and reds is not None and any(r.data == ReducerKind.CUSTOM for r in reds.data):
            join = Block(arg_types=types + types)
        super().__init__(operands=[member, begin, end, init_v], result_types=[types],
                         regions=[_region(body, [IndexType(), *types]), [] if join is None else _region(join, [])],
                         properties={} if reds is None else {"reducers": reds})

    @property
    def index(self) -> SSAValue:
        """The body's loop index."""
        return self.body.block.args[0]

    @property
    def accumulators(self) -> tuple[SSAValue, ...]:
        """The body's accumulators (reduce form)."""
        return tuple(self.body.block.args[1:])

    def verify_(self) -> None:
        types = [r.type for r in self.res]
        if self.res or self.reducers is not None or self.init:
            _verify_reduction(self, self.init, self.res, self.reducers, self.join)
        elif self.join is not None and self.join.blocks:
            raise VerifyException(f"'{self.name}' for form cannot have a join region")
        _verify_block_args(self, self.body, "body", [IndexType(), *types])
        _verify_terminator(self, self.body, "body", types)


_NESTING_RULE = "'{op}' cannot be nested inside '{parent}' (Kokkos nesting rules)"


@irdl_op_definition
class TeamThreadRangeOp(_NestedRangeOp):
    """`Kokkos::TeamThreadRange(member, begin, end)`: split a range over the threads of a team."""

    name = "kokkos.team_thread_range"
    traits = lazy_traits_def(lambda: (NotNestedIn(NESTED_RANGE_OPS, _NESTING_RULE),))


@irdl_op_definition
class ThreadVectorRangeOp(_NestedRangeOp):
    """`Kokkos::ThreadVectorRange(member, begin, end)`: split a range over a thread's vector lanes."""

    name = "kokkos.thread_vector_range"
    traits = lazy_traits_def(lambda: (NotNestedIn((ThreadVectorRangeOp, TeamVectorRangeOp), _NESTING_RULE),))


@irdl_op_definition
class TeamVectorRangeOp(_NestedRangeOp):
    """`Kokkos::TeamVectorRange(member, begin, end)`: split a range over all threads and lanes of a team."""

    name = "kokkos.team_vector_range"
    traits = lazy_traits_def(lambda: (NotNestedIn(NESTED_RANGE_OPS, _NESTING_RULE),))


NESTED_RANGE_OPS = (TeamThreadRangeOp, ThreadVectorRangeOp, TeamVectorRangeOp)
LAUNCH_OPS = (ParallelForOp, ParallelReduceOp, ParallelScanOp)
# The launches that can take a team policy: team-level ops must be nested in one of them.
TEAM_LAUNCH_OPS = (ParallelForOp, ParallelReduceOp)


@irdl_op_definition
class TeamBarrierOp(IRDLOperation):
    """`member.team_barrier()`; illegal inside a nested range (threads would diverge and deadlock)."""

    name = "kokkos.team_barrier"
    member = operand_def(TeamMemberType)
    # A barrier orders every memory access of the team around it: it reads and writes memory.
    traits = lazy_traits_def(lambda: (
        HasAncestor(*TEAM_LAUNCH_OPS), MemoryReadEffect(), MemoryWriteEffect(),
        NotNestedIn((*NESTED_RANGE_OPS, SingleOp),
                    "'{op}' inside '{parent}' would deadlock; place it directly in the team body")))
    assembly_format = "$member attr-dict"

    def __init__(self, member: Value):
        super().__init__(operands=[member])


@irdl_op_definition
class SingleOp(IRDLOperation):
    """`Kokkos::single(PerTeam|PerThread(member), lambda)`: body runs once per team / per thread."""

    name = "kokkos.single"
    member = operand_def(TeamMemberType)
    level = prop_def(SingleLevelAttr)
    body = region_def("single_block")
    traits = lazy_traits_def(lambda: (SingleBlockImplicitTerminator(YieldOp), RecursiveMemoryEffect(),
                                      HasAncestor(*TEAM_LAUNCH_OPS)))
    assembly_format = "$level $member attr-dict-with-keyword $body"

    def __init__(self, member: Value, level: str = "per_team", body: Region | Block | None = None):
        super().__init__(operands=[member], regions=[_region(body, [])],
                         properties={"level": SingleLevelAttr(level)})

    def verify_(self) -> None:
        _verify_block_args(self, self.body, "body", [])
        _verify_terminator(self, self.body, "body", [])


class _MemberQueryOp(IRDLOperation):
    member = operand_def(TeamMemberType)
    result = result_def(IndexType)
    traits = traits_def(Pure(), HasAncestor(*TEAM_LAUNCH_OPS))
    assembly_format = "$member attr-dict"

    def __init__(self, member: Value):
        super().__init__(operands=[member], result_types=[IndexType()])


@irdl_op_definition
class LeagueRankOp(_MemberQueryOp):
    """`member.league_rank()`."""

    name = "kokkos.league_rank"


@irdl_op_definition
class TeamRankOp(_MemberQueryOp):
    """`member.team_rank()`."""

    name = "kokkos.team_rank"


@irdl_op_definition
class TeamSizeOp(_MemberQueryOp):
    """`member.team_size()`."""

    name = "kokkos.team_size"


@irdl_op_definition
class LeagueSizeOp(_MemberQueryOp):
    """`member.league_size()`."""

    name = "kokkos.league_size"


@irdl_op_definition
class ScratchAllocOp(IRDLOperation):
    """A team-scratch view: `View<T*, ScratchSpace, MemoryUnmanaged>(member.team_scratch(level), sizes...)`."""

    name = "kokkos.scratch_alloc"
    member = operand_def(TeamMemberType)
    dynamic_sizes = var_operand_def(IndexType)
    level = prop_def(IntegerAttr[I64])
    result = result_def(MemRefType)
    traits = traits_def(HasAncestor(*TEAM_LAUNCH_OPS), MemoryAllocEffect())
    assembly_format = "$member `(` $dynamic_sizes `)` `level` $level attr-dict `:` type($result)"

    def __init__(self, member: Value, result_type: MemRefType, dynamic_sizes: Sequence[Value] = (), level: int = 0):
        super().__init__(operands=[member, _values(dynamic_sizes)], result_types=[result_type],
                         properties={"level": IntegerAttr(level, i64)})

    def verify_(self) -> None:
        if self.level.value.data not in (0, 1):
            raise VerifyException(f"'{self.name}' level must be 0 or 1, got {self.level.value.data}")
        if memory_space_of(self.result.type) != MemorySpace.SCRATCH:
            raise VerifyException(f"'{self.name}' result must be in #kokkos.space<scratch>, got {self.result.type}")
        verify_dynamic_sizes(self, self.result.type, self.dynamic_sizes)


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Terminator of every kokkos region: the updated accumulators (or nothing)."""

    name = "kokkos.yield"
    values = var_operand_def()
    traits = lazy_traits_def(lambda: (IsTerminator(), Pure(), HasParent(
        ParallelForOp, ParallelReduceOp, ParallelScanOp, TeamThreadRangeOp, ThreadVectorRangeOp, TeamVectorRangeOp,
        SingleOp)))
    assembly_format = "($values^ `:` type($values))? attr-dict"

    def __init__(self, *values: Value):
        super().__init__(operands=[_values(values)])


def _equal(a: SSAValue, b: SSAValue) -> bool:
    """a == b provably: one SSA value, or equal integer constants."""
    if a is b:
        return True
    ca = const_evaluate_operand(a)
    return ca is not None and ca == const_evaluate_operand(b)


def index_space_is_empty(op: Operation) -> bool:
    """Whether a launch or nested range provably runs no iteration.

    Some dimension has begin == end (one SSA value or equal constants), or a team launch has the
    constant league size 0. begin > end does not count: Kokkos rejects such a range at run time.
    """
    if isinstance(op, NESTED_RANGE_OPS):
        return _equal(op.begin, op.end)
    if not isinstance(op, LAUNCH_OPS):
        return False
    if isinstance(op.policy, TeamPolicyAttr):
        return const_evaluate_operand(op.bounds[0]) == 0
    return any(_equal(lo, hi) for lo, hi in zip(op.lower_bounds, op.upper_bounds))


class FoldEmptyIndexSpace(RewritePattern):
    """Canonicalization: a launch or nested range that runs no iteration is removed, its results
    replaced by its init values (init (+) no contribution for a built-in reducer; a custom
    reducer's init is its identity)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not index_space_is_empty(op):
            return
        init = [op.init] if isinstance(op, ParallelScanOp) else list(getattr(op, "init", ()))
        rewriter.replace(op, [], init)


Kokkos = Dialect(
    "kokkos",
    [ParallelForOp, ParallelReduceOp, ParallelScanOp, TeamThreadRangeOp, ThreadVectorRangeOp, TeamVectorRangeOp,
     TeamBarrierOp, SingleOp, LeagueRankOp, TeamRankOp, TeamSizeOp, LeagueSizeOp, ScratchAllocOp, AllocOp,
     CreateMirrorViewOp, DeepCopyOp, FenceOp, PrintOp, YieldOp, AtomicFetchAddOp, AtomicFetchOp, PrintfOp],
    [SpaceAttr, ExecSpaceAttr, IterateAttr, ReducerAttr, EntryAttr, SingleLevelAttr, RangePolicyAttr,
     MDRangePolicyAttr, TeamPolicyAttr, TeamMemberType],
)
