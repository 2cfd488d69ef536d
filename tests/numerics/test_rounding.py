r"""numerics.rounding: every error bound against exact rational arithmetic.

Piecewise-linear networks (relu, leaky relu 1/10, abs) are evaluated exactly in
:class:`fractions.Fraction` from the float weights and points (the slope of leaky relu
is the rational 1/10, not the float 0.1), so the computed values, gradients and pair
quotients can be compared with the truth exactly. A deliberately weakened bound (the
old relative 1e-12) is caught on the cancellation instances.
"""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from numerics import rounding
from numerics.domain import Domain
from numerics.models import TwoLayerNet
from numerics.strategies import adversarial_nets, two_layer_nets

PL = ("relu", "leaky_relu:1/10", "abs")
CANCEL = TwoLayerNet([1e8, -1e8], [[1.0, 0.0], [1.0, 0.0]], [10.0, 10.0 + 1e-7], "relu")


def _psi(spec: str, z: Fraction) -> Fraction:
    if spec == "relu":
        return max(z, Fraction(0))
    if spec == "abs":
        return abs(z)
    return z if z >= 0 else Fraction(1, 10) * z


def _dpsi(spec: str, z: Fraction) -> Fraction:
    if spec == "abs":
        return Fraction(1) if z >= 0 else Fraction(-1)
    if spec == "relu":
        return Fraction(1) if z >= 0 else Fraction(0)
    return Fraction(1) if z >= 0 else Fraction(1, 10)


def exact_value(net: TwoLayerNet, x) -> Fraction:
    xs = [Fraction(float(v)) for v in x]
    out = Fraction(0)
    for a, w, b in zip(net.a, net.W, net.b, strict=True):
        z = sum((Fraction(float(wi)) * xi for wi, xi in zip(w, xs, strict=True)), Fraction(0))
        out += Fraction(float(a)) * _psi(net.spec, z + Fraction(float(b)))
    return out


def exact_gradient(net: TwoLayerNet, x) -> list[Fraction]:
    xs = [Fraction(float(v)) for v in x]
    g = [Fraction(0)] * net.d
    for a, w, b in zip(net.a, net.W, net.b, strict=True):
        wf = [Fraction(float(wi)) for wi in w]
        z = sum((wi * xi for wi, xi in zip(wf, xs, strict=True)), Fraction(0)) + Fraction(float(b))
        s = Fraction(float(a)) * _dpsi(net.spec, z)
        g = [gi + s * wi for gi, wi in zip(g, wf, strict=True)]
    return g


nets = st.one_of(two_layer_nets(activations=PL, d=(1, 3), k=(1, 6)),
                 adversarial_nets(d=(1, 3)))
points = st.integers(0, 10**6).map(lambda s: np.random.default_rng(s))


@given(nets, points)
@example(CANCEL, np.random.default_rng(0))
def test_value_error_bounds_the_exact_error(net, rng):
    assume(net.spec in PL)
    X = rng.standard_normal((4, net.d)) * 10.0 ** rng.integers(-3, 2)
    f, e = rounding.value_error(net, X)
    for i in range(X.shape[0]):
        assert abs(Fraction(float(f[i])) - exact_value(net, X[i])) <= Fraction(float(e[i]))


def test_old_relative_factor_is_caught_on_the_cancellation():
    X = np.array([[0.3, 0.2], [0.1, -0.4]])
    f, e = rounding.value_error(CANCEL, X)
    errs = [abs(Fraction(float(f[i])) - exact_value(CANCEL, X[i])) for i in range(2)]
    assert all(err <= Fraction(float(ei)) for err, ei in zip(errs, e, strict=True))
    assert any(err > Fraction(1e-12) * abs(Fraction(float(fi)))
               for err, fi in zip(errs, f, strict=True))  # the old bound fails here


@given(nets, points)
def test_gradient_error_bounds_the_exact_error_where_certain(net, rng):
    assume(net.spec in PL)
    X = rng.standard_normal((4, net.d))
    G, E, ok = rounding.gradient_error(net, X)
    for i in np.flatnonzero(ok):
        g = exact_gradient(net, X[i])
        for j in range(net.d):
            assert abs(Fraction(float(G[i, j])) - g[j]) <= Fraction(float(E[i, j]))


@given(nets, points, st.sampled_from([1.0, 2.0, float("inf")]))
@example(CANCEL, np.random.default_rng(1), 2.0)
def test_pair_quotients_never_exceed_the_exact_quotient(net, rng, p):
    assume(net.spec in PL)
    A = rng.standard_normal((3, net.d))
    B = A + 10.0 ** rng.integers(-11, 0) * rng.standard_normal((3, net.d))
    q = rounding.certified_pair_quotients(net, A, B, p, Domain.rd())
    for i in range(3):
        df = abs(exact_value(net, A[i]) - exact_value(net, B[i]))
        diff = [Fraction(float(a)) - Fraction(float(b)) for a, b in zip(A[i], B[i], strict=True)]
        qi = Fraction(float(q[i]))
        if p == 2.0:
            assert qi * qi * sum(v * v for v in diff) <= df * df
        else:
            dist = max(abs(v) for v in diff) if p == float("inf") else sum(abs(v) for v in diff)
            assert qi * dist <= df


def test_ball_membership_is_certified_not_tolerated():
    R = 1.0
    inside = np.array([[0.6, 0.8 * (1 - 1e-15)], [0.5, 0.5], [1e-300, 0.0]])
    outside = np.array([[1.0, 0.0], [0.6, 0.8], [1.0 + 1e-12, 0.0]])
    assert rounding.in_ball(inside[1:], R).all()
    for x in np.concatenate([inside, outside]):
        if rounding.in_ball(x[None], R)[0]:
            assert sum(Fraction(float(v)) ** 2 for v in x) <= Fraction(R) ** 2
    assert not rounding.in_ball(outside, R).any()
    assert Domain.ball(R).contains(outside[2:]).all()  # the old 1e-9 tolerance accepted it
    moved = rounding.into_ball(outside, R)
    assert rounding.in_ball(moved, R).all()
    assert np.allclose(moved, outside / np.linalg.norm(outside, axis=1, keepdims=True))


@given(st.integers(0, 10**6), st.integers(1, 6), st.integers(1, 6), st.integers(-8, 8))
@example(0, 2, 2, 0)
def test_certified_operator_norm_is_above_the_true_norm(seed, k, d, e):
    W = np.random.default_rng(seed).standard_normal((k, d)) * 10.0**e
    t = rounding.certified_operator_norm(W)
    mpmath.mp.dps = 40
    true = max(mpmath.svd_r(mpmath.matrix(W.tolist()), compute_uv=False))
    assert mpmath.mpf(t) >= true
    assert t <= float(true) * (1 + 1e-10)  # and it costs almost nothing


def test_an_svd_readout_is_not_a_certificate():
    """The plain float SVD value can fall below the true norm; the certified one never."""
    mpmath.mp.dps = 40
    below = 0
    for seed in range(200):
        W = np.random.default_rng(seed).standard_normal((3, 3))
        true = max(mpmath.svd_r(mpmath.matrix(W.tolist()), compute_uv=False))
        below += mpmath.mpf(float(np.linalg.norm(W, 2))) < true
        assert mpmath.mpf(rounding.certified_operator_norm(W)) >= true
    assert below > 0


def test_round_up_bound_and_gamma():
    assert rounding.gamma(0) == 0.0
    assert rounding.gamma(10) >= 10 * rounding.U
    assert rounding.round_up_bound(float("inf"), 3) == float("inf")
    assert rounding.round_up_bound(1.0, 1) > 1.0
    with pytest.raises(ValueError, match="^m:"):
        rounding.gamma(2.0**60)
