"""The `blas` op set: dense contractions on buffers that a host program hands to a BLAS library.

`blas.gemm` is C = alpha * op(A) @ op(B) + beta * C on 2-D buffers, or the same per batch on 3-D
buffers (the batch is the leading dimension of all three), or with a 2-D B shared by every batch of
a 3-D A and C (a product with a broadcast weight: one gemm over all the batches' rows when A and C
are contiguous). `blas.conv_2d` is a 2-D convolution
(linalg.conv_2d_nchw_fchw / conv_2d_nhwc_hwcf semantics on the input zero-padded by its optional
`padding` (top, left, bottom, right)) computed as im2col into its `scratch` buffer, one image at a
time, then one gemm per image; the im2col writes zeros where the padded input would, so no padded
copy of the input is made. Upstream MLIR sees
them as unregistered ops; the Kokkos emitter calls `cblas_sgemm` / `cblas_dgemm` for them.
"""
from __future__ import annotations

from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, MemRefType, StringAttr, f32, f64, i1, i64
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, opt_prop_def, prop_def
from xdsl.utils.exceptions import VerifyException

CONV_LAYOUTS = ("nchw_fchw", "nhwc_hwcf")


def _shape(v: SSAValue) -> tuple[int, ...]:
    t = v.type
    assert isinstance(t, MemRefType)
    return tuple(t.get_shape())


def _check_floats(op: IRDLOperation) -> None:
    types = {o.type.get_element_type() for o in op.operands}  # type: ignore[union-attr]
    if len(types) != 1 or types.pop() not in (f32, f64):
        raise VerifyException(f"{op.name}: operands must all be float32 or float64 buffers of one type")


@irdl_op_definition
class GemmOp(IRDLOperation):
    """C = op(A) @ op(B) + beta * C (op: transpose when the flag is set); 2-D, or 3-D batched on dim 0 (B may be 2-D: shared)."""

    name = "blas.gemm"

    a = operand_def(MemRefType)
    b = operand_def(MemRefType)
    c = operand_def(MemRefType)
    transpose_a = prop_def(IntegerAttr)
    transpose_b = prop_def(IntegerAttr)
    beta = prop_def(FloatAttr)

    def __init__(self, a: SSAValue, b: SSAValue, c: SSAValue, transpose_a: bool, transpose_b: bool, beta: float):
        elem = c.type.get_element_type()  # type: ignore[union-attr]
        super().__init__(operands=[a, b, c],
                         properties={"beta": FloatAttr(beta, elem), "transpose_a": IntegerAttr(int(transpose_a), i1),
                                     "transpose_b": IntegerAttr(int(transpose_b), i1)})

    def dims(self) -> tuple[int, int, int, int]:
        """(batch, m, n, k); batch is 1 for 2-D operands."""
        sa, sb, sc = _shape(self.a), _shape(self.b), _shape(self.c)
        batch = sc[0] if len(sc) == 3 else 1
        m, k = (sa[-1], sa[-2]) if self.transpose_a.value.data else (sa[-2], sa[-1])
        return batch, m, sc[-1], k

    def verify_(self) -> None:
        _check_floats(self)
        sa, sb, sc = _shape(self.a), _shape(self.b), _shape(self.c)
        if not (len(sa) == len(sc) and len(sc) in (2, 3) and len(sb) in (2, len(sc))):
            raise VerifyException(f"blas.gemm: operands must all be 2-D or all 3-D (B may be 2-D, shared by "
                                  f"every batch), got ranks {len(sa)}, {len(sb)}, {len(sc)}")
        if len(sc) == 3 and not sa[0] == sc[0] == (sb[0] if len(sb) == 3 else sc[0]):
            raise VerifyException(f"blas.gemm: batch extents differ: {sa[0]}, {sb[0]}, {sc[0]}")
        _, m, n, k = self.dims()
        kb, nb = (sb[-1], sb[-2]) if self.transpose_b.value.data else (sb[-2], sb[-1])
        if (sc[-2], kb, nb) != (m, k, n):
            raise VerifyException(f"blas.gemm: shapes {sa} x {sb} -> {sc} do not form a matrix product")


@irdl_op_definition
class Conv2dOp(IRDLOperation):
    """out = conv(input, filter) + beta * out, as im2col into `scratch` and one gemm per image."""

    name = "blas.conv_2d"

    input = operand_def(MemRefType)
    filter = operand_def(MemRefType)
    output = operand_def(MemRefType)
    scratch = operand_def(MemRefType)
    layout = prop_def(StringAttr)
    strides = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    beta = prop_def(FloatAttr)
    padding = opt_prop_def(DenseArrayBase)  # zeros around the input: (top, left, bottom, right); none if absent

    def __init__(self, x: SSAValue, w: SSAValue, out: SSAValue, scratch: SSAValue, layout: str,
                 strides: tuple[int, int], dilations: tuple[int, int], beta: float,
                 padding: tuple[int, int, int, int] = (0, 0, 0, 0)):
        elem = out.type.get_element_type()  # type: ignore[union-attr]
        props = {"beta": FloatAttr(beta, elem), "dilations": DenseArrayBase.from_list(i64, list(dilations)),
                 "layout": StringAttr(layout), "strides": DenseArrayBase.from_list(i64, list(strides))}
        if any(padding):
            props["padding"] = DenseArrayBase.from_list(i64, list(padding))
        super().__init__(operands=[x, w, out, scratch], properties=props)

    def params(self) -> dict[str, int]:
        """Extents and steps by name: n, c, h, w (padded input), f, kh, kw, oh, ow, sh, sw, dh, dw, and the
        padding pt, pl, pb, pr (top, left, bottom, right)."""
        sx, sw, so = _shape(self.input), _shape(self.filter), _shape(self.output)
        (sh, sw_), (dh, dw) = (tuple(int(v) for v in a.get_values()) for a in (self.strides, self.dilations))
        pt, pl, pb, pr = tuple(int(v) for v in self.padding.get_values()) if self.padding is not None else (0,) * 4
        if self.layout.data == "nchw_fchw":
            (n, c, h, w), (f, _, kh, kw), (_, _, oh, ow) = sx, sw, so
        else:
            (n, h, w, c), (kh, kw, _, f), (_, oh, ow, _) = sx, sw, so
        return dict(n=n, c=c, h=h + pt + pb, w=w + pl + pr, f=f, kh=kh, kw=kw, oh=oh, ow=ow, sh=sh, sw=sw_,
                    dh=dh, dw=dw, pt=pt, pl=pl, pb=pb, pr=pr)

    def verify_(self) -> None:
        _check_floats(self)
        if self.layout.data not in CONV_LAYOUTS:
            raise VerifyException(f"blas.conv_2d: layout must be one of {CONV_LAYOUTS}, got {self.layout.data!r}")
        if any(len(_shape(v)) != 4 for v in (self.input, self.filter, self.output)) or len(_shape(self.scratch)) != 2:
            raise VerifyException("blas.conv_2d: input, filter and output must be 4-D, scratch 2-D")
        p = self.params()
        if self.padding is not None and (len(self.padding.get_values()) != 4 or min(self.padding.get_values()) < 0):
            raise VerifyException(f"blas.conv_2d: padding must be 4 non-negative extents (top, left, bottom, right), "
                                  f"got {tuple(self.padding.get_values())}")
        want = {"nchw_fchw": ((p["n"], p["f"], p["oh"], p["ow"]), (p["f"], p["c"], p["kh"], p["kw"])),
                "nhwc_hwcf": ((p["n"], p["oh"], p["ow"], p["f"]), (p["kh"], p["kw"], p["c"], p["f"]))}[self.layout.data]
        if (_shape(self.output), _shape(self.filter)) != want:
            raise VerifyException(f"blas.conv_2d: filter {_shape(self.filter)} and output {_shape(self.output)} "
                                  f"do not match input {_shape(self.input)} in layout {self.layout.data}")
        for axis, size, k, s, d in (("height", p["h"], p["kh"], p["sh"], p["dh"]),
                                    ("width", p["w"], p["kw"], p["sw"], p["dw"])):
            out = p["oh"] if axis == "height" else p["ow"]
            if s < 1 or d < 1 or (out - 1) * s + (k - 1) * d + 1 > size:
                raise VerifyException(f"blas.conv_2d: output {axis} {out} reads past the input {axis} {size}")
        rows, cols = p["c"] * p["kh"] * p["kw"], p["oh"] * p["ow"]
        need = (rows, cols) if self.layout.data == "nchw_fchw" else (cols, rows)
        if _shape(self.scratch) != need:
            raise VerifyException(f"blas.conv_2d: scratch must be {need} (one image's im2col), "
                                  f"got {_shape(self.scratch)}")


BLAS = Dialect("blas", [GemmOp, Conv2dOp], [])
