"""Build time of a lowered model's CMake project, with and without the shared precompiled Kokkos header.

    python benchmarks/model_project_build.py [--reps 1] [--jobs 2] [--model resnet18] [--pch OFF]

Lowers a small torch model (conv + linear) and a JAX function (or, with `--model resnet18`,
benchmarks/torch_nets.py's ResNet-18) with `hpcir lower --target=cpu`, then configures and builds
the project with HPCIR_PCH=OFF and =ON alternately (fresh build folders; `--pch` picks one), and
prints the median wall times, the compilers' CPU time, their ratio and the machine's load.
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


RESNET = f'''
import sys, torch, hpcir
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from torch_nets import ResNet18
torch.manual_seed(0)
hpcir.export(ResNet18().eval(), (torch.randn(1, 3, 224, 224),), name="resnet18")
'''


def build_seconds(project: Path, pch: str, jobs: int, exe: str = "net_main") -> float:
    """Configure and build the project in a fresh folder; wall seconds (prints the compilers' CPU seconds)."""
    build = project / f"build_{pch}_{time.monotonic_ns()}"
    cpu0 = os.times()
    start = time.perf_counter()
    subprocess.run(["cmake", "-S", str(project), "-B", str(build), f"-DHPCIR_PCH={pch}"], check=True,
                   capture_output=True)
    subprocess.run(["cmake", "--build", str(build), f"-j{jobs}"], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    cpu1 = os.times()
    cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    print(f"  HPCIR_PCH={pch}: {seconds:.1f} s wall, {cpu:.1f} s CPU (configure + build), "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    subprocess.run([str(build / exe)], check=True, capture_output=True)
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--model", choices=["small", "resnet18"], default="small")
    ap.add_argument("--pch", choices=["OFF", "ON", "both"], default="both")
    args = ap.parse_args()
    modes = ("OFF", "ON") if args.pch == "both" else (args.pch,)
    exe = "resnet18_main" if args.model == "resnet18" else "net_main"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "model.py"
        src.write_text(RESNET if args.model == "resnet18" else MODEL)
        out = Path(tmp) / "proj"
        subprocess.run([sys.executable, "-m", "hpcir", "lower", str(src), "--target=cpu", "-o", str(out)],
                       check=True, capture_output=True)
        times: dict[str, list[float]] = {m: [] for m in modes}
        for _ in range(args.reps):
            for pch in modes:
                times[pch].append(build_seconds(out, pch, args.jobs, exe))
    med = {m: statistics.median(v) for m, v in times.items()}
    print(f"configure + build of {args.model}, -j{args.jobs}, medians of {args.reps}: "
          + ", ".join(f"HPCIR_PCH={m} {v:.1f} s" for m, v in med.items())
          + (f", ratio {med['OFF'] / med['ON']:.2f}x" if len(med) == 2 else ""))
    print(f"load average after: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
