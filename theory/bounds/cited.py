r"""Cited lower bounds recorded beside ours: BLN's conjecture, Bubeck--Sellke, Shmalo.

Statements: ``docs/mathematics.md#law-of-robustness``,
``docs/mathematics.md#bubeck-sellke``, ``docs/mathematics.md#shmalo``. The
package records these (statement, constants, reference) and does not claim
to prove them.

Examples
--------
>>> from theory.bounds.core import get_bound
>>> get_bound("BS").status
'cited'
"""

from __future__ import annotations

import sympy as sp

from theory.bounds.core import Bound, Hypothesis, register
from theory.symbols import (
    C_univ,
    J_lip,
    K_pieces,
    Lambda_BS,
    W_diam,
    c_iso,
    c_univ,
    d,
    delta,
    eps,
    k,
    m_width,
    n,
    n_params,
)

BLN = "Bubeck, Li, Nagaraj, COLT 2021 (arXiv 2009.14444)"
BS = "Bubeck, Sellke, NeurIPS 2021 (arXiv 2105.12806)"
SHMALO = "Shmalo, arXiv 2607.07778"

register(Bound(
    key="BLN",
    name="Law of robustness conjecture",
    statement=(r"Generic data, random labels, any Lipschitz $\psi$: w.h.p. every interpolating "
               r"$f\in F_k(\psi)$ has $\mathrm{Lip}(f)\ge c_0\sqrt{n/k}$."),
    quantity=r"\mathrm{Lip}(f)",
    expr=c_univ * sp.sqrt(n / k),
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("generic_data"),
                Hypothesis("random_labels")),
    status="cited",
    references=(BLN,),
    regimes={"linear": {}, "poly": {}},
    regime_note="conjecture (open in general)",
))

register(Bound(
    key="BS",
    name="Universal law of robustness",
    statement=(r"p parameters in a set of diameter W, $J$-Lipschitz parametrization, "
               r"c-isoperimetric covariates, $8^4\log(8/\delta)\le n\epsilon^2$: with probability "
               r"$1-\delta$ every f with empirical loss $\le\sigma^2-\epsilon$ has "
               r"$\mathrm{Lip}(f)\ge\frac{\epsilon}{2^9\sqrt c}"
               r"\sqrt{\frac{nd}{p\log(60WJ/\epsilon)+\log(4/\delta)}}$."),
    quantity=r"\mathrm{Lip}(f)",
    expr=eps / (2**9 * sp.sqrt(c_iso)) * sp.sqrt(
        n * d / (n_params * sp.log(60 * W_diam * J_lip / eps) + sp.log(4 / delta))),
    hypotheses=(Hypothesis("generic_data"),
                Hypothesis("bounded_weights", "weights in a set of diameter W (polynomial)"),
                Hypothesis("random_labels")),
    status="cited",
    probability=1 - delta,
    references=(BS,),
    regimes={"linear": {n_params: k * (d + 1), sp.log(60 * W_diam * J_lip / eps): Lambda_BS},
             "poly": {n_params: k * (d + 1), sp.log(60 * W_diam * J_lip / eps): Lambda_BS}},
    regime_note=(r"two-layer nets: $N_{\mathrm{par}} = k(d+1)$ parameters; "
                 r"$\Lambda = \log(60WJ/\epsilon)$; $\epsilon$, $W$, $J$, "
                 r"$c_{\mathrm{iso}}$ fixed"),
))

register(Bound(
    key="Shmalo",
    name="Law of robustness with arbitrary weights",
    statement=(r"Continuous piecewise-linear $\psi$ with K pieces, $d\ge 3$, sphere or "
               r"Gaussian data: $\mathrm{Lip}\ge c_0\epsilon\sqrt{n/(\bar m\log(C_0\bar m n d/"
               r"\epsilon))}$, $\bar m=(K-1)m+1$."),
    quantity=r"\mathrm{Lip}(f)",
    expr=c_univ * eps * sp.sqrt(n / (((K_pieces - 1) * m_width + 1) * sp.log(
        C_univ * ((K_pieces - 1) * m_width + 1) * n * d / eps))),
    hypotheses=(Hypothesis("generic_data"), Hypothesis("random_labels"),
                Hypothesis("piecewise_linear", "continuous piecewise-linear activation")),
    status="cited",
    references=(SHMALO,),
    regimes={"linear": {m_width: k}, "poly": {m_width: k}},
    regime_note=r"width $m = k$; $K$, $\epsilon$ fixed",
))
