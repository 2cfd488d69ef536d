r"""Derivations for polynomial activations: R3 (quadratic rank bound), R4 (energy
certificate) and its ball version.

See ``docs/mathematics.md#r3-quadratic-rank``, ``docs/mathematics.md#r4-energy-certificate``
and ``docs/mathematics.md#r4-ball``.

Examples
--------
>>> [d.check(trials=3) for d in (R3_DERIVATION, R4_DERIVATION, R4_BALL_DERIVATION)]
[[], [], []]
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.derivations.core import Derivation, Identity, Inequality, register_derivation
from theory.sphere import eigenvalue, laplace_beltrami
from theory.symbols import M_op, d, k, n

_A = sp.Symbol("A_op", positive=True)
_m = sp.Symbol("m", positive=True)


def _sym2(name):
    a, b, c = sp.symbols(f"{name}11 {name}12 {name}22", real=True)
    return sp.Matrix([[a, b], [b, c]])


def _gradient_identity() -> Identity:
    A = _sym2("a")
    x = sp.Matrix(sp.symbols("x1 x2", real=True))
    f = (x.T * A * x)[0]
    grad = sp.Matrix([sp.diff(f, v) for v in x])
    return Identity(sum(grad - 2 * A * x), sp.Integer(0),
                    r"$\nabla(x^TAx)=2Ax$ for symmetric $A$, so "
                    r"$\mathrm{Lip}_{B_1}(f)=2\|A\|_{\mathrm{op}}$ ($2\times2$ symbolic $A$)",
                    show=(r"\nabla(x^TAx)", "2Ax"))


def _trace_identity() -> Identity:
    A = _sym2("a")
    xs = [sp.Matrix(sp.symbols(f"x{i}_1:3", real=True)) for i in range(2)]
    ys = sp.symbols("y1 y2", real=True)
    lhs = sum(yi * (xi.T * A * xi)[0] for yi, xi in zip(ys, xs, strict=True))
    M = sum((yi * xi * xi.T for yi, xi in zip(ys, xs, strict=True)), sp.zeros(2, 2))
    return Identity(lhs, (A * M).trace(), r"$\sum_iy_if(x_i)=\operatorname{tr}(AM)$, "
                    r"$M=X^T\mathrm{diag}(y)X$ (symbolic $n=d=2$)",
                    show=(r"\sum_iy_ix_i^TAx_i", r"\operatorname{tr}(AM)"))


def _von_neumann(rng):
    dd = int(rng.integers(2, 7))
    A, M = rng.standard_normal((dd, dd)), rng.standard_normal((dd, dd))
    A, M = A + A.T, M + M.T
    return np.trace(A @ M), np.linalg.norm(A, "nuc") * np.linalg.norm(M, 2)


def _nuclear_rank(rng):
    dd, kk = int(rng.integers(2, 7)), int(rng.integers(1, 4))
    Wm, a = rng.standard_normal((kk, dd)), rng.standard_normal(kk)
    A = Wm.T @ np.diag(a) @ Wm
    return np.linalg.norm(A, "nuc"), min(kk, dd) * np.linalg.norm(A, 2)


R3_DERIVATION = register_derivation(Derivation(
    key="R3",
    title="R3: the homogeneous quadratic rank bound",
    anchor="r3-quadratic-rank",
    statement=(r"$\psi(t)=t^2$, no biases, $\sum_iy_if(x_i)\ge n$: "
               r"$\mathrm{Lip}_{B_1}(f)\ge 2n/(\min(k,d)\|M\|_{\mathrm{op}})$."),
    steps=(
        _gradient_identity(),
        _trace_identity(),
        Inequality(r"\operatorname{tr}(AM)", r"\|A\|_*\|M\|_{\mathrm{op}}", "trace duality "
                   "(von Neumann)", r"random symmetric $A$, $M$", _von_neumann),
        Inequality(r"\|A\|_*", r"\min(k,d)\|A\|_{\mathrm{op}}", "rank bound",
                   r"$A=\sum_\ell a_\ell w_\ell w_\ell^T$ has rank $\le\min(k,d)$; random "
                   r"weights", _nuclear_rank),
        Identity(2 * sp.solve(sp.Eq(n, _m * _A * M_op), _A)[0], 2 * n / (_m * M_op),
                 r"solve $n\le\min(k,d)\|A\|_{\mathrm{op}}\|M\|_{\mathrm{op}}$ for "
                 r"$2\|A\|_{\mathrm{op}}$, $m=\min(k,d)$", kind="reduction"),
    ),
))
del k, d


def _green_step() -> Identity:
    x1, x2, x3 = xs = sp.symbols("x1 x2 x3", real=True)
    Y = x1 * x2                       # a degree-2 harmonic in d = 3
    lam = eigenvalue(2, 3)
    return Identity(laplace_beltrami(Y, xs) + lam * Y, sp.Integer(0),
                    r"$\Delta_SY=-\lambda_jY$, $\lambda_j=j(j+d-2)$ (here $Y=x_1x_2$, $j=2$, "
                    r"$d=3$), hence $\mathbb E\|\nabla_Sg\|^2=\sum_j\lambda_j\|g_j\|^2$ by Green",
                    show=(r"\Delta_S(x_1x_2) + 6\,x_1x_2", "0"))


def _rkhs_cs(rng):
    """(alpha.y)^2 <= (alpha^T K alpha)(y^T K^{-1} y) for PSD K."""
    m = int(rng.integers(2, 8))
    B = rng.standard_normal((m, m))
    K = B @ B.T + 1e-3 * np.eye(m)
    al, y = rng.standard_normal(m), rng.standard_normal(m)
    return (al @ y) ** 2, (al @ K @ al) * (y @ np.linalg.solve(K, y))


_a, _b, _e, _c = sp.symbols("a b e c", positive=True)
_quad = _a - 2 * _c * _b + _c ** 2 * _e

R4_DERIVATION = register_derivation(Derivation(
    key="R4",
    title="R4: the energy certificate",
    anchor="r4-energy-certificate",
    statement=(r"every interpolant $g\in F_k(t^p)$ of data on $S^{d-1}$ has "
               r"$\mathrm{Lip}_{B_1}(g)\ge\mathrm{Lip}_S(g)\ge\sqrt{E_{\min}}$."),
    steps=(
        _green_step(),
        Inequality(r"(\alpha^Ty)^2", r"(\alpha^TK\alpha)(y^TK^{-1}y)", "Cauchy--Schwarz "
                   "in the RKHS", r"the energy's reproducing kernel $K$ on the data; random "
                   r"positive definite $K$", _rkhs_cs),
        Identity(_quad.subs(_c, sp.solve(sp.diff(_quad, _c), _c)[0]), _a - _b ** 2 / _e,
                 r"the free constant: $\min_c(y-c\mathbf 1)^TK^{-1}(y-c\mathbf 1)$ with "
                 r"$a=y^TK^{-1}y$, $b=\mathbf 1^TK^{-1}y$, $e=\mathbf 1^TK^{-1}\mathbf 1$",
                 kind="reduction"),
    ),
    conclusion=(r"Hence $E_\sigma\|\nabla_Sg\|^2\ge E_{\min}$ and "
                r"$\mathrm{Lip}_S(g)\ge\sup_S\|\nabla_Sg\|\ge\sqrt{E_{\min}}$."),
))


def _euler_step() -> Identity:
    xs = sp.symbols("x1 x2 x3", real=True)
    cs = sp.symbols("c0:10", real=True)
    monos = sorted(sp.itermonomials(xs, 3, 3), key=sp.default_sort_key)
    g = sum(c * m for c, m in zip(cs, monos, strict=True))
    return Identity(sum(x * sp.diff(g, x) for x in xs), 3 * g,
                    r"Euler: $x\cdot\nabla g=pg$ (generic cubic in 3 variables)",
                    show=(r"x\cdot\nabla g", "3g"))


def _split_step() -> Identity:
    g1, g2, g3, x1, x2 = sp.symbols("g1 g2 g3 x1 x2", real=True)
    x3 = sp.Symbol("x3", real=True)
    gv, xv = sp.Matrix([g1, g2, g3]), sp.Matrix([x1, x2, x3])
    xg = (xv.T * gv)[0]
    tang = gv - xg * xv
    return Identity((tang.T * tang)[0] + xg ** 2, (gv.T * gv)[0],
                    r"$\|\nabla g\|^2=\|\nabla_Sg\|^2+(x\cdot\nabla g)^2$ on $S$",
                    given={x3: sp.sqrt(1 - x1 ** 2 - x2 ** 2)},
                    show=(r"\|\nabla g-(x\cdot\nabla g)x\|^2+(x\cdot\nabla g)^2",
                          r"\|\nabla g\|^2"))


R4_BALL_DERIVATION = register_derivation(Derivation(
    key="R4.ball",
    title="R4, ball version",
    anchor="r4-ball",
    statement=(r"without biases, $E_\sigma\|\nabla g\|^2=\sum_j(\lambda_j+p^2)\|g_j\|^2$, so the "
               r"kernel weights are $1/(\lambda_j+p^2)$ and $\mathrm{Lip}_{B_1}(g)\ge"
               r"\sqrt{E_{\min}}$."),
    steps=(_euler_step(), _split_step()),
))
