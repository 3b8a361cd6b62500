"""hpcir: Python kernels, stencils, JAX and PyTorch lowered through MLIR to Kokkos C++, JAX and Torch.

    import hpcir
    @hpcir.kernel
    def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
        y[i] = a * x[i] + y[i]
    hpcir.parallel_for(n, axpy, a=2.0, x=x, y=y)
"""
from __future__ import annotations

from hpcir.core.errors import HpcirError, KernelCheckError, KernelIndexError, KernelZeroDivisionError
from .frontends.python.annotations import (Acc, TeamMember, View, View1D, View2D, View3D, View4D, View5D,
                                           bool_, complex64, complex128, double, float32, float64, int32,
                                           int64)
from .frontends.python.intrinsics import ATOMICS, PerTeam, PerThread, local, printf, single
from .frontends.python.kernel import Kernel, kernel
from .frontends.python.policies import (AUTO, ExecutionSpace, MDRangePolicy, RangePolicy, TeamPolicy,
                                        TeamThreadRange, TeamVectorRange, ThreadVectorRange)
from .api import (compile, config, default_target, lower, parallel_for, parallel_reduce, parallel_scan,
                  set_default_target)
from .ndarray import Array, array, empty, zeros
from .program import fence, program
from hpcir.core.transfers import TransferStats, transfer_stats
from .stencil_api import Field, stencil
from .stencil_fields import field_empty, field_zeros
from .interop import as_jax, as_torch

globals().update(ATOMICS)  # atomic_add, atomic_fetch_add, ... (kernel intrinsics)

__version__ = "0.1.0"


def __getattr__(name: str):  # graph frontends load JAX / torch lazily
    if name in ("from_jax", "from_torch", "export"):
        from . import graph_api
        return getattr(graph_api, name)
    if name == "fft":  # hpcir.fft.fftn / ifftn / rfftn / irfftn (FFTW between launches)
        import importlib
        return importlib.import_module("hpcir.fft")
    raise AttributeError(f"module 'hpcir' has no attribute {name!r}")
