"""Test helpers for kokkos-fuse/kokkos-tile: run a func of L2/L3 IR in the reference interpreter on NumPy arrays."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from xdsl.dialects import memref
from xdsl.dialects.builtin import f64
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls
from xdsl.interpreters import builtin as xbuiltin
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.interpreters.utils.ptr import TypedPtr

from hpcir.dialects.kokkos_interpreter import array, make_interpreter


@register_impls
class DynamicAllocFunctions(InterpreterFunctions):
    """`memref.alloc` with dynamic sizes (xDSL 0.74's interpreter multiplies the -1 placeholders)."""

    @impl(memref.AllocOp)
    def run_alloc(self, interpreter: Interpreter, op: memref.AllocOp, args: PythonValues) -> PythonValues:
        ty = op.memref.type
        dyn = iter(args)
        shape = [d if d >= 0 else next(dyn) for d in ty.get_shape()]
        xtype = xbuiltin.xtype_for_el_type(ty.get_element_type(), interpreter.index_bitwidth)
        # NaN-filled: reading an element nobody wrote shows up in the results.
        ptr = TypedPtr[Any].new([math.nan] * math.prod(shape), xtype=xtype)
        return (ShapedArray(ptr, shape),)


class SubView:
    """A strided window of an interpreter array (what `memref.subview` yields); indices may leave the window."""

    def __init__(self, base: Any, offsets: list[int], strides: list[int]):
        self.base, self.offsets, self.strides = base, offsets, strides

    def _at(self, index: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(o + i * s for o, i, s in zip(self.offsets, index, self.strides))

    def load(self, index: tuple[int, ...]) -> Any:
        return self.base.load(self._at(index))

    def store(self, index: tuple[int, ...], value: Any) -> None:
        self.base.store(self._at(index), value)


@register_impls
class SubViewFunctions(InterpreterFunctions):
    """`memref.subview` with static offsets and strides (xDSL's lowering of stencil fields uses them)."""

    @impl(memref.SubviewOp)
    def run_subview(self, interpreter: Interpreter, op: memref.SubviewOp, args: PythonValues) -> PythonValues:
        offsets = list(op.static_offsets.get_values())
        strides = list(op.static_strides.get_values())
        if op.offsets or op.strides or any(v < 0 for v in offsets + strides):
            raise NotImplementedError("memref.subview with dynamic offsets or strides")
        return (SubView(args[0], offsets, strides),)


def interpret(module, name: str, scalars: list, arrays: list[np.ndarray], seed: int | None = None) -> list[np.ndarray]:
    """Run func `name` with (scalars..., arrays...) in the reference interpreter; returns the arrays after the call."""
    shaped = [array(a.ravel().tolist(), a.shape, f64) for a in arrays]
    interp = make_interpreter(module, seed=seed)
    interp.register_implementations(DynamicAllocFunctions(), override=True)
    interp.register_implementations(SubViewFunctions())
    interp.call_op(name, (*scalars, *shaped))
    return [np.array(s.data, dtype=np.float64).reshape(a.shape) for s, a in zip(shaped, arrays)]
