"""Independent slow references the validation compares the fast code against.

Nothing here calls the recursion, transforms or contraction being checked: Wigner d comes from
Wigner's explicit factorial sum, D(R) from the Euler angles of the composed matrix, and the
angular convolution is done orientation pair by orientation pair.
"""
from __future__ import annotations

from math import factorial

import numpy as np

from .wigner import euler_from_matrix, euler_matrix


def wigner_d_explicit(j: int, mp: int, m: int, beta: np.ndarray) -> np.ndarray:
    """d^j_{m'm}(beta) from Wigner's formula (sum over s of signed factorial ratios)."""
    beta = np.asarray(beta, float)
    c, s = np.cos(0.5 * beta), np.sin(0.5 * beta)
    pref = np.sqrt(float(factorial(j + mp) * factorial(j - mp) * factorial(j + m) * factorial(j - m)))
    total = np.zeros_like(beta)
    for k in range(max(0, m - mp), min(j + m, j - mp) + 1):
        den = factorial(j + m - k) * factorial(k) * factorial(mp - m + k) * factorial(j - mp - k)
        total += (-1.0) ** (mp - m + k) / den * c ** (2 * j + m - mp - 2 * k) * s ** (mp - m + 2 * k)
    return pref * total


def wigner_big_d_explicit(j: int, mp: int, m: int, alpha, beta, gamma) -> np.ndarray:
    """D^j_{m'm}(alpha, beta, gamma) = exp(-i m' alpha) d^j_{m'm}(beta) exp(-i m gamma), explicit d."""
    return np.exp(-1j * mp * np.asarray(alpha)) * wigner_d_explicit(j, mp, m, beta) * np.exp(-1j * m * np.asarray(gamma))


def brute_force_gamma(drho: np.ndarray, rotations: np.ndarray, weights: np.ndarray, kvecs, knorm: np.ndarray,
                      entries: np.ndarray, table_k: np.ndarray, table_vals: np.ndarray) -> np.ndarray:
    """gamma(r, Omega_i) = sum_j w_j int c(r - r', Omega_i, Omega_j) Delta rho(r', Omega_j), pair by pair.

    drho (no, nx, ny, nz) real; rotations (no, 3, 3); kvecs: broadcastable kx, ky, kz of the FFT
    grid; the kernel c(k, Omega_i, Omega_j) = sum_e c_e(|k|) conj(D^m_{chi mu}(R_k^T R_i))
    D^n_{chi nu}(R_k^T R_j) with R_k = Rz(phi_k) Ry(theta_k), (0, 0) at k = 0.
    Returns complex gamma (its imaginary part must vanish for a valid table).
    """
    no = drho.shape[0]
    space = drho.shape[1:]
    fk = np.fft.fftn(drho, axes=(1, 2, 3)).reshape(no, -1)
    kx, ky, kz = (np.broadcast_to(v, space).ravel() for v in kvecs)
    kn = knorm.ravel()
    out = np.zeros_like(fk)
    cvals = np.array([np.interp(kn, table_k, v.real) + 1j * np.interp(kn, table_k, v.imag) for v in table_vals])
    for q in range(kn.size):
        if kn[q] > 0:
            theta = np.arccos(np.clip(kz[q] / kn[q], -1, 1))
            phi = np.arctan2(ky[q], kx[q]) if (kx[q] != 0 or ky[q] != 0) else 0.0
        else:
            theta = phi = 0.0
        rk = euler_matrix(np.array(phi), np.array(theta), np.array(0.0))
        a, b, g = euler_from_matrix(np.einsum("ji,ojk->oik", rk, rotations))
        kernel = np.zeros((no, no), complex)
        for e, (m, n, mu, nu, chi) in enumerate(entries.tolist()):
            di = np.conj(wigner_big_d_explicit(m, chi, mu, a, b, g))
            dj = wigner_big_d_explicit(n, chi, nu, a, b, g)
            kernel += cvals[e, q] * np.outer(di, dj)
        out[:, q] = kernel @ (weights * fk[:, q])
    return np.fft.ifftn(out.reshape((no,) + space), axes=(1, 2, 3))


def random_table(mmax: int, mrso: int, seed: int, kmax: float = 20.0, nk: int = 400):
    """A random smooth, real and exchange-symmetric k-frame table (entries, k, values) for tests.

    Every entry vanishes like k^2 at k = 0, where a rotation-invariant kernel may only keep
    chi-independent m = n terms (the k-frame is undefined there).
    """
    from .ctable import symmetrise

    rng = np.random.default_rng(seed)
    k = np.linspace(0.0, kmax, nk)
    entries, vals = [], []
    for m in range(mmax + 1):
        for n in range(mmax + 1):
            for mu in range(-m, m + 1):
                for nu in range(-n, n + 1):
                    if mu % mrso or nu % mrso:
                        continue
                    for chi in range(-min(m, n), min(m, n) + 1):
                        amp = rng.normal(size=2) * 5.0
                        width = rng.uniform(0.5, 2.0)
                        entries.append((m, n, mu, nu, chi))
                        vals.append((amp[0] + 1j * amp[1]) * (k * width) ** 2 * np.exp(-(k * width) ** 2) * np.cos(k * rng.uniform(0, 3)))
    return symmetrise(np.array(entries), np.array(vals), mrso) + (k,)
