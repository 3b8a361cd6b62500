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
storing to one element without an atomic, or reading an element another iteration writes:
kernel_array_races), the value an atomic returns, and the local-array and team-scratch patterns
kernel_array_locals has no array form for.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, MemRefType, ModuleOp
from xdsl.ir import Block, Operation, SSAValue

from hpcir.dialects import kokkos as kk

from . import kernel_array_ops as T
from .kernel_array_control import UNROLL_MAX, ControlFlowMixin
from .kernel_array_launches import LaunchMixin
from .kernel_array_locals import LocalArrayMixin
from .kernel_array_races import RaceCheckMixin
from .kernel_array_trips import TRIP_HELPERS, TripPlan, tainted_names
from .kernel_array_values import Aff, NotArrayExpressible, V, dtype_key, py_literal

__all__ = ["KernelArrayEmitter", "NotArrayExpressible", "Aff", "V", "dtype_key", "py_literal", "UNROLL_MAX", "LIBS",
           "emit_kernel", "emit_module_source", "load_source", "ArrayKernel"]

LIBS = ("jax", "torch")


class KernelArrayEmitter(ControlFlowMixin, LaunchMixin, LocalArrayMixin, RaceCheckMixin):
    """Emits one `func.func` holding a kokkos launch as a Python function over arrays."""

    def __init__(self, fn: func.FuncOp, lib: str, locate: Any = None, trips: TripPlan | None = None):
        if lib not in LIBS:
            raise ValueError(lib)
        self.fn, self.lib, self.locate = fn, lib, locate or (lambda *a: None)
        self.trips = trips or TripPlan()
        self.loop_ids: dict[Operation, int] = {}  # Torch loops with per-lane trip counts, numbered
        self.trip_vars: dict[int, str] = {}  # loop id -> the variable of its lanes' trip counts
        self.L = "jnp" if lib == "jax" else "torch"
        self.lines: list[str] = []
        self.depth = 1
        self.env: dict[SSAValue, V] = {}
        self.slots: dict[SSAValue, V] = {}  # rank-0 allocas (kernel locals): current value
        self.slot_types: dict[SSAValue, str] = {}
        self.locals: dict[SSAValue, Any] = {}  # local arrays and scratch views (their array is a slot)
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
        self.shape_params: set[str] = set()
        self.scalar_params: set[str] = set()  # scalar parameters that give an array's shape
        self.open_loops = 0  # depth of loop bodies being emitted (their carried locals are per-lane arrays)
        self.mask_loads = ""  # the view a load subscript is built for (Torch clamps its masked gathers)
        self.private: set[SSAValue] = set()  # loop-private locals (kernel_array_control.private_slots)

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

    def shapes_from(self, *texts: str) -> None:
        """Note the scalar parameters an array shape is computed from (JAX needs them static)."""
        import re
        for t in texts:
            self.shape_params.update(w for w in re.findall(r"[A-Za-z_]\w*", t) if w in self.scalar_params)

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

    def carry(self, s: SSAValue) -> str:
        """A slot as a loop carry: local arrays as they are, scalars broadcast to the grid."""
        if s in self.locals:
            return self.slots[s].text
        return self.lanes(self.slots[s], self.slot_types[s])

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
                self.scalar_params.add(n)
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
        shape_params = [n for n in names if n in self.shape_params]
        if shape_params:  # scalars that size a range or a scratch view: static under jax.jit
            src += f"\n\n\n{fn.sym_name.data}.shape_params = {tuple(shape_params)!r}"
        if self.trips.record:  # the loops whose trip counts are the same at every launch (TripPlan)
            seeds = {n for n in self.view_names.values() if n not in self.trips.constant}
            tainted = tainted_names(body, seeds)
            fixed = tuple(k for k, v in sorted(self.trip_vars.items()) if v not in tainted)
            src += f"\n\n\n{fn.sym_name.data}.fixed_loops = {fixed!r}"
        return src, names, written, kind

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
            if self.lib == "torch" and name in T.INT_DIVISION and self.masked_divisor(op.operands[1]):
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
            return self.local_alloc(op, list(op.dynamic_sizes), "team scratch view")
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
        if op.name in ("arith.addf", "arith.addi"):
            # `acc + x` where acc is still a sum reduction's accumulator, its identity 0 here: x
            # itself, the iteration's contribution (for floats only a -0.0 differs, and the sum
            # absorbs it). Inductor keeps `0.0 + x` (not an identity for -0.0): an add per element.
            for ident, other in ((a, b), (b, a)):
                if any(ident is z for z in getattr(self, "sum_identities", ())):
                    self.env[op.results[0]] = other
                    return
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
        if self.lib == "torch" and op.name in T.INT_DIVISION and self.masked_divisor(op.operands[1]):
            bt = self.arg(op.operands[1])  # a tensor even where b is a Python int (a scalar argument)
            text = f"({a.text} {sym} torch.where({bt} == 0, 1, {bt}))"
        if op.name == "arith.xori" and b.lit is not None and dtype_key(op.results[0].type) == "bool" and b.lit:
            text = self.logical_not(self.arg(op.operands[0]))  # `not x` (x ^ true)
        self.bind(op, text, aff)

    def masked_divisor(self, v: SSAValue) -> bool:
        """A divisor that may be zero in lanes a mask turns off (Torch traps even there). Without a
        mask, a zero divisor failed the check before the division already; a uniform one stays a
        Python int there (no tensor, no data-dependent check for torch.compile)."""
        x = self.get(v)
        return x.lit is None and not (x.uniform and self.mask is None)

    def check(self, op: Operation) -> None:
        """cf.assert (the frontend's integer zero-divisor check): raised after the fact, like the
        Kokkos build does; under jax.jit, where no value is known, JAX skips it."""
        c = self.get(op.operands[0])
        if c.lit is not None and c.lit:
            return
        helper = "_jax_check" if self.lib == "jax" else "_torch_check"
        self.helpers.add(helper)
        if self.lib == "torch" and c.uniform and self.mask is None:
            failed = f"not ({c.text})"  # a Python bool where the operands are scalar arguments
        else:
            failed = self.and_mask(self.logical_not(self.arg(op.operands[0])))
        self.emit(f"{helper}({failed}, {op.msg.data!r})")  # type: ignore[attr-defined]

    def cmpi(self, op: Operation) -> None:
        pred = op.predicate.value.data  # type: ignore[attr-defined]
        sym = T.CMPI[T.CMPI_ORDER[pred]]
        a, b = (self.get(v) for v in op.operands)
        if self.lib == "torch" and dtype_key(op.operands[0].type) == "bool" and sym in ("==", "!=") \
                and not (a.uniform and b.uniform):
            # bools compared: logical_xor, as Inductor's value ranges reject Boolean relationals (`!=`)
            xor = f"torch.logical_xor({self.arg(op.operands[0])}, {self.arg(op.operands[1])})"
            self.bind(op, xor if sym == "!=" else f"torch.logical_not({xor})")
            return
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
        if op.source in self.locals:
            self.env[op.result] = V(self.locals[op.source].dims[d.lit], aff=Aff({}, None))
            return
        if view is None:
            self.fail("extent of a local array")
        self.env[op.result] = V(f"{view}.shape[{d.lit}]", aff=Aff({}, None))

    # -- memory -------------------------------------------------------------------------------------
    def alloca(self, op: memref.AllocaOp) -> None:
        ty = op.memref.type
        if ty.get_shape():
            return self.local_alloc(op, list(op.dynamic_sizes), "local array")
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
        xs = [self.get(v) for v in vals]
        if self.lib == "torch" and self.mask is not None and self.mask_loads:
            # lanes a mask turns off may index out of bounds (`if j < n: x[j]`): Torch raises where
            # JAX clamps, so clamp their indices (valid lanes are in bounds, as on Kokkos)
            idx = ", ".join(x.text if x.lit is not None else
                            f"{self.as_array(x, 'int64')}.clamp(0, {self.mask_loads}.shape[{d}] - 1)"
                            for d, x in enumerate(xs))
        else:
            idx = ", ".join(x.text for x in xs)
        return f"[{idx}]" if affs else "[()]"

    def flat_gather(self, m: SSAValue, vals) -> str | None:
        """`x[i, j, k]` with two or more index arrays as one gather from the flattened view,
        `x.reshape(-1)[(i * n1 + j) * n2 + k]`, or None where a plain subscript is as good.

        Why: a gather with d index arrays costs XLA (and Torch's advanced indexing) d index
        computations per element; the row-major linear index is built on the small index arrays
        (Horner's rule: a launch index that spans the grid meets the others in the last add), and
        measured about 2x faster for a 4-index gather of (32768, 84) lanes."""
        xs = [self.get(v) for v in vals]
        if len(xs) < 2 or sum(x.lit is None for x in xs) < 2:
            return None
        cur = self.views[m]
        parts = []
        for d, x in enumerate(xs):
            if self.lib == "torch" and self.mask is not None and x.lit is None:
                parts.append(f"{self.as_array(x, 'int64')}.clamp(0, {cur}.shape[{d}] - 1)")
            else:
                parts.append(x.text)
        lin = parts[0]
        for d, p in enumerate(parts[1:], start=1):
            lin = f"({lin}) * {cur}.shape[{d}] + {p}"
        if self.lib == "jax":
            return f"{cur}.reshape(-1)[{lin}]"
        self.helpers.add("_torch_flat")
        return f"_torch_flat({cur})[{lin}]"

    def load(self, op: memref.LoadOp) -> None:
        m = op.memref
        if m in self.locals:
            return self.local_load(op)
        if m in self.slots:
            self.env[op.res] = self.slots[m]
            return
        if m not in self.views:
            self.fail("a load from a local array")
        idx, affs = self.indices(op.indices)
        self.loads.setdefault(m, []).append((affs, idx))  # type: ignore[arg-type]
        uniform = all(a is not None and not a.coeffs for a in affs)
        self.mask_loads = self.views[m]
        sub = self.subscript(op.indices, affs)
        flat = None if sub.startswith("[") and ":" in sub else self.flat_gather(m, op.indices)
        self.mask_loads = ""
        text = flat or f"{self.views[m]}{sub}"
        if self.lib == "torch" and m in self.stored_views and ":" in sub:
            text += ".clone()"  # a Torch slice is a view: keep the value loaded before later writes
        self.env[op.res] = self.define(text, op.res.name_hint or f"{self.view_names[m]}_v",
                                       Aff({}, None) if uniform else None)

    def store(self, op: memref.StoreOp) -> None:
        m, val = op.memref, self.get(op.value)
        if m in self.locals:
            return self.local_store(op)
        if m in self.slots:
            key = self.slot_types[m]
            if self.mask is None or m in self.private:  # a private local's masked-off lanes are never read
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
        if self.lib == "torch" and ":" not in sub and any(
                x.uniform and x.lit is None for x in (self.get(i) for i in op.indices)):
            # a lane-independent index may be a 0-d tensor (a loaded value): Torch reads it as a Python
            # int (a data-dependent scalar for torch.compile); a one-element index broadcasts instead
            sub = "[" + ", ".join(f"{self.as_array(x, 'int64')}.reshape(1)" if x.uniform and x.lit is None
                                  else x.text for x in (self.get(i) for i in op.indices)) + "]"
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
        out += ["", T.HELPERS[h] if h in T.HELPERS else TRIP_HELPERS[h]]
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


def emit_kernel(fn: func.FuncOp, lib: str, locate: Any = None, trips: TripPlan | None = None) -> ArrayKernel:
    """Array code of one kernel entry (a func.func holding one kokkos launch)."""
    em = KernelArrayEmitter(fn, lib, locate, trips)
    src, params, written, kind = em.run()
    return ArrayKernel(fn.sym_name.data, src, params, written, kind, em.helpers)


def emit_module_source(module: ModuleOp, lib: str, locate: Any = None, trips: TripPlan | None = None) -> str:
    """Python source of every kernel entry of an L3 module, as one JAX or Torch module."""
    kernels = [emit_kernel(f, lib, locate, trips) for f in module.body.block.ops
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

