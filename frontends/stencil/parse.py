"""Python AST of an `@hpcir.stencil` function → xDSL `stencil` dialect (one `stencil.apply` per statement).

The stencil language: parameters are `Field[dtype, rank]` arrays or `float` scalars; each statement is
`name = expr` (a temporary field, computed wherever it is read) or `out[0, ..., 0] = expr` (an output
field, written once over the domain). In expressions, `f[i, j]` reads field or temporary `f` at a
constant relative offset (a bare `f` means offset zero); arithmetic, comparisons, `a if c else b` and
the math functions of `_MATH` are allowed.

The stencil-level IR is written over a symbolic domain `[0, SYMBOLIC_EXTENT)` per dimension (the
xDSL stencil dialect only has static bounds): `stencil.store` bounds say "the domain", shape
inference then gives every temporary and input its extent relative to it, and `lower.py` turns
those sentinel bounds back into the runtime domain (entry arguments).
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable

from xdsl.dialects import arith, func
from xdsl.dialects import math as mathd
from xdsl.dialects import stencil
from xdsl.dialects.builtin import FloatAttr, IntAttr, ModuleOp, UnitAttr
from xdsl.ir import Block, Operation, Region, SSAValue

from hpcir.core.errors import HpcirError, KernelSyntaxError, KernelTypeError, SourceLocation
from hpcir.frontends.python.types import ScalarType

from hpcir.dialects.stencil_signature import MAX_HALO, SYMBOLIC_EXTENT, StencilParamSig, StencilSignature

from .field import FieldSpec


_BINOPS: dict[type, type[Operation]] = {ast.Add: arith.AddfOp, ast.Sub: arith.SubfOp, ast.Mult: arith.MulfOp,
                                        ast.Div: arith.DivfOp}
_CMPS = {ast.Lt: "olt", ast.LtE: "ole", ast.Gt: "ogt", ast.GtE: "oge", ast.Eq: "oeq", ast.NotEq: "une"}
_MATH: dict[str, type[Operation]] = {
    "sqrt": mathd.SqrtOp, "exp": mathd.ExpOp, "log": mathd.LogOp, "sin": mathd.SinOp, "cos": mathd.CosOp,
    "tan": mathd.TanOp, "tanh": mathd.TanhOp, "abs": mathd.AbsFOp, "fabs": mathd.AbsFOp,
    "floor": mathd.FloorOp, "ceil": mathd.CeilOp,
}
_MINMAX: dict[str, type[Operation]] = {"min": arith.MinimumfOp, "minimum": arith.MinimumfOp,
                                       "max": arith.MaximumfOp, "maximum": arith.MaximumfOp}
_MATH_MODULES = ("math", "np", "numpy", "jnp", "torch")


@dataclass
class StencilParam:
    """One parameter: a field (spec set) or a float scalar (spec None)."""

    name: str
    spec: FieldSpec | None
    node: ast.arg
    is_output: bool = False


@dataclass
class StencilDef:
    """A parsed stencil: its parameters, element type, rank and source."""

    name: str
    params: list[StencilParam]
    dtype: ScalarType
    rank: int
    tree: ast.FunctionDef
    filename: str
    line_offset: int
    col_offset: int
    globals: dict[str, Any] = field(default_factory=dict)

    def loc(self, node: ast.AST) -> SourceLocation:
        """Source location of an AST node of this stencil."""
        return SourceLocation.of(node, self.filename, self.line_offset, self.col_offset)

    @property
    def fields(self) -> list[StencilParam]:
        """The field parameters, in order."""
        return [p for p in self.params if p.spec is not None]

    @property
    def outputs(self) -> list[str]:
        """Names of the fields the stencil writes."""
        return [p.name for p in self.params if p.is_output]

    def signature(self) -> StencilSignature:
        """What the emitters need to know beside the IR: names, roles, element type, rank."""
        return StencilSignature(self.name, tuple(StencilParamSig(p.name, p.spec is not None, p.is_output)
                                                 for p in self.params), str(self.dtype), self.rank)


def parse_stencil(fn: Callable[..., Any]) -> StencilDef:
    """Read and check the signature of a stencil function (its body is checked by `build_stencil_ir`)."""
    filename = inspect.getsourcefile(fn) or "<unknown>"
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError) as err:
        raise HpcirError(f"cannot read the source of stencil {getattr(fn, '__name__', fn)!r}: {err}",
                         hint="define stencils in a .py file (not in an interactive prompt)") from None
    col_offset = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    tree = ast.parse(textwrap.dedent("".join(lines))).body[0]
    glb = dict(fn.__globals__)
    if fn.__closure__:
        for cname, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                glb[cname] = cell.cell_contents
            except ValueError:
                pass
    if not isinstance(tree, ast.FunctionDef):
        raise KernelSyntaxError("@hpcir.stencil must decorate a plain `def` function",
                                SourceLocation.of(tree, filename, first - 1, col_offset))
    sd = StencilDef(fn.__name__, [], ScalarType("f64", float, "double"), 0, tree, filename, first - 1,
                    col_offset, glb)
    args = tree.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise KernelSyntaxError("stencil parameters must be plain positional parameters", sd.loc(tree))
    for a in args.args:
        sd.params.append(StencilParam(a.arg, _param_spec(sd, a), a))
    fields = sd.fields
    if not fields:
        raise KernelTypeError(f"stencil {sd.name} has no Field parameter", sd.loc(tree),
                              hint="annotate the arrays, e.g. `u: Field[float, 2]`")
    first_field = fields[0]
    assert first_field.spec is not None
    for p in fields[1:]:
        assert p.spec is not None
        if p.spec.rank != first_field.spec.rank:
            raise KernelTypeError(f"rank mismatch: field {p.name!r} has rank {p.spec.rank} but "
                                  f"{first_field.name!r} has rank {first_field.spec.rank}", sd.loc(p.node),
                                  hint="all fields of one stencil have the same number of dimensions")
        if p.spec.dtype != first_field.spec.dtype:
            raise KernelTypeError(f"dtype mismatch: field {p.name!r} is {p.spec.dtype} but {first_field.name!r} "
                                  f"is {first_field.spec.dtype}", sd.loc(p.node),
                                  hint="all fields of one stencil have the same element type")
    sd.dtype, sd.rank = first_field.spec.dtype, first_field.spec.rank
    _mark_outputs(sd)
    return sd


def _param_spec(sd: StencilDef, a: ast.arg) -> FieldSpec | None:
    if a.annotation is None:
        raise KernelTypeError(f"parameter {a.arg!r} has no annotation", sd.loc(a),
                              hint=f"write `{a.arg}: Field[float, 2]` for an array or `{a.arg}: float` for a scalar")
    try:
        value = eval(compile(ast.Expression(a.annotation), sd.filename, "eval"), sd.globals)  # noqa: S307
    except Exception as err:  # a typo or an unsupported Field[...] in the annotation
        raise KernelTypeError(f"bad annotation for {a.arg!r}: {err}", sd.loc(a.annotation)) from None
    if isinstance(value, FieldSpec):
        return value
    if value is float:
        return None
    raise KernelTypeError(f"parameter {a.arg!r}: unsupported annotation {ast.unparse(a.annotation)!r}",
                          sd.loc(a.annotation), hint="use Field[float, rank], Field[float32, rank] or float")


def _mark_outputs(sd: StencilDef) -> None:
    by_name = {p.name: p for p in sd.params}
    for st in sd.tree.body:
        targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, ast.AugAssign) else []
        for t in targets:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in by_name:
                by_name[t.value.id].is_output = True


@dataclass
class _Temp:
    """A temporary field: the stencil.apply result that computes it."""

    value: SSAValue


class _ApplyBuilder:
    """Lowers one expression into the body of a new stencil.apply."""

    def __init__(self, owner: "StencilIRBuilder"):
        self.owner = owner
        self.sd = owner.sd
        self.block = Block()
        self.outer: list[SSAValue] = []
        self.arg_of: dict[int, SSAValue] = {}  # id(outer value) -> block argument
        self.elem = owner.elem

    def emit(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    def arg(self, outer: SSAValue) -> SSAValue:
        key = id(outer)
        if key not in self.arg_of:
            self.arg_of[key] = self.block.insert_arg(outer.type, len(self.block.args))
            self.outer.append(outer)
        return self.arg_of[key]

    def const(self, v: float) -> SSAValue:
        return self.emit(arith.ConstantOp(FloatAttr(float(v), self.elem)))

    def offsets(self, node: ast.Subscript, name: str) -> list[int]:
        sl = node.slice
        items = sl.elts if isinstance(sl, ast.Tuple) else [sl]
        offs = [self._offset(e) for e in items]
        if len(offs) != self.sd.rank:
            raise KernelTypeError(f"rank mismatch: {name!r} has {self.sd.rank} dimension(s) but is indexed with "
                                  f"{len(offs)} offset(s)", self.sd.loc(node),
                                  hint=f"write {name}[{', '.join(['0'] * self.sd.rank)}] (relative offsets)")
        return offs

    def _offset(self, e: ast.expr) -> int:
        v = _const_int(e, self.sd.globals)
        if v is None:
            raise KernelSyntaxError(f"non-constant offset {ast.unparse(e)!r}", self.sd.loc(e),
                                    hint="offsets are integer constants relative to the current point, e.g. u[-1, 0]")
        if abs(v) >= MAX_HALO:
            raise KernelSyntaxError(f"offset {v} is too large", self.sd.loc(e))
        return v

    def access(self, name: str, node: ast.AST, offs: list[int]) -> SSAValue:
        src = self.owner.read_source(name, node, offs)
        return self.emit(stencil.AccessOp(self.arg(src), offs))

    def expr(self, node: ast.expr) -> SSAValue:
        sd = self.sd
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return self.const(node.value)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Subscript):
            if not isinstance(node.value, ast.Name):
                raise KernelSyntaxError("only fields and temporaries can be indexed", sd.loc(node))
            name = node.value.id
            if name not in self.owner.temps and name not in self.owner.field_names:
                self.name(node.value)  # raises the right error (scalar, unknown name)
                raise KernelSyntaxError(f"{name!r} cannot be indexed", sd.loc(node))
            return self.access(name, node, self.offsets(node, name))
        if isinstance(node, ast.BinOp):
            lhs = self.expr(node.left)
            if isinstance(node.op, ast.Pow):
                return self.power(lhs, node)
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise KernelSyntaxError(f"operator {type(node.op).__name__} is not supported in stencils",
                                        sd.loc(node), hint="use + - * / ** and the math functions")
            return self.emit(op(lhs, self.expr(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.expr(node.operand)
            return self.emit(arith.NegfOp(v)) if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.IfExp):
            cond = self.cond(node.test)
            return self.emit(arith.SelectOp(cond, self.expr(node.body), self.expr(node.orelse)))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise KernelSyntaxError(f"unsupported expression {ast.unparse(node)!r} in a stencil", sd.loc(node),
                                hint="stencil expressions use field accesses, numbers, arithmetic, math "
                                     "functions and `a if cond else b`")

    def power(self, base: SSAValue, node: ast.BinOp) -> SSAValue:
        n = _const_int(node.right, self.sd.globals)
        if n is not None and 1 <= n <= 8:
            acc = base
            for _ in range(n - 1):
                acc = self.emit(arith.MulfOp(acc, base))
            return acc
        return self.emit(mathd.PowFOp(base, self.expr(node.right)))

    def cond(self, node: ast.expr) -> SSAValue:
        sd = self.sd
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1 or type(node.ops[0]) not in _CMPS:
                raise KernelSyntaxError("use one comparison (<, <=, >, >=, ==, !=) per condition", sd.loc(node),
                                        hint="combine comparisons with `and` / `or`")
            lhs, rhs = self.expr(node.left), self.expr(node.comparators[0])
            return self.emit(arith.CmpfOp(lhs, rhs, _CMPS[type(node.ops[0])]))
        if isinstance(node, ast.BoolOp):
            vals = [self.cond(v) for v in node.values]
            op = arith.AndIOp if isinstance(node.op, ast.And) else arith.OrIOp
            acc = vals[0]
            for v in vals[1:]:
                acc = self.emit(op(acc, v))
            return acc
        raise KernelSyntaxError(f"unsupported condition {ast.unparse(node)!r}", sd.loc(node),
                                hint="write a comparison such as `u[0, 0] > 0.0`")

    def call(self, node: ast.Call) -> SSAValue:
        sd = self.sd
        fn = node.func
        fname = fn.id if isinstance(fn, ast.Name) else fn.attr if (
            isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id in _MATH_MODULES) else None
        if node.keywords:
            raise KernelSyntaxError("keyword arguments are not supported in stencil calls", sd.loc(node))
        if fname in _MATH and len(node.args) == 1:
            return self.emit(_MATH[fname](self.expr(node.args[0])))
        if fname in _MINMAX and len(node.args) >= 2:
            acc = self.expr(node.args[0])
            for a in node.args[1:]:
                acc = self.emit(_MINMAX[fname](acc, self.expr(a)))
            return acc
        if fname in ("pow", "power") and len(node.args) == 2:
            return self.emit(mathd.PowFOp(self.expr(node.args[0]), self.expr(node.args[1])))
        raise KernelSyntaxError(f"unsupported call {ast.unparse(node.func)!r} in a stencil", sd.loc(node),
                                hint=f"available: {', '.join(sorted({*_MATH, *_MINMAX, 'pow'}))}")

    def name(self, node: ast.Name) -> SSAValue:
        owner = self.owner
        n = node.id
        if n in owner.temps or n in owner.field_names:
            return self.access(n, node, [0] * self.sd.rank)
        if n in owner.scalars:
            return self.arg(owner.scalars[n])
        v = self.sd.globals.get(n)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return self.const(v)
        raise KernelSyntaxError(f"unknown name {n!r}", self.sd.loc(node),
                                hint="use a parameter, an earlier temporary, or a module-level number")

    def finish(self, value: SSAValue) -> stencil.ApplyOp:
        self.block.add_op(stencil.ReturnOp([value]))
        return stencil.ApplyOp(self.outer, self.block, [stencil.TempType(IntAttr(self.sd.rank), self.elem)])


def _const_int(e: ast.expr, glb: dict[str, Any]) -> int | None:
    if isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool):
        return e.value
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        v = _const_int(e.operand, glb)
        return None if v is None else (-v if isinstance(e.op, ast.USub) else v)
    if isinstance(e, ast.Name) and isinstance(glb.get(e.id), int) and not isinstance(glb.get(e.id), bool):
        return glb[e.id]
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)):
        a, b = _const_int(e.left, glb), _const_int(e.right, glb)
        if a is not None and b is not None:
            return a + b if isinstance(e.op, ast.Add) else a - b
    return None


class StencilIRBuilder:
    """Builds the stencil-dialect function of a parsed stencil."""

    def __init__(self, sd: StencilDef):
        self.sd = sd
        self.elem = sd.dtype.mlir()
        self.field_names = {p.name for p in sd.fields}
        self.temps: dict[str, _Temp] = {}
        self.written: dict[str, SSAValue] = {}  # output field -> the temp stored to it
        self.scalars: dict[str, SSAValue] = {}
        self.casts: dict[str, SSAValue] = {}
        self.loads: dict[str, SSAValue] = {}
        self.block: Block | None = None
        self._first_apply: Operation | None = None

    def read_source(self, name: str, node: ast.AST, offs: list[int]) -> SSAValue:
        """The stencil.temp a read of `name` refers to (a temporary, a loaded input, or a written output)."""
        if name in self.temps:
            return self.temps[name].value
        p = next(q for q in self.sd.params if q.name == name)
        if p.is_output:
            if any(offs):
                raise KernelSyntaxError(f"output field {name!r} is read at offset {offs}", self.sd.loc(node),
                                        hint="outputs are written over the domain only; compute the value "
                                             "into a temporary and read the temporary at offsets")
            if name not in self.written:
                raise KernelSyntaxError(f"output field {name!r} is read before it is written", self.sd.loc(node),
                                        hint="pass the old values as a separate input field")
            return self.written[name]
        if name not in self.loads:
            assert self.block is not None
            load = stencil.LoadOp(self.casts[name])
            if self._first_apply is not None:  # loads stay together, before the computation
                self.block.insert_op_before(load, self._first_apply)
            else:
                self.block.add_op(load)
            load.res.name_hint = f"{name}_t"
            self.loads[name] = load.res
        return self.loads[name]

    def build(self) -> ModuleOp:
        """The module holding the stencil function (before shape inference)."""
        sd = self.sd
        arg_types = [stencil.FieldType(IntAttr(p.spec.rank), p.spec.dtype.mlir()) if p.spec else self.elem
                     for p in sd.params]
        block = Block(arg_types=arg_types)
        self.block = block
        big = SentinelBounds.whole(sd.rank)
        for p, a in zip(sd.params, block.args):
            a.name_hint = p.name
            if p.spec is None:
                self.scalars[p.name] = a
            else:
                cast = stencil.CastOp(a, big)
                cast.result.name_hint = f"{p.name}_f"
                block.add_op(cast)
                self.casts[p.name] = cast.result
        for st in sd.tree.body:
            self.statement(st)
        if not self.written:
            raise KernelSyntaxError(f"stencil {sd.name} writes no output field", sd.loc(sd.tree),
                                    hint="assign an output, e.g. `out[0, 0] = ...`")
        block.add_op(func.ReturnOp())
        f = func.FuncOp(sd.name, (arg_types, []), Region(block))
        f.attributes["stencil.program"] = UnitAttr()
        _drop_dead_applies(block)
        return ModuleOp([f])

    def statement(self, st: ast.stmt) -> None:
        sd = self.sd
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
            return  # docstring
        if isinstance(st, ast.Pass):
            return
        if isinstance(st, ast.AugAssign):
            raise KernelSyntaxError("augmented assignment in a stencil", sd.loc(st),
                                    hint="write `x = x + ...` with a new temporary name")
        if not isinstance(st, ast.Assign) or len(st.targets) != 1:
            raise KernelSyntaxError(f"unsupported statement in a stencil: {type(st).__name__}", sd.loc(st),
                                    hint="a stencil body is a sequence of `tmp = expr` and `out[0, 0] = expr`")
        target = st.targets[0]
        if isinstance(target, ast.Name):
            if target.id in self.field_names or target.id in self.scalars:
                zeros = ", ".join(["0"] * sd.rank)
                raise KernelSyntaxError(f"cannot rebind parameter {target.id!r}", sd.loc(target),
                                        hint=f"write into the field with {target.id}[{zeros}] = ...")
            value = self.apply(st.value, target.id)
            self.temps[target.id] = _Temp(value)
            return
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name = target.value.id
            if name not in self.field_names:
                raise KernelSyntaxError(f"{name!r} is not a field parameter of the stencil", sd.loc(target),
                                        hint="temporaries are assigned by name (`tmp = ...`), outputs by index")
            offs = _ApplyBuilder(self).offsets(target, name)
            if any(offs):
                raise KernelSyntaxError(f"output {name!r} is written at offset {offs}", sd.loc(target),
                                        hint=f"write at the current point: {name}[{', '.join(['0'] * sd.rank)}] = ...")
            if name in self.written:
                raise KernelSyntaxError(f"output field {name!r} is written twice", sd.loc(target),
                                        hint="compute the value in temporaries and write the output once")
            value = self.apply(st.value, name)
            assert self.block is not None
            store = stencil.StoreOp(value, self.casts[name], SentinelBounds.domain(sd.rank))
            self.block.add_op(store)
            self.written[name] = value
            return
        raise KernelSyntaxError("unsupported assignment target", sd.loc(target),
                                hint="assign a temporary (`tmp = ...`) or an output (`out[0, 0] = ...`)")

    def apply(self, node: ast.expr, name: str) -> SSAValue:
        ab = _ApplyBuilder(self)
        value = ab.expr(node)
        op = ab.finish(value)
        assert self.block is not None
        self.block.add_op(op)
        if self._first_apply is None:
            self._first_apply = op
        op.res[0].name_hint = name
        return op.res[0]


class SentinelBounds:
    """The sentinel bounds of the stencil-level IR."""

    @staticmethod
    def domain(rank: int) -> stencil.StencilBoundsAttr:
        """The symbolic domain [0, SYMBOLIC_EXTENT)^rank."""
        return stencil.StencilBoundsAttr(stencil.IndexAttr.from_indices(*([0] * rank)),
                                         stencil.IndexAttr.from_indices(*([SYMBOLIC_EXTENT] * rank)))

    @staticmethod
    def whole(rank: int) -> stencil.StencilBoundsAttr:
        """Field bounds before shape inference narrows them (domain plus the largest halo)."""
        return stencil.StencilBoundsAttr(stencil.IndexAttr.from_indices(*([-MAX_HALO] * rank)),
                                         stencil.IndexAttr.from_indices(*([SYMBOLIC_EXTENT + MAX_HALO] * rank)))


def _drop_dead_applies(block: Block) -> None:
    """Temporaries nobody reads: their applies are erased (last first, so chains go too)."""
    for op in reversed(list(block.ops)):
        if isinstance(op, (stencil.ApplyOp, stencil.LoadOp)) and not any(r.uses for r in op.results):
            op.detach()
            op.erase()


def build_stencil_ir(sd: StencilDef) -> ModuleOp:
    """The stencil-dialect module of a parsed stencil (before shape inference)."""
    return StencilIRBuilder(sd).build()


__all__ = ["StencilDef", "StencilParam", "parse_stencil", "build_stencil_ir", "SYMBOLIC_EXTENT"]
