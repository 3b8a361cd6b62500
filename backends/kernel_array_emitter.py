"""Kokkos-dialect kernels (L3) -> vectorised JAX / Torch source.

A range or MDRange launch becomes array code over its index grid: the launch indices are
`arange`s broadcast against each other (axis d of the grid is index d), so every scalar op of the
body becomes one element-wise op over all iterations at once. Control flow is masked instead of
taken: `scf.if` narrows the active-lane mask (local variables are merged with `where`, stores keep
the old element where the mask is off); `scf.for` / `scf.while` become one loop over all lanes
(`lax.fori_loop` / `lax.while_loop` in JAX, a Python loop in Torch), unrolled when the trip count
is a small constant. Stores are scatters (`x.at[idx].set` / `x[idx] = v`), atomics scatter-add /
max / min, reductions `sum` / `prod` / `max` / ... over the grid, and scans `cumsum`-style scans.

What cannot be vectorised is refused with `NotArrayExpressible`: writes that race (two iterations
storing to one element without an atomic, or reading an element another iteration writes), the
value an atomic returns, team policies and local arrays.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (AnyFloat, ComplexType, FloatAttr, IndexType, IntegerAttr, IntegerType, MemRefType, ModuleOp)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from hpcir.core.errors import HpcirError
from hpcir.dialects import kokkos as kk

from . import kernel_array_ops as T

UNROLL_MAX = 8  # constant trip counts up to this are unrolled (differentiable, no loop carry)
LIBS = ("jax", "torch")


class NotArrayExpressible(HpcirError):
    """A kernel construct that has no vectorised array-code form."""


@dataclass
class Aff:
    """Affine form of an index value in the launch indices: sum(coeff[d] * index_d) + offset.

    offset is an int when known, None for an unknown value the same for every iteration."""

    coeffs: dict[int, int] = field(default_factory=dict)
    offset: int | None = 0

    def key(self) -> tuple:
        return tuple(sorted(self.coeffs.items())), self.offset


@dataclass
class V:
    """A vectorised value: Python source text, a literal (Python value) or not, its affine form."""

    text: str
    lit: Any = None
    aff: Aff | None = None

    @property
    def uniform(self) -> bool:
        return self.aff is not None and not self.aff.coeffs


def dtype_key(ty: Attribute) -> str:
    """numpy dtype name of an MLIR scalar type."""
    if isinstance(ty, IndexType):
        return "int64"
    if isinstance(ty, IntegerType):
        w = ty.width.data
        return "bool" if w == 1 else f"int{w}"
    if isinstance(ty, AnyFloat):
        return {16: "float16", 32: "float32", 64: "float64"}[ty.bitwidth]
    if isinstance(ty, ComplexType) and isinstance(ty.element_type, AnyFloat) and ty.element_type.bitwidth in (32, 64):
        return "complex64" if ty.element_type.bitwidth == 32 else "complex128"
    raise NotArrayExpressible(f"values of type {ty} are not supported in array code")


def py_literal(value: Any, key: str) -> str:
    if key == "bool":
        return "True" if value else "False"
    if key.startswith("complex"):
        z = complex(value)
        return f"complex({py_literal(z.real, 'float64')}, {py_literal(z.imag, 'float64')})"
    if key.startswith("float"):
        x = float(value)
        if math.isnan(x):
            return "float('nan')"
        if math.isinf(x):
            return "float('inf')" if x > 0 else "float('-inf')"
        return repr(x)
    w = int(key[3:])
    v = (int(value) + (1 << (w - 1))) % (1 << w) - (1 << (w - 1))
    return str(v)


class KernelArrayEmitter:
    """Emits one `func.func` holding a kokkos launch as a Python function over arrays."""

    def __init__(self, fn: func.FuncOp, lib: str, locate: Any = None):
        if lib not in LIBS:
            raise ValueError(lib)
        self.fn, self.lib, self.locate = fn, lib, locate or (lambda *a: None)
        self.L = "jnp" if lib == "jax" else "torch"
        self.lines: list[str] = []
        self.depth = 1
        self.env: dict[SSAValue, V] = {}
        self.slots: dict[SSAValue, V] = {}  # rank-0 allocas (kernel locals): current value
        self.slot_types: dict[SSAValue, str] = {}
        self.views: dict[SSAValue, str] = {}  # view argument -> its current variable
        self.view_names: dict[SSAValue, str] = {}
        self.view_types: dict[SSAValue, str] = {}
        self.used_names: set[str] = set()
        self.helpers: set[str] = set()
        self.mask: str | None = None
        self.mask_uniform = True
        self.rank = 0
        self.active_axes: list[int] = []
        self.league_rank = ""
        self.extents: list[str] = []
        self.written: list[SSAValue] = []
        self.loads: dict[SSAValue, list[tuple[Aff | None, str]]] = {}
        self.stores: dict[SSAValue, list[tuple[Aff | None, str]]] = {}
        self.suppress_stores = False

    # -- names and lines -----------------------------------------------------------------------
    def fresh(self, hint: str | None, base: str = "t") -> str:
        name = hint if hint and hint.isidentifier() else base
        name = name.replace(".", "_")
        if name in self.used_names or name in ("jnp", "jax", "lax", "torch", "math", "L"):
            k = 1
            while f"{name}_{k}" in self.used_names:
                k += 1
            name = f"{name}_{k}"
        self.used_names.add(name)
        return name

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def define(self, text: str, hint: str | None = None, aff: Aff | None = None) -> V:
        name = self.fresh(hint)
        self.emit(f"{name} = {text}")
        return V(name, aff=aff)

    def fail(self, why: str, view: str | None = None, hint: str | None = None) -> None:
        raise NotArrayExpressible(f"kernel {self.fn.sym_name.data} is not expressible as array code: {why}",
                                  self.locate(view), hint=hint or "run it on a Kokkos target (cpu, serial, cuda, "
                                                                   "hip) instead")

    # -- value helpers ---------------------------------------------------------------------------
    def dt(self, key: str) -> str:
        return f"{self.L}.{'bool_' if key == 'bool' and self.lib == 'jax' else key}"

    def get(self, v: SSAValue) -> V:
        if v not in self.env:
            self.fail(f"internal: no value for {v}")
        return self.env[v]

    def arg(self, v: SSAValue) -> str:
        """An operand of a library function: literals become 0-d arrays of their type in Torch."""
        x = self.get(v)
        if x.lit is not None and self.lib == "torch":
            return f"torch.tensor({x.text}, dtype={self.dt(dtype_key(v.type))}, device=_dev)"
        if x.uniform and self.lib == "torch":  # may be a Python number (a scalar argument)
            return f"torch.as_tensor({x.text}, dtype={self.dt(dtype_key(v.type))}, device=_dev)"
        return x.text

    def as_array(self, x: V, key: str) -> str:
        """x as an array of dtype `key` (not broadcast)."""
        if self.lib == "jax":
            return f"jnp.asarray({x.text}, dtype={self.dt(key)})"
        return f"torch.as_tensor({x.text}, dtype={self.dt(key)}, device=_dev)"

    def lanes(self, x: V, key: str) -> str:
        """x broadcast to the launch grid with dtype `key` (loop carries keep one type and shape)."""
        return f"{'jnp' if self.lib == 'jax' else 'torch'}.broadcast_to({self.as_array(x, key)}, _shape)"

    def where(self, cond: str, a: V, b: V, key: str) -> str:
        if self.lib == "torch":
            return f"torch.where({cond}, {self.as_array(a, key)}, {self.as_array(b, key)})"
        return f"jnp.where({cond}, {a.text}, {b.text})"

    def logical_not(self, text: str) -> str:
        return f"jnp.logical_not({text})" if self.lib == "jax" else f"torch.logical_not({text})"

    def and_mask(self, cond: str) -> str:
        if self.mask is None:
            return cond
        return f"({self.mask} & {cond})"

    # -- the function ------------------------------------------------------------------------------
    def run(self) -> tuple[str, list[str], list[str], str]:
        """(source of the function, parameter names, written view names, entry kind)."""
        fn = self.fn
        names = [a.data for a in fn.attributes["kokkos.arg_names"].data]  # type: ignore[attr-defined]
        for a, n in zip(fn.body.block.args, names):
            self.used_names.add(n)
            if isinstance(a.type, MemRefType):
                self.views[a] = n
                self.view_names[a] = n
                self.view_types[a] = dtype_key(a.type.element_type)
            else:
                self.env[a] = V(n, aff=Aff({}, None))
        self.stored_views = {o.operands[1] for o in fn.walk()
                             if isinstance(o, memref.StoreOp) or o.name == "memref.atomic_rmw"}
        body_start = len(self.lines)
        result: list[str] = []
        for op in fn.body.block.ops:
            if isinstance(op, func.ReturnOp):
                result = [self.get(v).text for v in op.arguments]
            else:
                self.op(op)
        self.check_races()
        written = [self.view_names[v] for v in fn.body.block.args if v in self.written]
        kind = fn.attributes["kokkos.entry"].data.value  # type: ignore[attr-defined]
        if self.lib == "jax":
            outs = result + [self.views[v] for v in fn.body.block.args if v in self.written]
        else:
            outs = result + [self.view_names[v] for v in fn.body.block.args if v in self.written]
        if len(outs) == 1:
            self.emit(f"return {outs[0]}")
        elif outs:
            self.emit(f"return {', '.join(outs)}")
        else:
            self.emit("return None")
        self.lines = _drop_unused(self.lines)
        prologue = []
        if self.lib == "jax":  # NumPy inputs work too (a no-op for JAX arrays and tracers)
            prologue += [f"    {n} = jnp.asarray({n})" for n in self.view_names.values()]
        if self.lib == "torch":
            tensors = list(self.view_names.values())
            prologue.append(f"    _dev = {tensors[0]}.device" if tensors else "    _dev = torch.device('cpu')")
        body = self.lines[:body_start] + prologue + self.lines[body_start:]
        doc = f'    """Kokkos kernel `{fn.sym_name.data}` as {self.lib} array code (generated by hpcir)."""'
        src = "\n".join([f"def {fn.sym_name.data}({', '.join(names)}):", doc, *body])
        return src, names, written, kind

    # -- races ---------------------------------------------------------------------------------------
    def check_races(self) -> None:
        """Views both loaded and stored: every load must read the element its own iteration stores."""
        for view, stores in self.stores.items():
            loads = self.loads.get(view, [])
            keys = {tuple(a.key() if a is not None else None for a in s[0]) for s in stores}  # type: ignore
            for aff, _ in loads:
                k = tuple(a.key() if a is not None else None for a in aff)  # type: ignore[union-attr]
                if None in k or any(x[1] is None for x in k) or k not in keys or len(keys) != 1:
                    self.fail(f"iterations read elements of `{self.view_names[view]}` that other iterations "
                              "write (a race in the source too)", self.view_names[view],
                              hint="read from one array and write another (e.g. out[i] = f(x[i-1], x[i+1]))")

    def covers_grid(self, affs: list[Aff | None]) -> bool:
        """Whether distinct iterations of the launch grid store to distinct elements."""
        for d in self.active_axes:
            if self.extent_one(d):
                continue
            if not any(a is not None and set(a.coeffs) == {d} and a.coeffs[d] != 0 for a in affs):
                return False
        return True

    def extent_one(self, d: int) -> bool:
        return self.static_extents.get(d) == 1

    # -- ops -------------------------------------------------------------------------------------------
    def block(self, block: Block) -> None:
        for op in block.ops:
            self.op(op)

    def op(self, op: Operation) -> None:
        name = op.name
        if isinstance(op, arith.ConstantOp):
            return self.constant(op)
        if name == "complex.constant":
            return self.complex_constant(op)
        if isinstance(op, kk.LAUNCH_OPS):
            return self.launch(op)
        if isinstance(op, (kk.YieldOp, scf.YieldOp, scf.ConditionOp)):
            return  # terminators: their parents read the operands
        if name in T.INFIX:
            return self.infix(op)
        if name in T.UNARY:
            fn = T.UNARY[name][0 if self.lib == "jax" else 1]
            if fn.startswith("_"):
                self.helpers.add(fn)
            x = op.operands[0]
            return self.bind(op, f"{fn}({self.arg(x)})")
        if name in T.BINARY:
            tpl = T.BINARY[name][0 if self.lib == "jax" else 1]
            b = self.arg(op.operands[1])
            if self.lib == "torch" and name in T.INT_DIVISION and self.get(op.operands[1]).lit is None:
                b = f"torch.where({b} == 0, 1, {b})"  # lanes a mask turns off may divide by zero
            real = ""
            if name == "complex.create":
                real = f"{self.L}.{'float32' if dtype_key(op.results[0].type) == 'complex64' else 'float64'}"
            return self.bind(op, tpl.format(a=self.arg(op.operands[0]), b=b, R=real))
        if name == "arith.negf":
            x = self.get(op.operands[0])
            if x.lit is not None:
                self.env[op.results[0]] = V(py_literal(-x.lit, dtype_key(op.results[0].type)), lit=-x.lit,
                                            aff=Aff({}, None))
                return
            return self.bind(op, f"(-{x.text})")
        if name == "cf.assert":
            return self.check(op)
        if name == "arith.cmpi":
            return self.cmpi(op)
        if name == "arith.cmpf":
            return self.cmpf(op)
        if name == "arith.select":
            return self.select(op)
        if name in T.CASTS:
            return self.cast(op)
        if isinstance(op, memref.AllocaOp):
            return self.alloca(op)
        if isinstance(op, memref.LoadOp):
            return self.load(op)
        if isinstance(op, memref.StoreOp):
            return self.store(op)
        if isinstance(op, memref.DimOp):
            return self.dim(op)
        if name == "memref.atomic_rmw":
            return self.atomic(op)
        if isinstance(op, scf.IfOp):
            return self.if_(op)
        if isinstance(op, scf.ForOp):
            return self.for_(op)
        if isinstance(op, scf.WhileOp):
            return self.while_(op)
        if isinstance(op, kk.NESTED_RANGE_OPS):
            return self.nested(op)
        if isinstance(op, kk.LeagueRankOp):
            self.env[op.result] = V(self.league_rank, aff=Aff({0: 1}, 0))
            return
        if isinstance(op, kk.LeagueSizeOp):
            self.env[op.result] = V(self.grid_hi[0], aff=Aff({}, None))
            return
        # Array code runs each team as one thread of one lane (team_size() == 1): a race-free team
        # kernel computes the same for any team size, and a nested range is a whole axis at once.
        if isinstance(op, kk.TeamRankOp):
            self.env[op.result] = V("0", lit=0, aff=Aff({}, 0))
            return
        if isinstance(op, kk.TeamSizeOp):
            self.env[op.result] = V("1", lit=1, aff=Aff({}, 1))
            return
        if isinstance(op, kk.TeamBarrierOp):
            return  # one thread per team: nothing to wait for
        if isinstance(op, kk.SingleOp):
            return self.block(op.body.block)
        if isinstance(op, kk.ScratchAllocOp):
            self.fail("team scratch memory is not translated yet")
        self.fail(f"'{name}' has no array-code translation")

    def bind(self, op: Operation, text: str, aff: Aff | None = None, hint: str | None = None) -> None:
        res = op.results[0]
        if aff is None:
            ops = [self.get(v) for v in op.operands]
            aff = Aff({}, None) if all(o.uniform for o in ops) else None
        self.env[res] = self.define(text, hint or res.name_hint, aff)

    def complex_constant(self, op: Operation) -> None:
        """complex.constant [re, im]: a Python complex literal."""
        re_, im_ = (a.value.data for a in op.value.data)  # type: ignore[attr-defined]
        z = complex(re_, im_)
        self.env[op.results[0]] = V(py_literal(z, dtype_key(op.results[0].type)), lit=z, aff=Aff({}, None))

    def constant(self, op: arith.ConstantOp) -> None:
        attr = op.value
        key = dtype_key(op.result.type)
        if isinstance(attr, (IntegerAttr, FloatAttr)):
            value = attr.value.data
            lit = py_literal(value, key)
            off = int(lit) if key.startswith("int") else None
            self.env[op.result] = V(lit, lit=value, aff=Aff({}, off))
            return
        self.fail(f"constant {attr} is not a scalar")

    def infix(self, op: Operation) -> None:
        a, b = (self.get(v) for v in op.operands)
        sym = T.INFIX[op.name]
        aff = None
        if a.aff is not None and b.aff is not None and op.name in ("arith.addi", "arith.subi"):
            s = 1 if op.name == "arith.addi" else -1
            coeffs = dict(a.aff.coeffs)
            for d, c in b.aff.coeffs.items():
                coeffs[d] = coeffs.get(d, 0) + s * c
            off = None if a.aff.offset is None or b.aff.offset is None else a.aff.offset + s * b.aff.offset
            aff = Aff({d: c for d, c in coeffs.items() if c}, off)
        elif a.aff is not None and b.aff is not None and op.name == "arith.muli" and (a.uniform or b.uniform):
            k, other = (a, b) if a.uniform else (b, a)
            if k.aff.offset is not None:  # type: ignore[union-attr]
                c = k.aff.offset  # type: ignore[union-attr]
                aff = Aff({d: c * x for d, x in other.aff.coeffs.items() if c * x},  # type: ignore[union-attr]
                          None if other.aff.offset is None else c * other.aff.offset)  # type: ignore[union-attr]
            elif not other.aff.coeffs:  # type: ignore[union-attr]
                aff = Aff({}, None)
        if a.lit is not None and b.lit is not None and op.name in ("arith.addi", "arith.subi", "arith.muli"):
            value = {"arith.addi": a.lit + b.lit, "arith.subi": a.lit - b.lit, "arith.muli": a.lit * b.lit}[op.name]
            key = dtype_key(op.results[0].type)
            lit = py_literal(value, key)
            self.env[op.results[0]] = V(lit, lit=int(lit), aff=Aff({}, int(lit)))
            return
        text = f"({a.text} {sym} {b.text})"
        if self.lib == "torch" and op.name in T.INT_DIVISION and b.lit is None:
            text = f"({a.text} {sym} torch.where({b.text} == 0, 1, {b.text}))"
        if op.name == "arith.xori" and b.lit is not None and dtype_key(op.results[0].type) == "bool" and b.lit:
            text = self.logical_not(self.arg(op.operands[0]))  # `not x` (x ^ true)
        self.bind(op, text, aff)

    def check(self, op: Operation) -> None:
        """cf.assert (the frontend's integer zero-divisor check): raised after the fact, like the
        Kokkos build does; under jax.jit, where no value is known, JAX skips it."""
        c = self.get(op.operands[0])
        if c.lit is not None and c.lit:
            return
        helper = "_jax_check" if self.lib == "jax" else "_torch_check"
        self.helpers.add(helper)
        failed = self.and_mask(self.logical_not(self.arg(op.operands[0])))
        self.emit(f"{helper}({failed}, {op.msg.data!r})")  # type: ignore[attr-defined]

    def cmpi(self, op: Operation) -> None:
        pred = op.predicate.value.data  # type: ignore[attr-defined]
        sym = T.CMPI[T.CMPI_ORDER[pred]]
        a, b = (self.get(v) for v in op.operands)
        self.bind(op, f"({a.text} {sym} {b.text})")

    def cmpf(self, op: Operation) -> None:
        pred = op.predicate.value.data  # type: ignore[attr-defined]
        a, b = (self.arg(v) for v in op.operands)
        self.bind(op, T.CMPF[pred].format(a=a, b=b, N=f"{self.L}.logical_not"))

    def select(self, op: Operation) -> None:
        c, a, b = (self.get(v) for v in op.operands)
        if c.lit is not None:
            self.env[op.results[0]] = a if c.lit else b
            return
        key = dtype_key(op.results[0].type)
        self.bind(op, self.where(self.arg(op.operands[0]), a, b, key))

    def cast(self, op: Operation) -> None:
        src = op.operands[0]
        x = self.get(src)
        key = dtype_key(op.results[0].type)
        skey = dtype_key(src.type)
        if op.name in ("arith.index_cast", "arith.index_castui", "arith.extsi") and key.startswith("int") \
                and skey.startswith("int") and int(key[3:]) >= int(skey[3:]):
            if x.lit is not None or key == skey or self.lib == "jax" and x.aff is not None:
                self.env[op.results[0]] = x  # same values; indices stay Python ints or int arrays
                return
        if x.lit is not None:
            value = x.lit
            if key.startswith("float"):
                value = float(value)
            elif key == "bool":
                value = bool(int(value) & 1)
            else:
                value = math.trunc(float(value)) if isinstance(value, float) else int(value)
            lit = py_literal(value, key)
            self.env[op.results[0]] = V(lit, lit=value, aff=Aff({}, int(lit) if key.startswith("int") else None))
            return
        text = x.text
        if key == "bool" and skey != "bool":
            text = f"(({text} & 1) != 0)"
        elif self.lib == "jax":
            text = f"jnp.asarray({text}).astype({self.dt(key)})"
        else:
            text = f"torch.as_tensor({text}, device=_dev).to({self.dt(key)})"
        aff = x.aff if key.startswith("int") and skey.startswith("int") else None
        self.bind(op, text, aff)

    def dim(self, op: memref.DimOp) -> None:
        d = self.get(op.index)
        if d.lit is None:
            self.fail("memref.dim with a variable dimension")
        view = self.view_names.get(op.source)
        if view is None:
            self.fail("extent of a local array")
        self.env[op.result] = V(f"{view}.shape[{d.lit}]", aff=Aff({}, None))

    # -- memory -------------------------------------------------------------------------------------
    def alloca(self, op: memref.AllocaOp) -> None:
        ty = op.memref.type
        if ty.get_shape():
            self.fail("kernel-local arrays are not translated yet")
        key = dtype_key(ty.element_type)
        self.slot_types[op.memref] = key
        self.slots[op.memref] = V(py_literal(0, key), lit=0, aff=Aff({}, 0 if key.startswith("int") else None))

    def indices(self, vals) -> tuple[str, list[Aff | None]]:
        xs = [self.get(v) for v in vals]
        return ", ".join(x.text for x in xs), [x.aff for x in xs]

    def subscript(self, vals, affs: list[Aff | None]) -> str:
        """`[idx]` of an access: a slice of the grid's box when the access is the launch index plus
        a constant in every dimension (x[i + 1, j]: contiguous, no gather), else a gather."""
        if affs and len(affs) == self.rank and all(
                a is not None and a.coeffs == {d: 1} and a.offset is not None for d, a in enumerate(affs)):
            parts = []
            for d, a in enumerate(affs):
                c = a.offset  # type: ignore[union-attr]
                sh = "" if c == 0 else f" {'+' if c > 0 else '-'} {abs(c)}"
                parts.append(f"{self.grid_lo[d]}{sh}:{self.grid_hi[d]}{sh}")
            return f"[{', '.join(parts)}]"
        idx = ", ".join(self.get(v).text for v in vals)
        return f"[{idx}]" if affs else "[()]"

    def load(self, op: memref.LoadOp) -> None:
        m = op.memref
        if m in self.slots:
            self.env[op.res] = self.slots[m]
            return
        if m not in self.views:
            self.fail("a load from a local array")
        idx, affs = self.indices(op.indices)
        self.loads.setdefault(m, []).append((affs, idx))  # type: ignore[arg-type]
        uniform = all(a is not None and not a.coeffs for a in affs)
        sub = self.subscript(op.indices, affs)
        text = f"{self.views[m]}{sub}"
        if self.lib == "torch" and m in self.stored_views and ":" in sub:
            text += ".clone()"  # a Torch slice is a view: keep the value loaded before later writes
        self.env[op.res] = self.define(text, op.res.name_hint or f"{self.view_names[m]}_v",
                                       Aff({}, None) if uniform else None)

    def store(self, op: memref.StoreOp) -> None:
        m, val = op.memref, self.get(op.value)
        if m in self.slots:
            key = self.slot_types[m]
            if self.mask is None:
                self.slots[m] = val
            else:
                old = self.slots[m]
                aff = val.aff if (self.mask_uniform and val.aff is not None and old.aff is not None
                                  and val.aff.key() == old.aff.key()) else (
                    Aff({}, None) if self.mask_uniform and val.uniform and old.uniform else None)
                self.slots[m] = self.define(self.where(self.mask, val, old, key), m.name_hint or "s", aff)
            return
        if m not in self.views:
            self.fail("a store to a local array")
        if self.suppress_stores:
            return
        idx, affs = self.indices(op.indices)
        name = self.view_names[m]
        if not self.covers_grid(affs):
            self.fail(f"several iterations store to one element of `{name}` without an atomic (a race), or "
                      "hpcir cannot prove that they do not (the index is not the launch index plus a constant)",
                      name, hint=f"use hpcir.atomic_add({name}, [...], v) (or atomic_max / atomic_min), or index "
                                 f"`{name}` with the launch indices")
        self.stores.setdefault(m, []).append((affs, idx))  # type: ignore[arg-type]
        if m not in self.written:
            self.written.append(m)
        key = self.view_types[m]
        cur = self.views[m]
        sub = self.subscript(op.indices, affs)
        v = val
        if self.mask is not None:
            v = V(self.where(self.mask, val, V(f"{cur}{sub}"), key))
        if self.lib == "jax":
            self.views[m] = self.define(f"{cur}.at{sub}.set({v.text})", name).text
        else:
            self.emit(f"{cur}{sub} = {v.text}")

    def atomic(self, op: Operation) -> None:
        value, m, *idx_vals = op.operands
        kind = T.ATOMIC.get(op.kind.value.data)  # type: ignore[attr-defined]
        name = self.view_names.get(m)
        if name is None:
            self.fail("an atomic on a local array")
        if kind is None:
            self.fail(f"atomic kind {op.kind.value.data} (exchange / bitwise) depends on the order of iterations",  # type: ignore[attr-defined]
                      name)
        if not self.result_unused(op.results[0]):
            self.fail("the value an atomic returns depends on the order in which iterations run", name,
                      hint="use the atomic only for its update (hpcir.atomic_add(...) without using the result)")
        if m not in self.written:
            self.written.append(m)
        if self.suppress_stores:
            self.env[op.results[0]] = V("None")
            return
        key = self.view_types[m]
        ident = {"add": 0, "mul": 1, "max": -math.inf if key.startswith("float") else -(2 ** 62),
                 "min": math.inf if key.startswith("float") else 2 ** 62}[kind]
        v = self.get(value)
        if self.mask is not None:
            v = V(self.where(self.mask, v, V(py_literal(ident, key), lit=ident), key))
        B = "jnp.broadcast_to" if self.lib == "jax" else "torch.broadcast_to"
        idx = ", ".join(f"{B}({self.as_array(self.get(i), 'int64')}, _shape)" for i in idx_vals)
        vv = f"{B}({self.as_array(v, key)}, _shape)"
        cur = self.views[m]
        if self.lib == "jax":
            self.views[m] = self.define(f"{cur}.at[{idx}].{T.SCATTER[kind][0]}({vv})", name).text
        elif kind == "add":
            self.emit(f"{cur}.index_put_(({idx},), {vv}, accumulate=True)")
        else:
            # scatter_reduce into the flat alias of the (contiguous) tensor: linear element indices
            lin = " + ".join(f"({B}({self.as_array(self.get(i), 'int64')}, _shape) * {cur}.stride({d}))"
                             for d, i in enumerate(idx_vals)) or "0"
            self.emit(f"{cur}.view(-1).scatter_reduce_(0, ({lin}).reshape(-1), {vv}.reshape(-1), "
                      f"reduce='{T.SCATTER[kind][1]}')")
        self.env[op.results[0]] = V("None")

    def result_unused(self, res: SSAValue) -> bool:
        """No use, or only stores into local variables that are never read."""
        for use in res.uses:
            o = use.operation
            if not (isinstance(o, memref.StoreOp) and o.memref in self.slots
                    and not any(isinstance(u.operation, memref.LoadOp) for u in o.memref.uses)):
                return False
        return True

    # -- control flow ---------------------------------------------------------------------------------
    def if_(self, op: scf.IfOp) -> None:
        c = self.get(op.cond)
        if c.lit is not None:  # a branch known at emission time
            region = op.true_region if c.lit else op.false_region
            outs = self.region_values(region)
            for r, v in zip(op.results, outs):
                self.env[r] = v
            return
        cond = self.arg(op.cond)
        saved = (self.mask, self.mask_uniform)
        uni = c.uniform and self.mask_uniform
        then_mask = self.define(self.and_mask(cond), "m", Aff({}, None)).text
        else_mask = self.define(self.and_mask(self.logical_not(cond)), "m", Aff({}, None)).text
        self.mask, self.mask_uniform = then_mask, uni
        t_out = self.region_values(op.true_region)
        self.mask, self.mask_uniform = else_mask, uni
        f_out = self.region_values(op.false_region) if op.false_region.blocks else []
        self.mask, self.mask_uniform = saved
        for r, a, b in zip(op.results, t_out, f_out):
            aff = Aff({}, None) if uni and a.uniform and b.uniform else None
            self.env[r] = self.define(self.where(cond, a, b, dtype_key(r.type)), r.name_hint, aff)

    def region_values(self, region) -> list[V]:
        if not region.blocks:
            return []
        self.block(region.block)
        last = region.block.last_op
        return [self.get(v) for v in last.operands] if isinstance(last, scf.YieldOp) else []

    def carried(self, region_op: Operation) -> tuple[list[SSAValue], list[SSAValue]]:
        """Slots and views a loop body changes (its loop carry in JAX)."""
        slots, views = [], []
        for o in region_op.walk():
            if o is region_op:
                continue
            if isinstance(o, memref.StoreOp) and o.memref in self.slots and o.memref not in slots:
                slots.append(o.memref)
            if isinstance(o, (memref.StoreOp,)) or o.name == "memref.atomic_rmw":
                m = o.operands[1]
                if m in self.views and m not in views and not self.suppress_stores:
                    views.append(m)
        return slots, views

    def for_(self, op: scf.ForOp) -> None:
        lb, ub, step = self.get(op.lb), self.get(op.ub), self.get(op.step)
        if step.lit is not None and step.lit <= 0:
            self.fail("a loop with a non-positive step")
        if op.iter_args:
            self.fail("loop-carried SSA values (scf.for iter_args) are not translated yet")
        uniform = lb.uniform and ub.uniform and step.uniform
        if lb.lit is not None and ub.lit is not None and step.lit is not None:
            trips = list(range(lb.lit, ub.lit, step.lit))
            if len(trips) <= UNROLL_MAX:
                for k in trips:
                    self.env[op.body.block.args[0]] = V(str(k), lit=k, aff=Aff({}, k))
                    self.block(op.body.block)
                return
        trip = self.define(f"(({ub.text}) - ({lb.text}) + ({step.text}) - 1) // ({step.text})", "trip",
                           Aff({}, None) if uniform else None)
        n = trip.text if uniform else (f"jnp.max({trip.text})" if self.lib == "jax" else
                                       f"int({trip.text}.max())")
        if uniform and self.lib == "torch":
            n = f"int({trip.text})"
        t = self.fresh("_t")
        iv_text = f"({lb.text} + {t} * {step.text})"

        def body() -> None:
            saved = (self.mask, self.mask_uniform)
            if not uniform:
                active = self.define(self.and_mask(f"({t} < {trip.text})"), "m", Aff({}, None)).text
                self.mask, self.mask_uniform = active, False
            iv_aff = None
            if lb.aff is not None and step.uniform:
                iv_aff = Aff(dict(lb.aff.coeffs), None)
            self.env[op.body.block.args[0]] = self.define(iv_text, op.body.block.args[0].name_hint or "k", iv_aff)
            self.block(op.body.block)
            self.mask, self.mask_uniform = saved

        self.loop(op, f"0, {n}", t, body, kind="for")

    def loop(self, op: Operation, bounds: str, t: str, body, kind: str) -> None:
        """Emit a loop whose body changes slots and views: a carry in JAX, rebinding in Torch."""
        if self.lib == "torch":
            names = self.torch_carry_enter(op)
            self.emit(f"for {t} in range({bounds.split(', ', 1)[1]}):")
            self.depth += 1
            body()
            self.torch_carry_exit(names)
            self.depth -= 1
            return
        slots, views = self.carried(op)
        carry_in = []
        for s in slots:
            carry_in.append(self.lanes(self.slots[s], self.slot_types[s]))
        for m in views:
            carry_in.append(self.views[m])
        fname = self.fresh(f"_{kind}_body")
        names = [self.fresh(s.name_hint or "s") for s in slots] + [self.fresh(self.view_names[m]) for m in views]
        pack = f"({', '.join(names)}{',' if len(names) == 1 else ''})"
        if kind == "for":
            self.emit(f"def {fname}({t}, _carry):")
        else:
            self.emit(f"def {fname}(_carry):")
        self.depth += 1
        self.emit(f"{pack} = _carry")
        for s, n in zip(slots, names):
            self.slots[s] = V(n)
        for m, n in zip(views, names[len(slots):]):
            self.views[m] = n
        body()
        outs = [self.lanes(self.slots[s], self.slot_types[s]) for s in slots] + [self.views[m] for m in views]
        self.emit(f"return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
        self.depth -= 1
        res = [self.fresh(s.name_hint or "s") for s in slots] + [self.fresh(self.view_names[m]) for m in views]
        lhs = f"({', '.join(res)}{',' if len(res) == 1 else ''})"
        rhs = f"({', '.join(carry_in)}{',' if len(carry_in) == 1 else ''})"
        if kind == "for":
            self.emit(f"{lhs} = lax.fori_loop({bounds}, {fname}, {rhs})")
        else:
            cname = self.fresh("_while_cond")
            self.emit(f"def {cname}(_carry):")
            self.emit(f"    return jnp.any(_carry[-1])")
            self.emit(f"{lhs} = lax.while_loop({cname}, {fname}, {rhs})")
        for s, n in zip(slots, res):
            self.slots[s] = V(n)
        for m, n in zip(views, res[len(slots):]):
            self.views[m] = n

    def torch_carry_enter(self, op: Operation) -> dict[SSAValue, str]:
        """Torch loops are Python loops: each local the body changes gets one variable, rebound at
        the end of every iteration."""
        names = {}
        for s in self.carried(op)[0]:
            names[s] = self.fresh(s.name_hint or "s")
            self.emit(f"{names[s]} = {self.slots[s].text}")
            self.slots[s] = V(names[s])
        return names

    def torch_carry_exit(self, names: dict[SSAValue, str]) -> None:
        for s, n in names.items():
            if self.slots[s].text != n:
                self.emit(f"{n} = {self.slots[s].text}")
            self.slots[s] = V(n)

    def while_(self, op: scf.WhileOp) -> None:
        if op.arguments or op.results:
            self.fail("while loops with loop-carried SSA values are not translated yet")
        before, after = op.before_region.block, op.after_region.block
        cond_op = before.last_op

        def condition() -> str:
            self.block(before)
            c = self.get(cond_op.condition)  # type: ignore[union-attr]
            return self.as_array(c, "bool") if c.lit is not None else c.text

        # The active-lane mask is a slot of its own: the loop runs while any lane is active.
        first = self.define(self.and_mask(condition()), "active", None)
        key = object()
        self.slots[key] = first  # type: ignore[index]
        self.slot_types[key] = "bool"  # type: ignore[index]
        saved = (self.mask, self.mask_uniform)
        if self.lib == "torch":
            names = self.torch_carry_enter(op)
            act = self.slots[key].text  # type: ignore[index]
            self.emit(f"while bool({act}.any()):")
            self.depth += 1
            self.mask, self.mask_uniform = act, False
            self.block(after)
            c = condition()
            self.emit(f"{act} = {act} & {c}")
            self.torch_carry_exit(names)
            self.depth -= 1
            self.mask, self.mask_uniform = saved
            del self.slots[key]  # type: ignore[arg-type]
            return
        slots, views = self.carried(op)
        slots = [s for s in slots] + [key]  # type: ignore[list-item]
        carry_in = [self.lanes(self.slots[s], self.slot_types[s]) for s in slots] + [self.views[m] for m in views]
        fname, cname = self.fresh("_while_body"), self.fresh("_while_cond")
        names = [self.fresh(getattr(s, "name_hint", None) or "active") for s in slots] + \
                [self.fresh(self.view_names[m]) for m in views]
        self.emit(f"def {fname}(_carry):")
        self.depth += 1
        self.emit(f"({', '.join(names)},) = _carry")
        for s, n in zip(slots, names):
            self.slots[s] = V(n)
        for m, n in zip(views, names[len(slots):]):
            self.views[m] = n
        act = names[len(slots) - 1]
        self.mask, self.mask_uniform = act, False
        self.block(after)
        c = condition()
        self.slots[key] = self.define(f"{act} & {c}", "active")  # type: ignore[index]
        outs = [self.lanes(self.slots[s], self.slot_types[s]) for s in slots] + [self.views[m] for m in views]
        self.emit(f"return ({', '.join(outs)},)")
        self.depth -= 1
        self.mask, self.mask_uniform = saved
        self.emit(f"def {cname}(_carry):")
        self.emit(f"    return jnp.any(_carry[{len(slots) - 1}])")
        res = [self.fresh(getattr(s, "name_hint", None) or "active") for s in slots] + \
              [self.fresh(self.view_names[m]) for m in views]
        self.emit(f"({', '.join(res)},) = lax.while_loop({cname}, {fname}, ({', '.join(carry_in)},))")
        for s, n in zip(slots, res):
            self.slots[s] = V(n)
        for m, n in zip(views, res[len(slots):]):
            self.views[m] = n
        del self.slots[key]  # type: ignore[arg-type]

    # -- launches -------------------------------------------------------------------------------------
    def grid(self, op: Operation) -> None:
        """The launch indices as broadcast aranges over the grid, and `_shape`."""
        r = op.num_indices  # type: ignore[attr-defined]
        self.rank = r
        self.static_extents = {}
        lows = [self.get(v) for v in op.lower_bounds]  # type: ignore[attr-defined]
        highs = [self.get(v) for v in op.upper_bounds]  # type: ignore[attr-defined]
        dev = "" if self.lib == "jax" else ", device=_dev"
        extents = []
        self.grid_lo = [lo.text for lo in lows]
        self.grid_hi = [hi.text for hi in highs]
        for d, (lo, hi, arg) in enumerate(zip(lows, highs, op.indices)):  # type: ignore[attr-defined]
            shape = ", ".join("-1" if e == d else "1" for e in range(r))
            name = self.fresh(arg.name_hint or f"i{d}")
            rng = f"{self.L}.arange({lo.text}, {hi.text}{dev})"
            self.emit(f"{name} = {rng}" if r == 1 else f"{name} = {rng}.reshape({shape})")
            self.env[arg] = V(name, aff=Aff({d: 1}, 0))
            extents.append(f"({hi.text}) - ({lo.text})")
            if lo.lit is not None and hi.lit is not None:
                self.static_extents[d] = hi.lit - lo.lit
        self.emit(f"_shape = ({', '.join(extents)}{',' if r == 1 else ''})")

    def team_grid(self, op: Operation) -> None:
        """A team launch: axis 0 is the league, each level of nested ranges one more axis."""
        def depth(o: Operation) -> int:
            inner = [depth(c) for r in o.regions for b in r.blocks for c in b.ops]
            return (1 if isinstance(o, kk.NESTED_RANGE_OPS) else 0) + max(inner, default=0)
        r = 1 + max((depth(c) for c in op.body.block.ops), default=0)  # type: ignore[attr-defined]
        self.rank, self.static_extents, self.active_axes = r, {}, [0]
        league = self.get(op.bounds[0])  # type: ignore[attr-defined]
        dev = "" if self.lib == "jax" else ", device=_dev"
        self.league_rank = self.fresh("league_rank")
        shape = ", ".join(["-1"] + ["1"] * (r - 1))
        self.emit(f"{self.league_rank} = {self.L}.arange(0, {league.text}{dev})"
                  + (f".reshape({shape})" if r > 1 else ""))
        self.grid_lo, self.grid_hi = ["0"] + ["0"] * (r - 1), [league.text] + ["1"] * (r - 1)
        self.extents = [league.text] + ["1"] * (r - 1)
        if league.lit is not None:
            self.static_extents[0] = league.lit
        self.emit(f"_shape = ({', '.join(self.extents)}{',' if r == 1 else ''})")

    def nested(self, op: Operation) -> None:
        """A TeamThreadRange / ThreadVectorRange / TeamVectorRange: the next axis of the grid."""
        d = len(self.active_axes)
        lo, hi = self.get(op.begin), self.get(op.end)  # type: ignore[attr-defined]
        if not (lo.uniform and hi.uniform):
            self.fail("a nested range whose bounds differ between teams",
                      hint="give every team the same range (mask inside the body instead)")
        if op.join is not None and op.join.blocks:  # type: ignore[attr-defined]
            self.fail("custom reducers (join regions) are not translated yet")
        arg = op.body.block.args[0]  # type: ignore[attr-defined]
        name = self.fresh(arg.name_hint or f"j{d}")
        dev = "" if self.lib == "jax" else ", device=_dev"
        shape = ", ".join("-1" if e == d else "1" for e in range(self.rank))
        self.emit(f"{name} = {self.L}.arange({lo.text}, {hi.text}{dev}).reshape({shape})")
        self.env[arg] = V(name, aff=Aff({d: 1}, 0))
        saved = (list(self.extents), list(self.grid_lo), list(self.grid_hi), dict(self.static_extents))
        self.extents[d] = f"({hi.text}) - ({lo.text})"
        self.grid_lo[d], self.grid_hi[d] = lo.text, hi.text
        if lo.lit is not None and hi.lit is not None:
            self.static_extents[d] = hi.lit - lo.lit
        self.active_axes.append(d)
        self.emit(f"_shape = ({', '.join(self.extents)},)")
        body = op.body.block  # type: ignore[attr-defined]
        results = []
        if op.results:
            kinds = [r.data.value for r in op.reducers.data]  # type: ignore[attr-defined]
            for a, kind, ty in zip(op.accumulators, kinds, [r.type for r in op.results]):  # type: ignore[attr-defined]
                self.env[a] = self.identity(kind, ty)
            self.block(body)
            contribs = [self.get(v) for v in body.last_op.operands]  # type: ignore[union-attr]
            for kind, r, c in zip(kinds, op.results, contribs):
                key = dtype_key(r.type)
                fn = T.REDUCE[kind][0 if self.lib == "jax" else 1]
                if fn.startswith("_"):
                    self.fail(f"the {kind} reducer in a nested range is not translated yet")
                kw = f"axis={d}, keepdims=True" if self.lib == "jax" else f"dim={d}, keepdim=True"
                results.append((r, kind, key, self.define(f"{fn}({self.lanes(c, key)}, {kw})", "partial")))
        else:
            self.block(body)
        self.active_axes.pop()
        self.extents, self.grid_lo, self.grid_hi, self.static_extents = saved
        self.emit(f"_shape = ({', '.join(self.extents)},)")
        for (r, kind, key, total), init in zip(results, op.init):  # type: ignore[attr-defined]
            self.env[r] = self.combine(kind, key, self.get(init), total, r.name_hint)

    def identity(self, kind: str, ty: Attribute) -> V:
        if kind == "custom":
            self.fail("custom reducers (join regions) are not translated yet")
        key = dtype_key(ty)
        if key.startswith("complex"):  # sum and prod only (the dialect's verifier says so)
            z = 0j if kind == "sum" else 1 + 0j
            return V(py_literal(z, key), lit=z, aff=Aff({}, None))
        attr = kk.reducer_identity(kk.ReducerKind(kind), ty)
        value = attr.value.data  # type: ignore[union-attr]
        if key == "bool":
            value = bool(value)
        return V(py_literal(value, key), lit=value, aff=Aff({}, None))

    def launch(self, op: Operation) -> None:
        if isinstance(op.policy, kk.TeamPolicyAttr):  # type: ignore[attr-defined]
            self.team_grid(op)
        else:
            self.grid(op)
            self.active_axes = list(range(self.rank))
        body = op.body.block  # type: ignore[attr-defined]
        if isinstance(op, kk.ParallelForOp):
            self.block(body)
            return
        reducers = [r.data.value for r in op.reducers.data]  # type: ignore[attr-defined]
        if any(r == "custom" for r in reducers):
            self.fail("custom reducers (join regions) are not translated yet")
        types = [r.type for r in op.results]
        idents = []
        for kind, ty in zip(reducers, types):
            idents.append(self.identity(kind, ty))
        inits = [self.get(v) for v in ([op.init] if isinstance(op, kk.ParallelScanOp) else op.init)]  # type: ignore[attr-defined]
        accs = op.accumulators  # type: ignore[attr-defined]
        if isinstance(op, kk.ParallelReduceOp):
            for a, ident in zip(accs, idents):
                self.env[a] = ident
            self.block(body)
            contribs = [self.get(v) for v in body.last_op.operands]  # type: ignore[union-attr]
            for r, kind, ty, c, init in zip(op.results, reducers, types, contribs, inits):
                self.env[r] = self.reduce_all(kind, dtype_key(ty), c, init, r.name_hint)
            return
        # parallel_scan: a first pass (final = false, no stores) gives each iteration's contribution,
        # an exclusive scan of them the prefix the second (final) pass sees.
        kind, key = reducers[0], dtype_key(types[0])
        if kind not in T.SCAN:
            self.fail(f"scans with the {kind} reducer are not translated")
        self.env[accs[0]] = idents[0]
        self.env[op.final] = V("False", lit=False, aff=Aff({}, None))  # type: ignore[attr-defined]
        self.suppress_stores = True
        saved_slots = dict(self.slots)
        self.block(body)
        self.suppress_stores = False
        contrib = self.get(body.last_op.operands[0])  # type: ignore[union-attr]
        c = self.define(self.lanes(contrib, key), "contrib")
        incl = self.define(T.SCAN[kind][0 if self.lib == "jax" else 1].format(x=c.text), "inclusive")
        lib = "jnp" if self.lib == "jax" else "torch"
        ident = self.as_array(idents[0], key)
        excl = self.define(f"{lib}.concatenate([{lib}.reshape({ident}, (1,)), {incl.text}[:-1]])", "prefix")
        self.slots = saved_slots
        self.env[accs[0]] = excl
        self.env[op.final] = V("True", lit=True, aff=Aff({}, None))  # type: ignore[attr-defined]
        for o in body.ops:  # the second pass defines the body's values anew
            for r in o.results:
                self.env.pop(r, None)
        self.block(body)
        total = self.define(f"{self.as_array(idents[0], key)} if {incl.text}.shape[0] == 0 else {incl.text}[-1]",
                            "total")
        self.env[op.results[0]] = self.combine(kind, key, inits[0], total, op.results[0].name_hint)

    def reduce_all(self, kind: str, key: str, c: V, init: V, hint: str | None) -> V:
        fn = T.REDUCE[kind][0 if self.lib == "jax" else 1]
        if fn.startswith("_"):
            self.helpers.add(fn)
        total = self.define(f"{fn}({self.lanes(c, key)})", "total")
        if self.lib == "jax":
            total = self.define(f"{total.text}.astype({self.dt(key)})", "total")
        else:
            total = self.define(f"{total.text}.to({self.dt(key)})", "total")
        return self.combine(kind, key, init, total, hint)

    def combine(self, kind: str, key: str, init: V, total: V, hint: str | None) -> V:
        tpl = T.REDUCE[kind][2]
        a = self.as_array(init, key) if init.lit is not None else init.text
        return self.define(tpl.format(a=a, b=total.text, L=self.L), hint or "result")


def _drop_unused(lines: list[str]) -> list[str]:
    """Remove `name = expr` lines whose name nothing reads (index arithmetic that became a slice).

    Every assignment the emitter writes is side-effect free (JAX `.at[]` updates are values; Torch
    writes are statements, not assignments), so an unread one can go."""
    import re
    assign = re.compile(r"^\s*([A-Za-z_]\w*) = ")
    while True:
        words: dict[str, int] = {}
        for ln in lines:
            for w in re.findall(r"[A-Za-z_]\w*", ln):
                words[w] = words.get(w, 0) + 1
        keep = [ln for ln in lines if not ((m := assign.match(ln)) and words.get(m.group(1), 0) == 1)]
        if len(keep) == len(lines):
            return lines
        lines = keep


def _header(lib: str, helpers: set[str]) -> list[str]:
    imports = ["import jax", "import jax.numpy as jnp", "from jax import lax"] if lib == "jax" else ["import torch"]
    out = imports + [""]
    for h in sorted(helpers):
        out += ["", T.HELPERS[h]]
    return out


@dataclass
class ArrayKernel:
    """One emitted kernel: its function source, parameters, written views and entry kind."""

    name: str
    source: str
    params: list[str]
    written: list[str]
    kind: str
    helpers: set[str]


def emit_kernel(fn: func.FuncOp, lib: str, locate: Any = None) -> ArrayKernel:
    """Array code of one kernel entry (a func.func holding one kokkos launch)."""
    em = KernelArrayEmitter(fn, lib, locate)
    src, params, written, kind = em.run()
    return ArrayKernel(fn.sym_name.data, src, params, written, kind, em.helpers)


def emit_module_source(module: ModuleOp, lib: str, locate: Any = None) -> str:
    """Python source of every kernel entry of an L3 module, as one JAX or Torch module."""
    kernels = [emit_kernel(f, lib, locate) for f in module.body.block.ops
               if isinstance(f, func.FuncOp) and "kokkos.entry" in f.attributes]
    helpers = set().union(*[k.helpers for k in kernels]) if kernels else set()
    doc = f'"""hpcir kernels as {"JAX" if lib == "jax" else "Torch"} array code (generated; do not edit)."""'
    parts = [doc, *_header(lib, helpers)]
    for k in kernels:
        parts += ["", k.source, ""]
    return "\n".join(parts) + "\n"


def load_source(source: str, filename: str) -> dict[str, Any]:
    """Import generated source as a module and return its namespace (functions by name).

    The module is registered in sys.modules and its text in linecache, so tracebacks show the
    generated lines and torch.compile (which re-imports a function's module) can trace it."""
    import hashlib
    import linecache
    import sys
    import types
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    modname = f"hpcir_array_{digest}"
    mod = sys.modules.get(modname)
    if mod is None:
        fname = f"<{filename} {digest}>"
        mod = types.ModuleType(modname)
        mod.__file__ = fname
        linecache.cache[fname] = (len(source), None, source.splitlines(True), fname)
        exec(compile(source, fname, "exec"), mod.__dict__)  # noqa: S102 (hpcir's own generated source)
        sys.modules[modname] = mod
    return mod.__dict__


__all__ = ["NotArrayExpressible", "KernelArrayEmitter", "emit_kernel", "emit_module_source", "load_source",
           "ArrayKernel"]
