"""Reducers: Kokkos built-ins where they apply, else a generated reducer struct (multi-value, custom join)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.ir import Region, SSAValue

from hpcir.dialects.kokkos_attrs import ReducerKind

from xdsl.dialects.builtin import f32, f64

from .context import FunctionEmitter, free_values, unique
from .expr import literal
from .types import cpp_type

BUILTIN = {"sum": "Kokkos::Sum", "prod": "Kokkos::Prod", "min": "Kokkos::Min", "max": "Kokkos::Max",
           "land": "Kokkos::LAnd", "lor": "Kokkos::LOr", "band": "Kokkos::BAnd", "bor": "Kokkos::BOr"}

_COMBINE = {"sum": "({a} + {b})", "prod": "({a} * {b})", "min": "({b} < {a} ? {b} : {a})",
            "max": "({b} > {a} ? {b} : {a})", "land": "({a} && {b})", "lor": "({a} || {b})",
            "band": "({a} & {b})", "bor": "({a} | {b})"}

# Literal spellings (see expr.literal) of each kind's identity, to skip a no-op combine with init.
_IDENTITY_LITERALS = {"sum": {"0.0", "-0.0", "0.0f", "-0.0f", "int64_t(0LL)", "int32_t(0)", "int16_t(0)",
                              "int8_t(0)", "hpcir::complex128(0.0, 0.0)", "hpcir::complex64(0.0f, 0.0f)"},
                      "prod": {"1.0", "1.0f", "int64_t(1LL)", "int32_t(1)", "int16_t(1)", "int8_t(1)",
                               "hpcir::complex128(1.0, 0.0)", "hpcir::complex64(1.0f, 0.0f)"},
                      "land": {"true"}, "lor": {"false"}, "bor": {"int64_t(0LL)", "int32_t(0)"},
                      "band": {"int64_t(-1LL)", "int32_t(-1)"},
                      "min": {literal(float("inf"), t) for t in (f64, f32)},
                      "max": {literal(float("-inf"), t) for t in (f64, f32)}}


def identity(kind: str, ctype: str) -> str:
    """C++ identity of a built-in reduction kind."""
    if ctype in ("double", "float") and kind in ("min", "max"):
        # Kokkos' reduction_identity<double>::min() is DBL_MAX, not +inf: an empty range (or one of
        # infinities) would then reduce to DBL_MAX.
        return f"{'' if kind == 'min' else '-'}hpcir::infinity<{ctype}>()"
    if ctype == "bool":
        return {"land": "true", "lor": "false", "sum": "false", "prod": "true", "min": "true",
                "max": "false", "band": "true", "bor": "false"}[kind]
    return f"Kokkos::reduction_identity<{ctype}>::{kind}()"


# Float max/min join as arith.maximumf / minimumf: nan propagates whichever partial holds it, so a
# reduction gives np.max / np.min whatever the thread count (a compare-and-select keeps or drops a
# nan depending on which side it arrives on).
_COMBINE_FLOAT = {"min": "hpcir::minimumf({a}, {b})", "max": "hpcir::maximumf({a}, {b})"}


def combine(kind: str, a: str, b: str, ctype: str = "") -> str:
    """C++ expression joining two partial results of a built-in kind (of C++ type `ctype`)."""
    if ctype in ("double", "float") and kind in _COMBINE_FLOAT:
        return _COMBINE_FLOAT[kind].format(a=a, b=b)
    return _COMBINE[kind].format(a=a, b=b)


@dataclass
class Reduction:
    """How one reduce op is spelled in C++."""

    kinds: list[str]
    types: list[str]
    builtin: bool  # a single Kokkos built-in reducer; else `struct_name`
    struct_name: str = ""
    value_name: str = ""
    members: list[str] | None = None  # the value struct's member names (v0, v1, ... when None)
    loc: bool = False  # maxloc / minloc (/ both): struct_name is hpcir::max_loc<T> (a Kokkos::MaxLoc), ... a ValLocScalar

    def member(self, k: int) -> str:
        """The value struct's member holding accumulator `k`."""
        return self.members[k] if self.members else f"v{k}"

    def acc_refs(self, acc: str) -> list[str]:
        """C++ lvalues of each accumulator given the functor/lambda value parameter name."""
        return [acc] if self.builtin else [f"{acc}.{self.member(k)}" for k in range(len(self.kinds))]

    @property
    def value_type(self) -> str:
        """The reduction's C++ value_type."""
        return self.types[0] if self.builtin else self.value_name


def plan(em: FunctionEmitter, base: str, kinds: Sequence[str], results: Sequence[SSAValue],
         inits: Sequence[SSAValue], join: Region | None) -> tuple[Reduction, list[str]]:
    """Choose built-in or struct reducer; emit the struct if needed. Returns (plan, reducer ctor captures)."""
    types = [cpp_type(r.type) for r in results]
    if tuple(kinds) == MINMAXLOC_KINDS:
        # Kokkos' own MinMaxLoc (hpcir::min_max_loc: ties to the lower index); results in
        # (min value, its index, max value, its index) order.
        return Reduction(list(kinds), types, False, f"hpcir::min_max_loc<{types[0]}>",
                         f"Kokkos::MinMaxLocScalar<{types[0]}, int64_t>", ["min_val", "min_loc", "max_val", "max_loc"],
                         loc=True), []
    if kinds and kinds[0] in LOC_KINDS:
        # Kokkos' own value-and-location reducer; hpcir::max_loc only adds ties to the lower index.
        helper = f"hpcir::{kinds[0][:3]}_loc<{types[0]}>"
        return Reduction(list(kinds), types, False, helper, f"Kokkos::ValLocScalar<{types[0]}, int64_t>",
                         ["val", "loc"], loc=True), []
    # Sub-int value types go through the struct (padded): Kokkos' HIP backend requires
    # sizeof(value_type) to be a multiple of sizeof(int).
    # Float min/max too: their Kokkos identities are finite (see identity()).
    if len(kinds) == 1 and kinds[0] != ReducerKind.CUSTOM.value and types[0] not in ("bool", "int8_t", "int16_t") \
            and not (types[0] in ("double", "float") and kinds[0] in ("min", "max")):
        return Reduction(list(kinds), types, True), []
    name = em.mod.fresh(base + "_reducer")
    members = _member_names(results)
    # Several named accumulators: the value struct is named after them (`struct e_and_n { double e; ... }`).
    value = em.mod.fresh("_and_".join(members) if members and len(members) <= 3 else base + "_value")
    red = Reduction(list(kinds), types, False, name, value, members)
    captures = []
    if join is not None and join.blocks:
        captures = [v for v in free_values([join], em.literals)]
    cap_names = list(dict.fromkeys(em.get(v) for v in captures))
    cap_types = {em.get(v): em.ctype(v) for v in captures}
    n = len(kinds)
    lines = [f"struct alignas(8) {value} {{"] + [f"  {t} {red.member(k)};" for k, t in enumerate(types)] + ["};", ""]
    lines += [f"struct {name} {{",
              f"  using reducer = {name};",
              f"  using value_type = {value};",
              "  using result_view_type = Kokkos::View<value_type, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>;",
              "  value_type* value_;"]
    custom = [k for k, kind in enumerate(kinds) if kind == ReducerKind.CUSTOM.value]
    lines += [f"  {types[k]} init{k};" for k in custom]  # custom kinds' identities (docs/IR.md)
    lines += [f"  {cap_types[c]} {c};" for c in cap_names]
    for volatile in (False, True):
        cv = "volatile " if volatile else ""
        if volatile:
            lines.append("#if KOKKOS_VERSION < 40000  // Kokkos 3 also needs the volatile overload")
        lines.append(f"  KOKKOS_INLINE_FUNCTION void join({cv}value_type& dst, const {cv}value_type& src) const {{")
        body = FunctionEmitter(em.mod, True, em.names, em.literals, indent=2, scope=dict(em.scope))
        custom_done = False
        for k, kind in enumerate(kinds):
            if kind != ReducerKind.CUSTOM.value:
                m = red.member(k)
                body.line(f"dst.{m} = {combine(kind, f'dst.{m}', f'src.{m}', types[k])};")
            elif not custom_done:
                # The join region combines all results at once: args (a_0..a_n-1, b_0..b_n-1).
                custom_done = True
                jb = join.block
                for j in range(n):
                    body.bind(jb.args[j], f"dst.{red.member(j)}")
                    body.bind(jb.args[n + j], f"src.{red.member(j)}")
                body.emit_block(jb)
                outs = [body.get(v) for v in jb.last_op.operands]
                ck = [j for j, kd in enumerate(kinds) if kd == ReducerKind.CUSTOM.value]
                body.assign([f"dst.{red.member(j)}" for j in ck], [outs[j] for j in ck], [types[j] for j in ck])
        lines += body.lines
        lines.append("  }")
        if volatile:
            lines.append("#endif")
    lines.append("  KOKKOS_INLINE_FUNCTION void init(value_type& v) const {")
    for k, (kind, t) in enumerate(zip(kinds, types)):
        # Custom reducers take their identity from the op's init value (docs/IR.md).
        lines.append(f"    v.{red.member(k)} = {f'init{k}' if kind == ReducerKind.CUSTOM.value else identity(kind, t)};")
    lines += ["  }",
              "  KOKKOS_INLINE_FUNCTION value_type& reference() const { return *value_; }",
              "  KOKKOS_INLINE_FUNCTION result_view_type view() const { return result_view_type(value_); }",
              "  KOKKOS_INLINE_FUNCTION bool references_scalar() const { return true; }",
              "};", ""]
    em.mod.structs.append("\n".join(lines))
    ctor = [em.get(inits[k]) for k in custom] + cap_names
    return red, ctor


LOC_KINDS = (ReducerKind.MAXLOC.value, ReducerKind.MINLOC.value)
MINMAXLOC_KINDS = (ReducerKind.MINLOC.value,) * 2 + (ReducerKind.MAXLOC.value,) * 2


def _member_names(results: Sequence[SSAValue]) -> list[str] | None:
    """C++ member names from the results' names (the user's accumulators), when there are several
    and every one is named; None keeps v0, v1, ..."""
    hints = [r.name_hint for r in results]
    if len(hints) < 2 or any(h is None for h in hints):
        return None
    used: dict[str, int] = {}
    return [unique(used, h, "v") for h in hints]


def finish(em: FunctionEmitter, red: Reduction, kinds: Sequence[str], results: Sequence[SSAValue],
           inits: Sequence[SSAValue], holder: str) -> None:
    """Bind op results after the launch, folding in a non-identity init value of built-in kinds."""
    for k, (res, init) in enumerate(zip(results, inits)):
        src = holder if red.builtin else f"{holder}.{red.member(k)}"
        kind = kinds[k]
        init_s = em.get(init)
        if kind in LOC_KINDS or kind == ReducerKind.CUSTOM.value or init_s in _IDENTITY_LITERALS.get(kind, ()):
            if red.builtin or res.name_hint is None:
                em.bind(res, src)  # the holder is never written again
            else:
                em.define(res, src)
        else:
            em.define(res, combine(kind, init_s, src, red.types[k]))


def reducer_arg(red: Reduction, holder: str, ctor: list[str]) -> str:
    """The reducer object passed to Kokkos::parallel_reduce."""
    if red.builtin:
        return f"{BUILTIN[red.kinds[0]]}<{red.types[0]}>({holder})"
    if red.loc:
        return f"{red.struct_name}({holder})"
    return f"{red.struct_name}{{&{holder}{''.join(', ' + c for c in ctor)}}}"
