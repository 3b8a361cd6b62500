"""The values the kernel array emitter works with: vectorised values, their affine index forms,
dtype keys and Python literals, and the error for what has no array-code form."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects.builtin import AnyFloat, ComplexType, IndexType, IntegerType
from xdsl.ir import Attribute

from hpcir.core.errors import HpcirError

class NotArrayExpressible(HpcirError):
    """A kernel construct that has no vectorised array-code form."""


@dataclass
class Aff:
    """Affine form of an index value in the launch indices: sum(coeff[d] * index_d) + offset.

    offset is an int when known, None for an unknown value the same for every iteration."""

    coeffs: dict[int, int] = field(default_factory=dict)
    offset: int | None = 0

    def key(self) -> tuple:
        return tuple(sorted(self.coeffs.items())), self.offset


@dataclass
class V:
    """A vectorised value: Python source text, a literal (Python value) or not, its affine form."""

    text: str
    lit: Any = None
    aff: Aff | None = None

    @property
    def uniform(self) -> bool:
        return self.aff is not None and not self.aff.coeffs


def dtype_key(ty: Attribute) -> str:
    """numpy dtype name of an MLIR scalar type."""
    if isinstance(ty, IndexType):
        return "int64"
    if isinstance(ty, IntegerType):
        w = ty.width.data
        return "bool" if w == 1 else f"int{w}"
    if isinstance(ty, AnyFloat):
        return {16: "float16", 32: "float32", 64: "float64"}[ty.bitwidth]
    if isinstance(ty, ComplexType) and isinstance(ty.element_type, AnyFloat) and ty.element_type.bitwidth in (32, 64):
        return "complex64" if ty.element_type.bitwidth == 32 else "complex128"
    raise NotArrayExpressible(f"values of type {ty} are not supported in array code")


def py_literal(value: Any, key: str) -> str:
    if key == "bool":
        return "True" if value else "False"
    if key.startswith("complex"):
        z = complex(value)
        return f"complex({py_literal(z.real, 'float64')}, {py_literal(z.imag, 'float64')})"
    if key.startswith("float"):
        x = float(value)
        if math.isnan(x):
            return "float('nan')"
        if math.isinf(x):
            return "float('inf')" if x > 0 else "float('-inf')"
        return repr(x)
    w = int(key[3:])
    v = (int(value) + (1 << (w - 1))) % (1 << w) - (1 << (w - 1))
    return str(v)
