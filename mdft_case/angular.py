"""The orientation grid and its projection index set (Ding, Levesque, Borgis, Belloni, JCP 2017).

Orientations: theta at the mmax+1 Gauss–Legendre nodes in cos(theta), phi uniform (2 mmax + 1
values on [0, 2 pi)), psi uniform (2 floor(mmax/mrso) + 1 values on [0, 2 pi / mrso)). A field is
expanded as  f(Omega) = sum_{m, mu', mu} f^m_{mu' mu} conj(D^m_{mu' mu}(Omega)),  mu a multiple of
mrso; for a real field only mu >= 0 is stored (f^m_{-mu',-mu} = (-1)^{mu'-mu} conj f^m_{mu' mu}).
An optional `frame` rotation turns every orientation to R_frame R(Omega) (used to rotate a whole
system exactly); projections are always expressed in the lab frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .wigner import euler_from_matrix, euler_matrix, wigner_big_d, wigner_small_d


@dataclass
class AngularGrid:
    """Orientation quadrature, projection indices and the tables of the angle<->projection transforms."""

    mmax: int
    mrso: int = 1
    frame: np.ndarray | None = None          # 3x3 rotation applied to every orientation
    # filled in __post_init__
    cos_theta: np.ndarray = field(init=False)
    theta_weights: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if self.mmax < 0 or self.mrso < 1:
            raise ValueError(f"need mmax >= 0 and mrso >= 1, got {self.mmax}, {self.mrso}")
        x, w = np.polynomial.legendre.leggauss(self.mmax + 1)
        self.cos_theta, self.theta_weights = x, w
        self.ntheta = self.mmax + 1
        self.nphi = 2 * self.mmax + 1
        self.npsi = 2 * (self.mmax // self.mrso) + 1
        self.theta = np.arccos(x)
        self.phi = 2.0 * np.pi * np.arange(self.nphi) / self.nphi
        self.psi = 2.0 * np.pi * np.arange(self.npsi) / (self.mrso * self.npsi)
        # projections: (m, mu', mu) with mu = mrso * k >= 0, |mu'|, |mu| <= m
        proj = [(m, mp, self.mrso * k) for m in range(self.mmax + 1) for mp in range(-m, m + 1)
                for k in range(m // self.mrso + 1)]
        self.proj_m = np.array([p[0] for p in proj])
        self.proj_mup = np.array([p[1] for p in proj])
        self.proj_mu = np.array([p[2] for p in proj])

    @property
    def no(self) -> int:
        """Number of orientations."""
        return self.ntheta * self.nphi * self.npsi

    @property
    def nproj(self) -> int:
        """Number of stored (mu >= 0) projections."""
        return len(self.proj_m)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.ntheta, self.nphi, self.npsi)

    @property
    def total_weight(self) -> float:
        """Measure of the orientation space, 8 pi^2 / mrso."""
        return 8.0 * np.pi ** 2 / self.mrso

    def weights(self) -> np.ndarray:
        """Quadrature weights per orientation, flattened (theta, phi, psi) order; sum 8 pi^2/mrso."""
        w = self.theta_weights[:, None, None] * (2 * np.pi / self.nphi) * (2 * np.pi / (self.mrso * self.npsi))
        return np.broadcast_to(w, self.shape).ravel().copy()

    def euler(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lab-frame Euler angles (phi, theta, psi) of every orientation, flattened."""
        t, p, s = np.meshgrid(self.theta, self.phi, self.psi, indexing="ij")
        if self.frame is None:
            return p.ravel(), t.ravel(), s.ravel()
        return euler_from_matrix(self.frame @ euler_matrix(p.ravel(), t.ravel(), s.ravel()))

    def rotations(self) -> np.ndarray:
        """Lab-frame rotation matrix of every orientation, shape (no, 3, 3)."""
        t, p, s = np.meshgrid(self.theta, self.phi, self.psi, indexing="ij")
        r = euler_matrix(p.ravel(), t.ravel(), s.ravel())
        return r if self.frame is None else self.frame @ r

    def transform_tables(self) -> dict[str, np.ndarray]:
        """Plain-array tables of the fast angle<->projection transforms (see kernels.angle_to_proj).

        fwd[p, t] = (2m+1)/(2 nphi npsi) w_t d^m_{mu' mu}(theta_t); bwd[p, t] = d^m_{mu' mu}(theta_t);
        iphi[p] = mu' mod nphi; ipsi[p] = mu / mrso; mix: (np, np) complex lab<-standard frame matrix
        (identity without a frame).
        """
        d = wigner_small_d(self.mmax, self.theta)
        m, mp, mu = self.proj_m, self.proj_mup, self.proj_mu
        bwd = np.stack([d[mm][a + mm, b + mm] for mm, a, b in zip(m, mp, mu)])
        fwd = (2 * m[:, None] + 1) / (2.0 * self.nphi * self.npsi) * self.theta_weights[None, :] * bwd
        mix = np.eye(self.nproj, dtype=complex)
        if self.frame is not None:
            a, b, g = euler_from_matrix(self.frame)
            dfr = wigner_big_d(self.mmax, a, b, g)
            for p in range(self.nproj):
                for q in range(self.nproj):
                    if m[p] == m[q] and mu[p] == mu[q]:
                        mix[p, q] = dfr[m[p]][mp[p] + m[p], mp[q] + m[p]]
        return {"fwd": fwd, "bwd": bwd, "iphi": mp % self.nphi, "ipsi": mu // self.mrso, "mix": mix}
