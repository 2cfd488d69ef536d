r"""A primal barrier (interior-point) solver for the reduced LipSDP-Neuron problem,
used by :mod:`numerics.lipschitz.lipsdp_solve` when the number of free neurons is
small enough for a dense Newton system (``k_F`` up to about a thousand).

Mathematics
-----------
In the coordinates of :mod:`numerics.lipschitz.lipsdp` (rows :math:`y_\ell` of
:math:`W_F` or of :math:`W_FQ` in the row space, :math:`c_\ell = |a_\ell|\delta_\ell/2`,
the vector g) the problem is

.. math::

    \min_{\rho,\ \tau > 0}\ \rho \quad\text{s.t.}\quad
    L(\rho,\tau) = \begin{pmatrix} \rho I - \sum_\ell \tau_\ell y_\ell y_\ell^T & g \\
    g^T & 1 - s(\tau)\end{pmatrix} \succ 0,\qquad s(\tau) = \sum_\ell c_\ell^2/\tau_\ell .

**Equivalence.** For :math:`1 - s > 0` the Schur complement of the corner entry shows
:math:`L \succ 0 \iff \rho I - R(T) \succ 0` with :math:`R(T) = \sum\tau_\ell y_\ell
y_\ell^T + gg^T/(1-s)` (the reduced matrix), and :math:`L \succ 0` forces
:math:`1 - s > 0`. So every strictly feasible :math:`(\rho, \tau)` has
:math:`\lambda_{\max}(R(T)) < \rho` and the infimum of ρ is the optimum of the
reduced problem (in the closed case, g = 0, the corner is :math:`1 - s` alone and the
infimum is the same with :math:`s \le 1` allowed, by continuity of :math:`\lambda_{\max}`).

**Convexity of the barrier.** On :math:`\tau > 0`, :math:`1 - s(\tau)` is concave, so
:math:`L` is concave in :math:`(\rho,\tau)` in the Loewner order (affine except for a
concave corner entry); :math:`-\log\det` is convex and decreasing in that order,
hence :math:`\phi = -\log\det L` is convex on its domain :math:`\{\tau > 0, L \succ 0\}`,
and so is :math:`t\rho + \phi` for every :math:`t > 0`. With :math:`S = L^{-1}`,
:math:`A_\rho = \mathrm{diag}(I, 0)` and
:math:`A_\ell = \partial L/\partial\tau_\ell = -\tilde y_\ell\tilde y_\ell^T + \kappa_\ell
ee^T` (:math:`\tilde y_\ell = (y_\ell, 0)`, e the last unit vector,
:math:`\kappa_\ell = c_\ell^2/\tau_\ell^2`):
:math:`\partial_i\phi = -\mathrm{tr}(SA_i)` and :math:`\partial_{ij}\phi =
\mathrm{tr}(SA_iSA_j) - \mathrm{tr}(S\,\partial_{ij}L)`, where the only second
derivatives of L are :math:`\partial_{\ell\ell}L = -2c_\ell^2\tau_\ell^{-3}ee^T`. Writing
:math:`S_{11}` for the leading :math:`r\times r` block, :math:`\sigma = S_{1,r+1}`,
:math:`S_{nn}` the corner, :math:`K = YS_{11}Y^T`, :math:`p = Y\sigma`, :math:`U = YS_{11}`:

.. math::

    \partial_\rho\phi = -\mathrm{tr}S_{11},\quad
    \partial_\ell\phi = K_{\ell\ell} - \kappa_\ell S_{nn},\quad
    \partial_{\rho\rho}\phi = \|S_{11}\|_F^2,\quad
    \partial_{\rho\ell}\phi = -\|U_\ell\|^2 + \kappa_\ell\|\sigma\|^2,

.. math::

    \partial_{ij}\phi = K_{ij}^2 - \kappa_jp_i^2 - \kappa_ip_j^2 + \kappa_i\kappa_jS_{nn}^2
    + \delta_{ij}\,2c_i^2S_{nn}/\tau_i^3 .

**Dual bound.** :math:`P = S_{11}/\mathrm{tr}S_{11}` is positive semidefinite with trace
1 (a principal block of :math:`S \succ 0`), so :math:`D(P) = (\sum_\ell c_\ell
\sqrt{y_\ell^TPy_\ell} + \sqrt{g^TPg})^2` is a lower bound on the optimum
(:mod:`numerics.lipschitz.lipsdp`, Cauchy–Schwarz); near the central path it is close
to it. The path-following loop (Newton with backtracking on :math:`t\rho + \phi`,
t multiplied by 8 once the Newton decrement is below 0.2) stops when
:math:`\rho / D(P) - 1 \le` tol.
Nothing computed here is certified: the caller recomputes
:math:`\lambda_{\max}(R(T))` in float64 and certifies on the full problem.

Cost per Newton step :math:`O(k_F r^2 + k_F^2 r + k_F^3)`; typically 20–60 steps.

Examples
--------
>>> import numpy as np
>>> Y = np.array([[3.0, 4.0]]); c = np.array([0.5]); g = np.array([1.5, 2.0])
>>> out = barrier_solve(Y, c, g, np.array([1.0]), tol=1e-8)
>>> bool(abs(out.rho - 25.0) < 1e-5), bool(out.dual <= 25.0 + 1e-9)
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

_GROW = 8.0  # barrier parameter growth per centering
_MAX_NEWTON = 400
_CENTERED = 0.2  # Newton decrement below which t grows


@dataclass
class BarrierOut:
    """Multipliers ``tau`` (τ coordinates), the barrier's ρ (an upper bound on
    :math:`\\lambda_{\\max}(R)` at ``tau`` up to rounding), the dual value and the
    number of Newton steps."""

    tau: np.ndarray
    rho: float
    dual: float
    steps: int


def _factor(g, c, rho, tau, G):
    """Cholesky factor of L(rho, tau) given the Gram part G = Y^T diag(tau) Y, or None
    when tau is not positive or L is not positive definite."""
    if np.any(tau <= 0):
        return None
    s = float(np.sum(c * c / tau))
    r = G.shape[0]
    L = np.empty((r + 1, r + 1))
    L[:r, :r] = -G
    L[:r, :r].flat[:: r + 1] += rho
    L[:r, r] = g
    L[r, :r] = g
    L[r, r] = 1.0 - s
    try:
        return sla.cho_factor(L, lower=True, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return None


def _logdet(cf) -> float:
    return 2.0 * float(np.sum(np.log(np.diag(cf[0]))))


def _gram(Y: np.ndarray, tau: np.ndarray) -> np.ndarray:
    G = Y.T @ (Y * tau[:, None])
    return (G + G.T) / 2


def _derivatives(Y, g, c, t, tau, cf):
    r"""Gradient and Hessian of :math:`t\rho - \log\det L(\rho, \tau)` in
    :math:`(\rho, \tau)` (module docstring) from the Cholesky factor ``cf`` of L, and
    the dual value :math:`D(S_{11}/\mathrm{tr}S_{11})`. With ``t = None`` the first
    gradient entry is :math:`\mathrm{tr}S_{11}` (the t that centers the start)."""
    k, r = Y.shape
    c2 = c * c
    S = sla.cho_solve(cf, np.eye(r + 1), check_finite=False)
    S11, sv, Snn = S[:r, :r], S[:r, r], float(S[r, r])
    U = Y @ S11
    K = U @ Y.T
    dK = np.diag(K).copy()
    trS = float(np.trace(S11))
    # dual value of P = S11 / tr S11
    q = np.maximum(dK / trS, 0.0)
    gam = max(float(g @ S11 @ g) / trS, 0.0)
    dual = (float(c @ np.sqrt(q)) + math.sqrt(gam)) ** 2
    p2 = (Y @ sv) ** 2
    kap = c2 / tau**2
    grad = np.empty(k + 1)
    grad[0] = trS if t is None else t - trS
    grad[1:] = dK - kap * Snn
    H = np.empty((k + 1, k + 1))
    H[0, 0] = float(np.sum(S11 * S11))
    H[0, 1:] = -np.einsum("ij,ij->i", U, U) + kap * float(sv @ sv)
    H[1:, 0] = H[0, 1:]
    Htt = K * K
    Htt -= np.outer(p2, kap)
    Htt -= np.outer(kap, p2)
    Htt += (Snn * Snn) * np.outer(kap, kap)
    Htt.flat[:: k + 1] += 2 * c2 * Snn / tau**3
    H[1:, 1:] = Htt
    return grad, (H + H.T) / 2, dual


def barrier_solve(Y: np.ndarray, c: np.ndarray, g: np.ndarray, tau0: np.ndarray, *,
                  tol: float, max_steps: int = _MAX_NEWTON) -> BarrierOut:
    r"""Minimize :math:`\lambda_{\max}(\sum_\ell\tau_\ell y_\ell y_\ell^T + gg^T/(1-s(\tau)))`
    by the barrier method of the module docstring, from a feasible ``tau0``
    (:math:`s(\tau_0) < 1`). Returns the last iterate and the best dual value.

    Parameters
    ----------
    Y : ndarray, shape (k, r)
    c : ndarray, shape (k,), positive
    g : ndarray, shape (r,)
    tau0 : ndarray, shape (k,), with ``sum(c**2 / tau0) < 1``
    tol : float
        Stop when ``rho / dual - 1 <= tol``.
    """
    k, r = Y.shape
    tau = np.array(tau0, dtype=float)
    c2 = c * c
    G = _gram(Y, tau)
    R0 = G + np.outer(g, g) / (1 - float(np.sum(c2 / tau)))
    lam0 = float(sla.eigvalsh(R0, subset_by_index=[r - 1, r - 1], check_finite=False)[0])
    scale = max(lam0, np.finfo(float).tiny)
    # normalized problem: rho ~ 1 (tau unchanged, Y and g scaled by 1/sqrt(scale))
    Yn = Y / math.sqrt(scale)
    gn = g / math.sqrt(scale)
    G = G / scale
    rho = 1.0 + 1e-2
    cf = _factor(gn, c, rho, tau, G)
    while cf is None and rho < 1e6:
        rho *= 2
        cf = _factor(gn, c, rho, tau, G)
    if cf is None:
        return BarrierOut(tau, math.inf, 0.0, 0)
    best_dual, steps, t = 0.0, 0, None
    best = (tau.copy(), rho)
    while steps < max_steps:
        grad, H, dual = _derivatives(Yn, gn, c, t, tau, cf)
        best_dual = max(best_dual, dual)
        if rho < best[1]:
            best = (tau.copy(), rho)
        if best_dual > 0 and best[1] / best_dual - 1 <= tol:
            break
        if t is None:
            t = float(grad[0])  # trace of S11: the rho-gradient vanishes at the start
            grad[0] = 0.0
        H.flat[:: k + 2] += 1e-14 * np.abs(np.diag(H)).max()
        try:
            step = -sla.cho_solve(sla.cho_factor(H, lower=True, check_finite=False), grad,
                                  check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            step = -np.linalg.lstsq(H, grad, rcond=None)[0]
        steps += 1
        dec = float(-grad @ step)
        if not math.isfinite(dec) or dec < 0:
            break
        drho, dtau = float(step[0]), step[1:]
        neg = dtau < 0
        amax = min(1.0, 0.99 * float(np.min(-tau[neg] / dtau[neg]))) if np.any(neg) else 1.0
        Gd = _gram(Yn, dtau)
        f0 = t * rho - _logdet(cf)
        alpha, new = amax, None
        for _ in range(60):
            tau1 = tau + alpha * dtau
            cf1 = _factor(gn, c, rho + alpha * drho, tau1, G + alpha * Gd)
            if cf1 is not None:
                f1 = t * (rho + alpha * drho) - _logdet(cf1)
                if f1 <= f0 - 0.25 * alpha * dec:
                    new = (tau1, rho + alpha * drho, cf1)
                    break
            alpha /= 2
        if new is None:
            break
        tau, rho, cf = new
        G = _gram(Yn, tau)  # recomputed, not updated, to avoid drift
        cf = _factor(gn, c, rho, tau, G) or cf
        if dec < _CENTERED:
            t *= _GROW  # centered enough: move along the path
    tau_b, rho_b = best if best[1] <= rho else (tau, rho)
    return BarrierOut(tau_b, rho_b * scale, best_dual * scale, steps)
