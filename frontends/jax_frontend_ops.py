"""Translation table of JAX primitives to GraphBuilder calls (one small handler per primitive)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.ir import SSAValue

from hpcir.core.errors import HpcirError, SourceLocation

from .graph_builder import GraphBuilder, Scalar
from hpcir.dialects.graph_types import mlir_elem, shape_of


class Ctx:
    """Import state handed to handlers: the builder and the current source location."""

    def __init__(self, gb: GraphBuilder):
        self.gb = gb
        self.loc: SourceLocation | None = None
        # imports a sub-jaxpr at the builder's insertion block (set by the importer; control flow uses it)
        self.run: Callable[[Any, Any, list], list] | None = None

    def val(self, x: Any) -> SSAValue:
        """An SSA tensor for x (constants are materialized as arith.constant)."""
        return self.gb.value(x)

    def operand(self, x: Any):
        """A 0-d constant becomes a body Scalar, anything else an SSA tensor."""
        if isinstance(x, np.ndarray) and x.ndim == 0:
            return Scalar(x.item())
        return self.val(x)


def _out_elem(eqn, i: int = 0):
    return mlir_elem(eqn.outvars[i].aval.dtype)


def _shape(eqn, i: int = 0) -> tuple[int, ...]:
    return tuple(eqn.outvars[i].aval.shape)


JAX_OPS: dict[str, Callable[[Ctx, Any, list], list]] = {}


def _reg(*names: str):
    def deco(fn):
        for n in names:
            JAX_OPS[n] = fn
        return fn
    return deco


def _ew(fn):
    """Handler for an elementwise primitive with body fn(body, *scalars, eqn)."""
    def handler(cx: Ctx, eqn, ins):
        # constants of the operands' shape keep their type; 0-d constants become body scalars
        ops = [cx.operand(x) for x in ins]
        if all(isinstance(o, Scalar) for o in ops):
            ops[0] = cx.val(ins[0])
        return [cx.gb.elementwise(lambda b, *a: fn(b, *a, eqn=eqn), ops, _out_elem(eqn), _shape(eqn))]
    return handler


# ---- elementwise: binary arithmetic, comparisons, unary math -------------------------------------
for _kind in ("add", "sub", "mul", "div", "max", "min", "pow", "atan2", "and", "or", "xor"):
    JAX_OPS[_kind] = _ew(lambda b, x, y, eqn, k=_kind: b.op(k, x, y))
for _kind in ("eq", "ne", "lt", "le", "gt", "ge"):
    JAX_OPS[_kind] = _ew(lambda b, x, y, eqn, k=_kind: b.cmp(k, x, y))
for _kind in ("exp", "log", "tanh", "sqrt", "rsqrt", "sin", "cos", "tan", "erf", "log1p", "expm1",
              "floor", "ceil", "abs", "neg", "atan", "asin", "acos", "sinh", "cosh", "asinh",
              "atanh", "exp2", "cbrt", "sign", "real", "imag", "conj", "not"):
    JAX_OPS[_kind] = _ew(lambda b, x, eqn, k=_kind: b.op(k, x))
JAX_OPS["complex"] = _ew(lambda b, x, y, eqn: b.op("complex", x, y))
JAX_OPS["add_any"] = JAX_OPS["add"]  # the sum of cotangents that reverse-mode autodiff emits


@_reg("rem")
def _rem(cx, eqn, ins):
    def body(b, x, y, eqn):
        if str(x.type).startswith("i"):
            return b.op("rem", x, y)
        q = b.op("trunc", b.op("div", x, y))  # fmod semantics: x - trunc(x / y) * y
        return b.op("sub", x, b.op("mul", q, y))
    return _ew(body)(cx, eqn, ins)


@_reg("round")
def _round(cx, eqn, ins):
    kind = "round" if int(eqn.params.get("rounding_method", 0)) == 1 else "round_away"
    return _ew(lambda b, x, eqn: b.op(kind, x))(cx, eqn, ins)


@_reg("logistic")
def _logistic(cx, eqn, ins):
    def body(b, x, eqn):
        one = b.const(1.0, x.type)
        return b.op("div", one, b.op("add", one, b.op("exp", b.op("neg", x))))
    return _ew(body)(cx, eqn, ins)


@_reg("square")
def _square(cx, eqn, ins):
    return _ew(lambda b, x, eqn: b.op("mul", x, x))(cx, eqn, ins)


@_reg("integer_pow")
def _integer_pow(cx, eqn, ins):
    def body(b, x, eqn):
        y = int(eqn.params["y"])
        if y == 0:
            return b.const(1, x.type)
        acc = x
        for _ in range(abs(y) - 1):
            acc = b.op("mul", acc, x)
        return b.op("div", b.const(1, x.type), acc) if y < 0 else acc
    return _ew(body)(cx, eqn, ins)


@_reg("is_finite")
def _is_finite(cx, eqn, ins):
    return _ew(lambda b, x, eqn: b.cmp("lt", b.op("abs", x), b.const(float("inf"), x.type)))(cx, eqn, ins)


@_reg("convert_element_type")
def _convert(cx, eqn, ins):
    return [cx.gb.cast(cx.val(ins[0]), _out_elem(eqn))]


@_reg("select_n")
def _select_n(cx, eqn, ins):
    pred, cases = ins[0], ins[1:]
    if isinstance(pred, np.ndarray) and pred.ndim == 0:  # static choice
        chosen = cases[int(pred)]
        shape = _shape(eqn)
        if isinstance(chosen, np.ndarray):
            return [np.broadcast_to(chosen, shape).copy()]
        return [chosen]
    if len(cases) != 2:
        raise HpcirError("select_n with more than two cases is not supported")
    return _ew(lambda b, p, f, t, eqn: b.select(p if str(p.type) == "i1" else b.cast(p, _i1()), t, f))(cx, eqn, ins)


def _i1():
    from xdsl.dialects.builtin import i1
    return i1


@_reg("clamp")
def _clamp(cx, eqn, ins):
    return _ew(lambda b, lo, x, hi, eqn: b.op("min", b.op("max", x, lo), hi))(cx, eqn, ins)


@_reg("copy", "copy_p", "reduce_precision", "optimization_barrier", "stop_gradient")
def _identity(cx, eqn, ins):
    return list(ins)


# ---- shapes --------------------------------------------------------------------------------------
@_reg("broadcast_in_dim")
def _bcast(cx, eqn, ins):
    x = cx.val(ins[0])
    return [cx.gb.broadcast_in_dim(x, _shape(eqn), eqn.params["broadcast_dimensions"])]


@_reg("reshape", "squeeze", "expand_dims")
def _reshape(cx, eqn, ins):
    return [cx.gb.reshape(cx.val(ins[0]), _shape(eqn))]


@_reg("transpose")
def _transpose(cx, eqn, ins):
    return [cx.gb.transpose(cx.val(ins[0]), eqn.params["permutation"])]


@_reg("slice")
def _slice(cx, eqn, ins):
    p = eqn.params
    return [cx.gb.slice(cx.val(ins[0]), p["start_indices"], p["limit_indices"], p["strides"])]


@_reg("dynamic_slice")
def _dynamic_slice(cx, eqn, ins):
    x, starts = cx.val(ins[0]), ins[1:]
    if not all(isinstance(s, np.ndarray) for s in starts):
        raise HpcirError("dynamic_slice with traced start indices is not supported",
                         hint="use static Python ints for slice starts")
    xs = shape_of(x.type)
    sizes = eqn.params["slice_sizes"]
    st = [int(np.clip(int(s), 0, n - k)) for s, n, k in zip(starts, xs, sizes)]  # XLA clamps starts
    return [cx.gb.slice(x, st, [s + k for s, k in zip(st, sizes)])]


@_reg("dynamic_update_slice")
def _dynamic_update_slice(cx, eqn, ins):
    """operand with `update` written at static starts (clamped as XLA does), as slices and concats."""
    x, upd, starts = cx.val(ins[0]), cx.val(ins[1]), ins[2:]
    if not all(isinstance(s, np.ndarray) for s in starts):
        raise HpcirError("dynamic_update_slice with traced start indices is not supported",
                         hint="use static Python ints for the update's position")
    xs, us = shape_of(x.type), shape_of(upd.type)
    st = [int(np.clip(int(s), 0, n - k)) for s, n, k in zip(starts, xs, us)]
    return [_update_block(cx.gb, x, upd, st, 0)]


def _update_block(gb, x, upd, starts: list[int], axis: int):
    """x with upd placed at starts, for axes >= axis (x and upd agree on the axes before)."""
    xs, us = shape_of(x.type), shape_of(upd.type)
    if axis == len(xs):
        return upd
    lo, hi = starts[axis], starts[axis] + us[axis]
    full = [0] * len(xs)

    def cut(a, b):
        begin, end = list(full), list(xs)
        begin[axis], end[axis] = a, b
        return gb.slice(x, begin, end)

    middle = _update_block(gb, cut(lo, hi), upd, starts, axis + 1)
    parts = ([cut(0, lo)] if lo > 0 else []) + [middle] + ([cut(hi, xs[axis])] if hi < xs[axis] else [])
    return gb.concat(parts, axis)


@_reg("split")
def _split(cx, eqn, ins):
    x = cx.val(ins[0])
    xs = shape_of(x.type)
    axis, out, start = eqn.params["axis"], [], 0
    for size in eqn.params["sizes"]:
        lo = [0] * len(xs)
        hi = list(xs)
        lo[axis], hi[axis] = start, start + int(size)
        out.append(cx.gb.slice(x, lo, hi))
        start += int(size)
    return out


@_reg("concatenate")
def _concat(cx, eqn, ins):
    return [cx.gb.concat([cx.val(x) for x in ins], eqn.params["dimension"])]


@_reg("pad")
def _pad(cx, eqn, ins):
    if not isinstance(ins[1], np.ndarray):
        raise HpcirError("pad with a traced padding value is not supported")
    cfg = eqn.params["padding_config"]
    return [cx.gb.pad(cx.val(ins[0]), [c[0] for c in cfg], [c[1] for c in cfg], ins[1].item(),
                      [c[2] for c in cfg])]


@_reg("rev")
def _rev(cx, eqn, ins):
    return [cx.gb.rev(cx.val(ins[0]), eqn.params["dimensions"])]


@_reg("iota")
def _iota(cx, eqn, ins):
    return [cx.gb.iota(_shape(eqn), eqn.params["dimension"], _out_elem(eqn))]


@_reg("gather")
def _gather(cx, eqn, ins):
    import jax.numpy as jnp
    from jax import lax
    if not isinstance(ins[1], np.ndarray):
        raise HpcirError("gather with traced (non-constant) indices is not supported",
                         hint="build the indices from Python/numpy constants")
    src = cx.val(ins[0])
    xs = shape_of(src.type)
    # run the same gather on the flat positions of the operand: gives static flat indices
    positions = jnp.arange(int(np.prod(xs)), dtype=jnp.int64 if _x64() else jnp.int32).reshape(xs)
    flat = np.asarray(lax.gather_p.bind(positions, jnp.asarray(ins[1]), **eqn.params))
    return [cx.gb.gather_flat(src, flat)]


def _x64() -> bool:
    import jax
    return bool(jax.config.jax_enable_x64)


# ---- reductions, contractions ---------------------------------------------------------------------
for _kind, _red in (("reduce_sum", "sum"), ("reduce_max", "max"), ("reduce_min", "min"),
                    ("reduce_prod", "prod"), ("reduce_and", "and"), ("reduce_or", "or")):
    JAX_OPS[_kind] = (lambda red: lambda cx, eqn, ins: [cx.gb.reduce(cx.val(ins[0]), eqn.params["axes"], red)])(_red)


@_reg("argmax", "argmin")
def _argmax(cx, eqn, ins):
    axes = eqn.params["axes"]
    if len(axes) != 1:
        raise HpcirError("argmax/argmin over several axes is not supported")
    kind = "max" if eqn.primitive.name == "argmax" else "min"
    return [cx.gb.arg_reduce(cx.val(ins[0]), axes[0], kind, mlir_elem(eqn.params["index_dtype"]))]


@_reg("dot_general")
def _dot_general(cx, eqn, ins):
    a, b = cx.val(ins[0]), cx.val(ins[1])
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    sa, sb = shape_of(a.type), shape_of(b.type)
    a_dims, b_dims = [-1] * len(sa), [-1] * len(sb)
    sizes: dict[int, int] = {}
    nxt = 0
    out_dims = []
    for i, j in zip(lb, rb):
        a_dims[i] = b_dims[j] = nxt
        sizes[nxt] = sa[i]
        out_dims.append(nxt)
        nxt += 1
    for dims, shp in ((a_dims, sa), (b_dims, sb)):
        contracted = lc if dims is a_dims else rc
        for i in range(len(shp)):
            if dims[i] == -1 and i not in contracted:
                dims[i] = nxt
                sizes[nxt] = shp[i]
                out_dims.append(nxt)
                nxt += 1
    for i, j in zip(lc, rc):
        a_dims[i] = b_dims[j] = nxt
        sizes[nxt] = sa[i]
        nxt += 1
    return [cx.gb.contract(a, b, a_dims, b_dims, out_dims, sizes, _out_elem(eqn))]


@_reg("cumsum")
def _cumulative(cx, eqn, ins):
    """cumsum as a contraction with a triangular ones matrix (small axes only, O(n^2))."""
    x = cx.val(ins[0])
    xs = shape_of(x.type)
    axis, n = eqn.params["axis"] % len(xs), xs[eqn.params["axis"]]
    tri = np.tril(np.ones((n, n))) if not eqn.params["reverse"] else np.triu(np.ones((n, n)))
    from hpcir.dialects.graph_types import np_dtype
    m = cx.val(tri.astype(np_dtype(x.type.get_element_type())))
    r = len(xs)
    a_dims = list(range(r))
    a_dims[axis] = r  # summed index
    return [cx.gb.contract(x, m, a_dims, [axis, r], list(range(r)), {**{i: s for i, s in enumerate(xs)}, r: n},
                           _out_elem(eqn))]


# ---- convolution, pooling, FFT --------------------------------------------------------------------
@_reg("conv_general_dilated")
def _conv(cx, eqn, ins):
    p = eqn.params
    if any(d != 1 for d in p["lhs_dilation"]) or p["batch_group_count"] != 1:
        raise HpcirError("transposed (lhs-dilated) or batch-grouped convolutions are not supported")
    dn = p["dimension_numbers"]
    x, w = cx.val(ins[0]), cx.val(ins[1])
    gb = cx.gb
    x = gb.transpose(x, dn.lhs_spec)
    w = gb.transpose(w, dn.rhs_spec)
    nsp = len(dn.lhs_spec) - 2
    strides, dil, pad = list(p["window_strides"]), list(p["rhs_dilation"]), [tuple(q) for q in p["padding"]]
    if nsp == 1:  # 1-D as 2-D with a unit height
        xs, ws = shape_of(x.type), shape_of(w.type)
        x = gb.reshape(x, [xs[0], xs[1], 1, xs[2]])
        w = gb.reshape(w, [ws[0], ws[1], 1, ws[2]])
        strides, dil, pad = [1] + strides, [1] + dil, [(0, 0)] + pad
    elif nsp != 2:
        raise HpcirError(f"{nsp}-D convolutions are not supported (1-D and 2-D are)")
    y = gb.conv2d(x, w, strides, dil, pad, p["feature_group_count"])
    if nsp == 1:
        ys = shape_of(y.type)
        y = gb.reshape(y, [ys[0], ys[1], ys[3]])
    inv = [0] * len(dn.out_spec)
    for k, d in enumerate(dn.out_spec):
        inv[d] = k
    return [gb.transpose(y, inv)]


def _window_layout(cx, x, params):
    """Transpose/reshape an N-D window op's operand to NCHW with the (<= 2) windowed dims last."""
    wd, ws = params["window_dimensions"], params["window_strides"]
    if any(d != 1 for d in params["base_dilation"]):
        raise HpcirError("base-dilated window reductions are not supported")
    xs = shape_of(x.type)
    spatial = [i for i in range(len(xs)) if wd[i] != 1 or ws[i] != 1 or any(params["padding"][i])]
    if len(spatial) > 2:
        raise HpcirError("window reductions over more than 2 dimensions are not supported")
    extra = [i for i in reversed(range(len(xs))) if i not in spatial]
    while len(spatial) < 2:  # pad with window-1 dims so the op is a 2-D pooling
        if not extra:
            raise HpcirError("window reductions on rank < 2 operands are not supported")
        spatial = sorted(spatial + [extra.pop(0)])
    batch = [i for i in range(len(xs)) if i not in spatial]
    perm = batch + spatial
    xt = cx.gb.transpose(x, perm)
    nb = int(np.prod([xs[i] for i in batch])) if batch else 1
    x4 = cx.gb.reshape(xt, [nb, 1, xs[spatial[0]], xs[spatial[1]]])
    sel = lambda key: [params[key][i] for i in spatial]  # noqa: E731
    return x4, perm, [xs[i] for i in batch], sel


def _window_back(cx, y4, perm, batch_shape, eqn):
    ys = shape_of(y4.type)
    yt = cx.gb.reshape(y4, list(batch_shape) + [ys[2], ys[3]])
    inv = [perm.index(i) for i in range(len(perm))]
    return cx.gb.transpose(yt, inv)


@_reg("reduce_window_max", "reduce_window_sum")
def _reduce_window(cx, eqn, ins):
    x = cx.val(ins[0])
    x4, perm, bshape, sel = _window_layout(cx, x, eqn.params)
    pad = [tuple(q) for q in sel("padding")]
    if eqn.primitive.name == "reduce_window_max":
        y = cx.gb.max_pool2d(x4, sel("window_dimensions"), sel("window_strides"), sel("window_dilation"), pad)
    else:
        if any(d != 1 for d in sel("window_dilation")):
            raise HpcirError("dilated window sums are not supported")
        y = cx.gb.sum_pool2d(x4, sel("window_dimensions"), sel("window_strides"), pad)
    return [_window_back(cx, y, perm, bshape, eqn)]


@_reg("fft")
def _fft(cx, eqn, ins):
    x = cx.val(ins[0])
    t = int(getattr(eqn.params["fft_type"], "value", eqn.params["fft_type"]))
    n = len(eqn.params["fft_lengths"])
    rank = len(shape_of(x.type))
    axes = list(range(rank - n, rank))
    kind = {0: "fftn", 1: "ifftn", 2: "rfftn", 3: "irfftn"}[t]
    return [cx.gb.fft(kind, x, axes, "backward", _shape(eqn), _out_elem(eqn))]


@_reg("erfc")
def _erfc(cx, eqn, ins):
    """erfc(x) = 1 - erf(x) (absolute accuracy; math has no erfc)."""
    return _ew(lambda b, x, eqn: b.op("sub", b.const(1.0, x.type), b.op("erf", x)))(cx, eqn, ins)


@_reg("stack")
def _stack(cx, eqn, ins):
    """Stack along a new axis: unit-dim reshape of each operand, then tensor.concat."""
    axis = eqn.params["axis"]
    parts = []
    for x in ins:
        v = cx.val(x)
        s = list(shape_of(v.type))
        s.insert(axis, 1)
        parts.append(cx.gb.reshape(v, s))
    return [cx.gb.concat(parts, axis)]
