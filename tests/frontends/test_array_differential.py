"""The differential kernel suite on the array targets: every kernel of kernel_cases.py compiled
with target="jax" and target="torch" either matches NumPy or is refused with a located
"not expressible as array code" error (the refused ones are listed in REFUSED, with the reason)."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import hpcir
import hpcir.pykokkos as pk
from hpcir.backends.kernel_array_emitter import NotArrayExpressible

from kernel_cases import CASES, RNG_SEED, Case

pytest.importorskip("jax")
pytest.importorskip("torch")

APIS = {"hpcir": (hpcir, hpcir.kernel), "pykokkos": (pk, pk.workunit)}
# Kernels the array targets refuse, and why (docs/kernels-jax-torch.md lists the same).
# Cases refused with a located "not expressible as array code" error, and the reason each gives.
REFUSED = {"scratch_tree_sum": "a nested range inside a loop whose bounds are not constants"}
# Refused on one target only: (case, target) -> the reason.
REFUSED_ON: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def kernels():
    return {(api, c.name): deco(c.fn) for api, (_, deco) in APIS.items() for c in CASES}


def to_numpy(v):
    if hasattr(v, "detach"):
        return v.detach().cpu().numpy()
    return np.asarray(v)


def run_case(case: Case, kern, target: str, args: dict):
    """Launch through hpcir.compile on an array target; returns (result, {view: value after})."""
    import torch
    f = hpcir.compile(kern, target=target, kind=case.kind, reducer=case.reducer)
    if target == "torch":
        conv = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    else:
        conv = dict(args)
    out = f(case.policy(hpcir), **conv)
    written = [n for n in case.outputs]
    n_values = 0 if case.kind == "for" else (len(case.reducer) if isinstance(case.reducer, tuple) else 1)
    outs = out if isinstance(out, tuple) else (out,)
    values = outs[:n_values]  # the reduction's values first (one per accumulator), then written views
    res = None if not n_values else (values[0] if n_values == 1 else tuple(values))
    if target == "torch":
        views = {n: to_numpy(conv[n]) for n in written}
    else:
        views = dict(zip(written, [to_numpy(o) for o in outs[n_values:]]))  # written views, in signature order
    return res, views


@pytest.mark.parametrize("target", ["jax", "torch"])
@pytest.mark.parametrize("api", list(APIS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kernel_matches_numpy_as_array_code(case: Case, api: str, target: str, kernels):
    rng = np.random.default_rng(RNG_SEED)
    args = case.args(rng)
    before = copy.deepcopy(args)
    why = REFUSED.get(case.name) or REFUSED_ON.get((case.name, target))
    if why:
        with pytest.raises(NotArrayExpressible, match="not expressible as array code") as err:
            run_case(case, kernels[(api, case.name)], target, args)
        assert why in str(err.value)
        assert err.value.loc is not None and err.value.loc.filename.endswith("_cases.py")
        return
    result, views = run_case(case, kernels[(api, case.name)], target, args)
    expected = case.reference(before)
    if case.kind == "reduce" and isinstance(result, tuple):  # several accumulators
        np.testing.assert_allclose([to_numpy(r).item() for r in result], expected, rtol=case.rtol, atol=1e-12)
    elif case.kind == "reduce":
        r = to_numpy(result).item()
        if isinstance(expected, bool):
            assert bool(r) is expected
        else:
            np.testing.assert_allclose(r, expected, rtol=case.rtol, atol=1e-12)
    else:
        for name, exp in zip(case.outputs, expected):
            got = views[name]
            np.testing.assert_allclose(got, np.asarray(exp, dtype=args[name].dtype), rtol=case.rtol, atol=1e-12,
                                       err_msg=f"{case.name}: output {name}")
            assert got.dtype == args[name].dtype
    if case.kind == "scan":
        np.testing.assert_allclose(to_numpy(result), np.sum(before["x"], dtype=np.float64), rtol=1e-10)


def test_most_kernels_run_as_array_code():
    """At least 85 % of the suite runs on jax and torch (the issue's bar)."""
    assert 1 - len(REFUSED) / len(CASES) >= 0.85, (len(CASES), len(REFUSED))
