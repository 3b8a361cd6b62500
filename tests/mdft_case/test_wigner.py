"""Wigner matrices: recursion vs Wigner's explicit sum and vs exp(-i beta J_y) from ladder operators."""
import numpy as np
import pytest
from scipy.linalg import expm

from hpcir.mdft_case import reference
from hpcir.mdft_case.wigner import (euler_from_matrix, euler_matrix, kframe_angles, wigner_big_d,
                                    wigner_small_d)


def _jmat(j):
    m = np.arange(-j, j + 1)
    jp = np.zeros((2 * j + 1, 2 * j + 1))
    for i, mm in enumerate(m[:-1]):
        jp[i + 1, i] = np.sqrt(j * (j + 1) - mm * (mm + 1))
    return (jp - jp.T) / 2j, np.diag(m).astype(float)


@pytest.mark.parametrize("j", range(7))
def test_small_d_against_matrix_exponential(j):
    beta = np.array([0.0, 0.4, 1.3, 2.2, np.pi])
    d = wigner_small_d(j, beta)[j]
    jy, _ = _jmat(j)
    for i, b in enumerate(beta):
        assert np.max(np.abs(d[..., i] - expm(-1j * b * jy))) < 1e-12


def test_small_d_against_explicit_sum():
    beta = np.linspace(0, np.pi, 17)
    d = wigner_small_d(6, beta)
    for j in range(7):
        for mp in range(-j, j + 1):
            for m in range(-j, j + 1):
                assert np.allclose(d[j][mp + j, m + j], reference.wigner_d_explicit(j, mp, m, beta), atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_big_d_is_a_representation(seed):
    rng = np.random.default_rng(seed)
    a, b, g = rng.uniform(0, 2 * np.pi, 2), rng.uniform(0, np.pi, 2), rng.uniform(0, 2 * np.pi, 2)
    r = euler_matrix(a, b, g)
    a12, b12, g12 = euler_from_matrix(r[0] @ r[1])
    for j in range(4):
        d = wigner_big_d(3, a, b, g)[j]
        d12 = wigner_big_d(3, a12, b12, g12)[j]
        jy, jz = _jmat(j)
        ref0 = expm(-1j * a[0] * jz) @ expm(-1j * b[0] * jy) @ expm(-1j * g[0] * jz)
        assert np.max(np.abs(d[..., 0] - ref0)) < 1e-12
        assert np.max(np.abs(d12 - d[..., 0] @ d[..., 1])) < 1e-12


def test_euler_round_trip_including_poles():
    a = np.array([0.3, 1.0, -2.0, 0.7])
    b = np.array([1.1, 0.0, np.pi, 2.9])
    g = np.array([-0.4, 0.0, 0.0, 3.0])
    r = euler_matrix(a, b, g)
    assert np.allclose(euler_matrix(*euler_from_matrix(r)), r, atol=1e-12)


def test_kframe_maps_z_to_khat():
    rng = np.random.default_rng(1)
    k = rng.normal(size=(3, 40))
    k[:, 0] = (0, 0, -2.0)   # the south pole
    phi, theta = kframe_angles(*k)
    rk = euler_matrix(phi, theta, np.zeros_like(phi))
    assert np.allclose(rk[:, :, 2], (k / np.linalg.norm(k, axis=0)).T, atol=1e-12)
