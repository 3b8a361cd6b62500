"""`hpcir cache info | clean`: what each folder of the cache takes, and pruning it."""
from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from hpcir.core.cache_files import _held_by_nobody, _scandir, disk_usage
from hpcir.core.cache_location import _NOT_ENTRIES, KINDS, CacheError, cache_root
from hpcir.core.cache_records import MANIFEST, _entry_damage, _remove_tree
from hpcir.core.cache_sweep import KOKKOS_INSTALL_MARKER, sweep
from hpcir.core.units import format_duration


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
