"""An @hpcir.program calling hpcir.fft between launches (lowered by tests/fft/test_fft_program.py)."""
import hpcir
from hpcir import View


@hpcir.kernel
def fill(i: int, x: hpcir.View1D[float]):
    x[i] = float(i % 5) + 0.25 * float(i % 3)


@hpcir.kernel
def weighted(i: int, acc: hpcir.Acc[float], k: hpcir.View1D[complex]):
    acc += k[i].real * float(i + 1) - k[i].imag


@hpcir.kernel
def total(i: int, acc: hpcir.Acc[float], y: hpcir.View1D[float]):
    acc += y[i] * float(i)


@hpcir.program
def main():
    n = 16
    x = View((n,), float)
    k = View((n // 2 + 1,), complex)
    y = View((n,), float)
    hpcir.parallel_for(n, fill, x=x)
    hpcir.fft.rfftn(x, out=k, norm="ortho")
    w = hpcir.parallel_reduce(n // 2 + 1, weighted, k=k)
    hpcir.fft.irfftn(k, out=y, norm="ortho")
    s = hpcir.parallel_reduce(n, total, y=y)
    print("weighted", w, "total", s)
