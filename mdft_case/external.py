"""External potential of the solute on the solvent: site–site Lennard-Jones and Coulomb by FFT."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import COULOMB
from .grid import Grid
from .solvent_oz import lj, mix


@dataclass(frozen=True)
class Site:
    """One interaction site: charge (e), LJ sigma (Å), epsilon (kJ/mol), position (Å)."""

    charge: float
    sigma: float
    epsilon: float
    position: tuple[float, float, float]


def lj_on_points(points: np.ndarray, grid: Grid, solute: list[Site], sigma: float, epsilon: float,
                 cutoff: float) -> np.ndarray:
    """LJ energy of a solvent site (sigma, epsilon) at `points` (3, ...) from every solute atom.

    Sums the periodic images of each atom closer than `cutoff` (Å, at most the shortest box
    length, so the 27 nearest images hold them all): the same spherically truncated pair
    potential the 1-D reference uses, whatever the box shape.
    """
    if cutoff > min(grid.box) + 1e-9:
        raise ValueError(f"LJ cutoff {cutoff} Å exceeds the shortest box length {min(grid.box)} Å")
    box = np.asarray(grid.box, float).reshape((3,) + (1,) * (points.ndim - 1))
    total = np.zeros(points.shape[1:])
    for atom in solute:
        if atom.epsilon == 0.0 or sigma == 0.0 or epsilon == 0.0:
            continue
        s, e = mix(atom.sigma, atom.epsilon, sigma, epsilon)
        pos = (grid.centre + np.asarray(atom.position, float)).reshape(box.shape)
        d0 = points - pos
        d0 -= box * np.round(d0 / box)
        for image in np.ndindex(3, 3, 3):
            shift = (np.asarray(image, float) - 1.0).reshape(box.shape) * box
            r = np.sqrt(np.sum((d0 + shift) ** 2, axis=0))
            inside = r < cutoff
            if inside.any():
                total[inside] += lj(r[inside], s, e)
    return total


def electrostatic_potential(grid: Grid, solute: list[Site], smearing: float | None = None) -> np.ndarray:
    """Potential phi(r) (kJ/mol/e) of the solute charges: cloud-in-cell charges, Poisson by FFT.

    The charges are spread on the 8 nearest nodes and their k-space density is smoothed by a
    Gaussian of width `smearing` (default: one grid spacing) so the potential stays finite at the
    nodes next to a charge; the k = 0 term is dropped (neutralising background).
    """
    q = np.zeros(grid.shape)
    h = grid.spacing
    for atom in solute:
        if atom.charge == 0.0:
            continue
        x = (grid.centre + np.asarray(atom.position, float)) / h
        i0 = np.floor(x).astype(int)
        f = x - i0
        for corner in np.ndindex(2, 2, 2):
            wgt = np.prod([f[d] if corner[d] else 1.0 - f[d] for d in range(3)])
            idx = tuple((i0[d] + corner[d]) % grid.shape[d] for d in range(3))
            q[idx] += atom.charge * wgt
    if not q.any():
        return np.zeros(grid.shape)
    k2 = grid.knorm(half=True) ** 2
    width = float(np.max(h)) if smearing is None else smearing
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.where(k2 > 0, 4.0 * np.pi * COULOMB / k2 * np.exp(-0.5 * k2 * width * width), 0.0)
    qk = np.fft.rfftn(q / grid.dv)
    return np.fft.irfftn(qk * green, s=grid.shape, axes=(0, 1, 2))


def interpolate_periodic(field: np.ndarray, grid: Grid, points: np.ndarray) -> np.ndarray:
    """Trilinear interpolation of a periodic grid field at `points` (3, ...) in Å."""
    h = grid.spacing.reshape((3,) + (1,) * (points.ndim - 1))
    x = points / h
    i0 = np.floor(x).astype(np.int64)
    f = x - i0
    out = np.zeros(points.shape[1:])
    for corner in np.ndindex(2, 2, 2):
        wgt = np.ones(points.shape[1:])
        idx = []
        for d in range(3):
            wgt = wgt * (f[d] if corner[d] else 1.0 - f[d])
            idx.append((i0[d] + corner[d]) % grid.shape[d])
        out += wgt * field[idx[0], idx[1], idx[2]]
    return out


def cap(v: np.ndarray, vmax: float) -> np.ndarray:
    """Clamp V_ext to vmax (kJ/mol): inside a solute core exp(-beta V) underflows anyway."""
    return np.minimum(np.nan_to_num(v, nan=vmax, posinf=vmax), vmax)


def grid_points(grid: Grid) -> np.ndarray:
    """Node coordinates, shape (3, nx, ny, nz)."""
    return np.stack(np.meshgrid(*grid.axes(), indexing="ij"))


def scalar_vext(grid: Grid, solute: list[Site], sigma: float, epsilon: float, vmax: float,
                cutoff: float) -> np.ndarray:
    """V_ext(r) of a one-site LJ solvent particle (no charge), shape = grid.shape."""
    return cap(lj_on_points(grid_points(grid), grid, solute, sigma, epsilon, cutoff), vmax)
