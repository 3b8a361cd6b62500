"""Build time of a lowered model's CMake project, with and without the shared precompiled Kokkos header.

    python benchmarks/model_project_build.py [--reps 1] [--jobs 2]

Lowers a small torch model (conv + linear) and a JAX function with `hpcir lower --target=cpu`,
then configures and builds the project with HPCIR_PCH=OFF and =ON alternately (fresh build
folders), and prints the median wall times, their ratio and the machine's load.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = '''
import numpy as np, torch, hpcir
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8 * 8 * 8, 10)
    def forward(self, image):
        return self.fc(torch.relu(self.conv(image)).flatten(1))
def smooth(u):
    return 0.5 * u[1:-1] + 0.25 * (u[2:] + u[:-2])
hpcir.export(Net().eval(), (torch.randn(1, 3, 8, 8),), name="net")
hpcir.export(smooth, (np.linspace(0.0, 1.0, 33, dtype=np.float32),), name="smooth")
'''


def build_seconds(project: Path, pch: str, jobs: int) -> float:
    """Configure and build the project in a fresh folder; wall seconds."""
    build = project / f"build_{pch}_{time.monotonic_ns()}"
    start = time.perf_counter()
    subprocess.run(["cmake", "-S", str(project), "-B", str(build), f"-DHPCIR_PCH={pch}"], check=True,
                   capture_output=True)
    subprocess.run(["cmake", "--build", str(build), f"-j{jobs}"], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    subprocess.run([str(build / "net_main")], check=True, capture_output=True)
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "model.py"
        src.write_text(MODEL)
        out = Path(tmp) / "proj"
        subprocess.run([sys.executable, "-m", "hpcir", "lower", str(src), "--target=cpu", "-o", str(out)],
                       check=True, capture_output=True)
        times: dict[str, list[float]] = {"OFF": [], "ON": []}
        for _ in range(args.reps):
            for pch in ("OFF", "ON"):
                times[pch].append(build_seconds(out, pch, args.jobs))
    off, on = statistics.median(times["OFF"]), statistics.median(times["ON"])
    print(f"configure + build, -j{args.jobs}, medians of {args.reps}: without PCH {off:.1f} s, "
          f"with PCH {on:.1f} s, ratio {off / on:.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
