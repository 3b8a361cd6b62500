"""`hpcir lower` on a fresh machine (issue 10, item 4): from an empty cache and no Kokkos anywhere,
the build command it prints works as printed; GPU targets without a GPU Kokkos say what to pass."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "axpy_dot.py"


def _fresh_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("Kokkos_ROOT", "KOKKOS_ROOT", "CMAKE_PREFIX_PATH", "Kokkos_DIR") and not k.startswith("OMP_")}
    env["HPCIR_CACHE_DIR"] = str(tmp_path / "empty-cache")
    return env


def _lower(tmp_path: Path, target: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hpcir", "lower", str(EXAMPLE), f"--target={target}",
                           "-o", str(tmp_path / "proj")], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=1500)


@pytest.mark.slow
def test_printed_build_command_works_from_an_empty_cache(tmp_path: Path):
    env = _fresh_env(tmp_path)
    proc = _lower(tmp_path, "cpu", env)
    assert proc.returncode == 0, proc.stderr
    # A Kokkos was built on the way, with a progress line, and recorded in the project.
    assert "building Kokkos" in proc.stderr, proc.stderr
    assert (tmp_path / "empty-cache" / "kokkos").is_dir()
    cml = (tmp_path / "proj" / "CMakeLists.txt").read_text()
    assert str(tmp_path / "empty-cache" / "kokkos") in cml
    build = next(line for line in proc.stdout.splitlines() if line.startswith("build: "))
    done = subprocess.run(build.removeprefix("build: "), shell=True, capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = subprocess.run([str(tmp_path / "proj" / "build" / "axpy_dot_main")], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert re.search(r"dot = \S+ max = \S+", run.stdout), run.stdout


@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_a_gpu_target_without_a_gpu_kokkos_says_what_to_pass(tmp_path: Path, target: str):
    env = _fresh_env(tmp_path)
    proc = _lower(tmp_path, target, env)
    assert proc.returncode == 0, proc.stderr
    backend = target.upper()
    assert f"no Kokkos with {backend} found" in proc.stderr
    assert "-DKokkos_ROOT=" in proc.stderr and f"hpcir kokkos install --backend {target}" in proc.stderr
    build = next(line for line in proc.stdout.splitlines() if line.startswith("build: "))
    assert f"-DKokkos_ROOT=<a Kokkos with {backend}>" in build
    assert not (tmp_path / "empty-cache" / "kokkos").exists()  # nothing was built implicitly
    assert (tmp_path / "proj" / "CMakeLists.txt").is_file()
    shlex.split(build.removeprefix("build: ").replace("<", "").replace(">", ""))  # a valid shell line
