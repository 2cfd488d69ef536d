r"""Certified LipSDP upper bounds for networks with m outputs, :math:`F(x) = A\psi(Wx+b)`:
the §3b reduction with an :math:`m\times m` block in place of the rank-one term
(``docs/mathematics.md#vector-outputs``).

Mathematics
-----------
The :math:`\ell_2` Lipschitz constant of F on a convex domain Ω is
:math:`\sup_x\|J(x)\|_{op}`, :math:`J(x) = A\,\mathrm{diag}(\psi'(Wx+b))\,W`. Sectors
:math:`[\alpha_\ell, \beta_\ell]`, free (:math:`\delta_\ell > 0`), linear and dropped
neurons are those of :mod:`numerics.lipschitz.lipsdp` (a neuron is live when its
column :math:`A_\ell \ne 0` and :math:`w_\ell \ne 0`). Write
:math:`\Delta v_\ell = \mu_\ell\Delta z_\ell + e_\ell` (:math:`e_\ell = 0` for linear
neurons). Then :math:`\Delta F = G\Delta x + A_Fe` with

.. math::

    G = \sum_{\ell\ \mathrm{live}} \mu_\ell A_\ell w_\ell^T \in \mathbb R^{m\times d},

and the sector inequality of neuron ℓ is :math:`\delta_\ell^2\Delta z_\ell^2/4 -
e_\ell^2 \ge 0`. For :math:`T = \mathrm{diag}(T_\ell) \succeq 0` (free neurons) the
LipSDP-Neuron matrix of Fazlyab et al. (2019) with the output term
:math:`A_F^TA_F` (:math:`k_F\times k_F`, rank ≤ m) in place of :math:`a_Fa_F^T`,

.. math::

    \mathcal M(\rho, T) = \begin{pmatrix}
      \rho I_d - U^TU + 2W_F^T\mathrm{diag}(T\alpha\beta)W_F &
      -W_F^T\mathrm{diag}(T(\alpha+\beta)) - U^TA_F \\
      -\mathrm{diag}(T(\alpha+\beta))W_F - A_F^TU & 2T - A_F^TA_F
    \end{pmatrix}

(:math:`U = \sum_{\ell\ \mathrm{linear}}\mu_\ell A_\ell w_\ell^T`), has quadratic form
:math:`\rho\|\Delta x\|^2 - \|\Delta F\|^2 - \sum_\ell 2T_\ell(\Delta v_\ell - \alpha_\ell
\Delta z_\ell)(\beta_\ell\Delta z_\ell - \Delta v_\ell)` at :math:`(\Delta x, \Delta v_F)`,
so :math:`\mathcal M \succeq 0` gives :math:`\|\Delta F\| \le \sqrt\rho\,\|\Delta x\|`.

**Theorem (block reduction).** Let :math:`T_\ell > 0` for every free ℓ,
:math:`Q(T) = \tfrac12 W_F^T\mathrm{diag}(T\delta^2)W_F` and
:math:`S(T) = A_F\,\mathrm{diag}(1/(2T))\,A_F^T` (:math:`m\times m`). Then

.. math::

    \mathcal M(\rho, T) \succeq 0 \iff K(\rho, T) = \begin{pmatrix}\rho I_d - Q(T) & G^T\\
    G & I_m - S(T)\end{pmatrix} \succeq 0,

and when :math:`S(T) \prec I_m` both are equivalent to :math:`\rho \ge
\lambda_{\max}(R(T))`, :math:`R(T) = Q(T) + G^T(I_m - S(T))^{-1}G`. For m = 1,
:math:`S = s(T)`, :math:`G = g^T` and R is the scalar :math:`R(T)` of
:mod:`numerics.lipschitz.lipsdp`.

*Proof.* (i) The substitution :math:`\Delta v = \mathrm{diag}(\mu_F)W_F\Delta x + e` is
invertible, so :math:`\mathcal M \succeq 0` iff the form is nonnegative in
:math:`(\Delta x, e)`; with :math:`(\Delta v - \alpha\Delta z)(\beta\Delta z - \Delta v)
= \delta^2\Delta z^2/4 - e^2` it equals :math:`\Delta x^T(\rho I - Q)\Delta x -
\|G\Delta x + A_Fe\|^2 + e^T(2T)e`, the form of
:math:`N = \left(\begin{smallmatrix}\rho I - Q - G^TG & -G^TA_F\\ -A_F^TG & 2T -
A_F^TA_F\end{smallmatrix}\right)`. (ii) N is the Schur complement of the identity block
in :math:`K_3 = \left(\begin{smallmatrix}\rho I - Q & 0 & G^T\\ 0 & 2T & A_F^T\\ G & A_F &
I_m\end{smallmatrix}\right)`; since :math:`I_m \succ 0`, :math:`N \succeq 0 \iff K_3 \succeq
0`. (iii) Since :math:`2T \succ 0`, :math:`K_3 \succeq 0` iff the Schur complement of the
2T block is, and it is :math:`K(\rho, T)` (the only coupling is
:math:`A_F(2T)^{-1}A_F^T = S`). (iv) If :math:`I - S \succ 0`, :math:`K \succeq 0` iff
:math:`\rho I - Q - G^T(I-S)^{-1}G \succeq 0`. ∎

So every :math:`T > 0` with :math:`S(T) \prec I` gives :math:`\mathrm{Lip}_\Omega(F) \le
\sqrt{\lambda_{\max}(R(T))}`, and :math:`T \mapsto \lambda_{\max}(R(T))` is convex (the
set of (ρ, T) with :math:`\mathcal M \succeq 0` is convex, an LMI). When G = 0 (abs on
:math:`\mathbb R^d`) the condition is :math:`S \preceq I` and :math:`\rho \ge
\lambda_{\max}(Q)`. The sphere uses the ball's sectors (chord ≤ geodesic).

**Certificate.** :func:`certify_block` forms :math:`\hat K` in floats with the matrix
products only (no inverse) and runs a float64 Cholesky factorization of
:math:`\hat K - cI`, where c covers (Higham's :math:`\gamma_n`, :mod:`numerics.rounding`)
the errors of :math:`\hat Q` (:math:`\gamma_{k_F+6}\sum_\ell\tau_\ell\|w_\ell\|^2`), of
:math:`\hat S` (:math:`\gamma_{k_F+3}\sum_\ell\|A_\ell\|^2/(2T_\ell)`), of :math:`\hat G`
(:math:`\gamma_{k_L+3}\|\,|A||\mu||W|\,\|_F`, :math:`k_L` live neurons; both
off-diagonal blocks give one symmetric perturbation of that norm), of the diagonal
subtraction, and of the factorization (Rump 2006:
:math:`\gamma_{n+1}\mathrm{tr}/(1-2\gamma_{n+1})` with :math:`\mathrm{tr} \le d\rho + m`,
n = d + m, plus an underflow term). Success certifies :math:`K \succeq 0`, hence
:math:`\mathcal M \succeq 0` and the bound :math:`\sqrt\rho` rounded up.

**Optimization.** :math:`T = t\,\lambda_{\max}(S(t))/\sigma`, :math:`t = e^\theta`,
:math:`\sigma = 1/(1+e^{-v})` keeps :math:`\lambda_{\max}(S(T)) = \sigma < 1`; L-BFGS on
the log-sum-exp smoothing of the eigenvalues of R, continued in the smoothing, with
the gradient :math:`\partial\lambda/\partial T_\ell = \tfrac12\delta_\ell^2\,w_\ell^TPw_\ell
- A_\ell^TYA_\ell/(2T_\ell^2)`, :math:`Y = (I-S)^{-1}GPG^T(I-S)^{-1}`, P the smoothed
top projector. Only the certified number matters; the optimizer is heuristic.

**Closed form.** :math:`\|J(x)\|_{op} \le \|A_L\|_{op}\,\|W_L\|_{op}\max_\ell L_\ell`
over the live neurons, :math:`L_\ell = \max(|\alpha_\ell|, |\beta_\ell|)`, each norm
certified by :func:`numerics.rounding.certified_operator_norm` and the product rounded
up (:func:`vector_closed_form_bound`).

Examples
--------
>>> from numerics.models import VectorTwoLayerNet
>>> net = VectorTwoLayerNet([[1.0], [1.0]], [[3.0, 4.0]], [0.0], "relu")
>>> res = vector_lipsdp_upper_bound(net)
>>> res.certified, round(res.value, 6)      # ||(1, 1)|| * ||(3, 4)|| = 5 sqrt 2
(True, 7.071068)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize

from numerics import rounding
from numerics.domain import Domain
from numerics.lipschitz.lipsdp import neuron_sectors
from numerics.lipschitz.lipsdp_certify import NeuronSectors
from numerics.models import TwoLayerNet, VectorTwoLayerNet

__all__ = ["VectorLipSDPResult", "block_data", "certify_block", "block_matrix",
           "reduced_block_matrix", "vector_lipsdp_upper_bound", "vector_sector_bound",
           "vector_closed_form_bound", "proxy_net", "vector_sectors"]

_RD = Domain.rd()
_U = rounding.U


def _check(net) -> VectorTwoLayerNet:
    if not isinstance(net, VectorTwoLayerNet):
        raise ValueError(f"net: expected a VectorTwoLayerNet, got {type(net).__name__}")
    return net


def proxy_net(net: VectorTwoLayerNet) -> TwoLayerNet:
    """The scalar network with output weights the column norms :math:`\\|A_\\ell\\|`: same
    W, b, activation and live neurons, so the scalar sector and region code applies."""
    return TwoLayerNet(np.linalg.norm(net.a, axis=0), net.W, net.b, net.activation)


def vector_sectors(net: VectorTwoLayerNet, domain: Domain = _RD) -> NeuronSectors | None:
    """Per-neuron sectors on the domain (:func:`numerics.lipschitz.lipsdp.neuron_sectors`
    of :func:`proxy_net`); None when ψ's slopes are unbounded there."""
    return neuron_sectors(proxy_net(_check(net)), domain)


@dataclass
class _Block:
    WF: np.ndarray      # (kF, d)
    AF: np.ndarray      # (m, kF)
    delta: np.ndarray   # (kF,)
    G: np.ndarray       # (m, d)
    G_abs: np.ndarray   # (m, d), |A||mu||W| over live neurons
    free_idx: np.ndarray
    closed: bool        # G == 0 exactly
    n_terms: int        # live neurons: the length of the sums forming G

    @property
    def m(self) -> int:
        return self.AF.shape[0]

    @property
    def d(self) -> int:
        return self.WF.shape[1]


def block_data(net: VectorTwoLayerNet, S: NeuronSectors) -> _Block:
    """The data of the block problem for sectors ``S`` (module docstring)."""
    F = np.flatnonzero(S.free)
    idx = np.flatnonzero(S.free | S.linear)
    mu = (S.alpha + S.beta) / 2
    Am = net.a[:, idx] * mu[idx]
    G = Am @ net.W[idx] if idx.size else np.zeros((net.m, net.d))
    G_abs = np.abs(Am) @ np.abs(net.W[idx]) if idx.size else np.zeros((net.m, net.d))
    return _Block(np.ascontiguousarray(net.W[F]), np.ascontiguousarray(net.a[:, F]),
                  (S.beta - S.alpha)[F], G, G_abs, F, bool(not np.any(G != 0)), int(idx.size))


def _parts(B: _Block, TF: np.ndarray):
    tau = TF * B.delta**2 / 2
    Q = B.WF.T @ (B.WF * tau[:, None])
    h = 1.0 / (2 * TF)
    S = (B.AF * h) @ B.AF.T
    return tau, h, (Q + Q.T) / 2, (S + S.T) / 2


def certify_block(B: _Block, TF: np.ndarray, rho: float) -> bool:
    """Floating-point certificate of :math:`K(\\rho, T) \\succeq 0` (module docstring)."""
    if not (math.isfinite(rho) and rho >= 0):
        return False
    TF = np.asarray(TF, dtype=float)
    if TF.shape != (B.WF.shape[0],) or not np.all(np.isfinite(TF)) or np.any(TF <= 0):
        return False
    d, m, kF = B.d, B.m, B.WF.shape[0]
    tau, h, Q, S = _parts(B, TF)
    if not (np.all(np.isfinite(Q)) and np.all(np.isfinite(S))):
        return False
    eQ = rounding.gamma(kF + 6) * float(np.sum(tau * np.sum(B.WF**2, axis=1)))
    eS = rounding.gamma(kF + 3) * float(np.sum(h * np.sum(B.AF**2, axis=0)))
    eG = rounding.gamma(B.n_terms + 3) * float(np.linalg.norm(B.G_abs))
    n = d + m
    diag_max = max(rho, 1.0) + (float(np.max(np.diag(Q))) if d else 0.0) \
        + (float(np.max(np.diag(S))) if m else 0.0)
    g = rounding.gamma(n + 1)
    tr = d * rho + m
    c = (eQ + eS + eG) * (1 + rounding.gamma(4 * n + 8)) + 4 * _U * diag_max
    c = rounding.up(c + g / (1 - 2 * g) * (tr + n * c) * 1.01
                    + 4 * n * (2 * n + 2 + diag_max) * 2.0**-1022)
    K = np.block([[rho * np.eye(d) - Q, B.G.T], [B.G, np.eye(m) - S]])
    try:
        sla.cholesky(K - c * np.eye(n), lower=True, check_finite=True)
    except (np.linalg.LinAlgError, ValueError):
        return False
    return True


def _R(B: _Block, TF: np.ndarray):
    tau, h, Q, S = _parts(B, TF)
    IS = np.eye(B.m) - S
    if B.closed:
        return Q, IS, None
    try:
        X = np.linalg.solve(IS, B.G)
    except np.linalg.LinAlgError:
        return None, IS, None
    R = Q + B.G.T @ X
    return (R + R.T) / 2, IS, X


@dataclass(frozen=True)
class VectorLipSDPResult:
    """A certified LipSDP bound for an m-output network.

    Attributes
    ----------
    value : float
        :math:`\\sqrt\\rho` rounded up, certified (inf when not certified).
    rho : float
    t : ndarray (k,)
        Multipliers (0 for non-free neurons).
    certified : bool
    closed_form : float
        The certified :math:`\\|A\\|\\|W\\|\\max L` bound (a sanity ceiling).
    """

    value: float
    rho: float
    t: np.ndarray
    certified: bool
    closed_form: float

    def to_dict(self) -> dict:
        return {"value": self.value, "rho": self.rho, "certified": self.certified,
                "closed_form": self.closed_form}


class _Obj:
    def __init__(self, B: _Block):
        self.B = B
        self.eps = 1.0
        self.best = (math.inf, None)

    def T_of(self, x):
        B = self.B
        th, v = x[:-1], x[-1]
        t = np.exp(np.clip(th, -300, 300))
        hS = (B.AF / (2 * t)) @ B.AF.T
        lam, V = np.linalg.eigh((hS + hS.T) / 2)
        lam_s, q = float(lam[-1]), V[:, -1]
        sig = 1.0 / (1.0 + math.exp(-float(np.clip(v, -30.0, 20.0))))  # sigma <= 1 - 2e-9
        return t, lam_s, q, sig, t * lam_s / sig

    def __call__(self, x):
        B = self.B
        t, lam_s, q, sig, T = self.T_of(x)
        if not (lam_s > 0 and np.all(np.isfinite(T)) and np.all(T > 0)):
            return 1e300, np.zeros_like(x)
        R, IS, X = _R(B, T)
        if R is None or not np.all(np.isfinite(R)):
            return 1e300, np.zeros_like(x)
        lam, V = np.linalg.eigh(R)
        top = float(lam[-1])
        if top < self.best[0]:
            self.best = (top, T.copy())
        scale = max(abs(top), 1e-300)
        z = (lam - top) / (self.eps * scale)
        p = np.exp(z)
        p /= p.sum()
        f = top + self.eps * scale * math.log(np.sum(np.exp(z)))
        P = (V * p) @ V.T
        qw = np.einsum("ij,jk,ik->i", B.WF, P, B.WF)
        gT = B.delta**2 / 2 * qw
        if X is not None:
            Y = X @ P @ X.T
            gT = gT - np.einsum("il,ij,jl->l", B.AF, Y, B.AF) / (2 * T**2)
        ga = B.AF.T @ q
        dlam = -(ga**2) / (2 * t)  # d lambda_s / d theta
        gth = gT * T + np.sum(gT * t / sig) * dlam
        gv = -(1 - sig) * np.sum(gT * T)
        if not -30.0 < x[-1] < 20.0:
            gv = 0.0  # the clipped range: sigma is constant there
        return f, np.concatenate([gth, [gv]])


def _optimize(B: _Block, t0: np.ndarray | None, maxiter: int,
              target: float = 0.0) -> tuple[float, np.ndarray]:
    """Smoothing levels 1e-2 ... 1e-6 (1e-3 ... with a warm start); stops early when the
    best rho is at most ``target`` (branch and bound's prune level) or stalls."""
    kF = B.WF.shape[0]
    if t0 is None:
        an = np.linalg.norm(B.AF, axis=0)
        wn = np.linalg.norm(B.WF, axis=1)
        t0 = an / (B.delta * wn)
    x = np.concatenate([np.log(np.maximum(t0, 1e-300)), [0.0]])
    obj = _Obj(B)
    prev = math.inf
    for eps in ((1e-2,) if t0 is None else ()) + (1e-3, 1e-4, 1e-5, 1e-6):
        obj.eps = eps
        r = minimize(obj, x, jac=True, method="L-BFGS-B",
                     options={"maxiter": maxiter, "gtol": 1e-12, "ftol": 1e-15})
        x = r.x
        if obj.best[0] <= target or obj.best[0] >= prev * (1 - 1e-9):
            break
        prev = obj.best[0]
    rho, T = obj.best
    if T is None:
        T = obj.T_of(x)[-1]
        rho = math.inf
    assert T.shape == (kF,)
    return rho, T


def _certify_loop(B: _Block, T: np.ndarray, rho: float) -> float:
    if not math.isfinite(rho):
        return math.inf
    step = 1e-13 * rho + 1e-300
    while step <= 1e2 * max(rho, 1.0):
        if certify_block(B, T, rho + step):
            return rho + step
        step *= 4
    return math.inf


def vector_closed_form_bound(net: VectorTwoLayerNet, domain: Domain = _RD,
                             sectors: NeuronSectors | None = None) -> float:
    r"""Certified :math:`\|A_L\|_{op}\|W_L\|_{op}\max_\ell L_\ell \ge \mathrm{Lip}_\Omega(F)`
    over the live neurons (module docstring); inf when the slopes are unbounded.

    Examples
    --------
    >>> from numerics.models import VectorTwoLayerNet
    >>> net = VectorTwoLayerNet([[1.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]])
    >>> 2.0 <= vector_closed_form_bound(net) <= 2.0 * (1 + 1e-9)
    True
    """
    net = _check(net)
    S = vector_sectors(net, domain) if sectors is None else sectors
    if S is None:
        return math.inf
    live = S.free | S.linear
    if not np.any(live):
        return 0.0
    L = float(np.max(np.maximum(np.abs(S.alpha[live]), np.abs(S.beta[live]))))
    na = rounding.certified_operator_norm(net.a[:, live])
    nw = rounding.certified_operator_norm(net.W[live])
    return rounding.round_up_bound(na * nw * L, 3)


def vector_sector_bound(net: VectorTwoLayerNet, sectors: NeuronSectors, *,
                        t_start=None, maxiter: int = 200,
                        target: float = 0.0) -> VectorLipSDPResult:
    """The certified block LipSDP bound for caller-supplied sectors (the node bound of
    :mod:`numerics.lipschitz.vector_bnb`); ``t_start`` (k,) warm-starts the multipliers;
    the optimizer stops once its bound is at most ``target`` (a value, not squared; the
    returned bound is certified either way)."""
    net = _check(net)
    B = block_data(net, sectors)
    cf = vector_closed_form_bound(net, sectors=sectors)
    kF = B.WF.shape[0]
    t = np.zeros(net.k)
    if kF == 0 and B.closed:
        # every neuron has slope 0 on the domain (or A_l = 0, w_l = 0): F is constant
        return VectorLipSDPResult(0.0, 0.0, t, True, cf)
    if kF == 0:
        rho = float(np.linalg.norm(B.G, 2) ** 2)
        rho_c = _certify_loop(B, np.zeros(0), rho)
        val = rounding.up(math.sqrt(rho_c)) if math.isfinite(rho_c) else math.inf
        return VectorLipSDPResult(min(val, cf), rho_c, t, math.isfinite(val), cf)
    t0 = None
    if t_start is not None:
        ts = np.asarray(t_start, dtype=float)[B.free_idx]
        t0 = ts if np.all(ts > 0) else None
    rho, T = _optimize(B, t0, maxiter, float(target) ** 2)
    rho_c = _certify_loop(B, T, rho)
    val = rounding.up(math.sqrt(rho_c)) if math.isfinite(rho_c) else math.inf
    t[B.free_idx] = T
    return VectorLipSDPResult(min(val, cf), rho_c, t, math.isfinite(val), cf)


def vector_lipsdp_upper_bound(net: VectorTwoLayerNet, domain: Domain = _RD, *,
                              maxiter: int = 400) -> VectorLipSDPResult | None:
    r"""Certified block LipSDP bound on the :math:`\ell_2` operator-norm Lipschitz constant
    of :math:`F = A\psi(Wx+b)` on the domain (R^d, ball; the sphere uses the ball's
    sectors). ``value`` is the smaller of the certified LipSDP value and the closed-form
    bound. None when ψ's slopes are unbounded on the domain.

    Examples
    --------
    >>> from numerics.models import VectorTwoLayerNet
    >>> rng = np.random.default_rng(0)
    >>> net = VectorTwoLayerNet(rng.standard_normal((3, 12)), rng.standard_normal((12, 4)),
    ...                         rng.standard_normal(12))
    >>> res = vector_lipsdp_upper_bound(net, Domain.ball(1.0))
    >>> res.certified, res.value <= res.closed_form
    (True, True)
    """
    net = _check(net)
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    S = vector_sectors(net, domain)
    if S is None:
        return None
    return vector_sector_bound(net, S, maxiter=maxiter)


def block_matrix(net: VectorTwoLayerNet, t, rho: float, domain: Domain = _RD) -> np.ndarray:
    r"""The full matrix :math:`\mathcal M(\rho, T)` of the module docstring (free neurons
    only), for tests and small k.

    >>> from numerics.models import VectorTwoLayerNet
    >>> net = VectorTwoLayerNet([[1.0]], [[1.0]], [0.0])
    >>> block_matrix(net, [1.0], 1.0)
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    net = _check(net)
    S = vector_sectors(net, domain)
    F = np.flatnonzero(S.free)
    Lin = np.flatnonzero(S.linear)
    T = np.asarray(t, dtype=float)[F]
    al, be = S.alpha[F], S.beta[F]
    mu = (S.alpha + S.beta) / 2
    W, A = net.W[F], net.a[:, F]
    Um = (net.a[:, Lin] * mu[Lin]) @ net.W[Lin] if Lin.size else np.zeros((net.m, net.d))
    top = rho * np.eye(net.d) - Um.T @ Um + 2 * W.T @ (W * (T * al * be)[:, None])
    off = -W.T * (T * (al + be))[None, :] - Um.T @ A
    bot = np.diag(2 * T) - A.T @ A
    M = np.block([[top, off], [off.T, bot]])
    return (M + M.T) / 2


def reduced_block_matrix(net: VectorTwoLayerNet, t, domain: Domain = _RD):
    r""":math:`R(T) = Q(T) + G^T(I - S(T))^{-1}G` (d × d) for multipliers ``t`` (k,), or
    None when :math:`S(T) \not\prec I` or some free :math:`T_\ell \le 0`.

    >>> from numerics.models import VectorTwoLayerNet
    >>> net = VectorTwoLayerNet([[1.0]], [[1.0]], [0.0])
    >>> reduced_block_matrix(net, [1.0])   # 1/2 + (1/4)/(1 - 1/2), as the scalar R(T)
    array([[1.]])
    """
    net = _check(net)
    S = vector_sectors(net, domain)
    B = block_data(net, S)
    T = np.asarray(t, dtype=float)[B.free_idx]
    if np.any(T <= 0):
        return None
    R, IS, _ = _R(B, T)
    if np.linalg.eigvalsh(IS)[0] <= 0:
        return None
    return R
