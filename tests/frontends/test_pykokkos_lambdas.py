"""PyKokkos' lambda workunits (`parallel_for(n, lambda i: value, view)`, `parallel_reduce(n, lambda i,
acc: acc + value)`) inside workloads and functions, compared with NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir.pykokkos as pk
from hpcir import HpcirError


@pk.workload
class Lambdas:
    def __init__(self, x: np.ndarray, c: int):
        self.n: int = len(x)
        self.c: int = c
        self.x = pk.array(x)
        self.out = pk.View([len(x)], pk.double)
        self.count = pk.View([len(x)], pk.int32)

    @pk.main
    def run(self):
        scale = 0.5
        self.total = pk.parallel_reduce("sum", self.n, lambda i, acc: self.x[i] * scale + acc - i)
        pk.parallel_for("fill", self.n, lambda i: self.x[i] * self.x[i] - scale, self.out)
        pk.parallel_for(self.n, lambda i: self.c, self.count)
        pk.parallel_for(self.n, lambda i: self.count[i] + i, self.count)  # reads the view it stores into


@pytest.mark.parametrize("seed", range(3))
def test_lambdas_in_a_workload_against_numpy(seed):
    rng = np.random.default_rng(seed)
    x, c = rng.uniform(-2, 2, int(rng.integers(1, 30))), int(rng.integers(-5, 5))
    w = Lambdas(x, c)
    pk.execute(pk.OpenMP, w)
    np.testing.assert_allclose(w.total, 0.5 * x.sum() - np.arange(len(x)).sum(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.out, x * x - 0.5, rtol=1e-12)
    np.testing.assert_array_equal(w.count, c + np.arange(len(x)))


def test_lambda_capturing_locals_of_a_function():
    def saxpy(a: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = pk.View([len(x)], pk.double)
        pk.parallel_for(len(x), lambda i: a * x[i] + y[i], out)
        pk.parallel_for(len(x), lambda i: pk.atomic_add(out, [0], 1.0))  # no view after it: a statement
        return out

    x, y = np.linspace(0, 1, 9), np.linspace(2, 3, 9)
    for a in (2.0, -1.5):  # the captured value is read at each launch
        want = a * x + y
        want[0] += len(x)
        np.testing.assert_allclose(saxpy(a, x, y), want)


def test_lambda_errors_are_located():
    x = np.zeros(4)
    with pytest.raises(HpcirError, match="returns `acc \\+ value`") as err:
        pk.parallel_reduce(4, lambda i, acc: acc * x[i])
    assert "test_pykokkos_lambdas.py" in str(err.value)
    with pytest.raises(HpcirError, match="returns `acc \\+ value`"):
        pk.parallel_reduce(4, lambda i, acc: x[i] - acc)
    with pytest.raises(HpcirError, match="stores into one view"):
        pk.parallel_for(4, lambda i: 1.0, x, x)
    with pytest.raises(HpcirError, match="takes 1 parameter"):
        pk.parallel_for(4, lambda i, j: 1.0, x)
