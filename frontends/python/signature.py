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
from .reducers import LOC_REDUCERS, MINMAXLOC, REDUCERS, default_type
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


def split_params(kernel: Kernel, kind: str, rank: int, team: bool,
                 n_acc: int = 1) -> tuple[list[str], str | None, str | None, list]:
    """Index parameters, (first) accumulator, final flag and the kernel's own parameters for a launch kind.

    A reduction takes `n_acc` accumulators after its indices (see reduction_accumulators)."""
    n_idx = 1 if team else rank
    n_extra = {"for": 0, "reduce": n_acc, "scan": 2}[kind]
    params = kernel.params
    if len(params) < n_idx + n_extra:
        what = {"for": "", "reduce": " and an accumulator" if n_acc == 1 else f" and {n_acc} accumulators",
                "scan": ", an accumulator and a final flag"}[kind]
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
    final = params[n_idx + 1].name if kind == "scan" else None
    return idx, acc, final, params[n_idx + n_extra:]


def annotated_accumulators(kernel: Kernel, n_idx: int) -> list[str]:
    """The parameters annotated Acc[T] that follow the indices (a reduction's accumulators)."""
    out = []
    for p in kernel.params[n_idx:]:
        if not isinstance(p.annotation, AccType):
            break
        out.append(p.name)
    return out


def as_reducers(reducer: Any, call_site: SourceLocation | None) -> tuple[str, ...]:
    """A launch's `reducer=`: one name, or a tuple/list of names (one per accumulator), checked."""
    many = isinstance(reducer, (tuple, list))
    names = tuple(reducer) if many else (reducer,)
    if many and not names:
        raise ArgumentError("reducer=() names no reducer", call_site,
                            hint="give one reducer per accumulator, e.g. reducer=('sum', 'max')")
    for r in names:
        if r not in REDUCERS:
            raise ArgumentError(f"unknown reducer {r!r}", call_site, hint=f"use one of {', '.join(REDUCERS)}")
    return names


def reduction_accumulators(kernel: Kernel, rank: int, team: bool, reducer: Any,
                           call_site: SourceLocation | None) -> tuple[tuple[str, ...], int]:
    """The reducers of a reduction, one per accumulator, and the accumulator count.

    The accumulators are the parameters annotated Acc[T] after the indices (else as many as the
    reducer tuple names, else one); one reducer name applies to every accumulator, a tuple must
    name one per accumulator."""
    reducers = as_reducers(reducer, call_site)
    n_idx = 1 if team else rank
    annotated = annotated_accumulators(kernel, n_idx)
    many = isinstance(reducer, (tuple, list))
    _check_no_return_value(kernel, annotated or [p.name for p in kernel.params[n_idx:n_idx + len(reducers)]])
    if any(r in LOC_REDUCERS for r in reducers):
        return _loc_accumulators(kernel, reducers, annotated, n_idx, team, rank, call_site)
    if not annotated:
        return reducers, len(reducers)
    if many and len(reducers) != len(annotated):
        node = next(p.node for p in kernel.params if p.name == annotated[0])
        raise ArgumentError(f"reducer={tuple(reducers)!r} names {len(reducers)} reducer(s) but kernel {kernel.name} "
                            f"has {len(annotated)} accumulator(s): {', '.join(annotated)} (at {kernel.loc(node)})",
                            call_site, hint=f"give one reducer per accumulator, e.g. reducer=("
                            + ", ".join(repr(reducers[k] if k < len(reducers) else "sum")
                                        for k in range(len(annotated))) + ")")
    if not many:
        reducers = reducers * len(annotated)
    return reducers, len(annotated)


def _loc_accumulators(kernel: Kernel, reducers: tuple[str, ...], annotated: list[str], n_idx: int, team: bool,
                      rank: int, call_site: SourceLocation | None) -> tuple[tuple[str, ...], int]:
    """maxloc / minloc: the kernel's only reducer, over two accumulators (value, int64 index), on a
    1-D range; returns (kind, kind), 2. MINMAXLOC (minloc and maxloc together) takes four."""
    kind = next(r for r in reducers if r in LOC_REDUCERS)
    node = next((p.node for p in kernel.params if annotated and p.name == annotated[0]), kernel.tree)
    example = (f"@hpcir.kernel(reducer={kind!r})\ndef {kernel.name}(i: int, best: hpcir.Acc[float], "
               f"at: hpcir.Acc[int], x: hpcir.View1D[float]):\n    if x[i] {'>' if kind == 'maxloc' else '<'} best:\n"
               "        best = x[i]\n        at = i")
    pairs = 2 if tuple(reducers) == MINMAXLOC else 1  # minloc and maxloc together: Kokkos::MinMaxLoc
    if pairs == 1 and (any(r != kind for r in reducers) or len(reducers) > 2):
        raise ArgumentError(f"reducer {kind!r} takes the kernel's two accumulators (the value and its index) and "
                            f"cannot be combined with other reducers: reducer={tuple(reducers)!r}", call_site,
                            hint=f"launch a separate reduction for the others, and write\n{example}")
    if team or rank != 1:
        where = "a TeamPolicy" if team else f"a {rank}-D MDRangePolicy"
        raise ArgumentError(f"reducer {kind!r} runs over a 1-D range, not over {where} (kernel {kernel.name})",
                            call_site, hint="flatten the index (i = row * ncols + col) and launch over "
                                            "range(nrows * ncols)")
    names = annotated or [p.name for p in kernel.params[n_idx:n_idx + 2 * pairs]]
    if len(names) != 2 * pairs:
        what = ("four accumulators, the smallest value, its index, the largest value and its index" if pairs == 2
                else "two accumulators, the value and its index")
        raise ArgumentError(f"reducer {tuple(reducers) if pairs == 2 else kind!r} needs {what}, but kernel "
                            f"{kernel.name} has {len(names)}: {', '.join(names)} (at {kernel.loc(node)})",
                            call_site, hint=f"write\n{example}" if pairs == 1 else
                            "annotate them lo: Acc[float], lo_at: Acc[int], hi: Acc[float], hi_at: Acc[int]")
    return (MINMAXLOC if pairs == 2 else (kind, kind)), 2 * pairs


def _check_no_return_value(kernel: Kernel, accs: list[str]) -> None:
    """A reduction's results are its accumulators' final values: a `return value` is a mistake."""
    node = _value_return(kernel)
    if node is None:
        return
    n = len(node.value.elts) if isinstance(node.value, ast.Tuple) else 1
    upd = " and ".join(f"`{a} += ...`" for a in accs[:2]) or "`acc += ...`"
    raise KernelSyntaxError(f"kernel {kernel.name} is launched as a reduction but returns {n} value(s): a "
                            f"reduction's results are the final values of its accumulator(s) {', '.join(accs)}",
                            kernel.loc(node), hint=f"update the accumulators instead ({upd}); parallel_reduce "
                            "returns one value per accumulator")


def _value_return(kernel: Kernel) -> ast.Return | None:
    """The kernel's first `return value`, found once per kernel (launches bind on every call)."""
    if not hasattr(kernel, "_value_return"):
        kernel._value_return = next((n for n in ast.walk(kernel.tree)  # type: ignore[attr-defined]
                                     if isinstance(n, ast.Return) and n.value is not None), None)
    return kernel._value_return  # type: ignore[attr-defined]


def acc_types(kernel: Kernel, names: list[str], reducers: tuple[str, ...]) -> tuple[ScalarType, ...]:
    """The type of each accumulator (see acc_type)."""
    return tuple(acc_type(kernel, n, r) for n, r in zip(names, reducers))


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
                call_site: SourceLocation | None, reducer: str | tuple[str, ...] = "sum") -> tuple[LaunchSpec, list[Any]]:
    """LaunchSpec and the ordered argument values of a JIT launch; validates every argument."""
    reducers, n_acc = as_reducers(reducer, call_site), 1
    if kind == "reduce":
        reducers, n_acc = reduction_accumulators(kernel, rank, policy == "team", reducer, call_site)
    elif len(reducers) > 1:
        raise ArgumentError(f"parallel_{kind} takes one reducer, not {tuple(reducers)!r}", call_site,
                            hint="several accumulators are a parallel_reduce feature")
    elif kind == "scan" and reducers[0] in LOC_REDUCERS:
        raise ArgumentError(f"parallel_scan has no {reducers[0]!r} reducer (kernel {kernel.name})", call_site,
                            hint="maxloc / minloc are parallel_reduce reducers; a running maximum is a scan "
                                 "with reducer='max'")
    if policy != "team":
        check_index_rank(kernel, rank, kwargs, call_site)
    idx, acc, final, own = split_params(kernel, kind, rank, policy == "team", n_acc)
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
    accs = _acc_names(kernel, idx, n_acc) if kind == "reduce" else ([acc] if acc else [])
    spec = LaunchSpec(kernel, kind, policy, rank if policy != "team" else 0, types, reducers[0],
                      acc_type(kernel, acc, reducers[0]) if kind != "for" else None,
                      index_params=idx, acc_param=acc, final_param=final, acc_params=accs,
                      reducers=reducers if kind != "for" else (),
                      acc_types=acc_types(kernel, accs, reducers) if kind != "for" else ())
    return spec, values


def _acc_names(kernel: Kernel, idx: list[str], n_acc: int) -> list[str]:
    return [p.name for p in kernel.params[len(idx):len(idx) + n_acc]]


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


def declared_kind(kernel: Kernel, rank: int | None = None) -> str:
    """for / reduce / scan, read from the annotations: an Acc parameter after the indices makes a
    reduction, followed by a bool (the `final` flag) a scan. Other parameters need no annotation."""
    params = kernel.params
    team = bool(params) and isinstance(params[0].annotation, TeamMemberType)
    n_idx = 1 if team else (rank if rank is not None else declared_rank(kernel))
    if len(params) > n_idx and isinstance(params[n_idx].annotation, AccType):
        return "scan" if len(params) > n_idx + 1 and params[n_idx + 1].annotation == BOOL else "reduce"
    return "for"


def annotated_spec(kernel: Kernel, kind: str | None = None, rank: int | None = None) -> LaunchSpec:
    """LaunchSpec from annotations only (for `hpcir lower FILE`): every parameter must be annotated."""
    params = kernel.params
    team = bool(params) and isinstance(params[0].annotation, TeamMemberType)
    r = rank if rank is not None else declared_rank(kernel)
    n_idx = 1 if team else r
    if kind is None:
        kind = declared_kind(kernel, r)
    reducers, n_acc = (kernel.reducer or "sum",), 1
    if kind == "reduce":
        reducers, n_acc = reduction_accumulators(kernel, r, team, kernel.reducer or "sum", kernel.loc(kernel.tree))
    idx, acc, final, own = split_params(kernel, kind, r, team, n_acc)
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
    accs = _acc_names(kernel, idx, n_acc) if kind == "reduce" else ([acc] if acc else [])
    return LaunchSpec(kernel, kind, policy, 0 if team else r, types, reducers[0],
                      acc_type(kernel, acc, reducers[0]) if kind != "for" else None, layout_free=layout_free,
                      index_params=idx, acc_param=acc, final_param=final, acc_params=accs,
                      reducers=reducers if kind != "for" else (),
                      acc_types=acc_types(kernel, accs, reducers) if kind != "for" else ())


