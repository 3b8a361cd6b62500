"""Graph models on Kokkos (cpu) vs the frameworks, at 1 and 2 threads, side by side in one run:

  - torch models (ResNet-18, MobileNetV3-small from benchmarks/torch_nets.py, a TransformerEncoderLayer,
    the MLP and conv block of earlier runs): torch eager (the reference), hpcir -> Kokkos cpu,
    hpcir -> JAX under jax.jit;
  - JAX models (a flax-style MLP and CNN: flax.linen's Dense / Conv math, written in jax.numpy because
    flax is not installable beside the pinned JAX here): jax.jit (the reference), hpcir -> Kokkos cpu;
  - matmul 1024^2 float32: OpenBLAS called directly (cblas_sgemm of the same scipy-openblas32 library
    through ctypes) vs hpcir -> Kokkos cpu (which calls it from generated C++), in GFLOP/s.

Each thread count runs in its own process (Kokkos' OpenMP pool is sized once per process):
OMP_NUM_THREADS (Kokkos, and OpenBLAS through openblas_set_num_threads in the generated code),
torch.set_num_threads and XLA's intra-op threads are all set to it.

Usage: python benchmarks/graph_models.py [--threads 1,2] [--reps N] [--models resnet18,...] [--json out.json]
Results are recorded in benchmarks/RESULTS.md (times are medians of interleaved rounds).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
TORCH_MODELS = ("resnet18", "mobilenet_v3_small", "transformer_encoder", "mlp", "conv_block")
JAX_MODELS = ("flax_mlp", "flax_cnn")
ALL = (*TORCH_MODELS, *JAX_MODELS, "matmul1024")


def _torch_model(name: str):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch_nets import MobileNetV3Small, ResNet18

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(256, 512), nn.Linear(512, 512), nn.Linear(512, 10)

        def forward(self, x):
            return self.fc3(torch.relu(self.fc2(F.gelu(self.fc1(x)))))

    class ConvBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32)

        def forward(self, x):
            return F.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    if name == "resnet18":
        return "ResNet-18 1x3x224x224", ResNet18().eval(), torch.randn(1, 3, 224, 224, generator=g)
    if name == "mobilenet_v3_small":
        return "MobileNetV3-small 1x3x224x224", MobileNetV3Small().eval(), torch.randn(1, 3, 224, 224, generator=g)
    if name == "transformer_encoder":
        layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=256, dropout=0.0, batch_first=True).eval()
        return "TransformerEncoderLayer(64, 4 heads) 4x128x64", layer, torch.randn(4, 128, 64, generator=g)
    if name == "mlp":
        return "torch MLP 64x256 -> 512 -> 512 -> 10", MLP().eval(), torch.randn(64, 256, generator=g)
    return "conv3x3+bn+relu+maxpool 8x16x32x32", ConvBlock().eval(), torch.randn(8, 16, 32, 32, generator=g)


def _jax_model(name: str):
    """(label, fn, inputs, weights): flax.linen.Dense / Conv semantics (x @ kernel + bias; NHWC, HWIO, SAME)."""
    import jax
    rng = np.random.default_rng(0)

    def dense(x, k, b):
        return x @ k + b

    def w(*shape):
        return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[:-1]))).astype(np.float32)

    if name == "flax_mlp":
        def mlp(x, k1, b1, k2, b2, k3, b3):
            return dense(jax.nn.relu(dense(jax.nn.relu(dense(x, k1, b1)), k2, b2)), k3, b3)
        weights = (w(784, 512), np.zeros(512, np.float32), w(512, 512), np.zeros(512, np.float32),
                   w(512, 10), np.zeros(10, np.float32))
        return "flax-style MLP 64x784 -> 512 -> 512 -> 10", mlp, (rng.standard_normal((64, 784), np.float32),), weights

    def conv(x, k, b):
        return jax.lax.conv_general_dilated(x, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")) + b

    def pool(x):  # flax.linen.avg_pool(x, (2, 2), strides=(2, 2))
        n, h, wd, c = x.shape
        return x.reshape(n, h // 2, 2, wd // 2, 2, c).mean(axis=(2, 4))

    def cnn(x, k1, b1, k2, b2, k3, b3, k4, b4):  # the flax tutorial's CNN
        x = pool(jax.nn.relu(conv(x, k1, b1)))
        x = pool(jax.nn.relu(conv(x, k2, b2)))
        x = jax.nn.relu(dense(x.reshape(x.shape[0], -1), k3, b3))
        return dense(x, k4, b4)
    weights = (w(3, 3, 1, 32), np.zeros(32, np.float32), w(3, 3, 32, 64), np.zeros(64, np.float32),
               w(7 * 7 * 64, 256), np.zeros(256, np.float32), w(256, 10), np.zeros(10, np.float32))
    return "flax-style CNN 16x28x28x1", cnn, (rng.standard_normal((16, 28, 28, 1), np.float32),), weights


def _openblas_sgemm():
    """cblas_sgemm of the scipy-openblas32 library, through ctypes (the BLAS hpcir's generated code calls)."""
    import ctypes

    import scipy_openblas32 as w
    lib = ctypes.CDLL(os.path.join(w.get_lib_dir(), f"lib{w.get_library()}.so"))
    lib.scipy_openblas_set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    f = lib.scipy_cblas_sgemm
    fp = ctypes.POINTER(ctypes.c_float)
    f.restype = None  # (interleaved() reads a returned number as the variant's own timing)
    f.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, fp, ctypes.c_int, fp, ctypes.c_int, ctypes.c_float, fp,
                                       ctypes.c_int]

    def run(a, b, c):
        n = a.shape[0]
        p = [x.ctypes.data_as(fp) for x in (a, b, c)]
        f(101, 111, 111, n, n, n, 1.0, p[0], n, p[1], n, 0.0, p[2], n)
    return run


def _check(label, got, want, tol=2e-3):
    got, want = np.asarray(got), np.asarray(want)
    err = float(np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want)))))
    assert err < tol, f"{label}: relative error {err}"


def run_one(models: list[str], reps: int) -> dict:
    """Time the models at this process's thread count (OMP_NUM_THREADS); returns {model: {path: samples}}."""
    import jax
    import torch
    from bench_util import interleaved

    from hpcir.graph_api import compile, from_jax, from_torch
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    out = {}
    with torch.no_grad():
        for name in models:
            if name in TORCH_MODELS:
                label, model, x = _torch_model(name)
                prog = from_torch(model, (x,))
                kokkos, gen_jax, xn = compile(prog, target="cpu"), jax.jit(compile(prog, target="jax")), x.numpy()
                want = model(x).numpy()
                _check(label + " kokkos", kokkos(xn), want)
                _check(label + " jax", gen_jax(xn), want)
                variants = {"torch eager": lambda: None if model(x) is None else None,
                            "hpcir -> Kokkos cpu": lambda: None if kokkos(xn) is None else None,
                            "hpcir -> JAX (jit)": lambda: None if gen_jax(xn).block_until_ready() is None else None}
                ref = "torch eager"
            elif name in JAX_MODELS:
                label, fn, xs, ws = _jax_model(name)
                prog = from_jax(fn, *xs, *ws, weights=tuple(range(len(xs), len(xs) + len(ws))))
                kokkos, jitted = compile(prog, target="cpu"), jax.jit(fn)
                want = np.asarray(jitted(*xs, *ws))
                _check(label + " kokkos", kokkos(*xs), want)
                variants = {"jax.jit": lambda: None if jitted(*xs, *ws).block_until_ready() is None else None,
                            "hpcir -> Kokkos cpu": lambda: None if kokkos(*xs) is None else None}
                ref = "jax.jit"
            else:
                label, n = "matmul 1024x1024 float32", 1024
                rng = np.random.default_rng(0)
                a, b = rng.standard_normal((n, n), np.float32), rng.standard_normal((n, n), np.float32)
                c = np.empty((n, n), np.float32)
                kokkos, sgemm = compile(from_jax(lambda p, q: p @ q, a, b), target="cpu"), _openblas_sgemm()
                sgemm(a, b, c)
                _check(label, kokkos(a, b), c, 1e-4)
                variants = {"OpenBLAS cblas_sgemm (ctypes)": lambda: sgemm(a, b, c),
                            "hpcir -> Kokkos cpu": lambda: None if kokkos(a, b) is None else None}
                ref = "OpenBLAS cblas_sgemm (ctypes)"
            res = interleaved(variants, warmup=2, reps=reps)
            out[name] = {"label": label, "reference": ref, "paths": {k: v.as_dict() for k, v in res.items()}}
            if name == "matmul1024":
                out[name]["gflops"] = {k: 2 * 1024 ** 3 / v.median / 1e9 for k, v in res.items()}
            print(f"[{os.environ['OMP_NUM_THREADS']} thread(s)] {label}: "
                  + ", ".join(f"{k} {v.median * 1e3:.2f} ms" for k, v in res.items()), file=sys.stderr, flush=True)
    return out


def _child(threads: int, models: list[str], reps: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_PROC_BIND="false",
               XLA_FLAGS=f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                         f"intra_op_parallelism_threads={threads}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.json"
        subprocess.run([sys.executable, __file__, "--child", "--reps", str(reps), "--models", ",".join(models),
                        "--json", str(path)], env=env, check=True)
        return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> int:
    """Run every model at each thread count (one process each) and print one Markdown table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", default="1,2")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--models", default=",".join(ALL))
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    models = [m for m in a.models.split(",") if m]
    unknown = set(models) - set(ALL)
    if unknown:
        p.error(f"unknown models {sorted(unknown)}; choose from {', '.join(ALL)}")
    sys.path.insert(0, str(HERE))
    if a.child:
        a.json.write_text(json.dumps(run_one(models, a.reps), default=str))
        return 0
    from bench_util import load_average, machine_info
    info, load_before = machine_info(), load_average()
    results = {int(t): _child(int(t), models, a.reps) for t in a.threads.split(",")}
    print(f"machine: {info['cpu']}, {info['logical_cpus']} logical CPUs; 1-minute load average "
          f"{load_before[0]:.2f} before, {load_average()[0]:.2f} after; float32")
    print("| model | threads | path | median ms | IQR/median | speed vs reference |")
    print("|---|---|---|---|---|---|")
    for name in models:
        for t, res in results.items():
            r = res[name]
            base = r["paths"][r["reference"]]["median_s"]
            for k, v in r["paths"].items():
                extra = f" ({r['gflops'][k]:.1f} GFLOP/s)" if "gflops" in r else ""
                print(f"| {r['label']} | {t} | {k}{extra} | {v['median_s'] * 1e3:.2f} | {v['iqr_over_median']:.2f} | "
                      f"{base / v['median_s']:.2f}x |")
    if a.json:
        a.json.write_text(json.dumps({"machine": info, "results": results}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
