"""Shared helpers of the graph (JAX / PyTorch) tests: x64 JAX, upstream verification, comparisons."""
from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _jax_x64():
    """float64 JAX programs need x64; switched on for these tests only, restored afterwards."""
    previous = bool(jax.config.jax_enable_x64)
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)

TOL = {np.dtype("float32"): 1e-5, np.dtype("float64"): 1e-12,
       np.dtype("complex64"): 1e-5, np.dtype("complex128"): 1e-12}


def verify_l1(prog) -> None:
    """The L1 program verifies in xDSL and parses + verifies with upstream MLIR 22."""
    from hpcir.dialects.upstream import verify_upstream
    prog.verify()
    verify_upstream(prog.module)


def to_np(x) -> np.ndarray:
    """numpy copy of a jax / torch / numpy array."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def assert_close(got, want, what: str = "") -> None:
    """Same dtype and shape, and max |got - want| <= tol * max(1, max |want|) (tol by dtype)."""
    g, w = to_np(got), to_np(want)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != {w.shape}"
    assert g.dtype == w.dtype, f"{what}: dtype {g.dtype} != {w.dtype}"
    if g.dtype.kind in "biu":
        np.testing.assert_array_equal(g, w, err_msg=what)
        return
    tol = TOL.get(g.dtype, 1e-5)
    finite = np.isfinite(w)
    np.testing.assert_array_equal(np.isfinite(g), finite, err_msg=f"{what}: non-finite pattern")
    if finite.any():
        scale = max(1.0, float(np.max(np.abs(w[finite]))))
        err = float(np.max(np.abs(g[finite] - w[finite])))
        assert err <= tol * scale, f"{what}: max abs error {err:.3e} > {tol:.0e} * {scale:.3g}"


def assert_all_close(got, want, what: str = "") -> None:
    """assert_close over a single result or a tuple of results."""
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), f"{what}: result count"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, f"{what}[{i}]")
    else:
        assert_close(got, want, what)
