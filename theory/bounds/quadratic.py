r"""R3, the homogeneous quadratic rank bound, and its regime helper.

Statement and proof: ``docs/mathematics.md#r3-quadratic-rank``. For
:math:`f(x) = x^TAx` with :math:`\operatorname{rank}A\le\min(k,d)` and
:math:`M = X^T\mathrm{diag}(y)X`:

.. math:: n \le \operatorname{tr}(AM) \le \min(k,d)\,\|A\|_{\mathrm{op}}\|M\|_{\mathrm{op}},
   \qquad \mathrm{Lip}_{B_1}(f) = 2\|A\|_{\mathrm{op}} \ge \frac{2n}{\min(k,d)\|M\|_{\mathrm{op}}}.

Examples
--------
>>> round(R3.evaluate(n=20, k=2, d=5, M_op=4.0), 4)
5.0
"""

from __future__ import annotations

import sympy as sp

from theory.bounds.core import Bound, Hypothesis, register
from theory.symbols import M_op, d, k, n

BLN = "Bubeck, Li, Nagaraj, COLT 2021 (arXiv 2009.14444)"

# ---------------------------------------------------------------------------
# Regime helper: the operator norm of M = X^T diag(y) X for n = c d
# ---------------------------------------------------------------------------
def mp_edge_difference(ratio: sp.Expr) -> sp.Expr:
    r"""Limit of :math:`\|X^T \mathrm{diag}(y) X\|_{\mathrm{op}}` for rows uniform on
    :math:`S^{d-1}`, balanced random labels and :math:`n/d \to` ``ratio``.

    :math:`M = A - B`, A and B independent (asymptotically free) Wishart
    matrices with :math:`n/2` samples, so its R-transform is
    :math:`\mathcal R(w) = \frac{c/2}{1-w} - \frac{c/2}{1+w} = \frac{c w}{1-w^2}`
    (c = ratio). The upper edge of the spectrum is
    :math:`z(w_*) = \mathcal R(w_*) + 1/w_*` at the critical point
    :math:`z'(w_*) = 0`, i.e. :math:`(c-1)s^2 + (c+2)s - 1 = 0` in
    :math:`s = w_*^2`, whose root in (0, 1) is
    :math:`s = 2/(c + 2 + \sqrt{c^2 + 8c})`. For large c the edge is
    :math:`2\sqrt c + O(1/\sqrt c)`. [heuristic: free probability; checked
    numerically in the tests]

    Examples
    --------
    >>> round(float(mp_edge_difference(sp.Integer(1))), 6)
    2.598076
    """
    cc = sp.sympify(ratio)
    s = 2 / (cc + 2 + sp.sqrt(cc**2 + 8 * cc))
    w = sp.sqrt(s)
    return cc * w / (1 - s) + 1 / w


R3 = register(Bound(
    key="R3",
    name="Homogeneous quadratic rank bound",
    statement=(r"$\psi(t)=t^2$, no biases, $f(x)=x^TAx$: if $\sum_i y_if(x_i)\ge n$ then "
               r"$\mathrm{Lip}_{B_1}(f)=2\|A\|_{\mathrm{op}}"
               r"\ge 2n/(\min(k,d)\|M\|_{\mathrm{op}})$, "
               r"$M=X^T\mathrm{diag}(y)X$."),
    quantity=r"\mathrm{Lip}_{B_1}(f)",
    expr=2 * n / (sp.Min(k, d) * M_op),
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("homogeneous_quadratic")),
    status="proved",
    references=("docs/mathematics.md#r3-quadratic-rank", BLN),
    regimes={"linear": {M_op: mp_edge_difference(n / d), sp.Min(k, d): k},
             "poly": {M_op: mp_edge_difference(n / d), sp.Min(k, d): k}},
    regime_note=(r"rows uniform on $S^{d-1}$, random labels: "
                 r"$\|M\|_{\mathrm{op}}\to$ upper edge of "
                 r"the free difference of two Marchenko--Pastur laws "
                 r"($\approx 2\sqrt{n/d}$ for $n\gg d$; heuristic); $k\le d$"),
    derivation=(
        "A = sum a_l w_l w_l^T, rank A <= min(k, d); grad f = 2Ax so Lip_{B_1} = 2||A||_op.",
        "n <= sum y_i x_i^T A x_i = tr(AM) <= ||A||_* ||M||_op <= min(k,d) ||A||_op ||M||_op.",
    ),
))
