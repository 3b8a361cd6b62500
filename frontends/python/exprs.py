"""Lowering of kernel-language expressions to arith / math / memref / scf ops."""
from __future__ import annotations

import ast
import cmath as pycmath
import math as pymath
from typing import Any

from xdsl.dialects import arith, cf, memref, scf
from xdsl.dialects import complex as cplx
from xdsl.dialects.builtin import IntegerAttr
from xdsl.dialects import math as mmath
from xdsl.ir import Block, Region, SSAValue

from hpcir.core.errors import KernelSyntaxError, KernelTypeError
from hpcir.dialects.arith_ext import RemFOp

from .types import BOOL, C128, F32, F64, I32, I64, U64, LocalArrayType, ScalarType, ViewType, complex_of
from .values import TV, ComplexToRealError, Emitter, is_scalar, join_types

# math.<fn> with one float argument → math dialect op
UNARY_MATH = {
    "sqrt": mmath.SqrtOp, "exp": mmath.ExpOp, "log": mmath.LogOp, "sin": mmath.SinOp,
    "cos": mmath.CosOp, "tan": mmath.TanOp, "tanh": mmath.TanhOp, "sinh": mmath.SinhOp,
    "cosh": mmath.CoshOp, "asin": mmath.AsinOp, "acos": mmath.AcosOp, "atan": mmath.AtanOp,
    "asinh": mmath.AsinhOp, "atanh": mmath.AtanhOp, "log10": mmath.Log10Op, "log2": mmath.Log2Op,
    "log1p": mmath.Log1pOp, "expm1": mmath.ExpM1Op, "erf": mmath.ErfOp, "cbrt": mmath.CbrtOp,
    "fabs": mmath.AbsFOp, "floor": mmath.FloorOp, "ceil": mmath.CeilOp, "trunc": mmath.TruncOp,
    "exp2": mmath.Exp2Op,
}
# math.fmod is C's fmod (arith.remf: the sign of x), unlike `%`; fmod(x, 0.0) and fmod(±inf, y) are
# nan (NumPy's np.fmod) where Python raises ValueError.
BINARY_MATH = {"pow": mmath.PowFOp, "atan2": mmath.Atan2Op, "copysign": mmath.CopySignOp, "fmod": RemFOp}
MATH_CONSTANTS = {"pi": pymath.pi, "e": pymath.e, "tau": pymath.tau, "inf": pymath.inf, "nan": pymath.nan}
# math functions whose Python result is an int (floor/ceil/trunc of a float)
INT_RESULT_MATH = {"floor", "ceil", "trunc"}

# cmath.<fn> with one argument → complex dialect op (a real argument is made complex first)
CMATH_UNARY = {"exp": cplx.ExpOp, "sqrt": cplx.SqrtOp, "log": cplx.LogOp, "sin": cplx.SinOp, "cos": cplx.CosOp,
               "tan": cplx.TanOp, "tanh": cplx.TanhOp}
CMATH_CONSTANTS = {"pi": pycmath.pi, "e": pycmath.e, "tau": pycmath.tau, "inf": pycmath.inf, "nan": pycmath.nan}
COMPLEX_BINOPS = {ast.Add: cplx.AddOp, ast.Sub: cplx.SubOp, ast.Mult: cplx.MulOp, ast.Div: cplx.DivOp}

CMPF = {ast.Eq: "oeq", ast.NotEq: "une", ast.Lt: "olt", ast.LtE: "ole", ast.Gt: "ogt", ast.GtE: "oge"}
CMPI = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "slt", ast.LtE: "sle", ast.Gt: "sgt", ast.GtE: "sge"}


def constant_int(v: SSAValue) -> int | None:
    """The value of an integer computed from constants only (`-1` is `0 - 1` here), else None."""
    op = v.owner
    if isinstance(op, arith.ConstantOp):
        return op.value.value.data if isinstance(op.value, IntegerAttr) else None
    if isinstance(op, arith.ExtSIOp):
        return constant_int(op.operands[0])
    if isinstance(op, arith.TruncIOp):
        k, w = constant_int(op.operands[0]), op.results[0].type.width.data
        return None if k is None else (k + (1 << (w - 1))) % (1 << w) - (1 << (w - 1))  # wraps as C++
    if isinstance(op, (arith.AddiOp, arith.SubiOp, arith.MuliOp)):
        a, b = constant_int(op.lhs), constant_int(op.rhs)
        if a is None or b is None:
            return None
        return a + b if isinstance(op, arith.AddiOp) else a - b if isinstance(op, arith.SubiOp) else a * b
    return None


class ExprMixin(Emitter):
    """Expression lowering; the statement mixin supplies scopes, name lookup and calls."""

    kernel: Any  # the Kernel being lowered (for locations and globals)

    # -- helpers -------------------------------------------------------------------------------
    def err(self, cls: type, msg: str, node: ast.AST, hint: str | None = None) -> Exception:
        """A located user error."""
        return cls(msg, self.kernel.loc(node), hint)

    def scalar(self, node: ast.expr, what: str = "this expression") -> TV:
        """Lower an expression that must be a scalar."""
        v = self.expr(node)
        if not is_scalar(v):
            raise self.err(KernelTypeError, f"{what} must be a number or bool, not a {v.ty}", node)
        return v

    def as_bool(self, node: ast.expr) -> TV:
        """Lower an expression used as a condition."""
        return self.convert(self.scalar(node, "a condition"), BOOL)

    def as_int(self, node: ast.expr, what: str = "an index") -> TV:
        """Lower an expression that must be an integer."""
        v = self.scalar(node, what)
        assert isinstance(v.ty, ScalarType)
        if v.ty.is_complex:
            raise self.err(KernelTypeError, f"{what} must be an integer, got {v.ty}", node,
                           hint="use int(z.real) or int(abs(z)) for an integer from a complex number")
        if v.ty.is_float:
            raise self.err(KernelTypeError, f"{what} must be an integer, got {v.ty}", node,
                           hint="convert with int(...)")
        return self.convert(v, I64) if v.ty != I64 else v

    # -- dispatch ------------------------------------------------------------------------------
    def expr(self, node: ast.expr) -> TV:
        """Lower any expression node."""
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise self.err(KernelSyntaxError, f"{type(node).__name__} expressions are not supported in kernels",
                           node, hint="use arithmetic, comparisons, calls to math functions and view indexing")
        where = self.__dict__.setdefault("_where", [])
        where.append(node)
        try:
            return method(node)
        finally:
            where.pop()

    def convert(self, v: TV, to: ScalarType) -> TV:
        """Emitter.convert, with a complex → real conversion reported at the expression or statement
        being lowered (Python refuses it: float(1j) is a TypeError)."""
        try:
            return super().convert(v, to)
        except ComplexToRealError as e:
            where = self.__dict__.get("_where") or [self.__dict__.get("_stmt_node")]
            node = where[-1]
            loc = self.kernel.loc(node) if node is not None else None
            raise KernelTypeError(f"a {e.src} value is used where a {e.to} is needed: the imaginary part would be "
                                  "lost", loc, "take z.real, z.imag or abs(z) explicitly, or make the "
                                  "destination complex") from None

    def complex_op(self, op_cls: type, *args: TV, ty: ScalarType) -> TV:
        """Emit a complex-dialect op on complex operands of type `ty` (converted first)."""
        ssa = [self.convert(a, ty).ssa for a in args]
        return TV(self.emit(op_cls(*ssa)).results[0], ty)

    def expr_Constant(self, node: ast.Constant) -> TV:
        v = node.value
        if isinstance(v, bool):
            return TV(self.const(v, BOOL).ssa, BOOL, weak=True)
        if isinstance(v, int):
            return self.int_literal(v, node)
        if isinstance(v, float):
            return TV(self.const(v, F64).ssa, F64, weak=True)
        if isinstance(v, complex):
            return TV(self.const(v, C128).ssa, C128, weak=True)
        raise self.err(KernelSyntaxError, f"constant {v!r} of type {type(v).__name__} is not supported in kernels",
                       node, hint="kernels compute on numbers and bools only")

    def int_literal(self, v: int, node: ast.AST) -> TV:
        """An integer literal: int64, or uint64 from 2**63 up (C++ gives such a decimal literal an
        unsigned type), so that it keeps its value in comparisons, division and conversions."""
        if -2**63 <= v < 2**63:
            return TV(self.const(v, I64).ssa, I64, weak=True)
        if 0 <= v < 2**64:  # the same bits as an i64 constant, then viewed as uint64 (arith is signless)
            return self.from_signless(self.const(v - 2**64, I64).ssa, U64, weak=True)
        raise self.err(KernelTypeError, f"the integer {v} does not fit in 64 bits", node,
                       hint="kernels compute with int64 (from -2**63) and uint64 (up to 2**64 - 1); "
                            "use a float for larger magnitudes")

    def expr_Name(self, node: ast.Name) -> TV:
        return self.lookup(node.id, node)  # type: ignore[attr-defined]

    def expr_Attribute(self, node: ast.Attribute) -> TV:
        base = self.global_object(node.value)  # type: ignore[attr-defined]
        if base is pymath and node.attr in MATH_CONSTANTS:
            return TV(self.const(MATH_CONSTANTS[node.attr], F64).ssa, F64, weak=True)
        if base is pycmath and node.attr in CMATH_CONSTANTS:
            return TV(self.const(CMATH_CONSTANTS[node.attr], F64).ssa, F64, weak=True)
        if base is pycmath and node.attr in ("infj", "nanj"):
            return TV(self.const(complex(0, pymath.inf if node.attr == "infj" else pymath.nan), C128).ssa, C128,
                      weak=True)
        if base is None and node.attr in ("real", "imag"):
            return self.real_imag(self.scalar(node.value, f"the operand of .{node.attr}"), node.attr)
        value = self.global_value(node)  # type: ignore[attr-defined]
        if value is not None:
            return value
        raise self.err(KernelSyntaxError, f"`{ast.unparse(node)}` is not available in kernels", node,
                       hint="kernels can read math constants, module-level numbers and their parameters")

    def expr_UnaryOp(self, node: ast.UnaryOp) -> TV:
        if isinstance(node.op, ast.Not):
            b = self.as_bool(node.operand)
            one = self.const(True, BOOL)
            return TV(self.emit(arith.XOrIOp(b.ssa, one.ssa)).results[0], BOOL)
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) and \
                type(node.operand.value) is int:  # -9223372036854775808 is an int64 literal, as in Python
            return self.int_literal(-node.operand.value, node)
        v = self.scalar(node.operand)
        assert isinstance(v.ty, ScalarType)
        if isinstance(node.op, ast.UAdd):
            return v
        if v.ty.is_complex:
            if isinstance(node.op, ast.USub):
                return TV(self.emit(cplx.NegOp(v.ssa)).results[0], v.ty, v.weak)
            raise self.err(KernelTypeError, f"`{ast.unparse(node)}`: ~ is not defined on complex numbers", node)
        if v.ty == U64 and isinstance(node.op, (ast.USub, ast.Invert)):  # C++: modulo 2^64, still uint64_t
            x = self.signless(v)
            if isinstance(node.op, ast.USub):
                r = self.emit(arith.SubiOp(self.const(0, I64).ssa, x)).results[0]
            else:
                r = self.emit(arith.XOrIOp(x, self.const(-1, I64).ssa)).results[0]
            return self.from_signless(r, U64, v.weak)
        if isinstance(node.op, ast.USub):
            if v.ty.is_float:
                return TV(self.emit(arith.NegfOp(v.ssa)).results[0], v.ty, v.weak)
            t = I64 if v.ty.is_bool else (I32 if (v.ty.is_int or v.ty.is_unsigned) and v.ty.bits < 32 else
                                          (I64 if v.ty.is_unsigned else v.ty))
            v = self.convert(v, t)
            zero = self.const(0, t)
            return TV(self.emit(arith.SubiOp(zero.ssa, v.ssa)).results[0], t, v.weak)
        if isinstance(node.op, ast.Invert):
            if v.ty.is_float:
                raise self.err(KernelTypeError, "~ needs an integer operand", node)
            if v.ty.is_unsigned or (v.ty.is_int and v.ty.bits < 32):  # promoted first, as C++ does
                v = self.convert(v, I32 if v.ty.bits < 32 else I64)
            ones = self.const(-1, v.ty) if not v.ty.is_bool else self.const(True, BOOL)
            return TV(self.emit(arith.XOrIOp(v.ssa, ones.ssa)).results[0], v.ty)
        raise self.err(KernelSyntaxError, "unsupported unary operator", node)

    def expr_BinOp(self, node: ast.BinOp) -> TV:
        return self.binop(node.op, self.scalar(node.left), self.scalar(node.right), node)

    def binop(self, op: ast.operator, a: TV, b: TV, node: ast.AST) -> TV:
        """Lower `a op b` with Python's semantics for /, //, % and **."""
        if isinstance(op, ast.Pow):
            return self.power(a, b, node)
        t = join_types(a, b)
        if t == U64 and not isinstance(op, ast.Div):
            return self.u64_binop(op, a, b, node)
        if (t.is_int or t.is_unsigned) and t.bits < 32:  # C++'s integer promotion: 8/16-bit operands compute as int
            t = I32
        elif t.is_unsigned and t != U64:  # uint32 values compute exactly as int64
            t = I64
        weak = a.weak and b.weak
        if t.is_complex:
            if type(op) not in COMPLEX_BINOPS:
                raise self.err(KernelTypeError, f"`{ast.unparse(node)}`: //, % and bitwise operators are not defined "
                               "on complex numbers", node, hint="use +, -, *, / and ** on complex numbers")
            r = self.complex_op(COMPLEX_BINOPS[type(op)], a, b, ty=t)
            return TV(r.ssa, t, weak)
        if isinstance(op, ast.Div):
            t = t if t.is_float else F64
        if isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)):
            if t.is_float:
                raise self.err(KernelTypeError, f"bitwise `{ast.unparse(node)}` needs integer or bool operands", node)
            if isinstance(op, (ast.LShift, ast.RShift)) and t.is_bool:
                t = I64
        elif t.is_bool:
            t = I64
        x, y = self.convert(a, t).ssa, self.convert(b, t).ssa
        if t.is_float:
            table = {ast.Add: arith.AddfOp, ast.Sub: arith.SubfOp, ast.Mult: arith.MulfOp, ast.Div: arith.DivfOp}
            if type(op) in table:
                return TV(self.emit(table[type(op)](x, y)).results[0], t, weak)
            if isinstance(op, (ast.FloorDiv, ast.Mod)):
                return TV(self.float_floordiv_mod(x, y, t, isinstance(op, ast.FloorDiv)), t, weak)
        else:
            if isinstance(op, (ast.FloorDiv, ast.Mod)):
                self.check_divisor(y, t, node, "integer division or modulo by zero" if isinstance(op, ast.FloorDiv)
                                   else "integer modulo by zero")
            table = {ast.Add: arith.AddiOp, ast.Sub: arith.SubiOp, ast.Mult: arith.MuliOp,
                     ast.BitAnd: arith.AndIOp, ast.BitOr: arith.OrIOp, ast.BitXor: arith.XOrIOp,
                     ast.LShift: arith.ShLIOp, ast.RShift: arith.ShRSIOp, ast.FloorDiv: arith.FloorDivSIOp}
            if type(op) in table:
                return TV(self.emit(table[type(op)](x, y)).results[0], t, weak)
            if isinstance(op, ast.Mod):  # Python's sign-of-divisor remainder: r + y where the signs differ
                r = self.emit(arith.RemSIOp(x, y)).results[0]
                zero = self.const(0, t).ssa
                k = constant_int(y)
                if k:  # a constant divisor: fix r < 0 (k > 0) or r > 0 (k < 0)
                    fix = self.emit(arith.CmpiOp(r, zero, "slt" if k > 0 else "sgt")).results[0]
                    return TV(self.emit(arith.SelectOp(fix, self.emit(arith.AddiOp(r, y)).results[0], r)).results[0],
                              t, weak)
                nz = self.emit(arith.CmpiOp(r, zero, "ne")).results[0]
                rneg = self.emit(arith.CmpiOp(r, zero, "slt")).results[0]
                yneg = self.emit(arith.CmpiOp(y, zero, "slt")).results[0]
                diff = self.emit(arith.CmpiOp(rneg, yneg, "ne")).results[0]
                radj = self.emit(arith.SelectOp(diff, self.emit(arith.AddiOp(r, y)).results[0], r)).results[0]
                return TV(self.emit(arith.SelectOp(nz, radj, r)).results[0], t, weak)
        raise self.err(KernelSyntaxError, f"operator in `{ast.unparse(node)}` is not supported", node)

    def signless(self, v: TV) -> SSAValue:
        """A u64 value's bits as a signless i64 (arith's operations take signless integers)."""
        from xdsl.dialects.builtin import UnrealizedConversionCastOp
        return self.emit(UnrealizedConversionCastOp.get([self.convert(v, U64).ssa], [I64.mlir()])).results[0]

    def from_signless(self, x: SSAValue, t: ScalarType, weak: bool = False) -> TV:
        """A signless i64 holding a u64 value, typed u64 again."""
        from xdsl.dialects.builtin import UnrealizedConversionCastOp
        return TV(self.emit(UnrealizedConversionCastOp.get([x], [t.mlir()])).results[0], t, weak)

    def u64_binop(self, op: ast.operator, a: TV, b: TV, node: ast.AST) -> TV:
        """`a op b` in uint64_t, as C++ computes it: wrapping +, -, *, <<; unsigned //, %, >> (divui,
        remui, shrui: Python's floor division and modulo agree with them on values >= 0)."""
        x, y = self.signless(a), self.signless(b)
        table = {ast.Add: arith.AddiOp, ast.Sub: arith.SubiOp, ast.Mult: arith.MuliOp, ast.BitAnd: arith.AndIOp,
                 ast.BitOr: arith.OrIOp, ast.BitXor: arith.XOrIOp, ast.LShift: arith.ShLIOp, ast.RShift: arith.ShRUIOp,
                 ast.FloorDiv: arith.DivUIOp, ast.Mod: arith.RemUIOp}
        if type(op) not in table:
            raise self.err(KernelSyntaxError, f"operator in `{ast.unparse(node)}` is not supported", node)
        if isinstance(op, (ast.FloorDiv, ast.Mod)):
            self.check_divisor(y, I64, node, "integer division or modulo by zero" if isinstance(op, ast.FloorDiv)
                               else "integer modulo by zero")
        return self.from_signless(self.emit(table[type(op)](x, y)).results[0], U64, a.weak and b.weak)

    def check_divisor(self, y: SSAValue, t: ScalarType, node: ast.AST, message: str) -> None:
        """`cf.assert y != 0` before an integer `//` or `%` (none for a non-zero constant divisor).

        The checkify idea: the Kokkos emitter turns the assert into a flag the kernel sets (and goes
        on with a defined value) and the launch turns into a ZeroDivisionError naming this file and
        line afterwards, where C++ would kill the process with SIGFPE. The message carries the
        location: "FILE:LINE:COL: ZeroDivisionError: MESSAGE" (docs/reliability.md)."""
        if constant_int(y):
            return
        nonzero = self.emit(arith.CmpiOp(y, self.const(0, t).ssa, "ne")).results[0]
        self.emit(cf.AssertOp(nonzero, f"{self.kernel.loc(node)}: ZeroDivisionError: {message}"))

    def float_floordiv_mod(self, x: SSAValue, y: SSAValue, t: ScalarType, floordiv: bool) -> SSAValue:
        """Python's float `x // y` or `x % y`, computed as CPython's float_floor_div / float_rem do:
        from fmod (arith.remf, exact), with the remainder given the divisor's sign and the quotient
        (x - mod) / y snapped to the nearest integer. floor(x / y) is wrong where x / y rounds up to
        an integer: 1.0 // 0.1 is 9.0, 3.0 % 0.1 is 0.0999... (docs/reliability.md).

        A zero divisor gives NumPy's answers (x // 0.0 is x / 0.0: ±inf, or nan for 0 and nan;
        x % 0.0 is nan) where Python raises ZeroDivisionError: kernels compute floats as NumPy does,
        with IEEE special values and no exceptions (as x / 0.0 gives inf)."""
        def op(o: Any) -> SSAValue:
            return self.emit(o).results[0]
        zero, one = self.const(0.0, t).ssa, self.const(1.0, t).ssa
        mod = op(RemFOp(x, y))  # C's fmod: the sign of x
        nonzero = op(arith.CmpfOp(mod, zero, "une"))  # CPython's `if (mod)`: nan counts as non-zero
        signs_differ = op(arith.CmpiOp(op(arith.CmpfOp(y, zero, "olt")), op(arith.CmpfOp(mod, zero, "olt")), "ne"))
        if not floordiv:
            # mod + y where the signs differ; a zero remainder takes the divisor's sign
            fixed = op(arith.SelectOp(signs_differ, op(arith.AddfOp(mod, y)), mod))
            return op(arith.SelectOp(nonzero, fixed, op(mmath.CopySignOp(zero, y))))
        div = op(arith.DivfOp(op(arith.SubfOp(x, mod)), y))  # (x - mod) / y: an integer, give or take
        div = op(arith.SelectOp(signs_differ, op(arith.SelectOp(nonzero, op(arith.SubfOp(div, one)), div)), div))
        floor = op(mmath.FloorOp(div))
        half = self.const(0.5, t).ssa
        snap = op(arith.CmpfOp(op(arith.SubfOp(div, floor)), half, "ogt"))
        snapped = op(arith.SelectOp(snap, op(arith.AddfOp(floor, one)), floor))
        quotient = op(arith.DivfOp(x, y))
        signed_zero = op(mmath.CopySignOp(zero, quotient))  # a zero quotient has the sign of x / y
        q = op(arith.SelectOp(op(arith.CmpfOp(div, zero, "une")), snapped, signed_zero))
        return op(arith.SelectOp(op(arith.CmpfOp(y, zero, "oeq")), quotient, q))  # NumPy: x // 0.0 is x / 0.0

    def power(self, a: TV, b: TV, node: ast.AST) -> TV:
        """x ** y: float powers through math.powf / fpowi, integer powers through math.ipowi."""
        assert isinstance(a.ty, ScalarType) and isinstance(b.ty, ScalarType)
        if a.ty.is_complex or b.ty.is_complex:
            return self.complex_power(a, b)
        if a.ty.is_float or b.ty.is_float:
            t = join_types(a, b)
            t = t if t.is_float else F64
            x = self.convert(a, t)
            if not b.ty.is_float:
                n = self.convert(b, I32)
                return TV(self.emit(mmath.FPowIOp(x.ssa, n.ssa)).results[0], t)
            y = self.convert(b, t)
            return TV(self.emit(mmath.PowFOp(x.ssa, y.ssa)).results[0], t)
        x, y = self.convert(a, I64), self.convert(b, I64)
        return TV(self.emit(mmath.IPowIOp(x.ssa, y.ssa)).results[0], I64)

    def complex_power(self, a: TV, b: TV) -> TV:
        """z ** w. A constant integer exponent (|n| <= 100) is computed by repeated squaring as NumPy
        does (exact for z ** 2, and 0j ** 2 is 0j, where exp(2 log 0) is nan); others are complex.pow."""
        t = join_types(a, b)
        n = constant_int(b.ssa) if isinstance(b.ty, ScalarType) and not b.ty.is_float and not b.ty.is_complex else None
        if n is None or abs(n) > 100:
            return self.complex_op(cplx.PowOp, a, b, ty=t)
        x = self.convert(a, t)
        result: TV | None = None
        k = abs(n)
        while k:
            if k & 1:
                result = x if result is None else self.complex_op(cplx.MulOp, result, x, ty=t)
            k >>= 1
            if k:
                x = self.complex_op(cplx.MulOp, x, x, ty=t)
        one = self.const(1, t)
        if result is None:
            return one
        return self.complex_op(cplx.DivOp, one, result, ty=t) if n < 0 else result

    def real_imag(self, v: TV, part: str) -> TV:
        """`z.real` / `z.imag` (complex.re / complex.im); a real number's are itself and 0 as in Python."""
        assert isinstance(v.ty, ScalarType)
        if v.ty.is_complex:
            op = cplx.ReOp(v.ssa) if part == "real" else cplx.ImOp(v.ssa)
            return TV(self.emit(op).results[0], v.ty.real_type, v.weak)
        return v if part == "real" else self.const(0, v.ty if not v.ty.is_bool else I64)

    def expr_BoolOp(self, node: ast.BoolOp) -> TV:
        result = self.as_bool(node.values[0])
        for rhs in node.values[1:]:
            result = self.short_circuit(result, rhs, isinstance(node.op, ast.And))
        return result

    def short_circuit(self, lhs: TV, rhs: ast.expr, is_and: bool) -> TV:
        """`lhs and rhs` / `lhs or rhs` evaluating rhs only when needed (it may index a view)."""
        if not any(isinstance(n, (ast.Subscript, ast.Call)) for n in ast.walk(rhs)):
            r = self.as_bool(rhs)
            op = arith.AndIOp(lhs.ssa, r.ssa) if is_and else arith.OrIOp(lhs.ssa, r.ssa)
            return TV(self.emit(op).results[0], BOOL)
        eval_block, const_block = Block(), Block()
        outer = self.block
        self.block = eval_block
        r = self.as_bool(rhs)
        self.emit(scf.YieldOp(r.ssa))
        self.block = const_block
        c = self.const(not is_and, BOOL)
        self.emit(scf.YieldOp(c.ssa))
        self.block = outer
        then_b, else_b = (eval_block, const_block) if is_and else (const_block, eval_block)
        op = self.emit(scf.IfOp(lhs.ssa, [BOOL.mlir()], Region(then_b), Region(else_b)))
        return TV(op.results[0], BOOL)

    def expr_Compare(self, node: ast.Compare) -> TV:
        left = self.scalar(node.left)
        result: TV | None = None
        for op, comp in zip(node.ops, node.comparators):
            right = self.scalar(comp)
            if type(op) not in CMPF:
                raise self.err(KernelSyntaxError, f"comparison `{ast.unparse(node)}` is not supported", node,
                               hint="use ==, !=, <, <=, >, >=")
            t = join_types(left, right)
            if t.is_complex:
                if not isinstance(op, (ast.Eq, ast.NotEq)):
                    raise self.err(KernelTypeError, f"`{ast.unparse(node)}`: complex numbers have no order", node,
                                   hint="compare abs(z), z.real or z.imag; == and != are defined")
                cls = cplx.EqualOp if isinstance(op, ast.Eq) else cplx.NotEqualOp
                c = TV(self.emit(cls(self.convert(left, t).ssa, self.convert(right, t).ssa)).results[0], BOOL)
                result = c if result is None else TV(self.emit(arith.AndIOp(result.ssa, c.ssa)).results[0], BOOL)
                left = right
                continue
            if t == U64:  # unsigned order: cmpi ult, ule, ...
                x, y = self.signless(left), self.signless(right)
                cmp = arith.CmpiOp(x, y, CMPI[type(op)].replace("s", "u", 1) if CMPI[type(op)][0] == "s"
                                   else CMPI[type(op)])
            else:
                x, y = self.convert(left, t).ssa, self.convert(right, t).ssa
                cmp = arith.CmpfOp(x, y, CMPF[type(op)]) if t.is_float else arith.CmpiOp(x, y, CMPI[type(op)])
            c = TV(self.emit(cmp).results[0], BOOL)
            result = c if result is None else TV(self.emit(arith.AndIOp(result.ssa, c.ssa)).results[0], BOOL)
            left = right
        assert result is not None
        return result

    def expr_IfExp(self, node: ast.IfExp) -> TV:
        cond = self.as_bool(node.test)
        outer = self.block
        blocks, vals = [], []
        for branch in (node.body, node.orelse):
            b = Block()
            self.block = b
            vals.append(self.scalar(branch))
            blocks.append(b)
        t = join_types(vals[0], vals[1])
        for b, v in zip(blocks, vals):
            self.block = b
            self.emit(scf.YieldOp(self.convert(v, t).ssa))
        self.block = outer
        op = self.emit(scf.IfOp(cond.ssa, [t.mlir()], Region(blocks[0]), Region(blocks[1])))
        return TV(op.results[0], t, vals[0].weak and vals[1].weak)

    # -- views ---------------------------------------------------------------------------------
    def subscript_target(self, node: ast.Subscript) -> tuple[TV, list[Any], ast.AST]:
        """Split `v[i][j]` or `v[i, j]` into the view and its index values (as `index`)."""
        idx_nodes: list[ast.expr] = []
        cur: ast.expr = node
        while isinstance(cur, ast.Subscript):
            sl = cur.slice
            parts = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
            idx_nodes = parts + idx_nodes
            cur = cur.value
        view = self.expr(cur)
        if not isinstance(view.ty, ViewType):
            raise self.err(KernelTypeError, f"`{ast.unparse(cur)}` is a {view.ty}, it cannot be indexed", node)
        if len(idx_nodes) != view.ty.rank:
            raise self.err(KernelTypeError, f"`{ast.unparse(cur)}` has rank {view.ty.rank} but is indexed with "
                           f"{len(idx_nodes)} indices", node, hint=f"write {view.ty.rank} indices, e.g. v[i, j]")
        for n in idx_nodes:
            if isinstance(n, ast.Slice):
                raise self.err(KernelSyntaxError, "slices are not supported inside kernels", n,
                               hint="index one element per iteration (v[i]); use a loop for ranges")
        indices = [self.to_index(self.as_int(n)) for n in idx_nodes]
        if isinstance(view.ty, LocalArrayType):  # constant indices are checked now (scratch.py)
            self.check_constant_indices(view, idx_nodes, indices, cur)  # type: ignore[attr-defined]
        if getattr(self, "check_bounds", False):
            self.check_indices(view, indices, cur, node)
        return view, indices, cur

    def check_indices(self, view: TV, indices: list[Any], name: ast.expr, node: ast.AST) -> None:
        """Debug mode: `cf.assert 0 <= i < extent` per dimension, reported like a ZeroDivisionError
        (the kernel goes on with the index clamped into the view; the launch raises an IndexError
        naming this line afterwards)."""
        zero = self.const_index(0)
        for d, idx in enumerate(indices):
            dim = self.emit(memref.DimOp(view.ssa, self.const_index(d))).results[0]
            ok = self.emit(arith.AndIOp(self.emit(arith.CmpiOp(idx, zero, "sge")).results[0],
                                        self.emit(arith.CmpiOp(idx, dim, "slt")).results[0])).results[0]
            where = f"dimension {d} of `{ast.unparse(name)}`"
            self.emit(cf.AssertOp(ok, f"{self.kernel.loc(node)}: IndexError: `{ast.unparse(node)}` is outside "
                                      f"{where}"))
            # In range afterwards even when the check failed: the kernel goes on, nothing is corrupted.
            last = self.emit(arith.SubiOp(dim, self.const_index(1))).results[0]
            clamped = self.emit(arith.MaxSIOp(zero, self.emit(arith.MinSIOp(idx, last)).results[0])).results[0]
            indices[d] = clamped

    def expr_Subscript(self, node: ast.Subscript) -> TV:
        view, indices, _ = self.subscript_target(node)
        assert isinstance(view.ty, ViewType)
        op = self.emit(memref.LoadOp.get(view.ssa, indices))
        return TV(op.results[0], view.ty.dtype)

    def extent(self, view: TV, dim_node: ast.expr, node: ast.AST) -> TV:
        """`v.extent(d)` with a constant d."""
        assert isinstance(view.ty, ViewType)
        if not (isinstance(dim_node, ast.Constant) and isinstance(dim_node.value, int)):
            raise self.err(KernelSyntaxError, "extent() needs a constant dimension", dim_node)
        d = dim_node.value
        if not 0 <= d < view.ty.rank:
            raise self.err(KernelTypeError, f"extent({d}) of a rank-{view.ty.rank} view", node)
        dim = self.emit(memref.DimOp(view.ssa, self.const_index(d)))
        return self.from_index(dim.results[0])

    def team_query(self, member: TV, what: str, node: ast.AST) -> TV:
        """team.league_rank() and friends."""
        from hpcir.dialects import kokkos
        ops = {"league_rank": kokkos.LeagueRankOp, "team_rank": kokkos.TeamRankOp,
               "team_size": kokkos.TeamSizeOp, "league_size": kokkos.LeagueSizeOp}
        op = self.emit(ops[what](member.ssa))
        return self.from_index(op.results[0])

    # -- casts and builtins --------------------------------------------------------------------
    def builtin_call(self, name: str, node: ast.Call) -> TV | None:
        """int/float/bool/abs/min/max/len; None if `name` is not one of them."""
        args = node.args
        if name in ("int", "float", "bool"):
            if len(args) != 1:
                raise self.err(KernelSyntaxError, f"{name}() takes one argument here", node)
            v = self.scalar(args[0])
            target = {"int": I64, "float": F64, "bool": BOOL}[name]
            if isinstance(v.ty, ScalarType) and v.ty.is_complex and name != "bool":
                raise self.err(KernelTypeError, f"{name}() of a {v.ty} value: the imaginary part would be lost", node,
                               hint=f"write {name}(z.real), {name}(z.imag) or {name}(abs(z))")
            if name == "float" and isinstance(v.ty, ScalarType) and v.ty == F32:
                target = F32
            return self.convert(v, target)
        if name == "complex":
            return self.complex_call(node)
        if name == "abs":
            v = self.scalar(args[0])
            assert isinstance(v.ty, ScalarType)
            if v.ty.is_complex:
                return TV(self.emit(cplx.AbsOp(v.ssa)).results[0], v.ty.real_type, v.weak)
            if v.ty.is_float:
                return TV(self.emit(mmath.AbsFOp(v.ssa)).results[0], v.ty, v.weak)
            if v.ty.is_unsigned:
                return v  # never negative
            v = self.convert(v, I64 if v.ty.is_bool else v.ty)
            return TV(self.emit(mmath.AbsIOp(v.ssa)).results[0], v.ty, v.weak)
        if name in ("min", "max"):
            if len(args) < 2:
                raise self.err(KernelSyntaxError, f"{name}() needs two or more numbers in kernels", node)
            acc = self.scalar(args[0])
            for a in args[1:]:
                b = self.scalar(a)
                if join_types(acc, b).is_complex:
                    raise self.err(KernelTypeError, f"{name}() of complex numbers: they have no order", node,
                                   hint=f"compare abs(z), z.real or z.imag: {name}(abs(a), abs(b))")
                t = join_types(acc, b)
                t = I64 if t.is_bool else t
                if t == U64:  # unsigned order, on the signless bits (maxui / minui)
                    x, y = self.signless(acc), self.signless(b)
                    op = arith.MinUIOp(x, y) if name == "min" else arith.MaxUIOp(x, y)
                    acc = self.from_signless(self.emit(op).results[0], U64, acc.weak and b.weak)
                    continue
                x, y = self.convert(acc, t).ssa, self.convert(b, t).ssa
                # Floats: NumPy's np.maximum / np.minimum, not Python's order-dependent max/min: a nan
                # argument gives nan whatever its position (arith.maximumf, IEEE 754-2019 maximum;
                # -0.0 < 0.0). It is commutative and associative, so a reduction written with
                # max/min gives np.max / np.min whatever the thread count (docs/reliability.md).
                if t.is_float:
                    op = arith.MinimumfOp(x, y) if name == "min" else arith.MaximumfOp(x, y)
                else:
                    op = arith.MinSIOp(x, y) if name == "min" else arith.MaxSIOp(x, y)
                acc = TV(self.emit(op).results[0], t, acc.weak and b.weak)
            return acc
        if name == "len":
            v = self.expr(args[0])
            if not isinstance(v.ty, ViewType):
                raise self.err(KernelTypeError, "len() needs a view", node)
            return self.extent(v, ast.Constant(0), node)
        return None

    def math_call(self, fname: str, node: ast.Call) -> TV:
        """A call to a function of Python's math module."""
        args = [self.scalar(a) for a in node.args]
        if any(isinstance(a.ty, ScalarType) and a.ty.is_complex for a in args):
            raise self.err(KernelTypeError, f"math.{fname} takes real numbers, not complex ones", node,
                           hint=f"use cmath.{fname} for complex arguments" if fname in CMATH_UNARY else
                                "take z.real, z.imag or abs(z) first")
        if fname in UNARY_MATH and len(args) == 1:
            a = args[0]
            assert isinstance(a.ty, ScalarType)
            t = a.ty if a.ty.is_float else F64
            r = TV(self.emit(UNARY_MATH[fname](self.convert(a, t).ssa)).results[0], t)
            return self.convert(r, I64) if fname in INT_RESULT_MATH else r
        if fname in BINARY_MATH and len(args) == 2:
            t = join_types(*args)
            t = t if t.is_float else F64
            x, y = (self.convert(a, t).ssa for a in args)
            return TV(self.emit(BINARY_MATH[fname](x, y)).results[0], t)
        if fname == "fma" and len(args) == 3:
            t = F64 if any(a.ty == F64 for a in args) else join_types(args[0], args[1])
            t = t if t.is_float else F64
            x, y, z = (self.convert(a, t).ssa for a in args)
            return TV(self.emit(mmath.FmaOp(x, y, z)).results[0], t)
        if fname in ("isnan", "isinf", "isfinite") and len(args) == 1:
            x = self.convert(args[0], args[0].ty if args[0].ty.is_float else F64)  # type: ignore[union-attr]
            if fname == "isnan":
                return TV(self.emit(arith.CmpfOp(x.ssa, x.ssa, "uno")).results[0], BOOL)
            a = self.emit(mmath.AbsFOp(x.ssa)).results[0]
            inf = self.const(pymath.inf, x.ty).ssa  # type: ignore[arg-type]
            pred = "oeq" if fname == "isinf" else "olt"
            return TV(self.emit(arith.CmpfOp(a, inf, pred)).results[0], BOOL)
        raise self.err(KernelSyntaxError, f"math.{fname} with {len(args)} arguments is not supported in kernels",
                       node, hint=f"supported: {', '.join(sorted(list(UNARY_MATH) + list(BINARY_MATH) + ['fma', 'isnan', 'isinf', 'isfinite']))}")



    def complex_call(self, node: ast.Call) -> TV:
        """complex(re[, im]) of real numbers: complex64 when both parts are float32 (as float() keeps
        float32 here), else complex128 as Python's complex()."""
        if not 1 <= len(node.args) <= 2:
            raise self.err(KernelSyntaxError, "complex() takes a real part and an optional imaginary part here",
                           node)
        parts = [self.scalar(a, "an argument of complex()") for a in node.args]
        if len(parts) == 1 and isinstance(parts[0].ty, ScalarType) and parts[0].ty.is_complex:
            return parts[0]
        for a, p in zip(node.args, parts):
            if isinstance(p.ty, ScalarType) and p.ty.is_complex:
                raise self.err(KernelTypeError, "complex(re, im) takes real parts here", a,
                               hint="write re + 1j * im for complex parts")
        typed = [p.ty for p in parts if not p.weak]
        t = complex_of(F32) if typed and all(ty == F32 for ty in typed) else C128
        re = self.convert(parts[0], t.real_type)
        im = self.convert(parts[1], t.real_type) if len(parts) == 2 else self.const(0.0, t.real_type)
        return TV(self.emit(cplx.CreateOp(re.ssa, im.ssa, t.mlir())).results[0], t, all(p.weak for p in parts))

    def cmath_call(self, fname: str, node: ast.Call) -> TV:
        """A call to a function of Python's cmath module (a real argument is made complex)."""
        args = [self.scalar(a) for a in node.args]
        if len(args) != 1 or not (fname in CMATH_UNARY or fname in ("phase", "isnan", "isinf", "isfinite")):
            raise self.err(KernelSyntaxError, f"cmath.{fname} with {len(args)} arguments is not supported in kernels",
                           node, hint=f"supported: {', '.join(sorted(list(CMATH_UNARY) + ['phase', 'isnan', 'isinf', 'isfinite']))} "
                                      "(one argument), abs(z), z.real, z.imag, z.conjugate()")
        a = args[0]
        assert isinstance(a.ty, ScalarType)
        t = a.ty if a.ty.is_complex else complex_of(a.ty)
        z = self.convert(a, t)
        if fname == "phase":
            return TV(self.emit(cplx.AngleOp(z.ssa)).results[0], t.real_type)
        if fname in ("isnan", "isinf", "isfinite"):  # cmath's: nan if either part is, inf if either part is
            re, im = self.real_imag(z, "real"), self.real_imag(z, "imag")
            if fname == "isnan":
                f = [self.emit(arith.CmpfOp(p.ssa, p.ssa, "uno")).results[0] for p in (re, im)]
                return TV(self.emit(arith.OrIOp(*f)).results[0], BOOL)
            inf = self.const(pymath.inf, t.real_type).ssa
            pred = "oeq" if fname == "isinf" else "olt"
            f = [self.emit(arith.CmpfOp(self.emit(mmath.AbsFOp(p.ssa)).results[0], inf, pred)).results[0]
                 for p in (re, im)]
            both = arith.OrIOp(*f) if fname == "isinf" else arith.AndIOp(*f)
            return TV(self.emit(both).results[0], BOOL)
        return TV(self.emit(CMATH_UNARY[fname](z.ssa)).results[0], t)

    def conjugate(self, v: TV) -> TV:
        """`z.conjugate()` (complex.conj); a real number's is itself, as in Python."""
        assert isinstance(v.ty, ScalarType)
        if not v.ty.is_complex:
            return v
        return TV(self.emit(cplx.ConjOp(v.ssa)).results[0], v.ty, v.weak)
