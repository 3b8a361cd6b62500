"""Smoke test of benchmarks/kernels_jax_torch.py at tiny sizes: every variant (Kokkos cpu, generated
JAX under jit, generated Torch under torch.compile, hand-written jnp / torch) agrees with NumPy and
the JSON has a median per variant. No timing assertions."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_kernels_jax_torch_tiny(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    out = tmp_path / "kjt.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "kernels_jax_torch.py"), "--small", "--reps", "2",
                           "--warmup", "1", "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    assert set(res["kernels"]) == {"triad", "jacobi7", "ideal_fe"}
    for k in res["kernels"].values():
        assert all(k["agree"].values()) and len(k["agree"]) == 5
        assert all(s["median_s"] > 0 for s in k["samples"].values())
