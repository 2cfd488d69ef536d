r"""Tests of numerics.lipschitz.search: certified lower bounds, attained at witnesses.
"""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.domain import Domain
from numerics.lipschitz import (
    INF,
    dual_exponent,
    gradient_lower_bound,
    lipschitz_report,
    lp_lower_bound,
    lp_norm,
    pair_lower_bound,
    region_gradients,
)
from numerics.models import TwoLayerNet


def test_smooth_search_survives_overflowing_second_derivative():
    """softplus'' overflows (inf/inf) far out; the search must neither warn nor
    return a non-finite value (a ci-profile failure on a softplus:3 net led to
    guards in the search direction; this pins the far-out regime)."""
    from numerics.domain import Domain
    from numerics.models import TwoLayerNet

    net = TwoLayerNet([1.0, -2.0, 0.5], [[300.0], [-250.0], [1.0]], [0.0, 5.0, -1.0],
                      "softplus:3")
    for domain in (Domain.rd(), Domain.ball(3.0)):
        v, w = gradient_lower_bound(net, domain, n_random=32, steps=20, seed=0)
        assert np.isfinite(v) and v > 0
        assert w.verify(net, domain) == pytest.approx(v, rel=1e-9)


def assert_certified(value: float, recomputed: float) -> None:
    """A certified lower bound is its witness's recomputed value rounded down by
    a floating-point error bound (numerics.lipschitz.search._certify): never above
    it, and only negligibly below."""
    assert value <= recomputed
    assert recomputed - value <= 1e-6 * max(1.0, recomputed)


PS = (1.0, 2.0, INF)


RTOL = 1e-9


def _net(seed: int, k: int, d: int, act: str, bias_scale: float = 1.0) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       bias_scale * rng.standard_normal(k), act)


def sandwich(lower: float, exact: float, upper: float) -> bool:
    """The checker every sandwich test uses (relative rounding slack only)."""
    tol = RTOL * max(1.0, abs(exact))
    return lower <= exact + tol and exact <= upper + tol


ps = st.sampled_from(PS)


def test_wrong_dual_norm_is_caught():
    """Measuring gradients in the primal norm instead of the dual one breaks the
    sandwich, with the same checker."""
    net = TwoLayerNet([1.0], [[1.0, -2.0, 3.0]], [0.0], "relu")

    G = region_gradients(net, Domain.rd())
    for p in (1.0, INF):
        rep = lipschitz_report(net, Domain.rd(), p, seed=0)
        right = float(lp_norm(G, dual_exponent(p)).max())
        wrong = float(lp_norm(G, p).max())
        assert sandwich(rep.lower, right, rep.upper)
        assert not sandwich(rep.lower, wrong, rep.upper)


@given(st.lists(st.floats(0.1, 5.0), min_size=2, max_size=3),
       st.lists(st.booleans(), min_size=3, max_size=3), st.sampled_from([1.0, INF]))
def test_wrong_dual_norm_is_caught_property(mags, signs, p):
    """One neuron whose weight vector has >= 2 non-zero entries: its primal
    and dual norms differ, and the checker notices the swap."""
    w = np.array(mags) * np.where(np.array(signs[:len(mags)]), 1.0, -1.0)
    net = TwoLayerNet([1.0], [w], [0.0], "relu")
    rep = lipschitz_report(net, Domain.rd(), p, seed=0, n_random=16)
    assert sandwich(rep.lower, rep.exact, rep.upper)
    wrong = float(lp_norm(w[None], p)[0])
    assert not sandwich(rep.lower, wrong, rep.upper)


@given(st.integers(0, 10**6), st.integers(2, 12), st.integers(1, 4), ps)
@example(510507, 2, 1, 1.0)  # all quotients zero: found by the ci profile
def test_pair_lower_bound_matches_brute_force(seed, n, d, p):
    rng = np.random.default_rng(seed)
    net = _net(seed, 4, d, "relu")
    X = rng.standard_normal((n, d))
    v, w = pair_lower_bound(net, X, Domain.rd(), p)
    f = net(X)
    best = max(abs(f[i] - f[j]) / lp_norm((X[i] - X[j])[None], p)[0]
               for i in range(n) for j in range(n) if i != j)
    assert v == pytest.approx(best, rel=1e-9)
    if best == 0:  # every quotient vanishes (e.g. all points in a dead region): no witness
        assert v == 0.0 and w is None
    else:
        assert_certified(v, w.verify(net, Domain.rd()))


def test_lower_bound_witness_in_ball():
    net = _net(3, 6, 3, "relu")
    for p in PS:
        v, w, _ = lp_lower_bound(net, Domain.ball(0.5), p, seed=1, n_samples=32)
        assert np.all(np.linalg.norm(w.points, axis=1) <= 0.5)
        assert_certified(v, w.verify(net, Domain.ball(0.5)))


@pytest.mark.parametrize("x2", [1e-6, 3e-7, 7.7e-7])
def test_pair_certificate_rounds_down(x2):
    """f(x) = x + 1e8 near 0 has Lip = 1, but the float quotient of a close pair
    can exceed 1 (ulp(1e8) ~ 1.5e-8); the certified value never does."""
    net = TwoLayerNet([1.0], [[1.0]], [1e8], "relu")
    X = np.array([[0.0], [x2]])
    raw = abs(net(X[1:])[0] - net(X[:1])[0]) / x2
    v, w = pair_lower_bound(net, X, Domain.rd(), 2)
    assert v <= 1.0
    assert w.verify(net) == v  # verify recomputes the certified value
    assert raw != 1.0  # rounding is visible here, so the test is not vacuous
