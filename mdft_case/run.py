"""One MDFT calculation from a Config: bulk solvent, grid, functional, minimisation, observables."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from . import external
from .config import Config
from .constants import kt as kt_of
from .functional_scalar import ScalarFunctional
from .grid import Grid
from .minimise import MinimiseResult, lbfgs
from .solvent_oz import BulkSolution, bulk_solvent


@dataclass
class RunResult:
    """Observables of one minimisation."""

    free_energy: float    # kJ/mol, F_min
    pc: float             # kJ/mol, pressure-corrected
    pc_plus: float        # kJ/mol
    delta_n: float        # excess number of solvent molecules int (n - n0) (negative: displaced)
    pressure: float       # kJ/mol/Å^3, P_HNC of the bulk functional
    evaluations: int
    iterations: int
    converged: bool
    seconds: float
    rdf_r: np.ndarray
    rdf_g: np.ndarray
    density: np.ndarray   # n(r)/n0 on the grid (orientation-integrated)

    def summary(self) -> dict:
        """The JSON-able scalars."""
        return {"free_energy": self.free_energy, "pc": self.pc, "pc_plus": self.pc_plus,
                "delta_n": self.delta_n, "pressure_hnc": self.pressure, "evaluations": self.evaluations,
                "iterations": self.iterations, "converged": self.converged, "seconds": self.seconds}


def pressure_corrections(f_min: float, delta_n: float, pressure: float, density: float,
                         kt: float) -> tuple[float, float]:
    """PC and PC+ (Sergiievskyi et al. 2014/2015) with the partial molar volume V = -delta_n / n0.

    PC = F_min - P_HNC V and PC+ = PC + n0 kT V, delta_n the excess solvent number.
    """
    volume = -delta_n / density
    pc = f_min - pressure * volume
    return pc, pc + density * kt * volume


def radial_profile(grid: Grid, field: np.ndarray, centre: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Spherical average of a grid field in shells of `width` Å around `centre` (minimum image)."""
    d = grid.min_image(centre)
    r = np.sqrt(np.sum(d * d, axis=0)).ravel()
    bins = np.floor(r / width).astype(int)
    rmax = 0.5 * min(grid.box)
    keep = r < rmax
    counts = np.bincount(bins[keep])
    sums = np.bincount(bins[keep], weights=field.ravel()[keep])
    have = counts > 0
    centres = (np.arange(len(counts)) + 0.5) * width
    return centres[have], sums[have] / counts[have]


def build_scalar(cfg: Config) -> tuple[ScalarFunctional, BulkSolution]:
    """Tier A functional for a configuration with a scalar LJ solvent."""
    sv = cfg.solvent
    bulk = bulk_solvent(sv.sigma, sv.epsilon, sv.density, cfg.temperature)
    grid = Grid(cfg.box, cfg.nodes)
    kt = kt_of(cfg.temperature)
    vext = external.scalar_vext(grid, list(cfg.solute), sv.sigma, sv.epsilon, cfg.vmax_kt * kt, cfg.cutoff)
    return ScalarFunctional(grid, vext, bulk.ck_at(grid.knorm(half=True)), sv.density, kt), bulk


def run(cfg: Config, progress: TextIO | None = sys.stderr, backend: str = "numpy") -> RunResult:
    """Minimise the functional of `cfg` with the hot kernels of `backend` and return the observables."""
    t0 = time.perf_counter()
    if cfg.mmax == 0:
        func, bulk = build_scalar(cfg)
    else:
        from .functional_orient import build_orient
        func, bulk = build_orient(cfg)
    evaluate, counter = func.evaluate, func
    if backend != "numpy":
        from .backends import BACKENDS, problem_of
        from .config import ConfigError
        if backend not in BACKENDS:
            raise ConfigError(f"unknown backend {backend!r}", hint=f"use one of {', '.join(BACKENDS)}")
        why = BACKENDS[backend].unavailable()
        if why:
            raise ConfigError(f"backend {backend} cannot run here: {why}", hint="use --backend numpy, jax or torch")
        counter = BACKENDS[backend].evaluator(problem_of(func))
        evaluate = counter.evaluate
    res: MinimiseResult = lbfgs(evaluate, func.initial_xi(), ftol=cfg.ftol, gtol=cfg.gtol,
                                max_iter=cfg.max_iter, progress=progress)
    n0, kt = cfg.solvent.density, kt_of(cfg.temperature)
    dn = func.delta_n(res.xi)
    pressure = bulk.pressure_hnc()
    pc, pcp = pressure_corrections(res.energy, dn, pressure, n0, kt)
    nrel = func.density(res.xi) / n0
    grid = func.grid
    centre = grid.centre + np.asarray(cfg.solute[0].position, float)
    rr, gg = radial_profile(grid, nrel, centre, 0.5 * float(np.min(grid.spacing)))
    return RunResult(res.energy, pc, pcp, dn, pressure, counter.evaluations, res.iterations, res.converged,
                     time.perf_counter() - t0, rr, gg, nrel)
