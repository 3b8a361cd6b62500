"""Every test stencil on every target that runs here (serial, cpu, jax, torch) against its NumPy reference,
over the inferred interior domain and over explicit domains; cells outside the domain stay untouched."""
from __future__ import annotations

import numpy as np
import pytest

from hpcir.stencil_api import CompiledStencil, build_library

from stencil_cases import CASES, Case

HOST_KOKKOS = ["serial", "cpu"]


def _tol(case: Case) -> dict[str, float]:
    return {"rtol": 2e-5, "atol": 2e-5} if case.dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


def _runs_here(target: str) -> str | None:
    from hpcir.api import cannot_run_reason
    from hpcir.core.targets import get_target
    return cannot_run_reason(get_target(target))


# GPU targets run where this machine has the driver and a device (never in CI: skipped there).
GPU = [pytest.param(t, marks=[pytest.mark.gpu, pytest.mark.skipif(_runs_here(t) is not None,
                                                                   reason=f"{t}: {_runs_here(t)}")])
       for t in ("cuda", "hip")]


@pytest.fixture(scope="module", params=HOST_KOKKOS + ["jax", "torch"] + GPU)
def runners(request) -> dict[str, CompiledStencil]:
    """One compiled runner per case; the Kokkos targets share one library for all cases."""
    target = request.param
    if target in ("jax", "torch"):
        pytest.importorskip(target)
        return {c.name: CompiledStencil(c.stencil, target) for c in CASES}
    lib = build_library([c.stencil for c in CASES], target, name=f"stencil_cases_{target}")
    return {c.name: CompiledStencil(c.stencil, target, library=lib) for c in CASES}


def _check(case: Case, runner: CompiledStencil, dom, seed: int, explicit: bool) -> None:
    args = case.arguments(seed)
    want = case.expected(args, dom)
    if explicit:
        runner(*args, domain=dom)
    else:
        runner(*args)
    for p, got, exp in zip(case.stencil.sd.params, args, want):
        if p.spec is not None:
            np.testing.assert_allclose(got, exp, err_msg=f"{case.name}: field {p.name}", **_tol(case))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_interior_domain(case: Case, runners) -> None:
    _check(case, runners[case.name], case.interior, seed=1, explicit=False)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_explicit_domain(case: Case, runners) -> None:
    # A sub-box of the interior, different in each dimension, so domain bounds cannot be confused.
    dom = tuple((b + (d % 2), e - ((d + 1) % 2)) for d, (b, e) in enumerate(case.interior))
    _check(case, runners[case.name], dom, seed=2, explicit=True)


@pytest.mark.parametrize("case", CASES[:3], ids=lambda c: c.name)
def test_other_grid_size_same_build(case: Case, runners) -> None:
    """The domain is a runtime argument: a larger grid reuses the compiled code."""
    bigger = Case(case.stencil, case.ref, tuple(n + 3 for n in case.shape),
                  tuple((b, e + 3) for b, e in case.interior), case.scalars, case.dtype)
    _check(bigger, runners[case.name], bigger.interior, seed=3, explicit=False)


def test_unfused_temporaries_in_gpu_layout_run_on_the_host() -> None:
    """GPU targets give stencil temporaries LayoutLeft (kokkos-layout); the same relayout built for
    the serial backend (no fusion, so every temporary stays) must still match NumPy."""
    from dataclasses import dataclass

    from xdsl.dialects import func, memref
    from xdsl.passes import ModulePass

    from hpcir.passes.kokkos_layout import relayout_allocs
    from hpcir.pipeline import parse_pass_pipeline, run_pipeline
    from hpcir.stencil_api import build_library

    @dataclass(frozen=True)
    class LeftTemporaries(ModulePass):  # what kokkos-layout does to temporaries on a GPU target
        name = "test-left-temporaries"

        def apply(self, ctx, op) -> None:
            for f in op.walk():
                if isinstance(f, func.FuncOp):
                    relayout_allocs(f, "left")

    pipeline = (parse_pass_pipeline("canonicalize,cse,kokkos-set-target{target=serial},convert-scf-to-kokkos")
                + (LeftTemporaries(),) + parse_pass_pipeline("kokkos-layout,canonicalize,cse"))
    with_temps = [c for c in CASES if any(isinstance(o, memref.AllocOp) for o in c.stencil.l2("serial").walk())]
    assert len(with_temps) >= 2
    for c in with_temps:  # the pass did relayout them (what the build below runs)
        module = run_pipeline(c.stencil.l2("serial", layout_free=False), pipeline)
        allocs = [o for o in module.walk() if isinstance(o, memref.AllocOp) and o.memref.type.get_num_dims() > 1]
        assert all("strided<[1" in str(o.memref.type) for o in allocs), c.name
    lib = build_library([c.stencil for c in with_temps], "serial", name="stencil_cases_left_temporaries",
                        pipeline=pipeline)
    for c in with_temps:
        _check(c, CompiledStencil(c.stencil, "serial", library=lib), c.interior, seed=4, explicit=False)
