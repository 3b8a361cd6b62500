"""The memory runtime of hpcir.Array (backends/device_memory.py): built for serial and run for
real (kokkos_malloc in HostSpace, deep_copy, fill); the CUDA and HIP builds of the same source are
compile-checked against Kokkos CUDA / HIP installs (no GPU on these machines)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpcir.backends.build import build_shared_library, compile_only
from hpcir.backends.device_memory import DeviceMemoryError, MemoryRuntime, memory_sources, module_name
from hpcir.backends.runtime import load_module
from hpcir.backends.toolchain.kokkos_install import find_kokkos
from hpcir.core.errors import KokkosNotFoundError
from hpcir.core.targets import get_target
from hpcir.lowering import kokkos_for

DTYPES = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64, np.complex64, np.complex128)


@pytest.fixture(scope="module")
def runtime() -> MemoryRuntime:
    t = get_target("serial")
    return MemoryRuntime(load_module(build_shared_library(memory_sources(t), t, kokkos_for(t), module_name(t))).cdll,
                         "serial")


def _data(n: int, dtype, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(n) * 1000).astype(dtype)
    return a + 1j * rng.standard_normal(n).astype(dtype) if np.dtype(dtype).kind == "c" else a


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3000), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**32 - 1))
def test_copies_and_fills_round_trip(runtime, n, dtype, seed):
    a, b = _data(n, dtype, seed), _data(n, dtype, seed + 1)
    p, q = runtime.alloc(a.nbytes), runtime.alloc(a.nbytes)
    try:
        runtime.copy_in(p, a)
        runtime.copy(q, p, a.nbytes)
        runtime.copy_in(p, b)  # q keeps a
        out = np.empty_like(a)
        runtime.copy_out(out, q)
        np.testing.assert_array_equal(out, a)
        runtime.copy_out(out, p)
        np.testing.assert_array_equal(out, b)
        runtime.fill(p, n, np.asarray(a[n // 2]))  # every bit pattern of the element, not just zeros
        runtime.copy_out(out, p)
        np.testing.assert_array_equal(out, np.full(n, a[n // 2]))
        if n > 1:
            runtime.fill(q, n - 1, np.asarray(b[0]))  # a count, not the allocation, bounds the fill
            runtime.copy_out(out, q)
            np.testing.assert_array_equal(out, np.concatenate([np.full(n - 1, b[0]), a[-1:]]))
    finally:
        runtime.free(p)
        runtime.free(q)


def test_failures_are_errors_not_crashes(runtime):
    with pytest.raises(DeviceMemoryError, match="alloc failed"):
        runtime.alloc(1 << 62)
    p = runtime.alloc(32)
    try:
        with pytest.raises(DeviceMemoryError, match="elements of 3 bytes are not supported"):
            runtime.fill(p, 1, np.zeros((), "S3"))
    finally:
        runtime.free(p)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_gpu_memory_runtime_compiles(target):
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    t = get_target(target)
    sources = memory_sources(t)
    cpp = sources[f"{module_name(t)}.cpp"]
    assert f"using device_space = {t.device_space};" in cpp and "kokkos_malloc<" in cpp
    compile_only(sources, t, install)
