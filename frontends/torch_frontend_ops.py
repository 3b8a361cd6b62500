"""ATen elementwise, shape and creation ops -> GraphBuilder calls (handlers take the node's args)."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.ir import SSAValue


from .graph_builder import GraphBuilder, Scalar
from hpcir.dialects.graph_types import mlir_elem, np_dtype, shape_of

TORCH_OPS: dict[str, Callable[..., Any]] = {}


class TCtx:
    """Import state for handlers: the builder and the FX node being translated."""

    def __init__(self, gb: GraphBuilder):
        self.gb = gb
        self.node = None

    def val(self, x) -> SSAValue:
        """An SSA tensor for x (constants are materialized as arith.constant)."""
        return self.gb.value(x)

    def meta(self, i: int | None = None):
        v = self.node.meta["val"]
        return v[i] if i is not None else v

    def out_dtype(self, i: int | None = None) -> np.dtype:
        import torch
        d = self.meta(i).dtype
        return np.dtype(bool) if d == torch.bool else np.dtype(str(d).replace("torch.", ""))

    def out_shape(self, i: int | None = None) -> tuple[int, ...]:
        return tuple(int(s) for s in self.meta(i).shape)

    def dtype_of(self, x) -> np.dtype:
        if isinstance(x, SSAValue):
            return np_dtype(x.type.get_element_type())
        return np.asarray(x).dtype

    def operand(self, x, dt: np.dtype):
        """Python numbers and 0-d constants become Scalars; tensors are cast to dt."""
        if isinstance(x, (bool, int, float, complex)):
            return Scalar(x, mlir_elem(dt))
        if isinstance(x, np.ndarray) and x.ndim == 0:
            return Scalar(x.item(), mlir_elem(dt))
        v = self.val(x)
        return self.gb.cast(v, mlir_elem(dt))

    def promoted(self, *xs) -> np.dtype:
        """torch's result dtype of the operands (scalars are weak, like in torch)."""
        import torch
        dummies = []
        for x in xs:
            if isinstance(x, (bool, int, float, complex)):
                dummies.append(x)
            else:
                dt = self.dtype_of(x)
                nd = 0 if (isinstance(x, np.ndarray) and x.ndim == 0) else 1
                dummies.append(torch.empty((1,) * nd, dtype=getattr(torch, "bool" if dt == np.bool_ else dt.name)))
        while len(dummies) > 2:
            a = dummies.pop(0)
            b = dummies.pop(0)
            dummies.insert(0, torch.empty((1,), dtype=torch.result_type(a, b)))
        if len(dummies) == 1:
            d = dummies[0]
            return np.dtype(str(d.dtype).replace("torch.", "")) if hasattr(d, "dtype") else np.asarray(d).dtype
        r = torch.result_type(dummies[0], dummies[1])
        return np.dtype(bool) if r == torch.bool else np.dtype(str(r).replace("torch.", ""))

    def ew(self, fn, *xs, compute: np.dtype | None = None, out: np.dtype | None = None):
        """Elementwise op: operands cast to `compute` (default: the node's dtype)."""
        out = out or self.out_dtype()
        compute = compute or out
        ops = [self.operand(x, compute) for x in xs]
        if all(isinstance(o, Scalar) for o in ops):
            ops[0] = self.gb.cast(self.val(np.asarray(ops[0].value, dtype=compute)), mlir_elem(compute))
        return self.gb.elementwise(fn, ops, mlir_elem(out), self.out_shape())


def reg(*names: str):
    """Register a handler under ATen names ("add" for every overload, "add.Tensor" for one)."""
    def deco(fn):
        for n in names:
            TORCH_OPS[n] = fn
        return fn
    return deco


# ---- arithmetic ---------------------------------------------------------------------------------
@reg("add")
def _add(cx, a, b, alpha=1):
    if alpha != 1:
        return cx.ew(lambda q, x, y: q.op("add", x, q.op("mul", y, q.const(alpha, y.type))), a, b)
    return cx.ew(lambda q, x, y: q.op("add", x, y), a, b)


@reg("sub", "rsub")
def _sub(cx, a, b, alpha=1):
    if cx.node.target.__name__.startswith("rsub"):
        a, b = b, a
    if alpha != 1:
        return cx.ew(lambda q, x, y: q.op("sub", x, q.op("mul", y, q.const(alpha, y.type))), a, b)
    return cx.ew(lambda q, x, y: q.op("sub", x, y), a, b)


@reg("mul")
def _mul(cx, a, b):
    return cx.ew(lambda q, x, y: q.op("mul", x, y), a, b)


def _floor_div_int(q, x, y):
    quo, rem = q.op("div", x, y), q.op("rem", x, y)
    zero = q.const(0, x.type)
    adjust = q.op("and", q.cmp("ne", rem, zero), q.op("xor", q.cmp("lt", rem, zero), q.cmp("lt", y, zero)))
    return q.op("sub", quo, q.cast(adjust, x.type))


@reg("div")
def _div(cx, a, b, rounding_mode=None):
    out = cx.out_dtype()
    if rounding_mode is None:
        return cx.ew(lambda q, x, y: q.op("div", x, y), a, b)
    if np.issubdtype(out, np.integer):
        if rounding_mode == "trunc":
            return cx.ew(lambda q, x, y: q.op("div", x, y), a, b)
        return cx.ew(_floor_div_int, a, b)
    kind = "trunc" if rounding_mode == "trunc" else "floor"
    return cx.ew(lambda q, x, y: q.op(kind, q.op("div", x, y)), a, b)


def _fmod(q, x, y):
    if str(x.type).startswith("i"):
        return q.op("rem", x, y)
    return q.op("sub", x, q.op("mul", q.op("trunc", q.op("div", x, y)), y))


@reg("fmod")
def _fmod_h(cx, a, b):
    return cx.ew(_fmod, a, b)


@reg("remainder")
def _remainder(cx, a, b):
    def body(q, x, y):  # Python-style modulo: the result has the divisor's sign
        r = _fmod(q, x, y)
        zero = q.const(0, x.type)
        fix = q.op("and", q.cmp("ne", r, zero), q.op("xor", q.cmp("lt", r, zero), q.cmp("lt", y, zero)))
        return q.select(fix, q.op("add", r, y), r)
    return cx.ew(body, a, b)


@reg("pow")
def _pow(cx, a, b):
    if isinstance(b, (int, float)) and float(b).is_integer() and 0 <= b <= 4:
        n = int(b)

        def body(q, x):
            if n == 0:
                return q.const(1, x.type)
            acc = x
            for _ in range(n - 1):
                acc = q.op("mul", acc, x)
            return acc
        return cx.ew(body, a)
    if isinstance(b, float) and b == 0.5:
        return cx.ew(lambda q, x: q.op("sqrt", x), a)
    return cx.ew(lambda q, x, y: q.op("pow", x, y), a, b)


for _n, _k in (("maximum", "max"), ("minimum", "min"), ("atan2", "atan2")):
    TORCH_OPS[_n] = (lambda k: lambda cx, a, b: cx.ew(lambda q, x, y: q.op(k, x, y), a, b))(_k)

for _n in ("eq", "ne", "lt", "le", "gt", "ge"):
    TORCH_OPS[_n] = (lambda k: lambda cx, a, b: cx.ew(lambda q, x, y: q.cmp(k, x, y), a, b,
                                                      compute=cx.promoted(a, b), out=np.dtype(bool)))(_n)

for _n, _k in (("logical_and", "and"), ("logical_or", "or"), ("logical_xor", "xor")):
    TORCH_OPS[_n] = (lambda k: lambda cx, a, b: cx.ew(lambda q, x, y: q.op(k, x, y), a, b,
                                                      compute=np.dtype(bool)))(_k)
for _n, _k in (("bitwise_and", "and"), ("bitwise_or", "or"), ("bitwise_xor", "xor")):
    TORCH_OPS[_n] = (lambda k: lambda cx, a, b: cx.ew(lambda q, x, y: q.op(k, x, y), a, b))(_k)


@reg("logical_not", "bitwise_not")
def _not(cx, a):
    if cx.out_dtype() != np.bool_ and cx.node.target.__name__.startswith("bitwise"):
        return cx.ew(lambda q, x: q.op("xor", x, q.const(-1, x.type)), a)
    return cx.ew(lambda q, x: q.op("not", x), a, compute=np.dtype(bool))


_UNARY = ("exp", "log", "tanh", "sqrt", "rsqrt", "sin", "cos", "tan", "erf", "log1p", "expm1", "floor",
          "ceil", "trunc", "atan", "asin", "acos", "sinh", "cosh", "asinh", "atanh", "log2", "log10",
          "exp2", "neg", "sign")
for _n in _UNARY:
    TORCH_OPS[_n] = (lambda k: lambda cx, a: cx.ew(lambda q, x: q.op(k, x), a,
                                                   compute=cx.promoted(a) if k == "neg" else None))(_n)
TORCH_OPS["sgn"] = TORCH_OPS["sign"]
TORCH_OPS["round.default"] = lambda cx, a: cx.ew(lambda q, x: q.op("round", x), a)


@reg("abs")
def _abs(cx, a):
    return cx.ew(lambda q, x: q.op("abs", x), a, compute=cx.dtype_of(a))


@reg("angle")
def _angle(cx, a):
    def body(q, x):
        if str(x.type).startswith("complex"):
            return q.op("atan2", q.op("imag", x), q.op("real", x))
        pi = q.const(math.pi, x.type)
        return q.select(q.cmp("lt", x, q.const(0, x.type)), pi, q.const(0.0, x.type))
    return cx.ew(body, a, compute=cx.dtype_of(a))


@reg("reciprocal")
def _reciprocal(cx, a):
    return cx.ew(lambda q, x: q.op("div", q.const(1, x.type), x), a)


@reg("sigmoid")
def _sigmoid(cx, a):
    def body(q, x):
        one = q.const(1.0, x.type)
        return q.op("div", one, q.op("add", one, q.op("exp", q.op("neg", x))))
    return cx.ew(body, a)


@reg("relu")
def _relu(cx, a):
    return cx.ew(lambda q, x: q.op("max", x, q.const(0, x.type)), a)


@reg("hardtanh")
def _hardtanh(cx, a, lo=-1.0, hi=1.0):
    return cx.ew(lambda q, x: q.op("min", q.op("max", x, q.const(lo, x.type)), q.const(hi, x.type)), a)


@reg("clamp")
def _clamp(cx, a, lo=None, hi=None):
    def body(q, x, *bounds):
        it = iter(bounds)
        if lo is not None:
            x = q.op("max", x, next(it))
        if hi is not None:
            x = q.op("min", x, next(it))
        return x
    return cx.ew(body, a, *[b for b in (lo, hi) if b is not None])


@reg("leaky_relu")
def _leaky_relu(cx, a, slope=0.01):
    def body(q, x):
        return q.select(q.cmp("gt", x, q.const(0, x.type)), x, q.op("mul", x, q.const(slope, x.type)))
    return cx.ew(body, a)


@reg("elu")
def _elu(cx, a, alpha=1.0, scale=1.0, input_scale=1.0):
    def body(q, x):
        neg = q.op("mul", q.const(alpha * scale, x.type), q.op("expm1", q.op("mul", x, q.const(input_scale, x.type))))
        return q.select(q.cmp("gt", x, q.const(0, x.type)), q.op("mul", x, q.const(scale, x.type)), neg)
    return cx.ew(body, a)


@reg("gelu")
def _gelu(cx, a, approximate="none"):
    def body(q, x):
        half = q.const(0.5, x.type)
        one = q.const(1.0, x.type)
        if approximate == "tanh":
            inner = q.op("mul", q.const(math.sqrt(2.0 / math.pi), x.type),
                         q.op("add", x, q.op("mul", q.const(0.044715, x.type), q.op("mul", q.op("mul", x, x), x))))
            return q.op("mul", q.op("mul", half, x), q.op("add", one, q.op("tanh", inner)))
        return q.op("mul", q.op("mul", half, x),
                    q.op("add", one, q.op("erf", q.op("mul", x, q.const(1.0 / math.sqrt(2.0), x.type)))))
    return cx.ew(body, a)


@reg("isnan")
def _isnan(cx, a):
    return cx.ew(lambda q, x: q.op("isnan", x), a, compute=cx.dtype_of(a), out=np.dtype(bool))


@reg("isinf")
def _isinf(cx, a):
    return cx.ew(lambda q, x: q.cmp("eq", q.op("abs", x), q.const(float("inf"), x.type)), a,
                 compute=cx.dtype_of(a), out=np.dtype(bool))


@reg("where")
def _where(cx, c, a, b):
    out = cx.out_dtype()
    cond = cx.operand(c, np.dtype(bool))
    ops = [cond, cx.operand(a, out), cx.operand(b, out)]
    return cx.gb.elementwise(lambda q, p, x, y: q.select(p, x, y), ops, mlir_elem(out), cx.out_shape())


@reg("_to_copy", "to")
def _to_copy(cx, a, dtype=None, **_kw):
    return cx.gb.cast(cx.val(a), mlir_elem(cx.out_dtype()))


@reg("clone", "alias", "lift_fresh_copy", "detach", "contiguous")
def _identity(cx, a, **_kw):
    return a


@reg("scalar_tensor")
def _scalar_tensor(cx, v, dtype=None, **_kw):
    return np.asarray(v, dtype=cx.out_dtype())


@reg("full", "zeros", "ones")
def _full(cx, size, value=None, **_kw):
    name = cx.node.target.__name__
    value = 0 if name.startswith("zeros") else 1 if name.startswith("ones") else value
    return np.full(cx.out_shape(), value, dtype=cx.out_dtype())


@reg("full_like", "zeros_like", "ones_like")
def _full_like(cx, a, value=None, **_kw):
    return _full(cx, None, value)


@reg("arange")
def _arange(cx, *args, **_kw):
    return np.arange(*[a for a in args if isinstance(a, (int, float))]).astype(cx.out_dtype())


# ---- shapes --------------------------------------------------------------------------------------
@reg("view", "_unsafe_view", "reshape", "squeeze", "unsqueeze", "flatten", "view_copy")
def _view(cx, a, *_args, **_kw):
    return cx.gb.reshape(cx.val(a), cx.out_shape())


@reg("permute")
def _permute(cx, a, dims):
    r = len(shape_of(cx.val(a).type))
    return cx.gb.transpose(cx.val(a), [d % r for d in dims])


@reg("transpose.int")
def _transpose(cx, a, d0, d1):
    r = len(shape_of(cx.val(a).type))
    perm = list(range(r))
    perm[d0 % r], perm[d1 % r] = perm[d1 % r], perm[d0 % r]
    return cx.gb.transpose(cx.val(a), perm)


@reg("t")
def _t(cx, a):
    return _transpose(cx, a, 0, -1) if len(shape_of(cx.val(a).type)) == 2 else a


@reg("expand")
def _expand(cx, a, size, **_kw):
    x = cx.val(a)
    r, shape = len(shape_of(x.type)), cx.out_shape()
    return cx.gb.broadcast_in_dim(x, shape, list(range(len(shape) - r, len(shape))))


@reg("slice")
def _slice(cx, a, dim=0, start=None, end=None, step=1):
    x = cx.val(a)
    xs = shape_of(x.type)
    dim %= len(xs)
    n = xs[dim]
    s, e, _ = slice(start, end, step).indices(n)
    lo, hi, st = [0] * len(xs), list(xs), [1] * len(xs)
    lo[dim], hi[dim], st[dim] = s, max(s, e), step
    return cx.gb.slice(x, lo, hi, st)


@reg("select")
def _select(cx, a, dim, index):
    x = cx.val(a)
    xs = shape_of(x.type)
    dim %= len(xs)
    index %= xs[dim]
    return cx.gb.reshape(_slice(cx, x, dim, index, index + 1), cx.out_shape())


@reg("cat")
def _cat(cx, tensors, dim=0):
    out = cx.out_dtype()
    vals = [cx.gb.cast(cx.val(t), mlir_elem(out)) for t in tensors if np.prod(_shape(cx, t)) > 0 or len(_shape(cx, t)) > 1]
    return cx.gb.concat(vals, dim % len(cx.out_shape()))


def _shape(cx, t) -> tuple[int, ...]:
    return shape_of(t.type) if isinstance(t, SSAValue) else np.asarray(t).shape


@reg("constant_pad_nd")
def _pad(cx, a, pad, value=0):
    x = cx.val(a)
    r = len(shape_of(x.type))
    lo, hi = [0] * r, [0] * r
    for i in range(len(pad) // 2):
        lo[r - 1 - i], hi[r - 1 - i] = pad[2 * i], pad[2 * i + 1]
    return cx.gb.pad(x, lo, hi, value)


@reg("flip")
def _flip(cx, a, dims):
    x = cx.val(a)
    r = len(shape_of(x.type))
    return cx.gb.rev(x, [d % r for d in dims])


@reg("split_with_sizes", "split")
def _split(cx, a, sizes, dim=0):
    x = cx.val(a)
    xs = shape_of(x.type)
    dim %= len(xs)
    if isinstance(sizes, int):
        sizes = [min(sizes, xs[dim] - s) for s in range(0, xs[dim], sizes)]
    out, start = [], 0
    for s in sizes:
        out.append(_slice(cx, x, dim, start, start + s))
        start += s
    return out


@reg("repeat")
def _repeat(cx, a, repeats):
    x = cx.val(a)
    xs = (1,) * (len(repeats) - len(shape_of(x.type))) + shape_of(x.type)
    x = cx.gb.reshape(x, xs)
    inter = []
    for r, s in zip(repeats, xs):
        inter += [r, s]
    b = cx.gb.broadcast_in_dim(x, inter, [2 * i + 1 for i in range(len(xs))])
    return cx.gb.reshape(b, cx.out_shape())


@reg("view_as_real")
def _view_as_real(cx, a):
    x = cx.val(a)
    f = np.dtype(cx.out_dtype())
    parts = []
    for kind in ("real", "imag"):
        p = cx.gb.elementwise(lambda q, v, k=kind: q.op(k, v), [x], mlir_elem(f))
        parts.append(cx.gb.reshape(p, shape_of(p.type) + (1,)))
    return cx.gb.concat(parts, len(shape_of(x.type)))


@reg("complex")
def _complex(cx, re, im):
    f = np.dtype(cx.dtype_of(re))
    return cx.gb.elementwise(lambda q, x, y: q.op("complex", x, y), [cx.operand(re, f), cx.operand(im, f)],
                             mlir_elem(cx.out_dtype()), cx.out_shape())




@reg("_conj", "conj_physical", "conj")
def _conj(cx, a):
    if not np.issubdtype(cx.dtype_of(a), np.complexfloating):
        return a
    return cx.ew(lambda q, x: q.op("conj", x), a)


@reg("resolve_conj", "resolve_neg")
def _resolve(cx, a):
    return a
