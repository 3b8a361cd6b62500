"""`for` over range and `while` loops: `scf.for` when the body cannot exit early, else `scf.while`."""
from __future__ import annotations

import ast
from typing import Any

from xdsl.dialects import arith, memref, scf
from xdsl.ir import Block, Region

from hpcir.core.errors import KernelSyntaxError, KernelTypeError

from .scope import LoopCtx, Var, _exits
from .types import BOOL, I64
from .values import TV


def range_bounds(self: Any, call: ast.Call) -> tuple[TV, TV, int]:
    """begin, end and constant step of `range(...)` in a for loop."""
    args = call.args
    if call.keywords or not 1 <= len(args) <= 3:
        raise self.err(KernelSyntaxError, "range() takes 1 to 3 positional arguments", call)
    if len(args) == 1:
        return self.const(0, I64), self.as_int(args[0], "a range bound"), 1
    lo, hi = self.as_int(args[0], "a range bound"), self.as_int(args[1], "a range bound")
    step = 1
    if len(args) == 3:
        s = args[2]
        if isinstance(s, ast.UnaryOp) and isinstance(s.op, ast.USub) and isinstance(s.operand, ast.Constant):
            step = -s.operand.value
        elif isinstance(s, ast.Constant) and isinstance(s.value, int) and not isinstance(s.value, bool):
            step = s.value
        else:
            raise self.err(KernelSyntaxError, "the step of range() must be an integer constant", s,
                           hint="compute the index from a unit-step loop instead: i = b + k * step")
        if step == 0:
            raise self.err(KernelSyntaxError, "range() step must not be zero", s)
    return lo, hi, step


def _loop_var(self: Any, target: ast.expr) -> Var:
    if not isinstance(target, ast.Name):
        raise self.err(KernelSyntaxError, "the loop variable must be a plain name", target)
    b = self.scope.get(target.id)
    if isinstance(b, Var):
        if b.ty != I64:
            raise self.err(KernelTypeError, f"loop variable `{target.id}` is a {b.ty}, range() gives int", target)
        return b
    if b is not None:
        raise self.err(KernelTypeError, f"`{target.id}` is a parameter and cannot be a loop variable", target)
    return self.new_var(target.id, I64, None)


def stmt_For(self: Any, node: ast.For) -> None:
    """for NAME in range(...): body."""
    if node.orelse:
        raise self.err(KernelSyntaxError, "for/else is not supported in kernels", node.orelse[0])
    it = node.iter
    if not (isinstance(it, ast.Call) and self.global_object(it.func) is range):
        raise self.err(KernelSyntaxError, "kernel for loops must iterate over range(...)", it,
                       hint="write for i in range(begin, end, step)")
    lo, hi, step = self.range_bounds(it)
    var = _loop_var(self, node.target)
    if not any(_exits(s) for s in node.body):
        _counted_for(self, node, var, lo, hi, step)
    else:
        _while_for(self, node, var, lo, hi, step)


def _counted_for(self: Any, node: ast.For, var: Var, lo: TV, hi: TV, step: int) -> None:
    if step < 0:  # count = max(0, ceil((lo - hi) / -step)); i = lo + k * step
        diff = self.emit(arith.SubiOp(lo.ssa, hi.ssa)).results[0]
        adj = self.emit(arith.AddiOp(diff, self.const(-step - 1, I64).ssa)).results[0]
        count = self.emit(arith.FloorDivSIOp(adj, self.const(-step, I64).ssa)).results[0]
        first, last, unit = self.const(0, I64).ssa, count, self.const(1, I64).ssa
    else:
        first, last, unit = lo.ssa, hi.ssa, self.const(step, I64).ssa
    blk = Block(arg_types=[I64.mlir()])
    outer = self.block
    self.block = blk
    iv = blk.args[0]
    if step < 0:
        off = self.emit(arith.MuliOp(iv, self.const(step, I64).ssa)).results[0]
        iv = self.emit(arith.AddiOp(lo.ssa, off)).results[0]
    self.store_var(var, TV(iv, I64))
    self.loops.append(LoopCtx())
    self.body(node.body)
    self.loops.pop()
    self.emit(scf.YieldOp())
    self.block = outer
    self.emit(scf.ForOp(first, last, unit, [], Region(blk)))


def _not_exited(self: Any, ctx: LoopCtx) -> TV:
    """!break && !return, read in the loop's condition region."""
    running = self.const(True, BOOL)
    for f in (ctx.brk, self.ret_flag):
        if f is not None:
            v = self.emit(memref.LoadOp.get(f.ref, [])).results[0]
            notv = self.emit(arith.XOrIOp(v, self.const(True, BOOL).ssa)).results[0]
            running = TV(self.emit(arith.AndIOp(running.ssa, notv)).results[0], BOOL)
    return running


def _emit_while(self: Any, ctx: LoopCtx, cond_fn: Any, body_fn: Any) -> None:
    outer = self.block
    before = Block()
    self.block = before
    running = _not_exited(self, ctx)
    # Evaluate the user's condition only while the loop has not been left (it may read views).
    then_b = Block()
    self.block = then_b
    c = cond_fn()
    self.emit(scf.YieldOp(c.ssa))
    self.block = before
    stop = Block()
    self.block = stop
    self.emit(scf.YieldOp(self.const(False, BOOL).ssa))
    self.block = before
    cond = self.emit(scf.IfOp(running.ssa, [BOOL.mlir()], Region(then_b), Region(stop))).results[0]
    self.emit(scf.ConditionOp(cond))
    after = Block()
    self.block = after
    if ctx.cnt is not None:
        self.store_var(ctx.cnt, self.const(False, BOOL))
    self.loops.append(ctx)
    body_fn()
    self.loops.pop()
    self.emit(scf.YieldOp())
    self.block = outer
    self.emit(scf.WhileOp([], [], Region(before), Region(after)))


def _while_for(self: Any, node: ast.For, var: Var, lo: TV, hi: TV, step: int) -> None:
    counter = self.new_var(f".k{id(node)}", I64, lo)
    ctx = LoopCtx(self.flag(False), self.flag(False))

    def cond() -> TV:
        k = self.emit(memref.LoadOp.get(counter.ref, [])).results[0]
        return TV(self.emit(arith.CmpiOp(k, hi.ssa, "slt" if step > 0 else "sgt")).results[0], BOOL)

    def body() -> None:
        k = TV(self.emit(memref.LoadOp.get(counter.ref, [])).results[0], I64)
        self.store_var(var, k)
        # The counter advances even after `continue`: do it before the (guarded) body.
        self.store_var(counter, TV(self.emit(arith.AddiOp(k.ssa, self.const(step, I64).ssa)).results[0], I64))
        self.body(node.body)

    _emit_while(self, ctx, cond, body)


def stmt_While(self: Any, node: ast.While) -> None:
    """while COND: body."""
    if node.orelse:
        raise self.err(KernelSyntaxError, "while/else is not supported in kernels", node.orelse[0])
    exits = any(_exits(s) for s in node.body)
    ctx = LoopCtx(self.flag(False), self.flag(False)) if exits else LoopCtx()
    _emit_while(self, ctx, lambda: self.as_bool(node.test), lambda: self.body(node.body))
