"""Bad complex input is rejected with a located HpcirError before anything is compiled or run
(issue 11: a complex value stored into a real view, an order on complex numbers, a complex index...)."""
from __future__ import annotations

import cmath
import math

import numpy as np
import pytest

import hpcir
from hpcir.core.errors import ArgumentError, HpcirError, KernelSyntaxError, KernelTypeError

HERE = __file__
SRC = open(HERE).read().splitlines()
C = hpcir.View1D[complex]
R = hpcir.View1D[float]


def where(marker: str, text: str) -> tuple[int, int]:
    """1-based line and column of `text` on the line holding `marker`."""
    for n, line in enumerate(SRC, 1):
        if marker in line and not line.lstrip().startswith(("where(", "check(")):
            return n, line.index(text) + 1
    raise AssertionError(marker)


def check(err: HpcirError, marker: str, text: str, words: str) -> None:
    line, col = where(marker, text)
    msg = str(err)
    assert msg.startswith(f"{HERE}:{line}:{col}: error:"), msg
    assert "^" in msg, msg
    assert words in msg, msg
    assert err.hint, msg  # says what to write instead


@pytest.fixture(autouse=True)
def no_build(monkeypatch):
    """Any attempt to build or run is a test failure: errors must come first."""
    import hpcir.api as api

    def fail(*a, **k):
        raise AssertionError("a build was attempted after bad input")

    monkeypatch.setattr(api, "build_library", fail)


def test_complex_stored_into_real_view():
    @hpcir.kernel
    def k(i: int, z: C, x: R):
        x[i] = z[i] * 2  # E-store
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-store", "x[i] =", "storing a complex128 value into a view of float64")


def test_complex_literal_stored_into_real_view():
    @hpcir.kernel
    def k(i: int, x: R):
        x[i] += 1j  # E-aug
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-aug", "x[i] +=", "imaginary part")


def test_complex_into_real_local():
    @hpcir.kernel
    def k(i: int, z: C, x: R):
        s = 0.0
        s = z[i]  # E-local
        x[i] = s
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-local", "s = z", "`s` is a float64 but is assigned a complex128")


def test_ordering_comparison():
    @hpcir.kernel
    def k(i: int, z: C, x: R):
        if z[i] < 1.0:  # E-order
            x[i] = 1.0
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-order", "z[i] < 1.0", "complex numbers have no order")


def test_max_of_complex():
    @hpcir.kernel
    def k(i: int, z: C, w: C):
        w[i] = max(z[i], w[i])  # E-max
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-max", "max(", "no order")


def test_complex_index():
    @hpcir.kernel
    def k(i: int, z: C, x: R):
        x[i] = x[z[i]]  # E-index
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-index", "z[i]]", "an index must be an integer, got complex128")


def test_complex_range_bound():
    @hpcir.kernel
    def k(i: int, z: C, x: R):
        for j in range(z[i]):  # E-range
            x[i] += 1.0
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-range", "z[i]", "complex128")


def test_float_of_complex():
    @hpcir.kernel
    def k(i: int, z: C, x: R):
        x[i] = float(z[i])  # E-float
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-float", "float(", "imaginary part would be lost")


def test_math_function_of_complex():
    @hpcir.kernel
    def k(i: int, z: C):
        z[i] = math.sqrt(z[i])  # E-math
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-math", "math.sqrt", "use cmath.sqrt")


def test_floor_division_of_complex():
    @hpcir.kernel
    def k(i: int, z: C):
        z[i] = z[i] // 2  # E-floordiv
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-floordiv", "z[i] // 2", "not defined on complex numbers")


def test_complex_parts_must_be_real():
    @hpcir.kernel
    def k(i: int, z: C):
        z[i] = complex(1.0, z[i])  # E-parts
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-parts", "z[i])", "real parts")


def test_unsupported_cmath_function():
    @hpcir.kernel
    def k(i: int, z: C):
        z[i] = cmath.acosh(z[i])  # E-cmath
    with pytest.raises(KernelSyntaxError) as e:
        hpcir.lower(k)
    check(e.value, "# E-cmath", "cmath.acosh", "not supported in kernels")


def test_complex_accumulator_with_max():
    @hpcir.kernel
    def k(i: int, acc: hpcir.Acc[complex], z: C):  # E-acc
        acc += z[i]
    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_reduce(4, k, z=np.ones(4, np.complex128), reducer="max")
    assert "reducer 'max' is not defined on complex128 accumulators" in str(e.value)
    assert str(e.value).startswith(f"{HERE}:"), str(e.value)


def test_complex_atomic_add():
    @hpcir.kernel
    def k(i: int, z: C):
        hpcir.atomic_add(z, [0], z[i])  # E-atomic
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-atomic", "hpcir.atomic_add", "complex")


def test_complex_array_for_real_view():
    @hpcir.kernel
    def k(i: int, x: R):
        x[i] = 1.0
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(4, k, x=np.zeros(4, np.complex128))  # E-arg
    assert "complex128" in str(e.value) and str(e.value).startswith(f"{HERE}:{where('# E-arg', 'hpcir')[0]}:")
