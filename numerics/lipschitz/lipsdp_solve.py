r"""The optimizer of the reduced LipSDP-Neuron problem (smoothed maximum eigenvalue,
L-BFGS, dual refinement) and the certification loop; mathematics in
:mod:`numerics.lipschitz.lipsdp` (``docs/mathematics.md#lipsdp-reduction``).

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> from numerics.lipschitz.lipsdp_certify import NeuronSectors, reduce_with_sectors
>>> net = TwoLayerNet([1.0], [[3.0, 4.0]], [0.0], "relu")
>>> S = NeuronSectors(np.array([0.0]), np.array([1.0]), np.array([True]),
...                   np.array([False]), "given")
>>> out = solve_reduced(net, reduce_with_sectors(net, S), tol=1e-6, maxiter=200)
>>> out.certified, round(math.sqrt(out.rho), 6)
(True, 5.0)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize

from numerics._validate import as_finite_float, as_vector
from numerics.domain import Domain
from numerics.lipschitz.lipsdp_certify import (
    _SAFETY,
    _U,
    NeuronSectors,
    _certify,
    _gram,
    _Reduced,
    _reduced_from,
    _spectral_T,
    _T_from_tau,
    _tau_from_T,
    reduce_with_sectors,
    row_space_reduced,
)
from numerics.lipschitz.lipsdp_ipm import barrier_solve
from numerics.models import TwoLayerNet

_STAGE_EVALS = 25  # L-BFGS evaluations per smoothing level
_DUAL_RANK = 64  # dimension of the top eigenspace the dual refinement searches
_F32_WORK = 5e6  # k d^2 above which optimization steps form the Gram matrix in float32

#: The barrier method (:mod:`numerics.lipschitz.lipsdp_ipm`) replaces the first-order
#: optimizer when 32 <= k_F <= 1.25 r and k_F <= 1536 (r the working dimension): there the
#: optimum has a highly multiple top eigenvalue (k_F <= r, rows nearly orthogonal), which
#: the smoothed first-order method approaches slowly; its dense Newton system costs k_F^3.
_BARRIER_MIN_K, _BARRIER_RATIO, _BARRIER_MAX_K = 32, 1.25, 1536


def _use_barrier(red: _Reduced) -> bool:
    return (_BARRIER_MIN_K <= red.kF <= _BARRIER_MAX_K
            and red.kF <= _BARRIER_RATIO * red.d)


def _top_eigh(M: np.ndarray, r: int, lower: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The r largest eigenpairs of a symmetric matrix (float64 or float32; only the
    ``lower`` or upper triangle is read), ascending, as float64 (MRRR for a subset)."""
    d = M.shape[0]
    r = min(r, d)
    if r >= d // 2:
        lam, Q = sla.eigh(M, lower=lower, driver="evd", check_finite=False)
    else:
        lam, Q = sla.eigh(M, lower=lower, subset_by_index=[d - r, d - 1], driver="evr",
                          check_finite=False)
    return lam.astype(float, copy=False), Q.astype(float, copy=False)


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
        self.gg32 = self.gg.astype(np.float32) if big else None

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

    def matrix(self, tau: np.ndarray, theta: float) -> tuple[np.ndarray, bool]:
        """R(T) for the optimizer and whether its lower triangle holds it (on large
        problems only the upper triangle, in float32, formed by one syrk)."""
        if self.W32 is not None and np.all(np.isfinite(tau)) and float(tau.max()) < 1e30:
            Ws = self.W32 * np.sqrt(tau).astype(np.float32)[:, None]
            M = sla.blas.ssyrk(1.0, Ws.T, trans=0, lower=0)  # upper triangle of Ws^T Ws
            if theta:
                M += np.float32(theta) * self.gg32
            return M, False
        M = _gram(self.red.WF, tau)
        if theta:
            M += theta * self.gg
        return M, True

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        red = self.red
        tau, theta = self.tau(x)
        M, lower = self.matrix(tau, theta)
        T = self.temp * self.scale
        while True:
            lam, Q = _top_eigh(M, self.r, lower)
            lmax = float(lam[-1])
            if lam.size == red.d or lam[0] < lmax - 40 * T:
                break
            self.r = min(red.d, 2 * self.r)
        if self.r > 16 and 4 * int(np.sum(lam >= lmax - 40 * T)) < self.r:
            self.r //= 2  # the window narrowed (finer smoothing): fewer eigenpairs next time
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
        # the dual value of P = sum p_i Q_i Q_i^T / tr(...), exactly trace 1 also when the
        # eigenvectors came from float32
        nrm = float(p @ np.einsum("ij,ij->j", Qr, Qr))
        A = float(red.c @ np.sqrt(np.maximum(q / nrm, 0.0)))
        dual = A**2 if red.closed else (A + math.sqrt(max(gam / nrm, 0.0))) ** 2
        if dual > self.best_dual:
            self.best_dual = dual
        self.last = (lam, Q, p)
        self.last_M = (M, lower)
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
        if lam.size < min(rmax, red.d):
            # more of the top eigenspace than the smoothing needed (P may need it)
            M, lower = self.last_M
            lam2, Q2 = _top_eigh(M, rmax, lower)
            p2 = np.zeros(lam2.size)
            p2[lam2.size - p.size:] = p
            lam, Q, p = lam2, Q2, p2
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




@dataclass
class Solved:
    """Outcome of :func:`solve_reduced`: certified ``rho`` (inf when not certified),
    the free neurons' multipliers ``TF``, the dual value, evaluations and method."""

    rho: float
    TF: np.ndarray
    certified: bool
    dual: float
    nfev: int
    method: str
    spec_rho: float


def _start(red: _Reduced, TF0: np.ndarray) -> tuple[np.ndarray, float]:
    """The spectral starting point in the tau coordinates and its rho."""
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
    return tau0, rho0


def _optimize(red: _Reduced, tau0: np.ndarray, rho0: float, tol: float,
              maxiter: int, target: float = 0.0) -> tuple[np.ndarray, float, int]:
    """Smoothed-eigenvalue L-BFGS with continuation in the smoothing and dual
    refinement (module docstring of :mod:`numerics.lipschitz.lipsdp`); returns
    (best tau, best dual value, evaluations). With ``target`` > 0 (a squared value) it
    also stops once the best rho is at most ``target`` or the dual bound is above it
    (branch and bound's prune level: either answer is decided)."""
    obj = _Objective(red, max(rho0, np.finfo(float).tiny))
    obj.best_rho, obj.best_tau = rho0, tau0.copy()
    x = _x_from_tau(red, tau0)
    bounds = [(-60.0, 60.0)] * x.size
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
        tau_dp = obj.refine_dual(_DUAL_RANK)
        if tau_dp is not None and np.all(np.isfinite(tau_dp)) and np.all(tau_dp > 0):
            r = _eval_rho(red, tau_dp)
            obj.nfev += 1
            if r < obj.best_rho:
                obj.best_rho, obj.best_tau = r, tau_dp
                x = _x_from_tau(red, tau_dp)
        if obj.best_dual > 0 and obj.best_rho / obj.best_dual - 1 <= tol:
            break
        if target > 0 and (obj.best_rho <= target or obj.best_dual > target):
            break
        stage += 1
        if stage >= len(schedule) and (obj.best_rho >= before[0] * (1 - 1e-9)
                                       and obj.best_dual <= before[1] * (1 + 1e-9)):
            break  # no progress at the finest smoothing
    return obj.best_tau, obj.best_dual, obj.nfev


def _certify_loop(red: _Reduced, tries) -> tuple[float, np.ndarray, str | None]:
    """Certify the first candidate (label, T, rho) that passes, raising T and rho
    by a growing factor: lambda_max(R((1+b)T)) <= (1+b) lambda_max(R(T)) since
    scaling T up lowers s and scales the Gram term, so T(1+b) with rho (1+b)^2
    works once b covers the rounding margin. Returns (rho, T, label) or
    (inf, T, None)."""
    bump0 = _SAFETY * (red.kF + red.d + 8) * _U * red.d
    last = None
    for label, TF_try, rho_try in tries:
        last = TF_try
        bump = bump0
        for _ in range(40):
            cand = rho_try * (1 + bump) ** 2
            if _certify(red, TF_try * (1 + bump), cand):
                return cand, TF_try * (1 + bump), label
            bump *= 2
        if red.kF == 0:
            break
    return math.inf, last, None


def _warm(red: _Reduced, t_start: np.ndarray | None, tau0: np.ndarray,
          rho0: float) -> tuple[np.ndarray, float]:
    """The better of the spectral start and caller multipliers (full length k)."""
    if t_start is None:
        return tau0, rho0
    TF = np.asarray(t_start, dtype=float)[red.free_idx]
    if not (np.all(np.isfinite(TF)) and np.all(TF > 0)):
        return tau0, rho0
    tau = _tau_from_T(red, TF)
    s = float(np.sum(red.c**2 / tau))
    if s >= 1 - 1e-9:
        tau = tau * (s / (1 - 1e-3))
    rho = _eval_rho(red, tau)
    return (tau, rho) if rho < rho0 else (tau0, rho0)


def solve_reduced(net: TwoLayerNet, red: _Reduced, *, tol: float, maxiter: int,
                  row_space: bool = True, t_start: np.ndarray | None = None,
                  target: float = 0.0) -> Solved:
    """Optimize the multipliers of the reduced problem ``red`` (in the row space of
    W when ``row_space`` and that is smaller, see
    :func:`numerics.lipschitz.lipsdp_certify.row_space_reduced`) and certify the
    result on the full d × d problem."""
    TF0, spec_rho = _spectral_T(net, red)
    if red.kF == 0:
        rho_lin = float(red.g @ red.g)
        rho, TF, label = _certify_loop(red, [("", np.zeros(0), rho_lin)])
        return Solved(rho, TF, label is not None, rho_lin, 0, "linear on domain", spec_rho)
    opt = row_space_reduced(red) if row_space else red
    tau0, rho0 = _warm(opt, t_start, *_start(opt, TF0))
    method = "smoothed-eig L-BFGS"
    if _use_barrier(opt):
        bar = barrier_solve(opt.WF, opt.c, opt.g, tau0, tol=tol, max_steps=min(maxiter, 400))
        tau_best, dual, nfev = bar.tau, bar.dual, bar.steps
        method = "barrier interior point"
        if not (math.isfinite(bar.rho) and np.all(np.isfinite(tau_best))
                and np.all(tau_best > 0)):
            tau_best, dual, nfev = _optimize(opt, tau0, rho0, tol, maxiter)
            method = "smoothed-eig L-BFGS"
    else:
        tau_best, dual, nfev = _optimize(opt, tau0, rho0, tol, maxiter, target)
    rho_best = _eval_rho(opt, tau_best)  # float64, whatever the optimizer used
    if rho_best > rho0:  # never worse than the start (spectral or caller multipliers)
        tau_best, rho_best = tau0, rho0
    method += f" (row space, r = {opt.d})" if opt.d < red.d else ""
    tries = [("", _T_from_tau(red, tau_best), rho_best),
             (" (fallback: spectral multipliers)", TF0, spec_rho)]
    rho, TF, label = _certify_loop(red, tries)
    return Solved(rho, TF, label is not None, dual, nfev, method + (label or ""), spec_rho)


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


def _result(net: TwoLayerNet, red: _Reduced, domain: Domain, t0: float, *, tol: float,
            maxiter: int, row_space: bool, t_start=None, target: float = 0.0) -> LipSDPResult:
    S = red.sectors
    counts = (int(S.free.sum()), int(S.linear.sum()), int(S.dropped.sum()))
    out = solve_reduced(net, red, tol=tol, maxiter=maxiter, row_space=row_space,
                        t_start=t_start, target=target)
    T = np.zeros(net.k)
    T[red.free_idx] = out.TF
    rho = out.rho
    if out.certified and rho == 0:
        value = 0.0  # f is constant on the domain
    elif out.certified:
        value = float(np.nextafter(math.sqrt(rho), math.inf))
        value = float(np.nextafter(value, math.inf))
    else:
        value, rho = math.inf, math.inf
    return LipSDPResult(value=value, t=T, rho=float(rho), certified=out.certified,
                        seconds=time.perf_counter() - t0, iterations=int(out.nfev),
                        method=out.method, rho_dual=float(min(out.dual, rho)),
                        spectral=math.sqrt(out.spec_rho), n_free=counts[0],
                        n_linear=counts[1], n_dropped=counts[2], domain=domain)


def _check_sectors(net: TwoLayerNet, sectors: NeuronSectors) -> NeuronSectors:
    if not isinstance(sectors, NeuronSectors):
        raise ValueError(f"sectors: expected NeuronSectors, got {type(sectors).__name__}")
    k = net.k
    arrs = (sectors.alpha, sectors.beta, sectors.free, sectors.linear)
    if any(np.shape(x) != (k,) for x in arrs):
        raise ValueError(f"sectors: every array must have shape ({k},)")
    al, be = np.asarray(sectors.alpha, float), np.asarray(sectors.beta, float)
    free, lin = np.asarray(sectors.free, bool), np.asarray(sectors.linear, bool)
    if not (np.all(np.isfinite(al)) and np.all(np.isfinite(be))):
        raise ValueError("sectors: alpha and beta must be finite")
    if np.any(free & lin) or np.any(be[free] <= al[free]) or np.any(be[lin] != al[lin]):
        raise ValueError("sectors: free neurons need alpha < beta, linear ones alpha == beta,"
                         " and no neuron may be both")
    return NeuronSectors(al, be, free, lin, sectors.method)


def lipsdp_sector_bound(net: TwoLayerNet, sectors: NeuronSectors, *, tol: float = 1e-3,
                        maxiter: int = 2000, row_space: bool = True,
                        t_start=None, target: float = 0.0) -> LipSDPResult:
    r"""Certified LipSDP-Neuron bound for caller-supplied per-neuron sectors.

    If, on a convex set :math:`C`, every free neuron's slope lies in
    :math:`[\alpha_\ell, \beta_\ell]` along every segment of C, every linear neuron
    has slope exactly :math:`\alpha_\ell = \beta_\ell` there, and the remaining
    (dropped) neurons are constant on C, then the returned value bounds
    :math:`\mathrm{Lip}_C(f)`, hence :math:`\sup_C\|\nabla f\|` (the module
    docstring's argument with :math:`\Omega` replaced by C). Branch and bound
    (:mod:`numerics.lipschitz.bnb`) calls this with the sectors of a region of the
    activation arrangement. The caller is responsible for the sectors' validity;
    rounding of the sectors themselves must be accounted for by the caller.

    Parameters
    ----------
    net : TwoLayerNet
    sectors : NeuronSectors
        Arrays of shape (k,); free neurons need alpha < beta, linear ones alpha == beta.
    tol, maxiter, row_space
        As in :func:`lipsdp_upper_bound`.
    t_start : array_like, shape (k,), optional
        Multipliers to start from (e.g. a parent node's) when better than the
        spectral point.
    target : float
        If positive, the optimizer may stop as soon as its bound is below ``target``
        or its dual bound shows it cannot get there (branch and bound's prune level);
        the value returned is certified either way.

    Returns
    -------
    LipSDPResult
        ``domain`` is :math:`\mathbb R^d` as a placeholder (the set C is the caller's).

    Examples
    --------
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    >>> S = NeuronSectors(np.array([1.0, 0.0]), np.array([1.0, 1.0]),
    ...                   np.array([False, True]), np.array([True, False]), "region")
    >>> res = lipsdp_sector_bound(net, S)
    >>> res.certified, round(res.value, 6)      # on {x_1 > 0}: gradients (1, 0), (1, 1)
    (True, 1.414214)
    """
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    S = _check_sectors(net, sectors)
    tol = as_finite_float(tol, "tol", positive=True)
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise ValueError(f"maxiter: must be an integer >= 1, got {maxiter!r}")
    t0 = time.perf_counter()
    if t_start is not None:
        t_start = as_vector(t_start, "t_start", size=net.k)
    red = reduce_with_sectors(net, S)
    target = as_finite_float(target, "target", nonnegative=True)
    return _result(net, red, Domain.rd(), t0, tol=tol, maxiter=maxiter, row_space=row_space,
                   t_start=t_start, target=target * target * (1 - 1e-9))
