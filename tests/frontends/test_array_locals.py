"""Kernel-local arrays and team scratch on the array targets (issue 12): property tests against NumPy
on JAX (jitted per launch) and Torch (eager and torch.compile), and the located refusals.

The kernels of local_scratch_cases.py run on every target through the differential suites; these
add random data, data-dependent local indices, masked scratch reads and scratch written by one
nested range and read by the next (the MDFT contraction's structure)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpcir
from hpcir import TeamMember, View1D, View2D
from hpcir.backends.kernel_array_emitter import NotArrayExpressible

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")

NB = 4  # bins of the local histogram


@hpcir.kernel
def rank_bins(i: int, x: View2D[float], out: View2D[float]):
    # a local histogram indexed by data, then a local prefix sum read back with a data index
    h = hpcir.local(float, NB)
    for k in range(x.extent(1)):
        b = int(x[i, k] * NB)
        h[b] += 1.0
    for b in range(1, NB):
        h[b] += h[b - 1]
    for k in range(x.extent(1)):
        out[i, k] = h[int(x[i, k] * NB)]


@hpcir.kernel
def smooth_blocks(team: TeamMember, x: View2D[float], y: View2D[float], tot: View1D[float], m: int):
    # a block per team staged in scratch, a 3-point stencil over it (masked at the block's ends),
    # the smoothed block in a second scratch view, then a team reduction over that one
    s = team.scratch(float, m)
    t = team.scratch(float, m)
    row = team.league_rank()

    def load(j: int):
        s[j] = x[row, j]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, m), load)
    team.team_barrier()

    def smooth(j: int):
        v = s[j]
        if j > 0:
            v += s[j - 1]
        if j < m - 1:
            v += s[j + 1]
        t[j] = v
        y[row, j] = v

    hpcir.parallel_for(hpcir.TeamThreadRange(team, m), smooth)
    team.team_barrier()

    def add(j: int, acc: hpcir.Acc[float]):
        acc += t[j]

    total = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, m), add)

    def store():
        tot[row] = total

    hpcir.single(hpcir.PerTeam(team), store)


@hpcir.kernel
def shared_slot(team: TeamMember, x: View1D[float], y: View1D[float]):
    s = team.scratch(float, 4)

    def put(j: int):
        s[0] = x[j]  # every thread of the team stores to one element: a race

    hpcir.parallel_for(hpcir.TeamThreadRange(team, 4), put)
    team.team_barrier()

    def out():
        y[team.league_rank()] = s[0]

    hpcir.single(hpcir.PerTeam(team), out)


def _ref_rank_bins(x):
    b = (x * NB).astype(int)
    h = np.stack([np.bincount(r, minlength=NB) for r in b]).astype(float).cumsum(axis=1)
    return np.take_along_axis(h, b, axis=1)


def _ref_smooth(x):
    y = x.copy()
    y[:, 1:] += x[:, :-1]
    y[:, :-1] += x[:, 1:]
    return y, y.sum(axis=1)


def _np(v):
    return v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)


RANK = {t: hpcir.compile(rank_bins, target=t) for t in ("jax", "torch")}
SMOOTH = {t: hpcir.compile(smooth_blocks, target=t) for t in ("jax", "torch")}


@settings(max_examples=10, deadline=None)
@given(rows=st.sampled_from([1, 7]), cols=st.just(6), seed=st.integers(0, 2 ** 31))
def test_local_arrays_with_data_indices_match_numpy(rows, cols, seed):
    x = np.random.default_rng(seed).uniform(0.0, 1.0, (rows, cols))
    want = _ref_rank_bins(x)
    got_j = RANK["jax"](rows, x=x, out=np.zeros((rows, cols)))
    out_t = torch.zeros((rows, cols), dtype=torch.float64)
    RANK["torch"](rows, x=torch.from_numpy(x), out=out_t)
    np.testing.assert_array_equal(_np(got_j), want)
    np.testing.assert_array_equal(out_t.numpy(), want)


@settings(max_examples=10, deadline=None)
@given(shape=st.sampled_from([(1, 1), (5, 8)]), seed=st.integers(0, 2 ** 31))
def test_team_scratch_matches_numpy(shape, seed):
    league, m = shape
    x = np.random.default_rng(seed).standard_normal(shape)
    y_ref, tot_ref = _ref_smooth(x)
    pol = hpcir.TeamPolicy(league, hpcir.AUTO)
    yj, totj = SMOOTH["jax"](pol, x=x, y=np.zeros_like(x), tot=np.zeros(league), m=m)
    np.testing.assert_allclose(_np(yj), y_ref, rtol=1e-14)
    np.testing.assert_allclose(_np(totj), tot_ref, rtol=1e-13)
    yt, tott = torch.zeros(shape, dtype=torch.float64), torch.zeros(league, dtype=torch.float64)
    SMOOTH["torch"](pol, x=torch.from_numpy(x), y=yt, tot=tott, m=m)
    np.testing.assert_allclose(yt.numpy(), y_ref, rtol=1e-14)
    np.testing.assert_allclose(tott.numpy(), tot_ref, rtol=1e-13)


def test_team_scratch_under_jax_jit_and_torch_compile():
    league, m = 3, 4
    x = np.random.default_rng(1).standard_normal((league, m))
    y_ref, tot_ref = _ref_smooth(x)
    pol = hpcir.TeamPolicy(league, hpcir.AUTO)
    with jax.enable_x64(True):
        f = jax.jit(lambda x: SMOOTH["jax"](pol, x=x, y=jax.numpy.zeros((league, m)), tot=jax.numpy.zeros(league), m=m))
        yj, totj = f(jax.numpy.asarray(x))
    np.testing.assert_allclose(_np(yj), y_ref, rtol=1e-14)
    np.testing.assert_allclose(_np(totj), tot_ref, rtol=1e-13)

    xt = torch.from_numpy(x)
    zeros = dict(y=torch.zeros((league, m), dtype=torch.float64), tot=torch.zeros(league, dtype=torch.float64))
    launch = SMOOTH["torch"].bind(pol, x=xt, m=m, **zeros)  # checked once: the graph is the generated code

    def run(x):
        y, tot = torch.zeros((league, m), dtype=torch.float64), torch.zeros(league, dtype=torch.float64)
        launch(x=x, y=y, tot=tot, m=m)
        return y, tot
    # aot_eager: Dynamo's graph capture and AOTAutograd, the parts that must trace the generated code,
    # without Inductor's C++ build (CI time); test_array_targets.py runs full torch.compile
    yt, tott = torch.compile(run, backend="aot_eager", fullgraph=True)(xt)
    np.testing.assert_allclose(yt.numpy(), y_ref, rtol=1e-14)
    np.testing.assert_allclose(tott.numpy(), tot_ref, rtol=1e-13)


def test_generated_code_batches_the_scratch_per_team():
    src = SMOOTH["jax"].source(hpcir.TeamPolicy(3, hpcir.AUTO), x=np.zeros((3, 4)), y=np.zeros((3, 4)), tot=np.zeros(3),
                               m=4)
    assert "jnp.zeros(_shape + (" in src  # one scratch array per team, the team's elements behind
    assert "for " not in src  # no per-team or per-thread Python loop


@pytest.mark.parametrize("target", ["jax", "torch"])
def test_a_racing_scratch_store_is_refused_with_its_location(target):
    import linecache
    y = np.zeros(2)
    with pytest.raises(NotArrayExpressible, match="not expressible as array code") as err:
        hpcir.compile(shared_slot, target=target)(hpcir.TeamPolicy(2, hpcir.AUTO), x=np.ones(4), y=y)
    assert "threads of a nested range store to one element of `s`" in err.value.message
    loc = err.value.loc
    assert loc is not None and loc.filename == __file__
    assert "s[0] = x[j]" in linecache.getline(loc.filename, loc.line)
    assert err.value.hint and not y.any()
