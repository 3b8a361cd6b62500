"""Reducer kinds: their identities and the kernel types they accept."""
from __future__ import annotations

import math

from .types import BOOL, F32, F64, I32, I64, ScalarType

REDUCERS = ("sum", "prod", "min", "max", "land", "lor", "band", "bor")
_INT_LIMITS = {I64: (-(2**63), 2**63 - 1), I32: (-(2**31), 2**31 - 1)}


def identity(kind: str, ty: ScalarType) -> float | int | bool:
    """The neutral element of a reducer for a type (what Kokkos' reducers initialise with)."""
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if kind in ("min", "max"):
        if ty.is_float:
            return math.inf if kind == "min" else -math.inf
        if ty.is_bool:
            return kind == "min"
        lo, hi = _INT_LIMITS[ty]
        return hi if kind == "min" else lo
    if kind == "land":
        return True
    if kind == "lor":
        return False
    if kind == "band":
        return True if ty.is_bool else -1
    if kind == "bor":
        return False if ty.is_bool else 0
    raise ValueError(kind)


def default_type(kind: str) -> ScalarType:
    """The accumulator type used when nothing says otherwise."""
    return {"land": BOOL, "lor": BOOL, "band": I64, "bor": I64}.get(kind, F64)


def accepts(kind: str, ty: ScalarType) -> bool:
    """Whether a reducer is defined on a type (land/lor on bool; band/bor on ints and bool)."""
    if kind in ("land", "lor"):
        return ty.is_bool
    if kind in ("band", "bor"):
        return not ty.is_float
    return ty in (F64, F32, I64, I32) or (kind in ("min", "max") and ty.is_bool)
