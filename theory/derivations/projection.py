r"""Derivations of R1 (projection bound) and its sphere version.

See ``docs/mathematics.md#r1-projection-bound`` and ``docs/mathematics.md#r1-sphere``.

Examples
--------
>>> R1_DERIVATION.check(trials=3)
[]
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.bounds.projection import R1
from theory.derivations.core import Derivation, Identity, Inequality, register_derivation
from theory.symbols import X_op, n_minus, n_plus, r, rho
from theory.symbols import latex as sym_latex


def _instance(rng, n_pos=None, n_neg=None, d=None, r_=None):
    d = int(rng.integers(3, 8)) if d is None else d
    n_pos = int(rng.integers(1, 6)) if n_pos is None else n_pos
    n_neg = int(rng.integers(1, 6)) if n_neg is None else n_neg
    r_ = int(rng.integers(1, d)) if r_ is None else r_
    X = rng.standard_normal((n_pos + n_neg, d))
    B = np.linalg.qr(rng.standard_normal((d, r_)))[0]
    return X, B @ B.T, n_pos, n_neg, r_


def _pair_diffs(X, P, n_pos):
    Xp, Xm = X[:n_pos] @ P, X[n_pos:] @ P
    return (Xp[:, None, :] - Xm[None, :, :]).reshape(-1, X.shape[1])


def _pair_step(rng):
    """|f(x_i) - f(x_j)| <= L_op ||P(x_i - x_j)|| for a random tanh net, P onto span W."""
    k, d = int(rng.integers(1, 4)), int(rng.integers(4, 7))
    W, a, b = rng.standard_normal((k, d)), rng.standard_normal(k), rng.standard_normal(k)
    xi, xj = rng.standard_normal(d), rng.standard_normal(d)
    f = lambda x: a @ np.tanh(W @ x + b)  # noqa: E731
    Q_, _ = np.linalg.qr(W.T)
    L_op = np.linalg.norm(a) * np.linalg.norm(W, 2)
    return abs(f(xi) - f(xj)), L_op * np.linalg.norm(Q_ @ (Q_.T @ (xi - xj)))


def _cs_step(rng):
    X, P, n_pos, n_neg, _ = _instance(rng)
    norms = np.linalg.norm(_pair_diffs(X, P, n_pos), axis=1)
    return norms.sum(), np.sqrt(n_pos * n_neg) * np.sqrt((norms ** 2).sum())


def _geometry_step(rng):
    X, P, n_pos, n_neg, r_ = _instance(rng)
    q = (np.linalg.norm(_pair_diffs(X, P, n_pos), axis=1) ** 2).sum()
    xop = np.linalg.norm(X, 2)
    return q, xop ** 2 * (max(n_pos, n_neg) * r_ + 2 * np.sqrt(n_pos * n_neg))


def _expansion() -> Identity:
    """sum_{i,j} ||u_i - v_j||^2 = n_- sum||u_i||^2 + n_+ sum||v_j||^2 - 2 (sum u).(sum v),
    for symbolic vectors (n_+ = n_- = 2, d = 2)."""
    u = [sp.Matrix(sp.symbols(f"u{i}_1:3", real=True)) for i in range(2)]
    v = [sp.Matrix(sp.symbols(f"v{j}_1:3", real=True)) for j in range(2)]
    lhs = sum(((ui - vj).T * (ui - vj))[0] for ui in u for vj in v)
    su, sv = u[0] + u[1], v[0] + v[1]
    rhs = 2 * sum((ui.T * ui)[0] for ui in u) + 2 * sum((vj.T * vj)[0] for vj in v) \
        - 2 * (su.T * sv)[0]
    return Identity(lhs, rhs, r"expansion of $\sum_{I_+\times I_-}\|P(x_i-x_j)\|^2$, "
                    r"$A_\pm=\sum_{I_\pm}\|Px_i\|^2$, $S_\pm=\sum_{I_\pm}Px_i$ (checked for "
                    r"symbolic vectors, $n_\pm = 2$, $d = 2$)",
                    show=(r"\sum_{I_+\times I_-}\|P(x_i-x_j)\|^2",
                          r"n_-A_+ + n_+A_- - 2S_+\cdot S_-"))


_Qb = X_op ** 2 * (sp.Max(n_plus, n_minus) * r + 2 * sp.sqrt(n_plus * n_minus))

R1_DERIVATION = register_derivation(Derivation(
    key="R1",
    title="R1: the projection bound",
    anchor="r1-projection-bound",
    statement=(r"every $f\in F_k(\psi)$ with $f(x_i)-f(x_j)\ge 2$ ($i\in I_+$, $j\in I_-$) has "
               r"$\mathrm{Lip}_{B_R}(f)\ge " + sym_latex(R1.expr) + "$."),
    steps=(
        Inequality(r"|f(x_i)-f(x_j)|", r"\mathrm{Lip}(f)\,\|P(x_i-x_j)\|",
                   "pair certificate", r"$f = f\circ P$; random tanh networks, "
                   r"$\mathrm{Lip}$ replaced by its upper bound $\|a\|\|W\|_{\mathrm{op}}$",
                   _pair_step),
        Inequality(r"\sum_{I_+\times I_-}\|P(x_i-x_j)\|",
                   r"\sqrt{n_+n_-}\,\big(\sum\|P(x_i-x_j)\|^2\big)^{1/2}",
                   "Cauchy--Schwarz", r"over the $n_+n_-$ pairs, random data and projections",
                   _cs_step),
        _expansion(),
        Inequality(r"\sum_{I_+\times I_-}\|P(x_i-x_j)\|^2", _Qb, "geometry inequality",
                   r"$\sum\|Px_i\|^2\le r\|X\|_{\mathrm{op}}^2$, "
                   r"$\|\sum_S x_i\|\le\|X\|_{\mathrm{op}}\sqrt{|S|}$; random data, rank-$r$ $P$",
                   _geometry_step),
        Identity(2 * n_plus * n_minus / (sp.sqrt(n_plus * n_minus) * sp.sqrt(_Qb)), R1.expr,
                 r"combine $2n_+n_- \le \sum\Delta_{ij} \le \mathrm{Lip}\sqrt{n_+n_-}"
                 r"\sqrt{Q}$ with the bound on $Q$", kind="reduction",
                 show=(r"\frac{2n_+n_-}{\sqrt{n_+n_-}\sqrt{Q}}", r"\text{the R1 value}")),
    ),
))


def _sphere_lift() -> tuple[Identity, Identity]:
    s, w = sp.symbols("s w", positive=True)
    # gamma = x + sqrt(1 - |x|^2) e with e orthogonal to x and v: |gamma|^2 = s + (1 - s)
    norm = Identity(s + (1 - s), sp.Integer(1), r"$\|\gamma(t)\|^2 = \|x(t)\|^2 + "
                    r"(1-\|x(t)\|^2) = 1$ ($e\perp\mathrm{range}\,P$)",
                    show=(r"\|x(t)\|^2 + (1-\|x(t)\|^2)", "1"))
    # gamma' = v - (x.v)/sqrt(1 - s) e: |gamma'|^2 = w + a^2/(1 - s), and with a^2 <= rho^2 w
    speed = Identity(w + rho ** 2 * w / (1 - rho ** 2), w / (1 - rho ** 2),
                     r"$\|\gamma'\|^2 = \|v\|^2 + (x\cdot v)^2/(1-\|x\|^2)$ at "
                     r"$(x\cdot v)^2 = \rho^2\|v\|^2$")
    return norm, speed


def _cs_sphere(rng):
    d = int(rng.integers(2, 6))
    x, v = rng.standard_normal(d), rng.standard_normal(d)
    x *= rng.uniform(0, 1) / np.linalg.norm(x)
    rho_ = np.linalg.norm(x) * rng.uniform(1, 1.5)
    rho_ = min(rho_, 0.999)
    lhs = v @ v + (x @ v) ** 2 / (1 - x @ x)
    return lhs, (v @ v) / (1 - rho_ ** 2)


_norm_step, _speed_step = _sphere_lift()
R1_SPHERE_DERIVATION = register_derivation(Derivation(
    key="R1.sphere",
    title="R1 on the sphere: lifting the segment",
    anchor="r1-sphere",
    statement=(r"for data on $S^{d-1}$, $r<d$, $\rho_{ij}<1$: $\mathrm{Lip}_S(f)\ge "
               r"\Delta_{ij}\sqrt{1-\rho_{ij}^2}/\|P(x_i-x_j)\|$."),
    steps=(
        _norm_step,
        Inequality(r"\|\gamma'(t)\|^2", r"\|v\|^2/(1-\rho^2)", "Cauchy--Schwarz",
                   r"$(x\cdot v)^2\le\|x\|^2\|v\|^2\le\rho^2\|v\|^2$ with $\|x(t)\|\le\rho$; "
                   r"random $x$, $v$", _cs_sphere),
        _speed_step,
        Identity(sp.Symbol("Delta", positive=True) / (sp.Symbol("P_dist", positive=True)
                                                      / sp.sqrt(1 - rho ** 2)),
                 sp.Symbol("Delta", positive=True) * sp.sqrt(1 - rho ** 2)
                 / sp.Symbol("P_dist", positive=True),
                 r"$\mathrm{Lip}_S\ge\Delta_{ij}/\mathrm{length}(\gamma)$, "
                 r"$\mathrm{length}\le\|v\|/\sqrt{1-\rho^2}$", kind="reduction"),
    ),
))
