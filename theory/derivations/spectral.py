r"""Derivations of R2: the identity, the norm chain, :math:`C_\delta` and :math:`C'_\delta`.

See ``docs/mathematics.md#r2-spectral-law`` and ``docs/mathematics.md#r2-sharper-constant``.

Examples
--------
>>> R2_DERIVATION.check(trials=3), C_DELTA_DERIVATION.check(), C_DELTA_SHARP_DERIVATION.check()
([], [], [])
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from theory.bounds.spectral import C_delta, C_delta_sharp
from theory.derivations.core import Derivation, Identity, Inequality, register_derivation
from theory.symbols import delta, k, n, ybar

_t, _s = sp.symbols("t s", positive=True)
_sum_y, _sum_y2 = sp.symbols("Sigma_y Sigma_y2", real=True)
_Gamma = sp.Symbol("Gamma", positive=True)
_A, _WF, _Wop = sp.symbols("A W_F W_op", positive=True)


def _relu_net(rng, n_=None):
    n_ = int(rng.integers(3, 12)) if n_ is None else n_
    d, k_ = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    X = rng.standard_normal((n_, d))
    X /= np.maximum(1.0, np.linalg.norm(X, axis=1, keepdims=True))
    W, a, b = rng.standard_normal((k_, d)), rng.standard_normal(k_), rng.standard_normal(k_)
    y = rng.choice([-1.0, 1.0], size=n_)
    return X, y, W, a, b


def _homogeneity_step(rng):
    """sum z_i f(x_i) <= (sum |a_l| ||w_l||) max_l |sum z_i relu(u_l.x_i + beta_l)|."""
    X, y, W, a, b = _relu_net(rng)
    z = y - y.mean()
    f = np.maximum(X @ W.T + b, 0) @ a
    nw = np.linalg.norm(W, axis=1)
    g = np.abs(z @ np.maximum(X @ (W / nw[:, None]).T + b / nw, 0))
    return z @ f, (np.abs(a) * nw).sum() * g.max()


def _norm_chain(rng):
    _, _, W, a, _ = _relu_net(rng)
    return (np.abs(a) * np.linalg.norm(W, axis=1)).sum(), \
        math.sqrt(W.shape[0]) * np.linalg.norm(a) * np.linalg.norm(W, 2)


def _bounded_difference(rng):
    """Changing one label moves h(y) = max_g |sum (y_i - ybar) g(x_i)| by at most 4 over a
    finite random class g = relu(u~.x~), ||u~|| <= sqrt 2 (so 0 <= g <= 2)."""
    X, y, _, _, _ = _relu_net(rng)
    Xt = np.hstack([X, np.ones((X.shape[0], 1))])
    U = rng.standard_normal((64, Xt.shape[1]))
    U *= math.sqrt(2) / np.linalg.norm(U, axis=1, keepdims=True)
    G = np.maximum(Xt @ U.T, 0)

    def h(lab):
        return np.abs((lab - lab.mean()) @ G).max()
    y2 = y.copy()
    i = int(rng.integers(len(y)))
    y2[i] = -y2[i]
    return abs(h(y) - h(y2)), 4.0


def _e_abs_ybar(rng):
    """E|ybar| for n Rademacher labels, computed exactly (binomial), against 1/sqrt(n)."""
    n_ = int(rng.integers(1, 60))
    j = np.arange(n_ + 1)
    logp = (np.array([math.lgamma(n_ + 1) - math.lgamma(i + 1) - math.lgamma(n_ - i + 1)
                      for i in j]) - n_ * math.log(2))
    return float(np.exp(logp) @ np.abs(2 * j - n_) / n_), 1 / math.sqrt(n_)


def _contraction(rng):
    """Ledoux--Talagrand contraction, instantiated: E sup_g |sum y_i relu(u~.x~_i)| <=
    2 E sup |sum y_i u~.x~_i| = 2 sqrt2 E||sum y_i x~_i|| <= 2 sqrt2 sqrt(sum ||x~_i||^2),
    with expectations over all label vectors (exact) for n <= 8 and a finite class."""
    n_ = int(rng.integers(2, 9))
    X, _, _, _, _ = _relu_net(rng, n_)
    Xt = np.hstack([X, np.ones((n_, 1))])
    U = rng.standard_normal((32, Xt.shape[1]))
    U *= math.sqrt(2) / np.linalg.norm(U, axis=1, keepdims=True)
    Y = np.array(np.meshgrid(*[[-1.0, 1.0]] * n_)).reshape(n_, -1).T
    lhs = np.abs(Y @ np.maximum(Xt @ U.T, 0)).max(axis=1).mean()
    return lhs, 2 * math.sqrt(2) * math.sqrt((Xt ** 2).sum())


R2_DERIVATION = register_derivation(Derivation(
    key="R2",
    title="R2: the spectral-norm law",
    anchor="r2-spectral-law",
    statement=(r"every relu interpolant has $\|a\|_2\|W\|_{\mathrm{op}}\ge(1-\bar y^2)"
               r"\sqrt{n/k}/C_\delta$ with probability $\ge 1-3\delta$."),
    steps=(
        Identity(_sum_y2 - ybar * _sum_y, n * (1 - ybar ** 2),
                 r"$\sum_i z_if(x_i)=\sum_i(y_i-\bar y)y_i$ for an interpolant; "
                 r"$y_i^2=1$, $\sum y_i=n\bar y$", given={_sum_y2: n, _sum_y: n * ybar}),
        Inequality(r"\sum_i z_i f(x_i)", r"\Big(\sum_\ell|a_\ell|\|w_\ell\|\Big)\,\Gamma",
                   "positive homogeneity and the triangle inequality",
                   r"$\mathrm{relu}(w\cdot x+b)=\|w\|\,\mathrm{relu}(u\cdot x+\beta)$; random "
                   r"relu networks, $\Gamma$ replaced by the maximum over the network's units",
                   _homogeneity_step),
        Inequality(r"\sum_\ell|a_\ell|\|w_\ell\|", r"\sqrt k\,\|a\|_2\|W\|_{\mathrm{op}}",
                   "Cauchy--Schwarz", r"$\le\|a\|_2\|W\|_F\le\sqrt{k}\|a\|_2\|W\|_{\mathrm{op}}$; "
                   r"random weights", _norm_chain),
        Identity(n * (1 - ybar ** 2) / (sp.sqrt(k) * _Gamma).subs(_Gamma, C_delta * sp.sqrt(n)),
                 (1 - ybar ** 2) * sp.sqrt(n / k) / C_delta,
                 r"solve $n(1-\bar y^2)\le\sqrt k\,\|a\|_2\|W\|_{\mathrm{op}}\,\Gamma$ with "
                 r"$\Gamma\le C_\delta\sqrt n$", kind="reduction"),
    ),
))

C_DELTA_DERIVATION = register_derivation(Derivation(
    key="R2.C_delta",
    title=r"R2: the constant $C_\delta$",
    anchor="r2-spectral-law",
    statement=(r"with probability $\ge 1-3\delta$, $\Gamma\le C_\delta\sqrt n$, "
               r"$C_\delta = 4+\sqrt{8\log(1/\delta)}+2\sqrt{2\log(2/\delta)}$."),
    steps=(
        Inequality(r"\mathbb E\sup_g|\sum_i y_ig(\tilde x_i)|", r"4\sqrt n",
                   "Ledoux--Talagrand contraction",
                   r"relu is 1-Lipschitz with $\mathrm{relu}(0)=0$ (factor 2 for the absolute "
                   r"value), $\|\tilde u\|\le\sqrt2$, $\|\tilde x_i\|\le\sqrt2$; exact "
                   r"expectations over all labels", _contraction),
        Identity(2 * sp.sqrt(2) * sp.sqrt(2 * n), 4 * sp.sqrt(n),
                 r"$2\cdot\sqrt2\cdot\sqrt{\sum\|\tilde x_i\|^2}$ with $\|\tilde x_i\|^2\le 2$"),
        Inequality(r"|h(y)-h(y^{(i)})|", "4", "McDiarmid (bounded differences)",
                   r"one label moves the centred supremum by $\le 2\sup g\le 4$; random data, "
                   r"a finite class", _bounded_difference),
        Identity(sp.exp(-2 * _t ** 2 / (n * 4 ** 2)).subs(_t, sp.sqrt(8 * n * sp.log(1 / delta))),
                 delta, r"McDiarmid's tail $e^{-2t^2/(n c^2)}=\delta$ at $c=4$ gives "
                 r"$t=\sqrt{8n\log(1/\delta)}$", kind="reduction"),
        Identity(2 * sp.exp(-n * _s ** 2 / 2).subs(_s, sp.sqrt(2 * sp.log(2 / delta) / n)),
                 delta, r"Hoeffding: $2e^{-ns^2/2}=\delta$ gives "
                 r"$|\bar y|\le s=\sqrt{2\log(2/\delta)/n}$", kind="reduction"),
        Identity((4 * sp.sqrt(n) + sp.sqrt(8 * n * sp.log(1 / delta))
                  + sp.sqrt(2 * sp.log(2 / delta) / n) * 2 * n) / sp.sqrt(n), C_delta,
                 r"sum of the three terms ($|\bar y\sum_i g|\le s\cdot 2n$), divided by "
                 r"$\sqrt n$", kind="reduction"),
    ),
))

C_DELTA_SHARP_DERIVATION = register_derivation(Derivation(
    key="R2.C_delta.sharp",
    title=r"R2: the sharper constant $C'_\delta$",
    anchor="r2-sharper-constant",
    statement=(r"with probability $\ge 1-\delta$, $\Gamma\le C'_\delta\sqrt n$, "
               r"$C'_\delta=6+\sqrt{8\log(1/\delta)}$."),
    steps=(
        Inequality(r"\mathbb E\sup_g|\sum_i y_ig(\tilde x_i)|", r"4\sqrt n",
                   "Ledoux--Talagrand contraction", r"as for $C_\delta$", _contraction),
        Inequality(r"\mathbb E|\bar y|", r"1/\sqrt n", "Jensen",
                   r"$\mathbb E|\bar y|\le(\mathbb E\bar y^2)^{1/2}=1/\sqrt n$; exact "
                   r"binomial expectations", _e_abs_ybar),
        Identity(4 * sp.sqrt(n) + 2 * n / sp.sqrt(n), 6 * sp.sqrt(n),
                 r"$\mathbb E h\le 4\sqrt n+\mathbb E|\bar y|\cdot 2n$"),
        Inequality(r"|h(y)-h(y^{(i)})|", "4", "McDiarmid (bounded differences)",
                   r"$z$ moves by $2(e_i-\mathbf 1/n)$, so $h$ by $\le 2\sup|g-\bar g|\le 4$",
                   _bounded_difference),
        Identity((6 * sp.sqrt(n) + sp.sqrt(8 * n * sp.log(1 / delta))) / sp.sqrt(n),
                 C_delta_sharp, r"$h\le\mathbb E h+\sqrt{8n\log(1/\delta)}$ (one event), "
                 r"divided by $\sqrt n$", kind="reduction"),
    ),
))
