"""`a = b` of @pk.classtype objects in workunits copies the object (C++'s value types, PyKokkos'
`T a = b;`), nested objects included; compared with the same classes run by Python with deep copies."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError


@pk.classtype
class Vec:
    def __init__(self, x: float, y: float):
        self.x: float = x
        self.y: float = y

    def scale(self, s: float):
        self.x = self.x * s
        self.y = self.y * s

    def norm1(self) -> float:
        return abs(self.x) + abs(self.y)


@pk.classtype
class Body:
    def __init__(self, x: float, m: float):
        self.pos: Vec = Vec(x, 2.0 * x)
        self.m: float = m

    def moment(self) -> float:
        return self.m * self.pos.norm1()


@pk.workunit
def copies(i: int, x: pk.View1D[pk.double], out: pk.View2D[pk.double]):
    a: Body = Body(x[i], 1.5)
    b: Body = a
    b.pos.scale(3.0)
    b.m = b.m + 1.0
    p: Vec = a.pos
    p.scale(-2.0)
    c: Body = Body(0.0, 0.0)
    if x[i] > 0.0:
        c = b
        c.pos = p
    a.pos = c.pos
    out[i, 0] = a.moment()
    out[i, 1] = b.moment()
    out[i, 2] = c.moment() + p.norm1()


def _python(x: float) -> list[float]:
    """The workunit run by Python, each `=` of an object a deep copy, as C++ copies value types."""
    a = Body(x, 1.5)
    b = copy.deepcopy(a)
    b.pos.scale(3.0)
    b.m = b.m + 1.0
    p = copy.deepcopy(a.pos)
    p.scale(-2.0)
    c = Body(0.0, 0.0)
    if x > 0.0:
        c = copy.deepcopy(b)
        c.pos = copy.deepcopy(p)
    a.pos = copy.deepcopy(c.pos)
    return [a.moment(), b.moment(), c.moment() + p.norm1()]


def test_object_copies_match_python_deep_copies():
    x = np.linspace(-1.0, 2.0, 7)
    out = np.zeros((7, 3))
    pk.parallel_for(7, copies, x=x, out=out)
    np.testing.assert_allclose(out, [_python(v) for v in x], rtol=1e-15)


def test_copy_into_an_object_of_another_class_is_located():
    with pytest.raises(HpcirError, match="keeps its class") as err:
        @pk.workunit
        def mixes(i: int, out: pk.View1D[pk.double]):
            v: Vec = Vec(1.0, 2.0)
            b: Body = Body(1.0, 2.0)
            v = b
            out[i] = v.x
    assert "test_pykokkos_classtype_copies.py" in str(err.value) and "v = b" in str(err.value)
