"""Differential suite: every kernel of kernel_cases.py, through both APIs and on the serial and cpu
targets, compiled to Kokkos, run on numpy arrays in place and compared with NumPy."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import hpcir
import hpcir.pykokkos as pk

from kernel_cases import CASES, RNG_SEED, Case

APIS = {"hpcir": (hpcir, hpcir.kernel), "pykokkos": (pk, pk.workunit)}


@pytest.fixture(scope="module")
def kernels():
    """One kernel object per (api, case): decorating twice would re-parse the source needlessly."""
    return {(api, c.name): deco(c.fn) for api, (_, deco) in APIS.items() for c in CASES}


def _launch(api_mod, case: Case, kern, target: str, args: dict):
    policy = case.policy(api_mod)
    if isinstance(policy, int) and api_mod is pk:
        policy = pk.RangePolicy(pk.Serial if target == "serial" else pk.OpenMP, 0, policy)
        extra = {}
    else:
        extra = {"target": target}
    launch = {"for": api_mod.parallel_for, "reduce": api_mod.parallel_reduce, "scan": api_mod.parallel_scan}
    kw = dict(args, **extra)
    if case.reducer:
        kw["reducer"] = case.reducer
    return launch[case.kind](policy, kern, **kw)


@pytest.mark.parametrize("target", ["serial", "cpu"])
@pytest.mark.parametrize("api", list(APIS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kernel_matches_numpy(case: Case, api: str, target: str, kernels):
    rng = np.random.default_rng(RNG_SEED)
    args = case.args(rng)
    before = copy.deepcopy(args)
    views = {k: v for k, v in args.items() if isinstance(v, np.ndarray)}
    pointers = {k: v.__array_interface__["data"][0] for k, v in views.items()}
    result = _launch(APIS[api][0], case, kernels[(api, case.name)], target, args)
    expected = case.reference(before)
    for k, v in views.items():  # results land in the caller's arrays: no copies
        assert args[k] is v and v.__array_interface__["data"][0] == pointers[k]
    if case.kind == "reduce":
        several = isinstance(case.reducer, tuple)  # one result per accumulator, as a tuple
        assert isinstance(result, tuple) == several and (not several or len(result) == len(case.reducer)), result
        for got, exp in zip(result if several else (result,), expected if several else (expected,)):
            assert type(got) in (float, int, bool) and (type(got) is type(exp) or not several), (got, exp)
            if isinstance(exp, bool):
                assert got is exp or got == exp
            else:
                np.testing.assert_allclose(got, exp, rtol=case.rtol, atol=1e-12)
    else:
        for name, exp in zip(case.outputs, expected):
            np.testing.assert_allclose(args[name], np.asarray(exp, dtype=args[name].dtype), rtol=case.rtol,
                                       atol=1e-12, err_msg=f"{case.name}: output {name}")
    if case.kind == "scan":
        total = np.sum(before["x"], dtype=np.float64)
        np.testing.assert_allclose(result, total, rtol=1e-10)


def _gpu_skip(target: str):
    """Skip unless this machine runs `target` (a driver and a device): no GPU in CI."""
    from hpcir.api import cannot_run_reason
    from hpcir.core.targets import get_target
    why = cannot_run_reason(get_target(target))
    return pytest.mark.skipif(why is not None, reason=f"{target}: {why}")


@pytest.mark.gpu
@pytest.mark.parametrize("target", [pytest.param(t, marks=_gpu_skip(t)) for t in ("cuda", "hip")])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kernel_matches_numpy_on_gpu(case: Case, target: str, kernels):
    """The same suite on a GPU target, from numpy arrays (copied to the device and back)."""
    rng = np.random.default_rng(RNG_SEED)
    args = case.args(rng)
    before = copy.deepcopy(args)
    result = _launch(hpcir, case, kernels[("hpcir", case.name)], target, args)
    expected = case.reference(before)
    if case.kind == "reduce":
        if isinstance(expected, bool):
            assert result == expected
        else:
            np.testing.assert_allclose(result, expected, rtol=max(case.rtol, 1e-12), atol=1e-12)
    else:
        for name, exp in zip(case.outputs, expected):
            np.testing.assert_allclose(args[name], np.asarray(exp, dtype=args[name].dtype), rtol=case.rtol,
                                       atol=1e-12, err_msg=f"{case.name}: output {name}")


@pytest.mark.gpu
@pytest.mark.parametrize("target", [pytest.param("cuda", marks=_gpu_skip("cuda"))])
def test_torch_cuda_tensors_are_updated_in_place(target):
    """GPU arrays go to the device entry without copies: the tensor itself holds the result."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA device")

    @hpcir.kernel
    def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
        y[i] = a * x[i] + y[i]

    x = torch.arange(1000, dtype=torch.float64, device="cuda")
    y = torch.ones(1000, dtype=torch.float64, device="cuda")
    ptr = y.data_ptr()
    hpcir.parallel_for(1000, axpy, a=2.0, x=x, y=y)  # target: the arrays' GPU
    assert y.data_ptr() == ptr
    np.testing.assert_allclose(y.cpu().numpy(), 2.0 * np.arange(1000.0) + 1.0)
