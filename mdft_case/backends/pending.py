"""Backends of issue 13 gated by feature checks: hpcir-* (serial, cpu, jax and torch run; the rest say why) and
kokkos-cpp (runs where CMake and FFTW3 are installed)."""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from .base import Backend, Evaluator, Problem

HERE = Path(__file__).resolve().parent.parent      # mdft_case/
HOST_TARGETS = ("serial", "cpu")                   # the hpcir targets whose backends run today
ARRAY_TARGETS = ("jax", "torch")                   # the same kernels translated to array code


def _gpu(target: str) -> str | None:
    """Why `target` (cuda / hip) has no device here, or None."""
    if target == "cuda" and shutil.which("nvidia-smi") is None and not os.path.exists("/dev/nvidia0"):
        return "no NVIDIA GPU on this machine"
    if target == "hip" and not os.path.exists("/dev/kfd"):
        return "no AMD GPU on this machine"
    return None


def hpcir_missing() -> list[str]:
    """The kernel-language features the hpcir MDFT kernels need that this hpcir build lacks."""
    import hpcir

    need = {"complex numbers (hpcir.complex128)": hasattr(hpcir, "complex128"),
            "hpcir.fft": hasattr(hpcir, "fft")}
    return [name for name, have in need.items() if not have]


class HpcirBackend(Backend):
    """`hpcir-<target>`: the hot kernels written once as @hpcir.kernel code, run on one target."""

    module = "hpcir.mdft_case.hpcir_kernels"

    def __init__(self, target: str):
        self.target = target
        self.name = f"hpcir-{target}"
        self.source = str(HERE / "hpcir_kernels.py")

    def unavailable(self) -> str | None:
        reasons = []
        missing = hpcir_missing()
        if missing:
            reasons.append(f"hpcir kernels need {' and '.join(missing)}, not available in this build")
        if importlib.util.find_spec(self.module) is None:
            reasons.append("the hpcir version of the MDFT kernels (mdft_case/hpcir_kernels.py) is not written yet")
        gpu = _gpu(self.target) if self.target in ("cuda", "hip") else None
        if gpu:
            reasons.append(gpu)
        if self.target in ARRAY_TARGETS and importlib.util.find_spec(self.target) is None:
            lib = "JAX" if self.target == "jax" else "PyTorch"
            reasons.append(f"{lib} is not installed (pip install 'hpcir[graph]')")
        if not reasons and self.target in HOST_TARGETS + ARRAY_TARGETS:
            return None
        if not reasons and self.target in ("cuda", "hip"):
            reasons.append("the device path (data resident on the GPU between kernels) is not wired yet")
        if not reasons:
            reasons.append(f"hpcir-{self.target} (the kernels emitted as {self.target} code) is not wired yet")
        return "; ".join(reasons)

    def evaluator(self, problem: Problem) -> Evaluator:
        why = self.unavailable()
        if why:
            raise RuntimeError(why)
        if self.target == "jax":
            from .hpcir_array_backend import HpcirJaxEvaluator
            return HpcirJaxEvaluator(problem)
        if self.target == "torch":
            from .hpcir_array_backend import HpcirTorchEvaluator
            # HPCIR_MDFT_TORCH_EAGER=1: without torch.compile, as for the `torch` backend
            return HpcirTorchEvaluator(problem, compiled=os.environ.get("HPCIR_MDFT_TORCH_EAGER") != "1")
        from .hpcir_backend import HpcirEvaluator
        return HpcirEvaluator(problem, self.target)


class KokkosCppBackend(Backend):
    """`kokkos-cpp`: hand-written Kokkos C++ with FFTW, built by the top-level CMake, called via a C ABI."""

    name = "kokkos-cpp"

    def __init__(self):
        self.source = str(HERE / "kokkos_cpp" / "mdft_kernels.cpp")

    def unavailable(self) -> str | None:
        from .kokkos_cpp_backend import missing_tools
        return missing_tools()

    def evaluator(self, problem: Problem) -> Evaluator:
        from .kokkos_cpp_backend import KokkosCppEvaluator
        return KokkosCppEvaluator(problem)
