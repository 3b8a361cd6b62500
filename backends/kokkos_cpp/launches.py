"""kokkos.parallel_for/reduce/scan -> named functors; team-level ops -> nested Kokkos calls."""
from __future__ import annotations

from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType, NoneAttr
from xdsl.ir import Block, Operation, SSAValue

from hpcir.dialects.kokkos_attrs import (MDRangePolicyAttr, RangePolicyAttr, ReducerKind, TeamPolicyAttr)
from hpcir.dialects.kokkos_discardable import ENTRY, SOURCE_LOC
from hpcir.core.errors import HpcirError, PolicyError, UnsupportedOpError

from . import lanes, reducers, units
from .context import FunctionEmitter, free_values, handles
from .types import cpp_type, exec_space_expr

_ITERATE = {"right": "Kokkos::Iterate::Right", "left": "Kokkos::Iterate::Left",
            "default": "Kokkos::Iterate::Default"}


def _policy(em: FunctionEmitter, op: Operation, exec_: str) -> str:
    """Declare the launch policy; returns its variable name."""
    pol = op.properties["policy"]
    bounds = [em.get(v) for v in op.operands[: _num_bounds(pol)]]
    name = em.fresh(op.properties["name"].data + "_policy")
    # On the caller's instance (its stream) when the function takes one and the launch is in the
    # module's own execution space.
    on = f"{em.instance}, " if em.instance and em.mod.scratch_exec(op) == "" else ""
    if isinstance(pol, RangePolicyAttr):
        em.line(f"const Kokkos::RangePolicy<{exec_}, Kokkos::IndexType<int64_t>> {name}({on}{bounds[0]}, {bounds[1]});")
    elif isinstance(pol, MDRangePolicyAttr):
        r = pol.rank.data
        it = _ITERATE[pol.iterate.data.value]
        tiles = pol.tile_sizes
        tile_arg = f", {{{', '.join(f'int64_t({t})' for t in tiles)}}}" if tiles else ""
        em.line(f"const Kokkos::MDRangePolicy<{exec_}, Kokkos::Rank<{r}, {it}, {it}>, Kokkos::IndexType<int64_t>> "
                f"{name}({on}{{{', '.join(bounds[:r])}}}, {{{', '.join(bounds[r:])}}}{tile_arg});")
    elif isinstance(pol, TeamPolicyAttr):
        em.line(f"auto {name} = hpcir::team_policy<Kokkos::TeamPolicy<{exec_}>>({on}{', '.join(bounds)}, "
                f'"{op.properties["name"].data}");')
        _scratch(em, op, pol, name)
    else:
        raise PolicyError(f"unknown launch policy {pol}")
    return name


def _policy_type(op: Operation, exec_: str) -> str:
    """The C++ type of a range or MDRange launch's policy (as _policy declares it)."""
    pol = op.properties["policy"]
    if isinstance(pol, MDRangePolicyAttr):
        it = _ITERATE[pol.iterate.data.value]
        return f"Kokkos::MDRangePolicy<{exec_}, Kokkos::Rank<{pol.rank.data}, {it}, {it}>, Kokkos::IndexType<int64_t>>"
    return f"Kokkos::RangePolicy<{exec_}, Kokkos::IndexType<int64_t>>"


def _num_bounds(pol) -> int:
    if isinstance(pol, TeamPolicyAttr):
        return 3
    return 2 if isinstance(pol, RangePolicyAttr) else 2 * pol.rank.data


def _scratch(em: FunctionEmitter, op: Operation, pol: TeamPolicyAttr, policy: str) -> None:
    """Request team scratch: the shmem_size of every kokkos.scratch_alloc, or the attribute's bytes."""
    per_level: dict[int, list[str]] = {0: [], 1: []}
    where: dict[int, str] = {}  # per level: the first user allocation's "FILE:LINE:COL" (checked at the launch)
    inner: set = set()
    for o in op.walk():
        inner.update(o.results)
        for r in o.regions:
            for b in r.blocks:
                inner.update(b.args)
    unknown = False
    for o in op.walk():
        if o.name != "kokkos.scratch_alloc":
            continue
        sizes = list(o.operands[1:])
        if any(s in inner and s not in em.literals for s in sizes):
            unknown = True
            continue
        ty = em.type_of(o.results[0].type, o)
        dyn = iter(em.get(s) for s in sizes)
        args = [next(dyn) if d == DYNAMIC_INDEX else str(d) for d in o.results[0].type.get_shape()]
        level = o.properties["level"].value.data
        per_level[level].append(f"{ty}::shmem_size({', '.join(args)})")
        loc = o.attributes.get(SOURCE_LOC)
        if loc is not None:
            where.setdefault(level, loc.data)
    attr_bytes = pol.scratch_bytes.data
    if unknown and attr_bytes == 0:
        raise PolicyError("a kokkos.scratch_alloc size depends on values computed inside the team body",
                          hint="compute the size outside the launch, or set #kokkos.team<scratch_bytes = N>")
    for level, terms in per_level.items():
        total = " + ".join(terms) if terms else ""
        if level == 0 and attr_bytes:
            total = f"std::max<size_t>({attr_bytes}, {total})" if total else str(attr_bytes)
        if total and level in where:
            # The user's scratch (team.scratch): its size is checked against the space's limit first.
            kname = op.properties["name"].data
            nbytes = em.fresh(f"{kname}_scratch{level}_bytes")
            em.line(f"const size_t {nbytes} = {total};")
            em.line(f'hpcir::check_scratch({policy}, {level}, static_cast<int64_t>({nbytes}), "{_c_string(where[level])}", '
                    f'"{kname}");')
            total = nbytes
        if total:
            em.line(f"{policy}.set_scratch_size({level}, Kokkos::PerTeam({total}));")


def _c_string(text: str) -> str:
    """`text` inside a C++ string literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _member_type(em: FunctionEmitter, op: Operation, v) -> str:
    """C++ type of a captured value; a host scalar slot (rank-0 alloca) is captured by value."""
    if v not in em.mod.scalar_slots:
        return em.ctype(v)
    if any(u.operation.name == "memref.store" and op.is_ancestor(u.operation) for u in v.uses):
        raise UnsupportedOpError(f"kernel '{op.properties['name'].data}' assigns a variable of the enclosing host code",
                                 hint="kernels cannot write host locals: return the value through a reduction "
                                      "or store it into a view")
    return cpp_type(v.type.element_type)


def bind_accumulator_slots(em: FunctionEmitter, block: Block, accs: list[SSAValue], targets: list[str]) -> None:
    """Let a reduction body update Kokkos' value (`acc`, `acc.v1`) directly.

    The frontend keeps an accumulator in a local slot (a rank-0 alloca): it stores the accumulator
    argument into the slot, updates the slot, and yields a final load of it. When the argument has
    no other use and nothing stores to the slot after that load, the slot is the value itself: no
    copy in, no copy out."""
    yielded = list(block.last_op.operands) if block.last_op is not None else []
    for acc, target, out in zip(accs, targets, yielded):
        if em.names.get(acc) != target or len(list(acc.uses)) != 1:
            continue
        use = next(iter(acc.uses))
        init, final = use.operation, out.owner
        if init.name != "memref.store" or use.index != 0 or init.parent_block() is not block:
            continue
        slot = init.operands[1]
        alloca = slot.owner
        if not (isinstance(alloca, Operation) and alloca.name == "memref.alloca" and alloca.parent_block() is block
                and isinstance(slot.type, MemRefType) and not slot.type.get_shape()
                and isinstance(slot.type.memory_space, NoneAttr)):
            continue
        if not (isinstance(final, Operation) and final.name == "memref.load" and final.operands[0] is slot
                and final.parent_block() is block and _slot_used_between(block, slot, init, final)):
            continue
        em.mod.elided.update((alloca, init, final))
        em.mod.scalar_slots.add(slot)
        em.bind(slot, target)
        em.bind(final.results[0], target)


def _slot_used_between(block: Block, slot: SSAValue, init: Operation, final: Operation) -> bool:
    """Is `slot` only loaded and stored, not before `init` and never stored after `final`?"""
    if any(u.operation.name not in ("memref.load", "memref.store") for u in slot.uses):
        return False
    phase = 0  # 0: before init, 1: between init and final, 2: after final
    for op in block.ops:
        if op is init or op is final:
            phase = 1 if op is init else (2 if phase == 1 else 3)
            continue
        touched = [o for o in op.walk() if any(v is slot for v in o.operands)]
        if (phase == 0 and touched) or (phase == 2 and any(o.name == "memref.store" for o in touched)):
            return False
    return phase == 2


@handles("kokkos.parallel_for", "kokkos.parallel_reduce", "kokkos.parallel_scan")
def _launch(em: FunctionEmitter, op: Operation) -> None:
    if em.device:
        raise UnsupportedOpError(f"'{op.name}' inside a kernel body",
                                 hint="nest parallelism with kokkos.team_thread_range / thread_vector_range")
    kname = op.properties["name"].data
    pol = op.properties["policy"]
    exec_ = exec_space_expr(op.properties["exec_space"].data.value)
    functor = em.mod.fresh(kname + "_functor")
    body = op.regions[0].block
    is_reduce = op.name == "kokkos.parallel_reduce"
    is_scan = op.name == "kokkos.parallel_scan"
    nb = _num_bounds(pol)
    inits = list(op.operands[nb:]) if (is_reduce or is_scan) else []
    kinds = [r.data.value for r in op.properties["reducers"].data] if (is_reduce or is_scan) else []
    join = op.regions[1] if len(op.regions) > 1 and op.regions[1].blocks else None

    captures = free_values(list(op.regions), em.literals)
    members = {em.get(v): _member_type(em, op, v) for v in captures}
    checks = ""  # the launch's check flag (hpcir::check_flag) when its body has run-time checks
    outer_flag = em.mod.check_flag
    if any(o.name == "cf.assert" for o in op.walk()):
        checks = em.fresh("checks")
        em.line(f"const auto {checks} = hpcir::check_flag<{exec_}>::get();")
        members[checks] = f"hpcir::check_flag<{exec_}>"
        em.mod.check_flag = checks
        if not em.mod.check_table:
            em.mod.check_table = em.mod.fresh("check_messages")
    # The functor body: indices / member, then accumulators.
    fb = em.child(device=True, indent=2)
    team = isinstance(pol, TeamPolicyAttr)
    params = []
    if team:
        m = fb.fresh(body.args[0].name_hint, "team")
        fb.bind(body.args[0], m)
        params.append(f"const member_type& {m}")
        first = 1
    else:
        first = 1 if isinstance(pol, RangePolicyAttr) else pol.rank.data
        for d, a in enumerate(body.args[:first]):
            n = fb.fresh(a.name_hint, "ijklmn"[d] if d < 6 else f"i{d}")  # unnamed: the usual i, j, k
            fb.bind(a, n)
            params.append(f"const int64_t {n}")
    accs = list(body.args[first: first + len(op.results)])
    extra_members: list[str] = []
    extra_funcs: list[str] = []
    red = None
    ctor: list[str] = []
    scan_offset = None
    if is_reduce:
        red, ctor = reducers.plan(em, kname, kinds, op.results, inits, join)
        acc_param = fb.fresh("acc")
        params.append(f"{red.value_type}& {acc_param}")
        targets = red.acc_refs(acc_param)
        for a, t in zip(accs, targets):
            fb.bind(a, t)
    elif is_scan:
        ty = cpp_type(op.results[0].type)
        upd = fb.fresh("update")
        fin = fb.fresh("final_pass")
        params += [f"{ty}& {upd}", f"const bool {fin}"]
        fb.bind(body.args[first + 1], fin)
        kind = kinds[0]
        init_s = em.get(inits[0])
        if kind == ReducerKind.SUM.value and init_s not in reducers._IDENTITY_LITERALS["sum"]:
            # Kokkos scans start from 0: shift the prefix the body sees by init.
            scan_offset = init_s
            if inits[0] not in em.literals:
                members.setdefault(init_s, ty)
            pre = fb.fresh("prefix")
            fb.line(f"const {ty} {pre} = {upd} + {init_s};")
            fb.bind(accs[0], pre)
        else:
            fb.bind(accs[0], upd)
        targets = [upd]
        if kind != ReducerKind.SUM.value:  # Kokkos reads a sum scan's value type off operator()
            extra_members.append(f"  using value_type = {ty};")
            extra_funcs += _scan_join(em, fb, kind, ty, inits[0], join, members)
    else:
        targets = []
    bind_accumulator_slots(fb, body, accs, targets)
    fb.emit_block(body)
    em.mod.check_flag = outer_flag
    outs = [fb.expr(v) for v in body.last_op.operands]
    if scan_offset is not None:
        outs = [f"{fb.operand(body.last_op.operands[0], 6)} - {scan_offset}"]
    fb.assign(targets, outs, [cpp_type(r.type) for r in op.results])

    lines = [f"struct {functor} {{"]
    if team:
        lines.append(f"  using member_type = Kokkos::TeamPolicy<{exec_}>::member_type;")
    lines += extra_members
    lines += [f"  {t} {n};" for n, t in members.items()]
    lines += extra_funcs
    types = [cpp_type(r.type) for r in op.results]
    extremum = lanes.extremum_lanes(op, kinds, types) if is_reduce else None
    if extremum is not None and (red.builtin or not _plain_extremum_update(fb.lines, targets[0], extremum)):
        extremum = None
    in_lanes = is_reduce and lanes.lanes_allowed(op, kinds, types)
    loc_lanes = in_lanes and red.loc and len(kinds) == 2  # maxloc / minloc: hpcir::lane_loc
    if extremum is not None or loc_lanes:  # lanes call it with their accumulator, the rest with the value
        params[-1] = f"Acc& {acc_param}"
        lines.append("  template <class Acc>")
    lines.append(f"  KOKKOS_INLINE_FUNCTION void operator()({', '.join(params)}) const {{")
    lines += fb.lines
    lines += ["  }", "};", ""]
    em.mod.structs.append("\n".join(lines))

    fobj = f"{functor}{{{', '.join(members)}}}"
    label = f'"{kname}"'
    if in_lanes:
        _lane_reduce(em, op, red, ctor, kinds, inits, functor, fobj, exec_, extremum, loc_lanes)
        return
    if is_scan and lanes.host_scan(op):
        _host_scan(em, op, functor, fobj, exec_, lanes.lanes_allowed(op, kinds, types), scan_offset)
        return
    policy = _policy(em, op, exec_)
    if is_reduce:
        holder = em.fresh(kname + "_result")
        em.line(f"{red.value_type} {holder};")
        em.line(f"Kokkos::parallel_reduce({label}, {policy}, {fobj}, {reducers.reducer_arg(red, holder, ctor)});")
        reducers.finish(em, red, kinds, op.results, inits, holder)
    elif is_scan:
        ty = cpp_type(op.results[0].type)
        holder = em.fresh(kname + "_total")
        em.line(f"{ty} {holder} = {ty}();")
        em.line(f"Kokkos::parallel_scan({label}, {policy}, {fobj}, {holder});")
        if scan_offset is not None:
            em.define(op.results[0], f"{holder} + {scan_offset}")
        else:
            em.bind(op.results[0], holder)
    elif em.mod.split_launches and not team and not em.instance:
        # Compiled in another unit: instantiating Kokkos' parallel_for is most of a module's build.
        ptype = _policy_type(op, exec_)
        sig = f"void {functor}_launch(const {ptype}& policy, const {functor}& functor)"
        em.mod.launchers.append((f"{sig};", f"{sig} {{\n  Kokkos::parallel_for({label}, policy, functor);\n}}\n"))
        em.line(f"{functor}_launch({policy}, {fobj});")
    else:
        em.line(f"Kokkos::parallel_for({label}, {policy}, {fobj});")
    if checks:  # a failed check throws here, with its file and line
        em.line(f"{checks}.throw_if_failed({em.mod.check_table});")


def _lane_policy(em: FunctionEmitter, op: Operation, exec_: str) -> tuple[str, str, str]:
    """A policy over the blocks of hpcir::lane_reduce / lane_scan; returns (policy, begin, end)."""
    begin, end = em.get(op.operands[0]), em.get(op.operands[1])
    name = em.fresh(op.properties["name"].data + "_policy")
    em.line(f"const Kokkos::RangePolicy<{exec_}, Kokkos::IndexType<int64_t>> {name}(0, hpcir::lane_blocks({begin}, {end}));")
    return name, begin, end


def _plain_extremum_update(body: list[str], target: str, kind: str) -> bool:
    """Whether the emitted body reads the accumulator `target` only in its last line, as
    `target = hpcir::maximumf(target, v)` or `(v, target)` (minimumf), so that a lane value may
    stand in for it."""
    fn = "maximumf" if kind == "max" else "minimumf"
    last = body[-1].strip() if body else ""
    call = f"{target} = hpcir::{fn}("
    return (last.startswith(call) and last.count(target) == 2 and not any(target in ln for ln in body[:-1])
            and (last.startswith(f"{call}{target}, ") or last.endswith(f", {target});")))


def _lane_reduce(em: FunctionEmitter, op: Operation, red: reducers.Reduction, ctor: list[str], kinds: list[str],
                 inits: list, functor: str, fobj: str, exec_: str, extremum: str | None = None,
                 loc: bool = False) -> None:
    """A reduction whose reducer allows reassociation: blocks of indices in vector lanes
    (hpcir::lane_extremum for a float `acc = max(acc, v)` / min, hpcir::lane_loc for maxloc /
    minloc, hpcir::lane_reduce otherwise)."""
    kname = op.properties["name"].data
    em.line("// In vector lanes: the reducer allows reassociation (docs/reductions-and-scans.md).")
    policy, begin, end = _lane_policy(em, op, exec_)
    holder = em.fresh(kname + "_result")
    em.line(f"{red.value_type} {holder};")
    rv = em.fresh(kname + "_reduction")
    em.line(f"const auto {rv} = {reducers.reducer_arg(red, holder, ctor)};")
    lanes_t = (f"hpcir::lane_extremum<{functor}, decltype({rv}), {'true' if extremum == 'max' else 'false'}>"
               if extremum else f"hpcir::lane_{'loc' if loc else 'reduce'}<{functor}, decltype({rv})>")
    em.line(f'Kokkos::parallel_reduce("{kname}", {policy}, {lanes_t}'
            f"{{{fobj}, {rv}, {begin}, {end}}}, {rv});")
    reducers.finish(em, red, kinds, op.results, inits, holder)


def _host_scan(em: FunctionEmitter, op: Operation, functor: str, fobj: str, exec_: str, in_lanes: bool,
               scan_offset: str | None) -> None:
    """A sum scan on the host: one ordered pass on one thread; else Kokkos' two passes, the first
    (block totals) in vector lanes where the sum may be reassociated."""
    kname = op.properties["name"].data
    ty = cpp_type(op.results[0].type)
    holder = em.fresh(kname + "_total")
    em.line(f"{ty} {holder} = {ty}();")
    em.line(f"if ({exec_}().concurrency() == 1) {{  // one pass in order: Kokkos would run the body twice")
    em.line(f"  {holder} = hpcir::ordered_scan<{functor}, {ty}>({fobj}, {em.get(op.operands[0])}, "
            f"{em.get(op.operands[1])});")
    with em.indented("} else {"):
        if in_lanes:
            policy, begin, end = _lane_policy(em, op, exec_)
            em.line(f'Kokkos::parallel_scan("{kname}", {policy}, hpcir::lane_scan<{functor}, {ty}>'
                    f"{{{fobj}, {begin}, {end}}}, {holder});")
        else:
            policy = _policy(em, op, exec_)
            em.line(f'Kokkos::parallel_scan("{kname}", {policy}, {fobj}, {holder});')
    if scan_offset is not None:
        em.define(op.results[0], f"{holder} + {scan_offset}")
    else:
        em.bind(op.results[0], holder)


def kname_of(op: Operation) -> str:
    """The name of the launch enclosing a nested op (for readable reducer names)."""
    p = op.parent_op()
    while p is not None and not p.name.startswith("kokkos.parallel_"):
        p = p.parent_op()
    return p.properties["name"].data if p is not None else "team"


def _scan_join(em: FunctionEmitter, fb: FunctionEmitter, kind: str, ty: str, init, join, members) -> list[str]:
    """init/join members making a Kokkos scan use a non-sum combination."""
    init_s = em.get(init)
    if init not in em.literals:
        members.setdefault(init_s, ty)
    out = [f"  KOKKOS_INLINE_FUNCTION void init(value_type& v) const {{ v = {init_s}; }}"]
    for volatile in (False, True):
        cv = "volatile " if volatile else ""
        if volatile:
            out.append("#if KOKKOS_VERSION < 40000")
        out.append(f"  KOKKOS_INLINE_FUNCTION void join({cv}value_type& dst, const {cv}value_type& src) const {{")
        if kind == ReducerKind.CUSTOM.value:
            jb = join.block
            je = FunctionEmitter(em.mod, True, em.names, em.literals, indent=2, scope=dict(em.scope))
            je.bind(jb.args[0], "dst")
            je.bind(jb.args[1], "src")
            je.emit_block(jb)
            out += je.lines
            out.append(f"    dst = {je.get(jb.last_op.operands[0])};")
            for v in free_values([join], em.literals):
                members.setdefault(em.get(v), em.ctype(v))
        else:
            out.append(f"    dst = {reducers.combine(kind, 'dst', 'src', ty)};")
        out.append("  }")
        if volatile:
            out.append("#endif")
    return out


# ---------------------------------------------------------------------------------------------
# team level

_NESTED = {"kokkos.team_thread_range": "Kokkos::TeamThreadRange", "kokkos.thread_vector_range":
           "Kokkos::ThreadVectorRange", "kokkos.team_vector_range": "Kokkos::TeamVectorRange"}


@handles(*_NESTED)
def _nested(em: FunctionEmitter, op: Operation) -> None:
    member, begin, end, *inits = op.operands
    body = op.regions[0].block
    idx = em.fresh(body.args[0].name_hint, "j")
    em.bind(body.args[0], idx)
    rng = f"{_NESTED[op.name]}({em.get(member)}, {em.get(begin)}, {em.get(end)})"
    if not op.results:
        with em.indented(f"Kokkos::parallel_for({rng}, [&](const int64_t {idx}) {{", close="});"):
            em.emit_block(body)
        return
    kinds = [r.data.value for r in op.properties["reducers"].data]
    join = op.regions[1] if len(op.regions) > 1 and op.regions[1].blocks else None
    base = em.mod.fresh(kname_of(op) + "_nested")
    red, ctor = reducers.plan(em, base, kinds, op.results, inits, join)
    holder = em.fresh(base + "_result")
    acc = em.fresh("acc")
    em.line(f"{red.value_type} {holder};")
    targets = red.acc_refs(acc)
    for a, t in zip(body.args[1:], targets):
        em.bind(a, t)
    bind_accumulator_slots(em, body, list(body.args[1:]), targets)
    with em.indented(f"Kokkos::parallel_reduce({rng}, [&](const int64_t {idx}, {red.value_type}& {acc}) {{",
                     close=f"}}, {reducers.reducer_arg(red, holder, ctor)});"):
        em.emit_block(body)
        em.assign(targets, [em.expr(v) for v in body.last_op.operands], red.types)
    reducers.finish(em, red, kinds, op.results, inits, holder)


@handles("kokkos.team_barrier")
def _barrier(em: FunctionEmitter, op: Operation) -> None:
    em.line(f"{em.get(op.operands[0])}.team_barrier();")


@handles("kokkos.single")
def _single(em: FunctionEmitter, op: Operation) -> None:
    level = "PerTeam" if op.properties["level"].data.value == "per_team" else "PerThread"
    with em.indented(f"Kokkos::single(Kokkos::{level}({em.get(op.operands[0])}), [&]() {{", close="});"):
        em.emit_block(op.regions[0].block)


@handles("kokkos.league_rank", "kokkos.team_rank", "kokkos.team_size", "kokkos.league_size")
def _member_query(em: FunctionEmitter, op: Operation) -> None:
    fn = op.name.split(".", 1)[1]
    em.define(op.results[0], f"static_cast<int64_t>({em.get(op.operands[0])}.{fn}())")


@handles("kokkos.scratch_alloc")
def _scratch_alloc(em: FunctionEmitter, op: Operation) -> None:
    member, *sizes = op.operands
    res = op.results[0]
    dyn = iter(em.get(s) for s in sizes)
    args = [next(dyn) if d == DYNAMIC_INDEX else str(d) for d in res.type.get_shape()]
    level = op.properties["level"].value.data
    name = em.fresh(res.name_hint, "scratch")
    em.line(f"const {em.ctype(res)} {name}({em.get(member)}.team_scratch({level}){''.join(', ' + a for a in args)});")
    em.bind(res, name)


# ---------------------------------------------------------------------------------------------
# data and host ops


@handles("kokkos.alloc")
def _alloc(em: FunctionEmitter, op: Operation) -> None:
    res = op.results[0]
    if em.device:
        raise UnsupportedOpError("kokkos.alloc inside a kernel", hint="allocate views in the host program")
    dyn = iter(em.expr(s) for s in op.operands)
    args = [next(dyn) if d == DYNAMIC_INDEX else f"int64_t({d})" for d in res.type.get_shape()]
    label = op.properties["label"].data or (res.name_hint or "view")
    name = em.fresh(res.name_hint or op.properties["label"].data, "view")  # the user's variable, as labelled
    em.line(f"const {em.ctype(res)} {name}(\"{label}\"{''.join(', ' + a for a in args)});")
    em.bind(res, name)


@handles("kokkos.create_mirror_view")
def _mirror(em: FunctionEmitter, op: Operation) -> None:
    em.define(op.results[0], f"Kokkos::create_mirror_view({em.get(op.operands[0])})")


@handles("kokkos.deep_copy")
def _deep_copy(em: FunctionEmitter, op: Operation) -> None:
    dst, src = op.operands
    em.line(units.copy_line(em, dst, src))


@handles("kokkos.fence")
def _fence(em: FunctionEmitter, op: Operation) -> None:
    nxt, prev = op.next_op, op.prev_op
    if nxt is not None and nxt.name in ("kokkos.deep_copy", "memref.copy"):
        return  # Kokkos::deep_copy fences before copying
    if prev is not None and prev.name == "kokkos.fence" or _after_blocking_reduction(em, op):
        return
    em.line(f"{em.instance}.fence();" if em.instance else "Kokkos::fence();")


def _after_blocking_reduction(em: FunctionEmitter, op: Operation) -> bool:
    """Is the last launch before `op` a reduction into host scalars (which returns only when done),
    with every launch of the module in one execution space (so that all before it are done too)?"""
    if not em.mod.one_exec_space:
        return False
    prev = op.prev_op
    while prev is not None:
        if prev.name in ("kokkos.parallel_reduce", "kokkos.parallel_scan"):
            return True
        if prev.name == "func.call":
            callee = em.mod.func_ops.get(prev.properties["callee"].root_reference.data)
            return callee is not None and callee.attributes.get(ENTRY) is not None \
                and not any(o.name == "kokkos.parallel_for" for o in callee.walk()) \
                and any(o.name in ("kokkos.parallel_reduce", "kokkos.parallel_scan") for o in callee.walk())
        if prev.regions or not (prev.name.startswith(("arith.", "math.")) or
                                (prev.name in ("memref.load", "memref.store") and
                                 prev.operands[0 if prev.name == "memref.load" else 1] in em.mod.scalar_slots)):
            return False
        prev = prev.prev_op
    return False


def _print_spec(spec: str, ctype: str) -> str:
    """printf conversion for a Python format spec like '.3f', '8d', 'e'."""
    if not spec:
        return ""
    conv = spec[-1]
    if ctype in ("int64_t", "int32_t", "int16_t", "int8_t") and conv in "dxXo":
        return "%" + spec[:-1] + "lld" if conv == "d" else "%" + spec[:-1] + "ll" + conv
    if conv in "eEfFgG":
        return "%" + spec
    raise UnsupportedOpError(f"format spec ':{spec}' is not supported by kokkos.print",
                             hint="use '{}', or a printf-compatible spec such as '{:.3f}', '{:e}', '{:8d}'")


@handles("kokkos.print")
def _print(em: FunctionEmitter, op: Operation) -> None:
    import string
    if em.device:
        raise UnsupportedOpError("kokkos.print inside a kernel", hint="print from the host program")
    fmt = op.properties["format"].data
    parts = []
    vals = iter(op.operands)
    for text, field, spec, _ in string.Formatter().parse(fmt):
        if text:
            esc = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            parts.append(f'"{esc}"')
        if field is not None:
            v = next(vals)
            ctype = cpp_type(v.type)
            cspec = _print_spec(spec or "", ctype)
            if cspec:
                cast = "static_cast<long long>" if "ll" in cspec else "static_cast<double>"
                parts.append(f'hpcir::format_spec("{cspec}", {cast}({em.expr(v)}))')
            else:
                parts.append(f"hpcir::format_value({em.expr(v)})")
    em.line(f"std::cout << {' << '.join(parts + ['std::endl'])};" if parts else "std::cout << std::endl;")


# The C type printf reads for a conversion and length modifier (what each value is converted to).
_PRINTF_INT = {"": "int", "hh": "int", "h": "int", "l": "long", "ll": "long long", "j": "intmax_t",
               "z": "size_t", "t": "ptrdiff_t", "L": "long long"}
_PRINTF_UNSIGNED = {"": "unsigned", "hh": "unsigned", "h": "unsigned", "l": "unsigned long",
                    "ll": "unsigned long long", "j": "uintmax_t", "z": "size_t", "t": "size_t",
                    "L": "unsigned long long"}


@handles("kokkos.printf")
def _printf(em: FunctionEmitter, op: Operation) -> None:
    """printf in a kernel (host or device code); each value is converted to the type its conversion
    reads, so that `%d` with an int64_t value prints it as C++'s printf("%d", int(x)) would."""
    from hpcir.dialects.kokkos_data_ops import printf_conversions
    fmt = op.properties["format"].data
    args = []
    for m, v in zip(printf_conversions(fmt) or [], op.operands):
        conv, length = m.group("conv"), m.group("length") or ""
        if conv in "eEfFgGaA":
            ctype = "long double" if length == "L" else "double"
        elif conv in "ouxX":
            ctype = _PRINTF_UNSIGNED[length]
        else:
            ctype = _PRINTF_INT[length]
        args.append(f"static_cast<{ctype}>({em.expr(v)})")
    text = "".join({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}.get(c, c) if c >= " " or c in "\n\t"
                   else f"\\{ord(c):03o}" for c in fmt)  # a C string literal of the format
    em.line(f'printf("{text}"{"".join(", " + a for a in args)});')


@handles("kokkos.yield")
def _stray_yield(em: FunctionEmitter, op: Operation) -> None:
    raise HpcirError("internal: kokkos.yield outside its parent op")
