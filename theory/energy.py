r"""R4: the energy certificate for polynomial activations, as :class:`Bound` objects.

Statement and proof: ``docs/mathematics.md#r4-energy-certificate``.
Every :math:`f\in F_k(t^p)` restricted to :math:`S^{d-1}` lies in
:math:`V = \bigoplus_{j\in J} H_j` (:math:`J = \{0,\dots,p\}` with biases,
:math:`\{j\le p: j\equiv p \bmod 2\}` without). For interpolation of values v at
points :math:`u_i\in S^{d-1}`:

.. math::
    E_{\min} = v^TK^{-1}v - \frac{(\mathbf 1^TK^{-1}v)^2}{\mathbf 1^TK^{-1}\mathbf 1},\qquad
    K = \sum_{j\in J,\,j>0}\frac{N(d,j)}{\lambda_j}G_j(UU^T)

(second term only when constants are in V), and every interpolant g in V has
:math:`\mathrm{Lip}_{B_1}(g)\ge\mathrm{Lip}_S(g)\ge\sqrt{\mathbb E_\sigma\|\nabla_Sg\|^2}
\ge\sqrt{E_{\min}}`. The numeric certificate is
:func:`numerics.certify.energy.energy_certificate`.

Registered bounds (keys): ``R4`` (sphere certificate, proved), ``R4.ball``
(homogeneous, full gradient, proved), ``R4.params`` (parameter count, proved),
``R4.regime`` (:math:`E_{\min}\approx\lambda_p c/(1-c)`, heuristic) and
``R4.combined`` (the regime against :math:`\sqrt{n/k}`, heuristic).

Examples
--------
>>> from theory.bounds import get_bound
>>> get_bound("R4").status, get_bound("R4.regime").status
('proved', 'heuristic')
>>> heuristic_energy(3, 10, sp.Rational(1, 2))
33
>>> round(get_bound("R4.params").evaluate(n=100, d=9), 6)
10.0
"""

from __future__ import annotations

import sympy as sp

from .bounds import Bound, Hypothesis, d, n, p, register
from .sphere import eigenvalue, gegenbauer, harmonic_dim

__all__ = [
    "E_min",
    "c_N",
    "eigenvalue_expr",
    "heuristic_energy",
    "heuristic_ratio",
    "parameter_count_ratio",
    "energy_identity_terms",
    "R4",
    "R4_ball",
    "R4_params",
    "R4_regime",
    "R4_combined",
]

#: The certified minimal energy of an instance (a number computed by the certificate).
E_min = sp.Symbol("E_min", positive=True)
#: Fraction of the space used: :math:`n = c_N \dim V` (0 < c_N < 1).
c_N = sp.Symbol("c_N", positive=True)

_REF = "docs/mathematics.md#r4-energy-certificate"
_BLN = "Bubeck, Li, Nagaraj, COLT 2021 (arXiv 2009.14444)"


def heuristic_energy(p_val, d_val, c_val) -> sp.Expr:
    r"""The regime heuristic :math:`E_{\min}\approx\lambda_p\,c/(1-c) = p(p+d-2)c/(1-c)`
    for random labels and :math:`n = c\dim V` generic points [heuristic].

    Reasoning (not a proof): K is dominated by its top degree,
    :math:`K\approx(\dim V/\lambda_p)\,\widehat W` with :math:`\widehat W` a Gram matrix
    with unit diagonal of n random features in dimension :math:`\dim V`; for a
    random sign vector :math:`y^T\widehat W^{-1}y\approx n\,\mathbb E[1/\mu]` and the
    Marchenko–Pastur law of ratio c has :math:`\mathbb E[1/\mu] = 1/(1-c)`.

    >>> heuristic_energy(sp.Symbol("p"), sp.Symbol("d"), sp.Symbol("c"))
    -c*p*(d + p - 2)/(c - 1)
    """
    cc = sp.sympify(c_val)
    return sp.factor(eigenvalue_expr(p_val, d_val) * cc / (1 - cc))


def eigenvalue_expr(p_val, d_val) -> sp.Expr:
    r""":math:`\lambda_p = p(p+d-2)` for symbolic or numeric p (for integer p this is
    :func:`theory.sphere.eigenvalue`)."""
    p_val, d_val = sp.sympify(p_val), sp.sympify(d_val)
    if p_val.is_Integer:
        return eigenvalue(int(p_val), d_val)
    return p_val * (p_val + d_val - 2)


def heuristic_ratio(p_val, d_val, c_val) -> sp.Expr:
    r"""Heuristic :math:`\sqrt{E_{\min}}/\sqrt{n/k_{\min}}` with the parameter count
    :math:`k_{\min} = n/(d+1)`: :math:`\sqrt{p(p+d-2)c/((1-c)(d+1))}\to\sqrt{pc/(1-c)}`.

    >>> D = sp.Symbol("D", positive=True)
    >>> sp.limit(heuristic_ratio(3, D, sp.Rational(1, 2)), D, sp.oo)
    sqrt(3)
    """
    return sp.sqrt(heuristic_energy(p_val, d_val, c_val) / (sp.sympify(d_val) + 1))


def parameter_count_ratio(d_val, *, biases: bool = True) -> sp.Expr:
    r"""Largest :math:`\sqrt{n/k}` compatible with interpolation of generic data by
    :math:`F_k(t^p)`: :math:`\sqrt{d+1}` with biases, :math:`\sqrt d` without.

    >>> parameter_count_ratio(8)
    3
    """
    d_val = sp.sympify(d_val)
    return sp.sqrt(d_val + 1 if biases else d_val)


def energy_identity_terms(j: int, d_val) -> dict[str, sp.Expr]:
    r"""Ingredients of :math:`\mathbb E\|\nabla_S g\|^2 = \sum_j\lambda_j\|g_j\|^2` for one
    degree: ``N`` = N(d,j), ``lambda`` = :math:`\lambda_j`, ``kernel`` =
    :math:`N(d,j)G_j(t)/\lambda_j` (the energy kernel's term).

    >>> energy_identity_terms(1, 3)["kernel"]
    3*t/2
    """
    lam = eigenvalue(j, d_val)
    return {"N": harmonic_dim(d_val, j), "lambda": lam,
            "kernel": sp.expand(harmonic_dim(d_val, j) * gegenbauer(j, d_val) / lam)}


_poly_hyps = (Hypothesis("exact_fit"), Hypothesis("data_on_sphere"),
              Hypothesis("power_activation", r"$\psi(t) = t^p$ (any biases)"))

R4 = register(Bound(
    key="R4",
    name="Energy certificate (polynomial activations)",
    statement=(r"Every interpolant $g\in F_k(t^p)$ (any k, any biases) of data on $S^{d-1}$ "
               r"has $\mathrm{Lip}_{B_1}(g)\ge\mathrm{Lip}_S(g)\ge\sqrt{E_{\min}}$, "
               r"$E_{\min}=y^TK^{-1}y-(\mathbf 1^TK^{-1}y)^2/(\mathbf 1^TK^{-1}\mathbf 1)$, "
               r"$K=\sum_{0<j\le p}\frac{N(d,j)}{\lambda_j}G_j(XX^T)$."),
    quantity=r"\mathrm{Lip}_{B_1}(f)",
    expr=sp.sqrt(E_min),
    hypotheses=_poly_hyps,
    status="proved",
    references=(_REF, _BLN),
    regimes={"poly": {E_min: heuristic_energy(p, d, c_N)}},
    regime_note=(r"$n = c_N\dim V$ random labels: $E_{\min}\approx\lambda_p c_N/(1-c_N)$ "
                 r"(heuristic, see R4.regime)"),
    derivation=(
        "f restricted to S lies in the sum of H_j, j <= p (binomial expansion of (w.x+b)^p).",
        "Green on the sphere: E|grad_S g|^2 = sum_j lambda_j ||g_j||^2.",
        "The reproducing kernel of sum_{j>0} H_j for this energy is sum N(d,j) G_j / lambda_j.",
        "Cauchy-Schwarz in that RKHS: E(g) >= (alpha.y)^2 / alpha^T K alpha for sum alpha = 0;"
        " the best alpha gives E_min.",
        "Lip_S(g) >= sup_S |grad_S g| >= sqrt(E|grad_S g|^2); Lip_{B_1} >= Lip_S.",
    ),
))

R4_ball = register(Bound(
    key="R4.ball",
    name="Energy certificate, ball version (homogeneous)",
    statement=(r"Without biases (g homogeneous of degree p): $\|\nabla g\|^2=\|\nabla_Sg\|^2"
               r"+p^2g^2$ on S, so every interpolant has $\mathrm{Lip}_{B_1}(g)\ge\sqrt{E_{\min}}$ "
               r"with $K=\sum_{j\le p,\,j\equiv p\,(2)}\frac{N(d,j)}{\lambda_j+p^2}G_j(XX^T)$ "
               r"and no free constant."),
    quantity=r"\mathrm{Lip}_{B_1}(f)",
    expr=sp.sqrt(E_min),
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("data_on_sphere"),
                Hypothesis("homogeneous_power", r"$\psi(t) = t^p$, no biases")),
    status="proved",
    references=("docs/mathematics.md#r4-ball",),
    derivation=(
        "Euler: x.grad g = p g, so on S |grad g|^2 = |grad_S g|^2 + p^2 g^2.",
        "E|grad g|^2 = sum_j (lambda_j + p^2) ||g_j||^2: kernel weights 1/(lambda_j + p^2).",
    ),
))

R4_params = register(Bound(
    key="R4.params",
    name="Parameter count for polynomial networks",
    statement=(r"For generic data (outside a null set) with both labels, interpolation by "
               r"$F_k(t^p)$ needs $k(d+1)\ge n$ (with biases; $kd\ge n$ without), hence "
               r"$\sqrt{n/k}\le\sqrt{d+1}$."),
    quantity="k",
    expr=n / (d + 1),
    hypotheses=(Hypothesis("generic_data"), Hypothesis("both_labels")),
    status="proved",
    references=("docs/mathematics.md#r4-parameter-count",),
    regimes={"poly": {}},
    derivation=(
        "a (w.x+b)^p = (|a|^{1/p}(w.x+b))^p up to a sign: each neuron has d+1 effective "
        "parameters.",
        "For fixed parameters the points with f(x) = y_i form a hypersurface (f non-constant "
        "since both labels occur): the incidence set has dimension <= k(d+1) + n(d-1).",
        "Its projection to data space has dimension < nd when k(d+1) < n: a null set.",
    ),
))

R4_regime = register(Bound(
    key="R4.regime",
    name="Regime of the energy certificate",
    statement=(r"Random labels, $n=c_N\dim V$ generic points on $S^{d-1}$: "
               r"$E_{\min}\approx\lambda_p\,c_N/(1-c_N)=p(p+d-2)c_N/(1-c_N)$."),
    quantity=r"E_{\min}",
    expr=heuristic_energy(p, d, c_N),
    hypotheses=(Hypothesis("generic_data"), Hypothesis("random_labels")),
    status="heuristic",
    references=("docs/mathematics.md#r4-regime",),
    relation="approx",
    regimes={"poly": {}},
    regime_note="Marchenko--Pastur mean inverse eigenvalue; confronted numerically",
))

R4_combined = register(Bound(
    key="R4.combined",
    name=r"Polynomial networks against $\sqrt{n/k}$",
    statement=(r"Combining R4.regime with R4.params: every feasible k has "
               r"$\mathrm{Lip}\gtrsim\sqrt{p(p+d-2)c_N/((1-c_N)(d+1))}\,\sqrt{n/k}$, i.e. "
               r"$\sqrt{pc_N/(1-c_N)}\sqrt{n/k}$ for large d."),
    quantity=r"\mathrm{Lip}_{B_1}(f)/\sqrt{n/k}",
    expr=heuristic_ratio(p, d, c_N),
    hypotheses=(Hypothesis("generic_data"), Hypothesis("random_labels"),
                Hypothesis("exact_fit")),
    status="heuristic",
    references=("docs/mathematics.md#r4-regime", _BLN),
    relation="gtrsim",
    regimes={"poly": {}},
))
