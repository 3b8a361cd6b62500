"""Random kernels against NumPy, many per build (issue 15: the random differential generator).

Each generated kernel is a for or reduce kernel of rank 1-4 whose body is a random expression tree
over views of float64 and int64 values (negative, zero, NaN and ±inf included), numbers and the
loop variables: + - * / // % with Python semantics, max/min (NumPy's NaN rule), abs, sqrt,
comparisons in a ternary. The same tree is rendered twice: as kernel source and as a vectorised
NumPy expression, the oracle. A batch of kernels is lowered into one module and built once (a JIT
build costs seconds here), then every kernel is launched and compared.

Operands of // and % are leaves (array elements or numbers): a computed operand may differ by an
ulp between the compiled kernel (FMA contraction) and NumPy, which floor division turns into a
different integer. Integer values stay small, so nothing overflows (undefined in C++).

    python tests/frontends/kernel_fuzz.py --kernels 5000 --batch 100 --seed 1 --target cpu
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REDUCERS = ("sum", "prod", "max", "min")
N = 5  # extent of each dimension


@dataclass
class Node:
    """An expression: its kernel source, its NumPy source and its type ("f" or "i")."""

    src: str
    np_src: str
    ty: str


@dataclass
class Case:
    """One generated kernel: rank, kind (for / reduce), reducer, body expression."""

    name: str
    rank: int
    kind: str
    reducer: str
    expr: Node
    zero_div: list[str] = field(default_factory=list)  # integer divisors (to predict the error)


def _idx(rank: int) -> tuple[str, str]:
    names = ", ".join("ijkl"[:rank])
    return names, names


class Gen:
    """Random expression trees from a seeded random.Random."""

    def __init__(self, rng: random.Random, rank: int):
        self.rng = rng
        self.rank = rank
        self.ix = ", ".join("ijkl"[:rank])
        self.int_divisors: list[str] = []
        self.in_branch = 0  # inside a ternary branch: NumPy evaluates both branches, the kernel one

    def leaf(self, want: str | None = None) -> Node:
        r = self.rng.random()
        ty = want or self.rng.choice("fi")
        if r < 0.55:
            v = self.rng.choice(["a", "b"]) if ty == "f" else "c"
            return Node(f"{v}[{self.ix}]", f"{v}", ty)
        if r < 0.7 and ty == "i":
            d = self.rng.randrange(self.rank)
            return Node("ijkl"[d], f"I{d}", "i")
        if ty == "f":
            v = self.rng.choice([0.5, -1.25, 3.0, 0.1, -0.3, 2.0, 1e-3])
            return Node(repr(v), f"np.float64({v!r})", "f")
        v = self.rng.choice([1, 2, 3, -2, -7, 5])
        return Node(str(v), f"np.int64({v})", "i")

    def expr(self, depth: int) -> Node:
        if depth == 0 or self.rng.random() < 0.25:
            return self.leaf()
        op = self.rng.choice(["+", "-", "*", "/", "//", "%", "max", "min", "abs", "sqrt", "ifexp"])
        if op in ("//", "%"):
            # In a branch an integer zero divisor may or may not be evaluated: keep those float.
            x, y = self.leaf("f" if self.in_branch else None), self.leaf()
            ty = "f" if "f" in (x.ty, y.ty) else "i"
            if ty == "i":
                self.int_divisors.append(y.np_src)
            fn = "np.floor_divide" if op == "//" else "np.remainder"
            return Node(f"({x.src} {op} {y.src})", f"{fn}({x.np_src}, {y.np_src})", ty)
        if op in ("+", "-", "*", "/"):
            x, y = self.expr(depth - 1), self.expr(depth - 1)
            ty = "f" if op == "/" or "f" in (x.ty, y.ty) else "i"
            return Node(f"({x.src} {op} {y.src})", f"({x.np_src} {op} {y.np_src})", ty)
        if op in ("max", "min"):
            x, y = self.expr(depth - 1), self.expr(depth - 1)
            ty = "f" if "f" in (x.ty, y.ty) else "i"
            fn = "np.maximum" if op == "max" else "np.minimum"
            return Node(f"{op}({x.src}, {y.src})", f"{fn}({x.np_src}, {y.np_src})", ty)
        if op == "abs":
            x = self.expr(depth - 1)
            return Node(f"abs({x.src})", f"np.abs({x.np_src})", x.ty)
        if op == "sqrt":
            x = self.expr(depth - 1)
            return Node(f"math.sqrt(abs({x.src}))", f"np.sqrt(np.abs({x.np_src}).astype(np.float64))", "f")
        c = self.leaf()
        self.in_branch += 1
        x, y = self.expr(depth - 1), self.expr(depth - 1)
        self.in_branch -= 1
        ty = "f" if "f" in (x.ty, y.ty) else "i"
        return Node(f"({x.src} if {c.src} > 0 else {y.src})",
                    f"np.where({c.np_src} > 0, {x.np_src}, {y.np_src})", ty)


def make_cases(seed: int, count: int, first: int = 0) -> list[Case]:
    """`count` random kernels from `seed`."""
    rng = random.Random(seed)
    cases = []
    for n in range(first, first + count):
        rank = rng.choice([1, 1, 2, 2, 3, 4])
        g = Gen(rng, rank)
        expr = g.expr(rng.choice([1, 2, 3]))
        kind = rng.choice(["for", "for", "reduce"])
        reducer = rng.choice(REDUCERS)
        cases.append(Case(f"k{n}", rank, kind, reducer, expr, g.int_divisors))
    return cases


def kernel_source(cases: list[Case]) -> str:
    """A module defining every case as an @hpcir.kernel."""
    out = ["import math", "import hpcir", ""]
    for c in cases:
        idx = ", ".join(f"{v}: int" for v in "ijkl"[:c.rank])
        view = f"hpcir.View[float, {c.rank}]"
        ivew = f"hpcir.View[int, {c.rank}]"
        out.append("@hpcir.kernel")
        ix = ", ".join("ijkl"[:c.rank])
        conv = "float" if c.expr.ty == "i" else ""
        if c.kind == "for":
            out.append(f"def {c.name}({idx}, a: {view}, b: {view}, c: {ivew}, y: {view}):")
            out.append(f"    y[{ix}] = {conv}({c.expr.src})")
        else:
            out.append(f"def {c.name}({idx}, acc: hpcir.Acc[float], a: {view}, b: {view}, c: {ivew}):")
            if c.reducer == "sum":
                out.append(f"    acc += {conv}({c.expr.src})")
            elif c.reducer == "prod":
                out.append(f"    acc *= {conv}({c.expr.src})")
            else:
                out.append(f"    acc = {c.reducer}(acc, {conv}({c.expr.src}))")
        out.append("")
    return "\n".join(out)


def inputs(rng: np.random.Generator, rank: int) -> dict[str, np.ndarray]:
    """Arrays with negative numbers, zeros, NaN and ±inf (floats) and small integers with zeros."""
    shape = (N,) * rank
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 0.1, -2.5, 7.0])
    a = rng.normal(scale=4.0, size=shape)
    b = np.where(rng.random(shape) < 0.3, rng.choice(special, size=shape), rng.normal(size=shape))
    c = rng.integers(-9, 10, size=shape)
    return {"a": a, "b": b, "c": c.astype(np.int64)}


def oracle(case: Case, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray | float, bool]:
    """NumPy's answer, and whether an integer division by zero happens (then hpcir must raise)."""
    grids = np.meshgrid(*[np.arange(N, dtype=np.int64)] * case.rank, indexing="ij")
    env = {"np": np, **arrays, **{f"I{d}": g for d, g in enumerate(grids)}}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        zero_div = any(np.any(np.broadcast_to(eval(d, env), grids[0].shape) == 0)  # noqa: S307
                       for d in case.zero_div)
        val = np.broadcast_to(np.asarray(eval(case.expr.np_src, env), dtype=np.float64),  # noqa: S307
                              grids[0].shape)
        if case.kind == "for":
            return val.copy(), zero_div
        flat = val.reshape(-1)
        if case.reducer == "sum":
            return float(np.sum(flat)), zero_div
        if case.reducer == "prod":
            return float(np.prod(flat)), zero_div
        return float(np.max(flat) if case.reducer == "max" else np.min(flat)), zero_div


def _close(got, want, reducer: str | None) -> bool:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if reducer in ("max", "min", None):  # elementwise values and max/min: exact but for FMA ulps
        rtol = 1e-12
    else:  # sum and prod in another order
        rtol = 1e-9
    same_nan = np.array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    return bool(same_nan and np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
                and np.allclose(got[finite], want[finite], rtol=rtol, atol=1e-12))


def run_batch(cases: list[Case], target: str, workdir: Path, seed: int) -> dict[str, list]:
    """Build all cases as one module and compare each launch with NumPy."""
    from hpcir.core.errors import KernelZeroDivisionError
    from hpcir.frontends.python.signature import bind_launch
    from hpcir.lowering import build_library, build_module, emit_cpp, lower_to_l3

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"fuzz_{seed}_{cases[0].name}.py"
    path.write_text(kernel_source(cases))
    spec_ = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec_)
    sys.modules[path.stem] = mod
    spec_.loader.exec_module(mod)
    rng = np.random.default_rng(seed)
    launches = []
    for c in cases:
        arrays = inputs(rng, c.rank)
        kwargs = dict(arrays)
        if c.kind == "for":
            kwargs["y"] = np.zeros((N,) * c.rank)
        policy = "range" if c.rank == 1 else "mdrange"
        spec, values = bind_launch(getattr(mod, c.name), c.kind, policy, c.rank, kwargs, None, c.reducer)
        spec.name = f"{c.name}_{c.kind}"
        launches.append((c, spec, values, kwargs, arrays))
    module = lower_to_l3(build_module([s for _, s, _, _, _ in launches], target), target)
    lib = build_library(emit_cpp(module, target, f"fuzz_{cases[0].name}"), target, f"fuzz_{cases[0].name}")
    result: dict[str, list] = {"agreed": [], "raised": [], "mismatch": []}
    for c, spec, values, kwargs, arrays in launches:
        want, zero_div = oracle(c, arrays)
        bounds = [0] * c.rank + [N] * c.rank
        try:
            got = lib[spec.name](*bounds, *values)
        except KernelZeroDivisionError:
            (result["raised"] if zero_div else result["mismatch"]).append(c.name)
            continue
        if zero_div:
            result["mismatch"].append(c.name)  # a zero divisor must raise
            continue
        got = kwargs["y"] if c.kind == "for" else got
        (result["agreed"] if _close(got, want, c.reducer if c.kind == "reduce" else None)
         else result["mismatch"]).append(c.name)
    return result


def main(argv: list[str] | None = None) -> int:
    """Long run: generate, build in batches, compare, print one JSON summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernels", type=int, default=200)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", default="cpu", choices=["cpu", "serial"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/hpcir-kernel-fuzz"))
    args = ap.parse_args(argv)
    totals = {"generated": 0, "agreed": 0, "raised": 0, "mismatch": []}
    start = time.monotonic()
    for first in range(0, args.kernels, args.batch):
        cases = make_cases(args.seed * 1_000_003 + first, min(args.batch, args.kernels - first), first)
        res = run_batch(cases, args.target, args.workdir, args.seed * 1_000_003 + first)
        totals["generated"] += len(cases)
        totals["agreed"] += len(res["agreed"])
        totals["raised"] += len(res["raised"])
        totals["mismatch"] += [(args.seed, first, n) for n in res["mismatch"]]
        print(f"{totals['generated']} kernels, {len(totals['mismatch'])} mismatches, "
              f"{time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    totals["seconds"] = round(time.monotonic() - start, 1)
    totals["target"] = args.target
    print(json.dumps(totals))
    return 1 if totals["mismatch"] else 0


if __name__ == "__main__":
    sys.exit(main())
