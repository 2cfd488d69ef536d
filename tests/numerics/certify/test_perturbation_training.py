"""The certified-margin training loss: gradient vs finite differences, training, bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.certify.perturbation import certified_margins
from numerics.certify.perturbation_training import perturbation_loss, train_classifier
from numerics.models import MultiLayerClassifier

ACTS = ["relu", "leaky_relu:0.1", "tanh", "abs"]


@given(depth=st.integers(1, 3), act=st.sampled_from(ACTS), seed=st.integers(0, 10**6),
       penalty=st.sampled_from([0.0, 0.5, 3.0]), gamma=st.floats(0.0, 3.0),
       wd=st.sampled_from([0.0, 0.01]))
def test_loss_gradient_matches_finite_differences(depth, act, seed, penalty, gamma, wd):
    rng = np.random.default_rng(seed)
    widths = (3,) + tuple(int(w) for w in rng.integers(2, 5, size=depth - 1)) + (3,)
    net = MultiLayerClassifier.random(widths, act, seed=seed)
    X = rng.standard_normal((6, 3))
    y = rng.integers(0, 3, size=6)
    eps = rng.uniform(0, 0.3, size=depth)
    kw = {"penalty": penalty, "gamma": gamma, "weight_decay": wd}
    _, grads = perturbation_loss(net, X, y, eps, **kw)
    h = 1e-6
    for i, W in enumerate(net.weights):
        E = rng.standard_normal(W.shape)
        Ws = list(net.weights)
        Ws[i] = W + h * E
        plus = perturbation_loss(net.with_weights(Ws), X, y, eps, **kw)[0]
        Ws[i] = W - h * E
        minus = perturbation_loss(net.with_weights(Ws), X, y, eps, **kw)[0]
        fd = (plus - minus) / (2 * h)
        an = float(np.sum(grads[i] * E))
        # the loss is piecewise smooth (hinge, max-row-sum, |.|, relu kinks): a kink
        # inside [-h, h] has probability ~0 for Gaussian weights
        assert abs(fd - an) <= 1e-5 * (1 + abs(an))


def test_penalty_zero_is_cross_entropy():
    net = MultiLayerClassifier.random((3, 4, 3), seed=1)
    X = np.random.default_rng(1).standard_normal((5, 3))
    y = np.array([0, 1, 2, 0, 1])
    v, _ = perturbation_loss(net, X, y, 0.3, penalty=0.0)
    F = net.logits(X)
    ce = np.mean(np.log(np.exp(F).sum(axis=1)) - F[np.arange(5), y])
    assert np.isclose(v, ce, rtol=1e-12)
    # and the penalty is the hinge on the certified pair margins
    lam, gamma = 2.0, 1.5
    v2, _ = perturbation_loss(net, X, y, 0.3, penalty=lam, gamma=gamma)
    cm = certified_margins(net, X, y, 0.3)
    M = F[np.arange(5), y][:, None] - F
    hinge = np.maximum(gamma - (M - cm.bounds), 0.0)
    hinge[np.arange(5), y] = 0.0
    assert np.isclose(v2 - v, lam * hinge.sum() / 5, rtol=1e-10)


def test_penalty_raises_the_certified_fraction():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    eps = [0.2, 0.2]
    kw = {"seed": 0, "steps": 300, "lr": 0.02}
    plain = train_classifier(X, y, (2, 16, 2), eps=eps, penalty=0.0, **kw)
    pen = train_classifier(X, y, (2, 16, 2), eps=eps, penalty=1.0, gamma=1.0, **kw)
    f_plain = certified_margins(plain.net, X, y, eps).fraction
    f_pen = certified_margins(pen.net, X, y, eps).fraction
    assert f_pen > f_plain
    assert pen.losses[-1] < pen.losses[0]


def test_bad_input():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="eps"):
        train_classifier(X, [0, 1, 0], (2, 4, 2), eps=[-0.1, 0.1], seed=0)
    with pytest.raises(ValueError, match="eps"):
        train_classifier(X, [0, 1, 0], (2, 4, 2), eps=[0.1, 0.1, 0.1], seed=0)
    with pytest.raises(ValueError, match="labels"):
        train_classifier(X, [0, 1, 2], (2, 4, 2), eps=0.1, seed=0)
    with pytest.raises(ValueError, match="X"):
        train_classifier(X, [0, 1, 0], (3, 4, 2), eps=0.1, seed=0)
    with pytest.raises(ValueError, match="widths"):
        train_classifier(X, [0, 1, 0], (2,), eps=0.1, seed=0)
    net = MultiLayerClassifier.random((2, 3, 2), seed=0)
    with pytest.raises(ValueError, match="penalty"):
        perturbation_loss(net, X, [0, 1, 0], 0.1, penalty=-1.0)
    with pytest.raises(ValueError, match="gamma"):
        perturbation_loss(net, X, [0, 1, 0], 0.1, gamma=float("nan"))
    with pytest.raises(ValueError, match="labels"):
        perturbation_loss(net, X, [0, 1], 0.1)
