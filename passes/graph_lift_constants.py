"""`graph-lift-constants`: dense tensor constants of a graph function become trailing arguments.

Kokkos C++ has no global buffers, so an L1 `arith.constant dense<...> : tensor<...>` of a function
(at its top level or inside an scf.for / scf.if / scf.while region) cannot stay an op: it becomes a new argument of the function, appended after
the existing ones in the order the constants appear, named `%const_<name>` after the constant's
SSA name. Whoever calls the lowered function binds the values: `lifted_constants(f)` returns them,
read from the L1 function, in the order this pass appends the arguments (the JIT driver uses it).
Scalar constants (as in linalg bodies) are left alone. The pass is
target-neutral; a function that is called from inside the module is refused (its callers would
lose their arguments' match).

    func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {       func.func @f(%x: tensor<2xf32>,
      %w = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>  ->          %const_w: tensor<2xf32>) -> ...
      ...uses of %w...                                          ...uses of %const_w...
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (ArrayAttr, DenseIntOrFPElementsAttr, DictionaryAttr, FunctionType, ModuleOp,
                                   TensorType)
from xdsl.passes import ModulePass

from hpcir.core.errors import HpcirError
from hpcir.dialects.graph_types import dense_value, sanitize

PREFIX = "const_"


def liftable_constants(f: func.FuncOp) -> list[arith.ConstantOp]:
    """The dense tensor constants of f's body, in order (what the pass lifts); those inside loop and
    branch regions too, else bufferization would make them memref.globals no Kokkos target emits."""
    if not f.body.blocks:
        return []
    return [op for op in f.body.walk()
            if isinstance(op, arith.ConstantOp) and isinstance(op.value, DenseIntOrFPElementsAttr)
            and isinstance(op.results[0].type, TensorType)]


def _arg_name(op: arith.ConstantOp) -> str:
    return PREFIX + sanitize(op.results[0].name_hint or "const")


def lifted_constants(f: func.FuncOp) -> list[tuple[str, np.ndarray]]:
    """(argument name, value) of each constant the pass lifts out of f, in argument order."""
    return [(_arg_name(op), dense_value(op.value)) for op in liftable_constants(f)]


@dataclass(frozen=True)
class GraphLiftConstantsPass(ModulePass):
    """Turn top-level dense tensor constants of graph functions into trailing function arguments."""

    name = "graph-lift-constants"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        called = {c.callee.root_reference.data for c in op.walk() if isinstance(c, func.CallOp)}
        for f in [o for o in op.walk() if isinstance(o, func.FuncOp)]:
            consts = liftable_constants(f)
            if not consts:
                continue
            if f.sym_name.data in called:
                raise HpcirError(f"graph-lift-constants: @{f.sym_name.data} is called inside the module, so its "
                                 "constants cannot become arguments", hint="inline the call first")
            block = f.body.block
            for c in consts:
                arg = block.insert_arg(c.results[0].type, len(block.args))
                arg.name_hint = _arg_name(c)
                c.results[0].replace_all_uses_with(arg)
                c.detach()
                c.erase()
            f.function_type = FunctionType.from_lists([a.type for a in block.args],
                                                      f.function_type.outputs.data)
            if f.arg_attrs is not None:  # keep one (empty) attribute dictionary per argument
                f.arg_attrs = ArrayAttr([*f.arg_attrs.data] + [DictionaryAttr({})] * len(consts))
