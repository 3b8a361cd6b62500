"""Random inputs for the per-op tables: a spec letter and a shape per argument."""
from __future__ import annotations

import numpy as np

_COMPLEX = {np.dtype("float32"): np.complex64, np.dtype("float64"): np.complex128}


def make_inputs(specs, dtype, seed: int = 0) -> list[np.ndarray]:
    """n: normal, p: in [0.5, 2], u: in (-0.9, 0.9), i: int32 in [-5, 5], j: int32 in [1, 5], b: bool, c: complex."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    out = []
    for kind, shape in specs:
        if kind == "n":
            a = rng.standard_normal(shape).astype(dtype)
        elif kind == "p":
            a = rng.uniform(0.5, 2.0, shape).astype(dtype)
        elif kind == "u":
            a = rng.uniform(-0.9, 0.9, shape).astype(dtype)
        elif kind == "i":
            a = rng.integers(-5, 6, shape).astype(np.int32)
        elif kind == "j":
            a = rng.integers(1, 6, shape).astype(np.int32)
        elif kind == "b":
            a = rng.random(shape) > 0.5
        elif kind == "c":
            a = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(_COMPLEX[dtype])
        else:
            raise ValueError(kind)
        out.append(a)
    return out
