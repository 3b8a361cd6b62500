"""Fault injection on hpcir's build cache (issue 15, items 5-7): what a user sees after a build was
killed, a library was truncated, swapped or replaced, the precompiled header was cut short, the
cache is read-only or a file stands where a folder belongs, and with odd characters in paths.

Kernels run in subprocesses (`python script.py`) against a cache of their own and the session's
Kokkos (Kokkos_ROOT), so a damaged library can never crash the test process."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from hpcir.backends import build as build_mod
from hpcir.backends.runtime import load_module
from hpcir.backends.toolchain import kokkos_install
from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
from hpcir.backends.toolchain.kokkos_install import read_install
from hpcir.backends.toolchain.kokkos_probe import cmake_path_problem
from hpcir.core import cache
from hpcir.core.elf import elf_problem
from hpcir.core.errors import HpcirError, KokkosNotFoundError

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = '''\
import numpy as np
import hpcir

@hpcir.kernel
def {name}(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = 2.0 * x[i] + {c}

x = np.arange(6.0)
y = np.zeros(6)
hpcir.parallel_for(6, {name}, x=x, y=y)
print("result", " ".join(f"{{v:g}}" for v in y))
'''


def _expected(c: float) -> str:
    return "result " + " ".join(f"{v:g}" for v in 2.0 * np.arange(6.0) + c)


@pytest.fixture(scope="module")
def kokkos():
    return ensure_kokkos("cpu")  # the session's Kokkos (CI installs it; built here otherwise)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    """One cache for the module's kernel runs: its probe and precompiled header are made once."""
    return tmp_path_factory.mktemp("cache") / "hpcir"


def _env(cache_dir: Path, kokkos) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KOKKOS_ROOT", "CMAKE_PREFIX_PATH")}
    env.update(HPCIR_CACHE_DIR=str(cache_dir), Kokkos_ROOT=str(kokkos.prefix), OMP_NUM_THREADS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def _run(cache_dir: Path, kokkos, name: str, c: float, tmp_path: Path, check: bool = True,
         **popen) -> subprocess.CompletedProcess:
    script = tmp_path / f"{name}_{str(c).replace('.', '_')}.py"
    script.write_text(SCRIPT.format(name=name, c=c))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=_env(cache_dir, kokkos), timeout=600, **popen)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stdout.strip().splitlines()[-1] == _expected(c), proc.stdout
    return proc


def _libraries(cache_dir: Path, name: str) -> list[Path]:
    """The built libraries of module hpcir_<name>, oldest first."""
    libs = list((cache_dir / "builds").glob(f"*/*/libhpcir_{name}.so"))
    return sorted(libs, key=lambda p: json.loads((p.parent / cache.MANIFEST).read_text())["built"])


def _warnings(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "warning" in ln]


# ---------------------------------------------------------------- damaged libraries


def test_truncated_library_is_rebuilt_with_one_warning(shared_cache, kokkos, tmp_path):
    _run(shared_cache, kokkos, "trunc", 1.5, tmp_path)
    [lib] = _libraries(shared_cache, "trunc")
    size = lib.stat().st_size
    with open(lib, "r+b") as f:  # what a full disk or a killed copy leaves: SIGBUS when loaded
        f.truncate(size // 2)
    proc = _run(shared_cache, kokkos, "trunc", 1.5, tmp_path)
    [line] = _warnings(proc.stderr)
    assert line.startswith("hpcir: warning: the cache entry ") and "damaged" in line
    assert f"libhpcir_trunc.so has {size // 2} bytes, {size} were written" in line and "rebuilding" in line
    assert lib.stat().st_size == size
    assert _warnings(_run(shared_cache, kokkos, "trunc", 1.5, tmp_path).stderr) == []  # repaired for good


def test_swapped_library_is_rebuilt_with_one_warning(shared_cache, kokkos, tmp_path):
    # Two builds of one module name computing different things, and another kernel's module.
    _run(shared_cache, kokkos, "swap", 1.0, tmp_path)
    _run(shared_cache, kokkos, "swap", 7.0, tmp_path)
    _run(shared_cache, kokkos, "other", 3.0, tmp_path)
    mine, same_name = _libraries(shared_cache, "swap")
    [other] = _libraries(shared_cache, "other")
    good = mine.read_bytes()
    # A same-named library that computes something else: used silently before (y = 2x + 7).
    shutil.copyfile(same_name, mine)
    proc = _run(shared_cache, kokkos, "swap", 1.0, tmp_path)
    [line] = _warnings(proc.stderr)
    assert "libhpcir_swap.so" in line and "rebuilding" in line
    # Another kernel's library: a raw KeyError before.
    shutil.copyfile(other, mine)
    proc = _run(shared_cache, kokkos, "swap", 1.0, tmp_path)
    [line] = _warnings(proc.stderr)
    assert "is not the file that was built" in line or "bytes" in line
    assert "KeyError" not in proc.stderr
    assert mine.stat().st_size == len(good)


def test_load_refuses_a_truncated_library_before_dlopen(tmp_path):
    # Outside the cache too: the ELF tables are checked before the loader maps the file.
    import numpy._core._multiarray_umath as umath  # any complete shared library
    whole = tmp_path / "whole.so"
    shutil.copyfile(umath.__file__, whole)
    assert elf_problem(whole) is None
    cut = tmp_path / "cut.so"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    assert "truncated" in elf_problem(cut)
    with pytest.raises(HpcirError, match="refusing to load .*cut.so: .*truncated"):
        load_module(cut)
    (tmp_path / "text.so").write_text("not a library\n")
    with pytest.raises(HpcirError, match="not an ELF shared library"):
        load_module(tmp_path / "text.so")


def test_entries_of_older_hpcir_are_adopted_once_checked(tmp_path, monkeypatch):
    # Written before entries had a record: kept when their libraries are whole, rebuilt otherwise.
    import numpy._core._multiarray_umath as umath
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(tmp_path / "cache"))
    for key, cut in (("1a" * 32, False), ("2b" * 32, True)):
        entry = cache.entry_dir(key)
        entry.mkdir(parents=True)
        data = Path(umath.__file__).read_bytes()
        (entry / "libold.so").write_bytes(data[: len(data) // 2] if cut else data)
        (entry / "ARTIFACT").write_text("libold.so")
    assert cache.lookup("1a" * 32) == cache.entry_dir("1a" * 32) / "libold.so"
    assert (cache.entry_dir("1a" * 32) / cache.MANIFEST).is_file()  # verified from now on
    assert cache.lookup("2b" * 32) is None


# ---------------------------------------------------------------- precompiled header


def _gcc_or_skip(kokkos):
    if not build_mod._is_gcc(kokkos.toolchain()):
        pytest.skip("the precompiled Kokkos header is used with GCC only")


def test_damaged_precompiled_header_is_rebuilt_with_one_warning(shared_cache, kokkos, tmp_path):
    _gcc_or_skip(kokkos)
    _run(shared_cache, kokkos, "pchwarm", 0.5, tmp_path)  # the cache has its precompiled header
    [gch] = (shared_cache / "pch").glob("*/*/include/Kokkos_Core.hpp.gch")
    size = gch.stat().st_size
    with open(gch, "r+b") as f:
        f.truncate(1_000_000)
    # Broke every new build before, with "a bug in generated code is an hpcir bug".
    proc = _run(shared_cache, kokkos, "afterpch", 2.5, tmp_path)
    [line] = _warnings(proc.stderr)
    assert "Kokkos_Core.hpp.gch has 1000000 bytes" in line and "rebuilding" in line
    assert "hpcir bug" not in proc.stderr
    assert gch.stat().st_size > size // 2
    # Intact as recorded, yet unreadable to GCC (as if made by another build of the compiler):
    # the compile error is recognised, the header rebuilt once, and the module builds.
    entry = gch.parents[1]
    gch.write_bytes(gch.read_bytes()[:2_000_000])
    record = json.loads((entry / cache.MANIFEST).read_text())
    record["files"] = cache._record_files(entry)  # the record agrees with the damaged file
    (entry / cache.MANIFEST).write_text(json.dumps(record))
    proc = _run(shared_cache, kokkos, "refusedpch", 3.5, tmp_path)
    [line] = _warnings(proc.stderr)
    assert "precompiled Kokkos header" in line and "unusable" in line and "cannot read PCH file" in line
    assert "rebuilding" in line and "hpcir bug" not in proc.stderr
    assert gch.stat().st_size > size // 2


# ---------------------------------------------------------------- damaged Kokkos install


def test_a_damaged_kokkos_install_is_reported_precisely(kokkos, tmp_path):
    # A copy of the install whose libkokkoscore is cut short (links to everything else).
    fake = tmp_path / "kokkos"
    for item in kokkos.prefix.iterdir():
        if item != kokkos.lib_dir:
            (fake / item.name).parent.mkdir(parents=True, exist_ok=True)
            (fake / item.name).symlink_to(item)
    lib = fake / kokkos.lib_dir.relative_to(kokkos.prefix)
    lib.mkdir(parents=True)
    core = None
    for item in kokkos.lib_dir.iterdir():
        if item.name.startswith("libkokkoscore") and not item.is_symlink():
            core = lib / item.name
            core.write_bytes(item.read_bytes()[:4096])
        else:
            (lib / item.name).symlink_to(item)
    assert core is not None
    inst = read_install(fake, "Kokkos_ROOT")
    with pytest.raises(KokkosNotFoundError) as err:
        build_mod.check_install(inst)
    msg = str(err.value)
    assert f"the Kokkos {kokkos.version} in {fake}" in msg and "is damaged" in msg
    assert f"{core} is truncated" in msg and "reinstall" in msg


def test_install_marker_names_agree():
    assert cache.KOKKOS_INSTALL_MARKER == kokkos_install.INSTALL_MARKER


# ---------------------------------------------------------------- killed builds


def test_killed_build_leaves_nothing_after_the_next_run(shared_cache, kokkos, tmp_path):
    script = tmp_path / "killed.py"
    script.write_text(SCRIPT.format(name="killed", c=4.0))
    proc = subprocess.Popen([sys.executable, str(script)], env=_env(shared_cache, kokkos),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    work = []
    while not work and proc.poll() is None and time.monotonic() < deadline:
        work = list((shared_cache / "builds").glob("*/.*.building"))
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the compiler too
    proc.wait()
    assert work and work[0].exists(), "the build was not caught in progress"
    # A killed Kokkos build: its CMake folder (14 MB and more) and a prefix without its marker.
    kdir = shared_cache / "kokkos"
    (kdir / ".build-3.4.01-openmp-ab12cd34" / "build").mkdir(parents=True)
    (kdir / ".build-3.4.01-openmp-ab12cd34" / "build" / "libkokkoscore.a").write_bytes(b"x" * 1000)
    (kdir / "3.4.01-openmp" / "include").mkdir(parents=True)
    stale_tmp = shared_cache / "builds" / ".ENTRY.json.k3j4.tmp"
    stale_tmp.write_text("half")
    os.utime(stale_tmp, (time.time() - 2 * cache.STALE_AFTER_S,) * 2)

    _run(shared_cache, kokkos, "killed", 4.0, tmp_path)
    left = [p for p in shared_cache.rglob("*") if p.name.endswith((".building", ".discarded", ".tmp"))
            or p.name.startswith(".build-")]
    assert left == []
    assert not (kdir / "3.4.01-openmp").exists()
    assert list((shared_cache / "locks").iterdir()) == []  # no lock file outlives its build
    assert len(_libraries(shared_cache, "killed")) == 1


def test_sweep_spares_what_live_builders_hold(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(root))
    key = "ab" * 32
    live = root / "builds" / key[:2] / f".{key}.x1y2{cache._WORK_SUFFIX}"
    live.mkdir(parents=True)
    kokkos_live = root / "kokkos" / ".build-4.6.01-cuda-sm90-q9w8e7r6"
    kokkos_live.mkdir(parents=True)
    fresh_tmp = root / "builds" / ".ENTRY.json.abcd.tmp"
    fresh_tmp.write_text("being written")
    with cache.file_lock(f"builds-{key}"), cache.file_lock("kokkos-install-cuda-sm90"):
        assert cache.sweep(root) == []
        assert live.is_dir() and kokkos_live.is_dir() and fresh_tmp.exists()
        assert (root / "locks" / f"builds-{key}.lock").exists()
    removed = {p for p, _ in cache.sweep(root)}
    assert removed == {live, kokkos_live}
    assert list((root / "locks").iterdir()) == []


# ---------------------------------------------------------------- files in place of folders, read-only


def _simple_build(work: Path) -> Path:
    (work / "out.txt").write_text("built")
    return work / "out.txt"


def test_a_file_as_the_cache_folder_is_an_error_that_says_what_to_do(tmp_path, monkeypatch):
    blocker = tmp_path / "cachefile"
    blocker.write_text("not a folder")
    for where in (blocker, blocker / "below"):
        monkeypatch.setenv("HPCIR_CACHE_DIR", str(where))
        with pytest.raises(cache.CacheError) as err:
            cache.cached_build("c" * 64, _simple_build)
        msg = str(err.value)
        assert f"{blocker} is a file, not a folder" in msg and "HPCIR_CACHE_DIR" in msg
    assert blocker.read_text() == "not a folder"  # the user's file is left alone


@pytest.mark.parametrize("spot", ["kind", "prefix", "entry", "locks"])
def test_a_file_in_place_of_a_cache_folder_is_replaced(tmp_path, monkeypatch, capfd, spot):
    root = tmp_path / "cache"
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(root))
    key = "d" * 64
    path = {"kind": root / "builds", "prefix": root / "builds" / key[:2],
            "entry": root / "builds" / key[:2] / key, "locks": root / "locks"}[spot]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("in the way")
    out = cache.cached_build(key, _simple_build)
    assert out.read_text() == "built"
    [line] = _warnings(capfd.readouterr().err)
    assert str(path) in line
    assert cache.cached_build(key, _simple_build) == out


def test_read_only_cache_is_an_error_that_says_what_to_do(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(root))
    built = cache.cached_build("e" * 64, _simple_build)
    modes = {p: p.stat().st_mode for p in [root, *root.rglob("*")] if p.is_dir()}
    for p in modes:
        p.chmod(0o555)
    try:
        if os.access(root, os.W_OK):
            pytest.skip("running as root: chmod does not stop writes (the file-in-place tests cover the errors)")
        assert cache.cached_build("e" * 64, _simple_build) == built  # what is there still works
        with pytest.raises(cache.CacheError) as err:
            cache.cached_build("f" * 64, _simple_build)
        msg = str(err.value)
        assert f"the hpcir cache {root} is not writable" in msg
        assert "set HPCIR_CACHE_DIR to a writable folder" in msg
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


# ---------------------------------------------------------------- path characters


def test_odd_characters_in_cache_and_kokkos_paths(kokkos, tmp_path):
    # Each broke every build before: the probe split CMake's escaped lines with shlex (backtick),
    # CMake cannot take '\\', '"' or ';' in its folders, and -Wl,-rpath splits at ','.
    odd = tmp_path / "a`b\"c\\d e$f'g;h,i"
    odd.mkdir()
    (odd / "kokkos").symlink_to(kokkos.prefix)  # the same install, reached through the odd path
    env = _env(odd / "cache", kokkos)
    env["Kokkos_ROOT"] = str(odd / "kokkos")
    script = tmp_path / "odd.py"
    script.write_text(SCRIPT.format(name="odd_paths", c=0.25))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == _expected(0.25)
    tc = json.loads(next((odd / "cache" / "probes").glob("*/*/toolchain.json")).read_text())
    assert any(a.startswith("-isystem") or str(odd / "kokkos") in a for a in tc["compile_args"])
    assert any(str(odd / "kokkos") in a for a in tc["compile_args"] + tc["link_args"])
    # The probe's CMake folder (plain path, links to the odd ones) is gone.
    assert not [p for p in Path(tempfile.gettempdir()).glob("hpcir-probe.*/kokkos")
                if os.readlink(p) == str(odd / "kokkos")]


def test_cmake_path_problem_names_the_character():
    assert cmake_path_problem("/a b/c`d$e'f,g") is None
    for ch in (";", "\\", '"'):
        why = cmake_path_problem(f"/data/x{ch}y/cache")
        assert why and repr(ch) in why and "/data/x" in why


def test_kokkos_install_refuses_a_cache_path_cmake_cannot_use(tmp_path):
    root = tmp_path / "x;y" / "cache"
    env = {**os.environ, "HPCIR_CACHE_DIR": str(root)}
    proc = subprocess.run([sys.executable, "-m", "hpcir", "kokkos", "install"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1
    assert "';'" in proc.stderr and str(root) in proc.stderr and "HPCIR_CACHE_DIR" in proc.stderr
    assert not (root / "kokkos").exists()  # nothing ran


def test_a_first_use_kokkos_build_refuses_a_cache_path_cmake_cannot_use(tmp_path):
    # No Kokkos anywhere: the JIT would build one into the cache, where CMake cannot work.
    root = tmp_path / 'x"y' / "cache"
    env = {k: v for k, v in os.environ.items() if k not in ("Kokkos_ROOT", "KOKKOS_ROOT", "CMAKE_PREFIX_PATH")}
    env.update(HPCIR_CACHE_DIR=str(root), PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    script = tmp_path / "first_use.py"
    script.write_text(SCRIPT.format(name="first_use", c=1.0))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1
    assert "KokkosNotFoundError" in proc.stderr and "hpcir cannot build one in its cache" in proc.stderr
    assert "'\"'" in proc.stderr and str(root) in proc.stderr and "HPCIR_CACHE_DIR" in proc.stderr
    assert not (root / "kokkos").exists()  # nothing ran
