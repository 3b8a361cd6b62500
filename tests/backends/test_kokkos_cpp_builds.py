"""Builds beyond the JIT library: a host-program executable, two modules in one process, GPU compile checks."""
from __future__ import annotations

import ctypes
import shutil
import subprocess

import numpy as np
import pytest
from xdsl.parser import Parser

from hpcir.backends.kokkos_cpp import emit_module
from hpcir.dialects import context
from hpcir.core.errors import KokkosNotFoundError
from hpcir.core.targets import get_target

from kokkos_cpp_support import emit_kernels

HOST_PROGRAM = """
!v = memref<?xf64, #kokkos.space<device>>
!h = memref<?xf64, #kokkos.space<host>>
builtin.module {
  func.func @main() attributes {kokkos.host_program} {
    %n = arith.constant 6 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %v = kokkos.alloc "v"(%n) : !v
    kokkos.parallel_for "fill" #kokkos.range on <default>(%c0, %n) {
    ^bb0(%i: index):
      %ii = arith.index_cast %i : index to i64
      %f = arith.sitofp %ii : i64 to f64
      %q = arith.mulf %f, %f : f64
      memref.store %q, %v[%i] : !v
      kokkos.yield
    }
    %z = arith.constant 0.0 : f64
    %s = kokkos.parallel_reduce "total" #kokkos.range on <default>(%c0, %n) init(%z : f64) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %acc: f64):
      %x = memref.load %v[%i] : !v
      %a = arith.addf %acc, %x : f64
      kokkos.yield %a : f64
    } -> f64
    %tenth = arith.constant 0.1 : f64
    %t = arith.mulf %s, %tenth : f64
    kokkos.print "sum of squares = {}, tenth = {}, sci = {:e}"(%s, %t, %t : f64, f64, f64)
    %h = kokkos.create_mirror_view %v : !v -> !h
    kokkos.deep_copy %h, %v : !h, !v
    %ten = arith.constant 10.0 : f64
    scf.for %k = %c0 to %n step %c1 {
      %x = memref.load %h[%k] : !h
      %big = arith.cmpf ogt, %x, %ten : f64
      scf.if %big {
        kokkos.print "h[{}] = {:.2f} > 10: {}"(%k, %x, %big : index, f64, i1)
      }
    }
    func.return
  }
}
"""

SMALL = """
!v = memref<?xf64, #kokkos.space<host>>
builtin.module {
  func.func @scale(%b: i64, %e: i64, %a: f64, %x: !v) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    kokkos.parallel_for "scale" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %xi = memref.load %x[%i] : !v
      %y = arith.mulf %xi, %a : f64
      memref.store %y, %x[%i] : !v
      kokkos.yield
    }
    func.return
  }
}
"""


def _parse(text: str):
    m = Parser(context(), text).parse_module()
    m.verify()
    return m


@pytest.fixture(scope="module")
def cpu_install():
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    try:
        return ensure_kokkos("cpu")
    except KokkosNotFoundError as err:  # pragma: no cover - depends on the machine
        pytest.skip(f"no Kokkos: {err}")


def test_host_program_executable(cpu_install, tmp_path):
    files = emit_module(_parse(HOST_PROGRAM), "app", "cpu").files
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    tc = cpu_install.toolchain()
    exe = tmp_path / "app"
    subprocess.run([tc.compiler, *tc.compile_args, "-O1", str(tmp_path / "app.cpp"), str(tmp_path / "app_main.cpp"),
                    "-o", str(exe), *tc.link_args], check=True, capture_output=True, env=tc.environ())
    # No OMP_PROC_BIND: the generated main sets hpcir's OpenMP defaults, so Kokkos prints no warning.
    env = {k: v for k, v in tc.environ().items() if k not in ("OMP_PROC_BIND", "OMP_WAIT_POLICY", "HPCIR_OMP_DEFAULTS")}
    run = subprocess.run([str(exe)], check=True, capture_output=True, text=True, env={**env, "OMP_NUM_THREADS": "2"})
    s = float(sum(k * k for k in range(6)))
    expect = [f"sum of squares = {s}, tenth = {s * 0.1}, sci = {s * 0.1:e}"]
    expect += [f"h[{k}] = {float(k * k):.2f} > 10: True" for k in range(6) if k * k > 10]
    assert run.stdout.splitlines() == expect
    assert "OMP_PROC_BIND" not in run.stderr, run.stderr


@pytest.mark.slow
def test_cmake_project_finds_the_shared_prelude(cpu_install, tmp_path):
    """The CMake project of a module ships hpcir_prelude.hpp beside it; the library and the
    executable (int main at global scope) build with CMake and run."""
    from hpcir.backends.cmake_project import write_cmake_project
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    files = emit_module(_parse(HOST_PROGRAM), "app", "cpu").files  # its program is named main
    main = files.pop("app_main.cpp")
    cml = write_cmake_project(tmp_path, "app", files, get_target("cpu"), cpu_install, main)
    assert (tmp_path / "hpcir_prelude.hpp").read_text() == files["hpcir_prelude.hpp"]
    assert "add_library(app app.cpp app.hpp hpcir_prelude.hpp)" in cml.read_text()
    env = {**cpu_install.toolchain().environ(), "OMP_NUM_THREADS": "2"}
    env.pop("OMP_PROC_BIND", None)  # the generated main sets it (docs/threads.md)
    build = tmp_path / "build"
    for cmd in (["cmake", "-S", str(tmp_path), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"],
                ["cmake", "--build", str(build), "-j2"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = subprocess.run([str(build / "app_main")], check=True, capture_output=True, text=True, env=env)
    assert f"sum of squares = {float(sum(k * k for k in range(6)))}" in run.stdout
    assert "OMP_PROC_BIND" not in run.stdout + run.stderr, run.stdout + run.stderr


def test_two_modules_share_one_kokkos(cpu_install):
    from hpcir.backends.build import build_shared_library
    from hpcir.backends.runtime import load_module

    target = get_target("cpu")
    libs = []
    for name, factor in (("share_a", 2.0), ("share_b", 3.0)):
        files = emit_module(_parse(SMALL.replace("scale", f"scale_{name}")), name, target).files
        libs.append((load_module(build_shared_library(files, target, cpu_install, name)), factor))
    x = np.arange(5.0)
    for lib, factor in libs:
        getattr(lib, f"scale_{lib.name}")(0, 5, factor, x)
    np.testing.assert_array_equal(x, np.arange(5.0) * 6)
    for lib, _ in libs:  # Kokkos is initialized once; every later initialize is a no-op returning 0
        assert lib.cdll.hpcir_initialize(ctypes.c_int(-1)) == 0


def _gpu_install(backend: str, tool: str):
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    if shutil.which(tool) is None:
        pytest.skip(f"`{tool}` is not installed")
    try:
        return find_kokkos(backend)
    except KokkosNotFoundError:
        pytest.skip(f"no Kokkos with {backend}: run `python -m hpcir kokkos install --backend {backend}`")


@pytest.mark.slow
@pytest.mark.parametrize("backend,tool", [("cuda", "nvcc"), ("hip", "hipcc")])
def test_gpu_targets_compile(backend, tool):
    """Every test kernel (views in device memory, host staging in the C entries) compiles for the GPU."""
    from hpcir.backends.build import compile_only

    install = _gpu_install(backend, tool)
    emitted = emit_kernels(backend, "device")
    host_prog = emit_module(_parse(HOST_PROGRAM), "app", backend).files
    compile_only({**emitted.files, **host_prog}, get_target(backend), install)
