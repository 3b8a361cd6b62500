"""Writing and removing files in the cache safely: atomic writes, cross-process locks, disk usage."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from hpcir.core.cache_location import _not_writable, cache_root, make_dirs


class _CacheLock(FileLock):
    """A FileLock whose failure to create its file is a CacheError, not an OSError."""

    def acquire(self, *args, **kwargs):  # type: ignore[override]
        try:
            return super().acquire(*args, **kwargs)
        except Timeout:
            raise
        except OSError as err:
            raise _not_writable(Path(self.lock_file), err) from None


def file_lock(name: str, timeout: float = -1) -> FileLock:
    """A cross-process lock `<cache>/locks/<name>.lock` (wait forever by default).

    A lock file may be deleted by whoever holds its lock (cached_build does, when done; the sweep
    does for locks nobody holds): filelock notices a deleted file and locks the new one."""
    lock_dir = make_dirs(cache_root() / "locks")
    return _CacheLock(str(lock_dir / f"{name}.lock"), timeout=timeout)


@contextlib.contextmanager
def _held_by_nobody(lock_path: Path, look_only: bool = False) -> Iterator[bool]:
    """Take the lock at `lock_path` if nobody holds it (yields False if somebody does); on exit,
    delete its file and release it. `look_only`: create and delete nothing (a dry run)."""
    if look_only and not lock_path.exists():
        yield True
        return
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    except OSError:  # cannot even create the lock file (read-only cache): touch nothing
        yield False
        return
    try:
        yield True
    finally:
        if not look_only:
            with contextlib.suppress(OSError):
                lock_path.unlink()
        lock.release()


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


def disk_usage(path: Path) -> int:
    """Bytes a file or folder takes on disk (symbolic links are not followed)."""
    total = 0
    try:
        st = path.lstat()
    except OSError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return st.st_blocks * 512
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames + dirnames:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def _scandir(path: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []
