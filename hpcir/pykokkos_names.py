"""PyKokkos' plain names: dtypes, layouts, memory spaces, views, Timer, subviews and reducer names."""
from __future__ import annotations

import enum
import time
from typing import Any, NamedTuple

import numpy as np

from hpcir.core.errors import HpcirError, user_call_site

from .frontends.python.annotations import View as _View
from .frontends.python.annotations import _ViewMeta, to_scalar
from .frontends.python.policies import AUTO
from .frontends.python.policies import TeamPolicy as _TeamPolicy
from .frontends.python.types import F64

class DataType(enum.Enum):
    """PyKokkos' dtypes, as its `DataType` enum: `.value` is the NumPy scalar type and `.dtype` the
    NumPy dtype, so NumPy (`np.zeros(n, pk.int8)`) and hpcir's annotations (`pk.View1D[pk.double]`)
    take a member as it is. Kernels compute with float64, float32, int64, int32 and bool; views of
    the narrower and unsigned types are host data (made, filled and read outside kernels)."""

    int8 = np.int8
    int16 = np.int16
    int32 = np.int32
    int64 = np.int64
    uint8 = np.uint8
    uint16 = np.uint16
    uint32 = np.uint32
    uint64 = np.uint64
    float = np.float32  # noqa: A003  (PyKokkos' pk.float is 32-bit)
    double = np.float64
    float32 = np.float32  # an alias of float
    float64 = np.float64  # an alias of double
    real = np.float64  # PyKokkos' generic floating type (an alias of double): hpcir's default precision
    bool = np.bool_  # noqa: A003

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype (what np.dtype(member) returns)."""
        return np.dtype(self.value)

    def __call__(self, value: Any) -> Any:
        """pk.int32(5): a NumPy scalar of the type."""
        return self.value(value)


class _DataTypeClassMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, DataType) or type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return isinstance(sub, DataType) or type.__subclasscheck__(cls, sub)


class DataTypeClass(metaclass=_DataTypeClassMeta):
    """PyKokkos' base of its dtype classes (`dtype: pk.DataTypeClass = pk.int32`): here the dtypes are
    DataType members, so isinstance / issubclass of a member with DataTypeClass answer True."""


int8, int16, int32, int64 = DataType.int8, DataType.int16, DataType.int32, DataType.int64
uint8, uint16, uint32, uint64 = DataType.uint8, DataType.uint16, DataType.uint32, DataType.uint64
double = float64 = real = DataType.double
float32 = DataType.float


class _DTypeMeta(type):
    """Class attributes of a DType class are those of NumPy's dtype class (NumPy reads
    `type(a.dtype)._is_numeric` and the like)."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(cls._np_class, name)


class DType(metaclass=_DTypeMeta):
    """A pk view's `.dtype`: the NumPy dtype in every use (attributes, ==, hash, np.dtype(d)), plus
    PyKokkos' `.value` (the NumPy scalar type, equal to the DataType member's `.value`)."""

    __slots__ = ("dtype",)
    _np_class: type = np.dtype
    _classes: dict[type, type] = {}

    def __new__(cls, dtype: np.dtype) -> "DType":
        sub = DType._classes.get(type(dtype))
        if sub is None:  # one class per NumPy dtype class, answering that class's attributes
            sub = DType._classes[type(dtype)] = _DTypeMeta(f"DType[{dtype}]", (DType,),
                                                           {"__slots__": (), "_np_class": type(dtype)})
        out = object.__new__(sub)
        out.dtype = dtype
        return out

    @property
    def value(self) -> type:
        """The NumPy scalar type, as `DataType.<name>.value` (np.int64 for a long long view too)."""
        return _CANONICAL.get(self.dtype.char, self.dtype.type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.dtype, name)

    def __eq__(self, other: object) -> bool:
        return self.dtype == (other.dtype if isinstance(other, DType) else other)

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __repr__(self) -> str:
        return repr(self.dtype)

    def __str__(self) -> str:
        return str(self.dtype)


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


# pk.View(shape, pk.int64 / pk.uint64) holds C's long long / unsigned long long, as PyKokkos' views
# (its binding's int64_t): the same dtype for NumPy (== np.int64, name "int64", same arithmetic), whose
# elements are numpy.longlong / ulonglong scalars as PyKokkos' are.
_LONG_LONG = {np.dtype(np.int64).char: np.dtype(np.longlong), np.dtype(np.uint64).char: np.dtype(np.ulonglong)}
_CANONICAL = {np.dtype(np.longlong).char: np.int64, np.dtype(np.ulonglong).char: np.uint64}


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
    def dtype(self) -> DType:  # type: ignore[override]
        """The element type, answering PyKokkos' `v.dtype.value` too (NumPy's own C code reads the
        array's descriptor directly and is not affected)."""
        return DType(np.ndarray.dtype.__get__(self))

    @dtype.setter
    def dtype(self, value: Any) -> None:
        np.ndarray.dtype.__set__(self, np.dtype(value))

    @property
    def data(self) -> Any:
        """NumPy's buffer of the elements; assigning an array copies its values in (PyKokkos' `v.data = a`,
        converted to the element type as Kokkos does: float to int truncates)."""
        return np.ndarray.data.__get__(self)

    @data.setter
    def data(self, values: Any) -> None:
        np.copyto(self, np.asarray(values), casting="unsafe")

    @property
    def space(self) -> MemorySpace:
        """Always HostSpace: pk views are host arrays."""
        return MemorySpace.HostSpace

    def resize(self, *args: Any, **kwargs: Any) -> None:
        """NumPy's resize; PyKokkos' `v.resize(dimension, size)` is refused with a located error (a pk view
        is a NumPy array, which cannot change one extent in place and keep its elements where they are)."""
        if len(args) == 2 and not kwargs and all(isinstance(a, (int, np.integer)) for a in args):
            raise HpcirError(f"v.resize({args[0]}, {args[1]}) is not supported: a pk view is a NumPy array and "
                             "cannot change one extent in place", user_call_site(),
                             hint="make a new pk.View of the new shape and copy the part they share: "
                                  "w[:n] = v[:n]")
        np.ndarray.resize(self, *args, **kwargs)


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
        out = np.zeros(shape, dtype=_LONG_LONG.get(_dtype(dtype).char, _dtype(dtype)), order=order).view(PkArray)
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
# Value-and-location reducers: the workunit takes two accumulators (value, index), as hpcir's maxloc.
MaxLoc, MinLoc = "maxloc", "minloc"


# Kokkos::MinMax and MinMaxLoc: the workunit's accumulator has the fields of Kokkos' MinMaxScalar /
# MinMaxLocScalar (`acc.min_val`, ...; pykokkos_accfields), or it takes one pk.Acc per field in that order.
MinMax = ("min", "max")
MinMaxLoc = ("minloc", "minloc", "maxloc", "maxloc")


class MinMaxScalar(NamedTuple):
    """The result of a pk.MinMax reduction, with Kokkos::MinMaxScalar's field names."""

    min_val: Any
    max_val: Any


class MinMaxLocScalar(NamedTuple):
    """The result of a pk.MinMaxLoc reduction, with Kokkos::MinMaxLocScalar's field names (in the order
    the workunit's accumulators take them)."""

    min_val: Any
    min_loc: int
    max_val: Any
    max_loc: int


class ValLoc(NamedTuple):
    """The result of a pk.MaxLoc / pk.MinLoc reduction: a (value, index) pair with Kokkos::ValLocScalar's
    field names, `.val` and `.loc`."""

    val: Any
    loc: int


class TeamPolicy(_TeamPolicy):
    """pk.TeamPolicy([space,] league_size, team_size[, vector_length]); "auto" is accepted for pk.AUTO."""

    def __init__(self, *args: object):
        super().__init__(*(AUTO if isinstance(a, str) and a.lower() == "auto" else a for a in args))


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, copy: bool | None = None) -> np.ndarray:
    """pk.asarray(obj, dtype=): a pk view of `obj`, sharing its memory where NumPy can (the array API's asarray)."""
    _host_space(device)
    return np.asarray(obj, dtype=None if dtype is None else _dtype(dtype), copy=copy).view(PkArray)


class PromotionNotSupported(HpcirError, NotImplementedError):
    """pk.result_type of operands PyKokkos does not promote (a NotImplementedError too, as PyKokkos raises)."""


_KINDS = {"u": "unsigned integer", "i": "signed integer", "f": "floating", "b": "bool"}


def result_type(*arrays_and_dtypes: Any) -> DataType:
    """pk.result_type(d1, d2, ...): the dtype of an operation on these dtypes, within one kind (PyKokkos' rule)."""
    kinds: dict[str, list[DataType]] = {}
    for d in arrays_and_dtypes:
        if isinstance(d, np.ndarray):
            raise PromotionNotSupported("pk.result_type of views is not supported (as in PyKokkos)", user_call_site(),
                                        hint="pass the dtypes: pk.result_type(pk.double, pk.float)")
        member = d if isinstance(d, DataType) else DataType(np.dtype(_dtype(d)).type)
        kinds.setdefault(np.dtype(member.value).kind, []).append(member)
    if len(kinds) != 1:
        names = " and ".join(_KINDS[k] for k in sorted(kinds)) or "no dtype"
        raise PromotionNotSupported(f"pk.result_type of {names} dtypes is not supported (PyKokkos promotes only "
                                    "within one kind)", user_call_site(),
                                    hint="convert the operands to one kind first, or use np.result_type")
    (members,) = kinds.values()
    return DataType(np.result_type(*(m.value for m in members)).type)
