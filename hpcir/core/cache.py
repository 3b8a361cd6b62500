"""hpcir's on-disk cache: content-addressed build entries, verified before use, atomic writes,
cross-process locks, and the repair of what killed builds and damaged files leave behind.

Layout: `<root>/<kind>/<key[:2]>/<key>/` holds one entry: what its build made, and `ENTRY.json`,
written last, naming the artifact and recording every file's size and sha256. Each lookup checks
the files against that record (size always, content once per process and file version) before
anything uses them, so a truncated, swapped or edited library is rebuilt instead of loaded.
docs/reliability.md, "The cache", says what is verified and repaired.

The cache is built from small modules, re-exported here: cache_location (the folders),
cache_keys, cache_files (atomic writes, locks), cache_records (ENTRY.json and its checks),
cache_sweep (leftovers of killed builds) and cache_clean (`hpcir cache info | clean`).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hpcir.core.cache_clean import KindUsage, clean, usage
from hpcir.core.cache_files import atomic_write_bytes, atomic_write_text, disk_usage, file_lock
from hpcir.core.cache_keys import cache_key
from hpcir.core.cache_location import (KINDS, CacheError, _not_writable, cache_root, describe_root, entry_dir,
                                       make_dirs, warn)
from hpcir.core.cache_records import (_FORMAT, MANIFEST, _read_entry, _record_files, _remove_tree, file_sha256,
                                      verify_artifact)
from hpcir.core.cache_sweep import (_TRASH_SUFFIX, _WORK_SUFFIX, KOKKOS_INSTALL_MARKER, STALE_AFTER_S, sweep,
                                    sweep_once)

__all__ = ["CacheError", "KINDS", "KOKKOS_INSTALL_MARKER", "KindUsage", "MANIFEST", "STALE_AFTER_S",
           "atomic_write_bytes", "atomic_write_text", "cache_key", "cache_root", "cached_build", "clean",
           "describe_root", "discard", "disk_usage", "entry_dir", "file_lock", "file_sha256", "lookup",
           "make_dirs", "sweep", "sweep_once", "usage", "verify_artifact", "warn"]


def lookup(key: str, kind: str = "builds") -> Path | None:
    """The artifact of a complete, intact entry, or None when `key` was never built or its entry
    is damaged (cached_build then rebuilds it, with a warning)."""
    sweep_once()
    return _read_entry(key, kind)[0]


def _install_entry(work: Path, final: Path, key: str) -> None:
    """Move the finished working folder into place, setting aside whatever was there."""
    if final.exists() or final.is_symlink():
        trash = final.with_name(f".{key}.{secrets.token_hex(4)}{_TRASH_SUFFIX}")
        os.replace(final, trash)
        os.replace(work, final)
        _remove_tree(trash)
    else:
        os.replace(work, final)


def discard(key: str, kind: str = "builds") -> None:
    """Remove an entry (an intact one that proved unusable): the next cached_build rebuilds it."""
    entry = entry_dir(key, kind)
    lock = file_lock(f"{kind}-{key}")
    with lock:
        _remove_tree(entry)
        with contextlib.suppress(OSError):
            Path(lock.lock_file).unlink()


def cached_build(key: str, build_fn: Callable[[Path], Path], kind: str = "builds") -> Path:
    """Run `build_fn(workdir) -> artifact` once per key and return the cached artifact's path.

    `build_fn` gets an empty directory on the cache's file system and returns the artifact it
    made inside it. The whole directory becomes the entry by one rename, so a process never
    sees a half-written entry; concurrent callers with the same key wait on a lock and reuse
    the first one's result. If `build_fn` raises, nothing is cached. An entry whose files differ
    from what was recorded when it was built is rebuilt, with a one-line warning.
    """
    found = lookup(key, kind)
    if found is not None:
        return found
    final = entry_dir(key, kind)
    make_dirs(final.parent)
    lock = file_lock(f"{kind}-{key}")
    with lock:
        try:
            found, problem = _read_entry(key, kind)  # another process may have finished meanwhile
            if found is not None:
                return found
            if problem is not None:
                warn(f"the cache entry {final} is damaged ({problem}); rebuilding it")
            try:
                work = Path(tempfile.mkdtemp(dir=make_dirs(final.parent), prefix=f".{key}.",
                                             suffix=_WORK_SUFFIX))
            except OSError as err:  # (make_dirs again: `hpcir cache clean` may have removed it)
                raise _not_writable(final.parent, err) from None
            try:
                artifact = Path(build_fn(work))
                rel = artifact.resolve().relative_to(work.resolve()).as_posix()
                record = {"format": _FORMAT, "artifact": rel, "built": time.time(),
                          "files": _record_files(work)}
                atomic_write_text(work / MANIFEST, json.dumps(record, indent=1) + "\n")
                _install_entry(work, final, key)
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
        finally:
            # Done (or failed) with the key: its lock file goes while the lock is still held.
            with contextlib.suppress(OSError):
                Path(lock.lock_file).unlink()
    return final / rel
