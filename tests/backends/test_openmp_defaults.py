"""hpcir's OpenMP defaults (docs/threads.md, issue 10 item 7): OMP_PROC_BIND=false and
OMP_WAIT_POLICY=passive unless the user set them, applied before the OpenMP runtime reads its
environment, in the JIT (Python process) and in the executables `hpcir lower` generates; no
Kokkos OMP_PROC_BIND warning at start; HPCIR_NUM_THREADS picks the thread count."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hpcir.backends.runtime import openmp_defaults

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "axpy_dot.py"
WARNING = "OMP_PROC_BIND environment variable not set"
# Every variable that changes what these tests look at: each test starts from none of them.
OMP_VARS = ("OMP_PROC_BIND", "OMP_PLACES", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS",
            "OMP_DISPLAY_ENV", "HPCIR_NUM_THREADS", "HPCIR_OMP_DEFAULTS", "KOKKOS_DISABLE_WARNINGS",
            "KOKKOS_NUM_THREADS")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OMP_VARS}
    return env | extra


def _libgomp_settings(output: str) -> dict[str, str]:
    """The ICVs libgomp printed last (OMP_DISPLAY_ENV=verbose prints them when it is loaded; an
    executable that re-executed itself prints two blocks, the second is the one that ran)."""
    blocks = re.findall(r"OPENMP DISPLAY ENVIRONMENT BEGIN(.*?)OPENMP DISPLAY ENVIRONMENT END", output, re.S)
    if not blocks:
        pytest.skip("the OpenMP runtime is not libgomp (no OMP_DISPLAY_ENV output to read)")
    return dict(re.findall(r"^\s*(\w+) = '([^']*)'", blocks[-1], re.M))


# --- the rules ---------------------------------------------------------------------------------

def test_defaults_fill_only_what_the_user_left_unset():
    assert openmp_defaults({}) == {"OMP_PROC_BIND": "false", "OMP_WAIT_POLICY": "passive"}
    assert openmp_defaults({"OMP_PROC_BIND": "spread", "OMP_WAIT_POLICY": "active"}) == {}
    assert openmp_defaults({"OMP_PROC_BIND": ""}) == {"OMP_WAIT_POLICY": "passive"}  # set, even if empty
    # Places without a binding: libgomp binds (true); hpcir says so explicitly instead of false.
    assert openmp_defaults({"OMP_PLACES": "cores"}) == {"OMP_PROC_BIND": "true", "OMP_WAIT_POLICY": "passive"}
    # A spin count is a wait policy of its own.
    assert openmp_defaults({"GOMP_SPINCOUNT": "10000"}) == {"OMP_PROC_BIND": "false"}
    for off in ("0", "false", "OFF", "no"):
        assert openmp_defaults({"HPCIR_OMP_DEFAULTS": off}) == {}
    assert openmp_defaults({"HPCIR_OMP_DEFAULTS": "1"}) == {"OMP_PROC_BIND": "false", "OMP_WAIT_POLICY": "passive"}


# --- the JIT -----------------------------------------------------------------------------------

_JIT_SCRIPT = r"""
import json, os
import numpy as np
import hpcir
from hpcir.backends import runtime

@hpcir.kernel
def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = a * x[i] + y[i]

x, y = np.ones(100), np.ones(100)
hpcir.parallel_for(100, axpy, a=2.0, x=x, y=y)
assert y[0] == 3.0
print("RESULT", json.dumps({"applied": runtime.openmp_applied(),
                            "env": {k: os.environ.get(k) for k in ("OMP_PROC_BIND", "OMP_WAIT_POLICY")}}))
"""


def _run_jit(tmp_path: Path, env: dict[str, str]) -> tuple[dict, dict[str, str], str]:
    script = tmp_path / "jit_axpy.py"  # kernels are read from their source file
    script.write_text(_JIT_SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env | {"OMP_DISPLAY_ENV": "verbose"}, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    out = proc.stdout + proc.stderr
    return json.loads(line[len("RESULT "):]), _libgomp_settings(out), out


@pytest.mark.slow
def test_jit_applies_the_defaults_before_openmp_starts(tmp_path: Path):
    """libgomp reads its environment once, when the first module library loads it: the defaults
    must be in the environment then (GOMP_SPINCOUNT 0 is passive waiting), and the process gets
    its own environment back afterwards."""
    result, icv, out = _run_jit(tmp_path, _env())
    assert result["applied"] == {"set": {"OMP_PROC_BIND": "false", "OMP_WAIT_POLICY": "passive"},
                                 "openmp_already_loaded": False}
    assert icv["OMP_PROC_BIND"] == "FALSE" and icv["OMP_WAIT_POLICY"] == "PASSIVE"
    assert icv["GOMP_SPINCOUNT"] == "0", icv
    assert result["env"] == {"OMP_PROC_BIND": None, "OMP_WAIT_POLICY": None}
    assert WARNING not in out


@pytest.mark.slow
def test_jit_keeps_the_users_openmp_settings(tmp_path: Path):
    result, icv, _ = _run_jit(tmp_path, _env(OMP_PROC_BIND="spread", OMP_WAIT_POLICY="active", HPCIR_NUM_THREADS="1"))
    assert result["applied"]["set"] == {}
    assert icv["OMP_PROC_BIND"] == "SPREAD" and icv["OMP_WAIT_POLICY"] == "ACTIVE"
    assert int(icv["GOMP_SPINCOUNT"]) > 0
    assert result["env"] == {"OMP_PROC_BIND": "spread", "OMP_WAIT_POLICY": "active"}


# --- the executables `hpcir lower` generates ---------------------------------------------------

@pytest.fixture(scope="module")
def executable(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("omp") / "proj"
    env = _env()
    subprocess.run([sys.executable, "-m", "hpcir", "lower", str(EXAMPLE), "--target=cpu", "-o", str(out)],
                   check=True, capture_output=True, env=env, timeout=600)
    subprocess.run(["cmake", "-S", str(out), "-B", str(out / "build"), "-DCMAKE_BUILD_TYPE=Release"],
                   check=True, capture_output=True, env=env, timeout=600)
    subprocess.run(["cmake", "--build", str(out / "build"), "-j2"], check=True, capture_output=True, env=env,
                   timeout=600)
    return out / "build" / "axpy_dot_main"


def _run_exe(exe: Path, env: dict[str, str]) -> str:
    proc = subprocess.run([str(exe)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dot = " in proc.stdout, proc.stdout
    return proc.stdout + proc.stderr


@pytest.mark.slow
def test_executable_starts_without_warning_and_without_any_omp_variable(executable: Path):
    out = _run_exe(executable, _env())
    assert WARNING not in out and "WARNING" not in out, out
    icv = _libgomp_settings(_run_exe(executable, _env(OMP_DISPLAY_ENV="verbose")))
    assert icv["OMP_PROC_BIND"] == "FALSE" and icv["GOMP_SPINCOUNT"] == "0", icv  # passive, in effect


@pytest.mark.slow
@pytest.mark.parametrize("user", [
    {"OMP_PROC_BIND": "spread", "OMP_WAIT_POLICY": "active"},
    {"OMP_PROC_BIND": "close"},
    {"OMP_PLACES": "cores"},
    {"GOMP_SPINCOUNT": "1234"},
])
def test_executable_keeps_the_users_settings(executable: Path, user: dict[str, str]):
    """The user's variables reach the OpenMP runtime unchanged; hpcir fills in the rest with the
    rules the JIT uses (openmp_defaults)."""
    out = _run_exe(executable, _env(OMP_DISPLAY_ENV="verbose", **user))
    assert WARNING not in out, out
    icv = _libgomp_settings(out)
    effective = user | openmp_defaults(user)
    assert icv["OMP_PROC_BIND"] == effective["OMP_PROC_BIND"].upper()
    if "GOMP_SPINCOUNT" in user:
        assert icv["GOMP_SPINCOUNT"] == user["GOMP_SPINCOUNT"]
    elif effective["OMP_WAIT_POLICY"] == "passive":
        assert icv["GOMP_SPINCOUNT"] == "0"
    else:
        assert icv["OMP_WAIT_POLICY"] == "ACTIVE" and int(icv["GOMP_SPINCOUNT"]) > 0


@pytest.mark.slow
def test_executable_thread_count_and_opting_out(executable: Path):
    icv = _libgomp_settings(_run_exe(executable, _env(OMP_DISPLAY_ENV="verbose", HPCIR_NUM_THREADS="1",
                                                      OMP_NUM_THREADS="2")))
    assert icv["OMP_NUM_THREADS"] == "1"  # HPCIR_NUM_THREADS first, as in the JIT
    # HPCIR_OMP_DEFAULTS=0: the environment as it is, so Kokkos warns as it always did.
    assert WARNING in _run_exe(executable, _env(HPCIR_OMP_DEFAULTS="0"))


def test_thread_settings_key_measured_caches(monkeypatch):
    """Autotuned tiles are keyed on the thread settings: HPCIR_NUM_THREADS is one of them."""
    from hpcir.core.machine import host_threads_id
    for var in OMP_VARS:
        monkeypatch.delenv(var, raising=False)
    base = host_threads_id()
    monkeypatch.setenv("HPCIR_NUM_THREADS", "1")
    assert host_threads_id() != base
