"""Large host modules split into translation units that compile in parallel (kokkos_cpp/units.py):
the emitted files, the host unit's -O2, and a split model built by the JIT, checked against torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from hpcir.backends.build import build_jobs
from hpcir.backends.kokkos_cpp.units import LAUNCHES_PER_UNIT, SPLIT_FROM, cmake_unit_flags, unit_flags
from hpcir.graph_api import compile, from_torch
from hpcir.graph_lowering import graph_l3
from hpcir.lowering import emit_cpp


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


def _files(layers: int) -> dict[str, str]:
    net, x = _net(layers)
    with torch.no_grad():
        prog = from_torch(net, (x,), name=f"deep{layers}")
    return emit_cpp(graph_l3(prog, "cpu"), "cpu", f"deep{layers}")


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
