"""Upstream `arith` ops that xDSL does not define (loaded into `hpcir.dialects.context()`).

`arith.remf` is MLIR's floating-point remainder: C's fmod (the result has the sign of the
dividend), which the kernel frontend builds Python's float `%` and `//` from (docs/reliability.md).
"""
from __future__ import annotations

from xdsl.dialects.arith import FloatingPointLikeBinaryOperation
from xdsl.irdl import irdl_op_definition, traits_def
from xdsl.traits import Pure


@irdl_op_definition
class RemFOp(FloatingPointLikeBinaryOperation):
    """`arith.remf`: x - trunc(x / y) * y computed exactly (C's fmod); nan for y = 0 or x = ±inf."""

    name = "arith.remf"

    traits = traits_def(Pure())


EXTRA_ARITH_OPS = (RemFOp,)
