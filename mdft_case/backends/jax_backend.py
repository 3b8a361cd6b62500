"""`jax`: the hot kernels as a JAX user writes them: jnp whole-array code, fp64, under jax.jit."""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from .base import Backend, Evaluator, Problem, chain
from .plan import make_plan


class JaxKernels:
    """jnp versions of the reference kernels, bound to one Problem's tables (device arrays)."""

    def __init__(self, p: Problem):
        import jax.numpy as jnp

        self.p, self.np = p, jnp
        put = jnp.asarray
        self.vext, self.rho0, self.kt, self.dv = put(p.vext), p.rho0, p.kt, p.dv
        self.w = put(p.weights).reshape((-1, 1, 1, 1))
        self.ck = None if p.ck is None else put(p.ck)
        if p.tier == "B":
            plan = make_plan(p)
            self.plan = plan
            self.fwd, self.bwd = put(p.fwd), put(p.bwd)
            self.mix = None if p.mix is None else put(p.mix)
            self.gather = put(p.iphi), put(p.ipsi)
            self.dk = put(p.dk.reshape(p.dk.shape[:3] + (-1,)))
            self.phase = put(plan.phase.reshape(plan.phase.shape[0], -1))
            self.fsrc, self.fsign = put(plan.fsrc), put(plan.fsign)
            self.src, self.dst, self.out = put(plan.src), put(plan.dst), put(plan.out)
            self.coef = put(plan.coef.reshape(len(plan.src), -1))
            self.ab = put(plan.ab)

    def delta_rho(self, xi):
        return self.rho0 * (xi * xi - 1.0)

    def ideal_ext(self, xi):
        jnp = self.np
        x = xi * xi
        w = self.w * (self.dv * self.rho0)
        logx = jnp.where(x > 0.0, jnp.log(jnp.where(x > 0.0, x, 1.0)), 0.0)
        energy = jnp.sum(w * (self.kt * (x * logx - x + 1.0) + x * self.vext))
        return energy, w * 2.0 * xi * (self.kt * logx + self.vext)

    def scalar_convolve(self, drho):
        jnp = self.np
        return jnp.fft.irfftn(jnp.fft.rfftn(drho[0]) * self.ck, s=drho.shape[1:])[None]

    def angle_to_proj(self, drho):
        jnp = self.np
        nt, nphi, npsi = self.p.ashape
        x = drho.reshape(nt, nphi, npsi, -1)
        spec = jnp.fft.fft(jnp.fft.rfft(x, axis=2), axis=1)
        iphi, ipsi = self.gather
        out = jnp.einsum("pt,tpk->pk", self.fwd, spec[:, iphi, ipsi, :])
        if self.mix is not None:
            out = self.mix @ out
        return out.reshape((-1,) + drho.shape[1:])

    def fft3_batched(self, proj):
        return self.np.fft.fftn(proj, axes=(1, 2, 3))

    def ifft3_batched(self, projk):
        return self.np.fft.ifftn(projk, axes=(1, 2, 3))

    def kspace_contract(self, fk):
        jnp, plan = self.np, self.plan
        npj, space = fk.shape[0], fk.shape[1:]
        f = fk.reshape(npj, -1)
        fneg = jnp.conj(jnp.roll(jnp.flip(fk, axis=(1, 2, 3)), 1, axis=(1, 2, 3))).reshape(npj, -1)
        rows = jnp.concatenate([f, fneg, jnp.zeros_like(f[:1])])
        mm, width = plan.mmax, 2 * plan.mmax + 1
        # f^n_{nu' nu}(k) e^{i nu' phi_k}, every (n, nu', nu) on a padded grid, then rotated to the k-frame
        fpad = (rows[self.fsrc] * self.fsign[:, None]).reshape(mm + 1, width, plan.nslot, -1)
        fprime = jnp.einsum("njck,njvk->ncvk", self.dk, fpad * self.phase[None, :, None, :])
        contrib = self.coef * fprime.reshape(-1, f.shape[1])[self.src]
        gprime = jnp.zeros(((mm + 1) * width * plan.nout, f.shape[1]), contrib.dtype).at[self.dst].add(contrib)
        gprime = gprime.reshape(mm + 1, width, plan.nout, -1)
        back = jnp.einsum("njck,ncuk->njuk", self.dk, gprime) * jnp.conj(self.phase)[None, :, None, :]
        return back.reshape(-1, f.shape[1])[self.out].reshape((npj,) + space)

    def proj_to_angle(self, proj):
        jnp = self.np
        nt, nphi, npsi = self.p.ashape
        p = proj.reshape(proj.shape[0], -1)
        if self.mix is not None:
            p = jnp.conj(self.mix).T @ p
        terms = jnp.einsum("pt,pk->tpk", self.bwd, p)
        spec = jnp.zeros((nt, nphi * self.plan.nhalf, p.shape[1]), terms.dtype).at[:, self.ab].add(terms)
        spec = spec.reshape(nt, nphi, self.plan.nhalf, -1)
        x = jnp.fft.irfft(jnp.fft.ifft(spec, axis=1), n=npsi, axis=2) * (nphi * npsi)
        return x.reshape((-1,) + proj.shape[1:])

    def excess(self, xi, drho, gamma):
        w = self.w * self.dv
        energy = -0.5 * self.kt * self.np.sum(w * drho * gamma)
        return energy, (-2.0 * self.kt * self.rho0) * w * gamma * xi


class _Jitted:
    """Each kernel of a KernelSet under its own jax.jit (for the per-kernel profile)."""

    def __init__(self, kernels: JaxKernels):
        import jax
        self._fns = {name: jax.jit(getattr(kernels, name)) for name in dir(kernels)
                     if not name.startswith("_") and callable(getattr(kernels, name))}

    def __getattr__(self, name: str):
        return self._fns[name]


class JaxEvaluator(Evaluator):
    name = "jax"

    def __init__(self, problem: Problem):
        super().__init__(problem)
        import jax
        self.jax = jax
        self.k = self.make_kernels(problem)
        self._fused = jax.jit(partial(chain, self.k, problem.tier))
        self._per = None

    def make_kernels(self, problem: Problem) -> Any:
        return JaxKernels(problem)

    def to_device(self, xi: np.ndarray) -> Any:
        return self.jax.numpy.asarray(xi)

    def sync(self, value: Any) -> None:
        self.jax.block_until_ready(value)

    def fused(self, xi: Any) -> tuple[Any, Any]:
        return self._fused(xi)

    def per_kernel(self) -> Any:
        if self._per is None:
            self._per = _Jitted(self.k)
        return self._per


class JaxBackend(Backend):
    name = "jax"
    source = __file__

    def unavailable(self) -> str | None:
        try:
            import jax  # noqa: F401
        except ImportError:
            return "JAX is not installed (pip install 'hpcir[graph]')"
        return None

    def evaluator(self, problem: Problem) -> Evaluator:
        import jax
        # fp64 everywhere, as the reference: a process-wide JAX switch, set before any array is made
        jax.config.update("jax_enable_x64", True)
        return JaxEvaluator(problem)
