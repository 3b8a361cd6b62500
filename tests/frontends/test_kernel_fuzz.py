"""Random kernels against NumPy, built in batches (issue 15): every generated kernel (ranks 1-4, for
and reduce with every reducer, Python // and %, NaN and ±inf inputs, integer zero divisors) agrees
with the NumPy rendering of the same expression tree, or raises ZeroDivisionError exactly when an
integer divisor is zero. A CI-sized run; `python tests/frontends/kernel_fuzz.py --kernels 5000` is
the long one (docs/reliability.md)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernel_fuzz as kf


@pytest.mark.parametrize("target", ["serial", "cpu"])
@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_random_kernels_agree_with_numpy(tmp_path_factory, target, seed):
    cases = kf.make_cases(seed, 40)
    res = kf.run_batch(cases, target, tmp_path_factory.mktemp("fuzz"), seed)
    assert not res["mismatch"], (seed, res["mismatch"], kf.kernel_source(
        [c for c in cases if c.name in res["mismatch"]]))
    assert len(res["agreed"]) + len(res["raised"]) == len(cases)


def test_the_comparison_catches_a_wrong_answer(tmp_path):
    """The harness is not vacuous: a kernel whose NumPy rendering differs is reported."""
    good = kf.Case("k0", 1, "for", "sum", kf.Node("a[i] + 1.0", "a + 1.0", "f"))
    bad = kf.Case("k1", 2, "reduce", "max", kf.Node("max(a[i, j], b[i, j])", "np.fmax(a, b)", "f"))
    div = kf.Case("k2", 1, "for", "sum", kf.Node("(c[i] // c[i])", "np.floor_divide(c, c)", "i"), ["c"])
    res = kf.run_batch([good, bad, div], "serial", tmp_path, seed=3)
    assert res["agreed"] == ["k0"] and res["raised"] == ["k2"]
    assert res["mismatch"] == ["k1"]  # NaN wins in the kernel (NumPy's maximum), not in np.fmax
