"""The public stencil API: @hpcir.stencil called on numpy arrays (default target), hpcir.compile / lower
dispatch, decorator options, keywords, strided and aliased arrays, empty domains."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
from hpcir import Field
from hpcir.core.errors import ArgumentError
from hpcir.stencil_api import CompiledStencil, Stencil


@hpcir.stencil(domain=[(1, 4), (2, 5)])
def shift_avg(scale: float, u: Field[float, 2], out: Field[float, 2]):
    out[0, 0] = scale * (u[1, 0] + u[0, -1])


def _ref(scale: float, u: np.ndarray, out: np.ndarray, dom) -> np.ndarray:
    (b0, e0), (b1, e1) = dom
    out = out.copy()
    out[b0:e0, b1:e1] = scale * (u[b0 + 1:e0 + 1, b1:e1] + u[b0:e0, b1 - 1:e1 - 1])
    return out


def test_decorator_call_uses_default_target_and_decorator_domain() -> None:
    assert isinstance(shift_avg, Stencil) and hpcir.default_target() == "cpu"
    u = np.random.default_rng(0).random((7, 8))
    out = np.zeros_like(u)
    shift_avg(2.0, u, out)
    np.testing.assert_allclose(out, _ref(2.0, u, np.zeros_like(u), [(1, 4), (2, 5)]), rtol=1e-14)
    # keyword arguments and a call-time domain overriding the decorator's
    out2 = np.zeros_like(u)
    shift_avg(out=out2, u=u, scale=0.5, domain=[slice(0, 6), slice(1, 8)])
    np.testing.assert_allclose(out2, _ref(0.5, u, np.zeros_like(u), [(0, 6), (1, 8)]), rtol=1e-14)
    assert shift_avg.compile() is shift_avg.compile("cpu")  # compiled once per target


def test_compile_returns_compiled_stencil_per_target() -> None:
    c = hpcir.compile(shift_avg, target="serial")
    assert isinstance(c, CompiledStencil) and c.target == "serial"
    assert "Kokkos::Serial" in c.source()


def test_strided_input_is_accepted() -> None:
    big = np.random.default_rng(1).random((14, 16))
    u = big[::2, ::2]  # not contiguous
    out = np.zeros((7, 8))
    shift_avg(1.0, u, out)
    np.testing.assert_allclose(out, _ref(1.0, np.ascontiguousarray(u), np.zeros((7, 8)), [(1, 4), (2, 5)]))


def test_aliased_output_is_an_error() -> None:
    u = np.zeros((7, 8))
    with pytest.raises(ArgumentError, match="overlap"):
        shift_avg(1.0, u, u)


def test_empty_domain_writes_nothing() -> None:
    @hpcir.stencil
    def lap1(u: Field[float, 1], out: Field[float, 1]):
        out[0] = u[-1] - 2.0 * u[0] + u[1]
    out = np.full(2, 3.0)
    lap1.compile("serial")(np.zeros(2), out)  # interior of a 2-point grid is empty
    assert (out == 3.0).all()


def test_jax_returns_new_arrays_for_jax_inputs() -> None:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    u = np.random.default_rng(2).random((7, 8))
    with jax.enable_x64(True):  # float64 jax arrays
        got = hpcir.compile(shift_avg, target="jax")(1.5, jnp.asarray(u), jnp.zeros((7, 8)))
    before = bool(jax.config.jax_enable_x64)
    out = np.zeros_like(u)
    hpcir.compile(shift_avg, target="jax")(1.5, u, out)  # numpy float64 in: the runner scopes x64 itself
    assert bool(jax.config.jax_enable_x64) == before
    np.testing.assert_array_equal(out, np.asarray(got))
    np.testing.assert_allclose(np.asarray(got), _ref(1.5, u, np.zeros_like(u), [(1, 4), (2, 5)]), rtol=1e-14)


def test_torch_writes_numpy_outputs_in_place() -> None:
    pytest.importorskip("torch")
    u = np.random.default_rng(3).random((7, 8))
    out = np.zeros_like(u)
    assert hpcir.compile(shift_avg, target="torch")(1.5, u, out) is None
    np.testing.assert_allclose(out, _ref(1.5, u, np.zeros_like(u), [(1, 4), (2, 5)]), rtol=1e-14)


def test_scalar_only_expression_broadcasts_in_array_code() -> None:
    @hpcir.stencil
    def fill(c: float, out: Field[float, 2]):
        out[0, 0] = 2.0 * c
    for target in ("serial", "jax", "torch"):
        if target != "serial":
            pytest.importorskip(target)
        out = np.zeros((3, 4))
        hpcir.compile(fill, target=target)(1.25, out)
        assert (out == 2.5).all(), target
