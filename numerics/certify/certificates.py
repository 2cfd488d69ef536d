r"""Per-instance certificates: the bounds of :mod:`theory.bounds` applied to a
(network, data) pair.

:func:`certify` checks each bound's hypotheses on the instance (exact fit with
an explicit tolerance, separation, data in the ball / on the sphere, rank,
activation, ...) and, when they hold, evaluates the bound — through the
:class:`theory.bounds.Bound` object itself, so a table, a notebook and a
certificate share one expression. A :class:`Certificate` whose hypotheses fail
has ``value=None`` and says why.

Lower bounds on Lipschitz constants come with witnesses the caller can
re-verify: for R1 the pair :math:`(Px_i, Px_j)` (ball) or its lift to the sphere,
as :class:`numerics.lipschitz.l2.Witness` objects.

The numeric pieces are public so that tests and notebooks can check every step:

- :func:`projection_basis`, :func:`r1_chain` (pair certificate, geometry
  inequality, Cauchy--Schwarz, aggregate) and :func:`r1_sphere`;
- :func:`gamma_exact` (:math:`d \le 2`, by enumerating the arrangement),
  :func:`gamma_lower` (any d, a lower estimate by optimization) and
  :func:`r2_monte_carlo`;
- :func:`r3_quantities`.

Every check function takes the :class:`~theory.bounds.Bound` it evaluates as an
argument (default: the registered one), so a deliberately wrong version can be
fed to the same checker.

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> X = np.eye(2); y = np.array([1.0, -1.0])
>>> net = TwoLayerNet([1.0, -1.0], X, [0.0, 0.0], "relu")
>>> certs = {c.bound.key: c for c in certify(net, X, y)}
>>> round(certs["R1.pair"].value, 6)
1.414214
>>> certs["R3"].value is None, certs["R3"].failed()
(True, ['homogeneous_quadratic'])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from numerics._validate import as_finite_float, as_labels, as_matrix, as_positive_int, as_rng
from numerics.domain import Domain
from numerics.lipschitz import Witness
from numerics.models import TwoLayerNet
from theory.bounds import Bound, get_bound
from theory.bounds import delta as tb_delta

__all__ = [
    "CERTIFIERS",
    "Certificate",
    "FIT_TOL",
    "HypothesisCheck",
    "Instance",
    "certify",
    "gamma_exact",
    "gamma_lower",
    "projection_basis",
    "r1_chain",
    "r1_sphere",
    "r1_sphere_aggregate",
    "r2_monte_carlo",
    "r3_quantities",
    "register_certifier",
]

#: Default tolerance of the exact-fit hypothesis: max_i |f(x_i) - y_i| <= FIT_TOL.
FIT_TOL = 1e-6
#: Relative deflation of certified lower bounds computed from formulas
#: (floating-point rounding of norms and sums).
SAFETY = 1e-9


@dataclass(frozen=True)
class HypothesisCheck:
    """Outcome of one hypothesis on one instance: ``ok`` is True/False, or None
    when the hypothesis cannot be checked on one instance (e.g. random labels)."""

    name: str
    ok: bool | None
    reason: str

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "reason": self.reason}


@dataclass
class Certificate:
    """A bound applied to one instance.

    ``value`` is the bound's value (None when a checkable hypothesis fails or
    the instance is degenerate; ``reason`` says why). ``witnesses`` holds
    inspectable evidence (e.g. a :class:`numerics.lipschitz.l2.Witness`).
    ``probability`` is set for bounds that hold with a probability over the
    labels (then ``value`` is what the bound asserts, not a certainty).
    """

    bound: Bound
    hypotheses_met: dict[str, HypothesisCheck]
    value: float | None
    reason: str = ""
    witnesses: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    probability: str | None = None

    def failed(self) -> list[str]:
        """Names of the hypotheses that fail on this instance."""
        return [n for n, h in self.hypotheses_met.items() if h.ok is False]

    @property
    def quantity(self) -> str:
        return self.bound.quantity

    def to_dict(self) -> dict:
        wit = {}
        for k, w in self.witnesses.items():
            if isinstance(w, Witness):
                wit[k] = w.to_dict()
            elif isinstance(w, np.ndarray):
                wit[k] = w.tolist()
            else:
                wit[k] = w
        return {
            "key": self.bound.key,
            "name": self.bound.name,
            "quantity": self.bound.quantity,
            "direction": self.bound.direction,
            "status": self.bound.status,
            "value": self.value,
            "reason": self.reason,
            "hypotheses": {k: h.to_dict() for k, h in self.hypotheses_met.items()},
            "failed": self.failed(),
            "probability": self.probability,
            "witnesses": wit,
            "details": self.details,
        }


# ---------------------------------------------------------------------------
# Projection onto the span of the weights
# ---------------------------------------------------------------------------
def projection_basis(W) -> tuple[np.ndarray, np.ndarray]:
    r"""Orthonormal bases of :math:`\mathrm{range}(W^T)` (the span of the
    neurons' weights) and of its orthogonal complement.

    Rank by numpy's default rule (singular values above
    :math:`\sigma_{max}\max(k, d)\,\epsilon`).

    Returns
    -------
    Q : ndarray (d, r)
        The projection is :math:`P = Q Q^T`.
    N : ndarray (d, d - r)

    Examples
    --------
    >>> Q, N = projection_basis([[1.0, 1.0, 0.0], [2.0, 2.0, 0.0]])
    >>> Q.shape, N.shape
    ((3, 1), (3, 2))
    """
    W = as_matrix(W, "W")
    _, s, Vt = np.linalg.svd(W, full_matrices=True)
    tol = (s.max() if s.size else 0.0) * max(W.shape) * np.finfo(float).eps
    r = int(np.sum(s > tol))
    return Vt[:r].T.copy(), Vt[r:].T.copy()


def _labels_split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.flatnonzero(y > 0), np.flatnonzero(y < 0)


# ---------------------------------------------------------------------------
# R1
# ---------------------------------------------------------------------------
def _pair_sq_dists(A: np.ndarray, B: np.ndarray, *, budget: int = 2_000_000) -> np.ndarray:
    """``||a_i - b_j||^2`` for all rows, from the differences themselves (the
    expanded ``|a|^2 + |b|^2 - 2 a.b`` loses all accuracy for nearby points),
    in row blocks of bounded memory; shape (len(A), len(B))."""
    out = np.empty((A.shape[0], B.shape[0]))
    step = max(1, budget // max(1, B.shape[0] * max(A.shape[1], 1)))
    for s in range(0, A.shape[0], step):
        diff = A[s:s + step, None, :] - B[None, :, :]
        out[s:s + step] = np.einsum("ijk,ijk->ij", diff, diff)
    return out


def r1_chain(net: TwoLayerNet, X, y, *, radius: float = 1.0,
             bounds: Mapping[str, Bound] | None = None) -> dict:
    r"""Every step of the R1 chain on one instance.

    With :math:`P` the projection onto the span of the weights, :math:`r` its rank,
    :math:`\Delta_{ij} = f(x_i) - f(x_j)` over :math:`I_+\times I_-`:

    1. ``pair``: :math:`\max_{ij} \Delta_{ij}/\|P(x_i - x_j)\|` (R1.pair), with
       its witness :math:`(Px_i, Px_j)` in :math:`B_R`;
    2. ``geom_lhs`` :math:`=\sum\|P(x_i-x_j)\|^2` and ``geom_rhs``, the R1.geom
       bound; the step holds iff ``geom_lhs <= geom_rhs``;
    3. ``cs``: :math:`\sum\Delta_{ij}/(\sqrt{n_+n_-}\sqrt{\sum\|P(x_i-x_j)\|^2})`,
       at most ``pair`` (a mean is at most a maximum);
    4. ``aggregate``: :math:`(\Delta_{min}/2)\cdot` R1 (the R1 formula holds with
       :math:`\Delta_{ij}\ge\Delta_{min}` in place of 2), at most ``cs`` when
       :math:`\Delta_{min} > 0`; None otherwise.

    Parameters
    ----------
    net : TwoLayerNet
    X : array_like (n, d)
    y : array_like (n,) of +-1, both labels present
    radius : float
        The ball :math:`B_R` (the pair witness needs :math:`\max\|x_i\|\le R`;
        reported as ``in_ball``).
    bounds : dict, optional
        ``{"R1": ..., "R1.pair": ..., "R1.geom": ...}`` replacing the registered
        bounds (to test wrong versions).

    Returns
    -------
    dict
        keys ``pair, witness, pair_index, geom_lhs, geom_rhs, cs, aggregate,
        delta_min, r, X_op, n_plus, n_minus, in_ball``.

    Examples
    --------
    >>> net = TwoLayerNet([1.0, -1.0], np.eye(2), None, "relu")
    >>> ch = r1_chain(net, [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]], [1.0, -1.0, -1.0])
    >>> bool(ch["geom_lhs"] <= ch["geom_rhs"]), bool(ch["aggregate"] <= ch["cs"] <= ch["pair"])
    (True, True)
    """
    X, y = _check_xy(net, X, y)
    R = as_finite_float(radius, "radius", positive=True)
    b = _bounds(bounds, ("R1", "R1.pair", "R1.geom"))
    ip, im = _labels_split(y)
    if ip.size == 0 or im.size == 0:
        raise ValueError("y: R1 needs both labels")
    Q, _ = projection_basis(net.W)
    r = Q.shape[1]
    f = net(X)
    Z = X @ Q                                       # coordinates of P x_i
    D = f[ip][:, None] - f[im][None, :]             # Delta_ij
    sq = _pair_sq_dists(Z[ip], Z[im])
    dist = np.sqrt(sq)
    x_op = float(np.linalg.norm(X, 2))
    npl, nmi = int(ip.size), int(im.size)
    sizes = {"n": npl + nmi, "d": X.shape[1], "k": net.k, "R": R}
    out = {"r": r, "X_op": x_op, "n_plus": npl, "n_minus": nmi,
           "in_ball": bool(np.max(np.linalg.norm(X, axis=1)) <= R * (1 + 1e-12)),
           "delta_min": float(D.min())}
    scale = 1e-12 * (1.0 + np.abs(Z).max(initial=0.0))
    ok = dist > scale
    pair, wit, idx = 0.0, None, None
    if np.any(ok & (D > 0)):
        ratio = np.where(ok, D / np.where(ok, dist, 1.0), -np.inf)
        a, c = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        i, j = int(ip[a]), int(im[c])
        pts = np.stack([Q @ Z[ip][a], Q @ Z[im][c]])          # P x_i, P x_j
        # the bound's own expression, evaluated at the witness pair's true values
        fv = net(pts)
        dpair = float(np.linalg.norm(pts[0] - pts[1]))
        if dpair > 0 and fv[0] - fv[1] > 0:
            pair = _value(b["R1.pair"], Delta=float(fv[0] - fv[1]), P_dist=dpair)
            pair *= 1 - SAFETY
            wit = Witness("pair", pts, pair)
            idx = (i, j)
    out.update(pair=pair, witness=wit, pair_index=idx)
    out["geom_lhs"] = float(sq.sum())
    out["geom_rhs"] = _value(b["R1.geom"], X_op=x_op, n_plus=npl, n_minus=nmi, r=r, **sizes)
    total = float(sq.sum())
    out["cs"] = (float(D.sum()) / (np.sqrt(npl * nmi) * np.sqrt(total)) * (1 - SAFETY)
                 if total > 0 else None)
    if out["delta_min"] > 0 and r > 0:
        agg = _value(b["R1"], X_op=x_op, n_plus=npl, n_minus=nmi, r=r, **sizes)
        out["aggregate"] = agg * out["delta_min"] / 2 * (1 - SAFETY)
    else:
        out["aggregate"] = None
    return out


def r1_sphere(net: TwoLayerNet, X, y, *, bound: Bound | None = None,
              tol: float = 1e-9) -> dict:
    r"""The sphere version of R1 (data on :math:`S^{d-1}`, :math:`r < d`).

    For each pair :math:`i\in I_+, j\in I_-` with
    :math:`\rho_{ij} = \max(\|Px_i\|,\|Px_j\|) < 1`, the bound (R1.sphere)
    :math:`\Delta_{ij}\sqrt{1-\rho_{ij}^2}/\|P(x_i-x_j)\|`; the best pair is
    returned with a witness on the sphere: the endpoints
    :math:`Px + \sqrt{1-\|Px\|^2}\,e` of the lifted path (e a unit vector
    orthogonal to the weights), whose geodesic quotient is at least the bound.

    Returns
    -------
    dict
        ``value`` (None if no usable pair), ``witness``, ``pair_index``, ``rho``.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0, 0.0]], None, "relu")
    >>> X = np.array([[0.6, 0.8, 0.0], [-0.6, 0.0, 0.8]])
    >>> out = r1_sphere(net, X, [1.0, -1.0])
    >>> round(out["value"], 6), out["witness"].verify(net, Domain.sphere()) >= out["value"]
    (0.4, True)
    """
    X, y = _check_xy(net, X, y)
    bound = get_bound("R1.sphere") if bound is None else bound
    if np.max(np.abs(np.linalg.norm(X, axis=1) - 1)) > tol:
        raise ValueError("X: the sphere version needs rows on the unit sphere")
    Q, N = projection_basis(net.W)
    if N.shape[1] == 0:
        raise ValueError("W: the sphere version needs rank W < d")
    ip, im = _labels_split(y)
    if ip.size == 0 or im.size == 0:
        raise ValueError("y: R1 needs both labels")
    e = N[:, 0]
    Z = X @ Q
    nz = np.linalg.norm(Z, axis=1)
    f = net(X)
    D = f[ip][:, None] - f[im][None, :]
    rho = np.maximum(nz[ip][:, None], nz[im][None, :])
    dist = np.linalg.norm(Z[ip][:, None, :] - Z[im][None, :, :], axis=2)
    ok = (rho < 1 - 1e-12) & (dist > 1e-12) & (D > 0)
    if not np.any(ok):
        return {"value": None, "witness": None, "pair_index": None, "rho": None}
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.where(ok, D * np.sqrt(np.clip(1 - rho**2, 0, None)) / np.where(ok, dist, 1), -1)
    a, c = np.unravel_index(int(np.argmax(val)), val.shape)
    p1, p2 = Q @ Z[ip][a], Q @ Z[im][c]
    lift = np.stack([p1 + np.sqrt(max(1 - p1 @ p1, 0.0)) * e,
                     p2 + np.sqrt(max(1 - p2 @ p2, 0.0)) * e])
    fv = net(lift)
    rho_ij = float(max(np.linalg.norm(p1), np.linalg.norm(p2)))
    dpair = float(np.linalg.norm(p1 - p2))
    if not fv[0] - fv[1] > 0 or rho_ij >= 1 or dpair <= 0:
        return {"value": None, "witness": None, "pair_index": None, "rho": None}
    value = _value(bound, Delta=float(fv[0] - fv[1]), rho=rho_ij, P_dist=dpair) * (1 - SAFETY)
    wit = Witness("pair", Domain.sphere().project(lift), 0.0)
    wval = wit.verify(net, Domain.sphere())
    return {"value": value, "witness": Witness("pair", wit.points, wval),
            "pair_index": (int(ip[a]), int(im[c])), "rho": rho_ij}


# ---------------------------------------------------------------------------
# R2: Gamma
# ---------------------------------------------------------------------------
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
    n, d = X.shape
    if d > 2:
        raise ValueError(f"X: gamma_exact needs d <= 2, got d = {d}")
    Z, single = _as_label_batch(X, z)
    if d == 1:
        U = np.array([[1.0], [-1.0]])
        vals, _ = _gamma_at_directions(X, Z, U)
        best = vals.max(axis=0)
        return float(best[0]) if single else best
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
    return float(best[0]) if single else best


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
        gammas = np.atleast_1d(gamma_exact(X, Zc))
    else:
        gammas = np.array([gamma_lower(X, Zc[:, b], seed=rng, n_starts=n_starts,
                                       iters=iters)["value"] for b in range(n_draws)])
    thr = _value(bound, n=n, delta=delta)
    allowed = 1 - _probability(bound, delta) if bound.probability is not None else 3 * delta
    with np.errstate(divide="ignore"):
        loose = np.where(gammas > 0, thr / np.where(gammas > 0, gammas, 1), np.inf)
    return {"gammas": gammas, "threshold": thr, "fraction_above": float(np.mean(gammas > thr)),
            "allowed": allowed, "looseness": {"median": float(np.median(loose)),
                                                "min": float(np.min(loose))},
            "exact": d <= 2, "n": n, "d": d, "delta": delta, "n_draws": n_draws}


# ---------------------------------------------------------------------------
# R3
# ---------------------------------------------------------------------------
def r3_quantities(net: TwoLayerNet, X, y) -> dict:
    r"""For a homogeneous quadratic network :math:`f(x) = x^TAx`,
    :math:`A = \sum_\ell a_\ell w_\ell w_\ell^T`: ``A``, ``lip_ball``
    :math:`= 2\|A\|_{op}` (exact :math:`\mathrm{Lip}_{B_1}`), ``M_op``
    :math:`=\|X^T\mathrm{diag}(y)X\|_{op}`, ``trace`` :math:`=\mathrm{tr}(AM) =
    \sum_i y_i f(x_i)`, ``nuclear`` :math:`\|A\|_*`, ``rank`` of A.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "power:2")
    >>> q = r3_quantities(net, np.eye(2), [1.0, -1.0])
    >>> q["lip_ball"], q["M_op"], q["trace"]
    (2.0, 1.0, 1.0)
    """
    X, y = _check_xy(net, X, y)
    if net.spec != "power:2" or np.any(net.b != 0):
        raise ValueError("net: R3 needs activation power:2 and zero biases")
    A = (net.W.T * net.a) @ net.W
    A = (A + A.T) / 2
    M = (X.T * y) @ X
    ev = np.linalg.eigvalsh(A)
    return {"A": A, "lip_ball": float(2 * np.max(np.abs(ev))),
            "M_op": float(np.max(np.abs(np.linalg.eigvalsh((M + M.T) / 2)))),
            "trace": float(np.sum(A * M)), "nuclear": float(np.sum(np.abs(ev))),
            "rank": int(np.linalg.matrix_rank(A)), "sum_yf": float(y @ net(X))}


# ---------------------------------------------------------------------------
# Instance context and hypothesis checks
# ---------------------------------------------------------------------------
def _check_xy(net, X, y) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    X = as_matrix(X, "X", cols=net.d)
    y = as_labels(y, "y", size=X.shape[0])
    return X, y


def _probability(bound: Bound, delta: float) -> float:
    """The bound's success probability at this delta (1 when deterministic)."""
    if bound.probability is None:
        return 1.0
    return float(bound.probability.subs(tb_delta, delta))


def _value(bound: Bound, **values: float) -> float:
    """``bound.evaluate`` with the instance's values of the symbols the bound uses
    (an instance knows more quantities than any one bound needs)."""
    used = set(bound.symbols)
    return bound.evaluate(**{k: v for k, v in values.items() if k in used})


def _bounds(bounds, keys) -> dict:
    out = {key: get_bound(key) for key in keys}
    if bounds:
        for key, b in bounds.items():
            if not isinstance(b, Bound):
                raise ValueError(f"bounds: entry {key!r} is not a Bound")
            out[key] = b
    return out


class Instance:
    """A (network, data) pair with cached derived quantities and hypothesis checks.

    Parameters
    ----------
    net : TwoLayerNet
    X, y : data
    radius : float
        Radius R of the ball domain.
    fit_tol : float
        Exact fit holds when :math:`\\max_i |f(x_i) - y_i| \\le` ``fit_tol``.
    sphere_tol : float
        Data are on the sphere when :math:`\\max_i |\\|x_i\\| - 1| \\le` ``sphere_tol``.
    """

    def __init__(self, net: TwoLayerNet, X, y, *, radius: float = 1.0,
                 fit_tol: float = FIT_TOL, sphere_tol: float = 1e-9):
        self.X, self.y = _check_xy(net, X, y)
        self.net = net
        self.radius = as_finite_float(radius, "radius", positive=True)
        self.fit_tol = as_finite_float(fit_tol, "fit_tol", nonnegative=True)
        self.sphere_tol = as_finite_float(sphere_tol, "sphere_tol", nonnegative=True)

    @cached_property
    def f(self) -> np.ndarray:
        return self.net(self.X)

    @cached_property
    def rank(self) -> int:
        return projection_basis(self.net.W)[0].shape[1]

    def check(self, name: str) -> HypothesisCheck:
        """Check one named hypothesis (see :data:`theory.bounds.CHECKABLE_HYPOTHESES`)."""
        X, y, f, net = self.X, self.y, self.f, self.net
        npl, nmi = int(np.sum(y > 0)), int(np.sum(y < 0))
        if name == "exact_fit":
            res = float(np.max(np.abs(f - y)))
            return HypothesisCheck(name, res <= self.fit_tol,
                                   f"max |f(x_i) - y_i| = {res:.3g} (tolerance {self.fit_tol:g})")
        if name == "separation":
            if npl == 0 or nmi == 0:
                return HypothesisCheck(name, False, "only one label present")
            gap = float(f[y > 0].min() - f[y < 0].max())
            need = 2 - 2 * self.fit_tol
            return HypothesisCheck(
                name, gap >= need,
                f"min_{{I+}} f - max_{{I-}} f = {gap:.6g} (need >= {need:g}; the value uses "
                "the actual gap)")
        if name == "both_labels":
            return HypothesisCheck(name, npl > 0 and nmi > 0, f"n+ = {npl}, n- = {nmi}")
        if name == "data_in_ball":
            m = float(np.max(np.linalg.norm(X, axis=1)))
            return HypothesisCheck(name, m <= self.radius * (1 + 1e-12),
                                   f"max ||x_i|| = {m:.6g}, R = {self.radius:g}")
        if name == "data_on_sphere":
            dev = float(np.max(np.abs(np.linalg.norm(X, axis=1) - 1)))
            return HypothesisCheck(name, dev <= self.sphere_tol,
                                   f"max | ||x_i|| - 1 | = {dev:.3g} "
                                   f"(tolerance {self.sphere_tol:g})")
        if name == "rank_deficient":
            return HypothesisCheck(name, self.rank < net.d, f"rank W = {self.rank}, d = {net.d}")
        if name == "relu":
            return HypothesisCheck(name, net.spec == "relu", f"activation {net.spec}")
        if name == "homogeneous_quadratic":
            ok = net.spec == "power:2" and not np.any(net.b != 0)
            return HypothesisCheck(name, ok, f"activation {net.spec}, max |b| = "
                                   f"{float(np.max(np.abs(net.b))):.3g}")
        if name in ("random_labels", "generic_data"):
            return HypothesisCheck(name, None, "assumed; not checkable on one instance")
        return HypothesisCheck(name, None, "no checker for this hypothesis")

    def checks(self, bound: Bound) -> dict[str, HypothesisCheck]:
        return {h.name: self.check(h.name) for h in bound.hypotheses}


# ---------------------------------------------------------------------------
# Certifiers: one per bound key
# ---------------------------------------------------------------------------
def _blocked(bound: Bound, checks: dict) -> Certificate | None:
    failed = [n for n, h in checks.items() if h.ok is False]
    if failed:
        why = "; ".join(f"{n}: {checks[n].reason}" for n in failed)
        return Certificate(bound, checks, None, f"hypotheses fail: {why}")
    return None


def _cert_r1_pair(inst: Instance, bound: Bound) -> Certificate:
    checks = inst.checks(bound)
    blocked = _blocked(bound, checks)
    if blocked:
        return blocked
    ch = r1_chain(inst.net, inst.X, inst.y, radius=inst.radius, bounds={"R1.pair": bound})
    if ch["witness"] is None:
        return Certificate(bound, checks, None, "no pair with f(x_i) > f(x_j) and P x_i != P x_j")
    return Certificate(bound, checks, ch["pair"], "best pair over I+ x I-",
                       witnesses={"pair": ch["witness"], "pair_index": list(ch["pair_index"])},
                       details={"domain": f"ball(R={inst.radius:g})", "r": ch["r"]})


def _cert_r1(inst: Instance, bound: Bound) -> Certificate:
    checks = inst.checks(bound)
    blocked = _blocked(bound, checks)
    if blocked:
        return blocked
    ch = r1_chain(inst.net, inst.X, inst.y, radius=inst.radius, bounds={bound.key: bound}
                  if bound.key == "R1" else {"R1": bound})
    if ch["aggregate"] is None:
        return Certificate(bound, checks, None, "degenerate: r = 0 or min gap <= 0")
    det = {k: ch[k] for k in ("r", "X_op", "n_plus", "n_minus", "delta_min", "geom_lhs",
                              "geom_rhs", "cs", "pair")}
    wits = {"pair": ch["witness"]} if ch["witness"] is not None else {}
    return Certificate(bound, checks, ch["aggregate"],
                       "R1 formula times (min gap)/2; the pair certificate R1.pair dominates it",
                       witnesses=wits, details=det)


def _cert_r1_sphere(inst: Instance, bound: Bound) -> Certificate:
    checks = inst.checks(bound)
    blocked = _blocked(bound, checks)
    if blocked:
        return blocked
    out = r1_sphere(inst.net, inst.X, inst.y, bound=bound, tol=inst.sphere_tol)
    if out["value"] is None:
        return Certificate(bound, checks, None, "no pair with rho_ij < 1 and f(x_i) > f(x_j)")
    return Certificate(bound, checks, out["value"], "best pair; witness lifted to the sphere",
                       witnesses={"pair": out["witness"], "pair_index": list(out["pair_index"])},
                       details={"rho": out["rho"], "domain": "sphere(R=1)"})


def r1_sphere_aggregate(net: TwoLayerNet, X, y, *, bound: Bound | None = None,
                        n_rho: int = 16, tol: float = 1e-9) -> dict:
    r"""The aggregated sphere version of R1, optimized over the threshold :math:`\rho`.

    For a threshold :math:`\rho<1`, keep the points with :math:`\|Px_i\|\le\rho`
    (both labels must remain); on them every pair has :math:`\rho_{ij}\le\rho`, so
    the pair bound, Cauchy--Schwarz and the geometry inequality (with the kept rows'
    :math:`\|X'\|_{op}` and counts :math:`n'_\pm`) give
    :math:`\mathrm{Lip}_S \ge \sqrt{1-\rho^2}\,(\Delta'_{min}/2)\,
    \mathrm{R1}(n'_\pm, \|X'\|_{op}, r)` when :math:`\Delta'_{min} > 0`.
    Thresholds: ``n_rho`` quantiles of :math:`\|Px_i\|` below 1.

    Returns
    -------
    dict
        ``value`` (None if no threshold applies), ``rho``, ``n_plus``, ``n_minus``.

    Examples
    --------
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]], None, "relu")
    >>> X = np.array([[0.1, 0.0, np.sqrt(0.99)], [-0.1, np.sqrt(0.99), 0.0]])
    >>> out = r1_sphere_aggregate(net, X, [1.0, -1.0])
    >>> round(out["value"], 4), out["rho"]
    (0.1143, 0.1)
    """
    X, y = _check_xy(net, X, y)
    bound = get_bound("R1.sphere.agg") if bound is None else bound
    if np.max(np.abs(np.linalg.norm(X, axis=1) - 1)) > tol:
        raise ValueError("X: the sphere version needs rows on the unit sphere")
    Q, N = projection_basis(net.W)
    if N.shape[1] == 0:
        raise ValueError("W: the sphere version needs rank W < d")
    r = Q.shape[1]
    pn = np.linalg.norm(X @ Q, axis=1)
    f = net(X)
    cand = np.unique(np.quantile(pn[pn < 1 - 1e-12], np.linspace(0, 1, n_rho))
                     if np.any(pn < 1 - 1e-12) else np.array([]))
    best = {"value": None, "rho": None, "n_plus": None, "n_minus": None}
    for rho_t in cand:             # n_rho thresholds, each vectorized over the points
        keep = pn <= rho_t
        yp, ym = keep & (y > 0), keep & (y < 0)
        if not (np.any(yp) and np.any(ym)):
            continue
        dmin = float(f[yp].min() - f[ym].max())
        if dmin <= 0 or r == 0:
            continue
        xop = float(np.linalg.norm(X[keep], 2))
        v = _value(bound, rho=float(rho_t), X_op=xop, n_plus=int(yp.sum()),
                   n_minus=int(ym.sum()), r=r) * dmin / 2 * (1 - SAFETY)
        if best["value"] is None or v > best["value"]:
            best = {"value": v, "rho": float(rho_t), "n_plus": int(yp.sum()),
                    "n_minus": int(ym.sum())}
    return best


def _cert_r1_sphere_agg(inst: Instance, bound: Bound) -> Certificate:
    checks = inst.checks(bound)
    blocked = _blocked(bound, checks)
    if blocked:
        return blocked
    out = r1_sphere_aggregate(inst.net, inst.X, inst.y, bound=bound, tol=inst.sphere_tol)
    if out["value"] is None:
        return Certificate(bound, checks, None, "no threshold rho < 1 keeps both labels "
                           "with a positive gap")
    return Certificate(bound, checks, out["value"],
                       "optimized over rho; the pair certificate R1.sphere dominates it",
                       details=out)


def _cert_r2(inst: Instance, bound: Bound, delta: float) -> Certificate:
    checks = inst.checks(bound)
    blocked = _blocked(bound, checks)
    if blocked:
        return blocked
    y = inst.y
    val = _value(bound, ybar=float(y.mean()), n=y.size, k=inst.net.k, delta=delta)
    lip_op = float(np.linalg.norm(inst.net.a) * np.linalg.norm(inst.net.W, 2))
    prob = _probability(bound, delta)
    return Certificate(bound, checks, val,
                       f"holds with probability >= {prob:g} over the labels (delta = {delta:g})",
                       details={"delta": delta, "a2_Wop": lip_op},
                       probability=f"{bound.probability} = {prob:g}")


def _cert_r2_inst(inst: Instance, bound: Bound) -> Certificate:
    checks = inst.checks(bound)
    blocked = _blocked(bound, checks)
    if blocked:
        return blocked
    if inst.net.d > 2:
        return Certificate(bound, checks, None,
                           f"Gamma is computed exactly only for d <= 2 (d = {inst.net.d}); "
                           "a lower estimate of Gamma would not give a bound")
    y, f = inst.y, inst.f
    z = y - y.mean()
    gamma = float(gamma_exact(inst.X, z))
    s = float(z @ f)        # = n (1 - ybar^2) under exact fit
    if gamma <= 0 or s <= 0:
        return Certificate(bound, checks, None, "degenerate: Gamma = 0 or sum z_i f(x_i) <= 0")
    # the identity holds for the actual values: evaluate the bound with n(1-ybar^2) -> s
    ybar = float(y.mean())
    val = _value(bound, n=s / (1 - ybar**2), ybar=ybar, Gamma=gamma) * (1 - SAFETY)
    return Certificate(bound, checks, val, "exact Gamma by enumerating the arrangement",
                       details={"Gamma": gamma, "sum_z_f": s,
                                "n_1_minus_ybar2": y.size * (1 - ybar**2),
                                "path_norm": float(np.sum(np.abs(inst.net.a)
                                                          * np.linalg.norm(inst.net.W, axis=1)))})


def _cert_r3(inst: Instance, bound: Bound) -> Certificate:
    checks = inst.checks(bound)
    blocked = _blocked(bound, checks)
    if blocked:
        return blocked
    q = r3_quantities(inst.net, inst.X, inst.y)
    if q["M_op"] <= 0 or q["sum_yf"] <= 0:
        return Certificate(bound, checks, None, "degenerate: M = 0 or sum y_i f(x_i) <= 0")
    # tr(AM) = sum y_i f(x_i) (= n under exact fit): use the actual value
    val = _value(bound, n=q["sum_yf"], k=inst.net.k, d=inst.net.d, M_op=q["M_op"])
    return Certificate(bound, checks, val * (1 - SAFETY),
                       "with sum_i y_i f(x_i) (= n under exact fit) in place of n",
                       details={k: q[k] for k in ("lip_ball", "M_op", "trace", "rank")})


#: key -> certifier(instance, bound, **options) -> Certificate. Other modules may add
#: theirs with :func:`register_certifier`.
CERTIFIERS: dict[str, Callable] = {
    "R1.pair": lambda inst, b, **kw: _cert_r1_pair(inst, b),
    "R1": lambda inst, b, **kw: _cert_r1(inst, b),
    "R1.sphere": lambda inst, b, **kw: _cert_r1_sphere(inst, b),
    "R1.sphere.agg": lambda inst, b, **kw: _cert_r1_sphere_agg(inst, b),
    "R1.op": lambda inst, b, **kw: _cert_r1(inst, b),
    "R2": lambda inst, b, **kw: _cert_r2(inst, b, kw.get("delta", 0.05)),
    "R2.sharp": lambda inst, b, **kw: _cert_r2(inst, b, kw.get("delta", 0.05)),
    "R2.inst": lambda inst, b, **kw: _cert_r2_inst(inst, b),
    "R3": lambda inst, b, **kw: _cert_r3(inst, b),
}


def register_certifier(key: str, fn: Callable) -> None:
    """Add a certifier ``fn(instance, bound, **options) -> Certificate`` for the
    bound with this key (ValueError naming ``key`` on a duplicate)."""
    if key in CERTIFIERS:
        raise ValueError(f"key: a certifier for {key!r} already exists")
    CERTIFIERS[key] = fn


def certify(net: TwoLayerNet, X, y, *, radius: float = 1.0, fit_tol: float = FIT_TOL,
            delta: float = 0.05, bounds: list[Bound] | None = None) -> list[Certificate]:
    r"""Apply every bound that has a certifier to the instance ``(net, X, y)``.

    Parameters
    ----------
    net : TwoLayerNet
    X : array_like (n, d)
    y : array_like (n,) of +-1
    radius : float
        Ball radius R for the ball bounds (data must satisfy
        :math:`\|x_i\|\le R`, checked).
    fit_tol : float
        Tolerance of the exact-fit hypothesis (explicit in every output).
    delta : float
        Confidence parameter of the probabilistic bound R2, in (0, 1/3).
    bounds : list of Bound, optional
        Bounds to apply (default: every registered bound with a certifier);
        a bound without a certifier raises ValueError naming ``bounds``.

    Returns
    -------
    list of Certificate
        One per bound, in registry order.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "relu")
    >>> c = certify(net, np.eye(2), [1.0, -1.0])[0]
    >>> c.bound.key, c.value is None, c.failed()
    ('R1', True, ['separation'])
    """
    from theory.bounds import all_bounds

    inst = Instance(net, X, y, radius=radius, fit_tol=fit_tol)
    delta = as_finite_float(delta, "delta", positive=True)
    if not delta < 1 / 3:
        raise ValueError(f"delta: must be in (0, 1/3), got {delta}")
    if bounds is None:
        todo = [b for b in all_bounds() if b.key in CERTIFIERS]
    else:
        todo = list(bounds)
        for b in todo:
            if not isinstance(b, Bound) or b.key.rstrip("'") not in CERTIFIERS:
                raise ValueError(f"bounds: no certifier for {getattr(b, 'key', b)!r}")
    return [CERTIFIERS[b.key.rstrip("'")](inst, b, delta=delta) for b in todo]
