"""`mlir-opt[...]`: run an upstream MLIR 22 pass pipeline in-process through the upstream-MLIR bridge."""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from hpcir.core.errors import HpcirError


@dataclass(frozen=True)
class MlirOptPass(ModulePass):
    """Upstream passes xDSL lacks (one-shot-bufferize, convert-linalg-to-parallel-loops, ...).

    Written `mlir-opt[pass-a,pass-b{opt=v}]` in a pipeline (xDSL's syntax, which expands to
    mlir-opt command-line arguments); the `-p builtin.module(...)` argument is what runs here.
    """

    name = "mlir-opt"

    arguments: tuple[str, ...] = ()

    def pipeline(self) -> str:
        """The upstream pass pipeline string (`builtin.module(...)`)."""
        args = list(self.arguments)
        for flag in ("-p", "--pass-pipeline"):
            if flag in args and args.index(flag) + 1 < len(args):
                return args[args.index(flag) + 1]
        for a in args:
            if a.startswith("--pass-pipeline="):
                return a.split("=", 1)[1]
        raise HpcirError("mlir-opt pass without a pipeline", hint="write mlir-opt[canonicalize,cse]")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from hpcir.dialects.upstream import run_upstream_passes_in_place

        run_upstream_passes_in_place(op, self.pipeline())
