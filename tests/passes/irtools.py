"""Helpers for pass tests: parse MLIR custom syntax (upstream's, e.g. scf.parallel) into xDSL, run passes."""
from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp

from hpcir.dialects.upstream import from_upstream_syntax
from hpcir.pipeline import run_pipeline


def parse_mlir(text: str) -> ModuleOp:
    """Parse IR in upstream MLIR syntax (xDSL lacks custom syntax for scf.parallel) into a verified xDSL module."""
    module = from_upstream_syntax(text)
    module.verify()
    return module


def run(text: str, pipeline: str) -> tuple[ModuleOp, str]:
    """Parse text, run the pipeline, return the module and its printed form."""
    module = parse_mlir(text)
    run_pipeline(module, pipeline)
    return module, str(module)
