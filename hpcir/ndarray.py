"""hpcir's own arrays (`hpcir.Array`): data that lives in a target's memory between launches.

On host targets (serial, cpu) an Array is a NumPy array it owns; on GPU targets (cuda, hip) it
is an allocation of the target's memory runtime (backends/device_memory.py), freed when the
Array dies. Launches take Arrays without copies: host Arrays as NumPy views, device Arrays as
`DeviceArray` descriptors (the path cupy and torch CUDA tensors take). Every copy between host
and device memory is counted (hpcir.transfer_stats)."""
from __future__ import annotations

import atexit
import math
import threading
import weakref
from typing import Any

import numpy as np

from hpcir.core.arrays import MAX_VIEW_RANK, DeviceArray, contiguity, device_array
from hpcir.core.errors import ArgumentError, HpcirError, SourceLocation, user_call_site
from hpcir.core.targets import Target, get_target
from hpcir.core.transfers import record

from .lowering import cannot_run_reason, default_target

__all__ = ["Array", "array", "empty", "zeros", "check_launch_arrays", "check_device_resident"]

# DLPack device type of each memory an Array can live in (kDLCPU, kDLCUDA, kDLROCM).
_DLPACK_DEVICE = {"host": 1, "cuda": 2, "hip": 10}
# Larger requests are refused before asking any allocator (and before C's int64 sizes overflow).
_MAX_BYTES = 1 << 60
# Element sizes the device memory runtime can fill (and NumPy dtypes kernels and FFTs use).
_DTYPE_KINDS = "biufc"


def _memory(t: Target) -> str:
    """Which memory a target's kernels read: 'host' for serial / cpu, else the GPU target's name."""
    return "host" if t.runs_on_host else t.name


class Array:
    """An n-d array in one target's memory; make one with hpcir.array, hpcir.empty or hpcir.zeros."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, target: Target, host: np.ndarray | None,
                 ptr: int = 0, runtime: Any = None):
        self._shape, self._dtype, self._target = shape, dtype, target
        self._host = host  # host targets: the backing NumPy array
        self._ptr, self._runtime = ptr, runtime  # device targets: the allocation and who frees it
        self._freed = False
        self._alloc = _Allocation(runtime, ptr) if ptr else None  # freed with the Array

    # -- description -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The extents, as NumPy's."""
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        """The element type."""
        return self._dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self._shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self._shape)

    @property
    def nbytes(self) -> int:
        """Bytes of data."""
        return self.size * self._dtype.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        """Byte strides: Arrays are C-contiguous (Kokkos::LayoutRight)."""
        out, acc = [], self._dtype.itemsize
        for n in reversed(self._shape):
            out.append(acc)
            acc *= max(n, 1)
        return tuple(reversed(out))

    @property
    def target(self) -> str:
        """The target whose memory holds the data (serial, cpu, cuda, hip)."""
        return self._target.name

    @property
    def on_device(self) -> bool:
        """True when the data is in GPU memory (np.asarray cannot read it)."""
        return not self._target.runs_on_host

    @property
    def freed(self) -> bool:
        """True after free(): the Array can no longer be used."""
        return self._freed

    def __repr__(self) -> str:
        state = ", freed" if self._freed else ""
        return f"hpcir.Array(shape={self._shape}, dtype={self._dtype}, target={self.target!r}{state})"

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d hpcir.Array")
        return self._shape[0]

    # -- data movement ---------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array: on host targets the backing array itself (a view: writes go
        to the Array); on GPU targets a new host copy."""
        self._check_live(user_call_site(2))
        if self._host is not None:
            return self._host
        out = np.empty(self._shape, self._dtype)
        if out.nbytes:
            self._runtime.copy_out(out, self._ptr)
            record("device_to_host", out.nbytes)
        return out

    def copy_from(self, x: Any) -> None:
        """Overwrite the data with `x` (an Array, NumPy array or array-like of the same shape)."""
        site = user_call_site(2)
        self._check_live(site)
        if isinstance(x, Array):
            x._check_live(site)
            self._check_match(x.shape, x.dtype, site, "copy_from")
            self._copy_array(x, site)
            return
        d = device_array(x)
        if d is not None:  # a GPU array of another library (cupy, torch): device to device
            self._copy_device(d, site)
            return
        if isinstance(x, np.ndarray) and x.dtype != self._dtype:
            raise ArgumentError(f"copy_from: the source has dtype {x.dtype}, the Array {self._dtype}", site,
                                hint=f"convert it first: x.astype(np.{self._dtype})")
        src = _host_data(x, None, site)
        if src.dtype != self._dtype and src.dtype.kind in _DTYPE_KINDS and \
                np.can_cast(src.dtype, self._dtype, casting="same_kind"):
            conv = src.astype(self._dtype)  # lists of Python numbers: 1 into a float Array, not 2.5 into ints
            if self._dtype.kind in "iu" and not np.array_equal(conv, src):
                raise ArgumentError(f"copy_from: some values do not fit in {self._dtype}", site)
            src = conv
        self._check_match(src.shape, src.dtype, site, "copy_from")
        self._write_host(src)

    def fill(self, value: Any) -> None:
        """Set every element to `value` (on GPU targets without a host copy)."""
        site = user_call_site(2)
        self._check_live(site)
        v = _scalar(value, self._dtype, site)
        if self._host is not None:
            self._host.fill(v)
        elif self._ptr:
            self._runtime.fill(self._ptr, self.size, v)

    def free(self) -> None:
        """Give the memory back now (it is also freed when the Array is garbage-collected); using the
        Array afterwards is an error. Refused while another library holds its memory through a DLPack
        capsule (it would read freed memory); the CUDA Array Interface cannot tell, so drop
        cupy / torch views of it first."""
        if self._alloc is not None:
            from hpcir.core.dlpack import exported_count
            held = exported_count(self)
            if held:
                raise ArgumentError(f"cannot free {self!r}: {held} DLPack export(s) of it are still in use",
                                    user_call_site(2), hint="delete the tensors made from it (torch.from_dlpack, "
                                                            "cupy.from_dlpack) first; it is freed with the last one")
            self._alloc.release()
        self._host, self._ptr, self._freed = None, 0, True

    # -- interop ---------------------------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy's protocol: on host targets the backing array (no copy); on GPU targets only an
        explicit copy (np.array(x), np.asarray(x, copy=True)): np.asarray(x) is an error."""
        site = user_call_site(2)
        self._check_live(site)
        if self._host is None and copy is not True:
            raise ArgumentError(f"np.asarray() of an hpcir.Array on {self.target!r} would copy "
                                f"{self.nbytes} bytes from the device behind your back", site,
                                hint="call x.numpy() for a host copy (np.array(x) copies too)")
        out = self._host if self._host is not None else self.numpy()
        if dtype is not None and np.dtype(dtype) != out.dtype:
            if copy is False:
                raise ValueError(f"an hpcir.Array of {out.dtype} cannot be read as {np.dtype(dtype)} without a copy")
            return out.astype(dtype)
        return out.copy() if copy and self._host is not None else out

    def __dlpack_device__(self) -> tuple[int, int]:
        """DLPack (device type, id): kDLCPU on host targets, kDLCUDA / kDLROCM on GPUs."""
        return (_DLPACK_DEVICE[_memory(self._target)], 0)

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None, dl_device: Any = None,
                   copy: bool | None = None) -> Any:
        """A DLPack capsule of the data, without copying (consumers share the memory and keep the
        Array alive)."""
        site = user_call_site(2)
        self._check_live(site)
        if self._host is not None:
            kw = {k: v for k, v in (("max_version", max_version), ("dl_device", dl_device), ("copy", copy))
                  if v is not None}
            return self._host.__dlpack__(stream=stream, **kw)
        if copy:
            raise BufferError("hpcir.Array.__dlpack__: copy=True is not supported for device arrays")
        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            raise BufferError(f"hpcir.Array.__dlpack__: the data is on DLPack device {self.__dlpack_device__()}, "
                              f"not {tuple(dl_device)}")
        from hpcir.core.dlpack import dlpack_capsule
        return dlpack_capsule(self, self._ptr, self._shape, self.strides, self._dtype,
                              _DLPACK_DEVICE[self.target])

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        """The CUDA Array Interface (v3), for cupy / torch / numba: only Arrays on 'cuda' have it."""
        if self._target.name != "cuda":
            raise AttributeError(f"an hpcir.Array on {self.target!r} has no __cuda_array_interface__")
        self._check_live(user_call_site(2))
        return {"shape": self._shape, "typestr": self._dtype.str, "data": (self._ptr, False), "strides": None,
                "version": 3, "stream": None}

    def __hpcir_device_array__(self) -> DeviceArray | None:
        """The descriptor launches, stencils and FFTs take device memory through (None on host)."""
        self._check_live(user_call_site(2))
        if self._host is not None:
            return None
        return DeviceArray(self, self._ptr, self._shape, self.strides, self._dtype, False, self.target)

    # -- helpers ---------------------------------------------------------------------------------
    def _check_live(self, site: SourceLocation | None, what: str = "the Array") -> None:
        if self._freed:
            raise ArgumentError(f"{what} ({self!r}) was freed", site,
                                hint="do not use an Array after free(); allocate a new one (hpcir.empty(...))")

    def _check_match(self, shape: tuple[int, ...], dtype: np.dtype, site: SourceLocation | None, op: str) -> None:
        if tuple(shape) != self._shape:
            raise ArgumentError(f"{op}: the source has shape {tuple(shape)}, the Array {self._shape}", site,
                                hint="pass data of the Array's shape (there is no broadcasting)")
        if dtype != self._dtype:
            raise ArgumentError(f"{op}: the source has dtype {dtype}, the Array {self._dtype}", site,
                                hint=f"convert it first (x.astype(np.{self._dtype}) on the host)")

    def _write_host(self, src: np.ndarray) -> None:
        """Copy host data of the Array's shape and dtype in."""
        if self._host is not None:
            np.copyto(self._host, src)
        elif self._ptr:
            self._runtime.copy_in(self._ptr, np.ascontiguousarray(src))
            record("host_to_device", src.nbytes)

    def _copy_device(self, d: DeviceArray, site: SourceLocation | None) -> None:
        if d.device != self.target:
            raise ArgumentError(f"copy_from: the source is {d.describe()}, the Array is on {self.target!r}", site,
                                hint="copy it to the host first (cupy: x.get(); torch: x.cpu().numpy())")
        self._check_match(d.shape, d.dtype, site, "copy_from")
        if not contiguity(d.shape, d.strides, d.itemsize)[0]:
            raise ArgumentError(f"copy_from: the source has strides {d.strides}; only C-contiguous device arrays "
                                "are copied", site, hint="make it contiguous first (cupy.ascontiguousarray(x), "
                                                         "x.contiguous())")
        if self.nbytes:
            self._runtime.copy(self._ptr, d.ptr, self.nbytes)

    def _copy_array(self, x: "Array", site: SourceLocation | None) -> None:
        mine, theirs = _memory(self._target), _memory(x._target)
        if mine == theirs:
            if self._host is not None:
                np.copyto(self._host, x._host)
            elif self._ptr:
                self._runtime.copy(self._ptr, x._ptr, self.nbytes)
        elif theirs == "host":
            self._write_host(x._host)
        elif mine == "host":
            np.copyto(self._host, x.numpy())
        else:
            raise ArgumentError(f"copy_from: the source is on {x.target!r} and the Array on {self.target!r}", site,
                                hint="go through the host: dst.copy_from(src.numpy())")


class _Allocation:
    """Device memory owned by one Array, freed exactly once: by free(), when the Array is
    collected (this object dies with it), or at exit."""

    def __init__(self, runtime: Any, ptr: int):
        self.runtime, self.ptr = runtime, ptr
        _LIVE[ptr] = self

    def release(self) -> None:
        """Free the memory (again: nothing)."""
        ptr, self.ptr = self.ptr, 0
        if ptr:
            _LIVE.pop(ptr, None)
            self.runtime.free(ptr)

    __del__ = release


# Allocations not freed yet, by pointer; what is left at exit is freed before Kokkos finalizes.
# (Not weakref.finalize: its own exit hook may run first and then disables every finalizer.)
_LIVE: weakref.WeakValueDictionary[int, _Allocation] = weakref.WeakValueDictionary()
_RUNTIMES: dict[str, Any] = {}  # target name -> MemoryRuntime (tests may install a stand-in)
_RUNTIME_LOCK = threading.Lock()
_EXIT_HOOK = False


def _free_all() -> None:
    """Free what is still allocated; registered after the memory runtime's Kokkos::finalize hook, so
    it runs before it (atexit runs last-registered first)."""
    for alloc in list(_LIVE.values()):
        alloc.release()


def memory_runtime(t: Target, site: SourceLocation | None = None) -> Any:
    """The memory runtime of a GPU target: built and loaded on first use."""
    with _RUNTIME_LOCK:
        rt = _RUNTIMES.get(t.name)
        if rt is not None:
            return rt
        why = cannot_run_reason(t)
        if why:
            raise HpcirError(f"target {t.name!r} has no device memory to allocate on this machine: {why}", site,
                             hint="use a host target (target='cpu' or 'serial'); code for cuda/hip can still be "
                                  "generated with hpcir.lower")
        from hpcir.backends.build import build_shared_library
        from hpcir.backends.device_memory import MemoryRuntime, memory_sources, module_name
        from hpcir.backends.runtime import load_module
        from .lowering import kokkos_for
        module = load_module(build_shared_library(memory_sources(t), t, kokkos_for(t), module_name(t)))
        rt = _RUNTIMES[t.name] = MemoryRuntime(module.cdll, t.name)
        global _EXIT_HOOK
        if not _EXIT_HOOK:
            atexit.register(_free_all)
            _EXIT_HOOK = True
        return rt


def _target(target: str | None, site: SourceLocation | None) -> Target:
    t = get_target(target if target is not None else default_target(), site)
    if not t.is_kokkos:
        raise ArgumentError(f"hpcir arrays live in the memory of a Kokkos target, not {t.name!r}", site,
                            hint="use target='cpu', 'serial', 'cuda' or 'hip'")
    return t


def _dtype(dtype: Any, site: SourceLocation | None) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ArgumentError(f"{dtype!r} is not a dtype", site, hint="e.g. np.float64, np.int32, np.complex128") from None
    if dt.kind not in _DTYPE_KINDS or dt.itemsize not in (1, 2, 4, 8, 16) or dt.hasobject:
        raise ArgumentError(f"hpcir arrays hold numbers and bools, not {dt}", site,
                            hint="use a bool, integer, float or complex dtype")
    return dt


def _shape(shape: Any, site: SourceLocation | None) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        out = tuple(int(n) for n in dims if isinstance(n, (int, np.integer)) and not isinstance(n, bool))
        ok = len(out) == len(tuple(dims))
    except TypeError:
        ok = False
    if not ok or any(n < 0 for n in out):
        raise ArgumentError(f"shape {shape!r} is not a tuple of non-negative ints", site, hint="e.g. (64, 64, 64)")
    if len(out) > MAX_VIEW_RANK:
        raise ArgumentError(f"shape {out} has {len(out)} dimensions; Kokkos views have at most {MAX_VIEW_RANK}", site)
    return out


def _host_data(x: Any, dtype: np.dtype | None, site: SourceLocation | None) -> np.ndarray:
    """`x` as a host NumPy array (converted to `dtype` when given)."""
    try:
        return np.asarray(x, dtype=dtype)
    except HpcirError:
        raise
    except (TypeError, ValueError, OverflowError) as err:
        raise ArgumentError(f"cannot read {type(x).__name__} as host data: {err}", site,
                            hint="pass a NumPy array, a list of numbers or an hpcir.Array (device arrays of "
                                 "other libraries: copy them to the host first, e.g. cupy's x.get())") from None


def _scalar(value: Any, dtype: np.dtype, site: SourceLocation | None) -> np.ndarray:
    """`value` as a 0-d array of `dtype`; refuses values the dtype cannot hold (2.5 into ints, 300 into int8)."""
    v = np.asarray(value)
    if v.ndim != 0 or v.dtype.kind not in _DTYPE_KINDS or not np.can_cast(v.dtype, dtype, casting="same_kind"):
        raise ArgumentError(f"fill: {value!r} is not a {dtype} value", site, hint=f"pass a scalar of kind {dtype}")
    try:
        return np.array(value, dtype=dtype)
    except OverflowError:
        raise ArgumentError(f"fill: {value!r} does not fit in {dtype}", site) from None


def _allocate(shape: tuple[int, ...], dt: np.dtype, t: Target, site: SourceLocation | None,
              zero: bool = False) -> Array:
    nbytes = math.prod(shape) * dt.itemsize
    if nbytes > _MAX_BYTES:
        raise ArgumentError(f"shape {shape} of {dt} is {nbytes} bytes, more than any memory holds", site)
    if t.runs_on_host:
        try:
            return Array(shape, dt, t, (np.zeros if zero else np.empty)(shape, dt))
        except MemoryError:
            raise ArgumentError(f"cannot allocate {nbytes} bytes of host memory for shape {shape} of {dt}",
                                site) from None
    rt = memory_runtime(t, site)
    try:
        a = Array(shape, dt, t, None, rt.alloc(nbytes) if nbytes else 0, rt)
    except HpcirError as err:  # out of device memory: say which call asked
        raise type(err)(err.message, site, "free Arrays you no longer need (a.free()), or use smaller ones") from None
    if zero and nbytes:
        rt.fill(a._ptr, a.size, np.zeros((), dt))
    return a


def array(x: Any, dtype: Any = None, target: str | None = None) -> Array:
    """A new Array on `target` (default: the default target) holding a copy of `x` (an array-like, or an Array)."""
    site = user_call_site(2)
    t = _target(target, site)
    if isinstance(x, Array):
        x._check_live(site, "the source")
        if dtype is None or np.dtype(dtype) == x.dtype:
            out = _allocate(x.shape, x.dtype, t, site)
            out._copy_array(x, site)
            return out
        x = x.numpy()
    d = device_array(x)
    if d is not None and (dtype is None or np.dtype(dtype) == d.dtype):  # cupy / torch GPU data
        out = _allocate(_shape(d.shape, site), _dtype(d.dtype, site), t, site)
        out._copy_device(d, site)
        return out
    src = _host_data(x, None if dtype is None else _dtype(dtype, site), site)
    dt = _dtype(src.dtype, site)
    out = _allocate(_shape(src.shape, site), dt, t, site)
    out._write_host(src)
    return out


def empty(shape: Any, dtype: Any = np.float64, target: str | None = None) -> Array:
    """A new Array of `shape` on `target`, its values undefined."""
    site = user_call_site(2)
    return _allocate(_shape(shape, site), _dtype(dtype, site), _target(target, site), site)


def zeros(shape: Any, dtype: Any = np.float64, target: str | None = None) -> Array:
    """A new Array of `shape` on `target`, filled with zeros (on the device itself for GPU targets)."""
    site = user_call_site(2)
    return _allocate(_shape(shape, site), _dtype(dtype, site), _target(target, site), site, zero=True)


# -- launches --------------------------------------------------------------------------------------
def check_launch_arrays(kwargs: dict[str, Any], explicit: str | None, site: SourceLocation | None) -> str | None:
    """The target implied by a launch's hpcir Arrays (the explicit one if given, else the first
    Array's); refuses freed Arrays and Arrays whose memory the target's kernels cannot read."""
    arrays = {n: v for n, v in kwargs.items() if isinstance(v, Array)}
    if not arrays:
        return explicit
    for n, v in arrays.items():
        v._check_live(site, f"argument `{n}`")
    if explicit is None:
        memories = {_memory(v._target): n for n, v in arrays.items()}
        if len(memories) > 1:
            (m1, a1), (m2, a2) = list(memories.items())[:2]
            raise ArgumentError(f"arguments `{a1}` ({m1} memory) and `{a2}` ({m2} memory) are hpcir Arrays in "
                                "different memories: one launch reads one memory", site,
                                hint=f"copy one over: hpcir.array({a2}, target={arrays[a1].target!r})")
        return next(iter(arrays.values())).target
    t = get_target(explicit, site)
    for n, v in arrays.items():
        if _memory(v._target) != _memory(t):
            hint = (f"copy it to the host with {n}.numpy(), or to the target with hpcir.array({n}, "
                    f"target={explicit!r})" if v.on_device else
                    f"put it in the target's memory once: {n} = hpcir.array({n}, target={explicit!r})")
            raise ArgumentError(f"argument `{n}` is an hpcir.Array on {v.target!r} but the launch targets "
                                f"{explicit!r}, whose kernels cannot read that memory", site, hint=hint)
    return explicit


def check_device_resident(values: dict[str, Any], target: str, site: SourceLocation | None) -> None:
    """With hpcir.config(require_device_arrays=True), a GPU launch refuses host arrays (which it would
    copy to the device and back on every launch)."""
    from .lowering import require_device_arrays
    if not require_device_arrays() or get_target(target, site).runs_on_host:
        return
    for n, v in values.items():
        if isinstance(v, np.ndarray):
            raise ArgumentError(f"argument `{n}` is a host array: this {target} launch would copy it to the device "
                                "and back, and hpcir.config(require_device_arrays=True) forbids that", site,
                                hint=f"keep the data on the device: {n} = hpcir.array({n}, target={target!r}) once, "
                                     "before the loop (or turn the option off)")
