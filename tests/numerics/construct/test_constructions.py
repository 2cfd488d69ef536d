"""Tests of the explicit constructions C1-C4 (numerics/constructions.py)."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from numerics.construct import (
    CONSTRUCTIONS,
    FIT_TOL,
    c1_lipschitz_bound,
    c1_one_neuron_per_point,
    c2_cap_ramps,
    c3_baum,
    c4_group_size,
    c4_grouped_min_norm,
    c4_lipschitz_bound,
    c5_polynomial,
    construct,
)
from numerics.data import random_dataset
from numerics.domain import Domain
from numerics.lipschitz import lipschitz_report
from numerics.models import TwoLayerNet

RELU = ("C1", "C2", "C3", "C4")  # C5 (power:p, k = dim of the space) is tested separately
BALL = Domain.ball(1.0)
SPHERE = Domain.sphere(1.0)


def toolkit_lower(net, domain, X=None, seed=0):
    """The Lipschitz toolkit's certified (witnessed) lower bound. Its enumerated
    "exact" value is not used here: it is a floating-point evaluation at a region
    boundary and can exceed the true constant by rounding when a region is thin
    (e.g. C2 with s ~ 1e-4 overshoots by ~1e-9 relative)."""
    return lipschitz_report(net, domain, X=X, seed=seed, n_random=128, steps=40).lower


def upper_is_valid(bound, net, domain, X=None, seed=0):
    """The checker: a certified upper bound must not be below a certified lower bound."""
    return toolkit_lower(net, domain, X, seed) <= bound * (1 + 1e-9)


# --------------------------------------------------------------------- exactness
@settings(max_examples=20)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 30), name=st.sampled_from(RELU))
@example(seed=0, n=30, name="C4")
def test_condition_implies_exact_fit(seed, n, name):
    D = random_dataset(n, 60, seed=seed)
    kw = {"group_size": 2} if name == "C4" else {}
    r = construct(name, D.X, D.y, **kw)
    if r.condition_holds:
        assert r.fit_error <= FIT_TOL and r.interpolates and r.reason is None
    else:
        assert r.reason


@pytest.mark.parametrize("name", RELU)
def test_interpolates_on_random_data_where_condition_holds(name):
    # d large enough relative to n: every condition holds with the defaults.
    D = random_dataset(40, 400, seed=3)
    kw = {"group_size": 2} if name == "C4" else {}
    r = construct(name, D.X, D.y, **kw)
    assert r.condition_holds, r.reason
    assert r.fit_error <= 1e-9


def test_sizes():
    D = random_dataset(24, 6, seed=1)
    assert c1_one_neuron_per_point(D.X, D.y).net.k == 24
    assert c2_cap_ramps(D.X, D.y).net.k == 48
    r3 = c3_baum(D.X, D.y)
    assert r3.net.k == 3 * (math.ceil(D.n_plus / 6) + math.ceil(D.n_minus / 6))
    assert c4_grouped_min_norm(D.X, D.y, group_size=4).net.k == 2 * 6
    assert c4_grouped_min_norm(D.X, D.y, k=12).params["group_size"] == 4


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


# --------------------------------------------------------------------- bounds
@settings(max_examples=8)
@given(seed=st.integers(0, 2**31), name=st.sampled_from(RELU),
       d=st.sampled_from([2, 3, 12]))
@example(seed=5, name="C1", d=3)
@example(seed=16777216, name="C2", d=3)  # thin caps: s ~ 1e-4, the bound is attained
def test_certified_uppers_above_toolkit_lower(seed, name, d):
    D = random_dataset(10, d, seed=seed)
    kw = {"group_size": 1, "threshold": "auto"} if name == "C4" else {}
    r = construct(name, D.X, D.y, **kw)
    for c in r.bounds:
        if c.value is not None:
            assert upper_is_valid(c.value, r.net, c.domain, D.X, seed=seed), c


def _c1_two_point_instance():
    # x1.x2 = 0.5, same label, tau = 0.8: tau^2 in (mu, (1+mu)/2) so both neurons
    # are active near the bisector; the bound's sqrt(m(1+(m-1)mu)) factor matters.
    X = np.array([[1.0, 0.0, 0.0], [0.5, math.sqrt(3) / 2, 0.0]])
    return X, np.array([1.0, 1.0])


def test_c1_bound_valid_and_wrong_versions_caught():
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


def test_c2_sphere_constant_exact_and_wrong_version_caught():
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


def test_c4_bound_valid_and_wrong_constant_caught():
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


def test_upper_for_domain_relations():
    D = random_dataset(8, 20, seed=0)
    r = c4_grouped_min_norm(D.X, D.y, group_size=1)
    assert r.upper_for(SPHERE) == r.upper_for(BALL)
    assert r.upper_for(Domain.ball(2.0)) == r.upper_for(Domain.rd())
    r1 = c1_one_neuron_per_point(D.X, D.y)
    assert r1.upper_for(Domain.rd()) is None


def test_to_dict_is_json():
    import json

    D = random_dataset(8, 20, seed=0)
    for name in RELU:
        d = construct(name, D.X, D.y).to_dict()
        assert json.loads(json.dumps(d))["name"] == name


# --------------------------------------------------------------------- bad input
def test_bad_inputs_raise_value_error_naming_argument():
    D = random_dataset(6, 4, seed=0)
    with pytest.raises(ValueError, match="tau"):
        c1_one_neuron_per_point(D.X, D.y, tau=1.0)
    with pytest.raises(ValueError, match="s:"):
        c2_cap_ramps(D.X, D.y, s=0.0)
    with pytest.raises(ValueError, match="group_size"):
        c3_baum(D.X, D.y, group_size=5)
    with pytest.raises(ValueError, match="width"):
        c3_baum(D.X, D.y, width=-1.0)
    with pytest.raises(ValueError, match="group_size"):
        c4_grouped_min_norm(D.X, D.y, group_size=5)
    with pytest.raises(ValueError, match="group_size"):
        c4_grouped_min_norm(D.X, D.y, group_size=2, k=4)
    with pytest.raises(ValueError, match="threshold"):
        c4_grouped_min_norm(D.X, D.y, threshold=1.0)
    with pytest.raises(ValueError, match="threshold"):
        c4_grouped_min_norm(D.X, D.y, threshold="big")
    with pytest.raises(ValueError, match="k:"):
        c4_group_size(6, 0, 4)
    with pytest.raises(ValueError, match="name"):
        construct("C9", D.X, D.y)
    with pytest.raises(ValueError, match="y"):
        construct("C1", D.X, np.zeros(6))
    with pytest.raises(ValueError, match="X"):
        construct("C1", D.X[:, :, None], D.y)


def test_networks_are_relu_two_layer():
    D = random_dataset(6, 4, seed=0)
    for name in RELU:
        net = construct(name, D.X, D.y).net
        assert isinstance(net, TwoLayerNet) and net.spec == "relu"


# --------------------------------------------------------------------- C5
@pytest.mark.parametrize("degree,homogeneous", [(2, True), (3, True), (2, False)])
def test_c5_interpolates_when_space_is_large_enough(degree, homogeneous):
    D = random_dataset(8, 5, seed=1)
    r = c5_polynomial(D.X, D.y, degree=degree, homogeneous=homogeneous)
    assert "C5" in CONSTRUCTIONS
    assert r.condition_holds, r.reason
    assert r.fit_error <= 1e-9 and r.net.spec == f"power:{degree}"
    assert r.bounds == () and r.upper_for(BALL) is None


def test_c5_reports_missing_interpolant():
    D = random_dataset(20, 3, seed=0)  # dim of homogeneous quadratics in R^3 is 6 < 20
    r = c5_polynomial(D.X, D.y, degree=2)
    assert r.net is None and not r.condition_holds
    assert "exceed the dimension" in r.reason and r.fit_error == float("inf")
    assert r.to_dict()["k"] is None


def test_c5_bad_degree():
    D = random_dataset(4, 3, seed=0)
    with pytest.raises(ValueError, match="degree"):
        c5_polynomial(D.X, D.y, degree=1)
