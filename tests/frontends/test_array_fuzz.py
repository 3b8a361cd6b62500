"""Random range / MDRange kernels (kernel_fuzz.py's generator: ranks 1-4, for and reduce with every
reducer, Python // and %, NaN and ±inf inputs, integer zero divisors) on the array targets: the
generated JAX and Torch code agree with the NumPy rendering of the same expression tree, and raise
ZeroDivisionError exactly when an integer divisor is zero, like the Kokkos build.

HPCIR_ARRAY_FUZZ_EXAMPLES sets the number of hypothesis examples (CI: the default 25). The long
run recorded in docs/kernels-jax-torch.md:

    HPCIR_ARRAY_FUZZ_EXAMPLES=2000 python -m pytest -q tests/frontends/test_array_fuzz.py -k hypothesis
"""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import kernel_fuzz as kf

pytest.importorskip("jax")
torch = pytest.importorskip("torch")

import hpcir  # noqa: E402
from hpcir.core.errors import KernelZeroDivisionError  # noqa: E402

EXAMPLES = int(os.environ.get("HPCIR_ARRAY_FUZZ_EXAMPLES", "25"))
_ran = {"examples": 0}


def _module(cases, tmp_path, tag: str):
    path = tmp_path / f"afuzz_{tag}.py"
    path.write_text(kf.kernel_source(cases))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod
    spec.loader.exec_module(mod)
    return mod


def run_array(case: kf.Case, kern, target: str, arrays: dict[str, np.ndarray]):
    """The kernel on an array target: ("raised", None) or ("ok", value as float64 numpy)."""
    kw = {k: v.copy() for k, v in arrays.items()}
    if case.kind == "for":
        kw["y"] = np.zeros((kf.N,) * case.rank)
    if target == "torch":
        kw = {k: torch.from_numpy(v) for k, v in kw.items()}
    policy = kf.N if case.rank == 1 else hpcir.MDRangePolicy([0] * case.rank, [kf.N] * case.rank)
    f = hpcir.compile(kern, target=target, kind=case.kind, reducer=case.reducer)
    try:
        out = f(policy, **kw)
    except KernelZeroDivisionError:
        return "raised", None
    if case.kind == "for" and target == "torch":
        out = kw["y"]
    val = out.detach().numpy() if hasattr(out, "detach") else np.asarray(out)
    return "ok", val.astype(np.float64)


def check(case: kf.Case, kern, arrays, target: str) -> None:
    """The translation op by op (JAX eagerly) against NumPy; for JAX also the jitted run, which
    XLA may compute with fused multiply-adds and `x * (1 / c)` for `x / c` (an ulp apart, which a
    sqrt near 0 amplifies: (c - 2) - c / 3.0 is 5.6e-17, not 0, for c = 3 under jax.jit)."""
    import jax
    want, zero_div = kf.oracle(case, arrays)
    if target == "jax":
        with jax.disable_jit():
            status, got = run_array(case, kern, target, arrays)
    else:
        status, got = run_array(case, kern, target, arrays)
    src = kf.kernel_source([case])
    if zero_div:
        assert status == "raised", (target, src)
        return
    assert status == "ok", (target, src)
    assert kf._close(got, want, case.reducer if case.kind == "reduce" else None), (target, src, got, want)
    if target == "jax":
        _, jitted = run_array(case, kern, target, arrays)
        finite = np.isfinite(want)
        assert np.array_equal(np.isnan(jitted), np.isnan(got)), (src, jitted, got)
        assert np.allclose(jitted[finite], got[finite], rtol=1e-9, atol=1e-7), (src, jitted, got)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1))
@example(seed=3186)  # sqrt((c - 2) - c / 3.0): exact op by op, an FMA ulp under jax.jit
def test_hypothesis_random_kernels_on_jax_and_torch(tmp_path, seed):
    (case,) = kf.make_cases(seed, 1)
    mod = _module([case], tmp_path, str(seed))
    arrays = kf.inputs(np.random.default_rng(seed), case.rank)
    for target in ("jax", "torch"):
        check(case, getattr(mod, case.name), arrays, target)
    _ran["examples"] += 1


def test_random_batch_agrees_on_cpu_jax_and_torch(tmp_path):
    """One batch through all three targets: the Kokkos cpu build and both array codes vs NumPy."""
    cases = kf.make_cases(20261207, 30)
    res = kf.run_batch(cases, "cpu", tmp_path / "cpu", 20261207)
    assert not res["mismatch"], res["mismatch"]
    mod = _module(cases, tmp_path, "batch")
    rng = np.random.default_rng(5)
    for c in cases:
        arrays = kf.inputs(rng, c.rank)
        for target in ("jax", "torch"):
            check(c, getattr(mod, c.name), arrays, target)


def test_the_array_comparison_catches_a_wrong_answer(tmp_path):
    """Not vacuous: a NumPy rendering that differs from the kernel fails the check."""
    bad = kf.Case("k1", 2, "reduce", "max", kf.Node("max(a[i, j], b[i, j])", "np.fmax(a, b)", "f"))
    mod = _module([bad], tmp_path, "bad")
    arrays = kf.inputs(np.random.default_rng(3), 2)
    arrays["b"][0, 0] = np.nan
    with pytest.raises(AssertionError):
        check(bad, mod.k1, arrays, "jax")
