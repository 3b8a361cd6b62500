"""gtscript definitions of benchmarks/peers.py's stencils (imported only when GT4Py is installed:
gtscript reads these functions' source and globals, so they live at module level)."""

from gt4py.cartesian.gtscript import PARALLEL, Field, computation, interval


def hdiff(u: Field[float], coeff: Field[float], out: Field[float]):  # type: ignore[valid-type]
    with computation(PARALLEL), interval(...):
        lap = 4.0 * u[0, 0, 0] - (u[1, 0, 0] + u[-1, 0, 0] + u[0, 1, 0] + u[0, -1, 0])
        flx = lap[1, 0, 0] - lap[0, 0, 0]
        fly = lap[0, 1, 0] - lap[0, 0, 0]
        out = u[0, 0, 0] - coeff[0, 0, 0] * (flx[0, 0, 0] - flx[-1, 0, 0] + fly[0, 0, 0] - fly[0, -1, 0])  # noqa: F841


def jacobi(u: Field[float], out: Field[float], c0: float, c1: float):  # type: ignore[valid-type]
    with computation(PARALLEL), interval(...):
        out = c0 * u[0, 0, 0] + c1 * (u[-1, 0, 0] + u[1, 0, 0] + u[0, -1, 0]  # noqa: F841
                                      + u[0, 1, 0] + u[0, 0, -1] + u[0, 0, 1])
