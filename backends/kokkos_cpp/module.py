"""A whole L3 module -> {"M.hpp", "M.cpp"[, "M_main.cpp"], "hpcir_prelude.hpp"} plus the JIT manifest
of its C entries."""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import asdict, dataclass, field

from xdsl.dialects.builtin import MemRefType, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue

from hpcir.core.errors import HpcirError
from hpcir.core.targets import Target, get_target
from hpcir.dialects.kokkos_attrs import MDRangePolicyAttr, RangePolicyAttr, TeamPolicyAttr
from hpcir.dialects.kokkos_discardable import DEVICE_FUNCTION, ENTRY, HOST_PROGRAM
from hpcir.dialects.kokkos_target import stamped_target

from . import complex, control, expr, launches, units  # noqa: F401  (register op handlers)
from .context import FunctionEmitter, ModuleState, prop, unique
from .prelude import PRELUDE, PRELUDE_FILE, target_prelude
from .types import cpp_type, dtype_name, exec_space_expr, is_scalar, target_spaces, view_layout, view_space, view_spec

ABI_VERSION = 1


@dataclass
class ParamInfo:
    """One argument of a C entry, as the runtime must pack it."""

    name: str
    kind: str  # "scalar" or "view"
    dtype: str  # numpy dtype name (element type for views)
    rank: int = 0
    layout: str = ""  # right | left | stride (views)
    space: str = ""  # host | device | shared | "" (target default)
    written: bool = False  # the kernel may write the view (device targets copy it back)
    shape: list[int] = field(default_factory=list)  # static extents of a view, -1 where dynamic


@dataclass
class EntryInfo:
    """One callable C entry `hpcir_NAME`."""

    name: str
    kind: str  # for | reduce | scan | host_program | function
    num_bounds: int
    params: list[ParamInfo] = field(default_factory=list)
    results: list[str] = field(default_factory=list)  # numpy dtype names


@dataclass
class EmittedModule:
    """Generated sources of one module and the description of its C entries."""

    name: str
    target: str
    files: dict[str, str]
    entries: dict[str, EntryInfo]

    def manifest(self) -> str:
        """JSON description of the entries (also compiled into the library as hpcir_manifest())."""
        return _manifest_json(self.name, self.target, self.entries)


def _manifest_json(name: str, target: str, entries: dict[str, EntryInfo]) -> str:
    return json.dumps({"abi": ABI_VERSION, "module": name, "target": target,
                       "entries": {k: asdict(v) for k, v in entries.items()}}, sort_keys=True)


def cpp_identifier(name: str) -> str:
    """A C++ identifier for a module or function name."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return s if s and not s[0].isdigit() else "m_" + s


def _func_kind(f: Operation) -> str:
    attrs = f.attributes
    if ENTRY in attrs:
        return attrs[ENTRY].data.value
    if HOST_PROGRAM in attrs:
        return "host_program"
    if DEVICE_FUNCTION in attrs:
        return "device"
    vis = prop(f, "sym_visibility")
    if isinstance(vis, StringAttr) and vis.data == "private":
        return "device"
    return "function"


def _num_bounds(f: Operation) -> int:
    for op in f.walk():
        pol = op.properties.get("policy") if op.name.startswith("kokkos.parallel_") else None
        if isinstance(pol, TeamPolicyAttr):
            return 3
        if isinstance(pol, RangePolicyAttr):
            return 2
        if isinstance(pol, MDRangePolicyAttr):
            return 2 * pol.rank.data
    return 0


_VIEW_FORWARD = {"memref.cast", "memref.subview", "memref.memory_space_cast", "memref.reinterpret_cast",
                 "kokkos.create_mirror_view", "memref.collapse_shape", "memref.expand_shape"}


def is_written(v: SSAValue) -> bool:
    """May a kernel write through view `v` (directly or through views derived from it)?"""
    stack, seen = [v], set()
    while stack:
        cur = stack.pop()
        if cur in seen:
            continue
        seen.add(cur)
        for use in cur.uses:
            op, idx = use.operation, use.index
            if (op.name in ("memref.store", "memref.atomic_rmw", "memref.copy", "kokkos.atomic_fetch_add",
                            "kokkos.atomic_fetch", "fft.execute")
                and idx == 1) or (op.name in ("blas.gemm", "blas.conv_2d") and idx >= 2) \
                    or (op.name == "kokkos.deep_copy" and idx == 0) or op.name == "func.call":
                return True
            if op.name in _VIEW_FORWARD:
                stack.extend(op.results)
    return False


# Uses that only read a view (or make a mirror of it: Kokkos' mirror of a const view is mutable).
_READS = {"memref.load", "memref.dim", "memref.rank", "kokkos.create_mirror_view"}
_DERIVED = _VIEW_FORWARD - {"kokkos.create_mirror_view"}  # views that alias their source


def read_only_views(f: Operation) -> set[SSAValue]:
    """The views of a function spelled `View<const T*>`: its view arguments, and the views derived
    from them (subview, cast), that nothing writes, atomically updates, copies into, or passes on
    (calls, yields, returns: the receiving C++ variable or parameter would need the mutable type)."""
    cands = [a for a in f.body.block.args if isinstance(a.type, MemRefType)]
    cands += [r for op in f.walk() if op.name in _DERIVED for r in op.results]
    return {v for v in cands if _only_read(v)}


def _only_read(v: SSAValue) -> bool:
    for use in v.uses:
        op, idx = use.operation, use.index
        if op.name in _READS or (op.name in ("memref.copy", "fft.execute") and idx == 0) or \
                (op.name in ("blas.gemm", "blas.conv_2d") and idx < 2) or \
                (op.name == "kokkos.deep_copy" and idx == 1):
            continue
        if op.name in _DERIVED and idx == 0 and all(_only_read(r) for r in op.results):
            continue
        return False
    return True


def _needs_fence(f: Operation) -> bool:
    """Must the JIT's C entry fence after calling `f`? Not when its only launches are reductions and
    scans into host scalars, which return when done (nor when a deep_copy follows: it fences)."""
    return any(op.name in ("kokkos.parallel_for", "func.call", "kokkos.alloc") for op in f.walk())


def _function_names(funcs: list[Operation], mod: ModuleState) -> dict[str, str]:
    """C++ names of the module's functions: the symbol as an identifier, clear of C++ keywords and of
    `main` (a host program named main becomes `main_program`; `int main` is NAME_main.cpp's)."""
    out = {}
    for f in funcs:
        base = cpp_identifier(f.sym_name.data)
        out[f.sym_name.data] = mod.fresh("main_program" if base == "main" else base)
    return out


def _arg_names(em: FunctionEmitter, args) -> list[str]:
    names = []
    for k, a in enumerate(args):
        n = em.fresh(a.name_hint or f"arg{k}")
        em.bind(a, n)
        names.append(n)
    return names


def _ret_type(fname: str, outs) -> str:
    if not outs:
        return "void"
    if len(outs) == 1:
        return cpp_type(outs[0])
    return f"{fname}_result"


def emit_module(module: ModuleOp, name: str, target: str | Target | None = None) -> EmittedModule:
    """Translate an L3 module into Kokkos C++ sources and the manifest of its C entries.

    The target is the one the module carries (`kokkos.target`); `target`, when given, must agree
    with it, or names it for a module that carries none."""
    stamped = stamped_target(module)
    given = get_target(target) if isinstance(target, str) else target
    if stamped is not None and given is not None and given.name != stamped.name:
        raise HpcirError(f"module {name!r} is lowered for target {stamped.name!r}, not {given.name!r}",
                         hint="emit it for the target it carries (or lower it again for the other one)")
    tgt = stamped or given
    if tgt is None:
        raise HpcirError(f"module {name!r} carries no target",
                         hint="run kokkos-set-target{target=...} before emitting (the L2 -> L3 pipeline does)")
    ns = cpp_identifier(name)
    if f"{name}.hpp" == PRELUDE_FILE:
        raise HpcirError(f"a module cannot be named {name!r}: its header would replace hpcir's {PRELUDE_FILE}",
                         hint="rename the module (or the kernel it is named after)")
    mod = ModuleState(tgt)
    funcs = [op for op in module.ops if op.name == "func.func"]
    others = [op.name for op in module.ops if op.name != "func.func"]
    if others:
        raise HpcirError(f"module {name!r} has top-level ops the Kokkos emitter cannot translate: {others}",
                         hint="only func.func may appear at the top level of an L3 module")
    mod.func_names = _function_names(funcs, mod)
    mod.func_ops = {f.sym_name.data: f for f in funcs}
    execs = {exec_space_expr(op.properties["exec_space"].data.value) for op in module.walk()
             if op.name.startswith("kokkos.parallel_")}
    mod.one_exec_space = len({target_spaces(tgt)[0] if e == "exec_space" else e for e in execs}) <= 1
    for f in funcs:
        mod.read_only |= read_only_views(f)
    mod.split_launches = units.should_split(funcs, tgt)
    device_decls, device_defs, host_decls, host_defs, result_structs = [], [], [], [], []
    entries: dict[str, EntryInfo] = {}
    entry_funcs: list[tuple[str, Operation]] = []
    for f in funcs:
        fname = mod.func_names[f.sym_name.data]
        kind = _func_kind(f)
        outs = list(f.function_type.outputs.data)
        ret = _ret_type(fname, outs)
        if len(outs) > 1:
            result_structs.append(f"struct {fname}_result {{ "
                                  + " ".join(f"{cpp_type(t)} r{k};" for k, t in enumerate(outs)) + " };")
        em = FunctionEmitter(mod, device=(kind == "device"))
        args = list(f.body.block.args)
        names = _arg_names(em, args)
        params = [f"{mod.type_of(a.type, a in mod.read_only, public=kind != 'device')} {n}" for a, n in zip(args, names)]
        sig = f"{ret} {fname}({', '.join(params)})"
        plain = ""  # an entry that takes an instance: its overload on the default instance
        if _on_stream(tgt, kind, f):
            em.instance = em.fresh("space")
            plain = sig
            sig = f"{ret} {fname}({', '.join([f'const exec_space& {em.instance}', *params])})"
        em.emit_block(f.body.block)
        if not outs and em.lines and em.lines[-1].strip() == "return;":
            em.lines.pop()  # a trailing `return;` of a void function is noise
        body = "\n".join(em.lines)
        if kind == "device":
            if len(outs) > 1:
                raise HpcirError(f"device function {fname!r} returns several values",
                                 hint="return one value, or write results into a view argument")
            device_decls.append(f"KOKKOS_INLINE_FUNCTION {sig};")
            device_defs.append(f"KOKKOS_INLINE_FUNCTION {sig} {{\n{body}\n}}\n")
            continue
        host_decls.append(f"{sig};")
        host_defs.append(f"{sig} {{\n{body}\n}}\n")
        if plain:
            forward = f"{fname}(exec_space(), {', '.join(names)})" if names else f"{fname}(exec_space())"
            host_decls.append(f"{plain};")
            host_defs.append(f"{plain} {{\n  {'return ' if outs else ''}{forward};\n}}\n")
        ename = cpp_identifier(f.sym_name.data)  # the C entry's name (hpcir_NAME) and the manifest's
        entries[ename] = _entry_info(f, ename, kind, names)
        entry_funcs.append((ename, f))
    c_entries = [_c_entry(ns, entries[n], f, mod) for n, f in entry_funcs]
    if tgt.is_gpu:
        c_entries += [_c_entry(ns, entries[n], f, mod, device_pointers=True) for n, f in entry_funcs
                      if any(p.kind == "view" and p.space != "host" for p in entries[n].params)]
        c_entries += [_c_entry(ns, entries[n], f, mod, stream=True) for n, f in entry_funcs
                      if _on_stream(tgt, entries[n].kind, f)]
    exec_s, dev_s, shared_s = target_spaces(tgt)
    public = [f"using {a} = {spec.spelled()};" for spec, a in sorted(mod.aliases.items(), key=lambda kv: kv[1])
              if spec in mod.public]
    private = [f"using {a} = {spec.spelled()};" for spec, a in sorted(mod.aliases.items(), key=lambda kv: kv[1])
               if spec not in mod.public]
    guard = f"HPCIR_MODULE_{ns.upper()}_HPP"
    hpp = "\n".join([
        f"// Generated by hpcir for target '{tgt.name}': the C++ API of module '{name}'.",
        f"#ifndef {guard}", f"#define {guard}", f'#include "{PRELUDE_FILE}"', "",
        f"namespace {ns} {{", "", target_prelude(exec_s, dev_s, shared_s), *public, "",
        *result_structs, *([""] if result_structs else []), *host_decls, "", f"}}  // namespace {ns}",
        f"#endif  // {guard}", ""])
    manifest = _manifest_json(name, tgt.name, entries)
    checks = [f"static const char* const {mod.check_table}[] = {{  // the kernels' run-time checks, from 1",
              *[f"    {expr.cpp_string(t)}," for t in mod.checks], "};", ""] if mod.checks else []
    device = [*device_decls, *([""] if device_decls else []), *device_defs]
    split = {}
    if mod.launchers:  # the functors and their launches in other units (units.py)
        split = units.split_files(name, ns, mod.includes, private, device, mod.structs, mod.launchers)
        head, private, device, structs = [f'#include "{units.kernels_header(name)}"'], [], [], []
    else:
        head, structs = [f'#include "{name}.hpp"', *(f"#include {h}" for h in mod.includes)], mod.structs
    cpp = "\n".join([
        f"// Generated by hpcir for target '{tgt.name}' from module '{name}'.", *head, "",
        f"namespace {ns} {{", "", *private, *([""] if private else []), *checks,
        *device, *structs, *host_defs,
        f"}}  // namespace {ns}", "", *c_entries, _init_entries(),
        f'extern "C" const char* hpcir_manifest(void) {{\n  return R"hpcirjson({manifest})hpcirjson";\n}}', ""])
    files = {f"{name}.hpp": hpp, f"{name}.cpp": cpp, **split}
    main = _main_file(name, ns, funcs, mod.func_names)
    if main:
        files[f"{name}_main.cpp"] = main
    files[PRELUDE_FILE] = PRELUDE
    return EmittedModule(name, tgt.name, files, entries)


def _entry_info(f: Operation, fname: str, kind: str, names: list[str]) -> EntryInfo:
    info = EntryInfo(fname, kind, _num_bounds(f))
    for a, n in zip(f.body.block.args, names):
        ty = a.type
        if isinstance(ty, MemRefType):
            space = view_space(ty)
            info.params.append(ParamInfo(a.name_hint or n, "view", dtype_name(ty), len(ty.get_shape()),
                                         view_layout(ty), space.value if space else "", is_written(a),
                                         [d if d >= 0 else -1 for d in ty.get_shape()]))
        elif is_scalar(ty):
            info.params.append(ParamInfo(a.name_hint or n, "scalar", dtype_name(ty)))
        else:
            raise HpcirError(f"entry {fname!r} has an argument of type {ty} the JIT cannot pass",
                             hint="entries take scalars and views (memrefs) only")
    info.results = [dtype_name(t) for t in f.function_type.outputs.data]
    return info


def _on_stream(tgt: Target, kind: str, f: Operation) -> bool:
    """Does entry function `f` get an execution-space instance parameter (and `hpcir_NAME_stream`)?
    GPU kernel entries do, unless they call other host functions (which launch on the default one)."""
    return tgt.is_gpu and kind in ("for", "reduce", "scan") and not any(op.name == "func.call" for op in f.walk())


def _c_entry(ns: str, e: EntryInfo, f: Operation, mod: ModuleState, device_pointers: bool = False,
             stream: bool = False) -> str:
    """`extern "C" int hpcir_NAME(void** args, void* results, char* err, int errlen)`.

    On GPU targets `hpcir_NAME` takes host arrays and stages every non-host view through a device
    copy (copied back when the kernel may write it); `hpcir_NAME_device` takes device pointers
    (e.g. from DLPack) and wraps them without copies; `hpcir_NAME_stream(void* stream, ...)` takes
    device pointers too and launches on the caller's stream (XLA's, Torch's) without waiting for it:
    only a reduction's value, returned to the host, waits for the kernel.
    """
    tgt = mod.target
    device_pointers = device_pointers or stream
    suffix = "_stream" if stream else "_device" if device_pointers else ""
    head = "void* stream, " if stream else ""
    lines = [f'extern "C" int hpcir_{e.name}{suffix}({head}void** args, void* results, char* err, int errlen) {{',
             "  return hpcir::guarded(err, errlen, [&] {"]
    scope = dict.fromkeys(("args", "results", "err", "errlen", "r", "stream", ns), 1)
    call_args, copy_back = [], []
    if stream:
        space = unique(scope, "space", "space")
        lines.append(f"    const auto {space} = hpcir::stream_instance<{ns}::exec_space>(stream);")
        call_args.append(space)
    for k, (p, a) in enumerate(zip(e.params, f.body.block.args)):
        var = unique(scope, p.name, "arg")
        if p.kind == "scalar":
            ct = cpp_type(a.type)
            lines.append(f"    const {ct} {var} = hpcir::scalar_arg<{ct}>(args[{k}]);")
        elif tgt.is_gpu and p.space != "host" and not device_pointers:
            # Device targets: the JIT passes host arrays; stage them through device views.
            host = unique(scope, f"{var}_host", "arg")
            spec = view_spec(a.type, tgt, a in mod.read_only)
            host_t = mod.view_type(dataclasses.replace(spec, space="host"))
            lines.append(f'    const auto {host} = hpcir::view_arg<{ns}::{host_t}>(args[{k}], "{p.name}");')
            lines.append(f"    const auto {var} = Kokkos::create_mirror_view_and_copy({ns}::{spec.space}_space(), {host});")
            if p.written:
                copy_back.append(f"    Kokkos::deep_copy({host}, {var});")
        else:
            vt = mod.type_of(a.type, a in mod.read_only)
            lines.append(f'    const auto {var} = hpcir::view_arg<{ns}::{vt}>(args[{k}], "{p.name}");')
        call_args.append(var)
    fname = mod.func_names[f.sym_name.data]
    call = f"{ns}::{fname}({', '.join(call_args)})"
    outs = list(f.function_type.outputs.data)
    if not outs:
        lines.append(f"    {call};")
    else:
        rtype = cpp_type(outs[0]) if len(outs) == 1 else f"{ns}::{fname}_result"
        lines.append(f"    const {rtype} r = {call};")
    if copy_back:
        lines += copy_back  # deep_copy fences first
    elif _needs_fence(f) and not stream:
        lines.append("    Kokkos::fence();")
    if len(outs) == 1:
        lines.append("    std::memcpy(results, &r, sizeof(r));")
    for k in range(len(outs) if len(outs) > 1 else 0):
        lines.append(f"    std::memcpy(static_cast<char*>(results) + {16 * k}, &r.r{k}, sizeof(r.r{k}));")
    lines += ["  });", "}", ""]
    return "\n".join(lines)


def _init_entries() -> str:
    return r"""// Kokkos is initialized once per process (several hpcir modules may share one Kokkos):
// hpcir_initialize returns 1 if this call initialized it (the caller then owns hpcir_finalize),
// 0 if it already was, -1 on failure (hpcir_init_error says why).
static std::string hpcir_init_error_text;

extern "C" const char* hpcir_init_error(void) { return hpcir_init_error_text.c_str(); }

extern "C" int hpcir_initialize(int num_threads) { return hpcir::initialize(num_threads, hpcir_init_error_text); }

extern "C" void hpcir_finalize(void) {
  if (Kokkos::is_initialized()) Kokkos::finalize();
}

extern "C" int hpcir_abi_version(void) { return 1; }
"""


def _main_file(name: str, ns: str, funcs: list[Operation], func_names: dict[str, str]) -> str | None:
    """`main()` for a module with a host program (the one named main, or the only argument-free one)."""
    progs = [f for f in funcs if _func_kind(f) == "host_program"]
    chosen = [f for f in progs if f.sym_name.data == "main"] or \
        [f for f in progs if not f.body.block.args]
    if not chosen or len(chosen) > 1 and chosen[0].sym_name.data != "main":
        return None
    f = chosen[0]
    if f.body.block.args:
        return None
    fname = func_names[f.sym_name.data]
    return "\n".join([
        f'// Generated by hpcir: runs the host program {ns}::{fname}.', f'#include "{name}.hpp"', "",
        "int main(int argc, char** argv) {",
        "  hpcir::apply_openmp_defaults(argv);  // OpenMP defaults (docs/threads.md); the user's variables win",
        "  Kokkos::initialize(argc, argv);", "  int status = 0;",
        "  try {", f"    {ns}::{fname}();", "  } catch (const std::exception& ex) {",
        '    std::fprintf(stderr, "error: %s\\n", ex.what());', "    status = 1;", "  }",
        "  Kokkos::finalize();", "  return status;", "}", ""])
