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
:math:`k r^2` product (in float32 when :math:`k r^2 > 5\cdot 10^6`; the returned
ρ, the dual value and the certificate are always float64) and one partial
:math:`r\times r` eigendecomposition, where :math:`r = \dim\mathrm{span}\{w_\ell, g\}
\le \min(d, k_F + 1)`: **the nonzero spectrum of R(T) lives in the row space of W**.
Every :math:`w_\ell` (ℓ ∈ F) and g lie in :math:`V = \mathrm{span}\{w_\ell, g\}`; with Q an
orthonormal basis of V, :math:`R(T) = QR_Q(T)Q^T` where :math:`R_Q` is R built from
:math:`W_FQ` and :math:`Q^Tg`, and :math:`Q^TQ = I` gives the same nonzero eigenvalues
(:math:`Rv = \lambda v`, :math:`\lambda \ne 0` forces :math:`v = Qy` with
:math:`R_Qy = \lambda y`, and conversely); both are PSD, so
:math:`\lambda_{\max}(R(T)) = \lambda_{\max}(R_Q(T))` for every T and the optimization
runs in dimension r (:func:`numerics.lipschitz.lipsdp_certify.row_space_reduced`). The
multipliers T are the same in both; the certificate below is always checked on the
full d × d problem, so the floating-point Q never enters a certified number.
:func:`lipsdp_sector_bound` runs the same machinery on caller-supplied sectors (the
node bounds of branch and bound, ``docs/mathematics.md#branch-and-bound``).

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
from functools import lru_cache

import numpy as np

from numerics._validate import as_finite_float, as_vector
from numerics.domain import Domain
from numerics.lipschitz.lipsdp_certify import (
    NeuronSectors,
    _certify,
    _dual,
    _Reduced,
    _reduced_from,
    _spectral_T,
    reduce_with_sectors,
)
from numerics.lipschitz.lipsdp_solve import LipSDPResult, _result, lipsdp_sector_bound
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
    "lipsdp_sector_bound",
]

_RD = Domain.rd()


# ----------------------------------------------------------------------------
# sectors
# ----------------------------------------------------------------------------

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



def _reduce(net: TwoLayerNet, domain: Domain) -> _Reduced | None:
    S = neuron_sectors(net, domain)
    if S is None:
        return None
    return reduce_with_sectors(net, S)


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
def lipsdp_upper_bound(net: TwoLayerNet, domain: Domain = _RD, *, tol: float = 1e-3,
                       maxiter: int = 2000, row_space: bool = True) -> LipSDPResult | None:
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
    row_space : bool
        Optimize in the row space of W when its dimension r is below 0.9 d
        (:func:`numerics.lipschitz.lipsdp_certify.row_space_reduced`: the same
        :math:`\lambda_{\max}` for every T, cost :math:`k r^2` instead of
        :math:`k d^2` per step); the certificate is always checked in dimension d.

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
    res = _result(net, red, domain, t0, tol=tol, maxiter=maxiter, row_space=row_space)
    if row_space and res.value >= res.spectral * (1 - 1e-9) and res.gap > tol:
        # the row-space optimizer made no progress from the spectral start (seen on small
        # abs networks with d close to k): the d x d optimizer, and the better certified value
        full = _result(net, red, domain, t0, tol=tol, maxiter=maxiter, row_space=False)
        if full.value < res.value:
            return full
    return res
