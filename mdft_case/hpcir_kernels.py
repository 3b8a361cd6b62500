"""The MDFT hot kernels written once in hpcir's kernel language (+ hpcir.fft), run as Kokkos.

Fields are flat: a (no, nx, ny, nz) field is a (no * S,) or (no, S) view, S = nx ny nz grid points.
The angular layout of the k-space contraction is backends/plan.py's (the same index tables jax and
torch use); here each k-vector is one thread (or team) that walks them. The rotation matrices dk
are indexed k first, dk[k, n, nu', chi], so that one k-vector's matrices are contiguous.
"""
from __future__ import annotations

import math

import hpcir
from hpcir import Acc, View1D, View2D, View4D


@hpcir.kernel
def delta_rho(i: int, xi: View1D[float], rho0: float, drho: View1D[float]):
    drho[i] = rho0 * (xi[i] * xi[i] - 1.0)


@hpcir.kernel
def ideal_ext(i: int, acc: Acc[float], xi: View1D[float], vext: View1D[float], weights: View1D[float],
              nspace: int, scale: float, kt: float, grad: View1D[float]):
    # one logarithm serves x ln x (-> 0 at x = 0) and the gradient's ln x
    x = xi[i] * xi[i]
    logx = math.log(x) if x > 0.0 else 0.0
    w = weights[i // nspace] * scale
    acc += w * (kt * (x * logx - x + 1.0) + x * vext[i])
    grad[i] = w * 2.0 * xi[i] * (kt * logx + vext[i])


@hpcir.kernel
def excess(i: int, acc: Acc[float], xi: View1D[float], drho: View1D[float], gamma: View1D[float],
           weights: View1D[float], nspace: int, dv: float, gscale: float, grad: View1D[float]):
    w = weights[i // nspace] * dv
    acc += w * drho[i] * gamma[i]
    grad[i] = gscale * w * gamma[i] * xi[i]


@hpcir.kernel
def scale_k(i: int, hk: View1D[complex], ck: View1D[float]):
    hk[i] = hk[i] * ck[i]


@hpcir.kernel
def matmul(p: int, s: int, m: View2D[complex], x: View2D[complex], y: View2D[complex]):
    acc = complex(0.0, 0.0)
    for q in range(m.extent(1)):
        acc += m[p, q] * x[q, s]
    y[p, s] = acc


@hpcir.kernel
def theta_quadrature(p: int, s: int, fwd: View2D[float], iphi: View1D[int], ipsi: View1D[int],
                     spec: View4D[complex], out: View2D[complex]):
    acc = complex(0.0, 0.0)
    for t in range(fwd.extent(1)):
        acc += fwd[p, t] * spec[t, iphi[p], ipsi[p], s]
    out[p, s] = acc


@hpcir.kernel
def theta_synthesis(t: int, s: int, bwd: View2D[float], iphi: View1D[int], ipsi: View1D[int],
                    proj: View2D[complex], spec: View4D[complex]):
    # each thread owns spec[t, :, :, s]: zero it, then add every projection's term to its bin
    for a in range(spec.extent(1)):
        for b in range(spec.extent(2)):
            spec[t, a, b, s] = complex(0.0, 0.0)
    for p in range(bwd.extent(0)):
        spec[t, iphi[p], ipsi[p], s] += bwd[p, t] * proj[p, s]


@hpcir.kernel
def kspace_contract(i: int, f: View2D[complex], fsrc: View1D[int], fsign: View1D[float],
                    phase: View2D[complex], dk: View4D[float], src: View1D[int], dst: View1D[int],
                    coef: View2D[complex], outidx: View1D[int], ny: int, nz: int, mm: int, nslot: int,
                    nout: int, fprime: View2D[complex], gprime: View2D[complex], res: View2D[complex]):
    # one k-vector: complete nu < 0 from f(-k), rotate to the k-frame, contract with c(k), rotate back
    nx = f.extent(1) // (ny * nz)
    npj = f.extent(0)
    ix = i // (ny * nz)
    iy = (i // nz) % ny
    iz = i % nz
    j = (((nx - ix) % nx) * ny + (ny - iy) % ny) * nz + (nz - iz) % nz
    width = 2 * mm + 1
    for n in range(mm + 1):
        for c in range(width):
            for v in range(nslot):
                acc = complex(0.0, 0.0)
                for jj in range(mm - n, mm + n + 1):   # nu' = -n..n
                    row = fsrc[(n * width + jj) * nslot + v]
                    if row < 2 * npj:
                        val = f[row, i] if row < npj else f[row - npj, j].conjugate()
                        acc += (dk[i, n, jj, c] * fsign[(n * width + jj) * nslot + v]) * val * phase[jj, i]
                fprime[(n * width + c) * nslot + v, i] = acc
    for g in range(gprime.extent(0)):
        gprime[g, i] = complex(0.0, 0.0)
    for e in range(src.extent(0)):
        gprime[dst[e], i] += coef[e, i] * fprime[src[e], i]
    for p in range(npj):
        o = outidx[p]
        n = o // (width * nout)
        jj = (o // nout) % width
        u = o % nout
        acc = complex(0.0, 0.0)
        for c in range(mm - n, mm + n + 1):   # chi = -n..n
            acc += dk[i, n, jj, c] * gprime[(n * width + c) * nout + u, i]
        res[p, i] = acc * phase[jj, i].conjugate()


@hpcir.kernel
def kspace_contract_team(team: hpcir.TeamMember, f: View2D[complex], fsrc: View1D[int], fsign: View1D[float],
                         phase: View2D[complex], dk: View4D[float], src: View1D[int], order: View1D[int],
                         offset: View1D[int], coef: View2D[complex], outidx: View1D[int], ny: int, nz: int,
                         mm: int, nslot: int, nout: int, nfp: int, ngp: int, res: View2D[complex]):
    # a team per k-vector; f' and g' (the k-frame projections, nfp and ngp values) live in team scratch
    i = team.league_rank()
    width = 2 * mm + 1
    fp = team.scratch(complex, nfp)
    gp = team.scratch(complex, ngp)
    nx = f.extent(1) // (ny * nz)
    npj = f.extent(0)
    ix = i // (ny * nz)
    iy = (i // nz) % ny
    iz = i % nz
    j = (((nx - ix) % nx) * ny + (ny - iy) % ny) * nz + (nz - iz) % nz

    def rotate_in(q: int):
        # q = (n, chi, slot(nu)): complete nu < 0 from f(-k) and rotate to the k-frame
        n = q // (width * nslot)
        c = (q // nslot) % width
        v = q % nslot
        acc = complex(0.0, 0.0)
        if c >= mm - n and c <= mm + n:   # d^n_{nu' chi} vanishes for |chi| > n: only nu', chi in -n..n
            for jj in range(mm - n, mm + n + 1):
                row = fsrc[(n * width + jj) * nslot + v]
                if row < 2 * npj:
                    val = f[row, i] if row < npj else f[row - npj, j].conjugate()
                    acc += (dk[i, n, jj, c] * fsign[(n * width + jj) * nslot + v]) * val * phase[jj, i]
        fp[q] = acc

    hpcir.parallel_for(hpcir.TeamThreadRange(team, nfp), rotate_in)
    team.team_barrier()

    def contract(g: int):
        # the table entries of output g, grouped by the host (no two threads write one g)
        acc = complex(0.0, 0.0)
        for e in range(offset[g], offset[g + 1]):
            acc += coef[order[e], i] * fp[src[order[e]]]
        gp[g] = acc

    hpcir.parallel_for(hpcir.TeamThreadRange(team, ngp), contract)
    team.team_barrier()

    def rotate_out(p: int):
        o = outidx[p]
        n = o // (width * nout)
        jj = (o // nout) % width
        u = o % nout
        acc = complex(0.0, 0.0)
        for c in range(mm - n, mm + n + 1):
            acc += dk[i, n, jj, c] * gp[(n * width + c) * nout + u]
        res[p, i] = acc * phase[jj, i].conjugate()

    hpcir.parallel_for(hpcir.TeamThreadRange(team, npj), rotate_out)
