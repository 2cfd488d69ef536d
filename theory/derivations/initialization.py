r"""Derivation of the S1 normalization: :math:`\mathbb E\,\nabla f(x)\nabla f(x)^T = I_d`
for ReLU networks at He-type initialization with symmetric biases.

See ``docs/mathematics.md#s1-random-relu-networks`` (the bounds on the Lipschitz constant
there are cited; this normalization, which fixes their scale, is proved here). Hidden
weights :math:`N(0, 2/N_\ell)` (:math:`N_\ell` the layer's output width), output weights
:math:`N(0, 1)`, biases from a symmetric law; :math:`J = D_LW_L\cdots D_1W_1` with
:math:`D_\ell` the 0/1 diagonal of active units, so :math:`\nabla f(x) = J^Ta`.

Examples
--------
>>> S1_NORMALIZATION_DERIVATION.check(trials=3)
[]
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.derivations.core import Derivation, Identity, Inequality, register_derivation

#: Width of a hidden layer (its number of rows) and the input dimension.
N_width = sp.Symbol("N", positive=True, integer=True)
d_dim = sp.Symbol("d", positive=True, integer=True)


def _output_layer() -> Identity:
    r""":math:`\mathbb E_a[(u\cdot J^Ta)(v\cdot J^Ta)] = u^TJ^TJv` when
    :math:`\mathbb E a_ia_j = \delta_{ij}`: symbolic :math:`J` (3 x 2), :math:`u`, :math:`v`."""
    a = sp.symbols("a1:4", real=True)
    J = sp.Matrix(3, 2, sp.symbols("J1:7", real=True))
    u = sp.Matrix(sp.symbols("u1:3", real=True))
    v = sp.Matrix(sp.symbols("v1:3", real=True))
    av = sp.Matrix(a)
    lhs = ((u.T * J.T * av) * (av.T * J * v))[0]
    rhs = (u.T * J.T * J * v)[0]
    moments = {a[i] * a[j]: (1 if i == j else 0) for i in range(3) for j in range(i, 3)}
    return Identity(lhs, rhs, r"$\nabla f = J^Ta$ and $\mathbb E\,a_ia_j=\delta_{ij}$ "
                    r"(output weights $N(0,1)$), so $\mathbb E_a\nabla f\nabla f^T = J^TJ$ "
                    r"(checked on the bilinear form $u^T(\cdot)v$ for symbolic $J$ of size "
                    r"$3\times2$, $u$, $v$)",
                    given=moments,
                    show=(r"\mathbb E_a\big[(u\cdot\nabla f)(v\cdot\nabla f)\big]", r"u^TJ^TJv"))


def _sign_flip() -> Identity:
    r"""Half of every quadratic form of the direction lies on each side of a hyperplane
    through 0: the integral over any half circle of :math:`(\alpha\cos\theta +
    \beta\sin\theta)^2` is half the integral over the circle, for every offset
    :math:`\varphi`."""
    th = sp.Symbol("theta", real=True)
    al, be, ph = sp.symbols("alpha beta varphi", real=True)
    q = (al * sp.cos(th) + be * sp.sin(th)) ** 2
    lhs = sp.Integral(q, (th, ph - sp.pi / 2, ph + sp.pi / 2))
    rhs = sp.Rational(1, 2) * sp.Integral(q, (th, 0, 2 * sp.pi))
    return Identity(lhs, rhs, r"sign flip: $(w,b)\mapsto-(w,b)$ preserves the law and "
                    r"$ww^T$ and exchanges the indicator $\mathbf 1[w\cdot h+b\ge0]$ with its "
                    r"complement, so $\mathbb E[ww^T\mathbf 1[w\cdot h+b\ge0]] = "
                    r"\tfrac12\mathbb E\,ww^T$ (checked in the plane of a rotation-invariant "
                    r"$(w,b)$: any quadratic form of the direction, over the half circle "
                    r"$\cos(\theta-\varphi)\ge0$, for symbolic $\alpha,\beta,\varphi$)",
                    show=(r"\int_{\varphi-\pi/2}^{\varphi+\pi/2}(\alpha\cos\theta+"
                          r"\beta\sin\theta)^2\,d\theta",
                          r"\frac12\int_0^{2\pi}(\alpha\cos\theta+\beta\sin\theta)^2\,d\theta"))


def _holder(rng: np.random.Generator) -> tuple[float, float]:
    """|g.v| <= ||g||_q ||v||_p on a random instance (random p in [1, 4] or p = inf)."""
    d = int(rng.integers(1, 8))
    g, v = rng.standard_normal(d), rng.standard_normal(d)
    p = np.inf if rng.uniform() < 0.2 else float(rng.uniform(1.0, 4.0))
    q = 1.0 if p == np.inf else (np.inf if p == 1.0 else p / (p - 1.0))
    return abs(g @ v), np.linalg.norm(g, q) * np.linalg.norm(v, p)


_t = sp.Symbol("t", real=True)

S1_NORMALIZATION_DERIVATION = register_derivation(Derivation(
    key="S1.normalization",
    title="S1: the He normalization of random ReLU networks",
    anchor="s1-random-relu-networks",
    statement=(r"for a ReLU network with hidden weights $N(0,2/N_\ell)$, output weights "
               r"$N(0,1)$ and symmetric biases, $\mathbb E\,\nabla f(x)\nabla f(x)^T = I_d$ "
               r"at every fixed $x$, for every width and depth; hence "
               r"$\mathbb E\|\nabla f(x)\|_2^2 = d$, and in the Gaussian limit of wide "
               r"shallow networks $\mathbb E\|\nabla f(x)\|_1 = d\sqrt{2/\pi}$."),
    steps=(
        _output_layer(),
        _sign_flip(),
        Identity(N_width * sp.Rational(1, 2) * (2 / N_width), sp.Integer(1),
                 r"sum over the $N_\ell$ rows of a layer: $\mathbb E[W_\ell^TD_\ell W_\ell"
                 r"\mid h_{\ell-1}] = \sum_i\tfrac12\,\mathbb E\,w_iw_i^T = N_\ell\cdot"
                 r"\tfrac12\cdot\tfrac{2}{N_\ell}\,I$; with $D_\ell^2 = D_\ell$ the layers "
                 r"peel off one by one and $\mathbb E\,J^TJ = I_d$",
                 kind="reduction",
                 show=(r"N_\ell\cdot\tfrac12\cdot\tfrac{2}{N_\ell}", "1")),
        Identity(sp.Trace(sp.Identity(d_dim)), d_dim,
                 r"$\mathbb E\|\nabla f(x)\|_2^2 = \mathrm{tr}\,\mathbb E\,\nabla f\nabla f^T"
                 r" = \mathrm{tr}\,I_d$", kind="reduction",
                 show=(r"\mathbb E\|\nabla f(x)\|_2^2", "d")),
        Identity(d_dim * sp.Integral(sp.Abs(_t) * sp.exp(-_t ** 2 / 2) / sp.sqrt(2 * sp.pi),
                                     (_t, -sp.oo, sp.oo)),
                 d_dim * sp.sqrt(2 / sp.pi),
                 r"a wide shallow network's gradient $\sum_i a_iD_{ii}w_i$ is a sum of $N$ "
                 r"i.i.d. terms of covariance $I/N$, approximately $g\sim N(0,I_d)$; then "
                 r"$\mathbb E\|g\|_1 = d\,\mathbb E|g_1|$", kind="identity",
                 show=(r"d\int_{-\infty}^{\infty}|t|\,\frac{e^{-t^2/2}}{\sqrt{2\pi}}\,dt",
                       r"d\sqrt{2/\pi}")),
        Inequality(r"|\nabla f(x)\cdot v|", r"\|\nabla f(x)\|_q\,\|v\|_p", "Hölder",
                   r"the slope in direction $v$ for the input norm $\ell_p$ is measured in "
                   r"the dual norm $\ell_q$, $1/p+1/q=1$ (attained by $v_i = "
                   r"\mathrm{sign}(g_i)|g_i|^{q-1}$); random $g$, $v$, $p\in[1,4]\cup\{\infty\}$",
                   _holder),
    ),
))
