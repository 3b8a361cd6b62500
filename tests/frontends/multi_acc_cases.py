"""Generated kernels with several accumulators (issue 11, item 4): every reducer on every dtype it
accepts, two or three accumulators per kernel, over a range or an MDRange, with NumPy references.

A case is a list of accumulators (reducer, dtype); each accumulator reads its own input view of its
dtype, so the kernel's source and the NumPy oracle are written from the same description."""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# The reducers each dtype takes (frontends/python/reducers.py: accepts), and its annotation.
DTYPES = {"float64": ("float", ("sum", "prod", "min", "max")),
          "float32": ("hpcir.float32", ("sum", "prod", "min", "max")),
          "int64": ("int", ("sum", "prod", "min", "max", "band", "bor")),
          "int32": ("hpcir.int32", ("sum", "prod", "min", "max", "band", "bor")),
          "bool": ("bool", ("land", "lor", "min", "max", "band", "bor"))}
PAIRS = [(r, d) for d, (_, rs) in DTYPES.items() for r in rs]  # every (reducer, dtype) the project has

_UPDATE = {"sum": "{a} += {v}", "prod": "{a} *= {v}", "min": "{a} = min({a}, {v})", "max": "{a} = max({a}, {v})",
           "land": "{a} = {a} and {v}", "lor": "{a} = {a} or {v}", "band": "{a} = {a} & {v}",
           "bor": "{a} = {a} | {v}"}

# The kernel language's min/max and & / | of bools are ints (as `x + y` is); and/or keep them bools.
_BOOL_UPDATE = dict(_UPDATE, min="{a} = {a} and {v}", max="{a} = {a} or {v}", band="{a} = {a} and {v}",
                    bor="{a} = {a} or {v}")


@dataclass
class MultiCase:
    """One generated kernel: its accumulators (reducer, dtype) and the rank of its policy."""

    name: str
    accs: list[tuple[str, str]]
    rank: int  # 1: a range, 2: an MDRange

    @property
    def reducers(self) -> tuple[str, ...]:
        return tuple(r for r, _ in self.accs)

    def source(self) -> str:
        """The kernel's Python source."""
        idx = ["i", "j"][: self.rank]
        at = ", ".join(idx)
        view = f"hpcir.View{self.rank}D"
        params = [f"{i}: int" for i in idx]
        params += [f"a{k}: hpcir.Acc[{DTYPES[d][0]}]" for k, (_, d) in enumerate(self.accs)]
        params += [f"v{k}: {view}[{DTYPES[d][0]}]" for k, (_, d) in enumerate(self.accs)]
        body = [(_BOOL_UPDATE if d == "bool" else _UPDATE)[r].format(a=f"a{k}", v=f"v{k}[{at}]")
                for k, (r, d) in enumerate(self.accs)]
        return "\n".join([f"@hpcir.kernel\ndef {self.name}({', '.join(params)}):"] + [f"    {b}" for b in body])

    def inputs(self, rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
        """One input view per accumulator, with values its reducer handles exactly or stably."""
        out = {}
        for k, (r, d) in enumerate(self.accs):
            if d == "bool":
                # land / band of many random bools is almost always False: mostly True keeps both outcomes
                v = rng.random(shape) < (0.97 if r in ("land", "band", "min") else 0.03)
            elif r == "prod":
                v = (1 + 0.01 * rng.uniform(-1, 1, shape)) if d.startswith("float") else rng.choice([1, 1, 1, -1, 2], shape)
            elif r in ("band", "bor"):
                v = rng.integers(0, 2**20, shape) | (0x10101 if r == "band" else 0)
            elif d.startswith("float"):
                v = rng.uniform(-1, 1, shape)
            else:
                v = rng.integers(-1000, 1000, shape)
            out[f"v{k}"] = np.asarray(v, dtype=d)
        return out

    def reference(self, inputs: dict[str, np.ndarray]) -> tuple[Any, ...]:
        """NumPy's results, in the accumulators' order, with the reducers' identities on an empty range."""
        out = []
        for k, (r, d) in enumerate(self.accs):
            v = inputs[f"v{k}"].ravel()
            dt = np.dtype(d)
            if r == "sum":
                x = np.sum(v, dtype=np.float64 if d == "float32" else dt)
            elif r == "prod":
                x = np.prod(v, dtype=np.float64 if d == "float32" else dt)
            elif r in ("min", "max"):
                x = (v.min() if r == "min" else v.max()) if v.size else _extreme(r, dt)
            elif r == "land":
                x = bool(v.all())
            elif r == "lor":
                x = bool(v.any())
            else:
                ufunc = np.bitwise_and if r == "band" else np.bitwise_or
                start = np.array([True if d == "bool" else -1] if r == "band" else [0], dtype=dt)
                x = ufunc.reduce(np.concatenate([start, v]))
            out.append(bool(x) if d == "bool" else (float(x) if dt.kind == "f" else int(x)))
        return tuple(out)


def _extreme(kind: str, dt: np.dtype) -> Any:
    if dt.kind == "f":
        return np.inf if kind == "min" else -np.inf
    if dt.kind == "b":
        return kind == "min"
    info = np.iinfo(dt)
    return info.max if kind == "min" else info.min


def make_cases() -> list[MultiCase]:
    """Pairs and triples that together cover every (reducer, dtype) on both policy ranks, mixing dtypes."""
    rng = np.random.default_rng(11)
    cases = []
    for rank in (1, 2):
        order = [PAIRS[k] for k in rng.permutation(len(PAIRS))]
        k = 0
        while k < len(order):
            n = 3 if (len(cases) % 2 or len(order) - k == 3) else 2
            accs = order[k:k + n]
            k += n
            if len(accs) < 2:
                accs = accs + [("sum", "float64")]
            cases.append(MultiCase(f"multi_{len(cases)}", accs, rank))
    return cases


CASES = make_cases()


def load(cases: list[MultiCase], path: Path) -> Any:
    """Write the kernels to a module file (kernels need their source) and import it."""
    path.write_text("import hpcir\n\n\n" + "\n\n\n".join(c.source() for c in cases) + "\n")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod
