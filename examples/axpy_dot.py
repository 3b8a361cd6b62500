"""A first hpcir program: kernels written in Python, run as Kokkos on numpy arrays, and lowered
to a standalone Kokkos C++ project.

    python examples/axpy_dot.py                     # JIT: runs the kernels on numpy arrays
    hpcir lower examples/axpy_dot.py --target=cpu   # C++: a CMake project with an executable
"""
import math

import numpy as np

import hpcir


@hpcir.kernel
def init(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    x[i] = math.sin(0.001 * i)
    y[i] = 1.0 + 0.5 * math.cos(0.002 * i)


@hpcir.kernel
def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = a * x[i] + y[i]


@hpcir.kernel
def dot(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    acc += x[i] * y[i]


@hpcir.kernel(reducer="max")
def vmax(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc = max(acc, x[i])


@hpcir.program
def main():
    n = 1000000
    x = hpcir.View((n,), float)
    y = hpcir.View((n,), float)
    hpcir.parallel_for(n, init, x=x, y=y)
    hpcir.parallel_for(n, axpy, a=2.0, x=x, y=y)
    s = hpcir.parallel_reduce(n, dot, x=x, y=y)
    m = hpcir.parallel_reduce(n, vmax, x=y)
    hpcir.fence()
    print("dot =", s, "max =", m)


if __name__ == "__main__":
    n = 1_000_000
    x, y = np.empty(n), np.empty(n)
    hpcir.parallel_for(n, init, x=x, y=y)
    i = np.arange(n)
    x_ref, y_ref = np.sin(0.001 * i), 1.0 + 0.5 * np.cos(0.002 * i)
    hpcir.parallel_for(n, axpy, a=2.0, x=x, y=y)
    y_ref = 2.0 * x_ref + y_ref
    s = hpcir.parallel_reduce(n, dot, x=x, y=y)
    m = hpcir.parallel_reduce(hpcir.RangePolicy(0, n), vmax, x=y, reducer="max")
    ok = np.allclose(y, y_ref) and math.isclose(s, x_ref @ y_ref, rel_tol=1e-10) and m == y_ref.max()
    print(f"hpcir on {hpcir.default_target()}: dot = {s:.10g} (numpy {x_ref @ y_ref:.10g}), "
          f"max = {m:.10g} (numpy {y_ref.max():.10g}) -> {'OK' if ok else 'MISMATCH'}")
    raise SystemExit(0 if ok else 1)
