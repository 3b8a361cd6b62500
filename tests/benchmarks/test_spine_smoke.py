"""Smoke tests of benchmarks/: every script runs at a tiny size and checks its own results.

No timing assertions: the numbers depend on the machine and its load. What these tests catch is
rot: a benchmark that no longer builds, runs, or computes what NumPy computes (spine.py exits
non-zero when any variant's output differs from NumPy's).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))

TINY = ["--triad-log2", "10", "--jacobi-n", "12", "--reps", "1", "--warmup", "1", "--calls", "5"]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)


def test_spine_tiny(tmp_path: Path) -> None:
    out = tmp_path / "spine.json"
    proc = _run([str(BENCH / "spine.py"), *TINY, "--no-cold-build", "--json", str(out)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    for section in ("triad", "jacobi"):
        variants = data[section]["variants"]
        assert {"Kokkos hand-written, timed in C++", "hpcir entry, timed in C++",
                "Kokkos hand-written, ctypes call", "hpcir.parallel_for", "NumPy"} <= set(variants)
        assert all(v["n"] == 1 and v["median_s"] > 0 for v in variants.values())
    assert data["jacobi"]["bytes"] == 16 * 10 ** 3  # interior points of a 12³ grid
    assert data["triad"]["bytes"] == 24 * 2 ** 10
    assert data["machine"]["kokkos_threads"] >= 1
    assert "Kokkos hand-written with int indices, timed in C++" in data["jacobi"]["variants"]
    for target in ("cpu", "serial"):
        assert data["overhead"][f"hpcir.parallel_for ({target})"]["n"] == 5
        assert data["overhead"][f"hpcir entry called from C++ ({target})"]["n"] == 5
    assert set(data["lowering"]["per_kernel_median_s"]) == {"triad", "jacobi", "dot", "clamp"}
    for heading in ("STREAM triad", "7-point Jacobi", "Per-call overhead", "Lowering one kernel"):
        assert heading in proc.stdout
    summary = _run([str(BENCH / "summarize.py"), str(out), str(out)])
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout.count("| spine |") == 2 and "triad: hpcir / hand-written" in summary.stdout


def test_threads_option_reaches_kokkos(tmp_path: Path) -> None:
    out = tmp_path / "spine.json"
    proc = _run([str(BENCH / "spine.py"), *TINY, "--no-cold-build", "--threads", "1", "--json", str(out)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(out.read_text())["machine"]["kokkos_threads"] == 1


def test_handwritten_matches_numpy() -> None:
    import numpy as np
    import hpcir
    import spine_kernels as K
    from spine_handwritten import HandWritten
    hw = HandWritten()
    rng = np.random.default_rng(7)
    b, c = rng.random(1001), rng.random(1001)
    a = np.zeros(1001)
    hw.triad(a, b, c, -2.5)
    np.testing.assert_allclose(a, b - 2.5 * c, rtol=1e-15)
    u = rng.random((9, 7, 5))
    got, want = np.full_like(u, 7.0), np.full_like(u, 7.0)
    hw.jacobi(u, got, 0.3, 0.2)
    K.numpy_jacobi(u, want, 0.3, 0.2)
    np.testing.assert_allclose(got, want, rtol=1e-14)  # boundary untouched by both
    got[...] = 7.0
    assert len(hw.jacobi_int_timed(u, got, 0.3, 0.2, 3)) == 3
    np.testing.assert_allclose(got, want, rtol=1e-14)
    # hpcir's entry for the same launch, called from the C++ timer, computes the same update.
    raw = K.RawEntry.for_kernel(K.jacobi, hpcir.MDRangePolicy([1, 1, 1], [8, 6, 4]), c0=0.3, c1=0.2, u=u, out=got)
    got[...] = 7.0
    assert len(hw.entry_timed(raw, 2)) == 2
    np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.slow
def test_cold_build_in_empty_cache() -> None:
    from spine_compile import cold_build_times
    data = cold_build_times(["triad"])
    assert data["kokkos_origin"] == "Kokkos_ROOT"  # the existing install, not a rebuilt one
    assert set(data["modules"]) == {"triad"}
    assert data["modules"]["triad"]["build_s"] > 0
