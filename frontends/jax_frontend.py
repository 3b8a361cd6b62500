"""JAX frontend: a jax.numpy / lax function -> L1 GraphProgram, through `jax.make_jaxpr`.

Why jaxprs rather than StableHLO: a jaxpr is a plain Python data structure (no second MLIR
version to parse), it keeps JAX's own primitive names and parameters (so `hpcir coverage` speaks
the user's vocabulary), and every equation carries the user's source line for error messages.
Nested calls (jit, custom_jvp/custom_vjp, remat) are inlined; equations whose inputs are all
compile-time constants are folded by running the primitive itself, which is what makes indices
built with jnp.array([...]) "static". Structured control flow (scan, cond, while) becomes scf ops
whose regions are imported by this same walker (jax_frontend_control.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from hpcir.core.errors import HpcirError, SourceLocation, UnsupportedOpError

from .graph_builder import GraphBuilder
from hpcir.dialects.graph_program import GraphProgram
from hpcir.dialects.graph_types import mlir_elem, tensor_type
from .jax_frontend_ops import JAX_OPS, Ctx
from . import jax_frontend_control  # noqa: F401 - registers scan / cond / while in JAX_OPS

# primitives whose body is another jaxpr to inline: primitive name -> param holding the jaxpr
_CALLS = {"pjit": "jaxpr", "jit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
          "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr",
          "custom_vjp_call_jaxpr": "fun_jaxpr", "remat": "jaxpr", "checkpoint": "jaxpr",
          "remat2": "jaxpr", "custom_lin": None}


def _user_loc(eqn) -> SourceLocation | None:
    from jax._src import source_info_util
    try:
        frame = source_info_util.user_frame(eqn.source_info.traceback)
    except Exception:  # source info is best effort; never fail an import on it
        return None
    if frame is None:
        return None
    end = frame.end_column if frame.end_line == frame.start_line else None
    return SourceLocation(frame.file_name, frame.start_line, max(0, frame.start_column), end)


class _Importer:
    """Walks a (closed) jaxpr, feeding each equation to its handler in JAX_OPS."""

    def __init__(self, gb: GraphBuilder):
        self.cx = Ctx(gb)
        self.cx.run = lambda jaxpr, consts, args: self.run(jaxpr, consts, args, self.scope)
        self.scope: str | None = None

    def run(self, jaxpr, consts, args, scope: str | None = None) -> list[Any]:
        env: dict[Any, Any] = {}

        def read(v):
            from jax.extend.core import Literal
            if isinstance(v, Literal):
                return np.asarray(v.val, dtype=v.aval.dtype)
            return env[v]

        for v, c in zip(jaxpr.constvars, consts):
            env[v] = np.asarray(c)
        for v, a in zip(jaxpr.invars, args):
            env[v] = a
        for eqn in jaxpr.eqns:
            ins = [read(v) for v in eqn.invars]
            outs = self.eqn(eqn, ins, scope)
            for v, o in zip(eqn.outvars, outs):
                env[v] = o
        return [read(v) for v in jaxpr.outvars]

    def eqn(self, eqn, ins: list[Any], scope: str | None) -> list[Any]:
        name = eqn.primitive.name
        loc = _user_loc(eqn)
        if name in _CALLS and _CALLS[name] is not None:
            sub = eqn.params[_CALLS[name]]
            inner_scope = eqn.params.get("name", scope)
            if isinstance(inner_scope, str) and inner_scope.startswith("_"):
                inner_scope = scope
            if hasattr(sub, "jaxpr") and hasattr(sub, "consts"):
                return self.run(sub.jaxpr, sub.consts, ins, inner_scope)
            return self.run(sub, [], ins, inner_scope)
        if all(isinstance(x, np.ndarray) for x in ins) and name not in ("iota",):
            try:  # constant folding with JAX itself
                res = eqn.primitive.bind(*ins, **eqn.params)
                res = res if eqn.primitive.multiple_results else [res]
                return [np.asarray(r) for r in res]
            except Exception:  # some primitives cannot run eagerly here; import them instead
                pass
        handler = JAX_OPS.get(name)
        if handler is None:
            raise UnsupportedOpError(f"JAX primitive {name!r} is not supported by hpcir", loc,
                                     hint="rewrite it with supported primitives (see `hpcir coverage`)")
        gb = self.cx.gb
        gb.loc = f"{loc.filename}:{loc.line}" if loc else None
        gb.name = scope or name
        self.cx.loc = loc
        self.scope = scope
        try:
            outs = handler(self.cx, eqn, ins)
        except HpcirError as err:
            if err.loc is None:
                raise type(err)(f"{name}: {err.message}", loc, err.hint) from err
            raise
        return outs


def from_jax(fn, *example_args, weights: tuple[int, ...] = (), embed_weights: bool = False,
             name: str | None = None) -> GraphProgram:
    """Import a JAX function called on example arrays; args at positions `weights` are weights."""
    import jax

    closed = jax.make_jaxpr(fn)(*example_args)
    flat_groups = [jax.tree_util.tree_leaves(a) for a in example_args]
    fname = name or getattr(fn, "__name__", "jax_fn")
    if fname == "<lambda>":
        fname = "jax_fn"
    inputs, wnames, wvals, leaves = [], [], {}, []
    arg_names = _arg_names(fn, len(example_args))
    for i, group in enumerate(flat_groups):
        for j, leaf in enumerate(group):
            n = arg_names[i] if len(group) == 1 else f"{arg_names[i]}_{j}"
            leaves.append((n, np.asarray(leaf), i in weights))
    for n, v, is_w in leaves:
        if not is_w:
            inputs.append((n, v))
        elif not embed_weights:
            wnames.append(n)
            wvals[n] = v
    arg_types = [tensor_type(v.shape, v.dtype) for _, v in inputs] + \
                [tensor_type(wvals[n].shape, wvals[n].dtype) for n in wnames]
    gb = GraphBuilder(_ident(fname), arg_types, [n for n, _ in inputs] + wnames)
    it_in = iter(gb.args[:len(inputs)])
    it_w = iter(gb.args[len(inputs):])
    flat_args = []
    for n, v, is_w in leaves:
        flat_args.append((v if embed_weights else next(it_w)) if is_w else next(it_in))
    imp = _Importer(gb)
    outs = imp.run(closed.jaxpr, closed.consts, flat_args)
    results = []
    for o, v in zip(outs, closed.jaxpr.outvars):
        if isinstance(o, np.ndarray):  # constant outputs are materialized
            gb.name = "const"
            o = gb.constant(o.astype(v.aval.dtype))
        results.append(o)
    out_tree = jax.tree_util.tree_structure(jax.eval_shape(fn, *example_args))
    module = gb.finish(results)
    prog = GraphProgram(module, _ident(fname), [n for n, _ in inputs], wnames, wvals,
                        [f"out{i}" for i in range(len(results))],
                        single_output=out_tree.num_leaves == 1 and out_tree.num_nodes == 1,
                        origin="jax")
    # pytrees other than a flat list of arrays / one array or a tuple of arrays are restored by compile()
    in_leaves_tree = jax.tree_util.tree_structure(tuple(a for i, a in enumerate(example_args) if i not in weights))
    if any(not _is_leaf_tree(t) for t in in_leaves_tree.children()):
        prog.in_tree = in_leaves_tree
    if not (out_tree.num_nodes == 1 or all(_is_leaf_tree(t) for t in out_tree.children())) \
            or type(jax.eval_shape(fn, *example_args)) not in (tuple, jax.ShapeDtypeStruct):
        prog.out_tree = out_tree
    prog.verify()
    return prog


def _is_leaf_tree(t) -> bool:
    return t.num_nodes == 1 and t.num_leaves == 1


def _arg_names(fn, n: int) -> list[str]:
    import inspect
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        params = []
    names = params[:n] if len(params) >= n and not any(
        p.kind == p.VAR_POSITIONAL for p in _params(fn)) else []
    return names if len(names) == n else [f"arg{i}" for i in range(n)]


def _params(fn):
    import inspect
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []


def _ident(s: str) -> str:
    import re
    s = re.sub(r"\W", "_", s)
    return s if s and not s[0].isdigit() else f"f_{s}"


def supported_primitives() -> list[str]:
    """Names of the JAX primitives the importer handles (call primitives included)."""
    return sorted(set(JAX_OPS) | {k for k, v in _CALLS.items() if v})


__all__ = ["from_jax", "supported_primitives", "mlir_elem"]
