"""Tier B: the HNC functional of a molecular solvent rho(r, Omega) with the projection-based excess term."""
from __future__ import annotations

import numpy as np

from . import external, kernels
from .angular import AngularGrid
from .ctable import CTable, coupling_y, dense, scalar, stockmayer
from .grid import Grid
from .solvent_oz import BulkSolution, bulk_solvent
from .wigner import kframe_angles, wigner_small_d


def site_vext(grid: Grid, ang: AngularGrid, solute: list[external.Site], sites: list[external.Site],
              vmax: float, cutoff: float) -> np.ndarray:
    """V_ext(r, Omega) = sum over solvent sites s of [LJ + q_s phi](r + R(Omega) s), shape (no, nx, ny, nz).

    LJ is evaluated exactly at every displaced site (periodic images within `cutoff`); a site at
    the body origin is computed once. Coulomb: the solute's potential phi from a Poisson solve by
    FFT, trilinearly interpolated at the displaced site.
    """
    pts = external.grid_points(grid)
    rots = ang.rotations()
    v = np.zeros((ang.no,) + grid.shape)
    charged = any(s.charge for s in sites) and any(a.charge for a in solute)
    phi = external.electrostatic_potential(grid, solute) if charged else None
    for site in sites:
        body = np.asarray(site.position, float)
        if not body.any():
            if site.epsilon:
                v += external.lj_on_points(pts, grid, solute, site.sigma, site.epsilon, cutoff)[None]
            if phi is not None and site.charge:
                v += site.charge * phi[None]
            continue
        for o in range(ang.no):
            where = pts + (rots[o] @ body).reshape(3, 1, 1, 1)
            if site.epsilon:
                v[o] += external.lj_on_points(where, grid, solute, site.sigma, site.epsilon, cutoff)
            if phi is not None and site.charge:
                v[o] += site.charge * external.interpolate_periodic(phi, grid, where)
    return external.cap(v, vmax)


def regularise_kernel(entries: np.ndarray, cvals: np.ndarray) -> np.ndarray:
    """Keep only c^{00}_{000} on the Nyquist planes of even-sized axes, and only the isotropic part at k = 0.

    A Nyquist-plane point stands for two wave vectors that differ in the sign of one component
    (numpy labels both -k_N), so a kernel that depends on k-hat cannot be evaluated consistently
    there and would make gamma complex and the operator non-symmetric. Its isotropic part is
    unambiguous and is kept (so Tier B with only c^{000} still equals Tier A); the rest is zeroed
    there. A no-op for odd grid sizes.
    """
    shape = cvals.shape[1:]
    nyq = np.zeros(shape, bool)
    for axis, n in enumerate(shape):
        if n % 2 == 0:
            index = [slice(None)] * 3
            index[axis] = n // 2
            nyq[tuple(index)] = True
    out = cvals.copy()
    for e, row in enumerate(entries.tolist()):
        if any(row):
            out[e][nyq] = 0.0
    # k = 0 has no k-frame: keep the rotation-invariant (chi-averaged, m = n) part there, which
    # for a dipolar kernel is zero (the tin-foil / conducting-boundary choice of Ewald sums).
    mean: dict[tuple[int, int, int], complex] = {}
    for e, (m, n, mu, nu, chi) in enumerate(entries.tolist()):
        if m == n:
            mean[(m, mu, nu)] = mean.get((m, mu, nu), 0.0) + cvals[e][0, 0, 0] / (2 * m + 1)
    for e, (m, n, mu, nu, chi) in enumerate(entries.tolist()):
        out[e][0, 0, 0] = mean[(m, mu, nu)] if m == n else 0.0
    return out


def stockmayer_sites(sigma: float, epsilon: float, dipole: float, length: float) -> list[external.Site]:
    """LJ centre at the origin plus charges +-dipole/length at +-length/2 on the body z axis."""
    q = dipole / length
    return [external.Site(0.0, sigma, epsilon, (0.0, 0.0, 0.0)),
            external.Site(q, 0.0, 0.0, (0.0, 0.0, 0.5 * length)),
            external.Site(-q, 0.0, 0.0, (0.0, 0.0, -0.5 * length))]


class OrientFunctional:
    """F[xi] for rho(r, Omega) = rho0 xi^2, rho0 = n0 mrso / (8 pi^2), on grid x angular grid."""

    def __init__(self, grid: Grid, ang: AngularGrid, vext: np.ndarray, table: CTable, density: float, kt: float):
        if vext.shape != (ang.no,) + grid.shape:
            raise ValueError(f"vext shape {vext.shape} != {(ang.no,) + grid.shape}")
        if table.mmax() > ang.mmax:
            raise ValueError(f"c table needs mmax >= {table.mmax()}, angular grid has {ang.mmax}")
        self.grid, self.ang, self.vext, self.n0, self.kt = grid, ang, vext, density, kt
        self.rho0 = density / ang.total_weight
        self.weights = ang.weights()
        t = ang.transform_tables()
        self.fwd, self.bwd, self.iphi, self.ipsi = t["fwd"], t["bwd"], t["iphi"], t["ipsi"]
        self.mix = None if ang.frame is None else t["mix"]
        kx, ky, kz = grid.kvectors
        self.phik, thetak = kframe_angles(kx, ky, kz)
        mm = ang.mmax
        d = wigner_small_d(mm, thetak)
        self.dk = np.zeros((mm + 1, 2 * mm + 1, 2 * mm + 1) + grid.shape)
        for n, dn in enumerate(d):
            self.dk[n, mm - n:mm + n + 1, mm - n:mm + n + 1] = dn
        self.entries = table.entries
        self.cvals = regularise_kernel(table.entries, table.on_grid(grid.knorm()))
        self.wn = ang.total_weight / (2.0 * np.arange(mm + 1) + 1.0)
        self.evaluations = 0

    def initial_xi(self) -> np.ndarray:
        """xi = exp(-beta V_ext / 2), the low-density limit."""
        return np.exp(-0.5 * self.vext / self.kt)

    def gamma(self, drho: np.ndarray) -> np.ndarray:
        """gamma(r, Omega) = int c(1,2) Delta rho(2): angles -> projections -> k-frame -> back."""
        a = self.ang
        proj = kernels.angle_to_proj(drho, a.shape, self.fwd, self.iphi, self.ipsi, self.mix)
        projk = kernels.fft3_batched(proj)
        gk = kernels.kspace_contract(projk, a.proj_m, a.proj_mup, a.proj_mu, a.mrso, self.dk, self.phik,
                                     self.entries, self.cvals, self.wn)
        return kernels.proj_to_angle(kernels.ifft3_batched(gk), a.shape, self.bwd, self.iphi, self.ipsi, self.mix)

    def evaluate(self, xi: np.ndarray) -> tuple[float, np.ndarray]:
        """(F in kJ/mol, dF/dxi) at xi of shape (no, nx, ny, nz)."""
        self.evaluations += 1
        dv = self.grid.dv
        f_ie, g_ie = kernels.ideal_ext(xi, self.vext, self.weights, self.rho0, self.kt, dv)
        drho = kernels.delta_rho(xi, self.rho0)
        f_ex, g_ex = kernels.excess(xi, drho, self.gamma(drho), self.weights, self.rho0, self.kt, dv)
        return f_ie + f_ex, g_ie + g_ex

    def density(self, xi: np.ndarray) -> np.ndarray:
        """Orientation-integrated number density n(r) = sum_Omega w rho0 xi^2 (Å^-3)."""
        return self.rho0 * np.tensordot(self.weights, xi * xi, axes=(0, 0))

    def delta_n(self, xi: np.ndarray) -> float:
        """Excess number of solvent molecules int (n - n0) d^3r."""
        return float(self.grid.dv * np.sum(self.density(xi) - self.n0))


def build_orient(cfg, frame: np.ndarray | None = None) -> tuple[OrientFunctional, BulkSolution]:
    """Tier B functional for a configuration with mmax >= 1 (stockmayer solvent)."""
    from .constants import kt as kt_of

    sv = cfg.solvent
    kt = kt_of(cfg.temperature)
    bulk = bulk_solvent(sv.sigma, sv.epsilon, sv.density, cfg.temperature)
    if sv.model == "stockmayer":
        y = coupling_y(sv.dipole, sv.density, kt)
        if y >= 1.0:
            from .config import ConfigError
            raise ConfigError(f"{cfg.source}: dipolar coupling y = {y:.2f} >= 1 makes the linearised "
                              "dipolar c(k) unstable", hint="lower `dipole` or `density`")
        table = (dense(bulk, sv.dipole, sv.sigma, cfg.mmax, sv.mrso) if sv.ctable == "dense"
                 else stockmayer(bulk, sv.dipole, sv.sigma))
        sites = stockmayer_sites(sv.sigma, sv.epsilon, sv.dipole, sv.dipole_length)
    else:
        table = scalar(bulk)
        sites = [external.Site(0.0, sv.sigma, sv.epsilon, (0.0, 0.0, 0.0))]
    grid = Grid(cfg.box, cfg.nodes)
    ang = AngularGrid(cfg.mmax, sv.mrso, frame)
    vext = site_vext(grid, ang, list(cfg.solute), sites, cfg.vmax_kt * kt, cfg.cutoff)
    return OrientFunctional(grid, ang, vext, table, sv.density, kt), bulk
