"""Lowering of kernel-language statements: locals, stores, control flow, calls and atomics.

Mutable locals live in rank-0 `memref.alloca`s (as Clang does before mem2reg), which keeps
`break` / `continue` / early `return` simple: each sets a flag, the rest of the enclosing block
is guarded by the flags, and loops with such exits become `scf.while`.
"""
from __future__ import annotations

import ast
from typing import Any

from xdsl.dialects import arith, memref, scf
from xdsl.ir import Block, Region, SSAValue

from hpcir.core.errors import KernelSyntaxError, KernelTypeError

from .exprs import ExprMixin
from .types import BOOL, F64, I64, ScalarType, ViewType
from .values import TV
from .scope import Closure, LoopCtx, Scope, Var, _exits



class StmtMixin(ExprMixin):
    """Statement lowering on top of the expression mixin; `module` resolves device-function calls."""

    scope: Scope
    module: Any
    ret_flag: Var | None
    ret_slot: Var | None
    ret_type: ScalarType | None
    loops: list[LoopCtx]
    member: TV | None
    alloca_block: Block | None = None  # where locals' allocas go (the kernel body's entry block)

    # -- names ---------------------------------------------------------------------------------
    def lookup(self, name: str, node: ast.AST) -> TV:
        """The value of a name: a local, a parameter, or a module-level number."""
        b = self.scope.get(name)
        if isinstance(b, Var):
            return TV(self.emit(memref.LoadOp.get(b.ref, [])).results[0], b.ty)
        if isinstance(b, TV):
            return b
        if isinstance(b, Closure):
            raise self.err(KernelSyntaxError, f"`{name}` is a nested function; pass it to a nested "
                           "parallel_for/parallel_reduce or single", node)
        value = self.global_value(node)
        if value is not None:
            return value
        raise self.err(KernelSyntaxError, f"name `{name}` is not defined in this kernel", node,
                       hint="pass it as a kernel argument, or assign it before use")

    def global_object(self, node: ast.expr) -> Any:
        """The Python object a Name/Attribute chain denotes in the kernel's globals, or None."""
        if isinstance(node, ast.Name):
            if self.scope.get(node.id) is not None:
                return None
            return self.kernel.globals.get(node.id, getattr(__builtins__, node.id, None)
                                           if not isinstance(__builtins__, dict) else __builtins__.get(node.id))
        if isinstance(node, ast.Attribute):
            base = self.global_object(node.value)
            if base is None:
                return None
            return getattr(base, node.attr, None)
        return None

    def global_value(self, node: ast.expr) -> TV | None:
        """A module-level int/float/bool constant read by a kernel (folded as a constant)."""
        obj = self.global_object(node)
        if isinstance(obj, bool):
            return TV(self.const(obj, BOOL).ssa, BOOL, weak=True)
        if isinstance(obj, int):
            return TV(self.const(obj, I64).ssa, I64, weak=True)
        if isinstance(obj, float):
            return TV(self.const(obj, F64).ssa, F64, weak=True)
        return None

    def new_var(self, name: str, ty: ScalarType, init: TV | None) -> Var:
        """Declare a local in the current scope (its alloca goes to the current block)."""
        ref = self.hoisted_alloca(ty)
        if name.isidentifier() and name.isascii():  # hints become C++ names
            ref.name_hint = name
        var = Var(ref, ty)
        if init is not None:
            self.emit(memref.StoreOp.get(self.convert(init, ty).ssa, ref, []))
        self.scope.names[name] = var
        return var

    def hoisted_alloca(self, ty: ScalarType) -> Any:
        """A rank-0 alloca at the top of the kernel body: a local first assigned inside an `if` or
        a loop is still visible (dominates its uses) after it, as in Python."""
        op = memref.AllocaOp.get(ty.mlir(), shape=[])
        blk = self.alloca_block if self.alloca_block is not None else self.block
        if blk.first_op is None:
            blk.add_op(op)
        else:
            blk.insert_op_before(op, blk.first_op)
        return op.results[0]

    def store_var(self, var: Var, value: TV) -> None:
        """Store into a local."""
        self.emit(memref.StoreOp.get(value.ssa, var.ref, []))

    def flag(self, value: bool) -> Var:
        """An anonymous i1 local used as a control-flow flag."""
        ref = self.hoisted_alloca(BOOL)
        v = Var(ref, BOOL)
        self.store_var(v, self.const(value, BOOL))
        return v

    # -- blocks --------------------------------------------------------------------------------
    def body(self, stmts: list[ast.stmt]) -> None:
        """Lower a statement list, guarding what follows a possible exit by the exit flags."""
        for k, st in enumerate(stmts):
            self.stmt(st)
            rest = stmts[k + 1:]
            if rest and _exits(st):
                cond = self.still_running()
                outer = self.block
                inner = Block()
                self.block = inner
                self.body(rest)
                self.emit(scf.YieldOp())
                self.block = outer
                self.emit(scf.IfOp(cond.ssa, [], Region(inner), Region(Block([scf.YieldOp()]))))
                return

    def still_running(self) -> TV:
        """True while no return/break/continue flag of the current context is set."""
        flags = [f for f in (self.ret_flag,) if f is not None]
        if self.loops:
            flags += [f for f in (self.loops[-1].brk, self.loops[-1].cnt) if f is not None]
        done: TV | None = None
        for f in flags:
            v = TV(self.emit(memref.LoadOp.get(f.ref, [])).results[0], BOOL)
            done = v if done is None else TV(self.emit(arith.OrIOp(done.ssa, v.ssa)).results[0], BOOL)
        if done is None:
            return self.const(True, BOOL)
        one = self.const(True, BOOL)
        return TV(self.emit(arith.XOrIOp(done.ssa, one.ssa)).results[0], BOOL)

    def region_of(self, stmts: list[ast.stmt], terminator: Any = None) -> Region:
        """Lower statements into a fresh single-block region (same scope)."""
        outer = self.block
        blk = Block()
        self.block = blk
        self.body(stmts)
        self.emit(terminator if terminator is not None else scf.YieldOp())
        self.block = outer
        return Region(blk)

    # -- statements ----------------------------------------------------------------------------
    def stmt(self, node: ast.stmt) -> None:
        """Lower one statement."""
        method = getattr(self, f"stmt_{type(node).__name__}", None)
        if method is None:
            raise self.err(KernelSyntaxError, f"`{type(node).__name__}` statements are not supported in kernels",
                           node, hint="kernels support assignments, if/elif/else, for over range, while, "
                                      "break, continue, return and calls")
        outer, self._stmt_node = getattr(self, "_stmt_node", None), node  # where a conversion error points
        method(node)
        self._stmt_node = outer

    def stmt_Pass(self, node: ast.Pass) -> None:
        pass

    def stmt_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # docstring
        if not isinstance(node.value, ast.Call):
            raise self.err(KernelSyntaxError, "this expression statement has no effect", node,
                           hint="assign its value or remove it")
        self.call(node.value, want_value=False)

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not isinstance(node.target, ast.Name):
            raise self.err(KernelSyntaxError, "annotated assignment needs a plain name", node)
        kt = self.kernel._eval_annotation(node.annotation)
        if self.array_alloc_kind(node.value) and isinstance(kt, ViewType):  # s: pk.ScratchView1D[float] = ...
            self.bind_array(node.target, node.value, node, annotated=kt)
            return
        if not isinstance(kt, ScalarType):
            raise self.err(KernelTypeError, "local variables must be numbers or bools", node.annotation)
        name = node.target.id
        if self.scope.names.get(name) is not None:
            raise self.err(KernelTypeError, f"`{name}` is already declared in this scope", node)
        init = self.scalar(node.value) if node.value is not None else None
        if init is not None:
            self.check_assignable(init, kt, name, node)
        self.new_var(name, kt, init)

    def check_assignable(self, value: TV, ty: ScalarType, name: str, node: ast.AST) -> None:
        """Locals keep one type: reject a value that would re-type the variable."""
        vt = value.ty
        assert isinstance(vt, ScalarType)
        if vt.is_complex and not ty.is_complex:
            raise self.err(KernelTypeError, f"`{name}` is a {ty} but is assigned a {vt}: the imaginary part would "
                           "be lost", node, hint="assign z.real, z.imag or abs(z), or use another variable (a reduction's "
                           "accumulator is complex when annotated hpcir.Acc[complex] or hpcir.Acc[hpcir.complex64])")
        if ty.is_complex and not vt.is_bool:
            return  # a real or complex number into a complex local (complex64 <-> complex128 as float32 <-> float64)
        if vt == ty or (value.weak and not (vt.is_float and not ty.is_float)):
            return
        if getattr(self.kernel, "cpp_conversions", False) and not vt.is_bool and not ty.is_bool:
            return  # kernels asking for C++'s implicit number conversions (PyKokkos workunits)
        if ty.is_float and vt.is_float:
            return  # float32 <-> float64 as in C++
        raise self.err(KernelTypeError, f"`{name}` is a {ty} but is assigned a {vt}", node,
                       hint=f"locals keep one type: convert with {'float' if ty.is_float else 'int'}(...) "
                            f"or use another variable")

    def stmt_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:  # `a = v[i] = x`: as Python, x evaluated once, targets stored left to right
            value = self.scalar(node.value)
            for t in node.targets:
                if isinstance(t, ast.Tuple):
                    raise self.err(KernelSyntaxError, "a chained assignment takes names and view elements, "
                                   "not tuples", t, hint="unpack in a separate statement")
                self.assign(t, value, node)
            return
        target = node.targets[0]
        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Call):
            self.unpack_call(target, node)  # `s, m = parallel_reduce(..., reducer=("sum", "max"))`
            return
        if isinstance(target, ast.Tuple):
            if not (isinstance(node.value, ast.Tuple) and len(node.value.elts) == len(target.elts)):
                raise self.err(KernelSyntaxError, "tuple assignment needs a tuple of the same length", node)
            values = [self.scalar(v) for v in node.value.elts]
            for t, v in zip(target.elts, values):
                self.assign(t, v, node)
            return
        if self.array_alloc_kind(node.value):  # a local array or a team scratch view (scratch.py)
            self.bind_array(target, node.value, node)
            return
        if isinstance(node.value, ast.Lambda) and isinstance(target, ast.Name):
            lam = node.value
            self.scope.names[target.id] = Closure([a.arg for a in lam.args.args], [ast.Expr(lam.body)], lam)
            return
        self.assign(target, None, node, value_node=node.value)

    def assign(self, target: ast.expr, value: TV | None, node: ast.AST, value_node: ast.expr | None = None) -> None:
        """Store a value into a name or a view element."""
        if isinstance(target, ast.Subscript):
            view, idx, _ = self.subscript_target(target)
            v = value if value is not None else self.scalar(value_node)  # type: ignore[arg-type]
            self.store_element(view, idx, v, target)
            return
        if not isinstance(target, ast.Name):
            raise self.err(KernelSyntaxError, "only names and view elements can be assigned in kernels", target)
        if value is None:
            assert value_node is not None
            value = self.scalar(value_node)
        b = self.scope.names.get(target.id)
        if b is None and self.scope.get(target.id) is not None:
            b = self.scope.get(target.id)  # assigning a variable of an enclosing (closure) scope
        if isinstance(b, Var):
            self.check_assignable(value, b.ty, target.id, node)
            self.store_var(b, self.convert(value, b.ty))
        elif b is None:
            ty = value.ty
            assert isinstance(ty, ScalarType)
            self.new_var(target.id, ty, value)
        else:
            raise self.err(KernelTypeError, f"`{target.id}` is a kernel parameter or index and cannot be "
                           "assigned", target, hint="copy it into a local first (v = param)")

    def store_element(self, view: TV, idx: list[SSAValue], value: TV, node: ast.AST) -> None:
        """v[i...] = value, converting numbers like C++ would (float → int is an error, unless the kernel
        asks for C++'s truncation: PyKokkos workunits do)."""
        assert isinstance(view.ty, ViewType)
        et = view.ty.dtype
        vt = value.ty
        assert isinstance(vt, ScalarType)
        if vt.is_complex and not et.is_complex:
            raise self.err(KernelTypeError, f"storing a {vt} value into a view of {et} would drop its imaginary part",
                           node, hint="store z.real, z.imag or abs(z), or pass a complex array")
        if (vt.is_float and not et.is_float and not et.is_complex and not value.weak
                and not getattr(self.kernel, "cpp_conversions", False)):  # PyKokkos kernels truncate, as C++
            raise self.err(KernelTypeError, f"storing a {vt} into a view of {et}", node,
                           hint="convert with int(...) first")
        self.emit(memref.StoreOp.get(self.convert(value, et).ssa, view.ssa, idx))

    def stmt_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Subscript):
            view, idx, _ = self.subscript_target(node.target)
            assert isinstance(view.ty, ViewType)
            old = TV(self.emit(memref.LoadOp.get(view.ssa, idx)).results[0], view.ty.dtype)
            new = self.binop(node.op, old, self.scalar(node.value), node)
            self.store_element(view, idx, new, node)
            return
        if not isinstance(node.target, ast.Name):
            raise self.err(KernelSyntaxError, "augmented assignment needs a name or a view element", node)
        old = self.lookup(node.target.id, node.target)
        new = self.binop(node.op, old, self.scalar(node.value), node)
        self.assign(node.target, new, node)

    def stmt_If(self, node: ast.If) -> None:
        cond = self.as_bool(node.test)
        then_r = self.region_of(node.body)
        else_r = self.region_of(node.orelse)
        self.emit(scf.IfOp(cond.ssa, [], then_r, else_r))

    def stmt_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            if self.ret_slot is None or self.ret_type is None:
                raise self.err(KernelSyntaxError, "a kernel launched by a policy cannot return a value", node,
                               hint="write results into a view, or use parallel_reduce with an accumulator")
            v = self.scalar(node.value)
            self.check_assignable(v, self.ret_type, "the return value", node)
            self.store_var(self.ret_slot, self.convert(v, self.ret_type))
        elif self.ret_slot is not None:
            raise self.err(KernelSyntaxError, "this device function must return a value on every path", node)
        if self.ret_flag is not None:
            self.store_var(self.ret_flag, self.const(True, BOOL))

    def stmt_Break(self, node: ast.Break) -> None:
        if not self.loops:
            raise self.err(KernelSyntaxError, "break outside a loop", node)
        ctx = self.loops[-1]
        assert ctx.brk is not None
        self.store_var(ctx.brk, self.const(True, BOOL))

    def stmt_Continue(self, node: ast.Continue) -> None:
        if not self.loops:
            raise self.err(KernelSyntaxError, "continue outside a loop", node)
        ctx = self.loops[-1]
        assert ctx.cnt is not None
        self.store_var(ctx.cnt, self.const(True, BOOL))

    def stmt_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            raise self.err(KernelSyntaxError, "nested functions in kernels cannot be decorated", node)
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        self.scope.names[node.name] = Closure(params, node.body, node)

    from .loops import stmt_For, stmt_While, range_bounds  # noqa: E402  (loop lowering lives beside)
    from .calls import call, expr_Call, device_call, atomic_call, nested_launch, single_call, inline_closure  # noqa: E402
    from .scratch import (array_alloc_kind, bind_array, check_constant_indices, copy_array, local_array,  # noqa: E402
                          loop_nest, team_scratch)
    team_outer: Block | None = None  # team kernels: the block before the launch, where scratch sizes go
    team_params: dict = {}  # team kernels: the kernel's arguments (what scratch sizes may use)
    team_kernel: Any = None  # the team kernel being lowered (not a device function it calls)
    from .calls import reducer_keyword, unpack_call  # noqa: E402  (reductions with several accumulators)

