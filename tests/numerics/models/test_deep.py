"""DeepReLUNet: values, batched gradients, bounds, I/O, validation."""

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from numerics.domain import Domain
from numerics.lipschitz import (
    INF,
    Witness,
    dual_exponent,
    lp_lower_bound,
    lp_norm,
    operator_norm_bound,
    product_norm_upper_bound,
)
from numerics.models import DeepReLUNet, TwoLayerNet, he_deep


def assert_certified(value: float, recomputed: float) -> None:
    """A certified lower bound is its witness's recomputed value rounded down by
    a floating-point error bound (numerics.lipschitz.search._certify): never above
    it, and only negligibly below."""
    assert value <= recomputed
    assert recomputed - value <= 1e-6 * max(1.0, recomputed)

PS = (1.0, 2.0, INF)


def _deep(seed: int, d: int, widths) -> DeepReLUNet:
    return he_deep(d, list(widths), seed=seed)


deep_nets = st.builds(_deep, st.integers(0, 10**6), st.integers(1, 4),
                      st.lists(st.integers(1, 7), min_size=1, max_size=4))


def _reference_gradient(net: DeepReLUNet, x: np.ndarray) -> np.ndarray:
    """Per-point product W_1^T D_1 ... W_L^T D_L a with explicit matrices."""
    h = x
    J = np.eye(net.d)
    for W, b in zip(net.weights, net.biases, strict=True):
        z = W @ h + b
        D = np.diag((z >= 0).astype(float))
        J = D @ W @ J
        h = np.maximum(z, 0)
    return J.T @ net.a


@given(deep_nets, st.integers(0, 1000))
def test_gradient_matches_reference(net, seed):
    X = np.random.default_rng(seed).standard_normal((5, net.d))
    G = net.gradient(X)
    for i in range(5):
        assert np.allclose(G[i], _reference_gradient(net, X[i]), atol=1e-12)


@given(deep_nets, st.integers(0, 1000))
def test_gradient_matches_finite_differences(net, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, net.d))
    X = X[net.margin(X) > 1e-4]
    assume(X.shape[0] > 0)
    G = net.gradient(X)
    h = 1e-7
    for j in range(net.d):
        e = np.zeros(net.d)
        e[j] = h
        fd = (net(X + e) - net(X - e)) / (2 * h)
        assert np.allclose(fd, G[:, j], rtol=1e-5, atol=1e-6)


@given(st.integers(0, 10**6), st.integers(1, 5), st.integers(1, 6))
def test_depth_one_equals_two_layer(seed, d, k):
    rng = np.random.default_rng(seed)
    two = TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                      rng.standard_normal(k), "relu")
    deep = DeepReLUNet.from_two_layer(two)
    X = rng.standard_normal((7, d))
    assert np.allclose(deep(X), two(X))
    assert np.allclose(deep.gradient(X), two.gradient(X))
    back = deep.to_two_layer()
    assert np.array_equal(back.W, two.W) and np.array_equal(back.a, two.a)


@given(deep_nets, st.sampled_from(PS), st.integers(0, 100))
@example(DeepReLUNet([1.0], [[[2.0, -1.0]]]), 2.0, 0)
def test_lower_below_upper(net, p, seed):
    low, wit, _ = lp_lower_bound(net, Domain.rd(), p, seed=seed, n_starts=4, steps=10)
    up = product_norm_upper_bound(net, p)
    assert low <= up * (1 + 1e-9)
    if wit is not None:
        assert_certified(low, wit.verify(net))


def _is_upper(bound, net, p, rng) -> bool:
    """Checker: bound >= every observed pair quotient and gradient dual norm
    (a quotient may exceed it by the rounding error of f(x) - f(y) only)."""
    X = rng.standard_normal((400, net.d)) * 3
    Y = X + rng.standard_normal(X.shape) * rng.choice([1e-3, 1.0], size=(400, 1))
    fx, fy = net(X), net(Y)
    r = lp_norm(X - Y, p)
    slack = 64 * np.finfo(float).eps * (np.abs(fx) + np.abs(fy) + 1e-300) / r
    g = lp_norm(net.gradient(X), dual_exponent(p))
    return bool(np.all(np.abs(fx - fy) / r <= bound * (1 + 1e-9) + slack)
                and g.max() <= bound * (1 + 1e-9))


@given(deep_nets, st.sampled_from(PS), st.integers(0, 100))
def test_product_bound_dominates_quotients(net, p, seed):
    assert _is_upper(product_norm_upper_bound(net, p), net, p, np.random.default_rng(seed))


def test_wrong_product_bound_is_caught():
    """Dropping the output layer's norm, or taking it in the primal norm, is caught."""
    rng = np.random.default_rng(0)
    net = DeepReLUNet(np.full(6, 3.0), [np.abs(rng.standard_normal((6, 3))),
                                       np.abs(rng.standard_normal((6, 6)))])
    for p in PS:
        assert _is_upper(product_norm_upper_bound(net, p), net, p, rng)
        rest = np.prod([operator_norm_bound(W, p, p) for W in net.weights])
        assert not _is_upper(rest, net, p, rng)  # dropped ||a||
    # ||a||_p instead of ||a||_q for p = inf (q = 1): ||a||_inf << ||a||_1
    wrong = float(lp_norm(net.a[None], INF)[0]) * np.prod(
        [operator_norm_bound(W, INF, INF) for W in net.weights])
    assert not _is_upper(wrong, net, INF, rng)


def test_product_bound_example_is_exact_for_one_layer_positive():
    net = DeepReLUNet([1.0, 1.0], [[[3.0, 0.0], [0.0, 4.0]]])
    # Lip_1 = max over regions of ||g||_inf = 4
    assert product_norm_upper_bound(net, 1) == pytest.approx(4.0)


def test_save_load_roundtrip(tmp_path):
    net = _deep(3, 3, [4, 5, 2])
    path = net.save(tmp_path / "deep")
    assert path.suffix == ".npz"
    back = DeepReLUNet.load(path)
    assert back.widths == net.widths and back.depth == 3
    X = np.random.default_rng(0).standard_normal((4, 3))
    assert np.array_equal(back(X), net(X))
    d = net.to_dict()
    assert len(d["weights"]) == 3 and d["activation"] == "relu"


def test_load_missing_arrays(tmp_path):
    np.savez(tmp_path / "bad.npz", a=np.ones(2), depth=np.array(2), W0=np.ones((2, 2)),
             b0=np.ones(2))
    with pytest.raises(ValueError, match="^path:"):
        DeepReLUNet.load(tmp_path / "bad.npz")


def test_facts_and_patterns():
    net = _deep(1, 2, [3, 4])
    assert net.n_params == 3 * 2 + 3 + 4 * 3 + 4 + 4
    P = net.patterns(np.zeros((2, 2)))
    assert [p.shape for p in P] == [(2, 3), (2, 4)]
    assert "DeepReLUNet" in repr(net)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"^weights\[1\]:"):
        DeepReLUNet([1.0], [np.ones((2, 3)), np.ones((1, 3))])
    with pytest.raises(ValueError, match="^weights:"):
        DeepReLUNet([1.0], [])
    with pytest.raises(ValueError, match="^weights:"):
        DeepReLUNet([1.0], np.ones((1, 2)))
    with pytest.raises(ValueError, match="^biases:"):
        DeepReLUNet([1.0], [np.ones((1, 2))], [np.ones(1), np.ones(1)])
    with pytest.raises(ValueError, match=r"^biases\[0\]:"):
        DeepReLUNet([1.0], [np.ones((1, 2))], [np.ones(3)])
    with pytest.raises(ValueError, match="^a:"):
        DeepReLUNet([1.0, 2.0], [np.ones((1, 2))])
    with pytest.raises(ValueError, match=r"^weights\[0\]:"):
        DeepReLUNet([1.0], [[[np.nan, 1.0]]])
    net = _deep(0, 2, [3, 3])
    with pytest.raises(ValueError, match="^X:"):
        net(np.ones((2, 3)))
    with pytest.raises(ValueError, match="^net:"):
        net.to_two_layer()
    with pytest.raises(ValueError, match="^net:"):
        DeepReLUNet.from_two_layer(TwoLayerNet([1.0], [[1.0]], None, "tanh"))
    with pytest.raises(ValueError, match="^p:"):
        product_norm_upper_bound(net, 3)


def test_pair_witness_of_deep_net():
    net = _deep(2, 2, [8, 8])
    w = Witness("pair", np.array([[0.0, 0.0], [1.0, 0.5]]), 0.0, 2.0)
    v = w.verify(net)
    assert v == pytest.approx(abs(net([[0.0, 0.0]])[0] - net([[1.0, 0.5]])[0]) / np.sqrt(1.25))
