"""GPU arrays (cupy, torch CUDA tensors, numba, ...) seen through the CUDA Array Interface (v3):
their device pointer, shape, strides and dtype, so kernels can take them without a copy."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Kokkos views have at most 8 dimensions (and hpcir's view descriptor holds 8 extents).
MAX_VIEW_RANK = 8

# DLPack device types (dlpack.h) of the GPU memory hpcir's device targets run on.
_DLPACK_GPU = {2: "cuda", 13: "cuda", 10: "hip"}  # kDLCUDA, kDLCUDAManaged, kDLROCM


@dataclass(frozen=True)
class DeviceArray:
    """A GPU array: device pointer, shape, strides in bytes, dtype and which GPU runtime owns it."""

    obj: Any  # the producer (kept alive while the descriptor is used)
    ptr: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    dtype: np.dtype
    readonly: bool
    device: str  # "cuda" or "hip": the target whose kernels can read it

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    def describe(self) -> str:
        """A short description for error messages, e.g. 'a cuda device array (cupy ndarray)'."""
        return f"a {self.device} device array ({type(self.obj).__module__.split('.')[0]} {type(self.obj).__name__})"


def _cuda_array_interface(value: Any) -> dict | None:
    if isinstance(value, (np.ndarray, int, float, bool, complex, str, bytes)):
        return None
    try:  # torch raises for CPU tensors instead of lacking the attribute
        cai = getattr(value, "__cuda_array_interface__", None)
    except Exception:  # noqa: BLE001 (any producer error means: not a GPU array)
        return None
    return cai if isinstance(cai, dict) else None


def _gpu_runtime(value: Any) -> str:
    try:
        kind, _ = value.__dlpack_device__()
        return _DLPACK_GPU.get(int(kind), "cuda")
    except Exception:  # noqa: BLE001 (no DLPack: the CUDA Array Interface means CUDA)
        return "cuda"


def device_array(value: Any) -> DeviceArray | None:
    """The descriptor of a GPU array argument, or None when `value` is not one."""
    own = getattr(type(value), "__hpcir_device_array__", None)
    if own is not None:  # hpcir.Array: its own descriptor (HIP memory has no CUDA Array Interface)
        return own(value)
    cai = _cuda_array_interface(value)
    if cai is None:
        return None
    shape = tuple(int(n) for n in cai["shape"])
    dtype = np.dtype(cai["typestr"])
    ptr, readonly = cai["data"]
    strides = cai.get("strides")
    if strides is None:  # C-contiguous
        acc, out = dtype.itemsize, []
        for n in reversed(shape):
            out.append(acc)
            acc *= max(n, 1)
        strides = tuple(reversed(out))
    return DeviceArray(value, int(ptr or 0), shape, tuple(int(s) for s in strides), dtype, bool(readonly),
                       _gpu_runtime(value))


def contiguity(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> tuple[bool, bool]:
    """(C-contiguous, Fortran-contiguous) from shape and byte strides, as numpy's flags define them."""
    def packed(order: list[int]) -> bool:
        acc = itemsize
        for d in order:
            if shape[d] != 1 and strides[d] != acc:
                return False
            acc *= shape[d]
        return True
    if any(n == 0 for n in shape):
        return True, True
    dims = list(range(len(shape)))
    return packed(dims[::-1]), packed(dims)


# Work bound of NumPy's exact overlap solver: beyond it an overlap is assumed (never a false
# "disjoint"); strided views of one buffer (s[::2] and s[1::2]) take a handful of steps.
_OVERLAP_MAX_WORK = 100_000


def _address_view(a: np.ndarray | DeviceArray) -> np.ndarray:
    """An ndarray with `a`'s address, shape and strides, for pointer arithmetic only: its memory
    is never read (a DeviceArray's pointer is a GPU address)."""
    if isinstance(a, np.ndarray):
        return a
    holder = type("_Addresses", (), {})()
    holder.__array_interface__ = {"data": (a.ptr, True), "shape": a.shape, "strides": a.strides,
                                  "typestr": a.dtype.str, "version": 3}
    return np.asarray(holder)


def share_memory(x: np.ndarray | DeviceArray, y: np.ndarray | DeviceArray) -> bool:
    """Whether two arrays have a byte in common: exact on shapes, strides and offsets (so
    interleaved strided views are disjoint), conservative only past a work bound."""
    if isinstance(x, DeviceArray) != isinstance(y, DeviceArray):
        return False  # host and device memory never overlap
    if x.size == 0 or y.size == 0:
        return False
    try:
        return bool(np.shares_memory(_address_view(x), _address_view(y), max_work=_OVERLAP_MAX_WORK))
    except np.exceptions.TooHardError:
        return True
