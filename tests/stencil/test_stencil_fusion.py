"""Stencil L3 through `kokkos-fuse` (another engineer's pass): the temporaries of every test stencil go
away (hdiff becomes one launch, with recomputation), and the reference interpreter still matches NumPy
after fusion. No C++ builds: tiny grids through dialects/kokkos_interpreter.py (which has no dynamic
memref.alloc and no math.absf: unfused stencils with temporaries are covered by the C++ differential
tests instead)."""
from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import memref

from hpcir.dialects import kokkos as kk
from hpcir.dialects.kokkos_interpreter import array, make_interpreter
from hpcir.pipeline import available_passes, run_pipeline

from stencil_cases import CASES, Case

pytestmark = pytest.mark.skipif("kokkos-fuse" not in available_passes(), reason="kokkos-fuse not available")


def _interpret(case: Case, module, args: list, dom) -> list:
    """Run the entry on interpreter copies of args; returns the arrays afterwards (numpy)."""
    elem = case.stencil.sd.dtype.mlir()
    vals, shaped = [], []
    for a in args:
        if isinstance(a, np.ndarray):
            sa = array(list(a.ravel()), list(a.shape), elem)
            vals.append(sa)
            shaped.append(sa)
        else:
            vals.append(a)
            shaped.append(None)
    bounds = [b for b, _ in dom] + [e for _, e in dom]
    make_interpreter(module).call_op(case.name, (*bounds, *vals))
    out = []
    for a, sa in zip(args, shaped):
        out.append(a if sa is None else np.array(sa.data, dtype=case.dtype).reshape(a.shape))
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fused_l3_matches_numpy(case: Case) -> None:
    module = case.stencil.l3("cpu")
    run_pipeline(module, "kokkos-fuse")
    assert not [o for o in module.walk() if isinstance(o, memref.AllocOp)], "a temporary survived fusion"
    assert len([o for o in module.walk() if isinstance(o, kk.ParallelForOp)]) == 1
    if any(o.name == "math.absf" for o in module.walk()):
        pytest.skip("the reference interpreter has no math.absf")
    args = case.arguments(seed=5)
    want = case.expected(args, case.interior)
    got = _interpret(case, module, args, case.interior)
    tol = 2e-5 if case.dtype == np.float32 else 1e-12
    for p, g, w in zip(case.stencil.sd.params, got, want):
        if p.spec is not None:
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{case.name}: {p.name}")
