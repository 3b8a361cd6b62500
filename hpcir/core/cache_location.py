"""Where hpcir's cache lives and what its folders hold: the root folder (HPCIR_CACHE_DIR or
~/.cache/hpcir), entry folders, and making folders inside it (repairing its layout).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from hpcir.core.errors import HpcirError


# What each folder of the cache holds (`hpcir cache info`); other folders are listed as they are.
KINDS = {
    "builds": "compiled kernel modules (JIT libraries)",
    "pch": "precompiled Kokkos headers",
    "probes": "compile and link flags of Kokkos installs",
    "checks": "passed GPU compile checks",
    "tiles": "autotuned tile sizes",
    "kokkos-runtime": "shared runtimes of static Kokkos installs",
    "kokkos": "Kokkos installs built by hpcir, their source and logs",
    "cuda-stub": "stand-in libcuda.so for machines without a driver",
    "failed": "sources and logs of failed builds",
    "locks": "lock files of builds in progress",
}
# Entry folders are content-addressed (<kind>/<xx>/<key>) in every kind except these.
_NOT_ENTRIES = ("kokkos", "failed", "locks", "cuda-stub")


class CacheError(HpcirError):
    """The cache folder cannot be used (not writable, a file in its place)."""


_HINT_WRITABLE = "make it writable, or set HPCIR_CACHE_DIR to a writable folder"


def _root_path() -> tuple[Path, str]:
    env = os.environ.get("HPCIR_CACHE_DIR")
    if env:
        return Path(env).expanduser().absolute(), "HPCIR_CACHE_DIR"
    return Path.home() / ".cache" / "hpcir", "the default; HPCIR_CACHE_DIR is unset"


def cache_root() -> Path:
    """The cache directory: `$HPCIR_CACHE_DIR`, else `~/.cache/hpcir` (created on demand).

    Raises CacheError, saying what to do, when it cannot be created (a file is in its place or in
    the place of a folder above it, or a folder above it is not writable)."""
    root, origin = _root_path()
    if root.is_dir():
        return root
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        blocker = next((p for p in (root, *root.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise CacheError(f"the hpcir cache folder {root} ({origin}) cannot be created: "
                             f"{blocker} is a file, not a folder",
                             hint="move that file away, or set HPCIR_CACHE_DIR to a writable folder") from None
        raise CacheError(f"the hpcir cache folder {root} ({origin}) cannot be created: "
                         f"{err.strerror or err}", hint="set HPCIR_CACHE_DIR to a writable folder") from None
    return root


def _not_writable(path: Path, err: OSError) -> CacheError:
    root = _root_path()[0]
    return CacheError(f"the hpcir cache {root} is not writable: {path}: {err.strerror or err}",
                      hint=_HINT_WRITABLE)


def warn(message: str) -> None:
    """One line on stderr: what the cache found and what it does about it."""
    print(f"hpcir: warning: {message}", file=sys.stderr, flush=True)


def make_dirs(path: Path) -> Path:
    """`mkdir -p path` inside the cache, removing a file found where one of its folders belongs
    (with a warning: the cache's own layout is repaired); CacheError if it is not writable."""
    path = Path(path)
    root = cache_root()
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except (FileExistsError, NotADirectoryError):
        pass
    except OSError as err:
        raise _not_writable(path, err) from None
    try:
        rel = path.relative_to(root)
    except ValueError:  # not ours to repair
        raise CacheError(f"{path} cannot be created: a file is in the place of one of its folders",
                         hint="move that file away") from None
    here = root
    for part in rel.parts:
        here = here / part
        if (here.exists() or here.is_symlink()) and not here.is_dir():
            warn(f"removed the file {here}, which stood where the cache keeps a folder")
            try:
                here.unlink()
            except OSError as err:
                raise _not_writable(here, err) from None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _not_writable(path, err) from None
    return path


def entry_dir(key: str, kind: str = "builds") -> Path:
    """Where the cache entry for `key` lives (it may not exist yet)."""
    return cache_root() / kind / key[:2] / key


def describe_root() -> tuple[Path, str]:
    """The cache folder and where it came from (HPCIR_CACHE_DIR or the default)."""
    return _root_path()
