"""Tests of numerics.construct.min_lipschitz: objective and gradients, polish, certificates and
their independent verification (which must reject broken points)."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from numerics.construct import fit_interpolant
from numerics.construct.min_lipschitz import (
    LipCertificate,
    _lagrangian,
    certify_point,
    lipsdp_objective,
    min_lipschitz_interpolant,
    optimize_from,
    polish_exact,
    start_networks,
    verify_point,
)
from numerics.data import random_dataset
from numerics.domain import Domain
from numerics.experiments.tradeoff import data_lower_bounds
from numerics.lipschitz import certify_multipliers, gradient_lower_bound, reduced_matrix
from numerics.models import TwoLayerNet

BALL = Domain.ball(1.0)


@pytest.fixture(scope="module")
def small():
    """A small instance and its optimized point (computed once)."""
    D = random_dataset(12, 5, seed=3)
    res = min_lipschitz_interpolant(D.X, D.y, 12, starts=("fit", "C1", "C4"), outer=4,
                                    inner=200)
    return D, res


# ---------------------------------------------------------------------------
# objective
# ---------------------------------------------------------------------------
@settings(max_examples=15)
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
    if np.min(np.abs(Z)) < 1e-3:
        return
    f = lambda t: _lagrangian(t, X, y, k, lam, 2.0, temp, 1.0)[0]  # noqa: E731
    g = _lagrangian(theta, X, y, k, lam, 2.0, temp, 1.0)[1]
    num = approx_fprime(theta, f, 1e-7)
    scale = max(1.0, float(np.max(np.abs(g))))
    if temp == 0.0:  # exact lambda_max: only differentiable with a simple top eigenvalue
        a, Wm, u, v = theta[:k], W, theta[-k - 1:-1], theta[-1]
        M = reduced_matrix(TwoLayerNet(a, Wm, None, "relu"),
                           np.maximum(lipsdp_objective(a, Wm, u, v)[-1], 1e-300))
        if M is None:
            return
        ev = np.linalg.eigvalsh(M)
        if ev.size > 1 and ev[-1] - ev[-2] < 1e-4 * max(ev[-1], 1.0):
            return
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


@settings(max_examples=20)
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


# ---------------------------------------------------------------------------
# the search and its verification
# ---------------------------------------------------------------------------
def test_result_interpolates_and_verifies(small):
    D, res = small
    assert res.net is not None and res.net.k == 12
    assert res.max_error <= 1e-9
    chk = verify_point(res.net, D.X, D.y, res.certificate, recompute=True)
    assert chk.ok, chk.reasons
    assert chk.recomputed is not None


def test_result_is_bracketed_by_certified_lower_bounds(small):
    """U >= the witnessed lower bound of the network >= the proven data-only bound."""
    D, res = small
    val, wit = gradient_lower_bound(res.net, BALL, X=D.X, seed=0)
    assert wit is not None and abs(wit.verify(res.net, BALL) - val) <= 1e-9 * val
    assert res.value >= val * (1 - 1e-9)
    assert res.value >= data_lower_bounds(D.X, D.y, 12)["L"]


def test_result_never_worse_than_an_exact_start(small):
    D, res = small
    for cand in res.candidates:
        if "start_bound" in cand:
            assert res.value <= cand["start_bound"]


def test_extra_start_makes_the_curve_monotone(small):
    D, res = small
    bigger = min_lipschitz_interpolant(D.X, D.y, 14, starts=(), outer=1, inner=5,
                                       extra_starts=[("k=12", res.net)])
    assert bigger.net.k == 14
    padded_value = [c for c in bigger.candidates if c["start"] == "k=12"][0]["start_bound"]
    assert bigger.value <= padded_value
    assert bigger.value <= res.value * (1 + 1e-3)   # same function; multipliers re-optimized


def test_optimization_lowers_the_certified_bound():
    D = random_dataset(16, 6, seed=2)
    net0 = fit_interpolant(D.X, D.y, 16, seed=0).net
    net1, _ = polish_exact(optimize_from(net0, D.X, D.y, outer=4, inner=200), D.X, D.y)
    assert np.max(np.abs(net1(D.X) - D.y)) <= 1e-9
    assert certify_point(net1).value < certify_point(net0).value


def test_verification_rejects_a_network_that_stops_interpolating(small):
    D, res = small
    broken = res.net.with_weights(a=res.net.a + 1e-6)
    chk = verify_point(broken, D.X, D.y, res.certificate)
    assert not chk.ok and not chk.fit_ok
    assert "does not interpolate" in chk.reasons[0]


def test_verification_rejects_a_deflated_certificate(small):
    D, res = small
    for factor in (1 - 1e-6, 0.99, 0.5):
        chk = verify_point(res.net, D.X, D.y, replace(res.certificate,
                                                     value=res.value * factor))
        assert chk.fit_ok and not chk.certificate_ok and not chk.ok


def test_verification_accepts_an_inflated_certificate(small):
    D, res = small
    chk = verify_point(res.net, D.X, D.y, replace(res.certificate, value=res.value * 1.01))
    assert chk.ok


def test_verification_rejects_tampered_multipliers(small):
    D, res = small
    assert res.certificate.method == "lipsdp"
    t = res.certificate.t.copy()
    for bad in (t * 0.5, t * 2.0, np.zeros_like(t), t[:-1]):
        chk = verify_point(res.net, D.X, D.y, replace(res.certificate, t=bad))
        assert not chk.certificate_ok


def test_verification_of_closed_form_certificates(small):
    D, res = small
    for m in ("path_norm", "spectral", "centered"):
        v = res.certificate.others[m]
        assert verify_point(res.net, D.X, D.y, LipCertificate(m, v, BALL)).ok
        assert not verify_point(res.net, D.X, D.y,
                                LipCertificate(m, v * (1 - 1e-6), BALL)).certificate_ok


def test_certificate_round_trip(small):
    D, res = small
    c = LipCertificate.from_dict(res.certificate.to_dict(), BALL)
    assert c.value == res.certificate.value and np.array_equal(c.t, res.certificate.t)
    assert verify_point(res.net, D.X, D.y, c).ok


def test_certify_point_is_at_least_exact_in_1d():
    """d = 1: the certified bound on R^d is >= the exact Lipschitz constant
    (max |slope| over the pieces)."""
    net = TwoLayerNet([1.0, -2.0, 0.5], [[1.0], [1.0], [-1.0]], [0.0, -0.5, 0.2], "relu")
    xs = np.linspace(-3, 3, 20001)[:, None]
    slopes = np.abs(np.diff(net(xs)) / np.diff(xs[:, 0]))
    c = certify_point(net, Domain.rd())
    assert c.value >= slopes.max() * (1 - 1e-9)


def test_start_networks_interpolate_or_separate():
    D = random_dataset(10, 20, seed=0)
    starts = start_networks(D.X, D.y, 20, starts=("fit", "C1", "C4"))
    labels = [lab for lab, _ in starts]
    assert "C1" in labels and "C4" in labels
    for lab, net in starts:
        assert net.k == 20
        if lab in ("C1", "C4"):
            assert np.max(np.abs(net(D.X) - D.y)) <= 1e-9


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_bad_k():
    D = random_dataset(6, 3, seed=0)
    with pytest.raises(ValueError, match="k"):
        min_lipschitz_interpolant(D.X, D.y, 0)


def test_bad_starts():
    D = random_dataset(6, 3, seed=0)
    with pytest.raises(ValueError, match="starts"):
        start_networks(D.X, D.y, 6, starts=("nope",))


def test_bad_extra_starts():
    D = random_dataset(6, 3, seed=0)
    net = TwoLayerNet(np.ones(2), np.ones((2, 4)), None, "relu")
    with pytest.raises(ValueError, match="extra_starts"):
        min_lipschitz_interpolant(D.X, D.y, 6, starts=(), extra_starts=[("x", net)])


def test_bad_domain():
    D = random_dataset(6, 3, seed=0)
    with pytest.raises(ValueError, match="domain"):
        min_lipschitz_interpolant(D.X, D.y, 6, domain="ball")


def test_bad_activation_for_optimizer():
    D = random_dataset(6, 3, seed=0)
    net = TwoLayerNet(np.ones(2), np.ones((2, 3)), None, "tanh")
    with pytest.raises(ValueError, match="net"):
        optimize_from(net, D.X, D.y)


def test_bad_certificate_argument(small):
    D, res = small
    with pytest.raises(ValueError, match="certificate"):
        verify_point(res.net, D.X, D.y, {"method": "lipsdp"})
    with pytest.raises(ValueError, match="certificate"):
        verify_point(res.net, D.X, D.y, LipCertificate("magic", 1.0, BALL))


def test_bad_fit_tol(small):
    D, res = small
    with pytest.raises(ValueError, match="fit_tol"):
        verify_point(res.net, D.X, D.y, res.certificate, fit_tol=-1.0)


def test_bad_polish_tol():
    D = random_dataset(6, 3, seed=0)
    net = TwoLayerNet(np.ones(2), np.ones((2, 3)), None, "relu")
    with pytest.raises(ValueError, match="tol"):
        polish_exact(net, D.X, D.y, tol=0.0)


def test_refine_never_worsens_and_verifies(small):
    D, res = small
    ref = min_lipschitz_interpolant(D.X, D.y, 12, starts=(), outer=2, inner=100, refine=2,
                                    extra_starts=[("prev", res.net)])
    assert ref.value <= [c for c in ref.candidates if c["start"] == "prev"][0]["start_bound"]
    assert [c["start"] for c in ref.candidates][-2:] == ["refine:0", "refine:1"]
    assert verify_point(ref.net, D.X, D.y, ref.certificate).ok


def test_bad_refine():
    D = random_dataset(6, 3, seed=0)
    with pytest.raises(ValueError, match="refine"):
        min_lipschitz_interpolant(D.X, D.y, 6, starts=(), refine=-1)
