"""`hpcir lower model.py --target=cpu|cuda|hip`: a CMake project per model file that builds with the
printed command, whose check runs from any directory and fails on damaged weights; GPU projects
stop at configure time with a clear message when their compiler is missing."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hpcir.backends.tensor_file import read_tensors, write_tensors
from hpcir.cli import main

MODEL = '''
import jax
import jax.numpy as jnp
import numpy as np
import torch
import hpcir

jax.config.update("jax_enable_x64", True)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3, padding=1)
        self.fc = torch.nn.Linear(3 * 5 * 4, 6)

    def forward(self, image):
        return torch.relu(self.fc(torch.relu(self.conv(image)).flatten(1)))


def stats(u, scale, w):
    v = jnp.tanh(u * scale) * w
    return {"smoothed": 0.5 * v[1:-1] + 0.25 * (v[2:] + v[:-2]), "total": v.sum()}


torch.manual_seed(3)
hpcir.export(Net().eval(), (torch.randn(2, 2, 5, 4),), name="net")
hpcir.export(stats, (np.linspace(-1.0, 1.0, 11), 1.5, np.linspace(0.5, 1.5, 11)), name="stats",
             weights=(2,), embed_weights=True)   # w compiled into the library
'''


def _env() -> dict[str, str]:
    """The user's environment, without the test run's OpenMP settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_", "HPCIR_OMP"))}


def _lower(tmp_path: Path, target: str, capsys) -> tuple[Path, str]:
    src = tmp_path / "model.py"
    src.write_text(MODEL)
    out = tmp_path / f"proj_{target}"
    assert main(["lower", str(src), f"--target={target}", "-o", str(out)]) == 0
    return out, capsys.readouterr().out


def _every_unit_reads_the_precompiled_header(build: Path) -> None:
    """Every translation unit of a built project (libraries and checks) reads its one precompiled
    Kokkos_Core.hpp: compiled again with -H, GCC marks a header it used with "!" and warns
    (-Winvalid-pch) about one it found but cannot use."""
    if not re.search(r"^CMAKE_CXX_COMPILER_ID:\w+=GNU$", (build / "CMakeCache.txt").read_text(), re.M):
        return  # (GCC only: another compiler marks a precompiled header differently)
    # Configure again (nothing changes) to get the compile commands.
    subprocess.run(["cmake", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON", str(build)], check=True, capture_output=True)
    commands = [c for c in json.loads((build / "compile_commands.json").read_text())
                if not c["file"].endswith("cmake_pch.hxx.cxx")]
    assert len(commands) >= 4  # two libraries, two checks
    for c in commands:
        proc = subprocess.run([*shlex.split(c["command"]), "-H", "-fsyntax-only"], cwd=c["directory"],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert re.search(r"^! .*cmake_pch\.hxx\.gch$", proc.stderr, re.M), (c["file"], proc.stderr[:2000])
        assert "Winvalid-pch" not in proc.stderr, (c["file"], proc.stderr[:2000])


@pytest.mark.slow
def test_cpu_project_builds_checks_and_refuses_damaged_weights(tmp_path: Path, capsys):
    out, printed = _lower(tmp_path, "cpu", capsys)
    # The model's names in the C++ API: torch forward()'s parameter, JAX's parameters and dict keys.
    header = (out / "net_model.hpp").read_text()
    assert "void operator()(image_view image, output_view output) const;" in header, header
    entry = (out / "stats.hpp").read_text()
    assert re.search(r"void stats\(\w+ u, \w+ scale, \w+ const_\w+, \w+ smoothed, \w+ total\);", entry), entry
    assert (out / "stats_weights.cpp").exists() and not (out / "stats.safetensors").exists()  # embedded
    assert re.search(r"void net\(\w+ image, \w+ conv_weight, \w+ conv_bias, \w+ fc_weight, \w+ fc_bias, \w+ output\)",
                     (out / "net.hpp").read_text())
    assert "target_link_libraries(my_app PRIVATE net stats)" in (out / "README.md").read_text()
    weights = read_tensors(out / "net.safetensors")
    assert set(weights) == {"conv_weight", "conv_bias", "fc_weight", "fc_bias"}
    sample = read_tensors(out / "stats_sample.safetensors")
    assert sample["expected.total"].shape == () and sample["scale"] == 1.5

    # Build with exactly the printed command, then run the checks from an unrelated directory.
    build = next(line for line in printed.splitlines() if line.startswith("build: "))[len("build: "):]
    proc = subprocess.run(build, shell=True, capture_output=True, text=True, env=_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    _every_unit_reads_the_precompiled_header(out / "build")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in ("net", "stats"):
        run = subprocess.run([str(out / "build" / f"{name}_main")], capture_output=True, text=True, env=_env(),
                             cwd=elsewhere)
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"{name}: the outputs match the Python model" in run.stdout
        assert "OMP_PROC_BIND" not in run.stderr

    # Damaged weights: changed values are a mismatch (exit 1); a truncated file is refused (exit 2).
    weights["fc_bias"] += 1.0
    write_tensors(out / "net.safetensors", weights)
    run = subprocess.run([str(out / "build" / "net_main")], capture_output=True, text=True, env=_env(), cwd=elsewhere)
    assert run.returncode == 1 and "MISMATCH" in run.stdout, run.stdout + run.stderr
    data = (out / "net.safetensors").read_bytes()
    (out / "net.safetensors").write_bytes(data[:len(data) - 16])
    run = subprocess.run([str(out / "build" / "net_main")], capture_output=True, text=True, env=_env(), cwd=elsewhere)
    assert run.returncode == 2 and "net.safetensors" in run.stderr and "truncated" in run.stderr, run.stderr


def test_tensor_file_round_trip_keeps_dtypes_and_0d_shapes(tmp_path: Path):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "s": np.array(2.5), "i": np.array([1, -2]),
              "b": np.array([True, False]), "c": np.array([1 + 2j], dtype=np.complex64)}
    got = read_tensors(write_tensors(tmp_path / "t.safetensors", arrays))
    for k, v in arrays.items():
        assert got[k].dtype == v.dtype and got[k].shape == v.shape and np.array_equal(got[k], v), k
    raw = (tmp_path / "t.safetensors").read_bytes()
    assert (int.from_bytes(raw[:8], "little") + 8) % 8 == 0  # the data starts 8-byte aligned


@pytest.mark.parametrize("target,compiler", [("hip", "hipcc"), ("cuda", "nvcc_wrapper")])
def test_gpu_project_stops_at_configure_without_its_compiler(tmp_path: Path, capsys, target, compiler):
    out, printed = _lower(tmp_path, target, capsys)
    cpp = (out / "net.hpp").read_text() + (out / "net_model.hpp").read_text()
    assert f"target '{target}'" in cpp and "LayoutRight, device_space> conv_weight_;" in cpp
    assert "build: cmake -S" in printed
    # A machine without the GPU compiler: only cmake and make on PATH, no Kokkos_ROOT pointing at one.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("cmake", "make"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/tmp")}
    proc = subprocess.run(["cmake", "-S", str(out), "-B", str(out / "build"), "-DKokkos_ROOT=/nonexistent"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    assert f"no {compiler}" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_output_names_follow_the_model_else_output_k():
    from hpcir.model_export import output_names
    assert output_names(["mean", "var"], {"x"}) == ["mean", "var"]
    assert output_names([""], {"x"}) == ["output"]
    assert output_names(["", ""], set()) == ["output0", "output1"]
    assert output_names(["x", "y"], {"x"}) == ["x_out", "y"]          # never an argument's name
    assert output_names(["a", "a"], set()) == ["output0", "output1"]  # not unique: positional names
