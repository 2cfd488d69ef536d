"""The Rademacher bound within a weight budget against lower estimates (issue 19)."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.certify import nonnegative_tight_instance
from numerics.certify.perturbation_generalization import (
    a0_exact,
    a0_massart,
    generalization_bound,
    rademacher_pair_bound,
)
from numerics.certify.perturbation_search import rademacher_lower_estimate, sign_vectors
from numerics.models import MultiLayerClassifier
from theory import rademacher as trad

ACTS = ["relu", "leaky_relu:0.1", "tanh", "abs"]
RTOL = 1e-12  # rounding only


def _small(depth, act, seed, m):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 4))
    widths = (d,) + (3,) * (depth - 1) + (3,)
    net = MultiLayerClassifier.random(widths, act, seed=seed)
    X = rng.standard_normal((m, d)) * rng.uniform(0.3, 2)
    return net, X


@given(depth=st.integers(1, 3), act=st.sampled_from(ACTS), seed=st.integers(0, 10**6),
       m=st.integers(1, 5), eps=st.lists(st.floats(0, 0.5), min_size=3, max_size=3))
@example(depth=1, act="relu", seed=0, m=1, eps=[0.0, 0.0, 0.0])
def test_bound_above_every_lower_estimate(depth, act, seed, m, eps):
    net, X = _small(depth, act, seed, m)
    e = eps[:depth]
    est = rademacher_lower_estimate(net, X, 0, 1, e, seed=seed, steps=15, starts=2)
    exact_a0 = rademacher_pair_bound(net, X, 0, 1, e, a0=a0_exact(X))
    massart = rademacher_pair_bound(net, X, 0, 1, e)
    assert est["exhaustive"]
    assert est["estimate"] <= exact_a0 * (1 + RTOL) + RTOL
    assert exact_a0 <= massart * (1 + RTOL) + RTOL
    if depth == 1:  # the first inequality is an equality at depth 1
        assert np.isclose(est["estimate"], exact_a0, rtol=1e-10, atol=1e-13)


def test_a0_exact_below_massart_and_known_value():
    rng = np.random.default_rng(0)
    for _ in range(10):
        X = rng.standard_normal((int(rng.integers(1, 8)), int(rng.integers(1, 5))))
        assert a0_exact(X) <= a0_massart(X)
    # one column: E|sum sigma_j x_j| for x = (1, 1, 1): (3 + 1 + 1 + 1 ...)/8 = 1.5
    assert a0_exact(np.ones((3, 1))) == 1.5
    assert sign_vectors(3).shape == (8, 3)


def _deflated(depth, variant):
    expr, s = trad.rademacher_bound_expr(depth)
    if variant == "halved constant":
        return expr / 2
    if variant == "drop hidden term":  # keep only 2 eps_L Phat
        return expr.subs(s.u, 0)
    raise AssertionError(variant)


@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_deflated_constant_is_caught_at_depth_one(act):
    net = MultiLayerClassifier.random((3, 3), act, seed=4)
    X = np.random.default_rng(4).standard_normal((5, 3))
    est = rademacher_lower_estimate(net, X, 0, 2, 0.3, seed=0, steps=5)
    assert est["estimate"] <= rademacher_pair_bound(net, X, 0, 2, 0.3, a0=a0_exact(X)) * (
        1 + RTOL)
    weak = rademacher_pair_bound(net, X, 0, 2, 0.3, a0=a0_exact(X),
                                 expr=_deflated(1, "halved constant"))
    assert est["estimate"] > weak * (1 + 1e-9)


@pytest.mark.parametrize("depth", [2, 3])
def test_dropped_hidden_term_is_caught(depth):
    # eps_L = 0: only hidden-layer perturbations move the margins; the deflated bound is 0
    net, _, y, k = nonnegative_tight_instance((3,) + (4,) * (depth - 1) + (2,), seed=depth)
    X = np.abs(np.random.default_rng(depth).standard_normal((5, 3))) + 0.5
    eps = [0.3] * (depth - 1) + [0.0]
    est = rademacher_lower_estimate(net, X, y, k, eps, seed=0, steps=30)
    assert est["estimate"] <= rademacher_pair_bound(net, X, y, k, eps, a0=a0_exact(X)) * (
        1 + RTOL)
    weak = rademacher_pair_bound(net, X, y, k, eps, a0=a0_exact(X),
                                 expr=_deflated(depth, "drop hidden term"))
    assert est["estimate"] > weak * (1 + 1e-9) + 1e-12


def test_generalization_bound_terms():
    net = MultiLayerClassifier.random((2, 4, 2), seed=0)
    X = np.random.default_rng(0).standard_normal((50, 2))
    y = np.argmax(net.logits(X), axis=1)
    g0 = generalization_bound(net, X, y, [0.0, 0.0])
    g1 = generalization_bound(net, X, y, [0.1, 0.1])
    assert g0["train_error"] == 0.0
    assert all(c == 0.0 for c in g0["complexity"])  # the class is one function
    assert g1["robust"] >= g1["clean"] >= g0["clean"]
    assert np.isclose(g0["confidence"], 3 * np.sqrt(np.log(2 * 9 / 0.05) / 100))
    with pytest.raises(ValueError, match="delta"):
        generalization_bound(net, X, y, 0.1, delta=1.5)
    with pytest.raises(ValueError, match="labels"):
        generalization_bound(net, X, y + 2, 0.1)


def test_bad_input():
    net = MultiLayerClassifier.random((2, 3, 2), seed=0)
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="eps"):
        rademacher_pair_bound(net, X, 0, 1, [-0.1, 0.1])
    with pytest.raises(ValueError, match="eps"):
        rademacher_lower_estimate(net, X, 0, 1, [0.1], seed=0)
    with pytest.raises(ValueError, match="k"):
        rademacher_lower_estimate(net, X, 0, 2, 0.1, seed=0)
    with pytest.raises(ValueError, match="sigmas"):
        rademacher_lower_estimate(net, X, 0, 1, 0.1, seed=0, sigmas=[[1, 0, 1]])
    with pytest.raises(ValueError, match="m"):
        sign_vectors(17)
    with pytest.raises(ValueError, match="expr"):
        import sympy as sp
        rademacher_pair_bound(net, X, 0, 1, 0.1, expr=sp.Symbol("zzz"))
