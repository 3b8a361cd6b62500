"""ATen reductions, matmuls, NN layers, static indexing and FFTs -> GraphBuilder calls."""
from __future__ import annotations

import numpy as np
from xdsl.ir import SSAValue

from hpcir.core.errors import HpcirError

from .graph_builder import Scalar
from hpcir.dialects.graph_types import mlir_elem, shape_of
from .torch_frontend_ops import TCtx, reg


def _dims(x: SSAValue, dim) -> list[int]:
    r = len(shape_of(x.type))
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return list(range(r))
    dims = [dim] if isinstance(dim, int) else list(dim)
    return sorted(d % r for d in dims) if r else []


def _keep(cx: TCtx, y: SSAValue, keepdim: bool, i: int | None = None) -> SSAValue:
    return cx.gb.reshape(y, cx.out_shape(i)) if keepdim else y


def _reduce(cx, a, dim, keepdim, kind, out_i=None):
    x = cx.gb.cast(cx.val(a), mlir_elem(cx.out_dtype(out_i)))
    y = cx.gb.reduce(x, _dims(x, dim), kind)
    return cx.gb.reshape(y, cx.out_shape(out_i))


def _scale(cx, y: SSAValue, factor: float) -> SSAValue:
    return cx.gb.elementwise(lambda q, v, f: q.op("mul", v, f), [y, Scalar(factor)], y.type.get_element_type())


# ---- reductions --------------------------------------------------------------------------------
@reg("sum")
def _sum(cx, a, dim=None, keepdim=False, dtype=None):
    return _reduce(cx, a, dim, keepdim, "sum")


@reg("prod")
def _prod(cx, a, dim=None, keepdim=False, dtype=None):
    return _reduce(cx, a, dim, keepdim, "prod")


@reg("mean")
def _mean(cx, a, dim=None, keepdim=False, dtype=None):
    x = cx.val(a)
    n = int(np.prod([shape_of(x.type)[d] for d in _dims(x, dim)]))
    return _scale(cx, _reduce(cx, a, dim, keepdim, "sum"), 1.0 / n) if n != 1 else _reduce(cx, a, dim, keepdim, "sum")


@reg("amax", "amin")
def _amax(cx, a, dim=None, keepdim=False):
    return _reduce(cx, a, dim, keepdim, "max" if cx.node.target.__name__.startswith("amax") else "min")


@reg("max.default", "min.default")
def _max_all(cx, a):
    return _reduce(cx, a, None, False, "max" if cx.node.target.__name__.startswith("max") else "min")


@reg("max.dim", "min.dim")
def _max_dim(cx, a, dim, keepdim=False):
    kind = "max" if cx.node.target.__name__.startswith("max") else "min"
    x = cx.val(a)
    vals = cx.gb.reshape(cx.gb.reduce(x, [dim], kind), cx.out_shape(0))
    idx = cx.gb.reshape(cx.gb.arg_reduce(x, dim, kind, mlir_elem("int64")), cx.out_shape(1))
    return (vals, idx)


@reg("argmax", "argmin")
def _argmax(cx, a, dim=None, keepdim=False):
    x = cx.val(a)
    if dim is None:
        x = cx.gb.reshape(x, [int(np.prod(shape_of(x.type)))])
        dim = 0
    kind = "max" if cx.node.target.__name__.startswith("argmax") else "min"
    return cx.gb.reshape(cx.gb.arg_reduce(x, dim, kind, mlir_elem("int64")), cx.out_shape())


@reg("any", "all")
def _any(cx, a, dim=None, keepdim=False):
    x = cx.gb.cast(cx.val(a), mlir_elem("bool"))
    kind = "or" if cx.node.target.__name__.startswith("any") else "and"
    return cx.gb.reshape(cx.gb.reduce(x, _dims(x, dim), kind), cx.out_shape())


def _moments(cx, x: SSAValue, dims: list[int], correction: float = 0.0):
    """(mean with kept dims, centered x, variance with kept dims)."""
    gb = cx.gb
    xs = shape_of(x.type)
    n = int(np.prod([xs[d] for d in dims]))
    kept = [1 if i in dims else s for i, s in enumerate(xs)]
    mean = gb.reshape(_scale(cx, gb.reduce(x, dims, "sum"), 1.0 / n), kept)
    d = gb.elementwise(lambda q, u, m: q.op("sub", u, m), [x, mean], x.type.get_element_type())
    sq = gb.elementwise(lambda q, u: q.op("mul", u, u), [d], x.type.get_element_type())
    var = gb.reshape(_scale(cx, gb.reduce(sq, dims, "sum"), 1.0 / max(n - correction, 0)), kept)
    return mean, d, var


@reg("var", "std")
def _var(cx, a, dim=None, correction=None, keepdim=False, **kw):
    x = cx.val(a)
    corr = 1.0 if correction is None else float(correction)
    _, _, var = _moments(cx, x, _dims(x, dim), corr)
    if cx.node.target.__name__.startswith("std"):
        var = cx.gb.elementwise(lambda q, v: q.op("sqrt", v), [var], var.type.get_element_type())
    return cx.gb.reshape(var, cx.out_shape())


@reg("linalg_vector_norm")
def _norm(cx, a, ord=2, dim=None, keepdim=False, dtype=None):
    x = cx.val(a)
    e = mlir_elem(cx.out_dtype())
    dims = _dims(x, dim)
    if ord == 2:
        sq = cx.gb.elementwise(lambda q, u: q.op("mul", u, u), [x], e)
        y = cx.gb.elementwise(lambda q, v: q.op("sqrt", v), [cx.gb.reduce(sq, dims, "sum")], e)
    elif ord == 1:
        y = cx.gb.reduce(cx.gb.elementwise(lambda q, u: q.op("abs", u), [x], e), dims, "sum")
    elif ord == float("inf"):
        y = cx.gb.reduce(cx.gb.elementwise(lambda q, u: q.op("abs", u), [x], e), dims, "max")
    else:
        raise HpcirError(f"vector norm of order {ord} is not supported (1, 2, inf are)")
    return cx.gb.reshape(y, cx.out_shape())


@reg("cumsum")
def _cumsum(cx, a, dim, dtype=None):
    x = cx.gb.cast(cx.val(a), mlir_elem(cx.out_dtype()))
    xs = shape_of(x.type)
    r = len(xs)
    axis = dim % r
    n = xs[axis]
    m = cx.val(np.tril(np.ones((n, n))).astype(cx.out_dtype()))
    a_dims = list(range(r))
    a_dims[axis] = r
    return cx.gb.contract(x, m, a_dims, [axis, r], list(range(r)), {**dict(enumerate(xs)), r: n},
                          mlir_elem(cx.out_dtype()))


# ---- matmuls -------------------------------------------------------------------------------------
def _matmul(cx, a, b):
    x, y = cx.val(a), cx.val(b)
    e = mlir_elem(cx.out_dtype())
    if len(shape_of(x.type)) == 2:
        (m, k), (_, n) = shape_of(x.type), shape_of(y.type)
        return cx.gb.contract(x, y, [0, 2], [2, 1], [0, 1], {0: m, 1: n, 2: k}, e)
    (bb, m, k), (_, _, n) = shape_of(x.type), shape_of(y.type)
    return cx.gb.contract(x, y, [0, 1, 3], [0, 3, 2], [0, 1, 2], {0: bb, 1: m, 2: n, 3: k}, e)


@reg("mm", "bmm")
def _mm(cx, a, b):
    return _matmul(cx, a, b)


@reg("addmm")
def _addmm(cx, bias, a, b, beta=1, alpha=1):
    y = _matmul(cx, a, b)
    if alpha != 1:
        y = _scale(cx, y, alpha)
    return cx.ew(lambda q, u, v: q.op("add", q.op("mul", u, q.const(beta, u.type)) if beta != 1 else u, v), bias, y)


# ---- NN layers -------------------------------------------------------------------------------------
def _per_channel(cx, v, rank: int) -> SSAValue:
    """A (C,) vector reshaped to broadcast along dim 1 of a rank-`rank` NC... tensor."""
    v = cx.val(v)
    return cx.gb.reshape(v, shape_of(v.type) + (1,) * (rank - 2))


@reg("convolution")
def _convolution(cx, x, w, bias, stride, padding, dilation, transposed, output_padding, groups):
    if transposed:
        raise HpcirError("transposed convolutions are not supported")
    x, w = cx.val(x), cx.val(w)
    gb = cx.gb
    nsp = len(shape_of(x.type)) - 2
    stride, padding, dilation = list(stride), list(padding), list(dilation)
    if nsp == 1:
        xs, ws = shape_of(x.type), shape_of(w.type)
        x = gb.reshape(x, (xs[0], xs[1], 1, xs[2]))
        w = gb.reshape(w, (ws[0], ws[1], 1, ws[2]))
        stride, padding, dilation = [1] + stride, [0] + padding, [1] + dilation
    elif nsp != 2:
        raise HpcirError(f"{nsp}-D convolutions are not supported (1-D and 2-D are)")
    y = gb.conv2d(x, w, stride, dilation, [(p, p) for p in padding], groups)
    y = gb.reshape(y, cx.out_shape())
    if bias is not None:
        y = cx.ew(lambda q, u, v: q.op("add", u, v), y, _per_channel(cx, bias, nsp + 2))
    return y


@reg("_native_batch_norm_legit_no_training")
def _batch_norm(cx, x, w, b, mean, var, momentum, eps):
    x = cx.val(x)
    r = len(shape_of(x.type))
    ops = [x, _per_channel(cx, mean, r), _per_channel(cx, var, r)]
    if w is not None:
        ops.append(_per_channel(cx, w, r))
    if b is not None:
        ops.append(_per_channel(cx, b, r))

    def body(q, u, m, v, *wb):
        y = q.op("mul", q.op("sub", u, m), q.op("rsqrt", q.op("add", v, q.const(eps, v.type))))
        if w is not None:
            y = q.op("mul", y, wb[0])
        if b is not None:
            y = q.op("add", y, wb[-1])
        return y

    out = cx.gb.elementwise(body, ops, x.type.get_element_type(), shape_of(x.type))
    return (out, None, None)


@reg("native_layer_norm")
def _layer_norm(cx, x, normalized_shape, w, b, eps):
    x = cx.val(x)
    r = len(shape_of(x.type))
    dims = list(range(r - len(normalized_shape), r))
    mean, d, var = _moments(cx, x, dims)
    e = x.type.get_element_type()
    rstd = cx.gb.elementwise(lambda q, v: q.op("rsqrt", q.op("add", v, q.const(eps, v.type))), [var], e)
    ops = [d, rstd] + [cx.val(t) for t in (w, b) if t is not None]

    def body(q, u, s, *wb):
        y = q.op("mul", u, s)
        if w is not None:
            y = q.op("mul", y, wb[0])
        if b is not None:
            y = q.op("add", y, wb[-1])
        return y

    return (cx.gb.elementwise(body, ops, e, shape_of(x.type)), mean, rstd)


@reg("native_group_norm")
def _group_norm(cx, x, w, b, n, c, hw, groups, eps):
    x = cx.val(x)
    xs = shape_of(x.type)
    e = x.type.get_element_type()
    xg = cx.gb.reshape(x, (n, groups, (c // groups) * hw))
    _, d, var = _moments(cx, xg, [2])
    y = cx.gb.elementwise(lambda q, u, v: q.op("mul", u, q.op("rsqrt", q.op("add", v, q.const(eps, v.type)))), [d, var], e)
    y = cx.gb.reshape(y, xs)
    r = len(xs)
    if w is not None:
        y = cx.gb.elementwise(lambda q, u, v: q.op("mul", u, v), [y, _per_channel(cx, w, r)], e)
    if b is not None:
        y = cx.gb.elementwise(lambda q, u, v: q.op("add", u, v), [y, _per_channel(cx, b, r)], e)
    return (y, None, None)


def _softmax_parts(cx, a, dim):
    x = cx.val(a)
    e = x.type.get_element_type()
    xs = shape_of(x.type)
    dim %= len(xs)
    kept = [1 if i == dim else s for i, s in enumerate(xs)]
    m = cx.gb.reshape(cx.gb.reduce(x, [dim], "max"), kept)
    sh = cx.gb.elementwise(lambda q, u, v: q.op("sub", u, v), [x, m], e)
    ex = cx.gb.elementwise(lambda q, u: q.op("exp", u), [sh], e)
    s = cx.gb.reshape(cx.gb.reduce(ex, [dim], "sum"), kept)
    return sh, ex, s, e


@reg("_softmax")
def _softmax(cx, a, dim, half_to_float=False):
    _, ex, s, e = _softmax_parts(cx, a, dim)
    return cx.gb.elementwise(lambda q, u, v: q.op("div", u, v), [ex, s], e)


@reg("_log_softmax")
def _log_softmax(cx, a, dim, half_to_float=False):
    sh, _, s, e = _softmax_parts(cx, a, dim)
    return cx.gb.elementwise(lambda q, u, v: q.op("sub", u, q.op("log", v)), [sh, s], e)


def _pair(v, default=None):
    if v is None or (isinstance(v, (list, tuple)) and len(v) == 0):
        return default
    return [v, v] if isinstance(v, int) else list(v) * (2 if len(v) == 1 else 1)


@reg("max_pool2d_with_indices")
def _max_pool(cx, x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    if ceil_mode:
        raise HpcirError("max pooling with ceil_mode=True is not supported")
    k = _pair(kernel)
    s, p, d = _pair(stride, k), _pair(padding), _pair(dilation)
    y = cx.gb.max_pool2d(cx.val(x), k, s, d, [(p[0], p[0]), (p[1], p[1])])
    return (y, None)


@reg("avg_pool2d")
def _avg_pool(cx, x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
              divisor_override=None):
    k = _pair(kernel)
    s, p = _pair(stride, k), _pair(padding)
    if ceil_mode or (any(p) and not count_include_pad):
        raise HpcirError("avg_pool2d with ceil_mode or count_include_pad=False is not supported")
    y = cx.gb.sum_pool2d(cx.val(x), k, s, [(p[0], p[0]), (p[1], p[1])])
    return _scale(cx, y, 1.0 / (divisor_override or k[0] * k[1]))


@reg("_adaptive_avg_pool2d", "adaptive_avg_pool2d")
def _adaptive_avg_pool(cx, x, output_size):
    x = cx.val(x)
    h, w = shape_of(x.type)[-2:]
    oh, ow = _pair(output_size)
    if h % oh or w % ow:
        raise HpcirError("adaptive average pooling needs the input size to be a multiple of the output size")
    return _avg_pool(cx, x, [h // oh, w // ow])


# ---- static indexing: run the op on element positions to get a flat gather ----------------------
def _static_gather(cx, data, run) -> SSAValue:
    import torch
    x = cx.val(data)
    xs = shape_of(x.type)
    # float64 positions are exact below 2**53 and every data-movement kernel accepts them
    positions = torch.arange(int(np.prod(xs)), dtype=torch.float64).reshape(xs)
    flat = run(positions).detach().cpu().numpy()
    return cx.gb.gather_flat(x, np.rint(flat).astype(np.int64))


def _require_const(*xs):
    for x in xs:
        items = x if isinstance(x, (list, tuple)) else [x]
        if any(isinstance(i, SSAValue) for i in items):
            raise HpcirError("indexing with tensors computed from the inputs is not supported (indices must be constants)",
                             hint="make index tensors buffers or constants of the module")


def _t(x):
    import torch
    if x is None:
        return None
    return torch.as_tensor(x) if isinstance(x, np.ndarray) else x


@reg("index.Tensor")
def _index(cx, data, indices):
    _require_const(indices)
    return _static_gather(cx, data, lambda p: cx.node.target(p, [_t(i) for i in indices]))


@reg("index_select", "gather")
def _index_select(cx, data, dim, index, **kw):
    _require_const(index)
    return _static_gather(cx, data, lambda p: cx.node.target(p, dim, _t(index), **kw))


@reg("embedding")
def _embedding(cx, weight, indices, *args):
    _require_const(indices)
    return _static_gather(cx, weight, lambda p: cx.node.target(p, _t(indices), *args))


@reg("upsample_nearest2d", "roll", "tril", "triu", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d",
     "replication_pad1d", "replication_pad2d", "replication_pad3d", "diagonal", "as_strided")
def _positional(cx, data, *args, **kw):
    _require_const(args, list(kw.values()))
    if cx.node.target.__name__.split(".")[0] in ("tril", "triu"):  # masks, not gathers
        import torch
        x = cx.val(data)
        xs = shape_of(x.type)
        mask = cx.node.target(torch.ones(xs, dtype=torch.bool), *args, **kw).numpy()
        return cx.gb.elementwise(lambda q, u, m: q.select(m, u, q.const(0, u.type)), [x, cx.val(mask)],
                                 x.type.get_element_type(), xs)
    return _static_gather(cx, data, lambda p: cx.node.target(p, *args, **kw))


# ---- FFT ----------------------------------------------------------------------------------------
_FWD_NORM = {0: "backward", 1: "ortho", 2: "forward"}
_INV_NORM = {0: "forward", 1: "ortho", 2: "backward"}


@reg("_fft_r2c")
def _fft_r2c(cx, x, dim, normalization, onesided):
    x = cx.val(x)
    axes = _dims(x, dim)
    e = mlir_elem(cx.out_dtype())
    if not onesided:
        xc = cx.gb.cast(x, e)
        return cx.gb.fft("fftn", xc, axes, _FWD_NORM[normalization], cx.out_shape(), e)
    if list(dim)[-1] % len(shape_of(x.type)) != axes[-1]:
        raise HpcirError("real FFTs whose halved axis is not the last transformed axis are not supported")
    return cx.gb.fft("rfftn", x, axes, _FWD_NORM[normalization], cx.out_shape(), e)


@reg("_fft_c2r")
def _fft_c2r(cx, x, dim, normalization, last_dim_size):
    x = cx.val(x)
    return cx.gb.fft("irfftn", x, _dims(x, dim), _INV_NORM[normalization], cx.out_shape(), mlir_elem(cx.out_dtype()))


@reg("_fft_c2c")
def _fft_c2c(cx, x, dim, normalization, forward):
    x = cx.val(x)
    kind, norms = ("fftn", _FWD_NORM) if forward else ("ifftn", _INV_NORM)
    return cx.gb.fft(kind, x, _dims(x, dim), norms[normalization], cx.out_shape(), mlir_elem(cx.out_dtype()))
