"""Graph programs on Kokkos targets: L1 -> L2 (upstream one-shot-bufferize) -> L3 -> C++ -> JIT.

L1 -> L2 runs upstream MLIR through the bridge: one-shot bufferization across the function
boundary (identity layouts), linalg to scf.parallel loops, canonicalize, CSE. The bufferized
function returns fresh buffers; the JIT ABI passes views in and returns scalars only, so results
become trailing output views (an output buffer that is a plain allocation is replaced by the output
view itself, anything else is copied with memref.copy = Kokkos::deep_copy). The function is then
a `kokkos.host_program`: the shared L2 -> L3 pipeline and the Kokkos C++ emitter take over.
FFT ops have no Kokkos lowering yet and are rejected with an HpcirError.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import FunctionType, MemRefType, ModuleOp, UnitAttr
from xdsl.printer import Printer

from hpcir.core.errors import HpcirError
from hpcir.dialects.graph_types import sanitize
from hpcir.dialects.graph_program import GraphProgram
from hpcir.dialects.graph_types import np_dtype
from hpcir.core.targets import get_target

L1_TO_L2 = ("builtin.module(one-shot-bufferize{bufferize-function-boundaries "
            "function-boundary-type-conversion=identity-layout-map},"
            "convert-linalg-to-parallel-loops,lower-affine,canonicalize,cse)")


def _check_kokkos_target(target: str) -> None:
    if get_target(target).kind != "kokkos":
        raise HpcirError(f"{target!r} is not a Kokkos target", hint="use cpu, serial, cuda or hip")


def lower_l2(prog: GraphProgram) -> ModuleOp:
    """L2 (scf.parallel on memrefs) of a graph program, as a kokkos.host_program with output views."""
    from hpcir.dialects.upstream import run_upstream_passes
    for op in prog.func.walk():
        if op.name.startswith("fft."):
            raise HpcirError(f"{op.name} has no Kokkos lowering yet",
                             hint="lower programs with FFTs to target='jax' or target='torch'")
    l1 = prog.module.clone()
    lf = next(op for op in l1.ops if isinstance(op, func.FuncOp))
    consts = _lift_constants(lf)
    _reshapes_to_generics(lf)
    module = run_upstream_passes(l1, L1_TO_L2)
    f = next(op for op in module.ops if isinstance(op, func.FuncOp))
    _results_to_out_params(f, prog, len(consts))
    f.attributes["kokkos.host_program"] = UnitAttr()
    return module


def lifted_constants(prog: GraphProgram) -> list[np.ndarray]:
    """Values of the dense constants that lower_l2 turns into trailing input views (in order)."""
    f = prog.func.clone()
    return [v for _, v in _lift_constants(f)]


def _lift_constants(f: func.FuncOp) -> list[tuple[str, np.ndarray]]:
    """Dense tensor constants become extra arguments (Kokkos has no global buffers; the JIT binds them)."""
    from xdsl.dialects import arith
    from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType

    from hpcir.dialects.graph_types import dense_value
    block = f.body.block
    lifted = []
    for op in list(block.ops):
        if isinstance(op, arith.ConstantOp) and isinstance(op.value, DenseIntOrFPElementsAttr) \
                and isinstance(op.results[0].type, TensorType):
            arg = block.insert_arg(op.results[0].type, len(block.args))
            name = sanitize(op.results[0].name_hint or "const")
            arg.name_hint = f"const_{name}"
            lifted.append((arg.name_hint, dense_value(op.value)))
            op.results[0].replace_all_uses_with(arg)
            op.detach()
            op.erase()
    f.function_type = FunctionType.from_lists([a.type for a in block.args], f.function_type.outputs.data)
    return lifted


def _reshapes_to_generics(f: func.FuncOp) -> None:
    """tensor.collapse_shape / expand_shape -> linalg.generic copies with floordiv/mod index maps.

    The Kokkos emitter has no reshaped views; a copy with delinearizing maps lowers to plain loops.
    """
    from xdsl.dialects import tensor
    from xdsl.dialects.builtin import AffineMapAttr, TensorType
    from xdsl.dialects.linalg import ops as linalg
    from xdsl.dialects.linalg.attrs import IteratorTypeAttr
    from xdsl.ir import Block, Region
    from xdsl.ir.affine import AffineDimExpr, AffineMap

    block = f.body.block
    for op in list(block.ops):
        if not isinstance(op, (tensor.CollapseShapeOp, tensor.ExpandShapeOp)):
            continue
        src, res = op.operands[0], op.results[0]
        sshape, rshape = list(src.type.get_shape()), list(res.type.get_shape())
        groups = [[int(i.value.data) for i in g] for g in op.reassociation]
        R = len(rshape)
        exprs = []
        if isinstance(op, tensor.CollapseShapeOp):  # source dim m in group k: (d_k floordiv inner) mod size
            for k, g in enumerate(groups):
                for pos, m in enumerate(g):
                    inner = int(np.prod([sshape[j] for j in g[pos + 1:]])) if pos + 1 < len(g) else 1
                    e = AffineDimExpr(k) if inner == 1 else AffineDimExpr(k) // inner
                    exprs.append(e % sshape[m] if pos > 0 else e)
        else:  # source dim k = sum over its group of d_m * stride_m
            for k, g in enumerate(groups):
                e = None
                for pos, m in enumerate(g):
                    stride = int(np.prod([rshape[j] for j in g[pos + 1:]])) if pos + 1 < len(g) else 1
                    term = AffineDimExpr(m) * stride if stride != 1 else AffineDimExpr(m)
                    e = term if e is None else e + term
                exprs.append(e)
        elem = res.type.get_element_type()
        empty = tensor.EmptyOp([], TensorType(elem, rshape))
        body = Block(arg_types=[elem, elem])
        body.add_op(linalg.YieldOp(body.args[0]))
        maps = [AffineMapAttr(AffineMap(R, 0, tuple(exprs))),
                AffineMapAttr(AffineMap(R, 0, tuple(AffineDimExpr(i) for i in range(R))))]
        gen = linalg.GenericOp([src], [empty.results[0]], Region(body), maps,
                               [IteratorTypeAttr.parallel()] * R, [res.type])
        block.insert_op_before(empty, op)
        block.insert_op_before(gen, op)
        res.replace_all_uses_with(gen.results[0])
        op.detach()
        op.erase()


def _results_to_out_params(f: func.FuncOp, prog: GraphProgram, n_consts: int = 0) -> None:
    """func(ins) -> (bufs) becomes func(ins, outs) -> () writing each result into its output view."""
    block = f.body.block
    ret = block.last_op
    assert isinstance(ret, func.ReturnOp)
    for a, n in zip(block.args, prog.arg_names):
        a.name_hint = sanitize(n)
    for k, res in enumerate(list(ret.operands)):
        ty = res.type
        if not isinstance(ty, MemRefType):
            raise HpcirError(f"bufferized result {k} of {prog.name} is not a memref ({ty})")
        out = block.insert_arg(MemRefType(ty.element_type, ty.get_shape()), len(block.args))
        out.name_hint = f"out{k}"
        owner = res.owner
        only_returned = len(list(res.uses)) >= 1 and all(
            u.operation is ret or not isinstance(u.operation, func.ReturnOp) for u in res.uses)
        if isinstance(owner, memref.AllocOp) and owner.results[0].type == out.type and only_returned \
                and sum(1 for u in res.uses if u.operation is ret) == 1:
            res.replace_all_uses_with(out)  # write the result straight into the caller's view
            owner.detach()
            owner.erase()
        else:
            block.insert_op_before(memref.CopyOp(res, out), ret)
    new_ret = func.ReturnOp()
    block.insert_op_before(new_ret, ret)
    ret.detach()
    ret.erase()
    f.function_type = FunctionType.from_lists([a.type for a in block.args], [])


def _text(module: ModuleOp) -> str:
    buf = io.StringIO()
    Printer(stream=buf).print_op(module)
    return buf.getvalue() + "\n"


def lower_l3(prog: GraphProgram, target: str) -> ModuleOp:
    """L3 (kokkos dialect) of a graph program for a Kokkos target."""
    from hpcir.api import lower_to_l3
    _check_kokkos_target(target)
    return lower_to_l3(lower_l2(prog), target)


def lower_stage(prog: GraphProgram, target: str, stage: str) -> str:
    """L2 / L3 MLIR, or C++ source ("CPP"), of prog for a Kokkos target."""
    _check_kokkos_target(target)
    if stage == "L2":
        return _text(lower_l2(prog))
    if stage == "L3":
        return _text(lower_l3(prog, target))
    if stage == "CPP":
        from hpcir.api import emit_cpp
        files = emit_cpp(lower_l3(prog, target), target, prog.name)
        return "\n".join(f"// ===== {n} =====\n{t}" for n, t in files.items())
    raise HpcirError(f"unknown stage {stage!r} for a graph program", hint="use L1, L2, L3 or none (C++)")


def write_kokkos(prog: GraphProgram, target: str, out_dir: Path) -> list[Path]:
    """Write the C++ files of prog for a Kokkos target (plus its L1 MLIR)."""
    from hpcir.api import emit_cpp
    files = emit_cpp(lower_l3(prog, target), target, prog.name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        p = out / name
        p.write_text(text)
        written.append(p)
    l1 = out / f"{prog.name}.l1.mlir"
    l1.write_text(prog.text())
    return written + [l1]


def compile_kokkos(prog: GraphProgram, target: str, bind_weights: bool = True):
    """A Python callable running prog through the Kokkos JIT (numpy / CPU torch arrays in, numpy out)."""
    from hpcir.api import _build, emit_cpp
    t = get_target(target)
    if not t.runs_on_host:
        raise HpcirError(f"target {target!r} cannot run on this machine",
                         hint="use target='cpu' or 'serial' to run; lower to cuda/hip with hpcir.lower")
    module = lower_l3(prog, target)
    name = f"hpcir_graph_{prog.name}"
    entry = _build(emit_cpp(module, target, name), target, name)[prog.name]
    f = prog.func
    out_specs = [(tuple(r.get_shape()), np_dtype(r.get_element_type())) for r in f.function_type.outputs.data]
    weights = [np.ascontiguousarray(prog.weights[n]) for n in prog.weight_names] if bind_weights else []
    consts = [np.ascontiguousarray(c) for c in lifted_constants(prog)]

    def run(*inputs):
        arrays = [np.ascontiguousarray(_to_numpy(a)) for a in inputs] + weights + consts
        outs = [np.empty(s, dtype=d) for s, d in out_specs]
        entry(*arrays, *outs)
        return outs[0] if prog.single_output and len(outs) == 1 else tuple(outs)

    run.__name__ = prog.name
    run.__doc__ = f"{prog.name} compiled for Kokkos target {target!r} (inputs: {', '.join(prog.input_names)})."
    return run


def _to_numpy(a) -> np.ndarray:
    if hasattr(a, "detach"):  # torch tensor
        return a.detach().cpu().numpy()
    return np.asarray(a)
