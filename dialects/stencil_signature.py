"""What the stencil frontend tells the stencil emitters beside the IR: parameter names and roles."""
from __future__ import annotations

from dataclasses import dataclass

SYMBOLIC_EXTENT = 1 << 20  # the domain's extent in the stencil-level IR; real extents come at run time
MAX_HALO = 1 << 16  # larger offsets than this would be confused with the symbolic extent


@dataclass(frozen=True)
class StencilParamSig:
    """One stencil parameter: a field or a float scalar, and whether the stencil writes it."""

    name: str
    is_field: bool
    is_output: bool = False


@dataclass(frozen=True)
class StencilSignature:
    """A stencil's name, parameters (in order), element type (NumPy name) and rank."""

    name: str
    params: tuple[StencilParamSig, ...]
    dtype: str
    rank: int

    @property
    def outputs(self) -> list[str]:
        """Names of the fields the stencil writes."""
        return [p.name for p in self.params if p.is_output]
