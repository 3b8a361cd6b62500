"""Steady-state launches of a compiled kernel: one launch plan per kernel and argument signature.

A launch's full path (api.bind) checks the policy, the kernel and every argument, derives the
kernel's types from the arguments, looks up the compiled library and packs each argument into a
ctypes object: ~0.1-0.3 ms of Python per call, more than a small kernel runs. Most of that depends
only on the *signature* of the call (kernel, launch kind, reducer, target, policy type; each
array's dtype, rank, layout and writability; each scalar's Python type), so the first launch of a
signature records a plan, and later launches of that signature re-check only what varies between
calls: each view access the bounds check can prove against the extents, int scalars against their
C type, strides, overlap of written views, and the module constants the kernel inlined. Anything
else (other array types, a failed check, GPU targets) takes the full path, which raises the error
that says what is wrong. Results come back as Python scalars, as from the full path.
"""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from hpcir.core.arrays import share_memory
from hpcir.core.targets import TARGETS

from .frontends.python.bounds import check_launch_bounds, direct_accesses
from .frontends.python.kernel import Kernel
from .frontends.python.policies import MDRangePolicy, RangePolicy, TeamPolicy
from .frontends.python.signature import written_views
from .lowering import check_bounds_enabled, default_target, require_device_arrays

MISS = object()  # "no plan applies: take the full path"
_SCALARS = (int, float, bool, complex)
_MAX_PLANS = 4096  # a program launching ever new signatures must not grow this without bound
_plans: dict[tuple, "LaunchPlan"] = {}
_AS_IS, _BOOL, _INT, _VIEW = range(4)  # how a plan passes each argument


def _address(a: np.ndarray) -> int:
    """The address of an array's first element: through the buffer protocol where it applies
    (writable, contiguous, not empty; ~0.4 us), else NumPy's array interface (~2-3 us)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except (TypeError, ValueError, BufferError):
        return a.__array_interface__["data"][0]


def policy_bounds(policy: Any) -> tuple[tuple, list[int], list[tuple[int, int]]] | None:
    """(cache key part, entry bounds, index ranges) of a valid policy; None for anything unusual."""
    t = type(policy)
    if t is int or (isinstance(policy, np.integer) and t is not np.bool_):
        n = int(policy)
        return ((RangePolicy, None), [0, n], [(0, n)]) if n >= 0 else None  # as RangePolicy(n)
    if t is RangePolicy:
        return (t, policy.space), [policy.begin, policy.end], [(policy.begin, policy.end)]
    if t is MDRangePolicy:
        return ((t, len(policy.begin), policy.tile, policy.space), [*policy.begin, *policy.end],
                list(zip(policy.begin, policy.end)))
    if t is TeamPolicy:
        return (t, policy.space), [policy.league_size, policy.team_size or 0, policy.vector_length], []
    return None


def signature(kwargs: dict[str, Any]) -> tuple | None:
    """What the compiled code and the invariant checks depend on, per argument; None: no plan."""
    sig = []
    for name, v in kwargs.items():
        t = type(v)
        if t is np.ndarray:
            flags = v.flags
            sig.append((name, v.dtype, v.ndim, flags.c_contiguous, flags.f_contiguous, flags.writeable))
        elif t in _SCALARS or issubclass(t, np.generic):
            sig.append((name, t))
        else:
            return None  # hpcir Arrays, device arrays, DLPack producers: the full path
    return tuple(sig)


def plan_key(kind: str, policy_key: tuple, kernel_obj: Any, kwargs: dict[str, Any], target: str | None,
             reducer: Any) -> tuple | None:
    """The cache key of a launch, or None when it cannot have a plan."""
    sig = signature(kwargs)
    if sig is None:
        return None
    if isinstance(reducer, list):
        reducer = tuple(reducer)
    return (kernel_obj, kind, reducer, target if target is not None else ("default", default_target()),
            policy_key, check_bounds_enabled(), require_device_arrays(), sig)


def lookup(key: tuple | None) -> "LaunchPlan | None":
    """The plan of a launch key, if one was recorded."""
    if key is None:
        return None
    try:
        return _plans.get(key)
    except TypeError:  # an unhashable reducer or policy field: no plan
        return None


def record(key: tuple | None, kernel: Kernel, bound: Any, spec: Any, target: str) -> None:
    """Record the plan of a launch that the full path has just checked and compiled."""
    if key is None or not TARGETS[target].runs_on_host:
        return  # GPU entries stage host arrays: the runtime's full path does that
    try:
        plan = LaunchPlan(kernel, bound, spec)
        hash(key)
    except (KeyError, TypeError):  # a result or parameter type the prepared block does not take
        return
    if len(_plans) >= _MAX_PLANS:
        _plans.clear()
    _plans[key] = plan


class LaunchPlan:
    """The invariant part of a checked launch and the few checks each further call repeats."""

    def __init__(self, kernel: Kernel, bound: Any, spec: Any):
        from .backends.runtime import PreparedCall
        entry = bound.entry
        self.kernel, self.loaded = kernel, bound.loaded
        self.consts = kernel.const_globals()
        self.prepared = PreparedCall(entry, python_results=True)
        self.order = list(spec.param_types)
        params = entry.params[len(bound.bounds):]
        if [p.name for p in params] != self.order:
            raise KeyError("entry parameters differ from the kernel's")
        # per argument: (_AS_IS,) a float / complex scalar, (_BOOL,), (_INT, lo, hi) an int
        # scalar of that C range, (_VIEW, itemsize, static extents or None) an array
        self.checks: list[tuple] = []
        views, ndims = [], {}
        for p, v in zip(params, bound.values):
            kind = np.dtype(p.dtype).kind
            if p.kind == "view":
                static = tuple(p.shape) if any(d >= 0 for d in p.shape) else None
                self.checks.append((_VIEW, v.itemsize, static))
                views.append(p.name)
                ndims[p.name] = v.ndim
            elif kind in "iu":
                info = np.iinfo(p.dtype)
                self.checks.append((_INT, int(info.min), int(info.max)))
            else:
                self.checks.append((_BOOL,) if kind == "b" else (_AS_IS,))
        written = written_views(kernel) | {p.name for p in params if p.kind == "view" and p.written}
        self.overlaps = [(a, b) for i, a in enumerate(views) for b in views[i + 1:] if a in written or b in written]
        self.index_params = list(spec.index_params)
        self.accesses, self.full_bounds = self._accesses(kernel, spec, set(views))
        self.accesses = [a for a in self.accesses if a[1] < ndims[a[0]]]  # as check_launch_bounds skips them

    @staticmethod
    def _accesses(kernel: Kernel, spec: Any, views: set[str]) -> tuple[list[tuple[str, int, int, int]], bool]:
        """The bounds-checked accesses as (view, dimension, index position, offset), and whether
        some sit in loops (then every call runs the full check, which evaluates their bounds)."""
        idx = spec.index_params
        if spec.policy == "team" or not idx:
            return [], False
        found = direct_accesses(kernel, idx, views)
        pos = {name: k for k, name in enumerate(idx)}
        return [(a.view, a.dim, pos[a.index], a.offset) for a in found if not a.loops], any(a.loops for a in found)

    def run(self, bounds: list[int], ranges: list[tuple[int, int]], kwargs: dict[str, Any]) -> Any:
        """Launch with these arguments, or return MISS when one needs the full path's checks."""
        if self.kernel.const_globals() != self.consts:
            return MISS  # a module constant the compiled code inlined has changed: compile again
        values = [kwargs[name] for name in self.order]
        args: list[Any] = list(bounds)
        for check, v in zip(self.checks, values):
            code = check[0]
            if code == _AS_IS:
                args.append(v)
            elif code == _VIEW:
                size, static = check[1], check[2]
                strides = v.strides
                for s in strides:
                    if s < 0 or s % size:
                        return MISS
                if static is not None and any(d >= 0 and d != n for d, n in zip(static, v.shape)):
                    return MISS
                args.append((_address(v), v.shape, [s // size for s in strides]))
            elif code == _INT:
                if not check[1] <= v <= check[2]:
                    return MISS
                args.append(int(v))
            else:
                args.append(bool(v))
        if self.accesses or self.full_bounds:
            named = dict(zip(self.order, values))
            for view, dim, k, offset in self.accesses:
                begin, end = ranges[k]
                if end > begin and (begin + offset < 0 or end - 1 + offset >= named[view].shape[dim]):
                    return MISS
            if self.full_bounds:
                try:
                    check_launch_bounds(self.kernel, self.index_params, ranges, named, None)
                except Exception:
                    return MISS
        for a, b in self.overlaps:
            if share_memory(kwargs[a], kwargs[b]):
                return MISS
        return self.prepared(args)
