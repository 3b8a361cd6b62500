"""`blas.gemm` / `blas.conv_2d` in host programs -> `cblas_sgemm` / `cblas_dgemm` calls on the views' data.

Views of graph programs are LayoutRight (row-major); a LayoutLeft operand of a gemm is the same
matrix stored transposed, so its transpose flag flips and its leading dimension is the column
stride. OpenBLAS runs as many threads as the Kokkos execution space has (one on Serial), set
before each call so that 1- and 2-thread runs compare honestly. A convolution is im2col of one
image at a time into the scratch view (a Kokkos MDRange launch, named functor below; it writes the
zeros of the convolution's padding itself) and one gemm per image; a 1x1 stride-1 unpadded NCHW
convolution needs no im2col: the image is already the matrix.
"""
from __future__ import annotations

from xdsl.ir import Operation

from hpcir.core.errors import UnsupportedOpError
from hpcir.dialects.blas import Conv2dOp, GemmOp

from . import units
from .context import FunctionEmitter, handles
from .types import view_layout

_IM2COL = {
    # One launch index per row of `col`; the inner loops run along contiguous memory (unit-stride
    # writes, reads strided by the convolution stride) with no index division per element.
    "nchw_fchw": """\
// im2col of image n of an NCHW input: col(c*KH*KW + kh*KW + kw, oh*OW + ow) = in(n, c, oh*SH + kh*DH, ow*SW + kw*DW)
// (ih, iw index the input padded by pt / pl zeros: outside the input, col is 0)
template <class In, class Col>
struct Im2colNchw {
  In in;
  Col col;
  int64_t n, kh_extent, kw_extent, oh_extent, ow_extent, sh, sw, dh, dw, pt, pl;

  KOKKOS_INLINE_FUNCTION void operator()(const int64_t row) const {
    const int64_t c = row / (kh_extent * kw_extent), kh = row / kw_extent % kh_extent, kw = row % kw_extent;
    const int64_t h = in.extent(2), w = in.extent(3);
    // the output columns whose input column is inside the image: ow in [ow0, ow1)
    const int64_t off = kw * dw - pl;
    const int64_t ow0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
    const int64_t ow1 = w - off <= 0 ? 0 : (w - off + sw - 1) / sw;
    const int64_t ow_end = ow1 < ow_extent ? ow1 : ow_extent;
    for (int64_t oh = 0; oh < oh_extent; ++oh) {
      const int64_t ih = oh * sh + kh * dh - pt;
      auto dst = &col(row, oh * ow_extent);
      if (ih < 0 || ih >= h) {
        for (int64_t ow = 0; ow < ow_extent; ++ow) dst[ow] = 0;
        continue;
      }
      for (int64_t ow = 0; ow < ow0 && ow < ow_extent; ++ow) dst[ow] = 0;
      for (int64_t ow = ow0; ow < ow_end; ++ow) dst[ow] = in(n, c, ih, ow * sw + off);
      for (int64_t ow = ow_end > ow0 ? ow_end : ow0; ow < ow_extent; ++ow) dst[ow] = 0;
    }
  }
};""",
    "nhwc_hwcf": """\
// im2col of image n of an NHWC input: col(oh*OW + ow, (kh*KW + kw)*C + c) = in(n, oh*SH + kh*DH, ow*SW + kw*DW, c)
// (ih, iw index the input padded by pt / pl zeros: outside the input, col is 0)
template <class In, class Col>
struct Im2colNhwc {
  In in;
  Col col;
  int64_t n, kh_extent, kw_extent, c_extent, ow_extent, sh, sw, dh, dw, pt, pl;

  KOKKOS_INLINE_FUNCTION void operator()(const int64_t pix) const {
    const int64_t oh = pix / ow_extent, ow = pix % ow_extent;
    for (int64_t kh = 0; kh < kh_extent; ++kh) {
      const int64_t ih = oh * sh + kh * dh - pt;
      for (int64_t kw = 0; kw < kw_extent; ++kw) {
        const int64_t iw = ow * sw + kw * dw - pl;
        const bool inside = ih >= 0 && ih < int64_t(in.extent(1)) && iw >= 0 && iw < int64_t(in.extent(2));
        for (int64_t c = 0; c < c_extent; ++c)
          col(pix, (kh * kw_extent + kw) * c_extent + c) = inside ? in(n, ih, iw, c) : 0;
      }
    }
  }
};""",
}


def _prepare(em: FunctionEmitter, op: Operation) -> str:
    """Declare what a BLAS call needs once per module; returns the cblas function for op's element type."""
    if em.mod.target.is_gpu:
        raise UnsupportedOpError(f"{op.name} has no {em.mod.target.name} translation: hpcir calls a BLAS on host "
                                 "targets only", hint="leave graph-contractions-to-blas out of GPU pipelines (the "
                                 "graph driver does): contractions then stay Kokkos loops")
    if "<cblas.h>" not in em.mod.includes:
        em.mod.includes.append("<cblas.h>")
    elem = op.operands[0].type.get_element_type()  # type: ignore[union-attr]
    return "cblas_sgemm" if elem.bitwidth == 32 else "cblas_dgemm"


def _set_threads(em: FunctionEmitter) -> None:
    threads = "exec_space().concurrency()" if em.mod.target.kokkos_backend == "OPENMP" else "1"
    em.line(f"  openblas_set_num_threads({threads});  // as many BLAS threads as Kokkos has")


def _matrix(em: FunctionEmitter, v, transposed: bool, what: str) -> tuple[str, str]:
    """(CBLAS transpose flag, leading dimension) of the trailing 2-D matrix of view v, row-major order."""
    layout, rank, name = view_layout(v.type), v.type.get_num_dims(), em.get(v)
    if layout == "right":
        return ("CblasTrans" if transposed else "CblasNoTrans"), f"{name}.stride({rank - 2})"
    if layout == "left" and what != "C":
        return ("CblasNoTrans" if transposed else "CblasTrans"), f"{name}.stride({rank - 1})"
    raise UnsupportedOpError(f"blas.gemm: {what} is a Layout{layout.capitalize()} view; a BLAS takes row- or "
                             "column-major matrices and a row-major result",
                             hint="give the result LayoutRight (the host default)")


@handles("blas.gemm")
def _gemm(em: FunctionEmitter, op: Operation) -> None:
    assert isinstance(op, GemmOp)
    fn = _prepare(em, op)
    batch, m, n, k = op.dims()
    a, b, c = (em.get(v) for v in (op.a, op.b, op.c))
    ta, lda = _matrix(em, op.a, bool(op.transpose_a.value.data), "A")
    tb, ldb = _matrix(em, op.b, bool(op.transpose_b.value.data), "B")
    _, ldc = _matrix(em, op.c, False, "C")
    beta = op.beta.value.data
    rank = op.c.type.get_num_dims()  # type: ignore[union-attr]
    em.line(f"{{  // {c} = {a}{'^T' if ta == 'CblasTrans' else ''} @ {b}{'^T' if tb == 'CblasTrans' else ''}"
            f"{' + ' + c if beta else ''}: {'batched ' if rank == 3 else ''}gemm {m}x{n}x{k}")
    em.line("  Kokkos::fence();  // the launches that produced the operands")
    _set_threads(em)
    shared_b = rank == 3 and op.b.type.get_num_dims() == 2  # type: ignore[union-attr]
    i = em.fresh("batch") if rank == 3 else ""  # (a fresh name: views may be called b or n)
    off = (lambda v: f" + {i} * {v}.stride(0)") if rank == 3 else (lambda v: "")
    off_b = (lambda v: "") if shared_b else off
    call = (f"{fn}(CblasRowMajor, {ta}, {tb}, {m}, {n}, {k}, 1, {a}.data(){off(a)}, {lda}, "
            f"{b}.data(){off_b(b)}, {ldb}, {beta:g}, {c}.data(){off(c)}, {ldc});")
    if shared_b and ta == "CblasNoTrans":
        # B is shared: when A's and C's batches follow each other row after row, all batches are one
        # (batch*m) x n product, a single call that the BLAS blocks and threads as it likes.
        em.line(f"  if ({a}.stride(0) == {m} * {lda} && {c}.stride(0) == {m} * {ldc}) {fn}(CblasRowMajor, {ta}, {tb}, "
                f"{batch * m}, {n}, {k}, 1, {a}.data(), {lda}, {b}.data(), {ldb}, {beta:g}, {c}.data(), {ldc});")
        em.line(f"  else for (int64_t {i} = 0; {i} < {batch}; ++{i}) {call}")
    elif rank == 3:
        em.line(f"  for (int64_t {i} = 0; {i} < {batch}; ++{i}) {call}")
    else:
        em.line(f"  {call}")
    em.line("}")


@handles("blas.conv_2d")
def _conv(em: FunctionEmitter, op: Operation) -> None:
    assert isinstance(op, Conv2dOp)
    fn = _prepare(em, op)
    layout, p = op.layout.data, op.params()
    x, w, out, col = (em.get(v) for v in (op.input, op.filter, op.output, op.scratch))
    for v in (op.input, op.filter, op.output, op.scratch):
        if view_layout(v.type) != "right":  # type: ignore[arg-type]
            raise UnsupportedOpError(f"blas.conv_2d: view {em.get(v)} is not LayoutRight; the im2col gemm reads "
                                     "images, filters and results as contiguous row-major arrays",
                                     hint="give the convolution's views LayoutRight (the host default)")
    rows, pixels = p["c"] * p["kh"] * p["kw"], p["oh"] * p["ow"]
    direct = layout == "nchw_fchw" and (p["kh"], p["kw"], p["sh"], p["sw"], p["pt"], p["pl"], p["pb"], p["pr"]) == \
        (1, 1, 1, 1, 0, 0, 0, 0)
    functor = "Im2colNchw" if layout == "nchw_fchw" else "Im2colNhwc"
    if not direct and _IM2COL[layout] not in em.mod.structs:
        em.mod.structs.append(_IM2COL[layout])
    beta = f"{op.beta.value.data:g}"
    em.line(f"{{  // {out} = conv2d_{layout}({x}, {w}), strides ({p['sh']}, {p['sw']}), dilations "
            f"({p['dh']}, {p['dw']}): im2col + gemm per image")
    em.line("  Kokkos::fence();  // the launches that produced the operands")
    _set_threads(em)
    i = em.fresh("image")
    em.line(f"  for (int64_t {i} = 0; {i} < {p['n']}; ++{i}) {{")
    if direct:
        src = f"{x}.data() + {i} * {x}.stride(0)"
    else:
        src = f"{col}.data()"
        if layout == "nchw_fchw":
            args, extent = f"{i}, {p['kh']}, {p['kw']}, {p['oh']}, {p['ow']}", rows
        else:
            args, extent = f"{i}, {p['kh']}, {p['kw']}, {p['c']}, {p['ow']}", pixels
        ftype = f"{functor}<{em.ctype(op.input)}, {em.ctype(op.scratch)}>"
        em.line("    " + units.launch_line(em, '"im2col"', "Kokkos::RangePolicy<exec_space, Kokkos::IndexType<int64_t>>",
                                          f"0, {extent}", ftype, f"{ftype}{{{x}, {col}, {args}, {p['sh']}, "
                                                                 f"{p['sw']}, {p['dh']}, {p['dw']}, {p['pt']}, {p['pl']}}}"))
        em.line("    Kokkos::fence();")
    dst = f"{out}.data() + {i} * {out}.stride(0)"
    if layout == "nchw_fchw":  # out[n] (F x OH*OW) = filter (F x C*KH*KW) @ col (C*KH*KW x OH*OW)
        em.line(f"    {fn}(CblasRowMajor, CblasNoTrans, CblasNoTrans, {p['f']}, {pixels}, {rows}, 1, {w}.data(), "
                f"{rows}, {src}, {pixels}, {beta}, {dst}, {pixels});")
    else:  # out[n] (OH*OW x F) = col (OH*OW x KH*KW*C) @ filter (KH*KW*C x F)
        em.line(f"    {fn}(CblasRowMajor, CblasNoTrans, CblasNoTrans, {pixels}, {p['f']}, {rows}, 1, {src}, "
                f"{rows}, {w}.data(), {p['f']}, {beta}, {dst}, {p['f']});")
    em.line("  }")
    em.line("}")
