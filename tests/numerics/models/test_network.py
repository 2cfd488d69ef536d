"""TwoLayerNet: values and gradients against independent computations; I/O; validation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.models import TwoLayerNet

SPECS = ["relu", "leaky_relu:0.2", "abs", "softplus:2", "tanh", "power:2", "power:3"]


def _random_net(rng, k, d, spec):
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       rng.standard_normal(k), spec)


@pytest.mark.parametrize("spec", SPECS)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 12), d=st.integers(1, 6))
def test_values_match_neuron_by_neuron_loop(spec, seed, k, d):
    rng = np.random.default_rng(seed)
    net = _random_net(rng, k, d, spec)
    X = rng.standard_normal((5, d))
    psi = net.activation.numeric
    loop = np.array([sum(net.a[l] * float(psi(np.array(net.W[l] @ x + net.b[l])))
                         for l in range(k)) for x in X])
    assert np.allclose(net(X), loop, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec", SPECS)
@given(seed=st.integers(0, 2**32 - 1))
def test_gradient_matches_central_differences(spec, seed):
    rng = np.random.default_rng(seed)
    net = _random_net(rng, 7, 4, spec)
    X = rng.standard_normal((6, 4))
    if net.activation.is_piecewise_linear:  # stay away from kinks
        Z = net.preactivation(X)
        X = X[np.min(np.abs(Z), axis=1) > 1e-3]
    h = 1e-6
    G = net.gradient(X)
    for j in range(4):
        e = np.zeros(4)
        e[j] = h
        fd = (net(X + e) - net(X - e)) / (2 * h)
        assert np.allclose(G[:, j], fd, rtol=1e-5, atol=1e-5 * (1 + np.abs(G).max()))


def test_value_and_gradient_consistent():
    rng = np.random.default_rng(0)
    net = _random_net(rng, 5, 3, "tanh")
    X = rng.standard_normal((4, 3))
    v, g = net.value_and_gradient(X)
    assert np.array_equal(v, net(X)) and np.array_equal(g, net.gradient(X))


def test_patterns_and_pattern_gradients():
    rng = np.random.default_rng(1)
    net = _random_net(rng, 6, 3, "leaky_relu:0.2")
    X = rng.standard_normal((10, 3))
    S = net.patterns(X)
    assert np.array_equal(S, net.preactivation(X) >= 0)
    assert np.allclose(net.pattern_gradients(S), net.gradient(X))
    with pytest.raises(ValueError, match="activation"):
        _random_net(rng, 2, 2, "tanh").pattern_gradients(S[:, :2])


def test_single_point_accepted_as_1d():
    net = TwoLayerNet([1.0], [[1.0, 2.0]], [0.0], "relu")
    assert net([1.0, 1.0]).shape == (1,)


@pytest.mark.parametrize("spec", SPECS + ["leaky_relu:1/10"])
def test_save_load_round_trip(tmp_path, spec):
    rng = np.random.default_rng(2)
    net = _random_net(rng, 4, 3, spec)
    path = net.save(tmp_path / "net.npz")
    back = TwoLayerNet.load(path)
    assert back.spec == net.spec
    for name in "aWb":
        assert np.array_equal(getattr(back, name), getattr(net, name))
    X = rng.standard_normal((3, 3))
    assert np.array_equal(back(X), net(X))


def test_load_missing_array(tmp_path):
    np.savez(tmp_path / "bad.npz", a=np.ones(2), W=np.ones((2, 2)))
    with pytest.raises(ValueError, match="lacks"):
        TwoLayerNet.load(tmp_path / "bad.npz")


def test_arrays_are_read_only():
    net = TwoLayerNet([1.0], [[1.0]], [0.0], "relu")
    with pytest.raises(ValueError):
        net.a[0] = 2.0


# -- bad input: one test each, each naming its argument ----------------------
def test_nan_in_a():
    with pytest.raises(ValueError, match="^a: .*NaN"):
        TwoLayerNet([np.nan], [[1.0]], [0.0])


def test_inf_in_W():
    with pytest.raises(ValueError, match="^W: .*inf"):
        TwoLayerNet([1.0], [[np.inf]], [0.0])


def test_nan_in_b():
    with pytest.raises(ValueError, match="^b: "):
        TwoLayerNet([1.0], [[1.0]], [np.nan])


def test_shape_mismatch_a():
    with pytest.raises(ValueError, match="^a: expected length 2"):
        TwoLayerNet([1.0], [[1.0], [2.0]], [0.0, 0.0])


def test_shape_mismatch_b():
    with pytest.raises(ValueError, match="^b: expected length 1"):
        TwoLayerNet([1.0], [[1.0]], [0.0, 0.0])


def test_W_not_2d():
    with pytest.raises(ValueError, match="^W: expected a 2-D array"):
        TwoLayerNet([1.0], [1.0], [0.0])


def test_k_zero():
    with pytest.raises(ValueError, match="^W: needs at least 1 row"):
        TwoLayerNet(np.zeros(0), np.zeros((0, 3)), np.zeros(0))


def test_d_zero():
    with pytest.raises(ValueError, match="^W: needs at least 1 column"):
        TwoLayerNet([1.0], np.zeros((1, 0)), [0.0])


def test_unknown_activation():
    with pytest.raises(ValueError, match="^activation: unknown"):
        TwoLayerNet([1.0], [[1.0]], [0.0], "swish")


def test_complex_and_bool_refused():
    with pytest.raises(ValueError, match="^W: expected a real"):
        TwoLayerNet([1.0], [[1.0 + 1j]], [0.0])
    with pytest.raises(ValueError, match="^a: expected a real"):
        TwoLayerNet([True], [[1.0]], [0.0])


def test_points_wrong_dimension():
    net = TwoLayerNet([1.0], [[1.0, 2.0]], [0.0])
    with pytest.raises(ValueError, match="^X: expected 2 columns"):
        net(np.ones((3, 3)))
    with pytest.raises(ValueError, match="^X: contains NaN"):
        net.gradient(np.array([[np.nan, 1.0]]))
