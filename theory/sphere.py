r"""The unit sphere :math:`S^{d-1}`: moments, spherical harmonics, kernels (sympy).

Everything here is exact and, where possible, symbolic in the dimension ``d``.
:math:`\sigma` is the normalized surface measure on :math:`S^{d-1}`.

- Moments: :math:`\mathbb E_\sigma x^\alpha = 0` unless every :math:`\alpha_i` is
  even, else :math:`\prod_i (\alpha_i - 1)!! / (d(d+2)\cdots(d+|\alpha|-2))`.
- :math:`N(d,j) = \binom{d+j-1}{j} - \binom{d+j-3}{j-2}` = dim :math:`H_j`
  (harmonics of degree j), :math:`\lambda_j = j(j+d-2)`, so
  :math:`\Delta_S Y = -\lambda_j Y` on :math:`H_j`.
- Normalized Gegenbauer polynomials :math:`G_j` with :math:`G_j(1) = 1`, defined by
  the three-term recurrence (valid for every :math:`d \ge 2`; Chebyshev
  :math:`T_j` for d = 2, Legendre for d = 3)

  .. math::
     G_0 = 1,\quad G_1 = t,\quad (j+d-2)\,G_{j+1} = (2j+d-2)\,t\,G_j - j\,G_{j-1}.

- Reproducing kernel of :math:`H_j` in :math:`L^2(\sigma)`:
  :math:`Z_j(x, x') = N(d,j)\,G_j(x\cdot x')`; of :math:`\bigoplus_{j\in J} H_j`:
  :math:`\sum_{j\in J} Z_j`.
- Funk–Hecke: for a unit vector u and a polynomial h,
  :math:`\mathrm{proj}_{H_j} h(u\cdot x) = \mu_j(h)\, N(d,j)\, G_j(u\cdot x)` with
  :math:`\mu_j(h) = \mathbb E_\sigma[h(x_1) G_j(x_1)]`.
- Laplace–Beltrami on the sphere, with the Euler operator :math:`E = x\cdot\nabla`:
  :math:`\Delta_S f = \Delta f - E^2 f - (d-2) E f` on :math:`S^{d-1}`, and
  :math:`\nabla_S f = \nabla f - x\,(x\cdot\nabla f)`.

Numeric code (:mod:`numerics.construct.polynomial`) evaluates these same expressions.

Examples
--------
>>> d = sp.Symbol("d", positive=True, integer=True)
>>> sphere_moment((2, 2), d)
1/(d*(d + 2))
>>> harmonic_dim(3, 2), eigenvalue(2, 3)
(5, 6)
>>> gegenbauer(2, 3)
3*t**2/2 - 1/2
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

__all__ = [
    "t",
    "sphere_moment",
    "ridge_moment",
    "monomial_integral",
    "harmonic_dim",
    "homogeneous_dim_on_sphere",
    "polynomial_dim_on_sphere",
    "eigenvalue",
    "gegenbauer",
    "zonal_kernel",
    "space_kernel",
    "funk_hecke_matrix",
    "laplace_beltrami",
    "tangential_gradient",
    "euler_operator",
    "degrees",
    "reduce_on_sphere",
]

#: The kernel / Gegenbauer variable (an inner product in [-1, 1]).
t = sp.Symbol("t", real=True)


def _dim(d):
    """Validate d: a sympy symbol/expression or an integer >= 2."""
    d = sp.sympify(d)
    if d.is_number:
        if not (d.is_integer and d >= 2):
            raise ValueError(f"d: must be an integer >= 2 (the sphere S^(d-1)), got {d}")
    return d


def _deg(j, name: str = "j") -> int:
    if isinstance(j, bool) or not isinstance(j, int) or j < 0:
        raise ValueError(f"{name}: must be a non-negative int, got {j!r}")
    return j


def sphere_moment(alpha: Sequence[int], d) -> sp.Expr:
    r"""Exact moment :math:`\mathbb E_\sigma \prod_i x_i^{\alpha_i}` on :math:`S^{d-1}`.

    .. math::
        \mathbb E_\sigma x^\alpha = \frac{\prod_i (\alpha_i-1)!!}{\prod_{r=0}^{|\alpha|/2-1} (d+2r)}
        \quad\text{if every } \alpha_i \text{ is even, else } 0.

    Parameters
    ----------
    alpha : sequence of int
        Exponents (length <= d when d is a number; the remaining coordinates
        carry exponent 0).
    d : int or sympy expression
        Ambient dimension (may be a symbol).

    Examples
    --------
    >>> sphere_moment((4,), 3)
    1/5
    >>> sphere_moment((1, 1), 3)
    0
    """
    d = _dim(d)
    alpha = [_deg(a, "alpha") for a in alpha]
    if d.is_number and len(alpha) > int(d):
        raise ValueError(f"alpha: has {len(alpha)} entries but d = {d}")
    if any(a % 2 for a in alpha):
        return sp.Integer(0)
    num = sp.Integer(1)
    for a in alpha:
        num *= sp.factorial2(a - 1)
    den = sp.Integer(1)
    for r in range(sum(alpha) // 2):
        den *= d + 2 * r
    return sp.simplify(num / den)


def ridge_moment(m: int, d) -> sp.Expr:
    r""":math:`\mathbb E_\sigma (u\cdot x)^m` for a unit vector u (the moment
    of :math:`x_1`): :math:`(m-1)!!/(d(d+2)\cdots(d+m-2))` for even m, else 0.

    >>> ridge_moment(2, 5)
    1/5
    """
    return sphere_moment((_deg(m, "m"),), d)


def monomial_integral(poly: sp.Expr, xs: Sequence[sp.Symbol], d=None) -> sp.Expr:
    r""":math:`\mathbb E_\sigma[\text{poly}(x)]` for a polynomial in the coordinates
    ``xs`` (other symbols are treated as constants), by linearity and
    :func:`sphere_moment`. ``d`` defaults to ``len(xs)``.

    >>> x1, x2 = sp.symbols("x1 x2")
    >>> monomial_integral(x1**2 + 3*x1*x2, (x1, x2))
    1/2
    """
    xs = tuple(xs)
    d = len(xs) if d is None else d
    P = sp.Poly(sp.expand(poly), *xs)
    total = sp.Integer(0)
    for monom, coeff in P.terms():
        total += coeff * sphere_moment(monom, d)
    return sp.simplify(total)


def harmonic_dim(d, j: int) -> sp.Expr:
    r""":math:`N(d,j) = \dim H_j = \binom{d+j-1}{j} - \binom{d+j-3}{j-2}`
    (second term absent for j < 2). Symbolic in d if d is a symbol.

    >>> d = sp.Symbol("d")
    >>> harmonic_dim(d, 2)
    d**2/2 + d/2 - 1
    >>> harmonic_dim(2, 5)
    2
    """
    d = _dim(d)
    j = _deg(j)
    val = sp.expand_func(sp.binomial(d + j - 1, j))
    if j >= 2:
        val -= sp.expand_func(sp.binomial(d + j - 3, j - 2))
    return sp.expand(val)


def homogeneous_dim_on_sphere(d, p: int) -> sp.Expr:
    r"""Dimension of the restrictions to :math:`S^{d-1}` of homogeneous polynomials
    of degree p: :math:`\sum_{j\le p,\ j\equiv p\ (2)} N(d,j) = \binom{d+p-1}{p}`
    (restriction is injective on homogeneous polynomials). Computed as the sum.

    >>> homogeneous_dim_on_sphere(4, 3)
    20
    """
    return sp.expand(sum(harmonic_dim(d, j) for j in degrees(p, homogeneous=True)))


def polynomial_dim_on_sphere(d, p: int) -> sp.Expr:
    r"""Dimension of the restrictions to :math:`S^{d-1}` of all polynomials of
    degree <= p: :math:`\sum_{j\le p} N(d,j) = \binom{d+p-1}{p} + \binom{d+p-2}{p-1}`
    (smaller than :math:`\binom{d+p}{p}` because :math:`\|x\|^2 = 1` on S).

    >>> polynomial_dim_on_sphere(3, 2)
    9
    """
    return sp.expand(sum(harmonic_dim(d, j) for j in degrees(p, homogeneous=False)))


def degrees(p: int, *, homogeneous: bool) -> tuple[int, ...]:
    r"""Harmonic degrees of the restriction to S of degree-p networks
    :math:`\sum_\ell a_\ell (w_\ell\cdot x + b_\ell)^p`: all of 0..p with biases,
    :math:`\{j \le p : j \equiv p \bmod 2\}` without.

    >>> degrees(3, homogeneous=True), degrees(2, homogeneous=False)
    ((1, 3), (0, 1, 2))
    """
    p = _deg(p, "p")
    if homogeneous:
        return tuple(j for j in range(p + 1) if (p - j) % 2 == 0)
    return tuple(range(p + 1))


def eigenvalue(j: int, d) -> sp.Expr:
    r""":math:`\lambda_j = j(j+d-2)`: :math:`\Delta_S Y = -\lambda_j Y` for
    :math:`Y \in H_j`.

    >>> eigenvalue(3, sp.Symbol("d"))
    3*d + 3
    """
    return sp.expand(_deg(j) * (j + _dim(d) - 2))


_GEGENBAUER_CACHE: dict = {}


def gegenbauer(j: int, d, var: sp.Symbol = t) -> sp.Expr:
    r"""Normalized Gegenbauer polynomial :math:`G_j` for :math:`S^{d-1}`
    (:math:`G_j(1) = 1`), from the recurrence
    :math:`(j+d-2)G_{j+1} = (2j+d-2)\,t\,G_j - j\,G_{j-1}`, :math:`G_0=1, G_1=t`.

    Equals :math:`C_j^{((d-2)/2)}(t)/C_j^{((d-2)/2)}(1)` for d >= 3 and the
    Chebyshev polynomial :math:`T_j` for d = 2. Symbolic in d if d is a symbol.

    >>> gegenbauer(3, 2)
    4*t**3 - 3*t
    >>> gegenbauer(2, sp.Symbol("d"))
    (d*t**2 - 1)/(d - 1)
    """
    d = _dim(d)
    j = _deg(j)
    key = (j, d)
    if key not in _GEGENBAUER_CACHE:
        g = [sp.Integer(1), t]
        for i in range(1, j):
            g.append(sp.factor(sp.expand(((2 * i + d - 2) * t * g[i] - i * g[i - 1])
                                         / (i + d - 2))))
        _GEGENBAUER_CACHE[key] = g[j] if d.is_symbol else sp.expand(g[j])
    out = _GEGENBAUER_CACHE[key]
    return out if var is t else out.subs(t, var)


def zonal_kernel(j: int, d, var: sp.Symbol = t) -> sp.Expr:
    r"""Reproducing kernel of :math:`H_j` in :math:`L^2(\sigma)` as a function of
    :math:`t = x\cdot x'`: :math:`Z_j(t) = N(d,j)\,G_j(t)`.

    >>> zonal_kernel(1, 3)
    3*t
    """
    return sp.expand(harmonic_dim(d, j) * gegenbauer(j, d, var))


def space_kernel(weights: dict[int, sp.Expr], d, var: sp.Symbol = t) -> sp.Expr:
    r"""The zonal kernel :math:`\kappa(t) = \sum_j w_j N(d,j) G_j(t)` as one
    polynomial in t (exact coefficients).

    With :math:`w_j = 1` on J it reproduces :math:`\bigoplus_{j\in J} H_j` in
    :math:`L^2(\sigma)`; with :math:`w_j = 1/\lambda_j` it reproduces the
    non-constant part of that space for the Dirichlet form
    :math:`\mathbb E_\sigma\|\nabla_S g\|^2`; with :math:`w_j = 1/(\lambda_j+p^2)`
    the full-gradient form of homogeneous degree-p polynomials.

    >>> space_kernel({0: 1, 1: 1}, 3)
    3*t + 1
    """
    out = sp.Integer(0)
    for j, w in weights.items():
        out += sp.sympify(w) * zonal_kernel(j, d, var)
    return sp.expand(out)


def funk_hecke_matrix(p: int, d) -> sp.Matrix:
    r"""Exact matrix :math:`M_{jm} = \mathbb E_\sigma[x_1^m G_j(x_1)]`,
    :math:`0 \le j, m \le p`.

    Funk–Hecke: for unit u, the :math:`H_j` component of :math:`(u\cdot x)^m` is
    :math:`M_{jm} N(d,j) G_j(u\cdot x)`, so a ridge polynomial
    :math:`h(u\cdot x) = \sum_m h_m (u\cdot x)^m` has
    :math:`\mathrm{proj}_{H_j} = (\sum_m M_{jm} h_m)\, N(d,j)\, G_j(u\cdot x)`.
    Zero unless :math:`m \ge j` and :math:`m \equiv j \bmod 2`.

    >>> funk_hecke_matrix(2, 3)
    Matrix([
    [1,   0, 1/3],
    [0, 1/3,   0],
    [0,   0, 2/15]])
    """
    p = _deg(p, "p")
    d = _dim(d)
    M = sp.zeros(p + 1, p + 1)
    for j in range(p + 1):
        coeffs = sp.Poly(gegenbauer(j, d), t).all_coeffs()[::-1]  # ascending
        for m in range(p + 1):
            if m < j or (m - j) % 2:
                continue
            M[j, m] = sp.simplify(sum(c * ridge_moment(m + e, d) for e, c in enumerate(coeffs)))
    return M


def euler_operator(f: sp.Expr, xs: Sequence[sp.Symbol]) -> sp.Expr:
    r""":math:`E f = x\cdot\nabla f` (equals :math:`q f` for f homogeneous of degree q).

    >>> x, y = sp.symbols("x y")
    >>> sp.expand(euler_operator(x**2*y, (x, y)))
    3*x**2*y
    """
    return sp.expand(sum(x * sp.diff(f, x) for x in xs))


def tangential_gradient(f: sp.Expr, xs: Sequence[sp.Symbol]) -> list[sp.Expr]:
    r""":math:`\nabla_S f = \nabla f - x\,(x\cdot\nabla f)` (valid on the sphere)."""
    g = [sp.diff(f, x) for x in xs]
    r = sum(x * gi for x, gi in zip(xs, g, strict=True))
    return [sp.expand(gi - x * r) for x, gi in zip(xs, g, strict=True)]


def laplace_beltrami(f: sp.Expr, xs: Sequence[sp.Symbol]) -> sp.Expr:
    r"""Laplace–Beltrami operator on :math:`S^{d-1}` applied to a function given
    on a neighbourhood, valid on the sphere:

    .. math:: \Delta_S f = \Delta f - E^2 f - (d-2)\,E f,\qquad E = x\cdot\nabla,

    (from :math:`\Delta = \partial_r^2 + \tfrac{d-1}{r}\partial_r + r^{-2}\Delta_S` and
    :math:`E^2 = r^2\partial_r^2 + r\partial_r`). For f homogeneous of degree q this
    is :math:`\Delta f - q(q+d-2) f`.

    >>> x, y, z = sp.symbols("x y z")
    >>> laplace_beltrami(x*y, (x, y, z))
    -6*x*y
    """
    xs = tuple(xs)
    d = len(xs)
    lap = sum(sp.diff(f, x, 2) for x in xs)
    ef = euler_operator(f, xs)
    return sp.expand(lap - euler_operator(ef, xs) - (d - 2) * ef)


def reduce_on_sphere(f: sp.Expr, xs: Sequence[sp.Symbol]) -> sp.Expr:
    r"""Canonical representative of a polynomial modulo :math:`\|x\|^2 - 1`:
    the remainder of division by :math:`x_1^2 + \dots + x_d^2 - 1` in
    :math:`x_1` (monic in :math:`x_1`, so the remainder is unique). Two polynomials
    agree on :math:`S^{d-1}` (d >= 2) iff their representatives are equal.

    >>> x, y = sp.symbols("x y")
    >>> reduce_on_sphere(x**2 + y**2, (x, y))
    1
    """
    xs = tuple(xs)
    s = sum(x**2 for x in xs) - 1
    return sp.expand(sp.rem(sp.expand(f), s, xs[0]))
