"""Wigner rotation matrices and Euler angles (z-y-z, active rotations, Edmonds/Sakurai phases).

D^j_{m'm}(alpha, beta, gamma) = exp(-i m' alpha) d^j_{m'm}(beta) exp(-i m gamma) represents the
rotation R = Rz(alpha) Ry(beta) Rz(gamma); a molecule with orientation Omega has its body-frame
site s at R(Omega) s. d^j is built by the three-term recursion in j (Edmonds eq. 4.1.x; see
Kostelec & Rockmore, J. Fourier Anal. Appl. 14, 145 (2008)), vectorised over any array of beta.
"""
from __future__ import annotations

from math import comb

import numpy as np


def _seed(j: int, mp: int, m: int, c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """d^j_{m'm} for j = max(|m'|, |m|): a single-term closed form."""
    if abs(mp) == j:
        if mp == j:
            return (-1.0) ** (j - m) * np.sqrt(comb(2 * j, j + m)) * c ** (j + m) * s ** (j - m)
        return np.sqrt(comb(2 * j, j - m)) * c ** (j - m) * s ** (j + m)
    # |m| == j > |m'|: d_{m'm} = (-1)^{m'-m} d_{m m'}
    return (-1.0) ** (mp - m) * _seed(j, m, mp, c, s)


def wigner_small_d(jmax: int, beta: np.ndarray) -> list[np.ndarray]:
    """d^j(beta) for j = 0..jmax; entry j has shape (2j+1, 2j+1, *beta.shape), index [m'+j, m+j]."""
    beta = np.asarray(beta, float)
    c, s, x = np.cos(0.5 * beta), np.sin(0.5 * beta), np.cos(beta)
    out = [np.zeros((2 * j + 1, 2 * j + 1) + beta.shape) for j in range(jmax + 1)]
    for mp in range(-jmax, jmax + 1):
        for m in range(-jmax, jmax + 1):
            j0 = max(abs(mp), abs(m))
            prev = np.zeros(beta.shape)
            cur = _seed(j0, mp, m, c, s)
            out[j0][mp + j0, m + j0] = cur
            for j in range(j0, jmax):
                a = (j + 1) * (2 * j + 1) / np.sqrt(((j + 1) ** 2 - mp * mp) * ((j + 1) ** 2 - m * m))
                shift = mp * m / (j * (j + 1)) if j > 0 else 0.0
                b = np.sqrt((j * j - mp * mp) * (j * j - m * m)) / (j * (2 * j + 1)) if j > 0 else 0.0
                prev, cur = cur, a * ((x - shift) * cur - b * prev)
                out[j + 1][mp + j + 1, m + j + 1] = cur
    return out


def wigner_big_d(jmax: int, alpha: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> list[np.ndarray]:
    """D^j(alpha, beta, gamma) for j = 0..jmax, same layout as wigner_small_d (complex)."""
    alpha, beta, gamma = np.broadcast_arrays(*(np.asarray(v, float) for v in (alpha, beta, gamma)))
    d = wigner_small_d(jmax, beta)
    out = []
    for j, dj in enumerate(d):
        m = np.arange(-j, j + 1).reshape((-1,) + (1,) * alpha.ndim)
        ea = np.exp(-1j * m * alpha)
        eg = np.exp(-1j * m * gamma)
        out.append(ea[:, None] * dj * eg[None, :])
    return out


def rz(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, float)
    c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def ry(b: np.ndarray) -> np.ndarray:
    b = np.asarray(b, float)
    c, s, z, o = np.cos(b), np.sin(b), np.zeros_like(b), np.ones_like(b)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def euler_matrix(alpha: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Rotation matrices Rz(alpha) Ry(beta) Rz(gamma), shape (..., 3, 3)."""
    return rz(alpha) @ ry(beta) @ rz(gamma)


def euler_from_matrix(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z-y-z Euler angles of rotation matrices (..., 3, 3); gamma = 0 where beta is 0 or pi."""
    r = np.asarray(r, float)
    beta = np.arccos(np.clip(r[..., 2, 2], -1.0, 1.0))
    sb = np.sqrt(r[..., 0, 2] ** 2 + r[..., 1, 2] ** 2)
    regular = sb > 1e-12
    alpha = np.where(regular, np.arctan2(r[..., 1, 2], r[..., 0, 2]), 0.0)
    gamma = np.where(regular, np.arctan2(r[..., 2, 1], -r[..., 2, 0]), 0.0)
    # beta = 0: R = Rz(alpha); beta = pi: R = Rz(alpha) Ry(pi), R00 = -cos alpha, R10 = -sin alpha.
    up = r[..., 2, 2] > 0
    alpha_deg = np.where(up, np.arctan2(r[..., 1, 0], r[..., 0, 0]), np.arctan2(-r[..., 1, 0], -r[..., 0, 0]))
    alpha = np.where(regular, alpha, alpha_deg)
    beta = np.where(regular, beta, np.where(up, 0.0, np.pi))
    return alpha, beta, gamma


def kframe_angles(kx: np.ndarray, ky: np.ndarray, kz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(phi_k, theta_k) with Rz(phi_k) Ry(theta_k) z = k/|k|; (0, 0) at k = 0."""
    kx, ky, kz = np.broadcast_arrays(kx, ky, kz)
    kn = np.sqrt(kx * kx + ky * ky + kz * kz)
    theta = np.where(kn > 0, np.arccos(np.clip(np.divide(kz, kn, out=np.ones_like(kn), where=kn > 0), -1, 1)), 0.0)
    phi = np.where((kx != 0) | (ky != 0), np.arctan2(ky, kx), 0.0)
    return phi, theta
