"""Integer literals from 2**63 to 2**64 - 1 in kernel source are uint64 (C++ gives such a decimal literal
an unsigned type) and keep their value in division, comparisons and conversions; -2**63 is an int64
literal; a literal past 64 bits is a located error. Compared with Python's integers."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
import hpcir.pykokkos as pk


def _ref(i: int) -> tuple[int, float, int]:
    """The workunit below, in Python's integers (every value fits, so C++ and Python agree)."""
    u = 10000000000000000000 // (i + 3) + i
    f = float(12345678901234567890) + i * 0.5 + 9223372036854775808 / 4
    s = (10000000000000000000 > i) + (-9223372036854775808 < i - 5) * 2 + (18446744073709551615 % (i + 7)) * 4
    return u, f, s + (-9223372036854775808 + i if i == 3 else 0)


@pk.workunit
def literals(i: int, u: pk.View1D[pk.uint64], f: pk.View1D[pk.double], s: pk.View1D[pk.int64]):
    u[i] = 10000000000000000000 // (i + 3) + i
    f[i] = float(12345678901234567890) + i * 0.5 + 9223372036854775808 / 4
    t: int = (10000000000000000000 > i) + (-9223372036854775808 < i - 5) * 2 + (18446744073709551615 % (i + 7)) * 4
    if i == 3:
        t = t + (-9223372036854775808 + i)
    s[i] = t


def test_large_literals_keep_their_values():
    n = 6
    u, f, s = pk.View([n], pk.uint64), pk.View([n], pk.double), pk.View([n], pk.int64)
    pk.parallel_for(n, literals, u=u, f=f, s=s)
    want = [_ref(i) for i in range(n)]
    assert [int(x) for x in u] == [w[0] for w in want]
    np.testing.assert_array_equal(f, [w[1] for w in want])
    assert [int(x) for x in s] == [w[2] for w in want]


def test_literal_past_64_bits_is_located():
    @hpcir.kernel
    def too_big(i: int, out: hpcir.View1D[hpcir.float64]):
        out[i] = 18446744073709551616 * 1.0

    with pytest.raises(hpcir.HpcirError, match="does not fit in 64 bits") as err:
        hpcir.lower(too_big)
    assert "test_pykokkos_int_literals.py" in str(err.value) and "18446744073709551616 * 1.0" in str(err.value)
