"""Tests of theory.energy: the R4 bounds, exact checks of the energy formula and the
parameter count, and the symbolic regime heuristic."""

import random

import pytest
import sympy as sp

from theory import energy, sphere
from theory.bounds import all_bounds, get_bound
from theory.energy import (
    energy_identity_terms,
    heuristic_energy,
    heuristic_ratio,
    parameter_count_ratio,
)
from theory.tensors import network_polynomial


def test_bounds_registered_with_status():
    keys = {b.key for b in all_bounds()}
    assert {"R4", "R4.ball", "R4.params", "R4.regime", "R4.combined"} <= keys
    assert get_bound("R4").status == "proved" and get_bound("R4.ball").status == "proved"
    assert get_bound("R4.params").status == "proved"
    assert get_bound("R4.regime").status == "heuristic"
    assert get_bound("R4.combined").status == "heuristic"
    assert get_bound("R4").evaluate(E_min=16.0) == pytest.approx(4.0)
    assert get_bound("R4.params").evaluate(n=30, d=5) == pytest.approx(5.0)
    assert "exact_fit" in get_bound("R4").hypothesis_names


def test_heuristic_symbolic_form_and_limits():
    p, d, c = sp.symbols("p d c", positive=True)
    assert sp.simplify(heuristic_energy(p, d, c) - p * (p + d - 2) * c / (1 - c)) == 0
    assert heuristic_energy(2, 8, sp.Rational(1, 2)) == 16
    D = sp.Symbol("D", positive=True)
    for pv in (2, 3, 5):
        lim = sp.limit(heuristic_ratio(pv, D, c), D, sp.oo)
        assert sp.simplify(lim - sp.sqrt(pv * c / (1 - c))) == 0
    assert parameter_count_ratio(8) == 3 and parameter_count_ratio(9, biases=False) == 3
    reg = get_bound("R4.regime").regime("poly", p=3)
    assert sp.simplify(reg.leading - energy.c_N * d * energy.p / (1 - energy.c_N)) == 0


def _circle_points():
    return [(1, 0), (0, 1), (sp.Rational(3, 5), sp.Rational(4, 5)),
            (sp.Rational(-4, 5), sp.Rational(3, 5)), (sp.Rational(5, 13), sp.Rational(12, 13))]


def _formula(points, ys, weights, free, d):
    """E_min from the closed formula with the theory's kernel (exact)."""
    t = sphere.t
    kern = sphere.space_kernel(weights, d)
    n = len(points)
    K = sp.Matrix(n, n, lambda i, j: kern.subs(t, sum(a * b for a, b in zip(
        points[i], points[j], strict=True))))
    y = sp.Matrix(ys)
    one = sp.ones(n, 1)
    Ki = K.inv()
    val = (y.T * Ki * y)[0]
    if free:
        val -= (one.T * Ki * y)[0] ** 2 / (one.T * Ki * one)[0]
    return sp.simplify(val)


def _unique_interpolant_energy(points, ys, basis, xs):
    cs = sp.symbols(f"c0:{len(basis)}")
    g = sum(c * b for c, b in zip(cs, basis, strict=True))
    eqs = [g.subs(dict(zip(xs, pt, strict=True))) - yv for pt, yv in zip(points, ys, strict=True)]
    sol = sp.solve(eqs, cs, dict=True)[0]
    g = g.subs(sol)
    grad = sphere.tangential_gradient(g, xs)
    return sp.simplify(sphere.monomial_integral(sum(gi**2 for gi in grad), xs))


def test_min_energy_formula_exact_full_quadratics_on_circle():
    # d = 2, p = 2 with biases: V = H0 + H1 + H2 (dim 5), 4 points: the interpolants form
    # a line g = c0 + h(c0); minimize the energy over c0 exactly
    xs = sp.symbols("x y", real=True)
    x, y = xs
    pts = _circle_points()[:4]
    ys = [1, -1, 1, -1]
    c0 = sp.Symbol("c0")
    cs = sp.symbols("c1:5")
    h = sum(c * b for c, b in zip(cs, [x, y, x**2 - y**2, x * y], strict=True))
    eqs = [(c0 + h).subs(dict(zip(xs, pt, strict=True))) - v for pt, v in zip(pts, ys, strict=True)]
    g = (c0 + h).subs(sp.solve(eqs, cs, dict=True)[0])
    energy_c0 = sphere.monomial_integral(sum(t**2 for t in sphere.tangential_gradient(g, xs)), xs)
    best = sp.solve(sp.diff(energy_c0, c0), c0)[0]
    exact = sp.simplify(energy_c0.subs(c0, best))
    weights = {j: 1 / sphere.eigenvalue(j, 2) for j in (1, 2)}
    assert sp.simplify(_formula(pts, ys, weights, True, 2) - exact) == 0
    # the wrong certificate (lambda_j -> lambda_{j+1}) overclaims on the same instance
    wrong = {j: 1 / sphere.eigenvalue(j + 1, 2) for j in (1, 2)}
    assert _formula(pts, ys, wrong, True, 2) > exact


def test_min_energy_formula_exact_linear_on_sphere():
    # d = 3, p = 1 homogeneous: unique interpolant c.x with 3 points
    xs = sp.symbols("x0:3", real=True)
    pts = [(sp.Rational(3, 5), sp.Rational(4, 5), 0), (0, 0, 1), (1, 0, 0)]
    ys = [1, -1, 1]
    exact = _unique_interpolant_energy(pts, ys, list(xs), xs)
    assert sp.simplify(_formula(pts, ys, {1: sp.Rational(1, 2)}, False, 3) - exact) == 0
    # ball version: E|grad g|^2 = |c|^2 = (lambda_1 + 1) E g^2
    c = sp.Matrix(pts).solve(sp.Matrix(ys))
    assert sp.simplify(_formula(pts, ys, {1: sp.Rational(1, 3)}, False, 3) - c.dot(c)) == 0


@pytest.mark.parametrize("d,p", [(3, 2), (3, 3), (2, 3)])
def test_green_identity_by_harmonic_projection(d, p):
    xs = sp.symbols(f"x0:{d}", real=True)
    ys = sp.symbols(f"y0:{d}", real=True)
    dot = sum(a * b for a, b in zip(xs, ys, strict=True))
    rng = random.Random(d + 10 * p)
    g = sum(rng.randint(-2, 2) * m for m in sp.itermonomials(xs, p))
    gy = g.subs(dict(zip(xs, ys, strict=True)))
    energy_direct = sphere.monomial_integral(
        sum(t**2 for t in sphere.tangential_gradient(g, xs)), xs)
    total, wrong = 0, 0
    for j in range(p + 1):
        gj = sphere.monomial_integral(sphere.zonal_kernel(j, d, dot) * gy, ys)  # proj onto H_j
        norm2 = sphere.monomial_integral(sp.expand(gj**2), xs)
        if j > 0:
            terms = energy_identity_terms(j, d)
            assert terms["lambda"] == sphere.eigenvalue(j, d)
            total += terms["lambda"] * norm2
            wrong += sphere.eigenvalue(j + 1, d) * norm2
    assert sp.simplify(total - energy_direct) == 0
    assert sp.simplify(wrong - energy_direct) != 0


@pytest.mark.parametrize("k,d,p,biases", [(2, 2, 2, True), (2, 3, 3, False), (3, 2, 3, True)])
def test_parameter_count_jacobian_rank(k, d, p, biases):
    # rank of d(f(x_i))/d(theta) <= k(d+1) with biases (kd without): scaling redundancy
    rng = random.Random(k + d + p)
    a = sp.symbols(f"a0:{k}")
    W = [[sp.Symbol(f"w{i}{j}") for j in range(d)] for i in range(k)]
    b = list(sp.symbols(f"b0:{k}")) if biases else None
    params = list(a) + [w for row in W for w in row] + (b or [])
    n = len(params) + 2
    xs = sp.symbols(f"x0:{d}")
    f = network_polynomial(a, W, b, p, xs)
    pts = [[sp.Rational(rng.randint(-9, 9), rng.randint(1, 9)) for _ in range(d)] for _ in range(n)]
    vals = {s: sp.Rational(rng.choice([-1, 1]) * rng.randint(1, 9), rng.randint(1, 5))
            for s in params}
    J = sp.Matrix([[sp.diff(f, s).subs(dict(zip(xs, pt, strict=True))).subs(vals)
                    for s in params] for pt in pts])
    bound = k * (d + 1) if biases else k * d
    rank = J.rank()
    assert rank <= bound < len(params)
    if biases:  # the wrong count kd (biases ignored) is caught by the same check
        assert rank > k * d
