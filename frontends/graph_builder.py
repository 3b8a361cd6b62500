"""Builds the L1 graph IR (one func.func on tensors: linalg / tensor / arith / math / fft) op by op.

Both graph frontends translate their ops into calls on `GraphBuilder`, so the L1 shapes of
elementwise maps, reductions, contractions, convolutions, pooling, gathers and FFTs are decided in
one place (and the emitters only need to understand these shapes).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, func, tensor
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.builtin import (
    AffineMapAttr, ArrayAttr, DenseIntOrFPElementsAttr, IndexType, IntegerAttr, ModuleOp, StringAttr,
    TensorType, i64,
)
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineExpr, AffineMap


from hpcir.core.errors import HpcirError

from .graph_scalar import COMBINE, Body, identity_of
from hpcir.dialects.graph_types import SRC_ATTR, dense_attr, elem_of, is_bool, is_float, sanitize, shape_of, tensor_type



@dataclass(frozen=True)
class Scalar:
    """A compile-time scalar operand of an elementwise op (becomes an arith.constant in the body)."""

    value: object
    elem: Attribute | None = None  # element type; default: that of the first tensor operand


Operand = SSAValue | Scalar


def _reassociation(src: Sequence[int], dst: Sequence[int]) -> list[list[int]] | None:
    """Groups of contiguous src dims whose products give dst (None when not a pure collapse)."""
    if len(dst) == 0:
        return [] if all(s == 1 for s in src) else None
    groups: list[list[int]] = []
    i = 0
    for k, d in enumerate(dst):
        group: list[int] = []
        size = 1
        while i < len(src):
            if group and size == d:
                if src[i] == 1 and k == len(dst) - 1:  # trailing unit dims join the last group
                    group.append(i)
                    i += 1
                    continue
                break
            if size * src[i] > d:
                return None
            group.append(i)
            size *= src[i]
            i += 1
        if size != d or not group:
            return None
        groups.append(group)
    return groups if i == len(src) else None


class GraphBuilder:
    """Appends L1 ops to one func.func; frontends set `loc` and `name` before each op."""

    def __init__(self, func_name: str, arg_types: Sequence[TensorType], arg_names: Sequence[str]):
        self.func_name = func_name
        self.block = Block(arg_types=list(arg_types))
        for a, n in zip(self.block.args, arg_names):
            a.name_hint = sanitize(n)
        self.loc: str | None = None
        self.name: str | None = None

    @property
    def args(self) -> tuple[SSAValue, ...]:
        """The function's block arguments (inputs, then weights, in frontend order)."""
        return self.block.args

    # ---- plumbing -------------------------------------------------------------------------
    def _emit(self, op: Operation) -> Operation:
        if self.loc:
            op.attributes[SRC_ATTR] = StringAttr(self.loc)
        if self.name:
            for r in op.results:
                r.name_hint = sanitize(self.name)
        self.block.add_op(op)
        return op

    def finish(self, results: Sequence[SSAValue]) -> ModuleOp:
        """Close the function with func.return and wrap it in a module."""
        self.loc = self.name = None
        self.block.add_op(func.ReturnOp(*results))
        for op in reversed(list(self.block.ops)):  # drop dead ops (all L1 graph ops are pure)
            if not isinstance(op, func.ReturnOp) and all(not list(r.uses) for r in op.results):
                op.detach()
                op.erase()
        ftype = ([a.type for a in self.block.args], [r.type for r in results])
        f = func.FuncOp(self.func_name, ftype, Region(self.block))
        return ModuleOp([f])

    @contextmanager
    def nested(self, block: Block) -> Iterator[Block]:
        """Append ops to `block` (a region body of scf.for / scf.if / scf.while) inside the with."""
        outer, self.block = self.block, block
        try:
            yield block
        finally:
            self.block = outer

    def emit(self, op: Operation) -> Operation:
        """Append an op built by a frontend (control flow, scalar index arithmetic)."""
        return self._emit(op)

    # ---- constants and initial values ------------------------------------------------------
    def value(self, x) -> SSAValue:
        """An SSA tensor for an operand: SSA values pass through, constants are materialized
        (named after the current op, with a `_const` suffix)."""
        if isinstance(x, SSAValue):
            return x
        name, self.name = self.name, f"{self.name}_const"
        try:
            return self.constant(np.asarray(x))
        finally:
            self.name = name

    def constant(self, value, dtype=None) -> SSAValue:
        """A dense tensor constant (arith.constant)."""
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
        t = tensor_type(arr.shape, arr.dtype)
        return self._emit(arith.ConstantOp(dense_attr(arr, t), t)).results[0]

    def empty(self, shape: Sequence[int], elem: Attribute) -> SSAValue:
        """tensor.empty: the destination of a linalg op that overwrites every element."""
        name, self.name = self.name, None
        v = self._emit(tensor.EmptyOp([], tensor_type(shape, elem))).results[0]
        self.name = name
        return v

    def fill(self, value, shape: Sequence[int], elem: Attribute) -> SSAValue:
        """linalg.fill of a fresh tensor with a scalar."""
        name, self.name = self.name, None
        blk = Block()
        c = Body(blk).const(value, elem)
        for op in list(blk.ops):
            op.detach()
            self._emit(op)
        init = self.empty(shape, elem)
        out = self._emit(linalg.FillOp([c], [init], [init.type])).results[0]
        self.name = name
        return out

    # ---- linalg.generic -----------------------------------------------------------------------
    def generic(self, inputs: Sequence[tuple[SSAValue, Sequence[AffineExpr]]], n_dims: int,
                outs: Sequence[tuple[SSAValue, Sequence[AffineExpr]]],
                body: Callable[..., Sequence[SSAValue]], reduction_dims: Sequence[int] = (),
                scalars: Sequence[Scalar] = ()) -> list[SSAValue]:
        """A linalg.generic: body(b, *input_scalars, *acc_scalars) returns the yielded values."""
        all_vals = [v for v, _ in inputs] + [v for v, _ in outs]
        blk = Block(arg_types=[elem_of(v.type) for v in all_vals])
        b = Body(blk)
        results = body(b, *blk.args)
        blk.add_op(linalg.YieldOp(*results))
        maps = [AffineMapAttr(AffineMap(n_dims, 0, tuple(e))) for _, e in (*inputs, *outs)]
        iters = [IteratorTypeAttr.reduction() if d in reduction_dims else IteratorTypeAttr.parallel()
                 for d in range(n_dims)]
        op = linalg.GenericOp([v for v, _ in inputs], [v for v, _ in outs], Region(blk), maps, iters,
                              [v.type for v, _ in outs])
        return list(self._emit(op).results)

    def elementwise(self, fn: Callable[..., SSAValue], inputs: Sequence[Operand], out_elem: Attribute,
                    out_shape: Sequence[int] | None = None) -> SSAValue:
        """Numpy-broadcasting elementwise map; Scalar inputs become body constants of out type."""
        tensors = [x for x in inputs if isinstance(x, SSAValue)]
        shape = tuple(out_shape) if out_shape is not None else tuple(
            np.broadcast_shapes(*[shape_of(x.type) for x in tensors])) if tensors else ()
        R = len(shape)
        ins: list[tuple[SSAValue, list[AffineExpr]]] = []
        for x in tensors:
            xs = shape_of(x.type)
            keep = [i for i, s in enumerate(xs) if not (s == 1 and shape[R - len(xs) + i] != 1)]
            if len(keep) != len(xs):
                x = self.reshape(x, [xs[i] for i in keep])
            ins.append((x, [AffineDimExpr(R - len(xs) + i) for i in keep]))
        out = self.empty(shape, out_elem)

        def body(b: Body, *args):
            it = iter(args[:len(ins)])
            vals = []
            for x in inputs:
                if isinstance(x, Scalar):
                    vals.append(None)
                else:
                    vals.append(next(it))
            ref = next((v for v in vals if v is not None), None)
            vals = [b.const(x.value, x.elem or (ref.type if ref is not None else out_elem)) if v is None else v
                    for v, x in zip(vals, inputs)]
            return [fn(b, *vals)]

        return self.generic(ins, R, [(out, [AffineDimExpr(i) for i in range(R)])], body)[0]

    def map_copy(self, x: SSAValue, out_shape: Sequence[int], exprs: Sequence[AffineExpr]) -> SSAValue:
        """out[d...] = x[exprs(d...)]: transposes, broadcasts and reversals as one generic."""
        R = len(out_shape)
        out = self.empty(out_shape, elem_of(x.type))
        return self.generic([(x, exprs)], R, [(out, [AffineDimExpr(i) for i in range(R)])],
                            lambda b, a, _o: [a])[0]

    # ---- shape ops -----------------------------------------------------------------------------
    def transpose(self, x: SSAValue, perm: Sequence[int]) -> SSAValue:
        """out = x.transpose(perm)."""
        xs = shape_of(x.type)
        if list(perm) == list(range(len(xs))):
            return x
        inv = [list(perm).index(j) for j in range(len(xs))]
        return self.map_copy(x, [xs[p] for p in perm], [AffineDimExpr(inv[j]) for j in range(len(xs))])

    def broadcast_in_dim(self, x: SSAValue, shape: Sequence[int], bdims: Sequence[int]) -> SSAValue:
        """lax.broadcast_in_dim: input dim j goes to output dim bdims[j] (size 1 dims broadcast)."""
        xs = shape_of(x.type)
        if tuple(xs) == tuple(shape) and list(bdims) == list(range(len(xs))):
            return x
        keep = [j for j in range(len(xs)) if not (xs[j] == 1 and shape[bdims[j]] != 1)]
        if len(keep) != len(xs):
            x = self.reshape(x, [xs[j] for j in keep])
        if len(keep) == len(shape) and all(bdims[j] == i for i, j in enumerate(keep)):
            return x if tuple(shape_of(x.type)) == tuple(shape) else self.reshape(x, shape)
        return self.map_copy(x, shape, [AffineDimExpr(bdims[j]) for j in keep])

    def reshape(self, x: SSAValue, shape: Sequence[int]) -> SSAValue:
        """Row-major reshape as tensor.collapse_shape and/or tensor.expand_shape."""
        xs, shape = tuple(shape_of(x.type)), tuple(int(s) for s in shape)
        if xs == shape:
            return x
        src = x.owner
        if isinstance(src, (tensor.CollapseShapeOp, tensor.ExpandShapeOp)) and \
                tuple(shape_of(src.operands[0].type)) == shape:
            return src.operands[0]  # undo a reshape instead of stacking a second one
        t = tensor_type(shape, elem_of(x.type))
        if xs == ():  # rank-0 source: a broadcasting copy (xDSL rejects empty reassociations)
            return self.map_copy(x, shape, [])
        if shape == ():  # rank-reducing unit slice
            return self._emit(tensor.ExtractSliceOp(x, [0] * len(xs), [1] * len(xs), [1] * len(xs), t)).results[0]
        groups = _reassociation(xs, shape)
        if groups is not None:
            return self._emit(tensor.CollapseShapeOp.create(
                operands=[x], result_types=[t], properties={"reassociation": _reassoc_attr(groups)})).results[0]
        groups = _reassociation(shape, xs)
        if groups is not None:
            return self._emit(tensor.ExpandShapeOp(x, [], _reassoc_attr(groups), list(shape), t)).results[0]
        flat = self.reshape(x, [int(np.prod(xs))])
        return self.reshape(flat, shape)

    def slice(self, x: SSAValue, starts, limits, strides=None) -> SSAValue:
        """x[start:limit:stride, ...] with static bounds (tensor.extract_slice)."""
        xs = shape_of(x.type)
        strides = list(strides or [1] * len(xs))
        sizes = [max(0, -(-(l - s) // st)) for s, l, st in zip(starts, limits, strides)]
        if list(starts) == [0] * len(xs) and sizes == list(xs) and strides == [1] * len(xs):
            return x
        t = tensor_type(sizes, elem_of(x.type))
        return self._emit(tensor.ExtractSliceOp(x, list(starts), sizes, strides, t)).results[0]

    def rev(self, x: SSAValue, dims: Sequence[int]) -> SSAValue:
        """Reverse x along dims (a generic whose input map is n-1-d)."""
        xs = shape_of(x.type)
        exprs = [AffineDimExpr(i) * -1 + (xs[i] - 1) if i in dims else AffineDimExpr(i) for i in range(len(xs))]
        return self.map_copy(x, xs, exprs)

    def pad(self, x: SSAValue, lo, hi, value, interior=None) -> SSAValue:
        """Constant padding (negative amounts crop); interior padding is unsupported."""
        if interior and any(interior):
            raise HpcirError("interior (dilating) padding is not supported")
        xs = shape_of(x.type)
        if any(l < 0 or h < 0 for l, h in zip(lo, hi)):
            x = self.slice(x, [max(0, -l) for l in lo], [s - max(0, -h) for s, h in zip(xs, hi)])
            lo, hi = [max(0, l) for l in lo], [max(0, h) for h in hi]
            xs = shape_of(x.type)
        if not any(lo) and not any(hi):
            return x
        elem = elem_of(x.type)
        blk = Block(arg_types=[IndexType()] * len(xs))
        c = Body(blk).const(value, elem)
        blk.add_op(tensor.YieldOp(c))
        shape = [s + l + h for s, l, h in zip(xs, lo, hi)]
        op = tensor.PadOp(x, [], [], Region(blk), list(lo), list(hi), tensor_type(shape, elem))
        return self._emit(op).results[0]

    def concat(self, xs: Sequence[SSAValue], axis: int) -> SSAValue:
        """tensor.concat along axis."""
        if len(xs) == 1:
            return xs[0]
        shape = list(shape_of(xs[0].type))
        shape[axis] = sum(shape_of(x.type)[axis] for x in xs)
        return self._emit(tensor.ConcatOp(list(xs), axis, tensor_type(shape, elem_of(xs[0].type)))).results[0]

    # ---- reductions and contractions -----------------------------------------------------------
    def reduce(self, x: SSAValue, axes: Sequence[int], kind: str) -> SSAValue:
        """Reduce x over axes with sum / prod / max / min / and / or (result drops the axes)."""
        xs, elem = shape_of(x.type), elem_of(x.type)
        if is_bool(elem) and kind in ("max", "min", "sum"):
            kind = {"max": "or", "min": "and", "sum": "or"}[kind]
        axes = sorted(a % len(xs) for a in axes)
        kept = [i for i in range(len(xs)) if i not in axes]
        init = self.fill(identity_of(kind, elem), [xs[i] for i in kept], elem)
        comb = COMBINE[kind]
        return self.generic([(x, [AffineDimExpr(i) for i in range(len(xs))])], len(xs),
                            [(init, [AffineDimExpr(i) for i in kept])],
                            lambda b, a, acc: [b.op(comb, acc, a)], reduction_dims=axes)[0]

    def contract(self, a: SSAValue, b: SSAValue, a_dims: Sequence[int], b_dims: Sequence[int],
                 out_dims: Sequence[int], sizes: dict[int, int], out_elem: Attribute) -> SSAValue:
        """Einsum-style contraction: iteration dims are integers; those absent from out are summed."""
        n = max(sizes) + 1
        red = [d for d in range(n) if d not in out_dims]
        init = self.fill(0, [sizes[d] for d in out_dims], out_elem)

        def body(bb: Body, x, y, acc):
            x, y = bb.cast(x, out_elem), bb.cast(y, out_elem)
            return [bb.op("add", acc, bb.op("mul", x, y))]

        return self.generic([(a, [AffineDimExpr(d) for d in a_dims]), (b, [AffineDimExpr(d) for d in b_dims])],
                            n, [(init, [AffineDimExpr(d) for d in out_dims])], body, reduction_dims=red)[0]

    def arg_reduce(self, x: SSAValue, axis: int, kind: str, index_elem: Attribute) -> SSAValue:
        """argmax / argmin over one axis (first occurrence wins, like numpy)."""
        xs, elem = shape_of(x.type), elem_of(x.type)
        axis %= len(xs)
        kept = [i for i in range(len(xs)) if i != axis]
        oshape = [xs[i] for i in kept]
        name, self.name = self.name, None
        vinit = self.fill(identity_of(kind, elem), oshape, elem)
        iinit = self.fill(0, oshape, index_elem)
        self.name = name

        def body(b: Body, v, acc_v, acc_i):
            better = b.cmp("gt" if kind == "max" else "lt", v, acc_v)
            idx = b.cast(b.index(axis), index_elem)
            return [b.select(better, v, acc_v), b.select(better, idx, acc_i)]

        out_map = [AffineDimExpr(i) for i in kept]
        res = self.generic([(x, [AffineDimExpr(i) for i in range(len(xs))])], len(xs),
                           [(vinit, out_map), (iinit, out_map)], body, reduction_dims=[axis])
        return res[1]

    # ---- index-based ops -----------------------------------------------------------------------
    def iota(self, shape: Sequence[int], dim: int, elem: Attribute, start=0, step=1) -> SSAValue:
        """start + step * index along dim, broadcast over shape."""
        out = self.empty(shape, elem)

        def body(b: Body, _o):
            v = b.cast(b.index(dim), elem)
            if step != 1:
                v = b.op("mul", v, b.const(step, elem))
            if start != 0:
                v = b.op("add", v, b.const(start, elem))
            return [v]

        R = len(shape)
        return self.generic([], R, [(out, [AffineDimExpr(i) for i in range(R)])], body)[0]

    def gather_flat(self, src: SSAValue, flat_index: np.ndarray) -> SSAValue:
        """out[i...] = src.reshape(-1)[flat_index[i...]] for a static index array."""
        xs = shape_of(src.type)
        flat = self.reshape(src, [int(np.prod(xs))])
        name, self.name = self.name, None
        idx = self.constant(np.asarray(flat_index, dtype=np.int64))
        self.name = name
        shape = flat_index.shape
        out = self.empty(shape, elem_of(src.type))
        R = len(shape)
        ident = [AffineDimExpr(i) for i in range(R)]
        return self.generic([(idx, ident)], R, [(out, ident)],
                            lambda b, i, _o: [b.extract(flat, [i])])[0]

    # ---- convolution and pooling ----------------------------------------------------------------
    def conv2d(self, x: SSAValue, w: SSAValue, stride, dilation, padding, groups: int) -> SSAValue:
        """NCHW x OIHW convolution with zero padding [(lo, hi), (lo, hi)] and feature groups."""
        xs, ws = shape_of(x.type), shape_of(w.type)
        elem = elem_of(x.type)
        name, self.name = self.name, None
        if any(p for pair in padding for p in pair):
            x = self.pad(x, [0, 0, padding[0][0], padding[1][0]], [0, 0, padding[0][1], padding[1][1]], 0)
            xs = shape_of(x.type)
        oh = (xs[2] - dilation[0] * (ws[2] - 1) - 1) // stride[0] + 1
        ow = (xs[3] - dilation[1] * (ws[3] - 1) - 1) // stride[1] + 1
        props = dict(strides=_i64_dense(stride), dilations=_i64_dense(dilation))
        if groups == 1:
            init = self.fill(0, [xs[0], ws[0], oh, ow], elem)
            self.name = name
            return self._emit(linalg.Conv2DNchwFchwOp([x, w], [init], [init.type], **props)).results[0]
        g, f = groups, ws[0] // groups
        xg = self.reshape(x, [xs[0], g, xs[1] // g, xs[2], xs[3]])
        wg = self.reshape(w, [g, f, ws[1], ws[2], ws[3]])
        init = self.fill(0, [xs[0], g, f, oh, ow], elem)
        self.name = name
        y = self._emit(linalg.Conv2DNgchwGfchwOp([xg, wg], [init], [init.type], **props)).results[0]
        return self.reshape(y, [xs[0], g * f, oh, ow])

    def max_pool2d(self, x: SSAValue, kernel, stride, dilation, padding) -> SSAValue:
        """NCHW max pooling (padding with -inf)."""
        elem = elem_of(x.type)
        name, self.name = self.name, None
        lowest = identity_of("max", elem)
        if any(p for pair in padding for p in pair):
            x = self.pad(x, [0, 0, padding[0][0], padding[1][0]], [0, 0, padding[0][1], padding[1][1]], lowest)
        xs = shape_of(x.type)
        oh = (xs[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
        ow = (xs[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
        win = self.empty(list(kernel), elem)
        init = self.fill(lowest, [xs[0], xs[1], oh, ow], elem)
        self.name = name
        op = linalg.PoolingNchwMaxOp([x, win], [init], [init.type], strides=_i64_dense(stride),
                                     dilations=_i64_dense(dilation))
        # xDSL 0.74 builds the body as max(input, window); linalg's semantics is out = max(out, input)
        blk = op.regions[0].block
        for o in list(blk.ops)[::-1]:
            o.detach()
            o.erase()
        m = Body(blk).op("max", blk.args[2], blk.args[0])
        blk.add_op(linalg.YieldOp(m))
        return self._emit(op).results[0]

    def sum_pool2d(self, x: SSAValue, kernel, stride, padding) -> SSAValue:
        """NCHW window sums (zero padding) as a depthwise convolution with a ones filter."""
        c = shape_of(x.type)[1]
        name, self.name = self.name, None
        ones = self.constant(np.ones((c, 1) + tuple(kernel), dtype=np.dtype(_np_name(elem_of(x.type)))))
        self.name = name
        return self.conv2d(x, ones, stride, (1, 1), padding, c)

    # ---- FFT -----------------------------------------------------------------------------------
    def fft(self, kind: str, x: SSAValue, axes: Sequence[int], norm: str, out_shape: Sequence[int],
            out_elem: Attribute) -> SSAValue:
        """One fft.{fftn,ifftn,rfftn,irfftn} op."""
        from hpcir.dialects import fft as fftmod
        cls = {"fftn": fftmod.FftnOp, "ifftn": fftmod.IfftnOp, "rfftn": fftmod.RfftnOp,
               "irfftn": fftmod.IrfftnOp}[kind]
        return self._emit(cls(x, sorted(axes), norm, tensor_type(out_shape, out_elem))).results[0]

    def cast(self, x: SSAValue, elem: Attribute) -> SSAValue:
        """Elementwise dtype conversion."""
        if elem_of(x.type) == elem:
            return x
        return self.elementwise(lambda b, a: b.cast(a, elem), [x], elem)


def _np_name(elem: Attribute) -> str:
    from hpcir.dialects.graph_types import np_dtype
    return np_dtype(elem).name


def _i64_dense(vals) -> DenseIntOrFPElementsAttr:
    vals = [int(v) for v in vals]
    return DenseIntOrFPElementsAttr.from_list(TensorType(i64, [len(vals)]), vals)


def _reassoc_attr(groups: list[list[int]]) -> ArrayAttr:
    return ArrayAttr([ArrayAttr([IntegerAttr(i, i64) for i in g]) for g in groups])


__all__ = ["GraphBuilder", "Scalar", "SRC_ATTR", "sanitize", "is_float"]
