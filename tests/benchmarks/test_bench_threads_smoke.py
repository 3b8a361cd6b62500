"""Smoke test of benchmarks/bench_threads.py (issue 10 item 7): it runs at a tiny size, each
configuration in its own process with the OpenMP settings it names. No timing assertions."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_threads.py"


def test_bench_threads_tiny(tmp_path: Path) -> None:
    out = tmp_path / "threads.json"
    proc = subprocess.run([sys.executable, str(BENCH), "--calls", "5", "--rounds", "1", "--settings", "before,after",
                           "--threads", "1,default", "--loads", "as-is", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    runs = data["phases"]["as-is"]["runs"]
    assert {(r["settings"], r["threads"]) for r in runs} == {("before", "1"), ("before", "default"),
                                                            ("after", "1"), ("after", "default")}
    for r in runs:
        assert set(r["cases"]) == {"axpy 1e3", "axpy 1e4", "dot 1e3", "dot 1e4", "parallel_for axpy 1e3"}
        assert all(c["n"] >= 2 and c["median_us"] > 0 for c in r["cases"].values())
        assert not r["kokkos_warning"]
        applied = r["openmp_applied"]["set"]
        if r["settings"] == "after":  # the worker's environment has no OpenMP variable: all defaults
            assert applied == {"OMP_PROC_BIND": "false", "OMP_WAIT_POLICY": "passive"}
            if r["libgomp"]:
                assert r["libgomp"]["GOMP_SPINCOUNT"] == "0"
        else:
            assert applied == {}
    for table in ("median us per launch", "mean us per launch", "p90 us per launch"):
        assert table in proc.stdout
