"""The XLA FFI handler that lets jax.ffi call compiled hpcir entries: built once per jaxlib, cached."""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hpcir.core.cache import cache_key, cached_build
from hpcir.core.errors import HpcirError

HANDLER = "HpcirEntryCall"
TARGET_NAME = "hpcir_entry_call"
MAX_VALUES = 16  # the handler's results buffer (reduction values of one entry)


def shim_source() -> str:
    """The C++ source of the handler (backends/templates/xla_ffi_call.cpp)."""
    return resources.files("hpcir.backends").joinpath("templates/xla_ffi_call.cpp").read_text()


def _compiler() -> str:
    for name in ("c++", "g++", "clang++"):
        path = shutil.which(name)
        if path:
            return path
    raise HpcirError("no C++ compiler on the PATH to build the XLA FFI handler",
                     hint="install g++ (Debian: apt-get install g++)")


# The platform a handler is built for -> the name jax.ffi.register_ffi_target takes.
XLA_PLATFORMS = {"host": "cpu", "cuda": "CUDA", "hip": "ROCM"}


def compile_command(include_dir: str, src: Path, out: Path, cuda: bool = False, platform: str = "host") -> list[str]:
    """The command that builds the handler for the host (g++), CUDA (nvcc) or HIP (hipcc)."""
    platform = "cuda" if cuda else platform
    if platform == "cuda":
        return ["nvcc", "-std=c++17", "-O2", "-shared", "-Xcompiler", "-fPIC", "-DHPCIR_FFI_CUDA",
                f"-I{include_dir}", "-x", "cu", str(src), "-o", str(out)]
    if platform == "hip":
        return ["hipcc", "-std=c++17", "-O2", "-shared", "-fPIC", "-DHPCIR_FFI_HIP", f"-I{include_dir}",
                "-x", "hip", str(src), "-o", str(out)]
    return [_compiler(), "-std=c++17", "-O2", "-shared", "-fPIC", "-w", f"-I{include_dir}", str(src), "-o", str(out)]


def compile_env(platform: str) -> dict[str, str]:
    """The compiler's environment: hipcc targets AMD GPUs unless the user says otherwise."""
    env = dict(os.environ)
    if platform == "hip" and not env.get("HIP_PLATFORM"):
        env["HIP_PLATFORM"] = "amd"
    return env


def build_handler(include_dir: str, jaxlib_version: str, cuda: bool = False, platform: str = "host") -> Path:
    """Compile the handler against jaxlib's FFI headers (cached per jaxlib version, platform and source)."""
    platform = "cuda" if cuda else platform
    source = shim_source()
    key = cache_key("xla-ffi-handler", jaxlib_version, source, platform)

    def build(work: Path) -> Path:
        src = work / "xla_ffi_call.cpp"
        src.write_text(source)
        out = work / "libhpcir_xla_ffi.so"
        try:
            proc = subprocess.run(compile_command(include_dir, src, out, platform=platform), cwd=work,
                                  capture_output=True, text=True, env=compile_env(platform))
        except FileNotFoundError as err:  # nvcc / hipcc not installed
            raise HpcirError(f"building the XLA FFI handler for {platform} needs {err.filename}, which is not on "
                             "the PATH", hint="install the GPU toolkit (CUDA: nvcc; ROCm: hipcc)") from None
        if proc.returncode != 0:
            raise HpcirError(f"building the XLA FFI handler failed:\n{proc.stderr[-2000:]}",
                             hint="check that jaxlib's headers (jax.ffi.include_dir()) match the installed jaxlib")
        return out

    return cached_build(key, build, kind="builds")


@cache
def handler_library(include_dir: str, jaxlib_version: str, platform: str = "host") -> Any:
    """The loaded handler library (ctypes) for the host, CUDA or HIP, built on first use."""
    return ctypes.CDLL(str(build_handler(include_dir, jaxlib_version, platform=platform)))
