"""Smoke test of benchmarks/passes.py at a tiny size: it builds, runs, and every variant computes
what NumPy computes (the script exits non-zero otherwise). No timing assertions."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))

TINY = ["--jacobi-n", "12", "--hdiff-n", "20", "--triad-log2", "10", "--reps", "1", "--warmup", "1"]


def _frameworks() -> str:
    """The frameworks installed here (jax / torch are optional for hpcir itself)."""
    have = ["numpy"]
    for mod in ("jax", "torch"):
        try:
            __import__(mod)
            have.append(mod)
        except ImportError:
            pass
    return ",".join(have)


def test_passes_tiny(tmp_path: Path) -> None:
    out, cpp = tmp_path / "passes.json", tmp_path / "cpp"
    frameworks = _frameworks()
    proc = subprocess.run([sys.executable, str(BENCH / "passes.py"), *TINY, "--frameworks", frameworks,
                           "--json", str(out), "--dump-cpp", str(cpp)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    expected_fw = {"numpy": "NumPy", "jax": "jax.jit", "torch": "torch.compile"}
    fw = {expected_fw[f] for f in frameworks.split(",")}
    hw, hp = "Kokkos hand-written (MDRange default tiles)", "hpcir (default pipeline)"
    cpp_timed = {"hpcir (default), timed in C++", "Kokkos hand-written, timed in C++"}
    assert set(data["triad"]["variants"]) == {hp, hw} | cpp_timed | fw
    at = "hpcir, kokkos-tile autotune=true"
    assert set(data["jacobi"]["variants"]) == {hp, "hpcir with kokkos-tile", "hpcir without stencil-host-schedule",
                                               at, "hpcir.parallel_for (Python kernel)", hw} | cpp_timed | fw
    assert set(data["hdiff"]["variants"]) == ({hp, "hpcir without kokkos-fuse", "hpcir with kokkos-tile",
                                               "hpcir without stencil-host-schedule", at, hw}
                                              | cpp_timed | fw)
    assert any("both timed in C++" in g for g in data["goals"])
    assert data["jacobi"]["bytes"] == 16 * 10 ** 3 and data["hdiff"]["bytes"] == 24 * 16 ** 2
    assert data["triad"]["bytes"] == 24 * 2 ** 10
    for key in ("triad", "jacobi", "hdiff"):
        for v in data[key]["variants"].values():
            assert v["n"] == 1 and v["median_s"] > 0 and v["speed_vs"][hw] > 0
    # The hand-written triad is the reference: its fraction of triad is 1 by construction.
    assert data["triad"]["variants"][hw]["fraction_of_triad"] == pytest.approx(1.0)
    # The pass ablation really changes the code: without kokkos-fuse hdiff launches 4 kernels.
    fused, unfused = (cpp / "hdiff_default.cpp").read_text(), (cpp / "hdiff_kokkos_fuse.cpp").read_text()
    assert fused.count("Kokkos::parallel_for(") == 1 and unfused.count("Kokkos::parallel_for(") == 4
    # The cpu default is stencil-host-schedule's RangePolicy over row blocks; without it the MDRange
    # keeps Kokkos' default tiles (no third brace list); kokkos-tile adds one.
    policy = lambda text: text.split("hdiff_policy(")[1].split(";")[0]  # noqa: E731
    tiled = policy((cpp / "hdiff_kokkos_tile.cpp").read_text())
    untiled = policy((cpp / "hdiff_stencil_host_schedule.cpp").read_text())
    assert "Kokkos::RangePolicy" in fused and "#pragma omp simd" in fused
    assert untiled.count("{") == 2 and tiled.count("{") == 3
    assert "autotuner's gain" in proc.stdout and "Goals" in proc.stdout and "hdiff" in proc.stdout


def test_array_expressions_match_the_stencils() -> None:
    """The NumPy / jax / torch formula and the hpcir stencils agree (serial target, odd sizes)."""
    import passes_variants as V
    rng = np.random.default_rng(5)
    u, coeff = rng.random((9, 13)), rng.random((9, 13))
    out = np.zeros_like(u)
    V.hdiff.compile("serial")(u, coeff, out)
    np.testing.assert_allclose(out[2:-2, 2:-2], V.hdiff_expr(u, coeff), rtol=1e-12)
    u3 = rng.random((7, 6, 8))
    out3 = np.zeros_like(u3)
    V.jacobi7.compile("serial")(V.JACOBI_C0, V.JACOBI_C1, u3, out3)
    np.testing.assert_allclose(out3[1:-1, 1:-1, 1:-1], V.jacobi_expr(u3), rtol=1e-12)


def test_pipeline_toggles_exactly_one_pass() -> None:
    import passes_variants as V
    full = V.pipeline_toggled("cpu", None).split(",")
    for name in ("kokkos-fuse", "kokkos-layout"):  # in the cpu default: removed
        less = V.pipeline_toggled("cpu", name).split(",")
        assert len(less) == len(full) - 1 and not any(p.startswith(name) for p in less)
        assert V.toggled_name("cpu", name) == f"hpcir without {name}"
    # Not in the cpu default: added after layout; it tiles MDRanges, so the stencils keep theirs
    # (stencil-host-schedule, which replaces them by row blocks, is the one other pass it removes).
    more = V.pipeline_toggled("cpu", "kokkos-tile").split(",")
    expected = [p for p in full if p != "stencil-host-schedule"]
    assert len(expected) == len(full) - 1
    expected.insert(next(k for k, p in enumerate(expected) if p.startswith("kokkos-layout")) + 1, "kokkos-tile")
    assert more == expected
    assert V.toggled_name("cpu", "kokkos-tile") == "hpcir with kokkos-tile"


def test_hdiff_body_tiny() -> None:
    """benchmarks/hdiff_body.py pastes hpcir's current hdiff functor next to the hand-written one:
    it must still find that functor, build, and compute what NumPy computes."""
    proc = subprocess.run([sys.executable, str(BENCH / "hdiff_body.py"), "--n", "24", "--rounds", "2"],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("| generated body") == 2 and "same-round ratios" in proc.stdout


def test_gpu_benchmark_driver_runs_on_the_host() -> None:
    """benchmarks/gpu_passes.py's driver (generated variants + hand-written kernels, checked against
    each other, timed in C++) run end to end with a host target, at a tiny size."""
    proc = subprocess.run([sys.executable, str(BENCH / "gpu_passes.py"), "--target", "serial", "--jacobi-n", "10",
                           "--hdiff-n", "16", "--triad-log2", "8", "--reps", "1", "--warmup", "0"],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [ln for ln in proc.stdout.splitlines() if ln.startswith(("| jacobi", "| hdiff", "| triad"))]
    assert len(rows) == 9 and "without kokkos-fuse" in proc.stdout and "Goal: 7-point Jacobi" in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_gpu_benchmark_compiles_for_gpus(target: str) -> None:
    """No GPU here: the GPU benchmark's sources (every generated variant and the driver) compile."""
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    try:
        find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    proc = subprocess.run([sys.executable, str(BENCH / "gpu_passes.py"), "--target", target, "--compile-only"],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"compile for {target}" in proc.stdout
