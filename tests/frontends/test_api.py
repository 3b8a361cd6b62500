"""hpcir.compile / hpcir.lower on kernels, and @hpcir.program run from Python."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir


@hpcir.kernel
def scale(i: int, a: float, x: hpcir.View1D[float]):
    x[i] = a * x[i]


@hpcir.kernel(reducer="max")
def vmax(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc = max(acc, x[i])


@hpcir.kernel(rank=2)
def fill2(i: int, j: int, v: hpcir.View2D[float]):
    v[i, j] = 10.0 * i + j


def test_compile_returns_a_launchable_kernel():
    c = hpcir.compile(scale, target="serial")
    x = np.arange(10.0)
    c(10, a=3.0, x=x)
    np.testing.assert_array_equal(x, 3.0 * np.arange(10.0))
    r = hpcir.compile(vmax, target="cpu")
    assert r(hpcir.RangePolicy(0, 10), x=x) == 27.0
    assert "reduce" in repr(r)


@hpcir.stencil
def smooth(u: hpcir.Field[float, 2], out: hpcir.Field[float, 2]):
    lap = u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1] - 4.0 * u[0, 0]  # a temporary, read at offsets
    out[0, 0] = u[0, 0] + 0.1 * (lap[1, 0] + lap[-1, 0])


def _functor_structs(cpp: str) -> list[str]:
    """The text of every generated functor struct."""
    import re
    return re.findall(r"struct \w+_functor \{.*?\n\};", cpp, flags=re.S)


@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_gpu_kernels_read_device_memory_and_entries_stage_host_arrays(target):
    """A GPU kernel must never touch a HostSpace view: entry views live in device space, and the
    JIT's C entry copies host arrays in (and written ones back out)."""
    for obj in (scale, vmax, fill2, smooth):
        cpp = hpcir.lower(obj, target=target)
        structs = _functor_structs(cpp)
        assert structs, obj
        for s in structs:
            assert "host_space" not in s and "HostSpace" not in s, s
        assert "create_mirror_view_and_copy" in cpp and "_device(void** args" in cpp
        l2 = hpcir.lower(obj, target=target, stage="L2")
        assert "#kokkos.space<host>" not in l2 and "#kokkos.space<device>" in l2


def test_lower_stages():
    l2 = hpcir.lower(scale, stage="L2")
    assert "scf.parallel" in l2 and "kokkos.entry = #kokkos.entry<for>" in l2
    l3 = hpcir.lower(vmax, target="cuda", stage="L3")
    assert "kokkos.parallel_reduce" in l3 and "#kokkos.reducer<max>" in l3 and "on <cuda>" in l3
    cpp = hpcir.lower(fill2, target="cpu")
    assert "Kokkos::MDRangePolicy<Kokkos::OpenMP, Kokkos::Rank<2" in cpp
    hip = hpcir.lower(fill2, target="hip")
    assert "HIP" in hip and "LayoutLeft" in hip  # layout pass: GPUs get LayoutLeft views
    with pytest.raises(hpcir.HpcirError, match="unknown stage"):
        hpcir.lower(scale, stage="L9")


@hpcir.program
def pipeline(n: int) -> float:
    x = np.ones(n)
    hpcir.parallel_for(n, scale, a=2.0, x=x)
    return hpcir.parallel_reduce(n, vmax, x=x)


def test_program_runs_as_python():
    assert pipeline(50) == 2.0
