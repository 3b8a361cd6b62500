"""Binding a kernel to a launch: which parameters are indices / accumulators, the types of the
rest (from the arguments, like PyKokkos, or from annotations), and argument validation."""
from __future__ import annotations

import ast
from typing import Any

import numpy as np

from hpcir.core.arrays import MAX_VIEW_RANK, DeviceArray, contiguity, device_array, share_memory
from hpcir.core.errors import ArgumentError, KernelSyntaxError, KernelTypeError, PolicyError, SourceLocation

from .entries import LaunchSpec
from .kernel import Kernel
from .reducers import REDUCERS, default_type
from .types import BOOL, C128, F64, I32, I64, AccType, KernelType, ScalarType, TeamMemberType, ViewType, scalar_from_numpy


def as_array(value: Any) -> np.ndarray | None:
    """A numpy view of an array argument without copying (numpy, or CPU DLPack producers)."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "__dlpack__") and not isinstance(value, (int, float, bool)):
        try:
            if value.__dlpack_device__()[0] != 1:  # not kDLCPU: a GPU array (device_array), never copied
                return None
            return np.from_dlpack(value)
        except (RuntimeError, TypeError, BufferError, AttributeError):
            return None
    return None


def layout_of(a: np.ndarray | DeviceArray) -> str:
    """Kokkos layout of an array from its strides: right (C), left (Fortran) or stride."""
    if a.ndim <= 1:
        return "right" if a.ndim == 0 or a.strides[0] == a.itemsize or a.shape[0] <= 1 else "stride"
    c, f = (a.flags.c_contiguous, a.flags.f_contiguous) if isinstance(a, np.ndarray) else \
        contiguity(a.shape, a.strides, a.itemsize)
    if c:
        return "right"
    if f:
        return "left"
    return "stride"


def value_type(value: Any) -> KernelType | None:
    """The kernel type of a launch argument, or None if unsupported."""
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return BOOL
    if isinstance(value, int):
        return I64
    if isinstance(value, float):
        return F64
    if isinstance(value, complex):
        return C128
    if isinstance(value, np.generic):
        return scalar_from_numpy(value.dtype)
    arr = as_array(value)
    if arr is None:
        arr = device_array(value)  # type: ignore[assignment]
    if arr is not None:
        st = scalar_from_numpy(arr.dtype)
        if st is None or arr.ndim == 0:
            return None
        return ViewType(st, arr.ndim, layout_of(arr))
    return None


def split_params(kernel: Kernel, kind: str, rank: int, team: bool) -> tuple[list[str], str | None, str | None, list]:
    """Index parameters, accumulator, final flag and the kernel's own parameters for a launch kind."""
    n_idx = 1 if team else rank
    n_extra = {"for": 0, "reduce": 1, "scan": 2}[kind]
    params = kernel.params
    if len(params) < n_idx + n_extra:
        what = {"for": "", "reduce": " and an accumulator", "scan": ", an accumulator and a final flag"}[kind]
        first = "a team member" if team else f"{n_idx} index parameter(s)"
        raise KernelSyntaxError(f"kernel {kernel.name} is launched as parallel_{kind} and must take {first}{what} "
                                f"first, it takes {len(params)} parameters", kernel.loc(kernel.tree))
    idx = [p.name for p in params[:n_idx]]
    for p in params[:n_idx]:
        want = TeamMemberType if team else ScalarType
        if p.annotation is not None and not isinstance(p.annotation, want):
            raise KernelTypeError(f"parameter `{p.name}` is annotated {p.annotation} but is the "
                                  f"{'team member' if team else 'index'} of this launch", kernel.loc(p.node))
    acc = params[n_idx].name if n_extra else None
    final = params[n_idx + 1].name if n_extra == 2 else None
    return idx, acc, final, params[n_idx + n_extra:]


def acc_type(kernel: Kernel, acc_name: str | None, reducer: str) -> ScalarType:
    """The accumulator type: its annotation, else the reducer's default."""
    for p in kernel.params:
        if p.name == acc_name and p.annotation is not None:
            if isinstance(p.annotation, AccType):
                return p.annotation.dtype
            if isinstance(p.annotation, ScalarType):
                return p.annotation
            raise KernelTypeError(f"accumulator `{p.name}` must be annotated Acc[T] or a number type",
                                  kernel.loc(p.node))
    return default_type(reducer)


def _compatible(ann: KernelType, got: KernelType) -> bool:
    if isinstance(ann, ViewType) and isinstance(got, ViewType):
        return ann.dtype == got.dtype and ann.rank == got.rank and (ann.layout is None or ann.layout == got.layout)
    if isinstance(ann, ScalarType) and isinstance(got, ScalarType):
        return ann == got or ((ann.is_float or ann.is_complex) and not got.is_bool and not got.is_complex) \
            or (ann.is_int and got.is_int) or (ann.is_complex and got.is_complex)
    return False


def declared_rank(kernel: Kernel) -> int:
    """The number of index parameters of a range / MDRange kernel: `rank=` if given, else inferred."""
    return kernel.rank if kernel.rank is not None else kernel.index_rank()


def check_index_rank(kernel: Kernel, rank: int, kwargs: dict[str, Any], call_site: SourceLocation | None) -> None:
    """A launch of lower rank than the kernel's index parameters would silently make the extra
    indices scalar arguments: reject it, unless the caller passes them as arguments (and the
    kernel does not declare its rank)."""
    want = declared_rank(kernel)
    if rank >= want:
        return
    extra = [p.name for p in kernel.params[rank:want]]
    if kernel.rank is None and all(n in kwargs for n in extra):
        return  # `x[i, n]` with `n=` passed: n is an argument of a rank-`rank` kernel
    names = ", ".join(p.name for p in kernel.params[:want])
    if kernel.rank is not None:
        why = f"declared by rank={want} at {kernel.loc(kernel.tree)}"
    else:
        _, access = kernel.index_access()
        why = f"the indices of `{ast.unparse(access)}` at {kernel.loc(access)}"
    shape = "a 1-D range" if rank == 1 else f"a rank-{rank} MDRangePolicy"
    zeros, ends = ", ".join(["0"] * want), ", ".join(f"n{d}" for d in range(want))
    raise PolicyError(f"kernel {kernel.name} has {want} index parameters ({names}: {why}) but is launched with "
                      f"{shape}, which would make {', '.join(f'`{n}`' for n in extra)} a scalar argument",
                      call_site, hint=f"launch it with hpcir.MDRangePolicy([{zeros}], [{ends}]), one bound per index")


def bind_launch(kernel: Kernel, kind: str, policy: str, rank: int, kwargs: dict[str, Any],
                call_site: SourceLocation | None, reducer: str = "sum") -> tuple[LaunchSpec, list[Any]]:
    """LaunchSpec and the ordered argument values of a JIT launch; validates every argument."""
    if reducer not in REDUCERS:
        raise ArgumentError(f"unknown reducer {reducer!r}", call_site, hint=f"use one of {', '.join(REDUCERS)}")
    if policy != "team":
        check_index_rank(kernel, rank, kwargs, call_site)
    idx, acc, final, own = split_params(kernel, kind, rank, policy == "team")
    names = [p.name for p in own]
    missing = [n for n in names if n not in kwargs]
    if missing:
        raise ArgumentError(f"kernel {kernel.name} needs argument(s) {', '.join(missing)}", call_site,
                            hint=f"pass them by keyword: {', '.join(f'{n}=...' for n in missing)}")
    extra = [n for n in kwargs if n not in names]
    taken = [n for n in extra if n in idx]
    if taken:
        raise ArgumentError(f"kernel {kernel.name} is launched with a rank-{len(idx)} policy, so its first "
                            f"{len(idx)} parameters ({', '.join(idx)}) are indices, but `{taken[0]}` is also "
                            "passed as an argument", call_site,
                            hint="use a policy of the kernel's rank, or give the kernel one index per dimension")
    if extra:
        raise ArgumentError(f"kernel {kernel.name} has no parameter(s) {', '.join(extra)}", call_site,
                            hint=f"its parameters are: {', '.join(names) or '(none)'}")
    types: dict[str, KernelType] = {}
    values = []
    for p in own:
        v = kwargs[p.name]
        t = value_type(v)
        if t is None:
            arr = as_array(v)
            if arr is None:
                arr = device_array(v)  # type: ignore[assignment]
            desc = f"an array of {arr.dtype}" if arr is not None else f"a {type(v).__name__}"
            raise ArgumentError(f"argument `{p.name}` of {kernel.name} is {desc}, which kernels cannot take",
                                call_site, hint="pass numbers, bools or arrays of float64/float32/int64/int32/bool/complex64/complex128")
        arr = as_array(v)
        if arr is None:
            arr = device_array(v)  # type: ignore[assignment]
        if arr is not None:
            if arr.ndim > MAX_VIEW_RANK:
                raise ArgumentError(f"argument `{p.name}` of {kernel.name} has {arr.ndim} dimensions; Kokkos views "
                                    f"have at most {MAX_VIEW_RANK}", call_site,
                                    hint="merge dimensions with reshape (e.g. x.reshape(n, -1)) before the launch")
            if any(s < 0 or s % arr.itemsize for s in arr.strides):
                raise ArgumentError(f"argument `{p.name}` has negative or unaligned strides {arr.strides}",
                                    call_site, hint="pass np.ascontiguousarray(...) of it")
            v = arr
        if p.annotation is not None:
            if not _compatible(p.annotation, t):
                raise ArgumentError(f"argument `{p.name}` of {kernel.name} is annotated {p.annotation} "
                                    f"(at {kernel.loc(p.node)}) but got {t}", call_site,
                                    hint="pass an array of the annotated dtype and rank, or change the annotation")
            if isinstance(p.annotation, ScalarType) and isinstance(t, ScalarType):
                t = p.annotation
        if isinstance(t, ScalarType) and t in (I64, I32) and isinstance(v, int):
            lo, hi = (-(2**63), 2**63 - 1) if t == I64 else (-(2**31), 2**31 - 1)
            if not lo <= v <= hi:
                raise ArgumentError(f"argument `{p.name}` = {v} does not fit in {t}", call_site)
        types[p.name] = t
        values.append(v)
    check_aliasing(kernel, {n: v for n, v in zip(names, values) if isinstance(v, (np.ndarray, DeviceArray))},
                   call_site)
    spec = LaunchSpec(kernel, kind, policy, rank if policy != "team" else 0, types, reducer,
                      acc_type(kernel, acc, reducer) if kind != "for" else None,
                      index_params=idx, acc_param=acc, final_param=final)
    return spec, values


def written_views(kernel: Kernel) -> set[str]:
    """Names of parameters a kernel stores into (assignments and atomics); cached per kernel."""
    if kernel._written is None:
        kernel._written = _written_views(kernel)
    return kernel._written


def _written_views(kernel: Kernel) -> set[str]:
    out: set[str] = set()
    for n in ast.walk(kernel.tree):
        targets: list[ast.expr] = []
        if isinstance(n, ast.Assign):
            targets = list(n.targets)
        elif isinstance(n, ast.AugAssign):
            targets = [n.target]
        elif isinstance(n, ast.Call) and n.args:
            fname = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            if fname.startswith("atomic_") and isinstance(n.args[0], ast.Name):
                out.add(n.args[0].id)
        for t in targets:
            while isinstance(t, ast.Subscript):
                t = t.value
            if isinstance(t, ast.Name):
                out.add(t.id)
    return out


def check_aliasing(kernel: Kernel, arrays: dict[str, np.ndarray | DeviceArray],
                   call_site: SourceLocation | None) -> None:
    """Reject two view arguments sharing memory when the kernel writes one of them (a data race)."""
    written = written_views(kernel)
    names = list(arrays)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if (a in written or b in written) and share_memory(arrays[a], arrays[b]):
                raise ArgumentError(f"arguments `{a}` and `{b}` of {kernel.name} share memory and the kernel "
                                    f"writes `{a if a in written else b}`: the launch would race", call_site,
                                    hint="pass a separate output array (e.g. out = x.copy())")


def annotated_spec(kernel: Kernel, kind: str | None = None, rank: int | None = None) -> LaunchSpec:
    """LaunchSpec from annotations only (for `hpcir lower FILE`): every parameter must be annotated."""
    params = kernel.params
    team = bool(params) and isinstance(params[0].annotation, TeamMemberType)
    r = rank if rank is not None else declared_rank(kernel)
    n_idx = 1 if team else r
    if kind is None:
        kind = "for"
        if len(params) > n_idx and isinstance(params[n_idx].annotation, AccType):
            is_scan = len(params) > n_idx + 1 and params[n_idx + 1].annotation == BOOL
            kind = "scan" if is_scan else "reduce"
    idx, acc, final, own = split_params(kernel, kind, r, team)
    types: dict[str, KernelType] = {}
    for p in own:
        if p.annotation is None:
            raise KernelTypeError(f"parameter `{p.name}` of {kernel.name} needs a type annotation to be lowered "
                                  "from a file", kernel.loc(p.node), hint="e.g. x: hpcir.View1D[float], a: float")
        types[p.name] = p.annotation
    layout_free = any(isinstance(t, ViewType) and t.layout is None for t in types.values())
    types = {n: (t.with_layout("right") if isinstance(t, ViewType) and t.layout is None else t)
             for n, t in types.items()}
    policy = "team" if team else ("range" if r == 1 else "mdrange")
    reducer = kernel.reducer or "sum"
    return LaunchSpec(kernel, kind, policy, 0 if team else r, types, reducer,
                      acc_type(kernel, acc, reducer) if kind != "for" else None, layout_free=layout_free,
                      index_params=idx, acc_param=acc, final_param=final)


