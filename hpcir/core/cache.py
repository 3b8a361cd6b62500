"""hpcir's on-disk cache: content-addressed build entries, verified before use, atomic writes,
cross-process locks, and the repair of what killed builds and damaged files leave behind.

Layout: `<root>/<kind>/<key[:2]>/<key>/` holds one entry: what its build made, and `ENTRY.json`,
written last, naming the artifact and recording every file's size and sha256. Each lookup checks
the files against that record (size always, content once per process and file version) before
anything uses them, so a truncated, swapped or edited library is rebuilt instead of loaded.
docs/reliability.md, "The cache", says what is verified and repaired.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout


from hpcir.core.elf import elf_problem
from hpcir.core.errors import HpcirError
from hpcir.core.units import format_duration

# A complete entry holds this record, written last (a folder without it is never used).
MANIFEST = "ENTRY.json"
_FORMAT = 2
# Format 1 (hpcir before the record): a text file ARTIFACT naming the artifact, no checksums.
# Such an entry is adopted on first use when its libraries pass the ELF check (elf_problem): its
# record is made then, and from then on it is verified like any other.
_LEGACY_MARKER = "ARTIFACT"
# A build's working folder `.<key>.<random>.building` and an entry being replaced,
# `.<key>.<random>.discarded`, live beside the entry while their builder holds the key's lock.
_WORK_SUFFIX = ".building"
_TRASH_SUFFIX = ".discarded"
# Names with no lock to ask (temporary files of atomic writes, older versions' work folders) are
# left alone this long: no write or build takes that long, so older ones were interrupted.
STALE_AFTER_S = 3600.0
# The last-use time (the record's mtime, for `hpcir cache clean --older-than`) is refreshed at most
# this often, so that loading an entry rarely writes.
_TOUCH_EVERY_S = 3600.0
# What hpcir writes last into a Kokkos it built (backends/toolchain/kokkos_install.INSTALL_MARKER;
# the core imports nothing of hpcir, tests/backends/test_cache_repair.py checks they agree).
KOKKOS_INSTALL_MARKER = "hpcir-kokkos.json"

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


def entry_dir(key: str, kind: str = "builds") -> Path:
    """Where the cache entry for `key` lives (it may not exist yet)."""
    return cache_root() / kind / key[:2] / key


# ------------------------------------------------------------------ verification


def file_sha256(path: Path) -> str:
    """The sha256 of a file's content."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# (path, device, inode, size, mtime, ctime) -> sha256 of a file this process has hashed: a file
# that was replaced or written since has another inode or ctime and is hashed again.
_HASHED: dict[tuple, str] = {}


def _hash_once(path: Path, st: os.stat_result) -> str:
    memo = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    digest = _HASHED.get(memo)
    if digest is None:
        digest = file_sha256(path)
        if len(_HASHED) > 65536:
            _HASHED.clear()
        _HASHED[memo] = digest
    return digest


def _record_files(work: Path) -> dict[str, dict]:
    """Size and sha256 of every regular file under `work` (symbolic links by their target)."""
    files: dict[str, dict] = {}
    for dirpath, dirnames, filenames in os.walk(work):
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            p = Path(dirpath, name)
            rel = p.relative_to(work).as_posix()
            if rel == MANIFEST:
                continue
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                files[rel] = {"link": os.readlink(p)}
            elif stat.S_ISREG(st.st_mode):
                files[rel] = {"size": st.st_size, "sha256": _hash_once(p, st)}
    return files


def _files_problem(entry: Path, files: dict[str, dict]) -> str | None:
    """What is wrong with an entry's files compared with their record (None: nothing)."""
    for rel, rec in files.items():
        p = entry / rel
        try:
            st = p.lstat()
        except OSError:
            return f"{rel} is missing"
        if "link" in rec:
            if not stat.S_ISLNK(st.st_mode) or os.readlink(p) != rec["link"]:
                return f"{rel} is not the link it was"
            continue
        if not stat.S_ISREG(st.st_mode):
            return f"{rel} is not a regular file"
        if st.st_size != rec["size"]:
            return f"{rel} has {st.st_size} bytes, {rec['size']} were written (truncated or replaced)"
        try:
            digest = _hash_once(p, st)
        except OSError as err:
            return f"{rel} cannot be read: {err.strerror or err}"
        if digest != rec["sha256"]:
            return f"{rel} is not the file that was built (its sha256 changed)"
    return None


def _read_entry(key: str, kind: str) -> tuple[Path | None, str | None]:
    """(the artifact of a complete, intact entry or None, what is wrong with a damaged one or None).

    An absent entry, or a folder without a record (an older hpcir's entry, or one whose removal
    was interrupted), is (None, None): it is rebuilt without a warning."""
    entry = entry_dir(key, kind)
    try:
        st = entry.lstat()
    except OSError:
        return None, None
    if not stat.S_ISDIR(st.st_mode):
        return None, "it is a file, not a folder"
    record_path = entry / MANIFEST
    try:
        text = record_path.read_text()
    except FileNotFoundError:
        return _adopt(entry), None
    except OSError as err:
        return None, f"{MANIFEST} cannot be read: {err.strerror or err}"
    try:
        record = json.loads(text)
        artifact = entry / record["artifact"]
        files = record["files"]
        rel = record["artifact"]
        if not isinstance(files, dict) or rel != "." and rel not in files and \
                not any(k.startswith(rel + "/") for k in files):
            raise ValueError("the artifact is not recorded")
    except (ValueError, KeyError, TypeError):
        return None, f"its record {MANIFEST} is damaged"
    problem = _files_problem(entry, files)
    if problem is not None:
        return None, problem
    _touch(record_path)
    return artifact, None


def _adopt(entry: Path) -> Path | None:
    """The artifact of a format-1 entry, recorded now; None if it is incomplete or a library in
    it is cut short (then it is rebuilt). A read-only cache keeps using it unrecorded."""
    try:
        rel = (entry / _LEGACY_MARKER).read_text().strip()
    except OSError:
        return None
    artifact = entry / rel
    if not rel or not artifact.exists():
        return None
    files = _record_files(entry)
    if any(elf_problem(entry / f) for f in files if f.endswith(".so") or ".so." in f):
        return None
    record = {"format": _FORMAT, "artifact": Path(rel).as_posix(), "adopted": time.time(), "files": files}
    with contextlib.suppress(OSError):
        atomic_write_text(entry / MANIFEST, json.dumps(record, indent=1) + "\n")
    return artifact


def _touch(record_path: Path) -> None:
    """Mark an entry used now (its record's mtime), at most once an hour; never fails."""
    with contextlib.suppress(OSError):
        if time.time() - record_path.stat().st_mtime > _TOUCH_EVERY_S:
            os.utime(record_path)


def lookup(key: str, kind: str = "builds") -> Path | None:
    """The artifact of a complete, intact entry, or None when `key` was never built or its entry
    is damaged (cached_build then rebuilds it, with a warning)."""
    sweep_once()
    return _read_entry(key, kind)[0]


def verify_artifact(path: Path) -> str | None:
    """What is wrong with a file inside a cache entry, compared with the entry's record (None:
    intact, or not inside a recorded entry). The record names every file of the entry, so this is
    the same check as `lookup`'s; within one process a file is hashed once."""
    path = Path(path).absolute()
    for entry in path.parents:
        record_path = entry / MANIFEST
        if record_path.is_file():
            try:
                files = json.loads(record_path.read_text())["files"]
            except (OSError, ValueError, KeyError, TypeError):
                return f"the record {record_path} is damaged"
            rel = path.relative_to(entry).as_posix()
            if rel not in files:
                return None
            return _files_problem(entry, {rel: files[rel]})
    return None


def _remove_tree(path: Path) -> int:
    """Remove a file or folder; returns the bytes it took on disk (errors ignored)."""
    size = disk_usage(path)
    try:
        if path.is_dir() and not path.is_symlink():
            # An entry loses its record first: a removal cut short leaves an incomplete entry,
            # which is never used.
            with contextlib.suppress(OSError):
                (path / MANIFEST).unlink()
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass
    return size


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


# ------------------------------------------------------------------ leftovers of killed builds


_SWEPT: set[str] = set()


def sweep_once() -> None:
    """Remove what killed builds left in this cache, once per process (a few milliseconds)."""
    root = _root_path()[0]
    if str(root) in _SWEPT:
        return
    _SWEPT.add(str(root))
    if root.is_dir():
        sweep(root)


def _age(path: Path, now: float) -> float:
    try:
        return now - path.lstat().st_mtime
    except OSError:
        return 0.0


def _scandir(path: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def sweep(root: Path | None = None, dry_run: bool = False) -> list[tuple[Path, int]]:
    """Remove the leftovers of builds that were killed, and lock files nobody holds; returns what
    was (or, with dry_run, would be) removed, with the bytes each took.

    A working folder is removed only when no live process holds its key's lock (a builder holds
    it from creating the folder until the entry is in place; a killed process holds nothing);
    files with no lock to ask (temporary files of atomic writes, older versions' folders) only
    when older than STALE_AFTER_S. Nothing a live build uses is touched.
    """
    root = Path(root) if root is not None else cache_root()
    now = time.time()
    removed: list[tuple[Path, int]] = []
    locks = root / "locks"

    def drop(path: Path) -> None:
        removed.append((path, disk_usage(path) if dry_run else _remove_tree(path)))

    def drop_if_free(path: Path, lock_name: str) -> None:
        with _held_by_nobody(locks / f"{lock_name}.lock", look_only=dry_run) as free:
            if free:
                drop(path)

    def stray(path: Path) -> bool:  # a temporary name with no lock: by its age
        return path.name.startswith(".") and path.name.endswith(".tmp") and _age(path, now) > STALE_AFTER_S

    for top in _scandir(root):
        p = Path(top.path)
        if not top.is_dir(follow_symlinks=False):
            if stray(p):
                drop(p)
            continue
        if top.name in ("locks", "failed"):
            continue
        if top.name == "kokkos":
            _sweep_kokkos(p, now, drop, drop_if_free)
            continue
        for sub in _scandir(p):
            sp = Path(sub.path)
            if stray(sp):
                drop(sp)
                continue
            if not sub.is_dir(follow_symlinks=False) or len(sub.name) != 2:
                continue
            for e in _scandir(sp):
                ep = Path(e.path)
                name = e.name
                if name.startswith(".") and name.endswith((_WORK_SUFFIX, _TRASH_SUFFIX)):
                    drop_if_free(ep, f"{top.name}-{name[1:].split('.')[0]}")
                elif stray(ep):
                    drop(ep)
    # Lock files: one per key was kept forever by older versions; remove those nobody holds.
    for e in _scandir(locks):
        if e.name.endswith(".lock"):
            with _held_by_nobody(Path(e.path), look_only=dry_run) as free:
                if free:
                    removed.append((Path(e.path), disk_usage(Path(e.path))))
    return removed


def _sweep_kokkos(kdir: Path, now: float, drop, drop_if_free) -> None:
    """A Kokkos build killed part-way leaves `.build-<version>-<flavour>-<random>` (its CMake build,
    14 MB and more) and an install folder without its marker; install_kokkos holds the lock
    `kokkos-install-<flavour>` while it builds."""
    for e in _scandir(kdir):
        name = e.name
        if not e.is_dir(follow_symlinks=False):
            if name.startswith(".") and name.endswith(".tmp") and _age(Path(e.path), now) > STALE_AFTER_S:
                drop(Path(e.path))
            continue
        m = re.fullmatch(r"\.build-([^-]+)-(.+)-[^-]+", name)
        if m:
            drop_if_free(Path(e.path), f"kokkos-install-{m.group(2)}")
            continue
        m = re.fullmatch(r"(\d+\.\d+\.\d+)-(.+)", name)
        if m and not (Path(e.path) / KOKKOS_INSTALL_MARKER).exists():
            drop_if_free(Path(e.path), f"kokkos-install-{m.group(2)}")


# ------------------------------------------------------------------ hpcir cache info | clean


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


@dataclass
class KindUsage:
    """One folder of the cache as `hpcir cache info` shows it."""

    kind: str
    entries: int
    bytes: int
    holds: str


def _entries(kind_dir: Path) -> list[Path]:
    """The entries of one kind: content-addressed folders, Kokkos installs, kept failed builds,
    or plain files."""
    kind = kind_dir.name
    if kind == "kokkos":
        return [Path(e.path) for e in _scandir(kind_dir) if e.is_dir(follow_symlinks=False)
                and re.fullmatch(r"\d+\.\d+\.\d+-.+", e.name)]
    if kind in _NOT_ENTRIES:
        return [Path(e.path) for e in _scandir(kind_dir) if not e.name.startswith(".")]
    return [Path(e.path) for sub in _scandir(kind_dir) if sub.is_dir(follow_symlinks=False) and len(sub.name) == 2
            for e in _scandir(Path(sub.path)) if not e.name.startswith(".")]


def usage(root: Path | None = None) -> list[KindUsage]:
    """Entries and bytes on disk of each folder of the cache (known kinds first)."""
    root = Path(root) if root is not None else cache_root()
    dirs = {e.name: Path(e.path) for e in _scandir(root) if e.is_dir(follow_symlinks=False)}
    order = [k for k in KINDS if k in dirs] + sorted(k for k in dirs if k not in KINDS)
    return [KindUsage(k, len(_entries(dirs[k])), disk_usage(dirs[k]), KINDS.get(k, "")) for k in order]


def _last_used(entry: Path) -> float:
    """When an entry was last used: its record's mtime (refreshed on use), a Kokkos install's
    marker, else the file or folder's own mtime."""
    for name in (MANIFEST, KOKKOS_INSTALL_MARKER):
        with contextlib.suppress(OSError):
            return (entry / name).stat().st_mtime
    with contextlib.suppress(OSError):
        return entry.lstat().st_mtime
    return 0.0


def _entry_damage(entry: Path) -> str | None:
    """Why a content-addressed entry cannot be used (None: it is complete and intact)."""
    try:
        record = json.loads((entry / MANIFEST).read_text())
        return _files_problem(entry, record["files"])
    except FileNotFoundError:
        if _adopt(entry) is not None:
            return None
        return f"incomplete (no {MANIFEST})"
    except (OSError, ValueError, KeyError, TypeError):
        return "its record is damaged"


def clean(kinds: list[str] | None = None, older_than_s: float | None = None, everything: bool = False,
          dry_run: bool = False, root: Path | None = None) -> list[tuple[Path, int, str]]:
    """Prune the cache; returns (path, bytes, why) of what was (with dry_run: would be) removed.

    Always: the leftovers of killed builds and unused lock files (sweep), and entries that are
    incomplete or fail verification. Then `everything`: every entry of `kinds` (all kinds when
    None); `kinds`: every entry of those kinds; `older_than_s`: entries of `kinds` (all but
    Kokkos installs when None) not used for that long. Lock files held by a live process, and
    working folders of live builds, are never removed.
    """
    root = Path(root) if root is not None else cache_root()
    out = [(p, n, "a lock file nobody holds" if p.parent.name == "locks" else "left by a killed build")
           for p, n in sweep(root, dry_run=dry_run)]
    now = time.time()
    dirs = {e.name: Path(e.path) for e in _scandir(root) if e.is_dir(follow_symlinks=False)}
    if kinds:
        unknown = sorted(set(kinds) - set(dirs) - set(KINDS))
        if unknown:
            raise CacheError(f"no kind {', '.join(map(repr, unknown))} in the cache",
                             hint=f"kinds: {', '.join(KINDS)}")
    selected = set(kinds) if kinds else set(dirs)
    if older_than_s is not None and not kinds and not everything:
        selected.discard("kokkos")  # a rebuild takes minutes: only when asked by name
    for kind, kdir in dirs.items():
        if kind == "locks":
            continue
        for entry in _entries(kdir):
            why = None
            if kind not in _NOT_ENTRIES:
                damage = _entry_damage(entry)
                if damage:
                    why = damage
            if why is None and kind in selected:
                if everything or (kinds and older_than_s is None):
                    why = "asked for"
                elif older_than_s is not None and now - _last_used(entry) > older_than_s:
                    why = f"unused for {format_duration(now - _last_used(entry))}"
            if why is None:
                continue
            if kind == "kokkos":
                with _held_by_nobody(root / "locks" / f"kokkos-install-{entry.name.split('-', 1)[1]}.lock",
                                     look_only=dry_run) as free:
                    if free:
                        out.append((entry, disk_usage(entry) if dry_run else _remove_tree(entry), why))
                continue
            out.append((entry, disk_usage(entry) if dry_run else _remove_tree(entry), why))
        if kind == "kokkos" and (everything or (kinds and "kokkos" in kinds and older_than_s is None)):
            for extra in ("downloads", "logs"):
                if (kdir / extra).exists():
                    out.append((kdir / extra, disk_usage(kdir / extra) if dry_run else _remove_tree(kdir / extra),
                                "asked for"))
        if kind not in _NOT_ENTRIES and not dry_run:
            for sub in _scandir(kdir):  # the <xx> folders left empty
                if sub.is_dir(follow_symlinks=False) and len(sub.name) == 2:
                    with contextlib.suppress(OSError):
                        os.rmdir(sub.path)
    return out


def describe_root() -> tuple[Path, str]:
    """The cache folder and where it came from (HPCIR_CACHE_DIR or the default)."""
    return _root_path()
