r"""S3 model: random features, exact kernels and population errors.

Model (``docs/mathematics.md#s3-random-features``; symbolic pieces and conventions
in :mod:`theory.random_features`): :math:`x\sim N(0, I_d)`,
:math:`y = \langle x,\beta\rangle + \xi`, :math:`\xi\sim N(0,\tau^2)`,
:math:`\|\beta\| = 1`; :math:`f(x) = \theta^T\sigma(Wx)` with ``W`` (N, d)
rows uniform on :math:`S^{d-1}` and :math:`\sigma = \mathrm{relu} - 1/\sqrt{2\pi}`.
The clean test error is computed *exactly* for given :math:`W,\beta,\theta` from
the arc-cosine kernel (:func:`clean_test_error`); :func:`sigma2_constant` is the
limit of the best reachable error.

Examples
--------
>>> inst = RFInstance.sample(d=5, N=3, tau=0.5, seed=0)
>>> clean_test_error(np.zeros(3), inst)
1.25
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from numerics._validate import as_finite_float, as_matrix, as_positive_int, as_rng, as_vector
from numerics.data import sphere_data
from theory import random_features as trf
from theory.activations import get_activation

__all__ = [
    "RFInstance",
    "best_rf_error",
    "best_rf_error_beta_averaged",
    "clean_test_error",
    "feature_kernel",
    "features",
    "gradient_kernel",
    "gradient_norms_squared",
    "j_matrix",
    "sigma2_constant",
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
