"""The vocabulary the graph emitters share: expressions with their shapes, literals, the arith/math op
tables, and how indexing-map results read (graph_emit.py writes statements with them,
graph_emit_generic.py linalg.generic bodies)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects import complex as cplx
from xdsl.dialects import math as mmath
from xdsl.dialects.builtin import FloatAttr, IntegerAttr
from xdsl.ir.affine import AffineBinaryOpExpr, AffineBinaryOpKind, AffineConstantExpr, AffineDimExpr

from hpcir.core.errors import HpcirError

INLINE_CONST_MAX = 16  # constants up to this many elements are written inline


@dataclass
class Expr:
    """A Python expression and its static (broadcastable) shape in the iteration space."""

    text: str
    shape: tuple[int, ...]
    lit: object = None  # the Python value when the expression is a literal

    @property
    def is_lit(self) -> bool:
        return self.lit is not None


def literal(v) -> str:
    """Python source of a scalar literal (inf/nan spelled portably)."""
    if isinstance(v, bool):
        return repr(v)
    if isinstance(v, float):
        if np.isnan(v):
            return 'float("nan")'
        if np.isinf(v):
            return 'float("inf")' if v > 0 else '-float("inf")'
    return repr(v)


# body op class -> scalar kind in the vocab
_UNARY = {
    mmath.ExpOp: "exp", mmath.LogOp: "log", mmath.TanhOp: "tanh", mmath.SqrtOp: "sqrt",
    mmath.RsqrtOp: "rsqrt", mmath.SinOp: "sin", mmath.CosOp: "cos", mmath.TanOp: "tan",
    mmath.ErfOp: "erf", mmath.Log1pOp: "log1p", mmath.ExpM1Op: "expm1", mmath.FloorOp: "floor",
    mmath.CeilOp: "ceil", mmath.RoundEvenOp: "round", mmath.RoundOp: "round_away",
    mmath.TruncOp: "trunc", mmath.AtanOp: "atan", mmath.AsinOp: "asin", mmath.AcosOp: "acos",
    mmath.SinhOp: "sinh", mmath.CoshOp: "cosh", mmath.AsinhOp: "asinh", mmath.AtanhOp: "atanh",
    mmath.Log2Op: "log2", mmath.Log10Op: "log10", mmath.Exp2Op: "exp2", mmath.CbrtOp: "cbrt",
    mmath.AbsFOp: "abs", mmath.AbsIOp: "abs", arith.NegfOp: "neg", cplx.ExpOp: "exp",
    cplx.LogOp: "log", cplx.TanhOp: "tanh", cplx.SqrtOp: "sqrt", cplx.RsqrtOp: "rsqrt",
    cplx.SinOp: "sin", cplx.CosOp: "cos", cplx.TanOp: "tan", cplx.Log1pOp: "log1p",
    cplx.Expm1Op: "expm1", cplx.NegOp: "neg", cplx.ReOp: "real", cplx.ImOp: "imag",
    cplx.ConjOp: "conj", cplx.AbsOp: "abs",
}
_BINARY = {
    arith.AddfOp: "add", arith.AddiOp: "add", cplx.AddOp: "add", arith.SubfOp: "sub",
    arith.SubiOp: "sub", cplx.SubOp: "sub", arith.MulfOp: "mul", arith.MuliOp: "mul",
    cplx.MulOp: "mul", arith.DivfOp: "div", cplx.DivOp: "div", arith.DivSIOp: "idiv",
    arith.RemSIOp: "irem", arith.MaximumfOp: "max", arith.MaxSIOp: "max", arith.MinimumfOp: "min",
    arith.MinSIOp: "min", mmath.PowFOp: "pow", cplx.PowOp: "pow", mmath.Atan2Op: "atan2",
    arith.AndIOp: "and", arith.OrIOp: "or", arith.XOrIOp: "xor",
}
_CMP = {"oeq": "==", "eq": "==", "une": "!=", "ne": "!=", "one": "!=", "olt": "<", "slt": "<",
        "ole": "<=", "sle": "<=", "ogt": ">", "sgt": ">", "oge": ">=", "sge": ">="}
_CAST = (arith.SIToFPOp, arith.UIToFPOp, arith.FPToSIOp, arith.ExtFOp, arith.TruncFOp,
         arith.ExtSIOp, arith.ExtUIOp, arith.TruncIOp)
_COMBINE = {"add": "sum", "mul": "prod", "max": "max", "min": "min", "and": "all", "or": "any"}
_IDENTITY = {"sum": 0, "prod": 1, "all": 1, "any": 0}


def _scalar_value(cop: arith.ConstantOp):
    """The Python value of a scalar arith.constant."""
    v = cop.value
    if isinstance(v, FloatAttr):
        return float(v.value.data)
    if isinstance(v, IntegerAttr):
        if str(v.type) == "i1":
            return bool(v.value.data)
        return int(v.value.data)
    raise HpcirError(f"unsupported scalar constant {v}")


def dim_of(expr) -> tuple[int, bool, int]:
    """(dimension, flipped, constant) of an indexing-map result `d` or `-d + c`."""
    if isinstance(expr, AffineDimExpr):
        return expr.position, False, 0
    if isinstance(expr, AffineBinaryOpExpr) and expr.kind == AffineBinaryOpKind.Add:
        lhs, rhs = expr.lhs, expr.rhs
        if isinstance(rhs, AffineConstantExpr) and isinstance(lhs, AffineBinaryOpExpr) \
                and lhs.kind == AffineBinaryOpKind.Mul and isinstance(lhs.lhs, AffineDimExpr) \
                and isinstance(lhs.rhs, AffineConstantExpr) and lhs.rhs.value == -1:
            return lhs.lhs.position, True, rhs.value
    raise HpcirError(f"indexing map result {expr} is not supported by the emitters")
