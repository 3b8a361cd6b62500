"""PyKokkos' gh-180 spellings (issue 14): bare C++ type names in annotations (`pk.ScratchView1D[double]`,
`int64_t`) and scratch views made without extents (Kokkos' View(team.team_scratch(0)): every extent 0),
in a team kernel compared with NumPy."""
from __future__ import annotations

import numpy as np

import hpcir.pykokkos as pk


@pk.workunit
def row_sums(team: pk.TeamMember, x: pk.View2D[pk.double], out: pk.View1D[pk.double], ext: pk.View1D[pk.int64]):
    s: pk.ScratchView1D[double] = pk.ScratchView1D(team.team_scratch(0), 4)  # noqa: F821 (C++'s double)
    none: pk.ScratchView1D[int64_t] = pk.ScratchView1D(team.team_scratch(0))  # noqa: F821
    r: int = team.league_rank()

    def fill(t: int):
        s[t] = x[r, t] * 2.0

    pk.parallel_for(pk.TeamThreadRange(team, 4), fill)
    team.team_barrier()
    if team.team_rank() == 0:
        total: double = 0.0  # noqa: F821
        for t in range(4):
            total += s[t]
        out[r] = total
        ext[r] = none.extent(0) + 7


def test_cpp_type_names_and_extentless_scratch():
    x = np.arange(12.0).reshape(3, 4) ** 1.5
    out, ext = np.zeros(3), np.zeros(3, np.int64)
    pk.parallel_for(pk.TeamPolicy(3, 1), row_sums, x=x, out=out, ext=ext)
    np.testing.assert_allclose(out, (2.0 * x).sum(axis=1), rtol=1e-15)
    assert ext.tolist() == [7, 7, 7]  # the view without extents has none (Kokkos: extent 0)
