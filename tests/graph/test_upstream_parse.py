"""`hpcir lower --emit=mlir` on graph entry points (a torch module and a JAX function): every stage
parses and verifies with the upstream MLIR bindings exactly as printed (issue 10, item 5)."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("jax")
mlir_ir = pytest.importorskip("mlir.ir")

from hpcir.cli import main as cli_main  # noqa: E402

from .test_api import MODEL_FILE  # noqa: E402


def _upstream_parse(text: str) -> None:
    ctx = mlir_ir.Context()
    ctx.allow_unregistered_dialects = True
    assert mlir_ir.Module.parse(text, ctx).operation.verify()


@pytest.mark.parametrize("target,stage", [("cpu", "L1"), ("cpu", "L2"), ("cpu", "L3"), ("cuda", "L3"),
                                          ("hip", "L2"), ("jax", "L1"), ("torch", "L1")])
def test_graph_stages_parse_upstream_as_printed(tmp_path: Path, target: str, stage: str):
    model = tmp_path / "model.py"
    model.write_text(MODEL_FILE)
    out = tmp_path / "out"
    assert cli_main(["lower", str(model), f"--target={target}", "--emit=mlir", f"--stage={stage}",
                     "-o", str(out)]) == 0
    files = sorted(out.glob(f"*.{stage.lower()}.mlir"))
    assert {f.name.split(".")[0] for f in files} == {"small", "smooth"}, sorted(out.iterdir())
    for f in files:
        text = f.read_text()
        assert "#kokkos.space" not in text
        _upstream_parse(text)
