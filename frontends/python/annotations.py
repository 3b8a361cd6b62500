"""User-facing annotation objects (View1D[float], Acc[float], dtypes) and their kernel types."""
from __future__ import annotations

from typing import Any

import numpy as np

from hpcir.core.arrays import MAX_VIEW_RANK

from .types import BOOL, C64, C128, F32, F64, I32, I64, TEAM_MEMBER, AccType, KernelType, ScalarType, ViewType

# dtype names users write (pk.double, hpcir.float32, ...); each is a ScalarType.
double = float64 = F64
float32 = F32
int64 = I64
int32 = I32
bool_ = BOOL
complex64 = C64
complex128 = C128

_LAYOUT_NAMES = {"right": "right", "left": "left", "stride": "stride", "LayoutRight": "right",
                 "LayoutLeft": "left", "LayoutStride": "stride", "C": "right", "F": "left"}


def to_scalar(obj: Any) -> ScalarType | None:
    """The ScalarType an annotation or dtype object denotes, or None."""
    if isinstance(obj, ScalarType):
        return obj
    if obj is float:
        return F64
    if obj is int:
        return I64
    if obj is bool:
        return BOOL
    if obj is complex:
        return C128
    try:
        dt = np.dtype(obj)
    except TypeError:
        return None
    from .types import scalar_from_numpy
    return scalar_from_numpy(dt)


class _ViewMeta(type):
    def __getitem__(cls, item: Any) -> "ViewAnnotation":
        items = item if isinstance(item, tuple) else (item,)
        rank = cls.rank
        if rank is None:
            if len(items) < 2 or not isinstance(items[1], int):
                raise TypeError("write View[dtype, rank] (e.g. View[float, 2]) or View2D[float]")
            rank, items = items[1], (items[0],) + items[2:]
        if not 1 <= rank <= MAX_VIEW_RANK:
            raise TypeError(f"a view has 1 to {MAX_VIEW_RANK} dimensions (Kokkos' limit), not {rank}")
        dtype = to_scalar(items[0])
        if dtype is None:
            raise TypeError(f"unsupported view element type {items[0]!r}: use float, int, bool, "
                            "float32, int32, int64 or float64")
        layout = None
        for extra in items[1:]:
            layout = _LAYOUT_NAMES.get(getattr(extra, "__name__", extra), None)
            if layout is None:
                raise TypeError(f"unknown view layout {extra!r}: use 'right', 'left' or 'stride'")
        return ViewAnnotation(ViewType(dtype, rank, layout))


class ViewAnnotation:
    """The result of View1D[float] etc.: wraps the ViewType it stands for."""

    def __init__(self, vt: ViewType):
        self.kernel_type = vt

    def __repr__(self) -> str:
        return str(self.kernel_type)


class View(metaclass=_ViewMeta):
    """A view annotation (`View[float, 2]`) or, when called, a new zeroed host array."""

    rank: int | None = None

    def __new__(cls, shape: int | tuple[int, ...], dtype: Any = F64, layout: str = "right") -> np.ndarray:  # type: ignore[misc]
        st = to_scalar(dtype)
        if st is None:
            raise TypeError(f"unsupported view element type {dtype!r}")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if cls.rank is not None and len(shape) != cls.rank:
            raise TypeError(f"{cls.__name__} needs a shape of rank {cls.rank}, got {shape}")
        order = "F" if _LAYOUT_NAMES.get(layout) == "left" else "C"
        return np.zeros(shape, dtype=st.numpy, order=order)


def _view_rank_class(rank: int) -> type:
    return _ViewMeta(f"View{rank}D", (View,), {"rank": rank, "__doc__": f"A rank-{rank} view."})


View1D = _view_rank_class(1)
View2D = _view_rank_class(2)
View3D = _view_rank_class(3)
View4D = _view_rank_class(4)
View5D = _view_rank_class(5)


class _AccMeta(type):
    def __getitem__(cls, item: Any) -> "AccAnnotation":
        dtype = to_scalar(item)
        if dtype is None:
            raise TypeError(f"unsupported accumulator type {item!r}")
        return AccAnnotation(AccType(dtype))


class AccAnnotation:
    """The result of Acc[float]."""

    def __init__(self, at: AccType):
        self.kernel_type = at


class Acc(metaclass=_AccMeta):
    """Accumulator annotation for reductions and scans: `acc: Acc[float]`."""


class TeamMember:
    """Annotation of a team kernel's first parameter (`team: TeamMember`)."""

    kernel_type = TEAM_MEMBER


def annotation_to_type(obj: Any) -> KernelType | None:
    """The kernel type an evaluated annotation stands for, or None if it is not one."""
    if isinstance(obj, (ViewAnnotation, AccAnnotation)):
        return obj.kernel_type
    if obj is TeamMember or isinstance(obj, TeamMember):
        return TEAM_MEMBER
    if isinstance(obj, type) and issubclass(obj, View) and obj.rank is not None:
        return ViewType(F64, obj.rank)  # bare View2D means View2D[float]
    return to_scalar(obj)
