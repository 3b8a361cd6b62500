"""hpcir.dialects: the kokkos dialect and `context()`, the xDSL context every hpcir tool parses with."""
from __future__ import annotations

from collections.abc import Callable

from xdsl.context import Context
from xdsl.ir import Dialect

# Extra dialect factories other parts of hpcir register (e.g. an FFT op set); see register_dialect.
_EXTRA_DIALECTS: dict[str, Callable[[], Dialect]] = {}


def register_dialect(name: str, factory: Callable[[], Dialect]) -> None:
    """Make `context()` load one more dialect (lazily, by factory)."""
    _EXTRA_DIALECTS[name] = factory


def context(allow_unregistered: bool = False) -> Context:
    """An xDSL Context with builtin, func, arith (with arith.remf), math, memref, scf, cf, linalg, tensor, stencil,
    kokkos (+ registered)."""
    from xdsl.dialects.arith import Arith
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.cf import Cf
    from xdsl.dialects.func import Func
    from xdsl.dialects.linalg import Linalg
    from xdsl.dialects.math import Math
    from xdsl.dialects.memref import MemRef
    from xdsl.dialects.scf import Scf
    from xdsl.dialects.stencil import Stencil
    from xdsl.dialects.tensor import Tensor

    from .arith_ext import EXTRA_ARITH_OPS
    from .kokkos import Kokkos

    ctx = Context(allow_unregistered=allow_unregistered)
    for dialect in (Builtin, Func, Arith, Math, MemRef, Scf, Cf, Linalg, Tensor, Stencil, Kokkos):
        ctx.load_dialect(dialect)
    for op in EXTRA_ARITH_OPS:
        ctx.load_op(op)
    for factory in _EXTRA_DIALECTS.values():
        d = factory()
        if d.name not in ctx.registered_dialect_names:
            ctx.load_dialect(d)
    return ctx


# The graph (L1) op sets: our FFT ops and xDSL's complex dialect (complex FFT data, complex math).
register_dialect("fft", lambda: __import__("hpcir.dialects.fft", fromlist=["FFT"]).FFT)
register_dialect("complex", lambda: __import__("xdsl.dialects.complex", fromlist=["Complex"]).Complex)
# Dense contractions on buffers that host programs hand to a BLAS (graph-contractions-to-blas).
register_dialect("blas", lambda: __import__("hpcir.dialects.blas", fromlist=["BLAS"]).BLAS)
