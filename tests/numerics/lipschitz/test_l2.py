r"""Tests of numerics.lipschitz.l2: certified lower bounds (with witnesses), proved
upper bounds and exact values bracket the true Lipschitz constant.

Independent brute force (d <= 2), used to check :func:`exact_relu_lipschitz`:

- R^d and balls: enumerate all :math:`2^{k'}` activation patterns of the k'
  live neurons and decide, for each, whether its open region meets the domain
  with a max-margin linear program
  :math:`\max t \text{ s.t. } s_\ell(w_\ell\cdot x + b_\ell) \ge t\|w_\ell\|`,
  x in a box (R^d: a box containing an interior point of every region, see
  :func:`_rd_box`) or in a polygon approximating the disc: the **inscribed**
  N-gon (inside the ball: a positive margin proves the region meets the ball)
  and the **circumscribed** N-gon (contains the ball: a non-positive margin
  proves it does not). Patterns whose margin is within ``EPS`` of 0, or
  feasible only in the circumscribed polygon, are *marginal*: the exact value
  must lie between the max of :math:`\|g_S\|` over the surely feasible
  patterns and the max over the surely-or-marginally feasible ones, and it
  must equal the former (to 1e-9) whenever no marginal pattern could change
  the maximum.
- Sphere, d = 2: the tangential derivative of :math:`\theta \mapsto
  f(R\cos\theta, R\sin\theta)` on an arc between kinks is :math:`g_S\cdot
  t(\theta)`, whose derivative in :math:`\theta` is :math:`-g_S\cdot x/R`, of
  modulus :math:`\le \|g_S\|`. Sampling every arc densely (grid spacing
  :math:`\delta`, plus both ends :math:`\pm h` and the midpoint of every arc)
  gives ``sampled <= exact <= sampled + G max(delta/2, h)`` with G the largest
  :math:`\|g_S\|`.
"""

import json
import math

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from numerics.domain import Domain
from numerics.lipschitz import (
    Witness,
    centered_upper_bound,
    exact_relu_lipschitz,
    gradient_lower_bound,
    lipschitz_report,
    pair_lower_bound,
    path_norm_upper_bound,
    region_gradients,
    spectral_upper_bound,
)
from numerics.lipschitz.search import LOWER_SAFETY
from numerics.models import TwoLayerNet
from numerics.strategies import domains, two_layer_nets

PL = ("relu", "leaky_relu", "abs")
#: relative allowance for floating-point rounding when comparing certified numbers
ROUND = 1e-10
SMALL = dict(n_random=64, steps=20, polish_top=8, polish_rounds=10, kicks=1, lp_top=1)


# ---------------------------------------------------------------------------
# The checker shared by the property tests and the "wrong version" tests
# ---------------------------------------------------------------------------
def assert_bracket(lowers, uppers, exact=None):
    """Every lower <= exact <= every upper (and every lower <= every upper)."""
    for lo in lowers:
        for up in uppers:
            assert lo <= up * (1 + ROUND), f"lower {lo} > upper {up}"
        if exact is not None:
            assert lo <= exact * (1 + ROUND), f"lower {lo} > exact {exact}"
    if exact is not None:
        for up in uppers:
            assert exact <= up * (1 + ROUND), f"exact {exact} > upper {up}"


def all_uppers(net, dom):
    return [spectral_upper_bound(net, dom), path_norm_upper_bound(net, dom),
            centered_upper_bound(net, dom)]


def check_witness(value, w, net, dom):
    assert w is not None
    again = w.verify(net, dom)
    assert value <= again
    assert value == pytest.approx(again, rel=10 * LOWER_SAFETY, abs=0)
    assert w.value == value


def _lowers(net, dom, seed):
    rng = np.random.default_rng(seed)
    X = dom.sample(6, net.d, rng) if dom.kind != "rd" else rng.standard_normal((6, net.d))
    out = []
    v, w = pair_lower_bound(net, X, dom)
    if w is not None:
        check_witness(v, w, net, dom)
        out.append(v)
    v, w = gradient_lower_bound(net, dom, X=X, seed=seed, **SMALL)
    if w is not None:
        check_witness(v, w, net, dom)
        out.append(v)
    return out


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------
@settings(max_examples=40)
@given(net=two_layer_nets(activations=PL, d=(1, 3), k=(1, 8)), data=st.data(),
       seed=st.integers(0, 2**16))
@example(net=TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu"),
         data=None, seed=0)
@example(net=TwoLayerNet([1.0, 1.0, 1.0], [[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]],
                         [0.5, -0.5, 1.0], "abs"), data=None, seed=1)
def test_relu_type_lower_exact_upper(net, data, seed):
    """ReLU-type nets, d <= 3: lower <= exact <= upper on R^d, ball and sphere;
    every witness reproduces its bound."""
    doms = [Domain.rd(), Domain.ball(1.0)] + ([Domain.sphere(1.0)] if net.d >= 2 else [])
    if data is not None:
        doms.append(data.draw(domains(d=net.d)))
    for dom in doms:
        res = exact_relu_lipschitz(net, dom)
        exact = None if res is None else res.value
        if res is not None:
            # the reported pattern's gradient gives the value (R^d / ball)
            g = net.pattern_gradients(res.pattern[None])[0]
            if dom.kind != "sphere":
                assert np.linalg.norm(g) == pytest.approx(exact, rel=1e-12, abs=1e-300)
        assert_bracket(_lowers(net, dom, seed), all_uppers(net, dom), exact)


@settings(max_examples=30)
@given(net=two_layer_nets(d=(1, 4), k=(1, 6)), data=st.data(), seed=st.integers(0, 2**16))
@example(net=TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "power:3"), data=None, seed=0)
@example(net=TwoLayerNet([2.0, -1.0], [[1.0, 1.0], [0.5, -1.0]], [0.3, 0.0], "softplus:3"),
         data=None, seed=0)
def test_every_activation_lower_below_each_upper(net, data, seed):
    doms = [Domain.ball(1.0)] + ([Domain.sphere(2.0)] if net.d >= 2 else [])
    doms.append(Domain.rd() if data is None else data.draw(domains(d=net.d)))
    for dom in doms:
        with np.errstate(over="ignore"):
            lows = _lowers(net, dom, seed)
        ups = all_uppers(net, dom)
        assert not any(np.isnan(u) or u < 0 for u in ups)
        assert_bracket(lows, ups)


@settings(max_examples=25)
@given(net=two_layer_nets(activations=PL, d=(1, 3), k=(1, 8), weights="gaussian"),
       seed=st.integers(0, 2**16))
def test_report_is_consistent(net, seed):
    dom = Domain.ball(1.0)
    rep = lipschitz_report(net, dom, seed=seed, n_random=32, steps=10, polish_top=4)
    assert rep.exact is not None
    assert rep.lower <= rep.exact * (1 + ROUND) and rep.exact <= rep.upper * (1 + ROUND)
    assert rep.upper == min(rep.uppers.values())
    assert rep.lower == max(rep.lowers.values())
    check_witness(rep.lower, rep.lower_witness, net, dom)
    d = rep.to_dict()
    assert {"lower", "upper", "exact", "domain", "witness"} <= set(d)
    json.dumps(d, allow_nan=False)


# ---------------------------------------------------------------------------
# Independent brute force for exact_relu_lipschitz (d <= 2)
# ---------------------------------------------------------------------------
EPS = 1e-9
N_POLY = 2048


def _live(net):
    live = np.linalg.norm(net.W, axis=1) > 0
    return live


def _rd_box(net):
    """Half-width of a box containing an interior point of every region of the
    arrangement (d <= 2): every region has a vertex (a pairwise intersection)
    in its closure, or is bounded only by parallel lines, and then contains
    points t*n along the common normal with |t| < max |b_l|/|w_l| + its width;
    doubling the largest such scale plus 1 leaves room for the margin."""
    W, b = net.W[_live(net)], net.b[_live(net)]
    n = np.linalg.norm(W, axis=1)
    s = 1.0 + float(np.max(np.abs(b) / n, initial=0.0))
    if net.d == 2:
        for i in range(len(W)):
            for j in range(i):
                A = W[[i, j]]
                if abs(np.linalg.det(A)) > 1e-12 * n[i] * n[j]:
                    s = max(s, float(np.linalg.norm(np.linalg.solve(A, -b[[i, j]]))))
    return 4.0 * s


def _margin(W, b, signs, A_dom, b_dom, bounds):
    """max t s.t. s_l (w_l.x + b_l) >= t |w_l|, A_dom x <= b_dom, t <= 1."""
    d = W.shape[1]
    s = np.where(signs, 1.0, -1.0)
    A = np.hstack([-(s[:, None] * W), np.linalg.norm(W, axis=1)[:, None]])
    A_ub, b_ub = A, s * b
    if A_dom is not None:
        A_ub = np.vstack([A_ub, np.hstack([A_dom, np.zeros((A_dom.shape[0], 1))])])
        b_ub = np.concatenate([b_ub, b_dom])
    c = np.zeros(d + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds + [(None, 1.0)], method="highs")
    assert res.status == 0, res.message
    return -res.fun


def _polygon(d, R, circumscribed):
    """Half-space description of the inscribed / circumscribed regular
    N-gon of the disc (d = 2) or the interval itself (d = 1)."""
    if d == 1:
        return np.array([[1.0], [-1.0]]), np.array([R, R])
    th = 2 * np.pi * np.arange(N_POLY) / N_POLY
    A = np.stack([np.cos(th), np.sin(th)], axis=1)
    rhs = np.full(N_POLY, R if circumscribed else R * np.cos(np.pi / N_POLY))
    return A, rhs


def brute_force_bracket(net, dom):
    """(lo, hi): max ||g_S|| over surely feasible patterns, and over surely or
    marginally feasible ones (see the module docstring)."""
    live = np.flatnonzero(_live(net))
    kl = live.size
    base = net.b >= 0  # dead neurons (w = 0) keep a constant pattern; it does not matter
    pats = np.repeat(base[None], 2**kl, axis=0)
    for i, combo in enumerate(np.ndindex(*(2,) * kl)):
        pats[i, live] = np.array(combo, dtype=bool)
    G = np.linalg.norm(net.pattern_gradients(pats), axis=1)
    order = np.argsort(G)[::-1]
    W, b = net.W[live], net.b[live]
    d = net.d
    if kl == 0:
        return float(G[0]), float(G[0])
    lo = hi = None
    for i in order:
        S = pats[i, live]
        if dom.kind == "rd":
            B = _rd_box(net)
            t_in = t_out = _margin(W, b, S, None, None, [(-B, B)] * d)
            scale = B
        else:
            R = dom.radius
            A_in, r_in = _polygon(d, R, False)
            A_out, r_out = _polygon(d, R, True)
            t_in = _margin(W, b, S, A_in, r_in, [(-R, R)] * d)
            t_out = _margin(W, b, S, A_out, r_out, [(-2 * R, 2 * R)] * d)
            scale = R
        surely_in = t_in > EPS * scale
        surely_out = t_out < -EPS * scale
        if hi is None and not surely_out:
            hi = float(G[i])
        if surely_in:
            lo = float(G[i])
            break
    return lo, hi


def check_exact_against_brute_force(value, net, dom):
    lo, hi = brute_force_bracket(net, dom)
    assert lo is not None and hi is not None
    assert lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9) + 1e-300, (lo, value, hi)
    if lo == hi:
        assert value == pytest.approx(lo, rel=1e-9, abs=1e-300)


@settings(max_examples=30)
@given(net=two_layer_nets(activations=PL, d=(1, 2), k=(1, 8)), radius=st.sampled_from(
    [1.0, 0.3, 2.5]))
@example(net=TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [-1.0, 0.0]], [0.0, 0.0], "relu"),
         radius=1.0)
@example(net=TwoLayerNet([1.0, -2.0, 0.5], [[1.0, 1.0], [1.0, -1.0], [0.0, 1.0]],
                         [0.0, 0.0, 0.0], "leaky_relu:1/10"), radius=1.0)
@example(net=TwoLayerNet([1.0, 3.0], [[1.0, 0.0], [1.0, 0.0]], [-0.5, -2.0], "relu"),
         radius=1.0)  # the steep neuron only switches on outside the ball
def test_exact_matches_brute_force_rd_ball(net, radius):
    for dom in (Domain.rd(), Domain.ball(radius)):
        res = exact_relu_lipschitz(net, dom)
        assume(res is not None)
        check_exact_against_brute_force(res.value, net, dom)
        rg = region_gradients(net, dom)
        if rg is not None:
            assert np.max(np.linalg.norm(rg, axis=1)) == pytest.approx(res.value, rel=1e-12)


def sphere2_sampled(net, R, n_grid=20000, h=1e-7):
    """(sampled max, error bound) for the geodesic constant on the circle of
    radius R (see the module docstring)."""
    W, b = net.W, net.b
    th = [2 * np.pi * np.arange(n_grid) / n_grid]
    kinks = []
    for w, c in zip(W, b, strict=True):
        rho = np.hypot(w[0], w[1])
        if rho == 0 or abs(c) > R * rho:
            continue
        phi = math.atan2(w[1], w[0])
        delta = math.acos(np.clip(-c / (R * rho), -1, 1))
        kinks += [phi + delta, phi - delta]
    kinks = np.sort(np.mod(np.array(kinks), 2 * np.pi))
    if kinks.size:
        nxt = np.append(kinks[1:], kinks[0] + 2 * np.pi)
        th += [kinks + h, kinks - h, (kinks + nxt) / 2]
    th = np.concatenate(th)
    X = R * np.stack([np.cos(th), np.sin(th)], axis=1)
    G = net.gradient(X)
    T = np.stack([-np.sin(th), np.cos(th)], axis=1)
    vals = np.abs(np.sum(G * T, axis=1))
    gmax = float(np.max(np.linalg.norm(G, axis=1)))
    return float(vals.max()), gmax * max(np.pi / n_grid, h)


@settings(max_examples=30)
@given(net=two_layer_nets(activations=PL, d=2, k=(1, 12)),
       radius=st.sampled_from([1.0, 0.5, 3.0]))
@example(net=TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu"), radius=1.0)
@example(net=TwoLayerNet([2.0], [[0.0, 1.0]], [-0.5], "relu"), radius=1.0)
def test_exact_sphere_matches_sampling_d2(net, radius):
    dom = Domain.sphere(radius)
    res = exact_relu_lipschitz(net, dom)
    assume(res is not None)
    sampled, err = sphere2_sampled(net, radius)
    assert sampled <= res.value * (1 + ROUND) + 1e-300
    assert res.value <= sampled + err


# ---------------------------------------------------------------------------
# Networks with known constants (lower AND best upper match to 1e-9)
# ---------------------------------------------------------------------------
def assert_known(net, dom, value, *, upper_tight=True, lower_tight=True, seed=0):
    """``lower_tight=False`` where the supremum is only approached at a kink
    (a point witness lies strictly inside a linear region, so it cannot attain
    it); the exact value must still match."""
    rep = lipschitz_report(net, dom, seed=seed, n_random=128, steps=40, polish_top=8)
    check_witness(rep.lower, rep.lower_witness, net, dom)
    if lower_tight:
        assert rep.lower == pytest.approx(value, rel=1e-9, abs=1e-12)
    else:
        assert rep.lower <= value * (1 + ROUND)
    if rep.exact is not None:
        assert rep.exact == pytest.approx(value, rel=1e-9, abs=1e-12)
    if upper_tight:
        assert rep.upper == pytest.approx(value, rel=1e-9, abs=1e-12)
    else:
        assert rep.upper >= value * (1 - ROUND)


unit = st.lists(st.floats(-3, 3), min_size=3, max_size=3).map(np.array).filter(
    lambda v: np.linalg.norm(v) > 0.1)


@settings(max_examples=15)
@given(a=st.floats(0.1, 5).flatmap(lambda v: st.sampled_from([v, -v])), w=unit,
       frac=st.floats(-0.9, 0.9), R=st.sampled_from([1.0, 0.5, 2.0]),
       act=st.sampled_from(["relu", "leaky_relu:1/10", "abs"]), d=st.sampled_from([2, 3]))
def test_one_neuron(a, w, frac, R, act, d):
    r"""f = a psi(w.x + b) with b = frac R |w| (the neuron switches inside the
    ball). Slopes s_+ = 1, s_- in {0, alpha, -1}: Lip_{R^d} = Lip_{B_R} = |a||w|.
    Sphere (d >= 2): |grad_S f|^2 = s^2 a^2 (|w|^2 - (w.x)^2/R^2); on the
    positive side w.x > -b, so the sup is |a||w| when b >= 0 (w.x = 0 is on the
    positive side), and max(|a| sqrt(|w|^2 - b^2/R^2), |s_-||a||w|) when b < 0
    (w.x -> -b from above, or the negative side, which contains w.x = 0)."""
    w = w[:d]
    assume(np.linalg.norm(w) > 0.1)
    nw = float(np.linalg.norm(w))
    b = frac * R * nw
    net = TwoLayerNet([a], [w], [b], act)
    assert_known(net, Domain.rd(), abs(a) * nw)
    assert_known(net, Domain.ball(R), abs(a) * nw)
    s_minus = {"relu": 0.0, "leaky_relu:1/10": 0.1, "abs": 1.0}[act]
    if b >= 0:
        sph = abs(a) * nw
        attained = b > 0  # at w.x = 0, inside the positive side; b = 0: on the kink
    else:
        on_side = abs(a) * math.sqrt(nw**2 - b**2 / R**2)  # approached at the kink
        sph = max(on_side, s_minus * abs(a) * nw)
        attained = s_minus * nw >= math.sqrt(nw**2 - b**2 / R**2)
    assert_known(net, Domain.sphere(R), sph, upper_tight=(sph == abs(a) * nw),
                 lower_tight=attained)


@settings(max_examples=10)
@given(d=st.sampled_from([2, 3]), k=st.integers(1, 3), c=st.floats(0.2, 4),
       a=st.lists(st.floats(0.1, 3), min_size=3, max_size=3), seed=st.integers(0, 2**16),
       R=st.sampled_from([1.0, 0.7]))
def test_orthogonal_neurons(d, k, c, a, seed, R):
    r"""Zero biases, mutually orthogonal w_l of equal norm c, a_l > 0, relu:
    on the region where the neurons in S are on, grad = sum_{S} a_l w_l with
    squared norm c^2 sum_S a_l^2, largest for S = all (the cone {w_l.x > 0}
    is non-empty): Lip_{R^d} = Lip_{B_R} = c |a|_2 = |sum_l a_l w_l|. On the
    sphere with k < d the all-on cone's closure contains x with all w_l.x = 0,
    where g.x = 0, so the tangential sup is the same, but it is approached only
    at those points, which lie on every kink (zero biases): there the lower
    bound is only checked to stay below. The spectral bound |W|_op |a| = c |a|
    is tight."""
    assume(k <= d)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    W = c * Q[:k]
    a = np.array(a[:k])
    net = TwoLayerNet(a, W, np.zeros(k), "relu")
    value = float(np.linalg.norm(a @ W))
    assert value == pytest.approx(c * np.linalg.norm(a), rel=1e-12)
    assert_known(net, Domain.rd(), value)
    assert_known(net, Domain.ball(R), value)
    if k < d:
        assert_known(net, Domain.sphere(R), value, lower_tight=False)


@settings(max_examples=10)
@given(d=st.integers(1, 4), k=st.integers(1, 5), seed=st.integers(0, 2**16),
       R=st.sampled_from([1.0, 3.0]))
def test_linear_networks(d, k, seed, R):
    r"""power:1 is linear: f(x) = (W^T a).x + const, Lip = |W^T a| on R^d and
    balls, and on spheres (d >= 2: the tangential part vanishes only at
    x parallel to g, and is |g| on g's orthogonal great circle). Likewise relu
    with every neuron on throughout the ball (b_l > R |w_l|)."""
    rng = np.random.default_rng(seed)
    a, W = rng.standard_normal(k), rng.standard_normal((k, d))
    value = float(np.linalg.norm(a @ W))
    b = rng.standard_normal(k)
    lin = TwoLayerNet(a, W, b, "power:1")
    for dom in [Domain.rd(), Domain.ball(R)] + ([Domain.sphere(R)] if d >= 2 else []):
        assert_known(lin, dom, value, seed=seed)
    on = TwoLayerNet(a, W, R * np.linalg.norm(W, axis=1) + 0.1 + np.abs(b), "relu")
    assert_known(on, Domain.ball(R), value, seed=seed)
    if d >= 2:
        assert_known(on, Domain.sphere(R), value, seed=seed)


def test_zero_network():
    net = TwoLayerNet([0.0, 1.0], [[1.0, 2.0], [0.0, 0.0]], [0.0, 1.0], "relu")
    for dom in (Domain.rd(), Domain.ball(), Domain.sphere()):
        rep = lipschitz_report(net, dom)
        assert rep.lower == 0 and rep.exact == 0 and rep.upper == 0


# ---------------------------------------------------------------------------
# Wrong versions are caught by the same checkers
# ---------------------------------------------------------------------------
def test_dropped_operator_norm_caught():
    """||a|| L_psi without ||W||_op: f = 2 relu(3 x1 + 4 x2) has Lip 10, the
    wrong bound says 2."""
    net = TwoLayerNet([2.0], [[3.0, 4.0]], [0.1], "relu")
    dom = Domain.ball(1.0)
    lows = _lowers(net, dom, 0)
    assert_bracket(lows, all_uppers(net, dom), exact_relu_lipschitz(net, dom).value)
    wrong = float(np.linalg.norm(net.a))
    with pytest.raises(AssertionError):
        assert_bracket(lows, [wrong])


def test_dropped_slope_bound_caught():
    """power:2 on B_2: f = x1^2 has Lip 4; dropping L_psi = 2 * 2 gives 1."""
    net = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "power:2")
    dom = Domain.ball(2.0)
    lows = _lowers(net, dom, 0)
    assert max(lows) == pytest.approx(4.0, rel=1e-9)
    assert_bracket(lows, all_uppers(net, dom))
    wrong = float(np.linalg.norm(net.a) * np.linalg.norm(net.W, 2))
    with pytest.raises(AssertionError):
        assert_bracket(lows, [wrong])


def test_wrong_exact_caught_by_brute_force():
    """An 'exact' value that ignores the domain (R^d value used on a ball
    where the steep neuron never switches on) fails the brute-force check."""
    net = TwoLayerNet([1.0, 3.0], [[1.0, 0.0], [1.0, 0.0]], [-0.5, -2.0], "relu")
    dom = Domain.ball(1.0)
    check_exact_against_brute_force(exact_relu_lipschitz(net, dom).value, net, dom)
    wrong = exact_relu_lipschitz(net, Domain.rd()).value
    assert wrong == pytest.approx(4.0)
    with pytest.raises(AssertionError):
        check_exact_against_brute_force(wrong, net, dom)


def test_wrong_sphere_value_caught_by_sampling():
    """The full gradient norm instead of the tangential one on the circle."""
    net = TwoLayerNet([2.0], [[0.0, 1.0]], [-0.5], "relu")
    sampled, err = sphere2_sampled(net, 1.0)
    right = exact_relu_lipschitz(net, Domain.sphere()).value
    assert right == pytest.approx(2 * math.sqrt(1 - 0.25), rel=1e-9)
    assert sampled <= right * (1 + ROUND) <= sampled + err + right * ROUND
    wrong = exact_relu_lipschitz(net, Domain.ball()).value
    assert not wrong <= sampled + err


def test_moved_witness_caught():
    net = TwoLayerNet([1.0, 2.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    dom = Domain.ball(1.0)
    v, w = gradient_lower_bound(net, dom, seed=0)
    assert v == pytest.approx(math.sqrt(5), rel=1e-9)
    moved = Witness("point", w.points * np.array([[1.0, -1.0]]), v)  # second neuron off
    assert moved.verify(net, dom) != pytest.approx(v, rel=1e-6)
    outside = Witness("point", np.array([[2.0, 2.0]]), v)
    with pytest.raises(ValueError, match="witness"):
        outside.verify(net, dom)
    on_kink = Witness("point", np.array([[0.0, 0.5]]), v)
    with pytest.raises(ValueError, match="kink"):
        on_kink.verify(net, dom)
    X = np.array([[0.5, 0.5], [-0.5, -0.5], [0.1, -0.7]])
    pv, pw = pair_lower_bound(net, X, dom)
    other = [x for x in X if not np.any(np.all(pw.points == x, axis=1))][0]
    swapped = Witness("pair", np.stack([pw.points[0], other]), pv)
    assert swapped.verify(net, dom) != pytest.approx(pv, rel=1e-6)


# ---------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------
GOOD = dict(a=[1.0, 2.0], W=[[1.0, 0.0], [0.0, 1.0]], b=[0.0, 0.0], activation="relu")


@pytest.mark.parametrize("field,value,name", [
    ("a", [np.nan, 1.0], "a"),
    ("a", [np.inf, 1.0], "a"),
    ("W", [[1.0, np.inf], [0.0, 1.0]], "W"),
    ("W", [[1.0, np.nan], [0.0, 1.0]], "W"),
    ("b", [0.0, np.nan], "b"),
    ("a", [1.0, 2.0, 3.0], "a"),  # shape mismatch
    ("b", [0.0], "b"),  # shape mismatch
    ("W", np.zeros((0, 2)), "W"),  # k = 0
    ("W", np.zeros((2, 0)), "W"),  # d = 0
    ("activation", "swish", "activation"),
    ("activation", "leaky_relu", "activation"),
])
def test_bad_network(field, value, name):
    kw = dict(GOOD)
    kw[field] = value
    with pytest.raises(ValueError, match=f"^{name}"):
        TwoLayerNet(**kw)


def test_bad_domain():
    with pytest.raises(ValueError, match="^radius"):
        Domain.ball(-1.0)
    with pytest.raises(ValueError, match="^radius"):
        Domain.sphere(float("nan"))
    with pytest.raises(ValueError, match="^domain"):
        Domain("cube", 1.0)


def test_sphere_needs_d2():
    net = TwoLayerNet([1.0], [[1.0]], [0.0], "relu")
    for fn in (lambda: exact_relu_lipschitz(net, Domain.sphere()),
               lambda: gradient_lower_bound(net, Domain.sphere()),
               lambda: lipschitz_report(net, Domain.sphere()),
               lambda: spectral_upper_bound(net, Domain.sphere())):
        with pytest.raises(ValueError, match="^domain"):
            fn()


def test_bad_report_arguments():
    net = TwoLayerNet(**GOOD)
    with pytest.raises(ValueError, match="^X"):
        lipschitz_report(net, Domain.ball(), X=[[np.nan, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="^X"):
        lipschitz_report(net, Domain.ball(), X=[[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="^exact"):
        lipschitz_report(net, Domain.ball(), exact="maybe")
    with pytest.raises(ValueError, match="^net"):
        lipschitz_report("net.npz", Domain.ball())
    with pytest.raises(ValueError, match="^domain"):
        lipschitz_report(net, "ball")
    with pytest.raises(ValueError, match="^n_random"):
        gradient_lower_bound(net, Domain.ball(), n_random=-1)
    with pytest.raises(ValueError, match="^X"):
        pair_lower_bound(net, [[np.inf, 0.0], [0.0, 1.0]], Domain.rd())
    with pytest.raises(ValueError, match="^net"):
        exact_relu_lipschitz(TwoLayerNet([1.0], [[1.0, 0.0]], None, "tanh"), Domain.rd())
    with pytest.raises(ValueError, match="^net"):
        exact_relu_lipschitz(TwoLayerNet([1.0], [[1.0] * 4], None, "relu"), Domain.rd())


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
def _cli(argv, capsys):
    from numerics.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("domain", ["rd", "ball", "sphere"])
def test_cli_json(tmp_path, capsys, domain):
    net = TwoLayerNet([1.0, -2.0, 0.5], [[1.0, 0.2], [0.3, -1.0], [-0.5, 0.5]],
                      [0.1, -0.2, 0.3], "relu")
    path = net.save(tmp_path / "net.npz")
    args = ["lipschitz", str(path), "--domain", domain, "--seed", "3", "--json"]
    if domain != "rd":
        args += ["--radius", "2"]
    code, out, _ = _cli(args, capsys)
    assert code == 0
    js = json.loads(out)
    assert {"lower", "upper", "exact", "domain", "witness"} <= set(js)
    assert js["domain"] == domain
    dom = Domain.parse(domain, None if domain == "rd" else 2.0)
    assert js["exact"] == pytest.approx(exact_relu_lipschitz(net, dom).value, rel=1e-12)
    assert js["lower"] <= js["exact"] * (1 + ROUND) <= js["upper"] * (1 + ROUND) ** 2
    w = Witness(js["witness"]["kind"], np.array(js["witness"]["points"]), js["lower"])
    assert w.verify(net, dom) == pytest.approx(js["lower"], rel=1e-11)


def test_cli_exact_null_for_smooth(tmp_path, capsys):
    path = TwoLayerNet([1.0], [[1.0, 1.0]], [0.0], "tanh").save(tmp_path / "t.npz")
    code, out, _ = _cli(["lipschitz", str(path), "--domain", "ball", "--json"], capsys)
    assert code == 0
    js = json.loads(out)
    assert js["exact"] is None and js["lower"] <= js["upper"]


@pytest.mark.parametrize("extra,name", [
    (["--domain", "ball", "--radius", "-1"], "radius"),
    (["--domain", "rd", "--radius", "1"], "radius"),
])
def test_cli_bad_arguments(tmp_path, capsys, extra, name):
    path = TwoLayerNet([1.0], [[1.0, 1.0]], [0.0], "relu").save(tmp_path / "n.npz")
    code, _, err = _cli(["lipschitz", str(path)] + extra, capsys)
    assert code == 2 and f"error: {name}" in err


def test_cli_missing_file(tmp_path, capsys):
    code, _, err = _cli(["lipschitz", str(tmp_path / "none.npz")], capsys)
    assert code == 2 and "net" in err


def test_cli_bad_network_file(tmp_path, capsys):
    path = tmp_path / "bad.npz"
    np.savez(path, a=np.array([1.0, np.nan]), W=np.ones((2, 2)), b=np.zeros(2),
             activation=np.array("relu"))
    code, _, err = _cli(["lipschitz", str(path)], capsys)
    assert code == 2 and "error: a" in err


def test_smooth_search_survives_overflowing_second_derivative():
    """softplus'' overflows (inf/inf) far out; the search must neither warn nor
    return a non-finite value (a ci-profile failure on a softplus:3 net led to
    guards in the search direction; this pins the far-out regime)."""
    from numerics.domain import Domain
    from numerics.lipschitz import gradient_lower_bound
    from numerics.models import TwoLayerNet

    net = TwoLayerNet([1.0, -2.0, 0.5], [[300.0], [-250.0], [1.0]], [0.0, 5.0, -1.0],
                      "softplus:3")
    for domain in (Domain.rd(), Domain.ball(3.0)):
        v, w = gradient_lower_bound(net, domain, n_random=32, steps=20, seed=0)
        assert np.isfinite(v) and v > 0
        assert w.verify(net, domain) == pytest.approx(v, rel=1e-9)
