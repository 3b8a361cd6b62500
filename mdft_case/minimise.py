"""L-BFGS minimisation of the functional over xi, with a progress line per iteration on stderr.

Our own L-BFGS (Nocedal & Wright, Numerical Optimization, alg. 7.4/7.5) over plain arrays, with
SciPy's strong-Wolfe line search (scalar work only). SciPy's L-BFGS-B driver was measured to
spend most of its time in multithreaded BLAS spinning when the 2-core machine is shared; this
loop uses only element-wise NumPy and dot products, the operations a backend port would use.
"""
from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, TextIO

import numpy as np
from scipy.optimize import line_search


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


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # einsum's own loop: no BLAS threads (they spin badly on a shared 2-core machine)
    return float(np.einsum("i,i->", a, b))


def _direction(g: np.ndarray, pairs: deque) -> np.ndarray:
    """Two-loop recursion: -H g with the stored (s, y, 1/y.s) pairs and gamma = s.y / y.y scaling."""
    q = g.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * _dot(s, q)
        q -= a * y
        alphas.append(a)
    s, y, _ = pairs[-1]
    q *= _dot(s, y) / _dot(y, y)
    for (s, y, rho), a in zip(pairs, reversed(alphas)):
        b = rho * _dot(y, q)
        q += (a - b) * s
    return -q


def lbfgs(evaluate: Callable[[np.ndarray], tuple[float, np.ndarray]], xi0: np.ndarray,
          ftol: float = 1e-11, gtol: float = 1e-9, max_iter: int = 500, memory: int = 10,
          progress: TextIO | None = sys.stderr) -> MinimiseResult:
    """Minimise F(xi); converged when the relative F change of a step < ftol or max|grad| < gtol."""
    shape = xi0.shape
    t0 = time.perf_counter()
    count = 0
    cache: dict[str, tuple[np.ndarray, float, np.ndarray]] = {}

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal count
        last = cache.get("last")
        if last is not None and np.array_equal(last[0], x):
            return last[1], last[2]
        count += 1
        f, g = evaluate(x.reshape(shape))
        g = np.ascontiguousarray(g, dtype=float).ravel()
        cache["last"] = (x.copy(), float(f), g)
        return float(f), g

    x = np.ascontiguousarray(xi0, dtype=float).ravel().copy()
    f, g = fg(x)
    pairs: deque = deque(maxlen=memory)
    f_prev = f + max(1.0, abs(f))
    message, converged, it = "maximum number of iterations", False, 0
    for it in range(1, max_iter + 1):
        if float(np.max(np.abs(g))) < gtol:
            message, converged = "gradient below gtol", True
            break
        d = _direction(g, pairs) if pairs else -g / max(1.0, float(np.sqrt(_dot(g, g))))
        slope = _dot(g, d)
        if slope >= 0.0:   # not a descent direction: restart from steepest descent
            pairs.clear()
            d = -g / max(1.0, float(np.sqrt(_dot(g, g))))
            slope = _dot(g, d)
        alpha, *_ = line_search(lambda z: fg(z)[0], lambda z: fg(z)[1], x, d, g, f, f_prev,
                                c1=1e-4, c2=0.9, maxiter=30)
        if alpha is None:
            if pairs:
                pairs.clear()
                continue
            message = "line search failed"
            break
        x_new = x + alpha * d
        f_new, g_new = fg(x_new)
        s, y = x_new - x, g_new - g
        sy = _dot(s, y)
        if sy > 1e-12 * _dot(y, y):
            pairs.append((s, y, 1.0 / sy))
        f_prev, f, x, g = f, f_new, x_new, g_new
        if progress is not None:
            print(f"mdft: iter {it:4d}  F = {f:+.10f} kJ/mol  |g|max {float(np.max(np.abs(g))):.2e}  "
                  f"evals {count:4d}  {time.perf_counter() - t0:7.2f} s", file=progress, flush=True)
        if abs(f_prev - f) <= ftol * max(abs(f_prev), abs(f), 1.0):
            message, converged = "relative change of F below ftol", True
            break
    return MinimiseResult(x.reshape(shape), f, count, it, converged, time.perf_counter() - t0, message)
