"""Tests of numerics.construct.grouped: C3 and C4, their exactness conditions, certified
bounds, and a deliberately wrong C4 constant caught."""


import numpy as np
import pytest

from numerics.construct import (
    FIT_TOL,
    c3_baum,
    c4_grouped_min_norm,
    c4_lipschitz_bound,
)
from numerics.data import random_dataset
from numerics.domain import Domain
from numerics.lipschitz import lipschitz_report

BALL = Domain.ball(1.0)
SPHERE = Domain.sphere(1.0)


def test_c3_reports_point_on_hyperplane():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    y = np.array([1.0, 1.0, -1.0])
    r = c3_baum(X, y)
    assert not r.condition_holds and "width" in r.reason
    assert r.fit_error > FIT_TOL


def test_c3_reports_rank_deficient_group():
    X = np.array([[1.0, 1.0], [2.0, 2.0], [0.0, -1.0]])
    y = np.array([1.0, 1.0, -1.0])
    r = c3_baum(X, y)
    assert not r.condition_holds and "rank" in r.reason


def test_c4_reports_failed_condition():
    D = random_dataset(60, 8, seed=0)
    r = c4_grouped_min_norm(D.X, D.y, group_size=4)
    assert not r.condition_holds and "> 0.5" in r.reason
    assert r.fit_error > FIT_TOL


def test_c4_auto_threshold_extends_exact_range():
    D = random_dataset(30, 40, seed=2)
    r = c4_grouped_min_norm(D.X, D.y, group_size=4)
    ra = c4_grouped_min_norm(D.X, D.y, group_size=4, threshold="auto")
    assert ra.params["threshold"] >= 0.5
    if ra.params["max_cross"] < 1:
        assert ra.condition_holds and ra.fit_error <= FIT_TOL
    if not r.condition_holds:
        assert ra.params["threshold"] > 0.5


def test_c4_bound_valid_and_wrong_constant_caught(upper_is_valid):
    # m = 1 groups of orthonormal points: U = diag(y) rows, |U|_op = 1; three groups
    # are active at (1,1,1)/sqrt(3), gradient norm 2 sqrt(3) > |U|_op^2.
    X = np.eye(30)[:6]
    y = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    r = c4_grouped_min_norm(X, y, group_size=1)
    U = X * y[:, None]
    assert r.bounds[0].value == pytest.approx(4 * np.linalg.norm(U, 2) ** 2)
    assert upper_is_valid(r.bounds[0].value, r.net, BALL, X)
    assert not upper_is_valid(np.linalg.norm(U, 2) ** 2, r.net, BALL, X)  # constant 4 dropped
    assert c4_lipschitz_bound(U) == pytest.approx(4.0)


def test_c4_bound_against_sampled_gradients():
    # Independent of the toolkit: gradient norms at many random ball points.
    D = random_dataset(20, 40, seed=7)
    r = c4_grouped_min_norm(D.X, D.y, group_size=2, threshold="auto")
    rng = np.random.default_rng(0)
    P = BALL.sample(4000, 40, rng)
    P = np.concatenate([P, D.X, BALL.project(D.X[:10] + D.X[10:])])
    g = np.linalg.norm(r.net.gradient(P), axis=1).max()
    assert g <= r.upper_for(BALL)


def test_c3_bound_valid():
    D = random_dataset(12, 3, seed=0)
    r = c3_baum(D.X, D.y)
    bound = r.upper_for(Domain.rd())
    rep = lipschitz_report(r.net, Domain.rd(), X=D.X, seed=0)
    assert rep.lower <= bound * (1 + 1e-9)
    assert rep.exact is None or rep.exact <= bound * (1 + 1e-9)
