"""`hpcir-jax` / `hpcir-torch`: the kernels of mdft_case/hpcir_kernels.py compiled with target="jax" /
"torch", i.e. translated by hpcir into array code (the same source the Kokkos backends launch).

The FFTs are the library's own (jnp.fft / torch.fft): hpcir.fft runs FFTW or cuFFT between Kokkos
launches and has no array-target form, so on these targets the transforms are called directly.
The k-space contraction is always the team form: its scratch views become per-k-vector arrays,
with no level-0 size limit to fall back from.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from .base import Problem, chain
from .jax_backend import JaxEvaluator
from .torch_backend import TorchEvaluator
from .plan import dk_k_first, make_plan


class HpcirArrayKernels:
    """The hot kernels of one Problem as hpcir kernels on an array target (`jax` or `torch`)."""

    def __init__(self, p: Problem, lib: str):
        import hpcir

        from .. import hpcir_kernels as hk
        self.p, self.lib, self.hp = p, lib, hpcir
        if lib == "jax":
            import jax.numpy as xp
            self.put, self.fft = xp.asarray, xp.fft
        else:
            import torch as xp
            self.put, self.fft = torch_put, xp.fft
        self.xp = xp
        self.tables: list[Any] = []  # the arrays put here: the same contents at every launch
        put = self.put
        self.put = lambda a: self.tables.append(put(a)) or self.tables[-1]
        self.k = {name: hpcir.compile(getattr(hk, name), target=lib) for name in
                  ("delta_rho", "ideal_ext", "excess", "scale_k", "matmul", "theta_quadrature", "theta_synthesis",
                   "kspace_contract_team")}
        self.launches: dict[str, Any] = {}  # one policy per kernel name: matmul's two uses share a shape
        self.size = int(np.prod(p.shape))
        self.nspace = int(np.prod(p.shape[1:]))
        self.vext = self.put(np.ascontiguousarray(p.vext, dtype=np.float64).reshape(-1))
        self.weights = self.put(np.ascontiguousarray(p.weights, dtype=np.float64))
        if p.tier == "A":
            self.ck = self.put(np.ascontiguousarray(p.ck, dtype=np.float64).reshape(-1))
            return
        plan = self.plan = make_plan(p)
        s = self.nspace
        self.fwd, self.bwd = self.put(np.asarray(p.fwd, np.float64)), self.put(np.asarray(p.bwd, np.float64))
        self.iphi, self.ipsi = self.put(np.asarray(p.iphi, np.int64)), self.put(np.asarray(p.ipsi, np.int64))
        self.mix = None if p.mix is None else self.put(np.ascontiguousarray(p.mix, np.complex128))
        self.mix_h = None if p.mix is None else self.put(np.ascontiguousarray(np.conj(p.mix).T, np.complex128))
        width = 2 * plan.mmax + 1
        nfp, ngp = (plan.mmax + 1) * width * plan.nslot, (plan.mmax + 1) * width * plan.nout
        order = np.argsort(plan.dst, kind="stable")
        offset = np.searchsorted(plan.dst[order], np.arange(ngp + 1))
        self.targs = dict(
            fsrc=self.put(np.asarray(plan.fsrc, np.int64)), fsign=self.put(np.asarray(plan.fsign, np.float64)),
            phase=self.put(np.ascontiguousarray(plan.phase.reshape(width, s))),
            dk=self.put(dk_k_first(p.dk, s)),
            src=self.put(np.asarray(plan.src, np.int64)), order=self.put(order.astype(np.int64)),
            offset=self.put(offset.astype(np.int64)),
            coef=self.put(np.ascontiguousarray(plan.coef.reshape(len(plan.src), s), np.complex128)),
            outidx=self.put(np.asarray(plan.out, np.int64)), ny=p.shape[2], nz=p.shape[3], mm=plan.mmax,
            nslot=plan.nslot, nout=plan.nout, nfp=nfp, ngp=ngp)
        nt, nphi, npsi = p.ashape
        self.spec_shape = (nt, nphi, plan.nhalf, s)

    def _run(self, name: str, policy: Any, **kw: Any) -> Any:
        """Launch kernel `name`: checked on the first call, then the generated code directly (bind)."""
        launch = self.launches.get(name)
        if launch is None:
            bind = self.k[name].bind
            if self.lib == "torch":  # the checks are host work: outside what torch.compile traces
                import torch
                bind = torch.compiler.disable(bind)
            # the tables are constant: Torch loops whose trip counts depend on them get a static bound
            constant = tuple(n for n, v in kw.items() if any(v is t for t in self.tables))
            launch = self.launches[name] = bind(policy, constant=constant, **kw)
        return launch(**kw)

    def _out(self, shape: tuple[int, ...], dtype: str) -> Any:
        """The array a kernel writes (JAX: its input, returned updated; Torch: written in place)."""
        return self.xp.empty(shape, dtype=getattr(self.xp, dtype))

    def _md(self, a: int, b: int) -> Any:
        return self.hp.MDRangePolicy([0, 0], [a, b])

    def _written(self, res: Any, out: Any) -> Any:
        return out if self.lib == "torch" else res

    def delta_rho(self, xi):
        out = self._out((self.size,), "float64")
        res = self._run("delta_rho", self.size, xi=xi.reshape(-1), rho0=self.p.rho0, drho=out)
        return self._written(res, out).reshape(self.p.shape)

    def ideal_ext(self, xi):
        p, grad = self.p, self._out((self.size,), "float64")
        e, g = self._run("ideal_ext", self.size, xi=xi.reshape(-1), vext=self.vext, weights=self.weights,
                                   nspace=self.nspace, scale=p.dv * p.rho0, kt=p.kt, grad=grad)
        return e, g.reshape(p.shape)

    def scalar_convolve(self, drho):
        hk = self._fft("rfftn", drho[0], (0, 1, 2)).reshape(-1)
        hk = self._written(self._run("scale_k", hk.shape[0], hk=hk, ck=self.ck), hk)
        return self._fft("irfftn", hk.reshape(self.p.ck.shape), (0, 1, 2), s=tuple(drho.shape[1:])).reshape(drho.shape)

    def _fft(self, name: str, x: Any, axes: tuple[int, ...], **kw: Any) -> Any:
        """jnp.fft.<name>(x, axes=...) / torch.fft.<name>(x, dim=...)."""
        return getattr(self.fft, name)(x, **{"axes" if self.lib == "jax" else "dim": axes}, **kw)

    def angle_to_proj(self, drho):
        nt, nphi, npsi = self.p.ashape
        spec = self._fft("rfftn", drho.reshape(nt, nphi, npsi, self.nspace), (1, 2))
        npj = len(self.p.iphi)
        out = self._out((npj, self.nspace), "complex128")
        proj = self._written(self._run("theta_quadrature", self._md(npj, self.nspace), fwd=self.fwd, iphi=self.iphi,
                                                        ipsi=self.ipsi, spec=spec, out=out), out)
        if self.mix is not None:
            y = self._out((npj, self.nspace), "complex128")
            proj = self._written(self._run("matmul", self._md(npj, self.nspace), m=self.mix, x=proj, y=y), y)
        return proj

    def fft3_batched(self, proj):
        shape = (proj.shape[0],) + self.p.shape[1:]
        return self._fft("fftn", proj.reshape(shape), (1, 2, 3)).reshape(proj.shape)

    def kspace_contract(self, projk):
        res = self._out(tuple(projk.shape), "complex128")
        policy = self.hp.TeamPolicy(self.nspace, self.hp.AUTO)
        return self._written(self._run("kspace_contract_team", policy, f=projk, res=res, **self.targs), res)

    def ifft3_batched(self, gk):
        shape = (gk.shape[0],) + self.p.shape[1:]
        return self._fft("ifftn", gk.reshape(shape), (1, 2, 3)).reshape(gk.shape)

    def proj_to_angle(self, proj):
        nt, nphi, npsi = self.p.ashape
        src = proj
        if self.mix_h is not None:
            y = self._out(tuple(proj.shape), "complex128")
            src = self._written(self._run("matmul", self._md(proj.shape[0], self.nspace), m=self.mix_h, x=proj, y=y), y)
        spec = self._out(self.spec_shape, "complex128")
        spec = self._written(self._run("theta_synthesis", self._md(nt, self.nspace), bwd=self.bwd, iphi=self.iphi,
                                                       ipsi=self.ipsi, proj=src, spec=spec), spec)
        # norm="forward": the unscaled inverse, i.e. numpy's irfft(ifft(.)) times nphi * npsi
        return self._fft("irfftn", spec, (1, 2), s=(nphi, npsi), norm="forward").reshape(self.p.shape)

    def excess(self, xi, drho, gamma):
        p, grad = self.p, self._out((self.size,), "float64")
        e, g = self._run("excess", self.size, xi=xi.reshape(-1), drho=drho.reshape(-1), gamma=gamma.reshape(-1),
                                weights=self.weights, nspace=self.nspace, dv=p.dv, gscale=-2.0 * p.kt * p.rho0,
                                grad=grad)
        g = grad if self.lib == "torch" else g
        return -0.5 * p.kt * e, g.reshape(p.shape)


def torch_put(a: np.ndarray) -> Any:
    import torch
    return torch.as_tensor(a)


class HpcirJaxEvaluator(JaxEvaluator):
    """hpcir-jax: the whole chain under one jax.jit, as the idiomatic `jax` backend runs it, on the kernels
    hpcir translated."""

    name = "hpcir-jax"

    def __init__(self, problem: Problem):
        import jax
        jax.config.update("jax_enable_x64", True)  # fp64 like the reference (the `jax` backend does the same)
        super().__init__(problem)

    def make_kernels(self, problem: Problem) -> Any:
        return HpcirArrayKernels(problem, "jax")


class HpcirTorchEvaluator(TorchEvaluator):
    """hpcir-torch: each kernel under its own torch.compile, chained (the idiomatic `torch` backend compiles
    the whole chain at once)."""

    name = "hpcir-torch"

    def __init__(self, problem: Problem, compiled: bool = True):
        super().__init__(problem, compiled)
        with self.torch.no_grad():  # bind every launch (hpcir's checks) eagerly: torch.compile then sees array code only
            chain(self.k, problem.tier, self.torch.ones(problem.shape, dtype=self.torch.float64))
        # the chain of the kernels, each under its own torch.compile. With the tables bound as constant
        # views the whole chain now traces with fullgraph=True (no data-dependent loop bound or check
        # left), but Inductor took 626 s to build it at 8^3 mmax 3 (load 17, 2 cores): per kernel it is
        self._fused = partial(chain, self.per_kernel(), problem.tier)

    def make_kernels(self, problem: Problem) -> Any:
        return HpcirArrayKernels(problem, "torch")
