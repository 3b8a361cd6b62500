"""@pk.classtype objects passed to and returned from @pk.function (issue 14): inlined, an object argument
by reference (a field the function assigns changes the caller's object, as PyKokkos' C++), a returned
object made where it is assigned; compared with the same classes and functions run as Python."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir.core.errors import KernelSyntaxError


@pk.classtype
class Cell:
    def __init__(self, n: int, w: float):
        self.n: int = n
        self.w: float = w

    def mass(self) -> float:
        return self.n * self.w


@pk.function
def grow(c: Cell, by: int) -> None:
    c.n = c.n + by
    c.w = c.w * 0.5


@pk.function
def heavier(c: Cell, extra: float) -> float:
    grow(c, 1)
    return c.mass() + extra


@pk.function
def make(n: int, w: float) -> Cell:
    return Cell(n + 1, w)


@pk.workunit
def cells(i: int, out: pk.View2D[pk.double], w: pk.View1D[pk.double]):
    a: Cell = Cell(i, w[i])
    grow(a, 3)
    out[i, 0] = a.mass()
    b: Cell = make(i, w[i] + 1.0)
    out[i, 1] = heavier(b, 0.25)
    out[i, 2] = b.n


@pk.functor
class Mutator:
    def __init__(self, k: int, w: float):
        self.k: int = k
        self.w: float = w

    @pk.function
    def bump(self, c: Cell) -> None:
        c.n = self.k

    @pk.function
    def fresh(self) -> Cell:
        return Cell(self.k, self.w)

    @pk.workunit
    def total(self, i: int, acc: pk.Acc[pk.double]) -> None:
        c: Cell = Cell(i, self.w)
        self.bump(c)
        d: Cell = self.fresh()
        acc += c.mass() + d.mass() + i


def _python(i: int, w: float) -> list[float]:
    """The workunit `cells`, run as Python with the same classes."""
    a = Cell(i, w)
    a.n, a.w = a.n + 3, a.w * 0.5
    b = Cell(i + 1, w + 1.0)
    b.n, b.w = b.n + 1, b.w * 0.5
    return [a.mass(), b.mass() + 0.25, b.n]


def test_objects_through_functions_match_python():
    w = np.linspace(0.5, 3.0, 9)
    out = np.zeros((9, 3))
    pk.parallel_for(9, cells, out=out, w=w)
    np.testing.assert_allclose(out, [_python(i, w[i]) for i in range(9)], rtol=1e-15)
    m = Mutator(4, 1.5)
    got = pk.parallel_reduce(20, m.total)
    assert got == pytest.approx(sum(4 * 1.5 + 4 * 1.5 + i for i in range(20)), rel=1e-15)


@pk.workunit
def reassigned(i: int, out: pk.View1D[pk.double]):
    a: Cell = Cell(i, 1.0)
    b: Cell = a  # a copy (C++'s `Cell b = a;`): growing b leaves a as it was
    grow(b, 2)
    a = make(i, 2.0)  # into an object already there: a copy of the returned one
    out[i] = a.mass() * 100.0 + b.mass()


def test_returned_object_into_an_existing_name_is_copied():
    out = np.zeros(6)
    pk.parallel_for(6, reassigned, out=out)
    want = [(i + 1) * 2.0 * 100.0 + (i + 2) * 0.5 for i in range(6)]
    np.testing.assert_allclose(out, want, rtol=1e-15)
