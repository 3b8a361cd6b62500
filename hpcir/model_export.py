"""`hpcir lower model.py --target=cpu|serial|cuda|hip`: the file's hpcir.export entries as one CMake project.

Per export: the graph lowered to Kokkos C++ (entry arguments named after the model's inputs,
weights and outputs), a `Model` class that loads the weights, a check that runs a sample saved
here against the Python model's outputs (backends.model_project writes the files).
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import numpy as np

from hpcir.core.errors import HpcirError
from hpcir.core.targets import Target, get_target
from hpcir.dialects.graph_program import GraphProgram
from hpcir.dialects.graph_types import np_dtype, sanitize


def _flat_leaves(tree: Any, origin: str) -> tuple[list[Any], list[str]]:
    """Leaves of a (JAX or torch) pytree and a name for each from its path ("" where it has none)."""
    if origin == "torch":
        from torch.utils import _pytree as pytree
        flat, _ = pytree.tree_flatten_with_path(tree)
    else:
        import jax
        flat, _ = jax.tree_util.tree_flatten_with_path(tree)
    names = []
    for path, _leaf in flat:
        parts = []
        for k in path:
            key = getattr(k, "key", getattr(k, "name", None))
            parts.append(str(key) if key is not None else "")
        names.append(sanitize("_".join(parts)) if parts and all(parts) else "")
    return [leaf for _, leaf in flat], names


def _numpy(a: Any) -> np.ndarray:
    return np.asarray(a.detach().cpu().numpy() if hasattr(a, "detach") else a)


def output_names(path_names: list[str], taken: set[str]) -> list[str]:
    """C++ names of a model's outputs: the dict keys / attribute names it returns them under, else
    `output` (one) or `output0`, `output1`, ...; never one of the argument names in `taken`."""
    n = len(path_names)
    names = path_names if all(path_names) and len(set(path_names)) == n else \
        (["output"] if n == 1 else [f"output{k}" for k in range(n)])
    return [f"{x}_out" if x in taken else x for x in names]


def sample(entry: Any, prog: GraphProgram) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """The export's example inputs (as the entry takes them), the Python model's outputs on them, and
    the outputs' names from the structure the model returns."""
    if prog.origin == "torch":
        import torch
        with torch.no_grad():
            result = entry.obj(*entry.example_args)
        inputs, _ = _flat_leaves(tuple(entry.example_args), "torch")
    else:
        result = entry.obj(*entry.example_args)
        weights = set(entry.options.get("weights", ()))
        inputs, _ = _flat_leaves(tuple(a for i, a in enumerate(entry.example_args) if i not in weights), "jax")
    outputs, names = _flat_leaves(result, prog.origin)
    return [_numpy(a) for a in inputs], [_numpy(a) for a in outputs], names


def _checked(values: list[np.ndarray], specs: list, what: str, entry: Any) -> list[np.ndarray]:
    """The values converted to the entry's dtypes; an error when their number or shapes differ."""
    if len(values) != len(specs):
        raise HpcirError(f"hpcir.export({entry.name!r}): the model gives {len(values)} {what}, its lowered entry "
                         f"has {len(specs)}", loc=entry.loc,
                         hint="report it: the sample the lowered project checks would not fit its entry")
    out = []
    for v, t in zip(values, specs):
        if tuple(v.shape) != t.shape:
            raise HpcirError(f"hpcir.export({entry.name!r}): {what} {t.name!r} has shape {v.shape}, the lowered "
                             f"entry {t.shape}", loc=entry.loc, hint="pass example arguments of the shapes to lower for")
        out.append(np.asarray(v.astype(t.dtype, copy=False), order="C"))
    return out


def model_spec(entry: Any, prog: GraphProgram, target: str, dump_after_all: bool = False) -> tuple[Any, dict[str, str], dict[str, np.ndarray]]:
    """Lower one export: its ModelSpec, generated sources and sample arrays (inputs, expected outputs)."""
    from hpcir.backends.model_project import ModelSpec, Tensor
    from hpcir.graph_lowering import graph_l2, lifted_constants
    from hpcir.lowering import emit_cpp, lower_to_l3
    l2 = graph_l2(prog, dump_after_all)
    func = next(op for op in l2.body.block.ops if getattr(op, "sym_name", None) is not None
                and op.sym_name.data == prog.name)
    args = list(func.body.block.args)
    consts = lifted_constants(prog)
    n_in, n_w = len(prog.input_names), len(prog.weight_names)
    n_out = len(args) - n_in - n_w - len(consts)
    inputs, expected, path_names = sample(entry, prog)
    taken = {a.name_hint for a in args[:n_in + n_w + len(consts)]}
    for a, name in zip(args[n_in + n_w + len(consts):], output_names(path_names, taken)
                       if len(path_names) == n_out else output_names([""] * n_out, taken)):
        a.name_hint = name  # the entry's output views carry the model's names (not out0, out1)
    tensors = [Tensor(a.name_hint, tuple(int(d) for d in a.type.get_shape()), np_dtype(a.type.element_type))
               for a in args]
    ins, params, outs = tensors[:n_in], tensors[n_in:len(args) - n_out], tensors[len(args) - n_out:]
    values = [prog.weights[n] for n in prog.weight_names] + list(consts)
    l3 = lower_to_l3(l2, target, dump_after_all)
    sources = emit_cpp(l3, target, prog.name)
    if any(op.name == "fft.execute" for op in l3.walk()):  # the FFT runtime its host program calls
        from hpcir.backends.fft_cpp import runtime_source
        fname, text = runtime_source(get_target(target))
        sources[fname] = text
    sources[f"{prog.name}.l1.mlir"] = prog.text()
    units = sorted(f for f in sources if f.endswith((".cpp", ".cu")))
    headers = sorted(f for f in sources if f.endswith((".hpp", ".h")))
    spec = ModelSpec(prog.name, ins, params, outs, units, headers,
                     embedded=bool(entry.options.get("embed_weights")),
                     params_values={t.name: np.asarray(v, order="C") for t, v in zip(params, values)})
    data = dict(zip((t.name for t in ins), _checked(inputs, ins, "inputs", entry)))
    data.update({f"expected.{t.name}": v for t, v in zip(outs, _checked(expected, outs, "outputs", entry))})
    return spec, sources, data


def write_project(entries: list, target: str, out: Path, model_file: Path, dump_after_all: bool = False) -> int:
    """Lower every export of a model file for a Kokkos target into one CMake project in `out`; print
    what was written and the build command."""
    import sys

    from hpcir.backends.model_project import render_readme, write_model_project
    from hpcir.lowering import project_kokkos
    t: Target = get_target(target)
    specs, sources, samples = [], {}, {}
    for e in entries:
        spec, files, data = model_spec(e, e.program(), target, dump_after_all)
        specs.append(spec)
        sources.update(files)
        samples[spec.name] = data
    kokkos, missing = project_kokkos(t)
    q = lambda p: shlex.quote(str(p))  # noqa: E731
    root = "" if kokkos is not None else f" -DKokkos_ROOT=<a Kokkos with {t.kokkos_backend}>"
    build = f"cmake -S {q(out)} -B {q(out / 'build')}{root} && cmake --build {q(out / 'build')} -j"
    project = sanitize(model_file.stem)
    here = f"cmake -S . -B build{root} && cmake --build build -j"
    readme = render_readme(project, specs, t, here, "build", model_file.name)
    for p in write_model_project(out, project, specs, sources, samples, t, kokkos, readme):
        print(p)
    if kokkos is not None:
        print(f"Kokkos {kokkos.version} ({', '.join(kokkos.backends)}) from {kokkos.origin}: {kokkos.prefix}"
              + (" (compile checks only: stand-in CUDA driver)" if kokkos.stub_driver else ""))
    else:
        print(missing, file=sys.stderr)
    print(f"build: {build}")
    print("check: " + " && ".join(f"{q(out / 'build' / (s.name + '_main'))}" for s in specs))
    return 0
