"""pk.MinMax and pk.MinMaxLoc (issue 14): PyKokkos' spelling (one `acc` with Kokkos' MinMaxScalar /
MinMaxLocScalar fields), hpcir's (one accumulator per field), in a functor, compared with NumPy over
inputs with many ties and infinities; the minloc-and-maxloc pair on the jax array target;
misuse located."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
import hpcir.pykokkos as pk
from hpcir.core.errors import ArgumentError, KernelTypeError


@pk.workunit
def minmax(i: int, acc: pk.Acc[pk.double], data: pk.View1D[pk.double]):
    if data[i] < acc.min_val:
        acc.min_val = data[i]
    if data[i] > acc.max_val:
        acc.max_val = data[i]


@pk.workunit
def minmaxloc(i: int, acc: pk.Acc[pk.double], data: pk.View1D[pk.double]):
    if data[i] < acc.min_val:
        acc.min_val = data[i]
        acc.min_loc = i
    if data[i] > acc.max_val:
        acc.max_val = data[i]
        acc.max_loc = i


@pk.workunit
def maxloc_fields(i: int, acc: pk.Acc[pk.double], data: pk.View1D[pk.double]):
    if data[i] > acc.val:
        acc.val = data[i]
        acc.loc = i


@hpcir.kernel(reducer=("minloc", "minloc", "maxloc", "maxloc"))
def extremes(i: int, lo: hpcir.Acc[hpcir.int32], lo_at: hpcir.Acc[int], hi: hpcir.Acc[hpcir.int32], hi_at: hpcir.Acc[int],
             k: hpcir.View1D[hpcir.int32]):
    if k[i] < lo:
        lo = k[i]
        lo_at = i
    if k[i] > hi:
        hi = k[i]
        hi_at = i


@pk.functor
class Range:
    def __init__(self, x):
        self.x = x

    @pk.workunit
    def span(self, i: int, acc: pk.Acc[pk.int32]):
        if self.x[i] < acc.min_val:
            acc.min_val = self.x[i]
            acc.min_loc = i
        if self.x[i] > acc.max_val:
            acc.max_val = self.x[i]
            acc.max_loc = i


@pk.workunit
def bad_index(i: int, lo: pk.Acc[pk.double], lo_at: pk.Acc[pk.int64], hi: pk.Acc[pk.double],
              hi_at: pk.Acc[pk.double], data: pk.View1D[pk.double]):
    hi_at = 1.0


def _inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(14)
    out = [rng.integers(-3, 4, n).astype(np.float64) for n in (1, 7, 5000, 9001)]  # many ties
    spiky = rng.normal(size=300)
    spiky[[5, 200]] = np.inf
    spiky[[9, 100]] = -np.inf
    return out + [spiky]


def test_pykokkos_minmax_and_minmaxloc_match_numpy():
    for x in _inputs():
        data = pk.array(x)
        n = len(x)
        r = pk.parallel_reduce(pk.RangePolicy(pk.OpenMP, 0, n), minmax, reducer=pk.MinMax, data=data)
        assert isinstance(r, pk.MinMaxScalar)
        assert (r.min_val, r.max_val) == (x.min(), x.max())
        r = pk.parallel_reduce(n, minmaxloc, reducer=pk.MinMaxLoc, data=data)
        assert tuple(r) == (x.min(), x.argmin(), x.max(), x.argmax())  # ties: the first index, as NumPy
        assert (r.min_loc, r.max_loc) == (x.argmin(), x.argmax())
        r = pk.parallel_reduce(n, maxloc_fields, reducer=pk.MaxLoc, data=data)
        assert (r.val, r.loc) == (x.max(), x.argmax())


def test_functor_and_hpcir_spelling_on_int32():
    k = np.random.default_rng(3).integers(-50, 50, 4099).astype(np.int32)
    r = pk.parallel_reduce(len(k), Range(pk.array(k)).span, reducer=pk.MinMaxLoc)
    assert tuple(r) == (k.min(), k.argmin(), k.max(), k.argmax())
    assert hpcir.parallel_reduce(len(k), extremes, k=k) == (k.min(), k.argmin(), k.max(), k.argmax())
    none = 2**63 - 1  # an empty range keeps the identities (no index found)
    assert hpcir.parallel_reduce(0, extremes, k=k) == (2**31 - 1, none, -2**31, none)


def test_minmaxloc_on_an_array_target():
    target = "jax"  # torch shares the array-code translation (kernel_array_launches.loc_reduce)
    pytest.importorskip(target)
    k = np.random.default_rng(5).integers(-9, 9, 700).astype(np.int32)
    got = hpcir.compile(extremes, target=target)(len(k), k=k)
    assert tuple(int(v) for v in got) == (k.min(), k.argmin(), k.max(), k.argmax())


def test_misuse_is_located():
    with pytest.raises(KernelTypeError, match=r"fourth accumulator of a maxloc reduction .* must be an int") as e:
        pk.parallel_reduce(3, bad_index, reducer=pk.MinMaxLoc, data=np.zeros(3))
    assert e.value.loc is not None and e.value.loc.filename == __file__
    with pytest.raises(ArgumentError, match="needs four accumulators"):
        pk.parallel_reduce(3, maxloc_fields, reducer=pk.MinMaxLoc, data=np.zeros(3))
