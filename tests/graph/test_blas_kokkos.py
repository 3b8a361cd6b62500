"""Matrix products and convolutions of graph programs on the host targets go to OpenBLAS
(graph-contractions-to-blas -> blas.gemm / blas.conv_2d -> cblas_?gemm): the generated C++ calls
the BLAS, and the results match torch and JAX. All torch cases are one module (one build), the
JAX cases another, to keep the compile time small."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from hpcir.graph_api import compile, from_jax, from_torch, lower

from .conftest import assert_close


class TorchCases(nn.Module):
    """Dense layers (Linear: a transposed weight), bmm, x @ W^T, strided / padded / 1x1 convolutions,
    a small CNN (conv, batch norm, ReLU, pooling, residual, Linear head) and an MLP."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(12, 32), nn.Linear(32, 5)
        self.conv_s2 = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.conv_pad2 = nn.Conv2d(3, 4, 5, padding=2, bias=False)
        self.conv_1x1 = nn.Conv2d(6, 8, 1)
        self.cnn1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.cnn2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.head = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x, img, a, b):
        mlp = self.fc2(F.gelu(self.fc1(x)))
        y = self.conv_1x1(torch.relu(self.conv_s2(img)))
        h = F.max_pool2d(torch.relu(self.bn1(self.cnn1(img))), 2)
        h = torch.relu(self.bn2(self.cnn2(h)) + h)
        cnn = self.head(h.flatten(1))
        return mlp, torch.bmm(a, b), x @ self.fc1.weight.T, y, self.conv_pad2(img), cnn


def _torch_cases():
    torch.manual_seed(0)
    m = TorchCases().eval()
    for bn in (m.bn1, m.bn2):  # non-trivial running statistics
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 1.5)
    g = torch.Generator().manual_seed(1)
    args = (torch.randn(7, 12, generator=g), torch.randn(2, 3, 8, 8, generator=g),
            torch.randn(3, 5, 9, generator=g), torch.randn(3, 9, 4, generator=g))
    return m, args


def test_torch_contractions_and_convolutions_call_blas_and_match_torch():
    """One build: every contraction / convolution is a cblas_sgemm call, and each output matches torch."""
    m, args = _torch_cases()
    prog = from_torch(m, args)
    cpp = lower(prog, target="cpu")
    assert cpp.count("cblas_sgemm(CblasRowMajor") == 10 and "openblas_set_num_threads" in cpp
    assert "Im2colNchw" in cpp and "#include <cblas.h>" in cpp
    l2 = lower(prog, target="cpu", stage="L2")
    assert "linalg" not in l2 and l2.count("blas.conv_2d") == 5 and l2.count("blas.gemm") == 5
    with torch.no_grad():
        want = m(*args)
    got = compile(prog, target="cpu")(*args)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, f"output {k}")


def jax_cases(x, w1, b1, w2, img, kernel, q, k):
    """flax-like dense layers, an NHWC convolution (strided, SAME), and attention-shaped einsums."""
    h = jnp.tanh(x @ w1 + b1) @ w2
    c = jax.lax.conv_general_dilated(img, kernel, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    s = jax.nn.softmax(jnp.einsum("bqd,bkd->bqk", q, k) / 4.0, axis=-1)
    return h, jax.nn.relu(c), jnp.einsum("bqk,bkd->bqd", s, k)


def test_jax_dense_conv_attention_float64_match_jax():
    """float64 (cblas_dgemm): JAX dense layers, an NHWC convolution and batched einsums match jax.jit."""
    rng = np.random.default_rng(3)
    args = (rng.normal(size=(6, 10)), rng.normal(size=(10, 16)), rng.normal(size=16), rng.normal(size=(16, 3)),
            rng.normal(size=(2, 9, 9, 3)), rng.normal(size=(3, 3, 3, 4)), rng.normal(size=(2, 5, 8)),
            rng.normal(size=(2, 7, 8)))
    prog = from_jax(jax_cases, *args)
    cpp = lower(prog, target="cpu")
    assert "cblas_dgemm(CblasRowMajor" in cpp and "cblas_sgemm" not in cpp
    want = jax.jit(jax_cases)(*args)
    got = compile(prog, target="cpu")(*args)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, f"output {k}")


def test_gpu_targets_keep_contraction_loops():
    """cuda / hip: no BLAS call (no cuBLAS / hipBLAS yet): the contraction stays a Kokkos loop nest."""
    m, args = _torch_cases()
    prog = from_torch(m, args)
    l2 = lower(prog, target="cuda", stage="L2")
    assert "blas." not in l2 and "scf.parallel" in l2


def test_missing_blas_is_named_before_building(monkeypatch):
    """No BLAS installed: an HpcirError naming how to install one, raised before any compiler runs."""
    from hpcir.backends import blas_find, build
    monkeypatch.setattr(blas_find, "_wheel", lambda: None)
    monkeypatch.setattr(blas_find, "_pkg_config", lambda: None)
    monkeypatch.setattr(build, "build_shared_library", lambda *a, **k: pytest.fail("the compiler ran"))
    blas_find.blas_library.cache_clear()
    try:
        prog = from_jax(lambda x, w: x @ w, np.ones((2, 3)), np.ones((3, 4)))
        with pytest.raises(blas_find.BlasLibraryError) as e:
            compile(prog, target="cpu")
        assert "scipy-openblas32" in str(e.value) and "libopenblas-dev" in str(e.value)
    finally:
        blas_find.blas_library.cache_clear()


NHWC_L1 = """builtin.module {
  func.func @nhwc(%x: tensor<2x9x8x3xf64>, %w: tensor<3x2x3x4xf64>, %b: tensor<2x3x5x4xf64>) -> tensor<2x3x5x4xf64> {
    %y = linalg.conv_2d_nhwc_hwcf {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[2, 3]> : tensor<2xi64>} ins(%x, %w : tensor<2x9x8x3xf64>, tensor<3x2x3x4xf64>) outs(%b : tensor<2x3x5x4xf64>) -> tensor<2x3x5x4xf64>
    func.return %y : tensor<2x3x5x4xf64>
  }
}"""


def test_nhwc_convolution_with_strides_dilations_and_initial_value():
    """linalg.conv_2d_nhwc_hwcf (no frontend gives it yet: JAX's NHWC arrives transposed to NCHW), with
    unequal strides and dilations and a non-zero initial output (beta = 1), matches lax.conv + b."""
    from xdsl.parser import Parser

    from hpcir.dialects import context
    from hpcir.dialects.graph_program import GraphProgram
    prog = GraphProgram(Parser(context(), NHWC_L1).parse_module(), "nhwc", ["x", "w", "b"])
    assert "Im2colNhwc" in lower(prog, target="cpu")
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(2, 9, 8, 3)), rng.normal(size=(3, 2, 3, 4)), rng.normal(size=(2, 3, 5, 4))
    want = jax.lax.conv_general_dilated(x, w, (2, 1), "VALID", rhs_dilation=(2, 3),
                                        dimension_numbers=("NHWC", "HWIO", "NHWC")) + b
    assert_close(compile(prog, target="cpu")(x, w, b), want, "nhwc conv")


def test_cmake_project_of_a_blas_graph_program_builds(tmp_path):
    """`hpcir lower`'s CMake project of a program with products links the OpenBLAS hpcir used (the wheel's
    folder recorded, the CBLAS names mapped as in the JIT build) and builds."""
    import os
    import subprocess

    from hpcir.backends.cmake_project import write_cmake_project
    from hpcir.core.targets import get_target
    from hpcir.graph_lowering import write_kokkos
    from hpcir.lowering import kokkos_for
    prog = from_jax(lambda x, w: jnp.tanh(x @ w), np.ones((3, 4)), np.ones((4, 2)), name="dense")
    paths = write_kokkos(prog, "cpu", tmp_path / "src")
    sources = {p.name: p.read_text() for p in paths if p.suffix in (".cpp", ".hpp")}
    kokkos = kokkos_for(get_target("cpu"))
    out = tmp_path / "proj"
    cml = write_cmake_project(out, "dense", sources, get_target("cpu"), kokkos).read_text()
    assert "HPCIR_OPENBLAS_WHEEL" in cml and "pkg_check_modules(OPENBLAS" in cml
    env = {**os.environ, **dict(kokkos.env)}
    for cmd in (["cmake", "-S", str(out), "-B", str(out / "build")], ["cmake", "--build", str(out / "build"), "-j2"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lib = next(p for p in (out / "build").iterdir() if p.name.startswith("libdense"))
    if lib.suffix == ".so":  # a shared build records the BLAS as a dependency
        assert "openblas" in subprocess.run(["ldd", str(lib)], capture_output=True, text=True).stdout
