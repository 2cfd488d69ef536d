"""Domains: membership, projection, tangential gradients, geodesic distance."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.domain import Domain

vec = st.lists(st.floats(-10, 10, allow_nan=False), min_size=3, max_size=3)


@given(vec, st.floats(0.1, 5))
@example([0.0, 0.0, 4.310301430101668e-159], 1.0)  # subnormal squares: found by the ci profile
def test_projection_lands_in_domain_and_is_idempotent(x, R):
    x = np.array([x])
    for D in (Domain.ball(R), Domain.sphere(R), Domain.rd()):
        p = D.project(x)
        assert D.contains(p).all()
        assert np.allclose(D.project(p), p)


def test_ball_projection_is_nearest_point():
    rng = np.random.default_rng(0)
    D = Domain.ball(1.5)
    x = np.array([[3.0, 4.0, 0.0]])
    p = D.project(x)
    others = D.sample(5000, 3, rng)
    assert np.linalg.norm(x - p) <= np.min(np.linalg.norm(others - x, axis=1)) + 1e-12


def test_tangential_gradient_is_orthogonal_and_norm_reducing():
    rng = np.random.default_rng(1)
    S = Domain.sphere(2.0)
    X = S.sample(50, 4, rng)
    G = rng.standard_normal((50, 4))
    T = S.effective_gradient(X, G)
    assert np.allclose(np.sum(T * X, 1), 0.0)
    assert np.all(np.linalg.norm(T, axis=1) <= np.linalg.norm(G, axis=1) + 1e-12)
    assert np.array_equal(Domain.ball().effective_gradient(X, G), G)


def test_geodesic_distance():
    S = Domain.sphere(2.0)
    d = S.distance(np.array([[2.0, 0.0]]), np.array([[-2.0, 0.0]]))
    assert d[0] == pytest.approx(2 * np.pi)
    d = S.distance(np.array([[2.0, 0.0]]), np.array([[0.0, 2.0]]))
    assert d[0] == pytest.approx(np.pi)


def test_sampling_in_domain_and_seeded():
    for D in (Domain.ball(0.5), Domain.sphere(3.0)):
        X = D.sample(100, 3, np.random.default_rng(2))
        assert D.contains(X).all()
        assert np.array_equal(X, D.sample(100, 3, np.random.default_rng(2)))


def test_parse_and_labels():
    assert Domain.parse("sphere") == Domain.sphere(1.0)
    assert Domain.parse("rd").label == "R^d"


@pytest.mark.parametrize("r", [-1.0, 0.0, np.nan, np.inf])
def test_bad_radius(r):
    with pytest.raises(ValueError, match="^radius"):
        Domain.ball(r)


def test_rd_with_radius():
    with pytest.raises(ValueError, match="^radius"):
        Domain("rd", 1.0)


def test_unknown_kind():
    with pytest.raises(ValueError, match="^domain"):
        Domain("cube", 1.0)
