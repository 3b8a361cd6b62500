"""A whole L3 module -> {"M.hpp", "M.cpp"[, "M_main.cpp"]} plus the JIT manifest of its C entries."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from xdsl.dialects.builtin import MemRefType, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue

from hpcir.dialects.kokkos_attrs import MDRangePolicyAttr, RangePolicyAttr, TeamPolicyAttr
from hpcir.core.errors import HpcirError
from hpcir.core.targets import Target, get_target

from . import control, expr, launches  # noqa: F401  (register op handlers)
from .context import FunctionEmitter, ModuleState, prop
from .prelude import PRELUDE, target_prelude
from .types import HIP_ALIASES, cpp_type, dtype_name, is_scalar, target_spaces, view_layout, view_space, view_type

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
    if "kokkos.entry" in attrs:
        return attrs["kokkos.entry"].data.value
    if "kokkos.host_program" in attrs:
        return "host_program"
    if "kokkos.device_function" in attrs:
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
            if (op.name in ("memref.store", "memref.atomic_rmw", "memref.copy") and idx == 1) or \
               (op.name == "kokkos.deep_copy" and idx == 0) or op.name == "func.call":
                return True
            if op.name in _VIEW_FORWARD:
                stack.extend(op.results)
    return False


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


def emit_module(module: ModuleOp, name: str, target: str | Target = "cpu") -> EmittedModule:
    """Translate an L3 module into Kokkos C++ sources and the manifest of its C entries."""
    tgt = get_target(target) if isinstance(target, str) else target
    ns = cpp_identifier(name)
    mod = ModuleState(tgt)
    funcs = [op for op in module.ops if op.name == "func.func"]
    others = [op.name for op in module.ops if op.name != "func.func"]
    if others:
        raise HpcirError(f"module {name!r} has top-level ops the Kokkos emitter cannot translate: {others}",
                         hint="only func.func may appear at the top level of an L3 module")
    device_decls, device_defs, host_decls, host_defs, result_structs = [], [], [], [], []
    entries: dict[str, EntryInfo] = {}
    entry_funcs: list[tuple[str, Operation]] = []
    for f in funcs:
        fname = cpp_identifier(f.sym_name.data)
        kind = _func_kind(f)
        outs = list(f.function_type.outputs.data)
        ret = _ret_type(fname, outs)
        if len(outs) > 1:
            result_structs.append(f"struct {fname}_result {{ "
                                  + " ".join(f"{cpp_type(t)} r{k};" for k, t in enumerate(outs)) + " };")
        em = FunctionEmitter(mod, device=(kind == "device"))
        args = list(f.body.block.args)
        names = _arg_names(em, args)
        sig = f"{ret} {fname}({', '.join(f'{cpp_type(a.type)} {n}' for a, n in zip(args, names))})"
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
        entries[fname] = _entry_info(f, fname, kind, names)
        entry_funcs.append((fname, f))
    exec_s, dev_s, shared_s = target_spaces(tgt)
    guard = f"HPCIR_MODULE_{ns.upper()}_HPP"
    hpp = "\n".join([
        f"// Generated by hpcir for target '{tgt.name}': the C++ API of module '{name}'.",
        f"#ifndef {guard}", f"#define {guard}", PRELUDE, HIP_ALIASES if tgt.name == "hip" else "",
        f"namespace {ns} {{", target_prelude(exec_s, dev_s, shared_s), "", *result_structs, *host_decls,
        f"}}  // namespace {ns}", f"#endif  // {guard}", ""])
    c_entries = [_c_entry(ns, entries[n], f, tgt) for n, f in entry_funcs]
    if tgt.is_gpu:
        c_entries += [_c_entry(ns, entries[n], f, tgt, device_pointers=True) for n, f in entry_funcs
                      if any(p.kind == "view" and p.space != "host" for p in entries[n].params)]
    manifest = _manifest_json(name, tgt.name, entries)
    cpp = "\n".join([
        f"// Generated by hpcir for target '{tgt.name}' from module '{name}'.", f'#include "{name}.hpp"', "",
        f"namespace {ns} {{", *device_decls, "", *device_defs, *mod.structs, *host_defs, f"}}  // namespace {ns}",
        "", *c_entries, _init_entries(), f'extern "C" const char* hpcir_manifest(void) {{\n  return R"hpcirjson({manifest})hpcirjson";\n}}', ""])
    files = {f"{name}.hpp": hpp, f"{name}.cpp": cpp}
    main = _main_file(name, ns, funcs)
    if main:
        files[f"{name}_main.cpp"] = main
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


def _c_entry(ns: str, e: EntryInfo, f: Operation, tgt: Target, device_pointers: bool = False) -> str:
    """`extern "C" int hpcir_NAME(void** args, void* results, char* err, int errlen)`.

    On GPU targets `hpcir_NAME` takes host arrays and stages every non-host view through a device
    copy (copied back when the kernel may write it); `hpcir_NAME_device` takes device pointers
    (e.g. from DLPack) and wraps them without copies.
    """
    suffix = "_device" if device_pointers else ""
    lines = [f'extern "C" int hpcir_{e.name}{suffix}(void** args, void* results, char* err, int errlen) {{',
             "  try {"]
    call_args, copy_back = [], []
    for k, (p, a) in enumerate(zip(e.params, f.body.block.args)):
        var = f"a{k}"
        if p.kind == "scalar":
            ct = cpp_type(a.type)
            lines.append(f"    const {ct} {var} = *static_cast<const {ct}*>(args[{k}]);")
        elif tgt.is_gpu and p.space != "host" and not device_pointers:
            # Device targets: the JIT passes host arrays; stage them through device views.
            host_t = view_type(a.type, "Kokkos::HostSpace")
            lines.append(f"    const {host_t} {var}_h = hpcir::wrap<{host_t}>(*static_cast<const hpcir_view*>"
                         f"(args[{k}]), \"{p.name}\");")
            lines.append(f"    const {_qualified(ns, view_type(a.type))} {var} = "
                         f"Kokkos::create_mirror_view_and_copy({ns}::device_space(), {var}_h);")
            if p.written:
                copy_back.append(f"    Kokkos::deep_copy({var}_h, {var});")
        else:
            vt = _qualified(ns, view_type(a.type))
            lines.append(f"    const {vt} {var} = hpcir::wrap<{vt}>(*static_cast<const hpcir_view*>(args[{k}]), "
                         f"\"{p.name}\");")
        call_args.append(var)
    call = f"{ns}::{e.name}({', '.join(call_args)})"
    lines.append(f"    {'const auto r = ' if e.results else ''}{call};")
    lines.append("    Kokkos::fence();")
    lines += copy_back
    if len(e.results) == 1:
        lines.append("    std::memcpy(static_cast<char*>(results), &r, sizeof(r));")
    for k in range(len(e.results) if len(e.results) > 1 else 0):
        lines.append(f"    std::memcpy(static_cast<char*>(results) + {8 * k}, &r.r{k}, sizeof(r.r{k}));")
    lines += ["    return 0;", "  } catch (const std::exception& ex) {", "    hpcir::set_error(err, errlen, ex.what());",
              "    return 1;", "  } catch (...) {", '    hpcir::set_error(err, errlen, "unknown C++ exception");',
              "    return 2;", "  }", "}", ""]
    return "\n".join(lines)


def _qualified(ns: str, vt: str) -> str:
    """Qualify the per-module space aliases in a View type used outside the namespace."""
    return re.sub(r"\b(host_space|device_space|shared_space|scratch_space)\b", rf"{ns}::\1", vt)


def _init_entries() -> str:
    return r"""// Kokkos can be initialized once per process; several hpcir modules may share one Kokkos.
// Returns 1 if this call initialized Kokkos (the caller then owns hpcir_finalize), 0 if it
// already was, -1 on failure.
static std::string hpcir_init_error_text;

extern "C" const char* hpcir_init_error(void) { return hpcir_init_error_text.c_str(); }

extern "C" int hpcir_initialize(int num_threads) {
  try {
    if (Kokkos::is_initialized()) return 0;
#if KOKKOS_VERSION >= 30700
    Kokkos::InitializationSettings settings;
    if (num_threads > 0) settings.set_num_threads(num_threads);
    settings.set_disable_warnings(true);
    Kokkos::initialize(settings);
#else
    Kokkos::InitArguments arguments;
    arguments.num_threads = num_threads > 0 ? num_threads : -1;
    arguments.disable_warnings = true;
    Kokkos::initialize(arguments);
#endif
    return 1;
  } catch (const std::exception& ex) {
    hpcir_init_error_text = ex.what();
    return -1;
  } catch (...) {
    hpcir_init_error_text = "unknown C++ exception in Kokkos::initialize";
    return -1;
  }
}

extern "C" void hpcir_finalize(void) {
  if (Kokkos::is_initialized()) Kokkos::finalize();
}

extern "C" int hpcir_abi_version(void) { return 1; }
"""


def _main_file(name: str, ns: str, funcs: list[Operation]) -> str | None:
    """`main()` for a module with a host program (the one named main, or the only argument-free one)."""
    progs = [f for f in funcs if _func_kind(f) == "host_program"]
    chosen = [f for f in progs if f.sym_name.data == "main"] or \
        [f for f in progs if not f.body.block.args]
    if not chosen or len(chosen) > 1 and chosen[0].sym_name.data != "main":
        return None
    f = chosen[0]
    if f.body.block.args:
        return None
    fname = cpp_identifier(f.sym_name.data)
    return "\n".join([
        f'// Generated by hpcir: runs the host program {ns}::{fname}.', f'#include "{name}.hpp"', "",
        "int main(int argc, char* argv[]) {", "  Kokkos::initialize(argc, argv);", "  int status = 0;",
        "  try {", f"    {ns}::{fname}();", "  } catch (const std::exception& ex) {",
        '    std::fprintf(stderr, "error: %s\\n", ex.what());', "    status = 1;", "  }",
        "  Kokkos::finalize();", "  return status;", "}", ""])
