"""The backend interface: one set of hot kernels per backend, one evaluation chain, one minimiser.

A `Problem` holds every table of one functional (NumPy arrays, built once by the reference setup);
a backend turns it into a `KernelSet` on its own arrays/device and an `Evaluator` that returns F and
dF/dxi as NumPy values, so that the shared L-BFGS (minimise.lbfgs) drives every backend alike.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

# The hot kernels of one F + dF/dxi, in the order the chain calls them (Tier A: scalar_convolve
# replaces the five projection kernels).
KERNELS_A = ("ideal_ext", "delta_rho", "scalar_convolve", "excess")
KERNELS_B = ("ideal_ext", "delta_rho", "angle_to_proj", "fft3_batched", "kspace_contract",
             "ifft3_batched", "proj_to_angle", "excess")


@dataclass
class Problem:
    """The tables of one functional; `tier` is "A" (scalar) or "B" (orientational)."""

    tier: str
    shape: tuple[int, ...]           # of xi: (no, nx, ny, nz)
    vext: np.ndarray
    weights: np.ndarray
    rho0: float
    kt: float
    dv: float
    ck: np.ndarray | None = None     # Tier A: c(|k|) on the rfftn grid
    ashape: tuple[int, int, int] | None = None
    fwd: np.ndarray | None = None
    bwd: np.ndarray | None = None
    iphi: np.ndarray | None = None
    ipsi: np.ndarray | None = None
    mix: np.ndarray | None = None
    proj_m: np.ndarray | None = None
    proj_mup: np.ndarray | None = None
    proj_mu: np.ndarray | None = None
    mrso: int = 1
    dk: np.ndarray | None = None
    phik: np.ndarray | None = None
    entries: np.ndarray | None = None
    cvals: np.ndarray | None = None
    wn: np.ndarray | None = None

    @property
    def kernel_names(self) -> tuple[str, ...]:
        return KERNELS_A if self.tier == "A" else KERNELS_B


def problem_of(func: Any) -> Problem:
    """The Problem of a ScalarFunctional (Tier A) or OrientFunctional (Tier B)."""
    g = func.grid
    if not hasattr(func, "ang"):
        return Problem("A", (1,) + g.shape, func.vext, np.ones(1), func.n0, func.kt, g.dv, ck=func.ck)
    a = func.ang
    return Problem("B", (a.no,) + g.shape, func.vext, func.weights, func.rho0, func.kt, g.dv,
                   ashape=a.shape, fwd=func.fwd, bwd=func.bwd, iphi=func.iphi, ipsi=func.ipsi, mix=func.mix,
                   proj_m=a.proj_m, proj_mup=a.proj_mup, proj_mu=a.proj_mu, mrso=a.mrso, dk=func.dk,
                   phik=func.phik, entries=func.entries, cvals=func.cvals, wn=func.wn)


def chain(k: Any, tier: str, xi: Any) -> tuple[Any, Any]:
    """One F + dF/dxi through the kernels of `k` (any backend's KernelSet): the same steps everywhere."""
    f_ie, g_ie = k.ideal_ext(xi)
    drho = k.delta_rho(xi)
    if tier == "A":
        gamma = k.scalar_convolve(drho)
    else:
        projk = k.fft3_batched(k.angle_to_proj(drho))
        gamma = k.proj_to_angle(k.ifft3_batched(k.kspace_contract(projk)))
    f_ex, g_ex = k.excess(xi, drho, gamma)
    return f_ie + f_ex, g_ie + g_ex


class _Timed:
    """Wraps a KernelSet: every kernel call is synchronised and its wall time recorded under its name."""

    def __init__(self, kernels: Any, sync: Callable[[Any], None], out: dict[str, list[float]]):
        self._k, self._sync, self._out = kernels, sync, out

    def __getattr__(self, name: str) -> Callable:
        fn = getattr(self._k, name)

        def timed(*args):
            t = time.perf_counter()
            res = fn(*args)
            self._sync(res)
            self._out.setdefault(name, []).append(time.perf_counter() - t)
            return res
        return timed


class Evaluator:
    """F and dF/dxi of one Problem on one backend; NumPy in and out, device arrays inside."""

    name = "base"

    def __init__(self, problem: Problem):
        self.problem = problem
        self.evaluations = 0

    # backend hooks -------------------------------------------------------------------------------
    def to_device(self, xi: np.ndarray) -> Any:
        return xi

    def sync(self, value: Any) -> None:
        """Wait until `value` (any pytree of device arrays) is computed (asynchronous backends)."""

    def fused(self, xi: Any) -> tuple[Any, Any]:
        """The whole chain as the backend runs it in production (jitted / compiled)."""
        raise NotImplementedError

    def per_kernel(self) -> Any:
        """The KernelSet the profiler calls one kernel at a time (each compiled on its own)."""
        raise NotImplementedError

    def to_host(self, grad: Any) -> np.ndarray:
        return np.asarray(grad)

    # shared --------------------------------------------------------------------------------------
    def evaluate(self, xi: np.ndarray) -> tuple[float, np.ndarray]:
        """(F kJ/mol, dF/dxi as a NumPy array) at a NumPy xi; what the shared minimiser calls."""
        self.evaluations += 1
        f, g = self.fused(self.to_device(np.ascontiguousarray(xi, dtype=np.float64)))
        return float(f), self.to_host(g)

    def kernel_seconds(self, xi: np.ndarray, repeats: int = 3) -> dict[str, float]:
        """Median wall time of each hot kernel over `repeats` chains (after one warm-up chain)."""
        x = self.to_device(np.ascontiguousarray(xi, dtype=np.float64))
        out: dict[str, list[float]] = {}
        timed = _Timed(self.per_kernel(), self.sync, out)
        chain(timed, self.problem.tier, x)
        out.clear()
        for _ in range(repeats):
            chain(timed, self.problem.tier, x)
        return {name: statistics.median(out[name]) for name in self.problem.kernel_names}


class Backend:
    """A named way to run the hot kernels; `unavailable()` says why it cannot run here (None: it can)."""

    name = "base"
    source: str | None = None        # module file holding this approach's kernel source (lines of code)

    def unavailable(self) -> str | None:
        return None

    def evaluator(self, problem: Problem) -> Evaluator:
        raise NotImplementedError
