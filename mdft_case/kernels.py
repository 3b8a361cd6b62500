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
    # one logarithm serves both x ln x (-> 0 at x = 0) and the gradient's ln x
    logx = np.zeros_like(x)
    np.log(x, out=logx, where=x > 0.0)
    energy = float(np.sum(w * (kt * (x * logx - x + 1.0) + x * vext)))
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


def angle_to_proj(drho: np.ndarray, ashape: tuple[int, int, int], fwd: np.ndarray, iphi: np.ndarray,
                  ipsi: np.ndarray, mix: np.ndarray | None) -> np.ndarray:
    """Angles -> projections: f^m_{mu' mu}(r) = (2m+1)/(8 pi^2/mrso) sum_Omega w Delta rho D^m_{mu' mu}.

    drho: (no, nx, ny, nz) float64 with no = ntheta*nphi*npsi = prod(ashape); fwd: (np, ntheta)
    quadrature x Wigner-d table; iphi, ipsi: (np,) int FFT bins of mu' and mu/mrso; mix: (np, np)
    lab<-standard frame matrix or None. Returns (np, nx, ny, nz) complex128.
    Real FFT over psi, complex FFT over phi, at every (theta, r); then a theta quadrature.
    """
    nt, nphi, npsi = ashape
    space = drho.shape[1:]
    x = drho.reshape(nt, nphi, npsi, -1)
    spec = sfft.fft(sfft.rfft(x, axis=2, workers=WORKERS), axis=1, workers=WORKERS)
    out = np.empty((fwd.shape[0], x.shape[-1]), complex)
    for (a, b), sel in _groups(iphi, ipsi).items():
        out[sel] = _real_matmul(fwd[sel], spec[:, a, b, :])
    if mix is not None:
        out = mix @ out
    return out.reshape((-1,) + space)


def proj_to_angle(proj: np.ndarray, ashape: tuple[int, int, int], bwd: np.ndarray, iphi: np.ndarray,
                  ipsi: np.ndarray, mix: np.ndarray | None) -> np.ndarray:
    """Projections -> angles: f(r, Omega) = sum_{m mu' mu} f^m_{mu' mu}(r) conj(D^m_{mu' mu}(Omega)).

    proj: (np, nx, ny, nz) complex (mu >= 0 only; the rest follows from f being real); bwd: (np,
    ntheta) Wigner-d table; iphi, ipsi, mix as in angle_to_proj. Returns (no, nx, ny, nz) float64.
    """
    nt, nphi, npsi = ashape
    space = proj.shape[1:]
    p = proj.reshape(proj.shape[0], -1)
    if mix is not None:
        p = mix.conj().T @ p
    spec = np.zeros((nt, nphi, npsi // 2 + 1, p.shape[-1]), complex)
    for (a, b), sel in _groups(iphi, ipsi).items():
        spec[:, a, b, :] = _real_matmul(bwd[sel].T, p[sel])
    x = sfft.irfft(sfft.ifft(spec, axis=1, workers=WORKERS), n=npsi, axis=2, workers=WORKERS)
    return (x * (nphi * npsi)).reshape((nt * nphi * npsi,) + space)


def _real_matmul(real: np.ndarray, cplx: np.ndarray) -> np.ndarray:
    """real (a, b) @ complex (b, n) through one real BLAS product on the interleaved (b, 2n) view."""
    view = np.ascontiguousarray(cplx).view(np.float64)
    return np.ascontiguousarray(real @ view).view(np.complex128)


def _groups(iphi: np.ndarray, ipsi: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
    """Projection indices grouped by their (phi, psi) FFT bin."""
    out: dict[tuple[int, int], list[int]] = {}
    for p, key in enumerate(zip(iphi.tolist(), ipsi.tolist())):
        out.setdefault(key, []).append(p)
    return {k: np.array(v) for k, v in out.items()}


def fft3_batched(proj: np.ndarray) -> np.ndarray:
    """Forward 3-D FFT of every projection: (np, nx, ny, nz) complex -> same (numpy sign, no scaling)."""
    return sfft.fftn(proj, axes=(1, 2, 3), workers=WORKERS)


def ifft3_batched(projk: np.ndarray) -> np.ndarray:
    """Inverse 3-D FFT of every projection (scaled by 1/N), (np, nx, ny, nz) complex."""
    return sfft.ifftn(projk, axes=(1, 2, 3), workers=WORKERS)


def kspace_contract(fk: np.ndarray, proj_m: np.ndarray, proj_mup: np.ndarray, proj_mu: np.ndarray,
                    mrso: int, dk: np.ndarray, phik: np.ndarray, entries: np.ndarray, cvals: np.ndarray,
                    wn: np.ndarray) -> np.ndarray:
    """gamma^m_{mu' mu}(k) from Delta rho^n_{nu' nu}(k) through the k-frame direct correlation function.

    fk: (np, nx, ny, nz) complex projections of Delta rho in k-space (mu >= 0); proj_m/mup/mu: (np,)
    their (m, mu', mu); dk: (mmax+1, 2mmax+1, 2mmax+1, nx, ny, nz) d^n_{nu' chi}(theta_k) (index
    [n, nu'+mmax, chi+mmax]); phik: (nx, ny, nz) azimuth of k; entries (ne, 5) = (m, n, mu, nu, chi)
    and cvals (ne, nx, ny, nz) the table on the grid; wn: (mmax+1,) = (8 pi^2/mrso)/(2n+1).
    Per k: complete nu < 0 from f(-k) (f real), rotate to the k-frame with conj(D^n(R_k)),
    contract g'^m_{chi mu} = sum c^{mn}_{mu nu chi} wn f'^n_{chi nu}, rotate back with D^m(R_k).
    """
    npj = fk.shape[0]
    space = fk.shape[1:]
    size = int(np.prod(space))
    mmax = int(proj_m.max())
    f = fk.reshape(npj, size)
    # f(-k): flip every axis, then roll by one so index 0 stays at 0.
    fneg = np.conj(np.roll(np.flip(fk, axis=(1, 2, 3)), 1, axis=(1, 2, 3))).reshape(npj, size)
    look = {(int(a), int(b), int(c)): p for p, (a, b, c) in enumerate(zip(proj_m, proj_mup, proj_mu))}
    d = dk.reshape(dk.shape[:3] + (size,))
    ph = np.exp(1j * np.arange(-mmax, mmax + 1)[:, None] * phik.reshape(1, size))
    fprime = []
    for n in range(mmax + 1):
        nus = [nu for nu in range(-n, n + 1) if nu % mrso == 0]
        acc = np.zeros((2 * n + 1, len(nus), size), complex)
        dn = d[n, mmax - n:mmax + n + 1, mmax - n:mmax + n + 1]
        for a, nup in enumerate(range(-n, n + 1)):
            row = np.empty((len(nus), size), complex)
            for b, nu in enumerate(nus):
                row[b] = f[look[(n, nup, nu)]] if nu >= 0 else (-1.0) ** (nup + nu) * fneg[look[(n, -nup, -nu)]]
            row *= ph[mmax + nup]
            acc += dn[a][:, None, :] * row[None, :, :]
        fprime.append((acc, {nu: b for b, nu in enumerate(nus)}))
    c = cvals.reshape(len(entries), size)
    gprime = [np.zeros((2 * m + 1, m // mrso + 1, size), complex) for m in range(mmax + 1)]
    for e, (m, n, mu, nu, chi) in enumerate(entries.tolist()):
        if mu < 0 or m > mmax or n > mmax:
            continue
        acc, pos = fprime[n]
        gprime[m][chi + m, mu // mrso] += (wn[n] * c[e]) * acc[chi + n, pos[nu]]
    out = np.empty_like(f)
    for m in range(mmax + 1):
        dm = d[m, mmax - m:mmax + m + 1, mmax - m:mmax + m + 1]
        for a, mup in enumerate(range(-m, m + 1)):
            back = np.einsum("ck,cbk->bk", dm[a], gprime[m]) * np.conj(ph[mmax + mup])
            for b in range(m // mrso + 1):
                out[look[(m, mup, b * mrso)]] = back[b]
    return out.reshape(fk.shape)
