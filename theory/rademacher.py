r"""Rademacher complexity of the networks within a weight-perturbation budget (ours).

Setting as in :mod:`theory.perturbation` (docs/mathematics.md#s4-weight-perturbations):
a bias-free depth-:math:`L` network :math:`W = (W^1, \dots, W^L)` with a 1-Lipschitz
activation vanishing at 0, :math:`n_i = \|W^i\|_\infty` (max absolute row sum),
:math:`u = \|W^L_y - W^L_k\|_1`, budgets :math:`\epsilon_i`. The class is

.. math::

    \mathcal M^\epsilon_{yk}(W) = \{x\mapsto \hat f_y(x) - \hat f_k(x) :
        \|\hat W^i - W^i\|_\infty \le \epsilon_i,\ i = 1..L\},

and for a sample :math:`S = (x_1, \dots, x_m)`,
:math:`\hat{\mathfrak R}_S(\mathcal M) = \frac1m\mathbb E_\sigma\sup_{g\in\mathcal M}
\sum_j \sigma_j g(x_j)`.

**Theorem [proved here; ours — the paper's own theorem (Tsai, Hsu, Yu, Chen,
NeurIPS 2021) is not among this project's sources].** With
:math:`A_0 = \mathbb E_\sigma\|\sum_j\sigma_j x_j\|_\infty`,
:math:`P = \prod_{i<L} n_i`, :math:`\hat P = \prod_{i<L}(n_i + \epsilon_i)`,

.. math::

    \hat{\mathfrak R}_S(\mathcal M^\epsilon_{yk}(W)) \le
      \frac{2^{L-1}A_0}{m}\Big[u(\hat P - P) + 2\epsilon_L\hat P\Big]
      \le \frac{2^{L-1}\sqrt{2\log(2d)}\,\max_c\|X_{:,c}\|_2}{m}
          \Big[u(\hat P - P) + 2\epsilon_L\hat P\Big].

It is the S4 margin-change bound with :math:`\|x\|_\infty` replaced by
:math:`2^{L-1}A_0/m`; it vanishes with the budgets, and at depth 1 the first
inequality is an equality (:math:`\hat{\mathfrak R}_S = 2\epsilon_1 A_0/m`).

Proof (peeling with :math:`\infty\to\infty` norms; the algebra is
:func:`peeling_recursion` / :func:`verify_peeling`).

0. :math:`\mathbb E_\sigma\sum_j\sigma_j m(x_j) = 0`, so
   :math:`m\hat{\mathfrak R}_S = \mathbb E\sup\sum_j\sigma_j(\hat m - m)(x_j)`.
1. Norm-ball layers: let :math:`A_i = \mathbb E\sup|\sum_j\sigma_j\hat h^i_c(x_j)|`
   (sup over the budget and the coordinate ``c``). Every coordinate of layer
   :math:`i` is :math:`\psi(w\cdot\hat h^{i-1})` with :math:`\|w\|_1\le n_i + \epsilon_i`,
   the class contains 0 (:math:`\psi(0) = 0`), so removing the absolute value costs
   2 and the contraction lemma [cited: Ledoux–Talagrand; Mohri, Rostamizadeh,
   Talwalkar, Lemma 5.7] removes :math:`\psi`: :math:`A_i \le 2(n_i+\epsilon_i)A_{i-1}`.
2. Deviations: :math:`E_i = \max_r\mathbb E\sup|\sum_j\sigma_j(\hat h^i_r - h^i_r)(x_j)|`.
   :math:`\hat h^i_r - h^i_r = \phi_{jr}(t_{jr})` with
   :math:`\phi_{jr}(t) = \psi(W^i_r h^{i-1}(x_j) + t) - \psi(W^i_r h^{i-1}(x_j))`
   (1-Lipschitz, :math:`\phi(0)=0`, fixed for a fixed row ``r``) and
   :math:`t_{jr} = \Delta^i_r\hat h^{i-1}(x_j) + W^i_r(\hat h^{i-1} - h^{i-1})(x_j)`;
   so (0 in the class, contraction, :math:`W^i` fixed so the expectation passes
   through :math:`\sum_c|W^i_{rc}|`) :math:`E_i \le 2(\epsilon_i A_{i-1} + n_i E_{i-1})`,
   :math:`E_0 = 0`.
3. Output: :math:`\hat m - m = (\Delta^L_y - \Delta^L_k)\cdot\hat h^{L-1} +
   (W^L_y - W^L_k)\cdot(\hat h^{L-1} - h^{L-1})`, hence
   :math:`m\hat{\mathfrak R}_S \le 2\epsilon_L A_{L-1} + uE_{L-1}`.
4. The recursions solve to :math:`A_i = 2^i\hat P_iA_0`,
   :math:`E_i = 2^i(\hat P_i - P_i)A_0` (the S4 telescoping).
5. Massart's lemma [classical]: :math:`A_0 \le \max_c\|X_{:,c}\|_2\sqrt{2\log(2d)}`.

**Generalization (corollary) [proved here, from classical tools].** For a class
fixed before an i.i.d. sample of size :math:`m` is drawn, with probability
:math:`\ge 1-\delta`, simultaneously for every :math:`\hat W` in the budget, the
test error of :math:`\hat W` is at most its empirical :math:`\rho`-margin error plus
:math:`\frac{2}{\rho m}\sum_c\sum_{k\ne c} m_c\hat{\mathfrak R}_{S_c}(\mathcal M^\epsilon_{ck})
+ 3\sqrt{\log(2/\delta)/(2m)}` (ramp loss, :math:`S_c` the points of class
:math:`c`; Mohri et al. Thm 3.3 and the max/sum lemma 9.1 [cited]). The class is
centred at :math:`W`: for a :math:`W` trained on the same sample it is **not** fixed
in advance, so the number is then a diagnostic, not a certificate.

Examples
--------
>>> verify_peeling(3)
True
>>> rademacher_bound_expr(1)[0]
2*A_0*epsilon_1/m_S
"""

from __future__ import annotations

import sympy as sp

from .bounds import Bound, Hypothesis, d, register
from .perturbation import margin_change_bound_expr, s4_symbols

__all__ = [
    "A0",
    "RADEMACHER_BOUND",
    "GENERALIZATION_BOUND",
    "col_norm",
    "confidence_term",
    "delta_conf",
    "m_sample",
    "massart_a0",
    "peeling_recursion",
    "rademacher_bound_expr",
    "verify_peeling",
]

#: :math:`A_0 = \mathbb E_\sigma\|\sum_j \sigma_j x_j\|_\infty`.
A0 = sp.Symbol("A_0", nonnegative=True)
#: sample size m.
m_sample = sp.Symbol("m_S", positive=True)
#: :math:`\max_c \|X_{:,c}\|_2` (largest column norm of the data matrix).
col_norm = sp.Symbol("c_X", nonnegative=True)
#: confidence parameter delta of the generalization corollary.
delta_conf = sp.Symbol("delta", positive=True)


def massart_a0() -> sp.Expr:
    r"""Massart's bound :math:`A_0 \le \max_c\|X_{:,c}\|_2\sqrt{2\log(2d)}` (2d vectors
    :math:`\pm X_{:,c}`).

    >>> massart_a0()
    sqrt(2)*c_X*sqrt(log(2*d))
    """
    return col_norm * sp.sqrt(2 * sp.log(2 * d))


def peeling_recursion(depth: int, *, contraction_factor=2) -> tuple[list, list, sp.Expr]:
    r"""The recursions of the proof, in sympy.

    :math:`A_i = c(n_i+\epsilon_i)A_{i-1}`, :math:`E_i = c(\epsilon_iA_{i-1} + n_iE_{i-1})`,
    :math:`E_0 = 0`, and :math:`\hat{\mathfrak R} = (2\epsilon_LA_{L-1} + uE_{L-1})/m`,
    with ``c = contraction_factor`` (2 in the proof: removing an absolute value;
    the tests pass 1 to show a wrong derivation is caught).

    Returns
    -------
    A, E : list of sympy.Expr
        ``A[0..L-1]``, ``E[0..L-1]``.
    R : sympy.Expr

    Examples
    --------
    >>> A, E, R = peeling_recursion(2)
    >>> E[1], sp.factor(R)
    (2*A_0*epsilon_1, 2*A_0*(2*epsilon_1*epsilon_2 + epsilon_1*u + 2*epsilon_2*n_1)/m_S)
    """
    syms = s4_symbols(depth)
    A, E = [A0], [sp.Integer(0)]
    for n, e in zip(syms.norms, syms.eps[:-1], strict=True):
        A.append(contraction_factor * (n + e) * A[-1])
        E.append(contraction_factor * (e * A[-2] + n * E[-1]))
    R = (2 * syms.eps[-1] * A[-1] + syms.u * E[-1]) / m_sample
    return A, E, R


def rademacher_bound_expr(depth: int, *, massart: bool = False) -> tuple[sp.Expr, object]:
    r"""The closed form :math:`2^{L-1}(A_0/m)[u(\hat P - P) + 2\epsilon_L\hat P]`
    (``massart=True``: :math:`A_0` replaced by :func:`massart_a0`).

    Returns
    -------
    expr : sympy.Expr
    symbols : theory.perturbation.S4Symbols
        The S4 symbols (``x_inf`` does not occur).

    Examples
    --------
    >>> rademacher_bound_expr(2)[0]
    2*A_0*(epsilon_1*u + 2*epsilon_2*(epsilon_1 + n_1))/m_S
    """
    s4, syms = margin_change_bound_expr(depth)
    a0 = massart_a0() if massart else A0
    return sp.Integer(2) ** (depth - 1) * a0 / m_sample * (s4 / syms.x_inf), syms


def verify_peeling(depth: int, *, contraction_factor=2) -> bool:
    r"""Check that the recursions solve to the closed form: :math:`A_i = 2^i\hat P_iA_0`,
    :math:`E_i = 2^i(\hat P_i - P_i)A_0` and the output step gives
    :func:`rademacher_bound_expr`.

    >>> all(verify_peeling(L) for L in (1, 2, 3, 4))
    True
    >>> verify_peeling(3, contraction_factor=1)
    False
    """
    syms = s4_symbols(depth)
    A, E, R = peeling_recursion(depth, contraction_factor=contraction_factor)
    p, phat = sp.Integer(1), sp.Integer(1)
    for i, (n, e) in enumerate(zip(syms.norms, syms.eps[:-1], strict=True), start=1):
        p, phat = p * n, phat * (n + e)
        if sp.expand(A[i] - 2**i * phat * A0) != 0 or sp.expand(E[i] - 2**i * (phat - p) * A0):
            return False
    return sp.expand(R - rademacher_bound_expr(depth)[0]) == 0


def confidence_term() -> sp.Expr:
    r""":math:`3\sqrt{\log(2/\delta)/(2m)}` of the generalization corollary.

    >>> confidence_term()
    3*sqrt(2)*sqrt(log(2/delta))/(2*sqrt(m_S))
    """
    return 3 * sp.sqrt(sp.log(2 / delta_conf) / (2 * m_sample))


def _register():
    hyps = (
        Hypothesis("lipschitz_activation_vanishing_at_0", r"$\psi$ 1-Lipschitz, $\psi(0) = 0$"),
        Hypothesis("no_biases", "bias-free layers $h^i = \\psi(W^i h^{i-1})$"),
        Hypothesis("weight_budget",
                   "$\\|\\hat W^i - W^i\\|_\\infty \\le \\epsilon_i$ (max absolute row sum)"),
    )
    expr2, _ = rademacher_bound_expr(2, massart=True)
    rad = register(Bound(
        key="S4.rademacher",
        name="Rademacher complexity within a weight budget (ours, $L=2$ shown)",
        statement=(r"Pair margins $\hat f_y - \hat f_k$ of the networks with "
                   r"$\|\hat W^i - W^i\|_\infty\le\epsilon_i$: $\hat{\mathfrak R}_S \le "
                   r"\frac{2^{L-1}A_0}{m}[u(\hat P - P) + 2\epsilon_L\hat P]$, "
                   r"$A_0 = \mathbb E\|\sum_j\sigma_jx_j\|_\infty \le c_X\sqrt{2\log 2d}$; "
                   r"the row shows $L = 2$ with Massart's bound on $A_0$. Equality at $L=1$ "
                   r"with exact $A_0$. Ours: the cited paper's theorem is not in our sources."),
        quantity=r"\hat{\mathfrak R}_S(\mathcal M^\epsilon_{yk}(W))",
        expr=expr2, hypotheses=hyps, status="proved", direction="upper",
        references=("docs/mathematics.md#s4-weight-perturbations",
                    "Ledoux-Talagrand contraction; Massart's lemma (classical)"),
        derivation=(
            r"$\mathbb E\sum_j\sigma_j m(x_j) = 0$: only the deviation $\hat m - m$ counts",
            r"norm-ball layers: $A_i \le 2(n_i+\epsilon_i)A_{i-1}$ (0 in class, contraction)",
            r"deviations: $E_i \le 2(\epsilon_iA_{i-1} + n_iE_{i-1})$, $E_0 = 0$",
            r"output: $m\hat{\mathfrak R}_S \le 2\epsilon_LA_{L-1} + uE_{L-1}$",
            r"telescoping: $E_i = 2^i(\hat P_i - P_i)A_0$; Massart for $A_0$",
        ),
    ))
    gen = register(Bound(
        key="S4.generalization",
        name="Generalization under weight perturbations (ours; confidence term)",
        statement=(r"For a class fixed before the i.i.d. sample: w.p. $\ge 1-\delta$, for every "
                   r"$\hat W$ in the budget, test error $\le$ empirical $\rho$-margin error + "
                   r"$\frac{2}{\rho m}\sum_c\sum_{k\ne c} m_c\hat{\mathfrak R}_{S_c}"
                   r"(\mathcal M^\epsilon_{ck})$ + the term shown."),
        quantity=r"\mathrm{err}(\hat W) - \hat{\mathrm{err}}_\rho(\hat W) - "
                 r"2\hat{\mathfrak R}_S(\ell_\rho\circ\mathcal M)",
        expr=confidence_term(),
        hypotheses=(*hyps, Hypothesis("iid_sample", "i.i.d. sample, class fixed in advance")),
        status="proved", direction="upper",
        references=("Mohri, Rostamizadeh, Talwalkar, Foundations of ML, Thm 3.3, Lemma 9.1",),
        probability=1 - delta_conf,
    ))
    return rad, gen


RADEMACHER_BOUND, GENERALIZATION_BOUND = _register()
