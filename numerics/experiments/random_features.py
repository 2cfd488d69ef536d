r"""S3 numerics: adversarially trained random-features regression.

Model (THEORY.md §5 S3; symbolic pieces and conventions in
:mod:`theory.random_features`): :math:`x\sim N(0, I_d)`,
:math:`y = \langle x,\beta\rangle + \xi`, :math:`\xi\sim N(0,\tau^2)`,
:math:`\|\beta\| = 1`; :math:`f(x) = \theta^T\sigma(Wx)` with ``W`` (N, d)
rows uniform on :math:`S^{d-1}` and :math:`\sigma = \mathrm{relu} - 1/\sqrt{2\pi}`.

- **Adversarial training** (convex surrogate, as in the cited paper):
  :math:`\min_\theta \frac1n\sum_i(|y_i - \theta^T\sigma(Wx_i)| + \epsilon\|J\theta\|)^2`
  with :math:`J^TJ = K`, :math:`K = \mathbb E[D(x)WW^TD(x)]`,
  :math:`D(x) = \operatorname{diag}(\mathbb 1[Wx>0])` (:func:`gradient_kernel`,
  derived in :mod:`theory.random_features`); solved by damped Newton on a
  smoothed objective with continuation (:func:`adversarial_train`).
- **Clean test error** :math:`\mathbb E(y - f(x))^2`, computed *exactly* for the
  given :math:`W,\beta,\theta` from the arc-cosine kernel
  (:func:`clean_test_error`): no Monte Carlo.
- **Robust test error** :math:`\mathbb E\sup_{\|\delta\|\le\epsilon}(y - f(x+\delta))^2`
  on fresh test points: :func:`robust_test_error_lower_estimate` maximizes by
  projected gradient ascent from several starts, so it is a **lower estimate**
  (of the empirical robust risk of the test sample);
  :func:`robust_test_error_upper_bound` is a certified upper bound for the same
  sample (local Lipschitz bound of the piecewise-linear f on each ball).
- :func:`sigma2_constant`: :math:`\sigma^2(\psi_1,\tau)` of the cited analysis,
  derived in :mod:`theory.random_features` and checked against
  :func:`best_rf_error_beta_averaged` in the tests.

Examples
--------
>>> inst = RFInstance.sample(d=10, N=20, tau=0.5, seed=0)
>>> X, y = inst.data(40, seed=1)
>>> res = adversarial_train(inst.features(X), y, j_matrix(inst.W), eps=0.1)
>>> bool(clean_test_error(res.theta, inst) > inst.tau**2)
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import sympy as sp

from numerics._validate import as_finite_float, as_matrix, as_positive_int, as_rng, as_vector
from numerics.data import sphere_data
from numerics.records import RecordStore, save_figure
from theory import random_features as trf
from theory.activations import get_activation

__all__ = [
    "AdvTrainResult",
    "RFConfig",
    "RFInstance",
    "RobustEstimate",
    "adversarial_objective",
    "adversarial_train",
    "best_rf_error",
    "best_rf_error_beta_averaged",
    "clean_test_error",
    "feature_kernel",
    "features",
    "gradient_kernel",
    "gradient_norms_squared",
    "j_matrix",
    "plot_sweep",
    "robust_test_error_lower_estimate",
    "robust_test_error_upper_bound",
    "run_config",
    "run_sweep",
    "sigma2_constant",
    "summarize",
    "sweep_table",
    "trend_summary",
]

_RELU = get_activation("relu")
_MU0 = float(trf.MU0)


# ---------------------------------------------------------------------------
# Kernels, lambdified once from theory/random_features.py
# ---------------------------------------------------------------------------
@cache
def _kappa_fn():
    return sp.lambdify(trf.rho, trf.arccos_kernel(trf.rho) - trf.MU0**2, modules="numpy")


@cache
def _orthant_fn():
    r = sp.Symbol("r", real=True)
    return sp.lambdify(r, trf.orthant_probability(sp.acos(r)), modules="numpy")


@cache
def _sigma2_fn():
    return sp.lambdify((trf.psi1, trf.tau), trf.sigma2_expr(), modules="math")


def _weights(W) -> np.ndarray:
    W = as_matrix(W, "W")
    if np.any(np.linalg.norm(W, axis=1) == 0):
        raise ValueError("W: rows must be non-zero")
    return W


def _correlations(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    G = W @ W.T
    nr = np.sqrt(np.diag(G))
    R = np.clip(G / np.outer(nr, nr), -1.0, 1.0)
    np.fill_diagonal(R, 1.0)
    return G, R


def features(W, X) -> np.ndarray:
    r"""The features :math:`\sigma(XW^T)`, :math:`\sigma = \mathrm{relu} - 1/\sqrt{2\pi}`,
    shape (n, N) (relu lambdified from :mod:`theory.activations`).

    Examples
    --------
    >>> features([[1.0, 0.0]], [[2.0, 5.0], [-1.0, 0.0]]).round(4)
    array([[ 1.6011],
           [-0.3989]])
    """
    W = _weights(W)
    X = as_matrix(X, "X", cols=W.shape[1])
    return _RELU.numeric(X @ W.T) - _MU0


def feature_kernel(W) -> np.ndarray:
    r"""The exact population feature covariance for :math:`x\sim N(0, I_d)`:
    :math:`(K_\sigma)_{\ell m} = \mathbb E\sigma(w_\ell\cdot x)\sigma(w_m\cdot x)
    = \|w_\ell\|\|w_m\|(\kappa(\rho_{\ell m}) - 1/(2\pi))` (arc-cosine kernel; for
    unit rows exactly :math:`\kappa(\rho) - 1/(2\pi)`; rows of other norms scale
    relu but not the centring, so rows must have unit norm). Shape (N, N).

    Examples
    --------
    >>> feature_kernel([[1.0, 0.0], [0.0, 1.0]]).round(4)
    array([[0.3408, 0.    ],
           [0.    , 0.3408]])
    """
    W = _weights(W)
    if not np.allclose(np.linalg.norm(W, axis=1), 1.0, atol=1e-10):
        raise ValueError("W: feature_kernel needs unit-norm rows (sigma's centring "
                         "1/sqrt(2 pi) assumes w.x ~ N(0, 1))")
    _, R = _correlations(W)
    return _kappa_fn()(R)


def gradient_kernel(W) -> np.ndarray:
    r""":math:`K = \mathbb E_x[D(x)WW^TD(x)]`, :math:`D(x) = \operatorname{diag}(\mathbb
    1[Wx > 0])`, for rotation-invariant ``x`` [derived in
    :mod:`theory.random_features`]:

    .. math::  K_{\ell m} = (w_\ell\cdot w_m)\,\frac{\pi - \arccos\rho_{\ell m}}{2\pi},

    so that :math:`\mathbb E\|W^TD(x)\theta\|^2 = \theta^TK\theta`. Shape (N, N).

    Examples
    --------
    >>> gradient_kernel([[1.0, 0.0], [0.0, 2.0]]).round(4)
    array([[0.5, 0. ],
           [0. , 2. ]])
    """
    W = _weights(W)
    G, R = _correlations(W)
    return G * _orthant_fn()(R)


def j_matrix(W) -> np.ndarray:
    r"""A matrix :math:`J` with :math:`J^TJ = K` (:func:`gradient_kernel`): the
    symmetric square root :math:`K^{1/2}` (eigendecomposition; round-off
    negative eigenvalues of the PSD matrix K are set to 0). Shape (N, N).

    Examples
    --------
    >>> W = np.array([[1.0, 0.0], [0.6, 0.8]])
    >>> J = j_matrix(W)
    >>> bool(np.allclose(J.T @ J, gradient_kernel(W)))
    True
    """
    K = gradient_kernel(W)
    lam, U = np.linalg.eigh((K + K.T) / 2)
    return (U * np.sqrt(np.clip(lam, 0.0, None))) @ U.T


def gradient_norms_squared(W, theta, X) -> np.ndarray:
    r""":math:`\|W^TD(x)\theta\|^2 = \|\nabla_x f(x)\|^2` for each row of ``X``
    (the Monte Carlo side of the J identity), shape (m,).

    Examples
    --------
    >>> gradient_norms_squared([[1.0, 0.0], [0.0, 1.0]], [2.0, 3.0], [[1.0, -1.0], [1.0, 1.0]])
    array([ 4., 13.])
    """
    W = _weights(W)
    theta = as_vector(theta, "theta", size=W.shape[0])
    X = as_matrix(X, "X", cols=W.shape[1])
    G = ((X @ W.T > 0) * theta) @ W
    return np.einsum("ij,ij->i", G, G)


def sigma2_constant(psi1: float, tau: float) -> float:
    r""":math:`\sigma^2 = \tau^2 + 1 - \psi_1(1 - c\,m(-c;\psi_1))`, :math:`c = 1 - 2/\pi`
    (lambdified from :func:`theory.random_features.sigma2_expr`): the limit of the
    best error reachable by the random-features model (see there).

    Examples
    --------
    >>> round(sigma2_constant(1.0, 0.0), 5)
    0.44791
    """
    p = as_finite_float(psi1, "psi1", positive=True)
    t = as_finite_float(tau, "tau", nonnegative=True)
    return float(_sigma2_fn()(p, t))


# ---------------------------------------------------------------------------
# Instances and exact population errors
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RFInstance:
    """Random first layer ``W`` (N, d) (rows on the unit sphere), target ``beta`` (d,)
    (unit norm) and noise level ``tau``."""

    W: np.ndarray
    beta: np.ndarray
    tau: float

    def __post_init__(self):
        W = _weights(self.W)
        beta = as_vector(self.beta, "beta", size=W.shape[1])
        tau = as_finite_float(self.tau, "tau", nonnegative=True)
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "tau", tau)

    @classmethod
    def sample(cls, d: int, N: int, tau: float, seed) -> RFInstance:
        """``W`` rows and ``beta`` i.i.d. uniform on :math:`S^{d-1}`."""
        d = as_positive_int(d, "d")
        N = as_positive_int(N, "N")
        rng = as_rng(seed)
        W = sphere_data(N, d, rng)
        beta = sphere_data(1, d, rng)[0]
        return cls(W, beta, tau)

    @property
    def d(self) -> int:
        return self.W.shape[1]

    @property
    def N(self) -> int:
        return self.W.shape[0]

    def data(self, n: int, seed) -> tuple[np.ndarray, np.ndarray]:
        r"""``n`` samples: ``X`` (n, d) rows :math:`N(0, I_d)`, ``y`` (n,)."""
        n = as_positive_int(n, "n")
        rng = as_rng(seed)
        X = rng.standard_normal((n, self.d))
        return X, X @ self.beta + self.tau * rng.standard_normal(n)

    def features(self, X) -> np.ndarray:
        """:func:`features` with this instance's ``W``."""
        return features(self.W, X)


def clean_test_error(theta, inst: RFInstance) -> float:
    r"""The exact population squared error of :math:`f = \theta^T\sigma(Wx)`:

    .. math::

        \mathbb E(y - f(x))^2 = \tau^2 + \|\beta\|^2 - \theta^TW\beta + \theta^TK_\sigma\theta,

    using :math:`\mathbb E\sigma(Wx)\,x^T\beta = \tfrac12W\beta` (Stein's lemma,
    :math:`\mathbb E\,\mathbb 1[w\cdot x>0] = 1/2`, unit rows) and
    :func:`feature_kernel`.

    Examples
    --------
    >>> inst = RFInstance.sample(d=5, N=3, tau=0.5, seed=0)
    >>> clean_test_error(np.zeros(3), inst)   # tau^2 + ||beta||^2
    1.25
    """
    theta = as_vector(theta, "theta", size=inst.N)
    val = (inst.tau**2 + inst.beta @ inst.beta - theta @ (inst.W @ inst.beta)
           + theta @ feature_kernel(inst.W) @ theta)
    return float(val)


def best_rf_error(inst: RFInstance) -> float:
    r"""The smallest population error of the model for this ``W`` (infinitely many
    samples): :math:`\tau^2 + \|\beta\|^2 - \tfrac14\beta^TW^TK_\sigma^{-1}W\beta`.

    Examples
    --------
    >>> inst = RFInstance.sample(d=5, N=3, tau=0.5, seed=0)
    >>> bool(inst.tau**2 < best_rf_error(inst) < 1.25)
    True
    """
    b = inst.W @ inst.beta
    return float(inst.tau**2 + inst.beta @ inst.beta
                 - 0.25 * b @ np.linalg.solve(feature_kernel(inst.W), b))


def best_rf_error_beta_averaged(W, tau: float) -> float:
    r""":func:`best_rf_error` averaged exactly over :math:`\beta` uniform on the unit
    sphere (:math:`\mathbb E\beta\beta^T = I/d`):
    :math:`\tau^2 + 1 - \frac{1}{4d}\operatorname{tr}(W^TK_\sigma^{-1}W)`. Its
    :math:`d\to\infty` limit is :func:`sigma2_constant` (tested)."""
    W = _weights(W)
    tau = as_finite_float(tau, "tau", nonnegative=True)
    d = W.shape[1]
    tr = float(np.sum(W * np.linalg.solve(feature_kernel(W), W)))
    return tau**2 + 1.0 - tr / (4.0 * d)


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


# ---------------------------------------------------------------------------
# Experiment: one configuration, sweeps (JSON lines, resumable), summaries
# ---------------------------------------------------------------------------
def run_config(*, d: int, psi1: float, psi2: float, eps: float, tau: float, seed: int,
               n_test: int = 1000, steps: int = 20, starts: int = 3) -> dict:
    r"""Train one adversarially trained random-features model and measure it.

    ``N = round(psi1 d)``, ``n = round(psi2 d)``. Returns a JSON-friendly dict with
    the configuration, ``clean`` (exact population error), ``robust_lower``
    (PGA lower estimate on ``n_test`` fresh points) and its ``robust_lower_se``,
    ``robust_upper`` (certified upper bound on the same points),
    ``best_rf_error`` (the model's best possible error for this W),
    ``sigma2`` (:func:`sigma2_constant`), the training objective and timings.
    """
    d = as_positive_int(d, "d")
    psi1 = as_finite_float(psi1, "psi1", positive=True)
    psi2 = as_finite_float(psi2, "psi2", positive=True)
    N = max(1, int(round(psi1 * d)))
    n = max(1, int(round(psi2 * d)))
    rng = as_rng(seed)
    t0 = time.perf_counter()
    inst = RFInstance.sample(d, N, tau, rng)
    X, y = inst.data(n, rng)
    J = j_matrix(inst.W)
    tr = adversarial_train(inst.features(X), y, J, eps)
    Xt, yt = inst.data(as_positive_int(n_test, "n_test"), rng)
    low = robust_test_error_lower_estimate(tr.theta, inst.W, Xt, yt, eps, seed=rng,
                                           steps=steps, starts=starts)
    up = robust_test_error_upper_bound(tr.theta, inst.W, Xt, yt, eps)
    clean_mc, clean_mc_se = _mean_se((yt - inst.features(Xt) @ tr.theta) ** 2)
    return {
        "d": d, "psi1": psi1, "psi2": psi2, "N": N, "n": n, "eps": eps, "tau": tau,
        "seed": int(seed) if not isinstance(seed, np.random.Generator) else None,
        "n_test": int(n_test), "steps": steps, "starts": starts,
        "clean": clean_test_error(tr.theta, inst),
        "clean_mc": clean_mc, "clean_mc_se": clean_mc_se,
        "robust_lower": low.mean, "robust_lower_se": low.se,
        "robust_upper": up.mean, "robust_upper_se": up.se,
        "best_rf_error": best_rf_error(inst),
        "sigma2": sigma2_constant(psi1, tau),
        "theta_norm": float(np.linalg.norm(tr.theta)),
        "J_theta_norm": float(np.linalg.norm(J @ tr.theta)),
        "train_objective": tr.objective, "train_success": tr.success,
        "seconds": time.perf_counter() - t0,
    }


def _key(row: dict) -> tuple:
    return (row["d"], round(row["psi1"], 9), round(row["psi2"], 9), round(row["eps"], 9),
            round(row["tau"], 9), row["seed"], row["n_test"], row["steps"], row["starts"])


def run_sweep(*, d: int, psi1s, psi2: float, epss, tau: float, seeds, n_test: int,
              steps: int, starts: int, path: str | Path | None = None,
              progress=None) -> list[dict]:
    """Run :func:`run_config` over the grid ``psi1s x epss x seeds``.

    With ``path``, rows are kept in a JSON-lines file rewritten atomically after
    every configuration (:class:`numerics.records.RecordStore`); rows already
    present (same configuration) are not recomputed, so an interrupted sweep
    resumes. Returns every row of the file, then the new ones.
    """
    store = RecordStore(path, key=_key, nonfinite="keep")
    for eps in epss:
        for psi1 in psi1s:
            for seed in seeds:
                probe = {"d": d, "psi1": float(psi1), "psi2": float(psi2), "eps": float(eps),
                         "tau": float(tau), "seed": int(seed), "n_test": n_test,
                         "steps": steps, "starts": starts}
                if _key(probe) in store:
                    continue
                row = run_config(d=d, psi1=psi1, psi2=psi2, eps=eps, tau=tau, seed=int(seed),
                                 n_test=n_test, steps=steps, starts=starts)
                store.add(row)
                if progress is not None:
                    progress(row)
    return store.values()


def summarize(rows: list[dict]) -> list[dict]:
    r"""Group rows by ``(eps, psi1)`` and average over seeds: mean and standard
    error (``std/sqrt(seeds)``) of ``clean``, ``robust_lower``, ``robust_upper``,
    plus ``sigma2``. Sorted by ``eps`` then ``psi1``."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["eps"], r["psi1"]), []).append(r)
    out = []
    for (eps, psi1), rs in sorted(groups.items()):
        row = {"eps": eps, "psi1": psi1, "N": rs[0]["N"], "seeds": len(rs),
               "d": rs[0]["d"], "n": rs[0]["n"], "tau": rs[0]["tau"],
               "sigma2": rs[0]["sigma2"]}
        for key in ("clean", "robust_lower", "robust_upper", "best_rf_error"):
            v = np.array([r[key] for r in rs])
            row[key] = float(v.mean())
            row[key + "_se"] = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
        out.append(row)
    return out


# ---------------------------------------------------------------------------
# Configurations, trend summary, figure and table
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RFConfig:
    """A sweep configuration (:func:`run_sweep` arguments).

    ``fast()`` (``robustlaw reproduce``): d = 40, 3 seeds, a light attack;
    the default is the issue's size d = 100 with 5 seeds. The budgets are the
    issue's 0.1 and 0.3 plus 1.0 (beyond the issue's grid: the budget at which
    the robust error keeps rising with psi1 in our runs).
    """

    d: int = 100
    psi2: float = 2.0
    psi1s: tuple = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
    epss: tuple = (0.1, 0.3, 1.0)
    tau: float = 0.5
    seeds: tuple = (0, 1, 2, 3, 4)
    n_test: int = 1000
    steps: int = 20
    starts: int = 3

    @classmethod
    def fast(cls) -> RFConfig:
        return cls(d=40, psi1s=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0), seeds=(0, 1, 2), n_test=500,
                   steps=10, starts=2)

    def to_dict(self) -> dict:
        return {f: (list(v) if isinstance(v, tuple) else v)
                for f, v in self.__dict__.items()}


def trend_summary(summary: list[dict]) -> dict:
    r"""Per budget: does the clean error fall and the robust error eventually rise
    with :math:`\psi_1`? Compares the largest :math:`\psi_1` with the minimum over
    the grid, in units of the combined standard error (over seeds).

    Returns ``{eps: {...}}`` with ``clean_first/clean_last`` (and SEs),
    ``robust_min_psi1``, ``robust_min``, ``robust_last``, ``robust_rise_z``
    (:math:`(\text{last} - \min)/\sqrt{se_{last}^2 + se_{min}^2}`),
    ``clean_falls`` (last below first by > 2 SE) and ``robust_rises`` (rise_z > 2
    and the minimum not at the last point).
    """
    out = {}
    for eps in sorted({s["eps"] for s in summary}):
        rows = sorted([s for s in summary if s["eps"] == eps], key=lambda s: s["psi1"])
        first, last = rows[0], rows[-1]
        imin = int(np.argmin([r["robust_lower"] for r in rows]))
        rmin = rows[imin]
        se = math.hypot(last["robust_lower_se"], rmin["robust_lower_se"])
        rise_z = (last["robust_lower"] - rmin["robust_lower"]) / se if se > 0 else float("nan")
        cse = math.hypot(first["clean_se"], last["clean_se"])
        out[str(eps)] = {
            "clean_first": first["clean"], "clean_first_se": first["clean_se"],
            "clean_last": last["clean"], "clean_last_se": last["clean_se"],
            "clean_min_psi1": rows[int(np.argmin([r["clean"] for r in rows]))]["psi1"],
            "robust_min_psi1": rmin["psi1"], "robust_min": rmin["robust_lower"],
            "robust_last": last["robust_lower"], "robust_rise_z": rise_z,
            "clean_falls": bool(last["clean"] < first["clean"] - 2 * cse),
            "robust_rises": bool(imin != len(rows) - 1 and rise_z > 2),
        }
    return out


def plot_sweep(summary: list[dict], stem: str | Path) -> list[Path]:
    r"""Figure: clean error (exact), robust error (PGA lower estimate) and its
    certified upper bound against :math:`\psi_1`, one panel per budget, error
    bars = standard error over seeds; the best reachable error
    :math:`\sigma^2(\psi_1)` dotted. The y axis is cut at 1.25 times the largest
    robust lower estimate (the upper bound is then marked as clipped). Writes
    ``stem.png`` and ``stem.pdf``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epss = sorted({s["eps"] for s in summary})
    fig, axes = plt.subplots(1, len(epss), figsize=(5.2 * len(epss), 4), squeeze=False)
    for ax, eps in zip(axes[0], epss, strict=True):
        rows = sorted([s for s in summary if s["eps"] == eps], key=lambda s: s["psi1"])
        x = np.array([r["psi1"] for r in rows])

        def col(key, rows=rows):
            return np.array([r[key] for r in rows])

        ax.errorbar(x, col("clean"), yerr=col("clean_se"), marker="o", capsize=3,
                    label="clean test error (exact)")
        ax.errorbar(x, col("robust_lower"), yerr=col("robust_lower_se"), marker="s",
                    capsize=3, label="robust test error (PGA lower estimate)")
        ax.errorbar(x, col("robust_upper"), yerr=col("robust_upper_se"), marker="^",
                    capsize=3, ls="--", alpha=0.6, label="robust: certified upper bound")
        xs = np.geomspace(x.min(), x.max(), 100)
        ax.plot(xs, [sigma2_constant(v, rows[0].get("tau", 0.5)) for v in xs], ":", color="k",
                label=r"$\sigma^2(\psi_1)$ (best reachable, $d\to\infty$)")
        top = 1.25 * float(np.max(col("robust_lower") + col("robust_lower_se")))
        if np.max(col("robust_upper")) > top:
            ax.set_ylim(0, top)
            ax.text(0.98, 0.97, "upper bound clipped", transform=ax.transAxes, ha="right",
                    va="top", fontsize=7, color="C2")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(r"$\psi_1 = N/d$")
        ax.set_ylabel("squared error")
        ax.set_title(rf"$\epsilon = {eps}$, $d = {rows[0]['d']}$, $n = {rows[0]['n']}$")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, stem, dpi=130)


def sweep_table(summary: list[dict], config: RFConfig | None = None) -> str:
    """Booktabs table of the summary (via :func:`theory.latex.render_table`)."""
    from theory.latex import Raw, render_table

    rows = []
    for s in summary:
        rows.append({
            "eps": s["eps"], "psi1": s["psi1"], "N": s["N"], "seeds": s["seeds"],
            "clean": Raw(f"{s['clean']:.3f} $\\pm$ {s['clean_se']:.3f}"),
            "rlow": Raw(f"{s['robust_lower']:.3f} $\\pm$ {s['robust_lower_se']:.3f}"),
            "rup": Raw(f"{s['robust_upper']:.3f} $\\pm$ {s['robust_upper_se']:.3f}"),
            "sigma2": s["sigma2"],
        })
    d = summary[0]["d"] if summary else "?"
    n = summary[0]["n"] if summary else "?"
    notes = ("Mean $\\pm$ standard error over seeds. Clean error computed exactly from the "
             "arc-cosine kernel; robust error: projected gradient ascent (a lower estimate) "
             "and a certified upper bound, both on fresh test points.")
    if config is not None:
        notes += (f" $\\tau = {config.tau}$, {config.n_test} test points, "
                  f"{config.steps} ascent steps from {config.starts} starts.")
    return render_table(
        rows, [("eps", "$\\epsilon$"), ("psi1", "$\\psi_1$"), ("N", "$N$"), ("seeds", "seeds"),
               ("clean", "clean"), ("rlow", "robust (lower est.)"),
               ("rup", "robust (upper bd.)"), ("sigma2", "$\\sigma^2$")],
        f"Adversarially trained random features, $d = {d}$, $n = {n}$ ($\\psi_2 = 2$)",
        "tab:random-features", float_format="{:.4g}", size="small", notes=notes)
