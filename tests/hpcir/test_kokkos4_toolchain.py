"""Kokkos 4.x beside 3.4.01 (issue 10, items 1-3): building a given release, its CUDA 13 patches, the
stand-in driver Kokkos 4 links against, the install's CUDA arch, CUDA_cuda_driver_LIBRARY from the
environment, and a static Kokkos made into one shared runtime (or a warning)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from hpcir.backends.toolchain import cuda_stub, kokkos_build
from hpcir.backends.toolchain.kokkos_install import read_install
from hpcir.backends.toolchain.kokkos_source import (patch_for_cuda13, release_version, source_version,
                                                    unpack_release)
from hpcir.core import machine
from hpcir.core.errors import KokkosNotFoundError

from test_kokkos_install import _fake_install  # noqa: E402  (same folder, rootdir import mode)

ROOT = Path(__file__).resolve().parents[2]
KOKKOS46 = ROOT.parent / "shared" / "third_party" / "kokkos-4.6.01.tar.gz"
needs_k46 = pytest.mark.skipif(not KOKKOS46.is_file(), reason=f"test fixture {KOKKOS46} is absent")


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(root))
    return root


def _fake_release(root: Path, version: tuple[int, int, int]) -> Path:
    root.mkdir(parents=True)
    major, minor, patch = version
    (root / "CMakeLists.txt").write_text(
        f"project(Kokkos CXX)\nset(Kokkos_VERSION_MAJOR {major})\nset(Kokkos_VERSION_MINOR {minor})\n"
        f"set(Kokkos_VERSION_PATCH {patch})\n")
    return root


def test_release_version_from_a_folder_and_a_tarball(tmp_path):
    src = _fake_release(tmp_path / "kokkos-4.2.1", (4, 2, 1))
    assert source_version(src) == "4.2.01"
    tgz = tmp_path / "k.tar.gz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(src, arcname="kokkos-4.2.1")
    assert release_version(tgz) == "4.2.01"
    out = unpack_release(tgz, tmp_path / "out")
    assert out == tmp_path / "out" / "kokkos-4.2.1"
    copy = unpack_release(src, tmp_path / "copy")  # a folder is copied, never patched in place
    assert copy != src and source_version(copy) == "4.2.01"


@pytest.mark.parametrize("what", ["missing", "not kokkos", "not a tarball"])
def test_a_bad_source_is_refused_before_anything_is_built(tmp_path, tmp_cache, what):
    bad = tmp_path / "src"
    if what == "not kokkos":
        bad.mkdir()
        (bad / "CMakeLists.txt").write_text("project(Other)\n")
    elif what == "not a tarball":
        bad = tmp_path / "k.tar.gz"
        bad.write_text("garbage")
    with pytest.raises(KokkosNotFoundError) as err:
        kokkos_build.install_kokkos("openmp", progress=None, source=bad)
    assert "Kokkos" in str(err.value) and err.value.hint
    assert not (tmp_cache / "kokkos").exists() or not any((tmp_cache / "kokkos").glob("*-openmp"))


@needs_k46
def test_kokkos46_cuda13_patches(tmp_path):
    assert release_version(KOKKOS46) == "4.6.01"
    src = unpack_release(KOKKOS46, tmp_path)
    patch_for_cuda13(src, "sm_90")
    assert 'default_arch="sm_90"' in (src / "bin" / "nvcc_wrapper").read_text()
    inst = (src / "core/src/Cuda/Kokkos_Cuda_Instance.hpp").read_text()
    assert inst.count("#if CUDART_VERSION >= 13000") == 3
    assert "cudaGraphAddDependencies(graph, from, to, nullptr, numDependencies)" in inst
    assert inst.count("cudaMemLocation{cudaMemLocationTypeDevice") == 2
    with pytest.raises(KokkosNotFoundError, match="patched twice"):
        patch_for_cuda13(src, "sm_90")


def test_kokkos4_plans_use_the_native_arch_names(tmp_cache, monkeypatch):
    monkeypatch.setattr(machine, "find_cuda_driver", lambda: None)
    if shutil.which("nvcc"):
        plan = kokkos_build._plan("cuda", kokkos_build.install_prefix, "4.6.01")
        assert plan.defines.get("Kokkos_ARCH_HOPPER90") == "ON" and "Kokkos_ARCH_AMPERE80" not in plan.defines
        assert "4.6.01-cuda-sm90-stubdriver" in plan.defines["CUDA_cuda_driver_LIBRARY"]
    if shutil.which("hipcc"):
        plan = kokkos_build._plan("hip", kokkos_build.install_prefix, "4.6.01")
        assert plan.defines.get("Kokkos_ARCH_AMD_GFX90A") == "ON" and plan.name == "hip-gfx90a"
        assert kokkos_build._plan("hip", kokkos_build.install_prefix, "3.4.01").name == "hip-gfx908"


def test_stub_driver_defines_what_kokkos4_calls(tmp_path):
    if shutil.which("nm") is None or shutil.which("cc") is None:
        pytest.skip("needs cc and nm")
    lib = cuda_stub.build_stub_driver(tmp_path / "libcuda.so")
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(lib)], capture_output=True, text=True,
                             check=True).stdout
    for name in ("cuStreamGetCtx", "cuCtxPushCurrent_v2", "cuCtxGetDevice"):
        assert f" T {name}\n" in symbols


def _fake_cuda_install(prefix: Path, arch_flag: str = "-arch=sm_90") -> Path:
    p = _fake_install(prefix, 40601, "CUDA;SERIAL", "HOPPER90")
    (p / "lib/cmake/Kokkos/KokkosTargets.cmake").write_text(
        'set_target_properties(Kokkos::kokkoscore PROPERTIES\n'
        f'  INTERFACE_COMPILE_OPTIONS "\\$<\\$<COMPILE_LANGUAGE:CXX>:-expt-extended-lambda;{arch_flag}>"\n)\n')
    return p


def test_a_users_cuda_kokkos_without_a_driver_links_against_the_stand_in(tmp_path, tmp_cache, monkeypatch):
    """A CUDA Kokkos hpcir did not build, on a machine without a driver: hpcir supplies its stand-in
    libcuda.so (compile checks); CUDA_cuda_driver_LIBRARY from the environment wins."""
    monkeypatch.delenv("CUDA_cuda_driver_LIBRARY", raising=False)
    monkeypatch.setattr(machine, "find_cuda_driver", lambda: None)
    prefix = _fake_cuda_install(tmp_path / "k")
    inst = read_install(prefix, "Kokkos_ROOT")
    assert inst.cuda_arch == "sm_90" and inst.stub_driver
    stub = dict(inst.cmake_defines)["CUDA_cuda_driver_LIBRARY"]
    assert Path(stub).is_file() and Path(stub).is_relative_to(tmp_cache)
    own = tmp_path / "mine" / "libcuda.so"
    monkeypatch.setenv("CUDA_cuda_driver_LIBRARY", str(own))
    inst = read_install(prefix, "Kokkos_ROOT")
    assert dict(inst.cmake_defines)["CUDA_cuda_driver_LIBRARY"] == str(own) and not inst.stub_driver
    # Without an -arch in the package, the arch comes from Kokkos_ARCH.
    assert read_install(_fake_cuda_install(tmp_path / "k2", ""), "x").cuda_arch == "sm_90"


def test_a_cuda_project_names_the_install_arch_and_the_env_driver(tmp_path, monkeypatch):
    from hpcir.backends.cmake_project import render_cmakelists
    from hpcir.core.targets import get_target
    monkeypatch.setattr(machine, "find_cuda_driver", lambda: None)
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(tmp_path / "cache"))
    inst = read_install(_fake_cuda_install(tmp_path / "k", "-arch=sm_80"), "Kokkos_ROOT")
    text = render_cmakelists("m", ["m.cpp"], [], get_target("cuda"), inst, None)
    assert 'set(HPCIR_CUDA_ARCH "sm_80" CACHE STRING' in text
    assert "$ENV{CUDA_cuda_driver_LIBRARY}" in text
    assert text.index("HPCIR_CUDA_ARCH") < text.index("project(m")


def test_static_install_is_detected(tmp_path):
    p = _fake_install(tmp_path / "s", 40601, "OPENMP;SERIAL")
    (p / "lib" / "libkokkoscore.so").unlink()
    (p / "lib" / "libkokkoscore.a").write_text("")
    assert read_install(p, "x").static
    assert not read_install(_fake_install(tmp_path / "d", 40601, "OPENMP;SERIAL"), "x").static


@pytest.mark.skipif(not os.environ.get("HPCIR_EXPECT_KOKKOS"),
                    reason="set HPCIR_EXPECT_KOKKOS=X.Y.ZZ to check which Kokkos a run uses (CI's Kokkos 4 pass)")
def test_the_run_uses_the_expected_kokkos():
    """CI's second pass runs the JIT suites against Kokkos 4.6.01: make sure it is that one."""
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    want = os.environ["HPCIR_EXPECT_KOKKOS"]
    assert ensure_kokkos("cpu").version == want
    assert ensure_kokkos("cpu").toolchain().link_args  # and that it is usable
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    if shutil.which("nvcc"):
        assert find_kokkos("cuda").version == want
    if shutil.which("hipcc"):
        assert find_kokkos("hip").version == want
