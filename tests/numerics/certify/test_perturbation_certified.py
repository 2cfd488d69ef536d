"""Certified perturbation margins over a data set vs optimized perturbations (issue 19)."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.certify import depth_one_attaining_perturbation, margin_change_bound
from numerics.certify.perturbation import (
    as_class_labels,
    certified_margins,
    pairwise_bound_matrix,
)
from numerics.certify.perturbation_search import (
    dataset_attack,
    worst_case_margins,
)
from numerics.models import MultiLayerClassifier, inf_norm

ACTS = ["relu", "leaky_relu:0.1", "tanh", "abs"]


def _instance(depth, act, seed, width, n_classes, n):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 5))
    widths = (d,) + (width,) * (depth - 1) + (n_classes,)
    net = MultiLayerClassifier.random(widths, act, seed=seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.2, 2.0)
    y = rng.integers(0, n_classes, size=n)
    return net, X, y


@given(depth=st.integers(1, 3), act=st.sampled_from(ACTS), seed=st.integers(0, 10**6),
       width=st.integers(1, 5), n_classes=st.integers(2, 4), n=st.integers(1, 5),
       eps=st.lists(st.floats(0, 0.5), min_size=3, max_size=3))
@example(depth=2, act="relu", seed=0, width=1, n_classes=2, n=1, eps=[0.0, 0.0, 0.0])
def test_certified_margin_never_above_the_optimizers_worst_case(depth, act, seed, width,
                                                                n_classes, n, eps):
    net, X, y = _instance(depth, act, seed, width, n_classes, n)
    e = eps[:depth]
    cm = certified_margins(net, X, y, e)
    wm = worst_case_margins(net, X, y, e, seed=seed, steps=15, starts=2)
    assert np.all(cm.certified <= wm.margins)
    assert np.all(wm.margins <= cm.margins + 1e-12)  # zero perturbation is a candidate
    # every witness is real: inside the budgets and re-evaluated from scratch
    for i in range(n):
        D = [Dl[i] for Dl in wm.deltas]
        for Di, ei in zip(D, e, strict=True):
            assert inf_norm(Di) <= ei * (1 + 1e-12) + 1e-15
        F = net.perturbed(D).logits(X[i])[0]
        k = wm.worst_class[i]
        assert np.isclose(F[y[i]] - F[k], wm.margins[i], rtol=1e-9, atol=1e-12)


@given(st.integers(1, 6), st.integers(2, 5), st.floats(0, 1), st.integers(0, 10**6))
def test_equal_at_depth_one(d, K, eps, seed):
    rng = np.random.default_rng(seed)
    net = MultiLayerClassifier([rng.standard_normal((K, d))])
    X = rng.standard_normal((6, d))
    y = rng.integers(0, K, size=6)
    cm = certified_margins(net, X, y, eps)
    wm = worst_case_margins(net, X, y, eps, seed=seed, steps=2, starts=1)
    assert np.all(cm.certified <= wm.margins)
    # equal up to the explicit rounding bound (plus the attack's own rounding)
    assert np.all(wm.margins - cm.certified <= 2 * cm.rounding + 1e-13 * (1 + np.abs(wm.margins)))
    # and the explicit attaining perturbation gives the same number
    i = 0  # raising f_k - f_y by the bound lowers the margin f_y - f_k by it
    (D,) = depth_one_attaining_perturbation(net, X[i], int(cm.worst_class[i]), y[i], eps)
    F = net.perturbed([D]).logits(X[i])[0]
    assert np.isclose(F[y[i]] - F[cm.worst_class[i]], cm.certified[i] + cm.rounding[i],
                      rtol=1e-12, atol=1e-12)


def test_pairwise_matrix_matches_pointwise_bound():
    net = MultiLayerClassifier.random((3, 4, 4, 3), "tanh", seed=2)
    X = np.random.default_rng(2).standard_normal((5, 3))
    eps = [0.1, 0.05, 0.2]
    B = pairwise_bound_matrix(net, X, eps)
    for i in range(5):
        for yy in range(3):
            for kk in range(3):
                want = 0.0 if yy == kk else margin_change_bound(net, X[i], yy, kk, eps)
                assert np.isclose(B[i, yy, kk], want, rtol=1e-13)


def test_certified_fraction_counts_and_dataset_attack_sandwich():
    net = MultiLayerClassifier.random((4, 8, 3), seed=3)
    X = np.random.default_rng(3).standard_normal((40, 4))
    y = np.argmax(net.logits(X), axis=1)  # clean accuracy 1
    eps = [0.05, 0.05]
    cm = certified_margins(net, X, y, eps)
    assert cm.fraction == pytest.approx(np.mean(cm.certified > 0))
    att = dataset_attack(net, X, y, eps, seed=0, steps=30)
    wm = worst_case_margins(net, X, y, eps, seed=0, steps=30)
    assert att.clean_accuracy == 1.0
    # certified <= (any single perturbation's accuracy), pointwise attack below that
    assert cm.fraction <= att.accuracy + 1e-12
    assert wm.fraction <= att.accuracy + 1e-12
    for D, ei in zip(att.deltas, eps, strict=True):
        assert inf_norm(D) <= ei * (1 + 1e-12)


def test_bad_input():
    net = MultiLayerClassifier.random((3, 4, 3), seed=0)
    X = np.ones((2, 3))
    with pytest.raises(ValueError, match="eps"):
        certified_margins(net, X, [0, 1], [0.1, -0.1])
    with pytest.raises(ValueError, match="eps"):
        certified_margins(net, X, [0, 1], [0.1, 0.1, 0.1])  # wrong number of layers
    with pytest.raises(ValueError, match="labels"):
        certified_margins(net, X, [0, 3], 0.1)
    with pytest.raises(ValueError, match="labels"):
        certified_margins(net, X, [0, -1], 0.1)
    with pytest.raises(ValueError, match="labels"):
        certified_margins(net, X, [0], 0.1)
    with pytest.raises(ValueError, match="labels"):
        as_class_labels([0.5, 1.0], 3)
    with pytest.raises(ValueError, match="X"):
        certified_margins(net, np.ones((2, 4)), [0, 1], 0.1)
    with pytest.raises(ValueError, match="net"):
        certified_margins("net", X, [0, 1], 0.1)
    with pytest.raises(ValueError, match="labels"):
        worst_case_margins(net, X, [0, 5], 0.1, seed=0)
    with pytest.raises(ValueError, match="eps"):
        dataset_attack(net, X, [0, 1], -1.0, seed=0)
