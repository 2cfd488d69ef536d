r"""The local optimizer of minimum-Lipschitz interpolation
(docs/mathematics.md#min-lipschitz-interpolation): the smoothed LipSDP objective, the
augmented Lagrangian that enforces interpolation, and the exactness polish.

For data :math:`(x_i, y_i)_{i\le n}` and a ReLU network of width k it decreases

.. math::

    \min_{a, W, b, t}\ \rho(a, W, t) \quad\text{subject to}\quad
    f_{a,W,b}(x_i) = y_i \ (i = 1..n),

where :math:`\sqrt{\rho}` is the LipSDP-Neuron bound (docs/mathematics.md#lipsdp-reduction) for
the ReLU network :math:`f(x) = \sum_\ell a_\ell\,\mathrm{relu}(w_\ell\cdot x + b_\ell)` on
:math:`\mathbb R^d`,

.. math::

    \rho(a, W, t) = \lambda_{\max}\Big(\tfrac12 W^T\mathrm{diag}(t)W
    + \frac{gg^T}{4(1 - s(t))}\Big),\qquad g = W^Ta,\quad s(t) = \sum_\ell
    \frac{a_\ell^2}{2t_\ell} < 1 .

**Parametrization of the multipliers.** With :math:`\pi = \mathrm{softmax}(u)` and
:math:`\sigma = 1/(1+e^{-v})` put :math:`t_\ell = a_\ell^2/(2\sigma\pi_\ell)`; then
:math:`s = \sigma < 1` automatically and

.. math::

    \rho = \lambda_{\max}(M),\qquad M = \tfrac14\,W^T\Big(\mathrm{diag}\big(
    \tfrac{a^2}{\sigma\pi}\big) + \frac{aa^T}{1-\sigma}\Big)W .

The objective is a smoothed maximum eigenvalue
:math:`F = \lambda_1 + \epsilon\log\sum_i e^{(\lambda_i - \lambda_1)/\epsilon}`
(gradient :math:`\partial F = \langle P, \partial M\rangle` with
:math:`P = \sum_i p_i q_iq_i^T`, :math:`p = \mathrm{softmax}(\lambda/\epsilon)`); with
:math:`A = \mathrm{diag}(|a|/\sqrt{\sigma\pi})W`, :math:`h = W^Ta`,
:math:`q_\ell = w_\ell^TPw_\ell`, :math:`\gamma = h^TPh`,
:math:`e_\ell = a_\ell^2q_\ell/(4\sigma\pi_\ell)`:

.. math::

    \nabla_W F = \tfrac12\mathrm{diag}\big(\tfrac{a^2}{\sigma\pi}\big)WP
      + \frac{a\,(Ph)^T}{2(1-\sigma)},\quad
    \nabla_a F = \frac{a\,q}{2\sigma\pi} + \frac{WPh}{2(1-\sigma)},\quad
    \nabla_u F = -e + \pi\textstyle\sum_\ell e_\ell,\quad
    \partial_v F = -(1-\sigma)\textstyle\sum_\ell e_\ell + \frac{\sigma\gamma}{4(1-\sigma)} .

**Interpolation** is enforced by an augmented Lagrangian
:math:`F + \lambda^Tr + \tfrac\mu2\|r\|^2`, :math:`r_i = f(x_i) - y_i`, minimized by
scipy's L-BFGS over :math:`(a, W, b, u, v)` jointly, with multiplier updates
:math:`\lambda \leftarrow \lambda + \mu r`, a growing :math:`\mu`, and a continuation of
the smoothing :math:`\epsilon`. Starts: trained interpolants (:mod:`numerics.construct.fit`) and
the explicit constructions C1 and C4 (:mod:`numerics.construct.constructions`) where they
interpolate, padded with inactive neurons (:math:`a_\ell = 0`) up to k.

**Exactness polish.** After the optimization: when :math:`k \ge n`, the minimal-norm
correction of the output layer :math:`a \leftarrow a + \Phi^+(y - \Phi a)`; otherwise
(or if that is not enough) damped Gauss--Newton steps with minimal-norm solutions on
all parameters.

Its numbers are never reported: every result is certified afresh by
:mod:`numerics.construct.minlip_certificate`.

Examples
--------
>>> X = np.eye(2); y = np.array([1.0, -1.0])
>>> net = TwoLayerNet([2.0, -2.0], 2 * np.eye(2), [-1.0, -1.0], "relu")
>>> out, how = polish_exact(optimize_from(net, X, y, outer=3, inner=100), X, y)
>>> float(np.max(np.abs(out(X) - y))) <= 1e-11
True
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from numerics._validate import as_finite_float, as_positive_int
from numerics.data import validate_dataset
from numerics.models import TwoLayerNet

__all__ = ["lipsdp_objective", "optimize_from", "polish_exact"]


def _split(theta: np.ndarray, k: int, d: int):
    a = theta[:k]
    W = theta[k:k + k * d].reshape(k, d)
    b = theta[k + k * d:k + k * d + k]
    u = theta[k + k * d + k:k + k * d + 2 * k]
    v = float(theta[-1])
    return a, W, b, u, v


def lipsdp_objective(a, W, u, v, *, temp: float = 0.0):
    r"""The (smoothed) LipSDP value :math:`F \approx \lambda_{\max}(M)` of the module
    docstring and its gradients in :math:`(a, W, u, v)`.

    Parameters
    ----------
    a : ndarray (k,); W : ndarray (k, d)
    u : ndarray (k,)
        Logits of :math:`\pi = \mathrm{softmax}(u)`.
    v : float
        Logit of :math:`\sigma = s(t)`.
    temp : float >= 0
        Smoothing temperature :math:`\epsilon` (absolute, in units of
        :math:`\lambda`; 0: the exact :math:`\lambda_{\max}` and a subgradient).

    Returns
    -------
    (F, rho, grad_a, grad_W, grad_u, grad_v, t)
        ``rho`` is the exact :math:`\lambda_{\max}(M)`; ``t`` the multipliers
        :math:`t_\ell = a_\ell^2/(2\sigma\pi_\ell)` (Fazlyab's T of
        :mod:`numerics.lipschitz.lipsdp`, so ``rho`` equals the largest eigenvalue of
        :func:`numerics.lipschitz.lipsdp.reduced_matrix` on :math:`\mathbb R^d`).

    Examples
    --------
    >>> F, rho, *_ , t = lipsdp_objective(np.array([1.0]), np.array([[3.0, 4.0]]),
    ...                                   np.zeros(1), 0.0)
    >>> round(rho, 12), t.tolist()   # sigma = 1/2: M = (1/4)(2 + 2) w w^T
    (25.0, [1.0])
    """
    a = np.asarray(a, dtype=float)
    W = np.asarray(W, dtype=float)
    k = a.size
    lu = u - np.logaddexp.reduce(u)
    pi = np.exp(lu)
    sig = 1.0 / (1.0 + math.exp(-v))
    one_m = 1.0 / (1.0 + math.exp(v))  # 1 - sigma, without cancellation
    D = a * a / (sig * pi)
    h = W.T @ a
    M = 0.25 * ((W.T * D) @ W + np.outer(h, h) / one_m)
    M = (M + M.T) / 2
    lam, Q = np.linalg.eigh(M)
    rho = float(lam[-1])
    if temp > 0:
        T = temp
        z = (lam - rho) / T
        w = np.exp(np.maximum(z, -700.0))
        F = rho + T * math.log(float(w.sum()))
        p = w / w.sum()
    else:
        F = rho
        p = np.zeros(lam.size)
        p[-1] = 1.0
    keep = p > 1e-300
    Qk = Q[:, keep] * np.sqrt(p[keep])
    WQ = W @ Qk
    q = np.einsum("ij,ij->i", WQ, WQ)      # w_l^T P w_l
    Ph = Qk @ (Qk.T @ h)
    gam = float(h @ Ph)
    WPh = W @ Ph
    gW = 0.5 * D[:, None] * (WQ @ Qk.T) + np.outer(a, Ph) / (2 * one_m)
    ga = a * q / (2 * sig * pi) + WPh / (2 * one_m)
    e = D * q / 4
    se = float(e.sum())
    gu = -e + pi * se
    gv = -one_m * se + sig * gam / (4 * one_m)
    with np.errstate(divide="ignore"):
        t = a * a / (2 * sig * pi)
    return F, rho, ga, gW, gu, gv, t.reshape(k)


def _residual(a, W, b, X, y):
    Z = X @ W.T + b
    H = np.maximum(Z, 0.0)
    return H @ a - y, Z, H


def _lagrangian(theta, X, y, k, lam, mu, temp, scale):
    n, d = X.shape
    a, W, b, u, v = _split(theta, k, d)
    F, _, ga, gW, gu, gv, _ = lipsdp_objective(a, W, u, v, temp=temp)
    r, Z, H = _residual(a, W, b, X, y)
    c = lam + mu * r                    # d/dr of lam.r + mu/2 |r|^2
    val = F + float(lam @ r) + 0.5 * mu * float(r @ r)
    ga = ga + H.T @ c
    Dz = np.outer(c, a) * (Z > 0)
    gW = gW + Dz.T @ X
    gb = Dz.sum(axis=0)
    grad = np.concatenate([ga, gW.ravel(), gb, gu, [gv]])
    return val / scale, grad / scale


def _pack(net: TwoLayerNet, u=None, v: float = 0.0) -> np.ndarray:
    if u is None:
        u = _best_u(net)
    return np.concatenate([net.a, net.W.ravel(), net.b, u, [v]])


def _best_u(net: TwoLayerNet) -> np.ndarray:
    r"""Multiplier logits proportional to the closed-form best response
    :math:`\pi_\ell \propto |a_\ell|\|w_\ell\|` (the path-norm weights), floored at a
    tenth of their mean so that inactive neurons (:math:`a_\ell = 0`, e.g. padding) are
    not frozen: with a tiny :math:`\pi_\ell`, switching neuron ℓ on would cost
    :math:`a_\ell^2/\pi_\ell` at once."""
    s = np.abs(net.a) * np.linalg.norm(net.W, axis=1)
    pos = s[s > 0]
    floor = 0.1 * float(pos.mean()) if pos.size else 1.0
    return np.log(np.maximum(s, floor))


def _jac(a, W, b, X):
    """Jacobian of f(x_i) in (a, W, b), shape (n, k(d + 2))."""
    n, d = X.shape
    Z = X @ W.T + b
    H = np.maximum(Z, 0.0)
    S = (Z > 0) * a
    JW = (S[:, :, None] * X[:, None, :]).reshape(n, -1)
    return np.concatenate([H, JW, S], axis=1)


def polish_exact(net: TwoLayerNet, X, y, *, tol: float = 1e-11,
                 gn_steps: int = 30) -> tuple[TwoLayerNet, str]:
    r"""Make a nearly interpolating ReLU network interpolate to ``tol``.

    First, when :math:`k \ge n` and :math:`\Phi = \mathrm{relu}(XW^T + 1b^T)` has rank
    n, the minimal-norm output correction :math:`a \leftarrow a + \Phi^+(y - \Phi a)`
    (exact up to rounding); otherwise damped Gauss--Newton steps
    :math:`\theta \leftarrow \theta - sJ^+r` on all parameters. Returns the network
    and what ran (``'none'``, ``'output_lstsq'``, ``'gauss_newton'``); the result may
    still miss ``tol`` (the caller checks).

    Examples
    --------
    >>> X = np.eye(2); y = np.array([1.0, -1.0])
    >>> net = TwoLayerNet([1.1, -0.9], np.eye(2), [0.0, 0.0], "relu")
    >>> out, how = polish_exact(net, X, y)
    >>> how, float(np.max(np.abs(out(X) - y))) <= 1e-12
    ('output_lstsq', True)
    """
    X, y = validate_dataset(X, y)
    tol = as_finite_float(tol, "tol", positive=True)
    gn_steps = as_positive_int(gn_steps, "gn_steps", minimum=0)
    return _polish(net, X, y, tol, gn_steps)


def _polish(net: TwoLayerNet, X: np.ndarray, y: np.ndarray, tol: float = 1e-11,
            gn_steps: int = 30) -> tuple[TwoLayerNet, str]:
    """:func:`polish_exact` on validated data."""
    n = X.shape[0]
    a, W, b = net.a.copy(), net.W.copy(), net.b.copy()
    r, _, H = _residual(a, W, b, X, y)
    err = float(np.max(np.abs(r)))
    if err <= tol:
        return net, "none"
    how = "none"
    if net.k >= n:
        da = np.linalg.lstsq(H, -r, rcond=None)[0]
        a2 = a + da
        r2 = _residual(a2, W, b, X, y)[0]
        e2 = float(np.max(np.abs(r2)))
        if e2 < err:
            a, r, err, how = a2, r2, e2, "output_lstsq"
    k, d = W.shape
    for _ in range(gn_steps if err > tol else 0):
        how = "gauss_newton"
        J = _jac(a, W, b, X)
        step = np.linalg.lstsq(J, r, rcond=None)[0]
        s, ok = 1.0, False
        for _ in range(30):
            th = np.concatenate([a, W.ravel(), b]) - s * step
            a2, W2, b2 = th[:k], th[k:k + k * d].reshape(k, d), th[k + k * d:]
            r2 = _residual(a2, W2, b2, X, y)[0]
            if r2 @ r2 < r @ r:
                a, W, b, r, ok = a2, W2, b2, r2, True
                break
            s /= 2
        err = float(np.max(np.abs(r)))
        if not ok or err <= tol:
            break
    return TwoLayerNet(a, W, b, net.activation), how


def optimize_from(net: TwoLayerNet, X, y, *, outer: int = 8, inner: int = 1000,
                  mu0: float | None = None) -> TwoLayerNet:
    r"""Augmented-Lagrangian minimization of the smoothed LipSDP objective subject to
    interpolation, from ``net`` (ReLU). Returns the last iterate (not polished, not
    certified: use :func:`polish_exact` and :func:`certify_point`).

    ``outer`` multiplier updates, each with up to ``inner`` L-BFGS iterations; the
    smoothing goes from :math:`10^{-2}` to :math:`10^{-4}` (relative), the penalty
    grows tenfold whenever :math:`\|r\|_\infty` fails to drop by 4.

    Examples
    --------
    >>> X = np.eye(2); y = np.array([1.0, -1.0])
    >>> net = TwoLayerNet([2.0, -2.0], 2 * np.eye(2), [-1.0, -1.0], "relu")
    >>> out = optimize_from(net, X, y, outer=3, inner=100)
    >>> float(np.max(np.abs(out(X) - y))) < 1e-2
    True
    """
    X, y = validate_dataset(X, y)
    outer = as_positive_int(outer, "outer")
    inner = as_positive_int(inner, "inner")
    if mu0 is not None:
        mu0 = as_finite_float(mu0, "mu0", positive=True)
    return _optimize(net, X, y, outer, inner, mu0)


def _optimize(net: TwoLayerNet, X: np.ndarray, y: np.ndarray, outer: int = 8,
              inner: int = 1000, mu0: float | None = None) -> TwoLayerNet:
    """:func:`optimize_from` on validated data and checked options."""
    if net.spec != "relu":
        raise ValueError(f"net: the optimizer handles relu networks, got {net.spec}")
    n, d = X.shape
    k = net.k
    theta = _pack(net)
    F0 = lipsdp_objective(net.a, net.W, theta[k + k * d + k:-1], 0.0)[1]
    scale = max(F0, 1e-8)
    mu = (10.0 * scale) if mu0 is None else mu0
    lam = np.zeros(n)
    prev = math.inf
    epss = np.geomspace(1e-2, 1e-4, max(outer, 2))
    bounds = [(None, None)] * (theta.size - k - 1) + [(-40.0, 40.0)] * k + [(-30.0, 30.0)]
    for it in range(outer):
        eps = float(epss[min(it, epss.size - 1)])
        a, W, b, u, v = _split(theta, k, d)
        temp = eps * max(lipsdp_objective(a, W, u, v)[1], 1e-12)
        res = minimize(_lagrangian, theta, args=(X, y, k, lam, mu, temp, scale), jac=True,
                       method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": inner, "maxcor": 20, "ftol": 1e-15, "gtol": 1e-12})
        theta = res.x
        a, W, b, u, v = _split(theta, k, d)
        r = _residual(a, W, b, X, y)[0]
        lam = lam + mu * r
        err = float(np.max(np.abs(r)))
        if err > prev / 4:
            mu *= 10.0
        prev = err
    a, W, b, _, _ = _split(theta, k, d)
    return TwoLayerNet(a.copy(), W.copy(), b.copy(), "relu")
