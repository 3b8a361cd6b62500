"""Calls inside kernels: math, builtins, team methods, atomics, device functions, nested launches."""
from __future__ import annotations

import ast
import cmath as pycmath
import math as pymath
from typing import Any

from xdsl.dialects import arith, memref
from xdsl.dialects import complex as cplx
from xdsl.dialects.builtin import IntegerAttr, i64

from hpcir.core.errors import KernelSyntaxError, KernelTypeError

from .reducers import LOC_REDUCERS, REDUCERS, accepts, identity
from .scope import Closure, Scope, Var
from .types import AccType, I64, ScalarType, TeamMemberType, ViewType
from .values import TV

# memref.atomic_rmw kinds (upstream MLIR's AtomicRMWKind enum values)
RMW = {"addf": 0, "addi": 1, "andi": 2, "maximumf": 4, "maxs": 6, "minimumf": 8, "mins": 10, "mulf": 12,
       "muli": 13, "ori": 14, "xori": 15}
TEAM_QUERIES = ("league_rank", "team_rank", "team_size", "league_size")
BUILTINS = {"int", "float", "bool", "abs", "min", "max", "len", "complex"}


def expr_Call(self: Any, node: ast.Call) -> TV:
    """A call used as a value."""
    v = self.call(node, want_value=True)
    if isinstance(v, list):  # a reduction with several accumulators
        names = ", ".join(f"r{k}" for k in range(len(v)))
        raise self.err(KernelSyntaxError, f"this parallel_reduce has {len(v)} accumulators and returns {len(v)} "
                       "values, which cannot be used as one", node,
                       hint=f"unpack them into names: {names} = {ast.unparse(node.func)}(...)")
    assert v is not None
    return v


def unpack_call(self: Any, target: ast.Tuple, node: ast.Assign) -> None:
    """`a, b = call(...)`: a reduction with as many accumulators as names."""
    v = self.call(node.value, want_value=True)
    got = len(v) if isinstance(v, list) else 1
    if got != len(target.elts):
        raise self.err(KernelSyntaxError, f"{len(target.elts)} names are assigned from a call that returns {got} "
                       "value(s)", node, hint="a parallel_reduce returns one value per accumulator (per reducer "
                       "of its reducer=(...) tuple)")
    for t, x in zip(target.elts, v):  # type: ignore[arg-type]
        if isinstance(t, ast.Name) and x.ssa.name_hint is None:
            x.ssa.name_hint = t.id  # the C++ value struct's members take the user's names
        self.assign(t, x, node)


def reducer_keyword(self: Any, value: ast.expr, tag: str) -> list[str]:
    """The reducer(s) of `reducer="max"` or `reducer=("sum", "max")` (constants) in kernel code."""
    elts = list(value.elts) if isinstance(value, (ast.Tuple, ast.List)) else [value]
    kinds = []
    for e in elts:
        if not (isinstance(e, ast.Constant) and e.value in REDUCERS):
            raise self.err(KernelSyntaxError, f"unknown reducer `{ast.unparse(e)}` in {tag}", e,
                           hint=f"write reducer='sum'|... or a tuple of them, one per accumulator "
                                f"({', '.join(REDUCERS)})")
        if e.value in LOC_REDUCERS:
            raise self.err(KernelSyntaxError, f"reducer {e.value!r} is not available in {tag}: maxloc / minloc "
                           "run over a launch's 1-D range", e,
                           hint="launch the reduction with hpcir.parallel_reduce(n, kernel) (reducer='maxloc'), "
                                "or compare and keep the index by hand in a 'max' reduction of the values")
        kinds.append(e.value)
    if not kinds:
        raise self.err(KernelSyntaxError, "reducer=() names no reducer", value,
                       hint="give one reducer per accumulator, e.g. reducer=('sum', 'max')")
    return kinds


def _local(self: Any, node: ast.expr) -> Any:
    if isinstance(node, ast.Name):
        b = self.scope.get(node.id)
        if isinstance(b, Var):
            return self.lookup(node.id, node)
        return b
    return None


def call(self: Any, node: ast.Call, want_value: bool) -> TV | None:
    """Lower a call; returns its value (None for calls without one)."""
    f = node.func
    if isinstance(f, ast.Attribute):
        base = _local(self, f.value)
        if isinstance(base, TV) and isinstance(base.ty, TeamMemberType):
            if f.attr in TEAM_QUERIES and not node.args:
                return self.team_query(base, f.attr, node)
            if f.attr in ("scratch", "team_scratch"):
                raise self.err(KernelSyntaxError, f"team.{f.attr}(...) must be assigned to a name", node,
                               hint="write s = team.scratch(float, n) (or pk.ScratchView1D(team.team_scratch(0), n)) "
                                    "at the top of the team kernel")
            if f.attr == "team_barrier" and not node.args:
                from hpcir.dialects import kokkos as kk
                self.emit(kk.TeamBarrierOp(base.ssa))
                return _no_value(self, node, want_value)
            raise self.err(KernelSyntaxError, f"team members have no method `{f.attr}` here", node,
                           hint="use league_rank(), team_rank(), team_size(), league_size(), team_barrier()")
        if isinstance(base, TV) and isinstance(base.ty, ViewType):
            if f.attr == "extent" and len(node.args) == 1:
                return self.extent(base, node.args[0], node)
            raise self.err(KernelSyntaxError, f"views have no method `{f.attr}` in kernels", node,
                           hint="use v.extent(d) and v[i, j]")
        if f.attr == "conjugate" and not node.args and self.global_object(f.value) is None:
            return self.conjugate(self.scalar(f.value, "the operand of .conjugate()"))
    if isinstance(f, ast.Name) and isinstance(self.scope.get(f.id), Closure):
        raise self.err(KernelSyntaxError, f"nested function `{f.id}` can only be passed to a nested "
                       "parallel_for / parallel_reduce / single", node)
    obj = self.global_object(f)
    if obj is None:
        raise self.err(KernelSyntaxError, f"`{ast.unparse(f)}` is not a function kernels can call", node,
                       hint="kernels can call math functions, int/float/bool/abs/min/max, hpcir atomics "
                            "and other @hpcir.kernel functions")
    if node.keywords and not getattr(obj, "__hpcir_intrinsic__", None):
        raise self.err(KernelSyntaxError, "keyword arguments are not supported in kernel calls", node)
    if getattr(obj, "__module__", None) == "math" or (callable(obj) and getattr(pymath, getattr(obj, "__name__", ""), None) is obj):
        return self.math_call(obj.__name__, node)
    if getattr(obj, "__module__", None) == "cmath" or (callable(obj) and getattr(pycmath, getattr(obj, "__name__", ""), None) is obj):
        return self.cmath_call(obj.__name__, node)
    name = getattr(obj, "__name__", None)
    if name in BUILTINS and obj is getattr(__import__("builtins"), name):
        return self.builtin_call(name, node)
    tag = getattr(obj, "__hpcir_intrinsic__", None)
    if tag == "local" or (isinstance(tag, str) and tag.startswith("ScratchView")):
        raise self.err(KernelSyntaxError, f"`{ast.unparse(f)}(...)` must be assigned to a name", node,
                       hint="write t = hpcir.local(float, 16), then use t[i]")
    if isinstance(tag, str) and tag.startswith("atomic_"):
        return self.atomic_call(tag, node, want_value)
    if tag == "printf":
        printf_call(self, node)
        return _no_value(self, node, want_value)
    if tag in ("parallel_for", "parallel_reduce", "parallel_scan"):
        return self.nested_launch(tag, node, want_value)
    if tag == "single":
        self.single_call(node)
        return _no_value(self, node, want_value)
    from .kernel import Kernel
    if isinstance(obj, Kernel):
        return self.device_call(obj, node, want_value)
    raise self.err(KernelSyntaxError, f"`{ast.unparse(f)}` cannot be called inside a kernel", node,
                   hint="kernels can call math functions, int/float/bool/abs/min/max, hpcir atomics "
                        "and other @hpcir.kernel functions")


def _no_value(self: Any, node: ast.AST, want_value: bool) -> None:
    if want_value:
        raise self.err(KernelTypeError, "this call has no value", node)
    return None


def device_call(self: Any, kern: Any, node: ast.Call, want_value: bool) -> TV | None:
    """Inline a call of another @hpcir.kernel (specialised on the argument types).

    Inlining, rather than a func.call, keeps L3 checkable by upstream MLIR: symbol references
    inside unregistered (kokkos) ops cannot be resolved there.
    """
    args = [self.expr(a) for a in node.args]
    if node.keywords or len(args) != len(kern.params):
        raise self.err(KernelTypeError, f"{kern.name} takes {len(kern.params)} positional arguments, "
                       f"{len(args)} given", node)
    for a, n, p in zip(args, node.args, kern.params):
        if not isinstance(a.ty, (ScalarType, ViewType)):
            raise self.err(KernelTypeError, "device functions take numbers, bools and views", n)
        if isinstance(p.annotation, ScalarType) and isinstance(a.ty, ScalarType) and p.annotation != a.ty \
                and not (a.weak or (p.annotation.is_float and a.ty.is_float)):
            raise self.err(KernelTypeError, f"argument `{p.name}` of {kern.name} is a {p.annotation}, got {a.ty}", n)
    key = id(kern)
    if key in self.module._in_progress:
        raise self.err(KernelSyntaxError, f"recursive call of {kern.name}: recursion is not supported in kernels",
                       node, hint="rewrite it as a loop")
    types = [p.annotation if isinstance(p.annotation, ScalarType) and isinstance(a.ty, ScalarType) else a.ty
             for p, a in zip(kern.params, args)]
    ret = kern.returns if isinstance(kern.returns, ScalarType) else None
    if ret is None and any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(kern.tree)):
        ret = self.module.infer_return(kern, types)
    saved = (self.kernel, self.scope, self.ret_flag, self.ret_slot, self.ret_type, self.loops)
    self.module._in_progress.add(key)
    self.kernel, self.scope, self.loops = kern, Scope(), []
    for p, a, t in zip(kern.params, args, types):
        if isinstance(t, ScalarType):  # parameters are local copies the callee may assign
            self.new_var(p.name, t, a)
        else:
            self.scope.names[p.name] = a
    self.ret_type = ret
    self.ret_slot = self.new_var(".ret", ret, self.const(0, ret)) if ret is not None else None
    del self.scope.names[".ret"]
    has_return = any(isinstance(n, ast.Return) for n in ast.walk(kern.tree))
    self.ret_flag = self.flag(False) if has_return else None
    self.body(kern.tree.body)
    slot = self.ret_slot
    (self.kernel, self.scope, self.ret_flag, self.ret_slot, self.ret_type, self.loops) = saved
    self.module._in_progress.discard(key)
    if ret is None:
        return _no_value(self, node, want_value)
    assert slot is not None
    return TV(self.emit(memref.LoadOp.get(slot.ref, [])).results[0], ret)


def atomic_call(self: Any, tag: str, node: ast.Call, want_value: bool) -> TV | None:
    """atomic_add(view, [i, j], value) and friends → memref.atomic_rmw (returns the old value)."""
    fetch = tag.startswith("atomic_fetch_")
    kind = tag.removeprefix("atomic_fetch_") if fetch else tag.removeprefix("atomic_")
    if len(node.args) != 3:
        raise self.err(KernelSyntaxError, f"{tag} takes (view, [indices], value)", node)
    view = self.expr(node.args[0])
    if not isinstance(view.ty, ViewType):
        raise self.err(KernelTypeError, f"the first argument of {tag} must be a view", node.args[0])
    if view.ty.space == "local":  # a thread's own array: no other thread can race on it
        raise self.err(KernelTypeError, f"{tag} on a local array: it belongs to one thread, no atomic is needed",
                       node.args[0], hint="update it directly (t[i] += v)")
    idx_node = node.args[1]
    idx_nodes = list(idx_node.elts) if isinstance(idx_node, (ast.List, ast.Tuple)) else [idx_node]
    if len(idx_nodes) != view.ty.rank:
        raise self.err(KernelTypeError, f"{tag} on a rank-{view.ty.rank} view needs {view.ty.rank} indices",
                       idx_node)
    idx = [self.to_index(self.as_int(n)) for n in idx_nodes]
    et = view.ty.dtype
    from hpcir.dialects.kokkos_data_ops import ATOMIC_FETCH_KINDS, INTEGER_ONLY_ATOMICS, UNSIGNED_ATOMICS, AtomicFetchOp
    if et.is_complex:
        return _complex_atomic(self, tag, kind, view, idx, node, fetch or want_value)
    val = self.convert(self.scalar(node.args[2]), et)
    if et.is_bool:
        raise self.err(KernelTypeError, f"{tag} is not defined on bool views", node)
    if kind in ATOMIC_FETCH_KINDS or (et.is_unsigned and kind in UNSIGNED_ATOMICS):
        # no memref.atomic_rmw kind (or an unsigned view): Kokkos' own atomic_fetch_<kind>
        if kind in INTEGER_ONLY_ATOMICS and not (et.is_int or et.is_unsigned):
            raise self.err(KernelTypeError, f"{tag} needs an integer view, not {et}", node)
        fetched = self.emit(AtomicFetchOp(kind, val.ssa, view.ssa, idx))
        return TV(fetched.results[0], et) if fetch or want_value else None
    if kind == "sub":
        neg = arith.NegfOp(val.ssa) if et.is_float else arith.SubiOp(self.const(0, et).ssa, val.ssa)
        val, kind = TV(self.emit(neg).results[0], et), "add"
    table = {"add": ("addf", "addi"), "mul": ("mulf", "muli"), "max": ("maximumf", "maxs"),
             "min": ("minimumf", "mins"), "and": (None, "andi"), "or": (None, "ori"), "xor": (None, "xori")}
    rmw = table[kind][0 if et.is_float else 1]
    if rmw is None:
        raise self.err(KernelTypeError, f"{tag} needs an integer view, not {et}", node)
    op = memref.AtomicRMWOp.create(operands=[val.ssa, view.ssa, *idx], result_types=[et.mlir()],
                                   properties={"kind": IntegerAttr(RMW[rmw], i64)})
    self.emit(op)
    return TV(op.results[0], et) if fetch or want_value else None


def printf_call(self: Any, node: ast.Call) -> None:
    """printf("i = %d, x = %f\\n", i, x) → kokkos.printf: the format a string constant, one number
    per conversion (the backend converts each to the type its conversion names, as C's printf needs)."""
    from hpcir.dialects.kokkos_data_ops import PrintfOp, printf_conversions
    if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
        raise self.err(KernelSyntaxError, "printf needs a format string constant as its first argument", node,
                       hint='write printf("i = %d\\n", i)')
    fmt = node.args[0].value
    convs = printf_conversions(fmt)
    if convs is None:
        raise self.err(KernelSyntaxError, f"printf format {fmt!r}: kernels print numbers only", node.args[0],
                       hint="use %d %i %u %x %o %c for integers and %f %e %g %a for floats, %% for a percent sign "
                            "(no %s, %p, %n or * widths)")
    if len(convs) != len(node.args) - 1:
        raise self.err(KernelTypeError, f"printf format {fmt!r} has {len(convs)} conversions but "
                       f"{len(node.args) - 1} values follow it", node)
    values = []
    for m, a in zip(convs, node.args[1:]):
        v = self.scalar(a)
        if not isinstance(v.ty, ScalarType) or v.ty.is_complex:
            raise self.err(KernelTypeError, f"printf prints numbers and bools, not {v.ty}", a,
                           hint="print z.real and z.imag" if getattr(v.ty, "is_complex", False) else None)
        values.append(v.ssa)
    self.emit(PrintfOp(fmt, values))


def _complex_atomic(self: Any, tag: str, kind: str, view: TV, idx: list, node: ast.Call, value: bool) -> TV | None:
    """atomic_add / atomic_sub on a complex view: kokkos.atomic_fetch_add (memref.atomic_rmw has
    no complex kinds upstream)."""
    from hpcir.dialects.kokkos import AtomicFetchAddOp
    assert isinstance(view.ty, ViewType)
    et = view.ty.dtype
    if kind not in ("add", "sub"):
        raise self.err(KernelTypeError, f"{tag} on a view of {et}: complex numbers have atomic add and sub only",
                       node, hint="use hpcir.atomic_add (or atomic_sub), or a reduction with an Acc[complex]")
    val = self.convert(self.scalar(node.args[2]), et)
    if kind == "sub":
        val = TV(self.emit(cplx.NegOp(val.ssa)).results[0], et)
    op = self.emit(AtomicFetchAddOp(val.ssa, view.ssa, idx))
    return TV(op.results[0], et) if value else None


def _closure(self: Any, node: ast.expr, nparams: int, what: str) -> Closure:
    if isinstance(node, ast.Lambda):
        params = [a.arg for a in node.args.args]
        # The statement keeps the lambda body's location: errors inside point at it.
        clo = Closure(params, [ast.copy_location(ast.Expr(node.body), node.body)], node)
    elif isinstance(node, ast.Name) and isinstance(self.scope.get(node.id), Closure):
        clo = self.scope.get(node.id)
    else:
        from .kernel import Kernel
        obj = self.global_object(node)
        if not isinstance(obj, Kernel):
            raise self.err(KernelSyntaxError, f"the body of {what} must be a nested def, a lambda or a kernel", node)
        clo = Closure([p.name for p in obj.params], obj.tree.body, obj.tree)
    if len(clo.params) != nparams:
        raise self.err(KernelSyntaxError, f"the body of {what} must take {nparams} parameter(s), "
                       f"it takes {len(clo.params)}", node)
    return clo


def inline_closure(self: Any, clo: Closure, bindings: dict[str, Var | TV]) -> None:
    """Lower a closure's body in a child scope (captures by reference, like a C++ [&] lambda)."""
    saved = self.scope, self.ret_flag, self.loops
    self.scope = Scope(dict(bindings), parent=self.scope)
    self.ret_flag, self.loops = None, []
    for st in clo.body:
        for n in ast.walk(st):
            if isinstance(n, ast.Return):
                raise self.err(KernelSyntaxError, "return is not supported inside nested team functions", n,
                               hint="use if/else around the rest of the body")
    self.body(clo.body)
    self.scope, self.ret_flag, self.loops = saved


def _acc_type(self: Any, clo: Closure, kind: str, k: int = 0) -> ScalarType:
    """The type of the closure's accumulator `k` (its parameter k + 1): its annotation, else the reducer's default."""
    node = clo.node
    if isinstance(node, ast.FunctionDef) and len(node.args.args) > k + 1 and node.args.args[k + 1].annotation is not None:
        kt = self.kernel._eval_annotation(node.args.args[k + 1].annotation)
        if isinstance(kt, AccType):
            return kt.dtype
        if isinstance(kt, ScalarType):
            return kt
    from .reducers import default_type
    return default_type(kind)


def nested_launch(self: Any, tag: str, node: ast.Call, want_value: bool) -> TV | None:
    """parallel_for / parallel_reduce over TeamThreadRange, ThreadVectorRange or TeamVectorRange."""
    from hpcir.dialects import kokkos as kk
    if tag == "parallel_scan":
        raise self.err(KernelSyntaxError, "nested parallel_scan is not supported yet", node,
                       hint="use a TeamThreadRange parallel_for with team_barrier, or a top-level parallel_scan")
    args = [a for a in node.args if not (isinstance(a, ast.Constant) and isinstance(a.value, str))]
    if len(args) != 2 or not isinstance(args[0], ast.Call):
        raise self.err(KernelSyntaxError, f"nested {tag} takes (TeamThreadRange(team, n), function)", node)
    rng = args[0]
    cls = self.global_object(rng.func)
    level = getattr(cls, "__name__", None)
    ops = {"TeamThreadRange": kk.TeamThreadRangeOp, "ThreadVectorRange": kk.ThreadVectorRangeOp,
           "TeamVectorRange": kk.TeamVectorRangeOp}
    if level not in ops:
        raise self.err(KernelSyntaxError, f"nested {tag} needs TeamThreadRange, ThreadVectorRange or "
                       "TeamVectorRange as its policy", rng)
    if not 2 <= len(rng.args) <= 3:
        raise self.err(KernelSyntaxError, f"{level} takes (team, end) or (team, begin, end)", rng)
    member = self.expr(rng.args[0])
    if not isinstance(member.ty, TeamMemberType):
        raise self.err(KernelTypeError, f"the first argument of {level} must be the team member", rng.args[0])
    if len(rng.args) == 2:
        b, e = self.const(0, I64), self.as_int(rng.args[1], "a range bound")
    else:
        b, e = self.as_int(rng.args[1], "a range bound"), self.as_int(rng.args[2], "a range bound")
    lo, hi = self.to_index(b), self.to_index(e)
    kinds = ["sum"]
    for kw in node.keywords:
        if kw.arg == "reducer" and tag == "parallel_reduce":
            kinds = self.reducer_keyword(kw.value, f"a nested {tag}")
        else:
            raise self.err(KernelSyntaxError, f"unsupported keyword `{kw.arg}` in a nested {tag}", kw.value,
                           hint=f"only reducer='sum'|... ({', '.join(REDUCERS)}) is accepted")
    if tag == "parallel_for":
        clo = _closure(self, args[1], 1, f"a nested {tag}")
        op = ops[level](member.ssa, lo, hi)
        outer = self.block
        self.block = op.body.block
        self.inline_closure(clo, {clo.params[0]: self.from_index(op.index)})
        self.emit(kk.YieldOp())
        self.block = outer
        self.emit(op)
        return _no_value(self, node, want_value)
    n = len(kinds)  # one accumulator per reducer: the body takes (index, acc_0, ..., acc_n-1)
    clo = _closure(self, args[1], 1 + n, f"a nested {tag}" + ("" if n == 1 else f" with {n} reducers"))
    acc_ts = [_acc_type(self, clo, kind, k) for k, kind in enumerate(kinds)]
    for k, (kind, acc_t) in enumerate(zip(kinds, acc_ts)):
        if not accepts(kind, acc_t):
            what = "" if n == 1 else f" (accumulator `{clo.params[k + 1]}`)"
            raise self.err(KernelTypeError, f"reducer {kind!r} is not defined on {acc_t}{what}", node)
    inits = [self.const(identity(kind, t), t).ssa for kind, t in zip(kinds, acc_ts)]
    op = ops[level](member.ssa, lo, hi, init=inits, reducers=kinds)
    outer = self.block
    self.block = op.body.block
    idx = self.from_index(op.index)
    bindings: dict[str, Var | TV] = {clo.params[0]: idx}
    refs = []
    for k, acc_t in enumerate(acc_ts):
        acc_ref = self.emit(memref.AllocaOp.get(acc_t.mlir(), shape=[])).results[0]
        acc = Var(acc_ref, acc_t)
        self.store_var(acc, TV(op.accumulators[k], acc_t))
        bindings[clo.params[k + 1]] = acc
        refs.append(acc_ref)
    self.inline_closure(clo, bindings)
    self.emit(kk.YieldOp(*[self.emit(memref.LoadOp.get(r, [])).results[0] for r in refs]))
    self.block = outer
    self.emit(op)
    values = [TV(r, t) for r, t in zip(op.results, acc_ts)]
    return values[0] if n == 1 else values  # type: ignore[return-value]  (several: unpacked by the assignment)


def single_call(self: Any, node: ast.Call) -> None:
    """single(PerTeam(team), fn) / single(PerThread(team), fn)."""
    from hpcir.dialects import kokkos as kk
    if len(node.args) != 2 or not isinstance(node.args[0], ast.Call):
        raise self.err(KernelSyntaxError, "single takes (PerTeam(team) | PerThread(team), function)", node)
    lvl = node.args[0]
    cls = getattr(self.global_object(lvl.func), "__hpcir_intrinsic__", None)
    if cls not in ("PerTeam", "PerThread") or len(lvl.args) != 1:
        raise self.err(KernelSyntaxError, "the first argument of single must be PerTeam(team) or PerThread(team)", lvl)
    member = self.expr(lvl.args[0])
    if not isinstance(member.ty, TeamMemberType):
        raise self.err(KernelTypeError, "PerTeam/PerThread need the team member", lvl.args[0])
    clo = _closure(self, node.args[1], 0, "single")
    op = kk.SingleOp(member.ssa, level="per_team" if cls == "PerTeam" else "per_thread")
    outer = self.block
    self.block = op.body.block
    self.inline_closure(clo, {})
    self.emit(kk.YieldOp())
    self.block = outer
    self.emit(op)


