"""Smoke test of benchmarks/peers.py's hpcir path at a tiny size, peers off (GT4Py and DaCe are an
optional extra and their builds take minutes): every hpcir variant is built, checked against NumPy
(the script exits non-zero otherwise) and timed. No timing assertions."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The 3-D hdiff alone: its four layouts are the script's hpcir path; 2-D hdiff and the Jacobi are
# passes_variants' stencils, which tests/benchmarks/test_passes_smoke.py already runs.
TINY = ["--cases", "hdiff3d", "--n3d", "12,10,5", "--reps", "1", "--warmup", "0", "--peers", "none"]


def test_peers_hpcir_only(tmp_path: Path) -> None:
    out = tmp_path / "peers.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "peers.py"), *TINY, "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert set(data["cases"]) == {"hdiff3d"}
    tools3 = data["cases"]["hdiff3d"]["tools"]
    assert len(tools3) == 4 and all(t["kind"] == "hpcir" and t["n"] == 1 for t in tools3.values())
    assert all(t["median_s"] > 0 for c in data["cases"].values() for t in c["tools"].values())


def test_peers_wrong_result_fails(tmp_path: Path) -> None:
    # The check that guards every timing must reject a wrong output: run a case's check on a bad one.
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import numpy as np
    import peers_cases as C
    case = C.cases(16, (12, 10, 5), 8)["jacobi"]
    data = case.inputs()
    want = case.reference(*data.values())
    out = np.zeros(case.shape)
    out[case.interior()] = want
    case.check("reference", out, want)
    out[3, 3, 3] += 1e-6
    try:
        case.check("perturbed", out, want)
    except SystemExit as err:
        assert "differs from NumPy" in str(err)
    else:
        raise AssertionError("a wrong output passed the check")
    out[case.interior()] = want
    out[0, 0, 0] = 1.0
    try:
        case.check("outside", out, want)
    except SystemExit as err:
        assert "outside the interior" in str(err)
    else:
        raise AssertionError("a write outside the interior passed the check")
