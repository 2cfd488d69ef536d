r"""Projection bounds R1 (docs/mathematics.md#r1-projection-bound) and their sphere
versions (docs/mathematics.md#r1-sphere), per instance.

With :math:`P` the projection onto the span of the weights (:func:`projection_basis`):

- :func:`r1_chain`: every step of the R1 chain (pair certificate, geometry inequality,
  Cauchy--Schwarz, aggregate), each inspectable;
- :func:`r1_sphere`: the pair bound on :math:`S^{d-1}`, with a witness lifted to the
  sphere; :func:`r1_sphere_aggregate`: its aggregate, optimized over the threshold.

Lower bounds come with witnesses the caller can re-verify: the pair
:math:`(Px_i, Px_j)` (ball) or its lift to the sphere, as
:class:`numerics.lipschitz.Witness` objects. The certifiers of ``R1.pair``, ``R1``,
``R1.op``, ``R1.sphere`` and ``R1.sphere.agg`` register with
:func:`numerics.certify.prologue.certifier`.

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> net = TwoLayerNet([1.0, -1.0], np.eye(2), None, "relu")
>>> ch = r1_chain(net, np.eye(2), [1.0, -1.0])
>>> round(ch["pair"], 6), ch["witness"].kind
(1.414214, 'pair')
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from numerics import rounding
from numerics._validate import as_finite_float, as_positive_int
from numerics.certify.prologue import (
    Certificate,
    Instance,
    _basis,
    _bounds,
    _check_xy,
    _labels_split,
    _value,
    certifier,
    dominated,
)
from numerics.domain import Domain
from numerics.lipschitz import Witness
from numerics.models import TwoLayerNet
from theory.bounds import Bound, get_bound

__all__ = ["r1_chain", "r1_sphere", "r1_sphere_aggregate"]

_R1_KEYS = ("R1", "R1.pair", "R1.geom")


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
    if not (np.any(y > 0) and np.any(y < 0)):
        raise ValueError("y: R1 needs both labels")
    return _r1_chain(net, X, y, R, b, _basis(net.W)[0], net(X))


def _r1_chain(net: TwoLayerNet, X: np.ndarray, y: np.ndarray, R: float, b: dict,
              Q: np.ndarray, f: np.ndarray) -> dict:
    """:func:`r1_chain` on a validated instance with both labels: ``Q`` the basis of the
    span of the weights, ``f`` the network's values on X, ``b`` the three bounds."""
    ip, im = _labels_split(y)
    r = Q.shape[1]
    Z = X @ Q                                       # coordinates of P x_i
    e = rounding.value_error(net, X)[1]
    # certified lower bounds of the true Delta_ij (computed values minus their error bounds)
    D = rounding.down(f[ip][:, None] - f[im][None, :]) - rounding.up(e[ip][:, None]
                                                                       + e[im][None, :])
    sq = _pair_sq_dists(Z[ip], Z[im])
    dist = np.sqrt(sq)
    x_op = rounding.certified_operator_norm(X)     # certified >= ||X||_op
    npl, nmi = int(ip.size), int(im.size)
    sizes = {"n": npl + nmi, "d": X.shape[1], "k": net.k, "R": R}
    out = {"r": r, "X_op": x_op, "n_plus": npl, "n_minus": nmi,
           "in_ball": bool(np.all(rounding.in_ball(X, R))),
           "delta_min": float(D.min())}
    scale = 1e-12 * (1.0 + np.abs(Z).max(initial=0.0))
    ok = dist > scale
    pair, wit, idx = 0.0, None, None
    if np.any(ok & (D > 0)):
        ratio = np.where(ok, D / np.where(ok, dist, 1.0), -np.inf)
        a, c = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        i, j = int(ip[a]), int(im[c])
        # P x_i, P x_j, moved strictly inside the ball where their norm is not certified
        pts = rounding.into_ball(np.stack([Q @ Z[ip][a], Q @ Z[im][c]]), R)
        # the certified quotient at the witness pair, (|f^(p) - f^(p')| - error bounds) /
        # (distance rounded up) (docs/mathematics.md#rounding), passed through the bound's own
        # expression Delta / P_dist in normalized form (Delta = quotient, P_dist = 1), so that a
        # wrong expression is caught by the same checker and the value equals the witness's
        q = float(rounding.certified_pair_quotients(net, pts[:1], pts[1:], 2.0,
                                                    Domain.ball(R))[0])
        if q > 0 and net(pts[:1])[0] > net(pts[1:])[0]:
            pair = _value(b["R1.pair"], Delta=q, P_dist=1.0)
            wit = Witness("pair", pts, pair)
            idx = (i, j)
    out.update(pair=pair, witness=wit, pair_index=idx)
    out["geom_lhs"] = float(sq.sum())
    out["geom_rhs"] = _value(b["R1.geom"], X_op=x_op, n_plus=npl, n_minus=nmi, r=r, **sizes)
    total = float(sq.sum())
    # the quotient's own rounding (a few flops plus the sum of squares): gamma_m margin
    out["cs"] = (float(D.sum()) / (np.sqrt(npl * nmi) * np.sqrt(total))
                 * (1 - rounding.gamma(npl * nmi + 16)) if total > 0 else None)
    if out["delta_min"] > 0 and r > 0:
        agg = _value(b["R1"], X_op=x_op, n_plus=npl, n_minus=nmi, r=r, **sizes)
        agg = rounding.round_down_bound(agg * out["delta_min"] / 2, 32)
        # the formula's derivation assumes the exact projection P and rank r; in floats
        # it is certified by domination: the witnessed pair quotient is a certified lower
        # bound, and in exact arithmetic aggregate <= cs <= pair (docs/mathematics.md#rounding)
        out["aggregate"], out["aggregate_reason"] = dominated(agg, pair)
    else:
        out["aggregate"], out["aggregate_reason"] = None, "degenerate: r = 0 or min gap <= 0"
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
    _sphere_args(net, X, y, tol)
    return _r1_sphere(net, X, y, bound, _basis(net.W), net(X))


def _sphere_args(net: TwoLayerNet, X: np.ndarray, y: np.ndarray, tol: float) -> None:
    """The hypotheses of the sphere versions, as ValueErrors for the public functions."""
    if np.max(np.abs(np.linalg.norm(X, axis=1) - 1)) > tol:
        raise ValueError("X: the sphere version needs rows on the unit sphere")
    if _basis(net.W)[1].shape[1] == 0:
        raise ValueError("W: the sphere version needs rank W < d")
    if not (np.any(y > 0) and np.any(y < 0)):
        raise ValueError("y: R1 needs both labels")


def _r1_sphere(net: TwoLayerNet, X: np.ndarray, y: np.ndarray, bound: Bound,
               basis: tuple[np.ndarray, np.ndarray], f: np.ndarray) -> dict:
    """:func:`r1_sphere` on a validated instance on the sphere with rank W < d."""
    Q, N = basis
    ip, im = _labels_split(y)
    e = N[:, 0]
    Z = X @ Q
    nz = np.linalg.norm(Z, axis=1)
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
    formula = rounding.round_down_bound(
        _value(bound, Delta=float(fv[0] - fv[1]), rho=rho_ij, P_dist=dpair), 16)
    wit = Witness("pair", Domain.sphere().project(lift), 0.0)
    wval = wit.verify(net, Domain.sphere())
    # certified by domination: the witness's verified geodesic quotient (rounded down by
    # its error bound) is a lower bound, and in exact arithmetic it is >= the formula
    value, why = dominated(formula, wval)
    if value is None:
        return {"value": None, "witness": None, "pair_index": None, "rho": None, "reason": why}
    return {"value": value, "witness": Witness("pair", wit.points, wval),
            "pair_index": (int(ip[a]), int(im[c])), "rho": rho_ij}


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
    if _basis(net.W)[1].shape[1] == 0:
        raise ValueError("W: the sphere version needs rank W < d")
    n_rho = as_positive_int(n_rho, "n_rho")
    return _r1_sphere_aggregate(net, X, y, bound, _basis(net.W), net(X), n_rho)


def _r1_sphere_aggregate(net: TwoLayerNet, X: np.ndarray, y: np.ndarray, bound: Bound,
                         basis: tuple[np.ndarray, np.ndarray], f: np.ndarray,
                         n_rho: int) -> dict:
    """:func:`r1_sphere_aggregate` on a validated instance (basis: of the span of W and
    of its complement). Certified by domination: the formula assumes the exact projection,
    so its value is capped by the witnessed sphere pair bound (:func:`r1_sphere`), which
    dominates it in exact arithmetic."""
    Q = basis[0]
    r = Q.shape[1]
    best = {"value": None, "rho": None, "n_plus": None, "n_minus": None}
    if not (np.any(y > 0) and np.any(y < 0)):
        return best
    cap = _r1_sphere(net, X, y, get_bound("R1.sphere"), basis, f)["value"]
    if cap is None:
        return dict(best, reason="no witnessed sphere pair bound to certify it")
    pn = np.linalg.norm(X @ Q, axis=1)
    cand = np.unique(np.quantile(pn[pn < 1 - 1e-12], np.linspace(0, 1, n_rho))
                     if np.any(pn < 1 - 1e-12) else np.array([]))
    for rho_t in cand:             # n_rho thresholds, each vectorized over the points
        keep = pn <= rho_t
        yp, ym = keep & (y > 0), keep & (y < 0)
        if not (np.any(yp) and np.any(ym)):
            continue
        dmin = float(f[yp].min() - f[ym].max())
        if dmin <= 0 or r == 0:
            continue
        xop = rounding.certified_operator_norm(X[keep])
        v = rounding.round_down_bound(_value(bound, rho=float(rho_t), X_op=xop,
                                             n_plus=int(yp.sum()), n_minus=int(ym.sum()),
                                             r=r) * dmin / 2, 32)
        if best["value"] is None or v > best["value"]:
            best = {"value": v, "rho": float(rho_t), "n_plus": int(yp.sum()),
                    "n_minus": int(ym.sum())}
    if best["value"] is not None:
        best["value"], why = dominated(best["value"], cap)
        if why:
            best["reason"] = why
    return best


@certifier("R1.pair")
def _cert_r1_pair(inst: Instance, bound: Bound, checks: dict, **options) -> Certificate:
    ch = _r1_chain(inst.net, inst.X, inst.y, inst.radius, _bounds({"R1.pair": bound}, _R1_KEYS),
                   inst.basis[0], inst.f)
    if ch["witness"] is None:
        return Certificate(bound, checks, None, "no pair with f(x_i) > f(x_j) and P x_i != P x_j")
    return Certificate(bound, checks, ch["pair"], "best pair over I+ x I-",
                       witnesses={"pair": ch["witness"], "pair_index": list(ch["pair_index"])},
                       details={"domain": f"ball(R={inst.radius:g})", "r": ch["r"]})


@certifier("R1", "R1.op")
def _cert_r1(inst: Instance, bound: Bound, checks: dict, **options) -> Certificate:
    ch = _r1_chain(inst.net, inst.X, inst.y, inst.radius, _bounds({"R1": bound}, _R1_KEYS),
                   inst.basis[0], inst.f)
    if ch["aggregate"] is None:
        return Certificate(bound, checks, None, ch["aggregate_reason"])
    det = {k: ch[k] for k in ("r", "X_op", "n_plus", "n_minus", "delta_min", "geom_lhs",
                              "geom_rhs", "cs", "pair")}
    wits = {"pair": ch["witness"]} if ch["witness"] is not None else {}
    return Certificate(bound, checks, ch["aggregate"],
                       "R1 formula times (min gap)/2; the pair certificate R1.pair dominates it",
                       witnesses=wits, details=det)


@certifier("R1.sphere")
def _cert_r1_sphere(inst: Instance, bound: Bound, checks: dict, **options) -> Certificate:
    out = _r1_sphere(inst.net, inst.X, inst.y, bound, inst.basis, inst.f)
    if out["value"] is None:
        return Certificate(bound, checks, None, out.get("reason", "no pair with rho_ij < 1 "
                                                        "and f(x_i) > f(x_j)"))
    return Certificate(bound, checks, out["value"], "best pair; witness lifted to the sphere",
                       witnesses={"pair": out["witness"], "pair_index": list(out["pair_index"])},
                       details={"rho": out["rho"], "domain": "sphere(R=1)"})


@certifier("R1.sphere.agg")
def _cert_r1_sphere_agg(inst: Instance, bound: Bound, checks: dict, **options) -> Certificate:
    out = _r1_sphere_aggregate(inst.net, inst.X, inst.y, bound, inst.basis, inst.f, 16)
    if out["value"] is None:
        return Certificate(bound, checks, None, out.get("reason", "no threshold rho < 1 keeps "
                                                        "both labels with a positive gap"))
    return Certificate(bound, checks, out["value"],
                       "optimized over rho; the pair certificate R1.sphere dominates it",
                       details=out)
