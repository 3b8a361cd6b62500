"""Where the Kokkos C++ declares a kernel's scalar locals (backends/kokkos_cpp/slots.py): at the first
assignment of the innermost scope that uses them, so that team-level lambdas get their own accumulators;
a value carried from one iteration to the next keeps its outer declaration. The cases run against NumPy."""
from __future__ import annotations

import re

import numpy as np
import pytest

import hpcir
from hpcir.api import build_module, emit_cpp, lower_to_l3


@hpcir.kernel
def csr_rows(team: hpcir.TeamMember, offset: hpcir.View1D[int], col: hpcir.View1D[int],
             val: hpcir.View2D[complex], x: hpcir.View2D[complex], nrow: int, y: hpcir.View2D[complex]):
    # one team per right-hand side k: y[:, k] = A_k x[:, k], a row per thread of the team
    k = team.league_rank()
    scale = 0.5

    def row(r: int):
        acc = complex(0.0, 0.0)
        for e in range(offset[r], offset[r + 1]):
            acc += val[e, k] * x[col[e], k]
        y[r, k] = scale * acc

    hpcir.parallel_for(hpcir.TeamThreadRange(team, nrow), row)


@hpcir.kernel
def running(i: int, x: hpcir.View2D[float], y: hpcir.View2D[float]):
    total = 0.0
    for k in range(x.extent(1)):
        t = x[i, k] * 2.0            # set first in the loop body: a fresh variable per iteration
        total = total + t            # carried across iterations: declared before the loop
        if k == 0:
            prev = x[i, 0]           # first set in a branch: it must keep its value to the next iteration
        y[i, k] = total - (x[i, k] - prev)
        prev = x[i, k]


def _csr(rng: np.random.Generator, nrow: int, nk: int):
    nnz = rng.integers(0, 5, nrow)
    offset = np.concatenate([[0], np.cumsum(nnz)]).astype(np.int64)
    col = rng.integers(0, nrow, offset[-1]).astype(np.int64)
    val = rng.normal(size=(offset[-1], nk)) + 1j * rng.normal(size=(offset[-1], nk))
    x = rng.normal(size=(nrow, nk)) + 1j * rng.normal(size=(nrow, nk))
    return offset, col, val, x


@pytest.mark.parametrize("target", ["cpu", "serial"])
@pytest.mark.parametrize("nrow,nk,seed", [(1, 1, 0), (7, 5, 1), (40, 9, 2)])
def test_team_lambda_accumulator_matches_numpy(target, nrow, nk, seed):
    offset, col, val, x = _csr(np.random.default_rng(seed), nrow, nk)
    y = np.full((nrow, nk), np.nan + 0j)
    hpcir.parallel_for(hpcir.TeamPolicy(nk, hpcir.AUTO), csr_rows, target=target, offset=offset, col=col,
                       val=val, x=x, nrow=nrow, y=y)
    want = np.zeros((nrow, nk), complex)
    for r in range(nrow):
        for e in range(offset[r], offset[r + 1]):
            want[r] += val[e] * x[col[e]]
    np.testing.assert_allclose(y, 0.5 * want, rtol=1e-13, atol=1e-13)


def test_carried_and_per_iteration_locals_match_numpy(target="cpu"):
    x = np.random.default_rng(3).normal(size=(6, 9))
    y = np.empty_like(x)
    hpcir.parallel_for(len(x), running, target=target, x=x, y=y)
    diff = np.diff(x, axis=1, prepend=x[:, :1])
    np.testing.assert_allclose(y, np.cumsum(2.0 * x, axis=1) - diff, rtol=1e-14, atol=1e-14)


def _cpp(kind: str, policy, kernel, target: str, **args) -> str:
    """The C++ of one launch as emitted for `target` (its views moved to the target's memory space)."""
    from hpcir.api import bind
    from hpcir.core.targets import get_target
    from hpcir.frontends.python.types import ViewType
    spec = bind(kind, policy, kernel, args, "cpu", None, None).loaded.spec
    space = get_target(target).memory_space
    spec.param_types = {n: t.with_space(space) if isinstance(t, ViewType) else t for n, t in spec.param_types.items()}
    files = emit_cpp(lower_to_l3(build_module([spec], target), target), target, "m")
    return files["m.cpp"]


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_team_lambda_declares_its_own_accumulator(target):
    offset, col, val, x = _csr(np.random.default_rng(0), 4, 2)
    cpp = _cpp("for", hpcir.TeamPolicy(2, hpcir.AUTO), csr_rows, target, offset=offset, col=col, val=val, x=x,
               nrow=4, y=np.empty((4, 2), complex))
    body = cpp[cpp.index("operator()"):]
    lam = body.index("Kokkos::TeamThreadRange")
    assert re.search(r"hpcir::complex128 acc\w* = hpcir::complex128\(0\.0, 0\.0\);", body[lam:]), body
    assert not re.search(r"complex128 acc\w*\{\}", body[:lam]), body   # nothing shared by reference with the lambda


def test_carried_values_keep_their_outer_declaration():
    x = np.zeros((2, 3))
    body = _cpp("for", 2, running, "cpu", x=x, y=x.copy())
    body = body[body.index("operator()"):]
    loop = body.index("for (")
    assert re.search(r"double t\w* = ", body[loop:]) and not re.search(r"double t\w*\{\}", body[:loop]), body
    assert re.search(r"double prev\w*\{\};", body[:loop]), body    # first set in a branch: before the loop
    assert re.search(r"double total\w* = 0\.0;", body[:loop]), body
