"""He-type initialization: variances, symmetric biases, gradient covariance = I."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.models import gradient_covariance, he_deep, he_layers, he_two_layer


def covariance_close_to_identity(G: np.ndarray, z: float = 5.0) -> bool:
    """Checker: every entry of the empirical second moment G^T G / M is within
    z standard errors of the identity's, the standard errors estimated from
    the sample itself (Var(g_i g_j) / M)."""
    M, d = G.shape
    prods = G[:, :, None] * G[:, None, :]
    C = prods.mean(axis=0)
    se = prods.std(axis=0) / np.sqrt(M)
    return bool(np.all(np.abs(C - np.eye(d)) <= z * se + 1e-12))


def test_shapes_and_variances():
    Ws, bs, a = he_layers(40, [300, 200], seed=0)
    assert [W.shape for W in Ws] == [(300, 40), (200, 300)]
    assert [b.shape for b in bs] == [(300,), (200,)] and a.shape == (200,)
    for W in Ws:  # entries N(0, 2 / N_l), N_l = rows (output width)
        n = W.shape[0]
        var = W.var()
        se = np.sqrt(2.0) * (2.0 / n) / np.sqrt(W.size)
        assert abs(var - 2.0 / n) <= 5 * se
        assert abs(var - 2.0 / W.shape[1]) > 5 * se  # not the fan-in variance
    assert abs(a.var() - 1.0) <= 5 * np.sqrt(2.0 / a.size)


@pytest.mark.parametrize("kind", ["normal", "uniform"])
def test_biases_symmetric_with_weight_variance(kind):
    _, bs, _ = he_layers(3, [20000], seed=1, bias=kind)
    b = bs[0]
    var = 2.0 / 20000
    assert abs(b.mean()) <= 5 * np.sqrt(var / b.size)
    assert abs(b.var() - var) <= 0.05 * var
    assert abs(np.mean(b > 0) - 0.5) <= 5 * 0.5 / np.sqrt(b.size)


def test_zero_bias_and_scale():
    assert np.all(he_two_layer(3, 5, seed=0, bias="zero").b == 0)
    _, bs, _ = he_layers(3, [20000], seed=1, bias_scale=2.0)
    assert abs(bs[0].var() - 4 * 2.0 / 20000) <= 0.05 * 4 * 2.0 / 20000


@given(st.integers(1, 6), st.lists(st.integers(1, 9), min_size=1, max_size=4),
       st.integers(0, 10**6))
def test_shapes_property(d, widths, seed):
    net = he_deep(d, widths, seed=seed)
    assert net.d == d and net.widths == tuple(widths)
    two = he_two_layer(d, widths[0], seed=seed)
    assert two.W.shape == (widths[0], d) and two.spec == "relu"


def test_reproducible():
    a, b = he_two_layer(4, 7, seed=3), he_two_layer(4, 7, seed=3)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
    assert np.array_equal(he_deep(2, [3, 3], seed=5).weights[1],
                          he_deep(2, [3, 3], seed=5).weights[1])


@pytest.mark.parametrize("bias", ["normal", "uniform", "zero"])
def test_gradient_covariance_is_identity_large_width(bias):
    _, G = gradient_covariance([0.6, -0.8, 0.3], [1000], 3000, seed=11, bias=bias)
    assert covariance_close_to_identity(G)


def test_gradient_covariance_is_identity_deep():
    _, G = gradient_covariance([1.0, -0.5], [64, 64, 64], 1500, seed=4)
    assert covariance_close_to_identity(G)


def test_wrong_scaling_is_caught():
    """The fan-in normalization N(0, 2/d) multiplies the gradient by sqrt(N/d)
    (covariance (N/d) I): the same checker rejects it; so does the plain
    N(0, 1/N) normalization (covariance I/2)."""
    d, N = 3, 300
    _, G = gradient_covariance([0.6, -0.8, 0.3], [N], 3000, seed=2)
    assert covariance_close_to_identity(G)
    assert not covariance_close_to_identity(G * np.sqrt(N / d))
    assert not covariance_close_to_identity(G / np.sqrt(2.0))


def test_gradient_is_gaussian_only_when_wide():
    """Covariance I at every width, but Gaussian (kurtosis 3) only for large
    width: one neuron gives E g^4 = 3 * 1/2 * 3 * (2/1)^2 = 18."""
    x = [1.0, 0.0]
    _, G = gradient_covariance(x, [2000], 4000, seed=3)
    k4 = np.mean(G[:, 0] ** 4)
    assert abs(k4 - 3.0) <= 5 * np.std(G[:, 0] ** 4) / np.sqrt(G.shape[0])
    _, G1 = gradient_covariance(x, [1], 40000, seed=3)
    assert covariance_close_to_identity(G1)
    k1 = np.mean(G1[:, 0] ** 4)
    assert abs(k1 - 18.0) <= 5 * np.std(G1[:, 0] ** 4) / np.sqrt(G1.shape[0])


def test_bad_inputs():
    with pytest.raises(ValueError, match="^widths:"):
        he_layers(2, [], seed=0)
    with pytest.raises(ValueError, match="^widths:"):
        he_layers(2, 5, seed=0)
    with pytest.raises(ValueError, match="^widths:"):
        he_layers(2, [3, 0], seed=0)
    with pytest.raises(ValueError, match="^d:"):
        he_layers(0, [3], seed=0)
    with pytest.raises(ValueError, match="^bias:"):
        he_layers(2, [3], seed=0, bias="cauchy")
    with pytest.raises(ValueError, match="^bias_scale:"):
        he_layers(2, [3], seed=0, bias_scale=-1.0)
    with pytest.raises(ValueError, match="^seed:"):
        he_two_layer(2, 3, seed=None)
    with pytest.raises(ValueError, match="^x:"):
        gradient_covariance([[1.0]], [3], 10, seed=0)
    with pytest.raises(ValueError, match="^n_draws:"):
        gradient_covariance([1.0], [3], 0, seed=0)
    with pytest.raises(ValueError, match="^bias:"):
        gradient_covariance([1.0], [3], 5, seed=0, bias="cauchy")
