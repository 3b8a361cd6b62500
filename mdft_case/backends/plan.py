"""Index tables that turn the reference's loops over angular indices into gathers, batched products
and scatter-adds: what the array backends (jax, torch) need to run each kernel as a few whole-array ops."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Problem


@dataclass
class Plan:
    """Dense angular layout of the k-frame contraction and the (phi, psi) bins of the angular FFTs.

    Pad layout: [n, nu' + mmax, slot(nu)] with slots = the nu (or mu) values that are multiples of
    mrso; absent (n, nu', nu) rows read a zero row. `fsrc`/`fsign` build it from [f(k); f(-k); 0].
    """

    mmax: int
    nslot: int                   # nu values -mmax..mmax that are multiples of mrso
    nout: int                    # mu values 0..mmax, multiples of mrso
    fsrc: np.ndarray             # ((mmax+1)(2mmax+1)nslot,) int rows of [f; conj f(-k); 0]
    fsign: np.ndarray            # same shape, +-1 (0 where absent)
    phase: np.ndarray            # (2mmax+1, nx, ny, nz) complex exp(i nu' phi_k)
    src: np.ndarray              # (ne,) flat [n, chi, slot(nu)] of each used table entry
    dst: np.ndarray              # (ne,) flat [m, chi, mu/mrso]
    coef: np.ndarray             # (ne, nx, ny, nz) complex wn[n] c^{mn}_{mu nu chi}(k)
    out: np.ndarray              # (np,) flat [m, mu' + mmax, mu/mrso] of each projection
    ab: np.ndarray               # (np,) flat (phi bin, psi bin) of each projection in the angular spectrum
    nhalf: int                   # psi bins of the real FFT over psi


def make_plan(p: Problem) -> Plan:
    """The Plan of a Tier B Problem."""
    mmax, mrso = int(p.proj_m.max()), p.mrso
    npj = len(p.proj_m)
    slots = [nu for nu in range(-mmax, mmax + 1) if nu % mrso == 0]
    slot = {nu: i for i, nu in enumerate(slots)}
    look = {(int(a), int(b), int(c)): i for i, (a, b, c) in enumerate(zip(p.proj_m, p.proj_mup, p.proj_mu))}
    width = 2 * mmax + 1
    fsrc = np.full((mmax + 1, width, len(slots)), 2 * npj, dtype=np.int64)
    fsign = np.zeros(fsrc.shape)
    for n in range(mmax + 1):
        for nup in range(-n, n + 1):
            for nu in slots:
                if abs(nu) > n:
                    continue
                # f real: f^n_{nu' nu}(k) = (-1)^(nu'+nu) conj(f^n_{-nu',-nu}(-k)) for the nu < 0 half
                if nu >= 0:
                    fsrc[n, nup + mmax, slot[nu]], fsign[n, nup + mmax, slot[nu]] = look[(n, nup, nu)], 1.0
                else:
                    fsrc[n, nup + mmax, slot[nu]] = npj + look[(n, -nup, -nu)]
                    fsign[n, nup + mmax, slot[nu]] = (-1.0) ** (nup + nu)
    nout = mmax // mrso + 1
    space = p.phik.shape
    src, dst, rows = [], [], []
    for e, (m, n, mu, nu, chi) in enumerate(p.entries.tolist()):
        if mu < 0 or m > mmax or n > mmax:
            continue   # mu < 0 follows from the field being real (as in the reference)
        src.append((n * width + chi + mmax) * len(slots) + slot[nu])
        dst.append((m * width + chi + mmax) * nout + mu // mrso)
        rows.append(e)
    coef = p.wn[p.entries[rows, 1]].reshape((-1,) + (1,) * len(space)) * p.cvals[rows]
    out = np.array([(m * width + mup + mmax) * nout + mu // mrso
                    for m, mup, mu in zip(p.proj_m.tolist(), p.proj_mup.tolist(), p.proj_mu.tolist())])
    nhalf = p.ashape[2] // 2 + 1
    phase = np.exp(1j * np.arange(-mmax, mmax + 1).reshape((-1,) + (1,) * len(space)) * p.phik[None])
    return Plan(mmax, len(slots), nout, fsrc.ravel(), fsign.ravel(), phase, np.array(src), np.array(dst),
                np.ascontiguousarray(coef), out, np.asarray(p.iphi) * nhalf + np.asarray(p.ipsi), nhalf)


def dk_k_first(dk: np.ndarray, nspace: int) -> np.ndarray:
    """The rotation matrices d^n_{nu' chi}(k), (mmax+1, w, w, nx, ny, nz), as a C-ordered (nspace, mmax+1, w, w)."""
    return np.ascontiguousarray(np.moveaxis(dk.reshape(dk.shape[:3] + (nspace,)), -1, 0), np.float64)
