"""MDFT backends: each runs the same hot kernels behind one interface (base.py); the minimiser is shared.

`BACKENDS` lists every backend of issue 13 in report order; `get(name)` returns it. Backends whose
kernels are not written yet or cannot run here say why through `unavailable()`.
"""
from __future__ import annotations

from .base import Backend, Evaluator, Problem, chain, problem_of
from .jax_backend import JaxBackend
from .numpy_backend import NumpyBackend
from .pending import HpcirBackend, KokkosCppBackend
from .torch_backend import TorchBackend

BACKENDS: dict[str, Backend] = {b.name: b for b in (
    NumpyBackend(), HpcirBackend("serial"), HpcirBackend("cpu"), HpcirBackend("cuda"), HpcirBackend("hip"),
    HpcirBackend("jax"), HpcirBackend("torch"), JaxBackend(), TorchBackend(), KokkosCppBackend())}


def get(name: str) -> Backend:
    """The backend called `name` (KeyError lists the known names)."""
    if name not in BACKENDS:
        raise KeyError(f"unknown MDFT backend {name!r}; known: {', '.join(BACKENDS)}")
    return BACKENDS[name]


__all__ = ["BACKENDS", "Backend", "Evaluator", "Problem", "chain", "get", "problem_of"]
