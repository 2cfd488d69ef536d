r"""R2, the spectral-norm law for random labels, with :math:`C_\delta` and :math:`C'_\delta`.

Statements and proofs: ``docs/mathematics.md#r2-spectral-law`` and
``docs/mathematics.md#r2-sharper-constant``. Every relu interpolant has
:math:`n(1-\bar y^2) = \sum_i z_i f(x_i) \le \sqrt k\,\|a\|_2\|W\|_{\mathrm{op}}\,\Gamma`,
and :math:`\Gamma \le C_\delta\sqrt n` with probability :math:`1-3\delta`
(or :math:`\le C'_\delta\sqrt n` with probability :math:`1-\delta`).

Examples
--------
>>> round(float(C_delta_sharp.subs(delta, 0.05)), 2), round(float(C_delta.subs(delta, 0.05)), 2)
(10.9, 14.33)
"""

from __future__ import annotations

import sympy as sp

from theory.bounds.core import Bound, Hypothesis, register
from theory.symbols import delta, k, n, ybar

BLN = "Bubeck, Li, Nagaraj, COLT 2021 (arXiv 2009.14444)"

#: :math:`C_\delta = 4 + \sqrt{8\log(1/\delta)} + 2\sqrt{2\log(2/\delta)}` (R2).
C_delta = 4 + sp.sqrt(8 * sp.log(1 / delta)) + 2 * sp.sqrt(2 * sp.log(2 / delta))

R2 = register(Bound(
    key="R2",
    name="Spectral-norm law for random labels",
    statement=(r"$\psi=\mathrm{relu}$, $\|x_i\|\le 1$, y i.i.d. Rademacher: with probability "
               r"$\ge 1-3\delta$ every interpolant has "
               r"$\|a\|_2\|W\|_{\mathrm{op}}\ge(1-\bar y^2)\sqrt{n/k}/C_\delta$, "
               r"$C_\delta=4+\sqrt{8\log(1/\delta)}+2\sqrt{2\log(2/\delta)}$."),
    quantity=r"\|a\|_2\|W\|_{\mathrm{op}}",
    expr=(1 - ybar**2) * sp.sqrt(n / k) / C_delta,
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("relu"), Hypothesis("data_in_ball"),
                Hypothesis("random_labels")),
    status="proved",
    probability=1 - 3 * delta,
    references=("docs/mathematics.md#r2-spectral-law", BLN),
    regimes={"linear": {ybar: 1 / sp.sqrt(n)}, "poly": {ybar: 1 / sp.sqrt(n)}},
    regime_note=r"$\bar y^2$ replaced by its mean $1/n$; $\delta$ fixed",
    derivation=(
        "Identity: n(1 - ybar^2) = sum z_i f(x_i), z = y - ybar 1 (sum z = 0).",
        "relu(w.x + b) = ||w|| relu(u.x + beta): sum z_i f(x_i) <= (sum |a_l| ||w_l||) Gamma.",
        "sum |a_l| ||w_l|| <= ||a||_2 ||W||_F <= sqrt(k) ||a||_2 ||W||_op.",
        "Gamma <= C_delta sqrt(n) with probability >= 1 - 3 delta.",
    ),
))

R2_gamma = register(Bound(
    key="R2.Gamma",
    name="Rademacher complexity of shifted relu units",
    statement=(r"For $\|x_i\|\le 1$ and $z=y-\bar y 1$, y Rademacher: "
               r"$\Gamma(X,z)=\sup_{\|u\|\le1,\beta}|\sum_i z_i\,\mathrm{relu}(u\cdot x_i+\beta)|"
               r"\le C_\delta\sqrt n$ with probability $\ge 1-3\delta$."),
    quantity=r"\Gamma(X, z)",
    expr=C_delta * sp.sqrt(n),
    hypotheses=(Hypothesis("data_in_ball"), Hypothesis("random_labels")),
    status="proved",
    direction="upper",
    probability=1 - 3 * delta,
    references=("docs/mathematics.md#r2-spectral-law",),
    regimes={"linear": {}, "poly": {}},
    derivation=(
        "beta >= 1: all units active, sum z_i (u.x_i + beta) = u.X^T z, equal to beta = 1.",
        "beta <= -1: all units off (||u x|| <= 1), value 0.",
        "|beta| <= 1: lift x~ = (x, 1), u~ = (u, beta), ||u~|| <= sqrt 2, ||x~|| <= sqrt 2.",
        "sum z_i g(x_i) = sum y_i g(x_i) - ybar sum g(x_i).",
        "E sup |sum y_i relu(u~.x~_i)| <= 2 E sup |sum y_i u~.x~_i| "
        "<= 2 sqrt2 sqrt(sum ||x~_i||^2) <= 4 sqrt n (contraction).",
        "McDiarmid, bounded differences 2 sup|relu| <= 4: + sqrt(8 n log(1/delta)).",
        "Hoeffding: |ybar| <= sqrt(2 log(2/delta)/n); |sum relu| <= 2n: "
        "+ 2 sqrt(2 n log(2/delta)).",
    ),
))

#: Sharpened constant (proved here): :math:`C'_\delta = 6 + \sqrt{8\log(1/\delta)}`,
#: with probability :math:`1-\delta` (one McDiarmid event on the centred sum).
C_delta_sharp = 6 + sp.sqrt(8 * sp.log(1 / delta))

R2_gamma_sharp = register(Bound(
    key="R2.Gamma.sharp",
    name=r"$\Gamma$ bound, sharpened constant",
    statement=(r"For $\|x_i\|\le 1$, y Rademacher, $z=y-\bar y1$: "
               r"$\Gamma(X,z)\le(6+\sqrt{8\log(1/\delta)})\sqrt n$ with probability "
               r"$\ge 1-\delta$."),
    quantity=r"\Gamma(X, z)",
    expr=C_delta_sharp * sp.sqrt(n),
    hypotheses=(Hypothesis("data_in_ball"), Hypothesis("random_labels")),
    status="proved",
    direction="upper",
    probability=1 - delta,
    references=("docs/mathematics.md#r2-sharper-constant",),
    regimes={"linear": {}, "poly": {}},
    derivation=(
        "As R2.Gamma, Gamma = sup over the lifted class g(x) = relu(u~.x~), "
        "||u~|| <= sqrt 2, with 0 <= g <= 2.",
        "McDiarmid directly on h(y) = sup_g |sum_i (y_i - ybar) g(x_i)|: changing y_i moves "
        "z by 2(e_i - 1/n), so h moves by at most 2 sup|g(x_i) - mean g| <= 4.",
        "E h <= E sup |sum y_i g(x_i)| + E|ybar| sup |sum g(x_i)| <= 4 sqrt n + "
        "(1/sqrt n)(2n) = 6 sqrt n (contraction; E|ybar| <= sqrt(E ybar^2)).",
        "Hence h <= 6 sqrt n + sqrt(8 n log(1/delta)) with probability >= 1 - delta.",
    ),
))

R2_sharp = register(Bound(
    key="R2.sharp",
    name="Spectral-norm law, sharpened constant",
    statement=(r"As R2 with $C'_\delta=6+\sqrt{8\log(1/\delta)}$ in place of $C_\delta$, "
               r"with probability $\ge 1-\delta$ (instead of $1-3\delta$)."),
    quantity=r"\|a\|_2\|W\|_{\mathrm{op}}",
    expr=(1 - ybar**2) * sp.sqrt(n / k) / C_delta_sharp,
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("relu"), Hypothesis("data_in_ball"),
                Hypothesis("random_labels")),
    status="proved",
    probability=1 - delta,
    references=("docs/mathematics.md#r2-sharper-constant",),
    regimes={"linear": {ybar: 1 / sp.sqrt(n)}, "poly": {ybar: 1 / sp.sqrt(n)}},
    regime_note=r"$\bar y^2$ replaced by its mean $1/n$; $\delta$ fixed",
))

R2_identity = register(Bound(
    key="R2.inst",
    name=r"Spectral law, per-instance form with exact $\Gamma$",
    statement=(r"Every relu interpolant has "
               r"$\sum_\ell|a_\ell|\|w_\ell\|\ge n(1-\bar y^2)/\Gamma(X,z)$ "
               r"(deterministic; $\Gamma$ computed exactly for $d\le 2$)."),
    quantity=r"\sum_\ell |a_\ell|\,\|w_\ell\|",
    expr=n * (1 - ybar**2) / sp.Symbol("Gamma", positive=True),
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("relu"), Hypothesis("both_labels")),
    status="proved",
    references=("docs/mathematics.md#r2-spectral-law",),
))


# ---------------------------------------------------------------------------
# Derivations (sympy), reused by notebooks and tests
# ---------------------------------------------------------------------------
def derive_C_delta(*, lift_norm=None, bounded_difference=None,
                   contraction=2) -> dict:
    r"""Derive :math:`C_\delta` of R2 step by step; returns every step.

    With :math:`\|\tilde u\|\le\sqrt2`, :math:`\|\tilde x_i\|\le\sqrt2`
    (``lift_norm``):

    1. expectation: :math:`\mathbb E\sup|\sum y_i\mathrm{relu}(\tilde u\cdot\tilde x_i)|
       \le` contraction :math:`\times\sqrt2\cdot\sqrt{\sum\|\tilde x_i\|^2}
       = 2\cdot\sqrt2\cdot\sqrt{2n} = 4\sqrt n`;
    2. McDiarmid: bounded differences :math:`c_i = 2\sup|\mathrm{relu}| \le 4`,
       :math:`\exp(-2t^2/\sum c_i^2) = \delta` gives :math:`t = \sqrt{8n\log(1/\delta)}`;
    3. Hoeffding: :math:`2\exp(-ns^2/2) = \delta` gives
       :math:`|\bar y|\le s = \sqrt{2\log(2/\delta)/n}`, and
       :math:`|\bar y\sum_i\mathrm{relu}(\cdot)|\le s\cdot n\cdot 2`.

    ``C = (step1 + step2 + step3)/sqrt(n)``. The keyword arguments exist so that
    tests can feed wrong versions (e.g. ``bounded_difference=2``).

    Examples
    --------
    >>> steps = derive_C_delta()
    >>> sp.simplify(steps["C"] - C_delta)
    0
    """
    t_, s_ = sp.symbols("t s", positive=True)
    lift_norm = sp.sqrt(2) if lift_norm is None else sp.sympify(lift_norm)
    sup_relu = lift_norm * lift_norm                     # |u~.x~| <= sqrt2*sqrt2 = 2
    expectation = contraction * lift_norm * sp.sqrt(n * lift_norm**2)
    ci = 2 * sup_relu if bounded_difference is None else bounded_difference
    mcd = sp.solve(sp.Eq(sp.exp(-2 * t_**2 / (n * ci**2)), delta), t_)
    mcd = [v for v in mcd if v.is_positive is not False][0]
    hoeff = sp.solve(sp.Eq(2 * sp.exp(-n * s_**2 / 2), delta), s_)
    hoeff = [v for v in hoeff if v.is_positive is not False][0]
    ybar_term = hoeff * n * sup_relu
    C = sp.simplify((expectation + mcd + ybar_term) / sp.sqrt(n))
    return {"expectation": sp.simplify(expectation), "mcdiarmid": sp.simplify(mcd),
            "hoeffding_s": sp.simplify(hoeff), "ybar_term": sp.simplify(ybar_term), "C": C}



def derive_C_delta_sharp(*, ybar_term: bool = True, bounded_difference=None) -> dict:
    r"""Derive the sharpened constant :math:`C'_\delta = 6 + \sqrt{8\log(1/\delta)}`.

    1. expectation: :math:`\mathbb E h \le 4\sqrt n + \mathbb E|\bar y|\cdot 2n
       \le 4\sqrt n + 2\sqrt n` (``ybar_term=False`` drops the second part: a
       wrong version for the tests);
    2. McDiarmid with bounded differences :math:`2\sup|g - \bar g| \le 4`:
       :math:`t = \sqrt{8 n\log(1/\delta)}`.

    Examples
    --------
    >>> sp.simplify(derive_C_delta_sharp()["C"] - C_delta_sharp)
    0
    """
    t_ = sp.Symbol("t", positive=True)
    sup_g = 2                                   # 0 <= relu(u~.x~) <= sqrt2 * sqrt2
    contraction_part = 2 * sp.sqrt(2) * sp.sqrt(2 * n)
    e_abs_ybar = 1 / sp.sqrt(n)                 # E|ybar| <= sqrt(E ybar^2) = 1/sqrt(n)
    expectation = contraction_part + (e_abs_ybar * sup_g * n if ybar_term else 0)
    ci = 2 * sup_g if bounded_difference is None else bounded_difference
    mcd = sp.solve(sp.Eq(sp.exp(-2 * t_**2 / (n * ci**2)), delta), t_)
    mcd = [v for v in mcd if v.is_positive is not False][0]
    C = sp.simplify((expectation + mcd) / sp.sqrt(n))
    return {"expectation": sp.simplify(expectation), "mcdiarmid": sp.simplify(mcd), "C": C}
