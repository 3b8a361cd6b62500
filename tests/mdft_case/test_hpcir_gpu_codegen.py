"""The MDFT hpcir kernels (mdft_case/hpcir_kernels.py) for cuda and hip: IR verified by upstream MLIR,
the C++ compiled with nvcc / hipcc against Kokkos CUDA / HIP builds (compile only: no GPU here).
Skipped where a toolchain is absent; .ci/setup_gpu_toolchains.sh installs both for CI."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
from hpcir.api import build_module, emit_cpp, lower_to_l3
from hpcir.backends.build import compile_only
from hpcir.backends.toolchain.kokkos_install import find_kokkos
from hpcir.core.errors import KokkosNotFoundError
from hpcir.core.targets import get_target
from hpcir.dialects.upstream import verify_upstream
from hpcir.frontends.python.signature import bind_launch
from hpcir.frontends.python.types import ViewType
from hpcir.mdft_case import hpcir_kernels as hk


def _launches():
    """(kernel, kind, policy shape, rank, arguments) of every MDFT kernel, on tiny arrays of the real types."""
    r, c, i = (lambda *s: np.ones(s)), (lambda *s: np.ones(s, np.complex128)), (lambda *s: np.zeros(s, np.int64))
    con = dict(fsrc=i(12), fsign=r(12), phase=c(3, 8), dk=r(2, 3, 3, 8), src=i(5), coef=c(5, 8), outidx=i(4),
               ny=2, nz=2, mm=1, nslot=2, nout=2)
    return [
        (hk.delta_rho, "for", "range", 1, dict(xi=r(8), rho0=1.0, drho=r(8))),
        (hk.ideal_ext, "reduce", "range", 1, dict(xi=r(8), vext=r(8), weights=r(2), nspace=4, scale=1.0, kt=1.0,
                                                  grad=r(8))),
        (hk.excess, "reduce", "range", 1, dict(xi=r(8), drho=r(8), gamma=r(8), weights=r(2), nspace=4, dv=1.0,
                                               gscale=1.0, grad=r(8))),
        (hk.scale_k, "for", "range", 1, dict(hk=c(8), ck=r(8))),
        (hk.matmul, "for", "mdrange", 2, dict(m=c(4, 4), x=c(4, 8), y=c(4, 8))),
        (hk.theta_quadrature, "for", "mdrange", 2, dict(fwd=r(4, 2), iphi=i(4), ipsi=i(4), spec=c(2, 2, 2, 8),
                                                        out=c(4, 8))),
        (hk.theta_synthesis, "for", "mdrange", 2, dict(bwd=r(4, 2), iphi=i(4), ipsi=i(4), proj=c(4, 8),
                                                       spec=c(2, 2, 2, 8))),
        (hk.kspace_contract, "for", "range", 1, dict(f=c(4, 8), dst=i(5), fprime=c(12, 8), gprime=c(12, 8),
                                                     res=c(4, 8), **con)),
        (hk.kspace_contract_team, "for", "team", 0, dict(f=c(4, 8), order=i(5), offset=i(13), nfp=12, ngp=12,
                                                          res=c(4, 8), **con)),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_mdft_kernels_compile_for_gpu(target: str):
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    space = get_target(target).memory_space
    specs = []
    for fn, kind, shape, rank, args in _launches():
        spec, _ = bind_launch(fn, kind, shape, rank, args, None, "sum")
        spec.param_types = {n: t.with_space(space) if isinstance(t, ViewType) else t
                            for n, t in spec.param_types.items()}
        specs.append(spec)
    l2 = build_module(specs, target)
    l2.verify()
    verify_upstream(l2)
    l3 = lower_to_l3(l2, target)
    verify_upstream(l3)
    sources = emit_cpp(l3, target, f"mdft_{target}")
    assert "kspace_contract_team" in sources[f"mdft_{target}.cpp"]
    compile_only(sources, get_target(target), install)
