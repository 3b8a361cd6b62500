"""Smoke test of benchmarks/fft.py at a tiny size: every variant (hpcir.fft, numpy.fft, scipy.fft, FFTW
called directly from C++) reproduces the input and agrees with numpy.fft. No timing assertions."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_fft_round_trip_tiny(tmp_path: Path) -> None:
    out = tmp_path / "fft.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fft.py"), "--fields", "2", "--n", "12",
                           "--reps", "2", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    assert res["agree"]
    assert set(res["variants"]) == {"hpcir", "hpcir (alloc)", "numpy.fft", "scipy.fft", "FFTW direct"}
    assert all(e < 1e-10 for e in res["max_abs_err"].values())
    assert all(v["median_s"] > 0 for v in res["variants"].values())
