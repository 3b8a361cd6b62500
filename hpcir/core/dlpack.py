"""DLPack capsules (the unversioned `DLManagedTensor` of dlpack.h) for memory hpcir owns, so that
torch, cupy, jax and NumPy take hpcir arrays without copying. The capsule keeps its owner alive
until the consumer calls the deleter (or, unconsumed, until the capsule dies)."""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

# dlpack.h DLDataTypeCode of each NumPy kind.
_TYPE_CODE = {"i": 0, "u": 1, "f": 2, "c": 5, "b": 6}  # kDLInt, kDLUInt, kDLFloat, kDLComplex, kDLBool
_NAME = b"dltensor"  # a consumer renames a capsule it took to "used_dltensor"


class _Device(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _Device), ("ndim", ctypes.c_int32), ("dtype", _DataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


_DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class ManagedTensor(ctypes.Structure):
    """`DLManagedTensor`: the tensor, the producer's context and the deleter the consumer calls."""

    _fields_ = [("dl_tensor", _Tensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _DELETER)]


# Each exported tensor, by the address of its DLManagedTensor: the struct, its shape and strides
# buffers and the owner of the memory, released by the deleter.
_EXPORTED: dict[int, tuple[Any, ...]] = {}


@_DELETER
def _delete(address: int) -> None:
    _EXPORTED.pop(address, None)


# Private prototypes of the C API (ctypes.pythonapi's attributes are shared: others may retype them).
_capsule_is_valid = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_IsValid", ctypes.pythonapi))
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))
_capsule_new = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)(
    ("PyCapsule_New", ctypes.pythonapi))


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _capsule_destructor(capsule: int) -> None:
    # Unconsumed (still named "dltensor"): nobody will call the deleter, so call it here.
    if _capsule_is_valid(capsule, _NAME):
        _delete(_capsule_pointer(capsule, _NAME))


def dlpack_capsule(owner: Any, ptr: int, shape: tuple[int, ...], strides: tuple[int, ...], dtype: np.dtype,
                   device_type: int, device_id: int = 0) -> Any:
    """A "dltensor" capsule describing `ptr` (byte `strides`) on a DLPack device; `owner` stays
    alive until the consumer is done with it."""
    dtype = np.dtype(dtype)
    if dtype.kind not in _TYPE_CODE:
        raise BufferError(f"DLPack has no type for {dtype}")
    ndim = len(shape)
    shape_buf = (ctypes.c_int64 * max(ndim, 1))(*shape)
    strides_buf = (ctypes.c_int64 * max(ndim, 1))(*(s // dtype.itemsize for s in strides))
    managed = ManagedTensor()
    t = managed.dl_tensor
    t.data, t.ndim, t.byte_offset = ptr or None, ndim, 0
    t.device = _Device(device_type, device_id)
    t.dtype = _DataType(_TYPE_CODE[dtype.kind], dtype.itemsize * 8, 1)
    t.shape = ctypes.cast(shape_buf, ctypes.POINTER(ctypes.c_int64))
    t.strides = ctypes.cast(strides_buf, ctypes.POINTER(ctypes.c_int64))
    managed.deleter = _delete
    address = ctypes.addressof(managed)
    _EXPORTED[address] = (managed, shape_buf, strides_buf, owner)
    return _capsule_new(address, _NAME, ctypes.cast(_capsule_destructor, ctypes.c_void_p))


def exported_count(owner: Any = None) -> int:
    """How many capsules are not released yet (each keeps its owner alive); of `owner` only, if given."""
    if owner is None:
        return len(_EXPORTED)
    return sum(1 for entry in list(_EXPORTED.values()) if entry[3] is owner)
