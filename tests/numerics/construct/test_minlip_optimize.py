"""Tests of numerics.construct.minlip_optimize: the smoothed LipSDP objective and its
gradients (checked against finite differences, and a wrong gradient caught), polish."""


import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from numerics.construct import fit_interpolant
from numerics.construct.minlip_optimize import (
    _lagrangian,
    lipsdp_objective,
    optimize_from,
    polish_exact,
)
from numerics.data import random_dataset
from numerics.lipschitz import certify_multipliers, reduced_matrix
from numerics.models import TwoLayerNet


# ---------------------------------------------------------------------------
# objective
# ---------------------------------------------------------------------------
@given(seed=st.integers(0, 10**6), k=st.integers(1, 6), d=st.integers(1, 4),
       temp=st.sampled_from([0.0, 0.3, 3.0]))
def test_lagrangian_gradient_matches_finite_differences(seed, k, d, temp):
    rng = np.random.default_rng(seed)
    n = 5
    X = rng.standard_normal((n, d))
    y = np.sign(rng.standard_normal(n)) + 0.0
    y[y == 0] = 1.0
    theta = rng.standard_normal(k * (d + 3) + 1)
    lam = rng.standard_normal(n)
    # keep preactivations away from the kinks, where f is not differentiable
    b = theta[k + k * d:k + k * d + k]
    W = theta[k:k + k * d].reshape(k, d)
    Z = X @ W.T + b
    assume(np.min(np.abs(Z)) >= 1e-3)
    f = lambda t: _lagrangian(t, X, y, k, lam, 2.0, temp, 1.0)[0]  # noqa: E731
    g = _lagrangian(theta, X, y, k, lam, 2.0, temp, 1.0)[1]
    num = approx_fprime(theta, f, 1e-7)
    scale = max(1.0, float(np.max(np.abs(g))))
    if temp == 0.0:  # exact lambda_max: only differentiable with a simple top eigenvalue
        a, Wm, u, v = theta[:k], W, theta[-k - 1:-1], theta[-1]
        M = reduced_matrix(TwoLayerNet(a, Wm, None, "relu"),
                           np.maximum(lipsdp_objective(a, Wm, u, v)[-1], 1e-300))
        assume(M is not None)
        ev = np.linalg.eigvalsh(M)
        assume(ev.size == 1 or ev[-1] - ev[-2] >= 1e-4 * max(ev[-1], 1.0))
    assert np.max(np.abs(num - g)) <= 1e-4 * scale


def test_wrong_gradient_is_caught_by_the_same_check():
    """Dropping the g g^T/(1 - sigma) term's gradient breaks the finite-difference check."""
    rng = np.random.default_rng(0)
    k, d = 4, 3
    a, W, u, v = rng.standard_normal(k), rng.standard_normal((k, d)), rng.standard_normal(k), 0.3
    _, _, ga, _, _, _, _ = lipsdp_objective(a, W, u, v, temp=0.5)
    h = W.T @ a
    F, _, _, _, _, _, _ = lipsdp_objective(a, W, u, v, temp=0.5)
    num = approx_fprime(a, lambda aa: lipsdp_objective(aa, W, u, v, temp=0.5)[0], 1e-7)
    assert np.max(np.abs(num - ga)) <= 1e-4 * max(1.0, np.max(np.abs(ga)))
    # the wrong gradient: without the W P h / (2(1 - sigma)) term
    lam, Q = np.linalg.eigh(0.25 * ((W.T * (a * a / ((1 / (1 + np.exp(-v)))
                                                     * np.exp(u) / np.exp(u).sum()))) @ W
                                    + np.outer(h, h) * (1 + np.exp(v))))
    wrong = ga - W @ (Q[:, -1] * (Q[:, -1] @ h)) * (1 + np.exp(v)) / 2
    assert np.max(np.abs(num - wrong)) > 1e-4 * max(1.0, np.max(np.abs(ga)))
    assert np.isfinite(F)


@given(seed=st.integers(0, 10**6), k=st.integers(1, 8), d=st.integers(1, 5))
def test_objective_is_the_lipsdp_value_of_its_multipliers(seed, k, d):
    """rho = lambda_max(R(t)) of numerics.lipschitz.lipsdp with the implied multipliers, and those
    multipliers certify rho (slightly inflated) but not a deflated rho."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(k)
    W = rng.standard_normal((k, d))
    u, v = rng.standard_normal(k), float(rng.standard_normal())
    _, rho, *_, t = lipsdp_objective(a, W, u, v)
    net = TwoLayerNet(a, W, rng.standard_normal(k), "relu")
    M = reduced_matrix(net, t)
    assert M is not None
    lam = float(np.linalg.eigvalsh(M)[-1])
    assert abs(lam - rho) <= 1e-9 * max(1.0, rho)
    assert certify_multipliers(net, t, rho * (1 + 1e-8) + 1e-300)
    assert not certify_multipliers(net, t, rho * (1 - 1e-6))


def test_objective_smoothing_is_an_upper_bound():
    rng = np.random.default_rng(1)
    a, W, u = rng.standard_normal(5), rng.standard_normal((5, 3)), rng.standard_normal(5)
    F, rho, *_ = lipsdp_objective(a, W, u, 0.1, temp=0.2)
    assert rho <= F <= rho + 0.2 * np.log(3) + 1e-12


# ---------------------------------------------------------------------------
# polish
# ---------------------------------------------------------------------------
def test_polish_output_layer_when_k_at_least_n():
    D = random_dataset(10, 4, seed=0)
    net = fit_interpolant(D.X, D.y, 12, seed=0, polish=False, maxiter=50).net
    out, how = polish_exact(net, D.X, D.y)
    assert how in ("output_lstsq", "gauss_newton")
    assert np.max(np.abs(out(D.X) - D.y)) <= 1e-9
    assert np.array_equal(out.W, net.W) or how == "gauss_newton"


def test_polish_gauss_newton_when_k_below_n():
    D = random_dataset(16, 8, seed=1)
    fit = fit_interpolant(D.X, D.y, 6, seed=0)
    assert fit.status == "exact"
    net = fit.net
    noisy = net.with_weights(a=net.a * (1 + 1e-4))
    assert np.max(np.abs(noisy(D.X) - D.y)) > 1e-9
    out, how = polish_exact(noisy, D.X, D.y)
    assert how == "gauss_newton"
    assert np.max(np.abs(out(D.X) - D.y)) <= 1e-9


def test_bad_activation_for_optimizer():
    D = random_dataset(6, 3, seed=0)
    net = TwoLayerNet(np.ones(2), np.ones((2, 3)), None, "tanh")
    with pytest.raises(ValueError, match="net"):
        optimize_from(net, D.X, D.y)


def test_bad_polish_tol():
    D = random_dataset(6, 3, seed=0)
    net = TwoLayerNet(np.ones(2), np.ones((2, 3)), None, "relu")
    with pytest.raises(ValueError, match="tol"):
        polish_exact(net, D.X, D.y, tol=0.0)
