"""Loops whose trip counts come from data (CSR rows) and multi-index gathers on the array targets:
property tests against NumPy on JAX (per launch and under jax.jit) and Torch (eager and torch.compile).

The translation runs such a loop over all lanes up to the longest row, masking the lanes whose row
has ended; gathers with several index arrays read the flat view with a row-major linear index."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpcir
from hpcir import View1D, View2D, View3D

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")


@hpcir.kernel
def csr_spmv(i: int, start: View1D[int], cols: View1D[int], vals: View1D[float], x: View1D[float],
             y: View1D[float]):
    # the row's length is data: start[i + 1] - start[i]
    acc = 0.0
    for p in range(start[i], start[i + 1]):
        acc += vals[p] * x[cols[p]]
    y[i] = acc


@hpcir.kernel
def gather3(i: int, j: int, a: View3D[float], ia: View1D[int], ib: View1D[int], n: int, out: View2D[float]):
    # three data-dependent indices per element, the last one masked (read only where in range)
    v = a[ia[i], ib[j], i % a.extent(2)]
    if ib[j] < n:
        v += a[ib[j], ia[i], j % a.extent(2)]
    out[i, j] = v


SPMV = {t: hpcir.compile(csr_spmv, target=t) for t in ("jax", "torch")}
GATHER = {t: hpcir.compile(gather3, target=t) for t in ("jax", "torch")}


def _np(v):
    return v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)


def _csr(rng, rows: int, ncols: int, max_len: int):
    lengths = rng.integers(0, max_len + 1, rows)
    lengths[0] = max(lengths[0], 1)  # JAX cannot trace a gather from an empty view (no stored entry at all)
    start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    cols = rng.integers(0, ncols, start[-1]).astype(np.int64)
    return start, cols, rng.standard_normal(start[-1])


def _ref_spmv(start, cols, vals, x):
    return np.array([np.dot(vals[a:b], x[cols[a:b]]) if b > a else 0.0 for a, b in zip(start[:-1], start[1:])])


@settings(max_examples=5, deadline=None)
@given(rows=st.integers(1, 9), max_len=st.sampled_from([1, 6]), seed=st.integers(0, 2 ** 31))
def test_csr_rows_of_data_dependent_length_match_numpy(rows, max_len, seed):
    rng = np.random.default_rng(seed)
    start, cols, vals = _csr(rng, rows, 5, max_len)
    x = rng.standard_normal(5)
    want = _ref_spmv(start, cols, vals, x)
    got = SPMV["jax"](rows, start=start, cols=cols, vals=vals, x=x, y=np.zeros(rows))
    np.testing.assert_allclose(_np(got), want, rtol=1e-13, atol=1e-15)
    yt = torch.zeros(rows, dtype=torch.float64)
    SPMV["torch"](rows, start=torch.from_numpy(start), cols=torch.from_numpy(cols), vals=torch.from_numpy(vals),
                  x=torch.from_numpy(x), y=yt)
    np.testing.assert_allclose(yt.numpy(), want, rtol=1e-13, atol=1e-15)


def test_csr_rows_under_jax_jit_and_torch_compile():
    rng = np.random.default_rng(3)
    rows = 6
    start, cols, vals = _csr(rng, rows, 4, 5)
    x = rng.standard_normal(4)
    want = _ref_spmv(start, cols, vals, x)
    with jax.enable_x64(True):
        # the row bounds are traced values here: the lane loop's trip count is computed on the device
        f = jax.jit(lambda s, c, v, x: SPMV["jax"](rows, start=s, cols=c, vals=v, x=x, y=jax.numpy.zeros(rows)))
        got = f(*(jax.numpy.asarray(a) for a in (start, cols, vals, x)))
    np.testing.assert_allclose(_np(got), want, rtol=1e-13, atol=1e-15)

    args = dict(start=torch.from_numpy(start), cols=torch.from_numpy(cols), vals=torch.from_numpy(vals))
    launch = SPMV["torch"].bind(rows, x=torch.from_numpy(x), y=torch.zeros(rows, dtype=torch.float64), **args)

    def run(x):
        y = torch.zeros(rows, dtype=torch.float64)
        launch(x=x, y=y, **args)
        return y
    # aot_eager: Dynamo's capture and AOTAutograd without Inductor's C++ build (CI time). Not fullgraph:
    # the longest row is read back to the host for the lane loop's Python trip count (a graph break)
    yt = torch.compile(run, backend="aot_eager")(torch.from_numpy(x))
    np.testing.assert_allclose(yt.numpy(), want, rtol=1e-13, atol=1e-15)


@settings(max_examples=5, deadline=None)
@given(shape=st.sampled_from([(1, 1, 1), (3, 4, 2), (5, 2, 3)]), seed=st.integers(0, 2 ** 31))
def test_multi_index_gathers_match_numpy(shape, seed):
    rng = np.random.default_rng(seed)
    ni, nj, nk = shape
    m = max(ni, nj)
    a = rng.standard_normal((m, m, nk))
    ia, ib = rng.integers(0, m, ni), rng.integers(0, m, nj)
    n = int(rng.integers(0, m + 1))  # the second read is masked to the lanes with ib[j] < n
    want = np.empty((ni, nj))
    for i in range(ni):
        for j in range(nj):
            want[i, j] = a[ia[i], ib[j], i % nk] + (a[ib[j], ia[i], j % nk] if ib[j] < n else 0.0)
    pol = hpcir.MDRangePolicy([0, 0], [ni, nj])
    got = GATHER["jax"](pol, a=a, ia=ia, ib=ib, n=n, out=np.zeros((ni, nj)))
    np.testing.assert_allclose(_np(got), want, rtol=1e-14)
    ot = torch.zeros((ni, nj), dtype=torch.float64)
    GATHER["torch"](pol, a=torch.from_numpy(a), ia=torch.from_numpy(ia), ib=torch.from_numpy(ib), n=n, out=ot)
    np.testing.assert_allclose(ot.numpy(), want, rtol=1e-14)
