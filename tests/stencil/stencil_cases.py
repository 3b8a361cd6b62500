"""Test stencils with independent NumPy references (hand-written slicing over the same domain)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import hpcir
from hpcir import Field

C_DIFF = 0.25  # a module-level constant read inside a stencil


@hpcir.stencil
def hdiff(u: Field[float, 2], coeff: Field[float, 2], out: Field[float, 2]):
    lap = 4.0 * u[0, 0] - (u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1])   # a temporary field
    flx = lap[1, 0] - lap[0, 0]
    fly = lap[0, 1] - lap[0, 0]
    out[0, 0] = u[0, 0] - coeff[0, 0] * (flx[0, 0] - flx[-1, 0] + fly[0, 0] - fly[0, -1])


@hpcir.stencil(inline=True)
def hdiff_inlined(u: Field[float, 2], coeff: Field[float, 2], out: Field[float, 2]):
    lap = 4.0 * u[0, 0] - (u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1])
    flx = lap[1, 0] - lap[0, 0]
    fly = lap[0, 1] - lap[0, 0]
    out[0, 0] = u[0, 0] - coeff[0, 0] * (flx[0, 0] - flx[-1, 0] + fly[0, 0] - fly[0, -1])


@hpcir.stencil
def jacobi7(u: Field[float, 3], out: Field[float, 3]):
    out[0, 0, 0] = (u[1, 0, 0] + u[-1, 0, 0] + u[0, 1, 0] + u[0, -1, 0] + u[0, 0, 1] + u[0, 0, -1]) / 6.0


@hpcir.stencil
def three_point(alpha: float, x: Field[float, 1], y: Field[float, 1]):
    y[0] = x[0] + alpha * (x[-1] - 2.0 * x[0] + x[1])


@hpcir.stencil
def lap32(u: Field[hpcir.float32, 2], out: Field[hpcir.float32, 2]):
    out[0, 0] = C_DIFF * (u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1]) - u[0, 0]


@hpcir.stencil
def upwind(u: Field[float, 2], v: Field[float, 2], out: Field[float, 2], grad: Field[float, 2]):
    """Two outputs, a select, math functions and a temporary read at offsets in both directions."""
    flux = u if v[0, 0] > 0.0 else u[1, 0]
    d = flux[0, 0] - flux[-1, 0]
    out[0, 0] = u[0, 0] - 0.1 * v[0, 0] * d
    grad[0, 0] = np.sqrt(abs(d[0, 1])) + max(u[0, 0], v[0, 0]) ** 2 + np.exp(-u[0, -1])


@hpcir.stencil
def chain(u: Field[float, 1], out: Field[float, 1], out2: Field[float, 1]):
    out[0] = u[-1] + u[1]
    out2[0] = out[0] * 2.0 - u[0]  # an output read back (offset 0) after it is written


# -- NumPy references: full arrays in, written region [b, e) filled, the rest left untouched -----------

def ref_hdiff(u: np.ndarray, coeff: np.ndarray, out: np.ndarray, dom: tuple) -> None:
    (b0, e0), (b1, e1) = dom

    def lap(i0, i1, j0, j1):  # lap over rows [i0, i1), cols [j0, j1)
        return 4.0 * u[i0:i1, j0:j1] - (u[i0 + 1:i1 + 1, j0:j1] + u[i0 - 1:i1 - 1, j0:j1]
                                        + u[i0:i1, j0 + 1:j1 + 1] + u[i0:i1, j0 - 1:j1 - 1])
    # flx[i] = lap[i+1] - lap[i] and fly[j] = lap[j+1] - lap[j], read at offsets 0 and -1.
    flx0 = lap(b0 + 1, e0 + 1, b1, e1) - lap(b0, e0, b1, e1)
    flxm = lap(b0, e0, b1, e1) - lap(b0 - 1, e0 - 1, b1, e1)
    fly = lap(b0, e0, b1 + 1, e1 + 1) - lap(b0, e0, b1, e1)
    fly_m = lap(b0, e0, b1, e1) - lap(b0, e0, b1 - 1, e1 - 1)
    out[b0:e0, b1:e1] = u[b0:e0, b1:e1] - coeff[b0:e0, b1:e1] * (flx0 - flxm + fly - fly_m)


def ref_jacobi7(u: np.ndarray, out: np.ndarray, dom: tuple) -> None:
    s = tuple(slice(b, e) for b, e in dom)

    def sh(d: int, k: int) -> np.ndarray:
        return u[tuple(slice(b + (k if dd == d else 0), e + (k if dd == d else 0)) for dd, (b, e) in enumerate(dom))]
    out[s] = (sh(0, 1) + sh(0, -1) + sh(1, 1) + sh(1, -1) + sh(2, 1) + sh(2, -1)) / 6.0


def ref_three_point(alpha: float, x: np.ndarray, y: np.ndarray, dom: tuple) -> None:
    (b, e), = dom
    y[b:e] = x[b:e] + alpha * (x[b - 1:e - 1] - 2.0 * x[b:e] + x[b + 1:e + 1])


def ref_lap32(u: np.ndarray, out: np.ndarray, dom: tuple) -> None:
    (b0, e0), (b1, e1) = dom
    c = np.float32(C_DIFF)
    out[b0:e0, b1:e1] = c * (u[b0 + 1:e0 + 1, b1:e1] + u[b0 - 1:e0 - 1, b1:e1] + u[b0:e0, b1 + 1:e1 + 1]
                             + u[b0:e0, b1 - 1:e1 - 1]) - u[b0:e0, b1:e1]


def ref_upwind(u: np.ndarray, v: np.ndarray, out: np.ndarray, grad: np.ndarray, dom: tuple) -> None:
    (b0, e0), (b1, e1) = dom

    def flux(i0, i1, j0, j1):
        return np.where(v[i0:i1, j0:j1] > 0.0, u[i0:i1, j0:j1], u[i0 + 1:i1 + 1, j0:j1])

    def d(i0, i1, j0, j1):
        return flux(i0, i1, j0, j1) - flux(i0 - 1, i1 - 1, j0, j1)
    out[b0:e0, b1:e1] = u[b0:e0, b1:e1] - 0.1 * v[b0:e0, b1:e1] * d(b0, e0, b1, e1)
    grad[b0:e0, b1:e1] = (np.sqrt(np.abs(d(b0, e0, b1 + 1, e1 + 1))) + np.maximum(u[b0:e0, b1:e1], v[b0:e0, b1:e1]) ** 2
                          + np.exp(-u[b0:e0, b1 - 1:e1 - 1]))


def ref_chain(u: np.ndarray, out: np.ndarray, out2: np.ndarray, dom: tuple) -> None:
    (b, e), = dom
    out[b:e] = u[b - 1:e - 1] + u[b + 1:e + 1]
    out2[b:e] = out[b:e] * 2.0 - u[b:e]


@dataclass
class Case:
    """A stencil, its reference, the array shape and the inferred (interior) domain for that shape."""

    stencil: Any
    ref: Callable[..., None]
    shape: tuple[int, ...]
    interior: tuple[tuple[int, int], ...]
    scalars: dict[str, float]
    dtype: Any = np.float64

    @property
    def name(self) -> str:
        return self.stencil.name

    def arguments(self, seed: int = 0) -> list[Any]:
        """Fresh random arguments in parameter order (outputs filled with a sentinel)."""
        rng = np.random.default_rng(seed)
        args: list[Any] = []
        for p in self.stencil.sd.params:
            if p.spec is None:
                args.append(self.scalars[p.name])
            elif p.is_output:
                args.append(np.full(self.shape, -7.0, dtype=self.dtype))
            else:
                args.append((rng.random(self.shape) - 0.3).astype(self.dtype))
        return args

    def expected(self, args: list[Any], dom: tuple) -> list[Any]:
        """The reference's result on copies of `args`."""
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        self.ref(*copies, dom)
        return copies


CASES = [
    Case(hdiff, ref_hdiff, (11, 9), ((2, 9), (2, 7)), {}),
    Case(hdiff_inlined, ref_hdiff, (10, 12), ((2, 8), (2, 10)), {}),
    Case(jacobi7, ref_jacobi7, (6, 7, 5), ((1, 5), (1, 6), (1, 4)), {}),
    Case(three_point, ref_three_point, (13,), ((1, 12),), {"alpha": 0.3}),
    Case(lap32, ref_lap32, (8, 9), ((1, 7), (1, 8)), {}, np.float32),
    Case(upwind, ref_upwind, (9, 8), ((1, 8), (1, 7)), {}),
    Case(chain, ref_chain, (10,), ((1, 9),), {}),
]
