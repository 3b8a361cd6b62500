"""PyKokkos' plain names: dtypes, layouts, memory spaces, views, Timer, subviews and reducer names."""
from __future__ import annotations

import enum
import time
from typing import Any

import numpy as np

from hpcir.core.errors import HpcirError, user_call_site

from .frontends.python.annotations import View as _View
from .frontends.python.annotations import _ViewMeta, to_scalar
from .frontends.python.policies import AUTO
from .frontends.python.policies import TeamPolicy as _TeamPolicy
from .frontends.python.types import F32, F64, I32, I64

# The dtypes hpcir kernels compute with; the narrower and unsigned ones are host dtypes only
# (views of them can be made, filled and read, but kernels reject them with an HpcirError).
double = float64 = F64
float32 = F32
int32 = I32
int64 = I64
real = F64  # PyKokkos' generic floating type; hpcir's default precision
int8, int16 = np.int8, np.int16
uint8, uint16, uint32, uint64 = np.uint8, np.uint16, np.uint32, np.uint64


class Layout(str, enum.Enum):
    """Kokkos array layouts (a `str` so that hpcir's view annotations accept them as they are)."""

    LayoutLeft = "left"
    LayoutRight = "right"
    LayoutStride = "stride"
    LayoutDefault = "right"


LayoutLeft, LayoutRight, LayoutStride = Layout.LayoutLeft, Layout.LayoutRight, Layout.LayoutStride


class MemorySpace(enum.Enum):
    """Kokkos memory spaces: hpcir's host views live in HostSpace; GPU arrays are cupy/torch arrays."""

    HostSpace = "HostSpace"
    CudaSpace = "CudaSpace"
    CudaUVMSpace = "CudaUVMSpace"
    HIPSpace = "HIPSpace"
    HIPManagedSpace = "HIPManagedSpace"
    MemorySpaceDefault = "HostSpace"


HostSpace, CudaSpace, CudaUVMSpace = MemorySpace.HostSpace, MemorySpace.CudaSpace, MemorySpace.CudaUVMSpace
HIPSpace, HIPManagedSpace = MemorySpace.HIPSpace, MemorySpace.HIPManagedSpace


class Trait(enum.Enum):
    """View memory traits; hpcir accepts and ignores them (they are performance hints)."""

    Atomic = "Atomic"
    RandomAccess = "RandomAccess"
    Restrict = "Restrict"
    Unmanaged = "Unmanaged"
    TraitDefault = "TraitDefault"


def _host_space(space: Any) -> None:
    if space not in (None, MemorySpace.HostSpace, MemorySpace.MemorySpaceDefault) and \
            not (isinstance(space, MemorySpace) and space.name.startswith("MemorySpace")):
        raise HpcirError(f"pk.View(space={space}) is not supported: pk views are host arrays", user_call_site(),
                         hint="leave space= out (pk.HostSpace); for GPU memory pass cupy arrays to the launch")


def _dtype(dtype: Any) -> np.dtype:
    st = to_scalar(dtype)
    if st is not None:
        return np.dtype(st.numpy)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise HpcirError(f"unsupported view element type {dtype!r}", user_call_site(),
                         hint="use pk.double, pk.float, pk.int32, pk.int64, pk.bool or a NumPy dtype") from None


class PkArray(np.ndarray):
    """A NumPy array that also answers PyKokkos' view queries (`v.layout`, `v.space`)."""

    _pk_layout: Any = None

    def __array_finalize__(self, obj: Any) -> None:
        self._pk_layout = getattr(obj, "_pk_layout", None) if obj is not None and self.base is None else None

    @property
    def layout(self) -> Layout:
        """The layout the view was made with, else the one its strides show."""
        if self._pk_layout is not None:
            return self._pk_layout
        if self.ndim > 1 and self.flags.f_contiguous and not self.flags.c_contiguous:
            return Layout.LayoutLeft
        return Layout.LayoutRight if self.flags.c_contiguous else Layout.LayoutStride

    @property
    def space(self) -> MemorySpace:
        """Always HostSpace: pk views are host arrays."""
        return MemorySpace.HostSpace


class View(_View):
    """pk.View(shape, dtype, space=, layout=, trait=): a new zeroed host array (numpy); also an annotation."""

    def __new__(cls, shape: Any, dtype: Any = F64, space: Any = None, layout: Any = None,  # type: ignore[misc]
                trait: Any = None) -> np.ndarray:
        _host_space(space)
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
        if cls.rank is not None and len(shape) != cls.rank:
            raise HpcirError(f"{cls.__name__} needs a shape of rank {cls.rank}, got {shape}", user_call_site())
        chosen = Layout(layout) if layout is not None else None
        order = "F" if chosen is Layout.LayoutLeft else "C"
        out = np.zeros(shape, dtype=_dtype(dtype), order=order).view(PkArray)
        out._pk_layout = chosen
        return out


def _ranked(rank: int) -> type:
    return _ViewMeta(f"View{rank}D", (View,), {"rank": rank, "__doc__": f"A rank-{rank} pk view."})


View1D, View2D, View3D, View4D, View5D = (_ranked(r) for r in range(1, 6))


class ViewTypeInfo:
    """pk.ViewTypeInfo(layout=...): a workunit's declared view layout (hpcir reads layouts from the arrays)."""

    def __init__(self, space: Any = None, layout: Any = None, trait: Any = None):
        self.space, self.layout, self.trait = space, layout, trait


def subview(view: np.ndarray, *index: Any) -> np.ndarray:
    """pk.subview(v, i, slice(...), ...): a view of part of `v`, sharing its memory (like Kokkos::subview)."""
    out = view[tuple(index)]
    if not isinstance(out, np.ndarray) or not np.shares_memory(out, view):
        raise HpcirError("pk.subview needs integers and slices (a subview shares the view's memory)",
                         user_call_site(), hint="index with ints and start:stop slices")
    return out


class Timer:
    """pk.Timer(): seconds() since creation or the last reset(), as Kokkos::Timer."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def seconds(self) -> float:
        """Seconds elapsed."""
        return time.perf_counter() - self._start

    def reset(self) -> None:
        """Restart the count."""
        self._start = time.perf_counter()


# Reducer names of parallel_reduce(..., reducer=pk.Max): hpcir's reducer strings.
Sum, Prod, Min, Max, LAnd, LOr, BAnd, BOr = "sum", "prod", "min", "max", "land", "lor", "band", "bor"


class TeamPolicy(_TeamPolicy):
    """pk.TeamPolicy([space,] league_size, team_size[, vector_length]); "auto" is accepted for pk.AUTO."""

    def __init__(self, *args: object):
        super().__init__(*(AUTO if isinstance(a, str) and a.lower() == "auto" else a for a in args))
