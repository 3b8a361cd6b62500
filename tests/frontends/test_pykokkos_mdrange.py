"""pk.TeamThreadMDRange / ThreadVectorMDRange / TeamVectorMDRange in team workunits (for and
reduce, ranks 2 and 3), compared with NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk


@pk.workunit
def md_kernels(team: pk.TeamMember, A: pk.View3D[pk.double], B: pk.View2D[pk.double], C: pk.View1D[pk.double],
               D: pk.View4D[pk.double], row: pk.View1D[pk.double], n1: int, n2: int, n3: int):
    r: int = team.league_rank()

    def fill(i0: int, i1: int):
        A[r][i0][i1] = B[r][i0] * 10.0 + C[i1] + i0 - 2 * i1

    pk.parallel_for(pk.TeamThreadMDRange(team, n1, n2), fill)
    team.team_barrier()

    def total(i0: int, i1: int, acc: pk.Acc[pk.double]):
        acc += A[r][i0][i1] * (i0 + 1)

    s: float = pk.parallel_reduce(pk.TeamThreadMDRange(team, n1, n2), total)

    def cube(i: int, j: int, k: int):
        D[r][i][j][k] = 100.0 * i + 10.0 * j + k + s

    def lanes(i: int, j: int, k: int):
        D[r][i][j][k] += 0.5

    pk.parallel_for(pk.TeamVectorMDRange(team, n1, n2, n3), cube)
    team.team_barrier()
    def one_thread(q: int):  # one thread's vector lanes over the whole 3-D space
        pk.parallel_for(pk.ThreadVectorMDRange(team, n1, n2, n3), lanes)

    pk.parallel_for(pk.TeamThreadRange(team, 1), one_thread)
    team.team_barrier()
    if team.team_rank() == 0:
        row[r] = s


@pytest.mark.parametrize("shape", [(5, 3, 4, 2), (2, 1, 7, 3)])
def test_md_team_ranges_against_numpy(shape):
    n0, n1, n2, n3 = shape
    rng = np.random.default_rng(n0)
    B, C = rng.random((n0, n1)), rng.random(n2)
    A, D, row = np.zeros((n0, n1, n2)), np.zeros((n0, n1, n2, n3)), np.zeros(n0)
    pk.parallel_for(pk.TeamPolicy(n0, pk.AUTO), md_kernels, A=A, B=B, C=C, D=D, row=row, n1=n1, n2=n2, n3=n3)
    i0, i1 = np.indices((n1, n2))
    want_a = B[:, :, None] * 10.0 + C[None, None, :] + i0 - 2 * i1
    np.testing.assert_allclose(A, want_a, rtol=1e-14)
    want_s = (want_a * (i0 + 1)).sum(axis=(1, 2))
    np.testing.assert_allclose(row, want_s, rtol=1e-12)
    i, j, k = np.indices((n1, n2, n3))
    np.testing.assert_allclose(D, (100.0 * i + 10.0 * j + k)[None] + want_s[:, None, None, None] + 0.5, rtol=1e-12)
