"""PyKokkos-compatible names: `import hpcir.pykokkos as pk` runs PyKokkos workunit-style programs.

Differences from PyKokkos, on purpose: workunits may be defined anywhere (inside functions too),
every Kokkos reducer is available (`reducer="max"` ...), a workunit may take several accumulators
(`reducer=("sum", "max")`, one per `pk.Acc` parameter; `pk.parallel_reduce` then returns a tuple), errors are raised as `hpcir.HpcirError`
with the file, line and column (PyKokkos exits), and the build cache is keyed on the emitted source,
so an edited kernel never reuses a stale build. `pk.View(shape, dtype)` returns a NumPy array
(a subclass answering `.layout` and `.space`). Functor and workload classes: pykokkos_functors.py;
the array API: pykokkos_ufuncs.py; the other names: pykokkos_names.py. PyKokkos' submodules,
`pykokkos.linalg.l3_blas` and `pykokkos.interface.data_types`, are subpackages. See docs/pykokkos.md.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from .. import api
from ..frontends.python.annotations import Acc, ScratchView1D, ScratchView2D, ScratchView3D, TeamMember
from ..frontends.python.intrinsics import ATOMICS, PerTeam, PerThread, printf, single
from ..frontends.python.policies import (AUTO, ExecutionSpace, MDRangePolicy, RangePolicy,
                                        TeamThreadRange, TeamVectorRange, ThreadVectorRange)
from hpcir.core.errors import HpcirError, user_call_site
from ..program import fence
from ..pykokkos_names import (BAnd, BOr, CudaSpace, CudaUVMSpace, DataType, DataTypeClass, DType, HIPManagedSpace, HIPSpace, HostSpace,
                             LAnd,
                             MaxLoc, MinLoc, MinMax, MinMaxLoc, MinMaxLocScalar, MinMaxScalar, ValLoc, asarray, result_type,
                             Layout, LayoutLeft, LayoutRight, LayoutStride, LOr, Max, MemorySpace, Min, Prod, Sum,
                             TeamPolicy, Timer, Trait, View, View1D, View2D, View3D, View4D, View5D, ViewTypeInfo, double,
                             float32, float64, int8, int16, int32, int64, real, subview, uint8, uint16, uint32,
                             uint64)
from ..pykokkos_ufuncs import UFUNCS, array, copyto, matmul, np_matmul, mean, ones, sum, var, zeros  # noqa: A004
from ..pykokkos_lambdas import is_lambda, lambda_launch
from ..pykokkos_classtypes import classtype
from ..pykokkos_functors import callback, function, functor, main, pk_errors, resolve, workload, workunit

float = float32  # noqa: A001  (PyKokkos' pk.float is 32-bit)
int = int64  # noqa: A001
bool = DataType.bool  # noqa: A001  (PyKokkos' pk.bool: a DataType member, accepted where NumPy's bool is)

OpenMP = ExecutionSpace.OpenMP
Serial = ExecutionSpace.Serial
Cuda = ExecutionSpace.Cuda
HIP = ExecutionSpace.HIP
Default = ExecutionSpace.Default

globals().update(ATOMICS)
globals().update(UFUNCS)  # pk.add, pk.sqrt, ...: hpcir kernels
pi, e, inf, nan = math.pi, math.e, math.inf, math.nan
View1d, View2d, View3d = View1D, View2D, View3D  # PyKokkos' tests spell them so too
# Shape-only operations: NumPy views of the same memory (no element is computed).
reshape, ravel, transpose, expand_dims, atleast_2d = (np.reshape, np.ravel, np.transpose, np.expand_dims,
                                                       np.atleast_2d)  # PyKokkos' name for the NumPy-semantics product
Atomic, RandomAccess, Restrict, Unmanaged = Trait.Atomic, Trait.RandomAccess, Trait.Restrict, Trait.Unmanaged


class _MDRange:
    """A multi-dimensional nested range, `pk.TeamThreadMDRange(team, n0, n1, ...)`: inside a workunit
    it is read as the one-dimensional range over n0 * n1 * ... (see pykokkos_rewrite)."""

    def __init__(self, team: Any, *extents: int) -> None:
        self.team, self.extents = team, extents


class TeamThreadMDRange(_MDRange):
    """The team's threads over a multi-dimensional index space."""


class ThreadVectorMDRange(_MDRange):
    """A thread's vector lanes over a multi-dimensional index space."""


class TeamVectorMDRange(_MDRange):
    """The team's threads and vector lanes over a multi-dimensional index space."""


def set_default_space(space: ExecutionSpace) -> None:
    """Run launches that name no execution space on `space` (pk.OpenMP, pk.Serial, ...)."""
    if not isinstance(space, ExecutionSpace):
        raise HpcirError(f"set_default_space needs pk.OpenMP, pk.Serial, pk.Cuda or pk.HIP, got {space!r}",
                         user_call_site())
    api.set_default_target("cpu" if space is ExecutionSpace.Default else space.value)


def get_default_space() -> ExecutionSpace:
    """The execution space launches use when they name none."""
    return {t.value: t for t in ExecutionSpace}.get(api.default_target(), ExecutionSpace.OpenMP)


def is_host_execution_space(space: ExecutionSpace) -> Any:
    """True for OpenMP / Serial."""
    return space in (ExecutionSpace.OpenMP, ExecutionSpace.Serial, ExecutionSpace.Default)


def _launch(launch: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Launch through hpcir, a functor's `obj.method` first turned into a kernel and its fields."""
    args = list(args)
    kwargs = {n: _scalar(v) for n, v in kwargs.items()}
    at = 2 if args and isinstance(args[0], str) else 1
    if len(args) > at and isinstance(args[at], (list, tuple)):
        return _launch_list(launch, args, at, kwargs)
    with pk_errors():
        if len(args) > at and is_lambda(args[at]):  # PyKokkos' lambda workunits: the views follow them
            kind = {api.parallel_for: "for", api.parallel_reduce: "reduce"}.get(launch, "scan")
            args[at], captured = lambda_launch(args[at], kind, tuple(args[at + 1:]))
            args, kwargs = args[:at + 1], {**kwargs, **captured}
        elif len(args) > at:
            args[at], kwargs = resolve(args[at], kwargs)
        return launch(*args, **kwargs)


def _launch_list(launch: Any, args: list, at: int, kwargs: dict[str, Any]) -> Any:
    """parallel_for(n, [k1, k2], args_1={...}, args_2={...}): each workunit over the same policy, in order.

    PyKokkos fuses the list into one launch; running the kernels one after another gives the same
    result for kernels that touch each index only (a fused kernel reading another index is a race)."""
    kernels = list(args[at])
    if launch is not api.parallel_for:
        raise HpcirError("a list of workunits can only be launched by pk.parallel_for", user_call_site())
    base = 0 if "args_0" in kwargs else 1  # PyKokkos numbers them from 1; accept 0-based lists too
    names = {f"args_{base + n}" for n in range(len(kernels))}
    extra = sorted(set(kwargs) - names)
    if extra:
        raise HpcirError(f"a list of {len(kernels)} workunits takes its arguments as "
                         f"{', '.join(sorted(names))}, not {extra[0]}=", user_call_site(),
                         hint="pass one dict per workunit: args_1={'view': v}, args_2={...}")
    for n, k in enumerate(kernels):
        one = kwargs.get(f"args_{base + n}", {})
        if not isinstance(one, dict):
            raise HpcirError(f"args_{base + n} must be a dict of the workunit's arguments", user_call_site())
        _launch(launch, tuple(args[:at]) + (k,) + tuple(args[at + 1:]), dict(one))
    return None


def _scalar(value: Any) -> Any:
    """NumPy scalars of the narrower / unsigned types pass as Python numbers (as PyKokkos converts them)."""
    if isinstance(value, np.integer) and value.dtype not in (np.int32, np.int64, np.uint64):  # uint64: all its values
        return builtins.int(value)
    if isinstance(value, np.floating) and value.dtype not in (np.float32, np.float64):
        return builtins.float(value)
    return value


def parallel_for(*args: Any, **kwargs: Any) -> None:
    """pk.parallel_for([label,] policy, workunit, **arguments); workunit may be obj.method."""
    _launch(api.parallel_for, args, kwargs)


def parallel_reduce(*args: Any, **kwargs: Any) -> Any:
    """pk.parallel_reduce([label,] policy, workunit, **arguments): the reduced value
    (`.val` / `.loc` for reducer=pk.MaxLoc / pk.MinLoc, `.min_val` / `.max_val` for pk.MinMax, and
    `.min_loc` / `.max_loc` too for pk.MinMaxLoc)."""
    result = _launch(api.parallel_reduce, args, kwargs)
    reducer = kwargs.get("reducer")
    for kind, scalar in ((MaxLoc, ValLoc), (MinLoc, ValLoc), (MinMax, MinMaxScalar), (MinMaxLoc, MinMaxLocScalar)):
        if reducer == kind:
            return scalar(*result)
    return result


def parallel_scan(*args: Any, **kwargs: Any) -> Any:
    """pk.parallel_scan([label,] policy, workunit, **arguments): the scan's total."""
    return _launch(api.parallel_scan, args, kwargs)


for _name in ("parallel_for", "parallel_reduce", "parallel_scan"):
    globals()[_name].__hpcir_intrinsic__ = _name  # nested launches inside kernels, as hpcir's own


def execute(space: ExecutionSpace, obj: Any) -> Any:
    """pk.execute(space, workload): run the workload's @pk.main method with `space` as the default,
    then its @pk.callback methods."""
    if not getattr(type(obj), "__pk_workload__", False):
        raise HpcirError(f"pk.execute needs an object of a @pk.workload class, got {type(obj).__name__}",
                         user_call_site(), hint="decorate the class with @pk.workload and its driver with @pk.main")
    name = type(obj).__pk_main_name__
    if name is None:
        raise HpcirError(f"pk.execute: workload {type(obj).__name__} has no @pk.main method to run",
                         user_call_site(), hint="decorate the driver method with @pk.main")
    old = get_default_space()
    if isinstance(space, ExecutionSpace) and space is not ExecutionSpace.Default:
        set_default_space(space)
    try:
        result = getattr(obj, name)()
    finally:
        set_default_space(old)
    for cb in getattr(type(obj), "__pk_callbacks__", ()):
        getattr(obj, cb)()
    return result


# Names of PyKokkos that hpcir.pykokkos does not provide, with the reason and what to write instead.
_UNSUPPORTED: dict[str, tuple[str, str]] = {}
for _op in ("nand", "inc", "dec", "compare_exchange", "exchange"):
    _UNSUPPORTED.setdefault(f"atomic_fetch_{_op}", ("this atomic has no MLIR atomic_rmw kind in hpcir",
                                                    "use pk.atomic_fetch_add/sub/mul/div/mod/min/max/and/or/xor/lshift/rshift"))
    _UNSUPPORTED.setdefault(f"atomic_{_op}", _UNSUPPORTED[f"atomic_fetch_{_op}"])


class UnsupportedName(HpcirError, AttributeError):
    """A PyKokkos name hpcir.pykokkos does not provide (an AttributeError too, so hasattr() works)."""


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    why, instead = _UNSUPPORTED.get(name, ("hpcir.pykokkos does not provide it", "see docs/pykokkos.md for the "
                                                                                   "supported names"))
    raise UnsupportedName(f"pk.{name} is not supported: {why}", user_call_site(), hint=instead)
