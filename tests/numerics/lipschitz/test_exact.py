r"""Tests of numerics.lipschitz.exact: the enumeration against independent oracles.

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

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from scipy.optimize import linprog

from numerics.domain import Domain
from numerics.lipschitz import (
    exact_relu_lipschitz,
    region_gradients,
)
from numerics.lipschitz.witness import kink_margin
from numerics.models import TwoLayerNet
from numerics.strategies import two_layer_nets

PL = ("relu", "leaky_relu", "abs")


#: relative allowance for floating-point rounding when comparing certified numbers
ROUND = 1e-10


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
    if net.d >= 2:  # vertices (d = 2), or the points nearest 0 of pairwise lines (d = 3)
        for i in range(len(W)):
            for j in range(i):
                A = W[[i, j]]
                if np.linalg.matrix_rank(A, tol=1e-9 * n[i] * n[j]) == 2:
                    s = max(s, float(np.linalg.norm(np.linalg.lstsq(A, -b[[i, j]])[0])))
    if net.d == 3:
        for i, j, m in itertools.combinations(range(len(W)), 3):
            A = W[[i, j, m]]
            if abs(np.linalg.det(A)) > 1e-9 * n[i] * n[j] * n[m]:
                s = max(s, float(np.linalg.norm(np.linalg.solve(A, -b[[i, j, m]]))))
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


def _fibonacci_sphere(n: int) -> np.ndarray:
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z**2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


N_DIRS = 600
DIRS3 = _fibonacci_sphere(N_DIRS)
# covering angle of DIRS3 (every unit vector is within it of a direction): estimated
# from 200k random directions, times 1.25 as a safety margin (a test oracle, stated)
_probe = np.random.default_rng(7).standard_normal((200_000, 3))
_probe /= np.linalg.norm(_probe, axis=1, keepdims=True)
COVER3 = 1.25 * float(np.arccos(np.clip(np.max(_probe @ DIRS3.T, axis=1).min(), -1, 1)))


def _polygon(d, R, circumscribed):
    """Half-space description of the inscribed / circumscribed regular
    N-gon of the disc (d = 2), the interval itself (d = 1), or (d = 3) the polytopes
    {u.x <= R} (contains the ball) and {u.x <= R cos(theta)} (inside it: theta the
    covering angle of the directions u)."""
    if d == 1:
        return np.array([[1.0], [-1.0]]), np.array([R, R])
    if d == 3:
        return DIRS3, np.full(N_DIRS, R if circumscribed else R * np.cos(COVER3))
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
    # a sample exactly on a kink (the midpoint of two coincident kinks) has no gradient:
    # the right-derivative convention there can mix patterns no arc has
    X = R * np.stack([np.cos(th), np.sin(th)], axis=1)
    keep = kink_margin(net, X) > 1e-12 * R
    X, th = X[keep], th[keep]
    G = net.gradient(X)
    T = np.stack([-np.sin(th), np.cos(th)], axis=1)
    vals = np.abs(np.sum(G * T, axis=1))
    gmax = float(np.max(np.linalg.norm(G, axis=1)))
    return float(vals.max()), gmax * max(np.pi / n_grid, h)


@given(net=two_layer_nets(activations=PL, d=2, k=(1, 12)),
       radius=st.sampled_from([1.0, 0.5, 3.0]))
@example(net=TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu"), radius=1.0)
@example(net=TwoLayerNet([2.0], [[0.0, 1.0]], [-0.5], "relu"), radius=1.0)
@example(net=TwoLayerNet([2.0, -0.5, -1.5, 0.0, 2.0, -0.5],
                         [[2.0, -0.5], [1.5, -1.0], [0.0, -1.0], [-1.0, 2.0], [1.5, -1.5],
                          [2.0, 2.0]], [-1.0, -0.5, 0.0, 0.5, -0.5, -1.5], "relu"),
         radius=0.5)  # two kinks meet on the circle: the old sampler sat on them
@example(net=TwoLayerNet([0.0, 2.0, -1.5, 1.5, -1.0],
                         [[-1.0, 0.0], [0.0, 1.5], [1.5, 0.5], [0.0, -1.0], [-1.0, 1.0]],
                         [-0.5, -0.5, -1.0, 2.0, -0.5], "relu"),
         radius=0.5)  # a kink tangent to the circle where another crosses: None, not 1.5
def test_exact_sphere_matches_sampling_d2(net, radius):
    dom = Domain.sphere(radius)
    res = exact_relu_lipschitz(net, dom)
    assume(res is not None)
    sampled, err = sphere2_sampled(net, radius)
    assert sampled <= res.value * (1 + ROUND) + 1e-300
    assert res.value <= sampled + err


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


@given(net=two_layer_nets(activations=PL, d=3, k=(1, 5)), radius=st.sampled_from([1.0, 2.5]))
@example(net=TwoLayerNet([1.0, -1.0, 2.0], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                         [0.0, 0.2, -0.5], "relu"), radius=1.0)
@example(net=TwoLayerNet([1.0, 3.0], [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], [-0.5, -2.0], "relu"),
         radius=1.0)  # the steep neuron only switches on outside the ball
def test_exact_matches_lp_oracle_d3(net, radius):
    """The independent d = 3 oracle: every activation pattern's region tested for
    meeting R^d or the ball with a max-margin LP (scipy HiGHS; the ball between an
    inscribed and a circumscribed polytope)."""
    for dom in (Domain.rd(), Domain.ball(radius)):
        res = exact_relu_lipschitz(net, dom)
        assume(res is not None)
        check_exact_against_brute_force(res.value, net, dom)


def sphere3_sampled(net, radius, n=40_000, seed=0):
    """Largest tangential gradient norm over dense random points of the sphere (d = 3)."""
    X = np.random.default_rng(seed).standard_normal((n, 3))
    X *= radius / np.linalg.norm(X, axis=1, keepdims=True)
    G = Domain.sphere(radius).effective_gradient(X, net.gradient(X))
    return float(np.max(np.linalg.norm(G, axis=1)))


@given(net=two_layer_nets(activations=PL, d=3, k=(1, 5)), radius=st.sampled_from([1.0, 2.0]))
@example(net=TwoLayerNet([2.0], [[0.0, 0.0, 1.0]], [-0.5], "relu"), radius=1.0)
def test_exact_sphere_d3_between_sampling_and_ball(net, radius):
    """Sphere, d = 3: dense sampling <= exact <= the ball's exact value (the tangential
    gradient is at most the full one) and <= the LP oracle's upper end."""
    res = exact_relu_lipschitz(net, Domain.sphere(radius))
    assume(res is not None)
    assert sphere3_sampled(net, radius) <= res.value * (1 + 1e-9) + 1e-300
    _, hi = brute_force_bracket(net, Domain.ball(radius))
    assert res.value <= hi * (1 + 1e-9) + 1e-300


def test_wrong_d3_value_caught_by_the_lp_oracle():
    """The R^d value used on a ball where the steep neuron never switches on."""
    net = TwoLayerNet([1.0, 3.0], [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], [-0.5, -2.0], "relu")
    wrong = exact_relu_lipschitz(net, Domain.rd()).value
    check_exact_against_brute_force(exact_relu_lipschitz(net, Domain.ball()).value, net,
                                    Domain.ball())
    with pytest.raises(AssertionError):
        check_exact_against_brute_force(wrong, net, Domain.ball())
    sph = TwoLayerNet([2.0], [[0.0, 0.0, 1.0]], [-0.5], "relu")
    right = exact_relu_lipschitz(sph, Domain.sphere()).value
    assert right == pytest.approx(2 * math.sqrt(1 - 0.25), rel=1e-9)
    assert sphere3_sampled(sph, 1.0) <= right * (1 + 1e-9)
    assert not sphere3_sampled(sph, 1.0) <= 0.9 * right  # a value 10% low is caught
