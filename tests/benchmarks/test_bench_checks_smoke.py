"""Smoke test of benchmarks/bench_checks.py (issue 15 item 4): tiny sizes, one round, "before" =
HEAD (a shallow clone has no older commit), so both sides are today's code. No timing assertions."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_checks.py"


def test_bench_checks_tiny(tmp_path: Path) -> None:
    out = tmp_path / "checks.json"
    proc = subprocess.run([sys.executable, str(BENCH), "--before", "HEAD", "--triad-log2", "12", "--jacobi-n", "12",
                           "--reps", "2", "--warmup", "0", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kernels = json.loads(out.read_text())["kernels"]
    assert set(kernels) == {"triad", "jacobi", "triad_divmod"}
    assert not kernels["triad"]["checks_after"] and not kernels["jacobi"]["checks_after"]
    assert kernels["triad_divmod"]["checks_after"]
    assert all(k["before"]["n"] == 2 and k["ratio_paired"] > 0 for k in kernels.values())
    assert "| triad_divmod | yes |" in proc.stdout
