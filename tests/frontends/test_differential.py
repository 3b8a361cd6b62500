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
        assert type(result) in (float, int, bool), type(result)
        if isinstance(expected, bool):
            assert result is expected or result == expected
        else:
            np.testing.assert_allclose(result, expected, rtol=case.rtol, atol=1e-12)
    else:
        for name, exp in zip(case.outputs, expected):
            np.testing.assert_allclose(args[name], np.asarray(exp, dtype=args[name].dtype), rtol=case.rtol,
                                       atol=1e-12, err_msg=f"{case.name}: output {name}")
    if case.kind == "scan":
        total = np.sum(before["x"], dtype=np.float64)
        np.testing.assert_allclose(result, total, rtol=1e-10)
