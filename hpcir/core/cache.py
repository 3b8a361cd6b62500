"""hpcir's on-disk cache: content-addressed build entries, atomic writes, cross-process locks."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

# A complete cache entry holds this file, written last, naming the artifact inside the entry.
_MARKER = "ARTIFACT"


def cache_root() -> Path:
    """The cache directory: `$HPCIR_CACHE_DIR`, else `~/.cache/hpcir` (created on demand)."""
    env = os.environ.get("HPCIR_CACHE_DIR")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "hpcir"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _canonical(part: object) -> bytes:
    """A stable byte encoding of one key part (dicts by sorted key, paths as text)."""
    if isinstance(part, bytes):
        return part
    if isinstance(part, str):
        return part.encode()
    if isinstance(part, Path):
        return str(part).encode()
    return json.dumps(part, sort_keys=True, default=str).encode()


def cache_key(*parts: object) -> str:
    """sha256 over the parts (source text, target, compiler + version, flags, Kokkos config)."""
    h = hashlib.sha256()
    for part in parts:
        data = _canonical(part)
        # Length-prefix every part so ("ab", "c") and ("a", "bc") hash differently.
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def file_lock(name: str, timeout: float = -1) -> FileLock:
    """A cross-process lock `<cache>/locks/<name>.lock` (wait forever by default)."""
    lock_dir = cache_root() / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(lock_dir / f"{name}.lock"), timeout=timeout)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see either the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Text variant of `atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode())


def entry_dir(key: str, kind: str = "builds") -> Path:
    """Where the cache entry for `key` lives (it may not exist yet)."""
    return cache_root() / kind / key[:2] / key


def lookup(key: str, kind: str = "builds") -> Path | None:
    """The artifact of a complete entry, or None when `key` was never built."""
    entry = entry_dir(key, kind)
    marker = entry / _MARKER
    if not marker.is_file():
        return None
    artifact = entry / marker.read_text().strip()
    return artifact if artifact.exists() else None


def cached_build(key: str, build_fn: Callable[[Path], Path], kind: str = "builds") -> Path:
    """Run `build_fn(workdir) -> artifact` once per key and return the cached artifact's path.

    `build_fn` gets an empty directory on the cache's file system and returns the artifact it
    made inside it. The whole directory becomes the entry by one rename, so a process never
    sees a half-written entry; concurrent callers with the same key wait on a lock and reuse
    the first one's result. If `build_fn` raises, nothing is cached.
    """
    found = lookup(key, kind)
    if found is not None:
        return found
    final = entry_dir(key, kind)
    final.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(f"{kind}-{key}"):
        found = lookup(key, kind)  # another process may have finished while we waited
        if found is not None:
            return found
        work = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{key[:16]}.", suffix=".tmp"))
        try:
            artifact = Path(build_fn(work))
            rel = artifact.resolve().relative_to(work.resolve())
            atomic_write_text(work / _MARKER, str(rel))
            if final.exists():  # an incomplete leftover (crash before the marker): replace it
                shutil.rmtree(final)
            os.replace(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return final / rel
