"""Shared helpers of the Kokkos C++ emitter tests (imported by test_kokkos_cpp_*.py)."""
from __future__ import annotations

from pathlib import Path

KERNELS = Path(__file__).with_name("kokkos_cpp_kernels.mlir")


def kernels_text(space: str = "host") -> str:
    """The kernel module's text, with its views in `space` (the mirror `!hv` stays on the host)."""
    text = KERNELS.read_text()
    if space != "host":
        text = text.replace("#kokkos.space<host>", f"#kokkos.space<{space}>").replace(
            f"!hv = memref<?xf64, #kokkos.space<{space}>>", "!hv = memref<?xf64, #kokkos.space<host>>")
    return text


def emit_kernels(target: str = "cpu", space: str = "host"):
    """Parse and verify the kernel module and emit it for `target`."""
    from xdsl.parser import Parser

    from hpcir.backends.kokkos_cpp import emit_module
    from hpcir.dialects import context

    module = Parser(context(), kernels_text(space)).parse_module()
    module.verify()
    return emit_module(module, "kk_test", target)
