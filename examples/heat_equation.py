"""Explicit 2-D heat equation u_t = alpha * (u_xx + u_yy) on the unit square, u = 0 on the boundary.

One forward-Euler step is an MDRange kernel over the interior; the time loop runs in Python and
swaps the two arrays (no copies: hpcir passes numpy arrays to Kokkos in place). The initial field
sin(pi x) sin(pi y) is an eigenvector of the discrete Laplacian, so after `steps` steps the exact
answer of the discrete scheme is lam**steps times the initial field, with
lam = 1 - 8 r sin(pi h / 2)**2 and r = alpha dt / h**2. The result is also compared with the same
loop in NumPy.

    python examples/heat_equation.py
"""
import math

import numpy as np

import hpcir


@hpcir.kernel
def heat_step(i: int, j: int, r: float, u: hpcir.View2D[float], un: hpcir.View2D[float]):
    un[i, j] = u[i, j] + r * (u[i + 1, j] + u[i - 1, j] + u[i, j + 1] + u[i, j - 1] - 4.0 * u[i, j])


def main() -> int:
    n, alpha, steps = 65, 1.0, 200
    h = 1.0 / (n - 1)
    dt = 0.2 * h * h / alpha  # stable: r = 0.2 <= 1/4
    r = alpha * dt / h**2
    x = np.linspace(0.0, 1.0, n)
    u = np.outer(np.sin(math.pi * x), np.sin(math.pi * x))
    u0 = u.copy()
    un = np.zeros_like(u)  # its boundary stays 0: the kernel only writes the interior

    interior = hpcir.MDRangePolicy([1, 1], [n - 1, n - 1])
    for _ in range(steps):
        hpcir.parallel_for(interior, heat_step, r=r, u=u, un=un)
        u, un = un, u

    ref = u0.copy()  # the same scheme in NumPy
    for _ in range(steps):
        nxt = ref.copy()
        nxt[1:-1, 1:-1] = ref[1:-1, 1:-1] + r * (ref[2:, 1:-1] + ref[:-2, 1:-1] + ref[1:-1, 2:]
                                                 + ref[1:-1, :-2] - 4.0 * ref[1:-1, 1:-1])
        ref = nxt
    lam = 1.0 - 8.0 * r * math.sin(math.pi * h / 2) ** 2
    exact = lam**steps * u0

    err_numpy = float(np.abs(u - ref).max())
    err_exact = float(np.abs(u - exact).max())
    ok = err_numpy < 1e-12 and err_exact < 1e-12
    print(f"heat_equation: {n}x{n} grid, {steps} steps on {hpcir.default_target()}: peak {u.max():.6f} "
          f"(exact {lam**steps:.6f}), max |hpcir - numpy| = {err_numpy:.1e}, "
          f"max |hpcir - exact| = {err_exact:.1e} -> {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
