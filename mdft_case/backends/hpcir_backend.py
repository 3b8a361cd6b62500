"""`hpcir-serial` / `hpcir-cpu`: the kernels of mdft_case/hpcir_kernels.py launched as Kokkos on one target.

Every buffer (fields, projections, spectra, the plan's tables) is allocated once per Problem; the
kernels and hpcir.fft write into them in place, so an evaluation copies nothing but its result.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import Evaluator, Problem, chain
from .plan import dk_k_first, make_plan

SCRATCH_BYTES = 32768     # Kokkos' level-0 team scratch per team on every target


class HpcirKernels:
    """The hot kernels of one Problem on one Kokkos target, on preallocated NumPy buffers."""

    def __init__(self, p: Problem, target: str, team: bool | None = None):
        import hpcir

        from .. import hpcir_kernels as hk
        self.hp, self.hk, self.p, self.t = hpcir, hk, p, target
        self.size = int(np.prod(p.shape))
        self.nspace = int(np.prod(p.shape[1:]))
        self.vext = np.ascontiguousarray(p.vext, dtype=np.float64).reshape(-1)
        self.weights = np.ascontiguousarray(p.weights, dtype=np.float64)
        self.drho = np.empty(p.shape)
        self.g_ie, self.g_ex, self.gamma = np.empty(p.shape), np.empty(p.shape), np.empty(p.shape)
        if p.tier == "A":
            self.ck = np.ascontiguousarray(p.ck, dtype=np.float64).reshape(-1)
            self.hk_buf = np.empty(p.ck.shape, np.complex128)
            return
        plan = make_plan(p)
        npj, s = len(p.proj_m), self.nspace
        nt, nphi, npsi = p.ashape
        self.spec = np.empty((nt, nphi, plan.nhalf, s), np.complex128)
        self.proj, self.projk = np.empty((npj, s), np.complex128), np.empty((npj, s), np.complex128)
        self.tmp = np.empty((npj, s), np.complex128)
        # bwd carries the inverse 3-D FFT's 1/N: ifft3_batched runs unscaled (hpcir.fft's 1/N is a pass of its own)
        self.fwd, self.bwd = np.ascontiguousarray(p.fwd, np.float64), np.ascontiguousarray(p.bwd, np.float64) / s
        self.iphi, self.ipsi = np.asarray(p.iphi, np.int64), np.asarray(p.ipsi, np.int64)
        self.mix = None if p.mix is None else np.ascontiguousarray(p.mix, np.complex128)
        self.mix_h = None if p.mix is None else np.ascontiguousarray(np.conj(p.mix).T, np.complex128)
        width = 2 * plan.mmax + 1
        nfp, ngp = (plan.mmax + 1) * width * plan.nslot, (plan.mmax + 1) * width * plan.nout
        # a CPU thread walks one k-vector's column of every per-k table: store them k-major (the same
        # indices, a strided view) so that column is contiguous; 3x faster contraction at 32^3 mmax 3.
        # dk is indexed k first instead (C order): as a 4-D strided view (Kokkos::LayoutStride) its
        # index arithmetic cost ~10 % of the contraction.
        coef = np.asarray(plan.coef, np.complex128).reshape(len(plan.src), s)
        self.cargs = dict(
            fsrc=np.asarray(plan.fsrc, np.int64), fsign=np.asarray(plan.fsign, np.float64),
            phase=_k_major(plan.phase.reshape(width, s)), dk=dk_k_first(p.dk, s),
            src=np.asarray(plan.src, np.int64), outidx=np.asarray(plan.out, np.int64), ny=p.shape[2], nz=p.shape[3],
            mm=plan.mmax, nslot=plan.nslot, nout=plan.nout)
        self.back = np.empty((npj, s), np.complex128)
        # a team per k-vector with f', g' in team scratch when they fit Kokkos' level-0 limit, else one
        # thread per k-vector on global work arrays (allocated only then: 0.6 GB at 64^3 mmax 3)
        self.team = team if team is not None else 16 * (nfp + ngp) <= SCRATCH_BYTES
        if self.team:
            # the entries grouped by output g' (CSR), and coef and src stored in that order: a team
            # thread then streams its entries' coefficients instead of gathering them
            order = np.argsort(plan.dst, kind="stable")
            offset = np.searchsorted(plan.dst[order], np.arange(ngp + 1))
            self.targs = dict(self.cargs, src=self.cargs["src"][order], coef=_k_major(coef[order]),
                              order=np.arange(len(order), dtype=np.int64), offset=offset.astype(np.int64),
                              nfp=nfp, ngp=ngp)
        else:
            self.cargs |= dict(coef=_k_major(coef), dst=np.asarray(plan.dst, np.int64),
                               fprime=_k_major(np.empty((nfp, s), np.complex128)),
                               gprime=_k_major(np.empty((ngp, s), np.complex128)))

    def _for(self, policy: Any, kernel: Any, **kw: Any) -> None:
        self.hp.parallel_for(policy, kernel, target=self.t, **kw)

    def _md(self, a: int, b: int) -> Any:
        return self.hp.MDRangePolicy([0, 0], [a, b])

    def delta_rho(self, xi: np.ndarray) -> np.ndarray:
        self._for(self.size, self.hk.delta_rho, xi=xi.reshape(-1), rho0=self.p.rho0, drho=self.drho.reshape(-1))
        return self.drho

    def ideal_ext(self, xi: np.ndarray) -> tuple[float, np.ndarray]:
        p = self.p
        e = self.hp.parallel_reduce(self.size, self.hk.ideal_ext, target=self.t, xi=xi.reshape(-1), vext=self.vext,
                                    weights=self.weights, nspace=self.nspace, scale=p.dv * p.rho0, kt=p.kt,
                                    grad=self.g_ie.reshape(-1))
        return float(e), self.g_ie

    def scalar_convolve(self, drho: np.ndarray) -> np.ndarray:
        fft, shape = self.hp.fft, drho.shape[1:]
        fft.rfftn(drho[0], out=self.hk_buf, target=self.t)
        self._for(self.hk_buf.size, self.hk.scale_k, hk=self.hk_buf.reshape(-1), ck=self.ck)
        fft.irfftn(self.hk_buf, s=shape, out=self.gamma[0], overwrite_x=True, target=self.t)
        return self.gamma

    def angle_to_proj(self, drho: np.ndarray) -> np.ndarray:
        nt, nphi, npsi = self.p.ashape
        x = drho.reshape(nt, nphi, npsi, self.nspace)
        self.hp.fft.rfftn(x, axes=(1, 2), out=self.spec, target=self.t)
        npj = len(self.iphi)
        out = self.tmp if self.mix is not None else self.proj
        self._for(self._md(npj, self.nspace), self.hk.theta_quadrature, fwd=self.fwd, iphi=self.iphi,
                  ipsi=self.ipsi, spec=self.spec, out=out)
        if self.mix is not None:
            self._for(self._md(npj, self.nspace), self.hk.matmul, m=self.mix, x=self.tmp, y=self.proj)
        return self.proj

    def fft3_batched(self, proj: np.ndarray) -> np.ndarray:
        shape = (len(proj),) + self.p.shape[1:]
        self.hp.fft.fftn(proj.reshape(shape), axes=(1, 2, 3), out=self.projk.reshape(shape), target=self.t)
        return self.projk

    def kspace_contract(self, projk: np.ndarray) -> np.ndarray:
        if self.team:
            policy = self.hp.TeamPolicy(self.nspace, self.hp.AUTO)
            self._for(policy, self.hk.kspace_contract_team, f=projk, res=self.back, **self.targs)
        else:
            self._for(self.nspace, self.hk.kspace_contract, f=projk, res=self.back, **self.cargs)
        return self.back

    def ifft3_batched(self, gk: np.ndarray) -> np.ndarray:
        shape = (len(gk),) + self.p.shape[1:]
        # in place (gk is this backend's own contraction buffer), unscaled: 1/N is in self.bwd
        self.hp.fft.ifftn(gk.reshape(shape), axes=(1, 2, 3), norm="forward", out=gk.reshape(shape), target=self.t)
        return gk

    def proj_to_angle(self, proj: np.ndarray) -> np.ndarray:
        nt, nphi, npsi = self.p.ashape
        src = proj
        if self.mix_h is not None:
            self._for(self._md(len(proj), self.nspace), self.hk.matmul, m=self.mix_h, x=proj, y=self.tmp)
            src = self.tmp
        self._for(self._md(nt, self.nspace), self.hk.theta_synthesis, bwd=self.bwd, iphi=self.iphi, ipsi=self.ipsi,
                  proj=src, spec=self.spec)
        # norm="forward": the unscaled inverse, i.e. numpy's irfft(ifft(.)) times nphi * npsi
        self.hp.fft.irfftn(self.spec, s=(nphi, npsi), axes=(1, 2), norm="forward", overwrite_x=True,
                           out=self.gamma.reshape(nt, nphi, npsi, self.nspace), target=self.t)
        return self.gamma

    def excess(self, xi: np.ndarray, drho: np.ndarray, gamma: np.ndarray) -> tuple[float, np.ndarray]:
        p = self.p
        e = self.hp.parallel_reduce(self.size, self.hk.excess, target=self.t, xi=xi.reshape(-1),
                                    drho=drho.reshape(-1), gamma=gamma.reshape(-1), weights=self.weights,
                                    nspace=self.nspace, dv=p.dv, gscale=-2.0 * p.kt * p.rho0,
                                    grad=self.g_ex.reshape(-1))
        return -0.5 * p.kt * float(e), self.g_ex


class HpcirEvaluator(Evaluator):
    """F and dF/dxi through the hpcir kernels; the fused path is the same chain (each launch is compiled)."""

    def __init__(self, problem: Problem, target: str, team: bool | None = None):
        super().__init__(problem)
        self.name = f"hpcir-{target}"
        self.k = HpcirKernels(problem, target, team)

    def fused(self, xi: np.ndarray) -> tuple[Any, Any]:
        return chain(self.k, self.problem.tier, xi)

    def per_kernel(self) -> HpcirKernels:
        return self.k


def _k_major(a: np.ndarray) -> np.ndarray:
    """`a` with its last (k) axis made the fastest-varying in memory; indices unchanged."""
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(a, -1, 0)), 0, -1)
