"""l_p Lipschitz constants: lower <= exact <= upper, dual norms, operator norms."""

import json

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from numerics.domain import Domain
from numerics.lipschitz import (
    INF,
    Witness,
    box_upper_bound_lp,
    conversion_upper_bound_lp,
    dual_direction,
    dual_exponent,
    exact_lp_lipschitz,
    lipschitz_report,
    lp_lower_bound,
    lp_norm,
    operator_norm_bound,
    operator_upper_bound_lp,
    pair_lower_bound,
    path_norm_upper_bound_lp,
)
from numerics.models import DeepReLUNet, TwoLayerNet


def assert_certified(value: float, recomputed: float) -> None:
    """A certified lower bound is its witness's recomputed value rounded down by
    a floating-point error bound (numerics.lipschitz.lp._certify): never above
    it, and only negligibly below."""
    assert value <= recomputed
    assert recomputed - value <= 1e-6 * max(1.0, recomputed)

PS = (1.0, 2.0, INF)
PL_ACTS = ("relu", "leaky_relu:0.1", "abs")
RTOL = 1e-9


def _net(seed: int, k: int, d: int, act: str, bias_scale: float = 1.0) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       bias_scale * rng.standard_normal(k), act)


def sandwich(lower: float, exact: float, upper: float) -> bool:
    """The checker every sandwich test uses (relative rounding slack only)."""
    tol = RTOL * max(1.0, abs(exact))
    return lower <= exact + tol and exact <= upper + tol


nets = st.builds(_net, st.integers(0, 10**6), st.integers(1, 6), st.integers(1, 3),
                 st.sampled_from(PL_ACTS))
domains = st.sampled_from([Domain.rd(), Domain.ball(1.0), Domain.ball(2.5)])
ps = st.sampled_from(PS)


# --- norms ------------------------------------------------------------------
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=6), ps)
@example([0.0, 0.0], 1.0)
@example([3.0, -4.0], INF)
@example([1.7262808817249873e-276], 2.0)  # squares underflow: found by the ci profile
def test_dual_direction_attains_the_dual_norm(g, p):
    g = np.array([g])
    v = dual_direction(g, p)
    assert lp_norm(v, p)[0] == pytest.approx(1.0)
    assert float(v[0] @ g[0]) == pytest.approx(lp_norm(g, dual_exponent(p))[0], abs=1e-12)


def test_wrong_dual_direction_is_caught():
    g = np.array([[3.0, -4.0, 1.0]])
    for p in (1.0, INF):  # using the primal exponent's direction breaks Hölder's equality
        v = dual_direction(g, dual_exponent(p))
        ok = (abs(lp_norm(v, p)[0] - 1) < 1e-12
              and abs(v[0] @ g[0] - lp_norm(g, dual_exponent(p))[0]) < 1e-12)
        assert not ok


@settings(max_examples=30)
@given(st.integers(0, 10**6), st.integers(1, 5), st.integers(1, 5), ps, ps)
def test_operator_norm_bound_dominates_ratios(seed, r, c, pi, po):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((r, c))
    bound = operator_norm_bound(M, pi, po)
    X = rng.standard_normal((500, c))
    X = np.vstack([X, np.sign(X), np.eye(c)])
    ratios = lp_norm(X @ M.T, po) / lp_norm(X, pi)
    assert ratios.max() <= bound * (1 + 1e-12)
    # exact cases are attained by a vertex/sign vector/basis vector/singular vector
    if pi == 1.0 or po == INF or pi == INF:
        S = np.array(np.meshgrid(*[[-1.0, 1.0]] * c)).reshape(c, -1).T
        cand = np.vstack([np.eye(c), S])
        best = (lp_norm(cand @ M.T, po) / lp_norm(cand, pi)).max()
        if po == INF and pi == 2.0:
            best = lp_norm(M, 2).max()
        assert best == pytest.approx(bound, rel=1e-12)


def _is_bound(val, M, pi, po) -> bool:
    """Checker: val >= ||Mx||_po / ||x||_pi at basis vectors and sign vectors."""
    c = M.shape[1]
    S = np.array(np.meshgrid(*[[-1.0, 1.0]] * c)).reshape(c, -1).T
    X = np.vstack([np.eye(c), S])
    return bool(val >= (lp_norm(X @ M.T, po) / lp_norm(X, pi)).max() * (1 - 1e-12))


def test_operator_norm_wrong_index_is_caught():
    M = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]])
    assert _is_bound(operator_norm_bound(M, INF, INF), M, INF, INF)
    assert _is_bound(operator_norm_bound(M, 1, 1), M, 1, 1)
    wrong_inf = float(np.abs(M).sum(axis=0).max())  # column sums: the (1, 1) formula
    assert not _is_bound(wrong_inf, M, INF, INF)
    wrong_one = float(np.abs(M.T).sum(axis=0).max() / 2)  # rows, deflated
    assert not _is_bound(wrong_one, M, 1, 1)


# --- the sandwich -------------------------------------------------------------
@settings(max_examples=40)
@given(nets, domains, ps, st.integers(0, 100))
@example(TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu"),
         Domain.rd(), INF, 0)
@example(TwoLayerNet([2.0], [[3.0, 4.0]], [-10.0], "relu"), Domain.ball(1.0), 1.0, 0)
def test_lower_exact_upper(net, domain, p, seed):
    rep = lipschitz_report(net, domain, p, seed=seed, n_random=48, steps=15)
    assume(rep.exact is not None)
    assert sandwich(rep.lower, rep.exact, rep.upper)
    for name, u in rep.uppers.items():
        assert rep.exact <= u + RTOL * max(1.0, rep.exact), name
    if rep.lower_witness is not None:
        assert_certified(rep.lower, rep.lower_witness.verify(net, domain))


@settings(max_examples=25)
@given(nets, domains, ps)
def test_box_dominated_by_path_and_operator(net, domain, p):
    box = box_upper_bound_lp(net, domain, p)
    assume(box is not None)
    assert box <= path_norm_upper_bound_lp(net, domain, p) * (1 + 1e-9)
    assert box <= operator_upper_bound_lp(net, domain, p) * (1 + 1e-9)


def _uppers_dominate_gradients(seed, k, d, act, domain, p):
    net = _net(seed, k, d, act)
    q = dual_exponent(p)
    P = domain.sample(300, d, np.random.default_rng(seed))
    g = lp_norm(net.gradient(P), q).max()
    for f in (path_norm_upper_bound_lp, operator_upper_bound_lp, conversion_upper_bound_lp):
        assert g <= f(net, domain, p) * (1 + 1e-9)


@settings(max_examples=25)
@given(st.integers(0, 10**6), st.integers(1, 8), st.integers(1, 6), st.sampled_from(PL_ACTS),
       domains, ps)
def test_uppers_dominate_gradients(seed, k, d, act, domain, p):
    _uppers_dominate_gradients(seed, k, d, act, domain, p)


# numerics.lipschitz.l2.slope_ranges recomputes the symbolic slope range of a smooth
# activation on every call (seconds each), so smooth activations get one test
@pytest.mark.slow
def test_smooth_activation_uppers_and_no_exact():
    net = _net(7, 5, 3, "tanh")
    dom = Domain.ball(1.0)
    P = dom.sample(300, 3, np.random.default_rng(0))
    for p in PS:
        rep = lipschitz_report(net, dom, p, seed=0, n_random=32, steps=5)
        assert rep.exact is None and rep.exact_reason
        g = lp_norm(net.gradient(P), dual_exponent(p)).max()
        assert rep.lower <= rep.upper
        for name, u in rep.uppers.items():
            assert g <= u * (1 + 1e-9), name


def test_wrong_dual_norm_is_caught():
    """Measuring gradients in the primal norm instead of the dual one breaks the
    sandwich, with the same checker."""
    net = TwoLayerNet([1.0], [[1.0, -2.0, 3.0]], [0.0], "relu")
    from numerics.lipschitz import region_gradients

    G = region_gradients(net, Domain.rd())
    for p in (1.0, INF):
        rep = lipschitz_report(net, Domain.rd(), p, seed=0)
        right = float(lp_norm(G, dual_exponent(p)).max())
        wrong = float(lp_norm(G, p).max())
        assert sandwich(rep.lower, right, rep.upper)
        assert not sandwich(rep.lower, wrong, rep.upper)


@settings(max_examples=30)
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


FAMILY = [_net(s, k, d, act) for s, (k, d, act) in
          enumerate([(k, d, act) for k in (3, 5) for d in (1, 2, 3) for act in PL_ACTS])]


def _valid_on_family(bound, domain, p) -> bool:
    for net in FAMILY:
        ex, _ = exact_lp_lipschitz(net, domain, p)
        if ex is not None and bound(net, domain, p) < ex * (1 - RTOL):
            return False
    return True


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("domain", [Domain.rd(), Domain.ball(1.0)], ids=["rd", "ball"])
def test_wrong_upper_bounds_are_caught(p, domain):
    from numerics.lipschitz import slope_ranges

    q = dual_exponent(p)
    for good in (path_norm_upper_bound_lp, operator_upper_bound_lp):
        assert _valid_on_family(good, domain, p)

    def path_dropped_term(net, dom, p):  # the switching neurons' term dropped
        lo, hi = slope_ranges(net, dom)
        return float(lp_norm(((lo + hi) / 2 * net.a) @ net.W, q)[0])

    def operator_dropped_term(net, dom, p):  # the linear (centre) term dropped
        lo, hi = slope_ranges(net, dom)
        return operator_norm_bound(net.W.T, 2, q) * float(np.linalg.norm(net.a * (hi - lo) / 2))

    assert not _valid_on_family(path_dropped_term, domain, p)
    assert not _valid_on_family(operator_dropped_term, domain, p)


# --- lower bounds ---------------------------------------------------------------
@settings(max_examples=20)
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


def test_witness_checks():
    net = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "relu")
    on_kink = Witness("point", np.array([[0.0, 1.0]]), 1.0, 2.0)
    with pytest.raises(ValueError, match="kink"):
        on_kink.verify(net)
    outside = Witness("pair", np.array([[3.0, 0.0], [0.0, 0.0]]), 1.0, 2.0)
    with pytest.raises(ValueError, match="outside"):
        outside.verify(net, Domain.ball(1.0))
    same = Witness("pair", np.array([[0.5, 0.0], [0.5, 0.0]]), 1.0, 2.0)
    with pytest.raises(ValueError, match="coincide"):
        same.verify(net)
    with pytest.raises(ValueError, match="kind"):
        Witness("blob", np.zeros((1, 2)), 0.0, 2.0).verify(net)


def test_lower_bound_witness_in_ball():
    net = _net(3, 6, 3, "relu")
    for p in PS:
        v, w, _ = lp_lower_bound(net, Domain.ball(0.5), p, seed=1, n_samples=32)
        assert np.all(np.linalg.norm(w.points, axis=1) <= 0.5)
        assert_certified(v, w.verify(net, Domain.ball(0.5)))


def test_deep_depth_one_matches_two_layer():
    net = _net(5, 5, 2, "relu")
    deep = DeepReLUNet.from_two_layer(net)
    for p in PS:
        a = lipschitz_report(net, Domain.rd(), p, seed=0)
        b = lipschitz_report(deep, Domain.rd(), p, seed=0)
        assert a.uppers == b.uppers
        assert a.exact == pytest.approx(b.exact)


def test_report_to_dict_is_json():
    rep = lipschitz_report(_net(1, 4, 2, "relu"), Domain.ball(), "inf", seed=0,
                              X=np.random.default_rng(0).standard_normal((10, 2)) * 0.3)
    d = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert d["p"] == "inf" and d["q"] == "1"
    assert d["lower"] <= d["upper"]


# --- bad input ------------------------------------------------------------------
def test_bad_inputs():
    net = _net(0, 3, 2, "relu")
    with pytest.raises(ValueError, match="^p:"):
        lipschitz_report(net, Domain.rd(), 3)
    with pytest.raises(ValueError, match="^p:"):
        dual_exponent("two")
    with pytest.raises(ValueError, match="^p:"):
        dual_exponent(True)
    with pytest.raises(ValueError, match="^domain:"):
        lipschitz_report(net, Domain.sphere(), 1)
    with pytest.raises(ValueError, match="^domain:"):
        lipschitz_report(net, "ball", 2)
    with pytest.raises(ValueError, match="^net:"):
        lipschitz_report("net", Domain.rd(), 2)
    with pytest.raises(ValueError, match="^X:"):
        pair_lower_bound(net, np.zeros((3, 5)), Domain.rd(), 2)
    with pytest.raises(ValueError, match="^n_samples:"):
        lp_lower_bound(net, Domain.rd(), 2, n_samples=-1)
    with pytest.raises(ValueError, match="^n_samples:"):
        lp_lower_bound(net, Domain.rd(), 2, n_samples=0)
    with pytest.raises(ValueError, match="^exact:"):
        lipschitz_report(net, Domain.rd(), 2, exact="yes")
    with pytest.raises(ValueError, match="^p_in:"):
        operator_norm_bound(np.eye(2), 4, 2)


@pytest.mark.parametrize("x2", [1e-6, 3e-7, 7.7e-7])
def test_pair_certificate_rounds_down(x2):
    """f(x) = x + 1e8 near 0 has Lip = 1, but the float quotient of a close pair
    can exceed 1 (ulp(1e8) ~ 1.5e-8); the certified value never does."""
    net = TwoLayerNet([1.0], [[1.0]], [1e8], "relu")
    X = np.array([[0.0], [x2]])
    raw = abs(net(X[1:])[0] - net(X[:1])[0]) / x2
    v, w = pair_lower_bound(net, X, Domain.rd(), 2)
    assert v <= 1.0
    assert w.verify(net) == raw
    assert raw != 1.0  # rounding is visible here, so the test is not vacuous
