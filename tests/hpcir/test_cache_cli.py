"""`hpcir cache info|clean`: where the cache is, what each kind holds, and pruning it (issue 15,
item 5). The cache here is made of small stand-in entries: nothing is compiled."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpcir.cli import main
from hpcir.core import cache

DAY = 86400.0


def _entry(kind: str, key: str, size: int = 1000) -> Path:
    def build(work: Path) -> Path:
        (work / "payload.bin").write_bytes(b"x" * size)
        return work / "payload.bin"
    return cache.cached_build(key, build, kind=kind).parent


def _age(entry: Path, days: float) -> None:
    t = time.time() - days * DAY
    os.utime(entry / cache.MANIFEST, (t, t))


@pytest.fixture
def filled(tmp_path, monkeypatch) -> dict[str, Path]:
    """A cache with entries of four kinds, a Kokkos install, and what killed builds leave."""
    root = tmp_path / "cache"
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(root))
    made = {
        "new_build": _entry("builds", "a1" * 32, 50_000),
        "old_build": _entry("builds", "b2" * 32, 20_000),
        "pch": _entry("pch", "c3" * 32, 300_000),
        "tile": _entry("tiles", "d4" * 32),
        "damaged": _entry("builds", "e5" * 32),
    }
    _age(made["old_build"], 10)
    (made["damaged"] / "payload.bin").write_bytes(b"short")
    kokkos = root / "kokkos" / "3.4.01-openmp"
    (kokkos / "lib").mkdir(parents=True)
    (kokkos / "lib" / "libkokkoscore.so").write_bytes(b"\0" * 70_000)
    (kokkos / cache.KOKKOS_INSTALL_MARKER).write_text(json.dumps({"version": "3.4.01"}))
    made["kokkos"] = kokkos
    # Leftovers: a killed module build, a killed Kokkos build, a lock file nobody holds.
    made["work"] = root / "builds" / "f6" / f".{'f6' * 32}.abc{cache._WORK_SUFFIX}"
    made["work"].mkdir(parents=True)
    (made["work"] / "half.o").write_bytes(b"x" * 4000)
    made["kokkos_build"] = root / "kokkos" / ".build-3.4.01-openmp-zz11yy22"
    made["kokkos_build"].mkdir()
    (made["kokkos_build"] / "CMakeCache.txt").write_text("x" * 9000)
    made["lock"] = root / "locks" / f"builds-{'07' * 32}.lock"
    made["lock"].write_text("")
    return made


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_info_shows_location_entries_and_size_per_kind(filled, capsys):
    rc, out, _ = _cli(capsys, "cache", "info")
    assert rc == 0
    root = Path(os.environ["HPCIR_CACHE_DIR"])
    assert out.splitlines()[0] == f"hpcir cache: {root}  (HPCIR_CACHE_DIR)"
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[2:]}
    assert rows["builds"][1] == "3" and rows["pch"][1] == "1" and rows["tiles"][1] == "1"
    assert rows["kokkos"][1] == "1"  # the install; its killed build is a leftover, not an entry
    assert rows["pch"][2:4] == [f"{cache.disk_usage(filled['pch'].parent.parent) / 1024:.1f}", "KB"]
    assert "compiled kernel modules" in out and "precompiled Kokkos headers" in out
    assert "leftovers of killed builds: 3" in out and "`hpcir cache clean` removes them" in out
    assert filled["work"].exists()  # info only looks


def test_clean_without_options_removes_leftovers_and_damaged_entries_only(filled, capsys):
    rc, out, _ = _cli(capsys, "cache", "clean", "-v")
    assert rc == 0
    gone = {k for k, p in filled.items() if not p.exists()}
    assert gone == {"work", "kokkos_build", "lock", "damaged"}
    assert "left by a killed build" in out and "is not the file that was built" not in out
    assert "payload.bin has 5 bytes, 1000 were written" in out
    assert out.splitlines()[-1].startswith("hpcir cache: removed 4 items")


def test_clean_older_than_keeps_recent_entries_and_kokkos(filled, capsys):
    _age(filled["tile"], 3)
    os.utime(filled["kokkos"] / cache.KOKKOS_INSTALL_MARKER, (time.time() - 30 * DAY,) * 2)
    rc, out, _ = _cli(capsys, "cache", "clean", "--older-than", "2d")
    assert rc == 0
    assert not filled["old_build"].exists() and not filled["tile"].exists()
    assert filled["new_build"].exists() and filled["pch"].exists()
    assert filled["kokkos"].exists()  # an install goes only when asked by name
    rc, out, _ = _cli(capsys, "cache", "clean", "--older-than", "2d", "--kind", "kokkos")
    assert not filled["kokkos"].exists()


def test_clean_kind_removes_that_kind(filled, capsys):
    rc, _, _ = _cli(capsys, "cache", "clean", "--kind", "tiles,pch")
    assert rc == 0
    assert not filled["tile"].exists() and not filled["pch"].exists()
    assert filled["new_build"].exists() and filled["kokkos"].exists()
    assert cache.lookup("a1" * 32) is not None


def test_clean_all_empties_the_cache_but_spares_live_locks(filled, capsys):
    with cache.file_lock("kokkos-install-cuda-sm90"):  # a live build elsewhere
        rc, out, _ = _cli(capsys, "cache", "clean", "--all")
        assert rc == 0
        root = Path(os.environ["HPCIR_CACHE_DIR"])
        left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        assert left == ["locks/kokkos-install-cuda-sm90.lock"]
    assert cache.usage(root) and all(r.entries == 0 for r in cache.usage(root) if r.kind != "locks")


def test_clean_dry_run_removes_nothing(filled, capsys):
    before = sorted(Path(os.environ["HPCIR_CACHE_DIR"]).rglob("*"))
    rc, out, _ = _cli(capsys, "cache", "clean", "--all", "--dry-run")
    assert rc == 0 and "would remove" in out
    assert sorted(Path(os.environ["HPCIR_CACHE_DIR"]).rglob("*")) == before


def test_bad_options_are_errors_that_say_what_to_write(filled, capsys):
    rc, _, err = _cli(capsys, "cache", "clean", "--older-than", "yesterday")
    assert rc == 1 and "cannot read the duration 'yesterday'" in err and "30m, 12h, 7d" in err
    rc, _, err = _cli(capsys, "cache", "clean", "--kind", "bulids")
    assert rc == 1 and "no kind 'bulids'" in err and "builds" in err


def test_cache_command_is_registered(tmp_path):
    env = {**os.environ, "HPCIR_CACHE_DIR": str(tmp_path / "fresh")}
    proc = subprocess.run([sys.executable, "-m", "hpcir", "cache", "info"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"hpcir cache: {tmp_path / 'fresh'}" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "hpcir", "--help"], capture_output=True, text=True, timeout=120)
    assert "cache" in proc.stdout
