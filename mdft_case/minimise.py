"""L-BFGS minimisation of the functional over xi, with a progress line per iteration on stderr."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable, TextIO

import numpy as np
from scipy.optimize import minimize


@dataclass
class MinimiseResult:
    """The minimiser's outcome: xi at the minimum, F_min (kJ/mol) and bookkeeping."""

    xi: np.ndarray
    energy: float
    evaluations: int
    iterations: int
    converged: bool
    seconds: float
    message: str


def lbfgs(evaluate: Callable[[np.ndarray], tuple[float, np.ndarray]], xi0: np.ndarray,
          ftol: float = 1e-11, gtol: float = 1e-9, max_iter: int = 500, memory: int = 10,
          progress: TextIO | None = sys.stderr) -> MinimiseResult:
    """Minimise F(xi) with SciPy's L-BFGS-B; stops on relative F change < ftol or max|grad| < gtol."""
    shape = xi0.shape
    t0 = time.perf_counter()
    count = [0]
    last = [float("nan")]

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        count[0] += 1
        f, g = evaluate(x.reshape(shape))
        last[0] = f
        return f, g.ravel()

    iteration = [0]

    def callback(intermediate_result) -> None:
        iteration[0] += 1
        if progress is not None:
            print(f"mdft: iter {iteration[0]:4d}  F = {intermediate_result.fun:+.10f} kJ/mol  "
                  f"evals {count[0]:4d}  {time.perf_counter() - t0:7.2f} s", file=progress, flush=True)

    res = minimize(fun, xi0.ravel(), jac=True, method="L-BFGS-B", callback=callback,
                   options={"maxiter": max_iter, "maxcor": memory, "ftol": ftol, "gtol": gtol,
                            "maxfun": 4 * max_iter, "maxls": 40})
    return MinimiseResult(res.x.reshape(shape), float(res.fun), count[0], int(res.nit),
                          bool(res.success), time.perf_counter() - t0, str(res.message))
