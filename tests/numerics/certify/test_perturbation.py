"""S4: the margin-change bound against optimized weight perturbations."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.certify import (
    depth_one_attaining_perturbation,
    even_spread_perturbation,
    margin_change_bound,
    nonnegative_tight_instance,
    project_rows_l1,
    worst_margin_perturbation,
)
from numerics.models import MultiLayerClassifier, inf_norm
from theory.perturbation import margin_change_bound_expr, s4_symbols

ACTS = ["relu", "leaky_relu:0.1", "tanh", "abs"]
# floating-point rounding only (the bound and the change are O(1)-O(100) numbers)
RTOL = 1e-12


def _within(change, bound):
    return change <= bound * (1 + RTOL) + RTOL


# -- projection --------------------------------------------------------------------
@given(st.integers(1, 6), st.integers(1, 8), st.floats(0, 3), st.integers(0, 10**6))
@example(1, 1, 0.0, 0)
@example(1, 2, 0.0, 0)
@example(1, 2, 6.948542935395263e-241, 0)
def test_projection_is_the_projection(p, q, r, seed):
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((p, q)) * 2
    P = project_rows_l1(V, r)
    assert inf_norm(P) <= r * (1 + 1e-12) + 1e-15
    assert np.allclose(project_rows_l1(P, r), P)
    # variational inequality <V - P, Q - P> <= 0 for Q in the ball (per row)
    for _ in range(5):
        Q = project_rows_l1(rng.standard_normal((p, q)) * 3, r)
        assert np.all(np.sum((V - P) * (Q - P), axis=1) <= 1e-9)


def test_projection_bad_radius():
    with pytest.raises(ValueError, match="radius"):
        project_rows_l1([[1.0]], -1)
    with pytest.raises(ValueError, match="V"):
        project_rows_l1([1.0, 2.0], 1)


# -- the bound holds against optimized perturbations ------------------------------
@given(depth=st.integers(1, 4), act=st.sampled_from(ACTS), seed=st.integers(0, 10**6),
       width=st.integers(1, 7), n_classes=st.integers(2, 4),
       eps=st.lists(st.floats(0, 1.0), min_size=4, max_size=4))
@example(depth=3, act="relu", seed=0, width=1, n_classes=2, eps=[0.0, 0.0, 0.0, 0.0])
def test_bound_holds_against_projected_ascent(depth, act, seed, width, n_classes, eps):
    rng = np.random.default_rng(seed)
    widths = (int(rng.integers(1, 6)),) + (width,) * (depth - 1) + (n_classes,)
    net = MultiLayerClassifier.random(widths, act, seed=seed)
    x = rng.standard_normal(widths[0]) * rng.uniform(0.1, 3)
    e = eps[:depth]
    res = worst_margin_perturbation(net, x, 0, 1, e, seed=seed, steps=40, starts=2)
    assert _within(res.change, res.bound)
    for D, ei in zip(res.deltas, e, strict=True):  # the witness respects the budgets
        assert inf_norm(D) <= ei * (1 + 1e-12) + 1e-15
    # the witness is real: re-evaluate the perturbed network from scratch
    again = net.perturbed(res.deltas).margin(x, 0, 1)[0] - net.margin(x, 0, 1)[0]
    assert np.isclose(abs(again), res.change, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("widths", [(4, 10, 3), (6, 12, 12, 2), (3, 5, 5, 5, 4)])
def test_bound_holds_with_long_search(act, widths):
    rng = np.random.default_rng(len(widths))
    net = MultiLayerClassifier.random(widths, act, seed=7)
    x = rng.standard_normal(widths[0])
    eps = rng.uniform(0.05, 0.5, size=len(widths) - 1)
    res = worst_margin_perturbation(net, x, 1, 0, eps, seed=3, steps=150, starts=3)
    assert res.change > 0
    assert _within(res.change, res.bound)


# -- depth 1: attained -------------------------------------------------------------
@given(st.integers(1, 8), st.integers(2, 5), st.floats(0, 2), st.integers(0, 10**6))
def test_depth_one_bound_is_attained(d, K, eps, seed):
    rng = np.random.default_rng(seed)
    net = MultiLayerClassifier([rng.standard_normal((K, d))], "relu")
    x = rng.standard_normal(d)
    b = margin_change_bound(net, x, 0, K - 1, eps)
    assert np.isclose(b, 2 * eps * np.abs(x).max())
    (D,) = depth_one_attaining_perturbation(net, x, 0, K - 1, eps)
    assert inf_norm(D) <= eps * (1 + 1e-12)
    change = net.perturbed([D]).margin(x, 0, K - 1)[0] - net.margin(x, 0, K - 1)[0]
    assert np.isclose(change, b, rtol=1e-12, atol=1e-14)
    # the optimizer finds it too
    res = worst_margin_perturbation(net, x, 0, K - 1, eps, seed=seed, steps=5, starts=1)
    assert np.isclose(res.change, b, rtol=1e-12, atol=1e-14)


# -- tight family at every depth ---------------------------------------------------
@given(st.integers(1, 5), st.integers(1, 6), st.integers(0, 10**6),
       st.lists(st.floats(0.01, 1.0), min_size=5, max_size=5))
def test_bound_attained_on_nonnegative_tight_instances(depth, width, seed, eps):
    widths = (3,) + (width,) * (depth - 1) + (2,)
    net, x, y, k = nonnegative_tight_instance(widths, seed=seed)
    e = eps[:depth]
    D = even_spread_perturbation(net, y, k, e)
    for Di, ei in zip(D, e, strict=True):
        assert inf_norm(Di) <= ei * (1 + 1e-12)
    change = net.perturbed(D).margin(x, y, k)[0] - net.margin(x, y, k)[0]
    assert np.isclose(change, margin_change_bound(net, x, y, k, e), rtol=1e-10)


# -- deliberately weakened bounds are caught by the same checker -------------------
def _weakened(depth, variant):
    expr, s = margin_change_bound_expr(depth)
    p = sp.Mul(*s.norms)
    phat = sp.Mul(*[n + e for n, e in zip(s.norms, s.eps[:-1], strict=True)])
    if variant == "drop factor 2":
        return s.x_inf * (s.u * (phat - p) + s.eps[-1] * phat)
    if variant == "drop eps in last product":
        return s.x_inf * (s.u * (phat - p) + 2 * s.eps[-1] * p)
    if variant == "drop hidden term":
        return s.x_inf * 2 * s.eps[-1] * phat
    if variant == "drop x_inf":
        return expr / s.x_inf
    raise AssertionError(variant)


def _caught(net, x, y, k, eps, weak, seed):
    res = worst_margin_perturbation(net, x, y, k, eps, seed=seed, steps=60, starts=2)
    true_bound = margin_change_bound(net, x, y, k, eps)
    assert _within(res.change, true_bound)  # the real bound survives ...
    return res.change > margin_change_bound(net, x, y, k, eps, expr=weak) * (1 + 1e-9)


@pytest.mark.parametrize("variant", ["drop factor 2", "drop eps in last product",
                                     "drop hidden term", "drop x_inf"])
@pytest.mark.parametrize("depth", [2, 3, 4])
def test_weakened_bound_is_caught(variant, depth):
    widths = (4,) + (5,) * (depth - 1) + (3,)
    net, x, y, k = nonnegative_tight_instance(widths, seed=depth)
    x = 3 * x / x.max()  # ||x||_inf = 3 so that dropping it matters
    eps = [0.3] * depth
    assert _caught(net, x, y, k, eps, _weakened(depth, variant), seed=0)


@pytest.mark.parametrize("variant", ["drop factor 2", "drop x_inf"])
def test_weakened_bound_is_caught_at_depth_one_on_random_nets(variant):
    rng = np.random.default_rng(5)
    net = MultiLayerClassifier.random((6, 3), "relu", seed=5)
    x = 2.0 + rng.uniform(size=6)
    assert _caught(net, x, 0, 2, [0.2], _weakened(1, variant), seed=1)


def test_expr_with_foreign_symbols_refused():
    net = MultiLayerClassifier.random((3, 2), seed=0)
    with pytest.raises(ValueError, match="expr"):
        margin_change_bound(net, [1.0, 0.0, 0.0], 0, 1, 0.1, expr=sp.Symbol("zzz"))
    s = s4_symbols(1)
    assert margin_change_bound(net, [1.0, 0.0, 0.0], 0, 1, 0.1, expr=s.x_inf) == 1.0


def test_bad_inputs():
    net = MultiLayerClassifier.random((3, 4, 2), seed=0)
    x = np.ones(3)
    with pytest.raises(ValueError, match="eps"):
        margin_change_bound(net, x, 0, 1, [0.1])
    with pytest.raises(ValueError, match="eps"):
        margin_change_bound(net, x, 0, 1, [0.1, -0.1])
    with pytest.raises(ValueError, match="x"):
        margin_change_bound(net, np.ones(4), 0, 1, 0.1)
    with pytest.raises(ValueError, match="net"):
        margin_change_bound("net", x, 0, 1, 0.1)
    with pytest.raises(ValueError, match="steps"):
        worst_margin_perturbation(net, x, 0, 1, 0.1, seed=0, steps=0)
    with pytest.raises(ValueError, match="seed"):
        worst_margin_perturbation(net, x, 0, 1, 0.1, seed=None)
    with pytest.raises(ValueError, match="net"):
        depth_one_attaining_perturbation(net, x, 0, 1, 0.1)
    with pytest.raises(ValueError, match="widths"):
        nonnegative_tight_instance((3,), seed=0)
