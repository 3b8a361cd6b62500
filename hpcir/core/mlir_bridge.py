"""The one place that talks to upstream MLIR 22 (the `mlir` Python bindings): text in, text out.

Parse and verify generic IR text, run a PassManager pipeline over it, and turn upstream's custom
syntax into generic text. Unregistered dialects (kokkos, ...) are allowed. `mlir` is imported
lazily: importing hpcir must not load libLLVM. The xDSL side (printing modules, mapping kokkos
memory spaces) is `hpcir.dialects.upstream`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from hpcir.core.errors import IRVerificationError

if TYPE_CHECKING:  # pragma: no cover
    import mlir.ir


def _context() -> "mlir.ir.Context":
    import mlir.ir

    ctx = mlir.ir.Context()
    ctx.allow_unregistered_dialects = True
    return ctx


def _diagnostics(err: Exception) -> str:
    """Upstream's diagnostics (with locations and notes) of an MLIRError, one per line."""
    diags = getattr(err, "error_diagnostics", None)
    if not diags:
        return str(err)
    lines: list[str] = []

    def add(d, indent: str) -> None:
        lines.append(f"{indent}{d.location}: {d.message}")
        for note in d.notes:
            add(note, indent + "  ")

    for d in diags:
        add(d, "")
    return "\n".join(lines)


def parse_upstream(text: str, ctx: "mlir.ir.Context") -> "mlir.ir.Module":
    import mlir.ir

    try:
        return mlir.ir.Module.parse(text, ctx)
    except mlir.ir.MLIRError as err:
        raise IRVerificationError(f"upstream MLIR rejected the IR:\n{_diagnostics(err)}",
                                  hint="line numbers refer to the generic text; `hpcir opt FILE --print-generic` prints it") from None


def verify_upstream_text(text: str) -> None:
    """Parse and verify IR text with upstream MLIR 22 (unknown dialects unregistered); raise IRVerificationError."""
    import mlir.ir

    module = parse_upstream(text, _context())
    try:
        ok = module.operation.verify()
    except mlir.ir.MLIRError as err:
        raise IRVerificationError(f"upstream MLIR verification failed:\n{_diagnostics(err)}") from None
    if not ok:  # older bindings report failure by return value
        raise IRVerificationError("upstream MLIR verification failed")


def upstream_syntax_to_generic(text: str) -> str:
    """IR written in upstream's syntax (e.g. custom `scf.parallel`) re-printed in generic form."""
    return parse_upstream(text, _context()).operation.get_asm(print_generic_op_form=True)


def run_upstream_pipeline(text: str, pipeline: str) -> str:
    """Run an upstream PassManager pipeline (e.g. "builtin.module(one-shot-bufferize,...)") on IR text; generic text out."""
    import mlir.ir
    from mlir.passmanager import PassManager

    ctx = _context()
    up = parse_upstream(text, ctx)
    with ctx:
        try:
            pm = PassManager.parse(pipeline)
        except (ValueError, mlir.ir.MLIRError) as err:
            raise IRVerificationError(f"invalid upstream pass pipeline {pipeline!r}: {err}") from None
        try:
            pm.run(up.operation)
        except mlir.ir.MLIRError as err:
            raise IRVerificationError(f"upstream pipeline {pipeline!r} failed:\n{_diagnostics(err)}") from None
    return up.operation.get_asm(print_generic_op_form=True)
