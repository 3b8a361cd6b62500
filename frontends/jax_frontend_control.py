"""JAX control flow (`scan`, `cond` / `switch`, `while`) -> `scf.for` / `scf.if` / `scf.while` on tensors.

Loop-carried values are the ops' iter_args (tensors, 0-d for scalars); `scan` stacks its per-step
outputs into tensors pre-filled with zeros and carried through the loop, each step writing its row
with `tensor.insert_slice` at the step index (and reading its `xs` rows with `tensor.extract_slice`).
`fori_loop` reaches here as a `scan` (static bounds) or a `while` (traced bounds): JAX lowers it so.
Bodies are imported with the same importer as the top level (`Ctx.run`), so every primitive the
frontend supports works inside them and nested control flow nests.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import arith, scf, tensor
from xdsl.dialects.builtin import DYNAMIC_INDEX, IndexType, IntegerAttr, i1
from xdsl.ir import Block, SSAValue

from hpcir.core.errors import HpcirError
from hpcir.dialects.graph_types import elem_of, mlir_elem, shape_of, tensor_type

from .jax_frontend_ops import JAX_OPS, Ctx, _reg


@dataclass(frozen=True)
class _Aval:
    """Shape and dtype of one row of a scan output."""

    shape: tuple[int, ...]
    dtype: np.dtype


def _index(cx: Ctx, value: int) -> SSAValue:
    return cx.gb.emit(arith.ConstantOp(IntegerAttr(value, IndexType()))).results[0]


def _as_tensor(cx: Ctx, v: Any, aval) -> SSAValue:
    """v as an SSA tensor of aval's shape and dtype (constants are materialized where they are used)."""
    if isinstance(v, np.ndarray):
        return cx.gb.constant(np.broadcast_to(v.astype(aval.dtype), aval.shape).copy())
    want = tensor_type(aval.shape, aval.dtype)
    if v.type != want:  # the importer keeps JAX's avals; a mismatch is a frontend bug, not user error
        raise HpcirError(f"internal: loop value of type {v.type} where {want} was expected")
    return v


def _types(avals) -> list:
    return [tensor_type(a.shape, a.dtype) for a in avals]


def _run(cx: Ctx, closed, args: list[Any]) -> list[Any]:
    """Import a sub-jaxpr (a ClosedJaxpr) on args at the builder's current insertion block."""
    return cx.run(closed.jaxpr, closed.consts, list(args))


def _scalar(cx: Ctx, x: Any) -> SSAValue:
    """The element of a 0-d tensor (a branch index or a loop predicate) as an SSA scalar."""
    t = cx.val(x)
    return cx.gb.emit(tensor.ExtractOp(t, [], elem_of(t.type))).results[0]


def _row(cx: Ctx, xs: SSAValue, i: SSAValue) -> SSAValue:
    """xs[i] (rank-reducing tensor.extract_slice at a dynamic offset)."""
    shape = shape_of(xs.type)
    t = tensor_type(shape[1:], elem_of(xs.type))
    rest = [0] * (len(shape) - 1)
    return cx.gb.emit(tensor.ExtractSliceOp(xs, [i, *rest], [1, *shape[1:]], [1] * len(shape), t)).results[0]


def _set_row(cx: Ctx, ys: SSAValue, y: SSAValue, i: SSAValue) -> SSAValue:
    """ys with y written at row i (tensor.insert_slice at a dynamic offset)."""
    shape = shape_of(ys.type)
    return cx.gb.emit(tensor.InsertSliceOp.get(y, ys, [1, *shape[1:]], [DYNAMIC_INDEX] + [0] * (len(shape) - 1),
                                                offsets=[i])).results[0]


@_reg("scan")
def _scan(cx: Ctx, eqn, ins: list[Any]) -> list[SSAValue]:
    """lax.scan -> scf.for over the steps; `reverse=True` walks the rows from the end (`unroll` is a
    schedule hint for XLA with no effect on the result: the loop is kept rolled)."""
    p = eqn.params
    nc, nk, n = p["num_consts"], p["num_carry"], int(p["length"])
    if n == 0:  # its body would slice rows of empty arrays
        raise HpcirError("lax.scan over zero steps is not supported",
                         hint="a zero-length scan returns its initial carry and empty outputs: skip the scan when "
                              "the scanned arrays are empty")
    consts, init, xs = ins[:nc], ins[nc:nc + nk], ins[nc + nk:]
    carry_avals = [v.aval for v in eqn.outvars[:nk]]
    ys_avals = [v.aval for v in eqn.outvars[nk:]]
    gb = cx.gb
    name = gb.name
    carry0 = [_as_tensor(cx, v, a) for v, a in zip(init, carry_avals)]
    ys0 = [gb.fill(0, a.shape, mlir_elem(a.dtype)) for a in ys_avals]
    xs_v = [cx.val(x) for x in xs]
    lb, ub, step = _index(cx, 0), _index(cx, n), _index(cx, 1)
    last = _index(cx, n - 1) if p["reverse"] else None
    body = Block(arg_types=[IndexType(), *_types(carry_avals), *_types(ys_avals)])
    with gb.nested(body):
        i = body.args[0]
        if last is not None:  # reverse: step k handles row n-1-k
            i = gb.emit(arith.SubiOp(last, i)).results[0]
        outs = _run(cx, p["jaxpr"], [*consts, *body.args[1:1 + nk], *[_row(cx, x, i) for x in xs_v]])
        gb.name = name
        new_carry = [_as_tensor(cx, v, a) for v, a in zip(outs[:nk], carry_avals)]
        new_ys = []
        for y, ys, a in zip(outs[nk:], body.args[1 + nk:], ys_avals):
            row = _as_tensor(cx, y, _Aval(a.shape[1:], a.dtype))
            new_ys.append(_set_row(cx, ys, row, i))
        gb.emit(scf.YieldOp(*new_carry, *new_ys))
    gb.name = name
    return list(gb.emit(scf.ForOp(lb, ub, step, [*carry0, *ys0], body)).results)


def _branch(cx: Ctx, closed, ops: list[Any], out_avals) -> Block:
    blk = Block()
    name = cx.gb.name
    with cx.gb.nested(blk):
        outs = _run(cx, closed, ops)
        cx.gb.name = name
        cx.gb.emit(scf.YieldOp(*[_as_tensor(cx, v, a) for v, a in zip(outs, out_avals)]))
    cx.gb.name = name
    return blk


def _switch(cx: Ctx, index: SSAValue, branches, ops: list[Any], out_avals, first: int) -> list[SSAValue]:
    """branches[k] for k = clamp(index, first, ...) as a chain of scf.if (lax.switch clamps the index)."""
    gb = cx.gb
    if len(branches) == 1:
        outs = _run(cx, branches[0], ops)
        return [_as_tensor(cx, v, a) for v, a in zip(outs, out_avals)]
    bound = gb.emit(arith.ConstantOp(IntegerAttr(first, index.type))).results[0]
    pick_first = gb.emit(arith.CmpiOp(index, bound, "sle")).results[0]
    then = _branch(cx, branches[0], ops, out_avals)
    other = Block()
    with gb.nested(other):
        rest = _switch(cx, index, branches[1:], ops, out_avals, first + 1)
        gb.emit(scf.YieldOp(*rest))
    return list(gb.emit(scf.IfOp(pick_first, _types(out_avals), [then], [other])).results)


@_reg("cond")
def _cond(cx: Ctx, eqn, ins: list[Any]) -> list[SSAValue]:
    """lax.cond / lax.switch on a runtime index -> scf.if (a chain of them for more than two branches)."""
    branches, index, ops = eqn.params["branches"], ins[0], ins[1:]
    out_avals = [v.aval for v in eqn.outvars]
    if isinstance(index, np.ndarray):  # a compile-time index: only the chosen branch is imported
        k = int(np.clip(int(index), 0, len(branches) - 1))
        return [_as_tensor(cx, v, a) for v, a in zip(_run(cx, branches[k], ops), out_avals)]
    return _switch(cx, _scalar(cx, index), branches, ops, out_avals, 0)


@_reg("while")
def _while(cx: Ctx, eqn, ins: list[Any]) -> list[SSAValue]:
    """lax.while_loop (and fori_loop with traced bounds) -> scf.while: the condition jaxpr in the
    `before` region, the body jaxpr in the `after` region."""
    p = eqn.params
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    cconsts, bconsts, init = ins[:cn], ins[cn:cn + bn], ins[cn + bn:]
    avals = [v.aval for v in eqn.outvars]
    gb = cx.gb
    name = gb.name
    init_v = [_as_tensor(cx, v, a) for v, a in zip(init, avals)]
    types = _types(avals)
    before, after = Block(arg_types=types), Block(arg_types=types)
    with gb.nested(before):
        (c,) = _run(cx, p["cond_jaxpr"], [*cconsts, *before.args])
        gb.name = name
        pred = gb.emit(arith.ConstantOp(IntegerAttr(int(bool(c)), i1))).results[0] if isinstance(c, np.ndarray) \
            else _scalar(cx, c)
        gb.emit(scf.ConditionOp(pred, *before.args))
    with gb.nested(after):
        outs = _run(cx, p["body_jaxpr"], [*bconsts, *after.args])
        gb.name = name
        gb.emit(scf.YieldOp(*[_as_tensor(cx, v, a) for v, a in zip(outs, avals)]))
    gb.name = name
    return list(gb.emit(scf.WhileOp(init_v, types, [before], [after])).results)


# ---- slices at traced positions (x[i] with i a loop counter) -----------------------------------------
def _offsets(cx: Ctx, starts: list[Any], dims: tuple[int, ...], sizes: tuple[int, ...]) -> list[SSAValue | int]:
    """Start offsets clamped into [0, dim - size] as XLA does: static ints, or index SSA values."""
    gb = cx.gb
    out: list[SSAValue | int] = []
    for s, n, k in zip(starts, dims, sizes):
        if isinstance(s, np.ndarray):
            out.append(int(np.clip(int(s), 0, n - k)))
            continue
        v = _scalar(cx, s)
        lo = gb.emit(arith.ConstantOp(IntegerAttr(0, v.type))).results[0]
        hi = gb.emit(arith.ConstantOp(IntegerAttr(n - k, v.type))).results[0]
        v = gb.emit(arith.MinSIOp(gb.emit(arith.MaxSIOp(v, lo)).results[0], hi)).results[0]
        out.append(gb.emit(arith.IndexCastOp(v, IndexType())).results[0])
    return out


_static_dynamic_slice = JAX_OPS["dynamic_slice"]
_static_dynamic_update_slice = JAX_OPS["dynamic_update_slice"]


@_reg("dynamic_slice")
def _dynamic_slice(cx: Ctx, eqn, ins: list[Any]) -> list[SSAValue]:
    """lax.dynamic_slice at traced starts -> tensor.extract_slice with dynamic offsets."""
    if all(isinstance(s, np.ndarray) for s in ins[1:]):
        return _static_dynamic_slice(cx, eqn, ins)
    x = cx.val(ins[0])
    sizes = tuple(int(k) for k in eqn.params["slice_sizes"])
    offs = _offsets(cx, ins[1:], shape_of(x.type), sizes)
    t = tensor_type(sizes, elem_of(x.type))
    return [cx.gb.emit(tensor.ExtractSliceOp(x, offs, list(sizes), [1] * len(sizes), t)).results[0]]


@_reg("dynamic_update_slice")
def _dynamic_update_slice(cx: Ctx, eqn, ins: list[Any]) -> list[SSAValue]:
    """lax.dynamic_update_slice (x.at[i].set(v)) at traced starts -> tensor.insert_slice."""
    if all(isinstance(s, np.ndarray) for s in ins[2:]):
        return _static_dynamic_update_slice(cx, eqn, ins)
    x, upd = cx.val(ins[0]), cx.val(ins[1])
    sizes = tuple(shape_of(upd.type))
    offs = _offsets(cx, ins[2:], shape_of(x.type), sizes)
    static = [o if isinstance(o, int) else DYNAMIC_INDEX for o in offs]
    dyn = [o for o in offs if not isinstance(o, int)]
    return [cx.gb.emit(tensor.InsertSliceOp.get(upd, x, list(sizes), static, offsets=dyn)).results[0]]
