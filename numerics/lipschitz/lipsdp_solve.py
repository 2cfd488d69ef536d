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
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize

from numerics.lipschitz.lipsdp_certify import (
    _SAFETY,
    _U,
    _certify,
    _gram,
    _Reduced,
    _reduced_from,
    _spectral_T,
    _T_from_tau,
    _tau_from_T,
    row_space_reduced,
)
from numerics.models import TwoLayerNet

_STAGE_EVALS = 25  # L-BFGS evaluations per smoothing level
_F32_WORK = 5e6  # k d^2 above which optimization steps form the Gram matrix in float32

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
              maxiter: int) -> tuple[np.ndarray, float, int]:
    """Smoothed-eigenvalue L-BFGS with continuation in the smoothing and dual
    refinement (module docstring of :mod:`numerics.lipschitz.lipsdp`); returns
    (best tau, best dual value, evaluations)."""
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


def solve_reduced(net: TwoLayerNet, red: _Reduced, *, tol: float, maxiter: int,
                  row_space: bool = True) -> Solved:
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
    tau0, rho0 = _start(opt, TF0)
    tau_best, dual, nfev = _optimize(opt, tau0, rho0, tol, maxiter)
    rho_best = _eval_rho(opt, tau_best)  # float64, whatever the optimizer used
    method = "smoothed-eig L-BFGS" + (f" (row space, r = {opt.d})" if opt.d < red.d else "")
    tries = [("", _T_from_tau(red, tau_best), rho_best),
             (" (fallback: spectral multipliers)", TF0, spec_rho)]
    rho, TF, label = _certify_loop(red, tries)
    return Solved(rho, TF, label is not None, dual, nfev, method + (label or ""), spec_rho)
