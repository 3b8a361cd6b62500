"""Complex-number kernels and their NumPy oracles (issue 11, item 1): hand-written cases for each
feature and random expression trees, rendered twice (kernel source, vectorised NumPy source) and
built in one module per batch (a JIT build costs seconds here).

Inputs keep |z| in [0.5, 2] and away from the real axis, and divisors, logarithms, square roots and
phases take leaves only: no branch cut, overflow or near-zero division makes a result ill-conditioned,
so a mismatch is a bug, not rounding."""
from __future__ import annotations

import importlib.util
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

N = 7  # extent of each dimension
CTYPES = {"c64": ("hpcir.complex64", "hpcir.float32", np.complex64, np.float32, 2e-5),
          "c128": ("hpcir.complex128", "hpcir.float64", np.complex128, np.float64, 1e-12)}


@dataclass
class Node:
    """An expression: kernel source, NumPy source, kind ("c" complex or "r" real)."""

    src: str
    np_src: str
    kind: str


@dataclass
class Case:
    """One kernel: complex type, rank, for (out[...] = expr) or reduce (acc += expr), its expression."""

    name: str
    ctype: str
    rank: int
    kind: str
    expr: Node
    reducer: str = "sum"


def _leaf_views(rank: int) -> tuple[str, dict[str, str]]:
    idx = ", ".join("ij"[:rank])
    return idx, {"z": f"z[{idx}]", "w": f"w[{idx}]", "x": f"x[{idx}]"}


class Gen:
    """Random complex/real expression trees over views z, w (complex), x (real), scalars s (float64)
    and c (complex128) and Python literals."""

    def __init__(self, rng: random.Random, rank: int):
        self.rng = rng
        _, self.views = _leaf_views(rank)

    def leaf(self) -> Node:
        r = self.rng.random()
        if r < 0.55:
            v = self.rng.choice("zw")
            return Node(self.views[v], v, "c")
        if r < 0.7:
            return Node(self.views["x"], "x", "r")
        if r < 0.78:
            return Node("s", "s", "r")
        if r < 0.85:
            return Node("c", "c", "c")
        lit = self.rng.choice(["1.5", "2", "0.25j", "(1 - 2j)", "(-0.5 + 0.75j)", "3"])
        return Node(lit, lit, "c" if "j" in lit else "r")

    def cleaf(self) -> Node:
        """A complex view element (a safe operand of /, log, sqrt, phase)."""
        v = self.rng.choice("zw")
        return Node(self.views[v], v, "c")

    def expr(self, depth: int) -> Node:
        if depth == 0:
            return self.leaf()
        r = self.rng.random()
        if r < 0.45:
            a, b = self.expr(depth - 1), self.expr(depth - 1)
            op = self.rng.choice("+-*")
            return Node(f"({a.src} {op} {b.src})", f"({a.np_src} {op} {b.np_src})", "c" if "c" in a.kind + b.kind else "r")
        if r < 0.55:
            a, d = self.expr(depth - 1), self.cleaf()
            return Node(f"({a.src} / {d.src})", f"({a.np_src} / {d.np_src})", "c")
        if r < 0.62:
            a = self.expr(depth - 1)
            return Node(f"(-{a.src})", f"(-{a.np_src})", a.kind)
        if r < 0.7:
            n = self.rng.choice([2, 3, -1])
            if n < 0:  # a negative power divides: its base is a leaf
                d = self.cleaf()
                return Node(f"({d.src} ** -1)", f"({d.np_src} ** -1)", "c")
            a = self.expr(depth - 1)
            return Node(f"({a.src} ** {n})", f"({a.np_src} ** {n})", a.kind)
        if r < 0.78:
            a = self.expr(depth - 1)
            fn = self.rng.choice(["abs", "real", "imag", "conj"])
            if fn == "abs":
                return Node(f"abs({a.src})", f"np.abs({a.np_src})", "r")
            if fn == "conj":
                return Node(f"({a.src}).conjugate()", f"np.conj({a.np_src})", a.kind)
            return Node(f"({a.src}).{fn}", f"np.{fn}({a.np_src})", "r")
        if r < 0.9:
            a = self.cleaf()
            fn = self.rng.choice(["exp", "sqrt", "log", "sin", "cos", "phase"])
            npfn = {"phase": "angle"}.get(fn, fn)
            return Node(f"cmath.{fn}({a.src})", f"np.{npfn}({a.np_src})", "r" if fn == "phase" else "c")
        a, b = self.expr(depth - 1), self.expr(depth - 1)
        ra = Node(f"({a.src}).real", f"np.real({a.np_src})", "r") if a.kind == "c" else a
        rb = Node(f"({b.src}).imag", f"np.imag({b.np_src})", "r") if b.kind == "c" else b
        return Node(f"complex({ra.src}, {rb.src})", f"_complex({ra.np_src}, {rb.np_src})", "c")


def random_cases(seed: int, count: int) -> list[Case]:
    """`count` random kernels: both complex types, ranks 1 and 2, for and reduce."""
    rng = random.Random(seed)
    cases = []
    for k in range(count):
        ctype, rank = rng.choice(["c64", "c128"]), rng.choice([1, 2])
        kind = "reduce" if k % 5 == 4 else "for"
        cases.append(Case(f"r{seed % 1000}_{k}", ctype, rank, kind, Gen(rng, rank).expr(rng.choice([1, 2, 3]))))
    return cases


def _fixed(name: str, src: str, np_src: str, ctype: str = "c128", rank: int = 1, kind: str = "for",
           reducer: str = "sum") -> Case:
    _, v = _leaf_views(rank)
    return Case(name, ctype, rank, kind, Node(src.format(**v), np_src, "c"), reducer)


# One case per feature (both complex types where precision matters), named for a failing report.
FIXED = [
    _fixed(f"{name}_{ct}_{rank}d", src, np_src, ct, rank)
    for ct in ("c64", "c128")
    for rank in (1, 2)
    for name, src, np_src in [
        ("arith", "{z} * {w} + {z} / {w} - {w}", "z * w + z / w - w"),
        ("neg_pow", "-{z} ** 2 + {w} ** 3 - {z} ** -2", "-z ** 2 + w ** 3 - z ** -2"),
        ("literal", "1j * {z} + (2 - 0.5j) + 3", "1j * z + (2 - 0.5j) + 3"),
        ("mixed_real", "{x} * {z} + {x} / {w} - {x}", "x * z + x / w - x"),
        ("parts", "complex({z}.real * {w}.imag, abs({z}))", "_complex(z.real * w.imag, np.abs(z))"),
        ("conj", "{z}.conjugate() * {z}", "np.conj(z) * z"),
        ("cmath", "cmath.exp({z}) + cmath.sqrt({w}) - cmath.log({z}) + cmath.phase({w})",
         "np.exp(z) + np.sqrt(w) - np.log(z) + np.angle(w)"),
        ("trig", "cmath.sin({z}) * cmath.cos({w}) + cmath.tan({z}) - cmath.tanh({w})",
         "np.sin(z) * np.cos(w) + np.tan(z) - np.tanh(w)"),
        ("real_sqrt", "cmath.sqrt(-abs({x}))", "np.sqrt((-np.abs(x)).astype(_ct(x)))"),
        ("equal", "(1.0 if {z} == {z} else 0.0) + (2.0 if {z} != {w} else 0.0) + (4.0 if {z} == {w} else 0.0)",
         "np.where(z == z, 1.0, 0.0) + np.where(z != w, 2.0, 0.0) + np.where(z == w, 4.0, 0.0)"),
        ("scalars", "c * {z} + s", "c * z + s"),
        ("pow_complex", "{z} ** {w}", "z ** w"),
    ]
] + [
    _fixed(f"sum_{ct}_{rank}d", "{z} * {w}.conjugate() + c", "z * np.conj(w) + c", ct, rank, "reduce")
    for ct in ("c64", "c128") for rank in (1, 2)
] + [_fixed("prod_c128", "{z} / abs({z})", "z / np.abs(z)", "c128", 1, "reduce", "prod")]


def kernel_source(cases: list[Case]) -> str:
    """A Python module with one @hpcir.kernel per case."""
    out = ["import cmath", "import hpcir", ""]
    for c in cases:
        cty, rty = CTYPES[c.ctype][:2]
        idx, _ = _leaf_views(c.rank)
        view = f"hpcir.View{c.rank}D[{cty}]"
        real = f"hpcir.View{c.rank}D[{rty}]"
        out.append("@hpcir.kernel")
        if c.kind == "for":
            out.append(f"def {c.name}({idx}, z: {view}, w: {view}, x: {real}, s: float, c: complex, out: {view}):")
            out.append(f"    out[{idx}] = {c.expr.src}")
        else:
            out.append(f"def {c.name}({idx}, acc: hpcir.Acc[{cty}], z: {view}, w: {view}, x: {real}, s: float, "
                       "c: complex):")
            out.append(f"    acc {'+' if c.reducer == 'sum' else '*'}= {c.expr.src}")
        out.append("")
    return "\n".join(out)


def inputs(rng: np.random.Generator, case: Case) -> dict:
    """z, w with modulus in [0.5, 2] and argument away from the real axis; x, s, c real/complex numbers."""
    _, _, cdt, rdt, _ = CTYPES[case.ctype]
    shape = (N,) * case.rank

    def cplx() -> np.ndarray:
        r = rng.uniform(0.5, 2.0, shape)
        t = rng.uniform(0.2, 1.3, shape) * rng.choice([-1, 1], shape) + rng.choice([0, np.pi], shape)
        return (r * np.exp(1j * t)).astype(cdt)

    x = rng.uniform(-2, 2, shape).astype(rdt)
    return {"z": cplx(), "w": cplx(), "x": x, "s": float(rng.uniform(-1, 1)),
            "c": complex(rng.uniform(-1, 1), rng.uniform(-1, 1))}


def _complex(a, b):
    """complex(a, b) with the kernel language's precision rule (complex64 when both parts are float32)."""
    a, b = np.asarray(a), np.asarray(b)
    ct = np.complex64 if a.dtype == np.float32 and b.dtype == np.float32 else np.complex128
    return (a.astype(ct) + 1j * b.astype(ct)).astype(ct)


def _ct(x):
    return np.complex64 if np.asarray(x).dtype == np.float32 else np.complex128


def oracle(case: Case, args: dict):
    """NumPy's value of the case (the for kernel's output array, or the reduction)."""
    env = {"np": np, "_complex": _complex, "_ct": _ct, "z": args["z"], "w": args["w"], "x": args["x"],
           "s": np.float64(args["s"]), "c": np.complex128(args["c"])}
    with np.errstate(all="ignore"):
        v = eval(case.expr.np_src, env)  # noqa: S307  (our own generated text)
    cdt = CTYPES[case.ctype][2]
    if case.kind == "for":
        return np.broadcast_to(np.asarray(v), args["z"].shape).astype(cdt)
    terms = np.broadcast_to(np.asarray(v), args["z"].shape).astype(cdt)
    return terms.sum() if case.reducer == "sum" else terms.prod(), terms


def close(case: Case, got, want, terms=None) -> bool:
    """Within the type's tolerance, relative to the magnitude of the values involved."""
    tol = CTYPES[case.ctype][4]
    scale = max(1.0, float(np.max(np.abs(want)))) if terms is None else max(1.0, float(np.sum(np.abs(terms))))
    if case.reducer == "prod" and terms is not None:
        scale = max(1.0, float(np.prod(np.abs(terms))))
    return bool(np.all(np.abs(np.asarray(got) - want) <= tol * (np.abs(want) + scale)))


def load(cases: list[Case], workdir: Path, tag: str):
    """Write and import the kernels of `cases` (the frontend reads kernels' source files)."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"complex_{tag}.py"
    path.write_text(kernel_source(cases))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod
    spec.loader.exec_module(mod)
    return mod


def run_batch(cases: list[Case], target: str, workdir: Path, seed: int, tag: str) -> dict[str, list]:
    """Build every case into one module, launch each on fresh inputs and compare with NumPy."""
    from hpcir.frontends.python.signature import bind_launch
    from hpcir.lowering import build_library, build_module, emit_cpp, lower_to_l3

    mod = load(cases, workdir, tag)
    rng = np.random.default_rng(seed)
    launches = []
    for c in cases:
        args = inputs(rng, c)
        kwargs = dict(args)
        if c.kind == "for":
            kwargs["out"] = np.zeros((N,) * c.rank, CTYPES[c.ctype][2])
        spec, values = bind_launch(getattr(mod, c.name), c.kind, "range" if c.rank == 1 else "mdrange", c.rank,
                                   kwargs, None, c.reducer)
        spec.name = c.name
        launches.append((c, spec, values, kwargs, args))
    module = lower_to_l3(build_module([s for _, s, _, _, _ in launches], target), target)
    lib = build_library(emit_cpp(module, target, f"complex_{tag}"), target, f"complex_{tag}")
    result: dict[str, list] = {"agreed": [], "mismatch": []}
    for c, spec, values, kwargs, args in launches:
        bounds = [0] * c.rank + [N] * c.rank
        got = lib[spec.name](*bounds, *values)
        if c.kind == "for":
            ok = close(c, kwargs["out"], oracle(c, args))
        else:
            want, terms = oracle(c, args)
            ok = close(c, got, want, terms)
        result["agreed" if ok else "mismatch"].append(c.name)
    return result
