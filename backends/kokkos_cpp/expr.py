"""arith / math / memref ops -> C++ expressions and statements."""
from __future__ import annotations

import math

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import (DYNAMIC_INDEX, NoneAttr, DenseArrayBase, FloatAttr, IntegerAttr, IntegerType, MemRefType)
from xdsl.ir import Attribute, Operation, SSAValue

from hpcir.core.errors import HpcirError, UnsupportedOpError

from . import units
from .context import FunctionEmitter, handles, prop
from .slots import declaring_store
from .types import cpp_type, scalar_key

# ---------------------------------------------------------------------------------------------
# literals


def literal(value: int | float | bool, ty: Attribute) -> str:
    """A C++ literal of the given MLIR scalar type that round-trips exactly."""
    key = scalar_key(ty)
    if key == "i1":
        return "true" if int(value) != 0 else "false"
    if key in ("f64", "f32"):
        x = float(value)
        if math.isinf(x):
            return f"{'-' if x < 0 else ''}hpcir::infinity<{cpp_type(ty)}>()"
        if math.isnan(x):  # bit-exact: NaN payloads survive
            bits = np.array([x], dtype=np.float64 if key == "f64" else np.float32).view(
                np.int64 if key == "f64" else np.int32)[0]
            itype = "int64_t" if key == "f64" else "int32_t"
            return f"hpcir::bit_cast<{cpp_type(ty)}>({itype}({int(bits)}))"
        text = repr(x) if key == "f64" else str(np.float32(x))
        if "e" not in text and "." not in text:
            text += ".0"
        return text + ("f" if key == "f32" else "")
    v = int(value)
    width = 64 if key in ("i64", "index") else int(key[1:])
    v = (v + (1 << (width - 1))) % (1 << width) - (1 << (width - 1))  # signless -> two's complement
    ctype = cpp_type(ty)
    if v == -(1 << 63):
        return "(-9223372036854775807LL - 1)"
    return f"{ctype}({v}LL)" if width == 64 else f"{ctype}({v})"


@handles("arith.constant")
def _constant(em: FunctionEmitter, op: Operation) -> None:
    attr = prop(op, "value")
    res = op.results[0]
    if isinstance(attr, IntegerAttr):
        em.bind_literal(res, literal(attr.value.data, res.type))
        if scalar_key(res.type) in ("i64", "index", "i32"):
            width = 32 if scalar_key(res.type) == "i32" else 64
            v = (int(attr.value.data) + (1 << (width - 1))) % (1 << width) - (1 << (width - 1))
            if v != -(1 << 63):
                em.mod.int_value[res] = v
    elif isinstance(attr, FloatAttr):
        em.bind_literal(res, literal(attr.value.data, res.type))
    else:
        raise UnsupportedOpError(f"arith.constant of {attr} is not supported by the Kokkos C++ emitter",
                                 hint="only scalar integer and float constants can appear in kernels")


# ---------------------------------------------------------------------------------------------
# arith

# Infix operators and their C++ precedence (left-associative).
_INFIX = {"arith.addi": ("+", 6), "arith.addf": ("+", 6), "arith.subi": ("-", 6), "arith.subf": ("-", 6),
          "arith.muli": ("*", 5), "arith.mulf": ("*", 5), "arith.divf": ("/", 5), "arith.divsi": ("/", 5),
          "arith.remsi": ("%", 5)}
# Signed division by 0 or -1, or by a divisor a run-time check guards (the frontend's `y != 0`
# before a kernel's `%`: after a failed check the kernel goes on), goes through a helper that
# cannot trap (prelude); other divisors (a pass's tile counts) keep the C++ operator.
_SIGNED_DIV = {"arith.divsi": "hpcir::divsi({a}, {b})", "arith.remsi": "hpcir::remsi({a}, {b})"}


def _checked(v: SSAValue) -> bool:
    """Is `v` compared in a cf.assert's condition (a divisor that may be 0 once the check failed)?"""
    return any(u.operation.name == "arith.cmpi" and any(w.operation.name == "cf.assert" for w in u.operation.results[0].uses)
               for u in v.uses)

_BINARY = {
    "arith.divui": "static_cast<{T}>(hpcir::u({a}) / hpcir::u({b}))",
    "arith.remui": "static_cast<{T}>(hpcir::u({a}) % hpcir::u({b}))",
    "arith.floordivsi": "hpcir::floordiv({a}, {b})", "arith.ceildivsi": "hpcir::ceildiv({a}, {b})",
    "arith.ceildivui": "hpcir::ceildivu({a}, {b})",
    "arith.remf": "hpcir::kmath::fmod({a}, {b})",
    "arith.andi": "static_cast<{T}>({a} & {b})", "arith.ori": "static_cast<{T}>({a} | {b})",
    "arith.xori": "static_cast<{T}>({a} ^ {b})",
    "arith.shli": "static_cast<{T}>(hpcir::u({a}) << {b})", "arith.shrsi": "static_cast<{T}>({a} >> {b})",
    "arith.shrui": "static_cast<{T}>(hpcir::u({a}) >> {b})",
    "arith.maxsi": "({a} > {b} ? {a} : {b})", "arith.minsi": "({a} < {b} ? {a} : {b})",
    "arith.maxui": "(hpcir::u({a}) > hpcir::u({b}) ? {a} : {b})",
    "arith.minui": "(hpcir::u({a}) < hpcir::u({b}) ? {a} : {b})",
    "arith.maximumf": "hpcir::maximumf({a}, {b})", "arith.minimumf": "hpcir::minimumf({a}, {b})",
    "arith.maxnumf": "hpcir::kmath::fmax({a}, {b})", "arith.minnumf": "hpcir::kmath::fmin({a}, {b})",
    "math.atan2": "hpcir::kmath::atan2({a}, {b})", "math.powf": "hpcir::kmath::pow({a}, {b})",
    "math.copysign": "hpcir::copysign({a}, {b})", "math.fpowi": "hpcir::fpowi({a}, {b})",
    "math.ipowi": "hpcir::ipowi({a}, {b})",
}

# Templates whose operands are only whole function arguments (written as they are).
_CALL_ARGS = {"arith.divui", "arith.remui", "arith.floordivsi", "arith.ceildivsi", "arith.ceildivui", "arith.remf",
              "arith.maximumf", "arith.minimumf", "arith.maxnumf", "arith.minnumf", "math.atan2", "math.powf",
              "math.copysign", "math.fpowi", "math.ipowi"}

# Comparisons: (operator, precedence, unsigned).
_CMPI = {"eq": ("==", 10, False), "ne": ("!=", 10, False), "slt": ("<", 9, False), "sle": ("<=", 9, False),
         "sgt": (">", 9, False), "sge": (">=", 9, False), "ult": ("<", 9, True), "ule": ("<=", 9, True),
         "ugt": (">", 9, True), "uge": (">=", 9, True)}
_CMPI_ORDER = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
# C++ relational operators are false on NaN, exactly the "ordered" predicates (and != the une one).
_CMPF_INFIX = {1: ("==", 10), 2: (">", 9), 3: (">=", 9), 4: ("<", 9), 5: ("<=", 9), 13: ("!=", 10)}
_CMPF = ["false", "", "", "", "", "", "({a} < {b} || {a} > {b})", "({a} == {a} && {b} == {b})",
         "!({a} < {b} || {a} > {b})", "!({a} <= {b})", "!({a} < {b})", "!({a} >= {b})", "!({a} > {b})", "",
         "({a} != {a} || {b} != {b})", "true"]


def _args(em: FunctionEmitter, op: Operation) -> list[str]:
    return [em.get(v) for v in op.operands]


def _infix_operand(em: FunctionEmitter, v, other, prec: int, sign: str, right: bool = False) -> str:
    """An operand of an infix operator; an integer constant beside a variable of its C++ type is
    written plainly (`i + 1`: the usual conversions give that type)."""
    k = em.mod.int_value.get(v)
    if k is not None and other not in em.literals and em.ctype(other) == em.ctype(v):
        return str(k)
    return em.operand(v, prec, right=right, sign=sign)


def _infix(em: FunctionEmitter, op: Operation, sign: str, prec: int) -> None:
    a, b = op.operands
    k = em.mod.int_value.get(b)
    if sign in ("+", "-") and k is not None and -(1 << 31) < k < 0 and a not in em.literals \
            and em.ctype(a) == em.ctype(b):
        sign, rest = ("-" if sign == "+" else "+"), str(-k)  # i + -1 is i - 1
    else:
        rest = _infix_operand(em, b, a, prec, sign, right=True)
    res = op.results[0]
    em.value(op, res, f"{_infix_operand(em, a, b, prec, sign)} {sign} {rest}", prec)
    if res in em.mod.prec:  # written into its use: `x = x + r` may read `x += r`
        em.mod.infix[res] = (sign, a, rest)


@handles(*_INFIX)
def _arith_infix(em: FunctionEmitter, op: Operation) -> None:
    k = em.mod.int_value.get(op.operands[1])
    if op.name in _SIGNED_DIV and (k in (0, -1) or (k is None and _checked(op.operands[1]))):
        a, b = (em.expr(v) for v in op.operands)
        em.value(op, op.results[0], _SIGNED_DIV[op.name].format(a=a, b=b))
        return
    _infix(em, op, *_INFIX[op.name])


@handles(*_BINARY)
def _binary(em: FunctionEmitter, op: Operation) -> None:
    a, b = [em.expr(v) for v in op.operands] if op.name in _CALL_ARGS else _args(em, op)
    res = op.results[0]
    em.value(op, res, _BINARY[op.name].format(a=a, b=b, T=cpp_type(res.type)))


def _predicate(op: Operation) -> int:
    attr = prop(op, "predicate")
    if not isinstance(attr, IntegerAttr):
        raise HpcirError(f"{op.name} without an integer predicate")
    return attr.value.data


@handles("arith.cmpi")
def _cmpi(em: FunctionEmitter, op: Operation) -> None:
    sign, prec, unsigned = _CMPI[_CMPI_ORDER[_predicate(op)]]
    if not unsigned:
        _infix(em, op, sign, prec)
        return
    a, b = [em.expr(v) for v in op.operands]
    em.value(op, op.results[0], f"hpcir::u({a}) {sign} hpcir::u({b})", prec)


@handles("arith.cmpf")
def _cmpf(em: FunctionEmitter, op: Operation) -> None:
    pred = _predicate(op)
    if pred in _CMPF_INFIX:
        _infix(em, op, *_CMPF_INFIX[pred])
        return
    a, b = _args(em, op)
    em.value(op, op.results[0], _CMPF[pred].format(a=a, b=b))


def cpp_string(text: str) -> str:
    """A C++ string literal of `text` (quotes, backslashes and non-printable bytes escaped)."""
    out = []
    for b in text.encode():
        c = chr(b)
        out.append("\\" + c if c in '"\\' else c if 32 <= b < 127 and c != "?" else f"\\{b:03o}")
    return '"' + "".join(out) + '"'


@handles("cf.assert")
def _assert(em: FunctionEmitter, op: Operation) -> None:
    """A run-time check (the frontend's `y != 0` before an integer division): in a kernel it sets the
    launch's check flag (hpcir::check_flag in the prelude: the launch throws afterwards), in host
    code it throws hpcir::check_failed at once. The text is "FILE:LINE:COL: ZeroDivisionError: ..."."""
    cond = op.operands[0]
    text = prop(op, "msg").data
    if _checked_earlier(op):  # `i // m + i % m`: the first check of `m` is the one that can fail
        return
    owner = cond.owner
    if isinstance(owner, Operation) and owner.name == "arith.cmpi" and cond in em.mod.prec \
            and _CMPI_ORDER[_predicate(owner)] in ("eq", "ne"):
        a, b = owner.operands  # `if (d == 0)` rather than `if (!(d != 0))`
        sign = "==" if _CMPI_ORDER[_predicate(owner)] == "ne" else "!="
        failed = f"{_infix_operand(em, a, b, 10, sign)} {sign} {_infix_operand(em, b, a, 10, sign, right=True)}"
    else:
        failed = f"!{em.operand(cond, 3, right=True)}"
    if not em.device:
        em.line(f"if ({failed}) throw hpcir::check_failed({cpp_string(text)});")
        return
    if not em.mod.check_flag:
        raise UnsupportedOpError("cf.assert in a device function",
                                 hint="checks are supported inside kernels (launch bodies) and host code")
    em.mod.checks.append(text)
    em.line(f"if ({failed}) {em.mod.check_flag}.fail({len(em.mod.checks)});  // {_comment(text)}")


def _checked_earlier(op: Operation) -> bool:
    """Does a cf.assert of the same condition come before `op` in its block or an enclosing one
    (within its function or launch body)?"""
    cond, cur = op.operands[0], op
    while cur is not None:
        prev = cur.prev_op
        while prev is not None:
            if prev.name == "cf.assert" and prev.operands[0] is cond:
                return True
            prev = prev.prev_op
        cur = cur.parent_op()
        if cur is None or cur.name.startswith("kokkos.parallel_") or cur.name == "func.func":
            return False
    return False


def _comment(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 and c != "\\" else "?" for c in text)  # no line-continuing \\


@handles("arith.select")
def _select(em: FunctionEmitter, op: Operation) -> None:
    c, a, b = (em.operand(v, 15) for v in op.operands)
    em.value(op, op.results[0], f"{c} ? {a} : {b}", 16)


@handles("arith.negf")
def _negf(em: FunctionEmitter, op: Operation) -> None:
    em.value(op, op.results[0], f"-{em.operand(op.operands[0], 3, right=True)}", 3)


def _is_i1(ty: Attribute) -> bool:
    return isinstance(ty, IntegerType) and ty.width.data == 1


def _captured_expression(em: FunctionEmitter, op: Operation, res: SSAValue, x: str) -> bool:
    """Is `res` an expression (not a variable or literal) used inside a launch that `op` is outside of?"""
    if x.isidentifier() or op.operands[0] in em.literals:
        return False
    for u in res.uses:
        p = u.operation.parent_op()
        while p is not None and p is not op.parent_op():
            if p.name.startswith("kokkos.parallel_"):
                return True
            p = p.parent_op()
    return False


@handles("arith.index_cast", "arith.index_castui", "arith.sitofp", "arith.fptosi", "arith.fptoui", "arith.extf",
         "arith.truncf", "arith.extsi", "arith.extui", "arith.trunci", "arith.uitofp", "arith.bitcast")
def _cast(em: FunctionEmitter, op: Operation) -> None:
    src, res = op.operands[0], op.results[0]
    x, to = em.expr(src), cpp_type(res.type)
    if op.name == "arith.bitcast":
        expr = f"hpcir::bit_cast<{to}>({x})"
    elif op.name == "arith.trunci" and _is_i1(res.type):
        expr = f"static_cast<bool>({em.get(src)} & 1)"
    elif op.name == "arith.extsi" and _is_i1(src.type):
        expr = f"static_cast<{to}>({em.get(src)} ? -1 : 0)"
    elif op.name in ("arith.extui", "arith.uitofp", "arith.index_castui"):
        expr = f"static_cast<{to}>(hpcir::u({x}))"
    elif op.name == "arith.fptoui":  # through the unsigned type: a double >= 2^63 has no int64_t value
        expr = f"static_cast<{to}>(static_cast<std::make_unsigned_t<{to}>>({x}))"
    else:
        expr = f"static_cast<{to}>({x})"
    if cpp_type(src.type) == to and op.name != "arith.bitcast":
        if _captured_expression(em, op, res, x):  # a functor member needs a name, not an expression
            em.define(res, x)
            return
        em.same_value(res, src)  # index <-> i64 casts are the identity in C++
        return
    em.value(op, res, expr)


# ---------------------------------------------------------------------------------------------
# math

_UNARY_KOKKOS = {"absf": "fabs", "sqrt": "sqrt", "cbrt": "cbrt", "exp": "exp", "exp2": "exp2", "expm1": "expm1",
                 "log": "log", "log10": "log10", "log2": "log2", "log1p": "log1p", "sin": "sin", "cos": "cos",
                 "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh",
                 "tanh": "tanh", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "erf": "erf",
                 "erfc": "erfc", "ceil": "ceil", "floor": "floor", "trunc": "trunc"}
_UNARY_OURS = {"round": "round", "roundeven": "roundeven", "rsqrt": "rsqrt", "absi": "absi", "ctlz": "ctlz",
               "cttz": "cttz", "ctpop": "ctpop"}


@handles(*(f"math.{n}" for n in list(_UNARY_KOKKOS) + list(_UNARY_OURS)))
def _math_unary(em: FunctionEmitter, op: Operation) -> None:
    short = op.name.split(".", 1)[1]
    fn = f"hpcir::kmath::{_UNARY_KOKKOS[short]}" if short in _UNARY_KOKKOS else f"hpcir::{_UNARY_OURS[short]}"
    em.value(op, op.results[0], f"{fn}({em.expr(op.operands[0])})")


@handles("math.fma")
def _fma(em: FunctionEmitter, op: Operation) -> None:
    a, b, c = [em.expr(v) for v in op.operands]
    em.value(op, op.results[0], f"hpcir::fma({a}, {b}, {c})")


# ---------------------------------------------------------------------------------------------
# memref


def _indices(em: FunctionEmitter, values) -> str:
    return ", ".join(em.expr(v) for v in values)


def _slot_unchanged_until_used(load: Operation) -> bool:
    """Does the variable a load of a scalar slot reads keep its value until every use of the load?

    True when no op between the load and its last use (in the load's block, nested regions
    included) stores to the slot or uses it otherwise: the load can then read the variable itself."""
    slot, block = load.operands[0], load.parent_block()
    pending = set()
    for use in load.results[0].uses:
        user = use.operation
        while user is not None and user.parent_block() is not block:
            user = user.parent_op()
        if user is None:
            return False
        pending.add(user)
    op = load.next_op
    while pending and op is not None:
        for inner in op.walk():
            if any(v is slot for v in inner.operands) and inner.name != "memref.load":
                return False
        pending.discard(op)
        op = op.next_op
    return not pending


@handles("memref.load")
def _load(em: FunctionEmitter, op: Operation) -> None:
    m, *idx = op.operands
    if m in em.mod.scalar_slots:
        if op.results[0].name_hint is None and _slot_unchanged_until_used(op):
            em.bind(op.results[0], em.get(m))  # read the variable itself, no copy
            em.mod.reads_since[op.results[0]] = op
        else:
            em.define(op.results[0], em.get(m))
        return
    if m in em.mod.c_arrays:
        em.value(op, op.results[0], f"{em.get(m)}{_c_indices(em, idx)}")
        return
    em.value(op, op.results[0], f"{em.get(m)}({_indices(em, idx)})")


def _c_indices(em: FunctionEmitter, idx: list) -> str:
    """`[i][j]`: the subscripts of a C array."""
    return "".join(f"[{em.expr(i)}]" for i in idx)


def _only_indexed(res: SSAValue) -> bool:
    """Every use of a memref loads, stores or asks an extent (no view is needed to pass it on)."""
    for u in res.uses:
        name = u.operation.name
        if not ((name == "memref.load" and u.index == 0) or (name == "memref.store" and u.index == 1)
                or (name == "memref.dim" and u.index == 0)):
            return False
    return True


def _const_index(v: SSAValue) -> int | None:
    o = v.owner
    return o.value.value.data if isinstance(o, arith.ConstantOp) and isinstance(o.value, IntegerAttr) else None


def _zero_fill(arr: SSAValue, alloca: Operation) -> Operation | None:
    """The `scf.for` nest that stores 0 into every element of `arr` when it is the first op of the
    alloca's block to touch `arr` (the frontend's `hpcir.local` fill at the kernel's top level)."""
    op = alloca.next_op
    while op is not None and not any(v is arr for o in op.walk() for v in o.operands):
        op = op.next_op
    cur, ivs = op, []
    for extent in arr.type.get_shape():  # a perfect nest: for i0 in [0, n0), for i1 in [0, n1), ...
        if cur is None or cur.name != "scf.for" or [_const_index(v) for v in cur.operands[:3]] != [0, extent, 1]:
            return None
        block = cur.regions[0].block
        body = list(block.ops)
        if len(block.args) != 1 or len(body) != 2 or body[-1].name != "scf.yield":
            return None
        ivs.append(block.args[0])
        cur = body[0]
    if cur is None or cur.name != "memref.store" or cur.operands[1] is not arr or list(cur.operands[2:]) != ivs:
        return None
    value = cur.operands[0].owner
    if not (isinstance(value, arith.ConstantOp) and isinstance(value.value, (IntegerAttr, FloatAttr))):
        return None
    v = value.value.value.data
    return op if v == 0 and not (isinstance(v, float) and str(v).startswith("-")) else None


@handles("memref.store")
def _store(em: FunctionEmitter, op: Operation) -> None:
    v, m, *idx = op.operands
    if m in em.mod.scalar_slots:
        decl = em.mod.declared_by.get(op)
        em.line(f"{decl} {em.get(m)} = {em.expr(v)};" if decl else em.assignment(em.get(m), v))
        return
    if m in em.mod.c_arrays:
        em.line(em.assignment(f"{em.get(m)}{_c_indices(em, idx)}", v))
        return
    em.line(em.assignment(f"{em.get(m)}({_indices(em, idx)})", v))


@handles("memref.dim")
def _dim(em: FunctionEmitter, op: Operation) -> None:
    m, k = op.operands
    if m in em.mod.c_arrays:  # a C array's extents are its static shape
        shape = m.type.get_shape()
        d = k.owner.value.value.data if isinstance(k.owner, arith.ConstantOp) else None
        if d is None:
            raise UnsupportedOpError("memref.dim of a local array with a non-constant dimension",
                                     hint="ask the extent of a constant dimension")
        em.bind_literal(op.results[0], f"int64_t({shape[d]})")
        return
    em.value(op, op.results[0], f"static_cast<int64_t>({em.get(m)}.extent({em.expr(k)}))")


@handles("memref.rank")
def _rank(em: FunctionEmitter, op: Operation) -> None:
    em.bind_literal(op.results[0], f"int64_t({len(op.operands[0].type.get_shape())})")


# MLIR 22 arith::AtomicRMWKind values (printed as integers in generic form).
_ATOMIC = {0: "atomic_fetch_add", 1: "atomic_fetch_add", 2: "atomic_fetch_and", 3: "atomic_exchange",
           4: "atomic_fetch_max", 5: "atomic_fetch_max", 6: "atomic_fetch_max", 8: "atomic_fetch_min",
           9: "atomic_fetch_min", 10: "atomic_fetch_min", 12: "atomic_fetch_mul", 13: "atomic_fetch_mul",
           14: "atomic_fetch_or", 15: "atomic_fetch_xor"}


@handles("memref.atomic_rmw")
def _atomic(em: FunctionEmitter, op: Operation) -> None:
    value, m, *idx = op.operands
    kind = prop(op, "kind")
    k = kind.value.data if isinstance(kind, IntegerAttr) else -1
    if k not in _ATOMIC:
        raise UnsupportedOpError(f"memref.atomic_rmw kind {k} (unsigned min/max) has no Kokkos atomic",
                                 hint="use signed integers (maxs/mins) or floats")
    em.define(op.results[0], f"Kokkos::{_ATOMIC[k]}(&{em.get(m)}({_indices(em, idx)}), {em.expr(value)})")


@handles("builtin.unrealized_conversion_cast")
def _reinterpret(em: FunctionEmitter, op: Operation) -> None:
    """The frontend's unsigned <-> signless integer of one width (the same bits): a C++ conversion,
    modular in both directions."""
    if len(op.operands) != 1 or len(op.results) != 1:
        raise UnsupportedOpError("builtin.unrealized_conversion_cast with several values")
    em.value(op, op.results[0], f"static_cast<{cpp_type(op.results[0].type)}>({em.expr(op.operands[0])})")


@handles("kokkos.atomic_fetch")
def _atomic_fetch(em: FunctionEmitter, op: Operation) -> None:
    """Kokkos::atomic_fetch_div / _mod / _lshift / _rshift (a statement when the old value is unused)."""
    value, m, *idx = op.operands
    kind = prop(op, "kind").data
    target = f"&{em.get(m)}({_indices(em, idx)})"
    if op.results[0].uses:
        em.define(op.results[0], f"Kokkos::atomic_fetch_{kind}({target}, {em.expr(value)})")
    else:
        em.line(f"Kokkos::atomic_fetch_{kind}({target}, {em.expr(value)});")


def _static_shape(ty: MemRefType) -> list[int]:
    return list(ty.get_shape())


@handles("memref.alloc", "memref.alloca")
def _alloc(em: FunctionEmitter, op: Operation) -> None:
    res = op.results[0]
    ty = res.type
    dyn = iter(em.expr(v) for v in op.operands)
    sizes = [next(dyn) if d == DYNAMIC_INDEX else str(d) for d in _static_shape(ty)]
    name = em.fresh(res.name_hint, "buf")
    if op.name == "memref.alloca" and not _static_shape(ty) and isinstance(ty.memory_space, NoneAttr):
        # A rank-0 stack slot (a frontend's mutable local): a plain C++ variable, host or device,
        # declared at its first assignment in the innermost scope that uses it (slots.py; const if
        # never assigned again), else here.
        em.mod.scalar_slots.add(res)
        em.bind(res, name)
        first = declaring_store(res, op)
        if first is None:
            em.line(f"{cpp_type(ty.element_type)} {name}{{}};")
        else:
            once = sum(u.operation.name == "memref.store" for u in res.uses) == 1
            em.mod.declared_by[first] = f"{'const ' if once else ''}{cpp_type(ty.element_type)}"
        return
    if em.device:
        # Device code cannot allocate: a statically sized local array behind an unmanaged view.
        if any(d == DYNAMIC_INDEX for d in _static_shape(ty)):
            raise UnsupportedOpError(f"{op.name} with dynamic sizes inside a kernel",
                                     hint="use a static shape, or kokkos.scratch_alloc in a team kernel")
        if op.name == "memref.alloca" and _only_indexed(res) and isinstance(ty.memory_space, NoneAttr):
            # A local array of the kernel language (hpcir.local): a plain C array on the thread's stack,
            # zero-initialised in its declaration when the first thing done with it is a zero fill.
            fill = _zero_fill(res, op)
            if fill is not None:
                em.mod.elided.update(fill.walk())
            em.line(f"{cpp_type(ty.element_type)} {name}{''.join(f'[{d}]' for d in _static_shape(ty))}"
                    f"{' = {}' if fill is not None else ''};")
            em.mod.c_arrays.add(res)
            em.bind(res, name)
            return
        total = max(1, math.prod(_static_shape(ty)))
        em.line(f"{cpp_type(ty.element_type)} {name}_data[{total}];")
        em.line(f"const {em.ctype(res)} {name}({name}_data{''.join(', ' + s for s in sizes)});")
    elif "hpcir.workspace" in op.attributes:
        # Planned by kokkos-workspace: allocated on the first call and kept (hpcir::workspace, prelude);
        # the lock, held to the end of the host program, keeps concurrent calls off each other's temporaries.
        vt, nbytes = em.ctype(res), "*".join(sizes)
        em.line(f"static hpcir::workspace<typename {vt}::memory_space> {name}_store;")
        em.line(f"const std::lock_guard<std::mutex> {name}_lock({name}_store.lock);")
        em.line(f"const {vt} {name}({name}_store.get<typename {vt}::value_type>({nbytes}), {nbytes});")
    else:
        # memref.alloc promises no initial values: skip Kokkos' zero-fill (a launch per temporary).
        em.line(f"const {em.ctype(res)} {name}(Kokkos::view_alloc(Kokkos::WithoutInitializing, \"{name}\")"
                f"{''.join(', ' + s for s in sizes)});")
    em.bind(res, name)


@handles("memref.view")
def _view(em: FunctionEmitter, op: Operation) -> None:
    # A typed view at a byte offset of a workspace (kokkos-workspace): unmanaged, the workspace owns the memory.
    src, shift, *dyn_sizes = op.operands
    res = op.results[0]
    dyn = iter(em.expr(v) for v in dyn_sizes)
    sizes = [next(dyn) if d == DYNAMIC_INDEX else str(d) for d in _static_shape(res.type)]
    ptr = f"reinterpret_cast<{cpp_type(res.type.element_type)}*>({em.get(src)}.data() + {em.expr(shift)})"
    name = em.fresh(res.name_hint, "buf")
    em.line(f"const {em.ctype(res)} {name}({ptr}{''.join(', ' + s for s in sizes)});")
    em.bind(res, name)


@handles("memref.dealloc")
def _dealloc(em: FunctionEmitter, op: Operation) -> None:
    em.line(f"// {em.get(op.operands[0])} is released when its last View goes out of scope")


@handles("memref.cast", "memref.memory_space_cast")
def _cast_view(em: FunctionEmitter, op: Operation) -> None:
    src, res = op.operands[0], op.results[0]
    if em.ctype(src) == em.ctype(res):
        em.bind(res, em.get(src))
    else:
        em.define(res, em.get(src))


@handles("memref.copy")
def _copy(em: FunctionEmitter, op: Operation) -> None:
    src, dst = op.operands
    em.line(units.copy_line(em, dst, src))


def _dense(attr: Attribute) -> list[int]:
    assert isinstance(attr, DenseArrayBase)
    return list(attr.get_values())


@handles("memref.subview")
def _subview(em: FunctionEmitter, op: Operation) -> None:
    src, res = op.operands[0], op.results[0]
    props = op.properties
    dyn_off = iter(em.get(v) for v in op.offsets)
    dyn_size = iter(em.get(v) for v in op.sizes)
    s_off, s_size, s_stride = _dense(props["static_offsets"]), _dense(props["static_sizes"]), \
        _dense(props["static_strides"])
    if any(s != 1 for s in s_stride):
        raise UnsupportedOpError("memref.subview with non-unit strides has no Kokkos::subview equivalent",
                                 hint="use unit strides, or index the view with a stride inside the kernel")
    res_rank = len(res.type.get_shape())
    args = []
    dropped = len(s_size) - res_rank  # rank-reducing: unit dims are dropped (leading ones first)
    for o, s in zip(s_off, s_size):
        lo = next(dyn_off) if o == DYNAMIC_INDEX else f"int64_t({o})"
        n = next(dyn_size) if s == DYNAMIC_INDEX else f"int64_t({s})"
        if s == 1 and dropped > 0:
            args.append(lo)
            dropped -= 1
        else:
            args.append(f"Kokkos::make_pair({lo}, {lo} + {n})")
    em.define(res, f"Kokkos::subview({em.get(src)}, {', '.join(args)})")
