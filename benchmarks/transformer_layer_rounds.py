"""TransformerEncoderLayer(64, 4 heads) on 4x128x64 at 1 thread: torch eager vs hpcir -> Kokkos cpu in
15 interleaved rounds of 20 calls each (a millisecond model needs more calls per round than
graph_models.py's 5 rounds give it on a loaded machine).

Usage: OMP_NUM_THREADS=1 python benchmarks/transformer_layer_rounds.py LABEL
Prints the median times and the median of the per-round speed (torch time / hpcir time).
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from hpcir.graph_api import compile, from_torch


def main(label: str) -> None:
    """Check the compiled layer against torch, then time both in interleaved rounds."""
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=256, dropout=0.0, batch_first=True).eval()
    x = torch.randn(4, 128, 64, generator=g)
    f, xn = compile(from_torch(layer, (x,)), target="cpu"), x.numpy()
    with torch.no_grad():
        assert np.abs(f(xn) - layer(x).numpy()).max() < 2e-3
        tt, th = [], []
        for _ in range(15):
            a = time.perf_counter()
            for _ in range(20):
                layer(x)
            b = time.perf_counter()
            for _ in range(20):
                f(xn)
            c = time.perf_counter()
            tt.append((b - a) / 20)
            th.append((c - b) / 20)
    ratios = [t / h for t, h in zip(tt, th)]
    print(f"{label}: torch eager {statistics.median(tt) * 1e3:.3f} ms, hpcir Kokkos cpu "
          f"{statistics.median(th) * 1e3:.3f} ms, median per-round speed {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "hpcir")
