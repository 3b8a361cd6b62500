"""Graph models on Kokkos vs the frameworks: a torch MLP and a conv+bn+pool block, run by

  - torch eager (the reference),
  - hpcir -> Kokkos OpenMP (target cpu: L1 -> upstream bufferization -> L2 loops -> L3 -> C++),
  - hpcir -> torch (the generated torch code, eager),
  - hpcir -> JAX (the generated JAX code under jax.jit).

Usage: python benchmarks/graph_models.py [--reps N] [--json out.json]
Results are recorded in benchmarks/graph_results.md (times are medians of interleaved rounds).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def _models(dtype):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(256, 512), nn.Linear(512, 512), nn.Linear(512, 10)

        def forward(self, x):
            return self.fc3(torch.relu(self.fc2(F.gelu(self.fc1(x)))))

    class ConvBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(16, 32, 3, padding=1)
            self.bn = nn.BatchNorm2d(32)

        def forward(self, x):
            return F.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)

    tdt = torch.float32 if dtype == np.float32 else torch.float64
    g = torch.Generator().manual_seed(0)
    return {
        "mlp (64x256 -> 512 -> 512 -> 10)": (MLP().to(tdt).eval(), torch.randn(64, 256, generator=g, dtype=tdt)),
        "conv3x3+bn+relu+maxpool (8x16x32x32 -> 32ch)": (ConvBlock().to(tdt).eval(),
                                                        torch.randn(8, 16, 32, 32, generator=g, dtype=tdt)),
    }


def main(argv: list[str] | None = None) -> int:
    """Time every model on every path and print a Markdown table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args(argv)

    import jax
    import torch
    from bench_util import interleaved, load_average, machine_info

    from hpcir.graph_api import compile, from_torch

    jax.config.update("jax_enable_x64", a.dtype == "float64")
    dtype = np.dtype(a.dtype)
    info = machine_info()
    rows, out = [], {"machine": info, "dtype": a.dtype, "torch_threads": torch.get_num_threads(), "models": {}}
    with torch.no_grad():
        for name, (model, x) in _models(dtype.type).items():
            prog = from_torch(model, (x,))
            kokkos = compile(prog, target="cpu")
            gen_torch = compile(prog, target="torch")
            gen_jax = jax.jit(compile(prog, target="jax"))
            xn = x.numpy()
            want = model(x).numpy()
            tol = 1e-4 if dtype == np.float32 else 1e-10
            for label, got in (("kokkos", kokkos(xn)), ("torch", gen_torch(x).numpy()), ("jax", np.asarray(gen_jax(xn)))):
                err = float(np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want)))))
                assert err < tol, f"{name} {label}: relative error {err}"
            # each variant returns None: interleaved() then times it with perf_counter
            variants = {
                "torch eager": lambda: None if model(x) is None else None,
                "hpcir -> Kokkos cpu": lambda: None if kokkos(xn) is None else None,
                "hpcir -> torch": lambda: None if gen_torch(x) is None else None,
                "hpcir -> JAX (jit)": lambda: None if gen_jax(xn).block_until_ready() is None else None,
            }
            res = interleaved(variants, warmup=3, reps=a.reps)
            base = res["torch eager"].median
            out["models"][name] = {k: v.as_dict() for k, v in res.items()}
            for k, v in res.items():
                rows.append(f"| {name} | {k} | {v.median * 1e3:.3f} | {v.spread:.2f} | {v.median / base:.2f}x |")
    print(f"machine: {info['cpu']}, {info['logical_cpus']} logical CPUs, torch threads "
          f"{torch.get_num_threads()}, load {load_average()[0]:.2f}, dtype {a.dtype}")
    print("| model | path | median ms | IQR/median | vs torch eager |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    if a.json:
        a.json.write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
