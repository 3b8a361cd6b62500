"""The differential kernel suite: Python kernels, how to launch them and their NumPy references.

Each case runs through both APIs (`hpcir.*` and `hpcir.pykokkos`) on the `serial` and `cpu`
targets and is compared with NumPy (see test_differential.py). Kernels are plain functions here;
the test decorates them with @hpcir.kernel or @pk.workunit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import hpcir

N = 257  # odd, so that no reduction or scan is accidentally exact in halves
RNG_SEED = 1234


@dataclass
class Case:
    """A kernel, its launch and its NumPy reference."""

    name: str
    fn: Callable[..., Any]
    kind: str  # for | reduce | scan
    policy: Callable[[Any], Any]  # api module -> policy object (or int)
    args: Callable[[np.random.Generator], dict[str, Any]]
    reference: Callable[[dict[str, Any]], Any]  # inputs (copied before the launch) -> expected
    outputs: tuple[str, ...] = ()  # arrays compared after the launch (reference returns their values)
    reducer: str | tuple[str, ...] | None = None  # a tuple: one per accumulator (reference returns a tuple)
    rtol: float = 1e-12
    device_functions: list[Callable[..., Any]] = field(default_factory=list)


def f64(rng: np.random.Generator, *shape: int, order: str = "C") -> np.ndarray:
    """Random float64 array in [-1, 1)."""
    return np.asarray(rng.uniform(-1, 1, size=shape), order=order)


# ---------------------------------------------------------------------------- elementwise kernels
def axpy(i, a, x, y):
    y[i] = a * x[i] + y[i]


def axpy_f32(i, a, x, y):
    y[i] = a * x[i] + y[i]


def int_ops(i, x, y):
    y[i] = (x[i] * 3 + 7) // 4 - x[i] % 5 + (x[i] << 1) - (x[i] >> 2) + (x[i] & 6) + (x[i] | 1) + (x[i] ^ 3)


def int32_ops(i, x, y):
    y[i] = x[i] * 2 - 3


def math_funcs(i, x, y):
    v = x[i]
    y[i] = (math.sin(v) + math.cos(v) * math.exp(v) - math.tanh(v) + math.sqrt(abs(v)) + math.log(1.5 + v)
            + math.atan2(v, 0.5) + math.pow(abs(v) + 0.1, 1.5) + math.floor(3.0 * v) + math.ceil(2.0 * v)
            + math.fabs(v))


def more_math(i, x, y):
    v = x[i]
    y[i] = (math.asin(v * 0.9) + math.acos(v * 0.9) + math.atan(v) + math.sinh(v) + math.cosh(v)
            + math.log10(2.0 + v) + math.log2(2.0 + v) + math.log1p(v + 1.0) + math.expm1(v)
            + math.erf(v) + math.trunc(4.0 * v) + math.copysign(2.0, v) + math.pi * math.e)


def powers(i, x, y):
    v = x[i]
    y[i] = v ** 2 + v ** 3 + (abs(v) + 1.0) ** 0.5 + 2 ** 3 + abs(v) ** -1.5


def min_max_abs(i, x, y, z):
    z[i] = max(x[i], y[i]) - min(x[i], y[i], 0.25) + abs(x[i] - y[i])


def casts(i, x, y):
    y[i] = float(int(x[i] * 10.0)) + float(bool(x[i] > 0)) + int(x[i] > 0.5)


def ternary_and_bool(i, x, y):
    y[i] = 1.0 if x[i] > 0.5 or (x[i] < -0.5 and i % 2 == 0) else (-1.0 if not x[i] > 0 else 0.0)


def if_elif_else(i, x, y):
    v = x[i]
    if v > 0.5:
        y[i] = 3.0
    elif v > 0.0:
        y[i] = 2.0 * v
    elif v > -0.5:
        y[i] = -v
    else:
        y[i] = v * v


def for_range_step(i, x, y):
    s = 0.0
    for k in range(0, i, 3):
        s += x[k]
    for k in range(i, 0, -2):
        s -= 0.5 * x[k]
    y[i] = s


def while_loop(i, x, y):
    k = 0
    s = 0.0
    while k < i and s < 2.0:
        s += abs(x[k])
        k += 1
    y[i] = s + k


def break_continue(i, x, y):
    s = 0.0
    for k in range(N):
        if k % 3 == 1:
            continue
        if x[k] > 0.9:
            break
        s += x[k]
    y[i] = s * i


def early_return(i, x, y):
    y[i] = 0.0
    if i % 4 == 0:
        return
    y[i] = x[i] * 2.0


def nested_loops_locals(i, x, y):
    acc = 0.0
    for a in range(3):
        t = 0.0
        for b in range(a + 1):
            t += x[(i + a + b) % N]
        acc += t * (a + 1)
    y[i] = acc


def chained_compare(i, x, y):
    y[i] = 1.0 if -0.5 < x[i] <= 0.5 else 0.0


def augmented_ops(i, x, y):
    v = x[i]
    v += 1.0
    v *= 3.0
    v -= 0.5
    v /= 2.0
    y[i] += v


@hpcir.kernel
def sq(v: float) -> float:
    return v * v


@hpcir.kernel
def clamp01(v: float) -> float:
    if v < 0.0:
        return 0.0
    if v > 1.0:
        return 1.0
    return v


def device_calls(i, x, y):
    y[i] = sq(x[i]) + clamp01(x[i] * 2.0)


def extent_use(i, x, y):
    n = x.extent(0)
    y[i] = x[n - 1 - i]


def bool_view(i, x, m):
    m[i] = x[i] > 0.0


def fortran_2d(i, j, a, b):
    b[i, j] = 2.0 * a[i, j] + a[i][j]


def strided_input(i, x, y):
    y[i] = x[i] * 10.0


def mdrange_3d_stencil(i, j, k, u, out):
    out[i, j, k] = (u[i - 1, j, k] + u[i + 1, j, k] + u[i, j - 1, k] + u[i, j + 1, k]
                    + u[i, j, k - 1] + u[i, j, k + 1] - 6.0 * u[i, j, k])


def matvec_2d(i, j, a, x, y):
    hpcir.atomic_add(y, [i], a[i, j] * x[j])


def histogram(i, x, h):
    b = int((x[i] + 1.0) * 4.0)
    hpcir.atomic_add(h, [b], 1)


def atomic_max_min(i, x, mx, mn):
    hpcir.atomic_max(mx, [0], x[i])
    hpcir.atomic_min(mn, [0], x[i])


def atomic_fetch(i, c, slot):
    old = hpcir.atomic_fetch_add(c, [0], 1)
    slot[i] = old * 0 + 1


# ---------------------------------------------------------------------------- reductions
def dot(i, acc, x, y):
    acc += x[i] * y[i]


def prod_red(i, acc, x):
    acc *= 1.0 + 0.01 * x[i]


def max_red(i, acc, x):
    acc = max(acc, x[i])


def min_red(i, acc, x):
    if x[i] < acc:
        acc = x[i]


def land_red(i, acc, x):
    acc = acc and x[i] > -2.0


def lor_red(i, acc, x):
    acc = acc or x[i] > 0.99


def band_red(i, acc, x):
    acc = acc & x[i]


def bor_red(i, acc, x):
    acc = acc | x[i]


def int_sum(i, acc, x):
    acc += x[i]


def f32_sum(i, acc, x):
    acc += x[i]


def md_sum(i, j, acc, a):
    acc += a[i, j] * (i + 1)


def count_if(i, acc, x):
    if x[i] > 0.25:
        acc += 1


# ---------------------------------------------------------------------------- scans
def inclusive_scan(i, acc, final, x, y):
    acc += x[i]
    if final:
        y[i] = acc


def exclusive_scan(i, acc, final, x, y):
    if final:
        y[i] = acc
    acc += x[i]


def int_scan(i, acc, final, x, y):
    acc += x[i]
    if final:
        y[i] = acc


# ---------------------------------------------------------------------------- team kernels
def team_rowsum(team, a, out):
    row = team.league_rank()

    def inner(j, s):
        s += a[row, j]

    total = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, a.extent(1)), inner)

    def write():
        out[row] = total

    hpcir.single(hpcir.PerTeam(team), write)


def team_scale(team, a, b):
    row = team.league_rank()

    def body(j):
        b[row, j] = 2.0 * a[row, j] + team.team_size() * 0.0

    hpcir.parallel_for(hpcir.TeamThreadRange(team, a.extent(1)), body)
    team.team_barrier()


def team_reduce(team, acc, a):
    row = team.league_rank()

    def inner(j, s):
        s += a[row, j] * a[row, j]

    t = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, a.extent(1)), inner)
    if team.team_rank() == 0:
        acc += t


def team_vector(team, a, out):
    row = team.league_rank()

    def inner(j, m):
        m = max(m, a[row, j])

    best = hpcir.parallel_reduce(hpcir.ThreadVectorRange(team, a.extent(1)), inner, reducer="max")

    def write():
        out[row] = best

    hpcir.single(hpcir.PerThread(team), write)


# ------------------------------------------------------------ several accumulators in one reduction
def energy_and_displaced(i, f: hpcir.Acc[float], n: hpcir.Acc[int], x, x0, cut):
    d = x[i] - x0[i]
    f += 0.5 * d * d
    if abs(d) > cut:
        n += 1


def md_sum_min_count(i, j, s: hpcir.Acc[float], lo: hpcir.Acc[float], c: hpcir.Acc[hpcir.int32], a):
    s += a[i, j]
    lo = min(lo, a[i, j])
    if a[i, j] > 0.0:
        c += 1


def team_sum_max(team, s: hpcir.Acc[float], m: hpcir.Acc[float], a):
    row = team.league_rank()

    def inner(j, t):
        t += a[row, j]

    t = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, a.extent(1)), inner)
    if team.team_rank() == 0:
        s += t
        m = max(m, a[row, 0])


def team_nested_multi(team, s: hpcir.Acc[float], c: hpcir.Acc[int], a, rmax):
    row = team.league_rank()

    def inner(j, t: hpcir.Acc[float], m: hpcir.Acc[float], k: hpcir.Acc[int]):
        t += a[row, j]
        m = max(m, a[row, j])
        if a[row, j] > 0.0:
            k += 1

    t, m, k = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, a.extent(1)), inner, reducer=("sum", "max", "sum"))
    if team.team_rank() == 0:
        s += t
        c += k
        rmax[row] = m


def _cases() -> list[Case]:
    r = lambda api, n=N: n  # noqa: E731
    i = np.arange(N)
    c: list[Case] = []
    add = c.append
    add(Case("axpy", axpy, "for", r, lambda g: dict(a=2.5, x=f64(g, N), y=f64(g, N)),
             lambda a: [a["a"] * a["x"] + a["y"]], ("y",)))
    add(Case("axpy_f32", axpy_f32, "for", r,
             lambda g: dict(a=np.float32(0.5), x=f64(g, N).astype(np.float32), y=f64(g, N).astype(np.float32)),
             lambda a: [np.float32(0.5) * a["x"] + a["y"]], ("y",), rtol=1e-6))
    add(Case("int_ops", int_ops, "for", r, lambda g: dict(x=g.integers(-50, 50, N), y=np.zeros(N, np.int64)),
             lambda a: [(a["x"] * 3 + 7) // 4 - a["x"] % 5 + (a["x"] << 1) - (a["x"] >> 2) + (a["x"] & 6)
                        + (a["x"] | 1) + (a["x"] ^ 3)], ("y",)))
    add(Case("int32_ops", int32_ops, "for", r,
             lambda g: dict(x=g.integers(-1000, 1000, N).astype(np.int32), y=np.zeros(N, np.int32)),
             lambda a: [a["x"] * 2 - 3], ("y",)))
    add(Case("math_funcs", math_funcs, "for", r, lambda g: dict(x=f64(g, N) * 0.9, y=np.zeros(N)),
             lambda a: [np.sin(a["x"]) + np.cos(a["x"]) * np.exp(a["x"]) - np.tanh(a["x"])
                        + np.sqrt(np.abs(a["x"])) + np.log(1.5 + a["x"]) + np.arctan2(a["x"], 0.5)
                        + (np.abs(a["x"]) + 0.1) ** 1.5 + np.floor(3 * a["x"]) + np.ceil(2 * a["x"])
                        + np.abs(a["x"])], ("y",)))
    import scipy.special as sp
    add(Case("more_math", more_math, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [np.arcsin(a["x"] * .9) + np.arccos(a["x"] * .9) + np.arctan(a["x"]) + np.sinh(a["x"])
                        + np.cosh(a["x"]) + np.log10(2 + a["x"]) + np.log2(2 + a["x"]) + np.log1p(a["x"] + 1)
                        + np.expm1(a["x"]) + sp.erf(a["x"]) + np.trunc(4 * a["x"]) + np.copysign(2.0, a["x"])
                        + math.pi * math.e], ("y",)))
    add(Case("powers", powers, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [a["x"] ** 2 + a["x"] ** 3 + (np.abs(a["x"]) + 1) ** .5 + 8 + np.abs(a["x"]) ** -1.5],
             ("y",), rtol=1e-10))
    add(Case("min_max_abs", min_max_abs, "for", r, lambda g: dict(x=f64(g, N), y=f64(g, N), z=np.zeros(N)),
             lambda a: [np.maximum(a["x"], a["y"]) - np.minimum(np.minimum(a["x"], a["y"]), .25)
                        + np.abs(a["x"] - a["y"])], ("z",)))
    add(Case("casts", casts, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [np.trunc(a["x"] * 10) + (a["x"] > 0) + (a["x"] > .5)], ("y",)))
    add(Case("ternary_and_bool", ternary_and_bool, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [np.where((a["x"] > .5) | ((a["x"] < -.5) & (i % 2 == 0)), 1.0,
                                 np.where(~(a["x"] > 0), -1.0, 0.0))], ("y",)))
    add(Case("if_elif_else", if_elif_else, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [np.select([a["x"] > .5, a["x"] > 0, a["x"] > -.5], [3.0, 2 * a["x"], -a["x"]],
                                  a["x"] ** 2)], ("y",)))
    add(Case("for_range_step", for_range_step, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [np.array([a["x"][0:k:3].sum() - 0.5 * a["x"][k:0:-2].sum() for k in range(N)])],
             ("y",), rtol=1e-10))

    def while_ref(a):
        out = np.zeros(N)
        for k0 in range(N):
            k, s = 0, 0.0
            while k < k0 and s < 2.0:
                s += abs(a["x"][k])
                k += 1
            out[k0] = s + k
        return [out]
    add(Case("while_loop", while_loop, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)), while_ref, ("y",)))

    def bc_ref(a):
        s = 0.0
        for k in range(N):
            if k % 3 == 1:
                continue
            if a["x"][k] > 0.9:
                break
            s += a["x"][k]
        return [s * i]
    add(Case("break_continue", break_continue, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)), bc_ref,
             ("y",)))
    add(Case("early_return", early_return, "for", r, lambda g: dict(x=f64(g, N), y=np.ones(N)),
             lambda a: [np.where(i % 4 == 0, 0.0, 2 * a["x"])], ("y",)))
    add(Case("nested_loops_locals", nested_loops_locals, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [sum((a_ + 1) * sum(a["x"][(i + a_ + b) % N] for b in range(a_ + 1)) for a_ in range(3))],
             ("y",), rtol=1e-10))
    add(Case("chained_compare", chained_compare, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [((-.5 < a["x"]) & (a["x"] <= .5)).astype(float)], ("y",)))
    add(Case("augmented_ops", augmented_ops, "for", r, lambda g: dict(x=f64(g, N), y=f64(g, N)),
             lambda a: [a["y"] + ((a["x"] + 1) * 3 - .5) / 2], ("y",)))
    add(Case("device_calls", device_calls, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [a["x"] ** 2 + np.clip(2 * a["x"], 0, 1)], ("y",)))
    add(Case("extent_use", extent_use, "for", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [a["x"][::-1]], ("y",)))
    add(Case("bool_view", bool_view, "for", r, lambda g: dict(x=f64(g, N), m=np.zeros(N, bool)),
             lambda a: [a["x"] > 0], ("m",)))
    add(Case("fortran_2d", fortran_2d, "for", lambda api: api.MDRangePolicy([0, 0], [17, 13]),
             lambda g: dict(a=f64(g, 17, 13, order="F"), b=np.zeros((17, 13), order="F")),
             lambda a: [3 * a["a"]], ("b",)))
    add(Case("strided_input", strided_input, "for", lambda api: 100,
             lambda g: dict(x=f64(g, 300)[::3], y=np.zeros(100)), lambda a: [10 * a["x"]], ("y",)))

    def stencil_ref(a):
        u, out = a["u"], a["out"].copy()
        out[1:-1, 1:-1, 1:-1] = (u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1] + u[1:-1, 2:, 1:-1]
                                 + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:] - 6 * u[1:-1, 1:-1, 1:-1])
        return [out]
    add(Case("mdrange_3d_stencil", mdrange_3d_stencil, "for", lambda api: api.MDRangePolicy([1, 1, 1], [11, 9, 7]),
             lambda g: dict(u=f64(g, 12, 10, 8), out=np.zeros((12, 10, 8))), stencil_ref, ("out",)))
    add(Case("mdrange_tiled", mdrange_3d_stencil, "for",
             lambda api: api.MDRangePolicy([1, 1, 1], [11, 9, 7], [2, 4, 2]),
             lambda g: dict(u=f64(g, 12, 10, 8), out=np.zeros((12, 10, 8))), stencil_ref, ("out",)))
    add(Case("matvec_atomic", matvec_2d, "for", lambda api: api.MDRangePolicy([0, 0], [31, 23]),
             lambda g: dict(a=f64(g, 31, 23), x=f64(g, 23), y=np.zeros(31)), lambda a: [a["a"] @ a["x"]], ("y",),
             rtol=1e-10))
    add(Case("histogram_atomic", histogram, "for", r, lambda g: dict(x=f64(g, N), h=np.zeros(8, np.int64)),
             lambda a: [np.bincount(((a["x"] + 1) * 4).astype(int), minlength=8)], ("h",)))
    add(Case("atomic_max_min", atomic_max_min, "for", r,
             lambda g: dict(x=f64(g, N), mx=np.full(1, -9.0), mn=np.full(1, 9.0)),
             lambda a: [[a["x"].max()], [a["x"].min()]], ("mx", "mn")))
    add(Case("atomic_fetch", atomic_fetch, "for", r,
             lambda g: dict(c=np.zeros(1, np.int64), slot=np.zeros(N, np.int64)),
             lambda a: [[N], np.ones(N)], ("c", "slot")))
    # reductions
    add(Case("dot", dot, "reduce", r, lambda g: dict(x=f64(g, N), y=f64(g, N)), lambda a: a["x"] @ a["y"],
             rtol=1e-10))
    add(Case("prod", prod_red, "reduce", r, lambda g: dict(x=f64(g, N)), lambda a: np.prod(1 + .01 * a["x"]),
             reducer="prod", rtol=1e-10))
    add(Case("max", max_red, "reduce", r, lambda g: dict(x=f64(g, N)), lambda a: a["x"].max(), reducer="max"))
    add(Case("min", min_red, "reduce", lambda api: api.RangePolicy(3, N), lambda g: dict(x=f64(g, N)),
             lambda a: a["x"][3:].min(), reducer="min"))
    add(Case("land", land_red, "reduce", r, lambda g: dict(x=f64(g, N)), lambda a: True, reducer="land"))
    add(Case("lor", lor_red, "reduce", r, lambda g: dict(x=f64(g, N)), lambda a: bool((a["x"] > .99).any()),
             reducer="lor"))
    add(Case("band", band_red, "reduce", r, lambda g: dict(x=g.integers(1, 2**20, N) | 0x101),
             lambda a: int(np.bitwise_and.reduce(a["x"])), reducer="band"))
    add(Case("bor", bor_red, "reduce", r, lambda g: dict(x=g.integers(0, 2**10, N)),
             lambda a: int(np.bitwise_or.reduce(a["x"])), reducer="bor"))
    add(Case("int_sum", int_sum, "reduce", r, lambda g: dict(x=g.integers(-100, 100, N)),
             lambda a: int(a["x"].sum())))
    add(Case("f32_sum", f32_sum, "reduce", r, lambda g: dict(x=f64(g, N).astype(np.float32)),
             lambda a: float(a["x"].astype(np.float64).sum()), rtol=1e-5))
    add(Case("md_sum", md_sum, "reduce", lambda api: api.MDRangePolicy([0, 0], [19, 11]),
             lambda g: dict(a=f64(g, 19, 11)), lambda a: float((a["a"] * (np.arange(19)[:, None] + 1)).sum()),
             rtol=1e-10))
    add(Case("count_if", count_if, "reduce", r, lambda g: dict(x=f64(g, N)), lambda a: float((a["x"] > .25).sum())))
    # scans
    add(Case("inclusive_scan", inclusive_scan, "scan", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [np.cumsum(a["x"])], ("y",), rtol=1e-10))
    add(Case("exclusive_scan", exclusive_scan, "scan", r, lambda g: dict(x=f64(g, N), y=np.zeros(N)),
             lambda a: [np.concatenate([[0.0], np.cumsum(a["x"])[:-1]])], ("y",), rtol=1e-10))
    # team kernels
    add(Case("team_rowsum", team_rowsum, "for", lambda api: api.TeamPolicy(23, api.AUTO),
             lambda g: dict(a=f64(g, 23, 40), out=np.zeros(23)), lambda a: [a["a"].sum(axis=1)], ("out",),
             rtol=1e-10))
    add(Case("team_scale", team_scale, "for", lambda api: api.TeamPolicy(11, api.AUTO),
             lambda g: dict(a=f64(g, 11, 9), b=np.zeros((11, 9))), lambda a: [2 * a["a"]], ("b",)))
    add(Case("team_reduce", team_reduce, "reduce", lambda api: api.TeamPolicy(13, api.AUTO),
             lambda g: dict(a=f64(g, 13, 21)), lambda a: float((a["a"] ** 2).sum()), rtol=1e-10))
    add(Case("team_vector", team_vector, "for", lambda api: api.TeamPolicy(7, 1),
             lambda g: dict(a=f64(g, 7, 33), out=np.zeros(7)), lambda a: [a["a"].max(axis=1)], ("out",)))
    # several accumulators, each with its own reducer (one result each, in parameter order)
    add(Case("energy_and_displaced", energy_and_displaced, "reduce", r,
             lambda g: dict(x=f64(g, N), x0=f64(g, N), cut=0.75),
             lambda a: (float((0.5 * (a["x"] - a["x0"]) ** 2).sum()), int((abs(a["x"] - a["x0"]) > .75).sum())),
             reducer=("sum", "sum"), rtol=1e-10))
    add(Case("md_sum_min_count", md_sum_min_count, "reduce", lambda api: api.MDRangePolicy([1, 0], [19, 11]),
             lambda g: dict(a=f64(g, 19, 11)),
             lambda a: (float(a["a"][1:].sum()), float(a["a"][1:].min()), int((a["a"][1:] > 0).sum())),
             reducer=("sum", "min", "sum"), rtol=1e-10))
    add(Case("team_sum_max", team_sum_max, "reduce", lambda api: api.TeamPolicy(13, api.AUTO),
             lambda g: dict(a=f64(g, 13, 21)), lambda a: (float(a["a"].sum()), float(a["a"][:, 0].max())),
             reducer=("sum", "max"), rtol=1e-10))
    add(Case("team_nested_multi", team_nested_multi, "reduce", lambda api: api.TeamPolicy(9, api.AUTO),
             lambda g: dict(a=f64(g, 9, 29), rmax=np.zeros(9)),
             lambda a: (float(a["a"].sum()), int((a["a"] > 0).sum())), reducer=("sum", "sum"), rtol=1e-10))
    return c


CASES = _cases()

from local_scratch_cases import scratch_cases  # noqa: E402  (local arrays and team scratch, issue 11 item 3)

CASES += scratch_cases()
