"""Shared core of the JAX and Torch emitters: L1 GraphProgram -> readable Python source.

The core walks the func body once and gives each L1 op one Python statement. It understands the
L1 shapes that the frontends build (see frontends/graph_builder.py) structurally, not by name:
elementwise linalg.generic bodies become one expression (inputs aligned to the iteration space
by transpose / flip / None-indexing), reductions become sum/max/... over the reduction dims,
mul-add contractions become einsum, two-result index-tracking reductions become argmax/argmin.
Framework spelling lives in a `Vocab` (backends/jax_emitter.py, backends/torch_emitter.py).
"""
from __future__ import annotations

import re

import numpy as np
from xdsl.dialects import arith, func, tensor
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr
from xdsl.ir import Operation, SSAValue

from hpcir.core.errors import HpcirError
from hpcir.dialects.graph_types import SRC_ATTR
from hpcir.dialects.graph_program import GraphProgram
from hpcir.dialects.graph_types import dense_value, elem_of, np_dtype, shape_of

from .graph_emit_control import emit_control, handles as is_control, scalar_constant
from .graph_emit_generic import emit_generic
from .graph_expr import _IDENTITY, INLINE_CONST_MAX, Expr, _scalar_value, literal

class Vocab:
    """Framework spelling of every construct; subclasses fill in JAX or Torch."""

    target = ""
    imports: tuple[str, ...] = ()

    def dtype(self, dt: np.dtype) -> str: raise NotImplementedError
    def prologue(self, params: list[str]) -> list[str]: return []
    def array(self, value: np.ndarray) -> str: raise NotImplementedError
    def const_ref(self, key: str, dt: np.dtype) -> str: raise NotImplementedError
    def full(self, shape, lit: str, dt) -> str: raise NotImplementedError
    def arange(self, n: int) -> str: raise NotImplementedError
    def unary(self, kind: str, a: Expr, dt) -> str: raise NotImplementedError
    def binary(self, kind: str, a: Expr, b: Expr, dt) -> str: raise NotImplementedError
    def select(self, c: Expr, a: Expr, b: Expr) -> str: raise NotImplementedError
    def cast(self, a: Expr, dt) -> str: raise NotImplementedError
    def isnan(self, a: Expr) -> str: raise NotImplementedError
    def complex(self, re: Expr, im: Expr, dt) -> str: raise NotImplementedError
    def transpose(self, x: str, perm) -> str: raise NotImplementedError
    def flip(self, x: str, axes) -> str: raise NotImplementedError
    def reshape(self, x: str, shape) -> str: raise NotImplementedError
    def broadcast_to(self, x: str, shape) -> str: raise NotImplementedError
    def reduce(self, kind: str, x: str, axes, dt) -> str: raise NotImplementedError
    def arg_reduce(self, kind: str, x: str, axis: int, dt) -> str: raise NotImplementedError
    def einsum(self, spec: str, a: str, b: str) -> str: raise NotImplementedError
    def pad(self, x: str, lo, hi, value: str) -> str: raise NotImplementedError
    def concat(self, xs: list[str], axis: int) -> str: raise NotImplementedError
    def conv2d(self, x: str, w: str, strides, dilations, groups: int) -> str: raise NotImplementedError
    def max_pool2d(self, x: str, kernel, strides, dilations) -> str: raise NotImplementedError
    def fft(self, kind: str, x: str, axes, norm: str, s) -> str: raise NotImplementedError
    # control flow (graph_emit_control.py): lax.* loops with nested functions, or Python statements
    functional_control = False
    def dynamic_slice(self, x: str, offsets: list[str], sizes) -> str: raise NotImplementedError
    def dynamic_update(self, name: str, x: str, upd: str, offsets: list[str], sizes, in_place: bool) -> list[str]:
        raise NotImplementedError


class Emitter:
    """Translates one GraphProgram into the source of one Python function."""

    def __init__(self, prog: GraphProgram, vocab: Vocab, const_max: int = INLINE_CONST_MAX):
        self.prog, self.v, self.const_max = prog, vocab, const_max
        self.names: dict[SSAValue, str] = {}
        self.used: set[str] = set()
        self.lines: list[str] = []
        self.consts: dict[str, np.ndarray] = {}
        self.fills: dict[SSAValue, object] = {}  # results of linalg.fill -> scalar value
        self.pending: dict[SSAValue, Operation] = {}  # fills not yet written

    # ---- naming ---------------------------------------------------------------------------------
    def fresh(self, hint: str | None) -> str:
        base = re.sub(r"\W", "_", hint or "v").strip("_") or "v"
        if base[0].isdigit() or base in _RESERVED:
            base = f"v_{base}"
        name, k = base, 1
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name

    def bind(self, value: SSAValue, text: str, op: Operation | None = None) -> str:
        name = self.fresh(value.name_hint)
        self.names[value] = name
        src = op.attributes.get(SRC_ATTR) if op is not None else None
        comment = f"  # {src.data.rsplit('/', 1)[-1]}" if src is not None else ""
        self.lines.append(f"{name} = {text}{comment}")
        return name

    def ref(self, value: SSAValue) -> str:
        if value in self.pending:
            op = self.pending.pop(value)
            t = value.type
            self.bind(value, self.v.full(shape_of(t), literal(self.fills[value]), np_dtype(elem_of(t))), op)
        try:
            return self.names[value]
        except KeyError:
            raise HpcirError(f"internal: value {value} used before definition") from None

    # ---- driver -------------------------------------------------------------------------------------
    def emit(self) -> tuple[str, dict[str, np.ndarray]]:
        """(function source, large constants keyed by the name the source uses)."""
        f = self.prog.func
        self.used |= {"_consts", "_dev"}
        params = [self.fresh(n) for n in self.prog.arg_names]
        for a, n in zip(f.body.block.args, params):
            self.names[a] = n
        self.lines += self.v.prologue(params)
        for op in f.body.block.ops:
            self.op(op)
        body = "\n".join("    " + ln for ln in self.lines)
        doc = f'    """{self.prog.name}: generated by hpcir from its L1 program (inputs: {", ".join(self.prog.input_names) or "none"})."""'
        src = f"def {self.prog.name}({', '.join(params)}):\n{doc}\n{body}\n"
        return src, self.consts

    def op(self, op: Operation) -> None:
        if isinstance(op, func.ReturnOp):
            outs = [self.ref(v) for v in op.operands]
            self.lines.append("return " + (outs[0] if len(outs) == 1 and self.prog.single_output
                                           else "(" + ", ".join(outs) + ("," if len(outs) == 1 else "") + ")"))
        elif isinstance(op, arith.ConstantOp):
            self.constant(op)
        elif is_control(op):
            emit_control(self, op)
        elif isinstance(op, tensor.EmptyOp):
            pass  # destinations only; an op that reads one is reported below
        elif isinstance(op, linalg.FillOp):
            self.fill(op)
        elif isinstance(op, linalg.GenericOp):
            self.generic(op)
        elif isinstance(op, (tensor.CollapseShapeOp, tensor.ExpandShapeOp)):
            self.bind(op.results[0], self.v.reshape(self.ref(op.operands[0]), shape_of(op.results[0].type)), op)
        elif isinstance(op, tensor.ExtractSliceOp):
            self.extract_slice(op)
        elif isinstance(op, tensor.PadOp):
            self.pad(op)
        elif isinstance(op, tensor.ConcatOp):
            xs = [self.ref(x) for x in op.operands]
            self.bind(op.results[0], self.v.concat(xs, op.dim.value.data), op)
        elif isinstance(op, (linalg.Conv2DNchwFchwOp, linalg.Conv2DNgchwGfchwOp, linalg.PoolingNchwMaxOp)):
            self.window_op(op)
        elif op.name.startswith("fft."):
            self.fft(op)
        else:
            raise HpcirError(f"the {self.v.target} emitter does not handle L1 op {op.name}")

    # ---- simple ops -----------------------------------------------------------------------------
    def constant(self, op: arith.ConstantOp) -> None:
        val = op.value
        if not isinstance(val, DenseIntOrFPElementsAttr):
            if all(isinstance(u.operation, linalg.FillOp) for u in op.results[0].uses):
                return  # read by the fill itself
            scalar_constant(self, op)  # a loop bound or branch index
            return
        arr = dense_value(val)
        if arr.size <= self.const_max or np.all(arr.reshape(-1) == arr.reshape(-1)[0]):
            if arr.size > self.const_max:  # splat: a full() reads better than a table
                text = self.v.full(arr.shape, literal(arr.reshape(-1)[0].item()), arr.dtype)
            else:
                text = self.v.array(arr)
            self.bind(op.results[0], text, op)
            return
        key = self.fresh(op.results[0].name_hint or "const")
        self.consts[key] = arr
        self.names[op.results[0]] = key
        src = op.attributes.get(SRC_ATTR)
        comment = f"  # {src.data.rsplit('/', 1)[-1]}" if src is not None else ""
        self.lines.append(f"{key} = {self.v.const_ref(key, arr.dtype)}{comment}")

    def fill(self, op: linalg.FillOp) -> None:
        cop = op.inputs[0].owner
        if not isinstance(cop, arith.ConstantOp):
            raise HpcirError("linalg.fill of a non-constant value is not supported by the emitters")
        val = _scalar_value(cop)
        res = op.results[0]
        self.fills[res] = val
        self.pending[res] = op  # written only if something reads the tensor itself

    def extract_slice(self, op: tensor.ExtractSliceOp) -> None:
        offs = op.static_offsets.get_values()
        sizes = op.static_sizes.get_values()
        strides = op.static_strides.get_values()
        src_shape = shape_of(op.source.type)
        idx = []
        for o, s, st, n in zip(offs, sizes, strides, src_shape):
            if o == 0 and st == 1 and s == n:
                idx.append(":")
            else:
                stop = o + (s - 1) * st + 1
                idx.append(f"{o}:{stop}" + (f":{st}" if st != 1 else ""))
        text = f"{self.ref(op.source)}[{', '.join(idx)}]"
        out_shape = shape_of(op.results[0].type)
        if len(out_shape) != len(src_shape):  # rank-reducing slice
            text = self.v.reshape(text, out_shape)
        self.bind(op.results[0], text, op)

    def pad(self, op: tensor.PadOp) -> None:
        blk = op.region.block
        y = blk.last_op
        cop = y.operands[0].owner
        if not isinstance(cop, arith.ConstantOp):
            raise HpcirError("tensor.pad with a non-constant padding value is not supported")
        lo, hi = op.static_low.get_values(), op.static_high.get_values()
        self.bind(op.results[0], self.v.pad(self.ref(op.source), lo, hi, literal(_scalar_value(cop))), op)

    def window_op(self, op) -> None:
        x = self.ref(op.inputs[0])
        w = None if isinstance(op, linalg.PoolingNchwMaxOp) else self.ref(op.inputs[1])  # window: shape only
        init = op.outputs[0]
        strides = [int(s) for s in op.strides.get_values()]
        dil = [int(s) for s in op.dilations.get_values()]
        if isinstance(op, linalg.PoolingNchwMaxOp):
            kernel = shape_of(op.inputs[1].type)
            text = self.v.max_pool2d(x, kernel, strides, dil)
            kind = "max"
        elif isinstance(op, linalg.Conv2DNchwFchwOp):
            text = self.v.conv2d(x, w, strides, dil, 1)
            kind = "sum"
        else:  # (N, G, C, H, W) x (G, F, C, KH, KW) -> (N, G, F, OH, OW)
            xs, ws = shape_of(op.inputs[0].type), shape_of(op.inputs[1].type)
            ys = shape_of(op.results[0].type)
            g = xs[1]
            x2 = self.v.reshape(x, (xs[0], g * xs[2], xs[3], xs[4]))
            w2 = self.v.reshape(w, (g * ws[1], ws[2], ws[3], ws[4]))
            text = self.v.reshape(self.v.conv2d(x2, w2, strides, dil, g), ys)
            kind = "sum"
        self.bind_combined(op.results[0], text, init, kind, op)

    def bind_combined(self, res: SSAValue, text: str, init: SSAValue, kind: str, op) -> None:
        """res = combine(init, text) unless init is a fill with the combine's identity."""
        ident = _IDENTITY.get(kind, float("-inf") if kind == "max" else float("inf"))
        if init in self.fills and self.fills[init] == ident:
            self.bind(res, text, op)
            return
        dt = np_dtype(elem_of(res.type))
        shape = shape_of(res.type)
        comb = {"sum": "add", "prod": "mul", "max": "max", "min": "min", "all": "and", "any": "or"}[kind]
        self.bind(res, self.v.binary(comb, Expr(self.ref(init), shape), Expr(f"({text})", shape), dt), op)

    def fft(self, op: Operation) -> None:
        kind = op.name.split(".", 1)[1]
        axes = [int(a) for a in op.properties["axes"].get_values()]
        norm = op.properties["norm"].data
        out_shape = shape_of(op.results[0].type)
        s = [out_shape[a] for a in axes] if kind == "irfftn" else None
        self.bind(op.results[0], self.v.fft(kind, self.ref(op.operands[0]), axes, norm, s), op)

    # ---- linalg.generic ---------------------------------------------------------------------------
    def generic(self, op: linalg.GenericOp) -> None:
        emit_generic(self, op)


_RESERVED = {"jax", "jnp", "lax", "torch", "np", "F", "def", "return", "lambda", "in", "is", "if",
             "else", "for", "while", "and", "or", "not", "import", "from", "class", "pass", "None",
             "True", "False", "del", "global", "with", "as", "yield", "try", "except", "raise",
             "min", "max", "sum", "abs", "pow", "round", "float", "int", "complex", "input",
             "print", "len", "range", "type", "id", "list", "dict", "tuple", "set", "slice",
             "math", "print", "exp", "log"}
