"""`graph-hoist-invariants`: per-element work of a linalg.generic that depends on fewer loops is done once.

In a fused elementwise loop over (n, c, h, w), a value computed only from operands indexed by `c`
(a batch norm's `rsqrt(var + eps)`, its `weight * rsqrt(...)`) is the same for every (n, h, w), yet
the loop recomputes it per element (a square root and a division each time) and reloads its
operands: the Kokkos functor it becomes hides the invariance from the C++ compiler. This pass moves
every such maximal invariant value into a linalg.generic of its own over just the loops it depends
on (one per value), and the loop reads the result instead:

    %y = linalg.generic (n,c,h,w) ins(%x[n,c,h,w], %v[c]) {          %r = linalg.generic (c) ins(%v[c]) {
      %r = math.rsqrt(%v + eps)                               ->         math.rsqrt(%v + eps) }
      %x * %r }                                                      %y = linalg.generic (n,c,h,w)
                                                                          ins(%x[n,c,h,w], %r[c]) { %x * %r }

With `reassociate` (on by default), a chain of additions, subtractions, negations and
multiplications applied to one varying value with invariant operands (`((x + cb - m) * r) * w + b`)
is first rewritten as `x * A + B` with A and B invariant (`A = r * w`, `B = (cb - m) * A + b`), so
a batch norm after a convolution costs one multiply-add per element, with A and B per channel.
That is the form torch itself evaluates inference batch norms in; it reassociates floating-point
arithmetic (results differ from the original order by a few ulps of `x * A`): pass
`reassociate=false` to keep the written order. Only pure `arith` / `math` ops move; values that
read `linalg.index`, an accumulator (output block argument) or an operand whose indexing map is
not a plain projection stay in place. Target-neutral; runs on L1 (tensors), after
`graph-fuse-elementwise` (upstream fusion would merge the hoisted loops back in).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from xdsl.context import Context
from xdsl.dialects import arith, tensor
from xdsl.dialects.builtin import AffineMapAttr, FloatAttr, ModuleOp, TensorType
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.dialects.linalg.ops import GenericOp, YieldOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap
from xdsl.passes import ModulePass

from hpcir.dialects.graph_types import SRC_ATTR

_PURE_DIALECTS = ("arith.", "math.")
_FORM_OPS = ("arith.addf", "arith.subf", "arith.mulf", "arith.negf")
MIN_CHAIN = 3  # ops folded into x * A + B before the rewrite pays (x * A + B itself is 2)


def _pure(op: Operation) -> bool:
    return op.name.startswith(_PURE_DIALECTS) and not op.regions


def _arg_dims(g: GenericOp, n: int) -> list[frozenset[int] | None]:
    """Loops each block argument depends on; None: not movable (an output, or a non-projection map)."""
    n_in = len(g.inputs)
    dims: list[frozenset[int] | None] = []
    for i, m in enumerate(g.indexing_maps.data):
        exprs = m.data.results
        if i >= n_in or not all(isinstance(e, AffineDimExpr) for e in exprs):
            dims.append(None)
        else:
            dims.append(frozenset(e.position for e in exprs))
    return dims


def _loop_ranges(g: GenericOp, n: int) -> list[int | None]:
    """Static extent of each loop, read from the operands indexed by it directly (None: unknown)."""
    ranges: list[int | None] = [None] * n
    for v, m in zip(g.operands, g.indexing_maps.data):
        if not isinstance(v.type, TensorType):
            continue
        for e, s in zip(m.data.results, v.type.get_shape()):
            if isinstance(e, AffineDimExpr) and s >= 0:
                ranges[e.position] = s
    return ranges


class _Deps:
    """Loops each body value depends on (None: not movable), for one linalg.generic."""

    def __init__(self, g: GenericOp) -> None:
        self.n = len(g.iterator_types.data)
        self.block = g.body.block
        self.all = frozenset(range(self.n))
        self.of: dict[SSAValue, frozenset[int] | None] = dict(zip(self.block.args, _arg_dims(g, self.n)))
        for op in self.block.ops:
            self.update(op)

    def update(self, op: Operation) -> None:
        """Record the dependences of op's results (call in block order)."""
        if not _pure(op):
            deps = None
        else:
            deps = frozenset()
            for v in op.operands:
                d = self.get(v)
                if d is None:
                    deps = None
                    break
                deps |= d
        for r in op.results:
            self.of[r] = deps

    def get(self, v: SSAValue) -> frozenset[int] | None:
        """Loops v depends on: values from outside the body depend on none."""
        if v in self.of:
            return self.of[v]
        return frozenset()

    def invariant(self, v: SSAValue) -> bool:
        """v is the same for all values of at least one loop (and can be computed outside)."""
        d = self.get(v)
        return d is not None and d != self.all


# ---- x * A + B ------------------------------------------------------------------------------
# An affine form: (x, A, B, ops) with x the varying value, A / B expression trees over invariant SSA
# values (None: 1 / 0) and ops the number of body ops it stands for.
def _mul(a, b):
    return b if a is None else a if b is None else ("mul", a, b)


def _add(a, b):
    return b if a is None else a if b is None else ("add", a, b)


def _sub(a, b):
    if b is None:
        return a
    return ("neg", b) if a is None else ("sub", a, b)


def _forms(deps: _Deps) -> dict[SSAValue, tuple]:
    forms: dict[SSAValue, tuple] = {}

    def form(v):
        if v in forms:
            return forms[v]
        return (v, None, None, 0)

    for op in deps.block.ops:
        if op.name not in _FORM_OPS:
            continue
        if op.name == "arith.negf":
            (p,) = op.operands
            if deps.invariant(p):
                continue
            x, a, b, k = form(p)
            forms[op.results[0]] = (x, _sub(None, a) if a is not None else ("neg", ("one",)), _sub(None, b), k + 1)
            continue
        p, q = op.operands
        pi, qi = deps.invariant(p), deps.invariant(q)
        if pi == qi:  # both invariant (hoisted as they are) or both varying (not affine in one value)
            continue
        f, c = (q, p) if pi else (p, q)
        x, a, b, k = form(f)
        t = ("v", c)
        if op.name == "arith.addf":
            new = (x, a, _add(b, t))
        elif op.name == "arith.mulf":
            new = (x, _mul(a, t), _mul(b, t) if b is not None else None)
        elif not pi:  # f - c
            new = (x, a, _sub(b, t))
        else:  # c - f
            new = (x, ("neg", a) if a is not None else ("neg", ("one",)), _sub(t, b))
        forms[op.results[0]] = (*new, k + 1)
    return forms


def _materialize(t, before: Operation, elem, block: Block, deps: _Deps, memo: dict) -> SSAValue:
    """SSA value of expression tree t, built before `before`."""
    key = repr(t) if t[0] != "v" else None
    if t[0] == "v":
        return t[1]
    if key in memo:
        return memo[key]
    if t[0] == "one":
        op = arith.ConstantOp(FloatAttr(1.0, elem))
    elif t[0] == "neg":
        op = arith.NegfOp(_materialize(t[1], before, elem, block, deps, memo))
    else:
        a = _materialize(t[1], before, elem, block, deps, memo)
        b = _materialize(t[2], before, elem, block, deps, memo)
        op = {"mul": arith.MulfOp, "add": arith.AddfOp, "sub": arith.SubfOp}[t[0]](a, b)
    block.insert_op_before(op, before)
    deps.update(op)
    memo[key] = op.results[0]
    return op.results[0]


def _reassociate(g: GenericOp) -> None:
    """Rewrite affine chains of at least MIN_CHAIN ops whose result leaves the chain as x * A + B."""
    deps = _Deps(g)
    forms = _forms(deps)
    memo: dict = {}
    for v, (x, a, b, k) in list(forms.items()):
        if k < MIN_CHAIN or all(u.operation.results and u.operation.results[0] in forms for u in v.uses):
            continue
        owner = v.owner
        assert isinstance(owner, Operation)
        elem = v.type
        y = x
        if a is not None:
            m = arith.MulfOp(x, _materialize(a, owner, elem, deps.block, deps, memo))
            deps.block.insert_op_before(m, owner)
            deps.update(m)
            y = m.results[0]
        if b is not None:
            s = arith.AddfOp(y, _materialize(b, owner, elem, deps.block, deps, memo))
            deps.block.insert_op_before(s, owner)
            deps.update(s)
            y = s.results[0]
        v.replace_all_uses_with(y)
    _erase_dead(deps.block)


def _erase_dead(block: Block) -> None:
    for op in reversed(list(block.ops)):
        if _pure(op) and all(not r.uses for r in op.results):
            op.detach()
            op.erase()


# ---- hoisting ------------------------------------------------------------------------------
def _candidates(deps: _Deps, ranges: list[int | None]) -> dict[frozenset[int], list[SSAValue]]:
    """Maximal invariant op results, grouped by the loops they depend on."""
    groups: dict[frozenset[int], list[SSAValue]] = {}
    for op in deps.block.ops:
        if not _pure(op) or isinstance(op, arith.ConstantOp) or len(op.results) != 1:
            continue
        v = op.results[0]
        d = deps.get(v)
        if d is None or not d or d == deps.all or any(ranges[i] is None for i in d):
            continue
        if prod(ranges[i] or 1 for i in deps.all - d) < 2:
            continue  # no loop it is invariant in does more than one iteration
        if any(deps.get(r) != d for u in v.uses for r in u.operation.results) or any(
                not u.operation.results for u in v.uses):
            groups.setdefault(d, []).append(v)
    return groups


def _slice(values: list[SSAValue], block: Block) -> list[Operation]:
    """Ops of block that values are computed from, in block order."""
    need: set[Operation] = set()
    todo = [v.owner for v in values]
    while todo:
        op = todo.pop()
        if not isinstance(op, Operation) or op in need or op.parent_block() is not block:
            continue
        need.add(op)
        todo.extend(o.owner for o in op.operands)
    return [op for op in block.ops if op in need]


def _hoist_group(g: GenericOp, dims: frozenset[int], values: list[SSAValue],
                 ranges: list[int | None]) -> tuple[list[SSAValue], AffineMap]:
    """Build, before g, one linalg.generic over `dims` computing values; returns its results and the
    map by which g reads them."""
    order = sorted(dims)
    pos = {d: i for i, d in enumerate(order)}
    block = g.body.block
    ops = _slice(values, block)
    used_args = [a for a in block.args if any(u.operation in ops for u in a.uses)]
    maps = g.indexing_maps.data
    ins, in_maps = [], []
    for a in used_args:
        ins.append(g.operands[a.index])
        in_maps.append(AffineMapAttr(AffineMap(len(order), 0, tuple(
            AffineDimExpr(pos[e.position]) for e in maps[a.index].data.results))))
    outs, out_types = [], []
    shape = [ranges[d] for d in order]
    ident = AffineMapAttr(AffineMap.identity(len(order)))
    for v in values:
        empty = tensor.EmptyOp([], TensorType(v.type, shape))
        g.parent_block().insert_op_before(empty, g)
        outs.append(empty.results[0])
        out_types.append(empty.results[0].type)
    body = Block(arg_types=[a.type for a in used_args] + [v.type for v in values])
    mapping: dict[SSAValue, SSAValue] = dict(zip(used_args, body.args))
    for op in ops:
        body.add_op(op.clone(value_mapper=mapping))
    body.add_op(YieldOp(*[mapping[v] for v in values]))
    new = GenericOp(ins, outs, Region(body), [*in_maps, *[ident] * len(values)],
                           [IteratorTypeAttr.parallel()] * len(order), out_types)
    if SRC_ATTR in g.attributes:  # the user's source line, for later diagnostics
        new.attributes[SRC_ATTR] = g.attributes[SRC_ATTR]
    g.parent_block().insert_op_before(new, g)
    read = AffineMap(len(g.iterator_types.data), 0, tuple(AffineDimExpr(d) for d in order))
    return list(new.results), read


def _rebuild(g: GenericOp, extra: list[tuple[SSAValue, SSAValue, AffineMap]]) -> GenericOp:
    """g with extra inputs (tensor, the body value they replace, map) and its unused inputs dropped."""
    block = g.body.block
    n_in = len(g.inputs)
    for k, (t, v, m) in enumerate(extra):
        arg = block.insert_arg(v.type, n_in + k)
        v.replace_all_uses_with(arg)
    _erase_dead(block)
    maps = list(g.indexing_maps.data[:n_in]) + [AffineMapAttr(m) for _, _, m in extra] + list(
        g.indexing_maps.data[n_in:])
    ins = list(g.inputs) + [t for t, _, _ in extra]
    keep = [i for i in range(len(ins)) if block.args[i].uses]
    for i in reversed(range(len(ins))):
        if i not in keep:
            block.erase_arg(block.args[i])
    maps = [maps[i] for i in keep] + maps[len(ins):]
    region = g.detach_region(g.body)
    new = GenericOp([ins[i] for i in keep], list(g.outputs), region, maps, g.iterator_types,
                           [r.type for r in g.results], g.doc, g.library_call)
    new.attributes.update(g.attributes)
    g.parent_block().insert_op_before(new, g)
    for old, r in zip(g.results, new.results):
        r.name_hint = old.name_hint
        old.replace_all_uses_with(r)
    g.detach()
    g.erase()
    return new


def hoist_invariants(g: GenericOp, reassociate: bool = True) -> GenericOp:
    """Rewrite one linalg.generic as described in the module docstring; returns its replacement."""
    if reassociate:
        _reassociate(g)
    n = len(g.iterator_types.data)
    ranges = _loop_ranges(g, n)
    groups = _candidates(_Deps(g), ranges)
    if not groups:
        return g
    extra = []
    for dims, values in groups.items():
        for v in values:  # one result per linalg.generic: what every emitter (JAX, Torch too) takes
            results, read = _hoist_group(g, dims, [v], ranges)
            extra.append((results[0], v, read))
    return _rebuild(g, extra)


@dataclass(frozen=True)
class GraphHoistInvariantsPass(ModulePass):
    """Compute loop-invariant parts of linalg.generic bodies once, in smaller linalg.generic ops."""

    name = "graph-hoist-invariants"

    reassociate: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for g in [o for o in op.walk() if isinstance(o, GenericOp)]:
            if all(isinstance(v.type, TensorType) for v in g.operands):
                hoist_invariants(g, self.reassociate)
