"""Large host modules split into translation units that compile in parallel (kokkos_cpp/units.py):
the emitted files, the host unit's -O2, the precompiled header read by every unit, and a split
model built by the JIT, checked against torch."""
from __future__ import annotations

import functools
import re
import subprocess

import numpy as np
import pytest
import torch

from hpcir.backends import build as build_mod
from hpcir.backends.build import build_jobs
from hpcir.backends.kokkos_cpp.units import LAUNCHES_PER_UNIT, SPLIT_FROM, cmake_unit_flags, unit_flags
from hpcir.graph_api import compile, from_torch
from hpcir.graph_lowering import graph_l3
from hpcir.core.targets import get_target
from hpcir.lowering import emit_cpp, kokkos_for, runtime_cflags


# Enough conv + BN layers for at least SPLIT_FROM launches (a zero padding is folded into im2col).
LAYERS = SPLIT_FROM


def _net(layers: int) -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    mods = []
    for _ in range(layers):  # each layer: batch norm + relu, a copy, im2col + gemm
        mods += [torch.nn.Conv2d(3, 3, 3, padding=1, bias=False), torch.nn.BatchNorm2d(3), torch.nn.ReLU()]
    net = torch.nn.Sequential(*mods).eval()
    for m in net:
        if isinstance(m, torch.nn.BatchNorm2d):  # not the identity, so that a wrong order shows
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return net, torch.randn(1, 3, 5, 5, generator=torch.Generator().manual_seed(1))


@functools.cache
def _lowered(layers: int) -> tuple[dict[str, str], tuple[str, ...]]:
    """The module's C++ files and the compile flags of the libraries it calls."""
    net, x = _net(layers)
    with torch.no_grad():
        prog = from_torch(net, (x,), name=f"deep{layers}")
    module = graph_l3(prog, "cpu")
    return emit_cpp(module, "cpu", f"deep{layers}"), runtime_cflags(module)


def _files(layers: int) -> dict[str, str]:
    return _lowered(layers)[0]


def test_a_small_module_stays_one_unit():
    files = _files(2)
    assert sorted(f for f in files if f.endswith(".cpp")) == ["deep2.cpp"]
    assert "Kokkos::parallel_for(" in files["deep2.cpp"] and "_launch(" not in files["deep2.cpp"]
    assert unit_flags("deep2.cpp", files) == ()


def test_a_large_module_is_split_and_its_host_unit_compiles_at_o2():
    files = _files(LAYERS)
    units = sorted(f for f in files if f.endswith(".cpp"))
    launches = [u for u in units if u.startswith(f"deep{LAYERS}_launches")]
    assert len(launches) >= 2 and f"deep{LAYERS}_kernels.hpp" in files
    host = files[f"deep{LAYERS}.cpp"]
    # The host program calls the launchers; Kokkos' parallel_for and deep_copy are instantiated elsewhere.
    assert "Kokkos::parallel_for(" not in host and "Kokkos::deep_copy(" not in host
    assert "_functor_launch(" in host and "launch_for(\"im2col\"" in host
    defined = "".join(files[u] for u in launches)
    # One launcher per functor, plus one launch_for overload per im2col functor type (const first input).
    overloads = defined.count("void launch_for(")
    assert overloads >= 1 and defined.count("Kokkos::parallel_for(") == host.count("_functor_launch(") + overloads
    assert all(files[u].count("Kokkos::parallel_for(") <= LAUNCHES_PER_UNIT for u in launches)
    assert unit_flags(f"deep{LAYERS}.cpp", files) == ("-O2",)
    assert all(unit_flags(u, files) == () for u in launches)
    assert cmake_unit_flags(units, files) == [
        f'set_source_files_properties(deep{LAYERS}.cpp PROPERTIES COMPILE_OPTIONS "-O2")']


def test_every_unit_of_a_split_module_reads_the_precompiled_header(tmp_path):
    target = get_target("cpu")
    install = kokkos_for(target)
    tc = install.toolchain()
    if not build_mod._is_gcc(tc):
        pytest.skip("precompiled headers are used with GCC only")
    files, cflags = _lowered(LAYERS)
    for fname, text in files.items():
        (tmp_path / fname).write_text(text)
    flags = build_mod._target_flags(target, tc)
    pch = build_mod.precompiled_header_args(tc, flags, install)
    assert pch
    units = sorted(f for f in files if f.endswith(".cpp"))
    assert len(units) >= 3
    for unit in units:  # the host unit at -O2 too: GCC must not refuse the -O3 header for it
        cmd = build_mod.unit_compile_args(tc, flags, cflags, unit, files, pch)
        # -H lists the headers read; GCC marks a precompiled header it used with "!", and
        # -Winvalid-pch (in `pch`) warns when it finds one it cannot use.
        proc = subprocess.run([*cmd, "-H", "-fsyntax-only", str(tmp_path / unit)], capture_output=True, text=True,
                              env=tc.environ())
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert re.search(r"^! .*Kokkos_Core\.hpp\.gch$", proc.stderr, re.M), (unit, proc.stderr[:2000])
        assert "warning" not in proc.stderr, (unit, proc.stderr[:2000])


def test_build_jobs_follow_the_environment(monkeypatch):
    monkeypatch.setenv("HPCIR_BUILD_JOBS", "3")
    assert build_jobs() == 3
    monkeypatch.setenv("HPCIR_BUILD_JOBS", "zero")
    assert build_jobs() >= 1


@pytest.mark.parametrize("jobs", ["2"])
def test_a_split_model_builds_in_parallel_and_matches_torch(monkeypatch, jobs):
    monkeypatch.setenv("HPCIR_BUILD_JOBS", jobs)
    net, x = _net(LAYERS)
    with torch.no_grad():
        prog = from_torch(net, (x,), name="deep_split")
        want = net(x).numpy()
    got = compile(prog, target="cpu")(x.numpy())
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
