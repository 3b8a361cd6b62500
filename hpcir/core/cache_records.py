"""The record of a cache entry (ENTRY.json, written last): every file's size and sha256, checked
before anything uses the entry; entries of an older format adopted; entries removed record first.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import time
from pathlib import Path

from hpcir.core.cache_files import atomic_write_text, disk_usage
from hpcir.core.cache_location import entry_dir
from hpcir.core.elf import elf_problem


# A complete entry holds this record, written last (a folder without it is never used).
MANIFEST = "ENTRY.json"
_FORMAT = 2
# Format 1 (hpcir before the record): a text file ARTIFACT naming the artifact, no checksums.
# Such an entry is adopted on first use when its libraries pass the ELF check (elf_problem): its
# record is made then, and from then on it is verified like any other.
_LEGACY_MARKER = "ARTIFACT"
# The last-use time (the record's mtime, for `hpcir cache clean --older-than`) is refreshed at most
# this often, so that loading an entry rarely writes.
_TOUCH_EVERY_S = 3600.0


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
