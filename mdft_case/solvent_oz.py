"""1-D Ornstein–Zernike + HNC solutions: the bulk LJ solvent and one solute at infinite dilution.

Radial functions live on r_i = i dr (i = 1..n-1); their 3-D Fourier transforms on
k_j = j pi / (n dr), through a type-I discrete sine transform (the exact sine series of a
function that vanishes at r = 0 and r = n dr). This module is the independent 1-D reference the
3-D functional is checked against, and the source of the solvent's c(k).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.fft import dst

from .constants import kt as kt_of


def lj(r: np.ndarray, sigma: float, epsilon: float, cutoff: float = np.inf) -> np.ndarray:
    """Lennard-Jones pair energy 4 eps [(s/r)^12 - (s/r)^6] (kJ/mol) at r (Å), zero beyond `cutoff`."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        s6 = (sigma / r) ** 6
        u = 4.0 * epsilon * (s6 * s6 - s6)
    u = np.where(np.isnan(u), np.inf, u)
    return np.where(r < cutoff, u, 0.0)


def mix(sigma_a: float, eps_a: float, sigma_b: float, eps_b: float) -> tuple[float, float]:
    """Lorentz–Berthelot mixing rule: arithmetic sigma, geometric epsilon."""
    return 0.5 * (sigma_a + sigma_b), float(np.sqrt(eps_a * eps_b))


@dataclass(frozen=True)
class RadialGrid:
    """The paired r and k grids of a type-I sine transform with n intervals of width dr (Å)."""

    n: int
    dr: float

    @property
    def r(self) -> np.ndarray:
        return self.dr * np.arange(1, self.n)

    @property
    def dk(self) -> float:
        return np.pi / (self.n * self.dr)

    @property
    def k(self) -> np.ndarray:
        return self.dk * np.arange(1, self.n)

    def forward(self, f: np.ndarray) -> np.ndarray:
        """3-D Fourier transform of a radial function: 4 pi / k int r f(r) sin(kr) dr."""
        return 2.0 * np.pi * self.dr / self.k * dst(self.r * f, type=1)

    def inverse(self, fk: np.ndarray) -> np.ndarray:
        """Inverse 3-D Fourier transform: 1 / (2 pi^2 r) int k f(k) sin(kr) dk."""
        return self.dk / (4.0 * np.pi ** 2 * self.r) * dst(self.k * fk, type=1)


@dataclass(frozen=True)
class BulkSolution:
    """Bulk HNC solution of a one-component fluid: h(r), c(r), c(k) on `grid`."""

    grid: RadialGrid
    density: float       # n0, Å^-3
    temperature: float   # K
    h: np.ndarray
    c: np.ndarray
    ck: np.ndarray
    iterations: int

    @property
    def kt(self) -> float:
        return kt_of(self.temperature)

    def g(self) -> np.ndarray:
        """Radial distribution function g(r) = 1 + h(r)."""
        return 1.0 + self.h

    def ck_at(self, k: np.ndarray) -> np.ndarray:
        """c(k) (Å^3) at arbitrary |k| by linear interpolation; c(0) from the r-space integral."""
        k0 = np.concatenate(([0.0], self.grid.k))
        c0 = 4.0 * np.pi * self.grid.dr * np.sum(self.grid.r ** 2 * self.c)
        table = np.concatenate(([c0], self.ck))
        return np.interp(k, k0, table, right=0.0)

    def c_k0(self) -> float:
        """c(k = 0) = 4 pi int r^2 c(r) dr (Å^3)."""
        return float(4.0 * np.pi * self.grid.dr * np.sum(self.grid.r ** 2 * self.c))

    def pressure_hnc(self) -> float:
        """Bulk pressure of the quadratic (HNC) functional, n0 kT (1 - n0 c(0)/2), kJ/mol/Å^3."""
        return self.density * self.kt * (1.0 - 0.5 * self.density * self.c_k0())


def _picard(step, gamma0: np.ndarray, mixing: float, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Damped Picard iteration gamma <- (1-a) gamma + a step(gamma), with Ng's 2-vector acceleration."""
    gamma = gamma0
    hist_in: list[np.ndarray] = []
    hist_out: list[np.ndarray] = []
    for it in range(1, max_iter + 1):
        out = step(gamma)
        err = float(np.max(np.abs(out - gamma)))
        if not np.isfinite(err):
            raise FloatingPointError("OZ/HNC iteration diverged; lower the density or raise T")
        if err < tol:
            return out, it
        hist_in.append(gamma)
        hist_out.append(out)
        if len(hist_in) > 3:
            hist_in.pop(0)
            hist_out.pop(0)
        if len(hist_in) == 3 and it > 20:
            gamma = _ng(hist_in, hist_out)
        else:
            gamma = (1.0 - mixing) * gamma + mixing * out
    raise FloatingPointError(f"OZ/HNC did not converge in {max_iter} iterations (residual {err:.2e})")


def _ng(g_in: list[np.ndarray], g_out: list[np.ndarray]) -> np.ndarray:
    """Ng's (J. Chem. Phys. 61, 2680 (1974)) extrapolation from the last three Picard steps."""
    d = [o - i for i, o in zip(g_in, g_out)]
    d0, d1, d2 = d[2], d[2] - d[1], d[2] - d[0]
    a = np.array([[d1 @ d1, d1 @ d2], [d1 @ d2, d2 @ d2]])
    b = np.array([d0 @ d1, d0 @ d2])
    try:
        c1, c2 = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return g_out[2]
    return (1 - c1 - c2) * g_out[2] + c1 * g_out[1] + c2 * g_out[0]


def solve_bulk(sigma: float, epsilon: float, density: float, temperature: float, cutoff: float = np.inf,
               n: int = 8192, dr: float = 0.01, tol: float = 1e-11, max_iter: int = 20000) -> BulkSolution:
    """Bulk LJ fluid (pair potential cut at `cutoff` Å) by OZ + HNC: c = exp(-beta u + gamma) - 1 - gamma."""
    grid = RadialGrid(n, dr)
    beta_u = lj(grid.r, sigma, epsilon, cutoff) / kt_of(temperature)
    mayer = np.exp(-beta_u)

    def step(gamma: np.ndarray) -> np.ndarray:
        c = mayer * np.exp(gamma) - 1.0 - gamma
        ck = grid.forward(c)
        return grid.inverse(density * ck * ck / (1.0 - density * ck))

    gamma, its = _picard(step, np.zeros_like(grid.r), 0.3, tol, max_iter)
    h = mayer * np.exp(gamma) - 1.0
    c = h - gamma
    return BulkSolution(grid, density, temperature, h, c, grid.forward(c), its)


@dataclass(frozen=True)
class SoluteSolution:
    """Solute–solvent HNC solution at infinite dilution: h_s(r), c_s(r) and the free energy."""

    grid: RadialGrid
    h: np.ndarray
    c: np.ndarray
    mu_ex: float       # kJ/mol, Singer–Chandler closed form
    delta_n: float     # n0 int h_s dr, the excess number of solvent molecules
    iterations: int


def hnc_mu_ex(grid: RadialGrid, h: np.ndarray, c: np.ndarray, density: float, kt: float) -> float:
    """Closed-form HNC excess chemical potential kT n0 int [h^2/2 - c - h c/2] d^3r (kJ/mol)."""
    integrand = 0.5 * h * h - c - 0.5 * h * c
    return float(kt * density * 4.0 * np.pi * grid.dr * np.sum(grid.r ** 2 * integrand))


def solve_solute(bulk: BulkSolution, pair_energy: np.ndarray, tol: float = 1e-11,
                 max_iter: int = 20000) -> SoluteSolution:
    """Solute–solvent OZ + HNC: h_s = c_s + n0 c_s * h, h_s = exp(-beta u_s + h_s - c_s) - 1.

    `pair_energy` is the solute–solvent pair energy u_s(r) (kJ/mol) on bulk.grid.r.
    """
    grid, n0 = bulk.grid, bulk.density
    mayer = np.exp(-pair_energy / bulk.kt)
    hk = bulk.grid.forward(bulk.h)

    def step(gamma: np.ndarray) -> np.ndarray:
        c = mayer * np.exp(gamma) - 1.0 - gamma
        return grid.inverse(n0 * grid.forward(c) * hk)

    gamma, its = _picard(step, np.zeros_like(grid.r), 0.5, tol, max_iter)
    h = mayer * np.exp(gamma) - 1.0
    c = h - gamma
    dn = float(n0 * 4.0 * np.pi * grid.dr * np.sum(grid.r ** 2 * h))
    return SoluteSolution(grid, h, c, hnc_mu_ex(grid, h, c, n0, bulk.kt), dn, its)


@lru_cache(maxsize=16)
def bulk_solvent(sigma: float, epsilon: float, density: float, temperature: float) -> BulkSolution:
    """The bulk LJ solvent's HNC solution (cached: every run of a sweep shares it)."""
    return solve_bulk(sigma, epsilon, density, temperature)
