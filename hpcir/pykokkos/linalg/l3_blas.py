"""PyKokkos' `pykokkos.linalg.l3_blas`: level-3 BLAS on views, computed by hpcir kernels.

Absolute imports only: a module named `pykokkos` that forwards to hpcir.pykokkos loads this file
again as `pykokkos.linalg.l3_blas`, where relative imports past `pykokkos` would fail.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from hpcir import api
from hpcir.core.errors import HpcirError, user_call_site
from hpcir.frontends.python.kernel import kernel
from hpcir.frontends.python.policies import MDRangePolicy
from hpcir.pykokkos_names import PkArray


class ShapeError(HpcirError, ValueError):
    """Operands of dgemm whose shapes do not fit (a ValueError too, as PyKokkos raises)."""


@kernel
def pk_dgemm(i: int, j: int, alpha: float, a, b, out):
    s = 0.0
    for k in range(a.extent(1)):
        s += a[i, k] * b[k, j] * alpha
    out[i, j] = s


@kernel
def pk_dgemm_c(i: int, j: int, alpha: float, beta: float, a, b, c, out):
    s = 0.0
    for k in range(a.extent(1)):
        s += a[i, k] * b[k, j] * alpha
    out[i, j] = s + c[i, j] * beta


def _matrix(view: Any, what: str) -> np.ndarray:
    x = np.asarray(view)
    if x.ndim != 2:
        raise ShapeError(f"dgemm: {what} must be a 2-D view, got shape {x.shape}", user_call_site(),
                         hint=f"pass {what} as a pk.View2D (reshape a 1-D view to (1, n) or (n, 1))")
    return x.astype(np.float64, copy=False)  # double precision, as the name says


def dgemm(alpha: float, view_a: Any, view_b: Any, beta: float = 0.0, view_c: Any = None) -> np.ndarray:
    """pk.linalg.l3_blas.dgemm: a new (m, n) double view alpha * A @ B (+ beta * C when view_c is given)."""
    a, b = _matrix(view_a, "view_a"), _matrix(view_b, "view_b")
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"Second dimensions shape of a is {a.shape[1]} which does not match first dimension "
                         f"shape of b, {b.shape[0]}.", user_call_site(),
                         hint="view_a must be (m, k) and view_b (k, n)")
    out = np.zeros((a.shape[0], b.shape[1]), np.float64).view(PkArray)
    if out.size == 0:
        return out
    policy = MDRangePolicy([0, 0], list(out.shape))
    if view_c is None:
        api.parallel_for(policy, pk_dgemm, alpha=float(alpha), a=a, b=b, out=out)
        return out
    c = _matrix(view_c, "view_c")
    if c.shape != out.shape:
        raise ShapeError(f"dgemm: view_c has shape {c.shape}, the product {out.shape}", user_call_site(),
                         hint="pass a view_c of shape (view_a.shape[0], view_b.shape[1])")
    api.parallel_for(policy, pk_dgemm_c, alpha=float(alpha), beta=float(beta), a=a, b=b, c=c, out=out)
    return out
