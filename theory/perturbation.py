r"""S4: robustness of the class margin to norm-bounded weight perturbations.

Setting (docs/mathematics.md#s4-weight-perturbations). A depth-:math:`L` network without biases,

.. math::

    h^0 = x,\qquad h^i = \psi(W^i h^{i-1})\ (1 \le i < L),\qquad
    f(x) = W^L h^{L-1} \in \mathbb R^K,

with an activation :math:`\psi` that is 1-Lipschitz and vanishes at 0 (relu,
leaky relu, tanh, abs). The margin between classes :math:`y` and :math:`k` is
:math:`m(x) = f_y(x) - f_k(x) = (W^L_y - W^L_k)\cdot h^{L-1}`. Norms:
:math:`\|\cdot\|_\infty` of a matrix is the max absolute row sum (the
:math:`\ell_\infty \to \ell_\infty` operator norm); :math:`\|v\|_1`,
:math:`\|v\|_\infty` for vectors.

**Derived here [proved here]** (the telescoping bound). If
:math:`\|\hat W^i - W^i\|_\infty \le \epsilon_i` for every layer, then

.. math::

    |\hat m(x) - m(x)| \le \|x\|_\infty\Big[\|W^L_y - W^L_k\|_1
      \Big(\prod_{i<L}(\|W^i\|_\infty + \epsilon_i) - \prod_{i<L}\|W^i\|_\infty\Big)
      + 2\epsilon_L \prod_{i<L}(\|W^i\|_\infty + \epsilon_i)\Big].

Proof (each step is checked symbolically by :func:`verify_telescoping`).
Write :math:`P_i = \prod_{j\le i}\|W^j\|_\infty`, :math:`\hat P_i =
\prod_{j\le i}(\|W^j\|_\infty + \epsilon_j)`, :math:`\Delta_i =
\|\hat h^i - h^i\|_\infty`.

1. :math:`|\psi(u)| \le |u|` and :math:`|\psi(u) - \psi(v)| \le |u - v|`
   (1-Lipschitz, :math:`\psi(0) = 0`), coordinatewise; hence
   :math:`\|h^i\|_\infty \le \|W^i\|_\infty \|h^{i-1}\|_\infty`, so
   :math:`\|h^i\|_\infty \le P_i\|x\|_\infty` and :math:`\|\hat h^i\|_\infty
   \le \hat P_i \|x\|_\infty`.
2. :math:`\Delta_i \le \|(\hat W^i - W^i)\hat h^{i-1}\|_\infty +
   \|W^i(\hat h^{i-1} - h^{i-1})\|_\infty \le \epsilon_i \hat P_{i-1}\|x\|_\infty
   + \|W^i\|_\infty \Delta_{i-1}`, :math:`\Delta_0 = 0`.
3. The recursion :math:`D_i = \epsilon_i \hat P_{i-1} + \|W^i\|_\infty D_{i-1}`,
   :math:`D_0 = 0` telescopes to :math:`D_i = \hat P_i - P_i`, so
   :math:`\Delta_i \le (\hat P_i - P_i)\|x\|_\infty`.
4. :math:`\hat m - m = (\hat W^L_y - W^L_y - \hat W^L_k + W^L_k)\cdot\hat h^{L-1}
   + (W^L_y - W^L_k)\cdot(\hat h^{L-1} - h^{L-1})`; the first term is at most
   :math:`2\epsilon_L \hat P_{L-1}\|x\|_\infty` (each row of
   :math:`\hat W^L - W^L` has :math:`\ell_1` norm :math:`\le \epsilon_L`), the
   second at most :math:`\|W^L_y - W^L_k\|_1 \Delta_{L-1}` (Hölder).

**Attained** [proved here]: at depth 1 (:math:`L = 1`, :math:`f = W^1 x`) the bound
is :math:`2\epsilon_1\|x\|_\infty`, attained by moving :math:`\epsilon_1` of row
:math:`y` and :math:`-\epsilon_1` of row :math:`k` onto a coordinate where
:math:`|x_j|` is largest. At every depth it is attained for relu networks with
entrywise non-negative hidden weights whose rows all have the same sum,
:math:`x` a non-negative constant vector and :math:`W^L_y - W^L_k \ge 0`
(spread every layer's budget evenly: :math:`\hat W^i = W^i +
\epsilon_i\,\mathbf 1\mathbf 1^T / n_{i-1}`, and :math:`\mp` in the last layer).

**Cited** [cited: Tsai, Hsu, Yu, Chen, NeurIPS 2021, arXiv 2103.02200]: the
paper states a pairwise-margin bound of this form under the *same* norms for
feed-forward networks with **non-negative monotone** activations.  Only the
abstract is available in this project's sources (the source abstract), so
the paper's exact constants are not verified here; :data:`CITED_STATEMENT`
records the statement as our sources give it. Our derivation above needs only
1-Lipschitz and :math:`\psi(0) = 0` (so it covers tanh, which is not
non-negative).

Examples
--------
>>> expr, syms = margin_change_bound_expr(2)
>>> expr
x_inf*(epsilon_1*u + 2*epsilon_2*(epsilon_1 + n_1))
>>> verify_telescoping(4)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .activations import Activation, get_activation, t

__all__ = [
    "S4_BOUND",
    "S4_CITED",
    "CITED_STATEMENT",
    "DERIVED_STATEMENT",
    "S4Symbols",
    "activation_hypotheses",
    "depth_one_bound",
    "margin_change_bound_expr",
    "margin_change_bound_latex",
    "telescoping_recursion",
    "verify_telescoping",
]

#: The statement we derive and prove (telescoping per layer).
DERIVED_STATEMENT = (
    "For a bias-free depth-L network with a 1-Lipschitz activation vanishing at 0, "
    "if ||What^i - W^i||_inf <= eps_i (max absolute row sum) for every layer i, then the "
    "margin m = f_y - f_k changes by at most ||x||_inf [ ||W^L_y - W^L_k||_1 "
    "(prod_{i<L}(||W^i||_inf + eps_i) - prod_{i<L} ||W^i||_inf) "
    "+ 2 eps_L prod_{i<L}(||W^i||_inf + eps_i) ]. [proved here]"
)

#: The cited paper's statement, as recorded in docs/mathematics.md#s4-weight-perturbations
#: (not verified against
#: the paper's full text, which is not among this project's sources).
CITED_STATEMENT = (
    "Tsai, Hsu, Yu, Chen (NeurIPS 2021, arXiv 2103.02200): for feed-forward networks with "
    "non-negative monotone activations and norm-bounded weight perturbations "
    "||What^i - W^i||_inf <= eps_i, the pairwise class margin changes by at most a bound of "
    "the form above (docs/mathematics.md#s4-weight-perturbations). "
    "[cited; constants not verified against the full text]"
)


@dataclass(frozen=True)
class S4Symbols:
    """The sympy symbols of the depth-``L`` bound.

    Attributes
    ----------
    depth : int
        ``L``.
    x_inf : sympy.Symbol
        :math:`\\|x\\|_\\infty`.
    u : sympy.Symbol
        :math:`\\|W^L_y - W^L_k\\|_1`.
    norms : tuple of sympy.Symbol
        :math:`\\|W^i\\|_\\infty`, ``i = 1..L-1`` (length ``L - 1``).
    eps : tuple of sympy.Symbol
        :math:`\\epsilon_i`, ``i = 1..L`` (length ``L``).
    """

    depth: int
    x_inf: sp.Symbol
    u: sp.Symbol
    norms: tuple
    eps: tuple

    def __getitem__(self, key: str):
        return getattr(self, key)

    @property
    def all(self) -> tuple:
        """All symbols in the order ``(x_inf, u, *norms, *eps)`` (the argument
        order of the lambdified bound)."""
        return (self.x_inf, self.u, *self.norms, *self.eps)


def _check_depth(depth) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth: must be an integer >= 1, got {depth!r}")
    return depth


def s4_symbols(depth: int) -> S4Symbols:
    """The symbols of the depth-``depth`` bound (all non-negative reals)."""
    depth = _check_depth(depth)
    nonneg = {"nonnegative": True, "real": True}
    return S4Symbols(
        depth=depth,
        x_inf=sp.Symbol("x_inf", **nonneg),
        u=sp.Symbol("u", **nonneg),
        norms=tuple(sp.Symbol(f"n_{i}", **nonneg) for i in range(1, depth)),
        eps=tuple(sp.Symbol(f"epsilon_{i}", **nonneg) for i in range(1, depth + 1)),
    )


def _products(syms: S4Symbols) -> tuple[sp.Expr, sp.Expr]:
    """:math:`(\\prod_{i<L}\\|W^i\\|, \\prod_{i<L}(\\|W^i\\| + \\epsilon_i))`."""
    p = sp.Mul(*syms.norms)
    phat = sp.Mul(*[n + e for n, e in zip(syms.norms, syms.eps[:-1], strict=True)])
    return p, phat


def margin_change_bound_expr(depth: int) -> tuple[sp.Expr, S4Symbols]:
    r"""The S4 bound for a depth-``depth`` network, as a sympy expression.

    .. math::

        B = \|x\|_\infty\Big[u\Big(\prod_{i<L}(n_i + \epsilon_i) - \prod_{i<L} n_i\Big)
            + 2\epsilon_L\prod_{i<L}(n_i + \epsilon_i)\Big],

    with :math:`u = \|W^L_y - W^L_k\|_1`, :math:`n_i = \|W^i\|_\infty`.

    Parameters
    ----------
    depth : int
        Number of weight layers ``L >= 1`` (``L = 1``: a linear map).

    Returns
    -------
    expr : sympy.Expr
    symbols : S4Symbols

    Raises
    ------
    ValueError
        ``depth`` not an integer >= 1.

    Examples
    --------
    >>> expr, syms = margin_change_bound_expr(1)
    >>> expr
    2*epsilon_1*x_inf
    """
    syms = s4_symbols(depth)
    p, phat = _products(syms)
    expr = syms.x_inf * (syms.u * (phat - p) + 2 * syms.eps[-1] * phat)
    return expr, syms


def margin_change_bound_latex(depth: int | None = None) -> str:
    r"""LaTeX of the bound: general form (``depth=None``) or expanded for one depth.

    Examples
    --------
    >>> "2\\epsilon_L" in margin_change_bound_latex()
    True
    """
    if depth is None:
        return (r"\|x\|_\infty\Big[\|W^L_y - W^L_k\|_1\Big(\prod_{i<L}(\|W^i\|_\infty"
                r" + \epsilon_i) - \prod_{i<L}\|W^i\|_\infty\Big) + 2\epsilon_L"
                r"\prod_{i<L}(\|W^i\|_\infty + \epsilon_i)\Big]")
    expr, _ = margin_change_bound_expr(depth)
    return sp.latex(expr)


def telescoping_recursion(depth: int) -> list[sp.Expr]:
    r"""The per-layer deviation bounds :math:`D_0, \dots, D_{L-1}` from the recursion

    .. math::

        D_0 = 0,\qquad D_i = \epsilon_i \hat P_{i-1} + n_i D_{i-1}

    (step 2 of the proof, in units of :math:`\|x\|_\infty`).

    Examples
    --------
    >>> telescoping_recursion(3)
    [0, epsilon_1, epsilon_1*n_2 + epsilon_2*(epsilon_1 + n_1)]
    """
    syms = s4_symbols(depth)
    D = [sp.Integer(0)]
    phat = sp.Integer(1)
    for n, e in zip(syms.norms, syms.eps[:-1], strict=True):
        D.append(e * phat + n * D[-1])
        phat = phat * (n + e)
    return D


def verify_telescoping(depth: int) -> bool:
    r"""Check symbolically that the proof's steps give exactly the stated bound.

    Verifies (i) :math:`D_i = \hat P_i - P_i` for every ``i < L`` (step 3) and
    (ii) :math:`\|x\|_\infty (u D_{L-1} + 2\epsilon_L\hat P_{L-1})` equals
    :func:`margin_change_bound_expr` (step 4).

    Examples
    --------
    >>> all(verify_telescoping(L) for L in (1, 2, 3))
    True
    """
    syms = s4_symbols(depth)
    D = telescoping_recursion(depth)
    p, phat = sp.Integer(1), sp.Integer(1)
    for i, (n, e) in enumerate(zip(syms.norms, syms.eps[:-1], strict=True), start=1):
        p, phat = p * n, phat * (n + e)
        if sp.expand(D[i] - (phat - p)) != 0:
            return False
    expr, _ = margin_change_bound_expr(depth)
    step4 = syms.x_inf * (syms.u * D[-1] + 2 * syms.eps[-1] * phat)
    return sp.expand(step4 - expr) == 0


def depth_one_bound() -> sp.Expr:
    r"""At depth 1 the bound is :math:`2\epsilon_1\|x\|_\infty` (attained; see the
    module docstring).

    Examples
    --------
    >>> depth_one_bound()
    2*epsilon_1*x_inf
    """
    return margin_change_bound_expr(1)[0]


def activation_hypotheses(activation: str | Activation) -> dict:
    r"""Check the hypotheses of the derived bound for an activation, symbolically.

    Returns a dict with ``lipschitz`` (:math:`L_\psi`), ``value_at_zero``
    (:math:`\psi(0)`), ``holds`` (``L_psi <= 1 and psi(0) == 0``) and
    ``reason``.

    Examples
    --------
    >>> activation_hypotheses("tanh")["holds"]
    True
    >>> activation_hypotheses("softplus:1")["reason"]
    'psi(0) = log(2) != 0'
    """
    act = get_activation(activation)
    lip = act.lipschitz()
    at0 = sp.simplify(act.expr.subs(t, 0))
    if at0 != 0:
        return {"lipschitz": lip, "value_at_zero": at0, "holds": False,
                "reason": f"psi(0) = {at0} != 0"}
    if not bool(lip <= 1):
        return {"lipschitz": lip, "value_at_zero": at0, "holds": False,
                "reason": f"L_psi = {lip} > 1"}
    return {"lipschitz": lip, "value_at_zero": at0, "holds": True,
            "reason": "1-Lipschitz and psi(0) = 0"}


# ---------------------------------------------------------------------------
# Registered bounds (tables): the two-layer instance L = 2 of the general form
# ---------------------------------------------------------------------------
def _register_bounds():
    from .bounds import Bound, Hypothesis, register

    expr2, _ = margin_change_bound_expr(2)
    hyps = (
        Hypothesis("no_biases", "bias-free layers $h^i = \\psi(W^i h^{i-1})$"),
        Hypothesis("weight_budget",
                   "$\\|\\hat W^i - W^i\\|_\\infty \\le \\epsilon_i$ (max absolute row sum)"),
    )
    derived = register(Bound(
        key="S4",
        name="Margin change under weight perturbations (ours, $L=2$ shown)",
        statement=(r"Depth-$L$ bias-free network, 1-Lipschitz $\psi$ with $\psi(0)=0$: "
                   r"$|\hat m - m| \le " + margin_change_bound_latex() + r"$; the row shows "
                   r"$L = 2$ ($u = \|W^2_y - W^2_k\|_1$, $n_1 = \|W^1\|_\infty$). "
                   r"Attained at depth 1 and on non-negative relu instances."),
        quantity=r"|\hat m(x) - m(x)|",
        expr=expr2,
        hypotheses=(Hypothesis("lipschitz_activation_vanishing_at_0",
                               r"$\psi$ 1-Lipschitz, $\psi(0) = 0$"), *hyps),
        status="proved",
        direction="upper",
        references=("docs/mathematics.md#s4-weight-perturbations",
                    "theory/perturbation.py (telescoping derivation)"),
        derivation=(
            r"$\|h^i\|_\infty \le \|W^i\|_\infty\|h^{i-1}\|_\infty$ (1-Lipschitz, $\psi(0)=0$)",
            r"$\Delta_i \le \epsilon_i\hat P_{i-1}\|x\|_\infty + \|W^i\|_\infty\Delta_{i-1}$",
            r"telescoping: $\Delta_i \le (\hat P_i - P_i)\|x\|_\infty$",
            r"last layer: $2\epsilon_L\hat P_{L-1}\|x\|_\infty + \|W^L_y-W^L_k\|_1\Delta_{L-1}$",
        ),
    ))
    cited = register(Bound(
        key="S4.cited",
        name="Pairwise margin under weight perturbations (Tsai et al.)",
        statement=(r"Feed-forward networks with non-negative monotone activations, "
                   r"$\|\hat W^i - W^i\|_\infty\le\epsilon_i$: the pairwise class margin "
                   r"changes by at most a bound of this form (as recorded in our sources; "
                   r"constants not verified against the paper's full text)."),
        quantity=r"|\hat m(x) - m(x)|",
        expr=expr2,
        hypotheses=(Hypothesis("nonnegative_monotone_activation",
                               "non-negative monotone activation"), *hyps),
        status="cited",
        direction="upper",
        references=("Tsai, Hsu, Yu, Chen, NeurIPS 2021 (arXiv 2103.02200)",),
    ))
    return derived, cited


S4_BOUND, S4_CITED = _register_bounds()
