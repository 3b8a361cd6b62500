"""`torch`: the hot kernels as a PyTorch user writes them: whole-tensor code, fp64, under torch.compile."""
from __future__ import annotations

import os
from functools import partial
from typing import Any

import numpy as np

from .base import Backend, Evaluator, Problem, chain
from .plan import make_plan


class TorchKernels:
    """torch versions of the reference kernels, bound to one Problem's tables."""

    def __init__(self, p: Problem, device: str = "cpu"):
        import torch

        self.p, self.t = p, torch
        put = partial(torch.as_tensor, device=device)
        self.vext, self.rho0, self.kt, self.dv = put(p.vext), p.rho0, p.kt, p.dv
        self.w = put(p.weights).reshape(-1, 1, 1, 1)
        self.ck = None if p.ck is None else put(p.ck)
        if p.tier == "B":
            plan = make_plan(p)
            self.plan = plan
            cplx = torch.complex128
            # complex copies of the real tables: torch.einsum does not mix real and complex operands
            self.fwd, self.bwd = put(p.fwd).to(cplx), put(p.bwd).to(cplx)
            self.mix = None if p.mix is None else put(p.mix)
            self.iphi, self.ipsi = put(p.iphi), put(p.ipsi)
            self.dk = put(p.dk.reshape(p.dk.shape[:3] + (-1,))).to(cplx)
            self.phase = put(plan.phase.reshape(plan.phase.shape[0], -1))
            self.fsrc, self.fsign = put(plan.fsrc), put(plan.fsign).to(cplx)
            self.src, self.dst, self.out = put(plan.src), put(plan.dst), put(plan.out)
            self.coef = put(plan.coef.reshape(len(plan.src), -1))
            self.ab = put(plan.ab)

    def delta_rho(self, xi):
        return self.rho0 * (xi * xi - 1.0)

    def ideal_ext(self, xi):
        t = self.t
        x = xi * xi
        w = self.w * (self.dv * self.rho0)
        logx = t.where(x > 0.0, t.log(t.where(x > 0.0, x, 1.0)), 0.0)
        energy = t.sum(w * (self.kt * (x * logx - x + 1.0) + x * self.vext))
        return energy, w * 2.0 * xi * (self.kt * logx + self.vext)

    def scalar_convolve(self, drho):
        fft = self.t.fft
        return fft.irfftn(fft.rfftn(drho[0]) * self.ck, s=drho.shape[1:])[None]

    def angle_to_proj(self, drho):
        t = self.t
        nt, nphi, npsi = self.p.ashape
        x = drho.reshape(nt, nphi, npsi, -1)
        spec = t.fft.fft(t.fft.rfft(x, dim=2), dim=1)
        out = t.einsum("pt,tpk->pk", self.fwd, spec[:, self.iphi, self.ipsi, :])
        if self.mix is not None:
            out = self.mix @ out
        return out.reshape((-1,) + tuple(drho.shape[1:]))

    def fft3_batched(self, proj):
        return self.t.fft.fftn(proj, dim=(1, 2, 3))

    def ifft3_batched(self, projk):
        return self.t.fft.ifftn(projk, dim=(1, 2, 3))

    def kspace_contract(self, fk):
        t, plan = self.t, self.plan
        npj, size = fk.shape[0], fk[0].numel()
        f = fk.reshape(npj, size)
        fneg = t.conj(t.roll(t.flip(fk, dims=(1, 2, 3)), (1, 1, 1), dims=(1, 2, 3))).reshape(npj, size)
        rows = t.cat([f, fneg, t.zeros_like(f[:1])])
        mm, width = plan.mmax, 2 * plan.mmax + 1
        # f^n_{nu' nu}(k) e^{i nu' phi_k}, every (n, nu', nu) on a padded grid, then rotated to the k-frame
        fpad = (rows[self.fsrc] * self.fsign[:, None]).reshape(mm + 1, width, plan.nslot, size)
        fprime = t.einsum("njck,njvk->ncvk", self.dk, fpad * self.phase[None, :, None, :])
        contrib = self.coef * fprime.reshape(-1, size)[self.src]
        gprime = t.zeros(((mm + 1) * width * plan.nout, size), dtype=contrib.dtype, device=fk.device)
        gprime = gprime.index_add(0, self.dst, contrib).reshape(mm + 1, width, plan.nout, size)
        back = t.einsum("njck,ncuk->njuk", self.dk, gprime) * t.conj(self.phase)[None, :, None, :]
        return back.reshape(-1, size)[self.out].reshape(fk.shape)

    def proj_to_angle(self, proj):
        t = self.t
        nt, nphi, npsi = self.p.ashape
        p = proj.reshape(proj.shape[0], -1)
        if self.mix is not None:
            p = self.mix.conj().T @ p
        terms = t.einsum("pt,pk->tpk", self.bwd, p)
        spec = t.zeros((nt, nphi * self.plan.nhalf, p.shape[1]), dtype=terms.dtype, device=p.device)
        spec = spec.index_add(1, self.ab, terms).reshape(nt, nphi, self.plan.nhalf, -1)
        x = t.fft.irfft(t.fft.ifft(spec, dim=1), n=npsi, dim=2) * (nphi * npsi)
        return x.reshape((-1,) + tuple(proj.shape[1:]))

    def excess(self, xi, drho, gamma):
        w = self.w * self.dv
        energy = -0.5 * self.kt * self.t.sum(w * drho * gamma)
        return energy, (-2.0 * self.kt * self.rho0) * w * gamma * xi


class _Compiled:
    """Each kernel of a KernelSet under its own torch.compile (for the per-kernel profile)."""

    def __init__(self, kernels: TorchKernels, compile_fn):
        self._k, self._compile, self._fns = kernels, compile_fn, {}

    def __getattr__(self, name: str):
        if name not in self._fns:
            self._fns[name] = self._compile(getattr(self._k, name))
        return self._fns[name]


class TorchEvaluator(Evaluator):
    name = "torch"

    def __init__(self, problem: Problem, compiled: bool = True):
        super().__init__(problem)
        import torch
        self.torch = torch
        self.k = self.make_kernels(problem)
        # torch.compile(dynamic=False): shapes are fixed for a whole minimisation
        self._compile = (lambda fn: torch.compile(fn, dynamic=False)) if compiled else (lambda fn: fn)
        self._fused = self._compile(partial(chain, self.k, problem.tier))
        self._per = None

    def make_kernels(self, problem: Problem) -> Any:
        return TorchKernels(problem)

    def to_device(self, xi: np.ndarray) -> Any:
        return self.torch.from_numpy(xi)

    def to_host(self, grad: Any) -> np.ndarray:
        return grad.detach().cpu().numpy()

    def fused(self, xi: Any) -> tuple[Any, Any]:
        with self.torch.no_grad():
            return self._fused(xi)

    def per_kernel(self) -> Any:
        if self._per is None:
            self._per = _Compiled(self.k, self._compile)
        return self._per

    def kernel_seconds(self, xi: np.ndarray, repeats: int = 3) -> dict[str, float]:
        with self.torch.no_grad():
            return super().kernel_seconds(xi, repeats)


class TorchBackend(Backend):
    name = "torch"
    source = __file__

    def unavailable(self) -> str | None:
        try:
            import torch  # noqa: F401
        except ImportError:
            return "PyTorch is not installed (pip install 'hpcir[graph]')"
        return None

    def evaluator(self, problem: Problem) -> Evaluator:
        # HPCIR_MDFT_TORCH_EAGER=1 runs the same kernels without torch.compile (no C++ toolchain needed)
        return TorchEvaluator(problem, compiled=os.environ.get("HPCIR_MDFT_TORCH_EAGER") != "1")
