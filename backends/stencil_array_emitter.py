"""Stencil dialect → readable JAX / Torch array code: one shifted-slice expression per `stencil.apply`.

Each apply computes its temporary over its shape-inferred region (the domain grown by the halo its
readers need); `f[i, j]` inside it becomes a slice of `f` shifted by (i, j). The domain bounds are
arguments (`b0, e0, b1, e1, ...`, array indices), static under `jax.jit`.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from xdsl.dialects import arith, func, stencil
from xdsl.dialects.builtin import FloatAttr, ModuleOp
from xdsl.ir import Operation, SSAValue

from hpcir.core.errors import HpcirError
from hpcir.dialects.stencil_signature import SYMBOLIC_EXTENT, StencilSignature

_BIN = {"arith.addf": "+", "arith.subf": "-", "arith.mulf": "*", "arith.divf": "/", "math.powf": "**",
        "arith.andi": "&", "arith.ori": "|"}
_UNARY = {"math.sqrt": "sqrt", "math.exp": "exp", "math.log": "log", "math.sin": "sin", "math.cos": "cos",
          "math.tan": "tan", "math.tanh": "tanh", "math.absf": "abs", "math.floor": "floor", "math.ceil": "ceil"}
_PY_UNARY = {"abs": "abs", "floor": "math.floor", "ceil": "math.ceil"}  # scalar spellings where not math.<name>
_LIBS = {"jax": ("jnp", "import jax\nimport jax.numpy as jnp"), "torch": ("torch", "import torch")}


def _shift(base: str, k: int) -> str:
    return base if k == 0 else f"{base} {'+' if k > 0 else '-'} {abs(k)}"


class _ApplyEmitter:
    """Python expression of one apply over its region [lo, D + hi) (relative to the domain)."""

    def __init__(self, em: "_Emitter", op: stencil.ApplyOp):
        self.em, self.op = em, op
        bounds = op.res[0].type.bounds
        self.lo = list(bounds.lb)
        self.hi = [u - SYMBOLIC_EXTENT for u in bounds.ub]
        self.expr: dict[SSAValue, tuple[str, bool]] = {}  # value -> (expression, is an array)
        self.lines: list[str] = []

    def run(self) -> tuple[str, bool]:
        block = self.op.region.block
        for arg, outer in zip(block.args, self.op.args):
            self.expr[arg] = (self.em.name_of(outer), isinstance(outer.type, stencil.TempType))
        for o in block.ops:
            if isinstance(o, stencil.ReturnOp):
                return self.expr[o.arg[0]]
            self.expr[o.results[0]] = self.one(o)
            if len(list(o.results[0].uses)) > 1 and not isinstance(o, arith.ConstantOp):
                name = self.em.fresh("t")
                self.lines.append(f"{name} = {self.expr[o.results[0]][0]}")
                self.expr[o.results[0]] = (name, self.expr[o.results[0]][1])
        raise HpcirError("internal: stencil.apply without stencil.return")

    def access(self, o: stencil.AccessOp) -> str:
        temp = o.temp
        outer = self.op.args[temp.index]  # type: ignore[attr-defined]
        name = self.em.name_of(outer)
        parts = []
        for d, off in enumerate(o.offset):
            start, stop = self.lo[d] + off, self.hi[d] + off
            if outer in self.em.regions:  # a temporary: indices relative to its own region
                tlo = self.em.regions[outer][d]
                parts.append(f"{start - tlo}:{_shift(f'n{d}', stop - tlo)}")
            else:  # a field: array indices
                parts.append(f"{_shift(f'b{d}', start)}:{_shift(f'e{d}', stop)}")
        return f"{name}[{', '.join(parts)}]"

    def one(self, o: Operation) -> tuple[str, bool]:
        lib = self.em.lib
        if isinstance(o, stencil.AccessOp):
            return self.access(o), True
        if isinstance(o, arith.ConstantOp) and isinstance(o.value, FloatAttr):
            return repr(float(o.value.value.data)), False
        args = [self.expr[v] for v in o.operands]
        arr = any(a for _, a in args)
        if o.name in _BIN:
            return f"({args[0][0]} {_BIN[o.name]} {args[1][0]})", arr
        if o.name == "arith.negf":
            return f"(-{args[0][0]})", arr
        if o.name == "arith.cmpf":
            pred = o.properties["predicate"].value.data  # type: ignore[union-attr]
            return f"({args[0][0]} {_cmp_symbol(pred)} {args[1][0]})", arr
        if o.name in _UNARY:
            fn = _UNARY[o.name]
            if arr:
                return f"{lib}.{fn}({args[0][0]})", True
            return f"{_PY_UNARY.get(fn, 'math.' + fn)}({args[0][0]})", False
        if o.name in ("arith.minimumf", "arith.maximumf"):
            fn = "minimum" if o.name == "arith.minimumf" else "maximum"
            if arr:
                a, b = (self.em.as_array(x, y) for x, y in args)
                return f"{lib}.{fn}({a}, {b})", True
            return f"{fn[:3]}({args[0][0]}, {args[1][0]})", False
        if o.name == "arith.select":
            return f"{lib}.where({args[0][0]}, {args[1][0]}, {args[2][0]})", True
        raise HpcirError(f"the {self.em.kind} stencil emitter does not handle {o.name}")


def _cmp_symbol(pred: int) -> str:
    # arith.cmpf predicate numbers (MLIR CmpFPredicate): oeq=1, ogt=2, oge=3, olt=4, ole=5, une=13.
    return {1: "==", 2: ">", 3: ">=", 4: "<", 5: "<=", 13: "!="}[pred]


class _Emitter:
    """Writes the Python module of one stencil function."""

    def __init__(self, module: ModuleOp, sd: StencilSignature, kind: str):
        if kind not in _LIBS:
            raise HpcirError(f"no array emitter for {kind!r}", hint="use 'jax' or 'torch'")
        self.sd, self.kind = sd, kind
        self.lib, self.imports = _LIBS[kind]
        self.f = next(o for o in module.ops if isinstance(o, func.FuncOp))
        self.names: dict[SSAValue, str] = {}
        self.regions: dict[SSAValue, list[int]] = {}  # temporary -> lower bounds of its region
        self.used: set[str] = {p.name for p in sd.params}
        self.counter = 0

    def fresh(self, base: str) -> str:
        name = base
        while name in self.used:
            self.counter += 1
            name = f"{base}{self.counter}"
        self.used.add(name)
        return name

    def name_of(self, v: SSAValue) -> str:
        return self.names[v]

    def as_array(self, expr: str, is_array: bool) -> str:
        return expr if is_array or self.kind == "jax" else f"torch.tensor({expr}, dtype={self.dtype()})"

    def dtype(self) -> str:
        return f"{self.lib}.{self.sd.dtype}"

    def full(self, expr: str, lo: list[int], hi: list[int]) -> str:
        shape = ", ".join(_shift(f"n{d}", hi[d] - lo[d]) for d in range(self.sd.rank))
        return f"{self.lib}.full(({shape},), {expr}, dtype={self.dtype()})"

    def emit(self) -> str:
        sd, r = self.sd, self.sd.rank
        bounds = [f"b{d}" for d in range(r)] + [f"e{d}" for d in range(r)]
        body: list[str] = [f"{', '.join(f'n{d}' for d in range(r))} = {', '.join(f'e{d} - b{d}' for d in range(r))}"]
        for p, a in zip(sd.params, self.f.body.block.args):
            self.names[a] = p.name
        outputs: list[str] = []
        for o in self.f.body.block.ops:
            if isinstance(o, stencil.CastOp):
                self.names[o.result] = self.names[o.field]
            elif isinstance(o, stencil.LoadOp):
                self.names[o.res] = self.names[o.field]
            elif isinstance(o, stencil.ApplyOp):
                ae = _ApplyEmitter(self, o)
                expr, is_array = ae.run()
                if not is_array:
                    expr = self.full(expr, ae.lo, ae.hi)
                name = self.fresh(o.res[0].name_hint or "tmp")
                self.names[o.res[0]] = name
                self.regions[o.res[0]] = ae.lo
                span = ", ".join(f"[{_shift('b' + str(d), ae.lo[d])}, {_shift('e' + str(d), ae.hi[d])})"
                                 for d in range(r))
                body += ae.lines + [f"{name} = {expr}  # over {span}"]
            elif isinstance(o, stencil.StoreOp):
                field = self.names[o.field]
                tmp, tlo = self.names[o.temp], self.regions[o.temp]
                src = ", ".join(f"{-tlo[d]}:{_shift(f'n{d}', -tlo[d])}" for d in range(r))
                dst = ", ".join(f"b{d}:e{d}" for d in range(r))
                value = tmp if all(x == 0 for x in tlo) and self._exact(o) else f"{tmp}[{src}]"
                if self.kind == "jax":
                    body.append(f"{field} = {field}.at[{dst}].set({value})")
                else:
                    body.append(f"{field}[{dst}] = {value}")
                outputs.append(field)
        ret = f"return {', '.join(outputs)}{',' if len(outputs) == 1 else ''}"
        params = ", ".join([p.name for p in sd.params] + bounds)
        doc = (f'"""Stencil {sd.name} over the domain [b, e) (array indices); returns the written fields '
               f'({", ".join(outputs)})."""')
        lines = [f'"""Generated by hpcir from stencil {sd.name!r}: {self.kind} array code (shifted slices)."""',
                 "import math", "", self.imports, "", "", f"def {sd.name}({params}):", f"    {doc}"]
        lines += [f"    {b}" for b in body] + [f"    {ret}", ""]
        if self.kind == "jax" and sd.dtype == "float64":
            lines[lines.index(self.imports) + 1:lines.index(self.imports) + 1] = [
                "# float64 fields: call under `with jax.enable_x64(True):` (hpcir's runner does)"]
        if self.kind == "jax":
            statics = ", ".join(repr(b) for b in bounds)
            lines += ["", f"{sd.name}_jit = jax.jit({sd.name}, static_argnames=({statics},))", ""]
        return "\n".join(lines)

    def _exact(self, store: stencil.StoreOp) -> bool:
        b = store.temp.type.bounds
        return list(b.ub) == [SYMBOLIC_EXTENT] * self.sd.rank


def emit_array_source(module: ModuleOp, sd: StencilSignature, kind: str) -> str:
    """Python source (jax.numpy or torch) of a shape-inferred stencil module."""
    return _Emitter(module, sd, kind).emit()


def load_array_function(module: ModuleOp, sig: StencilSignature, kind: str) -> Callable[[Sequence[Any], tuple], Any]:
    """A runner `(arguments, domain) -> outputs` executing the emitted array code."""
    source = emit_array_source(module, sig, kind)
    namespace: dict[str, Any] = {"__name__": f"hpcir_stencil_{sig.name}_{kind}"}
    exec(compile(source, f"<hpcir stencil {sig.name} ({kind})>", "exec"), namespace)  # noqa: S102 (our code)
    fn = namespace[f"{sig.name}_jit"] if kind == "jax" else namespace[sig.name]
    fields = list(sig.params)
    outputs = sig.outputs

    def run(values: Sequence[Any], domain: tuple) -> Any:
        if kind == "jax" and sig.dtype == "float64":
            import jax
            with jax.enable_x64(True):  # scoped: no process-wide JAX setting changes
                return _run(values, domain)
        return _run(values, domain)

    def _run(values: Sequence[Any], domain: tuple) -> Any:
        import numpy as np
        args = [_to_array(v, kind) if p.is_field else v for p, v in zip(fields, values)]
        bounds = {f"b{d}": b for d, (b, _) in enumerate(domain)}
        bounds.update({f"e{d}": e for d, (_, e) in enumerate(domain)})
        if any(e <= b for b, e in domain):
            return None
        results = fn(*args, **bounds)
        host_only = True
        by_name = dict(zip([p.name for p in fields], values))
        for name, res in zip(outputs, results):
            orig = by_name[name]
            if isinstance(orig, np.ndarray):
                if kind == "jax" or not np.shares_memory(orig, np.asarray(res)):
                    orig[...] = np.asarray(res)
            else:
                host_only = False
        if host_only:
            return None
        return results[0] if len(results) == 1 else tuple(results)

    run.source = source  # type: ignore[attr-defined]
    return run


def _to_array(v: Any, kind: str) -> Any:
    import numpy as np
    if kind == "jax":
        import jax.numpy as jnp
        return jnp.asarray(v)
    import torch
    if isinstance(v, np.ndarray):
        return torch.from_numpy(v)  # shares memory: in-place writes land in the user's array
    return v


__all__ = ["emit_array_source", "load_array_function"]
