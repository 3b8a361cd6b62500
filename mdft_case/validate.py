"""`hpcir mdft validate`: every physics and numerics check, each against an independent reference."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable, TextIO

import numpy as np

from . import ctable, kernels, reference
from .angular import AngularGrid
from .config import Config, Solvent
from .constants import kt as kt_of
from .external import Site
from .functional_orient import OrientFunctional, build_orient
from .grid import Grid
from .minimise import lbfgs
from .run import build_scalar, bulk_solvent, run
from .external import scalar_vext
from .functional_scalar import ScalarFunctional
from .solvent_oz import lj, mix, solve_bulk, solve_solute
from .wigner import euler_from_matrix, euler_matrix, kframe_angles, wigner_big_d, wigner_small_d

# The reference state: argon-like LJ (sigma 3.405 Å, eps 0.996 kJ/mol) at T* = 2.5, rho* = 0.7.
SIGMA, EPS, T = 3.405, 0.996, 300.0
N0 = 0.7 / SIGMA ** 3


@dataclass
class Row:
    """One line of the validation table."""

    check: str
    value: float
    reference: float
    error: float
    tolerance: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.error) and self.error <= self.tolerance)


def lj_config(box: float, nodes: int, sigma: float = SIGMA, eps: float = EPS, cutoff: float | None = None,
              mmax: int = 0, solvent: Solvent | None = None, solute: tuple[Site, ...] | None = None) -> Config:
    """A one-site LJ solute in the reference LJ solvent."""
    sites = solute if solute is not None else (Site(0.0, sigma, eps, (0.0, 0.0, 0.0)),)
    return Config(T, (box,) * 3, (nodes,) * 3, mmax, solvent or Solvent("lj", SIGMA, EPS, N0), sites,
                  lj_cutoff=cutoff)


def reference_1d(cfg: Config) -> tuple[float, float]:
    """(mu_ex, delta_n) of the 1-D solute-solvent OZ/HNC for a one-site solute of cfg."""
    bulk = bulk_solvent(SIGMA, EPS, N0, T)
    s, e = mix(cfg.solute[0].sigma, cfg.solute[0].epsilon, SIGMA, EPS)
    sol = solve_solute(bulk, lj(bulk.grid.r, s, e, cfg.cutoff))
    return sol.mu_ex, sol.delta_n


def check_test_particle(box: float = 24.0, nodes: int = 64) -> list[Row]:
    """Solute = solvent particle: F_min = closed-form HNC mu_ex of the bulk; rho/rho0 = bulk g(r).

    Solvent and solute share one pair potential, LJ cut at r = L (the longest cut the 27-image
    sum allows), so the solute really is a solvent particle.
    """
    cfg = lj_config(box, nodes, cutoff=box)
    bulk = solve_bulk(SIGMA, EPS, N0, T, cutoff=box)
    mu_bulk = float(kt_of(T) * N0 * 4 * np.pi * bulk.grid.dr * np.sum(
        bulk.grid.r ** 2 * (0.5 * bulk.h ** 2 - bulk.c - 0.5 * bulk.h * bulk.c)))
    grid = Grid(cfg.box, cfg.nodes)
    vext = scalar_vext(grid, list(cfg.solute), SIGMA, EPS, cfg.vmax_kt * kt_of(T), box)
    func = ScalarFunctional(grid, vext, bulk.ck_at(grid.knorm(half=True)), N0, kt_of(T))
    res = lbfgs(func.evaluate, func.initial_xi(), progress=None)
    d = grid.min_image(grid.centre)
    r = np.sqrt(np.sum(d * d, axis=0))
    inside = r < 0.5 * box
    g_ref = np.interp(r[inside], bulk.grid.r, bulk.g())
    g_err = float(np.max(np.abs(func.density(res.xi)[inside] / N0 - g_ref)))
    via_solute = solve_solute(bulk, lj(bulk.grid.r, SIGMA, EPS, box)).mu_ex
    tag = f"{nodes}^3, L={box:g} Å"
    return [Row(f"A test particle: F_min vs bulk HNC mu_ex ({tag})", res.energy, mu_bulk,
                abs(res.energy / mu_bulk - 1), 2e-3, "closed form n0 kT int[h^2/2 - c - hc/2]"),
            Row("A test particle: 1-D solute OZ/HNC = bulk mu_ex", via_solute, mu_bulk,
                abs(via_solute / mu_bulk - 1), 1e-9, "two 1-D routes"),
            Row(f"A test particle: max |rho/rho0 - g_bulk(r)| ({tag})", g_err, 0.0, g_err, 0.02,
                "pointwise on the grid, r < L/2")]


SOLUTES = [(2.5, 0.5), (5.0, 1.5), (7.0, 2.0), (4.0, 0.2)]


def check_solutes(box: float = 28.0, nodes: int = 64, cutoff: float = 14.0) -> list[Row]:
    """LJ solutes of other sizes against the 1-D solute-solvent OZ/HNC (1 %)."""
    rows = []
    for sigma, eps in SOLUTES:
        cfg = lj_config(box, nodes, sigma, eps, cutoff)
        mu, dn = reference_1d(cfg)
        res = run(cfg, progress=None)
        rows.append(Row(f"A solute sigma={sigma} eps={eps}: F_min vs 1-D OZ/HNC", res.free_energy, mu,
                        abs(res.free_energy / mu - 1), 1e-2, f"dN {res.delta_n:.4f} vs {dn:.4f}"))
    return rows


def convergence_table(out: TextIO) -> list[Row]:
    """F_min against grid spacing (L fixed) and box length (spacing fixed), printed as a table."""
    sigma, eps, cutoff = 5.0, 1.5, 12.0
    mu = reference_1d(lj_config(24.0, 8, sigma, eps, cutoff))[0]
    print(f"\nConvergence (solute sigma={sigma} Å, eps={eps} kJ/mol, LJ cut {cutoff} Å; 1-D OZ/HNC: "
          f"{mu:.5f} kJ/mol)", file=out)
    print(f"{'box Å':>7} {'nodes':>6} {'dx Å':>6} {'F_min kJ/mol':>14} {'rel. err':>10} {'evals':>6}", file=out)
    rows = []
    for box, nodes in [(24.0, 32), (24.0, 48), (24.0, 64), (24.0, 80), (16.0, 32), (20.0, 40), (28.0, 56), (32.0, 64)]:
        res = run(lj_config(box, nodes, sigma, eps, cutoff), progress=None)
        err = abs(res.free_energy / mu - 1)
        print(f"{box:7.1f} {nodes:6d} {box / nodes:6.3f} {res.free_energy:14.6f} {err:10.2e} {res.evaluations:6d}", file=out)
        if nodes >= 64:
            rows.append(Row(f"A convergence: {nodes}^3 L={box:g} vs 1-D", res.free_energy, mu, err, 1e-2))
    return rows


def check_roundtrip() -> list[Row]:
    """projection -> angle -> projection (any mu >= 0 set of a real field) and band-limited angle round trip."""
    rows = []
    rng = np.random.default_rng(7)
    for mmax, mrso in [(1, 1), (2, 2), (3, 1), (3, 2), (5, 2)]:
        ang = AngularGrid(mmax, mrso)
        t = ang.transform_tables()
        x = rng.normal(size=(ang.no, 3, 2, 2))
        p = kernels.angle_to_proj(x, ang.shape, t["fwd"], t["iphi"], t["ipsi"], None)
        y = kernels.proj_to_angle(p, ang.shape, t["bwd"], t["iphi"], t["ipsi"], None)   # band-limited
        p2 = kernels.angle_to_proj(y, ang.shape, t["fwd"], t["iphi"], t["ipsi"], None)
        y2 = kernels.proj_to_angle(p2, ang.shape, t["bwd"], t["iphi"], t["ipsi"], None)
        err = max(float(np.max(np.abs(p2 - p))), float(np.max(np.abs(y2 - y))))
        rows.append(Row(f"B round trip mmax={mmax} mrso={mrso} ({ang.no} angles, {ang.nproj} proj.)",
                        err, 0.0, err, 1e-12))
    return rows


def check_wigner() -> list[Row]:
    """Recursive d^j against Wigner's explicit sum; D^1(R) against the 3x3 matrix; R(k-hat) maps z to k."""
    beta = np.linspace(0.0, np.pi, 23)
    d = wigner_small_d(8, beta)
    err = max(float(np.max(np.abs(d[j][mp + j, m + j] - reference.wigner_d_explicit(j, mp, m, beta))))
              for j in range(9) for mp in range(-j, j + 1) for m in range(-j, j + 1))
    rows = [Row("B Wigner d^j (recursion) vs explicit sum, j <= 8", err, 0.0, err, 1e-12)]
    rng = np.random.default_rng(3)
    a, b, g = rng.uniform(0, 2 * np.pi, 20), rng.uniform(0, np.pi, 20), rng.uniform(0, 2 * np.pi, 20)
    mats = euler_matrix(a, b, g)
    dd = wigner_big_d(1, a, b, g)[1]
    # spherical components u_q = conj(D^1_{q0}) of u = R z; a tensor check of the whole D^1
    u = mats[:, :, 2]
    sph = np.stack([(u[:, 0] - 1j * u[:, 1]) / np.sqrt(2), u[:, 2], -(u[:, 0] + 1j * u[:, 1]) / np.sqrt(2)])
    e1 = float(np.max(np.abs(np.conj(dd[:, 1]) - sph)))
    # representation property D(R1 R2) = D(R1) D(R2) at j = 3
    r12 = mats[:10] @ mats[10:]
    a12, b12, g12 = euler_from_matrix(r12)
    d3 = wigner_big_d(3, a, b, g)[3]
    lhs = wigner_big_d(3, a12, b12, g12)[3]
    rhs = np.einsum("abk,bck->ack", d3[..., :10], d3[..., 10:])
    e2 = float(np.max(np.abs(lhs - rhs)))
    kx, ky, kz = rng.normal(size=(3, 50))
    phi, theta = kframe_angles(kx, ky, kz)
    rk = euler_matrix(phi, theta, np.zeros_like(phi))
    khat = np.stack([kx, ky, kz], 1) / np.sqrt(kx ** 2 + ky ** 2 + kz ** 2)[:, None]
    e3 = float(np.max(np.abs(rk[:, :, 2] - khat)))
    drec = wigner_small_d(3, theta)[3]
    dexp = np.array([[reference.wigner_d_explicit(3, mp, m, theta) for m in range(-3, 4)] for mp in range(-3, 4)])
    e4 = float(np.max(np.abs(drec - dexp)))
    return rows + [Row("B D^1(Omega) vs spherical components of R(Omega) z", e1, 0.0, e1, 1e-13),
                   Row("B D^3(R1 R2) = D^3(R1) D^3(R2)", e2, 0.0, e2, 1e-12),
                   Row("B R(k-hat) z = k-hat; d^3(theta_k) vs explicit", max(e3, e4), 0.0, max(e3, e4), 1e-12)]


def check_brute_force() -> list[Row]:
    """Fast projection-space angular convolution vs pair-by-pair brute force, random symmetric tables."""
    rows = []
    for mmax, mrso, shape in [(1, 1, (5, 3, 5)), (2, 2, (5, 5, 5)), (3, 2, (3, 5, 3)), (2, 1, (3, 3, 5))]:
        entries, values, k = reference.random_table(mmax, mrso, seed=mmax + 10 * mrso)
        table = ctable.CTable(k, entries, values)
        grid = Grid((7.0, 8.0, 9.0), shape)
        ang = AngularGrid(mmax, mrso)
        func = OrientFunctional(grid, ang, np.zeros((ang.no,) + shape), table, N0, kt_of(T))
        drho = np.random.default_rng(mmax).normal(size=(ang.no,) + shape)
        fast = func.gamma(drho)
        slow = reference.brute_force_gamma(drho, ang.rotations(), ang.weights(), grid.kvectors, grid.knorm(),
                                           entries, k, values)
        err = float(np.max(np.abs(slow - fast)) / np.max(np.abs(slow)))
        rows.append(Row(f"B brute-force convolution mmax={mmax} mrso={mrso} grid {shape} ({len(entries)} c entries)",
                        err, 0.0, err, 1e-12, f"max |Im| brute {np.max(np.abs(slow.imag)):.1e}"))
    return rows


def check_c000_equals_tier_a() -> list[Row]:
    """Tier B with only c^{000} and an orientation-blind solute reproduces Tier A."""
    rows = []
    cfg = lj_config(14.0, 16, 4.0, 1.2, 14.0)
    fa, _ = build_scalar(cfg)
    xi_a = fa.initial_xi() * 1.01
    f_a = fa.evaluate(xi_a)[0]
    res_a = run(cfg, progress=None)
    for mmax in (1, 3):
        fb, _ = build_orient(cfg.with_(mmax=mmax))
        f_b = fb.evaluate(np.broadcast_to(xi_a, (fb.ang.no,) + xi_a.shape[1:]).copy())[0]
        rows.append(Row(f"B c000-only mmax={mmax}: F(xi) = Tier A F(xi)", f_b, f_a, abs(f_b / f_a - 1), 1e-12))
        res_b = lbfgs(fb.evaluate, fb.initial_xi(), progress=None)
        rows.append(Row(f"B c000-only mmax={mmax}: F_min = Tier A F_min", res_b.energy, res_a.free_energy,
                        abs(res_b.energy / res_a.free_energy - 1), 1e-8))
    return rows


def _rotated(cfg: Config, rot: np.ndarray) -> Config:
    return cfg.with_(solute=tuple(Site(s.charge, s.sigma, s.epsilon, tuple(rot @ np.asarray(s.position)))
                                  for s in cfg.solute))


def stockmayer_case(mmax: int = 2, nodes: int = 15, box: float = 15.0, mrso: int = 1) -> Config:
    """A charged, asymmetric two-site solute in the dipolar (stockmayer) solvent."""
    solute = (Site(0.6, 3.0, 0.8, (0.3, -0.5, 0.7)), Site(-0.6, 2.5, 0.5, (-0.9, 0.4, -0.2)))
    return lj_config(box, nodes, mmax=mmax, cutoff=box, solvent=Solvent("stockmayer", SIGMA, EPS, N0, 0.2, 1.0, mrso),
                     solute=solute)


def check_rotation() -> list[Row]:
    """The same solute rotated (cubic rotations; the orientation grid turned with it) gives the same F_min."""
    cfg = stockmayer_case()
    f0, _ = build_orient(cfg)
    ref = lbfgs(f0.evaluate, f0.initial_xi(), progress=None).energy
    rx = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    rz = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    rows = []
    for name, rot in [("90 deg about x", rx), ("90 deg about x then z", rz @ rx)]:
        f1, _ = build_orient(_rotated(cfg, rot), frame=rot)
        val = lbfgs(f1.evaluate, f1.initial_xi(), progress=None).energy
        rows.append(Row(f"B rotated solute ({name}), stockmayer mmax=2 mrso=1", val, ref, abs(val / ref - 1), 1e-8))
    # mrso = 2 describes the same linear molecule: same F_min as mrso = 1 up to the angular quadrature
    cfg2 = stockmayer_case(mrso=2)
    f2, _ = build_orient(_rotated(cfg2, rx), frame=rx)
    g2, _ = build_orient(cfg2)
    a2 = lbfgs(f2.evaluate, f2.initial_xi(), progress=None).energy
    b2 = lbfgs(g2.evaluate, g2.initial_xi(), progress=None).energy
    rows.append(Row("B rotated solute (90 deg about x), stockmayer mmax=2 mrso=2", a2, b2, abs(a2 / b2 - 1), 1e-8))
    rows.append(Row("B linear molecule: mrso=2 F_min = mrso=1 F_min", b2, ref, abs(b2 / ref - 1), 1e-8,
                    "psi-independent density, so both psi grids are exact"))
    return rows


def _fd_check(name: str, evaluate: Callable, xi: np.ndarray, seed: int) -> Row:
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=xi.shape)
    _, grad = evaluate(xi)
    exact = float(np.sum(grad * direction))
    h = 1e-5
    fd = (evaluate(xi + h * direction)[0] - evaluate(xi - h * direction)[0]) / (2 * h)
    return Row(name, fd, exact, abs(fd / exact - 1), 1e-6, "central difference, h = 1e-5")


def check_gradients() -> list[Row]:
    """dF/dxi of the full functional against central finite differences along random directions."""
    # xi in [0.5, 1.5]: x ln x has an unbounded third derivative at xi -> 0, which would make the
    # finite difference itself inaccurate, not the gradient.
    rng = np.random.default_rng(5)
    fa, _ = build_scalar(lj_config(12.0, 16, 3.0, 1.0, 12.0))
    xa = rng.uniform(0.5, 1.5, size=fa.shape)
    fb, _ = build_orient(stockmayer_case(2, 9, 12.0))
    xb = rng.uniform(0.5, 1.5, size=fb.vext.shape)
    return [_fd_check("G gradient, Tier A (LJ, 16^3)", fa.evaluate, xa, 1),
            _fd_check("G gradient, Tier B (stockmayer + charges, mmax 2, 9^3)", fb.evaluate, xb, 2)]


CHECKS: list[tuple[str, Callable[..., list[Row]]]] = [
    ("Wigner d / rotations", check_wigner),
    ("angle<->projection round trips", check_roundtrip),
    ("brute-force angular convolution", check_brute_force),
    ("gradients", check_gradients),
    ("test particle", check_test_particle),
    ("LJ solutes vs 1-D OZ", check_solutes),
    ("Tier B c000 = Tier A", check_c000_equals_tier_a),
    ("rotated solute", check_rotation),
]


def validate(out: TextIO = sys.stdout, quick: bool = False) -> list[Row]:
    """Run every check, print the table; `quick` skips the convergence sweep."""
    rows: list[Row] = []
    for title, fn in CHECKS:
        t0 = time.perf_counter()
        rows += fn()
        print(f"mdft validate: {title} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    if not quick:
        rows += convergence_table(out)
    width = max(len(r.check) for r in rows)
    print(f"\n{'check':<{width}} {'value':>14} {'reference':>14} {'error':>9} {'tol':>8}  ok", file=out)
    for r in rows:
        print(f"{r.check:<{width}} {r.value:14.8g} {r.reference:14.8g} {r.error:9.1e} {r.tolerance:8.0e}  "
              f"{'PASS' if r.ok else 'FAIL'}{'  ' + r.note if r.note else ''}", file=out)
    failed = [r for r in rows if not r.ok]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} checks passed", file=out)
    return rows
