"""Control flow in array code: `scf.if` as masks and `where`, `scf.for` / `scf.while` as one loop over
all lanes (`lax.fori_loop` / `lax.while_loop` in JAX, a Python loop in Torch) or unrolled."""
from __future__ import annotations

from xdsl.dialects import memref, scf
from xdsl.ir import Operation, SSAValue

from .kernel_array_values import Aff, V, dtype_key

UNROLL_MAX = 8  # constant trip counts up to this are unrolled (differentiable, no loop carry)


class ControlFlowMixin:
    """The if / for / while lowering of KernelArrayEmitter (its state and helpers live there)."""

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

    def private_slots(self, op: Operation) -> set[SSAValue]:
        """Locals the loop body writes before it reads them, read nowhere else: each iteration's own
        temporaries. They need no loop carry, and a masked store to them no merge with the old value
        (every read is nested after the store, under the store's mask or a narrower one)."""
        out = set()
        for s in self.carried(op)[0]:
            if s in self.locals:
                continue
            loads = [u.operation for u in s.uses if isinstance(u.operation, memref.LoadOp)]
            stores = [u.operation for u in s.uses if isinstance(u.operation, memref.StoreOp)]
            inner = [st for st in stores if _inside(st, op)]
            outer = [st for st in stores if not _inside(st, op)]
            # reads in the loop see this iteration's store; reads elsewhere a later store of their own
            if all(any(_before(st, ld) for st in inner) if _inside(ld, op) else
                   any(_before(st, ld) and not _between(op, st, ld) for st in outer) for ld in loads):
                out.add(s)
        return out

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
        if self.lib == "torch" and not uniform:
            loop = self.loop_ids.setdefault(op, len(self.loop_ids))
            self.trip_vars[loop] = trip.text
            cap = self.trips.cap(loop)
            if self.trips.record:
                self.helpers.add("_torch_trip")
                n = f"_torch_trip({loop}, {n})"
            elif cap is not None:
                return self.capped_for(op, lb, step, trip, cap)
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

    def capped_for(self, op: scf.ForOp, lb: V, step: V, trip: V, cap: int) -> None:
        """A Torch loop over lanes' trip counts whose maximum was recorded at bind time (TripPlan):
        `cap` masked iterations, unrolled when few (no loop, no data-dependent bound for torch.compile)."""
        self.helpers.add("_torch_cap")
        where = self.locate(None)
        msg = (f"{where}: " if where is not None else "") + (
            f"a loop of kernel {self.fn.sym_name.data} runs more often than when the launch was bound "
            f"({cap} iterations): a view named in bind(constant=...) changed; bind the launch again")
        self.emit(f"_torch_cap({trip.text}, {cap}, {msg!r})")
        private = self.private_slots(op)  # each iteration's own temporaries: no carry, no merge
        saved_private = {s: self.slots[s] for s in private}
        self.private |= private
        if cap > UNROLL_MAX:
            t = self.fresh("_t")
            names = self.torch_carry_enter(op, private)
            self.emit(f"for {t} in range({cap}):")
            self.depth += 1
            self.open_loops += 1
            self.capped_iteration(op, lb, step, trip, t)
            self.torch_carry_exit(names)
            self.open_loops -= 1
            self.depth -= 1
        else:
            for k in range(cap):
                self.capped_iteration(op, lb, step, trip, str(k))
        self.private -= private
        self.slots.update(saved_private)  # dead after the loop (read nowhere else)

    def capped_iteration(self, op: scf.ForOp, lb: V, step: V, trip: V, t: str) -> None:
        saved = (self.mask, self.mask_uniform)
        self.mask = self.define(self.and_mask(f"({t} < {trip.text})"), "m", Aff({}, None)).text
        self.mask_uniform = False
        iv_aff = Aff(dict(lb.aff.coeffs), None) if lb.aff is not None and step.uniform else None
        self.env[op.body.block.args[0]] = self.define(f"({lb.text} + {t} * {step.text})",
                                                     op.body.block.args[0].name_hint or "k", iv_aff)
        self.block(op.body.block)
        self.mask, self.mask_uniform = saved

    def loop(self, op: Operation, bounds: str, t: str, body, kind: str) -> None:
        """Emit a loop whose body changes slots and views: a carry in JAX, rebinding in Torch."""
        if self.lib == "torch":
            private = self.private_slots(op)
            saved_private = {s: self.slots[s] for s in private}
            self.private |= private
            names = self.torch_carry_enter(op, private)
            self.emit(f"for {t} in range({bounds.split(', ', 1)[1]}):")
            self.depth += 1
            self.open_loops += 1
            body()
            self.open_loops -= 1
            self.torch_carry_exit(names)
            self.depth -= 1
            self.private -= private
            self.slots.update(saved_private)
            return
        slots, views = self.carried(op)
        private = self.private_slots(op) if kind == "for" else set()
        slots = [s for s in slots if s not in private]
        saved_private = {s: self.slots[s] for s in private}
        self.private |= private
        carry_in = []
        for s in slots:
            carry_in.append(self.carry(s))
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
        self.open_loops += 1
        body()
        self.open_loops -= 1
        outs = [self.carry(s) for s in slots] + [self.views[m] for m in views]
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
        self.private -= private
        self.slots.update(saved_private)  # dead after the loop (read nowhere else)

    def torch_carry_enter(self, op: Operation, private: set[SSAValue] = frozenset()) -> dict[SSAValue, str]:
        """Torch loops are Python loops: each local the body changes gets one variable, rebound at
        the end of every iteration (an iteration's own temporaries need none)."""
        names = {}
        for s in self.carried(op)[0]:
            if s in private:
                continue
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
            self.open_loops += 1
            self.block(after)
            self.open_loops -= 1
            c = condition()
            self.emit(f"{act} = {act} & {c}")
            self.torch_carry_exit(names)
            self.depth -= 1
            self.mask, self.mask_uniform = saved
            del self.slots[key]  # type: ignore[arg-type]
            return
        slots, views = self.carried(op)
        slots = [s for s in slots] + [key]  # type: ignore[list-item]
        carry_in = [self.carry(s) for s in slots] + [self.views[m] for m in views]
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
        self.open_loops += 1
        self.block(after)
        self.open_loops -= 1
        c = condition()
        self.slots[key] = self.define(f"{act} & {c}", "active")  # type: ignore[index]
        outs = [self.carry(s) for s in slots] + [self.views[m] for m in views]
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


def _inside(o: Operation, region_op: Operation) -> bool:
    p = o.parent_op()
    while p is not None:
        if p is region_op:
            return True
        p = p.parent_op()
    return False


def _before(store: Operation, load: Operation) -> bool:
    """`store` comes before `load` in a block that holds `load` (or an op around it)."""
    blk = store.parent_block()
    o = load
    while o is not None and o.parent_block() is not blk:
        o = o.parent_op()
    if o is None or blk is None:
        return False
    ops = list(blk.ops)
    return ops.index(store) < ops.index(o)


def _between(loop: Operation, store: Operation, load: Operation) -> bool:
    """The loop (or an op around it) runs after `store` and before `load` in `store`'s block."""
    blk = store.parent_block()
    ops = list(blk.ops) if blk is not None else []
    a = loop
    while a is not None and a.parent_block() is not blk:
        a = a.parent_op()
    o = load
    while o is not None and o.parent_block() is not blk:
        o = o.parent_op()
    return a is not None and o is not None and ops.index(store) < ops.index(a) < ops.index(o)
