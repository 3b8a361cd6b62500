"""Build one target-neutral IR module from kernel launches: entry funcs (L2 `scf.parallel` for
range/MDRange parallel_for and parallel_reduce, as graph programs reach L2, a user's MDRange tile
riding on the loop as `kokkos.tile`; L3 only for scans, which scf cannot express, and team
policies) plus the device functions they call.

Nothing here depends on the target: views are in host space, launches on the default execution
space with the default MDRange iteration order. The L2 -> L3 passes specialise them for the
target stamped on the module (`kokkos-set-target`)."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr, UnitAttr, i64
from xdsl.ir import Block, Region

from hpcir.core.errors import KernelSyntaxError, KernelTypeError
from hpcir.dialects.kokkos_discardable import ARG_NAMES, ENTRY, LAYOUT_FREE, ORDERED, TILE

from .kernel import Kernel
from .reducers import LOC_REDUCERS, accepts, combiner_block, identity, loc_identities
from .scope import Scope, Var
from .stmts import StmtMixin
from .types import BOOL, I64, KernelType, ScalarType, TeamMemberType
from .values import TV

@dataclass
class LaunchSpec:
    """One kernel specialised for a launch: kind, policy shape, parameter types, reducer."""

    kernel: Kernel
    kind: str  # for | reduce | scan
    policy: str  # range | mdrange | team
    rank: int  # index dimensions (0 for team)
    param_types: dict[str, KernelType]  # the kernel's own (non-index, non-acc) parameters, in order
    reducer: str = "sum"
    acc_type: ScalarType | None = None
    tile: tuple[int, ...] = ()
    layout_free: bool = False  # view layouts are the target's choice (lowering a file, no arrays)
    name: str = ""
    check_bounds: bool = False  # debug mode: every view access checked at run time (HPCIR_CHECK_BOUNDS)
    index_params: list[str] = field(default_factory=list)
    acc_param: str | None = None
    final_param: str | None = None
    # A reduction's accumulators, one reducer and type each (first = reducer/acc_type/acc_param above).
    acc_params: list[str] = field(default_factory=list)
    reducers: tuple[str, ...] = ()
    acc_types: tuple[ScalarType, ...] = ()

    def __post_init__(self) -> None:
        if not self.reducers:  # a one-accumulator spec written with the singular fields
            self.reducers = (self.reducer,)
            self.acc_types = (self.acc_type,) if self.acc_type is not None else ()
            self.acc_params = [self.acc_param] if self.acc_param is not None else []
        else:
            self.reducer, self.acc_type = self.reducers[0], (self.acc_types[0] if self.acc_types else None)
            self.acc_param = self.acc_params[0] if self.acc_params else None


class KernelLowerer(StmtMixin):
    """Lowers one kernel body (entry or device function) into the current block."""

    def __init__(self, kernel: Kernel, module: "ModuleBuilder", block: Block):
        self.kernel = kernel
        self.module = module
        self.block = block
        self.scope = Scope()
        self.ret_flag: Var | None = None
        self.ret_slot: Var | None = None
        self.ret_type: ScalarType | None = None
        self.loops: list = []
        self.member: TV | None = None
        self.infer_returns: list[TV] | None = None
        self.check_bounds = False  # assert 0 <= index < extent at every view access

    def stmt_Return(self, node: ast.Return) -> None:  # type: ignore[override]
        if self.infer_returns is not None and node.value is not None:
            self.infer_returns.append(self.scalar(node.value))
            return
        super().stmt_Return(node)

    def run(self, bindings: dict[str, Var | TV]) -> None:
        """Lower the kernel's body with its parameters bound."""
        self.scope.names.update(bindings)
        if self.alloca_block is None:
            self.alloca_block = self.block
        body = self.kernel.tree.body
        if any(isinstance(n, ast.Return) for st in body for n in ast.walk(st)):
            self.ret_flag = self.flag(False)
        self.body(body)


class ModuleBuilder:
    """Collects the entries and device functions of one lowered module."""

    def __init__(self) -> None:
        self.module = ModuleOp([])
        self._in_progress: set[int] = set()  # device functions being inlined (recursion check)
        self.entry_names: list[str] = []
        self.launched: dict[tuple, str] = {}  # launches of programs: spec key -> entry name

    # -- device functions (inlined at their call sites) -----------------------------------------
    def infer_return(self, kern: Kernel, types: list[KernelType]) -> ScalarType:
        """The return type of a device function called with `types`: the join of its returned values."""
        scratch = Block(arg_types=[t.mlir() for t in types])  # type: ignore[union-attr]
        low = KernelLowerer(kern, self, scratch)
        low.infer_returns = []
        low.run({p.name: TV(a, t) for p, a, t in zip(kern.params, scratch.args, types)})
        seen = low.infer_returns
        from .values import join_types
        ret = seen[0]
        for v in seen[1:]:
            ret = TV(ret.ssa, join_types(ret, v), ret.weak and v.weak)
        assert isinstance(ret.ty, ScalarType)
        return ret.ty

    # -- entries -------------------------------------------------------------------------------
    def add_entry(self, spec: LaunchSpec) -> str:
        """Add the entry function of one launch; returns its symbol name."""
        try:
            return self._add_entry(spec)
        except RecursionError:
            # The frontend recurses once per nesting level; Python's limit protects the C stack, and
            # raising it could crash the interpreter instead.
            k = spec.kernel
            raise KernelSyntaxError(f"kernel {k.name} nests too deeply for hpcir to lower (an expression of "
                                    "hundreds of operators, or a chain of hundreds of device-function calls)",
                                    k.loc(k.tree), hint="split long expressions into statements with temporaries "
                                    "(s = a + b; s = s + c; ...), or shorten the chain of calls") from None

    def _add_entry(self, spec: LaunchSpec) -> str:
        k = spec.kernel
        name = spec.name or k.name
        nb = {"range": 2, "mdrange": 2 * spec.rank, "team": 3}[spec.policy]
        param_types = spec.param_types
        ptypes = [t.mlir() for t in param_types.values()]  # type: ignore[union-attr]
        block = Block(arg_types=[I64.mlir()] * nb + ptypes)
        bound_names = {"range": ["begin", "end"], "team": ["league_size", "team_size", "vector_length"],
                       "mdrange": [f"begin{d}" for d in range(spec.rank)] + [f"end{d}" for d in range(spec.rank)]}
        for arg, hint in zip(block.args, bound_names[spec.policy] + list(spec.param_types)):
            arg.name_hint = hint  # readable C++ and MLIR (%x instead of %3)
        low = KernelLowerer(k, self, block)
        low.check_bounds = spec.check_bounds
        bounds = [low.to_index(TV(a, I64)) for a in block.args[:nb]]
        params: dict[str, Var | TV] = {n: TV(a, t) for (n, t), a in zip(param_types.items(), block.args[nb:])}
        result_types = []
        if spec.kind == "for" and spec.policy in ("range", "mdrange"):
            self._l2_parallel(low, spec, bounds, params)
        elif spec.kind == "reduce" and spec.policy in ("range", "mdrange") and spec.reducers[0] not in LOC_REDUCERS:
            res = self._l2_reduce(low, spec, bounds, params)
            result_types = [v.type for v in res]
            low.emit(func.ReturnOp(*res))
        else:
            res = self._l3_launch(low, spec, name, bounds, params)
            if res:
                result_types = [v.type for v in res]
                low.emit(func.ReturnOp(*res))
        if not result_types:
            low.emit(func.ReturnOp())
        fn = func.FuncOp(name, (list(block.arg_types), result_types), Region(block))
        from hpcir.dialects import kokkos as kk
        fn.attributes[ENTRY] = kk.EntryAttr(spec.kind)
        fn.attributes[ARG_NAMES] = ArrayAttr([StringAttr(s) for s in bound_names[spec.policy] + list(spec.param_types)])
        if spec.layout_free:
            fn.attributes[LAYOUT_FREE] = UnitAttr()
        self.module.body.block.add_op(fn)
        self.entry_names.append(name)
        return name

    def _bind_indices(self, low: KernelLowerer, spec: LaunchSpec, ivs: list) -> dict[str, Var | TV]:
        bound: dict[str, Var | TV] = {}
        for n, iv in zip(spec.index_params, ivs):  # the user's index names survive into the C++
            iv.name_hint = iv.name_hint or n
            bound[n] = tv = low.from_index(iv)
            tv.ssa.name_hint = tv.ssa.name_hint or n
        return bound

    def _l2_parallel(self, low: KernelLowerer, spec: LaunchSpec, bounds: list, params: dict) -> None:
        r = spec.rank
        one = low.const_index(1)
        body = Block(arg_types=[bounds[0].type] * r)
        outer = low.block
        low.block = body
        low.run({**params, **self._bind_indices(low, spec, list(body.args))})
        low.emit(scf.ReduceOp())
        low.block = outer
        self._user_tile(low.emit(scf.ParallelOp(bounds[:r], bounds[r:2 * r], [one] * r, Region(body))), spec)

    def _l2_reduce(self, low: KernelLowerer, spec: LaunchSpec, bounds: list, params: dict) -> list:
        """`scf.parallel` with one reduction per accumulator: each iteration runs the body on
        accumulators that start at their reducers' identities and contributes their final values
        through `scf.reduce`."""
        r = spec.rank
        accs = _checked_accumulators(spec)
        inits = [low.const(identity(kind, t), t) for kind, t, _ in accs]
        one = low.const_index(1)
        body = Block(arg_types=[bounds[0].type] * r)
        outer = low.block
        low.block = body
        bindings: dict[str, Var | TV] = {**params, **self._bind_indices(low, spec, list(body.args))}
        acc_vars = []
        for kind, t, name in accs:
            if name is None:
                continue
            acc_vars.append(low.new_var(name, t, low.const(identity(kind, t), t)))
            del low.scope.names[name]
            bindings[name] = acc_vars[-1]
        low.run(bindings)
        contributions = ([low.emit(memref.LoadOp.get(v.ref, [])).results[0] for v in acc_vars] if acc_vars
                         else [low.const(identity(kind, t), t).ssa for kind, t, _ in accs])
        low.emit(scf.ReduceOp(contributions, [Region(combiner_block(kind, t)) for kind, t, _ in accs]))
        low.block = outer
        par = low.emit(scf.ParallelOp(bounds[:r], bounds[r:2 * r], [one] * r, Region(body), [i.ssa for i in inits]))
        self._user_tile(par, spec)
        if spec.kernel.ordered:
            par.attributes[ORDERED] = UnitAttr()
        for res, (_, _, acc_name) in zip(par.results, accs if len(accs) > 1 else ()):
            res.name_hint = acc_name  # the C++ reduction value's members keep the accumulators' names
        return list(par.results)

    @staticmethod
    def _user_tile(par: Any, spec: LaunchSpec) -> None:
        """The user's MDRangePolicy tile travels on the loop; convert-scf-to-kokkos gives it to the launch."""
        if spec.tile:
            par.attributes[TILE] = ArrayAttr([IntegerAttr(t, i64) for t in spec.tile])

    def _l3_launch(self, low: KernelLowerer, spec: LaunchSpec, name: str, bounds: list, params: dict) -> list:
        """A scan (scf has none), a team-policy launch or a maxloc/minloc reduction (scf.reduce combines
        each value alone), written at L3 on the default execution space."""
        from hpcir.dialects import kokkos as kk
        es = "default"  # convert-scf-to-kokkos gives it the target's
        accs = _checked_accumulators(spec) if spec.kind in ("reduce", "scan") else []
        init = [low.const(identity(kind, t), t).ssa for kind, t, _ in accs]
        r = spec.rank
        if accs and accs[0][0] in LOC_REDUCERS:
            init = []
            for kind, t, _ in accs[::2]:  # (value, index) pairs: one, or minloc's then maxloc's
                value, loc = loc_identities(kind, t)
                init += [low.const(value, t).ssa, low.const(loc, I64).ssa]
            op = kk.ParallelReduceOp(name, kk.RangePolicyAttr(), bounds[:2], init, [k for k, _, _ in accs], es)
        elif spec.kind == "scan":
            op = kk.ParallelScanOp(name, bounds[0], bounds[1], init[0], spec.reducer, es)
            if spec.kernel.ordered:
                op.attributes[ORDERED] = UnitAttr()
        else:
            assert spec.policy == "team", "range and MDRange for/reduce launches are written at L3 only for teams"
            op = (kk.ParallelForOp.team(name, *bounds, exec_space=es) if spec.kind == "for" else
                  kk.ParallelReduceOp.team(name, *bounds, init=init, reducers=[k for k, _, _ in accs],
                                           exec_space=es))
        outer = low.block
        low.block = op.body.block
        args = list(op.body.block.args)
        bindings: dict[str, Var | TV] = dict(params)
        if spec.policy == "team":
            member = TV(args[0], TeamMemberType())
            bindings[spec.index_params[0]] = member
            low.member = member
            low.team_outer, low.team_params, low.team_kernel = outer, dict(params), spec.kernel  # team.scratch sizes
            rest = args[1:]
        else:
            bindings.update(self._bind_indices(low, spec, args[:r]))
            rest = args[r:]
        acc_vars = []
        for (_, t, acc_name), arg in zip(accs, rest):
            if acc_name is None:
                continue
            acc_vars.append(low.new_var(acc_name, t, TV(arg, t)))
            del low.scope.names[acc_name]
            bindings[acc_name] = acc_vars[-1]
        if spec.kind == "scan" and spec.final_param is not None:
            bindings[spec.final_param] = TV(rest[1], BOOL)
        low.run(bindings)
        if acc_vars:
            low.emit(kk.YieldOp(*[low.emit(memref.LoadOp.get(v.ref, [])).results[0] for v in acc_vars]))
        elif accs:
            low.emit(kk.YieldOp(*rest[:len(accs)]))
        else:
            low.emit(kk.YieldOp())
        low.block = outer
        low.emit(op)
        for res, (_, _, acc_name) in zip(op.results, accs if len(accs) > 1 else ()):
            res.name_hint = acc_name
        return list(op.results) if accs else []


def _checked_accumulators(spec: LaunchSpec) -> list[tuple[str, ScalarType, str | None]]:
    """(reducer, type, parameter name) of each accumulator; a reducer must be defined on its type."""
    names: list[str | None] = list(spec.acc_params) or [None]
    out = []
    for kind, t, name in zip(spec.reducers, spec.acc_types, names + [None] * (len(spec.reducers) - len(names))):
        if not accepts(kind, t):
            k = spec.kernel
            node = next((p.node for p in k.params if p.name == name), k.tree)
            what = f"accumulator `{name}`" if name else "the accumulator"
            raise KernelTypeError(f"reducer {kind!r} is not defined on {t} accumulators ({what})", k.loc(node),
                                  hint=_reducer_hint(kind, t))
        out.append((kind, t, name))
    for at in range(1, len(out), 2) if out and out[0][0] in LOC_REDUCERS else ():
        if out[at][1] == I64:
            continue
        k, kind = spec.kernel, out[at][0]
        node = next((p.node for p in k.params if p.name == out[at][2]), k.tree)
        nth = {1: "second", 3: "fourth"}[at]
        raise KernelTypeError(f"the {nth} accumulator of a {kind} reduction is the index of the "
                              f"{'largest' if kind == 'maxloc' else 'smallest'} value and must be an int, "
                              f"not {out[at][1]} (`{out[at][2]}`)", k.loc(node),
                              hint=f"annotate it `{out[at][2]}: hpcir.Acc[int]`")
    if len(out) == 4 and out[0][1] != out[2][1]:
        k = spec.kernel
        node = next((p.node for p in k.params if p.name == out[2][2]), k.tree)
        raise KernelTypeError(f"the smallest and the largest value of a minloc-and-maxloc reduction have one type, "
                              f"not {out[0][1]} (`{out[0][2]}`) and {out[2][1]} (`{out[2][2]}`)", k.loc(node),
                              hint=f"annotate both Acc[{out[0][1]}]")
    return out


def _reducer_hint(kind: str, t: ScalarType) -> str:
    if str(t).startswith("complex"):
        return "complex accumulators reduce with sum or prod; reduce abs(z) or z.real for an ordering"
    if kind in ("land", "lor"):
        return f"{kind} reduces bool accumulators: annotate it Acc[bool]"
    if kind in ("band", "bor"):
        return f"{kind} reduces int or bool accumulators: annotate it Acc[int]"
    return "annotate the accumulator with a number type, e.g. Acc[float] or Acc[int]"
