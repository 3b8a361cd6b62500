"""Functions callable inside kernels (atomics, single, PerTeam); each is tagged for the frontend.

Outside kernels they run on numpy arrays with the same meaning, so a kernel can be debugged by
calling it as plain Python.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

ATOMIC_KINDS = ("add", "sub", "mul", "max", "min", "and", "or", "xor", "div", "mod", "lshift", "rshift")


def _c_div(a: Any, b: Any) -> Any:
    """C++'s a / b: integers truncate toward zero (Python's // floors)."""
    if isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)):
        q = abs(int(a)) // abs(int(b))
        return type(a)(q if (a < 0) == (b < 0) else -q)
    return a / b


def _c_mod(a: Any, b: Any) -> Any:
    """C++'s a % b: the remainder has the dividend's sign (Python's % takes the divisor's)."""
    return type(a)(int(a) - int(b) * int(_c_div(int(a), int(b))))


def intrinsic(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Python function as the kernel intrinsic `name`."""
    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__hpcir_intrinsic__ = name  # type: ignore[attr-defined]
        return fn
    return mark


def _host_atomic(kind: str, view: np.ndarray, index: Sequence[int] | int, value: Any) -> Any:
    idx = tuple(index) if isinstance(index, (list, tuple)) else (index,)
    old = view[idx]
    new = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "max": max, "min": min, "and": lambda a, b: a & b, "or": lambda a, b: a | b,
           "xor": lambda a, b: a ^ b, "div": _c_div, "mod": _c_mod, "lshift": lambda a, b: a << b,
           "rshift": lambda a, b: a >> b}[kind](old, type(old)(value))
    view[idx] = new
    return old


def _make_atomic(kind: str, fetch: bool) -> Callable[..., Any]:
    name = f"atomic_fetch_{kind}" if fetch else f"atomic_{kind}"

    @intrinsic(name)
    def atomic(view: np.ndarray, index: Sequence[int] | int, value: Any) -> Any:
        old = _host_atomic(kind, view, index, value)
        return old if fetch else None

    atomic.__name__ = name
    atomic.__doc__ = (f"Atomically apply `{kind}` to view[index] with value"
                      + (" and return the old value." if fetch else "."))
    return atomic


ATOMICS = {}
for _k in ATOMIC_KINDS:
    for _fetch in (False, True):
        _fn = _make_atomic(_k, _fetch)
        ATOMICS[_fn.__name__] = _fn


@intrinsic("printf")
def printf(fmt: str, *values: Any) -> None:
    """C printf inside a kernel (`printf("x = %d\\n", x)`); outside kernels it prints the same text."""
    import re
    import sys
    # Python's % formatting takes C's conversions but not all of its length modifiers.
    sys.stdout.write(re.sub(r"(%[-+ #0]*\d*(?:\.\d*)?)(?:hh|h|ll|l|j|z|t|L)", r"\1", fmt) % values)


class PerTeam:
    """`single(PerTeam(team), fn)`: fn runs once per team."""

    __hpcir_intrinsic__ = "PerTeam"

    def __init__(self, team: Any):
        self.team = team


class PerThread:
    """`single(PerThread(team), fn)`: fn runs once per thread (one vector lane)."""

    __hpcir_intrinsic__ = "PerThread"

    def __init__(self, team: Any):
        self.team = team


@intrinsic("single")
def single(level: PerTeam | PerThread, fn: Callable[[], Any]) -> None:
    """Run fn once per team or per thread (inside team kernels)."""
    fn()


@intrinsic("local")
def local(dtype: Any, shape: int | Sequence[int]) -> np.ndarray:
    """A per-thread array of constant shape, zero-filled (`t = hpcir.local(float, 16)`) inside kernels."""
    from .annotations import to_scalar
    st = to_scalar(dtype)
    return np.zeros(shape, dtype=st.numpy if st is not None else dtype)
