"""Launches in array code: range / MDRange index grids, team grids and nested team ranges, and the
reductions and scans over them."""
from __future__ import annotations

from xdsl.ir import Attribute, Operation

from hpcir.dialects import kokkos as kk

from . import kernel_array_ops as T
from .kernel_array_values import Aff, V, dtype_key, py_literal


class LaunchMixin:
    """The launch, nested-range and reduction lowering of KernelArrayEmitter."""

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
        if self.open_loops and not (lo.lit is not None and hi.lit is not None):
            self.fail("a nested range inside a loop whose bounds are not constants: the loop's values are arrays "
                      "over all lanes (traced in a lax loop), and a range needs one static box of lanes",
                      hint="use target='torch' or a Kokkos target, or give the range a fixed length and mask "
                           "inside its body")
        if not (lo.uniform and hi.uniform):
            self.fail("a nested range whose bounds differ between teams",
                      hint="give every team the same range (mask inside the body instead)")
        if op.join is not None and op.join.blocks:  # type: ignore[attr-defined]
            self.fail("custom reducers (join regions) are not translated yet")
        self.shapes_from(lo.text, hi.text)
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
        if reducers[0] in ("maxloc", "minloc"):
            self.loc_reduce(op, reducers, types)
            return
        idents = []
        for kind, ty in zip(reducers, types):
            idents.append(self.identity(kind, ty))
        inits = [self.get(v) for v in ([op.init] if isinstance(op, kk.ParallelScanOp) else op.init)]  # type: ignore[attr-defined]
        accs = op.accumulators  # type: ignore[attr-defined]
        if isinstance(op, kk.ParallelReduceOp):
            for a, ident in zip(accs, idents):
                self.env[a] = ident
            self.sum_identities = [z for z, kind in zip(idents, reducers) if kind == "sum"]
            self.block(body)
            self.sum_identities = []
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

    def loc_reduce(self, op: Operation, kinds: list[str], types: list[Attribute]) -> None:
        """maxloc / minloc (or minloc then maxloc): each pair's (value, index) contributions, and the first
        position of the largest (smallest) value, as numpy.argmax (argmin); the inits are the identities."""
        body = op.body.block  # type: ignore[attr-defined]
        accs = op.accumulators  # type: ignore[attr-defined]
        none_lit = V(py_literal(2**63 - 1, "int64"), lit=2**63 - 1, aff=Aff({}, None))
        for k in range(0, len(kinds), 2):
            self.env[accs[k]] = self.identity(kinds[k][:3], types[k])
            self.env[accs[k + 1]] = none_lit
        self.block(body)
        outs = [self.get(v) for v in body.last_op.operands]  # type: ignore[union-attr]
        lib = "jnp" if self.lib == "jax" else "torch"
        for k in range(0, len(kinds), 2):
            kind, vkey = kinds[k], dtype_key(types[k])
            v = self.define(f"{lib}.reshape({self.lanes(outs[k], vkey)}, (-1,))", "values")
            at = self.define(f"{lib}.reshape({self.lanes(outs[k + 1], 'int64')}, (-1,))", "indices")
            first = self.define(f"0 if {v.text}.shape[0] == 0 else {lib}.arg{kind[:3]}({v.text})", "first")
            ident = self.identity(kind[:3], types[k])
            self.env[op.results[k]] = self.define(  # a static shape: an empty range keeps the identities
                f"{self.as_array(ident, vkey)} if {v.text}.shape[0] == 0 else {v.text}[{first.text}]",
                op.results[k].name_hint or "value")
            none = self.as_array(none_lit, "int64")
            self.env[op.results[k + 1]] = self.define(f"{none} if {v.text}.shape[0] == 0 else {at.text}[{first.text}]",
                                                      op.results[k + 1].name_hint or "index")

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
