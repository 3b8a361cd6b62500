"""hpcir.fft against numpy.fft: ranks 1-3, odd and even sizes, real and complex, both precisions, batched,
every norm, in place and out of place, on the serial and cpu targets (FFTW3 through generated C++)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpcir

HOST = ("serial", "cpu")
NORMS = ("backward", "ortho", "forward")
TOL = {np.float32: 2e-5, np.float64: 1e-12, np.complex64: 2e-5, np.complex128: 1e-12}


def _data(rng, shape, dtype):
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
    return rng.standard_normal(shape).astype(dt)


def _close(got, want, dtype):
    assert got.shape == want.shape
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    err = float(np.abs(got - want).max(initial=0.0)) / scale
    assert err <= TOL[np.dtype(dtype).type] * 10, err


@st.composite
def cases(draw):
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=rank, max_size=rank)))
    k = draw(st.integers(1, rank))
    axes = tuple(draw(st.permutations(range(rank)))[:k])
    if draw(st.booleans()):  # negative spellings
        axes = tuple(a - rank if draw(st.booleans()) else a for a in axes)
    return shape, axes, draw(st.sampled_from(NORMS)), draw(st.sampled_from(HOST)), draw(st.integers(0, 2**31))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from([np.complex64, np.complex128]), st.sampled_from(["fftn", "ifftn"]))
def test_complex_transforms_match_numpy(case, dtype, kind):
    shape, axes, norm, target, seed = case
    x = _data(np.random.default_rng(seed), shape, dtype)
    keep = x.copy()
    got = getattr(hpcir.fft, kind)(x, axes=axes, norm=norm, target=target)
    want = getattr(np.fft, kind)(x, axes=axes, norm=norm)
    assert got.dtype == want.dtype == dtype
    _close(got, want, dtype)
    np.testing.assert_array_equal(x, keep)  # the input is not touched


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from([np.float32, np.float64]))
def test_real_round_trip_matches_numpy(case, dtype):
    """rfftn, then irfftn with s (odd last lengths need it), against numpy.fft."""
    shape, axes, norm, target, seed = case
    x = _data(np.random.default_rng(seed), shape, dtype)
    r = hpcir.fft.rfftn(x, axes=axes, norm=norm, target=target)
    want = np.fft.rfftn(x, axes=axes, norm=norm)
    assert r.dtype == want.dtype and r.shape == want.shape
    _close(r, want, dtype)
    s = [x.shape[a] for a in axes]
    keep = r.copy()
    back = hpcir.fft.irfftn(r, s=s, axes=axes, norm=norm, target=target)
    assert back.dtype == dtype
    _close(back, np.fft.irfftn(want, s=s, axes=axes, norm=norm), dtype)
    _close(back, x, dtype)
    np.testing.assert_array_equal(r, keep)  # FFTW's c2r destroys its input: hpcir works on a copy


@pytest.mark.parametrize("target", HOST)
@pytest.mark.parametrize("shape,axes", [((6, 5), None), ((4, 7, 5), (1, 2)), ((3, 4, 6), (0,)), ((5, 6, 4), (2, 0))])
def test_irfftn_of_non_hermitian_data_matches_numpy(target, shape, axes):
    """Without s the last output length is 2*(m-1); non-Hermitian input is treated as numpy treats it."""
    z = _data(np.random.default_rng(1), shape, np.complex128)
    _close(hpcir.fft.irfftn(z, axes=axes, target=target), np.fft.irfftn(z, axes=axes), np.float64)


@pytest.mark.parametrize("target", HOST)
@pytest.mark.parametrize("norm", NORMS)
def test_batched_3d_round_trip_of_many_fields(target, norm):
    """MDFT's shape, smaller: a batch of 3-D fields, r2c and c2r over the last three axes."""
    x = _data(np.random.default_rng(2), (5, 8, 6, 10), np.float64)
    k = hpcir.fft.rfftn(x, axes=(1, 2, 3), norm=norm, target=target)
    _close(k, np.fft.rfftn(x, axes=(1, 2, 3), norm=norm), np.float64)
    _close(hpcir.fft.irfftn(k, s=x.shape[1:], axes=(1, 2, 3), norm=norm, target=target), x, np.float64)


@pytest.mark.parametrize("target", HOST)
@pytest.mark.parametrize("kind", ["fftn", "ifftn"])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_in_place(target, kind, dtype):
    x = _data(np.random.default_rng(3), (4, 9, 6), dtype)
    want = getattr(np.fft, kind)(x, axes=(0, 2), norm="ortho")
    y = getattr(hpcir.fft, kind)(x, axes=(0, 2), norm="ortho", out=x, target=target)
    assert y is x
    _close(x, want, dtype)


@pytest.mark.parametrize("target", HOST)
def test_out_of_place_into_given_arrays_and_strided_views(target):
    rng = np.random.default_rng(4)
    big = _data(rng, (8, 10, 12), np.complex128)
    x = big[::2, 1:9, ::3]  # a strided view: FFTW reads it in place through its strides
    out = np.empty((6, 8, 4), np.complex128)[1:5, :, :]  # a non-contiguous out of the right shape
    got = hpcir.fft.fftn(x, axes=(1, 2), out=out, target=target)
    assert got is out
    _close(out, np.fft.fftn(x, axes=(1, 2)), np.complex128)
    r = rng.standard_normal((7, 9))
    out_r = np.empty((7, 5), np.complex128)
    hpcir.fft.rfftn(r, out=out_r, target=target)
    _close(out_r, np.fft.rfftn(r), np.complex128)
    back = np.empty((7, 9))
    hpcir.fft.irfftn(out_r, s=(7, 9), out=back, target=target)
    _close(back, r, np.float64)
    # Negative strides are read through a copy.
    _close(hpcir.fft.fftn(x[::-1], target=target), np.fft.fftn(x[::-1]), np.complex128)


@pytest.mark.parametrize("target", HOST)
def test_real_and_integer_inputs_are_promoted_as_numpy_does(target):
    x = np.arange(24, dtype=np.int64).reshape(4, 6)
    for kind in ("fftn", "ifftn", "rfftn"):
        got = getattr(hpcir.fft, kind)(x, target=target)
        want = getattr(np.fft, kind)(x)
        assert got.dtype == want.dtype
        _close(got, want, np.float64)
    f = np.linspace(0, 1, 10, dtype=np.float32)
    got = hpcir.fft.fftn(f, target=target)
    assert got.dtype == np.fft.fftn(f).dtype == np.complex64
    _close(got, np.fft.fftn(f), np.complex64)
    _close(hpcir.fft.fftn([[1.0, 2.0], [3.0, 4.5]], target=target), np.fft.fftn([[1.0, 2.0], [3.0, 4.5]]),
           np.complex128)


@pytest.mark.parametrize("target", HOST)
def test_s_crops_and_pads_as_numpy_does(target):
    x = _data(np.random.default_rng(5), (6, 7), np.complex128)
    for s in ((4, 9), (8, 3)):
        _close(hpcir.fft.fftn(x, s=s, target=target), np.fft.fftn(x, s=s, axes=(0, 1)), np.complex128)
        _close(hpcir.fft.ifftn(x, s=s, target=target), np.fft.ifftn(x, s=s, axes=(0, 1)), np.complex128)
    r = x.real.copy()
    _close(hpcir.fft.rfftn(r, s=(5, 9), target=target), np.fft.rfftn(r, s=(5, 9), axes=(0, 1)), np.complex128)
    k = np.fft.rfftn(r)
    _close(hpcir.fft.irfftn(k, s=(6, 7), target=target), np.fft.irfftn(k, s=(6, 7), axes=(0, 1)), np.float64)
    _close(hpcir.fft.irfftn(k, s=(4, 10), target=target), np.fft.irfftn(k, s=(4, 10), axes=(0, 1)), np.float64)


@pytest.mark.parametrize("target", HOST)
def test_hpcir_arrays_stay_on_their_target(target):
    """An hpcir.Array in gives an hpcir.Array out on the same target; nothing is counted as a transfer."""
    x = _data(np.random.default_rng(6), (3, 8, 8), np.float64)
    a = hpcir.array(x, target=target)
    hpcir.transfer_stats(reset=True)
    k = hpcir.fft.rfftn(a, axes=(1, 2))
    assert isinstance(k, hpcir.Array) and k.target == target and k.dtype == np.complex128
    back = hpcir.empty(x.shape, np.float64, target=target)
    got = hpcir.fft.irfftn(k, s=(8, 8), axes=(1, 2), out=back)
    assert got is back
    stats = hpcir.transfer_stats()
    assert stats.total == 0 and stats.copies == 0
    _close(back.numpy(), x, np.float64)
    c = hpcir.array(x.astype(np.complex128), target=target)
    hpcir.fft.fftn(c, out=c)  # in place on the Array's memory
    _close(c.numpy(), np.fft.fftn(x), np.complex128)


def test_plans_are_reused_across_calls():
    """A second call of the same shape reuses the plan: much faster than the first (which plans)."""
    import time
    x = _data(np.random.default_rng(7), (2, 32, 32, 32), np.float64)
    hpcir.fft.rfftn(x, axes=(1, 2, 3), target="cpu")
    t0 = time.perf_counter()
    for _ in range(3):
        y = hpcir.fft.rfftn(x, axes=(1, 2, 3), target="cpu")
    assert time.perf_counter() - t0 < 5.0
    _close(y, np.fft.rfftn(x, axes=(1, 2, 3)), np.float64)


@pytest.mark.parametrize("target", HOST)
def test_called_from_a_program_between_launches(target):
    """@hpcir.program host code calls hpcir.fft between kernel launches (run from Python)."""
    @hpcir.kernel
    def square(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
        y[i] = x[i] * x[i]

    @hpcir.program
    def power_spectrum(x, y):
        hpcir.parallel_for(x.shape[0], square, x=x, y=y, target=target)
        k = hpcir.fft.rfftn(y, target=target)
        return np.abs(k)

    x = np.linspace(-1.0, 1.0, 17)
    y = np.empty_like(x)
    _close(power_spectrum(x, y), np.abs(np.fft.rfftn(x * x)), np.float64)
