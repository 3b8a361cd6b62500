"""hpcir.fft on Arrays in GPU memory: the Python path that hands device pointers to the target's
cuFFT / hipFFT runtime, checked without a GPU. The fake GPU (device_fakes.py) keeps 'cuda' Arrays
in host memory through the real memory runtime, and the 'cuda' FFT runtime is stood in for by the
serial FFTW one (the same C entries, backends/fft_gpu.py vs fft_cpp.py), so the checks, pointers,
shapes, strides and allocations are the real ones. The cuFFT runtime itself is compile-checked in
tests/fft/test_fft_gpu_codegen.py; on a machine with a GPU these calls run it."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
from hpcir.backends import fft_libraries
from hpcir.core.errors import HpcirError
from hpcir.core.targets import get_target

from device_fakes import install_fake_gpu


@pytest.fixture
def fake_cuda(monkeypatch):
    install_fake_gpu(monkeypatch, ("cuda",))
    real = fft_libraries.runtime_library
    monkeypatch.setattr(fft_libraries, "runtime_library",
                        lambda t: real(get_target("serial")) if t.name == "cuda" else real(t))
    import hpcir.fft as hfft
    monkeypatch.setattr(hfft, "_BUILT", {})


CASES = [("fftn", (3, 4, 6), (1, 2), np.complex128), ("ifftn", (5, 7), None, np.complex64),
         ("rfftn", (2, 6, 5, 4), (1, 2, 3), np.float64), ("irfftn", (4, 6, 4), (1, 2), np.complex128),
         ("rfftn", (9,), None, np.float32)]


@pytest.mark.parametrize("kind,shape,axes,dtype", CASES)
def test_device_array_fft_matches_numpy_and_moves_nothing(fake_cuda, kind, shape, axes, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = (x + 1j * rng.standard_normal(shape)).astype(dtype)
    a = hpcir.array(x, target="cuda")
    hpcir.transfer_stats(reset=True)
    y = getattr(hpcir.fft, kind)(a, axes=axes)
    moved = hpcir.transfer_stats()
    assert isinstance(y, hpcir.Array) and y.target == "cuda"
    assert moved.total == 0, moved  # the transform stays in device memory
    want = getattr(np.fft, kind)(x, axes=axes)
    rtol = 1e-5 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-12
    got = y.numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())
    np.testing.assert_array_equal(a.numpy(), x)  # the input is intact (c2r works on a device copy)


def test_device_array_fft_in_place_and_out(fake_cuda):
    x = np.random.default_rng(1).standard_normal((4, 8)) + 0j
    a = hpcir.array(x, target="cuda")
    assert hpcir.fft.fftn(a, axes=(1,), out=a) is a
    np.testing.assert_allclose(a.numpy(), np.fft.fft(x, axis=1), rtol=1e-12, atol=1e-12)
    out = hpcir.empty((4, 8), np.complex128, target="cuda")
    assert hpcir.fft.ifftn(a, axes=(1,), out=out) is out
    np.testing.assert_allclose(out.numpy(), x, rtol=1e-12, atol=1e-12)


def test_device_array_fft_refusals_are_located(fake_cuda):
    a = hpcir.array(np.ones((4, 6), np.complex128), target="cuda")
    cases = [
        (lambda: hpcir.fft.fftn(a, axes=(0,)), "trailing axes"),
        (lambda: hpcir.fft.fftn(hpcir.array(np.ones((4, 6)), target="cuda")), "device memory is not converted"),
        (lambda: hpcir.fft.fftn(a, s=(4, 8)), "crop or pad"),
        (lambda: hpcir.fft.fftn(a, out=np.empty((4, 6), np.complex128)), "out must be an Array on 'cuda'"),
        (lambda: hpcir.fft.fftn(a, out=hpcir.empty((4, 5), np.complex128, target="cuda")), "out has shape"),
        (lambda: hpcir.fft.fftn(a, target="cpu"), "target='cpu'"),
    ]
    for call, text in cases:
        with pytest.raises(HpcirError, match=text) as err:
            call()
        assert err.value.loc is not None and err.value.loc.filename == __file__
