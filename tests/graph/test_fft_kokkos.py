"""Graph programs with FFTs (jnp.fft / torch.fft) on Kokkos targets: the tensor fft.* ops become
fft.execute on buffers (graph-fft-to-buffers), the host program calls the target's FFT runtime
(FFTW3 on cpu / serial) between its launches, and results match jnp.fft / torch.fft. CUDA: the
generated C++ of the same programs compiles with nvcc against Kokkos CUDA (no GPU here)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import torch

from hpcir.graph_api import compile, from_jax, from_torch, lower

from .conftest import assert_close
from .models import MODEL_CASES

HOST = ("cpu", "serial")


def _rng(seed=0):
    return np.random.default_rng(seed)


def spectral_smooth(x):
    """r2c, a real-only Gaussian-free step between, c2r: MDFT's round trip over batched 3-D fields."""
    k = jnp.fft.rfftn(x * 0.5, axes=(1, 2, 3))
    return jnp.fft.irfftn(k, s=x.shape[1:], axes=(1, 2, 3)) + x


def complex_pipeline(z):
    a = jnp.fft.fftn(z, axes=(0,), norm="ortho")
    b = jnp.fft.ifftn(a, axes=(1, 2), norm="forward")
    return jnp.fft.fftn(b)


def odd_real(x):
    return jnp.fft.irfftn(jnp.fft.rfftn(x, axes=(0, 1)), s=x.shape[:2], axes=(0, 1))


JAX_CASES = {
    "spectral_smooth": (spectral_smooth, lambda dt: _rng(1).standard_normal((3, 8, 6, 10)).astype(dt)),
    "complex_pipeline": (complex_pipeline,
                         lambda dt: (_rng(2).standard_normal((4, 5, 6)) + 1j * _rng(3).standard_normal((4, 5, 6)))
                         .astype(np.complex64 if dt == np.float32 else np.complex128)),
    "odd_real": (odd_real, lambda dt: _rng(4).standard_normal((7, 9, 3)).astype(dt)),
}


@pytest.mark.parametrize("target", HOST)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", JAX_CASES)
def test_jax_fft_programs_run_on_kokkos(case, dtype, target):
    fn, make = JAX_CASES[case]
    x = make(dtype)
    f = compile(from_jax(fn, x, name=f"{case}_{np.dtype(dtype).name}"), target=target)
    assert_close(f(x), np.asarray(fn(x)), f"{case} on {target}")


@pytest.mark.parametrize("target", HOST)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_graph_suite_fft_conv_runs_on_kokkos(dtype, target):
    """The graph suites' FFT model (rfft2 * rfft2 -> irfft2) from both frontends."""
    tmodel, jfn, inputs, _ = MODEL_CASES["fft_conv"](dtype)
    tins = [torch.as_tensor(a) for a in inputs]
    with torch.no_grad():
        want = tmodel(*tins).numpy()
    assert_close(compile(from_torch(tmodel, tuple(tins), name="fft_conv_t"), target=target)(*tins), want,
                 f"torch fft_conv on {target}")
    assert_close(compile(from_jax(jfn, *inputs, name="fft_conv_j"), target=target)(*inputs),
                 np.asarray(jfn(*inputs)), f"jax fft_conv on {target}")


@pytest.mark.parametrize("target", HOST)
def test_torch_fft_functions_run_on_kokkos(target):
    class Spectrum(torch.nn.Module):
        def forward(self, x):
            k = torch.fft.rfftn(x, dim=(-2, -1), norm="ortho")
            return torch.fft.irfftn(k, s=x.shape[-2:], dim=(-2, -1), norm="ortho") * 2.0

    x = torch.as_tensor(_rng(5).standard_normal((2, 6, 7)))
    with torch.no_grad():
        want = Spectrum()(x).numpy()
    assert_close(compile(from_torch(Spectrum(), (x,)), target=target)(x), want, f"torch rfftn on {target}")


def test_l2_and_l3_run_fft_execute_between_launches():
    x = _rng(6).standard_normal((3, 8, 6, 10))
    prog = from_jax(spectral_smooth, x)
    l2 = lower(prog, target="cpu", stage="L2")
    assert "fft.rfftn" not in l2 and l2.count('"fft.execute"') == 2 and 'kind = "irfftn"' in l2
    l3 = lower(prog, target="cpu", stage="L3")
    assert "kokkos.parallel_for" in l3 and '"fft.execute"' in l3
    cpp = lower(prog, target="cpu")
    assert "hpcir_fft_rfftn_f64(" in cpp and "hpcir_fft_irfftn_f64(" in cpp and "Kokkos::fence();" in cpp


def test_l2_verifies_with_upstream_mlir():
    from hpcir.dialects.upstream import verify_upstream
    from hpcir.graph_lowering import graph_l2
    l2 = graph_l2(from_jax(odd_real, _rng(7).standard_normal((5, 4, 3))))
    l2.verify()
    verify_upstream(l2)  # fft.execute is an unregistered op upstream


@pytest.mark.slow
def test_fft_programs_compile_for_cuda():
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.core.targets import get_target
    from hpcir.lowering import emit_cpp
    from hpcir.graph_lowering import graph_l3
    try:
        install = find_kokkos("cuda")
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos cuda install: {err.message.splitlines()[0]}")
    x = _rng(8).standard_normal((3, 8, 6, 10))
    module = graph_l3(from_jax(spectral_smooth, x, name="fft_cuda"), "cuda")
    sources = emit_cpp(module, "cuda", "fft_cuda")
    assert "hpcir_fft_rfftn_f64(" in sources["fft_cuda.cpp"]
    compile_only(sources, get_target("cuda"), install)


def test_written_sources_carry_the_fft_runtime_and_cmake_finds_fftw(tmp_path):
    """`hpcir lower` of a graph program with FFTs writes the FFT runtime unit beside the module; the
    CMake project links FFTW3 found with pkg-config (cuFFT / hipFFT through their CMake targets)."""
    from hpcir.backends.cmake_project import render_cmakelists
    from hpcir.core.targets import get_target
    from hpcir.graph_lowering import write_kokkos
    files = {p.name for p in write_kokkos(from_jax(odd_real, _rng(9).standard_normal((5, 4, 3)), name="odd"),
                                          "cpu", tmp_path)}
    assert {"odd.cpp", "odd.hpp", "hpcir_fft_cpu.cpp"} <= files
    cml = render_cmakelists("odd", ["hpcir_fft_cpu.cpp", "odd.cpp"], ["odd.hpp"], get_target("cpu"), None, None)
    assert "pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3 fftw3f)" in cml and "fftw3_omp" in cml
    assert "PkgConfig::FFTW3" in cml
    assert "CUDA::cufft" in render_cmakelists("odd", ["hpcir_fft_cuda.cu", "odd.cpp"], [], get_target("cuda"),
                                              None, None)
    assert "pkg_check_modules" not in render_cmakelists("odd", ["odd.cpp"], [], get_target("cpu"), None, None)


@pytest.mark.slow
def test_cmake_project_of_a_graph_fft_program_builds(tmp_path):
    """The written C++ and CMakeLists build against the Kokkos hpcir uses and FFTW3 (pkg-config)."""
    import os
    import subprocess
    from hpcir.backends.cmake_project import write_cmake_project
    from hpcir.core.targets import get_target
    from hpcir.graph_lowering import write_kokkos
    from hpcir.lowering import kokkos_for
    src = tmp_path / "src"
    paths = write_kokkos(from_jax(odd_real, _rng(10).standard_normal((5, 4, 3)), name="oddp"), "cpu", src)
    sources = {p.name: p.read_text() for p in paths if p.suffix in (".cpp", ".hpp")}
    kokkos = kokkos_for(get_target("cpu"))
    out = tmp_path / "proj"
    write_cmake_project(out, "oddp", sources, get_target("cpu"), kokkos)
    env = {**os.environ, **dict(kokkos.env)}
    for cmd in (["cmake", "-S", str(out), "-B", str(out / "build")], ["cmake", "--build", str(out / "build"), "-j2"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "FFTW3 3." in subprocess.run(["cmake", "-S", str(out), "-B", str(out / "build")], capture_output=True,
                                        text=True, env=env).stdout
    lib = next(p for p in (out / "build").iterdir() if p.name.startswith("liboddp"))
    if lib.suffix == ".so":  # a shared build records FFTW as a dependency
        assert "libfftw3_omp" in subprocess.run(["ldd", str(lib)], capture_output=True, text=True).stdout


def test_gpu_fft_over_leading_axes_is_refused_before_anything_is_built():
    """cuFFT / hipFFT plans take trailing axes of C-order views: other axes are an error at lowering."""
    from hpcir.core.errors import HpcirError
    class Leading(torch.nn.Module):
        def forward(self, x):
            return torch.fft.fftn(x, dim=(0, 1))  # (jnp.fft moves axes last itself; torch.fft does not)

    x = torch.as_tensor(_rng(11).standard_normal((4, 6, 5)) + 0j)
    prog = from_torch(Leading(), (x,))
    assert "Kokkos::fence" in lower(prog, target="cpu")  # any axes on the host, and they run:
    with torch.no_grad():
        assert_close(compile(prog, target="cpu")(x), Leading()(x).numpy(), "torch fftn over leading axes")
    with pytest.raises(HpcirError, match="cuFFT / hipFFT take the trailing axes"):
        lower(prog, target="cuda")
    assert "hpcir_fft_rfftn_f64(" in lower(from_jax(spectral_smooth, _rng(12).standard_normal((2, 4, 6, 8))),
                                           target="cuda")
