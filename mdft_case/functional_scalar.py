"""Tier A: the HNC functional of a scalar (mmax 0) solvent on a periodic grid."""
from __future__ import annotations

import numpy as np

from . import kernels
from .grid import Grid

ONE = np.ones(1)


class ScalarFunctional:
    """F[xi] = F_id + F_ext + F_exc for rho = n0 xi^2, with c(k) sampled at the grid's |k|."""

    def __init__(self, grid: Grid, vext: np.ndarray, ck_table: np.ndarray, density: float, kt: float):
        if vext.shape != grid.shape or ck_table.shape != grid.knorm(half=True).shape:
            raise ValueError("vext must have the grid shape and ck_table the rfftn shape")
        self.grid, self.n0, self.kt = grid, density, kt
        self.vext = vext[None]
        self.ck = ck_table
        self.evaluations = 0
        self.shape = (1,) + grid.shape

    def initial_xi(self) -> np.ndarray:
        """Start from the low-density limit rho = n0 exp(-beta V_ext), i.e. xi = exp(-beta V/2)."""
        return np.exp(-0.5 * self.vext / self.kt)

    def evaluate(self, xi: np.ndarray) -> tuple[float, np.ndarray]:
        """(F in kJ/mol, dF/dxi) at xi of shape (1, nx, ny, nz)."""
        self.evaluations += 1
        dv = self.grid.dv
        f_ie, g_ie = kernels.ideal_ext(xi, self.vext, ONE, self.n0, self.kt, dv)
        drho = kernels.delta_rho(xi, self.n0)
        gamma = kernels.scalar_convolve(drho[0], self.ck)[None]
        f_ex, g_ex = kernels.excess(xi, drho, gamma, ONE, self.n0, self.kt, dv)
        return f_ie + f_ex, g_ie + g_ex

    def density(self, xi: np.ndarray) -> np.ndarray:
        """Number density n(r) = n0 xi^2 (Å^-3), shape grid.shape."""
        return self.n0 * xi[0] ** 2

    def delta_n(self, xi: np.ndarray) -> float:
        """Excess number of solvent molecules int (n - n0) d^3r (negative when the solute displaces)."""
        return float(self.grid.dv * np.sum(self.density(xi) - self.n0))
