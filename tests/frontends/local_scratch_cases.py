"""Differential cases of per-thread local arrays and team scratch (issue 11, item 3).

Appended to kernel_cases.CASES, so they run through both APIs on `serial` and `cpu`, have their IR
verified upstream at L2 and L3, and are compile-checked for `cuda` and `hip` like every other case.
"""
from __future__ import annotations

import numpy as np

import hpcir
import hpcir.pykokkos as pk

SORT_N = 9  # a module-level constant: the size of a local array
TAPS = 5


# ---------------------------------------------------------------------------- local arrays
def local_sort(i, x, y):
    t = hpcir.local(float, SORT_N)
    for k in range(SORT_N):
        t[k] = x[i, k]
    for a in range(1, SORT_N):  # insertion sort in the thread's own array
        v = t[a]
        b = a - 1
        while b >= 0 and t[b] > v:
            t[b + 1] = t[b]
            b -= 1
        t[b + 1] = v
    for k in range(SORT_N):
        y[i, k] = t[k]


def local_stencil(i, x, y):
    w = [0.1, 0.2, 0.4, 0.2, 0.1]  # a list literal: a local array of its values
    buf = [0.0] * TAPS  # Python's spelling of a zeroed local array
    n = x.extent(0)
    for k in range(TAPS):
        j = i + k - TAPS // 2
        if j >= 0 and j < n:
            buf[k] = x[j]
    s = 0.0
    for k in range(TAPS):
        s += w[k] * buf[k]
    y[i] = s


def local_matmul(i, a, out):
    m = hpcir.local(float, (3, 3))  # a 2-D local array
    for r in range(3):
        for c in range(3):
            m[r, c] = a[i, 3 * r + c]
    p = hpcir.local(hpcir.float64, (3, 3))
    for r in range(3):
        for c in range(3):
            for k in range(3):
                p[r][c] += m[r, k] * m[c, k]  # m @ m.T; p starts at zero
    for r in range(3):
        for c in range(3):
            out[i, 3 * r + c] = p[r, c]


def local_histogram(i, x, counts):
    h = hpcir.local(int, 4)
    for k in range(x.extent(1)):
        b = int(x[i, k] * 2.0 + 2.0)  # x in [-1, 1): bins 0..3
        h[b] += 1
    for b in range(4):
        counts[i, b] = h[b]


def local_reduce(i, acc, x):
    t = hpcir.local(float, 3)  # fresh (zeroed) in every iteration of the reduction
    t[0] = x[i]
    t[1] = x[i] * x[i]
    t[2] = t[0] + t[1]
    acc += t[2]


# ---------------------------------------------------------------------------- team scratch
def scratch_matvec(team, a, x, y):
    xs = team.scratch(float, x.extent(0))  # x staged once per team, read by every row's threads
    row = team.league_rank()

    def load(j):
        xs[j] = x[j]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, x.extent(0)), load)
    team.team_barrier()

    def dot(j, s):
        s += a[row, j] * xs[j]

    total = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, a.extent(1)), dot)

    def store():
        y[row] = total

    hpcir.single(hpcir.PerTeam(team), store)


def scratch_tree_sum(team, x, out, blk):
    s = team.scratch(float, blk)  # blk: a power of two, a run-time argument
    base = team.league_rank() * blk

    def load(j):
        s[j] = x[base + j]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, blk), load)
    team.team_barrier()
    half = blk // 2
    while half > 0:  # a tree reduction through scratch, one barrier per level
        def step(j):
            s[j] += s[j + half]

        hpcir.parallel_for(hpcir.TeamThreadRange(team, half), step)
        team.team_barrier()
        half = half // 2

    def store():
        out[team.league_rank()] = s[0]

    hpcir.single(hpcir.PerTeam(team), store)


def scratch_transpose(team, a, b):
    tile = team.scratch(float, (a.extent(1), 2))  # 2-D scratch: two rows of a, transposed out
    r0 = 2 * team.league_rank()

    def load(j):
        tile[j, 0] = a[r0, j]
        tile[j, 1] = a[r0 + 1, j]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, a.extent(1)), load)
    team.team_barrier()

    def store(j):
        b[j, r0] = tile[j, 0]
        b[j, r0 + 1] = tile[j, 1]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, a.extent(1)), store)


def pk_scratch_sum(team, acc, x, m):
    # PyKokkos' spelling (annotated ScratchView1D over team.team_scratch(level)).
    sv: pk.ScratchView1D[pk.double] = pk.ScratchView1D(team.team_scratch(0), m)
    base = team.league_rank() * m

    def load(j):
        sv[j] = x[base + j] * 2.0

    hpcir.parallel_for(hpcir.TeamThreadRange(team, m), load)
    team.team_barrier()
    if team.team_rank() == 0:
        for j in range(m):
            acc += sv[j]


def scratch_cases() -> list:
    """The cases (kernel_cases imports this module at its end: Case is imported here, not at the top)."""
    from kernel_cases import Case, f64
    c: list[Case] = []
    r = lambda api: 37  # noqa: E731
    c.append(Case("local_sort", local_sort, "for", r, lambda g: dict(x=f64(g, 37, SORT_N), y=np.zeros((37, SORT_N))),
                  lambda a: [np.sort(a["x"], axis=1)], ("y",)))
    taps = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    c.append(Case("local_stencil", local_stencil, "for", lambda api: 61, lambda g: dict(x=f64(g, 61), y=np.zeros(61)),
                  lambda a: [np.convolve(a["x"], taps, mode="same")], ("y",)))
    c.append(Case("local_matmul", local_matmul, "for", lambda api: 23,
                  lambda g: dict(a=f64(g, 23, 9), out=np.zeros((23, 9))),
                  lambda a: [np.einsum("nrk,nck->nrc", a["a"].reshape(23, 3, 3), a["a"].reshape(23, 3, 3)).reshape(23, 9)],
                  ("out",)))
    c.append(Case("local_histogram", local_histogram, "for", lambda api: 17,
                  lambda g: dict(x=f64(g, 17, 50), counts=np.zeros((17, 4), dtype=np.int64)),
                  lambda a: [np.stack([np.bincount((a["x"][i] * 2 + 2).astype(np.int64), minlength=4)
                                       for i in range(17)])], ("counts",)))
    c.append(Case("local_reduce", local_reduce, "reduce", lambda api: 101, lambda g: dict(x=f64(g, 101)),
                  lambda a: float((a["x"] + a["x"] ** 2).sum()), rtol=1e-10))
    c.append(Case("scratch_matvec", scratch_matvec, "for", lambda api: api.TeamPolicy(29, api.AUTO),
                  lambda g: dict(a=f64(g, 29, 41), x=f64(g, 41), y=np.zeros(29)),
                  lambda a: [a["a"] @ a["x"]], ("y",), rtol=1e-10))
    c.append(Case("scratch_tree_sum", scratch_tree_sum, "for", lambda api: api.TeamPolicy(12, api.AUTO),
                  lambda g: dict(x=f64(g, 12 * 32), out=np.zeros(12), blk=32),
                  lambda a: [a["x"].reshape(12, 32).sum(axis=1)], ("out",), rtol=1e-10))
    c.append(Case("scratch_transpose", scratch_transpose, "for", lambda api: api.TeamPolicy(7, api.AUTO),
                  lambda g: dict(a=f64(g, 14, 19), b=np.zeros((19, 14))), lambda a: [a["a"].T], ("b",)))
    c.append(Case("pk_scratch_sum", pk_scratch_sum, "reduce", lambda api: api.TeamPolicy(9, api.AUTO),
                  lambda g: dict(x=f64(g, 9 * 13), m=13), lambda a: float(2 * a["x"].sum()), rtol=1e-10))
    return c

