"""Tables of the solvent's direct correlation function in the k-frame, c^{mn}_{mu nu chi}(|k|).

Convention (our own, derived in docs of kernels.kspace_contract): with the k-frame orientations
Omega' = R_k^-1 Omega (R_k = Rz(phi_k) Ry(theta_k)),
    c(k, Omega1, Omega2) = sum c^{mn}_{mu nu chi}(|k|) conj(D^m_{chi mu}(Omega1')) D^n_{chi nu}(Omega2'),
diagonal in chi because c is invariant under rotations about k. A real, exchange-symmetric
c(r, Omega1, Omega2) requires c^{mn}_{mu nu chi} = conj(c^{nm}_{nu mu chi}) and
c^{mn}_{mu nu chi} = (-1)^{m+n+mu+nu} conj(c^{mn}_{-mu,-nu,chi}); `symmetrise` projects onto both.

Every table here is computed, none is read from elsewhere:
- `scalar`: only c^{00}_{000} = c(k) of the LJ solvent (HNC, solvent_oz) — the Tier A kernel;
- `stockmayer`: LJ centre plus a point dipole mu along the body z axis, with the dipolar part of
  c in the weak-coupling (linearised MSA / RPA) form c_D(r) D(12) = beta mu^2 D(12) / r^3 for
  r > sigma (zero inside), whose transform has the closed form
  c_D(k) = -4 pi beta mu^2 j1(k sigma) / (k sigma). It is a model, not the full Wertheim MSA; it is
  stable for y = 4 pi beta mu^2 n0 / 9 < 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import spherical_jn

from .constants import COULOMB
from .solvent_oz import BulkSolution


@dataclass
class CTable:
    """Sparse k-frame table: entries[e] = (m, n, mu, nu, chi) with values[e, :] on the k grid `k` (Å^-1)."""

    k: np.ndarray
    entries: np.ndarray      # (ne, 5) int
    values: np.ndarray       # (ne, nk) complex, Å^3

    def on_grid(self, knorm: np.ndarray) -> np.ndarray:
        """Values at each |k| of a grid by linear interpolation, shape (ne, *knorm.shape)."""
        out = np.empty((len(self.entries),) + knorm.shape, complex)
        for e, row in enumerate(self.values):
            out[e] = np.interp(knorm, self.k, row.real) + 1j * np.interp(knorm, self.k, row.imag)
        return out

    def c000(self, k: np.ndarray) -> np.ndarray:
        """The isotropic part c^{00}_{000}(k) (what an orientation-blind solute sees)."""
        for e, (m, n, mu, nu, chi) in enumerate(self.entries):
            if m == n == mu == nu == chi == 0:
                return np.interp(k, self.k, self.values[e].real)
        return np.zeros_like(k)

    def mmax(self) -> int:
        return int(self.entries[:, :2].max()) if len(self.entries) else 0


def _kgrid(bulk: BulkSolution) -> np.ndarray:
    return np.concatenate(([0.0], bulk.grid.k))


def scalar(bulk: BulkSolution) -> CTable:
    """c^{00}_{000}(k) = the scalar LJ solvent's c(k); all other projections zero."""
    k = _kgrid(bulk)
    return CTable(k, np.array([[0, 0, 0, 0, 0]]), bulk.ck_at(k)[None].astype(complex))


def dipolar_ck(k: np.ndarray, beta_mu2: float, sigma: float) -> np.ndarray:
    """c_D(k) = -4 pi beta mu^2 j1(k sigma)/(k sigma) (Å^3), the transform of beta mu^2 D(12)/r^3, r > sigma."""
    x = k * sigma
    ratio = np.where(x > 1e-8, spherical_jn(1, np.maximum(x, 1e-8)) / np.maximum(x, 1e-8), 1.0 / 3.0)
    return -4.0 * np.pi * beta_mu2 * ratio


def stockmayer(bulk: BulkSolution, dipole: float, sigma: float) -> CTable:
    """LJ centre + point dipole (e Å) along body z: c^{00}_{000} = c_LJ, c^{11}_{00chi} = c_D (3 delta_chi0 - 1)."""
    k = _kgrid(bulk)
    cd = dipolar_ck(k, COULOMB * dipole * dipole / bulk.kt, sigma)
    entries = np.array([[0, 0, 0, 0, 0], [1, 1, 0, 0, -1], [1, 1, 0, 0, 0], [1, 1, 0, 0, 1]])
    values = np.stack([bulk.ck_at(k), -cd, 2.0 * cd, -cd]).astype(complex)
    return CTable(k, entries, values)


def coupling_y(dipole: float, density: float, kt: float) -> float:
    """Dipolar coupling y = 4 pi beta mu^2 n0 / 9 (the linearised model needs y < 1)."""
    return 4.0 * np.pi * COULOMB * dipole * dipole / kt * density / 9.0


def symmetrise(entries: np.ndarray, values: np.ndarray, mrso: int) -> tuple[np.ndarray, np.ndarray]:
    """Project an arbitrary table onto the real, exchange-symmetric tables (used for random tests)."""
    index = {tuple(e): i for i, e in enumerate(entries.tolist())}
    keys = set(index)
    for m, n, mu, nu, chi in list(keys):
        keys |= {(n, m, nu, mu, chi), (m, n, -mu, -nu, chi), (n, m, -nu, -mu, chi)}
    keys = sorted(k for k in keys if k[2] % mrso == 0 and k[3] % mrso == 0)
    full = np.zeros((len(keys), values.shape[1]), complex)
    for i, key in enumerate(keys):
        if key in index:
            full[i] = values[index[key]]
    pos = {k: i for i, k in enumerate(keys)}
    out = np.zeros_like(full)
    for i, (m, n, mu, nu, chi) in enumerate(keys):
        a = full[i]
        b = np.conj(full[pos[(n, m, nu, mu, chi)]])
        s = (-1.0) ** (m + n + mu + nu)
        c = s * np.conj(full[pos[(m, n, -mu, -nu, chi)]])
        d = s * full[pos[(n, m, -nu, -mu, chi)]]
        out[i] = 0.25 * (a + b + c + d)
    return np.array(keys, int), out


def dense_entries(mmax: int, mrso: int) -> list[tuple[int, int, int, int, int]]:
    """Every (m, n, mu, nu, chi) a k-frame table can hold at `mmax`: |mu| <= m, |nu| <= n, |chi| <= min(m, n),
    mu and nu multiples of mrso (252 at mmax 3, mrso 2)."""
    return [(m, n, mu, nu, chi) for m in range(mmax + 1) for n in range(mmax + 1)
            for mu in range(-m, m + 1) if mu % mrso == 0 for nu in range(-n, n + 1) if nu % mrso == 0
            for chi in range(-min(m, n), min(m, n) + 1)]


def dense(bulk: BulkSolution, dipole: float, sigma: float, mmax: int, mrso: int, strength: float = 0.1,
          seed: int = 13) -> CTable:
    """The stockmayer table plus every other coefficient allowed at `mmax`, with MDFT's symmetries.

    A benchmark table, not a solvent model: each extra c^{mn}_{mu nu chi}(k) is a fixed pseudo-random
    complex amplitude (|re|, |im| <= `strength`) times the dipolar c_D(k) (so it has a real kernel's
    range and decay), projected onto the real, exchange-symmetric tables (`symmetrise`). Only mu >= 0
    is stored, as the contraction uses (the rest follows from the field being real): 178 entries at
    mmax 3, mrso 2, the size of MDFT's water table, so the k-space contraction costs what it costs
    with a real molecular solvent.
    """
    base = stockmayer(bulk, dipole, sigma)
    keys = dense_entries(mmax, mrso)
    rng = np.random.default_rng(seed)
    amp = strength * (rng.uniform(-1.0, 1.0, len(keys)) + 1j * rng.uniform(-1.0, 1.0, len(keys)))
    cd = dipolar_ck(base.k, COULOMB * dipole * dipole / bulk.kt, sigma)
    values = amp[:, None] * cd[None, :]
    pos = {key: i for i, key in enumerate(keys)}
    for e, row in enumerate(base.entries.tolist()):
        values[pos[tuple(row)]] += base.values[e]
    entries, values = symmetrise(np.array(keys), values, mrso)
    keep = entries[:, 2] >= 0
    return CTable(base.k, entries[keep], values[keep])
