r"""S3: symbolic pieces of adversarially trained random-features regression.

Model (docs/mathematics.md#s3-random-features; Hassani & Javanmard, Ann. Statist. 2024,
arXiv 2201.05149
[cited]): data :math:`x \sim N(0, I_d)`, :math:`y = \langle x, \beta\rangle + \xi`,
:math:`\xi \sim N(0, \tau^2)`, :math:`\|\beta\| = 1`; features
:math:`\sigma(w_\ell\cdot x)` with :math:`w_\ell` uniform on the unit sphere
:math:`S^{d-1}` and :math:`\sigma = \mathrm{relu} - 1/\sqrt{2\pi}`;
:math:`f(x) = \theta^T\sigma(Wx)`, :math:`N/d \to \psi_1`, :math:`n/d \to \psi_2`.

What is **derived here** (each identity re-derived or checked by sympy below):

1. Gaussian coefficients of :math:`\sigma` (:func:`sigma_gaussian_coefficients`):
   :math:`\mu_0 = \mathbb E\sigma(g) = 0`, :math:`\mu_1 = \mathbb E g\sigma(g) = 1/2`,
   :math:`\mathbb E\sigma(g)^2 = 1/2 - 1/(2\pi)`, hence
   :math:`\mu_\star^2 = \mathbb E\sigma^2 - \mu_1^2 = 1/4 - 1/(2\pi)` and
   :math:`\mu_\star^2/\mu_1^2 = 1 - 2/\pi`.
2. The orthant probability (:func:`orthant_probability`): for unit
   :math:`w, w'` at angle :math:`\phi` and rotation-invariant :math:`x`,
   :math:`P(w\cdot x > 0, w'\cdot x > 0) = (\pi - \phi)/(2\pi)` (in the plane of
   :math:`w, w'` the direction of :math:`x` is uniform and the two half-circles
   overlap in an arc of length :math:`\pi - \phi`).
3. **The J identity** (:func:`gradient_kernel_entry`): :math:`\nabla_x f(x) =
   W^T\operatorname{diag}(\mathbb 1[Wx > 0])\theta`, so

   .. math::

       \mathbb E_x\|W^T\operatorname{diag}(\mathbb 1[Wx>0])\theta\|^2 = \theta^T K\theta,
       \qquad K_{\ell m} = (w_\ell\cdot w_m)\,\frac{\pi - \arccos\rho_{\ell m}}{2\pi},

   :math:`\rho_{\ell m} = w_\ell\cdot w_m/(\|w_\ell\|\|w_m\|)`, exactly (for any
   rotation-invariant :math:`x` with :math:`P(x = 0) = 0`, in particular
   Gaussian). :math:`K` is positive semi-definite (a second moment), and any
   :math:`J` with :math:`J^TJ = K` works; the package uses :math:`J = K^{1/2}`.
4. The relu arc-cosine kernel (classical; Cho & Saul 2009)
   :math:`\kappa(\rho) = \mathbb E[\mathrm{relu}(g)\mathrm{relu}(g')] =
   (\sqrt{1-\rho^2} + \rho(\pi - \arccos\rho))/(2\pi)`, so the exact feature
   covariance is :math:`\mathbb E\sigma(w\cdot x)\sigma(w'\cdot x) = \kappa(\rho) -
   1/(2\pi)`; checked here: :math:`\kappa(1) = 1/2`, :math:`\kappa(0) = 1/(2\pi)`,
   :math:`\kappa'(\rho) = (\pi - \arccos\rho)/(2\pi)` (the orthant probability)
   and the expansion :math:`\kappa(\rho) - 1/(2\pi) = \rho/4 + \rho^2/(4\pi) +
   O(\rho^4)`.
5. **The constant** :math:`\sigma^2` (:func:`sigma2_expr`). The population-optimal
   random-features predictor (infinitely many samples, fixed :math:`W`) has error
   :math:`\tau^2 + \|\beta\|^2 - \tfrac14\beta^TW^TK_\sigma^{-1}W\beta` exactly
   (Stein: :math:`\mathbb E\sigma(Wx)\,x^T\beta = \tfrac12 W\beta`), with
   :math:`K_\sigma` the feature covariance. Averaging over :math:`\beta` uniform
   on the sphere is exact (:math:`\mathbb E\beta\beta^T = I/d`). Replacing
   :math:`K_\sigma` by its Gaussian-equivalent :math:`\mu_1^2WW^T + \mu_\star^2 I`
   [**heuristic here**: Gaussian equivalence, used and justified in the cited
   paper and in Mei & Montanari 2019] gives
   :math:`\tau^2 + 1 - \frac1d\operatorname{tr} WW^T(WW^T + cI)^{-1}`,
   :math:`c = 1 - 2/\pi`, and the Marchenko–Pastur limit of the spectrum of
   :math:`WW^T` [classical] gives

   .. math::

       \sigma^2 = \tau^2 + 1 - \psi_1\big(1 - c\, m(-c; \psi_1)\big),\qquad
       m(z;\psi) = \int\frac{\mu_\psi(d\lambda)}{\lambda - z}.

**Convention.** :math:`\mu_\psi` is the limit spectral law of the
:math:`N\times N` Gram matrix :math:`WW^T` (rows uniform on :math:`S^{d-1}`,
:math:`N/d\to\psi`): the Marchenko–Pastur law of ratio :math:`\psi`, atom
:math:`(1 - 1/\psi)_+` at 0 and support :math:`[(1-\sqrt\psi)^2, (1+\sqrt\psi)^2]`.
Its Stieltjes transform :math:`m(z) = \int \mu(d\lambda)/(\lambda - z)` solves
:math:`\psi z m^2 - (1 - \psi - z)m + 1 = 0` (:func:`mp_stieltjes_equation`).
The transcribed form of the cited constant, :math:`\sigma^2 = \tau^2 + 1 - \psi_1(1 + (1-2/\pi)
G(2/\pi - 1;\psi_1))`, is the same constant **iff** :math:`G` is the Cauchy transform
:math:`G(z) = \int \mu(d\lambda)/(z - \lambda) = -m(z)`; with :math:`G = +m` it would give
:math:`\sigma^2 < \tau^2` for :math:`\psi_1 \ge 1`, which is impossible for an
error. :func:`mp_cauchy_transform` is that :math:`G`. The match with simulation is tested in
``tests/numerics/test_random_features.py`` (extrapolation in :math:`1/d`).

What is **cited** (not re-derived): the asymptotically exact robust-error formula
via a saddle point (its sympy form is :mod:`theory.rf_saddle`), and the conclusion
that high overparametrization can hurt the robust error of the adversarially trained model.

Examples
--------
>>> sigma_gaussian_coefficients()["ratio"]
1 - 2/pi
>>> round(float(sigma2_expr().subs({psi1: 1, tau: 0})), 5)
0.44791
"""

from __future__ import annotations

from functools import cache

import sympy as sp

__all__ = [
    "MU0",
    "arccos_kernel",
    "gradient_kernel_entry",
    "mp_cauchy_transform",
    "mp_stieltjes",
    "mp_stieltjes_equation",
    "orthant_probability",
    "psi",
    "psi1",
    "rho",
    "sigma2_expr",
    "sigma2_cauchy_form",
    "sigma_expr",
    "sigma_gaussian_coefficients",
    "tau",
    "verify_identities",
    "z",
]

#: Symbols.
z = sp.Symbol("z", real=True)
psi = sp.Symbol("psi", positive=True)
psi1 = sp.Symbol("psi1", positive=True)
tau = sp.Symbol("tau", nonnegative=True)
rho = sp.Symbol("rho", real=True)
_g = sp.Symbol("g", real=True)
_phi = sp.Symbol("phi", nonnegative=True)

#: The centring constant :math:`\mathbb E\,\mathrm{relu}(g) = 1/\sqrt{2\pi}`.
MU0 = 1 / sp.sqrt(2 * sp.pi)


def sigma_expr() -> sp.Expr:
    r""":math:`\sigma(g) = \mathrm{relu}(g) - 1/\sqrt{2\pi}` (sympy, variable ``g``).

    Examples
    --------
    >>> sigma_expr().subs(sp.Symbol("g", real=True), 1)
    -sqrt(2)/(2*sqrt(pi)) + 1
    """
    return sp.Piecewise((0, _g < 0), (_g, True)) - MU0


def _gauss_mean(expr: sp.Expr) -> sp.Expr:
    r""":math:`\mathbb E\,\mathrm{expr}(g)`, g standard Gaussian, split at 0 (where the
    piecewise definition of :math:`\sigma` switches)."""
    dens = sp.exp(-_g**2 / 2) / sp.sqrt(2 * sp.pi)
    neg = expr.subs(_g, -sp.Symbol("s", positive=True)).subs(sp.Symbol("s", positive=True), -_g)
    pos = expr.subs(_g, sp.Symbol("s", positive=True)).subs(sp.Symbol("s", positive=True), _g)
    total = (sp.integrate(sp.piecewise_fold(neg) * dens, (_g, -sp.oo, 0))
             + sp.integrate(sp.piecewise_fold(pos) * dens, (_g, 0, sp.oo)))
    return sp.simplify(total)


@cache
def sigma_gaussian_coefficients() -> dict:
    r"""Gaussian coefficients of :math:`\sigma`, integrated by sympy.

    Returns ``mu0`` :math:`=\mathbb E\sigma(g)`, ``mu1`` :math:`=\mathbb E g\sigma(g)`,
    ``second_moment`` :math:`=\mathbb E\sigma(g)^2`, ``mu_star2``
    :math:`=\mathbb E\sigma^2 - \mu_0^2 - \mu_1^2`, ``ratio``
    :math:`=\mu_\star^2/\mu_1^2`.

    Examples
    --------
    >>> c = sigma_gaussian_coefficients()
    >>> c["mu0"], c["mu1"], c["mu_star2"]
    (0, 1/2, 1/4 - 1/(2*pi))
    """
    s = sigma_expr()
    mu0 = _gauss_mean(s)
    mu1 = _gauss_mean(_g * s)
    m2 = _gauss_mean(s**2)
    mu_star2 = sp.simplify(m2 - mu0**2 - mu1**2)
    return {"mu0": mu0, "mu1": mu1, "second_moment": m2, "mu_star2": sp.expand(mu_star2),
            "ratio": sp.expand(sp.simplify(mu_star2 / mu1**2))}


def orthant_probability(angle: sp.Expr = _phi) -> sp.Expr:
    r""":math:`P(w\cdot x > 0, w'\cdot x > 0)` for unit vectors at angle
    :math:`\phi\in[0,\pi]` and rotation-invariant :math:`x`.

    Derivation: in the plane of :math:`w = (1, 0)`, :math:`w' = (\cos\phi,
    \sin\phi)` the direction angle :math:`\alpha` of :math:`x` is uniform; the
    conditions are :math:`\alpha\in(-\pi/2, \pi/2)` and
    :math:`\alpha\in(\phi - \pi/2, \phi + \pi/2)`, whose intersection
    :math:`(\phi - \pi/2, \pi/2)` has length :math:`\pi - \phi`.

    Examples
    --------
    >>> orthant_probability(0), orthant_probability(sp.pi / 2)
    (1/2, 1/4)
    """
    a = sp.Symbol("alpha", real=True)
    lo = sp.Max(-sp.pi / 2, angle - sp.pi / 2)
    hi = sp.Min(sp.pi / 2, angle + sp.pi / 2)
    length = sp.integrate(1, (a, lo, hi))
    # for phi in [0, pi]: lo = phi - pi/2, hi = pi/2
    length = length.subs({lo: angle - sp.pi / 2, hi: sp.pi / 2})
    return sp.simplify(length / (2 * sp.pi))


def gradient_kernel_entry(inner: sp.Expr, corr: sp.Expr) -> sp.Expr:
    r""":math:`K_{\ell m} = (w_\ell\cdot w_m)(\pi - \arccos\rho_{\ell m})/(2\pi)`:
    the entry of :math:`K = \mathbb E[D(x)WW^TD(x)]`, :math:`D(x) =
    \operatorname{diag}(\mathbb 1[Wx > 0])`, so that
    :math:`\mathbb E\|W^TD(x)\theta\|^2 = \theta^TK\theta` [derived here].

    Parameters
    ----------
    inner : sympy.Expr
        :math:`w_\ell\cdot w_m`.
    corr : sympy.Expr
        :math:`\rho_{\ell m}` (the cosine of the angle).

    Examples
    --------
    >>> gradient_kernel_entry(1, 1)  # diagonal, unit rows: 1/2
    1/2
    """
    return sp.sympify(inner) * orthant_probability(sp.acos(sp.sympify(corr)))


def arccos_kernel(r: sp.Expr = rho) -> sp.Expr:
    r"""The relu arc-cosine kernel :math:`\kappa(\rho) = \mathbb E[\mathrm{relu}(g)
    \mathrm{relu}(g')]` for standard Gaussians with correlation :math:`\rho`
    [classical, Cho & Saul 2009]:
    :math:`(\sqrt{1-\rho^2} + \rho(\pi - \arccos\rho))/(2\pi)`.

    Examples
    --------
    >>> arccos_kernel(1), arccos_kernel(0)
    (1/2, 1/(2*pi))
    """
    r = sp.sympify(r)
    return (sp.sqrt(1 - r**2) + r * (sp.pi - sp.acos(r))) / (2 * sp.pi)


def mp_stieltjes_equation(m: sp.Expr, zz: sp.Expr = z, ratio: sp.Expr = psi) -> sp.Expr:
    r"""The self-consistent equation of the Marchenko–Pastur Stieltjes transform
    :math:`m(z) = \int\mu_\psi(d\lambda)/(\lambda - z)` for :math:`WW^T`
    (:math:`N\times N`, :math:`N/d = \psi`): the returned expression vanishes,

    .. math::  \psi z m^2 - (1 - \psi - z)m + 1 = 0.

    (Standard form :math:`m = 1/(1 - \psi - z - \psi z m)` for the sample
    covariance of ratio :math:`\psi`.)

    Examples
    --------
    >>> m = sp.Symbol("m")
    >>> sp.solve(mp_stieltjes_equation(m, z, 0), m)   # psi -> 0: WW^T -> I
    [-1/(z - 1)]
    """
    return ratio * zz * m**2 - (1 - ratio - zz) * m + 1


def mp_stieltjes(zz: sp.Expr = z, ratio: sp.Expr = psi) -> sp.Expr:
    r"""The branch of the solution of :func:`mp_stieltjes_equation` valid for real
    :math:`z < 0` (where :math:`m(z) > 0` and :math:`m(z)\sim -1/z` as
    :math:`z\to-\infty`):

    .. math::

        m(z;\psi) = \frac{(1 - \psi - z) - \sqrt{(1 - \psi - z)^2 - 4\psi z}}{2\psi z}.

    Examples
    --------
    >>> round(float(mp_stieltjes(-1, 1)), 6)   # (1 - sqrt(5)) / -2
    0.618034
    """
    u = 1 - ratio - zz
    return (u - sp.sqrt(u**2 - 4 * ratio * zz)) / (2 * ratio * zz)


def mp_cauchy_transform(zz: sp.Expr = z, ratio: sp.Expr = psi) -> sp.Expr:
    r"""The Cauchy transform of the Marchenko–Pastur law,
    :math:`G(z;\psi) = \int\mu_\psi(d\lambda)/(z - \lambda) = -m(z;\psi)`: the
    :math:`G` of the transcribed :math:`\sigma^2` formula (see the module docstring
    for why this is the only consistent reading).

    Examples
    --------
    >>> bool(float(mp_cauchy_transform(-1, 2)) < 0)
    True
    """
    return -mp_stieltjes(zz, ratio)


def sigma2_expr() -> sp.Expr:
    r""":math:`\sigma^2(\psi_1, \tau) = \tau^2 + 1 - \psi_1\big(1 - c\,m(-c;\psi_1)\big)`,
    :math:`c = \mu_\star^2/\mu_1^2 = 1 - 2/\pi` (derived here modulo Gaussian
    equivalence; see the module docstring). Symbols :data:`psi1`, :data:`tau`.

    Examples
    --------
    >>> round(float(sigma2_expr().subs({psi1: 2, tau: sp.Rational(1, 2)})), 5)
    0.4783
    """
    c = sigma_gaussian_coefficients()["ratio"]
    return tau**2 + 1 - psi1 * (1 - c * mp_stieltjes(-c, psi1))


def sigma2_cauchy_form() -> sp.Expr:
    r"""The transcribed form :math:`\tau^2 + 1 - \psi_1(1 + (1 - 2/\pi)G(2/\pi - 1;\psi_1))`
    with :math:`G` = :func:`mp_cauchy_transform`; equal to :func:`sigma2_expr` (checked in
    :func:`verify_identities`)."""
    return tau**2 + 1 - psi1 * (1 + (1 - 2 / sp.pi) * mp_cauchy_transform(2 / sp.pi - 1, psi1))


def verify_identities() -> dict[str, bool]:
    r"""Check every symbolic step of this module; returns name -> bool.

    Examples
    --------
    >>> all(verify_identities().values())
    True
    """
    out = {}
    c = sigma_gaussian_coefficients()
    out["mu0 = 0"] = c["mu0"] == 0
    out["mu1 = 1/2"] = c["mu1"] == sp.Rational(1, 2)
    out["mu_star^2 = 1/4 - 1/(2 pi)"] = sp.simplify(
        c["mu_star2"] - (sp.Rational(1, 4) - 1 / (2 * sp.pi))) == 0
    out["ratio = 1 - 2/pi"] = sp.simplify(c["ratio"] - (1 - 2 / sp.pi)) == 0
    out["orthant(phi) = (pi - phi)/(2 pi)"] = sp.simplify(
        orthant_probability(_phi) - (sp.pi - _phi) / (2 * sp.pi)) == 0
    # arcsin form of the orthant probability (Sheppard): 1/4 + asin(rho)/(2 pi)
    r = sp.Symbol("r", real=True)
    out["Sheppard arcsin form"] = sp.simplify(
        (orthant_probability(sp.acos(r)) - (sp.Rational(1, 4) + sp.asin(r) / (2 * sp.pi)))
        .rewrite(sp.asin)) == 0
    k = arccos_kernel(rho)
    out["kappa(1) = E relu^2 = 1/2"] = sp.simplify(k.subs(rho, 1)) == sp.Rational(1, 2)
    out["kappa(0) = mu0^2"] = sp.simplify(k.subs(rho, 0) - MU0**2) == 0
    out["kappa' = orthant"] = sp.simplify(
        sp.diff(k, rho) - orthant_probability(sp.acos(rho))) == 0
    series = sp.series(k - MU0**2, rho, 0, 4).removeO()
    out["kappa - 1/(2pi) = rho/4 + rho^2/(4pi) + O(rho^4)"] = sp.simplify(
        series - (rho / 4 + rho**2 / (4 * sp.pi))) == 0
    m = mp_stieltjes(z, psi)
    out["MP branch solves the equation"] = sp.simplify(mp_stieltjes_equation(m)) == 0
    out["MP branch ~ -1/z at -infinity"] = sp.limit(m * z, z, -sp.oo) == -1
    out["transcribed form = derived form"] = sp.simplify(sigma2_cauchy_form() - sigma2_expr()) == 0
    return out
