"""Leftovers of killed builds (working folders, Kokkos builds cut short, temporary files) and lock
files nobody holds: removed once per process and by `hpcir cache clean`, never what a live build uses.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from hpcir.core.cache_files import _held_by_nobody, _scandir, disk_usage
from hpcir.core.cache_location import _root_path, cache_root
from hpcir.core.cache_records import _remove_tree


# A build's working folder `.<key>.<random>.building` and an entry being replaced,
# `.<key>.<random>.discarded`, live beside the entry while their builder holds the key's lock.
_WORK_SUFFIX = ".building"
_TRASH_SUFFIX = ".discarded"
# Names with no lock to ask (temporary files of atomic writes, older versions' work folders) are
# left alone this long: no write or build takes that long, so older ones were interrupted.
STALE_AFTER_S = 3600.0
# What hpcir writes last into a Kokkos it built (backends/toolchain/kokkos_install.INSTALL_MARKER;
# the core imports nothing of hpcir, tests/backends/test_cache_repair.py checks they agree).
KOKKOS_INSTALL_MARKER = "hpcir-kokkos.json"


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
