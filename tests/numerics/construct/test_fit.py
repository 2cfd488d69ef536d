"""Tests of interpolating training (numerics/fit.py)."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.construct.fit import (
    FIT_STATUSES,
    Objective,
    _jacobian,
    _Memory,
    _status,
    fit_interpolant,
    fit_seeds,
    flops_per_evaluation,
    loss_and_gradient,
)
from numerics.data import random_dataset
from numerics.models import TwoLayerNet


def _acts(spec, k=3, d=2):
    net = TwoLayerNet(np.zeros(k), np.zeros((k, d)), None, spec)
    return net._psi, net._dpsi


@given(seed=st.integers(0, 2**31), spec=st.sampled_from(["softplus:2", "tanh", "relu"]),
       lam=st.sampled_from([0.0, 0.3]))
def test_gradient_matches_finite_differences(seed, spec, lam):
    rng = np.random.default_rng(seed)
    n, d, k = 7, 3, 4
    X, y = rng.standard_normal((n, d)), rng.choice([-1.0, 1.0], n)
    psi, dpsi = _acts(spec, k, d)
    th = rng.standard_normal(k * (d + 2))
    L, g = loss_and_gradient(th, X, y, k, psi, dpsi, lam)
    h = 1e-6
    fd = np.empty_like(th)
    for j in range(th.size):
        e = np.zeros_like(th)
        e[j] = h
        fd[j] = (loss_and_gradient(th + e, X, y, k, psi, dpsi, lam)[0]
                 - loss_and_gradient(th - e, X, y, k, psi, dpsi, lam)[0]) / (2 * h)
    # central differences: error O(h^2) for smooth pieces; relu kinks are a.s. not hit
    assert np.allclose(g, fd, rtol=1e-5, atol=1e-5)


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(0)
    n, d, k = 6, 3, 4
    X = rng.standard_normal((n, d))
    psi, dpsi = _acts("tanh", k, d)
    th = rng.standard_normal(k * (d + 2))

    def f(t):
        a, W, b = t[:k], t[k:k + k * d].reshape(k, d), t[k + k * d:]
        return psi(X @ W.T + b) @ a

    J = _jacobian(th, X, k, psi, dpsi)
    h = 1e-6
    fd = np.stack([(f(th + h * e) - f(th - h * e)) / (2 * h) for e in np.eye(th.size)], axis=1)
    assert np.allclose(J, fd, atol=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_fit_overparametrized(seed):
    D = random_dataset(30, 8, seed=seed)
    r = fit_interpolant(D.X, D.y, 40, seed=seed)
    assert r.status == "exact" and r.ok
    assert np.max(np.abs(r.net(D.X) - D.y)) <= 1e-9
    assert r.max_error <= 1e-9


def test_exact_fit_k_below_n():
    D = random_dataset(60, 15, seed=0)
    r = fit_interpolant(D.X, D.y, 8, seed=2)  # 8 * 17 = 136 parameters >= 60 points
    assert r.status == "exact", r.message
    assert np.max(np.abs(r.net(D.X) - D.y)) <= 1e-9


def test_smooth_activation_and_path_regularization():
    D = random_dataset(20, 5, seed=3)
    r = fit_interpolant(D.X, D.y, 25, activation="softplus:2", seed=0, reg="path", lam=1e-3,
                        maxiter=500)
    assert r.net.spec == "softplus:2" and r.reg == "path" and r.lam == 1e-3
    assert r.status == "exact", r.message
    assert "lam=0.001" in r.message and "lam=0" in r.message


def test_failure_is_reported_not_hidden():
    D = random_dataset(40, 2, seed=0)
    r = fit_interpolant(D.X, D.y, 1, seed=0, maxiter=200)  # one neuron cannot fit random labels
    assert r.status != "exact" and not r.ok
    assert r.status in FIT_STATUSES
    assert r.max_error == pytest.approx(np.max(np.abs(r.net(D.X) - D.y)))
    assert r.max_error > 1e-9


def test_fit_seeds_returns_every_run():
    D = random_dataset(30, 2, seed=1)
    res = fit_seeds(D.X, D.y, 2, seeds=(0, 1, 2), maxiter=100)
    assert [r.seed for r in res] == [0, 1, 2]
    assert all(r.status in FIT_STATUSES for r in res)


def test_status_definitions():
    y = np.array([1.0, -1.0, 1.0])
    assert _status(y + 1e-12, y, 1e-9)[0] == "exact"
    assert _status(np.array([3.0, 0.5, 2.5]), y, 1e-9)[0] == "separated"
    assert _status(np.array([0.1, -0.1, 0.2]), y, 1e-9)[0] == "sign"
    assert _status(np.array([0.1, 0.1, 0.2]), y, 1e-9)[0] == "failed"
    st_, err, sep, margin = _status(np.array([3.0, 0.5, 2.5]), y, 1e-9)
    assert (err, sep, margin) == (2.0, 2.0, -0.5)


def test_flop_accounting():
    D = random_dataset(20, 4, seed=0)
    r = fit_interpolant(D.X, D.y, 25, seed=0, polish=False)
    assert r.flops == r.grad_evals * flops_per_evaluation(20, 25, 4)
    assert flops_per_evaluation(2, 3, 4) == 4 * 2 * 3 * 4 + 9 * 2 * 3


def test_to_dict_json():
    import json

    D = random_dataset(10, 3, seed=0)
    d = fit_interpolant(D.X, D.y, 12, seed=0).to_dict()
    assert json.loads(json.dumps(d, allow_nan=False))["k"] == 12


def test_bad_inputs():
    D = random_dataset(10, 3, seed=0)
    with pytest.raises(ValueError, match="k:"):
        fit_interpolant(D.X, D.y, 0)
    with pytest.raises(ValueError, match="reg"):
        fit_interpolant(D.X, D.y, 3, reg="l2")
    with pytest.raises(ValueError, match="lam"):
        fit_interpolant(D.X, D.y, 3, reg="path", lam=-1.0)
    with pytest.raises(ValueError, match="tol"):
        fit_interpolant(D.X, D.y, 3, tol=0.0)
    with pytest.raises(ValueError, match="seed"):
        fit_interpolant(D.X, D.y, 3, seed=None)
    with pytest.raises(ValueError, match="seeds"):
        fit_seeds(D.X, D.y, 3, seeds=3)
    with pytest.raises(ValueError, match="y"):
        fit_interpolant(D.X, np.zeros(10), 3)


def test_output_layer_polish_when_k_at_least_n():
    D = random_dataset(15, 4, seed=5)
    r = fit_interpolant(D.X, D.y, 30, seed=0, maxiter=3)  # L-BFGS stopped far from a fit
    assert r.lbfgs_iterations <= 3
    assert r.polish == "output_lstsq" and r.status == "exact"
    assert np.max(np.abs(r.net(D.X) - D.y)) <= 1e-9
    r = fit_interpolant(D.X, D.y, 30, seed=0, maxiter=3, polish=False)
    assert r.polish == "none" and r.status != "exact"


# -- the fused objective, the Gauss-Newton Gram matrix, the L-BFGS memory -----------
SPECS = ["relu", "leaky_relu:0.1", "abs", "softplus:2", "tanh"]


@given(seed=st.integers(0, 2**31), spec=st.sampled_from(SPECS),
       lam=st.sampled_from([0.0, 0.3]))
@example(seed=0, spec="relu", lam=0.0)
def test_objective_equals_the_reference_formula(seed, spec, lam):
    rng = np.random.default_rng(seed)
    n, d, k = 9, 3, 5
    X, y = rng.standard_normal((n, d)), rng.choice([-1.0, 1.0], n)
    psi, dpsi = _acts(spec, k, d)
    obj = Objective(X, y, k, spec, lam)
    for _ in range(2):   # the buffers are reused: a second point must not see the first
        th = rng.standard_normal(k * (d + 2))
        L0, g0 = loss_and_gradient(th, X, y, k, psi, dpsi, lam)
        L1, g1 = obj(th)
        assert L1 == pytest.approx(L0, rel=1e-12, abs=1e-14)
        assert np.allclose(g1, g0, rtol=1e-11, atol=1e-13)
    assert obj.evals == 2


def test_objective_gradients_are_not_aliased():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((6, 2)), rng.choice([-1.0, 1.0], 6)
    obj = Objective(X, y, 3, "relu")
    t1, t2 = rng.standard_normal(12), rng.standard_normal(12)
    _, g1 = obj(t1)
    keep = g1.copy()
    obj(t2)
    assert np.array_equal(g1, keep)


@pytest.mark.parametrize("spec", ["relu", "abs", "tanh"])
def test_gram_and_jt_equal_the_explicit_jacobian(spec):
    rng = np.random.default_rng(1)
    n, d, k = 8, 3, 4
    X, y = rng.standard_normal((n, d)), rng.choice([-1.0, 1.0], n)
    psi, dpsi = _acts(spec, k, d)
    th = rng.standard_normal(k * (d + 2))
    J = _jacobian(th, X, k, psi, dpsi)
    obj = Objective(X, y, k, spec)
    G = obj.gram(th)
    assert np.allclose(G, J @ J.T, rtol=1e-12, atol=1e-12)
    v = rng.standard_normal(n)
    assert np.allclose(obj.jt(th, v), J.T @ v, rtol=1e-12, atol=1e-12)
    # the same comparison catches a Gram matrix that drops the bias column
    T = obj._T
    wrong = obj.H @ obj.H.T + (T @ T.T) * (X @ X.T)
    assert not np.allclose(wrong, J @ J.T, rtol=1e-6, atol=1e-6)


def _two_loop(S, Y, g):
    """The textbook two-loop recursion (Nocedal & Wright, Alg. 7.4), oldest pair first."""
    q = g.copy()
    rho = [1.0 / (y @ s) for s, y in zip(S, Y, strict=True)]
    alpha = []
    for s, y, r in reversed(list(zip(S, Y, rho, strict=True))):
        a = r * (s @ q)
        alpha.append(a)
        q -= a * y
    q *= (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1])
    for (s, y, r), a in zip(zip(S, Y, rho, strict=True), reversed(alpha), strict=True):
        q += s * (a - r * (y @ q))
    return q


@given(seed=st.integers(0, 2**31), pairs=st.integers(1, 9))
@example(seed=0, pairs=9)   # more pairs than the memory holds: the circular buffer wraps
def test_compact_memory_equals_two_loop_recursion(seed, pairs):
    rng = np.random.default_rng(seed)
    p, m = 12, 5
    A = rng.standard_normal((p, p))
    A = A @ A.T + np.eye(p)          # y = A s keeps s.y > 0
    mem, S, Y = _Memory(m, p), [], []
    for _ in range(pairs):
        s = rng.standard_normal(p)
        mem.push(s, A @ s)
        S, Y = (S + [s])[-m:], (Y + [A @ s])[-m:]
    g = rng.standard_normal(p)
    ref = _two_loop(np.array(S), np.array(Y), g)
    assert np.allclose(mem.apply(g), ref, rtol=1e-9, atol=1e-9)
    # the same check catches a memory that loses the order of its pairs (a wrapped
    # circular buffer read oldest-last)
    if len(S) >= 2:
        wrong = _two_loop(np.array(S[::-1]), np.array(Y[::-1]), g)
        assert not np.allclose(mem.apply(g), wrong, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("optimizer", ["lbfgs", "scipy"])
def test_both_optimizers_fit_exactly(optimizer):
    D = random_dataset(40, 8, seed=2)
    r = fit_interpolant(D.X, D.y, 10, seed=0, optimizer=optimizer)   # k < n <= k (d + 2)
    assert r.status == "exact" and np.max(np.abs(r.net(D.X) - D.y)) <= 1e-9
    assert r.message.startswith("lbfgs" if optimizer == "lbfgs" else "lbfgs-b")


def test_early_gauss_newton_hand_over_saves_iterations():
    D = random_dataset(60, 10, seed=4)
    late = fit_interpolant(D.X, D.y, 12, seed=0, gn_switch=0.0)
    early = fit_interpolant(D.X, D.y, 12, seed=0, gn_switch=0.1)
    assert late.status == early.status == "exact"
    assert early.gn_iterations >= 1
    assert early.lbfgs_iterations < late.lbfgs_iterations


def test_fit_argument_errors():
    D = random_dataset(10, 3, seed=0)
    with pytest.raises(ValueError, match="optimizer"):
        fit_interpolant(D.X, D.y, 3, optimizer="adam")
    with pytest.raises(ValueError, match="gn_switch"):
        fit_interpolant(D.X, D.y, 3, gn_switch=-1.0)
