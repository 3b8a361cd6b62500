"""Laplace's equation by Jacobi iteration, written as an @hpcir.stencil.

A stencil is written at one point: `u[1, 0]` is the neighbour one step along the first axis.
hpcir infers the halo from the offsets (here 1 in every direction), so a call on (n, m) arrays
updates the interior [1, n-1) x [1, m-1) and leaves the boundary values of `out` alone. The
boundary condition is u = 1 on the top edge, 0 on the others; after enough sweeps the field
matches the same Jacobi loop in NumPy, and the discrete maximum principle holds (0 <= u <= 1).

    python examples/stencil_laplace.py
"""
import numpy as np

import hpcir
from hpcir import Field


@hpcir.stencil
def jacobi(u: Field[float, 2], out: Field[float, 2]):
    out[0, 0] = 0.25 * (u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1])


def main() -> int:
    n, sweeps = 48, 400
    u = np.zeros((n, n))
    u[0, :] = 1.0  # top edge
    v = u.copy()  # same boundary: the stencil writes only the interior
    for _ in range(sweeps // 2):
        jacobi(u, v)
        jacobi(v, u)

    ref = np.zeros((n, n))
    ref[0, :] = 1.0
    for _ in range(sweeps):
        nxt = ref.copy()
        nxt[1:-1, 1:-1] = 0.25 * (ref[2:, 1:-1] + ref[:-2, 1:-1] + ref[1:-1, 2:] + ref[1:-1, :-2])
        ref = nxt

    err = float(np.abs(u - ref).max())
    ok = err < 1e-12 and u.min() >= 0.0 and u.max() <= 1.0 and np.all(u[0, :] == 1.0)
    print(f"stencil_laplace: {n}x{n} grid, {sweeps} Jacobi sweeps on {hpcir.default_target()}: "
          f"u at the centre {u[n // 2, n // 2]:.6f}, max |hpcir - numpy| = {err:.1e} -> {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
