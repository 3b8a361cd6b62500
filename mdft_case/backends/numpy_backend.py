"""`numpy`: the reference kernels of mdft_case/kernels.py behind the backend interface (same physics)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels
from .base import Backend, Evaluator, Problem, chain


class NumpyKernels:
    """The reference kernels bound to one Problem's tables."""

    def __init__(self, p: Problem):
        self.p = p

    def delta_rho(self, xi: np.ndarray) -> np.ndarray:
        return kernels.delta_rho(xi, self.p.rho0)

    def ideal_ext(self, xi: np.ndarray) -> tuple[float, np.ndarray]:
        p = self.p
        return kernels.ideal_ext(xi, p.vext, p.weights, p.rho0, p.kt, p.dv)

    def scalar_convolve(self, drho: np.ndarray) -> np.ndarray:
        return kernels.scalar_convolve(drho[0], self.p.ck)[None]

    def angle_to_proj(self, drho: np.ndarray) -> np.ndarray:
        p = self.p
        return kernels.angle_to_proj(drho, p.ashape, p.fwd, p.iphi, p.ipsi, p.mix)

    def fft3_batched(self, proj: np.ndarray) -> np.ndarray:
        return kernels.fft3_batched(proj)

    def kspace_contract(self, projk: np.ndarray) -> np.ndarray:
        p = self.p
        return kernels.kspace_contract(projk, p.proj_m, p.proj_mup, p.proj_mu, p.mrso, p.dk, p.phik,
                                       p.entries, p.cvals, p.wn)

    def ifft3_batched(self, gk: np.ndarray) -> np.ndarray:
        return kernels.ifft3_batched(gk)

    def proj_to_angle(self, proj: np.ndarray) -> np.ndarray:
        p = self.p
        return kernels.proj_to_angle(proj, p.ashape, p.bwd, p.iphi, p.ipsi, p.mix)

    def excess(self, xi: np.ndarray, drho: np.ndarray, gamma: np.ndarray) -> tuple[float, np.ndarray]:
        p = self.p
        return kernels.excess(xi, drho, gamma, p.weights, p.rho0, p.kt, p.dv)


class NumpyEvaluator(Evaluator):
    name = "numpy"

    def __init__(self, problem: Problem):
        super().__init__(problem)
        self.k = NumpyKernels(problem)

    def fused(self, xi: np.ndarray) -> tuple[Any, Any]:
        return chain(self.k, self.problem.tier, xi)

    def per_kernel(self) -> NumpyKernels:
        return self.k


class NumpyBackend(Backend):
    name = "numpy"
    source = kernels.__file__

    def evaluator(self, problem: Problem) -> Evaluator:
        return NumpyEvaluator(problem)
