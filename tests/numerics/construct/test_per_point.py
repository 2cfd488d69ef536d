"""Tests of numerics.construct.per_point: C1 and C2, their exactness conditions, certified
bounds, and deliberately wrong versions of the bounds caught."""

import math

import numpy as np
import pytest

from numerics.construct import (
    FIT_TOL,
    c1_lipschitz_bound,
    c1_one_neuron_per_point,
    c2_cap_ramps,
)
from numerics.domain import Domain
from numerics.lipschitz import lipschitz_report

BALL = Domain.ball(1.0)
SPHERE = Domain.sphere(1.0)


# --------------------------------------------------------------------- failures
def test_c1_reports_failed_condition():
    X = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, -1.0]])
    y = np.array([1.0, -1.0, 1.0])
    r = c1_one_neuron_per_point(X, y, tau=0.5)
    assert not r.condition_holds and "> tau" in r.reason
    assert r.fit_error > FIT_TOL  # neuron 0 fires at x_1
    r = c1_one_neuron_per_point(X, y, tau=0.85)
    assert r.condition_holds and r.fit_error <= FIT_TOL


def test_c1_and_c2_need_the_sphere():
    X = np.array([[2.0, 0.0], [0.0, 1.0]])
    y = np.array([1.0, -1.0])
    for f in (c1_one_neuron_per_point, c2_cap_ramps):
        r = f(X, y)
        assert not r.condition_holds and "sphere" in r.reason


def test_c1_bound_none_when_mu_not_below_tau_squared():
    X = np.array([[1.0, 0.0], [0.6, 0.8], [0.6, -0.8]])
    y = np.array([1.0, 1.0, -1.0])
    r = c1_one_neuron_per_point(X, y, tau=0.7)  # exact (0.6 <= 0.7) but mu = 0.6 > 0.49
    assert r.condition_holds and r.fit_error <= FIT_TOL
    assert r.upper_for(BALL) is None
    assert "mu < tau^2" in r.bounds[0].reason


def test_c2_reports_failed_condition_and_overlapping_caps():
    X = np.array([[1.0, 0.0], [0.8, 0.6]])
    y = np.array([1.0, -1.0])
    r = c2_cap_ramps(X, y, s=0.5)  # 0.8 > 1 - s
    assert not r.condition_holds and r.fit_error > FIT_TOL
    r = c2_cap_ramps(X, y, s=0.15)  # exact (0.8 <= 0.85) but caps overlap (0.8 > 2*0.85^2-1)
    assert r.condition_holds and r.fit_error <= FIT_TOL
    assert r.upper_for(SPHERE) is None and "overlap" in r.bounds[0].reason
    r = c2_cap_ramps(X, y)  # default s: largest with disjoint caps
    assert r.params["caps_disjoint"] and r.upper_for(SPHERE) is not None


def _c1_two_point_instance():
    # x1.x2 = 0.5, same label, tau = 0.8: tau^2 in (mu, (1+mu)/2) so both neurons
    # are active near the bisector; the bound's sqrt(m(1+(m-1)mu)) factor matters.
    X = np.array([[1.0, 0.0, 0.0], [0.5, math.sqrt(3) / 2, 0.0]])
    return X, np.array([1.0, 1.0])


def test_c1_bound_valid_and_wrong_versions_caught(upper_is_valid):
    X, y = _c1_two_point_instance()
    r = c1_one_neuron_per_point(X, y, tau=0.8)
    bound = r.upper_for(BALL)
    assert upper_is_valid(bound, r.net, BALL, X)
    # dropped term: (1 - tau)^-1 alone (one active neuron)
    assert not upper_is_valid(1 / (1 - 0.8), r.net, BALL, X)
    # dropped cross term: m = 2 but mu -> 0 inside the square root
    assert not upper_is_valid(math.sqrt(2 * (1 + 0 * 0.5)) / (1 - 0.8), r.net, BALL, X)


def test_c1_bound_function_wrong_inputs_give_none():
    assert c1_lipschitz_bound(0.5, 0.25, 3)[0] is None
    assert c1_lipschitz_bound(1.0, 0.0, 3)[0] is None
    v, _ = c1_lipschitz_bound(0.5, 0.0, 3)
    assert v == pytest.approx(math.sqrt(3) / 0.5)


def test_c2_sphere_constant_exact_and_wrong_version_caught(upper_is_valid):
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    y = np.array([1.0, -1.0, 1.0])
    r = c2_cap_ramps(X, y, s=0.25)
    val = r.upper_for(SPHERE)
    rep = lipschitz_report(r.net, SPHERE, X=X, seed=0)
    assert rep.lower <= val * (1 + 1e-9)
    if rep.exact is not None:  # the sphere constant is attained
        assert rep.exact == pytest.approx(val, rel=1e-6)
    wrong = math.sqrt(1 / 0.25)  # dropped (2 - s)
    assert not upper_is_valid(wrong, r.net, SPHERE, X)
