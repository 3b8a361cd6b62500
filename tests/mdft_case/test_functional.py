"""Functionals: gradients vs finite differences, Tier B vs Tier A, brute-force convolution, rotations."""
import numpy as np
import pytest

from hpcir.mdft_case import ctable, reference
from hpcir.mdft_case.angular import AngularGrid
from hpcir.mdft_case.config import Config, Solvent
from hpcir.mdft_case.external import Site
from hpcir.mdft_case.functional_orient import OrientFunctional, build_orient
from hpcir.mdft_case.grid import Grid
from hpcir.mdft_case.minimise import lbfgs
from hpcir.mdft_case.run import build_scalar

SIGMA, EPS, T, N0 = 3.405, 0.996, 300.0, 0.7 / 3.405 ** 3
STOCK = Solvent("stockmayer", SIGMA, EPS, N0, 0.2)
IONS = (Site(0.6, 3.0, 0.8, (0.3, -0.5, 0.7)), Site(-0.6, 2.5, 0.5, (-0.9, 0.4, -0.2)))


def lj_cfg(box=12.0, nodes=12, sigma=3.0, eps=1.0, mmax=0, solvent=None, solute=None):
    return Config(T, (box,) * 3, (nodes,) * 3, mmax, solvent or Solvent("lj", SIGMA, EPS, N0),
                  solute or (Site(0.0, sigma, eps, (0.0, 0.0, 0.0)),), lj_cutoff=box)


def fd_error(evaluate, xi, seed):
    direction = np.random.default_rng(seed).normal(size=xi.shape)
    exact = np.sum(evaluate(xi)[1] * direction)
    h = 1e-5
    fd = (evaluate(xi + h * direction)[0] - evaluate(xi - h * direction)[0]) / (2 * h)
    return abs(fd / exact - 1)


@pytest.mark.parametrize("seed", range(3))
def test_gradient_tier_a(seed):
    func, _ = build_scalar(lj_cfg())
    xi = np.random.default_rng(seed).uniform(0.5, 1.5, func.shape)
    assert fd_error(func.evaluate, xi, seed) < 1e-7


@pytest.mark.parametrize("mmax,nodes", [(1, 8), (2, 7)])
def test_gradient_tier_b_dipolar_with_charges(mmax, nodes):
    func, _ = build_orient(lj_cfg(10.0, nodes, mmax=mmax, solvent=STOCK, solute=IONS))
    xi = np.random.default_rng(mmax).uniform(0.5, 1.5, func.vext.shape)
    assert fd_error(func.evaluate, xi, 7) < 1e-7


@pytest.mark.parametrize("mmax,mrso,shape", [(1, 1, (3, 5, 3)), (2, 2, (5, 3, 3))])
def test_fast_convolution_equals_brute_force(mmax, mrso, shape):
    entries, values, k = reference.random_table(mmax, mrso, seed=4)
    grid = Grid((6.0, 7.0, 8.0), shape)
    ang = AngularGrid(mmax, mrso)
    func = OrientFunctional(grid, ang, np.zeros((ang.no,) + shape), ctable.CTable(k, entries, values), N0, 2.5)
    drho = np.random.default_rng(0).normal(size=(ang.no,) + shape)
    slow = reference.brute_force_gamma(drho, ang.rotations(), ang.weights(), grid.kvectors, grid.knorm(),
                                       entries, k, values)
    assert np.max(np.abs(slow - func.gamma(drho))) < 1e-12 * np.max(np.abs(slow))


def test_random_table_breaking_reality_is_detected():
    # the brute force must be able to fail: an odd-parity entry that does not vanish at k = 0
    k = np.linspace(0, 20, 100)
    entries = np.array([[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    values = np.stack([1j * np.exp(-k * k), -1j * np.exp(-k * k)])
    grid = Grid((6.0, 6.0, 6.0), (3, 3, 3))
    ang = AngularGrid(1, 1)
    drho = np.random.default_rng(0).normal(size=(ang.no, 3, 3, 3))
    slow = reference.brute_force_gamma(drho, ang.rotations(), ang.weights(), grid.kvectors, grid.knorm(),
                                       entries, k, values)
    assert np.max(np.abs(slow.imag)) > 1e-3


@pytest.mark.parametrize("mmax", [1, 2])
def test_c000_only_equals_tier_a(mmax):
    cfg = lj_cfg(12.0, 12, 4.0, 1.2)
    fa, _ = build_scalar(cfg)
    fb, _ = build_orient(cfg.with_(mmax=mmax))
    xi = np.random.default_rng(1).uniform(0.5, 1.5, fa.shape)
    fa_val, ga = fa.evaluate(xi)
    fb_val, gb = fb.evaluate(np.broadcast_to(xi, (fb.ang.no,) + xi.shape[1:]).copy())
    assert fb_val == pytest.approx(fa_val, rel=1e-12)
    assert np.max(np.abs(gb.sum(axis=0) - ga[0])) < 1e-12 * np.max(np.abs(ga))


def test_rotated_solute_gives_same_free_energy():
    cfg = lj_cfg(11.0, 11, mmax=1, solvent=STOCK, solute=IONS)
    rot = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    f0, _ = build_orient(cfg)
    moved = cfg.with_(solute=tuple(Site(s.charge, s.sigma, s.epsilon, tuple(rot @ np.asarray(s.position))) for s in IONS))
    f1, _ = build_orient(moved, frame=rot)
    e0 = lbfgs(f0.evaluate, f0.initial_xi(), progress=None).energy
    e1 = lbfgs(f1.evaluate, f1.initial_xi(), progress=None).energy
    assert e1 == pytest.approx(e0, rel=1e-8)
    # without turning the orientation grid the result is only approximately invariant
    f2, _ = build_orient(moved)
    e2 = lbfgs(f2.evaluate, f2.initial_xi(), progress=None).energy
    assert e2 != pytest.approx(e0, rel=1e-8)
