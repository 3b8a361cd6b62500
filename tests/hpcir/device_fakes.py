"""Stand-ins for a GPU on machines without one, for the Python side of device arrays.

The memory runtime hpcir builds for a GPU target is the same C++ as the one built here for
`serial` (backends/device_memory.py: kokkos_malloc / deep_copy in the target's device space), so
installing the serial build as the 'cuda' (or 'hip') runtime runs the real allocation and copy
code, with host memory as the "device". Launches on 'cuda' go to serial-built entries whose
manifest says device views: their device-pointer entry is the serial one (host pointers), and a
NumPy launch counts the staging copies a CUDA entry would make. What this cannot show: that the
memory is on a GPU, and that CUDA kernels read it (compile-checked only, tests/backends)."""
from __future__ import annotations

import copy
import dataclasses
from types import SimpleNamespace

from hpcir import api, ndarray
from hpcir.backends.device_memory import MemoryRuntime
from hpcir.core.targets import get_target


def host_memory_runtime() -> MemoryRuntime:
    """The memory runtime built for serial (real C++, host memory), loaded as hpcir loads a GPU's."""
    return ndarray.memory_runtime(get_target("serial"))


def install_fake_gpu(monkeypatch, targets: tuple[str, ...] = ("cuda", "hip")) -> None:
    """Arrays on `targets` in host memory, and launches on them run by serial-built entries."""
    for name in targets:
        monkeypatch.setitem(ndarray._RUNTIMES, name, host_memory_runtime())
    real = api._compile

    def compile_as_gpu(spec, target, site=None):
        loaded = real(spec, "serial", site)
        if target not in targets:  # a host launch: the real thing
            return loaded
        entry = copy.copy(loaded.library[loaded.entry])
        entry.lib = SimpleNamespace(name=entry.lib.name, target=target)
        entry.params = [dataclasses.replace(p, space="device") if p.kind == "view" else p for p in entry.params]
        entry._device_fn = entry._fn  # "device" pointers are host pointers here
        return api._Loaded({loaded.entry: entry}, loaded.entry, spec)

    monkeypatch.setattr(api, "_compile", compile_as_gpu)


class ForeignGpuArray:
    """Host memory presented as another library's GPU array (CUDA Array Interface v3 and
    __dlpack_device__), as cupy arrays and torch CUDA tensors present theirs."""

    def __init__(self, a, dlpack_device: int = 2):
        self.a, self.dev = a, dlpack_device

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self.a.shape, "typestr": self.a.dtype.str, "version": 3, "data": (self.a.ctypes.data, False),
                "strides": None if self.a.flags.c_contiguous else self.a.strides}

    def __dlpack_device__(self) -> tuple[int, int]:
        return (self.dev, 0)
