"""Every MDFT backend that can run here agrees with the NumPy reference: F and dF/dxi at a fixed xi
to 1e-10 relative (issue 13), on 16^3 grids, Tier A and Tier B with the dense c-table."""
import functools

import numpy as np
import pytest

from hpcir.mdft_case.backends import BACKENDS, get, problem_of
from hpcir.mdft_case.backends.torch_backend import TorchEvaluator
from hpcir.mdft_case.config import Config, Solvent
from hpcir.mdft_case.ctable import dense, dense_entries
from hpcir.mdft_case.external import Site
from hpcir.mdft_case.functional_orient import build_orient
from hpcir.mdft_case.run import build_scalar
from hpcir.mdft_case.solvent_oz import bulk_solvent

SIGMA, EPS, N0 = 3.405, 0.996, 0.7 / 3.405 ** 3
ION_PAIR = (Site(0.8, 3.0, 0.5, (1.6, 0.0, 0.0)), Site(-0.8, 4.0, 0.5, (-1.9, 0.0, 0.0)))


def _config(mmax: int, mrso: int = 2, ctable: str = "dense") -> Config:
    if mmax == 0:
        return Config(300.0, (20.0,) * 3, (16,) * 3, 0, Solvent("lj", SIGMA, EPS, N0), ION_PAIR[1:], lj_cutoff=10.0)
    return Config(300.0, (20.0,) * 3, (16,) * 3, mmax, Solvent("stockmayer", SIGMA, EPS, N0, 0.2, 1.0, mrso, ctable),
                  ION_PAIR, lj_cutoff=10.0)


CASES = {"A": (0, 1), "B1-mrso1": (1, 1), "B2-dense": (2, 2)}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    return _case(request.param)


@functools.lru_cache(maxsize=None)
def _case(name: str):
    mmax, mrso = CASES[name]
    cfg = _config(mmax, mrso)
    func = build_scalar(cfg)[0] if mmax == 0 else build_orient(cfg)[0]
    xi = func.initial_xi() * (1.0 + 0.2 * np.random.default_rng(7).standard_normal(func.initial_xi().shape))
    return problem_of(func), xi, func.evaluate(xi)


def _rel(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("name", ["numpy", "jax", "torch-eager", "hpcir-serial", "hpcir-cpu", "kokkos-cpp"])
def test_fixed_xi_agreement(case, name):
    _agrees(case, name)


# hpcir-jax / hpcir-torch (hpcir_kernels.py translated to array code), within CI's time budget: JAX on the
# fullest case (dense table, angular mix; its per-kernel jits are a second compile, so no profile), eager
# Torch on Tier B with the profile (`hpcir mdft compare` runs the torch.compile chain)
@pytest.mark.parametrize("case_name,name,profile", [("B2-dense", "hpcir-jax", False),
                                                    ("B1-mrso1", "hpcir-torch-eager", True)])
def test_fixed_xi_agreement_array_targets(case_name, name, profile):
    _agrees(_case(case_name), name, profile)


def _agrees(case, name, profile=True):
    problem, xi, (f_ref, g_ref) = case
    backend = get(name.removesuffix("-eager"))
    if backend.unavailable():
        pytest.skip(backend.unavailable())
    if name == "torch-eager":
        ev = TorchEvaluator(problem, compiled=False)
    elif name == "hpcir-torch-eager":
        from hpcir.mdft_case.backends.hpcir_array_backend import HpcirTorchEvaluator
        ev = HpcirTorchEvaluator(problem, compiled=False)
    else:
        ev = backend.evaluator(problem)
    f, g = ev.evaluate(xi)
    assert abs(f - f_ref) <= 1e-10 * abs(f_ref)
    assert _rel(g, g_ref) <= 1e-10
    if not profile:
        return
    # the per-kernel profile runs the same chain, one kernel at a time
    times = ev.kernel_seconds(xi, repeats=1)
    assert list(times) == list(problem.kernel_names) and all(t >= 0.0 for t in times.values())


def test_torch_compile_agrees():
    """The production torch path (torch.compile of the whole chain), Tier B."""
    if BACKENDS["torch"].unavailable():
        pytest.skip(BACKENDS["torch"].unavailable())
    func = build_orient(_config(1))[0]
    xi = func.initial_xi()
    f_ref, g_ref = func.evaluate(xi)
    f, g = get("torch").evaluator(problem_of(func)).evaluate(xi)
    assert abs(f - f_ref) <= 1e-10 * abs(f_ref) and _rel(g, g_ref) <= 1e-10


@pytest.mark.parametrize("team", [True, False])
def test_hpcir_contraction_team_and_fallback(case, team):
    """Both forms of the hpcir k-space contraction agree: team scratch per k-vector, one thread per k-vector."""
    problem, xi, (f_ref, g_ref) = case
    if problem.tier == "A" or BACKENDS["hpcir-cpu"].unavailable():
        pytest.skip("no contraction at mmax 0" if problem.tier == "A" else BACKENDS["hpcir-cpu"].unavailable())
    from hpcir.mdft_case.backends.hpcir_backend import HpcirEvaluator
    ev = HpcirEvaluator(problem, "cpu", team=team)
    assert ev.k.team is team
    f, g = ev.evaluate(xi)
    assert abs(f - f_ref) <= 1e-10 * abs(f_ref) and _rel(g, g_ref) <= 1e-10


@pytest.mark.parametrize("name", ["hpcir-serial", "hpcir-cpu", "kokkos-cpp"])
@pytest.mark.parametrize("mmax", [0, 1])
def test_minimisation_agrees(name, mmax):
    """The shared L-BFGS on the hpcir kernels and the hand-written Kokkos C++: numpy's F_min to 1e-8 relative,
    iterations +-2."""
    if BACKENDS[name].unavailable():
        pytest.skip(BACKENDS[name].unavailable())
    from hpcir.mdft_case.minimise import lbfgs
    cfg = _config(mmax, 1)
    func = build_scalar(cfg)[0] if mmax == 0 else build_orient(cfg)[0]
    run = {}
    for which in ("numpy", name):
        ev = get(which).evaluator(problem_of(func))
        run[which] = lbfgs(ev.evaluate, func.initial_xi(), ftol=cfg.ftol, gtol=cfg.gtol, max_iter=cfg.max_iter,
                           progress=None)
    ref, got = run["numpy"], run[name]
    assert ref.converged and got.converged
    assert abs(got.energy - ref.energy) <= 1e-8 * abs(ref.energy)
    assert abs(got.iterations - ref.iterations) <= 2


def test_a_wrong_kernel_is_caught(case):
    """The comparison can fail: a contraction that drops one table entry changes F beyond 1e-10."""
    problem, xi, (f_ref, _) = case
    if problem.tier == "A":
        pytest.skip("no table entries at mmax 0")
    from dataclasses import replace
    cvals = problem.cvals.copy()
    cvals[-1] = 0.0
    f, _ = get("jax").evaluator(replace(problem, cvals=cvals)).evaluate(xi) if not BACKENDS["jax"].unavailable() \
        else get("numpy").evaluator(replace(problem, cvals=cvals)).evaluate(xi)
    assert abs(f - f_ref) > 1e-10 * abs(f_ref)


def test_dense_table_size_and_symmetries():
    """178 stored coefficients at mmax 3, mrso 2 (mu >= 0 of the 252 allowed), and MDFT's symmetries."""
    assert len(dense_entries(3, 2)) == 252
    bulk = bulk_solvent(SIGMA, EPS, N0, 300.0)
    table = dense(bulk, 0.2, SIGMA, 3, 2)
    assert len(table.entries) == 178 and (table.entries[:, 2] >= 0).all()
    pos = {tuple(e): i for i, e in enumerate(table.entries.tolist())}
    checked = 0
    for (m, n, mu, nu, chi), i in pos.items():
        if (n, m, nu, mu, chi) in pos:     # exchange: c^{mn}_{mu nu chi} = conj(c^{nm}_{nu mu chi})
            np.testing.assert_allclose(table.values[i], np.conj(table.values[pos[(n, m, nu, mu, chi)]]), atol=1e-14)
            checked += 1
        if mu == 0 and (m, n, 0, -nu, chi) in pos:   # reality: (-1)^{m+n+mu+nu} conj(c^{mn}_{-mu,-nu,chi})
            s = (-1.0) ** (m + n + nu)
            np.testing.assert_allclose(table.values[i], s * np.conj(table.values[pos[(m, n, 0, -nu, chi)]]), atol=1e-14)
            checked += 1
    assert checked > 100
    # the stockmayer part is still there: c^{000} and the dipolar c^{11}_{00chi}
    assert np.abs(table.values[pos[(0, 0, 0, 0, 0)]]).max() > 0


def test_kokkos_cpp_says_what_is_missing(monkeypatch, tmp_path):
    """Without cmake (or FFTW3) kokkos-cpp is listed as skipped with the reason, and building it is an HpcirError
    that says what to install, raised before anything is configured."""
    import shutil

    from hpcir import HpcirError
    from hpcir.mdft_case.backends import kokkos_cpp_backend as kc
    real_which = shutil.which
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kc.shutil, "which", lambda name: None if name == "cmake" else real_which(name))
    assert "cmake is not installed" in BACKENDS["kokkos-cpp"].unavailable()
    with pytest.raises(HpcirError, match="cmake is not installed"):
        kc.build()
    monkeypatch.setattr(kc.shutil, "which", lambda name: None if name == "pkg-config" else real_which(name))
    assert "FFTW3 was not found" in BACKENDS["kokkos-cpp"].unavailable()
    assert not any(tmp_path.iterdir())     # nothing was written
