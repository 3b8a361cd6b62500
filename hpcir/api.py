"""The public Python API: launch kernels (JIT-compiled to Kokkos), compile and lower them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hpcir.core.errors import (ArgumentError, HpcirError, KernelCheckError, PolicyError, SourceLocation,
                               user_call_site)
from .frontends.python.bounds import check_launch_bounds
from .frontends.python.entries import LaunchSpec
from .frontends.python.kernel import Kernel, kernel
from .frontends.python.policies import (ExecutionSpace, MDRangePolicy, RangePolicy, TeamPolicy, as_policy)
from .frontends.python.signature import annotated_spec, bind_launch, declared_kind
from hpcir.core.targets import KOKKOS_TARGETS, get_target

from . import launch_plan
from .ndarray import check_device_resident, check_launch_arrays
from .lowering import (build_library, build_l3_module, build_module, cannot_run_reason, check_bounds_enabled,
                       config, default_target, emit_cpp,
                       l2_to_l3_pipeline, lower_to_l3, set_default_target)

__all__ = ["compile", "lower", "parallel_for", "parallel_reduce", "parallel_scan", "set_default_target",
           "default_target", "build_module", "lower_to_l3", "l2_to_l3_pipeline", "emit_cpp", "cannot_run_reason",
           "build_l3_module", "annotated_kind", "Compiled", "build_library"]

def _call_site(skip: int = 2) -> SourceLocation | None:
    """Location of the user's call into hpcir."""
    return user_call_site(skip + 1)


def _as_kernel(obj: Any, site: SourceLocation | None) -> Kernel:
    if isinstance(obj, Kernel):
        return obj
    if callable(obj) and hasattr(obj, "__code__"):
        return kernel(obj)
    raise ArgumentError(f"{obj!r} is not a kernel", site, hint="decorate the function with @hpcir.kernel")


def _policy_shape(policy: Any) -> tuple[str, int]:
    if isinstance(policy, TeamPolicy):
        return "team", 0
    if isinstance(policy, MDRangePolicy):
        return "mdrange", policy.rank
    return "range", 1


def _explicit_target(policy: Any, target: str | None) -> str | None:
    """The target the caller chose: the `target=` argument, else the policy's execution space."""
    if target is not None:
        return target
    space = getattr(policy, "space", None)
    if isinstance(space, ExecutionSpace) and space is not ExecutionSpace.Default:
        return space.value
    return None


def _policy_target(policy: Any, target: str | None) -> str:
    return _explicit_target(policy, target) or default_target()


def _launch_target(policy: Any, target: str | None, args: dict[str, Any], site: SourceLocation | None) -> str:
    """The target of a launch: the explicit one, else the one of its GPU arrays, else the policy's.

    GPU arrays (cupy, torch CUDA tensors) are passed to the GPU entry without copies, so every
    array of such a launch must be on that GPU and the target must be that GPU's."""
    from hpcir.core.arrays import DeviceArray
    dev = {n: v for n, v in args.items() if isinstance(v, DeviceArray)}
    if not dev:
        return _policy_target(policy, target)
    kinds = sorted({v.device for v in dev.values()})
    if len(kinds) > 1:
        raise ArgumentError(f"the launch mixes {' and '.join(kinds)} device arrays", site,
                            hint="pass arrays of one GPU runtime")
    tgt = _explicit_target(policy, target) or kinds[0]
    name, first = next(iter(dev.items()))
    if tgt != first.device:
        raise ArgumentError(f"argument `{name}` is {first.describe()} but the launch targets {tgt!r}, whose "
                            "kernels cannot read that memory", site,
                            hint=f"launch with target='{first.device}' (the default for device arrays), or pass "
                                 "host arrays (cupy: x.get(); torch: x.cpu().numpy())")
    host = [n for n, v in args.items() if isinstance(v, np.ndarray)]
    if host:
        raise ArgumentError(f"argument `{host[0]}` is a host array but `{name}` is {first.describe()}: one "
                            "launch takes its arrays from one memory", site,
                            hint="move the host array to the device first (e.g. cupy.asarray(x), torch.as_tensor(x, "
                                 "device='cuda'))")
    return tgt


def _policy_ranges(policy: Any) -> list[tuple[int, int]]:
    """[begin, end) of each index of a range or MDRange policy (none for teams)."""
    if isinstance(policy, MDRangePolicy):
        return list(zip(policy.begin, policy.end))
    if isinstance(policy, RangePolicy):
        return [(policy.begin, policy.end)]
    return []


def _policy_bounds(policy: Any) -> list[int]:
    if isinstance(policy, TeamPolicy):
        return [policy.league_size, policy.team_size or 0, policy.vector_length]
    if isinstance(policy, MDRangePolicy):
        return list(policy.begin) + list(policy.end)
    return [policy.begin, policy.end]


@dataclass
class _Loaded:
    """A compiled entry of a loaded shared library."""

    library: Any
    entry: str
    spec: LaunchSpec


_loaded: dict[tuple, _Loaded] = {}


def _spec_key(spec: LaunchSpec, target: str) -> tuple:
    """In-process key of a compiled launch: the kernel's source and the globals it reads, now."""
    k = spec.kernel
    return (k.name, k.source_hash, k.const_globals(), spec.kind, spec.policy, spec.rank, tuple(spec.param_types.items()),
            spec.reducers, spec.acc_types, spec.tile, spec.check_bounds, target)


def _compile(spec: LaunchSpec, target: str, site: SourceLocation | None = None) -> _Loaded:
    key = _spec_key(spec, target)
    hit = _loaded.get(key)
    if hit is not None:
        return hit
    t = get_target(target, site)
    why = cannot_run_reason(t)
    if why:
        raise HpcirError(f"target {target!r} cannot run kernels on this machine: {why}", site,
                         hint="use target='cpu' or 'serial' for the JIT; lower to cuda/hip with hpcir.lower")
    spec.name = f"{spec.kernel.name}_{spec.kind}"
    module = lower_to_l3(build_module([spec], target), target)
    sources = emit_cpp(module, target, f"hpcir_{spec.kernel.name}")
    loaded = _Loaded(build_library(sources, target, f"hpcir_{spec.kernel.name}", label=spec.kernel.name), spec.name,
                     spec)
    _loaded[key] = loaded
    return loaded


@dataclass
class BoundLaunch:
    """A launch checked and compiled: its entry, the policy's bounds and the ordered argument values."""

    loaded: _Loaded
    bounds: list[int]
    values: list[Any]
    kernel: Kernel | None = None
    spec: LaunchSpec | None = None
    target: str = ""

    @property
    def entry(self) -> Any:
        """The loaded C entry (backends.runtime.Entry)."""
        return self.loaded.library[self.loaded.entry]


def bind(kind: str, policy_arg: Any, kernel_obj: Any, kwargs: dict[str, Any], target: str | None,
         reducer: str | tuple[str, ...] | None, site: SourceLocation | None) -> BoundLaunch:
    """Check a launch (policy, kernel, arguments) and compile its entry, without running it."""
    try:
        policy = as_policy(policy_arg)
    except PolicyError as err:
        raise PolicyError(err.message, site, err.hint) from None
    if kind == "scan" and not isinstance(policy, RangePolicy):
        raise PolicyError("parallel_scan needs a 1-D range policy", site, hint="pass an int or a RangePolicy")
    k = _as_kernel(kernel_obj, site)
    shape, rank = _policy_shape(policy)
    if shape == "range" and k.rank and k.rank > 1:
        raise PolicyError(f"kernel {k.name} takes {k.rank} indices but the policy is 1-D", site,
                          hint=f"launch it with MDRangePolicy([0]*{k.rank}, [...])")
    target = check_launch_arrays(kwargs, _explicit_target(policy, target), site)  # hpcir.Array: live, readable
    spec, values = bind_launch(k, kind, shape, rank, kwargs, site, reducer if reducer is not None else (k.reducer or "sum"))
    spec.check_bounds = check_bounds_enabled()
    check_launch_bounds(k, spec.index_params, _policy_ranges(policy), dict(zip(spec.param_types, values)), site)
    if isinstance(policy, MDRangePolicy) and policy.tile:
        spec.tile = policy.tile
    tgt = _launch_target(policy, target, dict(zip(spec.param_types, values)), site)
    check_device_resident(dict(zip(spec.param_types, values)), tgt, site)
    return BoundLaunch(_compile(spec, tgt, site), _policy_bounds(policy), values, k, spec, tgt)


def _launch(kind: str, args: tuple, kwargs: dict[str, Any], target: str | None,
            reducer: str | tuple[str, ...] | None = None) -> Any:
    if args and isinstance(args[0], str):  # optional leading label, as in Kokkos
        args = args[1:]
    key = None
    if len(args) == 2:  # a launch seen before with the same signature: its plan (hpcir/launch_plan.py)
        policy = launch_plan.policy_bounds(args[0])
        if policy is not None:
            key = launch_plan.plan_key(kind, policy[0], args[1], kwargs, target, reducer)
            plan = launch_plan.lookup(key)
            if plan is not None:
                try:
                    result = plan.run(policy[1], policy[2], kwargs)
                except HpcirError as err:
                    raise _located(err, _call_site(3)) from None
                if result is not launch_plan.MISS:
                    return result
    site = _call_site(3)
    if len(args) != 2:
        raise ArgumentError(f"parallel_{kind} takes ([label,] policy, kernel, **arguments)", site)
    bound = bind(kind, args[0], args[1], kwargs, target, reducer, site)
    try:
        result = bound.entry(*bound.bounds, *bound.values)
    except HpcirError as err:
        raise _located(err, site) from None
    launch_plan.record(key, bound.kernel, bound, bound.spec, bound.target)
    if isinstance(result, tuple):  # several accumulators: one Python scalar each, in parameter order
        return tuple(r.item() if isinstance(r, np.generic) else r for r in result)
    return result.item() if isinstance(result, np.generic) else result  # Python scalars, as PyKokkos


def _located(err: HpcirError, site: SourceLocation | None) -> HpcirError:
    """A kernel's failure as the user sees it: located at the launch that ran it."""
    if isinstance(err, KernelCheckError):  # located in the kernel: say which launch ran it
        return type(err)(err.message, err.loc, f"raised by the launch at {site}" if site else err.hint)
    if err.loc is None:  # failures reported by the C++ side: point at the launch
        return type(err)(err.message, site, err.hint)
    return err


def parallel_for(*args: Any, target: str | None = None, **kwargs: Any) -> None:
    """Run `kernel` over a policy: parallel_for([label,] policy, kernel, **arguments)."""
    _launch("for", args, kwargs, target)


def parallel_reduce(*args: Any, target: str | None = None, reducer: str | tuple[str, ...] | None = None,
                    **kwargs: Any) -> Any:
    """Reduce `kernel` over a policy and return the result (reducer: sum, prod, min, max, land, lor, band, bor),
    or a tuple of results for a kernel with several accumulators (reducer: one name per accumulator)."""
    return _launch("reduce", args, kwargs, target, reducer)


def parallel_scan(*args: Any, target: str | None = None, **kwargs: Any) -> Any:
    """Run an inclusive/exclusive scan kernel over a range and return the total."""
    return _launch("scan", args, kwargs, target)


for _name in ("parallel_for", "parallel_reduce", "parallel_scan"):
    globals()[_name].__hpcir_intrinsic__ = _name  # the same names are nested launches inside kernels


class Compiled:
    """A kernel compiled for one target: call it with (policy, **arguments)."""

    def __init__(self, k: Kernel, target: str, kind: str, reducer: str | tuple[str, ...] | None):
        self.kernel, self.target, self.kind, self.reducer = k, target, kind, reducer

    def __call__(self, policy: Any, **kwargs: Any) -> Any:
        return _launch(self.kind, (policy, self.kernel), kwargs, self.target, self.reducer)

    def __repr__(self) -> str:
        return f"<hpcir compiled {self.kind} kernel {self.kernel.name} for {self.target}>"


def compile(obj: Any, target: str = "cpu", reducer: str | tuple[str, ...] | None = None,  # noqa: A001 (public name)
            kind: str | None = None) -> Any:
    """Compile a kernel (or a graph program) for a target; returns a callable.

    On `jax` / `torch` the kernel runs as vectorised array code (hpcir/array_api.py); `kind`
    (for / reduce / scan) overrides what the annotations say."""
    from .graph_dispatch import compile_graph, is_graph
    if is_graph(obj):
        return compile_graph(obj, target)
    from .stencil_api import is_stencil
    if is_stencil(obj):
        return obj.compile(target)
    site = _call_site()
    k = _as_kernel(obj, site)
    t = get_target(target, site)
    if kind is None:
        kind = annotated_kind(k)
        if kind == "for" and reducer is not None:
            kind = "reduce"  # unannotated accumulators: reducer= says it is a reduction
    if not t.is_kokkos:
        from .array_api import compile_array
        return compile_array(k, target, kind, reducer)
    return Compiled(k, target, kind, reducer)


def annotated_kind(k: Kernel) -> str:
    """for / reduce / scan, read from the annotations (an Acc parameter makes a reduction)."""
    try:
        return declared_kind(k)
    except HpcirError:
        return "for"


def lower(obj: Any, target: str = "cpu", stage: str | None = None, kind: str | None = None) -> str:
    """Lower a kernel (or graph program) to text: stage L2 / L3 (MLIR) or C++ source (the default)."""
    from .graph_dispatch import is_graph, lower_graph
    if is_graph(obj):
        return lower_graph(obj, target, stage)
    from .stencil_api import is_stencil, lower_stencil
    if is_stencil(obj):
        return lower_stencil(obj, target, stage)
    site = _call_site()
    k = _as_kernel(obj, site)
    t = get_target(target, site)
    spec = annotated_spec(k, kind)
    spec.name = k.name
    module = build_module([spec], target)  # target-neutral IR, the target stamped on the module
    if stage in ("L2", "l2"):
        return str(module)
    if t.kind in ("jax", "torch") and stage in (None, "py", "python"):
        from .array_api import lower_kernel
        return lower_kernel(k, target, kind)
    if t.kind != "kokkos":
        raise HpcirError(f"kernels lower to Kokkos targets ({', '.join(KOKKOS_TARGETS)}), not {target!r}", site)
    module = lower_to_l3(module, target)
    if stage in ("L3", "l3"):
        return str(module)
    if stage not in (None, "cpp", "C++"):
        raise HpcirError(f"unknown stage {stage!r}", site, hint="use 'L2', 'L3' or 'cpp'")
    sources = emit_cpp(module, target, k.name)
    return "\n".join(f"// ---- {n} ----\n{s}" for n, s in sources.items())


