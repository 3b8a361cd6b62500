"""PyTorch frontend: an eval-mode torch.nn.Module -> L1 GraphProgram, via torch.export.

The module is exported with `torch.export.export` and decomposed to Core ATen
(`run_decompositions()` with the default table); each ATen node goes to its handler in
torch_frontend_ops / torch_frontend_nn. Floating-point parameters and buffers become weight
arguments (bound again by hpcir.compile) or embedded constants (`embed_weights=True`); integer
buffers and lifted constants are always constants, so index tensors are static. Nodes whose
inputs are all constants are folded by running the ATen op itself.
"""
from __future__ import annotations

import operator
import re
from typing import Any

import numpy as np

from hpcir.core.errors import HpcirError, SourceLocation, UnsupportedOpError

from .graph_builder import GraphBuilder
from hpcir.dialects.graph_types import sanitize
from hpcir.dialects.graph_program import GraphProgram
from hpcir.dialects.graph_types import tensor_type
from .torch_frontend_ops import TORCH_OPS, TCtx
from . import torch_frontend_nn  # noqa: F401  (registers the nn/reduction/index/FFT handlers)

_FRAME = re.compile(r'File "([^"]+)", line (\d+), in')


def _user_loc(node) -> SourceLocation | None:
    """The innermost stack frame outside torch itself (the user's model line)."""
    st = node.meta.get("stack_trace")
    if not st:
        return None
    frames = _FRAME.findall(st)
    user = [f for f in frames if "/torch/" not in f[0] and "site-packages" not in f[0]]
    if not user:
        return None
    fname, line = user[-1]
    return SourceLocation(fname, int(line), 0)


def _target_names(node) -> tuple[str, str]:
    """("add.Tensor", "add") for an ATen OpOverload."""
    t = node.target
    full = getattr(t, "__name__", str(t))
    packet = full.split(".")[0]
    return full, packet


def from_torch(module, example_args, embed_weights: bool = False, name: str | None = None,
               example_kwargs: dict | None = None) -> GraphProgram:
    """Import an eval-mode torch.nn.Module called on example tensors (Core ATen via torch.export)."""
    import torch
    from torch.export.graph_signature import InputKind

    if isinstance(example_args, torch.Tensor):
        example_args = (example_args,)
    module.eval()
    try:
        ep = torch.export.export(module, tuple(example_args), kwargs=example_kwargs or None)
    except Exception as err:  # torch.export reports graph breaks and data-dependent control flow
        raise HpcirError(f"torch.export could not capture {type(module).__name__}: {err}".split("\n")[0],
                         hint="the model must be traceable by torch.export (no data-dependent Python control flow)") from err
    ep = ep.run_decompositions()  # Core ATen (the default decomposition table)
    state = {**ep.state_dict, **getattr(ep, "constants", {})}
    inputs, weights, consts = [], [], {}
    for spec in ep.graph_signature.input_specs:
        pname = spec.arg.name
        if spec.kind == InputKind.USER_INPUT:
            inputs.append(pname)
            continue
        val = state[spec.target]
        arr = val.detach().cpu().numpy() if isinstance(val, torch.Tensor) else np.asarray(val)
        is_float = np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.complexfloating)
        if spec.kind in (InputKind.PARAMETER, InputKind.BUFFER) and is_float and not embed_weights:
            weights.append((pname, spec.target, arr))
        else:
            consts[pname] = arr
    nodes = {n.name: n for n in ep.graph.nodes}
    user_vals = []
    for n in inputs:
        meta = nodes[n].meta.get("val")
        if meta is None or not hasattr(meta, "shape"):
            raise HpcirError(f"input {n!r} is not a tensor; only tensor inputs are supported")
        user_vals.append((tuple(meta.shape), _np_dtype(meta.dtype)))
    arg_types = [tensor_type(s, d) for s, d in user_vals] + [tensor_type(a.shape, a.dtype) for _, _, a in weights]
    wnames = [sanitize(t) for _, t, _ in weights]
    fname = sanitize(name or type(module).__name__.lower())
    gb = GraphBuilder(fname, arg_types, inputs + wnames)
    env: dict[str, Any] = {}
    for n, a in zip(inputs, gb.args[:len(inputs)]):
        env[n] = a
    for (pname, _, _), a in zip(weights, gb.args[len(inputs):]):
        env[pname] = a
    env.update(consts)
    cx = TCtx(gb)
    outputs = None
    for node in ep.graph.nodes:
        if node.op == "placeholder":
            continue
        if node.op == "output":
            outputs = node.args[0]
            break
        env[node.name] = _node(cx, node, env)
    results = []
    for o in outputs:
        v = env[o.name] if hasattr(o, "name") else o
        if not hasattr(v, "type"):
            gb.name = "const"
            v = gb.constant(np.asarray(v))
        results.append(v)
    module_op = gb.finish(results)
    prog = GraphProgram(module_op, fname, list(inputs), wnames, {w: a for w, (_, _, a) in zip(wnames, weights)},
                        [o.name if hasattr(o, "name") else f"out{i}" for i, o in enumerate(outputs)],
                        single_output=len(outputs) == 1 and _single(ep), origin="torch")
    prog.verify()
    return prog


def _single(ep) -> bool:
    """True when the exported module returns a bare tensor (not a 1-tuple)."""
    return ep.call_spec.out_spec is None or ep.call_spec.out_spec.is_leaf()


def _np_dtype(tdtype) -> np.dtype:
    import torch
    return np.dtype(str(tdtype).replace("torch.", "")) if tdtype != torch.bool else np.dtype(bool)


def _node(cx: TCtx, node, env: dict[str, Any]):
    import torch
    if node.target is operator.getitem:
        return env[node.args[0].name][node.args[1]]
    full, packet = _target_names(node)
    if full in ("_assert_tensor_metadata.default", "_assert_scalar.default", "sym_constrain_range_for_size.default"):
        return None
    args = torch.fx.node.map_arg(node.args, lambda n: env[n.name])
    kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n.name])
    loc = _user_loc(node)
    if _all_const(args, kwargs):  # fold with torch itself
        try:
            res = node.target(*_to_torch(args), **_to_torch(kwargs))
            return _from_torch(res)
        except Exception:  # fall through to the importer (e.g. ops needing a device)
            pass
    handler = TORCH_OPS.get(full) or TORCH_OPS.get(packet)
    if handler is None:
        raise UnsupportedOpError(f"ATen op {full!r} is not supported by hpcir", loc,
                                 hint="rewrite the model with supported ops (see `hpcir coverage`)")
    cx.gb.loc = f"{loc.filename}:{loc.line}" if loc else None
    cx.gb.name = node.name
    cx.node = node
    try:
        return handler(cx, *args, **kwargs)
    except HpcirError as err:
        if err.loc is None:
            raise type(err)(f"{full}: {err.message}", loc, err.hint) from err
        raise


def _is_ssa(x) -> bool:
    return hasattr(x, "type") and hasattr(x, "uses")


def _all_const(args, kwargs) -> bool:
    flat = []

    def walk(x):
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            for y in x.values():
                walk(y)
        else:
            flat.append(x)

    walk(args)
    walk(kwargs)
    return not any(_is_ssa(x) for x in flat) and any(isinstance(x, np.ndarray) for x in flat)


def _to_torch(x):
    import torch
    if isinstance(x, np.ndarray):
        return torch.as_tensor(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_to_torch(y) for y in x)
    if isinstance(x, dict):
        return {k: _to_torch(v) for k, v in x.items()}
    return x


def _from_torch(x):
    import torch
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, (list, tuple)):
        return type(x)(_from_torch(y) for y in x)
    return x


def supported_aten_ops() -> list[str]:
    """Names of the ATen ops (packet or packet.overload) the importer handles."""
    return sorted(TORCH_OPS)
