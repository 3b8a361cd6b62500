"""The C++ the repository keeps: the generated parts (examples/cxx/, benchmarks/generated/) match
what hpcir emits now, and the top-level CMakeLists.txt builds everything against an installed
Kokkos without Python (the examples' executables run; the benchmark libraries compute)."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hpcir.backends.toolchain.kokkos_install import KokkosInstall, find_kokkos
from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
from hpcir.core.errors import KokkosNotFoundError

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python examples/regenerate_cxx.py"
MDFT_TINY = ROOT / "tests" / "mdft_case" / "data" / "tiny_compare.toml"


def _regenerate_module():
    spec = importlib.util.spec_from_file_location("hpcir_regenerate_cxx", ROOT / "examples" / "regenerate_cxx.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_kept_generated_cxx_matches_hpcir():
    stale = _regenerate_module().stale_files()
    assert not stale, ("the generated C++ kept in the repository differs from what hpcir emits now:\n  "
                       + "\n  ".join(stale) + f"\nrun `{REGENERATE}` and commit the result")


def _clean_env() -> dict[str, str]:
    # No OpenMP variable either: the generated executables set their defaults (docs/threads.md).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_", "HPCIR_OMP"))
           and k != "KOKKOS_DISABLE_WARNINGS"}
    for var in ("Kokkos_ROOT", "KOKKOS_ROOT", "CMAKE_PREFIX_PATH", "CXX"):
        env.pop(var, None)
    return env


def _run(cmd: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, **kw)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def _configure_and_build(build: Path, kokkos: KokkosInstall, env: dict[str, str]) -> str:
    """Configure the top-level project against `kokkos` (Release) and build it with -j2."""
    defines = [f"-D{key}={value}" for key, value in kokkos.cmake_defines]
    conf = _run(["cmake", "-S", str(ROOT), "-B", str(build), f"-DKokkos_ROOT={kokkos.prefix}",
                 "-DCMAKE_BUILD_TYPE=Release", *defines], {**env, **dict(kokkos.env)})
    _run(["cmake", "--build", str(build), "-j2"], {**env, **dict(kokkos.env)})
    return conf.stdout


def test_top_level_cmake_without_kokkos_says_how_to_get_one(tmp_path: Path):
    proc = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(tmp_path / "b"),
                           f"-DKokkos_ROOT={tmp_path / 'no-kokkos-here'}"],
                          capture_output=True, text=True, env=_clean_env())
    assert proc.returncode != 0
    err = " ".join(proc.stderr.split())  # CMake rewraps the message
    assert "-DKokkos_ROOT=<prefix>" in err and "hpcir kokkos install" in err, proc.stderr


# Loads the CMake-built benchmark libraries the way their Python drivers do (ctypes) and checks
# them: the hand-written triad against numpy, and hdiff_body's four variants (hpcir's generated
# functor pasted in by CMake, the hand-written one) against each other.
_BENCH_CHECK = r"""
import ctypes, sys
import numpy as np
dp = ctypes.POINTER(ctypes.c_double)
p = lambda a: a.ctypes.data_as(dp)
hw, body = ctypes.CDLL(sys.argv[1]), ctypes.CDLL(sys.argv[2])
hw.hw_triad.argtypes = [dp, dp, dp, ctypes.c_int64, ctypes.c_double]
body.hdiff_body_once.argtypes = [ctypes.c_int, dp, dp, dp, ctypes.c_int, ctypes.c_int]
assert hw.hw_initialize(2) == 1
rng = np.random.default_rng(0)
b, c, a = rng.random(1000), rng.random(1000), np.zeros(1000)
hw.hw_triad(p(a), p(b), p(c), 1000, 3.0)
assert np.array_equal(a, b + 3.0 * c), "hw_triad"
u, coeff = rng.random((40, 50)), rng.random((40, 50))
outs = []
for k in range(4):
    out = np.zeros((40, 50))
    body.hdiff_body_once(k, p(u), p(coeff), p(out), 40, 50)
    outs.append(out)
assert np.abs(outs[0][2:-2, 2:-2]).max() > 0, "hdiff_body wrote nothing"
for k in (1, 2, 3):
    assert np.allclose(outs[k], outs[0], rtol=1e-12, atol=1e-12), f"hdiff_body variant {k}"
hw.hw_finalize()
print("benchmark libraries OK")
"""


@pytest.mark.slow
def test_top_level_cmake_builds_and_runs_on_openmp(tmp_path: Path):
    kokkos = ensure_kokkos("cpu")  # CI installs it before pytest; built here otherwise
    env = _clean_env()
    build = tmp_path / "build"
    log = _configure_and_build(build, kokkos, env)
    assert "examples/cxx skipped" not in log, log
    mains = sorted((ROOT / "examples" / "cxx").glob("*/*_main.cpp"))
    assert mains, "examples/cxx has no generated executable (examples/axpy_dot.py has a main)"
    stdout = {}
    for main in mains:
        exe = build / "examples" / "cxx" / main.parent.name / main.stem
        run = subprocess.run([str(exe)], capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, f"{exe}: exit {run.returncode}\n{run.stdout}\n{run.stderr}"
        assert "OMP_PROC_BIND" not in run.stdout + run.stderr, f"{exe} warned:\n{run.stdout}\n{run.stderr}"
        stdout[main.stem] = run.stdout
    assert "dot = " in stdout.get("axpy_dot_main", ""), stdout  # examples/axpy_dot.py's main printed
    libs = [build / "benchmarks" / f"libhpcir_bench_{n}.so" for n in ("handwritten", "hdiff_body")]
    check = _run([sys.executable, "-c", _BENCH_CHECK, *map(str, libs)], env, timeout=120)
    assert "benchmark libraries OK" in check.stdout
    # The hand-written Kokkos MDFT kernels (mdft_case/kokkos_cpp): the library the kokkos-cpp backend
    # loads, and the program, run on the 16^3 problem file the backend writes: numpy's F to 1e-10.
    mdft = build / "mdft_case" / "kokkos_cpp"
    assert (mdft / "libmdft_kokkos.so").is_file()
    problem = tmp_path / "tiny_compare.bin"
    ref = _run([sys.executable, "-m", "hpcir.mdft_case.export_problem", str(MDFT_TINY), str(problem)],
               env, timeout=300)
    run = _run([str(mdft / "mdft_kokkos_main"), str(problem), "--repeats", "1"], {**env, "OMP_NUM_THREADS": "2"},
               timeout=120)
    f_ref, f = (float(re.search(r"F = (\S+) kJ/mol", out).group(1)) for out in (ref.stdout, run.stdout))
    assert abs(f - f_ref) <= 1e-10 * abs(f_ref), (run.stdout, ref.stdout)
    assert "kernel kspace_contract" in run.stdout and "|grad F| = " in run.stdout
    # Each generated example is also a project of its own (what a C++ user copies out).
    alone = tmp_path / "alone"
    _run(["cmake", "-S", str(ROOT / "examples" / "cxx" / "axpy_dot"), "-B", str(alone),
          f"-DKokkos_ROOT={kokkos.prefix}"], env)


@pytest.mark.slow
@pytest.mark.parametrize("backend,tool", [("cuda", "nvcc"), ("hip", "hipcc")])
def test_top_level_cmake_builds_the_gpu_benchmark(backend: str, tool: str, tmp_path: Path):
    if shutil.which(tool) is None:
        pytest.skip(f"`{tool}` is not installed (.ci/setup_gpu_toolchains.sh installs it)")
    try:
        kokkos = find_kokkos(backend)
    except KokkosNotFoundError:
        pytest.skip(f"no Kokkos with {backend}: run `python -m hpcir kokkos install --backend "
                    f"{backend}` (.ci/setup_gpu_toolchains.sh does)")
    build = tmp_path / "build"
    _configure_and_build(build, kokkos, _clean_env())  # compiles and links; running needs the GPU
    assert (build / "benchmarks" / "libhpcir_gpu_bench.so").is_file()
