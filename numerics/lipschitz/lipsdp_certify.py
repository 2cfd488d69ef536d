r"""Data, certificate and spectral starting point of the reduced LipSDP-Neuron problem.

The mathematics (sectors, the :math:`d\times d` reduction :math:`R(T)`, the rounding
margin of the Cholesky certificate) is in :mod:`numerics.lipschitz.lipsdp` and
``docs/mathematics.md#lipsdp-reduction``. This module holds the pieces shared by the
optimizer (:mod:`numerics.lipschitz.lipsdp_solve`), the public wrappers and branch and
bound (:mod:`numerics.lipschitz.bnb`): :class:`NeuronSectors`, the reduced data
:class:`_Reduced` built from *given* sectors, and the float64 certificate.

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> net = TwoLayerNet([1.0], [[3.0, 4.0]], [0.0], "relu")
>>> S = NeuronSectors(np.array([0.0]), np.array([1.0]), np.array([True]),
...                   np.array([False]), "given")
>>> red = reduce_with_sectors(net, S)
>>> bool(certify_reduced(red, np.array([1.0]), 25.0 * (1 + 1e-9)))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla

from numerics.models import TwoLayerNet

_U = np.finfo(float).eps / 2  # unit round-off
_SAFETY = 4.0

@dataclass(frozen=True)
class NeuronSectors:
    r"""Per-neuron slope sectors :math:`[\alpha_\ell, \beta_\ell]` on a domain.

    Attributes
    ----------
    alpha, beta : ndarray, shape (k,)
        Sector ends (0 for dropped neurons).
    free : ndarray of bool, shape (k,)
        :math:`\delta_\ell > 0`, :math:`a_\ell \ne 0`, :math:`w_\ell \ne 0`: neurons that
        carry a multiplier.
    linear : ndarray of bool, shape (k,)
        Exactly linear on the domain with nonzero slope: merged into :math:`u`.
    method : str
        ``'per-neuron'`` (piecewise linear, exact per neuron) or ``'common'``.
    """

    alpha: np.ndarray
    beta: np.ndarray
    free: np.ndarray
    linear: np.ndarray
    method: str

    @property
    def dropped(self) -> np.ndarray:
        """Neurons that contribute nothing on the domain, bool (k,)."""
        return ~(self.free | self.linear)



@dataclass
class _Reduced:
    """Data of the reduced problem over the free neurons."""

    WF: np.ndarray  # (kF, d)
    aF: np.ndarray
    alphaF: np.ndarray
    betaF: np.ndarray
    free_idx: np.ndarray
    u: np.ndarray  # (d,) linear part
    g: np.ndarray  # (d,)
    g_abs: np.ndarray  # (d,) sum of |terms| of g, for rounding bounds
    closed: bool  # block-diagonal case: s <= 1 allowed
    sectors: NeuronSectors
    d: int
    wn2: np.ndarray = field(default=None)  # squared row norms of WF

    @property
    def delta(self) -> np.ndarray:
        return self.betaF - self.alphaF

    @property
    def mu(self) -> np.ndarray:
        return (self.alphaF + self.betaF) / 2

    @property
    def c(self) -> np.ndarray:
        return np.abs(self.aF) * self.delta / 2

    @property
    def kF(self) -> int:
        return self.WF.shape[0]




def reduce_with_sectors(net: TwoLayerNet, S: NeuronSectors) -> _Reduced:
    r"""The reduced problem's data (free rows :math:`W_F`, :math:`a_F`, sectors, the
    linear part :math:`u` and :math:`g = \sum_\ell a_\ell\mu_\ell w_\ell`) for given
    per-neuron sectors ``S`` (from :func:`numerics.lipschitz.lipsdp.neuron_sectors`, or
    from a branch-and-bound region)."""
    F = np.flatnonzero(S.free)
    Lin = np.flatnonzero(S.linear)
    mu = (S.alpha + S.beta) / 2
    WF = np.ascontiguousarray(net.W[F])
    aF = net.a[F]
    am = net.a * mu
    u = net.W[Lin].T @ am[Lin] if Lin.size else np.zeros(net.d)
    g = WF.T @ am[F] + u
    idx = np.concatenate([F, Lin])
    g_abs = np.abs(net.W[idx]).T @ np.abs(am[idx]) if idx.size else np.zeros(net.d)
    closed = bool(Lin.size == 0 and np.all(mu[F] == 0))
    return _Reduced(WF, aF, S.alpha[F], S.beta[F], F, u, g, g_abs, closed, S, net.d,
                    np.einsum("ij,ij->i", WF, WF))


#: Project onto the row space only when it saves at least this fraction of d.
_ROW_SPACE_GAIN = 0.9


def row_space_reduced(red: _Reduced) -> _Reduced:
    r"""The same reduced problem written in an orthonormal basis Q (d × r) of
    :math:`V = \mathrm{span}\{w_\ell\ (\ell\in F), g\}`, :math:`r \le \min(d, k_F + 1)`.

    Since every row of :math:`W_F` and g lie in V, :math:`W_F = W_FQQ^T` and
    :math:`g = QQ^Tg`, so :math:`R(T) = Q\,R_Q(T)\,Q^T` with
    :math:`R_Q(T) = \tfrac12 (W_FQ)^T\mathrm{diag}(T\delta^2)(W_FQ) +
    (Q^Tg)(Q^Tg)^T/(1-s(T))`. As :math:`Q^TQ = I`, :math:`R(T)` and :math:`R_Q(T)` have
    the same nonzero eigenvalues (:math:`R v = \lambda v,\ \lambda\ne0` forces
    :math:`v\in V`, :math:`v = Qy`, :math:`R_Q y = \lambda y`, and conversely), and
    both are positive semidefinite, so :math:`\lambda_{\max}(R(T)) =
    \lambda_{\max}(R_Q(T))` for every T: the optimization over T can run in dimension
    r. The multipliers T are the same coordinates in both problems; the final
    certificate is always checked on the full :math:`d\times d` problem, so the
    floating-point Q affects only which T is found, never what is certified.
    Returned unchanged when r is not below ``0.9 d``."""
    d = red.d
    M = np.vstack([red.WF, red.g[None, :]])
    if M.shape[0] >= _ROW_SPACE_GAIN * d:
        return red
    _, sv, Vt = np.linalg.svd(M, full_matrices=False)
    r = int(np.sum(sv > 1e-13 * max(float(sv[0]) if sv.size else 0.0, 1e-300)))
    if r == 0 or r >= _ROW_SPACE_GAIN * d:
        return red
    Q = Vt[:r].T
    WQ = np.ascontiguousarray(red.WF @ Q)
    return _Reduced(WQ, red.aF, red.alphaF, red.betaF, red.free_idx, red.u @ Q, red.g @ Q,
                    np.abs(red.g @ Q), red.closed, red.sectors, r,
                    np.einsum("ij,ij->i", WQ, WQ))


def _tau_from_T(red: _Reduced, T: np.ndarray) -> np.ndarray:
    return T * red.delta**2 / 2


def _T_from_tau(red: _Reduced, tau: np.ndarray) -> np.ndarray:
    return 2 * tau / red.delta**2


def _gram(WF: np.ndarray, tau: np.ndarray) -> np.ndarray:
    G = WF.T @ (WF * tau[:, None])
    return (G + G.T) / 2




def _reduced_from(red: _Reduced, TF: np.ndarray) -> np.ndarray | None:
    if red.kF and np.any(TF <= 0):
        return None
    tau = _tau_from_T(red, TF)
    s = float(np.sum(red.aF**2 / (2 * TF))) if red.kF else 0.0
    M = _gram(red.WF, tau) if red.kF else np.zeros((red.d, red.d))
    if red.closed:
        return M if s <= 1 else None
    if s >= 1:
        return None
    return M + np.outer(red.g, red.g) / (1 - s)




def certify_reduced(red: _Reduced, TF: np.ndarray, rho: float) -> bool:
    """Floating-point certificate of M(rho, T) >= 0 via the reduced form."""
    if not (math.isfinite(rho) and rho >= 0):
        return False
    d, kF = red.d, red.kF
    if kF == 0:
        # f is linear on the domain with gradient g = u: need rho >= ||g||^2
        err = _SAFETY * (len(red.sectors.alpha) + d + 8) * _U * float(np.linalg.norm(red.g_abs))
        return rho >= (float(np.linalg.norm(red.g)) + err) ** 2 * (1 + 8 * _U)
    if not np.all(np.isfinite(TF)) or np.any(TF <= 0):
        return False
    gk = (kF + 8) * _U
    s = float(np.sum(red.aF**2 / (2 * TF)))
    s_up = s * (1 + 2 * gk)
    tau = _tau_from_T(red, TF)
    if red.closed:
        if s_up > 1:
            return False
        theta = 0.0
    else:
        if s_up >= 1:
            return False
        theta = (1 / (1 - s_up)) * (1 + 8 * _U)
    G = _gram(red.WF, tau)
    gn = float(np.linalg.norm(red.g))
    gan = float(np.linalg.norm(red.g_abs))
    trG = float(np.sum(tau * red.wn2))
    gam_all = (kF + d + 8) * _U
    margin = _SAFETY * gam_all * (d * rho + trG + theta * (gn + gan) ** 2)
    A = (rho - margin) * np.eye(d) - G
    if theta:
        A -= theta * np.outer(red.g, red.g)
    try:
        sla.cholesky(A, lower=True, check_finite=True)
    except (np.linalg.LinAlgError, ValueError):
        return False
    return True




def _spectral_T(net: TwoLayerNet, red: _Reduced) -> tuple[np.ndarray, float]:
    """The spectral-point multipliers over free neurons and the spectral rho."""
    S = red.sectors
    idx = np.flatnonzero(S.free | S.linear)
    L = np.maximum(np.abs(S.alpha), np.abs(S.beta))[idx]
    Lam = float(np.sum((net.a[idx] * L) ** 2))
    Wop = float(np.linalg.norm(net.W[idx], 2)) if idx.size else 0.0
    LF = np.maximum(np.abs(red.alphaF), np.abs(red.betaF))
    TF = Lam / (red.delta * LF) if red.kF else np.zeros(0)
    if red.closed:
        # s(T) = 1 exactly here; a relative 1e-10 keeps s <= 1 through rounding
        # (and scales the bound by at most that much)
        TF = TF * (1 + 1e-10)
    return TF, Wop**2 * Lam




def _dual(red: _Reduced, Q: np.ndarray, p: np.ndarray) -> float:
    """D(P) for P = Q diag(p) Q^T (p >= 0, normalized to trace 1)."""
    p = p / p.sum()
    WQ = red.WF @ Q
    q = np.maximum((WQ**2) @ p, 0.0)
    gam = max(float(((red.g @ Q) ** 2) @ p), 0.0)
    A = float(red.c @ np.sqrt(q))
    if red.closed:
        return A**2
    return (A + math.sqrt(gam)) ** 2




_certify = certify_reduced
