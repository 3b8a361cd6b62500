"""The FFT op set: verifiers of fft.fftn / ifftn / rfftn / irfftn and upstream parsing."""
from __future__ import annotations

import pytest
from xdsl.dialects.builtin import DYNAMIC_INDEX, ComplexType, TensorType, f32, f64
from xdsl.ir import Block
from xdsl.utils.exceptions import VerifyException

from hpcir.dialects.fft import FftnOp, IfftnOp, IrfftnOp, RfftnOp


def _arg(shape, elem):
    return Block(arg_types=[TensorType(elem, shape)]).args[0]


C64, C128 = ComplexType(f32), ComplexType(f64)

GOOD = [
    (FftnOp, (4, 6), C64, [0, 1], (4, 6), C64),
    (IfftnOp, (4, 6), C128, [1], (4, 6), C128),
    (RfftnOp, (4, 6), f64, [0, 1], (4, 4), C128),
    (RfftnOp, (4, 7), f32, [1], (4, 4), C64),
    (IrfftnOp, (4, 4), C128, [0, 1], (4, 6), f64),
    (IrfftnOp, (4, 4), C64, [1], (4, 7), f32),
]
BAD = [
    (FftnOp, (4, 6), f32, [0], (4, 6), C64, "input must be complex"),
    (FftnOp, (4, 6), C64, [1, 0], (4, 6), C64, "increasing"),
    (FftnOp, (4, 6), C64, [2], (4, 6), C64, "within rank"),
    (RfftnOp, (4, 6), f32, [1], (4, 6), C64, "must be"),
    (RfftnOp, (4, 6), f32, [1], (4, 4), C128, "precisions"),
    (IrfftnOp, (4, 4), C64, [1], (4, 8), f32, "does not match"),
    (IfftnOp, (4, 6), C64, [1], (4, 5), C64, "must equal"),
]


@pytest.mark.parametrize("cls,sin,ein,axes,sout,eout", GOOD)
def test_valid_fft_ops_verify(cls, sin, ein, axes, sout, eout):
    cls(_arg(sin, ein), axes, "ortho", TensorType(eout, sout)).verify()


@pytest.mark.parametrize("cls,sin,ein,axes,sout,eout,msg", BAD)
def test_invalid_fft_ops_are_rejected(cls, sin, ein, axes, sout, eout, msg):
    with pytest.raises(VerifyException, match=msg):
        cls(_arg(sin, ein), axes, "backward", TensorType(eout, sout)).verify()


def test_bad_norm_is_rejected():
    with pytest.raises(VerifyException, match="norm"):
        FftnOp(_arg((4,), C64), [0], "unitary", TensorType(C64, (4,))).verify()


def test_fft_dialect_is_in_the_hpcir_context():
    from hpcir.dialects import context
    ctx = context()
    assert ctx.get_optional_op("fft.rfftn") is not None
    assert ctx.get_optional_op("complex.mul") is not None


# ---- fft.execute: the buffer form -----------------------------------------------------------------
def _bufs(sin, ein, sout, eout):
    from xdsl.dialects.builtin import MemRefType
    b = Block(arg_types=[MemRefType(ein, sin), MemRefType(eout, sout)])
    return b.args[0], b.args[1]


EXEC_GOOD = [
    ("fftn", (4, 6), C64, [1, 0], (4, 6), C64),  # any order: the transform is the same
    ("rfftn", (3, 7, 5), f64, [2, 1], (3, 4, 5), C128),  # the last of axes (1) is halved
    ("irfftn", (4, 4), C128, [0, 1], (4, 7), f64),  # odd real length
    ("ifftn", (DYNAMIC_INDEX, 6), C128, [0], (DYNAMIC_INDEX, 6), C128),  # dynamic extents: checked at run time
]
EXEC_BAD = [
    ("fftn", (4, 6), C64, [0, 0], (4, 6), C64, "distinct"),
    ("fftn", (4, 6), C64, [2], (4, 6), C64, "within rank"),
    ("rfftn", (4, 6), C64, [1], (4, 4), C64, "input must be real"),
    ("irfftn", (4, 4), C64, [1], (4, 6), C64, "output must be real"),
    ("rfftn", (4, 6), f32, [1], (4, 4), C128, "precision"),
    ("rfftn", (4, 6), f64, [1], (4, 6), C128, "does not match"),
    ("fftn", (4, 6), C64, [1], (4, 5), C64, "does not match"),
    ("dct", (4,), C64, [0], (4,), C64, "kind must be"),
]


@pytest.mark.parametrize("kind,sin,ein,axes,sout,eout", EXEC_GOOD)
def test_valid_execute_ops_verify(kind, sin, ein, axes, sout, eout):
    from hpcir.dialects.fft import ExecuteOp
    ExecuteOp(*_bufs(sin, ein, sout, eout), kind, axes, "ortho").verify()


@pytest.mark.parametrize("kind,sin,ein,axes,sout,eout,msg", EXEC_BAD)
def test_invalid_execute_ops_are_rejected(kind, sin, ein, axes, sout, eout, msg):
    from hpcir.dialects.fft import ExecuteOp
    with pytest.raises(VerifyException, match=msg):
        ExecuteOp(*_bufs(sin, ein, sout, eout), kind, axes, "backward").verify()


def test_hpcir_fft_calls_build_verified_ir():
    """Each hpcir.fft call is lowered through one fft.execute on dynamic memrefs (upstream-valid)."""
    import numpy as np
    from hpcir.dialects.upstream import verify_upstream
    from hpcir.fft import fft_module
    m = fft_module("irfftn", np.dtype(np.complex64), 3, (2, 0), "forward", "f")
    text = str(m)
    assert '"fft.execute"' in text and "memref<?x?x?xcomplex<f32>>" in text and "memref<?x?x?xf32>" in text
    verify_upstream(m)
