r"""Derivations of the LipSDP reduction (two-layer networks) and of the S4 telescoping bound.

See ``docs/mathematics.md#lipsdp-reduction`` and ``docs/mathematics.md#s4-weight-perturbations``.

Examples
--------
>>> LIPSDP_DERIVATION.check(trials=3), S4_DERIVATION.check(trials=3)
([], [])
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.derivations.core import Derivation, Identity, Inequality, register_derivation
from theory.perturbation import margin_change_bound_expr, s4_symbols


def _woodbury() -> Identity:
    t1, t2, a1, a2 = sp.symbols("t1 t2 a1 a2", positive=True)
    T2, a = sp.diag(2 * t1, 2 * t2), sp.Matrix([a1, a2])
    s = (a.T * T2.inv() * a)[0]
    lhs = (T2 - a * a.T).inv()
    rhs = T2.inv() + T2.inv() * a * a.T * T2.inv() / (1 - s)
    return Identity(sum(sp.simplify(lhs - rhs)), sp.Integer(0),
                    r"Woodbury: $(2T-aa^T)^{-1}=(2T)^{-1}+(2T)^{-1}aa^T(2T)^{-1}/(1-s)$, "
                    r"$s=\sum_\ell a_\ell^2/(2t_\ell)$ ($k=2$ symbolic)",
                    show=(r"(2T-aa^T)^{-1}", r"(2T)^{-1}+\frac{(2T)^{-1}aa^T(2T)^{-1}}{1-s}"))


def _schur() -> Identity:
    t1, t2, a1, a2 = sp.symbols("t1 t2 a1 a2", positive=True)
    W = sp.Matrix(2, 2, sp.symbols("w11 w12 w21 w22", real=True))
    T, a = sp.diag(t1, t2), sp.Matrix([a1, a2])
    s = a1 ** 2 / (2 * t1) + a2 ** 2 / (2 * t2)
    g = W.T * a
    lhs = W.T * T * (2 * T - a * a.T).inv() * T * W
    rhs = W.T * T * W / 2 + g * g.T / (4 * (1 - s))
    return Identity(sum(sp.simplify(lhs - rhs)), sp.Integer(0),
                    r"Schur complement of $-2T+aa^T$ in the LipSDP matrix: "
                    r"$W^TT(2T-aa^T)^{-1}TW=\tfrac12W^TTW+gg^T/(4(1-s))$, $g=W^Ta$ "
                    r"($k=d=2$ symbolic)",
                    show=(r"W^TT(2T-aa^T)^{-1}TW", r"\tfrac12W^TTW+\frac{gg^T}{4(1-s)}"))


def _lipsdp_bound(rng):
    """|f(x) - f(x')|^2 <= lambda_max(R(t)) ||x - x'||^2 for a random relu net and any t
    with s(t) < 1 (the certificate, on random point pairs)."""
    k, d = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    W, a, b = rng.standard_normal((k, d)), rng.standard_normal(k), rng.standard_normal(k)
    t = a ** 2 / (2 * rng.dirichlet(np.ones(k)) * rng.uniform(0.05, 0.95)) + 1e-12
    s = (a ** 2 / (2 * t)).sum()
    g = W.T @ a
    R = 0.5 * W.T @ np.diag(t) @ W + np.outer(g, g) / (4 * (1 - s))
    x, xp = rng.standard_normal(d), rng.standard_normal(d)
    f = lambda z: a @ np.maximum(W @ z + b, 0)  # noqa: E731
    return (f(x) - f(xp)) ** 2, np.linalg.eigvalsh(R)[-1] * ((x - xp) @ (x - xp))


LIPSDP_DERIVATION = register_derivation(Derivation(
    key="lipsdp",
    title="The LipSDP reduction for two-layer networks",
    anchor="lipsdp-reduction",
    statement=(r"for $t>0$ with $s(t)<1$: $\mathrm{Lip}_{\mathbb R^d}(f)\le\sqrt{\lambda_{\max}"
               r"(\tfrac12W^T\mathrm{diag}(t)W+gg^T/(4(1-s(t))))}$, $\psi$ slope-restricted in "
               r"$[0,1]$."),
    steps=(
        _woodbury(),
        _schur(),
        Inequality(r"|f(x)-f(x')|^2", r"\lambda_{\max}(R(t))\,\|x-x'\|^2",
                   "S-procedure (sector inequalities)", r"$(\Delta v-0)(\Delta z-\Delta v)\ge0$ "
                   r"per neuron with multipliers $2t_\ell$; random relu networks, random "
                   r"feasible $t$ and point pairs", _lipsdp_bound),
    ),
))


def _telescoping() -> Identity:
    n1, n2, e1, e2, P0 = sp.symbols("n_1 n_2 epsilon_1 epsilon_2 P_0", nonnegative=True)
    Ph1, P1 = (n1 + e1) * P0, n1 * P0
    D1 = Ph1 - P1
    return Identity(e2 * Ph1 + n2 * D1, (n2 + e2) * Ph1 / P0 * P0 - n2 * P1,
                    r"the recursion $D_i=\epsilon_i\hat P_{i-1}+\|W^i\|_\infty D_{i-1}$ "
                    r"telescopes to $\hat P_i-P_i$ (one step, symbolic)",
                    show=(r"\epsilon_i\hat P_{i-1}+\|W^i\|_\infty(\hat P_{i-1}-P_{i-1})",
                          r"\hat P_i-P_i"))


def _margin_step(rng):
    """|m_hat - m| <= the bound, for random depth-2 relu networks and perturbations."""
    d, h, K = (int(v) for v in rng.integers(2, 6, size=3))
    W1, W2 = rng.standard_normal((h, d)), rng.standard_normal((K, h))
    x = rng.standard_normal(d)
    E1, E2 = rng.standard_normal((h, d)), rng.standard_normal((K, h))
    e1, e2 = rng.uniform(0, 0.5, size=2)
    E1 *= e1 / np.abs(E1).sum(axis=1).max()
    E2 *= e2 / np.abs(E2).sum(axis=1).max()
    yk = rng.choice(K, size=2, replace=False)

    def margin(A, B):
        out = B @ np.maximum(A @ x, 0)
        return out[yk[0]] - out[yk[1]]
    expr, syms = margin_change_bound_expr(2)
    val = float(expr.subs({syms.x_inf: np.abs(x).max(),
                           syms.u: np.abs(W2[yk[0]] - W2[yk[1]]).sum(),
                           syms.norms[0]: np.abs(W1).sum(axis=1).max(),
                           syms.eps[0]: e1, syms.eps[1]: e2}))
    return abs(margin(W1 + E1, W2 + E2) - margin(W1, W2)), val


_syms = s4_symbols(2)
_P1, _Ph1 = _syms.norms[0], _syms.norms[0] + _syms.eps[0]
S4_DERIVATION = register_derivation(Derivation(
    key="S4",
    title="S4: margin change under weight perturbations",
    anchor="s4-weight-perturbations",
    statement=(r"$|\hat m-m|\le\|x\|_\infty[\|W^L_y-W^L_k\|_1(\hat P_{L-1}-P_{L-1})"
               r"+2\epsilon_L\hat P_{L-1}]$ (shown for $L=2$)."),
    steps=(
        _telescoping(),
        Identity(_syms.x_inf * (_syms.u * (_Ph1 - _P1) + 2 * _syms.eps[1] * _Ph1),
                 margin_change_bound_expr(2)[0],
                 r"last layer: $2\epsilon_L\hat P_{L-1}\|x\|_\infty+\|W^L_y-W^L_k\|_1"
                 r"\Delta_{L-1}$ (H\"older), at $L=2$", kind="reduction"),
        Inequality(r"|\hat m(x)-m(x)|", "B", "the telescoping bound",
                   r"random depth-2 relu networks and perturbations with "
                   r"$\|\hat W^i-W^i\|_\infty\le\epsilon_i$", _margin_step),
    ),
))
