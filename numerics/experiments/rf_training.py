r"""S3 training and robust test errors of adversarially trained random features.

- **Adversarial training** (the convex first-order surrogate of the inner
  maximum): :math:`\min_\theta \frac1n\sum_i(|y_i - \theta^T\sigma(Wx_i)| +
  \epsilon\|J\theta\|)^2` with :math:`J^TJ = K = \mathbb E[D(x)WW^TD(x)]`
  (:func:`numerics.experiments.rf_model.gradient_kernel`); damped Newton on a
  smoothed objective with continuation (:func:`adversarial_train`). For a fixed
  point the linearization :math:`f(x) + \nabla f(x)^T\delta` has the exact
  supremum :math:`(|r| + \epsilon\|\nabla f(x)\|)^2` over the ball; the surrogate
  replaces :math:`\|\nabla f(x_i)\|^2` by its mean :math:`\theta^TK\theta`, to
  which it concentrates as :math:`d\to\infty`.
- **Robust test error** :math:`\mathbb E\sup_{\|\delta\|\le\epsilon}(y - f(x+\delta))^2`
  on a test sample: :func:`linearized_robust_error` (exact supremum of the
  linearization, an estimate), :func:`robust_test_error_lower_estimate`
  (projected gradient ascent: a **lower estimate**) and
  :func:`robust_test_error_upper_bound` (a **certified upper bound**).

Account: ``docs/mathematics.md#s3-random-features``.

Examples
--------
>>> from numerics.experiments.rf_model import RFInstance, clean_test_error, j_matrix
>>> inst = RFInstance.sample(d=10, N=20, tau=0.5, seed=0)
>>> X, y = inst.data(40, seed=1)
>>> res = adversarial_train(inst.features(X), y, j_matrix(inst.W), eps=0.1)
>>> bool(clean_test_error(res.theta, inst) > inst.tau**2)
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from numerics._validate import as_finite_float, as_matrix, as_positive_int, as_rng, as_vector
from numerics.experiments.rf_model import _MU0, _RELU, _weights

__all__ = [
    "AdvTrainResult",
    "RobustEstimate",
    "adversarial_objective",
    "adversarial_train",
    "linearized_robust_error",
    "robust_test_error_lower_estimate",
    "robust_test_error_upper_bound",
]


# ---------------------------------------------------------------------------
# Adversarial training (convex surrogate)
# ---------------------------------------------------------------------------
def adversarial_objective(theta, Phi, y, J, eps: float) -> float:
    r""":math:`\frac1n\sum_i(|y_i - \phi_i^T\theta| + \epsilon\|J\theta\|)^2` (exact,
    non-smooth).

    Examples
    --------
    >>> adversarial_objective([1.0], [[1.0], [2.0]], [1.0, 1.0], [[2.0]], 0.5)
    2.5
    """
    Phi = as_matrix(Phi, "Phi")
    theta = as_vector(theta, "theta", size=Phi.shape[1])
    y = as_vector(y, "y", size=Phi.shape[0])
    J = as_matrix(J, "J", cols=Phi.shape[1])
    eps = as_finite_float(eps, "eps", nonnegative=True)
    s = np.linalg.norm(J @ theta)
    return float(np.mean((np.abs(y - Phi @ theta) + eps * s) ** 2))


@dataclass(frozen=True)
class AdvTrainResult:
    r"""Result of :func:`adversarial_train`.

    Attributes
    ----------
    theta : ndarray, shape (N,)
    objective : float
        The exact (non-smooth) surrogate objective at ``theta``.
    success : bool
        Convergence of the last (least smoothed) stage.
    iterations : int
        Total Newton iterations.
    seconds : float
    suboptimality_bound : float
        :math:`\lambda^2/2 + \mu'(2\sqrt{F(\hat\theta)} + \mu')`,
        :math:`\mu' = (1+\epsilon)\mu_{\rm last}`: the last Newton decrement (the
        gap of the smoothed problem, to second order) plus the largest change the
        smoothing makes to :math:`F` at any :math:`\theta` with
        :math:`F(\theta)\le F(\hat\theta)` (by :math:`a - |r|\le\mu`,
        :math:`b - \|J\theta\|\le\mu` and Cauchy–Schwarz). ``objective`` minus
        the true minimum is at most this (up to the second-order approximation
        of the Newton gap).
    """

    theta: np.ndarray
    objective: float
    success: bool
    iterations: int
    seconds: float
    suboptimality_bound: float = 0.0


def adversarial_train(Phi, y, J, eps: float, *,
                      smoothing=(1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8),
                      max_newton: int = 50) -> AdvTrainResult:
    r"""Minimize the convex surrogate :math:`F(\theta) = \frac1n\sum_i(|r_i| +
    \epsilon\|J\theta\|)^2`, :math:`r = y - \Phi\theta`.

    :math:`F` is convex (the square of a non-negative convex function). It is
    minimized by damped Newton steps (backtracking line search) on the smoothed
    objective :math:`F_\mu` with :math:`|r|\to a = \sqrt{r^2+\mu^2}`,
    :math:`\|J\theta\|\to b = \sqrt{\theta^TK\theta + \mu^2}` (:math:`K = J^TJ`),
    for the decreasing ``smoothing`` levels :math:`\mu` (relative to the RMS of
    ``y``), warm-started from the minimizer of the quadratic lower bound
    :math:`\frac1n\|r\|^2 + \epsilon^2\|J\theta\|^2`. Since
    :math:`0 \le a - |r| \le \mu` and :math:`0\le b - \|J\theta\|\le\mu`, the
    final smoothing changes :math:`F` by :math:`O(\mu)`. For ``eps = 0`` the
    minimum-norm least-squares solution is returned.

    With :math:`t_i = a_i + \epsilon b`, :math:`c_i = -r_i/a_i`,
    :math:`v = \epsilon K\theta/b`:

    .. math::

        \nabla F_\mu = \tfrac2n\big(\Phi^T(t\odot c) + (\textstyle\sum_i t_i) v\big),\quad
        \nabla^2 F_\mu = \tfrac2n\Big(\Phi^T\operatorname{diag}(c^2 + t\mu^2/a^3)\Phi
        + \Phi^Tc\,v^T + v\,c^T\Phi + n\,vv^T
        + \epsilon\textstyle\sum_i t_i\,(K/b - K\theta\theta^TK/b^3)\Big).

    Parameters
    ----------
    Phi : array_like, shape (n, N)
        Features of the training points.
    y : array_like, shape (n,)
    J : array_like, shape (p, N)
        Any matrix with :math:`J^TJ = K` (e.g. :func:`j_matrix`).
    eps : float
        Adversarial budget (>= 0).
    smoothing : tuple of float
        Continuation levels (decreasing, > 0).
    max_newton : int
        Newton iterations per level.

    Returns
    -------
    AdvTrainResult
        ``success`` is True when the last level's Newton decrement fell below
        its tolerance.
    """
    t0 = time.perf_counter()
    Phi = as_matrix(Phi, "Phi")
    n, N = Phi.shape
    y = as_vector(y, "y", size=n)
    J = as_matrix(J, "J", cols=N)
    eps = as_finite_float(eps, "eps", nonnegative=True)
    max_newton = as_positive_int(max_newton, "max_newton")
    levels = [as_finite_float(m, "smoothing", positive=True) for m in smoothing]
    if not levels:
        raise ValueError("smoothing: needs at least one level")
    if eps == 0:
        theta = np.linalg.lstsq(Phi, y, rcond=None)[0]
        return AdvTrainResult(theta, adversarial_objective(theta, Phi, y, J, 0.0), True, 0,
                              time.perf_counter() - t0, 0.0)
    K = J.T @ J
    K = (K + K.T) / 2
    dec = float("inf")
    theta = np.linalg.solve(Phi.T @ Phi / n + eps**2 * K + 1e-12 * np.eye(N), Phi.T @ y / n)
    scale = max(float(np.sqrt(np.mean(y**2))), 1e-12)
    iters, success = 0, False

    def value(th, mu2):
        r = y - Phi @ th
        b = np.sqrt(th @ K @ th + mu2)
        return float(np.mean((np.sqrt(r * r + mu2) + eps * b) ** 2))

    for mu in levels:
        mu2 = (mu * scale) ** 2
        success = False
        for _ in range(max_newton):
            r = y - Phi @ theta
            a = np.sqrt(r * r + mu2)
            Kt = K @ theta
            b = np.sqrt(theta @ Kt + mu2)
            t = a + eps * b
            f = float(np.mean(t * t))
            c = -r / a
            v = eps * Kt / b
            Pc = Phi.T @ c
            St = float(t.sum())
            g = (2.0 / n) * (Phi.T @ (t * c) + St * v)
            H = (Phi.T * (c * c + t * mu2 / a**3)) @ Phi
            H += np.outer(Pc, v) + np.outer(v, Pc) + n * np.outer(v, v)
            H += eps * St * (K / b - np.outer(Kt, Kt) / b**3)
            H *= 2.0 / n
            try:
                step = -np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                step = -np.linalg.lstsq(H, g, rcond=None)[0]
            dec = -float(g @ step)
            iters += 1
            if not np.isfinite(dec) or dec <= 0 or dec / 2 <= 1e-13 * max(f, 1e-300):
                success = bool(np.isfinite(dec))
                dec = max(dec, 0.0)
                break
            s = 1.0
            while s > 1e-12 and value(theta + s * step, mu2) > f - 0.25 * s * dec:
                s *= 0.5
            if s <= 1e-12:
                success = True  # no further decrease possible in floating point
                break
            theta = theta + s * step
    obj = adversarial_objective(theta, Phi, y, J, eps)
    mu_abs = (1 + eps) * levels[-1] * scale
    gap = (dec / 2 if np.isfinite(dec) else float("inf")) + mu_abs * (2 * np.sqrt(obj) + mu_abs)
    return AdvTrainResult(theta, obj, success, iters, time.perf_counter() - t0, float(gap))


# ---------------------------------------------------------------------------
# Robust test error: lower estimate (attack) and certified upper bound
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RobustEstimate:
    """Per-point robust losses and their mean with its standard error over the
    test points.

    Attributes
    ----------
    per_point : ndarray, shape (m,)
    mean, se : float
    kind : str
        ``"lower estimate (PGA)"`` or ``"certified upper bound"``.
    deltas : ndarray or None
        The attack's perturbations (witnesses) for the lower estimate.
    """

    per_point: np.ndarray
    mean: float
    se: float
    kind: str
    deltas: np.ndarray | None = None


def _mean_se(v: np.ndarray) -> tuple[float, float]:
    se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
    return float(v.mean()), se


def _rf_inputs(theta, W, X, y):
    W = _weights(W)
    theta = as_vector(theta, "theta", size=W.shape[0])
    X = as_matrix(X, "X", cols=W.shape[1])
    y = as_vector(y, "y", size=X.shape[0])
    return theta, W, X, y


def robust_test_error_lower_estimate(theta, W, X, y, eps: float, *, seed, steps: int = 20,
                                     starts: int = 3) -> RobustEstimate:
    r"""A **lower estimate** of the robust test error
    :math:`\frac1m\sum_i\sup_{\|\delta\|\le\epsilon}(y_i - f(x_i+\delta))^2`.

    The inner maximization is done by projected (normalized) gradient ascent on
    the :math:`\ell_2` ball, from :math:`\delta = 0` and ``starts - 1`` random
    points of the sphere of radius :math:`\epsilon`, ``steps`` steps each with
    step :math:`\epsilon\cdot 2.5/\text{steps}^{1/2}\cdot(1+t)^{-1/2}`; the best loss
    *evaluated* per point is kept, with its perturbation (``deltas``) as
    witness. A local method: the true supremum may be larger, so this never
    over-states the robust error of the sample.

    Parameters
    ----------
    theta : array_like, shape (N,)
    W : array_like, shape (N, d)
    X : array_like, shape (m, d)
    y : array_like, shape (m,)
    eps : float
    seed : int or numpy.random.Generator
    steps, starts : int

    Returns
    -------
    RobustEstimate
    """
    theta, W, X, y = _rf_inputs(theta, W, X, y)
    eps = as_finite_float(eps, "eps", nonnegative=True)
    steps = as_positive_int(steps, "steps")
    starts = as_positive_int(starts, "starts")
    rng = as_rng(seed)
    m, d = X.shape

    def loss_grad(D):
        Z = (X + D) @ W.T
        r = y - (_RELU.numeric(Z) - _MU0) @ theta
        G = -2.0 * r[:, None] * (((Z > 0) * theta) @ W)
        return r * r, G

    best, _ = loss_grad(np.zeros_like(X))
    best_D = np.zeros_like(X)
    if eps == 0:
        m0, se0 = _mean_se(best)
        return RobustEstimate(best, m0, se0, "lower estimate (PGA)", best_D)
    for s in range(starts):
        if s == 0:
            D = np.zeros_like(X)
        else:
            D = rng.standard_normal((m, d))
            D *= eps / np.linalg.norm(D, axis=1, keepdims=True)
        for t in range(steps + 1):
            val, G = loss_grad(D)
            better = val > best
            best = np.where(better, val, best)
            best_D[better] = D[better]
            if t == steps:
                break
            gn = np.linalg.norm(G, axis=1, keepdims=True)
            step = eps * 2.5 / np.sqrt(steps) / np.sqrt(1.0 + t)
            D = D + step * G / np.maximum(gn, 1e-300)
            nr = np.linalg.norm(D, axis=1, keepdims=True)
            D *= np.minimum(1.0, eps / np.maximum(nr, 1e-300))
    mean, se = _mean_se(best)
    return RobustEstimate(best, mean, se, "lower estimate (PGA)", best_D)


def robust_test_error_upper_bound(theta, W, X, y, eps: float) -> RobustEstimate:
    r"""A certified upper bound on :math:`\sup_{\|\delta\|\le\epsilon}(y_i - f(x_i+\delta))^2`
    per test point [proved here]:

    .. math::

        \sup_{\|\delta\|\le\epsilon}|y - f(x+\delta)| \le |y - f(x)| + \epsilon
        \Big(\big\|\textstyle\sum_{\ell\in A}\theta_\ell w_\ell\big\| +
        \min\big(\sum_{\ell\in U}|\theta_\ell|\|w_\ell\|,\ \|W\|_{op}\|\theta_U\|\big)\Big),

    where :math:`A = \{\ell: w_\ell\cdot x > \epsilon\|w_\ell\|\}` (active on the
    whole ball) and :math:`U = \{\ell: |w_\ell\cdot x|\le\epsilon\|w_\ell\|\}`
    (undetermined): on the ball :math:`\nabla f = \sum_A\theta_\ell w_\ell +
    \sum_U s_\ell\theta_\ell w_\ell` with :math:`s_\ell\in\{0,1\}`, and f is
    Lipschitz along the segment with at most that gradient norm.

    Examples
    --------
    >>> from numerics.experiments.rf_model import RFInstance
    >>> inst = RFInstance.sample(d=4, N=6, tau=0.5, seed=0)
    >>> X, y = inst.data(50, seed=1)
    >>> theta = np.ones(6)
    >>> up = robust_test_error_upper_bound(theta, inst.W, X, y, 0.3)
    >>> low = robust_test_error_lower_estimate(theta, inst.W, X, y, 0.3, seed=0)
    >>> # equality (up to rounding) where no pattern can change inside the ball
    >>> bool(np.all(low.per_point <= up.per_point * (1 + 1e-12))), up.kind
    (True, 'certified upper bound')
    """
    theta, W, X, y = _rf_inputs(theta, W, X, y)
    eps = as_finite_float(eps, "eps", nonnegative=True)
    Z = X @ W.T
    nw = np.linalg.norm(W, axis=1)
    r = np.abs(y - (_RELU.numeric(Z) - _MU0) @ theta)
    A = Z > eps * nw
    U = np.abs(Z) <= eps * nw
    gA = np.linalg.norm((A * theta) @ W, axis=1)
    opW = float(np.linalg.norm(W, 2))
    u1 = U.astype(float) @ (np.abs(theta) * nw)
    u2 = opW * np.sqrt(U.astype(float) @ (theta**2))
    ub = (r + eps * (gA + np.minimum(u1, u2))) ** 2
    mean, se = _mean_se(ub)
    return RobustEstimate(ub, mean, se, "certified upper bound")


def linearized_robust_error(theta, W, X, y, eps: float) -> RobustEstimate:
    r"""The exact supremum of the **linearized** loss over the ball, per test point:

    .. math::

        \sup_{\|\delta\|\le\epsilon}\big(y - f(x) - \nabla f(x)^T\delta\big)^2
        = \big(|y - f(x)| + \epsilon\|\nabla f(x)\|\big)^2,
        \qquad \nabla f(x) = W^T\operatorname{diag}(\mathbb 1[Wx>0])\theta

    (Cauchy–Schwarz, attained at :math:`\delta = -\epsilon\,\mathrm{sign}(r)\nabla f/\|\nabla f\|`).
    It is exact for the first-order part of :math:`f` and an **estimate** of the
    true supremum (neither a lower nor an upper bound in general; the kinks
    crossed inside the ball are what it ignores).

    Examples
    --------
    >>> e = linearized_robust_error([1.0], [[1.0, 0.0]], [[2.0, 0.0]], [0.0], 0.5)
    >>> round(float(e.per_point[0]), 4)   # (|0 - (2 - 0.3989)| + 0.5 * 1)^2
    4.4144
    """
    theta, W, X, y = _rf_inputs(theta, W, X, y)
    eps = as_finite_float(eps, "eps", nonnegative=True)
    Z = X @ W.T
    r = np.abs(y - (_RELU.numeric(Z) - _MU0) @ theta)
    G = ((Z > 0) * theta) @ W
    v = (r + eps * np.linalg.norm(G, axis=1)) ** 2
    mean, se = _mean_se(v)
    return RobustEstimate(v, mean, se, "exact sup of the linearization (estimate)")
