"""Branch and bound for the l1 and l_inf input norms: equals the exact enumeration
(d <= 3) and a brute force over all 2^k activation patterns with an LP feasibility check
(R^d, k <= 10); the node bound contains every gradient of its box and is exact where it
claims to be; witnesses re-verify with p; a scaled-down sector is caught."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from scipy.optimize import linprog

from numerics.domain import Domain
from numerics.lipschitz.bnb import branch_and_bound_lipschitz, pl_slopes
from numerics.lipschitz.bnb_lp import sector_box_bound, sector_vertex_bound
from numerics.lipschitz.exact import exact_lp_lipschitz
from numerics.lipschitz.norms import dual_exponent, lp_norm
from numerics.models import TwoLayerNet

PL_ACTS = ("relu", "leaky_relu:0.1", "abs")
P_LP = (1.0, float("inf"))
#: lower = a verified gradient norm (rounded down), upper = a leaf's box bound (rounded
#: up, relative O((k + d) u)): both far inside this when compared with an exact value.
SLACK = 1e-9


def _net(seed: int, k: int, d: int, act: str) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       rng.standard_normal(k), act)


def contains(res, value: float) -> bool:
    """The checker: a certified bracket must contain the true value."""
    return res.lower <= value * (1 + SLACK) and res.upper >= value * (1 - SLACK)


def brute_force_rd(net: TwoLayerNet, p: float) -> float:
    """max ||g_S||_q over all 2^k patterns S whose cell in R^d has interior points, each
    checked by its own maximal-margin LP (scipy's HiGHS) in x (margin <= 1)."""
    lo, hi = pl_slopes(net)
    k, d = net.k, net.d
    q = dual_exponent(p)
    nrm = np.linalg.norm(net.W, axis=1)
    c = np.zeros(d + 1)
    c[-1] = -1.0
    best = 0.0
    for bits in itertools.product([False, True], repeat=k):
        S = np.array(bits)
        s = np.where(S, 1.0, -1.0)
        A = np.hstack([-(s[:, None] * net.W), nrm[:, None]])
        res = linprog(c, A_ub=A, b_ub=s * net.b, bounds=[(None, None)] * d + [(None, 1.0)],
                      method="highs")
        if res.status == 0 and -res.fun > 1e-9:
            g = net.W.T @ (net.a * np.where(S, hi, lo))
            best = max(best, float(lp_norm(g[None], q)[0]))
    return best


@given(seed=st.integers(0, 2**31), k=st.integers(1, 8), d=st.integers(1, 3),
       act=st.sampled_from(PL_ACTS), dom=st.sampled_from([Domain.rd(), Domain.ball(1.0)]),
       p=st.sampled_from(P_LP))
@example(seed=9, k=10, d=2, act="relu", dom=Domain.rd(), p=1.0)
@example(seed=4, k=11, d=3, act="leaky_relu:0.1", dom=Domain.ball(1.0), p=float("inf"))
# the only neuron is off on the whole ball: Lip = 0, and the bound must be an exact 0
@example(seed=1, k=1, d=2, act="relu", dom=Domain.ball(1.0), p=1.0)
@example(seed=1, k=1, d=2, act="relu", dom=Domain.ball(1.0), p=float("inf"))
def test_equals_exact_enumeration(seed, k, d, act, dom, p):
    net = _net(seed, k, d, act)
    ex, why = exact_lp_lipschitz(net, dom, p)
    assume(ex is not None)  # a degenerate arrangement the enumeration declines
    res = branch_and_bound_lipschitz(net, dom, p, lower_search=False, time_limit=None)
    assert res.status == "closed" and res.exact is not None
    assert abs(res.exact - ex) <= SLACK * max(ex, 1e-300)
    assert contains(res, ex)


@given(seed=st.integers(0, 2**31), k=st.integers(1, 7), d=st.integers(1, 6),
       act=st.sampled_from(PL_ACTS), p=st.sampled_from(P_LP))
def test_equals_brute_force_over_patterns(seed, k, d, act, p):
    net = _net(seed, k, d, act)
    bf = brute_force_rd(net, p)
    res = branch_and_bound_lipschitz(net, Domain.rd(), p, lower_search=False,
                                     time_limit=None)
    assert res.status == "closed"
    assert abs(res.exact - bf) <= SLACK * max(bf, 1e-300)


@pytest.mark.parametrize("p", P_LP)
def test_equals_brute_force_at_k_10(p):
    net = _net(3, 10, 5, "relu")
    bf = brute_force_rd(net, p)
    res = branch_and_bound_lipschitz(net, Domain.rd(), p, seed=0, time_limit=None)
    assert res.status == "closed"
    assert abs(res.exact - bf) <= SLACK * bf


def _random_box(seed: int, k: int, d: int, fixed: float):
    """(rng, net, alpha, beta): a random net and slope box, a fraction ``fixed`` of its
    sectors points."""
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)), None, "relu")
    alpha = rng.uniform(-1.0, 1.0, k)
    beta = alpha + np.where(rng.random(k) < fixed, 0.0, rng.uniform(0.0, 2.0, k))
    return rng, net, alpha, beta


@given(seed=st.integers(0, 2**31), k=st.integers(1, 12), d=st.integers(1, 12),
       q=st.sampled_from(P_LP), fixed=st.floats(0.0, 1.0))
def test_box_bound_contains_every_gradient_of_its_box(seed, k, d, q, fixed):
    rng, net, alpha, beta = _random_box(seed, k, d, fixed)
    bound = sector_box_bound(net, alpha, beta, q)
    # every point of the box, its vertices in particular (the maximum is at one)
    T = rng.uniform(alpha, beta, (64, k))
    vals = lp_norm((T * net.a) @ net.W, q)
    assert np.all(vals <= bound)
    if k <= 10:
        V = np.array(list(itertools.product([0.0, 1.0], repeat=k)))
        best = float(lp_norm(((alpha + V * (beta - alpha)) * net.a) @ net.W, q).max())
        assert best <= bound
        if q == float("inf") or d <= 10:  # exact there: only rounding above the maximum
            assert bound <= best * (1 + 1e-12) + 1e-300


def test_box_bound_on_a_leaf_is_the_dual_norm():
    net = TwoLayerNet([1.0, -2.0], [[1.0, 2.0, -3.0], [0.5, 0.0, 1.0]], None, "relu")
    s = np.array([1.0, 0.25])
    g = (s * net.a) @ net.W
    for q in P_LP:
        v = float(lp_norm(g[None], q)[0])
        b = sector_box_bound(net, s, s, q)
        assert v <= b <= v * (1 + 1e-13)
    with pytest.raises(ValueError, match="^q"):
        sector_box_bound(net, s, s, 2)


@given(seed=st.integers(0, 2**31), k=st.integers(2, 20), d=st.integers(2, 6),
       act=st.sampled_from(PL_ACTS), dom=st.sampled_from([Domain.rd(), Domain.ball(1.0)]),
       p=st.sampled_from(P_LP))
def test_witness_reverifies_with_p_and_bracket_is_ordered(seed, k, d, act, dom, p):
    net = _net(seed, k, d, act)
    res = branch_and_bound_lipschitz(net, dom, p, node_limit=30, time_limit=None, seed=seed)
    assert res.lower <= res.upper
    assert res.witness is not None and res.witness.p == p
    v = res.witness.verify(net, dom)
    assert res.lower <= v and v <= res.lower * (1 + 1e-11)
    assert (res.exact is None) == (res.upper > res.lower * (1 + res.rtol))
    assert res.to_dict()["p"] == ("1" if p == 1.0 else "inf")


def _truths(n: int, p: float):
    for seed in range(n):
        net = _net(100 + seed, 9, 2, "relu")
        yield net, exact_lp_lipschitz(net, Domain.rd(), p)[0]


@pytest.mark.parametrize("p", P_LP)
def test_scaled_down_sector_is_caught(p):
    # the bug: every free neuron's sector scaled down to half its width
    def shrink(sig, alpha, beta):
        return alpha, np.where(sig == 0, alpha + 0.5 * (beta - alpha), beta)

    caught = 0
    for net, ex in _truths(8, p):
        good = branch_and_bound_lipschitz(net, Domain.rd(), p, lower_search=False,
                                          time_limit=None)
        assert contains(good, ex)
        bad = branch_and_bound_lipschitz(net, Domain.rd(), p, lower_search=False,
                                         time_limit=None, _sector_hook=shrink)
        caught += not contains(bad, ex)
    assert caught >= 1


@pytest.mark.parametrize("p", P_LP)
def test_loosened_prune_is_caught(p):
    caught = 0
    for net, ex in _truths(8, p):
        bad = branch_and_bound_lipschitz(net, Domain.rd(), p, lower_search=False,
                                         time_limit=None, _prune_slack=2.0)
        caught += not contains(bad, ex)
    assert caught >= 1


def test_any_budget_gives_a_certified_bracket():
    net = _net(5, 25, 3, "relu")
    for p in P_LP:
        ex = exact_lp_lipschitz(net, Domain.ball(1.0), p)[0]
        for limit in (1, 3, 10):
            part = branch_and_bound_lipschitz(net, Domain.ball(1.0), p, seed=0,
                                              node_limit=limit, time_limit=None)
            assert contains(part, ex)
        zero = branch_and_bound_lipschitz(net, Domain.ball(1.0), p, seed=0, time_limit=0.0)
        assert contains(zero, ex) and zero.nodes >= 1


def test_bad_p_and_domain_raise_naming_the_argument():
    net = _net(0, 4, 2, "relu")
    with pytest.raises(ValueError, match="^p:"):
        branch_and_bound_lipschitz(net, Domain.rd(), 3)
    with pytest.raises(ValueError, match="^domain:"):
        branch_and_bound_lipschitz(net, Domain.sphere(1.0), "inf")


def _vertex_max_exact(net: TwoLayerNet, alpha, beta, q) -> Fraction:
    """max over the box's vertices of ||sum_l a_l t_l w_l||_q in rational arithmetic
    (q = 2: the squared norm)."""
    A = [Fraction(float(v)) for v in net.a]
    W = [[Fraction(float(v)) for v in row] for row in net.W]
    best = Fraction(0)
    for T in itertools.product(*[sorted({Fraction(float(lo)), Fraction(float(hi))})
                                 for lo, hi in zip(alpha, beta, strict=True)]):
        g = [sum(A[l] * T[l] * W[l][j] for l in range(net.k)) for j in range(net.d)]
        if q == 2.0:
            v = sum(x * x for x in g)
        elif q == 1.0:
            v = sum(abs(x) for x in g)
        else:
            v = max(abs(x) for x in g)
        best = max(best, v)
    return best


def vertex_checker(net, alpha, beta, q, bound) -> bool:
    """The checker: the bound is at least the exact vertex maximum and at most it times
    1 + 1e-12 (only rounding above it)."""
    ex = _vertex_max_exact(net, alpha, beta, q)
    b = Fraction(bound)
    if q == 2.0:
        return b * b >= ex and bound <= math.sqrt(float(ex)) * (1 + 1e-12) + 1e-300
    return b >= ex and bound <= float(ex) * (1 + 1e-12) + 1e-300


@given(seed=st.integers(0, 2**31), k=st.integers(1, 7), d=st.integers(1, 4),
       q=st.sampled_from([1.0, 2.0, float("inf")]), fixed=st.floats(0.0, 1.0))
@example(seed=0, k=1, d=1, q=2.0, fixed=0.0)
def test_vertex_bound_is_the_exact_vertex_maximum(seed, k, d, q, fixed):
    rng, net, alpha, beta = _random_box(seed, k, d, fixed)
    bound = sector_vertex_bound(net, alpha, beta, q)
    assert vertex_checker(net, alpha, beta, q, bound)
    T = rng.uniform(alpha, beta, (64, k))  # every point of the box lies below it
    assert np.all(lp_norm((T * net.a) @ net.W, q) <= bound)


def test_vertex_bound_with_a_dropped_sector_is_caught():
    # the bug: the free neuron with the largest |a| ||w|| forgotten (sector -> alpha)
    caught = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        net = TwoLayerNet(rng.standard_normal(6), rng.standard_normal((6, 3)), None, "relu")
        alpha, beta = np.zeros(6), np.ones(6)
        j = int(np.argmax(np.abs(net.a) * np.linalg.norm(net.W, axis=1)))
        beta_bad = beta.copy()
        beta_bad[j] = alpha[j]
        good = sector_vertex_bound(net, alpha, beta, 2)
        assert vertex_checker(net, alpha, beta, 2.0, good)
        caught += not vertex_checker(net, alpha, beta, 2.0,
                                     sector_vertex_bound(net, alpha, beta_bad, 2))
    assert caught >= 4


def test_vertex_bound_is_below_lipsdp_and_stops_at_free_max():
    from numerics.lipschitz.bnb_lp import FREE_MAX
    from numerics.lipschitz.lipsdp import lipsdp_sector_bound
    from numerics.lipschitz.lipsdp_certify import NeuronSectors

    rng = np.random.default_rng(3)
    k, d = FREE_MAX + 6, 5
    net = TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)), None, "relu")
    free = np.zeros(k, dtype=bool)
    free[:FREE_MAX] = True
    lin = ~free & (rng.random(k) < 0.5)
    alpha = np.where(lin, 1.0, 0.0)
    beta = np.where(free | lin, 1.0, 0.0)
    v = sector_vertex_bound(net, alpha, beta, 2)
    S = NeuronSectors(alpha, beta, free, lin, "test")
    assert v <= lipsdp_sector_bound(net, S, tol=1e-6).value * (1 + 1e-9)
    alpha[FREE_MAX], beta[FREE_MAX] = 0.0, 1.0  # one more free neuron: too many
    assert sector_vertex_bound(net, alpha, beta, 2) is None
