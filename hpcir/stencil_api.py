"""`@hpcir.stencil`: stencils on numpy arrays, JIT-compiled to Kokkos (or emitted as JAX / Torch array code).

    @hpcir.stencil
    def lap(u: Field[float, 2], out: Field[float, 2]):
        out[0, 0] = u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1] - 4.0 * u[0, 0]
    lap(u, out)                               # interior domain inferred from the halo (here [1, n-1)^2)
    lap(u, out, domain=[(2, 10), (2, 10)])    # or explicit: (begin, end) array indices per dimension

The domain is a runtime argument of the generated code: one build serves every grid size. Arrays of
any layout (C, Fortran, transposed, sliced with positive steps) are used in place: the stencil is built
once per layout of its arguments (hpcir/stencil_layouts.py), its loops in the arrays' memory order.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from hpcir.core.errors import ArgumentError, HpcirError, SourceLocation, user_call_site
from .frontends.stencil.field import Field, FieldSpec
from .frontends.stencil.lower import Extent, stencil_module
from .frontends.stencil.parse import StencilDef, parse_stencil
from hpcir.core.targets import get_target
from hpcir.dialects.kokkos_target import set_module_target

from .ndarray import Array, check_launch_arrays
from .pipeline import run_pipeline
from .stencil_layouts import StencilLayout, choose_layout, default_layout, reindex, strides_usable

Domain = tuple[tuple[int, int], ...]


def stencil_l1_to_l2(inline: bool, layout_free: bool, layout: StencilLayout | None = None) -> str:
    """The stencil L1 -> L2 pipeline: xDSL's stencil lowering, then hpcir's stencil-to-entry (and
    stencil-layout for arrays that are not all C-ordered)."""
    passes = (["stencil-inlining"] if inline else []) + [
        "stencil-storage-materialization", "convert-stencil-to-ll-mlir",
        f"stencil-to-entry{{layout_free={'true' if layout_free else 'false'}}}"]
    if layout is not None and not layout.is_default:
        passes.append(layout.pass_spec())
    return ",".join(passes)


class Stencil:
    """A parsed stencil: call it on numpy arrays, or `hpcir.compile` / `hpcir.lower` it."""

    def __init__(self, fn: Callable[..., Any], domain: Any = None, inline: bool = False):
        self.fn = fn
        self.sd: StencilDef = parse_stencil(fn)
        self.name = self.sd.name
        self.inline = inline
        self._module, self.extents = stencil_module(self.sd)  # body errors surface at decoration
        self.domain = None if domain is None else _as_domain(domain, self.sd.rank, None)
        self._compiled: dict[str, "CompiledStencil"] = {}
        self.__doc__ = fn.__doc__
        self.__name__ = self.name
        self.__wrapped__ = fn

    def __repr__(self) -> str:
        return f"<hpcir stencil {self.name}({', '.join(p.name for p in self.sd.params)})>"

    @property
    def rank(self) -> int:
        """Number of dimensions of the stencil's fields."""
        return self.sd.rank

    def stencil_ir(self) -> ModuleOp:
        """The shape-inferred stencil-dialect module (a copy)."""
        return self._module.clone()

    def l2(self, target: str | None = None, layout_free: bool = True,
           layout: StencilLayout | None = None) -> ModuleOp:
        """The target-neutral L2 module (`scf.parallel` loops), stamped with `target` when given.

        layout_free: the views' layouts are the target's choice (lowering without arrays).
        layout: specialise to arrays of this layout (memory order, field layouts) instead."""
        module = self._module.clone()
        with warnings.catch_warnings():  # xDSL's inlining calls its own deprecated erase API
            warnings.simplefilter("ignore", DeprecationWarning)
            run_pipeline(module, stencil_l1_to_l2(self.inline, layout_free and layout is None, layout))
        if target is not None:
            set_module_target(module, target)
        return module

    def l3(self, target: str = "cpu", layout: StencilLayout | None = None) -> ModuleOp:
        """The L3 module (kokkos dialect) for a Kokkos target (specialised to `layout` when given)."""
        from .lowering import lower_to_l3
        return lower_to_l3(self.l2(target, layout=layout), target)

    def compile(self, target: str | None = None) -> "CompiledStencil":
        """The stencil compiled for a target (cached per target)."""
        from .lowering import default_target
        tname = target or default_target()
        get_target(tname)
        hit = self._compiled.get(tname)
        if hit is None:
            hit = self._compiled[tname] = CompiledStencil(self, tname)
        return hit

    def __call__(self, *args: Any, domain: Any = None, **kwargs: Any) -> Any:
        """Run on numpy arrays with the default target (JIT-compiled once)."""
        return self.compile()._run(args, kwargs, domain, user_call_site(2))

    def bind(self, args: Sequence[Any], kwargs: dict[str, Any], site: SourceLocation | None) -> list[Any]:
        """Arguments in parameter order, checked against the annotations."""
        params = self.sd.params
        if len(args) > len(params):
            raise ArgumentError(f"{self.name}() takes {len(params)} arguments, got {len(args)}", site)
        values: dict[str, Any] = dict(zip([p.name for p in params], args))
        for k, v in kwargs.items():
            if k not in {p.name for p in params}:
                raise ArgumentError(f"{self.name}() has no parameter {k!r}", site,
                                    hint=f"parameters: {', '.join(p.name for p in params)}")
            if k in values:
                raise ArgumentError(f"{self.name}() got two values for {k!r}", site)
            values[k] = v
        missing = [p.name for p in params if p.name not in values]
        if missing:
            raise ArgumentError(f"{self.name}() is missing argument(s) {', '.join(missing)}", site)
        out = []
        for p in params:
            v = values[p.name]
            if p.spec is None:
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                    raise ArgumentError(f"{self.name}(): {p.name!r} must be a number, got {type(v).__name__}", site)
                out.append(float(v))
            else:
                out.append(_check_field(self.name, p.name, p.spec, v, site))
        return out

    def resolve_domain(self, arrays: dict[str, Any], domain: Any, site: SourceLocation | None) -> Domain:
        """The explicit domain (checked against the halo) or the largest one the arrays allow."""
        r = self.sd.rank
        chosen = _as_domain(domain, r, site) if domain is not None else self.domain
        if chosen is None:
            lo = [0] * r
            hi = [min(a.shape[d] for a in arrays.values()) for d in range(r)]
            for name, a in arrays.items():
                ext = self.extents.get(name)
                if ext is None:
                    continue
                for d in range(r):
                    lo[d] = max(lo[d], -ext.lo[d])
                    hi[d] = min(hi[d], a.shape[d] - max(0, ext.hi[d]))
            return tuple((lo[d], max(lo[d], hi[d])) for d in range(r))
        for name, a in arrays.items():
            ext = self.extents.get(name, Extent((0,) * r, (0,) * r))
            for d, (b, e) in enumerate(chosen):
                if e > b and (b + ext.lo[d] < 0 or e + ext.hi[d] > a.shape[d]):
                    raise ArgumentError(
                        f"{self.name}(): domain {list(chosen)} needs {name!r} indices "
                        f"[{b + ext.lo[d]}, {e + ext.hi[d]}) in dimension {d}, but its extent is {a.shape[d]}",
                        site, hint=f"the stencil accesses {name!r} at offsets {ext.lo[d]}..{ext.hi[d]} in dimension "
                                   f"{d}; shrink the domain or pass larger arrays")
        return chosen


def _check_field(fname: str, pname: str, spec: FieldSpec, v: Any, site: SourceLocation | None) -> Any:
    shape = getattr(v, "shape", None)
    dtype = getattr(v, "dtype", None)
    if shape is None or dtype is None:
        raise ArgumentError(f"{fname}(): {pname!r} must be an array, got {type(v).__name__}", site,
                            hint="pass a numpy array")
    if len(shape) != spec.rank:
        raise ArgumentError(f"{fname}(): rank mismatch: {pname!r} has {len(shape)} dimension(s), the stencil "
                            f"declares {spec}", site)
    if str(dtype).replace("torch.", "") != str(spec.dtype):
        raise ArgumentError(f"{fname}(): dtype mismatch: {pname!r} is {dtype}, the stencil declares {spec}", site,
                            hint=f"pass {pname}.astype(np.{spec.dtype})")
    return v


def _as_domain(domain: Any, rank: int, site: SourceLocation | None) -> Domain:
    """((b0, e0), ...) from pairs or slices, one per dimension."""
    try:
        items = list(domain)
        if len(items) != rank:
            raise ValueError(f"{len(items)} ranges for a rank-{rank} stencil")
        out = []
        for it in items:
            if isinstance(it, slice):
                if it.step not in (None, 1) or it.start is None or it.stop is None:
                    raise ValueError("slices need a start and a stop and no step")
                b, e = it.start, it.stop
            else:
                b, e = it
            if not all(isinstance(x, (int, np.integer)) for x in (b, e)) or b < 0:
                raise ValueError(f"bad range {it!r}")
            out.append((int(b), int(e)))
        return tuple(out)
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"invalid domain {domain!r}: {err}", site,
                            hint="write domain=[(begin, end), ...] (array indices, end exclusive), one pair per "
                                 "dimension") from None


def build_library(stencils: Sequence[Stencil], target: str, name: str | None = None,
                  pipeline: str | tuple | None = None, layout: StencilLayout | None = None) -> Any:
    """Build one shared library holding the entries of several stencils (one C++ build), lowered
    L2 → L3 by `pipeline` (default: the target's), specialised to `layout` (default: C-ordered arrays)."""
    from .lowering import build_library, emit_cpp, lower_to_l3
    from .pipeline import run_pipeline
    names = [s.name for s in stencils]
    if len(set(names)) != len(names):
        raise HpcirError(f"stencils of one library need distinct names, got {names}")
    module = ModuleOp([])
    for s in stencils:
        for f in list(s.l2(target, layout_free=False, layout=layout).ops):
            f.detach()
            module.body.block.add_op(f)
    set_module_target(module, target)
    module = lower_to_l3(module, target) if pipeline is None else run_pipeline(module, pipeline)
    tag = "" if layout is None or layout.is_default else "_" + layout.tag()
    lib_name = name or (f"hpcir_stencil_{'_'.join(names)}"[:80] + tag)
    return build_library(emit_cpp(module, target, lib_name), target, lib_name)


def _cannot_run(t: Any) -> str | None:
    from .lowering import cannot_run_reason
    return cannot_run_reason(t)


class CompiledStencil:
    """A stencil compiled for one target: call it on arrays (host targets, JAX, Torch).

    Kokkos targets build one library per layout of the arguments (`layouts` lists them, `last_layout`
    is the one the latest call ran)."""

    def __init__(self, st: Stencil, target: str, library: Any = None):
        self.stencil, self.target = st, target
        self._array_fn: Any = None  # the jax / torch function
        n_fields = sum(p.spec is not None for p in st.sd.params)
        self._default = default_layout(st.rank, n_fields)
        self._libs: dict[StencilLayout, Any] = {} if library is None else {self._default: library}
        self.last_layout: StencilLayout | None = None

    def __repr__(self) -> str:
        return f"<hpcir compiled stencil {self.stencil.name} for {self.target}>"

    @property
    def layouts(self) -> list[StencilLayout]:
        """The layouts this stencil has been built for, in build order."""
        return list(self._libs)

    def source(self, layout: StencilLayout | None = None) -> str:
        """The generated code: Kokkos C++ (all files) or the JAX / Torch Python module."""
        return lower_stencil(self.stencil, self.target, None, layout)

    def _ensure(self, layout: StencilLayout | None = None) -> Any:
        t = get_target(self.target)
        if t.kind in ("jax", "torch"):
            if self._array_fn is None:
                from .backends.stencil_array_emitter import load_array_function
                self._array_fn = load_array_function(self.stencil.stencil_ir(), self.stencil.sd.signature(), t.kind)
            return self._array_fn
        layout = layout or self._default
        lib = self._libs.get(layout)
        if lib is None:
            if (why := _cannot_run(t)) is not None:
                raise HpcirError(f"target {self.target!r} cannot run stencils on this machine: {why}",
                                 user_call_site(3),
                                 hint="run with target='cpu' or 'serial'; use hpcir.lower(..., target="
                                      f"'{self.target}') for the C++ source")
            lib = self._libs[layout] = build_library([self.stencil], self.target, layout=layout)
        return lib

    def __call__(self, *args: Any, domain: Any = None, **kwargs: Any) -> Any:
        """Run on arrays; fields written by the stencil are updated in place (JAX: returned too)."""
        return self._run(args, kwargs, domain, user_call_site(2))

    def _device_arrays(self, values: list[Any], site: SourceLocation | None) -> list[Any]:
        """GPU fields (cupy, torch CUDA) as device descriptors, passed without copies; they must be on
        this stencil's target."""
        from hpcir.core.arrays import device_array
        from .frontends.python.signature import as_array
        out = []
        for p, v in zip(self.stencil.sd.params, values):
            d = device_array(v) if p.spec is not None else None
            if d is None and isinstance(v, Array):
                v = v.numpy()  # a host hpcir.Array: its own NumPy array, no copy
            elif d is None and p.spec is not None and (host := as_array(v)) is not None:
                v = host  # CPU DLPack producers (torch tensors): a NumPy view of their memory
            if d is not None and d.device != self.target:
                raise ArgumentError(f"{self.stencil.name}(): field {p.name!r} is {d.describe()} but the stencil "
                                    f"is compiled for {self.target!r}, whose kernels cannot read that memory", site,
                                    hint=f"compile it for '{d.device}', or pass host arrays")
            out.append(d if d is not None else v)
        return out

    def _layout_args(self, values: list[Any]) -> tuple[StencilLayout, list[Any]]:
        """The layout to build for and the arguments re-indexed in its memory order (views, no copies)."""
        params = self.stencil.sd.params
        fields = [k for k, p in enumerate(params) if p.spec is not None]
        arrays = [values[k] for k in fields]
        if not all(isinstance(a, np.ndarray) and strides_usable(a) for a in arrays):
            return self._default, values  # device arrays; negative strides (the runtime refuses them)
        outputs = set(self.stencil.sd.signature().outputs)
        written = [params[k].name in outputs for k in fields]
        layout = choose_layout(arrays, written, get_target(self.target).runs_on_host)
        values = list(values)
        for k in fields:
            values[k] = reindex(values[k], layout.order)
        return layout, values

    def _run(self, args: Sequence[Any], kwargs: dict[str, Any], domain: Any, site: SourceLocation | None) -> Any:
        st = self.stencil
        values = st.bind(args, kwargs, site)
        check_launch_arrays(dict(zip((p.name for p in st.sd.params), values)), self.target, site)  # hpcir.Array
        arrays = {p.name: v for p, v in zip(st.sd.params, values) if p.spec is not None}
        dom = st.resolve_domain(arrays, domain, site)
        t = get_target(self.target)
        if t.kind in ("jax", "torch"):
            return self._ensure()(values, dom)
        if any(e <= b for b, e in dom):
            return None  # an empty domain: nothing to compute
        bounds = [b for b, _ in dom] + [e for _, e in dom]
        values = self._device_arrays(values, site)
        layout, values = self._layout_args(values)
        impl = self._ensure(layout)
        self.last_layout = layout
        try:
            # Host targets: the build matches every field's layout, so the runtime never copies (a
            # mismatch would be an error, not a silent copy); GPU targets stage non-C-ordered views.
            impl[st.name](*bounds, *values, strict_layout=t.runs_on_host)
        except HpcirError as err:
            if err.loc is None:
                raise type(err)(err.message, site, err.hint) from None
            raise
        return None


def lower_stencil(st: Stencil, target: str, stage: str | None, layout: StencilLayout | None = None) -> str:
    """Text of a stencil at a stage: 'stencil', 'L2', 'L3' or the generated code (C++ / Python), for
    arrays of `layout` (default: C order)."""
    t = get_target(target)
    if stage in ("stencil", "L1", "l1"):
        return str(st.stencil_ir())
    if t.kind in ("jax", "torch"):
        if stage not in (None, "py", "python"):
            raise HpcirError(f"stage {stage!r} does not exist for target {target!r}",
                             hint="use 'stencil' or the default (Python source)")
        from .backends.stencil_array_emitter import emit_array_source
        return emit_array_source(st.stencil_ir(), st.sd.signature(), t.kind)
    if stage in ("L2", "l2"):
        return str(st.l2(target, layout=layout))
    if stage in ("L3", "l3"):
        return str(st.l3(target, layout))
    if stage not in (None, "cpp", "C++"):
        raise HpcirError(f"unknown stage {stage!r}", hint="use 'stencil', 'L2', 'L3' or 'cpp'")
    from .lowering import emit_cpp
    sources = emit_cpp(st.l3(target, layout), target, st.name)
    return "\n".join(f"// ---- {n} ----\n{s}" for n, s in sources.items())


def stencil(fn: Callable[..., Any] | None = None, *, domain: Any = None, inline: bool = False) -> Any:
    """Decorator: `@hpcir.stencil` or `@hpcir.stencil(domain=[(1, 63), (1, 63)], inline=True)`."""
    if fn is None:
        return lambda f: Stencil(f, domain=domain, inline=inline)
    return Stencil(fn, domain=domain, inline=inline)


def is_stencil(obj: Any) -> bool:
    """True for an `@hpcir.stencil` object."""
    return isinstance(obj, Stencil)


__all__ = ["Field", "Stencil", "CompiledStencil", "stencil", "is_stencil", "build_library", "lower_stencil"]
