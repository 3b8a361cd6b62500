"""Scalar ops inside linalg.generic bodies, typed by element kind (float, integer, bool, complex)."""
from __future__ import annotations

import math as pymath

from xdsl.dialects import arith, complex as cplx
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects import math as mmath
from xdsl.dialects import tensor
from xdsl.dialects.builtin import (
    ComplexType, FloatAttr, IndexType, IntegerAttr, IntegerType, i1, i64,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from hpcir.core.errors import HpcirError

from hpcir.dialects.graph_types import is_bool, is_complex, is_float

# kind -> (float op, int op, complex op); None where the kind does not exist for that element type
_BINARY: dict[str, tuple] = {
    "add": (arith.AddfOp, arith.AddiOp, cplx.AddOp),
    "sub": (arith.SubfOp, arith.SubiOp, cplx.SubOp),
    "mul": (arith.MulfOp, arith.MuliOp, cplx.MulOp),
    "div": (arith.DivfOp, arith.DivSIOp, cplx.DivOp),
    "rem": (None, arith.RemSIOp, None),
    "max": (arith.MaximumfOp, arith.MaxSIOp, None),
    "min": (arith.MinimumfOp, arith.MinSIOp, None),
    "pow": (mmath.PowFOp, None, cplx.PowOp),
    "atan2": (mmath.Atan2Op, None, None),
    "and": (None, arith.AndIOp, None),
    "or": (None, arith.OrIOp, None),
    "xor": (None, arith.XOrIOp, None),
}
_UNARY: dict[str, tuple] = {
    "exp": (mmath.ExpOp, None, cplx.ExpOp), "log": (mmath.LogOp, None, cplx.LogOp),
    "tanh": (mmath.TanhOp, None, cplx.TanhOp), "sqrt": (mmath.SqrtOp, None, cplx.SqrtOp),
    "rsqrt": (mmath.RsqrtOp, None, cplx.RsqrtOp), "sin": (mmath.SinOp, None, cplx.SinOp),
    "cos": (mmath.CosOp, None, cplx.CosOp), "tan": (mmath.TanOp, None, cplx.TanOp),
    "erf": (mmath.ErfOp, None, None), "log1p": (mmath.Log1pOp, None, cplx.Log1pOp),
    "expm1": (mmath.ExpM1Op, None, cplx.Expm1Op), "floor": (mmath.FloorOp, None, None),
    "ceil": (mmath.CeilOp, None, None), "round": (mmath.RoundEvenOp, None, None),
    "trunc": (mmath.TruncOp, None, None), "round_away": (mmath.RoundOp, None, None), "atan": (mmath.AtanOp, None, None),
    "asin": (mmath.AsinOp, None, None), "acos": (mmath.AcosOp, None, None),
    "sinh": (mmath.SinhOp, None, None), "cosh": (mmath.CoshOp, None, None),
    "asinh": (mmath.AsinhOp, None, None), "atanh": (mmath.AtanhOp, None, None),
    "log2": (mmath.Log2Op, None, None), "log10": (mmath.Log10Op, None, None),
    "exp2": (mmath.Exp2Op, None, None), "cbrt": (mmath.CbrtOp, None, None),
    "abs": (mmath.AbsFOp, mmath.AbsIOp, cplx.AbsOp), "neg": (arith.NegfOp, None, cplx.NegOp),
}
# comparison kind -> (cmpf predicate, cmpi predicate); ordered float predicates like numpy
CMP = {"eq": ("oeq", "eq"), "ne": ("une", "ne"), "lt": ("olt", "slt"), "le": ("ole", "sle"),
       "gt": ("ogt", "sgt"), "ge": ("oge", "sge")}


class Body:
    """Appends typed scalar ops to the block of a linalg.generic."""

    def __init__(self, block: Block):
        self.block = block

    def _add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    def const(self, value, t: Attribute) -> SSAValue:
        """A scalar arith.constant of type `t` (complex constants via complex.create)."""
        if is_complex(t):
            re = self.const(complex(value).real, t.element_type)
            im = self.const(complex(value).imag, t.element_type)
            return self._add(cplx.CreateOp(re, im, t))
        if is_float(t):
            attr = FloatAttr(float(value), t)
        elif isinstance(t, IndexType):
            attr = IntegerAttr(int(value), t)
        else:
            attr = IntegerAttr(int(bool(value)) if is_bool(t) else int(value), t)
        return self._add(arith.ConstantOp(attr, t))

    def op(self, kind: str, *args: SSAValue, to: Attribute | None = None) -> SSAValue:
        """One scalar op of `kind` ("add", "exp", ...) on args of the same element type."""
        t = args[0].type
        col = 2 if is_complex(t) else (0 if is_float(t) else 1)
        table = _BINARY if kind in _BINARY else _UNARY if kind in _UNARY else None
        if table is None:
            return getattr(self, f"_{kind}")(*args, to=to) if to is not None else getattr(self, f"_{kind}")(*args)
        if kind == "neg" and col == 1:
            return self.op("sub", self.const(0, t), args[0])
        cls = table[kind][col]
        if cls is None:
            raise HpcirError(f"scalar op {kind!r} is not defined for element type {t}")
        res_t = t.element_type if (kind == "abs" and col == 2) else t
        return self._add(cls.create(operands=list(args), result_types=[res_t]))

    def cmp(self, kind: str, a: SSAValue, b: SSAValue) -> SSAValue:
        """Comparison giving i1 (ordered for floats, signed for integers)."""
        fpred, ipred = CMP[kind]
        if is_float(a.type):
            return self._add(arith.CmpfOp(a, b, fpred))
        return self._add(arith.CmpiOp(a, b, ipred))

    def select(self, c: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        """c ? a : b."""
        return self._add(arith.SelectOp(c, a, b))

    def _not(self, a: SSAValue) -> SSAValue:
        return self.op("xor", a, self.const(1, i1))

    def _isnan(self, a: SSAValue) -> SSAValue:
        return self._add(arith.CmpfOp(a, a, "uno"))

    def _sign(self, a: SSAValue) -> SSAValue:
        zero = self.const(0, a.type)
        pos = self.cast(self.cmp("gt", a, zero), a.type)
        neg = self.cast(self.cmp("lt", a, zero), a.type)
        return self.op("sub", pos, neg)

    def _real(self, a: SSAValue) -> SSAValue:
        return self._add(cplx.ReOp.create(operands=[a], result_types=[a.type.element_type]))

    def _imag(self, a: SSAValue) -> SSAValue:
        return self._add(cplx.ImOp.create(operands=[a], result_types=[a.type.element_type]))

    def _conj(self, a: SSAValue) -> SSAValue:
        return self._add(cplx.ConjOp.create(operands=[a], result_types=[a.type]))

    def _complex(self, re: SSAValue, im: SSAValue) -> SSAValue:
        return self._add(cplx.CreateOp(re, im, ComplexType(re.type)))

    def index(self, dim: int) -> SSAValue:
        """linalg.index of iteration dimension `dim`, cast to i64."""
        idx = self._add(linalg.IndexOp(dim))
        return self._add(arith.IndexCastOp(idx, i64))

    def extract(self, src: SSAValue, indices: list[SSAValue]) -> SSAValue:
        """tensor.extract of `src` (a tensor defined outside the body) at i64 indices."""
        idx = [self._add(arith.IndexCastOp(i, IndexType())) for i in indices]
        return self._add(tensor.ExtractOp(src, idx, src.type.get_element_type()))

    def cast(self, a: SSAValue, to: Attribute) -> SSAValue:
        """Numeric conversion between float, integer, bool and complex element types."""
        t = a.type
        if t == to:
            return a
        if is_complex(to):
            if is_complex(t):
                re, im = self._real(a), self._imag(a)
                return self._complex(self.cast(re, to.element_type), self.cast(im, to.element_type))
            re = self.cast(a, to.element_type)
            return self._complex(re, self.const(0.0, to.element_type))
        if is_complex(t):
            return self.cast(self._real(a), to)
        if is_bool(to):  # x != 0, like numpy's astype(bool)
            return self.cmp("ne", a, self.const(0, t))
        if is_float(t) and is_float(to):
            wider = to.bitwidth > t.bitwidth
            return self._add((arith.ExtFOp if wider else arith.TruncFOp)(a, to))
        if is_float(t):
            return self._add(arith.FPToSIOp(a, to))
        if is_float(to):
            if is_bool(t):
                return self._add(arith.UIToFPOp(a, to))
            return self._add(arith.SIToFPOp(a, to))
        if isinstance(t, IndexType) or isinstance(to, IndexType):
            return self._add(arith.IndexCastOp(a, to))
        tw, ow = t.width.data, to.width.data
        if ow > tw:
            return self._add((arith.ExtUIOp if tw == 1 else arith.ExtSIOp)(a, to))
        return self._add(arith.TruncIOp(a, to))


def identity_of(kind: str, t: Attribute):
    """Neutral element of a reduction kind for element type t (python value)."""
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if kind in ("max", "min"):
        if is_float(t):
            return -pymath.inf if kind == "max" else pymath.inf
        if is_bool(t):
            return 0 if kind == "max" else 1
        w = t.width.data if isinstance(t, IntegerType) else 64
        return -(2 ** (w - 1)) if kind == "max" else 2 ** (w - 1) - 1
    if kind == "and":
        return 1
    if kind == "or":
        return 0
    raise HpcirError(f"unknown reduction kind {kind!r}")


# reduction kind -> scalar combine kind
COMBINE = {"sum": "add", "prod": "mul", "max": "max", "min": "min", "and": "and", "or": "or"}
