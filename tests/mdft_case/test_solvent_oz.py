"""1-D OZ/HNC: transforms against closed forms, bulk and solute solutions against each other."""
import numpy as np
import pytest

from hpcir.mdft_case.solvent_oz import RadialGrid, hnc_mu_ex, lj, solve_bulk, solve_solute

SIGMA, EPS, T, N0 = 3.405, 0.996, 300.0, 0.7 / 3.405 ** 3


@pytest.fixture(scope="module")
def bulk():
    return solve_bulk(SIGMA, EPS, N0, T)


@pytest.mark.parametrize("a", [0.3, 1.0, 2.5])
def test_hankel_transform_of_gaussian(a):
    grid = RadialGrid(4096, 0.01)
    fk = grid.forward(np.exp(-a * grid.r ** 2))
    exact = (np.pi / a) ** 1.5 * np.exp(-grid.k ** 2 / (4 * a))
    assert np.max(np.abs(fk - exact)) < 1e-10 * exact.max()
    assert np.max(np.abs(grid.inverse(fk) - np.exp(-a * grid.r ** 2))) < 1e-10


def test_bulk_satisfies_oz_and_hnc(bulk):
    grid = bulk.grid
    hk = grid.forward(bulk.h)
    # OZ: h = c + n0 c*h, checked in k space with the final h and c (not the iteration variable)
    assert np.max(np.abs(hk - bulk.ck - N0 * bulk.ck * hk)) < 1e-8 * np.max(np.abs(hk))
    closure = np.exp(-lj(grid.r, SIGMA, EPS) / bulk.kt + bulk.h - bulk.c) - 1.0
    assert np.max(np.abs(closure - bulk.h)) < 1e-9
    # a dense LJ liquid: first peak of g above 1.5, core empty, g -> 1 far away
    g = bulk.g()
    assert g.max() > 1.5 and g[grid.r < 0.8 * SIGMA].max() < 1e-6 and abs(g[-100:] - 1).max() < 1e-4


def test_test_particle_reproduces_bulk(bulk):
    sol = solve_solute(bulk, lj(bulk.grid.r, SIGMA, EPS))
    assert np.max(np.abs(sol.h - bulk.h)) < 1e-8
    mu = hnc_mu_ex(bulk.grid, bulk.h, bulk.c, N0, bulk.kt)
    assert sol.mu_ex == pytest.approx(mu, rel=1e-9)


def test_solute_free_energy_grows_with_size(bulk):
    mus = [solve_solute(bulk, lj(bulk.grid.r, 0.5 * (s + SIGMA), EPS)).mu_ex for s in (2.0, 3.0, 4.0, 6.0)]
    assert all(b > a for a, b in zip(mus, mus[1:]))


def test_ideal_gas_limit():
    # at vanishing density c -> Mayer f = exp(-beta u) - 1, with a correction linear in n0
    errs = []
    for n0 in (1e-6, 1e-7):
        bulk = solve_bulk(SIGMA, EPS, n0, T)
        f = np.exp(-lj(bulk.grid.r, SIGMA, EPS) / bulk.kt) - 1.0
        errs.append(np.max(np.abs(bulk.c - f)))
    assert errs[1] < 1e-4 and 8.0 < errs[0] / errs[1] < 12.0
