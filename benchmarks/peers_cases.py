"""The three stencils of benchmarks/peers.py as an hpcir user writes them, their NumPy references,
and the input data every tool gets (same values; each tool may store them in its own layout)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import hpcir
from hpcir import Field

# 2-D hdiff and the Jacobi are the stencils benchmarks/passes.py times (one definition, one build).
from passes_variants import JACOBI_C0, JACOBI_C1, jacobi7
from passes_variants import hdiff as hdiff2d


@hpcir.stencil
def hdiff3d(u: Field[float, 3], coeff: Field[float, 3], out: Field[float, 3]):
    lap = 4.0 * u[0, 0, 0] - (u[1, 0, 0] + u[-1, 0, 0] + u[0, 1, 0] + u[0, -1, 0])
    flx = lap[1, 0, 0] - lap[0, 0, 0]
    fly = lap[0, 1, 0] - lap[0, 0, 0]
    out[0, 0, 0] = u[0, 0, 0] - coeff[0, 0, 0] * (flx[0, 0, 0] - flx[-1, 0, 0] + fly[0, 0, 0] - fly[0, -1, 0])


@hpcir.stencil
def hdiff3d_kij(u: Field[float, 3], coeff: Field[float, 3], out: Field[float, 3]):
    # The same hdiff indexed (k, i, j): what a user writes to store k outermost in C order.
    lap = 4.0 * u[0, 0, 0] - (u[0, 1, 0] + u[0, -1, 0] + u[0, 0, 1] + u[0, 0, -1])
    flx = lap[0, 1, 0] - lap[0, 0, 0]
    fly = lap[0, 0, 1] - lap[0, 0, 0]
    out[0, 0, 0] = u[0, 0, 0] - coeff[0, 0, 0] * (flx[0, 0, 0] - flx[0, -1, 0] + fly[0, 0, 0] - fly[0, 0, -1])


def hdiff_ref(u: np.ndarray, coeff: np.ndarray) -> np.ndarray:
    """hdiff on the interior [2, n-2) of the first two axes (any trailing axes kept whole)."""
    lap = 4.0 * u[1:-1, 1:-1] - (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])
    flx = lap[1:, 1:-1] - lap[:-1, 1:-1]
    fly = lap[1:-1, 1:] - lap[1:-1, :-1]
    return u[2:-2, 2:-2] - coeff[2:-2, 2:-2] * (flx[1:] - flx[:-1] + fly[:, 1:] - fly[:, :-1])


def jacobi_ref(u: np.ndarray) -> np.ndarray:
    """The 7-point update on the interior [1, n-1)³."""
    c = u[1:-1, 1:-1, 1:-1]
    return JACOBI_C0 * c + JACOBI_C1 * (u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1]
                                        + u[1:-1, 2:, 1:-1] + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:])


@dataclass
class Case:
    """One benchmark problem: logical (i, j[, k]) shape, halo per axis, inputs and reference."""

    key: str
    title: str
    shape: tuple[int, ...]
    halo: tuple[int, ...]
    fields: tuple[str, ...]          # input field names, in argument order
    scalars: dict[str, float]
    reference: Callable[..., np.ndarray]

    def inputs(self, seed: int = 7) -> dict[str, np.ndarray]:
        """The input fields, C order in (i, j[, k]) index order (the values every tool gets)."""
        rng = np.random.default_rng(seed)
        return {name: rng.random(self.shape) for name in self.fields}

    def interior(self) -> tuple[slice, ...]:
        """The points every tool writes."""
        return tuple(slice(h, n - h) for n, h in zip(self.shape, self.halo))

    def check(self, tool: str, out: np.ndarray, want: np.ndarray) -> None:
        """Fail loudly unless `out` (logical order) is the reference inside and untouched zeros outside."""
        got = np.asarray(out)
        inner = got[self.interior()]
        if not np.allclose(inner, want, rtol=1e-11, atol=1e-11):
            bad = np.abs(inner - want).max()
            raise SystemExit(f"peers.py: {tool} on {self.title} differs from NumPy (max |diff| {bad:.3g}); "
                             "no timing was taken")
        outside = got.copy()
        outside[self.interior()] = 0.0
        if outside.any():
            raise SystemExit(f"peers.py: {tool} on {self.title} wrote outside the interior")


def cases(n2d: int, n3d: tuple[int, int, int], njac: int) -> dict[str, Case]:
    """The three problems at the given sizes (issue 16: 4096², 256x256x64, 256³)."""
    return {
        "hdiff2d": Case("hdiff2d", f"2-D hdiff {n2d}²", (n2d, n2d), (2, 2), ("u", "coeff"), {},
                        lambda u, coeff: hdiff_ref(u, coeff)),
        "hdiff3d": Case("hdiff3d", f"3-D hdiff {n3d[0]}x{n3d[1]}x{n3d[2]}", n3d, (2, 2, 0), ("u", "coeff"), {},
                        lambda u, coeff: hdiff_ref(u, coeff)),
        "jacobi": Case("jacobi", f"7-point Jacobi {njac}³", (njac,) * 3, (1, 1, 1), ("u",),
                       {"c0": JACOBI_C0, "c1": JACOBI_C1}, lambda u: jacobi_ref(u)),
    }


def stored(a: np.ndarray, layout: Any) -> np.ndarray:
    """`a`'s values in memory order `layout` ("C", "F" or a dimension order such as (2, 0, 1), outermost
    first), indexed as `a` is: hpcir.field_empty where this hpcir has it (layout-aware stencils),
    else the same strides made with NumPy."""
    if hasattr(hpcir, "field_empty"):
        out = hpcir.field_empty(a.shape, layout=layout)
    else:
        order = {"C": tuple(range(a.ndim)), "F": tuple(reversed(range(a.ndim)))}.get(layout, layout)
        out = np.empty(tuple(a.shape[d] for d in order)).transpose(np.argsort(order))
    out[...] = a
    return out


def hpcir_variants(case: Case) -> dict[str, tuple[Any, Callable[[np.ndarray], np.ndarray],
                                                  Callable[[np.ndarray], np.ndarray]]]:
    """hpcir's ways of running `case`: name -> (stencil, store (i, j, k) data, view output as (i, j, k)).

    The first entry runs on the arrays GT4Py's default storage and DaCe use (C order, last axis
    contiguous); the stencil call adapts to whatever strides the arrays have."""
    same = lambda a: a  # noqa: E731
    c_order = lambda a: stored(a, "C")  # noqa: E731
    if case.key == "hdiff2d":
        return {"hpcir, C order": (hdiff2d, c_order, same)}
    if case.key == "jacobi":
        return {"hpcir, C order": (jacobi7, c_order, same)}
    return {
        "hpcir, (i,j,k) k contiguous": (hdiff3d, c_order, same),
        "hpcir, (i,j,k) on (k,i,j) storage": (hdiff3d, lambda a: stored(a, (2, 0, 1)), same),
        "hpcir, (i,j,k) i contiguous": (hdiff3d, lambda a: stored(a, "F"), same),
        "hpcir, written (k,i,j), C order": (hdiff3d_kij, lambda a: stored(a.transpose(2, 0, 1), "C"),
                                            lambda o: o.transpose(1, 2, 0)),
    }
