"""Functions transformed by JAX's autodiff import: `from_jax(jax.value_and_grad(F), ...)` with the
primitives reverse mode emits (add_any, transpose, dynamic_update_slice, symbolic zeros), checked
against jax.grad on the jax, torch and cpu (Kokkos + FFTW) targets."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import hpcir.graph_api as api

from .conftest import assert_all_close, verify_l1

N = 8  # an MDFT Tier A grid in miniature: 8^3


def _tier_a_functional(kernel_k: np.ndarray):
    """Ideal + excess free energy of a density: rho log rho - rho, plus 1/2 rho (c * rho) by FFT convolution."""
    ck = np.fft.rfftn(kernel_k)

    def F(rho):
        ideal = jnp.sum(rho * jnp.log(rho) - rho)
        conv = jnp.fft.irfftn(jnp.fft.rfftn(rho) * ck, s=rho.shape)
        return ideal - 0.5 * jnp.sum(rho * conv)

    return F


@pytest.mark.parametrize("target", ["jax", "torch", "cpu"])
def test_value_and_grad_of_an_fft_functional(target):
    rng = np.random.default_rng(0)
    F = _tier_a_functional(rng.standard_normal((N, N, N)) * 0.01)
    rho = 1.0 + 0.1 * rng.random((N, N, N))
    vg = jax.value_and_grad(F)
    prog = api.from_jax(vg, rho, name="tier_a_value_and_grad")
    verify_l1(prog)
    want = vg(rho)
    run = api.compile(prog, target=target)
    got = run(torch.as_tensor(rho)) if target == "torch" else run(rho)
    assert_all_close(tuple(got), tuple(want), f"value_and_grad on {target}")


def _mixed(x, w):
    """Reverse mode through slices, a transpose, a matmul and a reduction."""
    h = jnp.tanh(x @ w.T)
    return jnp.sum(h[1:, :3] ** 2) + jnp.sum(jnp.transpose(h)[0])


@pytest.mark.parametrize("target", ["jax", "torch", "cpu"])
def test_grad_of_slices_and_transposes(target):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((6, 4))
    g = jax.grad(_mixed, argnums=(0, 1))
    prog = api.from_jax(g, x, w, name="mixed_grad")
    verify_l1(prog)
    names = {e.primitive.name for e in jax.make_jaxpr(g)(x, w).jaxpr.eqns}
    assert {"add_any", "transpose"} & names or "pjit" in names
    run = api.compile(prog, target=target)
    got = run(torch.as_tensor(x), torch.as_tensor(w)) if target == "torch" else run(x, w)
    assert_all_close(tuple(got), tuple(g(x, w)), f"grad on {target}")


@pytest.mark.parametrize("seed", range(6))
def test_dynamic_update_slice_matches_lax(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(2, 6, size=int(rng.integers(1, 4))))
    upd = tuple(int(rng.integers(1, n + 1)) for n in shape)
    starts = tuple(int(rng.integers(-1, n + 1)) for n in shape)  # out-of-range starts are clamped

    def f(x, u):
        return jax.lax.dynamic_update_slice(x, u, starts)

    x, u = rng.standard_normal(shape), rng.standard_normal(upd)
    prog = api.from_jax(f, x, u)
    verify_l1(prog)
    assert_all_close(api.compile(prog, target="jax")(x, u), f(x, u), "dynamic_update_slice")
    assert_all_close(api.compile(prog, target="cpu")(x, u), f(x, u), "dynamic_update_slice on cpu")
