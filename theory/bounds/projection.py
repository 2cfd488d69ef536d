r"""R1, the projection bound, and its sphere and spectral-proxy versions.

Statements and proofs: ``docs/mathematics.md#r1-projection-bound`` and
``docs/mathematics.md#r1-sphere``. With :math:`P` the projection onto the
span of the neurons' weights, :math:`f(x) = f(Px)`; a pair certificate, a
geometry inequality and Cauchy--Schwarz give

.. math:: \mathrm{Lip}_{B_R}(f) \ge \frac{2\sqrt{n_+n_-}}{\|X\|_{\mathrm{op}}
   \sqrt{\max(n_\pm)\,r + 2\sqrt{n_+n_-}}}.

Examples
--------
>>> round(R1.evaluate(n_plus=10, n_minus=10, X_op=2.0, r=3), 4)
1.4142
"""

from __future__ import annotations

import sympy as sp

from theory.bounds.core import Bound, Hypothesis, register
from theory.symbols import (
    Delta,
    P_dist,
    X_op,
    d,
    k,
    n,
    n_minus,
    n_plus,
    r,
    rho,
)

BLN = "Bubeck, Li, Nagaraj, COLT 2021 (arXiv 2009.14444)"

_sphere_linear = {
    X_op: 1 + sp.sqrt(n / d),
    n_plus: n / 2,
    n_minus: n / 2,
    r: k,
}

_R1_expr = 2 * sp.sqrt(n_plus * n_minus) / (
    X_op * sp.sqrt(sp.Max(n_plus, n_minus) * r + 2 * sp.sqrt(n_plus * n_minus)))

R1 = register(Bound(
    key="R1",
    name="Projection bound (aggregate)",
    statement=(r"Every $f\in F_k(\psi)$ (any $\psi$, any biases) with "
               r"$f(x_i)-f(x_j)\ge 2$ for $i\in I_+$, $j\in I_-$ and $\max\|x_i\|\le R$ has "
               r"$\mathrm{Lip}_{B_R}(f)\ge 2\sqrt{n_+n_-}/(\|X\|_{\mathrm{op}}"
               r"\sqrt{\max(n_\pm)\,r+2\sqrt{n_+n_-}})$, $r=\operatorname{rank}W$."),
    quantity=r"\mathrm{Lip}_{B_R}(f)",
    expr=_R1_expr,
    hypotheses=(Hypothesis("separation"), Hypothesis("data_in_ball"),
                Hypothesis("both_labels")),
    status="proved",
    references=("docs/mathematics.md#r1-projection-bound", BLN),
    regimes={"linear": _sphere_linear, "poly": _sphere_linear},
    regime_note=(r"rows uniform on $S^{d-1}$: $\|X\|_{\mathrm{op}}\to 1+\sqrt{n/d}$ (Bai--Yin); "
                 r"balanced labels; $r=k\le d$"),
    derivation=(
        "f(x) = f(Px), P the projection onto span{w_l}, r = rank P.",
        "Pair: the segment [Px_i, Px_j] lies in B_R, so Lip >= Delta_ij / ||P(x_i - x_j)||.",
        "Geometry: sum_{I+ x I-} ||P(x_i-x_j)||^2 <= ||X||^2 (max(n+-) r + 2 sqrt(n+ n-)).",
        "Cauchy-Schwarz: Lip >= sum Delta_ij / (sqrt(n+ n-) sqrt(sum ||P(x_i-x_j)||^2)).",
        "Fitting: Delta_ij >= 2.",
    ),
))

R1_pair = register(Bound(
    key="R1.pair",
    name="Projection bound (pair certificate)",
    statement=(r"For $i\in I_+$, $j\in I_-$ and $R\ge\max\|x_i\|$: "
               r"$\mathrm{Lip}_{B_R}(f)\ge (f(x_i)-f(x_j))/\|P(x_i-x_j)\|$."),
    quantity=r"\mathrm{Lip}_{B_R}(f)",
    expr=Delta / P_dist,
    hypotheses=(Hypothesis("data_in_ball"), Hypothesis("both_labels")),
    status="proved",
    references=("docs/mathematics.md#r1-projection-bound", BLN),
))

R1_geom = register(Bound(
    key="R1.geom",
    name="Projection geometry inequality",
    statement=(r"$\sum_{i\in I_+,j\in I_-}\|P(x_i-x_j)\|^2\le\|X\|_{\mathrm{op}}^2"
               r"(\max(n_\pm)\,r+2\sqrt{n_+n_-})$ for every orthogonal projection P of rank r."),
    quantity=r"\sum_{i\in I_+,j\in I_-}\|P(x_i-x_j)\|^2",
    expr=X_op**2 * (sp.Max(n_plus, n_minus) * r + 2 * sp.sqrt(n_plus * n_minus)),
    hypotheses=(Hypothesis("both_labels"),),
    status="proved",
    direction="upper",
    references=("docs/mathematics.md#r1-projection-bound",),
    regimes={"linear": _sphere_linear, "poly": _sphere_linear},
    regime_note=r"rows uniform on $S^{d-1}$, balanced labels, $r = k$",
))

R1_sphere = register(Bound(
    key="R1.sphere",
    name="Projection bound on the sphere (pair certificate)",
    statement=(r"Data on $S^{d-1}$, $r<d$, $\rho_{ij}=\max(\|Px_i\|,\|Px_j\|)<1$: "
               r"$\mathrm{Lip}_S(f)\ge (f(x_i)-f(x_j))\sqrt{1-\rho_{ij}^2}/\|P(x_i-x_j)\|$."),
    quantity=r"\mathrm{Lip}_S(f)",
    expr=Delta * sp.sqrt(1 - rho**2) / P_dist,
    hypotheses=(Hypothesis("data_on_sphere"), Hypothesis("rank_deficient"),
                Hypothesis("both_labels")),
    status="proved",
    references=("docs/mathematics.md#r1-sphere",),
    derivation=(
        "Lift the segment [Px_i, Px_j] to the sphere along a unit e orthogonal to range P:",
        "gamma(t) = Px(t) + sqrt(1 - ||Px(t)||^2) e, and f(gamma(t)) = f(Px(t)).",
        "||gamma'(t)|| <= ||v|| / sqrt(1 - rho^2) with v = P(x_i - x_j), ||Px(t)|| <= rho.",
    ),
))

R1_sphere_agg = register(Bound(
    key="R1.sphere.agg",
    name=r"Projection bound on the sphere (aggregate over pairs with $\rho_{ij}\le\rho$)",
    statement=(r"Restricting to the $n'_\pm$ points with $\|Px_i\|\le\rho<1$: "
               r"$\mathrm{Lip}_S(f)\ge\sqrt{1-\rho^2}$ times the R1 aggregate over them."),
    quantity=r"\mathrm{Lip}_S(f)",
    expr=sp.sqrt(1 - rho**2) * _R1_expr,
    hypotheses=(Hypothesis("separation"), Hypothesis("data_on_sphere"),
                Hypothesis("rank_deficient"), Hypothesis("both_labels")),
    status="proved",
    references=("docs/mathematics.md#r1-sphere",),
    regimes={"linear": {**_sphere_linear, rho: sp.sqrt(2 * k / d)}},
    regime_note=(r"as R1, and $\rho^2 \to 2k/d$ (twice the typical $\|Px\|^2 = k/d$, "
                 r"keeping a constant fraction of the points; heuristic)"),
))

R1_op = register(Bound(
    key="R1.op",
    name="Projection bound for the spectral proxy",
    statement=(r"Under the hypotheses of R1, "
               r"$L_\psi\|a\|_2\|W\|_{\mathrm{op}}\ge\mathrm{Lip}_{\mathbb R^d}(f)\ge$ "
               r"the R1 value."),
    quantity=r"L_\psi\|a\|_2\|W\|_{\mathrm{op}}",
    expr=_R1_expr,
    hypotheses=(Hypothesis("separation"), Hypothesis("both_labels")),
    status="proved",
    references=("docs/mathematics.md#r1-projection-bound",),
    regimes={"linear": _sphere_linear},
    regime_note=r"as R1",
))



def derive_geometry() -> dict:
    r"""The algebra behind R1.geom, with sympy scalars standing for the sums.

    With :math:`A_\pm = \sum_{I_\pm}\|Px_i\|^2`, :math:`S_\pm = \sum_{I_\pm} Px_i`:
    :math:`\sum_{I_+\times I_-}\|P(x_i - x_j)\|^2 = n_-A_+ + n_+A_- - 2S_+\cdot S_-`,
    then :math:`n_-A_+ + n_+A_- \le \max(n_\pm)(A_+ + A_-) \le \max(n_\pm)\,r\|X\|^2`
    and :math:`|S_+\cdot S_-|\le\|X\|^2\sqrt{n_+n_-}`.

    Returns the expansion (checked symbolically for small explicit sizes in the
    tests) and the final bound, equal to ``R1_geom.expr``.

    >>> sp.simplify(derive_geometry()["bound"] - R1_geom.expr)
    0
    """
    A_p, A_m, SS = sp.symbols("A_plus A_minus S_dot", real=True)
    expansion = n_minus * A_p + n_plus * A_m - 2 * SS
    bound = sp.Max(n_plus, n_minus) * r * X_op**2 + 2 * X_op**2 * sp.sqrt(n_plus * n_minus)
    return {"expansion": expansion, "bound": sp.factor(bound)}


