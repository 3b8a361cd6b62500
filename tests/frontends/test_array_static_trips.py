"""Torch loops whose trip counts differ between lanes, made static for torch.compile(fullgraph=True):
bind(constant=...) records each loop's longest trip count when it depends only on the scalars, the
launch indices and the constant views, and the emitted source loops to it as a literal (differential
tests against NumPy; aot_eager keeps Inductor's C++ build out of CI time)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpcir
from hpcir import View1D, View2D, View3D

torch = pytest.importorskip("torch")


@hpcir.kernel
def csr_rows(i: int, start: View1D[int], cols: View1D[int], vals: View1D[float], x: View1D[float],
             y: View1D[float]):
    acc = 0.0
    for p in range(start[i], start[i + 1]):
        acc += vals[p] * x[cols[p]]
    y[i] = acc


@hpcir.kernel
def triangle(i: int, a: View2D[float], k: int, y: View1D[float]):
    # the trip count depends on the launch index and a scalar only: static without any constant view
    acc = 0.0
    for j in range(k, i + k):
        acc += a[i, j - k]
    y[i] = acc


@hpcir.kernel
def bin_scatter(t: int, s: int, w: View2D[float], bins: View1D[int], x: View2D[float], out: View3D[float]):
    # stores whose index is a value loaded once for all lanes (a 0-d tensor in Torch)
    for b in range(out.extent(1)):
        out[t, b, s] = 0.0
    for p in range(w.extent(0)):
        out[t, bins[p], s] += w[p, t] * x[p, s]


CSR = hpcir.compile(csr_rows, target="torch")


def _csr(rng, rows: int, ncols: int, max_len: int):
    lengths = rng.integers(0, max_len + 1, rows)
    start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return start, rng.integers(0, ncols, start[-1]).astype(np.int64), rng.standard_normal(start[-1])


def _fullgraph(fn):
    return torch.compile(fn, backend="aot_eager", fullgraph=True, dynamic=False)


@settings(max_examples=4, deadline=None)
@given(rows=st.integers(1, 7), max_len=st.sampled_from([0, 3, 12]), seed=st.integers(0, 2 ** 31))
def test_constant_row_bounds_compile_without_a_graph_break(rows, max_len, seed):
    # max_len 3: the recorded loop is unrolled; 12: a Python loop of the recorded length; 0: no trip
    rng = np.random.default_rng(seed)
    start, cols, vals = _csr(rng, rows, 5, max_len)
    x = rng.standard_normal(5)
    want = np.array([np.dot(vals[a:b], x[cols[a:b]]) if b > a else 0.0 for a, b in zip(start[:-1], start[1:])])
    tab = dict(start=torch.from_numpy(start), cols=torch.from_numpy(cols), vals=torch.from_numpy(vals))
    launch = CSR.bind(rows, constant=("start", "cols"), x=torch.from_numpy(x),
                      y=torch.zeros(rows, dtype=torch.float64), **tab)

    def run(x):
        y = torch.zeros(rows, dtype=torch.float64)
        launch(x=x, y=y, **tab)
        return y
    np.testing.assert_allclose(run(torch.from_numpy(x)).numpy(), want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(_fullgraph(run)(torch.from_numpy(x)).numpy(), want, rtol=1e-13, atol=1e-15)


def test_a_changed_constant_view_fails_the_eager_check():
    rng = np.random.default_rng(1)
    start, cols, vals = _csr(rng, 4, 3, 2)
    tab = dict(cols=torch.from_numpy(cols), vals=torch.from_numpy(np.tile(vals, 9)), x=torch.ones(3, dtype=torch.float64))
    launch = CSR.bind(4, constant=("start",), start=torch.from_numpy(start), y=torch.zeros(4, dtype=torch.float64), **tab)
    longer = start.copy()
    longer[1:] += 9  # row 0 gets 9 more entries than when the launch was bound
    with pytest.raises(ValueError, match="bind the launch again"):
        launch(start=torch.from_numpy(longer), y=torch.zeros(4, dtype=torch.float64), **tab)


def test_bind_constant_names_a_parameter():
    with pytest.raises(hpcir.HpcirError, match="not a parameter"):
        CSR.bind(1, constant=("nope",), start=torch.zeros(2, dtype=torch.int64), cols=torch.zeros(1, dtype=torch.int64),
                 vals=torch.zeros(1, dtype=torch.float64), x=torch.zeros(1, dtype=torch.float64),
                 y=torch.zeros(1, dtype=torch.float64))


@pytest.mark.parametrize("n", [3, 11])
def test_index_dependent_trip_counts_are_static(n):
    a = np.random.default_rng(n).standard_normal((n, n))
    want = np.array([a[i, :i].sum() for i in range(n)])
    launch = hpcir.compile(triangle, target="torch").bind(n, a=torch.from_numpy(a), k=2, y=torch.zeros(n, dtype=torch.float64))

    def run(a):
        y = torch.zeros(n, dtype=torch.float64)
        launch(a=a, k=2, y=y)
        return y
    np.testing.assert_allclose(_fullgraph(run)(torch.from_numpy(a)).numpy(), want, rtol=1e-13, atol=1e-15)
    # another scalar than the one bound: the general loop (measured at each launch) still runs it
    y = torch.zeros(n, dtype=torch.float64)
    launch(a=torch.from_numpy(a), k=5, y=y)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-13, atol=1e-15)


def test_stores_at_loaded_indices_compile_without_a_graph_break():
    rng = np.random.default_rng(2)
    npj, nt, ns, nb = 5, 3, 4, 3
    w, x, bins = rng.standard_normal((npj, nt)), rng.standard_normal((npj, ns)), rng.integers(0, nb, npj)
    want = np.zeros((nt, nb, ns))
    for p in range(npj):
        want[:, bins[p], :] += w[p][:, None] * x[p][None, :]
    pol = hpcir.MDRangePolicy([0, 0], [nt, ns])
    args = dict(w=torch.from_numpy(w), bins=torch.from_numpy(bins))
    launch = hpcir.compile(bin_scatter, target="torch").bind(pol, constant=("w", "bins"), x=torch.from_numpy(x),
                                                             out=torch.zeros((nt, nb, ns), dtype=torch.float64), **args)

    def run(x):
        out = torch.zeros((nt, nb, ns), dtype=torch.float64)
        launch(x=x, out=out, **args)
        return out
    np.testing.assert_allclose(_fullgraph(run)(torch.from_numpy(x)).numpy(), want, rtol=1e-13, atol=1e-15)
