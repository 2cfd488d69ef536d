"""MultiLayerClassifier: forward pass, margins, weight gradients, validation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.models import MultiLayerClassifier, inf_norm

ACTS = ["relu", "leaky_relu:0.1", "tanh", "abs"]


def test_forward_matches_explicit_composition():
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((5, 3)), rng.standard_normal((4, 5))
    W3 = rng.standard_normal((3, 4))
    net = MultiLayerClassifier([W1, W2, W3], "tanh")
    X = rng.standard_normal((7, 3))
    expected = np.tanh(np.tanh(X @ W1.T) @ W2.T) @ W3.T
    assert np.allclose(net.logits(X), expected)
    assert np.allclose(net.margin(X, 2, 0), expected[:, 2] - expected[:, 0])


@given(st.integers(1, 4), st.sampled_from(ACTS), st.integers(0, 10**6))
def test_weight_gradients_match_finite_differences(depth, act, seed):
    rng = np.random.default_rng(seed)
    widths = (3,) + tuple(rng.integers(2, 6, size=depth - 1)) + (3,)
    net = MultiLayerClassifier.random(widths, act, seed=seed)
    x = rng.standard_normal(3)
    m, grads = net.margin_weight_gradients(x, 0, 2)
    assert np.isclose(m, net.margin(x, 0, 2)[0])
    h = 1e-6
    for i, W in enumerate(net.weights):
        E = rng.standard_normal(W.shape)
        Ws = list(net.weights)
        Ws[i] = W + h * E
        plus = net.with_weights(Ws).margin(x, 0, 2)[0]
        Ws[i] = W - h * E
        minus = net.with_weights(Ws).margin(x, 0, 2)[0]
        fd = (plus - minus) / (2 * h)
        an = float(np.sum(grads[i] * E))
        # piecewise-linear activations: a kink inside [-h, h] is possible but has
        # probability ~0 for Gaussian weights; compare with a relative tolerance
        assert abs(fd - an) <= 1e-5 * (1 + abs(an))


def test_layer_norms_and_inf_norm():
    W = [[1.0, -2.0], [0.5, 0.5]]
    assert inf_norm(W) == 3.0
    net = MultiLayerClassifier([W, [[1.0, 1.0], [0.0, -4.0]]])
    assert np.allclose(net.layer_norms(), [3.0, 4.0])
    assert net.widths == (2, 2, 2)


def test_perturbed_adds_deltas():
    net = MultiLayerClassifier.random((3, 4, 2), seed=1)
    D = [np.ones((4, 3)), np.zeros((2, 4))]
    assert np.allclose(net.perturbed(D).weights[0], net.weights[0] + 1)


def test_bad_inputs():
    with pytest.raises(ValueError, match="weights"):
        MultiLayerClassifier([])
    with pytest.raises(ValueError, match=r"weights\[1\]"):
        MultiLayerClassifier([np.ones((3, 2)), np.ones((2, 2))])
    with pytest.raises(ValueError, match="weights"):
        MultiLayerClassifier([np.ones((1, 2))])
    with pytest.raises(ValueError, match=r"weights\[0\]"):
        MultiLayerClassifier([[[np.nan, 1.0], [1.0, 1.0]]])
    with pytest.raises(ValueError, match="activation"):
        MultiLayerClassifier([np.ones((2, 2))], "softplus:1")
    with pytest.raises(ValueError, match="activation"):
        MultiLayerClassifier([np.ones((2, 2))], "power:2")
    net = MultiLayerClassifier([np.eye(2)])
    with pytest.raises(ValueError, match="X"):
        net.logits(np.ones((1, 3)))
    with pytest.raises(ValueError, match="k"):
        net.margin([1.0, 1.0], 0, 0)
    with pytest.raises(ValueError, match="y"):
        net.margin([1.0, 1.0], 2, 0)
    with pytest.raises(ValueError, match="deltas"):
        net.perturbed([])
    with pytest.raises(ValueError, match="widths"):
        MultiLayerClassifier.random((3,), seed=0)
    with pytest.raises(ValueError, match="scale"):
        MultiLayerClassifier.random((3, 2), seed=0, scale="xavier")
    with pytest.raises(ValueError, match="x"):
        net.margin_weight_gradients(np.ones((2, 2)), 0, 1)


@given(st.integers(1, 4), st.sampled_from(ACTS), st.integers(0, 10**6), st.integers(1, 4))
def test_batched_forward_backward_match_single_networks(depth, act, seed, B):
    from numerics.models.multilayer import batched_backward, batched_forward

    rng = np.random.default_rng(seed)
    widths = (3,) + tuple(int(w) for w in rng.integers(1, 5, size=depth - 1)) + (3,)
    nets = [MultiLayerClassifier.random(widths, act, seed=seed + b) for b in range(B)]
    Ws = [np.stack([n.weights[i] for n in nets]) for i in range(depth)]
    X = rng.standard_normal((B, 5, 3))
    GF = rng.standard_normal((B, 5, 3))
    Z, H, F = batched_forward(Ws, X, nets[0]._psi)
    grads = batched_backward(Ws, Z, H, GF, nets[0]._dpsi)
    for b, net in enumerate(nets):
        assert np.allclose(F[b], net.logits(X[b]), rtol=1e-12, atol=1e-12)
        # the gradient of sum_{j,c} GF_jc f_c(x_j), against central differences
        h = 1e-6
        for i in range(depth):
            E = rng.standard_normal(Ws[i][b].shape)
            Wp = list(net.weights)
            Wp[i] = net.weights[i] + h * E
            plus = float(np.sum(GF[b] * net.with_weights(Wp).logits(X[b])))
            Wp[i] = net.weights[i] - h * E
            minus = float(np.sum(GF[b] * net.with_weights(Wp).logits(X[b])))
            an = float(np.sum(grads[i][b] * E))
            assert abs((plus - minus) / (2 * h) - an) <= 1e-5 * (1 + abs(an))
