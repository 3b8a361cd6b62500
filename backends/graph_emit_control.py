"""Structured control flow of L1 graph programs (scf.for / scf.if / scf.while on tensors) as Python.

JAX (`Vocab.functional_control`) gets `lax.fori_loop` / `lax.cond` / `lax.while_loop` with the
region bodies as nested functions, so the result stays one traced loop under `jax.jit` and
differentiable; Torch gets plain `for` / `if` / `while` statements (eager code, the predicate read
with `bool(...)`). Also here: the scalar index arithmetic and dynamic-offset slices those loops use
(`tensor.extract`, `tensor.extract_slice` / `tensor.insert_slice` at a loop index, `arith.subi` /
`arith.cmpi` on scalars), which only appear around control flow.
"""
from __future__ import annotations

from xdsl.dialects import arith, scf, tensor
from xdsl.dialects.builtin import DYNAMIC_INDEX
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, Operation, SSAValue

from hpcir.core.errors import HpcirError
from hpcir.dialects.graph_types import np_dtype, shape_of

from .graph_expr import _CMP, Expr, literal, _scalar_value

_SCALAR_OPS = (arith.SubiOp, arith.AddiOp, arith.CmpiOp, arith.IndexCastOp, arith.MaxSIOp, arith.MinSIOp)


def handles(op: Operation) -> bool:
    """Whether op is emitted here rather than by the straight-line emitter."""
    if isinstance(op, (scf.ForOp, scf.IfOp, scf.WhileOp, tensor.ExtractOp, tensor.InsertSliceOp, *_SCALAR_OPS)):
        return True
    return isinstance(op, tensor.ExtractSliceOp) and len(op.offsets) > 0


def emit_control(em, op: Operation) -> None:
    """Emit one control-flow or scalar op into em.lines."""
    if isinstance(op, scf.ForOp):
        _flush_pending(em, op)
        (_for_functional if em.v.functional_control else _for_imperative)(em, op)
    elif isinstance(op, scf.IfOp):
        _flush_pending(em, op)
        (_if_functional if em.v.functional_control else _if_imperative)(em, op)
    elif isinstance(op, scf.WhileOp):
        _flush_pending(em, op)
        (_while_functional if em.v.functional_control else _while_imperative)(em, op)
    elif isinstance(op, tensor.ExtractOp):
        idx = [em.ref(i) for i in op.indices]
        src = em.ref(op.tensor)
        em.bind(op.results[0], f"{src}[{', '.join(idx)}]" if idx else src, op)
    elif isinstance(op, tensor.ExtractSliceOp):
        offs, sizes = _offsets(em, op), list(op.static_sizes.get_values())
        text = em.v.dynamic_slice(em.ref(op.source), offs, sizes)
        out = shape_of(op.results[0].type)
        if tuple(out) != tuple(sizes):  # rank-reducing slice
            text = em.v.reshape(text, out)
        em.bind(op.results[0], text, op)
    elif isinstance(op, tensor.InsertSliceOp):
        sizes = list(op.static_sizes.get_values())
        src = em.ref(op.source)
        if tuple(shape_of(op.source.type)) != tuple(sizes):
            src = em.v.reshape(src, sizes)
        name = em.fresh(op.results[0].name_hint)
        em.lines += em.v.dynamic_update(name, em.ref(op.dest), src, _offsets(em, op), sizes, _owned(op.dest))
        em.names[op.results[0]] = name
    elif isinstance(op, arith.CmpiOp):
        pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
        em.bind(op.results[0], f"({em.ref(op.lhs)} {_CMP[pred]} {em.ref(op.rhs)})", op)
    elif isinstance(op, arith.IndexCastOp):
        em.names[op.results[0]] = em.ref(op.operands[0])
    elif isinstance(op, (arith.MaxSIOp, arith.MinSIOp)):  # clamping a traced slice start
        kind = "max" if isinstance(op, arith.MaxSIOp) else "min"
        a, b = (_scalar_expr(em, v) for v in op.operands)
        em.bind(op.results[0], em.v.binary(kind, a, b, np_dtype(op.results[0].type)), op)
    else:  # subi / addi on indices
        sign = "-" if isinstance(op, arith.SubiOp) else "+"
        em.bind(op.results[0], f"({em.ref(op.lhs)} {sign} {em.ref(op.rhs)})", op)


def scalar_constant(em, op: arith.ConstantOp) -> None:
    """A scalar constant read outside a linalg body (loop bounds, branch indices): a Python literal."""
    em.names[op.results[0]] = literal(_scalar_value(op))


def _scalar_expr(em, v: SSAValue) -> Expr:
    text = em.ref(v)
    lit = _scalar_value(v.owner) if isinstance(v.owner, arith.ConstantOp) else None
    return Expr(text, (), lit=lit)


def _offsets(em, op) -> list[str]:
    dyn = iter(op.offsets)
    return [em.ref(next(dyn)) if o == DYNAMIC_INDEX else str(o) for o in op.static_offsets.get_values()]


def _owned(dest: SSAValue) -> bool:
    """Whether an insert_slice may write its destination in place (Torch): the destination is a loop's
    carried tensor read only by this insert, and the loop started it from a fresh fill read only there."""
    if len(list(dest.uses)) != 1 or not isinstance(dest.owner, Block):
        return False
    loop = dest.owner.parent_op()
    if not isinstance(loop, scf.ForOp):
        return False
    init = loop.iter_args[dest.index - 1]
    return isinstance(init.owner, linalg.FillOp) and len(list(init.uses)) == 1


def _flush_pending(em, op: Operation) -> None:
    """Write the pending fills a region reads here, so each is bound in the scope that owns it."""
    used = list(op.operands) + [v for inner in op.walk() for v in inner.operands]
    for v in used:
        if v in em.pending:
            em.ref(v)


def _body(em, block: Block) -> tuple[list[str], Operation]:
    """Lines of a region's ops (its terminator excluded), and the terminator."""
    saved, em.lines = em.lines, []
    ops = list(block.ops)
    for o in ops[:-1]:
        em.op(o)
    lines, em.lines = em.lines, saved
    return lines, ops[-1]


def _names(em, values) -> list[str]:
    return [em.fresh(v.name_hint or "carry") for v in values]


def _tuple(xs: list[str]) -> str:
    return "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")"


def _bind_results(em, op: Operation, text: str) -> None:
    outs = _names(em, op.results)
    for r, n in zip(op.results, outs):
        em.names[r] = n
    if outs:
        em.lines.append(f"{_tuple(outs)} = {text}")
    else:
        em.lines.append(text)


def _indent(lines: list[str]) -> list[str]:
    return ["    " + ln for ln in lines]


def _unit_step(em, op: scf.ForOp) -> tuple[str, str]:
    st = op.step.owner
    if not (isinstance(st, arith.ConstantOp) and _scalar_value(st) == 1):
        raise HpcirError(f"the {em.v.target} emitter handles scf.for with a unit step only")
    return em.ref(op.lb), em.ref(op.ub)


# ---- JAX: lax.fori_loop / lax.cond / lax.while_loop with nested functions ---------------------------
def _for_functional(em, op: scf.ForOp) -> None:
    lb, ub = _unit_step(em, op)
    blk = op.body.block
    fn, iv, carry = em.fresh("loop_body"), em.fresh("i"), em.fresh("carry")
    em.names[blk.args[0]] = iv
    args = _names(em, blk.args[1:])
    for a, n in zip(blk.args[1:], args):
        em.names[a] = n
    lines, y = _body(em, blk)
    head = [f"def {fn}({iv}, {carry}):"] + (_indent([f"{_tuple(args)} = {carry}"]) if args else [])
    em.lines += head + _indent(lines) + _indent([f"return {_tuple([em.ref(v) for v in y.operands])}"])
    _bind_results(em, op, f"lax.fori_loop({lb}, {ub}, {fn}, {_tuple([em.ref(v) for v in op.iter_args])})")


def _region_fn(em, block: Block, name: str) -> str:
    fn = em.fresh(name)
    lines, y = _body(em, block)
    em.lines += [f"def {fn}():"] + _indent(lines) + _indent([f"return {_tuple([em.ref(v) for v in y.operands])}"])
    return fn


def _if_functional(em, op: scf.IfOp) -> None:
    pred = em.ref(op.cond)
    then = _region_fn(em, op.true_region.block, "then_branch")
    other = _region_fn(em, op.false_region.block, "else_branch")
    _bind_results(em, op, f"lax.cond({pred}, {then}, {other})")


def _while_functional(em, op: scf.WhileOp) -> None:
    before, after = op.before_region.block, op.after_region.block
    cond_fn, body_fn = em.fresh("loop_cond"), em.fresh("loop_body")
    carry = em.fresh("carry")
    args = _names(em, before.args)
    for a, n in zip(before.args, args):
        em.names[a] = n
    lines, c = _body(em, before)
    if list(c.args) != list(before.args):  # JAX's while_loop passes the carry through unchanged
        raise HpcirError("the jax emitter handles scf.while whose condition forwards its arguments unchanged")
    unpack = _indent([f"{_tuple(args)} = {carry}"]) if args else []
    em.lines += [f"def {cond_fn}({carry}):"] + unpack + _indent(lines) + _indent([f"return {em.ref(c.condition)}"])
    for a, n in zip(after.args, args):
        em.names[a] = n
    lines, y = _body(em, after)
    em.lines += [f"def {body_fn}({carry}):"] + unpack + _indent(lines) + \
        _indent([f"return {_tuple([em.ref(v) for v in y.operands])}"])
    _bind_results(em, op, f"lax.while_loop({cond_fn}, {body_fn}, {_tuple([em.ref(v) for v in op.arguments])})")


# ---- Torch: Python statements -----------------------------------------------------------------------
def _assign(names: list[str], values: list[str]) -> list[str]:
    return [f"{_tuple(names)} = {_tuple(values)}"] if names else []


def _for_imperative(em, op: scf.ForOp) -> None:
    lb, ub = _unit_step(em, op)
    blk = op.body.block
    iv = em.fresh("i")
    em.names[blk.args[0]] = iv
    args = _names(em, blk.args[1:])
    for a, n in zip(blk.args[1:], args):
        em.names[a] = n
    em.lines += _assign(args, [em.ref(v) for v in op.iter_args])
    lines, y = _body(em, blk)
    em.lines += [f"for {iv} in range({lb}, {ub}):"] + _indent(lines + _assign(args, [em.ref(v) for v in y.operands]))
    if not lines and not args:
        em.lines.append("    pass")
    for r, n in zip(op.results, args):  # the carried names hold the results after the loop
        em.names[r] = n


def _if_imperative(em, op: scf.IfOp) -> None:
    outs = _names(em, op.results)
    blocks = []
    for region in (op.true_region, op.false_region):
        lines, y = _body(em, region.block)
        blocks.append(lines + _assign(outs, [em.ref(v) for v in y.operands]) or ["pass"])
    em.lines += [f"if bool({em.ref(op.cond)}):"] + _indent(blocks[0]) + ["else:"] + _indent(blocks[1])
    for r, n in zip(op.results, outs):
        em.names[r] = n


def _while_imperative(em, op: scf.WhileOp) -> None:
    before, after = op.before_region.block, op.after_region.block
    args = _names(em, before.args)
    for a, n in zip(before.args, args):
        em.names[a] = n
    em.lines += _assign(args, [em.ref(v) for v in op.arguments])
    cond_lines, c = _body(em, before)
    fwd = [em.ref(v) for v in c.args]
    for a, n in zip(after.args, fwd):
        em.names[a] = n
    body_lines, y = _body(em, after)
    loop = cond_lines + [f"if not bool({em.ref(c.condition)}):", "    break"] + body_lines + \
        _assign(args, [em.ref(v) for v in y.operands])
    em.lines += ["while True:"] + _indent(loop)
    for r, n in zip(op.results, fwd):
        em.names[r] = n
