"""Facts about the host machine that cached results depend on (CPU model, caches, threads)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

DEFAULT_L2_BYTES = 1 << 20


def find_cuda_driver() -> Path | None:
    """The real libcuda.so of this machine, if it has an NVIDIA driver (toolkit stubs excluded)."""
    dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    dirs += ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64",
             "/usr/local/nvidia/lib", "/usr/lib/wsl/lib"]
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
        dirs += [line.split("=>")[-1].strip().rsplit("/", 1)[0]
                 for line in out.splitlines() if "libcuda.so" in line]
    except OSError:
        pass
    for d in dirs:
        if "stubs" in d:
            continue
        for name in ("libcuda.so", "libcuda.so.1"):
            p = Path(d) / name
            if p.exists():
                return p
    return None


def host_cpu_id() -> str:
    """The host CPU's model and feature flags: `-march=native` builds are only valid on such a CPU
    (a cache in a home directory shared by different cluster nodes must not mix them)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        import platform
        return platform.machine() + platform.processor()
    keep = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags", "Features", "CPU part"))]
    return "\n".join(sorted(set(keep)))


def host_l2_bytes() -> int:
    """This machine's L2 cache size per core (sysconf), else 1 MiB."""
    try:
        size = os.sysconf("SC_LEVEL2_CACHE_SIZE")
    except (ValueError, OSError, AttributeError):
        size = 0
    return size if size and size > 0 else DEFAULT_L2_BYTES


def host_threads_id() -> tuple[int, str]:
    """The CPUs this process may use and the OpenMP thread settings: timings depend on both."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    omp = ",".join(f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES",
                                                     "HPCIR_NUM_THREADS")  # it wins over OMP_NUM_THREADS
                   if k in os.environ)
    return cpus, omp


def _device_count(library: str, init: str | None, count: str) -> int | None:
    """Devices a GPU runtime library reports, or None when the library cannot be loaded or fails."""
    import ctypes
    try:
        lib = ctypes.CDLL(library)
        if init is not None and getattr(lib, init)(0) != 0:
            return None
        n = ctypes.c_int(0)
        if getattr(lib, count)(ctypes.byref(n)) != 0:
            return None
        return n.value
    except (OSError, AttributeError):
        return None


def gpu_unavailable_reason(target_name: str) -> str | None:
    """Why this machine cannot run kernels of a GPU target (None: it can): a driver and a device."""
    if target_name == "cuda":
        driver = find_cuda_driver()
        if driver is None:
            return "no NVIDIA driver (libcuda.so) on this machine"
        n = _device_count(str(driver), "cuInit", "cuDeviceGetCount")
        return None if n else "the NVIDIA driver reports no CUDA device"
    if target_name == "hip":
        n = _device_count("libamdhip64.so", None, "hipGetDeviceCount")
        return None if n else "no ROCm runtime (libamdhip64.so) with a visible AMD GPU"
    return f"target {target_name!r} is not a GPU target"
