"""complex dialect ops -> Kokkos::complex expressions (hpcir::complex64 / complex128, prelude).

Kokkos::complex has the operators and the functions used here (abs, sqrt, exp, log, sin, cos, tan,
tanh, conj, pow) in namespace Kokkos from 3.4 to 4.x, callable on host and device; its angle is
written with atan2 (Kokkos 3.4 has no arg)."""
from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, ComplexType, FloatAttr
from xdsl.ir import Operation

from hpcir.core.errors import UnsupportedOpError

from .context import FunctionEmitter, handles, prop
from .expr import _infix, literal
from .types import cpp_type

_INFIX = {"complex.add": ("+", 6), "complex.sub": ("-", 6), "complex.mul": ("*", 5), "complex.div": ("/", 5),
          "complex.eq": ("==", 10), "complex.neq": ("!=", 10)}
_FUNCTIONS = {"complex.abs": "Kokkos::abs", "complex.sqrt": "Kokkos::sqrt", "complex.exp": "Kokkos::exp",
              "complex.log": "Kokkos::log", "complex.sin": "Kokkos::sin", "complex.cos": "Kokkos::cos",
              "complex.tan": "Kokkos::tan", "complex.tanh": "Kokkos::tanh", "complex.conj": "Kokkos::conj"}


@handles("complex.constant")
def _constant(em: FunctionEmitter, op: Operation) -> None:
    res = op.results[0]
    value = prop(op, "value")
    assert isinstance(value, ArrayAttr) and isinstance(res.type, ComplexType)
    parts = []
    for p in value.data:
        if not isinstance(p, FloatAttr):
            raise UnsupportedOpError(f"complex.constant of {value} (integer parts)",
                                     hint="complex numbers in kernels have float parts")
        parts.append(literal(p.value.data, res.type.element_type))
    em.bind_literal(res, f"{cpp_type(res.type)}({parts[0]}, {parts[1]})")


@handles("complex.create")
def _create(em: FunctionEmitter, op: Operation) -> None:
    re, im = (em.expr(v) for v in op.operands)
    em.value(op, op.results[0], f"{cpp_type(op.results[0].type)}({re}, {im})")


@handles("complex.re", "complex.im")
def _part(em: FunctionEmitter, op: Operation) -> None:
    method = "real" if op.name == "complex.re" else "imag"
    em.value(op, op.results[0], f"{em.operand(op.operands[0], 2)}.{method}()", 2)


@handles(*_INFIX)
def _complex_infix(em: FunctionEmitter, op: Operation) -> None:
    _infix(em, op, *_INFIX[op.name])


@handles("complex.neg")
def _neg(em: FunctionEmitter, op: Operation) -> None:
    em.value(op, op.results[0], f"-{em.operand(op.operands[0], 3, right=True)}", 3)


@handles(*_FUNCTIONS)
def _function(em: FunctionEmitter, op: Operation) -> None:
    em.value(op, op.results[0], f"{_FUNCTIONS[op.name]}({em.expr(op.operands[0])})")


@handles("complex.angle")
def _angle(em: FunctionEmitter, op: Operation) -> None:
    z = em.operand(op.operands[0], 2)
    em.value(op, op.results[0], f"hpcir::kmath::atan2({z}.imag(), {z}.real())")


@handles("complex.pow")
def _pow(em: FunctionEmitter, op: Operation) -> None:
    a, b = (em.expr(v) for v in op.operands)
    em.value(op, op.results[0], f"Kokkos::pow({a}, {b})")
