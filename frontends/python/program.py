"""@hpcir.program host functions → a `kokkos.host_program` func: view allocations, launches (calls
of the kernel entry functions), host loops and arithmetic, fences and prints."""
from __future__ import annotations

import ast
from xdsl.dialects import func
from xdsl.dialects.builtin import UnitAttr
from xdsl.ir import Block, Region

from hpcir.core.errors import KernelSyntaxError, KernelTypeError
from hpcir.dialects.kokkos_discardable import HOST_PROGRAM

from .annotations import to_scalar
from .entries import KernelLowerer, LaunchSpec, ModuleBuilder
from .kernel import Kernel
from .signature import split_params
from .types import F64, I64, KernelType, ScalarType, ViewType
from .values import TV


class ProgramLowerer(KernelLowerer):
    """Lowers a host program; launches become calls of the kernels' entry functions."""

    def __init__(self, kern: Kernel, module: ModuleBuilder, block: Block, space: str, layout: str):
        super().__init__(kern, module, block)
        self.space, self.layout = space, layout

    def stmt_Assign(self, node: ast.Assign) -> None:  # type: ignore[override]
        t = node.targets[0]
        if len(node.targets) == 1 and isinstance(t, ast.Name) and isinstance(node.value, ast.Call):
            tag = self._tag(node.value)
            if tag == "View":
                self.scope.names[t.id] = self.alloc_view(node.value, t.id)
                return
        super().stmt_Assign(node)

    def _tag(self, call: ast.Call) -> str | None:
        from .annotations import View
        obj = self.global_object(call.func)
        if isinstance(obj, type) and issubclass(obj, View):
            return "View"
        if obj is print:
            return "print"
        return getattr(obj, "__hpcir_intrinsic__", None)

    def alloc_view(self, call: ast.Call, label: str) -> TV:
        """x = View((n, m), float) → kokkos.alloc (a host view until a pass places it)."""
        from hpcir.dialects import kokkos as kk
        from .annotations import View
        cls = self.global_object(call.func)
        if not call.args:
            raise self.err(KernelSyntaxError, "View needs a shape", call, hint="View((n,), float)")
        shape_node = call.args[0]
        dims = list(shape_node.elts) if isinstance(shape_node, (ast.Tuple, ast.List)) else [shape_node]
        dtype: ScalarType = F64
        dnode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "dtype"), None)
        if dnode is not None:
            st = to_scalar(self.global_object(dnode)) if not isinstance(dnode, ast.Constant) else None
            if st is None:
                raise self.err(KernelTypeError, f"unsupported view dtype `{ast.unparse(dnode)}`", dnode)
            dtype = st
        rank = len(dims)
        if isinstance(cls, type) and issubclass(cls, View) and cls.rank not in (None, rank):
            raise self.err(KernelTypeError, f"{cls.__name__} needs {cls.rank} extents, got {rank}", call)
        vt = ViewType(dtype, rank, self.layout, self.space)
        sizes = [self.to_index(self.as_int(d, "a view extent")) for d in dims]
        op = self.emit(kk.AllocOp(vt.mlir(), sizes, label=label))
        return TV(op.results[0], vt)

    def call(self, node: ast.Call, want_value: bool) -> TV | None:  # type: ignore[override]
        tag = self._tag(node)
        if tag in ("parallel_for", "parallel_reduce", "parallel_scan"):
            return self.launch(tag.removeprefix("parallel_"), node, want_value)
        if tag == "print":
            return self.print_call(node)
        if tag == "fence":
            from hpcir.dialects import kokkos as kk
            self.emit(kk.FenceOp())
            return None
        if tag == "fft":
            return self.fft_call(node)
        return super().call(node, want_value)

    def fft_call(self, node: ast.Call) -> TV:
        """hpcir.fft.KIND(x, axes=(..), norm="..", out=y) between launches -> fft.execute(x, y); returns y."""
        from hpcir.dialects.fft import ExecuteOp
        kind = self.global_object(node.func).__name__
        where = f"hpcir.fft.{kind} in a program"
        kw = {k.arg: k.value for k in node.keywords}
        unknown = set(kw) - {"axes", "norm", "out"}
        if len(node.args) != 1 or unknown:
            raise self.err(KernelSyntaxError, f"{where} takes (x, axes=..., norm=..., out=...)", node,
                           hint="s= and target= are for calls from Python; allocate out with View((...), dtype)")
        if "out" not in kw:
            raise self.err(KernelSyntaxError, f"{where} needs out=: programs write FFTs into views they allocate",
                           node, hint=f"y = View(shape, complex); hpcir.fft.{kind}(x, out=y)")
        x, out = self.expr(node.args[0]), self.expr(kw["out"])
        for v, n in ((x, node.args[0]), (out, kw["out"])):
            if not isinstance(v.ty, ViewType):
                raise self.err(KernelTypeError, f"{where}: `{ast.unparse(n)}` is not a view", n)
        rank = x.ty.rank
        axes: tuple[int, ...] = tuple(range(rank))
        if "axes" in kw:
            try:
                raw = ast.literal_eval(kw["axes"])
                raw = tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)
                assert raw and all(isinstance(a, int) for a in raw)
            except (ValueError, AssertionError, TypeError):
                raise self.err(KernelSyntaxError, f"{where}: axes must be a literal tuple of integers",
                               kw["axes"], hint="axes=(1, 2)") from None
            if any(not -rank <= a < rank for a in raw) or len({a % rank for a in raw}) != len(raw):
                raise self.err(KernelTypeError, f"{where}: axes {raw} must be distinct axes of a rank-{rank} view",
                               kw["axes"])
            axes = tuple(a % rank for a in raw)
        norm = "backward"
        if "norm" in kw:
            if not (isinstance(kw["norm"], ast.Constant) and kw["norm"].value in ("backward", "ortho", "forward")):
                raise self.err(KernelSyntaxError, f'{where}: norm must be "backward", "ortho" or "forward"', kw["norm"])
            norm = kw["norm"].value
        op = ExecuteOp(x.ssa, out.ssa, kind, axes, norm)
        try:
            op.verify()
        except Exception as e:  # noqa: BLE001 - the verifier's text names the mismatch
            raise self.err(KernelTypeError, f"{where}: {e}".split("\n")[0], node,
                           hint="fftn/ifftn: complex -> complex; rfftn: real -> complex; irfftn: complex -> real; "
                                "one precision") from None
        self.emit(op)
        return out

    def print_call(self, node: ast.Call) -> None:
        """print(a, b, f"x = {x}") → kokkos.print with a {}-format."""
        from hpcir.dialects import kokkos as kk
        parts: list[str] = []
        values = []
        for a in node.args:
            if isinstance(a, ast.Constant) and isinstance(a.value, str):
                parts.append(a.value.replace("{", "{{").replace("}", "}}"))
            elif isinstance(a, ast.JoinedStr):
                s = ""
                for v in a.values:
                    if isinstance(v, ast.Constant):
                        s += str(v.value).replace("{", "{{").replace("}", "}}")
                    else:
                        assert isinstance(v, ast.FormattedValue)
                        fv = self.scalar(v.value)
                        if v.format_spec is not None and getattr(fv.ty, "is_complex", False):
                            raise self.err(KernelTypeError, "format specs of complex values are not supported in "
                                           "programs", v, hint="format z.real and z.imag, or print z as it is")
                        values.append(fv.ssa)
                        s += "{}"
                parts.append(s)
            else:
                values.append(self.scalar(a).ssa)
                parts.append("{}")
        self.emit(kk.PrintOp(" ".join(parts), values))
        return None

    def launch(self, kind: str, node: ast.Call, want_value: bool) -> TV | None:
        """A launch in a program: bind the kernel to the program's value types, call its entry."""
        args = [a for a in node.args if not (isinstance(a, ast.Constant) and isinstance(a.value, str))]
        if len(args) != 2:
            raise self.err(KernelSyntaxError, f"parallel_{kind} takes ([label,] policy, kernel, **arguments)", node)
        kern = self.global_object(args[1])
        if not isinstance(kern, Kernel):
            raise self.err(KernelSyntaxError, f"`{ast.unparse(args[1])}` is not an @hpcir.kernel", args[1])
        policy, bounds, rank = self.policy_bounds(args[0])
        reducer = kern.reducer or "sum"
        kwargs: dict[str, TV] = {}
        for kw in node.keywords:
            if kw.arg == "reducer":
                kinds = self.reducer_keyword(kw.value, f"parallel_{kind}")
                reducer = kinds[0] if isinstance(kw.value, ast.Constant) else tuple(kinds)
            elif kw.arg is None:
                raise self.err(KernelSyntaxError, "**kwargs is not supported in programs", kw.value)
            else:
                kwargs[kw.arg] = self.expr(kw.value)
        from .signature import acc_type, acc_types, reduction_accumulators
        reducers, n_acc = (reducer,) if isinstance(reducer, str) else tuple(reducer), 1
        if kind == "reduce":
            reducers, n_acc = reduction_accumulators(kern, rank, policy == "team", reducer, self.kernel.loc(node))
        idx, acc, final, own = split_params(kern, kind, rank, policy == "team", n_acc)
        types: dict[str, KernelType] = {}
        for p in own:
            if p.name not in kwargs:
                raise self.err(KernelTypeError, f"kernel {kern.name} needs argument `{p.name}`", node)
            t = kwargs[p.name].ty
            types[p.name] = p.annotation if isinstance(p.annotation, ScalarType) and isinstance(t, ScalarType) else t
        extra = set(kwargs) - set(types)
        if extra:
            raise self.err(KernelTypeError, f"kernel {kern.name} has no parameter(s) {', '.join(sorted(extra))}", node)
        accs = [p.name for p in kern.params[len(idx):len(idx) + n_acc]] if kind == "reduce" else ([acc] if acc else [])
        spec = LaunchSpec(kern, kind, policy, rank, types, reducers[0],
                          acc_type(kern, acc, reducers[0]) if kind != "for" else None,
                          index_params=idx, acc_param=acc, final_param=final, acc_params=accs,
                          reducers=reducers if kind != "for" else (),
                          acc_types=acc_types(kern, accs, reducers) if kind != "for" else ())
        key = (id(kern), kind, policy, rank, tuple(types.items()), reducers)
        name = self.module.launched.get(key)
        if name is None:
            spec.name = kern.name if kern.name not in self.module.entry_names else f"{kern.name}_{len(self.module.launched)}"
            name = self.module.add_entry(spec)
            self.module.launched[key] = name
        vals = [self.convert(kwargs[n], t).ssa if isinstance(t, ScalarType) else kwargs[n].ssa
                for n, t in types.items()]
        res_types = [t.mlir() for t in spec.acc_types]
        op = self.emit(func.CallOp(name, [b.ssa for b in bounds] + vals, res_types))
        if kind == "for":
            return None
        values = [TV(r, t) for r, t in zip(op.results, spec.acc_types)]
        return values[0] if len(values) == 1 else values  # type: ignore[return-value]  (unpacked by the assignment)

    def policy_bounds(self, node: ast.expr) -> tuple[str, list[TV], int]:
        """Policy kind, i64 bound values and rank of a launch's policy expression."""
        if isinstance(node, ast.Call):
            cls = getattr(self.global_object(node.func), "__name__", None)
            a = node.args
            if cls == "RangePolicy":
                from .policies import ExecutionSpace
                vals = [self.as_int(x, "a policy bound") for x in a
                        if not isinstance(self.global_object(x), ExecutionSpace)]
                if len(vals) == 1:
                    return "range", [self.const(0, I64), vals[0]], 1
                return "range", vals[-2:], 1
            if cls == "MDRangePolicy":
                lo, hi = a[0], a[1]
                if not (isinstance(lo, (ast.List, ast.Tuple)) and isinstance(hi, (ast.List, ast.Tuple))):
                    raise self.err(KernelSyntaxError, "MDRangePolicy bounds must be literal lists in programs", node)
                b = [self.as_int(x, "a policy bound") for x in lo.elts]
                e = [self.as_int(x, "a policy bound") for x in hi.elts]
                return "mdrange", b + e, len(b)
            if cls == "TeamPolicy":
                league = self.as_int(a[0], "a league size")
                auto = getattr(self.global_object(a[1]), "__class__", None).__name__ == "_Auto"
                team = self.const(0, I64) if auto else self.as_int(a[1], "a team size")
                vec = self.as_int(a[2], "a vector length") if len(a) > 2 else self.const(1, I64)
                return "team", [league, team, vec], 0
        return "range", [self.const(0, I64), self.as_int(node, "a launch size")], 1


def lower_program(kern: Kernel, module: ModuleBuilder) -> str:
    """Add a `kokkos.host_program` func for a program to the module; returns its name.

    Its views are host-space LayoutRight views: `kokkos-memory-spaces` moves them for GPU targets."""
    if kern.params:
        raise KernelSyntaxError("an @hpcir.program lowered to C++ takes no parameters", kern.loc(kern.tree),
                                hint="create its views inside with hpcir.View(...)")
    block = Block()
    low = ProgramLowerer(kern, module, block, "host", "right")
    low.run({})
    low.emit(func.ReturnOp())
    fn = func.FuncOp(kern.name, ([], []), Region(block))
    fn.attributes[HOST_PROGRAM] = UnitAttr()
    module.module.body.block.add_op(fn)
    return kern.name


