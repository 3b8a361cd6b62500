"""Kernels on the `jax` and `torch` targets: lowered to L3 like a Kokkos launch, then emitted as
vectorised array code (backends/kernel_array_emitter.py) and run by the array library.

    f = hpcir.compile(axpy, target="jax"); y2 = f(n, a=2.0, x=x, y=y)   # pure: returns written views
    hpcir.compile(axpy, target="torch")(n, a=2.0, x=xt, y=yt)          # in place, like Kokkos
"""
from __future__ import annotations

import ast
from typing import Any

import numpy as np

from hpcir.core.errors import ArgumentError, HpcirError, PolicyError, SourceLocation, user_call_site
from hpcir.core.targets import get_target
from hpcir.backends.kernel_array_emitter import NotArrayExpressible, emit_module_source, load_source
from hpcir.backends.kernel_array_trips import TripPlan

from .frontends.python.entries import LaunchSpec
from .frontends.python.kernel import Kernel
from .frontends.python.policies import MDRangePolicy, RangePolicy, TeamPolicy, as_policy
from .frontends.python.signature import annotated_spec, bind_launch
from .lowering import build_module, lower_to_l3

# The array targets lower through the host pipeline: layouts and tiles do not matter to array
# code, which indexes by element.
_L3_VIA = "serial"


def is_array_target(target: str) -> bool:
    """True for targets that run kernels as array code (jax, torch)."""
    return get_target(target).is_array


def _locator(k: Kernel):
    """Source location of the statement writing a view (else the kernel's def line)."""
    def locate(view: str | None) -> SourceLocation:
        if view is not None:
            for node in ast.walk(k.tree):
                targets: list[ast.AST] = []
                if isinstance(node, ast.Assign):
                    targets = list(node.targets)
                elif isinstance(node, ast.AugAssign):
                    targets = [node.target]
                elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name) \
                        and node.args[0].id == view:
                    return k.loc(node)
                for t in targets:
                    base = t
                    while isinstance(base, ast.Subscript):
                        base = base.value
                    if isinstance(base, ast.Name) and base.id == view and base is not t:
                        return k.loc(node)
        fdef = k.tree.body[0] if isinstance(k.tree, ast.Module) else k.tree
        return k.loc(fdef)
    return locate


def module_source(module: Any, lib: str, k: Kernel | None = None, trips: TripPlan | None = None) -> str:
    """Array source (JAX or Torch) of the kernel entries of an L3 module."""
    return emit_module_source(module, lib, _locator(k) if k is not None else None, trips)


_l3_cache: dict[tuple, Any] = {}


def _spec_key(spec: LaunchSpec) -> tuple:
    k = spec.kernel
    consts = tuple((n, k.globals.get(n)) for n in k.global_names
                   if isinstance(k.globals.get(n), (int, float, bool)))
    return (id(k), k.source_hash, consts, spec.kind, spec.policy, spec.rank,
            tuple((n, str(t)) for n, t in spec.param_types.items()), spec.reducer, str(spec.acc_type))


def lower_spec(spec: LaunchSpec, target: str, trips: TripPlan | None = None) -> str:
    """Array source of one kernel specialised by `spec` (the L3 module is shared by jax and torch)."""
    key = _spec_key(spec)
    module = _l3_cache.get(key)
    if module is None:
        module = _l3_cache[key] = lower_to_l3(build_module([spec], _L3_VIA), _L3_VIA)
    return module_source(module, get_target(target).kind, spec.kernel, trips)


def lower_kernel(k: Kernel, target: str, kind: str | None = None) -> str:
    """Array source of an annotated kernel (hpcir.lower(k, target='jax'|'torch'))."""
    spec = annotated_spec(k, kind)
    spec.name = k.name
    return lower_spec(spec, target)


_TORCH_DTYPES: dict[Any, np.dtype] = {}


def numpy_dtype(x: Any) -> np.dtype:
    """The NumPy dtype of a NumPy, JAX or Torch array (object dtype for a Torch dtype kernels cannot take)."""
    dt = x.dtype
    if type(dt).__module__.startswith("torch"):
        if not _TORCH_DTYPES:
            import torch
            for t, n in ((torch.float64, np.float64), (torch.float32, np.float32), (torch.int64, np.int64),
                         (torch.int32, np.int32), (torch.bool, np.bool_), (torch.float16, np.float16),
                         (torch.complex64, np.complex64), (torch.complex128, np.complex128)):
                _TORCH_DTYPES[t] = np.dtype(n)
        return _TORCH_DTYPES.get(dt, np.dtype("O"))
    return np.dtype(dt)


def _stand_in(v: Any) -> Any:
    """What bind_launch sees of an argument: its type only (arrays may be tracers or tensors)."""
    if isinstance(v, (bool, int, float, np.generic, np.ndarray)):
        return v
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        dt = numpy_dtype(v)
        if len(v.shape) == 0:
            return dt.type(0)
        return np.empty((0,) * len(v.shape), dtype=dt)
    return v


def _bounds(policy: Any) -> list[int]:
    if isinstance(policy, TeamPolicy):
        return [policy.league_size, policy.team_size or 0, policy.vector_length]
    if isinstance(policy, MDRangePolicy):
        return list(policy.begin) + list(policy.end)
    return [policy.begin, policy.end]


class ArrayCompiled:
    """A kernel compiled for `jax` or `torch`: call it with (policy, **arguments)."""

    def __init__(self, k: Kernel, target: str, kind: str, reducer: str | None):
        self.kernel, self.target, self.kind, self.reducer = k, target, kind, reducer
        self.lib = get_target(target).kind
        self._fns: dict[tuple, Any] = {}
        self._launches: dict[tuple, Any] = {}

    def __repr__(self) -> str:
        return f"<hpcir compiled {self.kind} kernel {self.kernel.name} for {self.target} (array code)>"

    def source(self, policy: Any, **kwargs: Any) -> str:
        """The generated array source for a launch with these arguments."""
        return self._prepare(policy, kwargs, user_call_site(2))[1]

    def _prepare(self, policy: Any, kwargs: dict[str, Any], site: SourceLocation | None) -> tuple[Any, str, Any]:
        try:
            return self._prepare_at(policy, kwargs, site)
        except HpcirError as err:
            if err.loc is None:  # errors of the launch itself: point at the user's call
                raise type(err)(err.message, user_call_site(3), err.hint) from None
            raise

    def _prepare_at(self, policy: Any, kwargs: dict[str, Any], site: SourceLocation | None) -> tuple[Any, str, Any]:
        try:
            pol = as_policy(policy)
        except PolicyError as err:
            raise PolicyError(err.message, site, err.hint) from None
        if self.kind == "scan" and not isinstance(pol, RangePolicy):
            raise PolicyError("parallel_scan needs a 1-D range policy", site, hint="pass an int or a RangePolicy")
        shape, rank = ("mdrange", pol.rank) if isinstance(pol, MDRangePolicy) else \
            ("team", 0) if isinstance(pol, TeamPolicy) else ("range", 1)
        stand = {n: _stand_in(v) for n, v in kwargs.items()}
        spec, _ = bind_launch(self.kernel, self.kind, shape, rank, stand, site, self.reducer or self.kernel.reducer
                              or "sum")
        key = _spec_key(spec)
        hit = self._fns.get(key)
        if hit is None:
            spec.name = self.kernel.name
            try:
                src = lower_spec(spec, self.target)
            except NotArrayExpressible as err:
                raise NotArrayExpressible(err.message, err.loc or site, err.hint) from None
            ns = load_source(src, f"<hpcir {self.lib} {self.kernel.name}>")
            fn = ns[self.kernel.name]
            if self.lib == "jax" and "_jax_check" not in ns:
                # One XLA computation per launch shape instead of one per op (bounds are static);
                # kernels with run-time checks stay eager so that a failed check can raise.
                import jax
                nb = len(_bounds(pol))
                shape_args = tuple(nb + list(spec.param_types).index(n) for n in getattr(fn, "shape_params", ()))
                fn = jax.jit(fn, static_argnums=tuple(range(nb)) + shape_args)
            hit = self._fns[key] = (fn, src, spec)
        return pol, hit[1], hit

    def _fast_key(self, policy: Any, kwargs: dict[str, Any]) -> tuple | None:
        """A cheap key of a launch's types (a repeated launch skips the checks it already passed)."""
        if not isinstance(policy, (int, RangePolicy, MDRangePolicy, TeamPolicy)) or isinstance(policy, bool):
            return None
        k = self.kernel
        parts: list[Any] = [type(policy), repr(policy) if not isinstance(policy, int) else policy,
                            tuple((n, k.globals.get(n)) for n in k.global_names
                                  if isinstance(k.globals.get(n), (int, float, bool)))]
        for n, v in kwargs.items():
            if isinstance(v, np.ndarray):
                return None  # NumPy arrays: the full checks (aliasing) every launch, as on Kokkos targets
            if hasattr(v, "shape") and hasattr(v, "dtype"):
                parts.append((n, str(v.dtype), len(v.shape), type(v).__module__.split(".")[0]))
            elif isinstance(v, (bool, int, float)):
                parts.append((n, type(v)))
            else:
                return None
        return tuple(parts)

    def __call__(self, policy: Any, **kwargs: Any) -> Any:
        key = self._fast_key(policy, kwargs)
        hit = self._launches.get(key) if key is not None else None
        if hit is None:
            hit = self._checked_launch(policy, kwargs)
            if key is not None:
                self._launches[key] = hit
        bounds, fn, names = hit
        args = [_convert(kwargs[n], self.lib) for n in names]
        try:
            if self.lib == "jax":
                import jax
                with jax.enable_x64(True):  # float64 / int64 views keep their type (scoped: no global change)
                    return fn(*bounds, *args)
            return fn(*bounds, *args)
        except ZeroDivisionError as err:  # the kernel's own check: "file:line:col: ZeroDivisionError: ..."
            raise _kernel_zero_division(str(err)) from None

    def bind(self, policy: Any, constant: tuple[str, ...] = (), **kwargs: Any) -> Any:
        """The launch checked once for these argument types: a function of the same keyword arguments
        that calls the generated code directly (for hot loops and torch.compile, which then traces
        only array code, not hpcir's dispatch).

        `constant` names views whose contents stay the same at every launch (tables): on Torch, loops
        whose trip counts differ between lanes but depend only on them, the scalars and the launch
        indices get the bound measured now as a literal, so torch.compile needs no graph break."""
        bounds, fn, names = self._checked_launch(policy, kwargs)
        lib = self.lib
        if lib == "torch":
            fn = self._fixed_trips(policy, kwargs, tuple(constant), bounds, names, fn)

        def launch(**kw: Any) -> Any:
            args = [_convert(kw[n], lib) for n in names]
            if lib == "jax":
                import jax
                with jax.enable_x64(True):
                    return fn(*bounds, *args)
            return fn(*bounds, *args)
        launch.__name__ = f"{self.kernel.name}_launch"
        return launch

    def _fixed_trips(self, policy: Any, kwargs: dict[str, Any], constant: tuple[str, ...], bounds: list[int],
                     names: list[str], fn: Any) -> Any:
        """The Torch function with the recorded trip counts as literals (TripPlan), guarded by the
        scalars it was measured with (other scalars run `fn`, which measures at every launch)."""
        import torch
        unknown = [n for n in constant if n not in names]
        if unknown:
            raise ArgumentError(f"bind(constant=...) names {unknown[0]!r}, which is not a parameter of kernel "
                                f"{self.kernel.name}", user_call_site(3), hint=f"name views of {names}")
        return torch.compiler.disable(self._record_trips)(policy, kwargs, frozenset(constant), bounds, names, fn)

    def _record_trips(self, policy: Any, kwargs: dict[str, Any], constant: frozenset[str], bounds: list[int],
                      names: list[str], fn: Any) -> Any:
        import torch
        _, _, (_, _, spec) = self._prepare(policy, kwargs, None)
        ns = load_source(lower_spec(spec, self.target, TripPlan(record=True, constant=constant)),
                         f"<hpcir torch {self.kernel.name} (recording)>")
        fixed = getattr(ns[self.kernel.name], "fixed_loops", ())
        if not fixed or any(getattr(kwargs[n], "shape", None) == () for n in names):
            return fn  # nothing to record, or scalars passed as 0-d arrays (values the guard cannot see)
        ns["_TRIPS"].clear()
        args = []
        for n in names:  # the recording run writes copies: bind has no effect on the caller's arrays
            v = _convert(kwargs[n], "torch")
            args.append(v.clone() if isinstance(v, torch.Tensor) else v)
        with torch.no_grad():
            ns[self.kernel.name](*bounds, *args)
        caps = tuple((k, int(ns["_TRIPS"].get(k, 0))) for k in fixed)
        capped = load_source(lower_spec(spec, self.target, TripPlan(constant=constant, caps=caps)),
                             f"<hpcir torch {self.kernel.name}>")[self.kernel.name]
        scalars = [(len(bounds) + i, kwargs[n]) for i, n in enumerate(names)
                   if isinstance(kwargs[n], (bool, int, float, np.generic))]
        shapes = [(len(bounds) + i, tuple(a.shape)) for i, a in enumerate(args) if isinstance(a, torch.Tensor)]

        def launch(*args: Any) -> Any:
            # Python scalars and static shapes: torch.compile specialises on them (no graph break)
            same = all(type(args[i]) is type(v) and args[i] == v for i, v in scalars) and \
                all(tuple(args[i].shape) == s for i, s in shapes)
            return capped(*args) if same else fn(*args)
        return launch

    def _checked_launch(self, policy: Any, kwargs: dict[str, Any]) -> tuple[list[int], Any, list[str]]:
        prepare = self._prepare
        if self.lib == "torch":
            import torch
            # Checking the launch is host work on types: torch.compile runs it as plain Python and
            # traces only the generated array code.
            prepare = torch.compiler.disable(self._prepare)
        pol, _, (fn, _, spec) = prepare(policy, kwargs, None)
        return _bounds(pol), fn, list(spec.param_types)


def _kernel_zero_division(message: str) -> HpcirError:
    from hpcir.core.errors import KernelZeroDivisionError
    where, _, what = message.partition(": ZeroDivisionError: ")
    path, _, rest = where.rpartition(":")
    path, _, line = path.rpartition(":")
    try:
        loc = SourceLocation(path, int(line), int(rest) - 1)
    except ValueError:
        return KernelZeroDivisionError(message)
    return KernelZeroDivisionError(f"ZeroDivisionError: {what}", loc)


def _convert(v: Any, lib: str) -> Any:
    """NumPy arrays become the library's arrays (torch: sharing memory, so writes land in the array)."""
    if isinstance(v, np.ndarray):
        if lib == "torch":
            import torch
            return torch.from_numpy(v)
        import jax.numpy as jnp
        with __import__("jax").enable_x64(True):
            return jnp.asarray(v)
    return v


def compile_array(k: Kernel, target: str, kind: str, reducer: str | None) -> ArrayCompiled:
    """The array-code callable of a kernel on `jax` / `torch`."""
    if not is_array_target(target):
        raise HpcirError(f"{target!r} is not an array target", hint="use 'jax' or 'torch'")
    return ArrayCompiled(k, target, kind, reducer)


__all__ = ["ArrayCompiled", "compile_array", "lower_kernel", "lower_spec", "module_source", "is_array_target",
           "NotArrayExpressible", "ArgumentError"]
