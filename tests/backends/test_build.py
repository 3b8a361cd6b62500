"""Tests of building generated Kokkos C++: cached shared libraries, compile checks, CMake projects."""
from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hpcir.backends import build as build_mod
from hpcir.backends.build import build_shared_library, compile_only, first_error
from hpcir.backends.cmake_project import write_cmake_project
from hpcir.core.errors import BuildError, KokkosNotFoundError
from hpcir.backends.toolchain.kokkos_install import find_kokkos
from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
from hpcir.core.targets import get_target

AXPY_CPU = r"""
#include <Kokkos_Core.hpp>
#include <cstdint>
using uview = Kokkos::View<double*, Kokkos::LayoutRight, Kokkos::HostSpace,
                           Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
struct axpy_functor {
  double a; uview x, y;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i) const { y(i) = a * x(i) + y(i); }
};
extern "C" int hpcir_initialize(int num_threads) {
  if (!Kokkos::is_initialized()) {
#if KOKKOS_VERSION >= 30700  // InitArguments is gone in Kokkos 4
    Kokkos::initialize(Kokkos::InitializationSettings().set_num_threads(num_threads));
#else
    Kokkos::InitArguments args; args.num_threads = num_threads; Kokkos::initialize(args);
#endif
  }
  return 0;
}
extern "C" int hpcir_is_initialized(void) { return Kokkos::is_initialized() ? 1 : 0; }
extern "C" int hpcir_axpy(int64_t n, double a, double* x, double* y) {
  Kokkos::parallel_for("axpy", Kokkos::RangePolicy<EXEC>(0, n),
                       axpy_functor{a, uview(x, n), uview(y, n)});
  Kokkos::fence();
  return 0;
}
"""


def _axpy(exec_space: str = "Kokkos::OpenMP") -> dict[str, str]:
    return {"axpy.cpp": AXPY_CPU.replace("EXEC", exec_space)}


@pytest.fixture(scope="module")
def openmp():
    return ensure_kokkos("cpu")  # CI installs it before pytest; built here otherwise


def _call_axpy(lib: ctypes.CDLL, a: float, x: np.ndarray, y: np.ndarray) -> None:
    ptr = ctypes.POINTER(ctypes.c_double)
    rc = lib.hpcir_axpy(ctypes.c_int64(x.size), ctypes.c_double(a),
                        x.ctypes.data_as(ptr), y.ctypes.data_as(ptr))
    assert rc == 0


# ---------------------------------------------------------------- first_error


@pytest.mark.parametrize("output,expected", [
    ("m.cpp: In function 'int f()':\nm.cpp:3:5: error: 'z' was not declared in this scope\n"
     "    3 |  z = 1;\nm.cpp:4:5: error: 'w' was not declared\n", "m.cpp:3:5: error: 'z'"),
    ('m.cpp(10): error: identifier "q" is undefined\n  acc += q(i);\nm.cpp(12): error: x\n',
     'm.cpp(10): error: identifier "q"'),
    ("/usr/bin/ld: m.o: in function `f':\nm.cpp:(.text+0x5): undefined reference to `g()'\n"
     "collect2: error: ld returned 1 exit status\n", "undefined reference to `g()'"),
    ("m.cpp:1:10: fatal error: nothere.hpp: No such file or directory\n", "fatal error: nothere"),
    ("In file included from a.hpp:2,\n                 from m.cpp:1:\n"
     "a.hpp:7:1: error: expected ';'\n", "a.hpp:7:1: error: expected ';'"),
])
def test_first_error_picks_the_first_real_error(output, expected):
    shown = first_error(output)
    assert shown.splitlines()[0].find(expected) >= 0, shown
    assert "error: x" not in shown and "'w'" not in shown


# ---------------------------------------------------------------- shared libraries


def test_built_module_matches_numpy(openmp):
    lib = ctypes.CDLL(str(build_shared_library(_axpy(), get_target("cpu"), openmp, "axpy")))
    assert lib.hpcir_initialize(2) == 0
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 1000, 100_003):
        a = float(rng.normal())
        x, y = rng.normal(size=n), rng.normal(size=n)
        expected = a * x + y
        _call_axpy(lib, a, x, y)
        np.testing.assert_allclose(y, expected, rtol=1e-15, atol=0)


def test_modules_share_one_kokkos_runtime(openmp):
    # Kokkos is a shared library: a second module sees the first one's Kokkos::initialize.
    a = ctypes.CDLL(str(build_shared_library(_axpy(), get_target("cpu"), openmp, "axpy")))
    b = ctypes.CDLL(str(build_shared_library(_axpy("Kokkos::Serial"), get_target("serial"),
                                             openmp, "axpy_serial")))
    a.hpcir_initialize(2)
    assert b.hpcir_is_initialized() == 1
    x, y = np.arange(5.0), np.ones(5)
    _call_axpy(b, 3.0, x, y)
    np.testing.assert_array_equal(y, 3.0 * np.arange(5.0) + 1)


def test_builds_are_cached_by_content(openmp, monkeypatch):
    cpu = get_target("cpu")
    first = build_shared_library(_axpy(), cpu, openmp, "axpy")

    def no_compiler(*args, **kwargs):
        raise AssertionError("the compiler ran although the module was cached")

    monkeypatch.setattr(build_mod, "_run", no_compiler)
    assert build_shared_library(_axpy(), cpu, openmp, "axpy") == first
    monkeypatch.undo()
    # Any change of source, target or module name is a different library.
    edited = _axpy()
    edited["axpy.cpp"] += "\n// edited\n"
    others = {build_shared_library(edited, cpu, openmp, "axpy"),
              build_shared_library(_axpy(), cpu, openmp, "axpy2"),
              build_shared_library(_axpy("Kokkos::Serial"), get_target("serial"), openmp, "axpy")}
    assert first not in others and len(others) == 3
    assert build_mod.build_key(_axpy(), cpu, openmp, "axpy") != \
        build_mod.build_key(_axpy(), get_target("serial"), openmp, "axpy")


def test_compiler_error_names_first_error_and_kept_sources(openmp):
    src = _axpy()["axpy.cpp"].replace("y(i) = a * x(i) + y(i);", "y(i) = a * z(i) + y(i); w = 1;")
    line = next(i for i, ln in enumerate(src.splitlines(), 1) if "z(i)" in ln)
    with pytest.raises(BuildError) as err:
        build_shared_library({"axpy.cpp": src}, get_target("cpu"), openmp, "broken")
    msg = str(err.value)
    assert f"axpy.cpp:{line}:" in msg and re.search("[‘']z[’'] was not declared", msg)
    assert not re.search("[‘']w[’']", msg)  # only the first error
    kept = Path(msg.split("generated sources kept in ")[1].split(" ")[0])
    assert (kept / "axpy.cpp").read_text() == src
    assert "error:" in (kept / "build.log").read_text()
    assert "CalledProcessError" not in msg


def test_link_error_is_a_build_error(openmp):
    # Two translation units defining one symbol: the linker refuses even a shared library.
    sources = {**_axpy(), "dup_a.cpp": "int hpcir_dup() { return 1; }\n",
               "dup_b.cpp": "int hpcir_dup() { return 2; }\n"}
    with pytest.raises(BuildError) as err:
        build_shared_library(sources, get_target("cpu"), openmp, "linkfail")
    msg = str(err.value)
    assert "linking module 'linkfail'" in msg and "multiple definition of" in msg
    assert "hpcir_dup" in msg


def test_precompiled_kokkos_header_is_valid_and_used(openmp, tmp_path):
    tc = openmp.toolchain()
    if not build_mod._is_gcc(tc):
        pytest.skip("precompiled headers are used with GCC only")
    flags = build_mod._target_flags(get_target("cpu"), tc)
    assert build_mod.warm_precompiled_headers(openmp, [get_target("cpu")]) == 1
    pch = build_mod.precompiled_header_args(tc, flags, openmp)
    assert pch and Path(pch[pch.index("-I") + 1], "Kokkos_Core.hpp.gch").is_file()
    (tmp_path / "m.cpp").write_text(_axpy()["axpy.cpp"])
    # -H lists the headers read; GCC marks a precompiled header it used with "!".
    proc = subprocess.run([tc.compiler, *tc.compile_args, *flags, *pch, "-H", "-fsyntax-only",
                           str(tmp_path / "m.cpp")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"^! .*Kokkos_Core\.hpp\.gch$", proc.stderr, re.M), proc.stderr[:2000]
    assert "warning" not in proc.stderr


def test_build_without_precompiled_header_behaves_the_same(openmp, monkeypatch):
    monkeypatch.setenv("HPCIR_NO_PCH", "1")
    src = _axpy()
    src["axpy.cpp"] += "\n// built without a precompiled header\n"
    lib = ctypes.CDLL(str(build_shared_library(src, get_target("cpu"), openmp, "axpy_nopch")))
    lib.hpcir_initialize(2)
    x, y = np.linspace(0, 1, 101), np.full(101, 0.5)
    expected = -2.0 * x + y
    _call_axpy(lib, -2.0, x, y)
    np.testing.assert_allclose(y, expected, rtol=1e-15)


@pytest.mark.parametrize("sources,name,match", [
    ({"axpy.hpp": "int f();"}, "m", "no C\\+\\+ translation unit"),
    ({"../evil.cpp": "int f();"}, "m", "plain file name"),
    ({"m.cpp": "int f();"}, "not-an-identifier", "not a C identifier"),
])
def test_bad_build_requests_are_rejected(openmp, sources, name, match):
    with pytest.raises(BuildError, match=match):
        build_shared_library(sources, get_target("cpu"), openmp, name)


# ---------------------------------------------------------------- CUDA / HIP compile checks

CUDA_SRC = r"""
#include <Kokkos_Core.hpp>
#include <cstdint>
using view1d = Kokkos::View<double*, Kokkos::LayoutLeft, Kokkos::CudaSpace>;
struct axpy_functor {
  double a; view1d x, y;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i) const { y(i) += a * x(i); }
};
struct sum_functor {
  view1d x;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i, double& acc) const { acc += x(i); }
};
double axpy_sum(int64_t n, double a, view1d x, view1d y) {
  Kokkos::parallel_for("axpy", Kokkos::RangePolicy<Kokkos::Cuda>(0, n), axpy_functor{a, x, y});
  double s = 0;
  Kokkos::parallel_reduce("sum", Kokkos::RangePolicy<Kokkos::Cuda>(0, n), sum_functor{y}, s);
  using md = Kokkos::MDRangePolicy<Kokkos::Cuda,
      Kokkos::Rank<2, Kokkos::Iterate::Left, Kokkos::Iterate::Left>>;
  // Typed bounds: since Kokkos 4.1 `{0, 0}` also converts to a Kokkos::Cuda (from a stream).
  Kokkos::parallel_for("scale", md(md::point_type{{0, 0}}, md::point_type{{n, 1}},
                                   md::tile_type{{64, 1}}),
                       KOKKOS_LAMBDA(const int64_t i, const int64_t) { y(i) *= 2.0; });
  return s;
}
"""

HIP_SRC = r"""
#include <Kokkos_Core.hpp>
#include <cstdint>
#if KOKKOS_VERSION >= 40000
using hip_exec = Kokkos::HIP;
using hip_space = Kokkos::HIPSpace;
#else
using hip_exec = Kokkos::Experimental::HIP;
using hip_space = Kokkos::Experimental::HIPSpace;
#endif
using view1d = Kokkos::View<double*, Kokkos::LayoutLeft, hip_space>;
struct axpy_functor {
  double a; view1d x, y;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i) const { y(i) += a * x(i); }
};
double axpy_sum(int64_t n, double a, view1d x, view1d y) {
  Kokkos::parallel_for("axpy", Kokkos::RangePolicy<hip_exec>(0, n), axpy_functor{a, x, y});
  double s = 0;
  Kokkos::parallel_reduce("sum", Kokkos::RangePolicy<hip_exec>(0, n),
                          KOKKOS_LAMBDA(const int64_t i, double& acc) { acc += y(i); }, s);
  return s;
}
"""


def _gpu_install(backend: str, tool: str):
    if shutil.which(tool) is None:
        pytest.skip(f"`{tool}` is not installed (.ci/setup_gpu_toolchains.sh installs it)")
    try:
        return find_kokkos(backend)
    except KokkosNotFoundError:
        pytest.skip(f"no Kokkos with {backend}: run `python -m hpcir kokkos install --backend "
                    f"{backend}` (.ci/setup_gpu_toolchains.sh does)")


@pytest.mark.parametrize("backend,tool,src,bad", [
    ("cuda", "nvcc", CUDA_SRC, "acc += x(i);"),
    ("hip", "hipcc", HIP_SRC, "acc += y(i);"),
])
def test_gpu_compile_checks(backend, tool, src, bad, monkeypatch):
    inst = _gpu_install(backend, tool)
    target = get_target(backend)
    compile_only({"m.cpp": src}, target, inst)
    with monkeypatch.context() as m:  # a passed check is remembered: no compiler the second time
        m.setattr(build_mod, "_run", lambda *a, **k: pytest.fail("compiler ran again"))
        compile_only({"m.cpp": src}, target, inst)
    line = next(i for i, ln in enumerate(src.splitlines(), 1) if bad in ln)
    with pytest.raises(BuildError) as err:
        compile_only({"m.cpp": src.replace(bad, "acc += nope(i);")}, target, inst)
    msg = str(err.value)
    assert "nope" in msg and (f"m.cpp({line})" in msg or f"m.cpp:{line}:" in msg), msg


# ---------------------------------------------------------------- CMake projects

AXPY_LIB_HPP = """#pragma once
#include <Kokkos_Core.hpp>
void axpy(double a, Kokkos::View<const double*> x, Kokkos::View<double*> y);
"""
AXPY_LIB_CPP = """#include "axpy.hpp"
struct axpy_functor {
  double a; Kokkos::View<const double*> x; Kokkos::View<double*> y;
  KOKKOS_INLINE_FUNCTION void operator()(const int i) const { y(i) += a * x(i); }
};
void axpy(double a, Kokkos::View<const double*> x, Kokkos::View<double*> y) {
  Kokkos::parallel_for("axpy", Kokkos::RangePolicy<>(0, x.extent(0)), axpy_functor{a, x, y});
}
"""
AXPY_MAIN = """#include "axpy.hpp"
#include <cstdio>
int main(int argc, char** argv) {
  Kokkos::initialize(argc, argv);
  int bad = 0;
  {
    const int n = 1000;
    Kokkos::View<double*> x("x", n), y("y", n);
    auto hx = Kokkos::create_mirror_view(x);
    auto hy = Kokkos::create_mirror_view(y);
    for (int i = 0; i < n; ++i) { hx(i) = i; hy(i) = 1.0; }
    Kokkos::deep_copy(x, hx); Kokkos::deep_copy(y, hy);
    axpy(2.0, x, y);
    Kokkos::deep_copy(hy, y);
    for (int i = 0; i < n; ++i) bad += hy(i) != 2.0 * i + 1.0;
  }
  Kokkos::finalize();
  std::printf("axpy mismatches: %d\\n", bad);
  return bad != 0;
}
"""


def _cmake_build(src: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    build = src / "build"
    for cmd in (["cmake", "-S", str(src), "-B", str(build)], ["cmake", "--build", str(build)]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("Kokkos_ROOT", "KOKKOS_ROOT", "CMAKE_PREFIX_PATH", "CXX"):
        env.pop(var, None)
    return env


def test_cmake_project_builds_and_runs_on_cpu(openmp, tmp_path):
    sources = {"axpy.hpp": AXPY_LIB_HPP, "axpy.cpp": AXPY_LIB_CPP}
    cml = write_cmake_project(tmp_path / "proj", "axpy", sources, get_target("cpu"), openmp,
                              AXPY_MAIN)
    text = cml.read_text()
    assert "find_package(Kokkos REQUIRED)" in text and str(openmp.prefix) in text
    env = {**_clean_env(), "OMP_PROC_BIND": "false"}
    _cmake_build(tmp_path / "proj", env)
    run = subprocess.run([str(tmp_path / "proj" / "build" / "axpy_main")], capture_output=True,
                         text=True, env=env)
    assert run.returncode == 0 and "axpy mismatches: 0" in run.stdout, run.stdout + run.stderr


def test_cmake_project_honours_an_explicit_kokkos_root(openmp, tmp_path):
    sources = {"axpy.hpp": AXPY_LIB_HPP, "axpy.cpp": AXPY_LIB_CPP}
    write_cmake_project(tmp_path / "p", "axpy", sources, get_target("cpu"), openmp, None)
    proc = subprocess.run(["cmake", "-S", str(tmp_path / "p"), "-B", str(tmp_path / "b"),
                           f"-DKokkos_ROOT={tmp_path / 'no-kokkos-here'}"],
                          capture_output=True, text=True, env=_clean_env())
    assert proc.returncode != 0 and "Kokkos" in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("backend,tool", [("cuda", "nvcc"), ("hip", "hipcc")])
def test_cmake_project_compiles_for_gpus(backend, tool, tmp_path):
    inst = _gpu_install(backend, tool)
    sources = {"axpy.hpp": AXPY_LIB_HPP, "axpy.cpp": AXPY_LIB_CPP}
    write_cmake_project(tmp_path / "proj", "axpy", sources, get_target(backend), inst, AXPY_MAIN)
    _cmake_build(tmp_path / "proj", _clean_env())  # links; running needs the GPU
    assert (tmp_path / "proj" / "build" / "axpy_main").is_file()


@pytest.mark.parametrize("backend", ["cuda", "hip", "cpu", "serial"])
def test_cmake_project_text_per_target(backend, tmp_path):
    sources = {"axpy.hpp": AXPY_LIB_HPP, "axpy.cpp": AXPY_LIB_CPP}
    text = write_cmake_project(tmp_path, "axpy", sources, get_target(backend), None,
                               AXPY_MAIN).read_text()
    assert text.index("cmake_minimum_required") < text.index("project(axpy")
    assert text.index("project(axpy") < text.index("find_package(Kokkos REQUIRED)")
    assert "add_library(axpy axpy.cpp axpy.hpp)" in text
    assert "add_executable(axpy_main axpy_main.cpp)" in text
    assert (tmp_path / "axpy_main.cpp").read_text() == AXPY_MAIN
    assert "Kokkos_ROOT \"" not in text  # nothing recorded without a Kokkos
    kokkos_device = get_target(backend).kokkos_backend
    assert f"kokkos_check(DEVICES {kokkos_device})" in text
    if backend == "cuda":
        # CMake 4 needs the CUDA:: targets before Kokkos 3.4's package refers to them.
        assert text.index("find_package(CUDAToolkit") < text.index("find_package(Kokkos")
        assert text.index("nvcc_wrapper") < text.index("project(axpy")
    else:
        assert "CUDAToolkit" not in text
    if backend == "hip":
        wrapper = tmp_path / "cmake" / "hipcc-amd"
        assert os.access(wrapper, os.X_OK) and "HIP_PLATFORM" in wrapper.read_text()
        assert text.index("hipcc-amd") < text.index("project(axpy")
