r"""S3 theory numerics: the saddle point of the cited robust-error formula.

Everything is lambdified from :mod:`theory.rf_saddle` (the objective
:math:`\mathcal R(\alpha,\tau_g;\beta,\gamma,\tau_q)`, the inner function
:math:`G(\lambda)`, the root equation for :math:`\nu`, the limit of the
adversarial risk) and :func:`theory.random_features.sigma2_expr`; the account is
``docs/mathematics.md#s3-random-features``.

Inner problems, each to a stated tolerance:

- :math:`\nu`: bracketed root of :math:`F(\nu) = 0` on :math:`[0, c\tau_g/\beta]`
  (``scipy.optimize.brentq``, ``xtol = 1e-14``, ``rtol = 4 eps_machine``); :math:`F`
  is decreasing there with :math:`F(0) = c-\sqrt{2/\pi}` (checked in sympy).
- :math:`\sup_{0\le\lambda<1}G`: a grid of 400 points on :math:`[0, 1)`, then
  bounded Brent on the bracketing cell (``xatol = 1e-12``).

The saddle point :math:`\max_{\beta,\gamma,\tau_q}\min_{\alpha,\tau_g}\mathcal R`
is found by (1) a nested solve (inner minimization by L-BFGS-B, outer maximization
by L-BFGS-B on the envelope gradient), then (2) Newton-type refinement of the
joint first-order conditions :math:`\nabla\mathcal R = 0` (``scipy.optimize.root``,
``hybr``), the gradient being the sympy gradient with the envelope theorem for
:math:`\lambda` and the implicit-function derivative for :math:`\nu`.
:func:`saddle_checks` then perturbs each coordinate.

Examples
--------
>>> sol = solve_saddle(psi1=1.0, psi2=2.0, eps=0.3, tau=0.5)
>>> bool(sol.foc_residual < 1e-8), round(sol.standard_risk, 3) > round(sol.sigma2, 3)
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from functools import cache

import numpy as np
import sympy as sp
from scipy import optimize

from theory import random_features as trf
from theory import rf_saddle as ts

__all__ = [
    "SaddlePoint",
    "adversarial_risk",
    "grad_objective",
    "inner_sup",
    "nu_root",
    "objective_value",
    "saddle_checks",
    "solve_saddle",
    "uniqueness_check",
]

_VARS = (ts.alpha, ts.tau_g, ts.beta, ts.gamma, ts.tau_q)
_PARAMS = (ts.psi1, ts.psi2, ts.eps, ts.tau, ts.sigma2)
_NU_XTOL = 1e-14
_LAM_XATOL = 1e-12
_LAM_GRID = 400
_SQRT_2_PI = math.sqrt(2 / math.pi)


@dataclass(frozen=True)
class _Model:
    """Lambdified pieces; ``wrong`` names a deliberately wrong variant (tests)."""

    wrong: str | None
    G: object
    dG: object
    smooth: object
    dsmooth: object
    ind: object
    dind: object
    c: object
    dc: object


def _parts(wrong: str | None):
    """Sympy pieces, optionally with a deliberately wrong term."""
    G = ts.inner_G()
    c = ts.c_expr()
    if wrong == "drop_2_over_pi":
        G = ts.inner_G(two_over_pi=1)
    elif wrong == "swap_beta_gamma_in_c":
        c = c.subs({ts.beta: ts.gamma, ts.gamma: ts.beta}, simultaneous=True)
    elif wrong is not None:
        raise ValueError(f"wrong: unknown variant {wrong!r}")
    Gs = sp.Symbol("Gsup")
    p = ts.objective_parts(ts.c_sym, Gs)
    inner = p["inner"]
    return G, c, p["smooth"] + inner, p["ind"], Gs


@cache
def _model(wrong: str | None = None) -> _Model:
    G, c, smooth, ind, Gs = _parts(wrong)
    lv = (ts.lam, ts.alpha, ts.beta, ts.gamma, ts.tau_q, ts.psi1)
    args = (*_VARS, *_PARAMS)
    dG = [sp.diff(G, v) for v in _VARS]
    return _Model(
        wrong=wrong,
        G=sp.lambdify(lv, G, "numpy"),
        dG=sp.lambdify(lv, dG, "numpy"),
        smooth=sp.lambdify((*args, Gs), smooth, "math"),
        dsmooth=sp.lambdify((*args, Gs), [sp.diff(smooth, v) for v in (*_VARS, Gs)], "math"),
        ind=sp.lambdify((*args, ts.c_sym, ts.nu), ind, "math"),
        dind=sp.lambdify((*args, ts.c_sym, ts.nu),
                         [sp.diff(ind, v) for v in (*_VARS, ts.c_sym, ts.nu)], "math"),
        c=sp.lambdify(args, c, "math"),
        dc=sp.lambdify(args, [sp.diff(c, v) for v in _VARS], "math"),
    )


def nu_root(c: float, beta: float, tau_g: float) -> float:
    r"""The root :math:`\nu\ge0` of :math:`c - (\beta/\tau_g)\nu - \nu\operatorname{erf}(\nu/\sqrt2)
    - \sqrt{2/\pi}e^{-\nu^2/2}`, bracketed in :math:`[0, c\tau_g/\beta]` (Brent,
    ``xtol = 1e-14``); 0 when :math:`c\le\sqrt{2/\pi}` (the indicator is off).

    Examples
    --------
    >>> nu_root(0.5, 1.0, 1.0)
    0.0
    >>> round(nu_root(2.0, 1.0, 1.0), 6)
    0.899472
    """
    if c <= _SQRT_2_PI:
        return 0.0
    r = beta / tau_g

    def F(v):
        return c - r * v - v * math.erf(v / math.sqrt(2)) - _SQRT_2_PI * math.exp(-v * v / 2)

    return float(optimize.brentq(F, 0.0, c / r, xtol=_NU_XTOL, rtol=4 * np.finfo(float).eps))


def inner_sup(alpha, beta, gamma, tau_q, psi1, wrong=None) -> tuple[float, float]:
    r""":math:`(\sup_{0\le\lambda<1}G(\lambda), \lambda^\star)`: a 400-point grid on
    :math:`[0,1)` then bounded Brent on the cell around the best grid point
    (``xatol = 1e-12``).

    Examples
    --------
    >>> val, lam = inner_sup(1.0, 1.0, 0.0, 1.0, 1.0)   # gamma = 0: G increasing
    >>> bool(lam > 0.99)
    True
    """
    m = _model(wrong)
    grid = np.linspace(0.0, 1.0, _LAM_GRID + 1)[:-1]
    vals = m.G(grid, alpha, beta, gamma, tau_q, psi1)
    k = int(np.argmax(vals))
    lo, hi = grid[max(k - 1, 0)], (grid[k + 1] if k + 1 < grid.size else 1.0 - 1e-15)
    res = optimize.minimize_scalar(lambda t: -float(m.G(t, alpha, beta, gamma, tau_q, psi1)),
                                   bounds=(lo, hi), method="bounded",
                                   options={"xatol": _LAM_XATOL})
    cand = [(float(vals[k]), float(grid[k])), (-float(res.fun), float(res.x))]
    return max(cand)


def _state(x, prm, wrong):
    a, tg, b, g, tq = x
    ps1 = prm[0]
    m = _model(wrong)
    Gsup, lam = inner_sup(a, b, g, tq, ps1, wrong)
    c = m.c(*x, *prm)
    nu = nu_root(c, b, tg)
    return m, Gsup, lam, c, nu


def objective_value(x, prm, wrong=None) -> float:
    r""":math:`\mathcal R` at ``x = (alpha, tau_g, beta, gamma, tau_q)`` for
    ``prm = (psi1, psi2, eps, tau, sigma2)`` (inner sup and root solved)."""
    m, Gsup, lam, c, nu = _state(x, prm, wrong)
    val = m.smooth(*x, *prm, Gsup)
    if c > _SQRT_2_PI:
        val += m.ind(*x, *prm, c, nu)
    return float(val)


def grad_objective(x, prm, wrong=None) -> np.ndarray:
    r"""Gradient of :math:`\mathcal R` in ``x``: envelope theorem for
    :math:`\lambda^\star` (:math:`\partial\sup G/\partial x = \partial G/\partial x`
    at :math:`\lambda^\star`) and :math:`d\nu/dx = -F_x/F_\nu` for the root."""
    m, Gsup, lam, c, nu = _state(x, prm, wrong)
    ds = np.array(m.dsmooth(*x, *prm, Gsup), dtype=float)
    dG = np.array([float(np.asarray(v)) for v in m.dG(lam, x[0], x[2], x[3], x[4], prm[0])])
    g = ds[:5] + ds[5] * dG
    if c > _SQRT_2_PI:
        di = np.array(m.dind(*x, *prm, c, nu), dtype=float)
        dc = np.array(m.dc(*x, *prm), dtype=float)
        b, tg = x[2], x[1]
        Fnu = -b / tg - math.erf(nu / math.sqrt(2))
        Fx = np.zeros(5)
        Fx[1] = b * nu / tg**2
        Fx[2] = -nu / tg
        Fx = Fx + dc                      # F depends on x through c and beta/tau_g
        dnu = -Fx / Fnu
        g = g + di[:5] + di[5] * dc + di[6] * dnu
    return g


@dataclass(frozen=True)
class SaddlePoint:
    """The solution of :func:`solve_saddle` (all floats; ``x`` order
    alpha, tau_g, beta, gamma, tau_q)."""

    psi1: float
    psi2: float
    eps: float
    tau: float
    sigma2: float
    alpha: float
    tau_g: float
    beta: float
    gamma: float
    tau_q: float
    nu: float
    lam: float
    c: float
    value: float
    standard_risk: float
    foc_residual: float
    converged: bool = True
    boundary: bool = False
    wrong: str | None = None
    notes: list = field(default_factory=list)

    @property
    def x(self) -> np.ndarray:
        return np.array([self.alpha, self.tau_g, self.beta, self.gamma, self.tau_q])

    @property
    def params(self) -> tuple:
        return (self.psi1, self.psi2, self.eps, self.tau, self.sigma2)

    def robust_risk(self, eps_test: float | None = None) -> float:
        """:func:`adversarial_risk` at ``eps_test`` (default: the training budget)."""
        return adversarial_risk(self, self.eps if eps_test is None else eps_test)

    def grad_norm_limit(self) -> float:
        r"""The limit of :math:`\|\nabla f\|` implied by AR:
        :math:`\beta\nu\sqrt{\alpha^2+\sigma^2}/(\epsilon\tau_g)`."""
        return self.beta * self.nu * math.sqrt(self.standard_risk) / (self.eps * self.tau_g)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["robust_risk"] = self.robust_risk()
        return d


@cache
def _ar_fn():
    return sp.lambdify((ts.alpha, ts.tau_g, ts.beta, ts.nu, ts.eps, ts.eps_test, ts.sigma2),
                       ts.adversarial_risk(), "math")


def adversarial_risk(sol: SaddlePoint, eps_test: float) -> float:
    r"""The limit of the adversarial risk at test budget ``eps_test`` (lambdified
    :func:`theory.rf_saddle.adversarial_risk`); equals the standard risk at 0.

    Examples
    --------
    >>> sol = solve_saddle(psi1=0.5, psi2=2.0, eps=0.3, tau=0.5)
    >>> adversarial_risk(sol, 0.0) == sol.standard_risk
    True
    """
    et = _check(eps_test, "eps_test", allow_zero=True)
    if sol.nu == 0.0 or et == 0.0:       # indicator off (or no test budget): AR = alpha^2 + s^2
        return sol.standard_risk
    return float(_ar_fn()(sol.alpha, sol.tau_g, sol.beta, sol.nu, sol.eps, et, sol.sigma2))


def _check(v, name, allow_zero=False) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a number, got {v!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"{name}: must be finite, got {v!r}")
    if f < 0 or (f == 0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: must be {need} (the theorem's assumption), got {v!r}")
    return f


def _inner_min(xmax, prm, wrong, start):
    """min over (alpha, tau_g) (log coordinates, L-BFGS-B, gtol 1e-11)."""
    def fun(u):
        x = np.concatenate([np.exp(u), xmax])
        return objective_value(x, prm, wrong), grad_objective(x, prm, wrong)[:2] * np.exp(u)

    res = optimize.minimize(fun, start, jac=True, method="L-BFGS-B",
                            bounds=[(-12, 6)] * 2, options={"gtol": 1e-11, "ftol": 1e-15})
    return res.x, res.fun


def _nested(prm, wrong, start):
    """Nested solve: max over (beta, gamma, tau_q) of the inner minimum."""
    memo = {"u": start[:2].copy()}

    def fun(v):
        xmax = np.exp(v)
        u, val = _inner_min(xmax, prm, wrong, memo["u"])
        memo["u"] = u
        g = grad_objective(np.concatenate([np.exp(u), xmax]), prm, wrong)[2:] * xmax
        return -val, -g

    res = optimize.minimize(fun, start[2:], jac=True, method="L-BFGS-B",
                            bounds=[(-12, 6)] * 3, options={"gtol": 1e-9, "ftol": 1e-14})
    return np.concatenate([memo["u"], res.x])


#: Starts tried in turn (the solutions in the regimes met on the psi1 grids).
STARTS = ((0.5, 1.0, 1.0, 0.5, 1.0), (0.3, 0.05, 0.8, 0.27, 0.25), (0.7, 0.5, 0.5, 0.2, 0.5),
          (0.7, 0.3, 0.7, 0.9, 0.7), (0.7, 0.6, 0.05, 0.07, 0.05), (0.7, 0.1, 0.8, 0.9, 0.8))
#: A solution is accepted when max |x_i dR/dx_i| is below this.
FOC_TOL = 1e-8
#: Coordinates below this count as the boundary (not an interior saddle point).
X_FLOOR = 1e-6


def _foc_fn(prm, wrong):
    def foc(v):
        x = np.exp(np.clip(v, -30.0, 30.0))
        try:
            with np.errstate(all="ignore"):
                g = grad_objective(x, prm, wrong) * x
        except (ValueError, OverflowError, ZeroDivisionError):
            return np.full(5, 1e6)
        return np.where(np.isfinite(g), g, 1e6)

    return foc


def _score(foc, v) -> float:
    """FOC residual, plus a penalty when a coordinate is below X_FLOOR (not interior:
    x_i dR/dx_i -> 0 there)."""
    return float(np.max(np.abs(foc(v)))) + (np.min(v) < math.log(X_FLOOR)) * 1e3


def _solve_from(prm, wrong, u0, nested: bool = True) -> tuple[np.ndarray, float]:
    """(Nested solve from ``u0``, log coordinates, then) hybr on the joint FOC."""
    foc = _foc_fn(prm, wrong)
    u = np.asarray(u0, dtype=float)
    with np.errstate(all="ignore"):
        if nested:
            try:
                u = _nested(prm, wrong, u0)
            except (ValueError, OverflowError, ZeroDivisionError):
                pass
        res = optimize.root(foc, u, method="hybr", options={"xtol": 1e-13})
    r0, r1 = _score(foc, u), _score(foc, res.x)
    return (res.x, r1) if r1 <= r0 else (u, r0)


def solve_saddle(*, psi1, psi2, eps, tau, start=None, wrong=None,
                 max_starts: int | None = None) -> SaddlePoint:
    r"""Solve :math:`\max_{\beta,\gamma,\tau_q}\min_{\alpha,\tau_g}\mathcal R`.

    Starts: ``start`` if given (first by Newton on the first-order conditions
    alone), then :data:`STARTS` in turn, until the first-order residual
    :math:`\max_i|x_i\partial_i\mathcal R|` is below :data:`FOC_TOL` with every
    coordinate above :data:`X_FLOOR`; two consecutive starts ending at
    :math:`\tau_g < 10^{-3}` stop the search (the boundary). Otherwise the best
    point is returned with ``converged = False``.

    Parameters
    ----------
    psi1, psi2, eps : float
        :math:`N/d`, :math:`n/d`, training budget; all must be > 0.
    tau : float
        Noise level, >= 0.
    start : array_like, optional
        Start ``(alpha, tau_g, beta, gamma, tau_q)``.
    wrong : str, optional
        A deliberately wrong variant (``"drop_2_over_pi"``,
        ``"swap_beta_gamma_in_c"``), for tests only.
    max_starts : int, optional
        Try at most this many starts (default all).

    Returns
    -------
    SaddlePoint
        ``foc_residual`` is the residual above; ``boundary`` is True when no
        interior solution was found and :math:`\tau_g\to0` (the regime where
        the trained predictor is :math:`\theta = 0`, standard risk
        :math:`\tau^2+1`; the objective is singular at :math:`\tau_g = 0`).

    Raises
    ------
    ValueError
        ``psi1``, ``psi2`` or ``eps`` <= 0, ``tau`` < 0, or non-finite input.
    """
    prm = (_check(psi1, "psi1"), _check(psi2, "psi2"), _check(eps, "eps"),
           _check(tau, "tau", allow_zero=True))
    prm = (*prm, _sigma2(prm[0], prm[3]))
    starts = (([] if start is None else [start]) + list(STARTS))[:max_starts]
    best, edge = None, 0
    for i, st in enumerate(starts):
        u0 = np.log(np.asarray(st, dtype=float))
        u, r = _solve_from(prm, wrong, u0, nested=False) if (i == 0 and start is not None) \
            else (None, np.inf)
        if r >= FOC_TOL:                 # a warm start first tries Newton alone
            u, r = _solve_from(prm, wrong, u0)
        if best is None or r < best[1]:
            best = (u, r)
        if r < FOC_TOL:
            break
        edge = edge + 1 if np.exp(u[1]) < 1e-3 else 0
        if edge == 2:                    # two starts ran to tau_g -> 0: the boundary
            break
    u, resid = best
    x = np.exp(u)
    resid = float(np.max(np.abs(_foc_fn(prm, wrong)(u))))
    _, _, lam, c, nu = _state(x, prm, wrong)
    converged = resid < FOC_TOL and np.min(x) >= X_FLOOR
    boundary = (not converged) and x[1] < 1e-3
    notes = [] if converged else [
        "no interior saddle point to tolerance" + (
            "; tau_g -> 0: the theta = 0 regime (standard risk tau^2 + 1)" if boundary else "")]
    s2 = prm[4]
    return SaddlePoint(psi1=prm[0], psi2=prm[1], eps=prm[2], tau=prm[3], sigma2=s2,
                       alpha=float(x[0]), tau_g=float(x[1]), beta=float(x[2]),
                       gamma=float(x[3]), tau_q=float(x[4]), nu=nu, lam=lam, c=float(c),
                       value=objective_value(x, prm, wrong),
                       standard_risk=float(x[0]) ** 2 + s2, foc_residual=resid,
                       converged=bool(converged), boundary=bool(boundary), wrong=wrong,
                       notes=notes)


def uniqueness_check(sol: SaddlePoint, *, n_starts: int = 4, seed=0) -> dict:
    r"""Re-solve from ``n_starts`` random starts (each coordinate of the solution
    times :math:`e^{u}`, :math:`u\sim U(-1, 1)`); returns the largest relative
    distance to ``sol`` among the converged solutions, their number and ``same``
    (all within 1e-5 relative). The theorem claims the saddle point is unique."""
    rng = np.random.default_rng(seed)
    dists = []
    for _ in range(n_starts):
        st = sol.x * np.exp(rng.uniform(-1, 1, 5))
        u, r = _solve_from(sol.params, sol.wrong, np.log(st))
        if r < FOC_TOL:
            dists.append(float(np.max(np.abs(np.exp(u) - sol.x) / sol.x)))
    return {"converged": len(dists), "max_rel_distance": max(dists) if dists else None,
            "same": bool(dists) and max(dists) < 1e-5}


@cache
def _sigma2_fn():
    return sp.lambdify((trf.psi1, trf.tau), trf.sigma2_expr(), "math")


def _sigma2(psi1: float, tau: float) -> float:
    return float(_sigma2_fn()(psi1, tau))


def saddle_checks(sol: SaddlePoint, rel: float = 1e-3) -> dict:
    r"""Perturb each coordinate by a factor :math:`1\pm` ``rel``: a saddle point has
    :math:`\mathcal R` not smaller for the minimizing coordinates
    :math:`(\alpha,\tau_g)` and not larger for the maximizing ones
    :math:`(\beta,\gamma,\tau_q)`. Returns per coordinate the two changes and
    ``ok``; ``all_ok`` overall."""
    x0 = sol.x
    v0 = objective_value(x0, sol.params, sol.wrong)
    out = {}
    names = ("alpha", "tau_g", "beta", "gamma", "tau_q")
    for i, name in enumerate(names):
        ch = []
        for s in (1 - rel, 1 + rel):
            x = x0.copy()
            x[i] *= s
            ch.append(objective_value(x, sol.params, sol.wrong) - v0)
        tol = 1e-12 * max(1.0, abs(v0))
        ok = all(c >= -tol for c in ch) if i < 2 else all(c <= tol for c in ch)
        out[name] = {"minus": ch[0], "plus": ch[1], "ok": bool(ok)}
    out["all_ok"] = all(v["ok"] for v in out.values())
    return out
