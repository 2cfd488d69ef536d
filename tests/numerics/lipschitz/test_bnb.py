"""Branch and bound: equals the exact enumeration (d <= 3) and a brute force over all
activation patterns (R^d); witnesses re-verify; the bracket is certified under any
budget; a loosened prune or a wrong sector is caught by the same checks."""

import itertools

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from scipy.optimize import linprog

from numerics.domain import Domain
from numerics.lipschitz.bnb import branch_and_bound_lipschitz, pl_slopes
from numerics.lipschitz.bnb_regions import Lifted, classify_region, pair_fixings
from numerics.lipschitz.exact import exact_relu_lipschitz
from numerics.models import TwoLayerNet

PL_ACTS = ("relu", "leaky_relu:0.1", "abs")
#: The bracket's rounding: lower = verified value (1 - 1e-12), upper = LipSDP
#: certificate of a leaf (relative O((k + d) d u)); both far below this.
SLACK = 1e-9


def _net(seed: int, k: int, d: int, act: str) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       rng.standard_normal(k), act)


def exact_value(net: TwoLayerNet, dom: Domain) -> float:
    """The exact enumeration's value; hypothesis discards arrangements it declines as
    degenerate (e.g. three normals in R^3 dependent to 6e-16, seed 525591)."""
    res = exact_relu_lipschitz(net, dom)
    assume(res is not None)
    return res.value


def contains(res, value: float) -> bool:
    """The checker: a certified bracket must contain the true value."""
    return res.lower <= value * (1 + SLACK) and res.upper >= value * (1 - SLACK)


def brute_force_rd(net: TwoLayerNet) -> float:
    """max ||g_S|| over all 2^k patterns S whose cell in R^d has interior points,
    each checked by its own maximal-margin LP in x (unbounded x, margin <= 1)."""
    lo, hi = pl_slopes(net)
    k, d = net.k, net.d
    nrm = np.linalg.norm(net.W, axis=1)
    best = 0.0
    for bits in itertools.product([False, True], repeat=k):
        S = np.array(bits)
        s = np.where(S, 1.0, -1.0)
        A = np.hstack([-(s[:, None] * net.W), nrm[:, None]])
        c = np.zeros(d + 1)
        c[-1] = -1.0
        res = linprog(c, A_ub=A, b_ub=s * net.b, bounds=[(None, None)] * d + [(None, 1.0)],
                      method="highs")
        if res.status == 0 and -res.fun > 1e-9:
            g = net.W.T @ (net.a * np.where(S, hi, lo))
            best = max(best, float(np.linalg.norm(g)))
    return best


@given(seed=st.integers(0, 2**31), k=st.integers(1, 8), d=st.integers(1, 3),
       act=st.sampled_from(PL_ACTS), dom=st.sampled_from([Domain.rd(), Domain.ball(1.0)]))
@example(seed=9, k=10, d=2, act="relu", dom=Domain.rd())
@example(seed=4, k=11, d=3, act="leaky_relu:0.1", dom=Domain.ball(1.0))
def test_equals_exact_enumeration(seed, k, d, act, dom):
    net = _net(seed, k, d, act)
    ex = exact_value(net, dom)
    res = branch_and_bound_lipschitz(net, dom, lower_search=False, time_limit=None)
    assert res.status == "closed" and res.exact is not None
    assert abs(res.exact - ex) <= SLACK * max(ex, 1e-300)
    assert contains(res, ex)


@given(seed=st.integers(0, 2**31), k=st.integers(1, 7), d=st.integers(1, 6),
       act=st.sampled_from(PL_ACTS))
def test_equals_brute_force_over_patterns(seed, k, d, act):
    net = _net(seed, k, d, act)
    bf = brute_force_rd(net)
    res = branch_and_bound_lipschitz(net, Domain.rd(), lower_search=False, time_limit=None)
    assert res.status == "closed"
    assert abs(res.exact - bf) <= SLACK * max(bf, 1e-300)


def test_equals_brute_force_at_k_10():
    net = _net(3, 10, 5, "relu")
    bf = brute_force_rd(net)
    res = branch_and_bound_lipschitz(net, Domain.rd(), seed=0, time_limit=None)
    assert res.status == "closed"
    assert abs(res.exact - bf) <= SLACK * bf


@given(seed=st.integers(0, 2**31), k=st.integers(2, 20), d=st.integers(2, 6),
       act=st.sampled_from(PL_ACTS),
       dom=st.sampled_from([Domain.rd(), Domain.ball(1.0), Domain.sphere(1.0)]))
def test_witness_reverifies_and_bracket_is_ordered(seed, k, d, act, dom):
    net = _net(seed, k, d, act)
    res = branch_and_bound_lipschitz(net, dom, lower_search=False, node_limit=30,
                                     time_limit=None)
    assert res.lower <= res.upper
    assert res.witness is not None
    v = res.witness.verify(net, dom)
    assert res.lower <= v and v <= res.lower * (1 + 1e-11)
    assert (res.exact is None) == (res.upper > res.lower * (1 + res.rtol))


@given(seed=st.integers(0, 2**31), k=st.integers(2, 9), d=st.integers(2, 3),
       act=st.sampled_from(PL_ACTS))
def test_sphere_bracket_contains_exact_value(seed, k, d, act):
    net = _net(seed, k, d, act)
    dom = Domain.sphere(1.0)
    ex = exact_value(net, dom)
    res = branch_and_bound_lipschitz(net, dom, lower_search=False, node_limit=200,
                                     time_limit=None)
    assert contains(res, ex)


def test_any_budget_gives_a_certified_bracket():
    net = _net(5, 25, 3, "relu")
    ex = exact_relu_lipschitz(net, Domain.ball(1.0)).value
    for limit in (1, 3, 10):
        part = branch_and_bound_lipschitz(net, Domain.ball(1.0), seed=0, node_limit=limit,
                                          time_limit=None)
        assert part.nodes <= limit + 2  # the last expansion may add two children
        assert contains(part, ex)
    zero = branch_and_bound_lipschitz(net, Domain.ball(1.0), seed=0, time_limit=0.0)
    assert contains(zero, ex)
    assert zero.nodes >= 1


def _truths(n: int):
    for seed in range(n):
        net = _net(100 + seed, 9, 2, "relu")
        yield net, exact_relu_lipschitz(net, Domain.rd()).value


def test_loosened_prune_is_caught():
    # the bug: prune nodes whose upper bound is up to 2x the incumbent and forget them
    caught = 0
    for net, ex in _truths(8):
        good = branch_and_bound_lipschitz(net, Domain.rd(), lower_search=False,
                                          time_limit=None)
        assert contains(good, ex)
        bad = branch_and_bound_lipschitz(net, Domain.rd(), lower_search=False,
                                         time_limit=None, _prune_slack=2.0)
        caught += not contains(bad, ex)
    assert caught >= 1


def test_wrong_sector_is_caught():
    # the bug: free neurons' sectors shrunk to the lower half of [min s, max s]
    def shrink(sig, alpha, beta):
        return alpha, np.where(sig == 0, (alpha + beta) / 2, beta)

    caught = 0
    for net, ex in _truths(8):
        bad = branch_and_bound_lipschitz(net, Domain.rd(), lower_search=False,
                                         time_limit=None, _sector_hook=shrink)
        caught += not contains(bad, ex)
    assert caught >= 1


def test_region_classification_matches_its_definition():
    net = TwoLayerNet([1.0, 1.0, 1.0], [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
                      [0.0, -2.0, 0.5], "relu")
    for dom in (Domain.rd(), Domain.ball(1.0)):
        L = Lifted.of(net, dom)
        x, status = classify_region(L, np.array([1, -1, 1], dtype=np.int8))
        assert status == "point" and x[0] > 0 and x[0] < 2 and x[1] > -0.5
        assert bool(dom.contains(x[None])[0])
        # x_1 < 0 and x_1 > 2 is empty everywhere
        assert classify_region(L, np.array([-1, 1, 0], dtype=np.int8))[1] == "empty"
    ball = Lifted.of(net, Domain.ball(1.0))
    # x_1 > 2 does not meet the unit ball but does meet R^d
    assert classify_region(ball, np.array([0, 1, 0], dtype=np.int8))[1] == "empty"
    rd = Lifted.of(net, Domain.rd())
    assert classify_region(rd, np.array([0, 1, 0], dtype=np.int8))[1] == "point"


def test_to_dict_has_the_cli_keys():
    net = _net(0, 5, 2, "abs")
    d = branch_and_bound_lipschitz(net, Domain.rd(), lower_search=False).to_dict()
    for key in ("exact", "lower", "upper", "nodes", "seconds"):
        assert key in d
    assert d["exact"] is not None and d["lower"] <= d["upper"]


def test_bad_input_raises_naming_the_argument():
    net = _net(0, 4, 2, "relu")
    with pytest.raises(ValueError, match="net: .*piecewise-linear"):
        branch_and_bound_lipschitz(_net(0, 4, 2, "tanh"))
    with pytest.raises(ValueError, match="time_limit"):
        branch_and_bound_lipschitz(net, time_limit=-1.0)
    with pytest.raises(ValueError, match="time_limit"):
        branch_and_bound_lipschitz(net, time_limit=float("nan"))
    with pytest.raises(ValueError, match="node_limit"):
        branch_and_bound_lipschitz(net, node_limit=0)
    with pytest.raises(ValueError, match="rtol"):
        branch_and_bound_lipschitz(net, rtol=-1e-3)
    with pytest.raises(ValueError, match="domain"):
        branch_and_bound_lipschitz(net, "ball")
    with pytest.raises(ValueError, match="net"):
        branch_and_bound_lipschitz(np.zeros(3))
    with pytest.raises(ValueError, match="domain"):
        branch_and_bound_lipschitz(_net(0, 3, 1, "relu"), Domain.sphere(1.0))


def test_a_given_witness_is_reverified_and_used():
    from numerics.lipschitz.witness import Witness

    net = _net(2, 30, 6, "relu")
    dom = Domain.ball(1.0)
    rng = np.random.default_rng(0)
    x = dom.sample(1, 6, rng)
    w = Witness("point", x, 0.0)
    v = w.verify(net, dom)
    res = branch_and_bound_lipschitz(net, dom, lower_search=False, witness=w, node_limit=1,
                                     time_limit=None)
    assert res.lower >= v * (1 - 1e-12)
    with pytest.raises(ValueError, match="witness"):
        branch_and_bound_lipschitz(net, dom, witness=x)


def _region_and_fixings(seed: int, k: int, d: int, nfix: int, **kw):
    """A random node of the ball: the signs of nfix neurons at a random point x0 of the
    unit ball, and pair_fixings of it."""
    net = _net(seed, k, d, "relu")
    L = Lifted.of(net, Domain.ball(1.0))
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(d)
    x0 *= rng.uniform(0.0, 1.0) / np.linalg.norm(x0)
    p0 = net.W @ x0 + net.b
    sig = np.zeros(k, dtype=np.int8)
    idx = rng.choice(k, size=min(nfix, k), replace=False)
    sig[idx] = np.where(p0[idx] > 0, 1, -1)
    return net, L, x0, sig, pair_fixings(L, sig, x0, **kw)


def fixings_checker(net, L, x0, sig, out, rng) -> bool:
    """The checker: every point of the region (sampled around x0 and in the ball) has
    the proved signs, and the child with the opposite sign has no interior point."""
    if out is None:
        return False  # x0 lies in the region, so it is not empty
    new = np.flatnonzero((out != 0) & (sig != out))
    d = net.d
    P = np.vstack([x0 + r * rng.standard_normal((2000, d)) for r in (0.01, 0.1, 0.5)]
                  + [Domain.ball(1.0).sample(4000, d, rng)])
    P = P[np.linalg.norm(P, axis=1) < 1]
    pre = P @ net.W.T + net.b
    inside = np.all((sig == 0) | (sig * pre > 0), axis=1)
    if not np.all(out[new] * pre[inside][:, new] > 0):
        return False
    for i in new:
        sg = sig.copy()
        sg[i] = -out[i]
        if classify_region(L, sg)[1] == "point":
            return False
    return True


@given(seed=st.integers(0, 2**31), k=st.integers(2, 30), d=st.integers(1, 8),
       nfix=st.integers(1, 12))
@example(seed=1, k=30, d=2, nfix=6)
def test_fixings_hold_on_the_whole_region(seed, k, d, nfix):
    net, L, x0, sig, out = _region_and_fixings(seed, k, d, nfix)
    assert out is not None and np.all(out[sig != 0] == sig[sig != 0])
    assert fixings_checker(net, L, x0, sig, out, np.random.default_rng(seed + 1))


def test_fixings_for_a_smaller_ball_are_caught():
    # the bug: certificates with R/2 in place of R prove signs that the ball does not have
    caught = 0
    for seed in range(10):
        net, L, x0, sig, out = _region_and_fixings(seed, 20, 3, 3, _radius_scale=0.5)
        caught += not fixings_checker(net, L, x0, sig, out, np.random.default_rng(seed))
    assert caught >= 5


def test_fixings_prove_what_a_neighbour_implies():
    # x_1 > 0.5 on the unit ball forces x_1 + 0.1 x_2 - 0.2 > 0; nothing forces x_2 > 0
    net = TwoLayerNet([1.0, 1.0, 1.0], [[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]],
                      [-0.5, -0.2, 0.0], "relu")
    L = Lifted.of(net, Domain.ball(1.0))
    assert pair_fixings(L, np.array([1, 0, 0], dtype=np.int8)).tolist() == [1, 1, 0]
    # x_1 > 0.5 and x_1 < 0.2 - 0.1 x_2 <= 0.3: empty
    assert pair_fixings(L, np.array([1, -1, 0], dtype=np.int8)) is None
    rd = Lifted.of(net, Domain.rd())
    assert pair_fixings(rd, np.array([1, 0, 0], dtype=np.int8)).tolist() == [1, 0, 0]


def test_branching_rules_agree_on_the_exact_value():
    import numerics.lipschitz.bnb as bnb

    net = _net(7, 24, 4, "relu")
    dom = Domain.ball(1.0)
    ex = []
    for rule in ("direction", "width"):
        S = bnb._Search(net, dom, 1e-9, 1e-2, None, 1.0)
        S.branching = rule
        S.push(bnb._root_signs(net, dom), np.zeros(4))
        assert bnb._run(S, 0.0, np.inf, 10**6) == "closed"
        ex.append(bnb._finish(S, 0.0, "closed").exact)
    assert ex[0] is not None and abs(ex[0] - ex[1]) <= SLACK * ex[0]
