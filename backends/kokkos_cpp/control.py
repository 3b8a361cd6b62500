"""scf.for / scf.if / scf.while / scf.parallel (sequential), func.call and func.return -> C++."""
from __future__ import annotations

from xdsl.ir import Operation

from hpcir.core.errors import HpcirError, UnsupportedOpError
from hpcir.dialects.kokkos_discardable import SIMD

from .context import FunctionEmitter, handles, prop
from .types import cpp_type


def _yield_values(em: FunctionEmitter, block) -> list[str]:
    term = block.last_op
    return [em.expr(v) for v in term.operands] if term is not None else []


@handles("scf.for")
def _for(em: FunctionEmitter, op: Operation) -> None:
    lb, ub, step, *inits = op.operands
    block = op.regions[0].block
    iv, *iter_args = block.args
    carried = []
    for res, init, arg in zip(op.results, inits, iter_args):
        name = em.declare(res, em.get(init))
        em.bind(arg, name)
        carried.append(name)
    ivn = em.fresh(iv.name_hint, "i")
    em.bind(iv, ivn)
    ty = cpp_type(iv.type)
    if SIMD in op.attributes:  # independent iterations (an scf.parallel dimension): vectorise without alias proofs
        em.line("#pragma omp simd")
    with em.indented(f"for ({ty} {ivn} = {em.get(lb)}; {ivn} < {em.get(ub)}; {ivn} += {em.get(step)}) {{"):
        em.emit_block(block)
        em.assign(carried, _yield_values(em, block), [em.ctype(r) for r in op.results])


@handles("scf.if")
def _if(em: FunctionEmitter, op: Operation) -> None:
    names = [em.declare(r) for r in op.results]
    types = [em.ctype(r) for r in op.results]
    then_r, else_r = op.regions[0], op.regions[1]
    with em.indented(f"if ({em.expr(op.operands[0])}) {{", close=None):
        em.emit_block(then_r.block)
        em.assign(names, _yield_values(em, then_r.block), types)
    if else_r.blocks and (len(else_r.block.ops) > 1 or op.results):
        em.line("} else {")
        with em.indented(close=None):
            em.emit_block(else_r.block)
            em.assign(names, _yield_values(em, else_r.block), types)
    em.line("}")


@handles("scf.while")
def _while(em: FunctionEmitter, op: Operation) -> None:
    before, after = op.regions[0].block, op.regions[1].block
    loop_vars = []
    for arg, init in zip(before.args, op.operands):
        loop_vars.append(em.declare(arg, em.get(init)))
    results = [em.declare(r) for r in op.results]
    types = [em.ctype(r) for r in op.results]
    with em.indented("while (true) {"):
        em.emit_block(before)
        cond = before.last_op
        if cond is None or cond.name != "scf.condition":
            raise HpcirError("internal: scf.while before-region must end in scf.condition")
        c, *cargs = [em.get(v) for v in cond.operands]
        with em.indented(f"if (!({c})) {{"):
            em.assign(results, cargs, types)
            em.line("break;")
        for arg, val in zip(after.args, cargs):
            em.line(f"const {em.ctype(arg)} {(n := em.fresh(arg.name_hint))} = {val};")
            em.bind(arg, n)
        em.emit_block(after)
        em.assign(loop_vars, _yield_values(em, after), [em.ctype(a) for a in before.args])


@handles("scf.execute_region")
def _execute_region(em: FunctionEmitter, op: Operation) -> None:
    region = op.regions[0]
    if len(region.blocks) != 1:
        raise UnsupportedOpError("scf.execute_region with several blocks",
                                 hint="structure the control flow with scf.if / scf.while")
    names = [em.declare(r) for r in op.results]
    with em.indented("{"):
        em.emit_block(region.block)
        em.assign(names, _yield_values(em, region.block), [em.ctype(r) for r in op.results])


@handles("scf.parallel")
def _parallel_sequential(em: FunctionEmitter, op: Operation) -> None:
    """A leftover scf.parallel runs as a sequential loop nest (always a valid schedule)."""
    block = op.body.block
    accs = [em.declare(r, em.get(init)) for r, init in zip(op.results, op.initVals)]

    def level(k: int) -> None:
        if k == len(op.lowerBound):
            em.emit_block(block)
            red = block.last_op
            if red is not None and red.name == "scf.reduce":
                for acc, contrib, region in zip(accs, red.operands, red.regions):
                    rb = region.block
                    em.bind(rb.args[0], acc)
                    em.bind(rb.args[1], em.get(contrib))
                    em.emit_block(rb)
                    em.line(f"{acc} = {em.get(rb.last_op.operands[0])};")
            return
        iv = block.args[k]
        ivn = em.fresh(iv.name_hint, "i")
        em.bind(iv, ivn)
        with em.indented(f"for (int64_t {ivn} = {em.get(op.lowerBound[k])}; {ivn} < {em.get(op.upperBound[k])}; "
                         f"{ivn} += {em.get(op.step[k])}) {{"):
            level(k + 1)

    level(0)


@handles("func.call")
def _call(em: FunctionEmitter, op: Operation) -> None:
    callee = prop(op, "callee")
    sym = callee.root_reference.data if hasattr(callee, "root_reference") else str(callee)
    name = em.mod.func_names.get(sym, sym)
    args = ", ".join(em.expr(v) for v in op.operands)
    if len(op.results) > 1:
        # Only host entries return several values (a reduction with several accumulators): their
        # `{name}_result` struct (members r0, r1, ...) is unpacked into the user's names.
        if em.device:
            raise UnsupportedOpError("func.call with several results in device code",
                                     hint="return one value (or write results into a view) from device functions")
        holder = em.fresh(name + "_values")
        em.line(f"const auto {holder} = {name}({args});")
        for k, res in enumerate(op.results):
            em.bind(res, f"{holder}.r{k}")  # the holder is const: its members are read in place
        return
    if op.results:
        em.value(op, op.results[0], f"{name}({args})")
    else:
        em.line(f"{name}({args});")


@handles("func.return")
def _return(em: FunctionEmitter, op: Operation) -> None:
    vals = [em.expr(v) for v in op.operands]
    if not vals:
        em.line("return;")
    elif len(vals) == 1:
        em.line(f"return {vals[0]};")
    else:
        em.line(f"return {{{', '.join(vals)}}};")
