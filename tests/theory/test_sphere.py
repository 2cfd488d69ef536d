"""Exact tests of theory.sphere: moments, N(d,j), Gegenbauer, kernels, Laplace–Beltrami."""

import itertools
import random

import mpmath
import numpy as np
import pytest
import scipy.special as ss
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory import sphere
from theory.sphere import (
    degrees,
    eigenvalue,
    euler_operator,
    funk_hecke_matrix,
    gegenbauer,
    harmonic_dim,
    homogeneous_dim_on_sphere,
    laplace_beltrami,
    monomial_integral,
    polynomial_dim_on_sphere,
    reduce_on_sphere,
    ridge_moment,
    space_kernel,
    sphere_moment,
    tangential_gradient,
    zonal_kernel,
)

D = sp.Symbol("d", positive=True, integer=True)
th, ph, ps = sp.symbols("theta phi psi", real=True)


def _direct_moment(alpha):
    """E_sigma x^alpha by direct integration in spherical coordinates (d = 2, 3, 4)."""
    d = len(alpha)
    if d == 2:
        x = (sp.cos(th), sp.sin(th))
        f = sp.Mul(*[xi**a for xi, a in zip(x, alpha, strict=True)])
        return sp.integrate(f, (th, 0, 2 * sp.pi)) / (2 * sp.pi)
    if d == 3:
        x = (sp.sin(ph) * sp.cos(th), sp.sin(ph) * sp.sin(th), sp.cos(ph))
        f = sp.Mul(*[xi**a for xi, a in zip(x, alpha, strict=True)]) * sp.sin(ph)
        return sp.integrate(sp.integrate(f, (th, 0, 2 * sp.pi)), (ph, 0, sp.pi)) / (4 * sp.pi)
    if d == 4:  # surface area of S^3 is 2 pi^2
        x = (sp.cos(ps), sp.sin(ps) * sp.cos(ph), sp.sin(ps) * sp.sin(ph) * sp.cos(th),
             sp.sin(ps) * sp.sin(ph) * sp.sin(th))
        f = (sp.Mul(*[xi**a for xi, a in zip(x, alpha, strict=True)])
             * sp.sin(ps) ** 2 * sp.sin(ph))
        inner = sp.integrate(sp.expand(f), (th, 0, 2 * sp.pi))
        mid = sp.integrate(inner, (ph, 0, sp.pi))
        return sp.integrate(mid, (ps, 0, sp.pi)) / (2 * sp.pi**2)
    raise AssertionError


@pytest.mark.parametrize("alpha", [(0, 0), (2, 0), (4, 2), (1, 3), (6, 0), (2, 2, 0),
                                   (2, 2, 2), (4, 0, 2), (1, 2, 2), (0, 0, 6), (2, 0, 0, 2),
                                   (4, 0, 0, 0), (1, 1, 0, 0)])
def test_moments_against_direct_integration(alpha):
    assert sp.simplify(_direct_moment(alpha) - sphere_moment(alpha, len(alpha))) == 0


def test_moments_symbolic_in_d_match_gamma_formula():
    # E x^alpha = Gamma(d/2)/Gamma((d+|alpha|)/2) * prod Gamma((alpha_i+1)/2)/Gamma(1/2)
    for alpha in [(2,), (4,), (2, 2), (6, 2), (2, 2, 2), (8,)]:
        gam = sp.gamma(D / 2) / sp.gamma((D + sum(alpha)) / 2)
        for a in alpha:
            gam *= sp.gamma(sp.Rational(a + 1, 2)) / sp.gamma(sp.Rational(1, 2))
        assert sp.simplify(sp.gammasimp(gam - sphere_moment(alpha, D))) == 0


@given(st.lists(st.integers(0, 6), min_size=1, max_size=4), st.integers(4, 40))
@example([2, 4], 5)
def test_moments_mpmath_oracle(alpha, d):
    exact = sphere_moment(alpha, d)
    if any(a % 2 for a in alpha):
        assert exact == 0
        return
    val = mpmath.gamma(d / 2) / mpmath.gamma((d + sum(alpha)) / 2)
    for a in alpha:
        val *= mpmath.gamma((a + 1) / 2) / mpmath.gamma(0.5)
    assert abs(float(exact) - float(val)) <= 1e-14 * float(val)


def test_ridge_moment_against_mpmath_quadrature():
    # density of x_1 on S^{d-1}: (1-t^2)^{(d-3)/2} / B(1/2, (d-1)/2)
    for d, m in [(3, 2), (5, 4), (7, 6), (10, 2)]:
        norm = mpmath.beta(0.5, (d - 1) / 2)
        val = mpmath.quad(lambda t, m=m, d=d, norm=norm: t**m * (1 - t**2) ** ((d - 3) / 2)
                          / norm, [-1, 1])
        assert abs(float(ridge_moment(m, d)) - float(val)) < 1e-12


def _harmonic_space_dim(d, j):
    """dim of homogeneous harmonic polynomials of degree j: kernel of the Laplacian."""
    xs = sp.symbols(f"x0:{d}", real=True)
    monos = sorted(sp.itermonomials(xs, j, j), key=sp.default_sort_key)
    if j < 2:
        return len(monos)
    target = sorted(sp.itermonomials(xs, j - 2, j - 2), key=sp.default_sort_key)
    cols = []
    for m in monos:
        lap = sp.Poly(sum(sp.diff(m, x, 2) for x in xs), *xs)
        cols.append([lap.coeff_monomial(t) for t in target])
    M = sp.Matrix(cols).T
    return len(monos) - M.rank()


@pytest.mark.parametrize("d,j", [(2, 3), (3, 2), (3, 4), (4, 3), (5, 2), (4, 4)])
def test_harmonic_dim_is_kernel_of_laplacian(d, j):
    assert harmonic_dim(d, j) == _harmonic_space_dim(d, j)


@pytest.mark.parametrize("p", range(0, 6))
def test_harmonic_dims_sum_to_polynomial_space_dims(p):
    hom = homogeneous_dim_on_sphere(D, p)
    assert sp.simplify(hom - sp.expand_func(sp.binomial(D + p - 1, p))) == 0
    full = polynomial_dim_on_sphere(D, p)
    expected = sp.expand_func(sp.binomial(D + p - 1, p))
    if p >= 1:
        expected += sp.expand_func(sp.binomial(D + p - 2, p - 1))
    assert sp.simplify(full - expected) == 0


def test_wrong_dimension_formula_caught():
    # dropping the subtracted binomial overcounts H_j: the sum no longer matches
    wrong = sum(sp.expand_func(sp.binomial(D + j - 1, j)) for j in degrees(3, homogeneous=True))
    assert sp.simplify(wrong - sp.expand_func(sp.binomial(D + 2, 3))) != 0


@pytest.mark.parametrize("j", range(0, 7))
def test_gegenbauer_normalization_and_classical_cases(j):
    assert sp.simplify(gegenbauer(j, D).subs(sphere.t, 1)) == 1
    assert sp.expand(gegenbauer(j, 2) - sp.chebyshevt(j, sphere.t)) == 0
    assert sp.expand(gegenbauer(j, 3) - sp.legendre(j, sphere.t)) == 0
    for d in (4, 5, 9):
        a = sp.Rational(d - 2, 2)
        ref = sp.gegenbauer(j, a, sphere.t) / sp.gegenbauer(j, a, 1)
        assert sp.expand(gegenbauer(j, d) - ref) == 0


@pytest.mark.parametrize("i,j", [(0, 0), (1, 1), (2, 2), (3, 3), (0, 2), (1, 3), (2, 4), (4, 4)])
def test_gegenbauer_orthogonality_symbolic_in_d(i, j):
    # E_sigma[G_i(x1) G_j(x1)] = delta_ij / N(d, j), symbolic in d
    prod = sp.Poly(sp.expand(gegenbauer(i, D) * gegenbauer(j, D)), sphere.t)
    total = sum(c * ridge_moment(m, D) for (m,), c in prod.terms())
    expected = 1 / harmonic_dim(D, j) if i == j else 0
    assert sp.simplify(total - expected) == 0


@given(st.integers(0, 8), st.integers(2, 30), st.floats(-1, 1))
@example(5, 2, 0.3)
def test_gegenbauer_numeric_against_scipy_and_mpmath(j, d, x):
    exact = float(gegenbauer(j, d).subs(sphere.t, sp.Float(x, 30))) if j else 1.0
    if d == 2:
        ref = ss.eval_chebyt(j, x)
    else:
        a = (d - 2) / 2
        ref = ss.eval_gegenbauer(j, a, x) / ss.eval_gegenbauer(j, a, 1.0)
    # mpmath: terminating hypergeometric form 2F1(-j, j+d-2; (d-1)/2; (1-x)/2), any d >= 2
    mp = mpmath.hyp2f1(-j, j + d - 2, mpmath.mpf(d - 1) / 2, (1 - mpmath.mpf(x)) / 2,
                       zeroprec=400)
    assert abs(exact - float(mp)) <= 1e-12
    assert abs(exact - ref) <= 1e-10


def _integrate_y(expr, ys):
    return monomial_integral(expr, ys)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_zonal_kernels_reproduce_harmonics(d):
    xs = sp.symbols(f"x0:{d}", real=True)
    ys = sp.symbols(f"y0:{d}", real=True)
    dot = sum(x * y for x, y in zip(xs, ys, strict=True))
    for j in range(0, 4):
        Y = sp.expand(sp.re(sp.expand((ys[0] + sp.I * ys[1]) ** j)))  # harmonic, degree j
        Yx = Y.subs(dict(zip(ys, xs, strict=True)))
        for i in range(0, 4):
            out = _integrate_y(zonal_kernel(i, d, dot) * Y, ys)
            expected = Yx if i == j else 0
            assert reduce_on_sphere(out - expected, xs) == 0


@pytest.mark.parametrize("d,p", [(2, 3), (3, 2), (3, 3)])
def test_space_kernel_reproduces_all_polynomials_of_degree_p(d, p):
    xs = sp.symbols(f"x0:{d}", real=True)
    ys = sp.symbols(f"y0:{d}", real=True)
    dot = sum(x * y for x, y in zip(xs, ys, strict=True))
    rng = random.Random(d * 10 + p)
    monos = sorted(sp.itermonomials(ys, p), key=sp.default_sort_key)
    q = sum(rng.randint(-3, 3) * m for m in monos)
    kern = space_kernel({j: 1 for j in range(p + 1)}, d, dot)
    out = _integrate_y(kern * q, ys)
    assert reduce_on_sphere(out - q.subs(dict(zip(ys, xs, strict=True))), xs) == 0
    # a wrong kernel (N(d,j) replaced by N(d,j+1)) is caught by the same check
    wrong = sum(harmonic_dim(d, j + 1) * gegenbauer(j, d, dot) for j in range(p + 1))
    out_w = _integrate_y(sp.expand(wrong) * q, ys)
    assert reduce_on_sphere(out_w - q.subs(dict(zip(ys, xs, strict=True))), xs) != 0


@pytest.mark.parametrize("d", [3, 4, 5])
def test_laplace_beltrami_eigenvalues(d):
    xs = sp.symbols(f"x0:{d}", real=True)
    for j in range(0, 5):
        Y = sp.expand(sp.re(sp.expand((xs[0] + sp.I * xs[1]) ** j)))
        assert sp.expand(laplace_beltrami(Y, xs) + eigenvalue(j, d) * Y) == 0
        # zonal function G_j(x_0) (not homogeneous): the relation holds on the sphere
        G = gegenbauer(j, d, xs[0])
        assert reduce_on_sphere(laplace_beltrami(G, xs) + eigenvalue(j, d) * G, xs) == 0
        # a wrong eigenvalue is caught
        if j > 0:
            assert reduce_on_sphere(laplace_beltrami(G, xs) + eigenvalue(j + 1, d) * G, xs) != 0


def test_green_identity_and_gradient_split_on_the_sphere():
    d = 3
    xs = sp.symbols(f"x0:{d}", real=True)
    rng = random.Random(3)
    monos = sorted(sp.itermonomials(xs, 3), key=sp.default_sort_key)
    f = sum(rng.randint(-2, 2) * m for m in monos)
    gS = tangential_gradient(f, xs)
    energy = monomial_integral(sum(g**2 for g in gS), xs)
    assert sp.simplify(energy + monomial_integral(f * laplace_beltrami(f, xs), xs)) == 0
    grad2 = sum(sp.diff(f, x) ** 2 for x in xs)
    split = sum(g**2 for g in gS) + euler_operator(f, xs) ** 2
    assert reduce_on_sphere(grad2 - split, xs) == 0


def test_poincare_inequality_on_random_polynomials():
    d = 4
    xs = sp.symbols(f"x0:{d}", real=True)
    rng = random.Random(5)
    monos = sorted(sp.itermonomials(xs, 2), key=sp.default_sort_key)
    for _ in range(3):
        f = sum(rng.randint(-2, 2) * m for m in monos)
        var = monomial_integral(f**2, xs) - monomial_integral(f, xs) ** 2
        energy = monomial_integral(sum(g**2 for g in tangential_gradient(f, xs)), xs)
        assert var <= energy / (d - 1)


@pytest.mark.parametrize("d", [3, 4])
def test_funk_hecke_projection(d):
    xs = sp.symbols(f"x0:{d}", real=True)
    p = 4
    M = funk_hecke_matrix(p, d)
    u = [sp.Rational(3, 5), sp.Rational(4, 5)] + [0] * (d - 2)
    ux = sum(a * x for a, x in zip(u, xs, strict=True))
    for m in range(p + 1):
        recon = sum(M[j, m] * harmonic_dim(d, j) * gegenbauer(j, d, ux) for j in range(p + 1))
        assert reduce_on_sphere(recon - ux**m, xs) == 0


def test_funk_hecke_symbolic_in_d():
    M = funk_hecke_matrix(2, D)
    assert sp.simplify(M[0, 2] - 1 / D) == 0
    assert sp.simplify(M[1, 1] - 1 / D) == 0
    assert sp.simplify(M[2, 2] - (D - 1) / (D * harmonic_dim(D, 2))) == 0


def test_degrees_and_numeric_tables():
    assert degrees(4, homogeneous=True) == (0, 2, 4)
    assert degrees(3, homogeneous=False) == (0, 1, 2, 3)
    for d, j in itertools.product(range(2, 8), range(0, 6)):
        assert harmonic_dim(d, j) == int(ss.comb(d + j - 1, j, exact=True)
                                         - (ss.comb(d + j - 3, j - 2, exact=True) if j >= 2 else 0))
    assert np.isclose(float(eigenvalue(3, 10)), 3 * 11)


def test_bad_input_raises_naming_argument():
    with pytest.raises(ValueError, match="d:"):
        sphere_moment((2,), 1)
    with pytest.raises(ValueError, match="alpha:"):
        sphere_moment((2, 2, 2), 2)
    with pytest.raises(ValueError, match="alpha:"):
        sphere_moment((-2,), 3)
    with pytest.raises(ValueError, match="j:"):
        harmonic_dim(3, -1)
    with pytest.raises(ValueError, match="j:"):
        gegenbauer(1.5, 3)
    with pytest.raises(ValueError, match="p:"):
        degrees(-1, homogeneous=True)
    with pytest.raises(ValueError, match="m:"):
        ridge_moment(-2, 3)


@given(st.integers(2, 12), st.integers(0, 5))
def test_zonal_kernel_diagonal_is_dimension(d, j):
    assert zonal_kernel(j, d).subs(sphere.t, 1) == harmonic_dim(d, j)
