"""The FFT runtime for GPU targets: generated on cuFFT / hipFFT and compile-checked (compiled and linked,
not run: no GPU here), as tests/frontends/test_gpu_codegen.py does for kernels."""
from __future__ import annotations

import shutil

import pytest

from hpcir.backends import fft_find, fft_libraries
from hpcir.backends.fft_cpp import runtime_source
from hpcir.core.targets import get_target


def _cufft_reason() -> str | None:
    if shutil.which("nvcc") is None:
        return "nvcc is not on the PATH"
    try:
        fft_find.find_cufft()
    except fft_libraries.FftLibraryError as e:
        return e.message
    return None


def test_cuda_runtime_source_uses_cufft_for_every_kind_and_precision():
    name, text = runtime_source(get_target("cuda"))
    assert name.endswith(".cu") and "#include <cufft.h>" in text
    for kind in ("fftn", "ifftn", "rfftn", "irfftn"):
        for prec in ("f32", "f64"):
            assert f"hpcir_fft_{kind}_{prec}(" in text
    for call in ("cufftExecZ2Z", "cufftExecC2C", "cufftExecD2Z", "cufftExecR2C", "cufftExecZ2D", "cufftExecC2R",
                 "CUFFT_FORWARD", "CUFFT_INVERSE", "cufftPlanMany"):
        assert call in text


@pytest.mark.skipif(_cufft_reason() is not None, reason=str(_cufft_reason()))
def test_cuda_fft_runtime_compiles_and_links_against_cufft():
    lib = fft_libraries.compile_check(get_target("cuda"))
    assert lib.exists() and lib.stat().st_size > 0


def test_hip_runtime_source_uses_hipfft():
    name, text = runtime_source(get_target("hip"))
    assert "#include <hipfft/hipfft.h>" in text and "hipfftExecD2Z" in text and "HIPFFT_BACKWARD" in text


def test_hip_compile_check_says_what_is_missing():
    """hipFFT is not packaged for Debian 12 (nor on PyPI): where it is missing the check names it."""
    try:
        fft_find.find_hipfft()
    except fft_libraries.FftLibraryError as e:
        assert "hipFFT" in e.message and "ROCM_PATH" in (e.hint or "")
        with pytest.raises(fft_libraries.FftLibraryError):
            fft_libraries.compile_check(get_target("hip"))
        return
    if shutil.which("hipcc") is None:
        pytest.skip("hipFFT found but no hipcc")
    assert fft_libraries.compile_check(get_target("hip")).exists()


def test_missing_cufft_names_the_wheel(monkeypatch, tmp_path):
    monkeypatch.setattr(fft_find, "_wheel_cufft", lambda: None)
    monkeypatch.setenv("CUDA_HOME", str(tmp_path))
    monkeypatch.setattr(fft_find.Path, "glob", lambda self, pat: iter(()))
    real_exists = fft_find.Path.exists
    monkeypatch.setattr(fft_find.Path, "exists",
                        lambda self: False if self.name == "cufft.h" else real_exists(self))
    with pytest.raises(fft_libraries.FftLibraryError) as e:
        fft_find.find_cufft()
    assert "cuFFT" in e.value.message and "pip install nvidia-cufft" in (e.value.hint or "")
