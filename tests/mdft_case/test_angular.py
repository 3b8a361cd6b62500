"""Angular grid sizes, quadrature and the angle <-> projection transforms."""
import numpy as np
import pytest

from hpcir.mdft_case import kernels, reference
from hpcir.mdft_case.angular import AngularGrid


@pytest.mark.parametrize("mmax,no,nproj", [(1, 6, 4), (2, 45, 14), (3, 84, 28), (5, 330, 88)])
def test_water_grid_sizes_match_published_counts(mmax, no, nproj):
    ang = AngularGrid(mmax, 2)
    assert (ang.no, ang.nproj) == (no, nproj)
    assert ang.weights().sum() == pytest.approx(4 * np.pi ** 2)


@pytest.mark.parametrize("mmax,mrso", [(1, 1), (2, 1), (2, 2), (3, 2), (4, 2)])
def test_projection_round_trip(mmax, mrso):
    ang = AngularGrid(mmax, mrso)
    t = ang.transform_tables()
    x = np.random.default_rng(mmax).normal(size=(ang.no, 2, 3, 1))
    p = kernels.angle_to_proj(x, ang.shape, t["fwd"], t["iphi"], t["ipsi"], None)
    y = kernels.proj_to_angle(p, ang.shape, t["bwd"], t["iphi"], t["ipsi"], None)
    p2 = kernels.angle_to_proj(y, ang.shape, t["fwd"], t["iphi"], t["ipsi"], None)
    assert np.max(np.abs(p2 - p)) < 1e-12
    y2 = kernels.proj_to_angle(p2, ang.shape, t["bwd"], t["iphi"], t["ipsi"], None)
    assert np.max(np.abs(y2 - y)) < 1e-12


@pytest.mark.parametrize("frame", [None, "rx"])
def test_projections_equal_direct_quadrature(frame):
    rot = None if frame is None else np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    ang = AngularGrid(3, 2, rot)
    t = ang.transform_tables()
    x = np.random.default_rng(2).normal(size=(ang.no, 1, 1, 1))
    p = kernels.angle_to_proj(x, ang.shape, t["fwd"], t["iphi"], t["ipsi"], t["mix"] if rot is not None else None)
    a, b, g = ang.euler()
    w = ang.weights()
    for i, (m, mp, mu) in enumerate(zip(ang.proj_m, ang.proj_mup, ang.proj_mu)):
        direct = (2 * m + 1) / ang.total_weight * np.sum(w * x[:, 0, 0, 0] * reference.wigner_big_d_explicit(m, mp, mu, a, b, g))
        assert abs(p[i, 0, 0, 0] - direct) < 1e-12


def test_quadrature_integrates_products_of_wigner_functions_exactly():
    ang = AngularGrid(3, 1)
    a, b, g = ang.euler()
    w = ang.weights()
    f = reference.wigner_big_d_explicit(3, 2, -1, a, b, g)
    h = reference.wigner_big_d_explicit(2, 2, -1, a, b, g)
    assert abs(np.sum(w * np.conj(f) * f) - 8 * np.pi ** 2 / 7) < 1e-12
    assert abs(np.sum(w * np.conj(f) * h)) < 1e-12
