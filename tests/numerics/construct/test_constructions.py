"""Tests of the construction registry (numerics.construct.constructions): every ReLU
construction interpolates where its condition holds, sizes, certified uppers above
the toolkit's lower bounds, results, bad input, and C5."""

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.construct import (
    CONSTRUCTIONS,
    FIT_TOL,
    c1_one_neuron_per_point,
    c2_cap_ramps,
    c3_baum,
    c4_group_size,
    c4_grouped_min_norm,
    c5_polynomial,
    construct,
)
from numerics.data import random_dataset
from numerics.domain import Domain
from numerics.models import TwoLayerNet

RELU = ("C1", "C2", "C3", "C4")  # C5 (power:p, k = dim of the space) is tested separately
BALL = Domain.ball(1.0)
SPHERE = Domain.sphere(1.0)


# --------------------------------------------------------------------- exactness
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


# --------------------------------------------------------------------- bounds
@given(seed=st.integers(0, 2**31), name=st.sampled_from(RELU),
       d=st.sampled_from([2, 3, 12]))
@example(seed=5, name="C1", d=3)
@example(seed=16777216, name="C2", d=3)  # thin caps: s ~ 1e-4, the bound is attained
def test_certified_uppers_above_toolkit_lower(seed, name, d, upper_is_valid):
    D = random_dataset(10, d, seed=seed)
    kw = {"group_size": 1, "threshold": "auto"} if name == "C4" else {}
    r = construct(name, D.X, D.y, **kw)
    for c in r.bounds:
        if c.value is not None:
            assert upper_is_valid(c.value, r.net, c.domain, D.X, seed=seed), c


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
