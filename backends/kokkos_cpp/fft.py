"""`fft.execute` in host programs -> a call of the target's FFT runtime (backends/fft_cpp.py) on the views' data.

The runtime entry (`hpcir_fft_<kind>_<f32|f64>`, FFTW3 on hosts, cuFFT / hipFFT on GPUs) reads each
view's extents and strides, so any layout Kokkos gives is transformed in place of the data; the
launches before it are fenced first (GPU launches are asynchronous). A failure throws, which the C
entry turns into the module's error text.
"""
from __future__ import annotations

from xdsl.ir import Operation

from hpcir.backends.fft_cpp import NORM_CODES, entry_symbol
from hpcir.dialects.fft import ExecuteOp

from hpcir.core.errors import UnsupportedOpError

from .context import FunctionEmitter, handles
from .types import view_layout

_SIGNATURE = ("(const void* in, void* out, int rank, const int64_t* in_shape, const int64_t* in_strides, "
              "const int64_t* out_shape, const int64_t* out_strides, int n_axes, const int* axes, int norm, "
              "int nthreads, int overwrite_input, char* err, int errlen);")


def _extents(view: str, rank: int, what: str) -> str:
    return f"{{{', '.join(f'int64_t({view}.{what}({d}))' for d in range(rank))}}}"


@handles("fft.execute")
def _execute(em: FunctionEmitter, op: Operation) -> None:
    assert isinstance(op, ExecuteOp)
    symbol = entry_symbol(op)
    decl = f'extern "C" int {symbol}{_SIGNATURE}  // the FFT runtime (hpcir_fft_*)'
    if decl not in em.mod.structs:
        em.mod.structs.insert(0, decl)
    src, dst = em.get(op.input), em.get(op.output)
    rank = op.input.type.get_num_dims()
    axes = op.get_axes()
    c_order = rank == 1 or all(view_layout(v.type) == "right" for v in (op.input, op.output))
    if em.mod.target.is_gpu and (axes != tuple(range(rank - len(axes), rank)) or not c_order):
        # cuFFT / hipFFT plans describe packed C-order arrays transformed over their trailing axes.
        raise UnsupportedOpError(f"{op.kind.data} over axes {axes} of a rank-{rank} view has no "
                                 f"{em.mod.target.name} FFT: cuFFT / hipFFT take the trailing axes of C-order views",
                                 hint=f"transform axes {tuple(range(rank - len(axes), rank))} (move the others "
                                      "first with a transpose), or run the program on cpu / serial")
    threads = "exec_space().concurrency()" if em.mod.target.kokkos_backend == "OPENMP" else "1"
    em.line(f"{{  // {op.kind.data} over axes {axes}, norm=\"{op.norm.data}\"")
    em.line(f"  const int64_t in_shape[] = {_extents(src, rank, 'extent')}, in_strides[] = "
            f"{_extents(src, rank, 'stride')};")
    em.line(f"  const int64_t out_shape[] = {_extents(dst, rank, 'extent')}, out_strides[] = "
            f"{_extents(dst, rank, 'stride')};")
    em.line(f"  const int axes[] = {{{', '.join(map(str, axes))}}};")
    em.line("  char fft_error[256] = \"\";")
    em.line("  Kokkos::fence();  // the launches that produced the input")
    em.line(f"  if ({symbol}({src}.data(), {dst}.data(), {rank}, in_shape, in_strides, out_shape, out_strides, "
            f"{len(axes)}, axes, {NORM_CODES[op.norm.data]}, {threads}, 0, fft_error, sizeof fft_error) != 0)")
    em.line(f"    throw std::runtime_error(std::string(\"{op.kind.data}: \") + fft_error);")
    em.line("}")
