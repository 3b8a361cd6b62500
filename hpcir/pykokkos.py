"""PyKokkos-compatible names: `import hpcir.pykokkos as pk` runs PyKokkos workunit-style programs.

Differences from PyKokkos, on purpose: workunits may be defined anywhere (inside functions too),
every Kokkos reducer is available (`reducer="max"` ...), a workunit may take several accumulators
(`reducer=("sum", "max")`, one per `pk.Acc` parameter; `pk.parallel_reduce` then returns a tuple), errors are raised as `hpcir.HpcirError`
with the file, line and column (PyKokkos exits), and the build cache is keyed on the emitted source,
so an edited kernel never reuses a stale build. `pk.View(shape, dtype)` returns a numpy array.
"""
from __future__ import annotations

from typing import Any

from . import api
from .frontends.python.annotations import (Acc, ScratchView1D, ScratchView2D, ScratchView3D, TeamMember, View,
                                           View1D, View2D, View3D, View4D, View5D, double, float32, float64,
                                           int32, int64)
from .frontends.python.intrinsics import ATOMICS, PerTeam, PerThread, single
from .frontends.python.kernel import kernel as workunit
from .frontends.python.policies import (AUTO, ExecutionSpace, MDRangePolicy, RangePolicy, TeamPolicy,
                                        TeamThreadRange, TeamVectorRange, ThreadVectorRange)
from hpcir.core.errors import HpcirError, user_call_site
from .program import fence
from .api import parallel_for, parallel_reduce, parallel_scan

float = float32  # noqa: A001  (PyKokkos' pk.float is 32-bit)
int = int64  # noqa: A001
bool = __builtins__["bool"] if isinstance(__builtins__, dict) else __builtins__.bool  # noqa: A001

OpenMP = ExecutionSpace.OpenMP
Serial = ExecutionSpace.Serial
Cuda = ExecutionSpace.Cuda
HIP = ExecutionSpace.HIP
Default = ExecutionSpace.Default

globals().update(ATOMICS)


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
