"""A standalone CMake project around generated Kokkos C++: `find_package(Kokkos)`, a library, a main."""
from __future__ import annotations

import re
from pathlib import Path

from hpcir.core.errors import BuildError
from hpcir.backends.kokkos_cpp.units import cmake_unit_flags
from hpcir.backends.toolchain.kokkos_install import KokkosInstall
from hpcir.core.targets import Target

_UNIT_SUFFIXES = (".cpp", ".cc", ".cxx", ".cu")


def _cmake_str(value: object) -> str:
    """A CMake quoted argument."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _compiler_block(target: Target, kokkos: KokkosInstall | None) -> str:
    """CMake code choosing the C++ compiler before project(): nvcc_wrapper or hipcc for GPUs."""
    if target.kokkos_backend == "CUDA":
        return """\
# CUDA: Kokkos compiles device code through its nvcc_wrapper, found next to the Kokkos in use.
if(DEFINED Kokkos_ROOT)
  set(HPCIR_KOKKOS_PREFIX "${Kokkos_ROOT}")
elseif(DEFINED ENV{Kokkos_ROOT})
  set(HPCIR_KOKKOS_PREFIX "$ENV{Kokkos_ROOT}")
endif()
if(NOT CMAKE_CXX_COMPILER AND NOT DEFINED ENV{CXX})
  if(EXISTS "${HPCIR_KOKKOS_PREFIX}/bin/nvcc_wrapper")
    set(CMAKE_CXX_COMPILER "${HPCIR_KOKKOS_PREFIX}/bin/nvcc_wrapper")
  else()
    find_program(HPCIR_NVCC_WRAPPER nvcc_wrapper)
    if(NOT HPCIR_NVCC_WRAPPER)
      message(FATAL_ERROR "no nvcc_wrapper: pass -DKokkos_ROOT=<a CUDA Kokkos> or "
                          "-DCMAKE_CXX_COMPILER=<its bin/nvcc_wrapper>")
    endif()
    set(CMAKE_CXX_COMPILER "${HPCIR_NVCC_WRAPPER}")
  endif()
endif()
# nvcc_wrapper's default arch (sm_70 in Kokkos 4) is refused by nvcc 13 in CMake's compiler
# check: give it the arch of the Kokkos in use (-DHPCIR_CUDA_ARCH=sm_XX for another one).
set(HPCIR_CUDA_ARCH "__ARCH__" CACHE STRING "the sm the Kokkos in use was built for")
if(HPCIR_CUDA_ARCH AND NOT CMAKE_CXX_FLAGS MATCHES "-arch")
  set(CMAKE_CXX_FLAGS "-arch=${HPCIR_CUDA_ARCH} ${CMAKE_CXX_FLAGS}")
endif()
# A driver library from the environment (e.g. a stand-in on a machine without a GPU).
if(NOT DEFINED CUDA_cuda_driver_LIBRARY AND DEFINED ENV{CUDA_cuda_driver_LIBRARY})
  set(CUDA_cuda_driver_LIBRARY "$ENV{CUDA_cuda_driver_LIBRARY}" CACHE FILEPATH "libcuda.so")
endif()
""".replace("__ARCH__", (kokkos.cuda_arch or "") if kokkos is not None else "")
    if target.kokkos_backend == "HIP":
        return """\
# HIP: hipcc, run with HIP_PLATFORM=amd (hipcc picks NVIDIA whenever nvcc is installed too).
if(NOT CMAKE_CXX_COMPILER AND NOT DEFINED ENV{CXX})
  set(HPCIR_ROCM_BIN /opt/rocm/bin)
  if(DEFINED ENV{ROCM_PATH})
    list(PREPEND HPCIR_ROCM_BIN "$ENV{ROCM_PATH}/bin")
  endif()
  find_program(HPCIR_HIPCC hipcc HINTS ${HPCIR_ROCM_BIN})
  if(NOT HPCIR_HIPCC)
    message(FATAL_ERROR "no hipcc: install ROCm (or put its bin/ on PATH, or set ROCM_PATH), or pass "
                        "-DCMAKE_CXX_COMPILER=<hipcc>")
  endif()
  set(CMAKE_CXX_COMPILER "${CMAKE_CURRENT_SOURCE_DIR}/cmake/hipcc-amd")
endif()
"""
    if kokkos is not None:
        return f"""\
# The compiler the Kokkos below was built with (override with -DCMAKE_CXX_COMPILER=...).
if(NOT CMAKE_CXX_COMPILER AND NOT DEFINED ENV{{CXX}} AND EXISTS {_cmake_str(kokkos.compiler)})
  set(CMAKE_CXX_COMPILER {_cmake_str(kokkos.compiler)})
endif()
"""
    return ""


def _fft_block(name: str, units: list[str], target: Target) -> list[str]:
    """Find and link the FFT library the project's FFT runtime unit (hpcir_fft_*) calls, the usual way."""
    if not any(u.startswith("hpcir_fft_") for u in units):
        return []
    if target.kokkos_backend == "CUDA":
        return ["# The FFT runtime calls cuFFT.", f"target_link_libraries({name} PUBLIC CUDA::cufft)", ""]
    if target.kokkos_backend == "HIP":
        return ["# The FFT runtime calls hipFFT (ROCm; set CMAKE_PREFIX_PATH=/opt/rocm).",
                "find_package(hipfft REQUIRED)", f"target_link_libraries({name} PUBLIC hip::hipfft)", ""]
    omp = target.kokkos_backend == "OPENMP"
    return ["# The FFT runtime calls FFTW3 (pkg-config: fftw3, fftw3f; set PKG_CONFIG_PATH for another install).",
            "find_package(PkgConfig REQUIRED)",
            "pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3 fftw3f)",
            "message(STATUS \"FFTW3 ${FFTW3_fftw3_VERSION} from ${FFTW3_fftw3_LIBDIR}\")",
            *([f"find_library(FFTW3_OMP fftw3_omp HINTS ${{FFTW3_LIBRARY_DIRS}})",
               f"find_library(FFTW3F_OMP fftw3f_omp HINTS ${{FFTW3_LIBRARY_DIRS}})",
               f"target_link_libraries({name} PUBLIC ${{FFTW3_OMP}} ${{FFTW3F_OMP}})"] if omp else []),
            f"target_link_libraries({name} PUBLIC PkgConfig::FFTW3)", ""]


def _blas_block(name: str) -> list[str]:
    """Find and link the OpenBLAS the module's cblas_?gemm calls: the scipy-openblas32 wheel hpcir used when
    lowering (its folder recorded, symbols renamed as hpcir compiles them), else pkg-config `openblas`."""
    from .blas_find import CALLED, BlasLibraryError, blas_library
    wheel = ""
    try:
        lib = blas_library()
        if "wheel" in lib.name:
            wheel = str(Path(lib.libs[0]).parent.parent)
    except BlasLibraryError:
        pass
    renames = " ".join(f"{n}=scipy_{n}" for n in CALLED)
    return ["# The module calls OpenBLAS (cblas_sgemm / cblas_dgemm): the scipy-openblas32 wheel's folder, or",
            "# an OpenBLAS pkg-config finds (-DHPCIR_OPENBLAS_WHEEL= to use that one).",
            f"set(HPCIR_OPENBLAS_WHEEL {_cmake_str(wheel)} CACHE PATH \"scipy_openblas32 package folder\")",
            "if(HPCIR_OPENBLAS_WHEEL)",
            f"  target_include_directories({name} PRIVATE ${{HPCIR_OPENBLAS_WHEEL}}/include)",
            f"  target_compile_definitions({name} PRIVATE {renames})",
            f"  target_link_libraries({name} PUBLIC ${{HPCIR_OPENBLAS_WHEEL}}/lib/libscipy_openblas.so)",
            "  message(STATUS \"OpenBLAS from ${HPCIR_OPENBLAS_WHEEL}\")",
            "else()",
            "  find_package(PkgConfig REQUIRED)",
            "  pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)",
            f"  target_link_libraries({name} PUBLIC PkgConfig::OPENBLAS)",
            "  message(STATUS \"OpenBLAS ${OPENBLAS_VERSION} from ${OPENBLAS_LIBDIR}\")",
            "endif()", ""]



def render_preamble(name: str, target: Target, kokkos: KokkosInstall | None) -> list[str]:
    """CMakeLists.txt lines up to a found and checked Kokkos: its prefix, the compiler, project(name)."""
    out = ["cmake_minimum_required(VERSION 3.16)", ""]
    if kokkos is not None:
        out += [f"# Lowered against Kokkos {kokkos.version} ({', '.join(kokkos.backends)}); "
                "build against another with -DKokkos_ROOT=<prefix>.",
                "if(NOT DEFINED Kokkos_ROOT AND NOT DEFINED ENV{Kokkos_ROOT})",
                f"  set(Kokkos_ROOT {_cmake_str(kokkos.prefix)} CACHE PATH "
                "\"Kokkos install to build against\")",
                "endif()"]
        if kokkos.cmake_defines:
            # e.g. the toolkit and stand-in libcuda.so of a compile-check CUDA Kokkos; only
            # when building against that same Kokkos.
            out.append(f"if(\"${{Kokkos_ROOT}}\" STREQUAL {_cmake_str(kokkos.prefix)})")
            for key, value in kokkos.cmake_defines:
                out.append(f"  set({key} {_cmake_str(value)} CACHE STRING \"as Kokkos was built\")")
            out.append("endif()")
        out.append("")
    out.append(_compiler_block(target, kokkos))
    out += [f"project({name} LANGUAGES CXX)", ""]
    if target.kokkos_backend == "CUDA":
        out += ["# Kokkos 3.4's package refers to CUDA:: targets that only this defines (CMake 4).",
                "find_package(CUDAToolkit REQUIRED)"]
    out += ["find_package(Kokkos REQUIRED)",
            f"message(STATUS \"{name}: Kokkos ${{Kokkos_VERSION}} from ${{Kokkos_DIR}}\")", ""]
    if target.kokkos_backend:
        out += [f"kokkos_check(DEVICES {target.kokkos_backend})", ""]
    return out


def render_cmakelists(name: str, units: list[str], headers: list[str], target: Target,
                      kokkos: KokkosInstall | None, executable: str | None, blas: bool = False) -> str:
    """The text of CMakeLists.txt for the project (`blas`: its C++ calls a CBLAS)."""
    out = render_preamble(name, target, kokkos)
    files = " ".join(units + headers)
    out += [f"add_library({name} {files})",
            f"target_include_directories({name} PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}})",
            f"target_link_libraries({name} PUBLIC Kokkos::kokkos)",
            f"set_target_properties({name} PROPERTIES POSITION_INDEPENDENT_CODE ON)",
            *cmake_unit_flags(units, units + headers), ""]
    out += _fft_block(name, units, target)
    out += _blas_block(name) if blas else []
    if executable is not None:
        out += [f"add_executable({name}_main {executable})",
                f"target_link_libraries({name}_main PRIVATE {name})", ""]
    return "\n".join(out)


def write_compiler_wrapper(out: Path, target: Target) -> None:
    """The cmake/hipcc-amd script a HIP project compiles with (nothing for other targets)."""
    if target.kokkos_backend == "HIP":
        wrapper = out / "cmake" / "hipcc-amd"
        wrapper.parent.mkdir(exist_ok=True)
        wrapper.write_text('#!/bin/sh\n# hipcc for AMD GPUs even where nvcc is installed.\n'
                           'HIP_PLATFORM="${HIP_PLATFORM:-amd}" exec hipcc "$@"\n')
        wrapper.chmod(0o755)


def write_cmake_project(out_dir: Path | str, name: str, sources: dict[str, str], target: Target,
                        kokkos: KokkosInstall | None, executable_source: str | None = None) -> Path:
    """Write a standalone CMake project for `sources` into `out_dir`; returns its CMakeLists.txt."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise BuildError(f"project name {name!r} is not a C identifier")
    if target.kind != "kokkos":
        raise BuildError(f"target {target.name!r} does not produce Kokkos C++")
    for fname in sources:
        if Path(fname).name != fname:
            raise BuildError(f"generated source name {fname!r} must be a plain file name")
    units = sorted(f for f in sources if f.endswith(_UNIT_SUFFIXES))
    headers = sorted(f for f in sources if f not in units)
    if not units:
        raise BuildError(f"no C++ translation unit among {sorted(sources)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for fname, text in sources.items():
        (out / fname).write_text(text)
    exe = None
    if executable_source is not None:
        exe = f"{name}_main.cpp"
        (out / exe).write_text(executable_source)
    write_compiler_wrapper(out, target)
    cml = out / "CMakeLists.txt"
    blas = any("#include <cblas.h>" in text for text in sources.values())
    cml.write_text(render_cmakelists(name, units, headers, target, kokkos, exe, blas))
    return cml
