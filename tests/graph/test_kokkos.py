"""Graph programs on the Kokkos CPU target: L1 -> L2 (upstream bufferization) -> L3 -> C++ -> JIT."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import torch

from hpcir.core.errors import HpcirError
from hpcir.graph_api import compile, from_jax, from_torch, lower

from .conftest import assert_close
from .models import MODEL_CASES


def _jax_stencil(u):
    lap = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1]
    return u + 0.1 * jnp.pad(lap, 1)


def test_l2_is_a_host_program_of_parallel_loops_with_output_views():
    m, _, inputs, _ = MODEL_CASES["mlp"](np.float64)
    prog = from_torch(m, (torch.as_tensor(inputs[0]),))
    l2 = lower(prog, target="cpu", stage="L2")
    assert "kokkos.host_program" in l2 and "scf.parallel" in l2 and "tensor." not in l2
    assert "%out0: memref<8x4xf64>" in l2 and "func.return\n" in l2  # results are written into views
    l3 = lower(prog, target="cpu", stage="L3")
    assert "kokkos.parallel_for" in l3


def test_reshapes_become_delinearizing_copies():
    prog = from_jax(lambda x: (x.reshape(6, 2) * 2.0).reshape(3, 4), np.ones((3, 4)))
    l2 = lower(prog, target="cpu", stage="L2")
    assert "collapse_shape" not in l2 and "expand_shape" not in l2


def test_fft_programs_are_rejected_for_kokkos():
    prog = from_jax(lambda x: jnp.fft.rfft(x).real, np.ones(8))
    with pytest.raises(HpcirError, match="fft.rfftn has no Kokkos lowering"):
        lower(prog, target="cpu", stage="L2")


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_torch_mlp_runs_as_kokkos(dtype):
    m, _, inputs, _ = MODEL_CASES["mlp"](dtype)
    x = torch.as_tensor(inputs[0])
    f = compile(from_torch(m, (x,)), target="cpu")
    with torch.no_grad():
        want = m(x).numpy()
    assert_close(f(x), want, "torch MLP on Kokkos")


@pytest.mark.slow
def test_jax_stencil_runs_as_kokkos():
    u = np.random.default_rng(0).standard_normal((10, 12))
    f = compile(from_jax(_jax_stencil, u), target="cpu")
    assert_close(f(u), np.asarray(_jax_stencil(u)), "JAX stencil on Kokkos")


@pytest.mark.slow
def test_torch_conv_block_runs_as_kokkos():
    m, _, inputs, _ = MODEL_CASES["conv_bn_pool"](np.float64)
    x = torch.as_tensor(inputs[0])
    f = compile(from_torch(m, (x,)), target="cpu")  # grouped conv, reshapes, lifted constants, pooling
    with torch.no_grad():
        want = m(x).numpy()
    assert_close(f(x), want, "conv block on Kokkos")
