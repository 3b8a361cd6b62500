"""Host-side PyKokkos spellings from its examples (issue 14): `view.data = array` copies values in (as
PyKokkos' views, converting like Kokkos), and a bare `printf` in a @pk.main method prints as C's does."""
from __future__ import annotations

import numpy as np

import hpcir.pykokkos as pk


@pk.workload
class Report:
    def __init__(self, n: int):
        self.n: int = n
        self.v: pk.View1D[pk.double] = pk.View([n], pk.double)

    @pk.main
    def run(self):
        printf("n = %d, x = %.2f\n", self.n, 2.5)  # noqa: F821 (PyKokkos' @pk.main is C++, where printf exists)
        self.v.data = np.arange(self.n) * 0.5


def test_data_assignment_copies_and_converts():
    c = pk.View([2, 3], int)
    src = np.array([[1.7, -2.7, 3.2], [0.0, 9.99, 5.0]])
    c.data = src
    np.testing.assert_array_equal(c, np.trunc(src).astype(np.int64))  # C++'s float -> int: toward zero
    assert c.dtype == np.int64 and bytes(c.data) == c.tobytes()  # reading .data is NumPy's buffer


def test_bare_printf_in_main(capsys):
    w = Report(4)
    pk.execute(pk.OpenMP, w)
    assert capsys.readouterr().out == "n = 4, x = 2.50\n"
    np.testing.assert_array_equal(w.v, np.arange(4) * 0.5)
