"""A static Kokkos (issue 10, item 2): hpcir links its archives once into a shared runtime, so every
module of a process shares one Kokkos; archives that cannot go into a shared library are a clear
error that says how to rebuild Kokkos."""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hpcir.backends.build import build_shared_library
from hpcir.backends.toolchain.kokkos_install import read_install
from hpcir.backends.toolchain.kokkos_source import KOKKOS_VERSION, fetch_sdist, unpack_kokkos
from hpcir.backends.toolchain.kokkos_static import RUNTIME_NAME, shared_runtime_link_args
from hpcir.core.cache import cache_key, cached_build
from hpcir.core.errors import KokkosNotFoundError
from hpcir.core.targets import get_target

sys.path.insert(0, str(Path(__file__).parent))
from test_build import _axpy, _call_axpy  # noqa: E402


def _build_static(work: Path) -> Path:
    src = unpack_kokkos(fetch_sdist(lambda _m: None), work / "src")
    prefix = work / "prefix"
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(["cmake", *gen, "-S", str(src), "-B", str(work / "build"), f"-DCMAKE_INSTALL_PREFIX={prefix}",
                    "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_STANDARD=17", "-DKokkos_ENABLE_OPENMP=ON",
                    "-DKokkos_ENABLE_SERIAL=ON", "-DBUILD_SHARED_LIBS=OFF",
                    "-DCMAKE_POSITION_INDEPENDENT_CODE=ON"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(work / "build"), "--target", "install", "-j",
                    str(os.cpu_count() or 2)], check=True, capture_output=True)
    shutil.rmtree(work / "build")
    shutil.rmtree(work / "src")
    return prefix


@pytest.fixture(scope="module")
def static_kokkos():
    """Kokkos 3.4.01 as a static (position-independent) library, built once into hpcir's cache."""
    prefix = cached_build(cache_key("test-static-kokkos", KOKKOS_VERSION, "pic"), _build_static,
                          kind="test-fixtures")
    inst = read_install(prefix, "Kokkos_ROOT")
    assert inst is not None
    return inst


@pytest.mark.slow
def test_modules_of_a_static_kokkos_share_one_runtime(static_kokkos):
    assert static_kokkos.static
    link = static_kokkos.toolchain().link_args
    assert not any(a.endswith("libkokkoscore.a") for a in link)
    assert any(a.endswith(RUNTIME_NAME) for a in link)
    a = ctypes.CDLL(str(build_shared_library(_axpy(), get_target("cpu"), static_kokkos, "axpy")))
    b = ctypes.CDLL(str(build_shared_library(_axpy("Kokkos::Serial"), get_target("serial"), static_kokkos,
                                             "axpy_serial")))
    a.hpcir_initialize(2)
    assert b.hpcir_is_initialized() == 1  # one runtime: b sees a's Kokkos::initialize
    x, y = np.arange(7.0), np.ones(7)
    _call_axpy(b, 3.0, x, y)
    np.testing.assert_array_equal(y, 3.0 * np.arange(7.0) + 1)


def test_archives_that_are_not_position_independent_are_a_clear_error(tmp_path, monkeypatch):
    cxx = shutil.which("g++")
    if cxx is None:
        pytest.skip("needs g++")
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(tmp_path / "cache"))
    # What Kokkos' default static build holds: thread-local state compiled without -fPIC.
    lib = tmp_path / "lib"
    lib.mkdir()
    (tmp_path / "core.cpp").write_text("thread_local int instance = 1;\nint get() { return instance; }\n")
    subprocess.run([cxx, "-fno-pic", "-O1", "-c", str(tmp_path / "core.cpp"), "-o", str(tmp_path / "core.o")],
                   check=True)
    subprocess.run(["ar", "rcs", str(lib / "libkokkoscore.a"), str(tmp_path / "core.o")], check=True)

    class Fake:
        prefix, lib_dir = tmp_path, lib

        @staticmethod
        def config_id() -> str:
            return "fake"

    with pytest.raises(KokkosNotFoundError) as err:
        shared_runtime_link_args(Fake(), cxx, (str(lib / "libkokkoscore.a"),), dict(os.environ))
    assert "static library" in str(err.value) and "-DBUILD_SHARED_LIBS=ON" in err.value.hint
