"""Tests of numerics.certify.energy: the zonal kernels against independent oracles (scipy),
the R4 energy certificate on exact cases, refusals (too many points, repeated and
antipodal points), and deliberately wrong kernels caught."""


import numpy as np
import pytest
import scipy.special as ss
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.certify import (
    RCOND_MIN,
    energy_certificate,
    gegenbauer_numeric,
    kernel_coefficients,
    space_weights,
)
from numerics.construct import (
    gradient_energy,
    min_energy_interpolant,
    space_dimension,
    waring_network,
)
from numerics.data import random_dataset, sphere_data
from theory import sphere
from theory.sphere import eigenvalue

# (d, p, homogeneous) small enough for fast properties

# (d, p, homogeneous) small enough for fast properties
CASES = [(3, 2, False), (4, 3, True), (5, 2, True), (4, 2, False), (3, 4, True), (5, 3, False)]


def _dataset(seed, d, p, homogeneous, frac):
    _, _, dim = kernel_coefficients(d, p, homogeneous=homogeneous)
    n = max(2, int(frac * dim))
    return random_dataset(n, d, seed=seed)


@given(st.integers(0, 8), st.integers(2, 40), st.floats(-1, 1))
@example(3, 2, -0.7)
def test_gegenbauer_numeric_against_scipy(j, d, x):
    got = float(gegenbauer_numeric(j, d, np.array([x]))[0])
    if d == 2:
        ref = ss.eval_chebyt(j, x)
    else:
        a = (d - 2) / 2
        ref = ss.eval_gegenbauer(j, a, x) / ss.eval_gegenbauer(j, a, 1.0)
    assert abs(got - ref) <= 1e-11


@pytest.mark.parametrize("d,p,homogeneous", CASES)
def test_kernel_coefficients_against_scipy(d, p, homogeneous):
    coeffs, free, dim = kernel_coefficients(d, p, homogeneous=homogeneous)
    J = sphere.degrees(p, homogeneous=homogeneous)
    t = np.linspace(-1, 1, 11)
    ref = np.zeros_like(t)
    for j in J:
        if j == 0:
            continue
        N = ss.comb(d + j - 1, j) - (ss.comb(d + j - 3, j - 2) if j >= 2 else 0)
        G = (ss.eval_chebyt(j, t) if d == 2 else
             ss.eval_gegenbauer(j, (d - 2) / 2, t) / ss.eval_gegenbauer(j, (d - 2) / 2, 1.0))
        ref += N / (j * (j + d - 2)) * G
    assert np.allclose(np.polynomial.polynomial.polyval(t, coeffs), ref, rtol=1e-12, atol=1e-12)
    assert free == (0 in J)
    assert dim == sum(int(sphere.harmonic_dim(d, j)) for j in J if j > 0)


def test_space_weights_and_dimension():
    w, free = space_weights(4, 2, homogeneous=True, kind="ball")
    assert w == {0: sp.Rational(1, 0 + 4), 2: sp.Rational(1, 2 * 4 + 4)} and not free
    assert space_dimension(4, 3, homogeneous=True) == 20
    assert space_dimension(4, 3, homogeneous=False) == 35


@pytest.mark.parametrize("d,p,hom", [(4, 3, True), (3, 2, False), (4, 4, True)])
def test_wrong_certificate_is_caught(d, p, hom):
    D = _dataset(1, d, p, hom, 0.6)
    g = min_energy_interpolant(D.X, D.y, p, homogeneous=hom)
    net = waring_network(g, d, p, homogeneous=hom, seed=0).net
    energy = gradient_energy(net)["tangential"]
    J = sphere.degrees(p, homogeneous=hom)
    right = energy_certificate(D.X, net(D.X), p, homogeneous=hom)
    assert energy >= right.value
    wrong_w = {j: 1 / eigenvalue(j + 1, d) for j in J if j > 0}  # lambda_j -> lambda_{j+1}
    wrong = energy_certificate(D.X, net(D.X), p, homogeneous=hom, _weights=wrong_w)
    assert wrong.value > energy  # the checker flags the wrong bound


def test_wrong_ball_certificate_is_caught():
    D = _dataset(2, 4, 3, True, 0.6)
    g = min_energy_interpolant(D.X, D.y, 3, homogeneous=True, kind="ball")
    net = waring_network(g, 4, 3, homogeneous=True, seed=0).net
    full = gradient_energy(net)["full"]
    assert full >= energy_certificate(D.X, net(D.X), 3, homogeneous=True, kind="ball").value
    # wrong versions overclaim: p^2 -> (p+1)^2, and lambda_j -> lambda_{j+1}
    for wrong_w in ({j: 1 / (eigenvalue(j, 4) + 16) for j in (1, 3)},
                    {j: 1 / (eigenvalue(j + 1, 4) + 9) for j in (1, 3)}):
        wrong = energy_certificate(D.X, net(D.X), 3, homogeneous=True, kind="ball",
                                   _weights=wrong_w)
        assert wrong.value > full


def test_certificate_small_exact_case():
    # g = x1 - x2 + x3 is the unique degree-1 interpolant; E|grad_S g|^2 = 3 * (d-1)/d = 2
    c = energy_certificate(np.eye(3), [1.0, -1.0, 1.0], 1, homogeneous=True)
    assert c.value == pytest.approx(2.0, rel=1e-12) and c.value <= 2.0
    ball = energy_certificate(np.eye(3), [1.0, -1.0, 1.0], 1, homogeneous=True, kind="ball")
    assert ball.value == pytest.approx(3.0, rel=1e-12) and ball.value <= 3.0


def test_homogeneous_rescaling_off_the_sphere():
    D = random_dataset(12, 4, seed=5)
    X2 = D.X * np.linspace(0.5, 2.0, 12)[:, None]
    p = 3
    c1 = energy_certificate(X2, D.y, p, homogeneous=True)
    c2 = energy_certificate(D.X, D.y / np.linspace(0.5, 2.0, 12) ** p, p, homogeneous=True)
    assert c1.value == pytest.approx(c2.value, rel=1e-12)
    g = min_energy_interpolant(X2, D.y, p, homogeneous=True)
    assert np.allclose(g(X2), D.y, atol=1e-9)


def test_too_many_points_refused():
    d, p = 3, 2
    _, _, dim = kernel_coefficients(d, p, homogeneous=True)
    D = random_dataset(dim + 1, d, seed=0)
    cert = energy_certificate(D.X, D.y, p, homogeneous=True)
    assert cert.value is None and cert.lipschitz_lower is None
    assert "singular" in cert.reason and str(dim) in cert.reason
    with pytest.raises(ValueError, match="X:"):
        min_energy_interpolant(D.X, D.y, p, homogeneous=True)


def test_repeated_points():
    X = sphere_data(8, 4, seed=1)
    y = np.array([1.0, -1, 1, -1, 1, 1, -1, 1])
    ref = energy_certificate(X, y, 3, homogeneous=True)
    X2 = np.vstack([X, X[2]])
    y2 = np.append(y, y[2])
    dup = energy_certificate(X2, y2, 3, homogeneous=True)
    assert dup.duplicates_removed == 1 and dup.value == pytest.approx(ref.value, rel=1e-12)
    with pytest.raises(ValueError, match="X:"):
        energy_certificate(X2, np.append(y, -y[2]), 3, homogeneous=True)


def test_antipodal_and_near_duplicate_points_refused():
    X = sphere_data(6, 4, seed=2)
    y = np.array([1.0, -1, 1, -1, 1, 1])
    # homogeneous odd degree: g(-x) = -g(x), so -x_0 carries no new constraint
    Xa = np.vstack([X, -X[0]])
    ca = energy_certificate(Xa, np.append(y, 1.0), 3, homogeneous=True)
    assert ca.value is None and "no certificate" in ca.reason
    Xn = np.vstack([X, X[0] + 1e-13 * np.array([0.0, 1, 0, 0])])
    Xn[-1] /= np.linalg.norm(Xn[-1])
    cn = energy_certificate(Xn, np.append(y, -1.0), 3, homogeneous=True)
    assert cn.value is None
    assert (cn.rcond is None) or (cn.rcond < RCOND_MIN)
