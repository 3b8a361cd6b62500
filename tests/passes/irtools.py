"""Helpers for pass tests: parse MLIR custom syntax (upstream's, e.g. scf.parallel) into xDSL, run passes."""
from __future__ import annotations

import re

from xdsl.dialects.builtin import ModuleOp

from hpcir.mlir_bridge import from_upstream_text
from hpcir.pipeline import run_pipeline


def parse_mlir(text: str) -> ModuleOp:
    """Parse IR in upstream MLIR syntax (xDSL lacks custom syntax for scf.parallel) into a verified xDSL module."""
    import mlir.ir

    ctx = mlir.ir.Context()
    ctx.allow_unregistered_dialects = True
    upstream = re.sub(r"#kokkos\.space<(\w+)>", r'"kokkos.\1"', text)
    generic = mlir.ir.Module.parse(upstream, ctx).operation.get_asm(print_generic_op_form=True)
    module = from_upstream_text(generic)
    module.verify()
    return module


def run(text: str, pipeline: str) -> tuple[ModuleOp, str]:
    """Parse text, run the pipeline, return the module and its printed form."""
    module = parse_mlir(text)
    run_pipeline(module, pipeline)
    return module, str(module)
