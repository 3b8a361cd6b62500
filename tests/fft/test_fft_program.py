"""hpcir.fft in @hpcir.program host code lowered by `hpcir lower`: fft.execute between the launches,
C++ calling the FFT runtime, a CMake project that finds FFTW3 and an executable that prints what
NumPy computes. Bad calls are located errors."""
from __future__ import annotations

import os
import re
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hpcir.cli import main as cli_main

EXAMPLE = Path(__file__).with_name("fft_program_example.py")


def _reference() -> tuple[float, float]:
    n = 16
    i = np.arange(n)
    x = (i % 5) + 0.25 * (i % 3)
    k = np.fft.rfft(x, norm="ortho")
    y = np.fft.irfft(k, n=n, norm="ortho")
    return float(np.sum(k.real * (np.arange(k.size) + 1) - k.imag)), float(np.sum(y * i))


def test_program_lowers_to_fft_execute_between_launches(capsys):
    assert cli_main(["lower", str(EXAMPLE), "--target=cpu", "--emit=mlir", "--stage=L3", "--pretty"]) == 0
    l3 = capsys.readouterr().out
    assert l3.count('"fft.execute"') == 2 and 'kind = "rfftn"' in l3 and 'norm = "ortho"' in l3
    assert l3.index('kind = "rfftn"') < l3.index('kind = "irfftn"')


@pytest.mark.slow
def test_lowered_program_builds_with_fftw_and_prints_numpys_values(tmp_path: Path, capsys):
    out = tmp_path / "proj"
    assert cli_main(["lower", str(EXAMPLE), "--target=cpu", "-o", str(out)]) == 0
    assert (out / "hpcir_fft_cpu.cpp").exists()
    assert "pkg_check_modules(FFTW3" in (out / "CMakeLists.txt").read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))}
    cfg = subprocess.run(["cmake", "-S", str(out), "-B", str(out / "build"), "-DCMAKE_BUILD_TYPE=Release"],
                         capture_output=True, text=True, env=env)
    assert cfg.returncode == 0, cfg.stdout[-2000:] + cfg.stderr[-2000:]
    assert "FFTW3 3." in cfg.stdout
    build = subprocess.run(["cmake", "--build", str(out / "build"), "-j2"], capture_output=True, text=True, env=env)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    run = subprocess.run([str(out / "build" / "fft_program_example_main")], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    m = re.search(r"weighted (\S+) total (\S+)", run.stdout)
    assert m, run.stdout
    w, s = _reference()
    assert float(m.group(1)) == pytest.approx(w, rel=1e-12, abs=1e-12)
    assert float(m.group(2)) == pytest.approx(s, rel=1e-12)


BAD = {
    "no_out": ("k = hpcir.fft.rfftn(x)", "needs out="),
    "wrong_kind": ("hpcir.fft.rfftn(x, out=y)", "output must be complex"),
    "axes": ("hpcir.fft.rfftn(x, axes=(1,), out=k)", "axes (1,) must be distinct axes of a rank-1 view"),
    "norm": ('hpcir.fft.fftn(k, norm="unitary", out=k)', "norm must be"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_fft_calls_in_programs_are_located(case, tmp_path: Path, capsys):
    line, words = BAD[case]
    src = tmp_path / f"bad_{case}.py"
    src.write_text(textwrap.dedent(f"""\
        import hpcir
        from hpcir import View


        @hpcir.program
        def main():
            x = View((8,), float)
            k = View((5,), complex)
            y = View((8,), float)
            {line}
        """))
    assert cli_main(["lower", str(src), "--target=cpu", "--emit=mlir"]) != 0  # the CLI prints the HpcirError
    msg = capsys.readouterr().err
    assert msg.startswith(f"{src}:10:"), msg
    assert words in msg and "^" in msg and "error:" in msg, msg
