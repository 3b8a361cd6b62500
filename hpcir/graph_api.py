"""Public API of the graph path: from_jax / from_torch / export, and compile / lower for GraphPrograms.

    prog = hpcir.from_torch(model, (x,))        # or hpcir.from_jax(f, x, w)
    tf = hpcir.compile(prog, target="torch")     # torch.nn.Module (weights as buffers)
    jf = hpcir.compile(prog, target="jax")       # JAX callable (jit-able, differentiable)
    print(hpcir.lower(prog, target="jax"))       # generated source
    print(hpcir.lower(prog, stage="L1"))         # the shared L1 MLIR
"""
from __future__ import annotations

import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hpcir.core.errors import HpcirError, SourceLocation, user_call_site
from hpcir.dialects.upstream import printed_for_upstream
from hpcir.dialects.graph_program import GraphProgram
from hpcir.core.targets import get_target

GRAPH_TARGETS = ("jax", "torch")


def from_jax(fn, *example_args, weights: tuple[int, ...] = (), embed_weights: bool = False,
             name: str | None = None) -> GraphProgram:
    """Import a jax.numpy / lax function; args at positions `weights` are weights (bound or embedded)."""
    from .frontends.jax_frontend import from_jax as _from_jax
    return _from_jax(fn, *example_args, weights=weights, embed_weights=embed_weights, name=name)


def from_torch(module, example_args, embed_weights: bool = False, name: str | None = None) -> GraphProgram:
    """Import an eval-mode torch.nn.Module (torch.export + Core ATen); weights become args or constants."""
    from .frontends.torch_frontend import from_torch as _from_torch
    return _from_torch(module, example_args, embed_weights=embed_weights, name=name)


def compile(prog: GraphProgram, target: str = "jax", bind_weights: bool = True) -> Any:  # noqa: A001
    """A callable running prog on `target` (jax: function; torch: nn.Module; Kokkos targets: JIT)."""
    t = get_target(target)
    if t.kind == "jax":
        from .backends.jax_emitter import compile_jax
        fn = compile_jax(prog, bind_weights)
    elif t.kind == "torch":
        from .backends.torch_emitter import compile_torch
        fn = compile_torch(prog, bind_weights)
    else:
        from .graph_lowering import compile_kokkos
        fn = compile_kokkos(prog, target, bind_weights)
    return _with_pytrees(fn, prog) if (prog.in_tree is not None or prog.out_tree is not None) else fn


def _with_pytrees(fn, prog: GraphProgram):
    """Accept and return the JAX pytrees the original function took and gave (dicts, nested tuples)."""
    import functools

    import jax

    @functools.wraps(fn)
    def call(*args):
        flat = jax.tree_util.tree_leaves(args) if prog.in_tree is not None else list(args)
        out = fn(*flat)
        if prog.out_tree is None:
            return out
        leaves = [out] if prog.out_tree.num_leaves == 1 and not isinstance(out, tuple) else list(out)
        return jax.tree_util.tree_unflatten(prog.out_tree, leaves)

    return call


def lower(prog: GraphProgram, target: str = "jax", stage: str | None = None, dump_after_all: bool = False) -> str:
    """Text of prog: stage="L1" (or "L1-generic") MLIR, or the generated source for `target`.

    Kokkos targets also give stage="L2" / "L3" MLIR; `dump_after_all` prints the IR after every
    pass of their lowering (the graph L1 -> L2 passes, then L2 -> L3) to stderr."""
    if stage is not None:
        st = stage.upper()
        if st == "L1":
            return prog.text()
        if st in ("L1-GENERIC", "L1G"):
            return prog.text(generic=True)
        from .graph_lowering import lower_kokkos
        return lower_kokkos(prog, target, st, dump_after_all)
    t = get_target(target)
    if t.kind == "jax":
        from .backends.jax_emitter import lower_jax
        return lower_jax(prog)[0]
    if t.kind == "torch":
        from .backends.torch_emitter import lower_torch
        return lower_torch(prog)[0]
    from .graph_lowering import lower_kokkos
    return lower_kokkos(prog, target, "CPP", dump_after_all)


# ---- hpcir.export and `hpcir lower model.py` --------------------------------------------------------
@dataclass
class ExportEntry:
    """One entry point declared in a model file."""

    obj: Any
    example_args: tuple
    name: str
    options: dict = field(default_factory=dict)
    loc: SourceLocation | None = None  # the hpcir.export call, for errors about this entry

    def program(self) -> GraphProgram:
        """Import the entry with the frontend its object calls for."""
        if _is_torch_module(self.obj):
            return from_torch(self.obj, self.example_args, name=self.name, **self.options)
        if callable(self.obj):
            return from_jax(self.obj, *self.example_args, name=self.name, **self.options)
        raise HpcirError(f"hpcir.export({self.name!r}): expected a torch.nn.Module or a JAX function")


_EXPORTS: list[ExportEntry] | None = None  # set while lower_exports runs a model file


def export(fn_or_module, example_args, name: str | None = None, **options):
    """Declare an entry point of a model file for `hpcir lower`; returns fn_or_module unchanged."""
    if not isinstance(example_args, (tuple, list)):
        example_args = (example_args,)
    entry = ExportEntry(fn_or_module, tuple(example_args),
                        name or getattr(fn_or_module, "__name__", type(fn_or_module).__name__.lower()), options,
                        user_call_site())
    if _EXPORTS is not None:
        _EXPORTS.append(entry)
    return fn_or_module


def collect_exports(path: str | Path) -> list[ExportEntry]:
    """Run a model file and return the entries it declared with hpcir.export."""
    global _EXPORTS
    previous, _EXPORTS = _EXPORTS, []
    try:
        runpy.run_path(str(path), run_name="__hpcir_export__")
        return list(_EXPORTS)
    finally:
        _EXPORTS = previous


_LOADER = '''
# --- loader: large constants and weights stored beside this file ---------------------------------
import numpy as _np
from pathlib import Path as _Path

{consts}
def load_weights():
    """The weight arguments of {name}, in order (pass them after the inputs)."""
    {weights}
'''


def write_graph_module(prog: GraphProgram, target: str, out_dir: str | Path) -> list[Path]:
    """Write <name>.py (+ <name>_consts.npz / <name>_weights.npz) for a jax or torch target."""
    from .backends.jax_emitter import lower_jax
    from .backends.torch_emitter import lower_torch
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src, consts = (lower_jax if target == "jax" else lower_torch)(prog)
    written = []
    consts_line = ""
    if consts:
        p = out / f"{prog.name}_consts.npz"
        np.savez(p, **consts)
        written.append(p)
        consts_line = f'_consts.update(_np.load(_Path(__file__).with_name("{p.name}")))\n'
    if prog.weight_names:
        p = out / f"{prog.name}_weights.npz"
        np.savez(p, **{n: prog.weights[n] for n in prog.weight_names})
        written.append(p)
        conv = "jnp.asarray" if target == "jax" else "torch.as_tensor"
        weights = (f'_w = _np.load(_Path(__file__).with_name("{p.name}"))\n'
                   f"    return [{conv}(_w[n]) for n in {prog.weight_names!r}]")
    else:
        weights = "return []"
    src += _LOADER.format(consts=consts_line, name=prog.name, weights=weights)
    p = out / f"{prog.name}.py"
    p.write_text(src)
    written.insert(0, p)
    l1 = out / f"{prog.name}.l1.mlir"
    l1.write_text(prog.text())
    written.append(l1)
    return written


def lower_exports(path: str | Path, target: str, out_dir: str | Path | None, emit: str | None = None,
                  stage: str | None = None, dump_after_all: bool = False, pretty: bool = False) -> int:
    """`hpcir lower model.py --target=...` for files with hpcir.export entries; prints written files.

    Default: Python modules for jax/torch, C++ for Kokkos targets. With emit="mlir", writes
    <name>.<stage>.mlir instead (stage L1 by default; L2/L3 for Kokkos targets), in the generic form
    upstream MLIR parses as printed (`pretty`: hpcir's custom syntax). `dump_after_all` prints the IR
    after every pass of the Kokkos lowering to stderr.
    """
    entries = collect_exports(path)
    if not entries:
        raise HpcirError(f"{path}: no hpcir.export(...) entry points found")
    out = Path(out_dir) if out_dir else Path(path).with_suffix("").parent / f"{Path(path).stem}_{target}"
    t = get_target(target)
    if emit != "mlir" and t.kind not in GRAPH_TARGETS:  # Kokkos C++: one CMake project for every entry
        from .model_export import write_project
        return write_project(entries, target, out, Path(path), dump_after_all)
    for e in entries:
        prog = e.program()
        if emit == "mlir":
            st = (stage or "L1").upper()
            out.mkdir(parents=True, exist_ok=True)
            p = out / f"{prog.name}.{st.lower()}.mlir"
            text = lower(prog, target=target, stage=st, dump_after_all=dump_after_all)
            p.write_text(text if pretty else printed_for_upstream(text) + "\n")
            files = [p]
        else:
            files = write_graph_module(prog, t.kind, out)
        for f in files:
            print(f)
    return 0


def _is_torch_module(obj) -> bool:
    try:
        import torch
    except ImportError:
        return False
    return isinstance(obj, torch.nn.Module)


__all__ = ["from_jax", "from_torch", "export", "compile", "lower", "lower_exports", "GraphProgram"]
