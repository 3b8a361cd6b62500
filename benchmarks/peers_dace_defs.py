"""@dace.program versions of benchmarks/peers.py's stencils, in DaCe's NumPy syntax (imported only
when DaCe is installed: DaCe parses these functions' source, so they live at module level)."""

import dace

N, M, K = dace.symbol("N"), dace.symbol("M"), dace.symbol("K")


@dace.program
def hdiff2d(u: dace.float64[N, M], coeff: dace.float64[N, M], out: dace.float64[N, M]):
    lap = 4.0 * u[1:-1, 1:-1] - (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])
    flx = lap[1:, 1:-1] - lap[:-1, 1:-1]
    fly = lap[1:-1, 1:] - lap[1:-1, :-1]
    out[2:-2, 2:-2] = u[2:-2, 2:-2] - coeff[2:-2, 2:-2] * (flx[1:] - flx[:-1] + fly[:, 1:] - fly[:, :-1])


@dace.program
def hdiff3d(u: dace.float64[N, M, K], coeff: dace.float64[N, M, K], out: dace.float64[N, M, K]):
    lap = 4.0 * u[1:-1, 1:-1, :] - (u[2:, 1:-1, :] + u[:-2, 1:-1, :] + u[1:-1, 2:, :] + u[1:-1, :-2, :])
    flx = lap[1:, 1:-1, :] - lap[:-1, 1:-1, :]
    fly = lap[1:-1, 1:, :] - lap[1:-1, :-1, :]
    out[2:-2, 2:-2, :] = u[2:-2, 2:-2, :] - coeff[2:-2, 2:-2, :] * (
        flx[1:, :, :] - flx[:-1, :, :] + fly[:, 1:, :] - fly[:, :-1, :])


@dace.program
def jacobi(c0: dace.float64, c1: dace.float64, u: dace.float64[N, M, K], out: dace.float64[N, M, K]):
    out[1:-1, 1:-1, 1:-1] = c0 * u[1:-1, 1:-1, 1:-1] + c1 * (
        u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1]
        + u[1:-1, 2:, 1:-1] + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:])
