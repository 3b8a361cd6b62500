"""Tests of hpcir's cache and of finding, describing, patching and installing Kokkos."""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hpcir.core import cache, machine
from hpcir.core.errors import KokkosNotFoundError
from hpcir.backends.toolchain.kokkos_install import KokkosInstall, find_kokkos, read_install
from hpcir.backends.toolchain.kokkos_build import ensure_kokkos

# The cache the session uses (CI's or the user's), before any test points HPCIR_CACHE_DIR away.
_REAL_CACHE = cache.cache_root()

# ---------------------------------------------------------------- cache


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("HPCIR_CACHE_DIR", str(root))
    return root


def test_cache_root_follows_env(tmp_cache):
    assert cache.cache_root() == tmp_cache
    assert tmp_cache.is_dir()


def test_cache_key_is_stable_and_separates_parts():
    assert cache.cache_key("a", {"x": 1, "y": [2, 3]}) == cache.cache_key("a", {"y": [2, 3], "x": 1})
    keys = {cache.cache_key("ab", "c"), cache.cache_key("a", "bc"), cache.cache_key("abc"),
            cache.cache_key("ab", "c", ""), cache.cache_key(b"ab", "c ")}
    assert len(keys) == 5
    assert all(len(k) == 64 for k in keys)


def test_atomic_write_replaces_whole_file(tmp_cache):
    p = tmp_cache / "sub" / "f.txt"
    cache.atomic_write_text(p, "one")
    cache.atomic_write_text(p, "two")
    assert p.read_text() == "two"
    assert [x.name for x in p.parent.iterdir()] == ["f.txt"]  # no temp files left over


def test_cached_build_runs_once_and_failures_are_not_cached(tmp_cache):
    calls = []

    def build(work: Path) -> Path:
        calls.append(work)
        (work / "out.txt").write_text("built")
        return work / "out.txt"

    a = cache.cached_build("k1" * 8, build)
    b = cache.cached_build("k1" * 8, build)
    assert a == b and a.read_text() == "built" and len(calls) == 1
    assert not calls[0].exists()  # the work folder became the entry

    def broken(work: Path) -> Path:
        raise RuntimeError("compiler exploded")

    with pytest.raises(RuntimeError):
        cache.cached_build("k2" * 8, broken)
    assert cache.lookup("k2" * 8) is None
    assert cache.cached_build("k2" * 8, build).read_text() == "built"
    leftovers = [p for p in (tmp_cache / "builds").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def _racer(root: str, key: str, log: str) -> str:
    os.environ["HPCIR_CACHE_DIR"] = root
    import time

    def build(work: Path) -> Path:
        with open(log, "a") as f:
            f.write("built\n")
        time.sleep(0.3)  # widen the race window
        (work / "a.bin").write_bytes(b"x" * 1000)
        return work / "a.bin"

    return str(cache.cached_build(key, build))


def test_cached_build_is_safe_across_processes(tmp_cache, tmp_path):
    log = tmp_path / "log"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        paths = pool.starmap(_racer, [(str(tmp_cache), "f" * 64, str(log))] * 4)
    assert len(set(paths)) == 1
    assert log.read_text().count("built") == 1
    assert Path(paths[0]).read_bytes() == b"x" * 1000


# ---------------------------------------------------------------- reading installs


def _fake_install(prefix: Path, version: int, devices: str, arch: str = "",
                  libdir: str = "lib") -> Path:
    """A minimal on-disk Kokkos install (config files only), as Kokkos' CMake writes them."""
    cm = prefix / libdir / "cmake" / "Kokkos"
    cm.mkdir(parents=True)
    (cm / "KokkosConfig.cmake").write_text("# config\n")
    (cm / "KokkosConfigCommon.cmake").write_text(
        f"SET(Kokkos_DEVICES {devices})\nSET(Kokkos_OPTIONS CUDA_LAMBDA)\nSET(Kokkos_ARCH {arch})\n"
        'SET(Kokkos_CXX_COMPILER "/usr/bin/g++")\nSET(Kokkos_CXX_COMPILER_ID "GNU")\n')
    (cm / "KokkosTargets.cmake").write_text(
        'set_target_properties(Kokkos::kokkoscore PROPERTIES\n'
        '  INTERFACE_COMPILE_OPTIONS "\\$<\\$<COMPILE_LANGUAGE:CXX>:-fopenmp>;-march=native"\n)\n')
    inc = prefix / "include"
    inc.mkdir()
    defs = "".join(f"#define KOKKOS_ENABLE_{d}\n" for d in devices.split(";"))
    (inc / "KokkosCore_config.h").write_text(f"#define KOKKOS_VERSION {version}\n{defs}")
    (prefix / libdir / "libkokkoscore.so").write_text("")
    return prefix


@pytest.mark.parametrize("version,text", [(30401, "3.4.01"), (40200, "4.2.00"), (40701, "4.7.01")])
@pytest.mark.parametrize("libdir", ["lib", "lib64", "lib/x86_64-linux-gnu"])
def test_read_install_parses_version_backends_and_flags(tmp_path, version, text, libdir):
    p = _fake_install(tmp_path / "kk", version, "OPENMP;SERIAL", "ZEN3", libdir)
    for root in (p, p / libdir / "cmake" / "Kokkos"):
        inst = read_install(root, "Kokkos_ROOT")
        assert inst is not None
        assert inst.version == text and inst.version_int == version
        assert inst.backends == ("openmp", "serial")
        assert inst.arch == ("ZEN3",)
        assert inst.cxx_flags == ("-fopenmp", "-march=native")
        assert inst.prefix == p and inst.lib_dir == p / libdir
        assert inst.has_backend("OPENMP") and not inst.has_backend("cuda")


def test_read_install_of_a_hip_build_sets_hip_platform(tmp_path):
    inst = read_install(_fake_install(tmp_path / "h", 40000, "HIP;SERIAL", "AMD_GFX90A"), "x")
    assert ("HIP_PLATFORM", "amd") in inst.env


def test_read_install_of_nothing_is_none(tmp_path):
    assert read_install(tmp_path, "Kokkos_ROOT") is None


def test_fingerprint_changes_when_the_install_changes(tmp_path):
    p = _fake_install(tmp_path / "kk", 30401, "OPENMP")
    before = read_install(p, "x").config_id()
    hdr = p / "include" / "KokkosCore_config.h"
    hdr.write_text(hdr.read_text() + "#define KOKKOS_ENABLE_DEBUG\n")
    assert read_install(p, "x").config_id() != before


def test_find_kokkos_precedence_and_backend_filter(tmp_path, tmp_cache, monkeypatch):
    root = _fake_install(tmp_path / "root", 40100, "SERIAL")
    ppath = _fake_install(tmp_path / "ppath", 40200, "OPENMP;SERIAL")
    monkeypatch.setenv("Kokkos_ROOT", str(root))
    monkeypatch.setenv("CMAKE_PREFIX_PATH", f"{tmp_path / 'nothing'}:{ppath}")
    assert find_kokkos("serial").origin == "Kokkos_ROOT"
    assert find_kokkos(None).prefix == root
    # Kokkos_ROOT lacks OpenMP: fall through to CMAKE_PREFIX_PATH.
    got = find_kokkos("openmp")
    assert got.prefix == ppath and got.origin == "CMAKE_PREFIX_PATH"
    with pytest.raises(KokkosNotFoundError) as err:
        find_kokkos("cuda")
    msg = str(err.value)
    assert str(root) in msg and "without cuda" in msg and "hpcir kokkos install" in msg
    with pytest.raises(KokkosNotFoundError):
        find_kokkos("fortran")


def test_find_kokkos_ignores_incomplete_cache_installs(tmp_cache, monkeypatch):
    monkeypatch.delenv("Kokkos_ROOT", raising=False)
    monkeypatch.delenv("KOKKOS_ROOT", raising=False)
    monkeypatch.setenv("CMAKE_PREFIX_PATH", "")
    half = _fake_install(tmp_cache / "kokkos" / "3.4.01-openmp", 30401, "OPENMP;SERIAL")
    with pytest.raises(KokkosNotFoundError):
        find_kokkos("openmp")  # no completion marker: a build that died part-way
    (half / "hpcir-kokkos.json").write_text('{"env": {}}')
    assert find_kokkos("openmp").origin == "hpcir cache"


# ---------------------------------------------------------------- source and patches


def _sdist() -> Path | None:
    found = sorted((cache.cache_root() / "kokkos" / "downloads").glob("pykokkos?base-0.0.7.tar.gz"))
    return found[0] if found else None


def test_cuda13_patches_apply_to_the_kokkos_source(tmp_path):
    from hpcir.backends.toolchain.kokkos_source import patch_for_cuda13, unpack_kokkos
    sdist = _sdist()
    if sdist is None:
        pytest.skip("Kokkos source not downloaded yet (run `hpcir kokkos install`)")
    src = unpack_kokkos(sdist, tmp_path)
    assert (src / "CMakeLists.txt").is_file() and not (src / "build").exists()
    patch_for_cuda13(src, "sm_90")
    assert 'default_arch="sm_90"' in (src / "bin" / "nvcc_wrapper").read_text()
    assert "#if 0 && " in (src / "core/src/Cuda/Kokkos_Cuda_Half.hpp").read_text()
    assert "cudaMemLocationTypeDevice" in (src / "core/src/Cuda/Kokkos_CudaSpace.cpp").read_text()
    assert "CHECK_CUDA_ARCH(AMPERE80  sm_90)" in (src / "cmake/kokkos_arch.cmake").read_text()
    with pytest.raises(KokkosNotFoundError, match="expected 1 match, found 0"):
        patch_for_cuda13(src, "sm_90")  # a second application must not silently pass


def test_unpack_rejects_an_archive_without_kokkos(tmp_path):
    from hpcir.backends.toolchain.kokkos_source import unpack_kokkos
    bogus = tmp_path / "x.tar.gz"
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "README").write_text("hi")
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(tmp_path / "pkg", arcname="pkg")
    with pytest.raises(KokkosNotFoundError, match="no external/kokkos"):
        unpack_kokkos(bogus, tmp_path / "out")


# ---------------------------------------------------------------- the real install


def test_ensure_kokkos_gives_a_usable_openmp_install():
    inst = ensure_kokkos("cpu")  # installed once by CI before pytest; built here otherwise
    assert isinstance(inst, KokkosInstall) and inst.has_backend("openmp")
    assert inst.version_int >= 30400
    assert ensure_kokkos("serial").has_backend("serial")
    tc = inst.toolchain()
    assert Path(tc.compiler).exists()
    assert any(str(inst.include_dir) in a for a in tc.compile_args)
    assert any("kokkoscore" in a for a in tc.link_args)


def test_cli_kokkos_info():
    ensure_kokkos("cpu")
    proc = subprocess.run([sys.executable, "-m", "hpcir", "kokkos", "info", "--backend", "openmp",
                           "--flags"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "prefix:" in proc.stdout and "openmp" in proc.stdout and "consumer link:" in proc.stdout


def test_cli_kokkos_info_reports_a_missing_backend(tmp_path):
    env = {**os.environ, "HPCIR_CACHE_DIR": str(tmp_path), "CMAKE_PREFIX_PATH": "",
           "Kokkos_ROOT": ""}
    proc = subprocess.run([sys.executable, "-m", "hpcir", "kokkos", "info", "--backend", "hip"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "no Kokkos with the hip backend found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_host_backends_never_pick_a_gpu_cache_install(tmp_cache, monkeypatch):
    for var in ("Kokkos_ROOT", "KOKKOS_ROOT", "CMAKE_PREFIX_PATH"):
        monkeypatch.delenv(var, raising=False)
    omp = _fake_install(tmp_cache / "kokkos" / "3.4.01-openmp", 30401, "OPENMP;SERIAL")
    cuda = _fake_install(tmp_cache / "kokkos" / "3.4.01-cuda-sm90", 30401, "CUDA;SERIAL")
    stub = _fake_install(tmp_cache / "kokkos" / "3.4.01-cuda-sm90-stubdriver", 30401, "CUDA;SERIAL")
    # The runnable one was built against a real driver (the marker names it).
    real = '{"cmake_defines": {"CUDA_cuda_driver_LIBRARY": "/usr/lib/x86_64-linux-gnu/libcuda.so.1"}}'
    for p, meta in ((omp, "{}"), (cuda, real), (stub, '{"stub_driver": true}')):
        (p / "hpcir-kokkos.json").write_text(meta)
    assert find_kokkos("serial").prefix == omp  # the CUDA builds also have Serial
    assert find_kokkos("openmp").prefix == omp
    assert find_kokkos("cuda").prefix == cuda  # one that can run beats the stand-in driver


def test_cli_kokkos_info_notes_an_unusable_kokkos_root(tmp_path):
    ensure_kokkos("cpu")
    env = {**os.environ, "Kokkos_ROOT": str(tmp_path / "nothing")}
    proc = subprocess.run([sys.executable, "-m", "hpcir", "kokkos", "info", "--backend", "openmp"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"passed over: Kokkos_ROOT={tmp_path / 'nothing'}" in proc.stdout


@pytest.mark.parametrize("generator", ["Ninja", "Unix Makefiles"])
def test_toolchain_probe_agrees_across_cmake_generators(generator, tmp_path):
    import json
    import shutil
    from hpcir.backends.toolchain.kokkos_probe import _run_probe
    tool = {"Ninja": "ninja", "Unix Makefiles": "make"}[generator]
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    inst = ensure_kokkos("cpu")
    data = json.loads(_run_probe(inst, tmp_path, generator).read_text())
    tc = inst.toolchain()
    assert Path(data["compiler"]).resolve() == Path(tc.compiler).resolve()
    assert data["compile_args"] == list(tc.compile_args)
    # Link lines keep the same libraries and options in the same order.
    assert [a for a in data["link_args"] if a] == [a for a in tc.link_args if a]
    assert not any("hpcir_probe" in a or a.endswith(".o") for a in data["link_args"])


def test_failed_install_reports_the_error_and_leaves_no_install(tmp_cache, monkeypatch):
    import shutil
    from hpcir.backends.toolchain.kokkos_build import install_kokkos, install_prefix
    real = _REAL_CACHE / "kokkos" / "downloads"
    sdists = sorted(real.glob("pykokkos?base-0.0.7.tar.gz"))
    if not sdists:
        pytest.skip("Kokkos source not downloaded yet (run `hpcir kokkos install`)")
    (tmp_cache / "kokkos" / "downloads").mkdir(parents=True)
    shutil.copy(sdists[0], tmp_cache / "kokkos" / "downloads")
    monkeypatch.setenv("CXX", "/bin/false")  # a "compiler" that fails CMake's checks
    messages: list[str] = []
    with pytest.raises(KokkosNotFoundError) as err:
        install_kokkos("openmp", progress=messages.append)
    assert "configuring of Kokkos 3.4.01 failed" in str(err.value)
    assert "full log" in str(err.value)
    assert any("configuring" in m for m in messages)
    assert not install_prefix("openmp").exists()
    assert not list((tmp_cache / "kokkos").glob(".build-*"))
    with pytest.raises(KokkosNotFoundError):
        find_kokkos("openmp")


def test_cuda_plan_uses_a_real_driver_when_present(tmp_path, tmp_cache, monkeypatch):
    import shutil
    from hpcir.backends.toolchain import kokkos_build
    if shutil.which("nvcc") is None:
        pytest.skip("nvcc is not installed")
    drv = tmp_path / "driver"
    drv.mkdir()
    (drv / "libcuda.so.1").write_text("")
    monkeypatch.setenv("LD_LIBRARY_PATH", str(drv))
    assert machine.find_cuda_driver() == drv / "libcuda.so.1"
    plan = kokkos_build._plan("cuda", kokkos_build.install_prefix)
    assert plan.name == "cuda-sm90" and not plan.stub_driver and plan.patch_cuda
    assert plan.defines["CUDA_cuda_driver_LIBRARY"] == str(drv / "libcuda.so.1")
    assert plan.defines["Kokkos_ARCH_AMPERE80"] == "ON"
    monkeypatch.setattr(machine, "find_cuda_driver", lambda: None)
    stub = kokkos_build._plan("cuda", kokkos_build.install_prefix)
    assert stub.name == "cuda-sm90-stubdriver" and stub.stub_driver
    assert stub.defines["CUDA_cuda_driver_LIBRARY"].endswith("stub/libcuda.so")
    assert stub.consumer_defines["CUDA_cuda_driver_LIBRARY"] == stub.defines["CUDA_cuda_driver_LIBRARY"]


def test_a_machine_with_a_cuda_driver_builds_a_runnable_kokkos_over_the_stand_in(tmp_cache, monkeypatch):
    """The stand-in-driver CUDA Kokkos only compiles: where a real driver exists, ensure_kokkos
    builds one that runs instead of returning it; without a driver it is what compile checks use."""
    from hpcir.backends.toolchain import kokkos_build, kokkos_install
    for var in ("Kokkos_ROOT", "KOKKOS_ROOT", "CMAKE_PREFIX_PATH"):
        monkeypatch.delenv(var, raising=False)
    stub = _fake_install(tmp_cache / "kokkos" / "3.4.01-cuda-sm90-stubdriver", 30401, "CUDA;SERIAL")
    (stub / "hpcir-kokkos.json").write_text('{"stub_driver": true}')
    built = []
    monkeypatch.setattr(kokkos_build, "install_kokkos", lambda backend, progress=None: built.append(backend) or "real")
    monkeypatch.setattr(machine, "find_cuda_driver", lambda: None)
    kokkos_build._ensure_cached.cache_clear()
    assert ensure_kokkos("cuda").prefix == stub and built == []
    monkeypatch.setattr(machine, "find_cuda_driver", lambda: Path("/usr/lib/libcuda.so.1"))
    kokkos_build._ensure_cached.cache_clear()
    assert ensure_kokkos("cuda") == "real" and built == ["cuda"]
    kokkos_build._ensure_cached.cache_clear()


def test_gpu_targets_run_only_with_a_driver_and_a_device(monkeypatch):
    from hpcir.core import machine
    from hpcir.api import cannot_run_reason
    from hpcir.core.targets import get_target
    assert cannot_run_reason(get_target("cpu")) is None and cannot_run_reason(get_target("serial")) is None
    monkeypatch.setattr(machine, "find_cuda_driver", lambda: None)
    assert "no NVIDIA driver" in cannot_run_reason(get_target("cuda"))
    monkeypatch.setattr(machine, "find_cuda_driver", lambda: Path("/usr/lib/libcuda.so.1"))
    monkeypatch.setattr(machine, "_device_count", lambda lib, init, count: 0)
    assert "no CUDA device" in cannot_run_reason(get_target("cuda"))
    monkeypatch.setattr(machine, "_device_count", lambda lib, init, count: 1)
    assert cannot_run_reason(get_target("cuda")) is None
    assert cannot_run_reason(get_target("hip")) is None
    monkeypatch.setattr(machine, "_device_count", lambda lib, init, count: None)
    assert "no ROCm runtime" in cannot_run_reason(get_target("hip"))
