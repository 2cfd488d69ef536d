"""Continuation moves between widths (numerics.construct.minlip_moves): splitting keeps the
function, merging positively parallel neurons keeps it, pruning drops the least useful."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from numerics.construct import path_weights, prune_candidates, split_neuron
from numerics.models import TwoLayerNet


def _net(seed, k, d):
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       rng.standard_normal(k), "relu"), rng.standard_normal((30, d))


@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 6), d=st.integers(1, 4))
def test_split_keeps_the_function(seed, k, d):
    net, X = _net(seed, k, d)
    up = split_neuron(net)
    assert up.k == k + 1
    np.testing.assert_allclose(up(X), net(X), rtol=1e-12, atol=1e-12)
    assert np.isclose(path_weights(up).sum(), path_weights(net).sum())


@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 5), d=st.integers(1, 4),
       c=st.floats(0.1, 10.0))
def test_merge_of_parallel_neurons_is_exact(seed, k, d, c):
    net, X = _net(seed, k, d)
    # append a positive multiple of neuron 0: the most parallel pair, mergeable exactly
    dup = TwoLayerNet(np.append(net.a, 0.7), np.vstack([net.W, c * net.W[0]]),
                      np.append(net.b, c * net.b[0]), "relu")
    merged = dict(prune_candidates(dup))["merge"]
    assert merged.k == k
    np.testing.assert_allclose(merged(X), dup(X), rtol=1e-9, atol=1e-9)


def test_wrong_merge_is_caught():
    """Adding the output weights without the scales of (w, b) is not the same function."""
    net = TwoLayerNet([1.0, 0.7], [[1.0, 0.0], [2.0, 0.0]], [0.0, 0.0], "relu")
    X = np.array([[0.5, 0.1], [1.0, -0.3], [0.2, 0.9]])
    merged = dict(prune_candidates(net))["merge"]
    np.testing.assert_allclose(merged(X), net(X), rtol=1e-12)
    wrong = TwoLayerNet([1.7], [[1.0, 0.0]], [0.0], "relu")
    assert not np.allclose(wrong(X), net(X), rtol=1e-9)


def test_prune_drops_the_smallest_path_weight():
    net = TwoLayerNet([2.0, 0.01, -1.0], [[1.0, 0.0], [1.0, 1.0], [0.0, 3.0]], None, "relu")
    pruned = dict(prune_candidates(net))["prune"]
    assert pruned.k == 2 and sorted(pruned.a.tolist()) == [-1.0, 2.0]
    assert prune_candidates(TwoLayerNet([1.0], [[1.0]], None, "relu")) == []


@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 5), d=st.integers(1, 4),
       m=st.integers(1, 4))
def test_average_is_the_mean_function(seed, k, d, m):
    from numerics.construct import average_networks

    nets = [_net(seed + j, k, d)[0] for j in range(m)]
    X = _net(seed, k, d)[1]
    avg = average_networks(nets)
    assert avg.k == m * k
    np.testing.assert_allclose(avg(X), np.mean([f(X) for f in nets], axis=0),
                               rtol=1e-10, atol=1e-10)


def test_wrong_average_is_caught():
    """Concatenating without dividing the output weights by m is the sum, not the mean:
    it would no longer interpolate the labels the members interpolate."""
    from numerics.construct import average_networks

    f, X = _net(1, 3, 2)
    g = _net(2, 3, 2)[0]
    summed = TwoLayerNet(np.concatenate([f.a, g.a]), np.vstack([f.W, g.W]),
                         np.concatenate([f.b, g.b]), "relu")
    mean = (f(X) + g(X)) / 2
    assert np.allclose(average_networks([f, g])(X), mean)
    assert not np.allclose(summed(X), mean)
