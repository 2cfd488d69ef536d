r"""Certified LipSDP-Neuron upper bounds for two-layer networks, without an SDP solver.

For :math:`f(x) = \sum_{\ell=1}^k a_\ell\,\psi(w_\ell\cdot x + b_\ell)` on a domain
:math:`\Omega \in \{\mathbb R^d, B_R, R\,S^{d-1}\}` this module computes the
LipSDP-Neuron bound (Fazlyab et al. 2019, diagonal multipliers) through the
:math:`d\times d` reduction of docs/mathematics.md#lipsdp-reduction, optimizes the
multipliers with a
smoothed maximum eigenvalue and L-BFGS, and certifies the returned number by a
floating-point Cholesky test with an explicit rounding margin.

Mathematics
-----------
**Sectors.** Neuron :math:`\ell` only sees pre-activations
:math:`z_\ell \in I_\ell`, with :math:`I_\ell = \mathbb R` on :math:`\mathbb R^d` and
:math:`I_\ell = [b_\ell - R\|w_\ell\|,\ b_\ell + R\|w_\ell\|]` on :math:`B_R` and on
:math:`R\,S^{d-1}`. If :math:`\psi' \in [\alpha_\ell, \beta_\ell]` on :math:`I_\ell`,
then for :math:`x, x' \in \Omega`, :math:`\Delta z = W\Delta x` and
:math:`\Delta v = \psi(z) - \psi(z')` satisfy the sector inequalities
:math:`(\Delta v_\ell - \alpha_\ell \Delta z_\ell)(\beta_\ell\Delta z_\ell - \Delta v_\ell) \ge 0`.
Write :math:`\mu_\ell = (\alpha_\ell+\beta_\ell)/2`, :math:`\delta_\ell = \beta_\ell - \alpha_\ell`.
Neurons with :math:`\delta_\ell = 0` are *linear* on the domain
(:math:`\Delta v_\ell = \mu_\ell \Delta z_\ell` exactly) and are substituted: they
form :math:`u = \sum_{\ell\ \mathrm{linear}} a_\ell \mu_\ell w_\ell`, so
:math:`\Delta f = a_F^T \Delta v_F + u^T \Delta x` over the *free* neurons F
(:math:`\delta_\ell > 0`). Neurons with slope 0 on the domain (relu off everywhere),
:math:`a_\ell = 0` or :math:`w_\ell = 0` are dropped. For piecewise-linear ψ with one
kink the sectors are exact per neuron; for smooth ψ a common sector
``slope_range(radius=max_l |b_l| + R||w_l||)`` is used (valid, not per-neuron tight).

**The certificate.** For :math:`T = \mathrm{diag}(T_\ell) \succeq 0` (Fazlyab's
convention, the one of docs/mathematics.md#lipsdp-reduction) let

.. math::

    \mathcal M(\rho, T) = \begin{pmatrix}
      \rho I - uu^T + 2W_F^T \mathrm{diag}(T\alpha\beta) W_F &
      -W_F^T \mathrm{diag}(T(\alpha+\beta)) - u a_F^T \\
      -\mathrm{diag}(T(\alpha+\beta)) W_F - a_F u^T & 2T - a_F a_F^T
    \end{pmatrix}.

Its quadratic form at :math:`(\Delta x, \Delta v_F)` equals
:math:`\rho\|\Delta x\|^2 - (\Delta f)^2 - \sum_\ell 2T_\ell(\Delta v_\ell - \alpha_\ell
\Delta z_\ell)(\beta_\ell \Delta z_\ell - \Delta v_\ell)`, so
:math:`\mathcal M \succeq 0` gives :math:`|\Delta f|^2 \le \rho\|\Delta x\|^2`: the
Lipschitz constant on :math:`\Omega` is at most :math:`\sqrt\rho` (for the sphere, the
chord is at most the geodesic distance, so the bound holds for the geodesic constant
too). With :math:`\alpha = 0, \beta = 1, u = 0` this is Fazlyab's LipSDP-Neuron
inequality :math:`\big[\begin{smallmatrix}-\rho I & W^T T\\ TW & -2T + aa^T\end{smallmatrix}\big]
\preceq 0`.

**Reduction (Schur complement and Woodbury).** Let :math:`s(T) = \sum_{\ell\in F}
a_\ell^2 / (2T_\ell)`. The block :math:`2T - a_F a_F^T` is positive definite iff all
:math:`T_\ell > 0` and :math:`s < 1` (matrix determinant lemma). In that case
:math:`\mathcal M \succeq 0` iff its Schur complement is, and with
:math:`(2T - aa^T)^{-1} = (2T)^{-1} + (2T)^{-1}aa^T(2T)^{-1}/(1-s)`,
:math:`B = W_F^T \mathrm{diag}(T(\alpha+\beta)) + u a^T` gives
:math:`B(2T)^{-1}B^T = \tfrac12 W_F^T \mathrm{diag}(T(\alpha+\beta)^2) W_F
+ (hu^T + uh^T) + s\,uu^T`
and :math:`B(2T)^{-1}a = h + s u` with :math:`h = W_F^T(a\mu)`. Collecting terms
(:math:`(\alpha+\beta)^2/4 - \alpha\beta = \delta^2/4`) the Schur complement is
:math:`\rho I - R(T)` with

.. math::

    R(T) = \tfrac12 W_F^T \mathrm{diag}(T\delta^2) W_F + \frac{g g^T}{1 - s(T)},
    \qquad g = W_F^T(a_F \mu_F) + u = \textstyle\sum_\ell a_\ell \mu_\ell w_\ell .

Hence, **for T > 0 with s(T) < 1, M(ρ, T) ⪰ 0 iff ρ ≥ λ_max(R(T))**, and
:math:`\mathrm{Lip}_\Omega(f) \le \sqrt{\lambda_{\max}(R(T))}`. For ψ slope-restricted in
[0, 1] (δ = 1, μ = ½, u = 0) this is docs/mathematics.md#lipsdp-reduction:
:math:`\lambda_{\max}(\tfrac12 W^T \mathrm{diag}(T) W + W^Taa^TW/(4(1-s)))`. If every free
neuron has :math:`\mu_\ell = 0` and there are no linear neurons (abs on
:math:`\mathbb R^d`), the off-diagonal block vanishes and the condition is
:math:`s \le 1` (closed) and
:math:`\rho \ge \lambda_{\max}(\tfrac12 W_F^T \mathrm{diag}(T\delta^2) W_F)`.

**Convexity, dual, and the spectral starting point.** With :math:`\tau_\ell = T_\ell
\delta_\ell^2/2` and :math:`c_\ell = |a_\ell|\delta_\ell/2`,
:math:`R = W_F^T\mathrm{diag}(\tau)W_F + gg^T/(1 - \sum c_\ell^2/\tau_\ell)`, and
:math:`\lambda_{\max}(R) = \max_{\|v\|=1} \sum\tau_\ell (w_\ell\cdot v)^2 + (g\cdot v)^2/(1-s)`
is convex in τ and in :math:`\log\tau`. For any :math:`P \succeq 0` with trace 1,
:math:`q_\ell = w_\ell^T P w_\ell`, :math:`\gamma = g^TPg`, Cauchy–Schwarz twice gives
:math:`\lambda_{\max}(R(T)) \ge \sum \tau_\ell q_\ell + \gamma/(1-s) \ge
(\sum_\ell c_\ell\sqrt{q_\ell} + \sqrt\gamma)^2 =: D(P)` for *every* feasible T, so
:math:`D(P)` is a lower bound on the optimal ρ (reported as ``rho_dual``; it measures
how far the multipliers are from optimal, it is not a bound on the Lipschitz constant).
Taking :math:`T_\ell = \Lambda/(\delta_\ell L_\ell)` with :math:`L_\ell = \max(|\alpha_\ell|,
|\beta_\ell|) = |\mu_\ell| + \delta_\ell/2` and :math:`\Lambda = \sum_\ell a_\ell^2 L_\ell^2`
(over free and linear neurons) gives a feasible point with
:math:`\lambda_{\max}(R) \le \|W\|_{op}^2 \Lambda \le (L_\psi\|a\|_2\|W\|_{op})^2`, the
(domain-aware) spectral bound. Proof: write :math:`\Delta v_\ell = \mu_\ell\Delta z_\ell +
e_\ell` (:math:`e_\ell = 0` for linear neurons), so the sector term equals
:math:`2T_\ell(\delta_\ell^2\Delta z_\ell^2/4 - e_\ell^2)`. For *all* vectors
:math:`(\Delta x, e)`, Cauchy–Schwarz with weights :math:`a_\ell^2L_\ell^2` and
:math:`(\mu z + e)^2 \le (1+\eta)\mu^2z^2 + (1+1/\eta)e^2` with
:math:`\eta = \delta/(2|\mu|)` give :math:`(\Delta f)^2 \le \Lambda\sum_\ell
(|\mu_\ell|\Delta z_\ell^2/L_\ell + 2e_\ell^2/(\delta_\ell L_\ell))`, while the sector sum is
:math:`\Lambda\sum_\ell(\delta_\ell\Delta z_\ell^2/(2L_\ell) - 2e_\ell^2/(\delta_\ell L_\ell))`.
Adding, the quadratic form of :math:`\mathcal M` is at least
:math:`\rho\|\Delta x\|^2 - \Lambda\|W\Delta x\|^2 \ge 0` for :math:`\rho = \Lambda\|W\|_{op}^2`.
Here :math:`s = \sum_F a_\ell^2\delta_\ell L_\ell/(2\Lambda) \le 1` (as :math:`\delta_\ell/2 \le
L_\ell`), with equality only in the closed case. This point starts the optimization,
so the optimized bound is never worse than the spectral bound (up to the
certification margin, a relative :math:`O((k+d)d\,u)`).

**Optimization.** Parametrize :math:`\tau_\ell = c_\ell^2/(\sigma\pi_\ell)` with
:math:`\pi = \mathrm{softmax}(u)`, :math:`\sigma = 1/(1+e^{-v})` (then :math:`s = \sigma
< 1` automatically and :math:`1/(1-s) = 1 + e^v`; a diffeomorphism onto the feasible
set, so stationary points stay global minima), minimize the log-sum-exp smoothing
:math:`\epsilon\rho_0\log\sum_i e^{\lambda_i/(\epsilon\rho_0)}` of the eigenvalues with
L-BFGS, continuing in ε, and stop when the primal–dual gap ``rho/rho_dual - 1`` is
below ``tol``. Every evaluation's smoothed projector :math:`P` gives a dual value;
after each smoothing level the dual is refined over :math:`Z \succeq 0` on the span of
the top eigenvectors (:math:`P = QZQ^T`) and the closed-form best response
:math:`\tau_\ell = A c_\ell/(s\sqrt{q_\ell})`, :math:`A = \sum c_\ell\sqrt{q_\ell}`,
:math:`s = A/(A + \sqrt\gamma)` is tried as a primal point. Each evaluation costs one
:math:`k d^2` product (in float32 when :math:`k d^2 > 5\cdot 10^6`; the returned
ρ, the dual value and the certificate are always float64) and one partial
:math:`d\times d` eigendecomposition.

**Certification.** :func:`certify_multipliers` checks the reduced conditions (all
:math:`T_\ell > 0`, :math:`s < 1` with rounding, and a Cholesky factorization of
:math:`(\rho - m)I - R(T)` computed in float64) where the margin m covers the rounding
errors of forming R (:math:`|\Delta R| \le \gamma_{k}\,|W|^T\mathrm{diag}(\tau)|W|`, whose
2-norm is at most :math:`\gamma_k\,\mathrm{tr}`) and of the Cholesky factorization
(Rump 2006: success of floating-point Cholesky of :math:`A` implies :math:`A + \Delta A
\succ 0` with :math:`\|\Delta A\|_2 \le \gamma_{d+1}\mathrm{tr}(A)/(1-\gamma_{d+1})`), with a
safety factor 4. It assumes IEEE round-to-nearest double arithmetic and no
underflow; it is a careful floating-point certificate, not interval arithmetic.
By the equivalence above, success certifies the full matrix inequality
:math:`\mathcal M(\rho, T) \succeq 0` without forming the :math:`(d+k)\times(d+k)`
matrix (:func:`lipsdp_matrix` forms it, for tests at small k).

Examples
--------
>>> net = TwoLayerNet([1.0], [[3.0, 4.0]], [0.0], "relu")
>>> res = lipsdp_upper_bound(net)
>>> res.certified, round(res.value, 6)
(True, 5.0)
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize

from numerics._validate import as_finite_float, as_vector
from numerics.domain import Domain
from numerics.models import TwoLayerNet
from theory.activations import get_activation

__all__ = [
    "LipSDPResult",
    "NeuronSectors",
    "neuron_sectors",
    "reduced_matrix",
    "lipsdp_matrix",
    "certify_multipliers",
    "spectral_multipliers",
    "sdp_dual_value",
    "lipsdp_upper_bound",
]

_RD = Domain.rd()
_U = np.finfo(float).eps / 2  # unit round-off
_STAGE_EVALS = 25  # L-BFGS evaluations per smoothing level
_F32_WORK = 5e6  # k d^2 above which optimization steps form the Gram matrix in float32
_SAFETY = 4.0


# ----------------------------------------------------------------------------
# sectors
# ----------------------------------------------------------------------------
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


def _domain_radius(domain: Domain, d: int) -> float | None:
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    if domain.kind == "sphere" and d < 2:
        raise ValueError("domain: the sphere needs d >= 2 (S^0 has no geodesic metric)")
    return None if domain.kind == "rd" else float(domain.radius)


@lru_cache(maxsize=64)
def _slope_range_R(spec: str) -> tuple[float, float] | None:
    """``slope_range()`` of the activation on R as floats, None when unbounded
    (cached: the sympy computation takes about a second for tanh)."""
    try:
        lo_s, hi_s = get_activation(spec).slope_range()
        slo, shi = float(lo_s), float(hi_s)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(slo) and math.isfinite(shi)):
        return None
    return slo, shi


#: Relative inflation of the radius when computing pre-activation intervals, so
#: that rounding in ``b -+ R||w||`` never classifies a neuron whose interval ends
#: at a kink as linear.
_RADIUS_INFLATION = 1e-10
#: Relative outward widening of every free sector (rounding of evaluated slopes).
_SECTOR_WIDENING = 1e-12


_SECTOR_CACHE: OrderedDict = OrderedDict()


def _ball_slope_ranges(net: TwoLayerNet, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`numerics.lipschitz.slopes.slope_ranges` on the ball, memoized on the network's
    bytes (its sympy step costs about a second for tanh, and the certificate, the
    reduced matrix and the optimizer all need the same sectors)."""
    from numerics.lipschitz.slopes import slope_ranges

    h = hashlib.blake2b(digest_size=16)
    for arr in (net.W, net.b):
        h.update(np.ascontiguousarray(arr).tobytes())
    key = (net.spec, radius, net.W.shape, h.digest())
    hit = _SECTOR_CACHE.get(key)
    if hit is None:
        lo, hi = slope_ranges(net, Domain.ball(radius))
        hit = (np.array(lo, dtype=float), np.array(hi, dtype=float))
        _SECTOR_CACHE[key] = hit
        while len(_SECTOR_CACHE) > 16:
            _SECTOR_CACHE.popitem(last=False)
    else:
        _SECTOR_CACHE.move_to_end(key)
    return hit[0].copy(), hit[1].copy()


def neuron_sectors(net: TwoLayerNet, domain: Domain = _RD) -> NeuronSectors | None:
    r"""Slope sectors of every neuron on the domain, or None when the slopes of ψ
    are unbounded there (e.g. ``power:3`` on :math:`\mathbb R^d`).

    On :math:`\mathbb R^d` every neuron with :math:`w_\ell \ne 0` gets the slope range
    of ψ on R (:meth:`theory.activations.Activation.slope_range`). On :math:`B_R` and
    :math:`R S^{d-1}` neuron ℓ sees :math:`z \in [b_\ell - R\|w_\ell\|, b_\ell +
    R\|w_\ell\|]` and the per-neuron ranges come from
    :func:`numerics.lipschitz.slopes.slope_ranges` (the one source of this fact), evaluated
    on the ball of radius :math:`R(1 + 10^{-10})` so that rounding cannot classify a
    neuron touching a kink as linear. Free sectors are widened outward by
    :math:`10^{-12}(|\alpha_\ell| + |\beta_\ell|)` for the rounding of evaluated slopes.

    Parameters
    ----------
    net : TwoLayerNet
    domain : Domain

    Returns
    -------
    NeuronSectors or None

    Examples
    --------
    >>> net = TwoLayerNet([1.0, 1.0, 1.0], [[1.0], [1.0], [1.0]], [-2.0, 2.0, 0.0], "relu")
    >>> S = neuron_sectors(net, Domain.ball(1.0))
    >>> S.free.tolist(), S.linear.tolist(), S.dropped.tolist()
    ([False, False, True], [False, True, False], [True, False, False])
    """
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    R = _domain_radius(domain, net.d)
    k = net.k
    wn = np.linalg.norm(net.W, axis=1)
    live = (net.a != 0) & (wn > 0)
    if R is None:
        sr = _slope_range_R(net.spec)
        if sr is None:
            return None
        alpha, beta = np.full(k, sr[0]), np.full(k, sr[1])
        method = "common sector on R"
    else:
        alpha, beta = _ball_slope_ranges(net, R * (1 + _RADIUS_INFLATION))
        if not (np.all(np.isfinite(alpha[live])) and np.all(np.isfinite(beta[live]))):
            return None
        method = "per-neuron sectors"
    delta = beta - alpha
    mu = (alpha + beta) / 2
    free = live & (delta > 0)
    linear = live & (delta == 0) & (mu != 0)
    widen = _SECTOR_WIDENING * (np.abs(alpha) + np.abs(beta)) + np.finfo(float).tiny
    alpha = np.where(free, alpha - widen, np.where(linear, alpha, 0.0))
    beta = np.where(free, beta + widen, np.where(linear, beta, 0.0))
    return NeuronSectors(alpha, beta, free, linear, method)


# ----------------------------------------------------------------------------
# the reduced problem
# ----------------------------------------------------------------------------
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


def _reduce(net: TwoLayerNet, domain: Domain) -> _Reduced | None:
    S = neuron_sectors(net, domain)
    if S is None:
        return None
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


def _tau_from_T(red: _Reduced, T: np.ndarray) -> np.ndarray:
    return T * red.delta**2 / 2


def _T_from_tau(red: _Reduced, tau: np.ndarray) -> np.ndarray:
    return 2 * tau / red.delta**2


def _gram(WF: np.ndarray, tau: np.ndarray) -> np.ndarray:
    G = WF.T @ (WF * tau[:, None])
    return (G + G.T) / 2


def _as_multipliers(net: TwoLayerNet, t) -> np.ndarray:
    T = as_vector(t, "t", size=net.k)
    if np.any(T < 0):
        raise ValueError("t: multipliers must be >= 0")
    return T


def reduced_matrix(net: TwoLayerNet, t, domain: Domain = _RD) -> np.ndarray | None:
    r"""The :math:`d\times d` matrix :math:`R(T) = \tfrac12 W_F^T\mathrm{diag}(T\delta^2)W_F +
    gg^T/(1-s(T))` whose largest eigenvalue is the smallest certified ρ for the
    multipliers ``t`` (Fazlyab's T, shape (k,); entries of non-free neurons are ignored).

    Returns None when T is infeasible (some free :math:`T_\ell = 0` or
    :math:`s(T) \ge 1`, except :math:`s = 1` in the closed case) or when the sectors are
    unbounded.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0]], [0.0], "relu")
    >>> reduced_matrix(net, [1.0])   # 1/2 + (1/4)/(1 - 1/2)
    array([[1.]])
    >>> reduced_matrix(net, [0.5]) is None  # s = 1
    True
    """
    T = _as_multipliers(net, t)
    red = _reduce(net, domain)
    if red is None:
        return None
    return _reduced_from(red, T[red.free_idx])


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


def lipsdp_matrix(net: TwoLayerNet, t, rho: float, domain: Domain = _RD) -> np.ndarray:
    r"""The full LipSDP-Neuron matrix :math:`\mathcal M(\rho, T)` (module docstring),
    of shape :math:`(d + k_F) \times (d + k_F)` over the free neurons; the certificate
    is :math:`\mathcal M \succeq 0`. Meant for tests and small k.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0]], [0.0], "relu")
    >>> lipsdp_matrix(net, [1.0], 1.0)
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    T = _as_multipliers(net, t)
    rho = as_finite_float(rho, "rho", nonnegative=True)
    red = _reduce(net, domain)
    if red is None:
        raise ValueError(f"net: activation {net.spec} has unbounded slopes on {domain.label}")
    TF = T[red.free_idx]
    al, be, W, a, u = red.alphaF, red.betaF, red.WF, red.aF, red.u
    top = rho * np.eye(red.d) - np.outer(u, u) + 2 * W.T @ (W * (TF * al * be)[:, None])
    off = -W.T * (TF * (al + be))[None, :] - np.outer(u, a)
    bot = np.diag(2 * TF) - np.outer(a, a)
    M = np.block([[top, off], [off.T, bot]])
    return (M + M.T) / 2


def _certify(red: _Reduced, TF: np.ndarray, rho: float) -> bool:
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


def certify_multipliers(net: TwoLayerNet, t, rho: float, domain: Domain = _RD) -> bool:
    r"""Certify :math:`\mathcal M(\rho, T) \succeq 0`, hence
    :math:`\mathrm{Lip}_\Omega(f) \le \sqrt\rho`, for the multipliers ``t``.

    Uses the equivalent reduced conditions (module docstring): every free
    :math:`T_\ell > 0`, :math:`s(T) < 1` (:math:`\le 1` in the closed case) with the
    rounding of s accounted for, and success of a float64 Cholesky factorization of
    :math:`(\rho - m)I - R(T)` with the rounding margin m. Cost :math:`O(k d^2 + d^3)`.

    Parameters
    ----------
    net : TwoLayerNet
    t : array_like, shape (k,)
        Multipliers :math:`T_\ell \ge 0` (entries of non-free neurons are ignored).
    rho : float
        Candidate squared Lipschitz bound.
    domain : Domain

    Returns
    -------
    bool
        False also when the sectors are unbounded.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0]], [0.0], "relu")
    >>> certify_multipliers(net, [1.0], 1.0 + 1e-9), certify_multipliers(net, [1.0], 0.99)
    (True, False)
    >>> certify_multipliers(net, [0.4], 100.0)   # s = 1.25 >= 1: infeasible
    False
    """
    T = _as_multipliers(net, t)
    rho = as_finite_float(rho, "rho", nonnegative=True)
    red = _reduce(net, domain)
    if red is None:
        return False
    return _certify(red, T[red.free_idx], rho)


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


def spectral_multipliers(net: TwoLayerNet, domain: Domain = _RD) -> np.ndarray | None:
    r"""The explicit feasible multipliers :math:`T_\ell = \Lambda/(\delta_\ell L_\ell)`
    whose bound is at most :math:`\|W\|_{op}\sqrt{\sum_\ell a_\ell^2 L_\ell^2} \le
    L_\psi\|a\|_2\|W\|_{op}` (proof in the module docstring). Shape (k,), 0 for
    non-free neurons; None for unbounded sectors. In the closed case (s = 1 exactly)
    T is scaled by :math:`1 + 10^{-10}` so that :math:`s \le 1` survives rounding.

    Examples
    --------
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> spectral_multipliers(net).tolist()
    [2.0, 2.0]
    """
    red = _reduce(net, domain)
    if red is None:
        return None
    TF, _ = _spectral_T(net, red)
    T = np.zeros(net.k)
    T[red.free_idx] = TF
    return T


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


def sdp_dual_value(net: TwoLayerNet, P, domain: Domain = _RD) -> float | None:
    r"""The dual value :math:`D(P) = (\sum_\ell c_\ell\sqrt{w_\ell^TPw_\ell} +
    \sqrt{g^TPg})^2` for :math:`P \succeq 0` (normalized to trace 1): a lower bound on
    :math:`\min_T \lambda_{\max}(R(T))`, i.e. on the best ρ any diagonal LipSDP-Neuron
    certificate can give (not a bound on the Lipschitz constant itself).

    Parameters
    ----------
    P : array_like, shape (d, d)
        Symmetric positive semidefinite, nonzero.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0]], [0.0], "relu")
    >>> sdp_dual_value(net, [[1.0]])
    1.0
    """
    P = np.asarray(P, dtype=float)
    if P.shape != (net.d, net.d) or not np.all(np.isfinite(P)):
        raise ValueError(f"P: expected a finite ({net.d}, {net.d}) matrix")
    lam, Q = np.linalg.eigh((P + P.T) / 2)
    if lam[0] < -1e-12 * max(abs(lam[-1]), 1e-300) or lam[-1] <= 0:
        raise ValueError("P: must be positive semidefinite and nonzero")
    red = _reduce(net, domain)
    if red is None:
        return None
    return _dual(red, Q, np.maximum(lam, 0.0))


# ----------------------------------------------------------------------------
# optimization
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LipSDPResult:
    r"""Outcome of :func:`lipsdp_upper_bound`.

    Attributes
    ----------
    value : float
        Certified upper bound on :math:`\mathrm{Lip}_\Omega(f)` (``inf`` only if no
        certificate could be produced, then ``certified`` is False).
    t : ndarray, shape (k,)
        Multipliers T (Fazlyab's convention); 0 for neurons handled exactly
        (linear or dropped).
    rho : float
        The certified ρ, ``value = sqrt(rho)`` rounded up.
    certified : bool
    seconds : float
    iterations : int
        Objective evaluations (each one :math:`kd^2` product and one eigh).
    method : str
    rho_dual : float
        Lower bound on the optimum of the diagonal LipSDP-Neuron problem
        (``rho / rho_dual - 1`` is the optimality gap of the multipliers).
    spectral : float
        The domain-aware spectral bound :math:`\|W\|_{op}(\sum a_\ell^2L_\ell^2)^{1/2}`
        of the starting point.
    n_free, n_linear, n_dropped : int
    domain : Domain
    """

    value: float
    t: np.ndarray
    rho: float
    certified: bool
    seconds: float
    iterations: int
    method: str
    rho_dual: float
    spectral: float
    n_free: int
    n_linear: int
    n_dropped: int
    domain: Domain

    @property
    def gap(self) -> float:
        """Relative optimality gap ``rho / rho_dual - 1`` (0 when exact)."""
        if self.rho_dual <= 0:
            return 0.0 if self.rho <= 0 else math.inf
        return self.rho / self.rho_dual - 1

    def to_dict(self) -> dict:
        """JSON-friendly summary (without the multipliers)."""
        return {"value": self.value, "rho": self.rho, "certified": self.certified,
                "seconds": self.seconds, "iterations": self.iterations,
                "method": self.method, "rho_dual": self.rho_dual, "gap": self.gap,
                "spectral": self.spectral, "n_free": self.n_free,
                "n_linear": self.n_linear, "n_dropped": self.n_dropped,
                "domain": self.domain.label}


def _top_eigh(M: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """The r largest eigenpairs of a symmetric matrix, ascending (MRRR, subset)."""
    d = M.shape[0]
    r = min(r, d)
    if r >= d // 2:
        return np.linalg.eigh(M)
    return sla.eigh(M, subset_by_index=[d - r, d - 1], driver="evr", check_finite=False)


class _Objective:
    """Smoothed lambda_max in the (u, v) parametrization, with bookkeeping.

    Tracks the best exact lambda_max (primal) and the best dual value D(P) seen;
    every evaluation's smoothed projector P gives a valid dual value."""

    def __init__(self, red: _Reduced, scale: float):
        self.red = red
        self.logc2 = 2 * np.log(red.c)
        self.gg = np.outer(red.g, red.g)
        self.scale = scale
        self.temp = 1e-2
        self.nfev = 0
        self.r = min(red.d, 16)
        self.best_rho = math.inf
        self.best_tau = None
        self.best_dual = 0.0
        self.last = None
        # float32 Gram matrices for the (many) optimization steps on large problems;
        # every reported or certified number is recomputed in float64.
        big = red.kF * red.d * red.d > _F32_WORK
        self.W32 = red.WF.astype(np.float32) if big else None

    def tau(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        red = self.red
        if red.closed:
            uu = x
            sig_log, theta = 0.0, 0.0
        else:
            uu, v = x[:-1], float(x[-1])
            sig_log = -np.logaddexp(0.0, -v)  # log sigmoid(v)
            theta = 1.0 + math.exp(v)
        lse = np.logaddexp.reduce(uu)
        return np.exp(self.logc2 - uu + lse - sig_log), theta

    def matrix(self, tau: np.ndarray, theta: float) -> np.ndarray:
        t32 = tau.astype(np.float32) if self.W32 is not None else None
        if t32 is not None and np.all(np.isfinite(t32)) and float(t32.max()) < 1e30:
            W32 = self.W32
            M = (W32.T @ (W32 * t32[:, None])).astype(float)
            M = (M + M.T) / 2
        else:
            M = _gram(self.red.WF, tau)
        if theta:
            M += theta * self.gg
        return M

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        red = self.red
        tau, theta = self.tau(x)
        M = self.matrix(tau, theta)
        T = self.temp * self.scale
        while True:
            lam, Q = _top_eigh(M, self.r)
            lmax = float(lam[-1])
            if lam.size == red.d or lam[0] < lmax - 40 * T:
                break
            self.r = min(red.d, 2 * self.r)
        self.nfev += 1
        if lmax < self.best_rho:
            self.best_rho, self.best_tau = lmax, tau.copy()
        z = (lam - lmax) / T
        keep = z > -40
        w = np.exp(z[keep])
        F = lmax + T * math.log(w.sum())
        p = w / w.sum()
        Qr = Q[:, keep]
        WQ = red.WF @ Qr
        q = (WQ**2) @ p
        gam = float(((red.g @ Qr) ** 2) @ p)
        A = float(red.c @ np.sqrt(np.maximum(q, 0.0)))
        dual = A**2 if red.closed else (A + math.sqrt(max(gam, 0.0))) ** 2
        if dual > self.best_dual:
            self.best_dual = dual
        self.last = (lam, Q, p)
        qt = q * tau
        sqt = float(qt.sum())
        pi = np.exp(x[:red.kF] - np.logaddexp.reduce(x[:red.kF]))
        grad_u = -qt + pi * sqt
        if red.closed:
            grad = grad_u
        else:
            v = float(x[-1])
            sig = 1 / (1 + math.exp(-v))
            grad = np.append(grad_u, -(1 - sig) * sqt + gam * (theta - 1))
        return F / self.scale, grad / self.scale

    def refine_dual(self, rmax: int = 32) -> np.ndarray | None:
        """Maximize D(Q Z Q^T) over Z >= 0, tr Z = 1 on the span Q of the top
        eigenvectors of the last evaluation (Z = B B^T / |B|_F^2, L-BFGS); record the
        dual value and return the best-response multipliers tau(P)."""
        if self.last is None:
            return None
        red = self.red
        lam, Q, p = self.last
        r = min(rmax, lam.size)
        Qr = Q[:, -r:]
        Y = red.WF @ Qr  # (kF, r)
        yg = red.g @ Qr
        c = red.c
        closed = red.closed
        p0 = np.zeros(r)
        m = min(r, p.size)
        p0[r - m:] = p[-m:]
        B0 = np.diag(np.sqrt(p0 + 1e-3 / r))

        def neg_phi(bflat):
            B = bflat.reshape(r, r)
            nB = float(np.sum(B * B))
            YB = Y @ B
            n = np.sqrt(np.maximum(np.einsum("ij,ij->i", YB, YB), 1e-300))
            gB = yg @ B
            ng = math.sqrt(max(float(gB @ gB), 1e-300))
            phi = float(c @ n) + (0.0 if closed else ng)
            G = Y.T @ ((c / n)[:, None] * YB)
            if not closed:
                G += np.outer(yg, gB) / ng
            val = phi / math.sqrt(nB)
            grad = G / math.sqrt(nB) - phi * B / nB**1.5
            return -val, -grad.ravel()

        res = minimize(neg_phi, B0.ravel(), jac=True, method="L-BFGS-B",
                       options={"maxiter": 60})
        B = res.x.reshape(r, r)
        Z = B @ B.T
        Z /= np.trace(Z)
        q = np.maximum(np.einsum("ij,jk,ik->i", Y, Z, Y), 0.0)
        gam = max(float(yg @ Z @ yg), 0.0)
        A = float(c @ np.sqrt(q))
        dual = A**2 if closed else (A + math.sqrt(gam)) ** 2
        if dual > self.best_dual:
            self.best_dual = dual
        q = np.maximum(q, 1e-300 + 1e-14 * q.max())
        if closed:
            s = 1.0
        else:
            sg = math.sqrt(gam)
            s = min(A / (A + sg), 1 - 1e-12) if A + sg > 0 else 0.5
        return A * c / (s * np.sqrt(q))


def _x_from_tau(red: _Reduced, tau: np.ndarray) -> np.ndarray:
    r = red.c**2 / tau
    s = float(r.sum())
    uu = np.log(r / s)
    if red.closed:
        return uu
    s = min(max(s, 1e-12), 1 - 1e-12)
    return np.append(uu, math.log(s / (1 - s)))


def _eval_rho(red: _Reduced, tau: np.ndarray) -> float:
    M = _reduced_from(red, _T_from_tau(red, tau))
    if M is None:
        return math.inf
    return float(_top_eigh(M, 1)[0][-1])


def lipsdp_upper_bound(net: TwoLayerNet, domain: Domain = _RD, *, tol: float = 1e-3,
                       maxiter: int = 2000) -> LipSDPResult | None:
    r"""Certified LipSDP-Neuron upper bound on :math:`\mathrm{Lip}_\Omega(f)`.

    Minimizes :math:`\lambda_{\max}(R(T))` over diagonal multipliers (module
    docstring) from the spectral starting point, then certifies
    :math:`\mathcal M(\rho, T) \succeq 0` for the returned ρ (raising ρ by a growing
    margin until :func:`certify_multipliers`'s test passes):

    .. math::

        \mathrm{Lip}_\Omega(f) \le \sqrt\rho,\qquad
        \rho \ge \lambda_{\max}\Big(\tfrac12 W_F^T\mathrm{diag}(T\delta^2)W_F
        + \frac{gg^T}{1 - \sum_\ell a_\ell^2/(2T_\ell)}\Big).

    Parameters
    ----------
    net : TwoLayerNet
    domain : Domain
        :math:`\mathbb R^d`, ball or sphere (the sphere uses the ball bound, valid for
        the geodesic constant).
    tol : float
        Target relative primal–dual gap ``rho/rho_dual - 1`` of the multipliers.
    maxiter : int
        Cap on objective evaluations.

    Returns
    -------
    LipSDPResult or None
        None when ψ has unbounded slopes on the domain (``power:p`` on
        :math:`\mathbb R^d`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> net = TwoLayerNet(rng.standard_normal(20), rng.standard_normal((20, 3)),
    ...                   rng.standard_normal(20), "relu")
    >>> res = lipsdp_upper_bound(net)
    >>> res.certified, res.value <= res.spectral * (1 + 1e-8), res.gap < 1e-3
    (True, True, True)
    """
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    tol = as_finite_float(tol, "tol", positive=True)
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise ValueError(f"maxiter: must be an integer >= 1, got {maxiter!r}")
    t0 = time.perf_counter()
    red = _reduce(net, domain)
    if red is None:
        return None
    S = red.sectors
    counts = (int(S.free.sum()), int(S.linear.sum()), int(S.dropped.sum()))
    TF0, spec_rho = _spectral_T(net, red)
    spectral = math.sqrt(spec_rho)
    nfev = 0
    if red.kF == 0:
        rho_lin = float(red.g @ red.g)
        tau_best, rho_best, dual = np.zeros(0), rho_lin, rho_lin
        method = "linear on domain"
    else:
        tau0 = _tau_from_T(red, TF0)
        if not red.closed:
            # the spectral point can sit on s = 1 up to rounding when g is tiny
            s0 = float(np.sum(red.c**2 / tau0))
            if s0 >= 1 - 1e-9:
                tau0 = tau0 * (s0 / (1 - 1e-9))
        rho0 = _eval_rho(red, tau0)
        if not math.isfinite(rho0):
            tau0 = tau0 * (1 + 1e-6)
            rho0 = _eval_rho(red, tau0)
        obj = _Objective(red, max(rho0, np.finfo(float).tiny))
        obj.best_rho, obj.best_tau = rho0, tau0.copy()
        x = _x_from_tau(red, tau0)
        bounds = [(-60.0, 60.0)] * x.size
        method = "smoothed-eig L-BFGS"
        schedule = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6]
        stage = 0
        while obj.nfev < maxiter:
            eps = schedule[min(stage, len(schedule) - 1)]
            before = (obj.best_rho, obj.best_dual)
            obj.temp = eps
            obj.scale = max(obj.best_rho, np.finfo(float).tiny)
            cap = min(maxiter - obj.nfev, _STAGE_EVALS)
            res = minimize(obj, x, jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxfun": cap, "maxiter": cap, "ftol": eps * 1e-3,
                                    "gtol": 1e-12, "maxcor": 20})
            x = res.x
            # dual refinement on the top eigenspace, then its best-response multipliers
            tau_dp = obj.refine_dual()
            if tau_dp is not None and np.all(np.isfinite(tau_dp)) and np.all(tau_dp > 0):
                r = _eval_rho(red, tau_dp)
                obj.nfev += 1
                if r < obj.best_rho:
                    obj.best_rho, obj.best_tau = r, tau_dp
                    x = _x_from_tau(red, tau_dp)
            if obj.best_dual > 0 and obj.best_rho / obj.best_dual - 1 <= tol:
                break
            stage += 1
            if stage >= len(schedule) and (obj.best_rho >= before[0] * (1 - 1e-9)
                                           and obj.best_dual <= before[1] * (1 + 1e-9)):
                break  # no progress at the finest smoothing
        tau_best, dual = obj.best_tau, obj.best_dual
        rho_best = _eval_rho(red, tau_best)  # float64, whatever the optimizer used
        nfev = obj.nfev
    # ---- certification ----
    # lambda_max(R((1+b)T)) <= (1+b) lambda_max(R(T)): scaling T up lowers s and
    # scales the Gram term, so try T(1+b) with rho (1+b)^2 for growing b.
    TF = _T_from_tau(red, tau_best) if red.kF else np.zeros(0)
    rho, certified = math.inf, False
    bump0 = _SAFETY * (red.kF + red.d + 8) * _U * red.d
    for label, TF_try, rho_try in (("", TF, rho_best),
                                   (" (fallback: spectral multipliers)", TF0, spec_rho)):
        bump = bump0
        for _ in range(40):
            cand = rho_try * (1 + bump) ** 2
            if _certify(red, TF_try * (1 + bump), cand):
                rho, certified, TF = cand, True, TF_try * (1 + bump)
                method += label
                break
            bump *= 2
        if certified or red.kF == 0:
            break
    T = np.zeros(net.k)
    T[red.free_idx] = TF
    if certified and rho == 0:
        value = 0.0  # f is constant on the domain
    elif certified:
        value = float(np.nextafter(math.sqrt(rho), math.inf))
        value = float(np.nextafter(value, math.inf))
    else:
        value, rho = math.inf, math.inf
    return LipSDPResult(value=value, t=T, rho=float(rho), certified=certified,
                        seconds=time.perf_counter() - t0, iterations=int(nfev),
                        method=method, rho_dual=float(min(dual, rho)), spectral=spectral,
                        n_free=counts[0], n_linear=counts[1], n_dropped=counts[2],
                        domain=domain)
