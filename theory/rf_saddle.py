r"""S3: the saddle-point formula for the robust error of adversarially trained
random features, as sympy expressions.

Source: Hassani & Javanmard, Ann. Statist. 2024 (arXiv 2201.05149), Theorem 4.2
[**cited**, from a third-party transcription; every term is confronted with
simulation in :mod:`numerics.experiments.rf_theory` and the tests]. The account is
``docs/mathematics.md#s3-random-features``.

Setting (as in :mod:`theory.random_features`): :math:`y = \langle x,\beta_0\rangle+\xi`,
:math:`x\sim N(0,I_d)`, :math:`\xi\sim N(0,\tau^2)`, :math:`f(x) = \theta^T\sigma(Wx)`
with unit-norm rows of ``W``, :math:`\sigma = \mathrm{relu} - 1/\sqrt{2\pi}`,
:math:`N/d\to\psi_1`, :math:`n/d\to\psi_2`, adversarial training with budget
:math:`\epsilon` and no ridge. With

.. math::

    S(z;\psi_1) = \frac{1-\psi_1-z-\sqrt{(1-\psi_1-z)^2-4\psi_1 z}}{-2\psi_1 z}
    \quad(z<0),\qquad
    c = \frac{\gamma(\tau_g+\beta)}{\epsilon\beta\sqrt{\alpha^2+\sigma^2}},

the objective is

.. math::

    \mathcal R = \frac{\tau_q}{2\alpha}(\tau^2+1-\sigma^2) - \frac{\alpha\tau_q}{2}
    + \frac{\beta\tau_g\psi_2}{2} + \frac{\beta(\sigma^2+\alpha^2)}{2(\tau_g+\beta)}
    + \mathbb 1\{c>\sqrt{2/\pi}\}\frac{\beta^2(\alpha^2+\sigma^2)}{2\tau_g(\tau_g+\beta)}
      \big(\operatorname{erf}(\nu/\sqrt2) - c\nu\big)
    - \frac{\alpha}{\tau_q}\sup_{0\le\lambda<1} G(\lambda),

.. math::

    G(\lambda) = \frac{\lambda\psi_1}{2}\Big\{\frac{\tau_q^2}{\alpha^2} + \beta^2
    + \Big(\frac{\tau_q^2}{\alpha^2}\big(1-\tfrac{2\lambda}{\pi}\big)
    + \tfrac{2}{\pi}(1-\lambda)\beta^2\Big) S\big(\tfrac{2\lambda}{\pi}-1;\psi_1\big)\Big\}
    - \frac{\lambda\gamma^2}{2(1-\lambda)},

:math:`\nu` the root of :math:`F(\nu) = c - (\beta/\tau_g)\nu - \nu\operatorname{erf}(\nu/\sqrt2)
- \sqrt{2/\pi}e^{-\nu^2/2}`, and the saddle point
:math:`\max_{\beta,\gamma,\tau_q\ge0}\min_{\alpha,\tau_g\ge0}\mathcal R`. The limit of
the adversarial risk at test budget :math:`\epsilon_{\rm test}` is

.. math::

    \mathrm{AR} = \Big[1 + \Big(\frac{\epsilon_{\rm test}\beta\nu}{\epsilon\tau_g}\Big)^2
    + 2\sqrt{\tfrac2\pi}\,\frac{\epsilon_{\rm test}\beta\nu}{\epsilon\tau_g}\Big]
    (\alpha^2+\sigma^2).

Reading (checked by simulation, not derived here): :math:`\alpha^2+\sigma^2` is the
standard (clean) risk, so :math:`\alpha^2` is the excess over the best reachable
error :math:`\sigma^2`, and :math:`\epsilon\,\|\nabla f\|` tends to
:math:`\epsilon\beta\nu\sqrt{\alpha^2+\sigma^2}/(\epsilon\tau_g)`, so AR is
:math:`\mathbb E(|r| + \epsilon_{\rm test}\|\nabla f\|)^2` with Gaussian residual
:math:`r` (:func:`verify_identities` checks this form).

What sympy checks here (:func:`verify_identities`): the root equation's
derivative :math:`F'(\nu) = -\beta/\tau_g - \operatorname{erf}(\nu/\sqrt2) < 0`
and :math:`F(0) = c - \sqrt{2/\pi}`, :math:`F(c\tau_g/\beta) < 0` (a root in
:math:`[0, c\tau_g/\beta]` exactly when the indicator is on); the limit
:math:`\epsilon_{\rm test}\to0` of AR is the standard risk; the transcribed
:math:`S` is the package's :func:`theory.random_features.mp_cauchy_transform` (minus the
Marchenko–Pastur Stieltjes branch) and solves
:math:`\psi_1zS^2 + (1-\psi_1-z)S + 1 = 0`; :math:`\sigma^2` is the package's
:func:`theory.random_features.sigma2_expr`.

Examples
--------
>>> sorted(str(s) for s in objective().free_symbols)[:4]
['alpha', 'beta', 'eps', 'gamma']
>>> float(root_equation().subs({nu: 0, c_sym: 1}))  # c - sqrt(2/pi)
0.20211543...
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theory import random_features as trf

__all__ = [
    "LATEX_NAMES",
    "SADDLE_MAX",
    "SADDLE_MIN",
    "adversarial_risk",
    "alpha",
    "beta",
    "c_expr",
    "c_sym",
    "eps",
    "eps_test",
    "gamma",
    "inner_G",
    "lam",
    "nu",
    "objective",
    "objective_parts",
    "psi1",
    "psi2",
    "root_equation",
    "S_transcribed",
    "sigma2",
    "tau",
    "tau_g",
    "tau_q",
    "verify_identities",
]

alpha = sp.Symbol("alpha", positive=True)
tau_g = sp.Symbol("tau_g", positive=True)
beta = sp.Symbol("beta", positive=True)
gamma = sp.Symbol("gamma", nonnegative=True)
tau_q = sp.Symbol("tau_q", positive=True)
nu = sp.Symbol("nu", nonnegative=True)
lam = sp.Symbol("lambda", nonnegative=True)
c_sym = sp.Symbol("c", positive=True)
psi1 = trf.psi1
psi2 = sp.Symbol("psi2", positive=True)
eps = sp.Symbol("eps", positive=True)
eps_test = sp.Symbol("eps_test", nonnegative=True)
tau = trf.tau
#: :math:`\sigma^2` kept as a symbol in :math:`\mathcal R`; substitute
#: :func:`theory.random_features.sigma2_expr` for its value.
sigma2 = sp.Symbol("sigma2", positive=True)

#: The minimizing and the maximizing coordinates of the saddle point.
SADDLE_MIN = (alpha, tau_g)
SADDLE_MAX = (beta, gamma, tau_q)

#: LaTeX names of every symbol used here.
LATEX_NAMES = {
    alpha: r"\alpha", tau_g: r"\tau_g", beta: r"\beta", gamma: r"\gamma",
    tau_q: r"\tau_q", nu: r"\nu", lam: r"\lambda", c_sym: "c", psi1: r"\psi_1",
    psi2: r"\psi_2", eps: r"\epsilon", eps_test: r"\epsilon_{\mathrm{test}}",
    tau: r"\tau", sigma2: r"\sigma^2",
}


def S_transcribed(zz: sp.Expr, ratio: sp.Expr = psi1) -> sp.Expr:
    r"""The transcription's :math:`S(z;\psi) = [1-\psi-z-\sqrt{(1-\psi-z)^2-4\psi z}]/(-2\psi z)`
    for :math:`z<0`; equal to :func:`theory.random_features.mp_cauchy_transform` (checked).

    Examples
    --------
    >>> round(float(S_transcribed(-1, 1)), 6)
    -0.618034
    """
    u = 1 - ratio - zz
    return (u - sp.sqrt(u**2 - 4 * ratio * zz)) / (-2 * ratio * zz)


def c_expr() -> sp.Expr:
    r""":math:`c = \gamma(\tau_g+\beta)/(\epsilon\beta\sqrt{\alpha^2+\sigma^2})`.

    Examples
    --------
    >>> c_expr().subs({gamma: 1, tau_g: 1, beta: 1, eps: 2, alpha: 0, sigma2: 1})
    1
    """
    return gamma * (tau_g + beta) / (eps * beta * sp.sqrt(alpha**2 + sigma2))


def root_equation(cc: sp.Expr = c_sym) -> sp.Expr:
    r""":math:`F(\nu) = c - (\beta/\tau_g)\nu - \nu\operatorname{erf}(\nu/\sqrt2)
    - \sqrt{2/\pi}e^{-\nu^2/2}`; :math:`\nu` is its root on :math:`\nu\ge0`.

    Examples
    --------
    >>> sp.simplify(sp.diff(root_equation(), nu) + beta / tau_g + sp.erf(nu / sp.sqrt(2)))
    0
    """
    return (cc - (beta / tau_g) * nu - nu * sp.erf(nu / sp.sqrt(2))
            - sp.sqrt(2 / sp.pi) * sp.exp(-nu**2 / 2))


def inner_G(two_over_pi: sp.Expr = 2 / sp.pi) -> sp.Expr:
    r"""The function :math:`G(\lambda)` whose supremum over :math:`0\le\lambda<1`
    enters :math:`\mathcal R` (module docstring), with the transcribed :math:`S`.
    ``two_over_pi`` is the factor in front of :math:`(1-\lambda)\beta^2` (a
    different value gives a deliberately wrong formula, for the tests).

    Examples
    --------
    >>> inner_G().subs(lam, 0)
    0
    """
    a = tau_q**2 / alpha**2
    s = S_transcribed(2 * lam / sp.pi - 1, psi1)
    return (lam * psi1 / 2 * (a + beta**2 + (a * (1 - 2 * lam / sp.pi)
                                             + two_over_pi * (1 - lam) * beta**2) * s)
            - lam * gamma**2 / (2 * (1 - lam)))


def objective_parts(cc: sp.Expr = c_sym, G_sup: sp.Expr | None = None) -> dict[str, sp.Expr]:
    r"""The terms of :math:`\mathcal R`: ``smooth`` (the first four), ``ind``
    (the term multiplied by :math:`\mathbb 1\{c>\sqrt{2/\pi}\}`, written with
    :math:`c` = ``cc`` and the symbol :data:`nu`) and ``inner``
    (:math:`-(\alpha/\tau_q)G`, with ``G_sup`` standing for the supremum; by
    default :func:`inner_G` at the symbol :data:`lam`).

    Examples
    --------
    >>> sorted(objective_parts())
    ['ind', 'inner', 'smooth']
    """
    G = inner_G() if G_sup is None else G_sup
    smooth = (tau_q / (2 * alpha) * (tau**2 + 1 - sigma2) - alpha * tau_q / 2
              + beta * tau_g * psi2 / 2 + beta * (sigma2 + alpha**2) / (2 * (tau_g + beta)))
    ind = (beta**2 * (alpha**2 + sigma2) / (2 * tau_g * (tau_g + beta))
           * (sp.erf(nu / sp.sqrt(2)) - cc * nu))
    return {"smooth": smooth, "ind": ind, "inner": -(alpha / tau_q) * G}


@cache
def objective() -> sp.Expr:
    r""":math:`\mathcal R` as one sympy expression, with :math:`c` substituted, the
    indicator as a ``Piecewise``, and the supremum written as :func:`inner_G` at the
    (free) symbol :data:`lam` (the numerics maximize over it) and :data:`nu`
    standing for the root of :func:`root_equation`.

    Examples
    --------
    >>> objective().has(sp.Piecewise)
    True
    """
    p = objective_parts(c_expr())
    ind = sp.Piecewise((p["ind"], c_expr() > sp.sqrt(2 / sp.pi)), (0, True))
    return p["smooth"] + ind + p["inner"]


def adversarial_risk() -> sp.Expr:
    r"""The limit of the adversarial risk,
    :math:`[1 + (\epsilon_{\rm test}\beta\nu/(\epsilon\tau_g))^2 + 2\sqrt{2/\pi}\,
    \epsilon_{\rm test}\beta\nu/(\epsilon\tau_g)](\alpha^2+\sigma^2)`.

    Examples
    --------
    >>> sp.simplify(adversarial_risk().subs(eps_test, 0))
    alpha**2 + sigma2
    """
    g = eps_test * beta * nu / (eps * tau_g)
    return (1 + g**2 + 2 * sp.sqrt(2 / sp.pi) * g) * (alpha**2 + sigma2)


def verify_identities() -> dict[str, bool]:
    r"""Every algebraic fact of the module docstring, checked by sympy.

    Examples
    --------
    >>> all(verify_identities().values())
    True
    """
    out = {}
    F = root_equation()
    out["F'(nu) = -beta/tau_g - erf(nu/sqrt 2)"] = sp.simplify(
        sp.diff(F, nu) - (-beta / tau_g - sp.erf(nu / sp.sqrt(2)))) == 0
    out["F(0) = c - sqrt(2/pi)"] = sp.simplify(F.subs(nu, 0) - (c_sym - sp.sqrt(2 / sp.pi))) == 0
    top = F.subs(nu, c_sym * tau_g / beta)
    expect = -(c_sym * tau_g / beta) * sp.erf(c_sym * tau_g / (beta * sp.sqrt(2))) - sp.sqrt(
        2 / sp.pi) * sp.exp(-(c_sym * tau_g / beta)**2 / 2)
    out["F(c tau_g/beta) = -nu erf - sqrt(2/pi) e^{-nu^2/2} < 0"] = sp.simplify(
        top - expect) == 0 and bool(expect.is_negative)
    ar = adversarial_risk()
    out["AR -> alpha^2 + sigma^2 as eps_test -> 0"] = sp.simplify(
        sp.limit(ar, eps_test, 0) - (alpha**2 + sigma2)) == 0
    # AR = E(|r| + e g)^2 for r ~ N(0, v): v + 2 e g sqrt(2 v/pi) + e^2 g^2
    v = alpha**2 + sigma2
    gnorm = beta * nu * sp.sqrt(v) / (eps * tau_g)
    diff = ar - (v + 2 * eps_test * gnorm * sp.sqrt(2 / sp.pi) * sp.sqrt(v)
                 + eps_test**2 * gnorm**2)
    out["AR = E(|r| + eps_test ||grad f||)^2, r Gaussian"] = sp.simplify(
        sp.expand(diff)) == 0
    zneg = sp.Symbol("zneg", negative=True)
    Sz = S_transcribed(zneg, psi1)
    out["transcribed S = Cauchy transform G = -MP branch"] = sp.simplify(
        Sz - trf.mp_cauchy_transform(zneg, psi1)) == 0
    out["S solves psi z S^2 + (1 - psi - z) S + 1 = 0"] = sp.simplify(
        psi1 * zneg * Sz**2 + (1 - psi1 - zneg) * Sz + 1) == 0
    out["sigma^2 (transcribed S) = package sigma2_expr"] = sp.simplify(
        (tau**2 + 1 - psi1 * (1 + (1 - 2 / sp.pi) * S_transcribed(2 / sp.pi - 1, psi1)))
        - trf.sigma2_expr()) == 0
    out["G(0) = 0"] = sp.simplify(inner_G().subs(lam, 0)) == 0
    return out
