"""Smoke test of benchmarks/device_arrays.py at a tiny size on a host target: both variants agree
and, host memory being the kernels' memory, neither moves a byte. No timing assertions."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_device_arrays_tiny(tmp_path: Path) -> None:
    out = tmp_path / "device.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "device_arrays.py"), "--target", "serial",
                           "--n", "1000", "--iters", "3", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    assert res["agree"] and set(res["variants"]) == {"numpy", "hpcir.Array"}
    for v in res["variants"].values():
        assert v["bytes_per_iter"] == 0 and v["copies_per_iter"] == 0 and v["seconds_per_iter"] > 0
