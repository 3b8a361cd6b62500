"""`Field[dtype, rank]`: the annotation of a stencil's array parameters."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hpcir.frontends.python.annotations import to_scalar
from hpcir.frontends.python.types import F32, F64, ScalarType

FIELD_DTYPES = (F64, F32)


@dataclass(frozen=True)
class FieldSpec:
    """A field parameter's element type (float32/float64) and rank (1..3)."""

    dtype: ScalarType
    rank: int

    def __str__(self) -> str:
        return f"Field[{self.dtype}, {self.rank}]"


class _FieldMeta(type):
    def __getitem__(cls, item: Any) -> FieldSpec:
        items = item if isinstance(item, tuple) else (item,)
        if len(items) != 2 or not isinstance(items[1], int) or isinstance(items[1], bool):
            raise TypeError("write Field[dtype, rank], e.g. Field[float, 2] or Field[hpcir.float32, 3]")
        dtype = to_scalar(items[0])
        if dtype not in FIELD_DTYPES:
            raise TypeError(f"unsupported field element type {items[0]!r}: use float (float64) or float32")
        if not 1 <= items[1] <= 3:
            raise TypeError(f"fields have 1 to 3 dimensions, not {items[1]}")
        return FieldSpec(dtype, items[1])


class Field(metaclass=_FieldMeta):
    """Annotation of a stencil parameter: `Field[float, 2]` is a 2-D float64 array."""
