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
def copy2(i: int, j: int, a: hpcir.View2D[float], b: hpcir.View2D[float]):
    b[i, j] = a[i, j]


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
        l2 = hpcir.lower(obj, target=target, stage="L2")  # target-neutral: host views
        assert "#kokkos.space<device>" not in l2 and f'kokkos.target = "{target}"' in l2
        l3 = hpcir.lower(obj, target=target, stage="L3")  # kokkos-memory-spaces moved them
        assert "#kokkos.space<host>" not in l3 and "#kokkos.space<device>" in l3


@hpcir.kernel
def fill2_inferred(i: int, j: int, v: hpcir.View2D[float]):
    v[i, j] = 10.0 * i + j


def test_index_rank_is_inferred_without_rank_argument():
    """No rank=: `v[i, j]` makes i and j the indices (not a 1-D kernel taking j as a scalar)."""
    l2 = hpcir.lower(fill2_inferred, stage="L2")
    assert "func.func @fill2_inferred(%begin0: i64, %begin1: i64, %end0: i64, %end1: i64, %v:" in l2
    assert "Kokkos::Rank<2" in hpcir.lower(fill2_inferred, target="cpu")
    v = np.zeros((3, 4))
    hpcir.parallel_for(hpcir.MDRangePolicy([0, 0], [3, 4]), fill2_inferred, v=v, target="serial")
    np.testing.assert_array_equal(v, 10.0 * np.arange(3)[:, None] + np.arange(4)[None, :])


@hpcir.kernel
def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = a * x[i] + y[i]


@hpcir.kernel
def dot(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    acc += x[i] * y[i]


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_readme_kernels_lower_to_the_kokkos_a_developer_writes(target):
    """The README's axpy and dot, end to end (frontend, passes, emitter)."""
    cpp = hpcir.lower(axpy, target=target)
    assert "void axpy(int64_t begin, int64_t end, double a, view_1d_const_double x, view_1d_double y);" in cpp
    assert "\n    y(i) = a * x(i) + y(i);\n  }\n" in cpp
    cpp = hpcir.lower(dot, target=target)
    assert "KOKKOS_INLINE_FUNCTION void operator()(const int64_t i, double& acc) const {\n" \
           "    acc += x(i) * y(i);\n  }\n" in cpp
    assert "// ---- hpcir_prelude.hpp ----" in cpp and cpp.count("namespace hpcir {") == 1
    dot_entry = cpp[cpp.index('extern "C" int hpcir_dot('):]
    assert "Kokkos::fence()" not in dot_entry[: dot_entry.index("\n}\n")]  # the reduction waited


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


class FakeGpuArray:
    """Host memory presented as a GPU array (CUDA Array Interface v3 + __dlpack_device__): what the
    binding sees of cupy / torch CUDA tensors. No GPU here, so nothing may ever launch on it."""

    def __init__(self, a: np.ndarray, dlpack_device: int = 2):
        self.a, self.dev = a, dlpack_device
        self.shape, self.dtype = a.shape, a.dtype

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self.a.shape, "typestr": self.a.dtype.str, "version": 3,
                "data": (self.a.ctypes.data, not self.a.flags.writeable),
                "strides": None if self.a.flags.c_contiguous else self.a.strides}

    def __dlpack_device__(self) -> tuple[int, int]:
        return (self.dev, 0)


def test_gpu_arrays_are_described_without_copies():
    from hpcir.core.arrays import device_array
    from hpcir.frontends.python.signature import value_type
    a = np.zeros((3, 4))
    d = device_array(FakeGpuArray(a))
    assert (d.ptr, d.shape, d.strides, d.dtype, d.device) == (a.ctypes.data, (3, 4), (32, 8), np.float64, "cuda")
    f = device_array(FakeGpuArray(np.asfortranarray(np.zeros((3, 4), np.float32)), dlpack_device=10))
    assert f.strides == (4, 12) and f.device == "hip"
    assert str(value_type(FakeGpuArray(a))) == "View2D[float64, layout=right]"
    assert value_type(FakeGpuArray(np.asfortranarray(a))).layout == "left"
    assert device_array(a) is None and device_array(3.0) is None


def test_gpu_arrays_choose_the_gpu_target_and_refuse_host_targets():
    """A launch on GPU arrays targets their GPU (here: no driver, so a located 'cannot run' error);
    a host target, or host arrays in the same launch, are located errors that say what to do."""
    x = FakeGpuArray(np.arange(10.0))
    with pytest.raises(hpcir.HpcirError, match="cannot run kernels on this machine") as e:
        hpcir.parallel_for(10, scale, a=2.0, x=x)
    assert e.value.loc is not None and e.value.loc.filename == __file__
    with pytest.raises(hpcir.HpcirError, match="is a cuda device array .* targets 'cpu'") as e:
        hpcir.parallel_for(10, scale, a=2.0, x=x, target="cpu")
    assert "target='cuda'" in e.value.hint and e.value.loc.filename == __file__
    with pytest.raises(hpcir.HpcirError, match="mixes cuda and hip"):
        hpcir.parallel_for(hpcir.MDRangePolicy([0, 0], [2, 2]), copy2, a=FakeGpuArray(np.zeros((2, 2))),
                           b=FakeGpuArray(np.zeros((2, 2)), dlpack_device=10))
    with pytest.raises(hpcir.HpcirError, match="`b` is a host array"):
        hpcir.parallel_for(hpcir.MDRangePolicy([0, 0], [2, 2]), copy2, a=FakeGpuArray(np.zeros((2, 2))),
                           b=np.zeros((2, 2)), target="cuda")
    np.testing.assert_array_equal(x.a, np.arange(10.0))  # nothing ran


def test_host_modules_refuse_gpu_arrays_and_device_views_are_checked():
    from hpcir.core.arrays import device_array
    from hpcir.backends.runtime import Param, _check_device_array, _device_view
    from hpcir.api import _compile
    from hpcir.frontends.python.signature import bind_launch
    spec, _ = bind_launch(scale, "for", "range", 1, {"a": 1.0, "x": np.zeros(3)}, None)
    loaded = _compile(spec, "serial")
    with pytest.raises(hpcir.HpcirError, match="device arrays need a module built for a GPU target"):
        loaded.library[loaded.entry](0, 3, 1.0, device_array(FakeGpuArray(np.zeros(3))))
    p = Param("x", "view", "float64", 2, "right", "device", True, (-1, -1))
    d = device_array(FakeGpuArray(np.zeros((3, 4))))
    _check_device_array(p, d, "k")
    v = _device_view(d)
    assert (v.data, v.rank, list(v.extents[:2]), list(v.strides[:2])) == (d.ptr, 2, [3, 4], [4, 1])
    for bad, what in ((np.zeros((3, 4), np.float32), "float32"), (np.zeros((4, 3)).T, "strides"),
                      (np.zeros(3), "float64\\[1\\]")):
        with pytest.raises(hpcir.HpcirError, match=what):
            _check_device_array(p, device_array(FakeGpuArray(bad)), "k")
    ro = np.zeros((3, 4))
    ro.flags.writeable = False
    with pytest.raises(hpcir.HpcirError, match="read-only"):
        _check_device_array(p, device_array(FakeGpuArray(ro)), "k")


def test_stencils_refuse_gpu_fields_on_host_targets():
    u, out = FakeGpuArray(np.zeros((6, 6))), FakeGpuArray(np.zeros((6, 6)))
    with pytest.raises(hpcir.HpcirError, match="field 'u' is a cuda device array .* compiled for 'serial'") as e:
        hpcir.compile(smooth, target="serial")(u, out)
    assert e.value.loc.filename == __file__ and "compile it for 'cuda'" in e.value.hint


def test_cpu_dlpack_arrays_are_updated_in_place():
    """torch CPU tensors reach kernels through DLPack as numpy views of the same memory."""
    torch = pytest.importorskip("torch")
    x = torch.arange(10, dtype=torch.float64)
    ptr = x.data_ptr()
    hpcir.parallel_for(10, scale, a=3.0, x=x, target="serial")
    assert x.data_ptr() == ptr
    np.testing.assert_array_equal(x.numpy(), 3.0 * np.arange(10.0))
