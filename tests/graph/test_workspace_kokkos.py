"""A compiled graph keeps its temporaries in one workspace between calls (kokkos-workspace), and a
`bmm` with a weight broadcast over the batch (a TransformerEncoderLayer's in-projection) is one gemm
reading the weight itself: repeated and concurrent calls of one build match torch. One small build."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn as nn

from hpcir.graph_api import compile, from_torch, lower

from .conftest import assert_close


def _layer():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True).eval()
    g = torch.Generator().manual_seed(1)
    return layer, [torch.randn(3, 8, 16, generator=g) for _ in range(4)]


def test_transformer_layer_workspace_and_shared_weight_match_torch_on_every_call():
    """Temporaries are views of one kept workspace; repeated and concurrent calls with new inputs match torch."""
    layer, xs = _layer()
    with torch.no_grad():
        prog = from_torch(layer, (xs[0],))
        wants = [layer(x) for x in xs]
    cpp = lower(prog, target="cpu")
    assert "static hpcir::workspace<" in cpp and "view_alloc(" not in cpp  # no allocation per call
    # the in-projection: one gemm over the 3*8 rows against the 48x16 weight, no per-batch weight copy
    assert "cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 24, 48, 16" in cpp
    run = compile(prog, target="cpu")
    for k in (0, 1, 0, 2):  # the workspace holds the previous call's values: each call must overwrite them
        assert_close(run(xs[k].numpy()), wants[k], f"call with input {k}")
    with ThreadPoolExecutor(max_workers=3) as pool:  # concurrent calls take turns on the workspace
        got = list(pool.map(lambda k: run(xs[k].numpy()), [3, 2, 1, 0, 3, 1]))
    for g, k in zip(got, [3, 2, 1, 0, 3, 1]):
        assert_close(g, wants[k], f"concurrent call with input {k}")
