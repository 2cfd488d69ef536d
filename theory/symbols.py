r"""The sympy symbols every bound, derivation and table shares.

One symbol table: each exported symbol is defined here once, with the LaTeX
name a table, notebook or docstring prints for it (see :data:`LATEX_NAMES`
and :func:`latex`). Code names are ASCII (``n_plus``); printed names are the
mathematics (:math:`n_+`). The notation is that of
``docs/mathematics.md#notation``.

Examples
--------
>>> str(n_plus), LATEX_NAMES[n_plus]
('n_plus', 'n_+')
"""

from __future__ import annotations

import sympy as sp

n = sp.Symbol("n", positive=True)
d = sp.Symbol("d", positive=True)
k = sp.Symbol("k", positive=True)
n_plus = sp.Symbol("n_plus", positive=True)
n_minus = sp.Symbol("n_minus", positive=True)
#: :math:`\|X\|_{op}`, the largest singular value of the data matrix.
X_op = sp.Symbol("X_op", positive=True)
#: :math:`\|M\|_{op}` with :math:`M = X^T \mathrm{diag}(y) X` (R3).
M_op = sp.Symbol("M_op", positive=True)
#: rank of the projection onto span of the neurons' weights (R1).
r = sp.Symbol("r", positive=True)
delta = sp.Symbol("delta", positive=True)
#: regime constant: n = c d (linear) or n = c d^p (poly).
c = sp.Symbol("c", positive=True)
p = sp.Symbol("p", positive=True)
#: optional width ratio k = kappa d (pass ``k=kappa*d`` to :meth:`Bound.regime`).
kappa = sp.Symbol("kappa", positive=True)
#: radius of the ball domain.
R = sp.Symbol("R", positive=True)
#: a pair's value gap f(x_i) - f(x_j).
Delta = sp.Symbol("Delta", positive=True)
#: a pair's projected distance ||P(x_i - x_j)||.
P_dist = sp.Symbol("P_dist", positive=True)
#: max(||P x_i||, ||P x_j||) in the sphere version of R1.
rho = sp.Symbol("rho", nonnegative=True)
#: label mean.
ybar = sp.Symbol("ybar", real=True)
#: network width in Shmalo's bound (m there).
m_width = sp.Symbol("m", positive=True)
# Cited-bound symbols.
eps = sp.Symbol("epsilon", positive=True)
c_iso = sp.Symbol("c_iso", positive=True)
n_params = sp.Symbol("n_params", positive=True)
W_diam = sp.Symbol("W_diam", positive=True)
J_lip = sp.Symbol("J", positive=True)
K_pieces = sp.Symbol("K", positive=True)
c_univ = sp.Symbol("c_0", positive=True)
C_univ = sp.Symbol("C_0", positive=True)

#: LaTeX name of every exported symbol (used by :func:`latex`).
LATEX_NAMES: dict[sp.Symbol, str] = {
    n_plus: "n_+",
    n_minus: "n_-",
    X_op: r"\|X\|_{\mathrm{op}}",
    M_op: r"\|M\|_{\mathrm{op}}",
    Delta: r"\Delta_{ij}",
    P_dist: r"\|P(x_i - x_j)\|",
    rho: r"\rho",
    ybar: r"\bar y",
    eps: r"\epsilon",
    c_iso: r"c_{\mathrm{iso}}",
    n_params: r"N_{\mathrm{par}}",
    W_diam: "W",
    J_lip: "J",
    K_pieces: "K",
    c_univ: "c_0",
    C_univ: "C_0",
    m_width: "m",
    delta: r"\delta",
    kappa: r"\kappa",
}


def latex(expr, **kwargs) -> str:
    r"""LaTeX of a sympy expression with the symbol table's names.

    >>> latex(2 * sp.sqrt(n_plus * n_minus) / X_op)
    '\\frac{2 \\sqrt{n_-} \\sqrt{n_+}}{\\|X\\|_{\\mathrm{op}}}'
    """
    names = dict(LATEX_NAMES)
    names.update(kwargs.pop("symbol_names", {}))
    return sp.latex(sp.sympify(expr), symbol_names=names, **kwargs)
