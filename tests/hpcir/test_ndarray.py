"""hpcir.Array (issue 11, item 5): arrays that stay in a target's memory between launches.

Host targets run for real: Arrays are NumPy arrays hpcir owns, launches read and write them in
place, and nothing is counted as a transfer. GPU targets run with device_fakes (the real memory
runtime, built for serial, standing in for the CUDA / HIP one; serial entries standing in for CUDA
ones): what is checked there is the Python side, i.e. which copies happen and are counted, which
descriptors launches get and which inputs are refused; no GPU executes anything."""
from __future__ import annotations

import ctypes
import gc
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpcir
from hpcir import ndarray
from hpcir.core.arrays import device_array
from hpcir.core.dlpack import ManagedTensor, exported_count
from hpcir.core.errors import ArgumentError

from device_fakes import ForeignGpuArray, install_fake_gpu

HOST = ("serial", "cpu")
DTYPES = (np.bool_, np.int8, np.int32, np.int64, np.float32, np.float64, np.complex128)


@pytest.fixture
def fake_gpu(monkeypatch):
    install_fake_gpu(monkeypatch)


@hpcir.kernel
def grad(i: int, x: hpcir.View1D[float], b: hpcir.View1D[float], w: hpcir.View1D[float], g: hpcir.View1D[float]):
    g[i] = 2.0 * w[i] * (x[i] - b[i])


@hpcir.kernel
def step(i: int, lr: float, g: hpcir.View1D[float], x: hpcir.View1D[float]):
    x[i] = x[i] - lr * g[i]


@hpcir.kernel
def sumsq(i: int, acc: hpcir.Acc[float], g: hpcir.View1D[float]):
    acc += g[i] * g[i]


@hpcir.kernel
def scale(i: int, a: float, x: hpcir.View1D[float]):
    x[i] = a * x[i]


def descend(x, b, w, g, steps: int, target: str | None = None) -> list[float]:
    """Gradient descent on sum(w (x - b)^2), the way a Python optimizer drives kernels: launches only."""
    n, norms = len(b), []
    for _ in range(steps):
        hpcir.parallel_for(n, grad, x=x, b=b, w=w, g=g, target=target)
        norms.append(hpcir.parallel_reduce(n, sumsq, g=g, target=target))
        hpcir.parallel_for(n, step, lr=0.1, g=g, x=x, target=target)
    return norms


def descend_numpy(x, b, w, steps: int) -> tuple[np.ndarray, list[float]]:
    x, norms = x.copy(), []
    for _ in range(steps):
        g = 2.0 * w * (x - b)
        norms.append(float(np.sum(g * g)))
        x = x - 0.1 * g
    return x, norms


def _problem(n: int = 257, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal(n), rng.uniform(0.5, 2.0, n)


# -- host targets, for real -------------------------------------------------------------------------
@pytest.mark.parametrize("target", HOST)
def test_host_arrays_are_numpy_arrays_hpcir_owns(target):
    src = np.arange(12.0).reshape(3, 4)
    x = hpcir.array(src, target=target)
    assert (x.shape, x.dtype, x.ndim, x.size, x.nbytes, x.target) == ((3, 4), np.float64, 2, 12, 96, target)
    assert not x.on_device and x.strides == src.strides and len(x) == 3
    back = x.numpy()
    np.testing.assert_array_equal(back, src)
    assert not np.shares_memory(back, src)  # hpcir.array copies its input, like np.array
    assert x.numpy() is back  # the backing array itself, no copy
    assert np.shares_memory(np.asarray(x), back) and np.shares_memory(np.from_dlpack(x), back)
    assert not np.shares_memory(np.array(x), back)  # np.array asks for a copy
    back[0, 0] = 42.0  # a view: writes go to the Array
    assert x.numpy()[0, 0] == 42.0 and x.__dlpack_device__() == (1, 0)
    assert not hasattr(x, "__cuda_array_interface__") and device_array(x) is None
    from hpcir.frontends.python.signature import as_array  # what launches and FFTs read host data with
    assert np.shares_memory(as_array(x), back)


@pytest.mark.parametrize("target", HOST)
def test_host_launch_loop_runs_in_place_and_moves_nothing(target):
    x0, b0, w0 = _problem()
    x, b, w = (hpcir.array(a, target=target) for a in (x0, b0, w0))
    g = hpcir.empty(len(b0), target=target)
    addresses = [a.numpy().ctypes.data for a in (x, b, w, g)]
    before = hpcir.transfer_stats()
    norms = descend(x, b, w, g, steps=15)  # no target: the Arrays' own
    assert hpcir.transfer_stats() - before == hpcir.TransferStats()
    want_x, want_norms = descend_numpy(x0, b0, w0, 15)
    np.testing.assert_allclose(x.numpy(), want_x, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(norms, want_norms, rtol=1e-12)
    assert [a.numpy().ctypes.data for a in (x, b, w, g)] == addresses  # same memory throughout


def test_host_arrays_of_either_host_target_meet_in_one_launch():
    """serial and cpu read the same (host) memory: their Arrays mix, the first one's target runs."""
    x, y = hpcir.array(np.ones(8), target="cpu"), hpcir.zeros(8, target="serial")
    hpcir.parallel_for(8, step, lr=-1.0, g=x, x=y)
    np.testing.assert_array_equal(y.numpy(), np.ones(8))


@hpcir.program
def scaled_twice(x) -> None:
    hpcir.parallel_for(len(x), scale, a=2.0, x=x)
    hpcir.parallel_for(len(x), scale, a=2.0, x=x)


@pytest.mark.parametrize("target", HOST)
def test_compiled_kernels_and_programs_take_arrays(target):
    x = hpcir.array(np.arange(5.0), target=target)
    hpcir.compile(scale, target=target)(5, a=3.0, x=x)
    scaled_twice(x)
    np.testing.assert_array_equal(x.numpy(), 12.0 * np.arange(5.0))


def test_torch_shares_host_arrays_through_dlpack():
    torch = pytest.importorskip("torch")
    x = hpcir.zeros(4, target="serial")
    t = torch.from_dlpack(x)
    t += 7
    np.testing.assert_array_equal(x.numpy(), np.full(4, 7.0))


@hpcir.stencil
def lap(u: hpcir.Field[float, 2], out: hpcir.Field[float, 2]):
    out[0, 0] = 4.0 * u[0, 0] - (u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1])


@pytest.mark.parametrize("target", HOST)
def test_stencils_run_in_place_on_host_arrays(target):
    u0 = np.random.default_rng(1).random((9, 7))
    want = np.zeros_like(u0)
    lap(u0, want)
    u, out = hpcir.array(u0, target=target), hpcir.zeros(u0.shape, target=target)
    back = out.numpy()
    hpcir.compile(lap, target=target)(u, out)
    assert out.numpy() is back
    np.testing.assert_array_equal(back, want)


# -- property: every constructor and copy, host and (stand-in) device ------------------------------
_shapes = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=_shapes, dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**32 - 1),
       target=st.sampled_from(("serial", "cuda", "hip")))
def test_arrays_hold_what_numpy_holds(fake_gpu, shape, dtype, seed, target):
    rng = np.random.default_rng(seed)
    data = (rng.standard_normal(shape) * 100).astype(dtype)
    if np.dtype(dtype).kind == "c":
        data = data + 1j * rng.standard_normal(shape)
    device = target != "serial"
    before = hpcir.transfer_stats()
    x = hpcir.array(data, target=target)
    assert (x.shape, x.dtype, x.on_device) == (shape, np.dtype(dtype), device)
    np.testing.assert_array_equal(x.numpy(), data)
    moved = hpcir.transfer_stats() - before
    nbytes = data.nbytes if device else 0
    assert (moved.host_to_device, moved.device_to_host) == (nbytes, nbytes)
    z = hpcir.zeros(shape, dtype, target=target)
    y = hpcir.array(x, target=target)  # Array -> Array on one target: copied in place (device to device)
    before = hpcir.transfer_stats()
    z.copy_from(y)
    value = data.flat[0] if data.size else dtype(1)
    y.fill(value)
    assert (hpcir.transfer_stats() - before).total == 0
    np.testing.assert_array_equal(z.numpy(), data)
    np.testing.assert_array_equal(y.numpy(), np.full(shape, value, dtype))
    np.testing.assert_array_equal(hpcir.zeros(shape, dtype, target=target).numpy(), np.zeros(shape, dtype))
    z.copy_from(data[::-1] if data.ndim else data)  # host data in (reversed: not contiguous)
    np.testing.assert_array_equal(z.numpy(), data[::-1] if data.ndim else data)
    h = hpcir.array(z, target="cpu")  # across memories: through the host
    np.testing.assert_array_equal(h.numpy(), z.numpy())


# -- GPU targets, with the stand-in runtime ---------------------------------------------------------
def test_device_launch_loop_moves_no_data_and_numpy_arguments_move_every_launch(fake_gpu):
    x0, b0, w0 = _problem(300, seed=3)
    x, b, w = (hpcir.array(a, target="cuda") for a in (x0, b0, w0))
    g = hpcir.empty(300, target="cuda")
    before = hpcir.transfer_stats()
    norms = descend(x, b, w, g, steps=12)
    assert hpcir.transfer_stats() - before == hpcir.TransferStats()  # 36 launches, 0 bytes
    want_x, want_norms = descend_numpy(x0, b0, w0, 12)
    np.testing.assert_allclose(x.numpy(), want_x, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(norms, want_norms, rtol=1e-12)
    # The same loop on NumPy arrays: every launch stages its views in, and written ones back out.
    xn, gn = x0.copy(), np.empty(300)
    before = hpcir.transfer_stats()
    descend(xn, b0, w0, gn, steps=12, target="cuda")
    moved = hpcir.transfer_stats() - before
    v = 300 * 8  # bytes of one view
    per_step_in, per_step_out = (4 + 1 + 2) * v, (1 + 0 + 1) * v  # grad(x,b,w,g), sumsq(g), step(g,x)
    assert (moved.host_to_device, moved.device_to_host) == (12 * per_step_in, 12 * per_step_out)
    assert moved.copies == 12 * (7 + 2)
    np.testing.assert_allclose(xn, want_x, rtol=1e-13, atol=1e-15)


def test_device_arrays_reach_launches_as_device_descriptors(fake_gpu):
    x = hpcir.array(np.arange(6.0), target="cuda")
    d = device_array(x)
    cai = x.__cuda_array_interface__
    assert (d.ptr, d.shape, d.strides, d.dtype, d.device, d.obj) == (cai["data"][0], (6,), (8,), np.float64, "cuda", x)
    assert cai["typestr"] == "<f8" and cai["version"] == 3 and x.__dlpack_device__() == (2, 0)
    h = hpcir.array(np.arange(6.0), target="hip")
    assert not hasattr(h, "__cuda_array_interface__")  # HIP memory is reached through DLPack / the descriptor
    assert device_array(h).device == "hip" and h.__dlpack_device__() == (10, 0)
    hpcir.parallel_for(6, scale, a=2.0, x=h)  # targets hip: the Array's own
    np.testing.assert_array_equal(h.numpy(), 2.0 * np.arange(6.0))


def test_device_dlpack_capsule_describes_the_memory_and_keeps_the_array_alive(fake_gpu):
    x = hpcir.array(np.arange(12, dtype=np.int32).reshape(3, 4), target="cuda")
    ptr, base = x._ptr, exported_count()
    capsule = x.__dlpack__()
    get = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(("PyCapsule_GetPointer",
                                                                               ctypes.pythonapi))
    t = ManagedTensor.from_address(get(capsule, b"dltensor")).dl_tensor
    assert (t.data, t.device.device_type, t.device.device_id, t.ndim) == (ptr, 2, 0, 2)
    assert (t.dtype.code, t.dtype.bits, t.dtype.lanes) == (0, 32, 1)
    assert (t.shape[0], t.shape[1], t.strides[0], t.strides[1]) == (3, 4, 4, 1)
    with pytest.raises(ArgumentError, match="1 DLPack export.s. of it are still in use") as e:
        x.free()  # the consumer would read freed memory
    _located(e)
    del x, t, e  # (the error's traceback holds the Array too)
    gc.collect()
    assert ptr in ndarray._LIVE and exported_count() == base + 1  # the capsule holds the Array
    del capsule
    gc.collect()
    assert ptr not in ndarray._LIVE and exported_count() == base
    y = hpcir.zeros(3, target="cuda")
    with pytest.raises(BufferError, match="on DLPack device .2, 0., not .1, 0."):
        y.__dlpack__(dl_device=(1, 0))  # a consumer asking for host memory gets no device pointer
    assert exported_count() == base


def test_transfer_stats_reset_returns_the_counts_before(fake_gpu):
    hpcir.array(np.zeros(16), target="cuda")
    before = hpcir.transfer_stats(reset=True)
    assert before.host_to_device >= 128 and before.total == before.host_to_device + before.device_to_host
    assert hpcir.transfer_stats() == hpcir.TransferStats()
    hpcir.zeros(4, target="hip").numpy()
    assert hpcir.transfer_stats() == hpcir.TransferStats(0, 32, 1)


def test_device_arrays_are_freed_when_collected_or_freed(fake_gpu):
    x = hpcir.empty((64, 64), target="cuda")
    ptr = x._ptr
    assert ptr in ndarray._LIVE
    del x
    gc.collect()
    assert ptr not in ndarray._LIVE
    y = hpcir.zeros(10, target="hip")
    ptr = y._ptr
    y.free()
    y.free()  # twice is harmless
    assert ptr not in ndarray._LIVE and y.freed and "freed" in repr(y)
    assert hpcir.empty(0, target="cuda")._ptr == 0  # nothing allocated for no data


def test_gpu_arrays_of_other_libraries_are_copied_on_the_device(fake_gpu):
    """cupy / torch CUDA data into an Array of their GPU: device to device, nothing counted."""
    src = np.arange(12.0).reshape(3, 4)
    before = hpcir.transfer_stats()
    x = hpcir.array(ForeignGpuArray(src), target="cuda")
    y = hpcir.zeros((3, 4), target="cuda")
    y.copy_from(ForeignGpuArray(2 * src))
    assert (hpcir.transfer_stats() - before).total == 0
    assert x._ptr != src.ctypes.data  # a copy, not the same memory
    np.testing.assert_array_equal(x.numpy(), src)
    np.testing.assert_array_equal(y.numpy(), 2 * src)
    for bad, match in ((lambda: y.copy_from(ForeignGpuArray(src, dlpack_device=10)), "is a hip device array"),
                       (lambda: y.copy_from(ForeignGpuArray(np.asfortranarray(src))), "only C-contiguous"),
                       (lambda: y.copy_from(ForeignGpuArray(src.astype(np.float32))), "dtype float32"),
                       (lambda: hpcir.array(ForeignGpuArray(src), target="cpu"), "the Array is on 'cpu'")):
        with pytest.raises(ArgumentError, match=match) as e:
            bad()
        _located(e)


def test_numpy_conversion_of_device_arrays_is_explicit(fake_gpu):
    x = hpcir.array(np.arange(4.0), target="cuda")
    with pytest.raises(ArgumentError, match=r"np.asarray\(\) of an hpcir.Array on 'cuda' would copy 32 bytes") as e:
        np.asarray(x)
    assert e.value.loc.filename == __file__ and "x.numpy()" in e.value.hint
    before = hpcir.transfer_stats()
    np.testing.assert_array_equal(np.array(x), np.arange(4.0))  # np.array copies: asked for
    np.testing.assert_array_equal(np.asarray(x, copy=True), np.arange(4.0))
    assert (hpcir.transfer_stats() - before).device_to_host == 64


# -- bad input: located errors before anything runs -------------------------------------------------
def _located(excinfo) -> None:
    assert excinfo.value.loc is not None and excinfo.value.loc.filename == __file__, excinfo.value


def test_arrays_of_one_memory_are_refused_by_launches_on_another(fake_gpu):
    dev = hpcir.array(np.arange(5.0), target="cuda")
    host = hpcir.array(np.arange(5.0), target="cpu")
    with pytest.raises(ArgumentError, match="`x` is an hpcir.Array on 'cuda' but the launch targets 'cpu'") as e:
        hpcir.parallel_for(5, scale, a=2.0, x=dev, target="cpu")
    _located(e)
    assert "x.numpy()" in e.value.hint and "hpcir.array(x, target='cpu')" in e.value.hint
    with pytest.raises(ArgumentError, match="`x` is an hpcir.Array on 'cpu' but the launch targets 'cuda'") as e:
        hpcir.compile(scale, target="cuda")(5, a=2.0, x=host)
    _located(e)
    assert "hpcir.array(x, target='cuda')" in e.value.hint
    with pytest.raises(ArgumentError, match="`x` is an hpcir.Array on 'hip' but the launch targets 'cuda'"):
        hpcir.parallel_for(5, scale, a=2.0, x=hpcir.array(np.ones(5), target="hip"), target="cuda")
    with pytest.raises(ArgumentError, match="`g` .cuda memory. and `x` .host memory.") as e:
        hpcir.parallel_for(5, step, lr=1.0, g=dev, x=host)
    _located(e)
    with pytest.raises(ArgumentError, match="`x` is a host array but `g` is a cuda device array"):
        hpcir.parallel_for(5, step, lr=1.0, g=dev, x=np.zeros(5))
    np.testing.assert_array_equal(dev.numpy(), np.arange(5.0))  # nothing ran
    np.testing.assert_array_equal(host.numpy(), np.arange(5.0))


def test_require_device_arrays_refuses_numpy_on_gpu_launches(fake_gpu):
    y = np.arange(5.0)
    hpcir.config(require_device_arrays=True)
    try:
        with pytest.raises(ArgumentError, match="`x` is a host array: this cuda launch would copy it") as e:
            hpcir.parallel_for(5, scale, a=2.0, x=y, target="cuda")
        _located(e)
        assert "hpcir.array(x, target='cuda')" in e.value.hint
        hpcir.parallel_for(5, scale, a=2.0, x=y, target="serial")  # host launches are not concerned
        d = hpcir.array(np.arange(5.0), target="cuda")
        hpcir.parallel_for(5, scale, a=2.0, x=d)
    finally:
        assert hpcir.config(require_device_arrays=False)["require_device_arrays"] is False
    np.testing.assert_array_equal(y, 2.0 * np.arange(5.0))  # only the serial launch ran on it
    np.testing.assert_array_equal(d.numpy(), 2.0 * np.arange(5.0))


@pytest.mark.parametrize("target", ["serial", "cuda"])
def test_freed_arrays_are_refused_everywhere(fake_gpu, target):
    x = hpcir.zeros(5, target=target)
    x.free()
    for use in (lambda: hpcir.parallel_for(5, scale, a=2.0, x=x), lambda: x.numpy(), lambda: x.fill(1.0),
                lambda: x.copy_from(np.zeros(5)), lambda: hpcir.array(x), lambda: hpcir.zeros(5).copy_from(x),
                lambda: np.asarray(x), lambda: x.__dlpack__()):
        with pytest.raises(ArgumentError, match="was freed") as e:
            use()
        _located(e)


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_dtype_and_shape_mismatches_are_refused(fake_gpu, target):
    x = hpcir.zeros((2, 3), target=target)
    cases = [(lambda: x.copy_from(np.zeros((3, 2))), r"shape \(3, 2\), the Array \(2, 3\)"),
             (lambda: x.copy_from(np.zeros((2, 3), np.float32)), "dtype float32, the Array float64"),
             (lambda: x.copy_from(hpcir.zeros(6, target=target)), r"shape \(6,\)"),
             (lambda: x.copy_from(hpcir.zeros((2, 3), np.int32, target=target)), "dtype int32"),
             (lambda: hpcir.zeros(3, np.int32, target=target).fill(2.5), "2.5 is not a int32 value"),
             (lambda: hpcir.zeros(2, np.int32, target=target).copy_from([1.5, 2.0]), "dtype float64, the Array int32"),
             (lambda: hpcir.zeros(2, np.int8, target=target).copy_from([1, 300]), "some values do not fit in int8"),
             (lambda: hpcir.zeros(3, np.int8, target=target).fill(300), "300 does not fit in int8"),
             (lambda: hpcir.zeros(3, target=target).fill([1.0, 2.0]), "is not a float64 value"),
             (lambda: hpcir.parallel_for(6, scale, a=2.0, x=hpcir.zeros(6, np.int32, target=target)),
              "annotated View1D\\[float64\\] .* but got View1D\\[int32"),
             (lambda: hpcir.empty((2, -1), target=target), "not a tuple of non-negative ints"),
             (lambda: hpcir.empty("3", target=target), "not a tuple of non-negative ints"),
             (lambda: hpcir.empty((1,) * 9, target=target), "at most 8"),
             (lambda: hpcir.empty((1 << 40, 1 << 40), target=target), "more than any memory holds"),
             (lambda: hpcir.zeros((1 << 57,), np.int8, target=target), "cannot allocate 144115188075855872 bytes"
              if target == "cpu" else "alloc failed"),
             (lambda: hpcir.array(["a", "b"], target=target), "numbers and bools, not <U1"),
             (lambda: hpcir.empty(3, object, target=target), "numbers and bools, not object"),
             (lambda: hpcir.empty(3, "nonsense", target=target), "is not a dtype"),
             (lambda: hpcir.empty(3, target="jax"), "memory of a Kokkos target, not 'jax'"),
             (lambda: hpcir.empty(3, target="tpu"), "unknown target 'tpu'")]
    for bad, match in cases:
        with pytest.raises(hpcir.HpcirError, match=match) as e:
            bad()
        _located(e)
    np.testing.assert_array_equal(x.numpy(), np.zeros((2, 3)))
    x.copy_from([[1, 2, 3], [4, 5, 6]])  # Python ints into floats: a safe conversion
    np.testing.assert_array_equal(x.numpy(), np.arange(1.0, 7.0).reshape(2, 3))


def test_gpu_arrays_without_a_gpu_are_a_located_error():
    from hpcir.core.targets import get_target
    from hpcir.lowering import cannot_run_reason
    if cannot_run_reason(get_target("cuda")) is None:
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(hpcir.HpcirError, match="target 'cuda' has no device memory to allocate on this machine") as e:
        hpcir.zeros(4, target="cuda")
    _located(e)


def test_stencils_take_device_arrays_of_their_target_only(fake_gpu):
    @hpcir.stencil
    def copy(u: hpcir.Field[float, 2], out: hpcir.Field[float, 2]):
        out[0, 0] = u[0, 0]

    u, out = hpcir.zeros((4, 4), target="cuda"), hpcir.zeros((4, 4), target="cuda")
    with pytest.raises(hpcir.HpcirError, match="`u` is an hpcir.Array on 'cuda' but the launch targets 'serial'") as e:
        hpcir.compile(copy, target="serial")(u, out)
    _located(e)
    assert "u.numpy()" in e.value.hint
    host = hpcir.zeros((4, 4), target="cpu")
    with pytest.raises(hpcir.HpcirError, match="`u` is an hpcir.Array on 'cpu' but the launch targets 'cuda'") as e:
        hpcir.compile(copy, target="cuda")(host, out)
    _located(e)
    assert "hpcir.array(u, target='cuda')" in e.value.hint
    out.free()
    with pytest.raises(hpcir.HpcirError, match="argument `out` .* was freed") as e:
        hpcir.compile(copy, target="cuda")(u, out)
    _located(e)


# -- interpreter exit --------------------------------------------------------------------------------
def test_arrays_alive_at_exit_are_freed_before_kokkos_finalizes(tmp_path):
    """Arrays still referenced at exit (globals, cycles) are freed by hpcir's exit hook, which runs
    before the Kokkos::finalize one; the process exits cleanly."""
    script = tmp_path / "leave.py"
    script.write_text(textwrap.dedent(f"""
        import atexit, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import numpy as np
        import hpcir
        from hpcir import ndarray
        atexit.register(lambda: print("live at the end:", len(ndarray._LIVE)))  # runs last
        from device_fakes import host_memory_runtime
        ndarray._RUNTIMES["cuda"] = host_memory_runtime()
        kept = [hpcir.array(np.arange(1000.0), target="cuda") for _ in range(3)]
        cycle = [hpcir.zeros(10, target="cuda")]
        cycle.append(cycle)
        print("live:", len(ndarray._LIVE))
    """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["live: 4", "live at the end: 0"], proc.stdout
    assert proc.stderr == ""


# -- on a real GPU (skipped on machines without one: none has run yet) ------------------------------
def _gpu_skip(target: str):
    from hpcir.core.targets import get_target
    from hpcir.lowering import cannot_run_reason
    why = cannot_run_reason(get_target(target))
    return pytest.mark.skipif(why is not None, reason=f"{target}: {why}")


@pytest.mark.gpu
@pytest.mark.parametrize("target", [pytest.param(t, marks=_gpu_skip(t)) for t in ("cuda", "hip")])
def test_gpu_launch_loop_moves_no_data(target):
    x0, b0, w0 = _problem(100_000, seed=5)
    x, b, w = (hpcir.array(a, target=target) for a in (x0, b0, w0))
    g = hpcir.empty(len(b0), target=target)
    before = hpcir.transfer_stats()
    norms = descend(x, b, w, g, steps=10)
    assert hpcir.transfer_stats() - before == hpcir.TransferStats()
    want_x, want_norms = descend_numpy(x0, b0, w0, 10)
    np.testing.assert_allclose(x.numpy(), want_x, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(norms, want_norms, rtol=1e-10)
    y = hpcir.zeros(7, np.int32, target=target)
    y.fill(-3)
    z = hpcir.array(y)
    np.testing.assert_array_equal(z.numpy(), np.full(7, -3, np.int32))


@pytest.mark.gpu
@pytest.mark.parametrize("target", [pytest.param("cuda", marks=_gpu_skip("cuda"))])
def test_torch_reads_cuda_arrays_in_place(target):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA device")
    x = hpcir.array(np.arange(10.0), target=target)
    for t in (torch.from_dlpack(x), torch.as_tensor(x, device="cuda")):  # DLPack; CUDA Array Interface
        assert t.data_ptr() == x.__cuda_array_interface__["data"][0]
        t += 1
    np.testing.assert_array_equal(x.numpy(), np.arange(10.0) + 2)
