"""A stand-in libcuda.so, so that CUDA programs link (and cannot run) on machines without a driver."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hpcir.core.cache import atomic_write_text, cache_root, file_lock
from hpcir.core.errors import KokkosNotFoundError

# The driver entry points Kokkos calls directly (3.4: none; 4.x: the stream/context ones), and
# their versioned names in cuda.h; each answers CUDA_ERROR_NO_DEVICE (100).
STUB_DRIVER_SYMBOLS = ("cuStreamGetCtx", "cuStreamGetCtx_v2", "cuCtxPushCurrent", "cuCtxPushCurrent_v2",
                       "cuCtxPopCurrent", "cuCtxPopCurrent_v2", "cuCtxGetDevice", "cuCtxGetCurrent",
                       "cuGetErrorString", "cuGetErrorName", "cuInit", "cuDriverGetVersion")
STUB_NOTE = "linked against a stand-in libcuda.so: compile checks only"


def stub_driver_source() -> str:
    """C source of the stand-in libcuda.so (every function fails with CUDA_ERROR_NO_DEVICE)."""
    body = "".join(f"int {name}(void) {{ return 100; }}\n" for name in STUB_DRIVER_SYMBOLS)
    return "/* hpcir's stand-in CUDA driver: links CUDA programs on machines without a GPU. */\n" + body


def build_stub_driver(dest: Path) -> Path:
    """Compile the stand-in driver to `dest` (a libcuda.so path); returns `dest`."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise KokkosNotFoundError("no C compiler (cc / gcc) to build the stand-in libcuda.so",
                                  hint="install gcc, or set CUDA_cuda_driver_LIBRARY to a libcuda.so")
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = dest.with_suffix(".c")
    atomic_write_text(src, stub_driver_source())
    tmp = dest.with_name(dest.name + ".tmp")
    proc = subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp), str(src)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise KokkosNotFoundError(f"building the stand-in libcuda.so failed:\n{proc.stderr.strip()}",
                                  hint="set CUDA_cuda_driver_LIBRARY to a libcuda.so")
    tmp.replace(dest)  # complete or absent, never half-written
    return dest


def shared_stub_driver() -> Path:
    """The cache's stand-in libcuda.so for a user's CUDA Kokkos (built on first use)."""
    dest = cache_root() / "cuda-stub" / "libcuda.so"
    with file_lock("cuda-stub-driver"):
        if not dest.is_file() or not dest.with_suffix(".c").is_file() or \
                dest.with_suffix(".c").read_text() != stub_driver_source():
            build_stub_driver(dest)
    return dest
