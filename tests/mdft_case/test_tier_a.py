"""Tier A end to end on small grids: the 3-D functional against the 1-D OZ/HNC reference."""
import numpy as np
import pytest

from hpcir.mdft_case.config import Config, Solvent
from hpcir.mdft_case.external import Site
from hpcir.mdft_case.run import bulk_solvent, pressure_corrections, run
from hpcir.mdft_case.solvent_oz import lj, mix, solve_solute

SIGMA, EPS, T, N0 = 3.405, 0.996, 300.0, 0.7 / 3.405 ** 3


@pytest.mark.parametrize("sigma,eps", [(3.405, 0.996), (2.5, 0.5), (6.0, 2.0)])
def test_lj_solute_matches_1d_oz(sigma, eps):
    cfg = Config(T, (20.0,) * 3, (40,) * 3, 0, Solvent("lj", SIGMA, EPS, N0), (Site(0.0, sigma, eps, (0.0, 0.0, 0.0)),),
                 lj_cutoff=10.0)
    res = run(cfg, progress=None)
    bulk = bulk_solvent(SIGMA, EPS, N0, T)
    s, e = mix(sigma, eps, SIGMA, EPS)
    ref = solve_solute(bulk, lj(bulk.grid.r, s, e, 10.0))
    assert res.converged
    assert res.free_energy == pytest.approx(ref.mu_ex, rel=1e-2)
    assert res.delta_n == pytest.approx(ref.delta_n, rel=2e-2)
    # radial profile: the first-shell peak position and height of h_s
    peak = res.rdf_r[np.argmax(res.rdf_g)]
    assert abs(peak - bulk.grid.r[np.argmax(ref.h)]) < 0.5
    assert res.rdf_g.max() == pytest.approx(1 + ref.h.max(), rel=5e-2)


def test_off_centre_solute_same_energy():
    base = Config(T, (16.0,) * 3, (32,) * 3, 0, Solvent("lj", SIGMA, EPS, N0), (Site(0.0, 3.0, 1.0, (0.0, 0.0, 0.0)),),
                  lj_cutoff=8.0)
    shifted = base.with_(solute=(Site(0.0, 3.0, 1.0, (1.0, -2.0, 0.5)),))   # whole grid steps: exact
    assert run(shifted, progress=None).free_energy == pytest.approx(run(base, progress=None).free_energy, rel=1e-9)


def test_pressure_corrections_formulae():
    pc, pcp = pressure_corrections(10.0, -2.0, 0.15, 0.02, 2.5)
    assert pc == pytest.approx(10.0 - 0.15 * 100.0)
    assert pcp == pytest.approx(pc + 0.02 * 2.5 * 100.0)
