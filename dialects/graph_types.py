"""Element-type and constant conversions shared by the graph frontends and emitters."""
from __future__ import annotations

import re

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr, ComplexType, DenseIntOrFPElementsAttr, Float16Type, Float32Type, Float64Type,
    IndexType, IntegerType, TensorType, f16, f32, f64, i1, i8, i16, i32, i64,
)
from xdsl.ir import Attribute

from hpcir.core.errors import HpcirError

# numpy dtype name -> MLIR element type (signless integers; unsigned types are not supported)
_NP_TO_MLIR: dict[str, Attribute] = {
    "float16": f16, "float32": f32, "float64": f64,
    "bool": i1, "int8": i8, "int16": i16, "int32": i32, "int64": i64,
    "complex64": ComplexType(f32), "complex128": ComplexType(f64),
}


def mlir_elem(dtype) -> Attribute:
    """MLIR element type of a numpy-compatible dtype (also accepts jax/torch dtype names)."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    try:
        return _NP_TO_MLIR[name]
    except KeyError:
        raise HpcirError(f"dtype {name} is not supported by the graph frontends",
                         hint="use float32/float64/complex64/complex128/int32/int64/bool") from None


def np_dtype(elem: Attribute) -> np.dtype:
    """numpy dtype of an MLIR element type."""
    if isinstance(elem, IndexType):
        return np.dtype("int64")
    for name, t in _NP_TO_MLIR.items():
        if t == elem:
            return np.dtype(name)
    raise HpcirError(f"element type {elem} has no numpy equivalent")


def tensor_type(shape, dtype) -> TensorType:
    """`tensor<shape x dtype>` from a shape tuple and a dtype or MLIR element type."""
    elem = dtype if isinstance(dtype, Attribute) else mlir_elem(dtype)
    return TensorType(elem, [int(s) for s in shape])


def shape_of(t: Attribute) -> tuple[int, ...]:
    """Static shape of a tensor type."""
    assert isinstance(t, TensorType), t
    return tuple(int(s) for s in t.get_shape())


def elem_of(t: Attribute) -> Attribute:
    """Element type of a tensor type (the type itself for scalars)."""
    return t.get_element_type() if isinstance(t, TensorType) else t


def is_float(t: Attribute) -> bool:
    """True for f16/f32/f64."""
    return isinstance(t, (Float16Type, Float32Type, Float64Type))


def is_complex(t: Attribute) -> bool:
    """True for complex<f32>/complex<f64>."""
    return isinstance(t, ComplexType)


def is_int(t: Attribute) -> bool:
    """True for signless integers other than i1, and index."""
    return (isinstance(t, IntegerType) and t.width.data > 1) or isinstance(t, IndexType)


def is_bool(t: Attribute) -> bool:
    """True for i1."""
    return isinstance(t, IntegerType) and t.width.data == 1


def dense_attr(value: np.ndarray, ttype: TensorType) -> DenseIntOrFPElementsAttr:
    """A dense elements attribute holding `value` (converted to the tensor's element type)."""
    dt = np_dtype(ttype.get_element_type())
    arr = np.ascontiguousarray(np.asarray(value).astype(dt)).reshape(shape_of(ttype))
    if dt == np.bool_ or arr.size == 0:
        return DenseIntOrFPElementsAttr.from_list(ttype, [bool(v) if dt == np.bool_ else v
                                                         for v in arr.reshape(-1).tolist()])
    if np.issubdtype(dt, np.complexfloating):
        return DenseIntOrFPElementsAttr.from_list(ttype, [(c.real, c.imag) for c in arr.reshape(-1)])
    return DenseIntOrFPElementsAttr(ttype, BytesAttr(arr.astype(arr.dtype.newbyteorder("<")).tobytes()))


def dense_value(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The numpy array held by a dense elements attribute."""
    ttype = attr.type
    dt = np_dtype(ttype.get_element_type())
    shape = shape_of(ttype)
    if dt == np.bool_ or np.issubdtype(dt, np.complexfloating):
        vals = list(attr.iter_values())
        if np.issubdtype(dt, np.complexfloating):
            vals = [complex(*v) for v in vals]
        arr = np.array(vals, dtype=dt)
        return np.broadcast_to(arr.reshape(()), shape).copy() if arr.size == 1 else arr.reshape(shape)
    arr = np.frombuffer(attr.data.data, dtype=dt.newbyteorder("<")).astype(dt)
    return np.broadcast_to(arr.reshape(()), shape).copy() if arr.size == 1 else arr.reshape(shape)


SRC_ATTR = "hpcir.src"  # discardable attribute: "file:line" of the user code that produced the op


def sanitize(name: str) -> str:
    """A valid, readable SSA / Python identifier from a framework name."""
    s = re.sub(r"\W", "_", name).strip("_") or "v"
    return s if not s[0].isdigit() else f"v{s}"
