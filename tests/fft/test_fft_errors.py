"""Bad hpcir.fft calls are located HpcirErrors (the caller's file, line and column) raised before
anything is built or run."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
from hpcir.core.errors import HpcirError

HERE = __file__
SRC = open(HERE).read().splitlines()


def where(marker: str) -> tuple[int, int]:
    for n, line in enumerate(SRC, 1):
        if line.rstrip().endswith(f"# {marker}"):
            return n, line.index("hpcir.fft.") + 1
    raise AssertionError(marker)


def check(err: HpcirError, marker: str, words: str) -> None:
    line, col = where(marker)
    msg = str(err)
    assert msg.startswith(f"{HERE}:{line}:{col}: error:"), msg
    assert "^" in msg, msg
    assert words in msg, msg
    assert "hint:" in msg, msg


from hpcir.backends.fft_libraries import runtime_library as ORIGINAL_RUNTIME_LIBRARY  # noqa: E402


@pytest.fixture(autouse=True)
def no_build(monkeypatch):
    """Building or running the FFT runtime after bad input is a test failure: errors come first."""
    import hpcir.backends.fft_libraries as libs

    def fail(*a, **k):
        raise AssertionError("the FFT runtime was built or loaded after bad input")

    monkeypatch.setattr(libs, "runtime_library", fail)


x = np.ones((4, 6), np.complex128)
r = np.ones((4, 6))


def test_axis_out_of_range():
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(x, axes=(0, 2))  # E-range
    check(e.value, "E-range", "axis 2 is out of range")


def test_repeated_axes():
    with pytest.raises(HpcirError) as e:
        hpcir.fft.ifftn(x, axes=(1, -1))  # E-repeat
    check(e.value, "E-repeat", "repeat an axis")


def test_out_of_the_wrong_shape():
    with pytest.raises(HpcirError) as e:
        hpcir.fft.rfftn(r, out=np.empty((4, 6), np.complex128))  # E-shape
    check(e.value, "E-shape", "the result has shape (4, 4)")


def test_out_of_the_wrong_dtype():
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(x, out=np.empty((4, 6), np.complex64))  # E-dtype
    check(e.value, "E-dtype", "dtype complex128")


def test_real_transform_in_place_is_a_shape_mismatch():
    y = np.ones((4, 6), np.float64)
    with pytest.raises(HpcirError) as e:
        hpcir.fft.irfftn(y, out=y)  # E-inplace
    check(e.value, "E-inplace", "out has shape (4, 6)")


def test_complex_input_to_rfftn():
    with pytest.raises(HpcirError) as e:
        hpcir.fft.rfftn(x)  # E-complex
    check(e.value, "E-complex", "takes real input")


def test_non_array_inputs():
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn("abc")  # E-str
    check(e.value, "E-str", "takes an array, got str")
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(np.array(["a", "b"]))  # E-strarr
    check(e.value, "E-strarr", "takes numbers")
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(3.0)  # E-scalar
    check(e.value, "E-scalar", "at least one dimension")
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(x, out=[0] * 24)  # E-outlist
    check(e.value, "E-outlist", "out must be a NumPy array")


def test_bad_norm_and_s():
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(x, norm="unitary")  # E-norm
    check(e.value, "E-norm", "is not one of")
    with pytest.raises(HpcirError) as e:
        hpcir.fft.irfftn(x, s=(4,), axes=(0, 1))  # E-s
    check(e.value, "E-s", "s has 1 lengths for 2 axes")


def test_partial_overlap_of_out_and_input():
    big = np.ones(10, np.complex128)
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(big[:8], out=big[2:])  # E-overlap
    check(e.value, "E-overlap", "overlaps the input")


def test_empty_axis_and_non_host_target():
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(np.ones((0, 3), np.complex128))  # E-empty
    check(e.value, "E-empty", "axis 0 has no values")
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(x, target="jax")  # E-target
    check(e.value, "E-target", "runs on host targets")
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(x, target="nope")  # E-unknown
    check(e.value, "E-unknown", "nope")


def test_array_on_another_target():
    a = hpcir.array(x, target="serial")
    with pytest.raises(HpcirError) as e:
        hpcir.fft.fftn(a, target="cpu")  # E-arr-target
    check(e.value, "E-arr-target", "Array on 'serial'")


def test_missing_fftw_names_the_package(monkeypatch):
    """No FFTW: the error names it and how to install it, at the call (before any compiler runs)."""
    import hpcir.fft as hfft
    from hpcir.backends import fft_find, fft_libraries
    monkeypatch.setattr(fft_libraries, "runtime_library", ORIGINAL_RUNTIME_LIBRARY)
    monkeypatch.setattr(fft_find, "_pkg_config", lambda *a: None)
    monkeypatch.setattr(fft_libraries, "_compiler", lambda: pytest.fail("the compiler ran"))
    monkeypatch.setattr(hfft, "_BUILT", {})
    with pytest.raises(fft_libraries.FftLibraryError) as e:
        hpcir.fft.fftn(x, target="cpu")  # E-nofftw
    check(e.value, "E-nofftw", "FFTW3")
    assert "apt-get install libfftw3-dev" in str(e.value)
