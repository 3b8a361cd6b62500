"""linalg.generic -> one Python statement: elementwise maps, reductions, einsum, argmax/argmin."""
from __future__ import annotations

import numpy as np
from xdsl.dialects import arith, tensor
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects import complex as cplx
from xdsl.ir import Block, SSAValue

from hpcir.core.errors import HpcirError
from hpcir.dialects.graph_types import elem_of, np_dtype, shape_of

from .graph_expr import _BINARY, _CAST, _CMP, _COMBINE, _UNARY, Expr, _scalar_value, dim_of, literal


_NP_UNARY = {"exp": np.exp, "log": np.log, "tanh": np.tanh, "sqrt": np.sqrt, "sin": np.sin,
             "cos": np.cos, "neg": np.negative, "abs": np.abs, "floor": np.floor, "ceil": np.ceil}
_NP_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
              "max": np.maximum, "min": np.minimum, "pow": np.power, "and": np.logical_and,
              "or": np.logical_or, "xor": np.logical_xor}
_NP_CMP = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
           ">=": np.greater_equal}


def _fold(op, vals, dt):
    """Evaluate a body op whose operands are all literals (None when it cannot be folded)."""
    with np.errstate(all="ignore"):
        if type(op) in _UNARY and _UNARY[type(op)] in _NP_UNARY:
            return dt.type(_NP_UNARY[_UNARY[type(op)]](dt.type(vals[0]))).item()
        if type(op) in _BINARY and _BINARY[type(op)] in _NP_BINARY:
            return dt.type(_NP_BINARY[_BINARY[type(op)]](dt.type(vals[0]), dt.type(vals[1]))).item()
        if isinstance(op, (arith.CmpfOp, arith.CmpiOp)):
            names = (arith.CMPF_COMPARISON_OPERATIONS if isinstance(op, arith.CmpfOp)
                     else arith.CMPI_COMPARISON_OPERATIONS)
            sym = _CMP.get(names[op.predicate.value.data])
            return bool(_NP_CMP[sym](vals[0], vals[1])) if sym else None
        if isinstance(op, arith.SelectOp):
            return vals[1] if vals[0] else vals[2]
        if isinstance(op, cplx.CreateOp):
            return complex(vals[0], vals[1])
    return None


def _bshape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """numpy broadcast of actual (right-aligned) shapes."""
    return tuple(np.broadcast_shapes(*shapes)) if shapes else ()


class _Generic:
    """Evaluates one generic's body as Python expressions over its iteration space."""

    def __init__(self, em, op: linalg.GenericOp):
        self.em, self.op, self.v = em, op, em.v
        self.maps = [m.data for m in op.indexing_maps]
        self.n = self.maps[0].num_dims
        self.red = [i for i, it in enumerate(op.iterator_types) if str(it.data.value) == "reduction"]
        self.sizes = [1] * self.n
        for val, m in zip([*op.inputs, *op.outputs], self.maps):
            for k, e in enumerate(m.results):
                d = dim_of(e)[0]
                self.sizes[d] = shape_of(val.type)[k]
        self.full = tuple(self.sizes)
        self.block: Block = op.body.block
        self.memo: dict[SSAValue, Expr] = {}
        for i, (val, m) in enumerate(zip(op.inputs, self.maps)):
            self.memo[self.block.args[i]] = self.align(em.ref(val), m.results, shape_of(val.type))

    def align(self, name: str, results, vshape) -> Expr:
        """The operand as an array broadcastable against the iteration space."""
        if not results:
            return Expr(name, ())
        dims = [dim_of(e) for e in results]
        text = name
        flips = [k for k, (_, f, c) in enumerate(dims) if f]
        for k in flips:
            if dims[k][2] != vshape[k] - 1:
                raise HpcirError("reversed index map with an offset is not supported by the emitters")
        if flips:
            text = self.v.flip(text, flips)
        order = [d for d, _, _ in dims]
        perm = sorted(range(len(order)), key=lambda k: order[k])
        if perm != list(range(len(order))):
            text = self.v.transpose(text, perm)
        present = sorted(order)
        idx = [":" if d in present else "None" for d in range(present[0], self.n)]
        if "None" in idx:
            text = f"{text}[{', '.join(idx)}]"
        return Expr(text, tuple(self.sizes[d] if d in present else 1 for d in range(present[0], self.n)))

    def expr(self, v: SSAValue) -> Expr:
        if v in self.memo:
            return self.memo[v]
        e = self._compute(v)
        if not e.is_lit and len(list(v.uses)) > 1 and not e.text.isidentifier():
            name = self.em.fresh("t")
            self.em.lines.append(f"{name} = {e.text}")
            e = Expr(name, e.shape)
        self.memo[v] = e
        return e

    def _compute(self, v: SSAValue) -> Expr:
        op = v.owner
        dt = np_dtype(v.type) if not str(v.type) == "index" else np.dtype("int64")
        if isinstance(op, arith.ConstantOp):
            val = _scalar_value(op)
            return Expr(literal(val), (), lit=val)
        if isinstance(op, arith.IndexCastOp):
            return self.expr(op.operands[0])
        if isinstance(op, linalg.IndexOp):
            d = op.dim.value.data
            idx = [":"] + ["None"] * (self.n - 1 - d)
            text = self.v.arange(self.sizes[d]) + (f"[{', '.join(idx)}]" if len(idx) > 1 else "")
            return Expr(text, tuple(self.sizes[d] if i == d else 1 for i in range(d, self.n)))
        args = [self.expr(a) for a in op.operands] if not isinstance(op, tensor.ExtractOp) else []
        if args and all(a.is_lit for a in args):
            folded = _fold(op, [a.lit for a in args], dt)
            if folded is not None:
                return Expr(literal(folded), (), lit=folded)
        shape = _bshape(*(a.shape for a in args)) if args else ()
        if type(op) in _UNARY:
            return Expr(self.v.unary(_UNARY[type(op)], args[0], dt), shape)
        if type(op) in _BINARY:
            return Expr(self.v.binary(_BINARY[type(op)], args[0], args[1], dt), shape)
        if isinstance(op, (arith.CmpfOp, arith.CmpiOp)):
            pred = op.predicate.value.data
            names = (arith.CMPF_COMPARISON_OPERATIONS if isinstance(op, arith.CmpfOp)
                     else arith.CMPI_COMPARISON_OPERATIONS)
            p = names[pred]
            if p == "uno" and op.operands[0] == op.operands[1]:
                return Expr(self.v.isnan(args[0]), shape)
            if p not in _CMP:
                raise HpcirError(f"comparison predicate {p} is not supported by the emitters")
            return Expr(f"({args[0].text} {_CMP[p]} {args[1].text})", shape)
        if isinstance(op, arith.SelectOp):
            return Expr(self.v.select(*args), shape)
        if isinstance(op, _CAST):
            a = args[0]
            if a.is_lit:
                val = dt.type(a.lit).item()
                return Expr(literal(val), a.shape, lit=val)
            return Expr(self.v.cast(a, dt), shape)
        if isinstance(op, cplx.CreateOp):
            return Expr(self.v.complex(args[0], args[1], dt), shape)
        if isinstance(op, tensor.ExtractOp):
            idx = [self.expr(i) for i in op.indices]
            src = self.em.ref(op.tensor)
            return Expr(f"{src}[{', '.join(i.text for i in idx)}]", _bshape(*(i.shape for i in idx)))
        raise HpcirError(f"the {self.v.target} emitter does not handle {op.name} inside linalg.generic")

    def finish(self, e: Expr, shape: tuple[int, ...], dt) -> str:
        """Materialize an expression with exactly `shape` (iteration-space rank)."""
        if e.is_lit:
            return self.v.full(shape, e.text, dt)
        if tuple(e.shape) != tuple(shape):
            return self.v.broadcast_to(e.text, shape)
        return e.text


def emit_generic(em, op: linalg.GenericOp) -> None:
    """Emit one statement (two for argmax-like ops) for a linalg.generic."""
    g = _Generic(em, op)
    y = g.block.last_op
    if len(op.outputs) == 2 and g.red:
        return _arg_reduce(g, em, op)
    if g.red:
        if _einsum(g, em, op):
            return None
        return _reduce(g, em, op)
    if len(op.outputs) != 1:
        raise HpcirError("multi-result elementwise linalg.generic is not supported by the emitters")
    res = op.results[0]
    dt = np_dtype(elem_of(res.type))
    e = g.expr(y.operands[0])
    text = g.finish(e, g.full, dt)
    order = [dim_of(r)[0] for r in g.maps[-1].results]
    if order != list(range(g.n)):
        text = em.v.transpose(text, order)
    em.bind(res, text, op)
    return None


def _combine_parts(g: _Generic, acc_index: int):
    """(combine kind, the non-accumulator operand) of the op yielding output acc_index."""
    y = g.block.last_op
    comb = y.operands[acc_index].owner
    acc = g.block.args[len(g.op.inputs) + acc_index]
    if type(comb) not in _BINARY or acc not in comb.operands:
        raise HpcirError("reduction body is not `acc = combine(acc, value)`; not supported by the emitters")
    kind = _BINARY[type(comb)]
    if kind not in _COMBINE:
        raise HpcirError(f"reduction with combiner {kind!r} is not supported by the emitters")
    other = comb.operands[1] if comb.operands[0] == acc else comb.operands[0]
    return _COMBINE[kind], other


def _out_transpose(g: _Generic, em, text: str, out_map) -> str:
    order = [dim_of(r)[0] for r in out_map.results]
    kept = sorted(order)
    perm = [kept.index(d) for d in order]
    return em.v.transpose(text, perm) if perm != list(range(len(perm))) else text


def _reduce(g: _Generic, em, op) -> None:
    res = op.results[0]
    dt = np_dtype(elem_of(res.type))
    kind, other = _combine_parts(g, 0)
    e = g.expr(other)
    text = g.v.reduce(kind, g.finish(e, g.full, dt), g.red, dt)
    text = _out_transpose(g, em, text, g.maps[-1])
    em.bind_combined(res, text, op.outputs[0], kind, op)


def _einsum(g: _Generic, em, op) -> bool:
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return False
    try:
        kind, other = _combine_parts(g, 0)
    except HpcirError:
        return False
    mul = other.owner
    if kind != "sum" or type(mul) not in _BINARY or _BINARY[type(mul)] != "mul":
        return False
    if set(mul.operands) != {g.block.args[0], g.block.args[1]} or mul.operands[0] == mul.operands[1]:
        return False
    letters = "abcdefghijklmnopqrstuvwxyz"
    try:
        specs = ["".join(letters[dim_of(e)[0]] for e in m.results) if all(not dim_of(e)[1] for e in m.results)
                 else None for m in g.maps]
    except HpcirError:
        return False
    if None in specs:
        return False
    res = op.results[0]
    text = em.v.einsum(f"{specs[0]},{specs[1]}->{specs[2]}", em.ref(op.inputs[0]), em.ref(op.inputs[1]))
    em.bind_combined(res, text, op.outputs[0], "sum", op)
    return True


def _arg_reduce(g: _Generic, em, op) -> None:
    cmp = next((o for o in g.block.ops if isinstance(o, (arith.CmpfOp, arith.CmpiOp))), None)
    if cmp is None or len(g.red) != 1 or len(op.inputs) != 1:
        raise HpcirError("two-result reduction other than argmax/argmin is not supported by the emitters")
    names = arith.CMPF_COMPARISON_OPERATIONS if isinstance(cmp, arith.CmpfOp) else arith.CMPI_COMPARISON_OPERATIONS
    pred = names[cmp.predicate.value.data]
    kind = "max" if pred in ("ogt", "sgt", "oge", "sge") else "min"
    x = g.finish(g.memo[g.block.args[0]], g.full, np_dtype(elem_of(op.inputs[0].type)))
    vres, ires = op.results
    axis = g.red[0]
    if vres.uses:
        em.bind(vres, _out_transpose(g, em, em.v.reduce(kind, x, [axis], np_dtype(elem_of(vres.type))), g.maps[-2]), op)
    em.bind(ires, _out_transpose(g, em, em.v.arg_reduce(kind, x, axis, np_dtype(elem_of(ires.type))), g.maps[-1]), op)
