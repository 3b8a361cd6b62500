"""The hot kernels of one F + dF/dxi evaluation, as plain-array functions a backend can replace.

Every kernel takes and returns NumPy arrays only (plus Python scalars); none keeps state. Array
layout: an orientational field has shape (no, nx, ny, nz) (C order), no = number of orientations
(1 for the scalar Tier A solvent); projections have shape (np, nx, ny, nz), complex128.
The NumPy versions are the reference: vectorised over grid points, with Python loops only over
small angular index sets.
"""
from __future__ import annotations

import numpy as np
from scipy import fft as sfft
from scipy.special import xlogy

# FFT worker threads for the batched transforms (the reference machine has 2 cores).
WORKERS = 2


def delta_rho(xi: np.ndarray, rho0: float) -> np.ndarray:
    """Delta rho = rho0 (xi^2 - 1); xi (no, nx, ny, nz) float64 -> same shape."""
    return rho0 * (xi * xi - 1.0)


def ideal_ext(xi: np.ndarray, vext: np.ndarray, weights: np.ndarray, rho0: float, kt: float,
              dv: float) -> tuple[float, np.ndarray]:
    """F_id + F_ext and its xi-gradient.

    xi, vext: (no, nx, ny, nz) float64; weights: (no,) angular quadrature weights (sum 8 pi^2/mrso,
    or [1] for a scalar solvent); rho0 (Å^-3 per unit orientation measure), kt (kJ/mol), dv (Å^3).
    Returns (energy kJ/mol, gradient (no, nx, ny, nz)):
      F = dv sum_o w_o sum_r rho0 [kT (x ln x - x + 1) + x V],  x = xi^2
      dF/dxi = dv w_o rho0 2 xi [kT ln x + V]
    """
    x = xi * xi
    w = weights.reshape((-1,) + (1,) * (xi.ndim - 1)) * (dv * rho0)
    dens = kt * (xlogy(x, x) - x + 1.0) + x * vext
    energy = float(np.sum(w * dens))
    with np.errstate(divide="ignore"):
        logx = np.where(x > 0.0, np.log(np.where(x > 0.0, x, 1.0)), 0.0)
    grad = w * 2.0 * xi * (kt * logx + vext)
    return energy, grad


def scalar_convolve(drho: np.ndarray, ck: np.ndarray) -> np.ndarray:
    """gamma = c * Delta rho by real FFT; drho (nx, ny, nz), ck the rfftn-grid table of c(|k|) (Å^3)."""
    shape = drho.shape
    return sfft.irfftn(sfft.rfftn(drho, workers=WORKERS) * ck, s=shape, workers=WORKERS)


def excess(xi: np.ndarray, drho: np.ndarray, gamma: np.ndarray, weights: np.ndarray, rho0: float,
           kt: float, dv: float) -> tuple[float, np.ndarray]:
    """F_exc = -(kT/2) int Delta rho gamma and its xi-gradient -kT gamma 2 rho0 xi (dv w_o).

    xi, drho, gamma: (no, nx, ny, nz) float64; weights (no,). Returns (energy, gradient).
    """
    w = weights.reshape((-1,) + (1,) * (xi.ndim - 1)) * dv
    energy = -0.5 * kt * float(np.sum(w * drho * gamma))
    grad = (-2.0 * kt * rho0) * w * gamma * xi
    return energy, grad
