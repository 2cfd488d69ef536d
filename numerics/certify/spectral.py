r"""Spectral bounds R2 (docs/mathematics.md#r2-spectral-law, sharpened constant
docs/mathematics.md#r2-sharper-constant): the quantity :math:`\Gamma(X, z)` and the
certificates of ``R2``, ``R2.sharp`` and ``R2.inst``.

- :func:`gamma_exact` (:math:`d \le 2`, by enumerating the arrangement),
- :func:`gamma_lower` (any d, a lower estimate attained at a witness),
- :func:`r2_monte_carlo` (falsification test of the Gamma bound over label draws).

Examples
--------
>>> import numpy as np
>>> X = np.array([[0.0], [1.0]]); z = np.array([1.0, -1.0])
>>> float(gamma_exact(X, z)), round(gamma_lower(X, z)["value"], 9)
(1.0, 1.0)
"""

from __future__ import annotations

import numpy as np

from numerics import rounding
from numerics._validate import as_finite_float, as_matrix, as_positive_int, as_rng
from numerics.certify.prologue import (
    Certificate,
    Instance,
    _probability,
    _value,
    certifier,
)
from theory.bounds import Bound, get_bound

__all__ = ["gamma_exact", "gamma_lower", "r2_monte_carlo"]


def _as_label_batch(X: np.ndarray, z) -> tuple[np.ndarray, bool]:
    Z = np.asarray(z, dtype=float)
    single = Z.ndim == 1
    Z = Z[:, None] if single else Z
    Z = as_matrix(Z, "z", rows=X.shape[0])
    return Z, single


def _gamma_at_directions(X: np.ndarray, Z: np.ndarray, U: np.ndarray):
    r"""For each unit direction u (rows of U, shape (s, d)) and label vector
    (columns of Z, shape (n, B)): :math:`\max_\beta |\sum_i z_i
    \mathrm{relu}(u\cdot x_i + \beta)|`, attained at :math:`\beta = -u\cdot x_j`.
    Returns values (s, B) and the maximizing j (s, B)."""
    T = X @ U.T                                   # (n, s)
    order = np.argsort(T, axis=0, kind="stable")  # ascending
    Ts = np.take_along_axis(T, order, axis=0)     # (n, s)
    Zs = Z[order]                                 # (n, s, B)
    # suffix sums over positions q..n-1
    zt = np.cumsum((Zs * Ts[:, :, None])[::-1], axis=0)[::-1]
    zz = np.cumsum(Zs[::-1], axis=0)[::-1]
    vals = np.abs(zt - Ts[:, :, None] * zz)        # (n, s, B)
    q = np.argmax(vals, axis=0)                   # (s, B)
    best = np.take_along_axis(vals, q[None], axis=0)[0]
    j = order[q, np.arange(order.shape[1])[:, None]]
    return best, j


def gamma_exact(X, z) -> np.ndarray | float:
    r""":math:`\Gamma(X, z) = \sup_{\|u\|\le 1,\beta\in\mathbb R}
    |\sum_i z_i\,\mathrm{relu}(u\cdot x_i + \beta)|` exactly, for :math:`d \le 2`.

    Method. The function is positively 1-homogeneous in :math:`(u, \beta)`, so the
    sup is over :math:`\|u\| = 1`; for fixed u it is piecewise linear in
    :math:`\beta` and constant for :math:`\beta \ge -\min_i u\cdot x_i`, so the sup
    over :math:`\beta` is attained at :math:`\beta = -u\cdot x_j`:
    :math:`\Gamma = \max_j \max_{\|u\|=1} |h_j(u)|`,
    :math:`h_j(u) = \sum_i z_i\,\mathrm{relu}(u\cdot(x_i - x_j))`.
    For d = 1, :math:`u = \pm 1`. For d = 2, :math:`h_j` is
    :math:`u\cdot v_S` on each arc of the circle cut by the lines
    :math:`u \perp x_i - x_j` (S the active set, :math:`v_S = \sum_{i\in S} z_i
    (x_i - x_j)`); the max of :math:`|u\cdot v_S|` on an arc is at an endpoint or
    at :math:`\pm v_S/\|v_S\|` if inside the arc.

    Parameters
    ----------
    X : array_like (n, d), d in {1, 2}
    z : array_like (n,) or (n, B)
        One or B weight vectors (e.g. centred labels).

    Returns
    -------
    float, or ndarray (B,)

    Examples
    --------
    >>> X = np.array([[0.0], [1.0]]); z = np.array([1.0, -1.0])
    >>> float(gamma_exact(X, z))
    1.0
    """
    X = as_matrix(X, "X")
    if X.shape[1] > 2:
        raise ValueError(f"X: gamma_exact needs d <= 2, got d = {X.shape[1]}")
    Z, single = _as_label_batch(X, z)
    best = _gamma_exact(X, Z)
    return float(best[0]) if single else best


def _gamma_exact(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """:func:`gamma_exact` for validated X (n, d <= 2) and a batch Z (n, B); shape (B,)."""
    n, d = X.shape
    if d == 1:
        U = np.array([[1.0], [-1.0]])
        vals, _ = _gamma_at_directions(X, Z, U)
        return vals.max(axis=0)
    best = np.zeros(Z.shape[1])
    two_pi = 2 * np.pi
    for j in range(n):  # O(n) iterations, each vectorized over arcs, points and draws
        Dj = X - X[j]
        nz = np.linalg.norm(Dj, axis=1) > 0
        if not np.any(nz):
            continue
        Dn = Dj[nz]
        Zn = Z[nz]
        phi = np.arctan2(Dn[:, 1], Dn[:, 0])
        crit = np.unique(np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), two_pi))
        m = crit.size
        ends = np.concatenate([crit[1:], crit[:1] + two_pi])       # arc t: (crit[t], ends[t])
        mid = (crit + ends) / 2
        Umid = np.stack([np.cos(mid), np.sin(mid)], 1)             # (m, 2)
        S = (Umid @ Dn.T) > 0                                      # (m, n')
        V = np.einsum("ti,ib,ic->tbc", S.astype(float), Zn, Dn)    # (m, B, 2)
        Ua = np.stack([np.cos(crit), np.sin(crit)], 1)
        Ub = np.stack([np.cos(ends), np.sin(ends)], 1)
        va = np.abs(np.einsum("tbc,tc->tb", V, Ua))
        vb = np.abs(np.einsum("tbc,tc->tb", V, Ub))
        nv = np.linalg.norm(V, axis=2)
        ang = np.arctan2(V[:, :, 1], V[:, :, 0])                   # (m, B)
        length = (ends - crit)[:, None]
        inside = ((np.mod(ang - crit[:, None], two_pi) <= length)
                  | (np.mod(ang + np.pi - crit[:, None], two_pi) <= length))
        cand = np.maximum(np.maximum(va, vb), np.where(inside, nv, 0.0))
        best = np.maximum(best, cand.max(axis=0) if m else 0.0)
    return best


def gamma_lower(X, z, *, seed=0, n_starts: int = 64, iters: int = 10) -> dict:
    r"""A lower estimate of :math:`\Gamma(X, z)` in any dimension, attained by a
    witness :math:`(u, \beta)`.

    Starts: ``n_starts`` random unit directions, :math:`\pm X^Tz/\|X^Tz\|` and
    the coordinate directions; each is improved ``iters`` times by moving to
    :math:`\pm v_S/\|v_S\|` (the maximizer of the linear piece at the best
    :math:`\beta`), keeping every value (each is attained).

    Returns
    -------
    dict
        ``value`` (float), ``u`` (d,), ``beta`` (float), with
        ``value == |sum_i z_i relu(u.x_i + beta)|`` up to rounding.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0]]); z = np.array([1.0, -1.0])
    >>> round(gamma_lower(X, z)["value"], 9)
    1.0
    """
    X = as_matrix(X, "X")
    z = as_matrix(np.asarray(z, dtype=float)[:, None], "z", rows=X.shape[0])[:, 0]
    n_starts = as_positive_int(n_starts, "n_starts")
    iters = as_positive_int(iters, "iters", minimum=0)
    rng = as_rng(seed)
    return _gamma_lower(X, z, rng, n_starts, iters)


def _gamma_lower(X: np.ndarray, z: np.ndarray, rng: np.random.Generator, n_starts: int,
                 iters: int) -> dict:
    """:func:`gamma_lower` on validated arguments."""
    n, d = X.shape
    U = rng.standard_normal((n_starts, d))
    g = X.T @ z
    extra = [np.eye(d), -np.eye(d)]
    if np.linalg.norm(g) > 0:
        extra.append(np.stack([g, -g]))
    U = np.concatenate([U] + extra)
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    best_val, best_u, best_j = -1.0, None, None
    for _ in range(iters + 1):
        vals, js = _gamma_at_directions(X, z[:, None], U)
        vals, js = vals[:, 0], js[:, 0]
        t = int(np.argmax(vals))
        if vals[t] > best_val:
            best_val, best_u, best_j = float(vals[t]), U[t].copy(), int(js[t])
        # move each start to the maximizer of its active linear piece
        Dj = X[None, :, :] - X[js][:, None, :]                  # (s, n, d)
        S = np.einsum("snd,sd->sn", Dj, U) > 0
        V = np.einsum("sn,n,snd->sd", S.astype(float), z, Dj)
        sgn = np.sign(np.einsum("sd,sd->s", V, U))
        nv = np.linalg.norm(V, axis=1)
        keep = nv > 0
        if not np.any(keep):
            break
        U = (V[keep] * np.where(sgn[keep] == 0, 1.0, sgn[keep])[:, None]) / nv[keep][:, None]
    beta = float(-X[best_j] @ best_u)
    val = float(abs(z @ np.maximum(X @ best_u + beta, 0.0)))
    return {"value": val, "u": best_u, "beta": beta}


def r2_monte_carlo(X, *, n_draws: int = 200, delta: float = 0.05, seed=0,
                   bound: Bound | None = None, n_starts: int = 32, iters: int = 5) -> dict:
    r"""Falsification test of R2.Gamma: over ``n_draws`` Rademacher label draws,
    the fraction of draws with :math:`\Gamma(X, z) > C_\delta\sqrt n` (the bound
    says at most :math:`3\delta` in expectation; exceeding it is evidence against
    the bound). With ``bound=get_bound("R2.Gamma.sharp")`` the threshold is
    :math:`C'_\delta\sqrt n` and the allowed fraction :math:`\delta` (the
    allowed fraction is one minus the bound's ``probability``).
    :math:`\Gamma` exact for :math:`d \le 2`, otherwise the lower
    estimate :func:`gamma_lower` (so an exceedance is always real).

    Returns
    -------
    dict
        ``gammas`` (n_draws,), ``threshold`` :math:`C_\delta\sqrt n`, ``fraction_above``,
        ``allowed`` (:math:`3\delta` for R2.Gamma), ``looseness`` (threshold / Gamma:
        ``median``, ``min``), ``exact`` (bool).

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(-1, 1, (20, 1))
    >>> out = r2_monte_carlo(X, n_draws=10, delta=0.1, seed=1)
    >>> out["fraction_above"] <= out["allowed"], out["exact"]
    (True, True)
    """
    X = as_matrix(X, "X")
    n_draws = as_positive_int(n_draws, "n_draws")
    delta = as_finite_float(delta, "delta", positive=True)
    if not delta < 1:
        raise ValueError(f"delta: must be in (0, 1), got {delta}")
    if np.max(np.linalg.norm(X, axis=1)) > 1 + 1e-12:
        raise ValueError("X: R2 needs rows with ||x_i|| <= 1")
    bound = get_bound("R2.Gamma") if bound is None else bound
    rng = as_rng(seed)
    n, d = X.shape
    Y = rng.choice(np.array([-1.0, 1.0]), size=(n, n_draws))
    Zc = Y - Y.mean(axis=0, keepdims=True)
    if d <= 2:
        gammas = _gamma_exact(X, Zc)
    else:
        n_starts = as_positive_int(n_starts, "n_starts")
        iters = as_positive_int(iters, "iters", minimum=0)
        gammas = np.array([_gamma_lower(X, Zc[:, b], rng, n_starts, iters)["value"]
                           for b in range(n_draws)])
    thr = _value(bound, n=n, delta=delta)
    allowed = 1 - _probability(bound, delta) if bound.probability is not None else 3 * delta
    with np.errstate(divide="ignore"):
        loose = np.where(gammas > 0, thr / np.where(gammas > 0, gammas, 1), np.inf)
    return {"gammas": gammas, "threshold": thr, "fraction_above": float(np.mean(gammas > thr)),
            "allowed": allowed, "looseness": {"median": float(np.median(loose)),
                                                "min": float(np.min(loose))},
            "exact": d <= 2, "n": n, "d": d, "delta": delta, "n_draws": n_draws}


@certifier("R2", "R2.sharp")
def _cert_r2(inst: Instance, bound: Bound, checks: dict, *, delta: float = 0.05,
             **options) -> Certificate:
    y = inst.y
    val = _value(bound, ybar=float(y.mean()), n=y.size, k=inst.net.k, delta=delta)
    lip_op = float(np.linalg.norm(inst.net.a) * np.linalg.norm(inst.net.W, 2))
    prob = _probability(bound, delta)
    return Certificate(bound, checks, val,
                       f"holds with probability >= {prob:g} over the labels (delta = {delta:g})",
                       details={"delta": delta, "a2_Wop": lip_op},
                       probability=f"{bound.probability} = {prob:g}")


def _r2_inst_margins(inst: Instance, z: np.ndarray, gamma: float, s: float) -> tuple[float, float]:
    r"""Certified :math:`s_{low} \le \sum_i z_i f(x_i)` and :math:`\Gamma_{up} \ge
    \Gamma(X, z)` for the exact centred labels z and the network's exact values.

    With :math:`\hat z = fl(y - fl(\bar y))` (a sum of :math:`\pm1` is exact, so
    :math:`|\hat z_i - z_i| \le 4u`), :math:`\hat f, e` from
    :func:`numerics.rounding.value_error`: :math:`|\hat s - s| \le \sum|\hat z_i|e_i +
    4u\sum(|\hat f_i| + e_i) + \gamma_n\sum|\hat z_i\hat f_i|`. For Γ, which is
    :math:`\max_j\max_{\|u\|=1}|h_j(u)|`, :math:`h_j(u) = \sum_i z_i
    \mathrm{relu}(u\cdot(x_i - x_j))`, Lipschitz in u and in z with constants
    :math:`L = 2\rho\sum_i|\hat z_i|` and :math:`2\rho` (:math:`\rho = \max\|x_i\|`):
    the enumeration evaluates :math:`h_j` at candidate directions within
    :math:`\delta_\theta` of the maximizer (d = 1: exact; d = 2: angles from ``arctan2``,
    ``mod`` and ``cos``/``sin``, each within a few ulps of :math:`2\pi`; assumed
    :math:`\delta_\theta \le 2^{-40}`, far above what the kernels lose), each with
    evaluation error :math:`\gamma_{2n+8}\,2L`, so
    :math:`\Gamma \le \hat\Gamma + L(\delta_\theta + 2\gamma_{2n+8}) + 2\rho\cdot 4nu`.
    """
    X, f = inst.X, inst.f
    n, d = X.shape
    e = rounding.value_error(inst.net, X)[1]
    az = np.abs(z)
    err_s = (float(az @ e) + 4 * rounding.U * float(np.sum(np.abs(f) + e))
             + rounding.gamma(n) * float(az @ np.abs(f)))
    s_low = rounding.down(s - rounding.up(err_s * (1 + rounding.gamma(2 * n))))
    rho = float(np.max(rounding._norm_up(X, 2.0)))
    L = rounding.up(2 * rho * float(az.sum()) * (1 + rounding.gamma(n + 2)))
    dtheta = 0.0 if d == 1 else 2.0**-40
    gamma_up = rounding.up(gamma + L * (dtheta + 2 * rounding.gamma(2 * n + 8))
                           + 2 * rho * 4 * n * rounding.U * 1.01)
    return float(s_low), float(gamma_up)


@certifier("R2.inst")
def _cert_r2_inst(inst: Instance, bound: Bound, checks: dict, **options) -> Certificate:
    if inst.net.d > 2:
        return Certificate(bound, checks, None,
                           f"Gamma is computed exactly only for d <= 2 (d = {inst.net.d}); "
                           "a lower estimate of Gamma would not give a bound")
    y, f = inst.y, inst.f
    z = y - y.mean()
    gamma = float(_gamma_exact(inst.X, z[:, None])[0])
    s = float(z @ f)        # = n (1 - ybar^2) under exact fit
    if gamma <= 0 or s <= 0:
        return Certificate(bound, checks, None, "degenerate: Gamma = 0 or sum z_i f(x_i) <= 0")
    s_low, gamma_up = _r2_inst_margins(inst, z, gamma, s)
    if not s_low > 0:
        return Certificate(bound, checks, None, "sum z_i f(x_i) is not certified positive "
                           "(its rounding error bound exceeds it)")
    # the identity holds for the actual values: evaluate the bound with n(1-ybar^2) -> s
    ybar = float(y.mean())
    val = rounding.round_down_bound(
        _value(bound, n=s_low / (1 - ybar**2), ybar=ybar, Gamma=gamma_up), 8)
    return Certificate(bound, checks, val, "exact Gamma by enumerating the arrangement",
                       details={"Gamma": gamma, "sum_z_f": s,
                                "n_1_minus_ybar2": y.size * (1 - ybar**2),
                                "path_norm": float(np.sum(np.abs(inst.net.a)
                                                          * np.linalg.norm(inst.net.W, axis=1)))})
