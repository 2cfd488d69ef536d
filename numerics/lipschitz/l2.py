r"""Lipschitz constants of two-layer networks, bracketed from both sides.

For :math:`f(x) = \sum_\ell a_\ell \psi(w_\ell\cdot x + b_\ell)` and a domain
:math:`\Omega` (:math:`\mathbb R^d`, the ball :math:`B_R`, or the sphere
:math:`R S^{d-1}` with its geodesic metric; see :mod:`numerics.domain`):

**Certified lower bounds** (each attained by a witness the caller can inspect
and re-verify with :meth:`Witness.verify`):

- the best data-pair quotient :math:`|f(x_i) - f(x_j)| / \mathrm{dist}_\Omega(x_i, x_j)`;
- the largest effective gradient norm :math:`\|\nabla_\Omega f(x)\|` found by a
  batched projected ascent from many starts (data points and random points).
  For piecewise-linear activations the ascent runs on a smoothed surrogate
  (:math:`\psi'` replaced by a sigmoid of width :math:`\tau`, with continuation
  :math:`\tau \to 0`) followed by a local search over neighbouring activation
  patterns; the certified value is always the *true* gradient norm at a point
  strictly inside a linear region (where :math:`f` is differentiable).

**Certified upper bounds** (proved in the docstrings of the functions below):
spectral :math:`\|W\|_{op}\|a\odot L\|_2`, path norm
:math:`\sum_\ell |a_\ell| L_\ell \|w_\ell\|`, and the domain-aware centred bound
:math:`\|W^T(a\odot m)\| + \|W\|_{op}\|a\odot h\|_2` where
:math:`[m_\ell - h_\ell, m_\ell + h_\ell]` is the range of :math:`\psi'` on the
pre-activations neuron :math:`\ell` takes on the domain (so ReLU neurons that
never switch on in the domain drop out and neurons on everywhere merge into a
linear term).

**Exact values** for piecewise-linear activations (relu, leaky relu, abs) with
:math:`d \le 3`, by enumerating the linear regions of the hyperplane
arrangement that meet the domain (:func:`exact_relu_lipschitz`).

Everything is gathered in one :class:`LipschitzReport` by :func:`lipschitz_report`.

Examples
--------
>>> from numerics.models import TwoLayerNet
>>> from numerics.domain import Domain
>>> net = TwoLayerNet([2.0], [[3.0, 4.0]], [0.0], "relu")
>>> rep = lipschitz_report(net, Domain.ball(1.0), seed=0)
>>> round(rep.lower, 9), round(rep.upper, 9), round(rep.exact, 9)
(10.0, 10.0, 10.0)
"""

from __future__ import annotations

import functools
import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from numerics._validate import as_matrix, as_positive_int, as_rng
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = [
    "ExactResult",
    "LipschitzReport",
    "Witness",
    "centered_upper_bound",
    "exact_relu_lipschitz",
    "gradient_lower_bound",
    "lipschitz_report",
    "pair_lower_bound",
    "path_norm_upper_bound",
    "region_gradients",
    "relu_domain_upper_bound",
    "slope_ranges",
    "spectral_upper_bound",
]

#: Relative safety factor applied to certified lower bounds (floating-point
#: rounding in a gradient or quotient evaluation is far below it).
LOWER_SAFETY = 1e-12
#: Relative inflation applied to certified upper bounds for the same reason.
UPPER_SAFETY = 1e-12


def _check_net(net) -> TwoLayerNet:
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    return net


def _check_domain(domain, d: int) -> Domain:
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    if domain.kind == "sphere" and d < 2:
        raise ValueError("domain: the sphere needs d >= 2 (S^0 has no geodesic metric)")
    return domain


# ---------------------------------------------------------------------------
# Witnesses
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Witness:
    r"""Evidence for a certified lower bound.

    ``kind='pair'``: ``points`` (2, d); the bound is
    :math:`|f(x_1) - f(x_2)|/\mathrm{dist}_\Omega(x_1, x_2)`.
    ``kind='point'``: ``points`` (1, d), a point of the domain where ``f`` is
    differentiable; the bound is :math:`\|\nabla_\Omega f(x)\|`.
    """

    kind: str
    points: np.ndarray
    value: float

    def verify(self, net: TwoLayerNet, domain: Domain) -> float:
        """Recompute the witnessed quantity from scratch (raises ValueError if
        the witness is not in the domain, or, for a piecewise-linear point
        witness, lies on a kink)."""
        P = np.asarray(self.points, dtype=float)
        if not np.all(domain.contains(P)):
            raise ValueError("witness: point(s) outside the domain")
        if self.kind == "pair":
            dist = float(domain.distance(P[:1], P[1:])[0])
            if dist <= 0:
                raise ValueError("witness: the two points coincide")
            return float(abs(net(P[:1])[0] - net(P[1:])[0]) / dist)
        if self.kind == "point":
            if net.activation.is_piecewise_linear and _kink_margin(net, P)[0] <= 0:
                raise ValueError("witness: the point lies on a kink of the network")
            G = domain.effective_gradient(P, net.gradient(P))
            return float(np.linalg.norm(G[0]))
        raise ValueError(f"witness: unknown kind {self.kind!r}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": self.points.tolist(), "value": self.value}


def _kink_margin(net: TwoLayerNet, P: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest kink hyperplane of a
    piecewise-linear network (inf when there is none), shape (m,)."""
    norms = np.linalg.norm(net.W, axis=1)
    live = norms > 0
    if not np.any(live):
        return np.full(P.shape[0], np.inf)
    Z = P @ net.W[live].T + net.b[live]
    return np.min(np.abs(Z) / norms[live], axis=1)


# ---------------------------------------------------------------------------
# Lower bounds
# ---------------------------------------------------------------------------
def _euclidean(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """All Euclidean distances between rows of A and of B, shape (len(A), len(B))."""
    return np.sqrt(np.maximum(np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :]
                              - 2 * A @ B.T, 0.0))


def best_pair_quotient(f: np.ndarray, X: np.ndarray, dist, *,
                       chunk: int = 2048) -> tuple[float, int, int]:
    r"""The pair maximizing :math:`|f_i - f_j| / \mathrm{dist}(x_i, x_j)`, in row
    blocks of ``chunk``: returns ``(quotient, i, j)``, ``(0.0, -1, -1)`` when no
    pair of distinct points has a positive quotient. ``dist(A, B)`` gives all
    distances between rows of A and B. The quotient is a float search value;
    callers certify by recomputing it on the returned pair.

    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> q, i, j = best_pair_quotient(np.array([0.0, 2.0, 3.0]), X, _euclidean)
    >>> round(q, 9), sorted((i, j))
    (2.0, [0, 1])
    """
    best, bi, bj = 0.0, -1, -1
    for s in range(0, X.shape[0], chunk):
        A = X[s:s + chunk]
        D = dist(A, X)
        num = np.abs(f[s:s + chunk, None] - f[None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            Q = np.where(D > 1e-12 * (1 + np.abs(A).max()), num / D, 0.0)
        idx = np.unravel_index(np.argmax(Q), Q.shape)
        if Q[idx] > best:
            best, bi, bj = float(Q[idx]), s + int(idx[0]), int(idx[1])
    return best, bi, bj


def pair_lower_bound(net: TwoLayerNet, X, domain: Domain, *,
                     chunk: int = 2048) -> tuple[float, Witness | None]:
    r"""Best data-pair quotient :math:`\max_{i \ne j} |f(x_i) - f(x_j)| /
    \mathrm{dist}_\Omega(x_i, x_j)`, a certified lower bound on
    :math:`\mathrm{Lip}_\Omega(f)`.

    Only rows of ``X`` in the domain are used (on the sphere, rows are first
    normalized to it; the witness holds the normalized points). Returns
    ``(0.0, None)`` when fewer than two distinct usable points remain.

    Parameters
    ----------
    net : TwoLayerNet
    X : array_like, shape (n, d)
    domain : Domain

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "relu")
    >>> val, w = pair_lower_bound(net, [[1.0, 0.0], [0.0, 1.0]], Domain.rd())
    >>> round(val, 6), w.kind
    (0.707107, 'pair')
    """
    net = _check_net(net)
    domain = _check_domain(domain, net.d)
    X = as_matrix(X, "X", cols=net.d)
    if domain.kind == "sphere":
        X = domain.project(X)
    else:
        X = X[domain.contains(X, tol=0.0)]
    if X.shape[0] < 2:
        return 0.0, None
    if domain.kind == "sphere":
        R = domain.radius

        def dist(A, B):
            return 2 * R * np.arcsin(np.clip(_euclidean(A, B) / (2 * R), 0.0, 1.0))
    else:
        dist = _euclidean
    best, bi, bj = best_pair_quotient(net(X), X, dist, chunk=chunk)
    if bi < 0:
        return 0.0, None
    w = Witness("pair", np.stack([X[bi], X[bj]]), 0.0)
    val = w.verify(net, domain) * (1 - LOWER_SAFETY)  # recomputed on the exact pair
    return val, Witness("pair", w.points, val)


def _effective_norms(net: TwoLayerNet, domain: Domain, P: np.ndarray) -> np.ndarray:
    G = domain.effective_gradient(P, net.gradient(P))
    return np.linalg.norm(G, axis=1)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _ascent(net: TwoLayerNet, domain: Domain, P: np.ndarray, *, steps: int,
            rng: np.random.Generator) -> np.ndarray:
    """Projected normalized ascent of the (smoothed) effective gradient norm.

    For piecewise-linear activations the slope is replaced by
    ``lo + (hi - lo) * sigmoid(z / tau)`` with ``tau`` shrinking geometrically
    from the typical pre-activation scale; for smooth activations the true
    Hessian-vector product is used. Returns the final points (m, d); the
    caller evaluates the true objective.
    """
    W, a, b = net.W, net.a, net.b
    pl = net.activation.is_piecewise_linear
    if pl:
        lo = float(net.activation.numeric_derivative(np.array(-1.0)))
        hi = float(net.activation.numeric_derivative(np.array(1.0)))
    d2 = None if pl else _second_derivative(net)
    scale = float(np.median(np.abs(P @ W.T + b))) + 1e-12
    xscale = float(np.median(np.linalg.norm(P, axis=1))) + 1e-12
    step = np.full(P.shape[0], 0.25 * xscale)
    best_val = _effective_norms(net, domain, P)
    best_P = P.copy()
    for it in range(steps):
        tau = scale * (0.5 ** (8 * it / max(steps - 1, 1))) if pl else None
        Z = P @ W.T + b
        if pl:
            s = _sigmoid(Z / tau)
            slope = lo + (hi - lo) * s
            dslope = (hi - lo) * s * (1 - s) / tau
        else:
            slope = net.activation.numeric_derivative(Z)
            dslope = d2(Z)
        Gf = (slope * a) @ W
        G = domain.effective_gradient(P, Gf)
        # d/dx ||G||^2 / 2 = W^T (a * dslope * (W G)); on the sphere
        # ||P_x G||^2 = ||G||^2 - (G.x)^2 / R^2 adds -(G.x) G / R^2
        D = ((a * dslope) * (G @ W.T)) @ W
        if domain.kind == "sphere":
            D = D - (np.sum(Gf * P, axis=1) / domain.radius**2)[:, None] * Gf
            D = domain.effective_gradient(P, D)
        with np.errstate(over="ignore", invalid="ignore"):
            nd = np.linalg.norm(D, axis=1, keepdims=True)
        good = np.isfinite(nd) & (nd > 0)  # overflowed directions: random nudge instead
        dirn = np.where(good, np.where(good, D, 0.0) / np.where(good, nd, 1.0),
                        rng.standard_normal(D.shape) * 1e-3)
        Pn = domain.project(P + step[:, None] * dirn)
        val = _effective_norms(net, domain, Pn)
        better = val >= best_val
        best_P[better] = Pn[better]
        best_val = np.maximum(best_val, val)
        step = np.where(better, step * 1.2, step * 0.6)
        step = np.maximum(step, 1e-6 * xscale)
        P = Pn
    return best_P


def _second_derivative(net: TwoLayerNet):
    import sympy as sp

    from theory.activations import t

    f = sp.lambdify(t, net.activation.second_derivative, modules="numpy")

    def d2(Z):
        # only steers the search (never a certified value): where the direct
        # formula overflows (softplus'' = beta e^{beta t}/(1 + e^{beta t})^2 at
        # large t gives inf/inf), the true value is ~0
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.broadcast_to(np.asarray(f(Z), dtype=float), Z.shape)
        return np.where(np.isfinite(out), out, 0.0)

    return d2


def _first_crossings(Z: np.ndarray, Dv: np.ndarray, b: np.ndarray, domain: Domain,
                     xv: np.ndarray, x2: np.ndarray):
    """Parameters of the first two kink crossings along rays (straight lines, or
    great circles on the sphere) from points with pre-activations ``Z`` (m, 1, k)
    in directions with ``Dv = v.W^T`` (m, q, k); also the parameter where the
    ray leaves a ball. Returns (t1, t2, t_exit), each (m, q)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if domain.kind == "sphere":
            R = domain.radius
            A = np.broadcast_to(Z - b, Dv.shape)  # w.x
            B = R * Dv  # R w.v
            rho = np.sqrt(A**2 + B**2)
            phi = np.arctan2(B, A)
            c = np.arccos(np.clip(-b / rho, -1.0, 1.0))
            ok = np.abs(b) <= rho
            T = np.stack([np.mod(phi + c, 2 * np.pi), np.mod(phi - c, 2 * np.pi)])
            T = np.where(ok & (T > 1e-12), T, np.inf).min(axis=0)
            t_exit = np.full(Dv.shape[:2], np.pi)
        else:
            T = -Z / Dv
            T = np.where(T > 0, T, np.inf)
            if domain.kind == "ball":
                disc = xv**2 - (x2 - domain.radius**2)
                t_exit = -xv + np.sqrt(np.maximum(disc, 0.0))
            else:
                t_exit = np.full(Dv.shape[:2], np.inf)
    part = np.partition(T, 1, axis=2) if T.shape[2] > 1 else np.concatenate(
        [T, np.full_like(T, np.inf)], axis=2)
    return part[..., 0], part[..., 1], t_exit


def _ray_polish(net: TwoLayerNet, domain: Domain, P: np.ndarray, *, rounds: int,
                rng: np.random.Generator, n_dir: int = 8, max_near: int = 64,
                objective=None) -> np.ndarray:
    """Local search over neighbouring linear regions (piecewise-linear nets).

    From each point, shoot rays along +-w_l (for the ``max_near`` nearest
    kinks) and a few random directions (tangent great circles on the
    sphere); just past the first kink crossed
    lies a neighbouring region (the crossing is a facet of the current one).
    Move each point to its best neighbour while that strictly improves the
    objective: the effective gradient norm by default, or ``objective(P) ->
    (m,)`` (e.g. a dual norm of the gradient, :mod:`numerics.lipschitz.lp`).
    """
    if objective is None:
        def objective(Q):
            return _effective_norms(net, domain, Q)

    W, b = net.W, net.b
    norms = np.linalg.norm(W, axis=1)
    live = norms > 0
    if not np.any(live):
        return P
    Wl, bl = W[live], b[live]
    U = Wl / norms[live][:, None]
    val = objective(P)
    m, d = P.shape
    for _ in range(rounds):
        if U.shape[0] > max_near:  # only the nearest kinks: bounded cost at large k
            dist = np.abs(P @ Wl.T + bl) / norms[live]
            Un = U[np.argpartition(dist, max_near - 1, axis=1)[:, :max_near]]  # (m, near, d)
        else:
            Un = np.broadcast_to(U, (m,) + U.shape)
        V = np.concatenate([Un, -Un, rng.standard_normal((m, n_dir, d))], axis=1)  # (m, q, d)
        if domain.kind == "sphere":
            Xh = P / np.linalg.norm(P, axis=1, keepdims=True)
            V = V - np.sum(V * Xh[:, None, :], axis=2, keepdims=True) * Xh[:, None, :]
        vn = np.linalg.norm(V, axis=2, keepdims=True)
        V = V / np.where(vn > 0, vn, 1.0)
        Z = (P @ Wl.T + bl)[:, None, :]
        Dv = V @ Wl.T
        xv = np.einsum("md,mqd->mq", P, V)
        x2 = np.sum(P**2, axis=1)[:, None]
        t1, t2, t_exit = _first_crossings(Z, Dv, bl, domain, xv, x2)
        valid = np.isfinite(t1) & (t1 < t_exit)
        t1v = np.where(valid, t1, 0.0)
        gap = np.where(valid, np.minimum(t2, t_exit) - t1v, 0.0)
        step = np.where(valid, t1v + np.minimum(0.5 * gap, 1e-6 * (1 + t1v)), 0.0)
        if domain.kind == "sphere":
            R = domain.radius
            C = (np.cos(step)[..., None] * P[:, None, :]
                 + R * np.sin(step)[..., None] * V)
        else:
            C = P[:, None, :] + step[..., None] * V
        q = C.shape[1]
        C = domain.project(C.reshape(m * q, d))
        cv = objective(C).reshape(m, q)
        cv = np.where(valid, cv, -np.inf)
        j = np.argmax(cv, axis=1)
        cbest = cv[np.arange(m), j]
        improve = cbest > val * (1 + 1e-12)
        if not np.any(improve):
            break
        P = P.copy()
        P[improve] = C.reshape(m, q, d)[np.arange(m), j][improve]
        val = np.where(improve, cbest, val)
    return P


def _region_point(net: TwoLayerNet, pattern: np.ndarray, box: float) -> np.ndarray | None:
    """A point strictly inside the linear region with the given pattern and
    inside the cube ``|x_i| <= box`` (maximal-margin LP), or None if the
    region does not meet the cube's interior."""
    from scipy.optimize import linprog

    norms = np.linalg.norm(net.W, axis=1)
    live = norms > 0
    s = np.where(pattern[live], 1.0, -1.0)
    W, b, nrm = net.W[live], net.b[live], norms[live]
    d = net.d
    A = np.hstack([-(s[:, None] * W), nrm[:, None]])
    c = np.zeros(d + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A, b_ub=s * b, bounds=[(-box, box)] * d + [(None, box)],
                  method="highs")
    if res.status != 0 or -res.fun <= 1e-9 * (1 + box):
        return None
    return res.x[:d]


def _lp_pattern_search(net: TwoLayerNet, domain: Domain, x0: np.ndarray, *,
                       max_iter: int = 50, tries: int = 8) -> np.ndarray:
    """Greedy ascent over single-neuron flips of the activation pattern, each
    accepted flip certified non-empty (inside the domain) by a linear program.
    Returns a point strictly inside the final region (piecewise-linear nets,
    R^d or ball)."""
    if domain.kind == "ball":
        box = domain.radius / np.sqrt(net.d)  # the inscribed cube
    else:
        norms = np.linalg.norm(net.W, axis=1)
        s0 = 1.0 + float(np.max(np.abs(net.b) / np.where(norms > 0, norms, np.inf), initial=0))
        box = 100.0 * max(s0, float(np.abs(x0).max()))
    lo = float(net.activation.numeric_derivative(np.array(-1.0)))
    hi = float(net.activation.numeric_derivative(np.array(1.0)))
    x = x0.copy()
    S = net.patterns(x[None])[0]
    g = net.pattern_gradients(S[None])[0]
    aw = net.a[:, None] * net.W
    for _ in range(max_iter):
        delta = np.where(S, lo - hi, hi - lo)[:, None] * aw  # change of g when flipping l
        cand = np.linalg.norm(g[None, :] + delta, axis=1)
        order = np.argsort(cand)[::-1]
        moved = False
        for l in order[:tries]:
            if cand[l] <= np.linalg.norm(g) * (1 + 1e-12):
                break
            S2 = S.copy()
            S2[l] = ~S2[l]
            y = _region_point(net, S2, box)
            if y is not None:
                x, S, g = y, S2, g + delta[l]
                moved = True
                break
        if not moved:
            break
    return x


def _sphere_region_step(net: TwoLayerNet, domain: Domain, P: np.ndarray, *,
                        iters: int = 40) -> np.ndarray:
    r"""Piecewise-linear nets on the sphere: inside a linear region the gradient
    g is constant and the tangential norm :math:`\sqrt{\|g\|^2 - (g\cdot
    x)^2/R^2}` grows as :math:`|g\cdot x|` shrinks. Move each point along the
    great circle towards its projection onto :math:`g^\perp` (where
    :math:`|g\cdot x|` decreases monotonically), as far as its activation
    pattern stays the same (bisection). Returns the moved points (m, d)."""
    G = net.gradient(P)
    gg = np.sum(G * G, axis=1)
    T = P - (np.sum(G * P, axis=1) / np.where(gg > 0, gg, 1.0))[:, None] * G
    ok = (gg > 0) & (np.linalg.norm(T, axis=1) > 0)
    P, T = P[ok], T[ok]
    if P.shape[0] == 0:
        return P
    S = net.patterns(P)

    def point(t):
        return domain.project((1 - t)[:, None] * P + t[:, None] * T)

    lo = np.zeros(P.shape[0])
    hi = np.ones(P.shape[0])
    same = np.all(net.patterns(point(hi)) == S, axis=1)
    lo[same] = 1.0
    for _ in range(iters):
        if np.all(same):
            break
        mid = (lo + hi) / 2
        s_mid = np.all(net.patterns(point(mid)) == S, axis=1)
        lo = np.where(~same & s_mid, mid, lo)
        hi = np.where(~same & ~s_mid, mid, hi)
    return point(lo)


def _interior_points(net: TwoLayerNet, domain: Domain, P: np.ndarray) -> np.ndarray:
    """Move points that lie (numerically) on a kink a tiny step off it, staying
    in the domain, so that the gradient there is a true gradient."""
    if not net.activation.is_piecewise_linear:
        return P
    margin = _kink_margin(net, P)
    bad = margin <= 1e-10 * (1 + np.linalg.norm(P, axis=1))
    if not np.any(bad):
        return P
    P = P.copy()
    rng = np.random.default_rng(12345)
    for _ in range(20):
        Q = P[bad] + 1e-8 * (1 + np.linalg.norm(P[bad], axis=1, keepdims=True)) * \
            rng.standard_normal(P[bad].shape)
        Q = domain.project(Q)
        ok = _kink_margin(net, Q) > 1e-10 * (1 + np.linalg.norm(Q, axis=1))
        idx = np.flatnonzero(bad)
        P[idx[ok]] = Q[ok]
        bad[idx[ok]] = False
        if not np.any(bad):
            break
    return P[~bad] if np.any(bad) else P


def _vertex_starts(net: TwoLayerNet, domain: Domain, m: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Starts around arrangement vertices: small linear regions, where large
    gradients hide, crowd around points where many kinks meet. For ``m``
    random sets of min(k, d) neurons, the minimum-norm point of the
    intersection of their hyperplanes, then a few random points at several
    small radii around it (projected onto the domain)."""
    live = np.flatnonzero(np.linalg.norm(net.W, axis=1) > 0)
    r = min(live.size, net.d)
    if r == 0 or m == 0:
        return np.zeros((0, net.d))
    idx = np.stack([rng.choice(live, size=r, replace=False) for _ in range(m)])
    A, rhs = net.W[idx], -net.b[idx]  # (m, r, d), (m, r)
    V = np.einsum("mdr,mr->md", np.linalg.pinv(A), rhs)  # minimum-norm solutions, batched
    scale = 1e-3 * (1.0 + np.linalg.norm(V, axis=1, keepdims=True))
    reps = 4
    P = np.repeat(V, reps, axis=0)
    radii = np.repeat(scale, reps, axis=0) * 10.0 ** rng.uniform(-2, 1, size=(m * reps, 1))
    P = P + radii * rng.standard_normal(P.shape)
    P = P[np.all(np.isfinite(P), axis=1)]
    return domain.project(P)


def gradient_lower_bound(net: TwoLayerNet, domain: Domain, *, X=None, n_random: int = 256,
                         steps: int = 60, polish_top: int = 64, polish_rounds: int = 20,
                         kicks: int = 3, lp_top: int = 4, n_vertex: int = 1024,
                         seed=0) -> tuple[float, Witness | None]:
    r"""Certified lower bound :math:`\|\nabla_\Omega f(x^\star)\| \le
    \mathrm{Lip}_\Omega(f)` from a batched search for a large effective
    gradient.

    Starts: the rows of ``X`` (projected onto the domain) and ``n_random``
    random points of the domain. Each start runs ``steps`` iterations of
    projected ascent (smoothed for piecewise-linear activations, see the module
    docstring); the ``polish_top`` best then run a local search over
    neighbouring activation patterns. The returned value is the true effective
    gradient norm at the witness point, which lies in the domain and, for
    piecewise-linear activations, strictly inside a linear region.

    Parameters
    ----------
    net : TwoLayerNet
    domain : Domain
    X : array_like, shape (n, d), optional
        Extra starting points (e.g. the data).
    n_random, steps, polish_top, polish_rounds : int
        Search effort. The number of gradient evaluations is about
        ``(n + n_random) * steps + polish_top * k * polish_rounds``.
    kicks, lp_top : int
        Rounds of perturb-and-polish from the best points; LP-certified
        single-flip pattern ascents (R^d and balls).
    n_vertex : int
        Piecewise-linear nets: also start near ``n_vertex`` random vertices of
        the kink arrangement (``4 n_vertex`` starts), where small regions with
        large gradients crowd.
    seed : int or numpy.random.Generator

    Returns
    -------
    (value, witness) : (float, Witness or None)

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    >>> val, w = gradient_lower_bound(net, Domain.ball(), seed=0)
    >>> round(val, 9), bool(np.all(w.points[0] > 0))
    (1.414213562, True)
    """
    net = _check_net(net)
    domain = _check_domain(domain, net.d)
    rng = as_rng(seed)
    n_random = as_positive_int(n_random, "n_random", minimum=0)
    starts = [domain.sample(n_random, net.d, rng)] if n_random else []
    if n_random and domain.kind == "rd":
        # regions of R^d may be far out: spread the starts over scales
        norms = np.linalg.norm(net.W, axis=1)
        s0 = 1.0 + float(np.max(np.abs(net.b) / np.where(norms > 0, norms, np.inf), initial=0))
        starts[0] *= s0 * 10.0 ** rng.uniform(-1, 2, size=(n_random, 1))
    if n_vertex and net.activation.is_piecewise_linear:
        starts.append(_vertex_starts(net, domain, n_vertex, rng))
    if X is not None:
        starts.append(domain.project(as_matrix(X, "X", cols=net.d)))
    if not starts:
        raise ValueError("n_random: need random starts or X")
    P = np.concatenate(starts)
    if steps > 0:
        P = _ascent(net, domain, P, steps=steps, rng=rng)
    if net.activation.is_piecewise_linear and polish_top > 0 and polish_rounds > 0:
        val = _effective_norms(net, domain, P)
        top = np.argsort(val)[::-1][:polish_top]
        Q = _ray_polish(net, domain, P[top], rounds=polish_rounds, rng=rng)
        found = [P, Q]
        # iterated local search: kick the best points and polish again
        span = float(np.median(np.linalg.norm(P, axis=1))) + 1e-12
        for kick in range(kicks):
            qv = _effective_norms(net, domain, Q)
            best = Q[np.argsort(qv)[::-1][:max(1, polish_top // 4)]]
            rep = np.repeat(best, 4, axis=0)
            scale = span * 0.3 * 0.5**kick
            Q = domain.project(rep + scale * rng.standard_normal(rep.shape))
            Q = _ray_polish(net, domain, Q, rounds=polish_rounds, rng=rng)
            found.append(Q)
        P = np.concatenate(found)
        if domain.kind != "sphere" and lp_top > 0:
            val = _effective_norms(net, domain, P)
            top = np.argsort(val)[::-1][:lp_top]
            P = np.concatenate([P, np.stack([_lp_pattern_search(net, domain, P[i])
                                             for i in top])])
    if domain.kind == "sphere" and net.activation.is_piecewise_linear:
        P = np.concatenate([P, _sphere_region_step(net, domain, P)])
    P = _interior_points(net, domain, P)
    if P.shape[0] == 0:
        return 0.0, None
    val = _effective_norms(net, domain, P)
    i = int(np.argmax(val))
    w = Witness("point", P[i:i + 1].copy(), 0.0)
    v = w.verify(net, domain) * (1 - LOWER_SAFETY)
    return v, Witness("point", w.points, v)


# ---------------------------------------------------------------------------
# Upper bounds
# ---------------------------------------------------------------------------
def _preactivation_intervals(net: TwoLayerNet, domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """Range [lo, hi] of each neuron's pre-activation over the domain (ball and
    sphere of radius R: ``b -+ R ||w||``; R^d: the whole line unless w = 0)."""
    norms = np.linalg.norm(net.W, axis=1)
    if domain.kind == "rd":
        lo = np.where(norms > 0, -np.inf, net.b)
        hi = np.where(norms > 0, np.inf, net.b)
    else:
        lo = net.b - domain.radius * norms
        hi = net.b + domain.radius * norms
    return lo, hi


def slope_ranges(net: TwoLayerNet, domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-neuron range :math:`[\underline s_\ell, \overline s_\ell]` of
    :math:`\psi'` over the pre-activations neuron :math:`\ell` takes on the
    domain, shape (k,) each.

    Proof of validity: :math:`\psi'` is continuous on each piece of its
    definition, so on a closed interval its extremes are at the endpoints, at
    interior zeros of :math:`\psi''`, or at kinks (one-sided values); all of
    these come from :attr:`theory.activations.Activation.derivative_critical_points`
    and the sympy derivative. Unbounded intervals use the sympy slope range on
    :math:`\mathbb R` (possibly infinite). On the sphere the ball's intervals
    are used (a superset).

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0], [1.0]], [5.0, -5.0], "relu")
    >>> slope_ranges(net, Domain.ball(1.0))
    (array([1., 0.]), array([1., 0.]))
    """
    act = net.activation
    dpsi = act.numeric_derivative
    lo_z, hi_z = _preactivation_intervals(net, domain)
    s_lo_R, s_hi_R = (float(v) for v in act.slope_range())
    finite = np.isfinite(lo_z) & np.isfinite(hi_z)
    lo = np.full(net.k, s_lo_R)
    hi = np.full(net.k, s_hi_R)
    if np.any(finite):
        a_, b_ = lo_z[finite], hi_z[finite]
        vals = [dpsi(a_), dpsi(b_)]
        for c, left, right in _critical_slopes(act.spec):
            inside = (a_ <= c) & (c <= b_)
            vals.append(np.where(inside, left, np.nan))
            vals.append(np.where(inside, right, np.nan))
        V = np.stack(vals)
        lo[finite] = np.nanmin(V, axis=0)
        hi[finite] = np.nanmax(V, axis=0)
    return lo, hi


@functools.lru_cache(maxsize=64)
def _critical_slopes(spec: str) -> tuple[tuple[float, float, float], ...]:
    """(c, psi'(c-), psi'(c+)) at each critical point of psi' (one-sided sympy
    limits; equal away from kinks)."""
    import sympy as sp

    from theory.activations import get_activation, t

    act = get_activation(spec)
    out = []
    for c in act.derivative_critical_points:
        left = float(sp.limit(act.derivative, t, c, "-"))
        right = float(sp.limit(act.derivative, t, c, "+"))
        out.append((float(c), left, right))
    return tuple(out)


def _finish_upper(v: float) -> float:
    return float(v) * (1 + UPPER_SAFETY) if np.isfinite(v) else float("inf")


def spectral_upper_bound(net: TwoLayerNet, domain: Domain | None = None) -> float:
    r"""Spectral bound :math:`\|W\|_{op}\,\|a \odot L\|_2`, with
    :math:`L_\ell = \sup |\psi'|` over neuron :math:`\ell`'s pre-activation
    range on the domain; on :math:`\mathbb R^d` this is
    :math:`L_\psi\|a\|_2\|W\|_{op}`.

    Proof: :math:`\nabla f(x) = W^T(a\odot\psi'(Wx+b))`, so
    :math:`\|\nabla f\| \le \|W\|_{op}\|a\odot\psi'(Wx+b)\|_2 \le \|W\|_{op}\|a\odot L\|_2`;
    on a convex domain Lip = sup of the gradient norm, and the geodesic
    constant on the sphere is at most the ball's (tangential <= full gradient).

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([3.0, 4.0], [[1.0, 0.0], [0.0, 1.0]], None, "tanh")
    >>> round(spectral_upper_bound(net), 9)
    5.0
    """
    net = _check_net(net)
    domain = Domain.rd() if domain is None else _check_domain(domain, net.d)
    lo, hi = slope_ranges(net, domain)
    L = np.maximum(np.abs(lo), np.abs(hi))
    with np.errstate(invalid="ignore"):  # 0 * inf for a_l = 0 is replaced just below
        aL = np.abs(net.a) * L
    aL = np.where(net.a == 0, 0.0, aL)
    if not np.all(np.isfinite(aL)):
        return float("inf")
    return _finish_upper(np.linalg.norm(net.W, 2) * np.linalg.norm(aL))


def path_norm_upper_bound(net: TwoLayerNet, domain: Domain | None = None) -> float:
    r"""Path-norm bound :math:`\sum_\ell |a_\ell| L_\ell \|w_\ell\|_2` (triangle
    inequality on :math:`\nabla f = \sum_\ell a_\ell\psi'(\cdot)w_\ell`).

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([3.0, -4.0], [[1.0, 0.0], [1.0, 0.0]], None, "relu")
    >>> round(path_norm_upper_bound(net), 9)
    7.0
    """
    net = _check_net(net)
    domain = Domain.rd() if domain is None else _check_domain(domain, net.d)
    lo, hi = slope_ranges(net, domain)
    L = np.maximum(np.abs(lo), np.abs(hi))
    with np.errstate(invalid="ignore"):  # 0 * inf for a_l = 0 or w_l = 0: replaced below
        terms = np.abs(net.a) * L * np.linalg.norm(net.W, axis=1)
    terms = np.where((net.a == 0) | (np.linalg.norm(net.W, axis=1) == 0), 0.0, terms)
    if not np.all(np.isfinite(terms)):
        return float("inf")
    return _finish_upper(terms.sum())


def centered_upper_bound(net: TwoLayerNet, domain: Domain | None = None) -> float:
    r"""Domain-aware centred bound
    :math:`\min\{\|W^T(a\odot m)\| + \|W\|_{op}\|a\odot h\|_2,\;
    \|W^T(a\odot m)\| + \sum_\ell |a_\ell| h_\ell \|w_\ell\|\}`, with
    :math:`m_\ell, h_\ell` the midpoint and half-width of :func:`slope_ranges`.

    Proof: on the domain :math:`\psi'(w_\ell\cdot x + b_\ell) = m_\ell +
    h_\ell\sigma_\ell(x)` with :math:`|\sigma_\ell| \le 1`, so
    :math:`\nabla f = W^T(a\odot m) + W^T(a\odot h\odot\sigma)`; bound the second
    term by :math:`\|W\|_{op}\|a\odot h\|` or by the triangle inequality.
    Neurons whose slope is constant on the domain (ReLU neurons never on, or on
    everywhere) have :math:`h_\ell = 0`: dropped, or merged into the linear
    term :math:`W^T(a\odot m)`.

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [1.0, 0.0]], [5.0, -5.0], "relu")
    >>> round(centered_upper_bound(net, Domain.ball(1.0)), 9)
    1.0
    """
    net = _check_net(net)
    domain = Domain.rd() if domain is None else _check_domain(domain, net.d)
    lo, hi = slope_ranges(net, domain)
    if not (np.all(np.isfinite(lo[net.a != 0])) and np.all(np.isfinite(hi[net.a != 0]))):
        return float("inf")
    lo = np.where(net.a == 0, 0.0, lo)
    hi = np.where(net.a == 0, 0.0, hi)
    m, h = (lo + hi) / 2, (hi - lo) / 2
    lin = np.linalg.norm(net.W.T @ (net.a * m))
    ah = np.abs(net.a) * h
    spec = np.linalg.norm(net.W, 2) * np.linalg.norm(ah)
    path = float(np.sum(ah * np.linalg.norm(net.W, axis=1)))
    return _finish_upper(lin + min(spec, path))


def relu_domain_upper_bound(net: TwoLayerNet, domain: Domain) -> float:
    """The domain-aware bound for piecewise-linear activations (alias of
    :func:`centered_upper_bound`, which covers every activation); raises
    ValueError for smooth activations.

    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], [-2.0], "relu")
    >>> relu_domain_upper_bound(net, Domain.ball(1.0))
    0.0
    """
    net = _check_net(net)
    if not net.activation.is_piecewise_linear:
        raise ValueError(f"net: activation {net.spec} is not piecewise linear")
    return centered_upper_bound(net, domain)


# ---------------------------------------------------------------------------
# Exact values: enumeration of the linear regions (piecewise-linear, d <= 3)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ExactResult:
    """Exact Lipschitz constant of a piecewise-linear network on a domain.

    ``point`` lies in the closure of the maximizing region (on its boundary in
    general) and ``pattern`` is that region's activation pattern; ``regions``
    counts the distinct linear regions found meeting the domain.
    """

    value: float
    point: np.ndarray
    pattern: np.ndarray
    regions: int


def _combinations(k: int, r: int) -> np.ndarray:
    if r == 0:
        return np.zeros((1, 0), dtype=int)
    if k < r:
        return np.zeros((0, r), dtype=int)
    return np.array(list(itertools.combinations(range(k), r)), dtype=int).reshape(-1, r)


def _flats(W: np.ndarray, b: np.ndarray, r: int):
    """Intersections of r hyperplanes with linearly independent normals, for
    r = d (points) or r = d - 1 (lines): returns (idx (C, r), x0 (C, d),
    n (C, d)) with x0 the minimum-norm point of the flat and, for lines, n a
    unit direction (zeros for points)."""
    k, d = W.shape
    idx = _combinations(k, r)
    if idx.shape[0] == 0:
        return idx, np.zeros((0, d)), np.zeros((0, d))
    if r == 0:  # d == 1: the whole line
        return idx, np.zeros((1, d)), np.ones((1, d))
    A = W[idx]  # (C, r, d)
    gram = A @ np.transpose(A, (0, 2, 1))
    scale = np.prod(np.sum(A**2, axis=2), axis=1)
    ok = np.linalg.det(gram) > 1e-12 * scale
    idx, A, gram = idx[ok], A[ok], gram[ok]
    y = np.linalg.solve(gram, -b[idx][..., None])[..., 0]  # x0 = A^T (A A^T)^-1 rhs
    x0 = np.einsum("cri,cr->ci", A, y)
    if r == d:
        return idx, x0, np.zeros_like(x0)
    n = _orthogonal_unit(A[:, 0, :]) if d == 2 else np.cross(A[:, 0, :], A[:, 1, :])
    n = n / np.linalg.norm(n, axis=1, keepdims=True)
    return idx, x0, n


def _lines(W: np.ndarray, b: np.ndarray, idx: np.ndarray):
    """Lines {w_i.x = -b_i, w_j.x = -b_j} in R^3 for the index pairs ``idx``
    (degenerate pairs give a zero direction, whose points are then skipped by
    the caller's radius test only if far; they are filtered here)."""
    A = W[idx]
    gram = A @ np.transpose(A, (0, 2, 1))
    scale = np.prod(np.sum(A**2, axis=2), axis=1)
    ok = np.linalg.det(gram) > 1e-12 * scale
    x0 = np.full((idx.shape[0], 3), np.inf)
    n = np.zeros((idx.shape[0], 3))
    y = np.linalg.solve(gram[ok], -b[idx[ok]][..., None])[..., 0]
    x0[ok] = np.einsum("cri,cr->ci", A[ok], y)
    c = np.cross(A[ok, 0, :], A[ok, 1, :])
    n[ok] = c / np.linalg.norm(c, axis=1, keepdims=True)
    return x0, n


def _candidates(W: np.ndarray, b: np.ndarray, domain: Domain):
    """Candidate points (with designed tight sets) such that the closure of every
    linear region meeting the domain contains one: see :func:`exact_relu_lipschitz`."""
    k, d = W.shape
    pts, tight = [], []

    def add(x, idx):
        if x.shape[0]:
            pts.append(x)
            tight.append(idx)

    if domain.kind == "rd":
        idx, x0, _ = _flats(W, b, d)
        add(x0, idx)
        return pts, tight
    R = domain.radius
    if domain.kind == "ball":
        idx, x0, _ = _flats(W, b, d)
        inside = np.linalg.norm(x0, axis=1) <= R
        add(x0[inside], idx[inside])
        add(np.zeros((1, d)), np.zeros((1, 0), dtype=int))
    # points of the sphere on d-1 hyperplanes
    idx, x0, N = _flats(W, b, d - 1)
    rad2 = R**2 - np.sum(x0**2, axis=1)
    ok = rad2 > 0
    for sgn in (1.0, -1.0):
        x = x0[ok] + sgn * np.sqrt(rad2[ok])[:, None] * N[ok]
        add(x, idx[ok])
    if d == 3:
        # one point on each circle (plane meets the sphere)
        n2 = np.sum(W**2, axis=1)
        live = n2 > 0
        c = -(b[live] / n2[live])[:, None] * W[live]
        rad2 = R**2 - np.sum(c**2, axis=1)
        ok = rad2 > 0
        Wl = W[live][ok]
        u = _orthogonal_unit(Wl)
        add(c[ok] + np.sqrt(rad2[ok])[:, None] * u, np.flatnonzero(live)[ok][:, None])
    e = np.zeros((1, d))
    e[0, 0] = R
    add(e, np.zeros((1, 0), dtype=int))
    return pts, tight


def _orthogonal_unit(V: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to each row of V (d = 2 or 3), shape like V."""
    m, d = V.shape
    if d == 2:
        U = np.stack([-V[:, 1], V[:, 0]], axis=1)
    else:
        j = np.argmin(np.abs(V), axis=1)
        E = np.zeros_like(V)
        E[np.arange(m), j] = 1.0
        U = np.cross(V, E)
    return U / np.linalg.norm(U, axis=1, keepdims=True)


def _adjacent_patterns(W, b, X, designed, boundary: str | None, tol=1e-9):
    """All activation patterns of regions adjacent to each point (within the
    domain), as (point index, pattern) arrays, or None if some point is
    degenerate beyond what can be resolved."""
    m, d = X.shape
    k = W.shape[0]
    norms = np.linalg.norm(W, axis=1)
    Z = X @ W.T + b
    scale = tol * (norms * (1 + np.linalg.norm(X, axis=1, keepdims=True)) + np.abs(b))
    T = (np.abs(Z) <= scale) & (norms > 0)
    base = Z > 0
    counts = T.sum(axis=1)
    out_idx, out_pat = [], []
    r = designed.shape[1]
    generic = counts == r
    if r:
        generic &= np.all(T[np.arange(m)[:, None], designed], axis=1)
    if np.any(generic):
        gi = np.flatnonzero(generic)
        # independence of the tight normals (and of x on the boundary)
        if r:
            Ms = [W[designed[gi]]]
            if boundary is not None:
                Ms.append(X[gi][:, None, :])
            M = np.concatenate(Ms, axis=1)
            gram = M @ np.transpose(M, (0, 2, 1))
            scale = np.prod(np.sum(M**2, axis=2), axis=1)
            indep = np.linalg.det(gram) > 1e-12 * scale
        else:
            indep = np.ones(gi.size, dtype=bool)
        g_ok = gi[indep]
        combos = np.array(list(itertools.product([False, True], repeat=r)), dtype=bool)
        P = np.repeat(base[g_ok][:, None, :], combos.shape[0], axis=1)
        if r:
            rows = designed[g_ok]
            for c in range(combos.shape[0]):
                P[np.arange(g_ok.size)[:, None], c, rows] = combos[c][None, :]
        out_idx.append(np.repeat(g_ok, combos.shape[0]))
        out_pat.append(P.reshape(-1, k))
        rest = np.concatenate([np.flatnonzero(~generic), gi[~indep]])
    else:
        rest = np.flatnonzero(~generic)
    for i in rest:  # degenerate points: linear programming on each sign combination
        tidx = np.flatnonzero(T[i])
        if tidx.size > 8:
            return None
        for combo in itertools.product([False, True], repeat=tidx.size):
            if _lp_feasible(W[tidx], np.array(combo), X[i], boundary):
                p = base[i].copy()
                p[tidx] = combo
                out_idx.append(np.array([i]))
                out_pat.append(p[None])
    if not out_idx:
        return np.zeros(0, dtype=int), np.zeros((0, k), dtype=bool)
    return np.concatenate(out_idx), np.concatenate(out_pat)


def _lp_feasible(N: np.ndarray, signs: np.ndarray, x: np.ndarray, boundary) -> bool:
    """Is there a direction v with sign_l * (n_l . v) > 0 for all l (and v
    pointing into the ball / tangent to the sphere at x)?"""
    from scipy.optimize import linprog

    d = N.shape[1]
    s = np.where(signs, 1.0, -1.0)
    # variables (v, delta); maximize delta s.t. -s_l n_l.v + delta*|n_l| <= 0, delta <= 1
    A = np.hstack([-(s[:, None] * N), np.linalg.norm(N, axis=1)[:, None]])
    A_ub, b_ub = [A], [np.zeros(N.shape[0])]
    A_eq = b_eq = None
    if boundary == "ball":
        A_ub.append(np.concatenate([x, [np.linalg.norm(x)]])[None])
        b_ub.append(np.zeros(1))
    elif boundary == "sphere":
        A_eq = np.concatenate([x, [0.0]])[None]
        b_eq = np.zeros(1)
    c = np.zeros(d + 1)
    c[-1] = -1.0
    bounds = [(-1, 1)] * d + [(None, 1)]
    res = linprog(c, A_ub=np.vstack(A_ub), b_ub=np.concatenate(b_ub), A_eq=A_eq, b_eq=b_eq,
                  bounds=bounds, method="highs")
    return bool(res.status == 0 and -res.fun > 1e-9)


def _region_table(net: TwoLayerNet, domain: Domain):
    """(points, patterns) for every (candidate, adjacent region) pair; None if
    degenerate."""
    W, b = net.W, net.b
    pts, tight = _candidates(W, b, domain)
    all_x, all_p = [], []
    for X, designed in zip(pts, tight, strict=True):
        if domain.kind == "rd":
            boundary = None
        elif domain.kind == "sphere":
            boundary = "sphere"
        else:
            on_s = np.abs(np.linalg.norm(X, axis=1) - domain.radius) <= 1e-12 * domain.radius
            boundary = "ball" if np.all(on_s) else None
            if np.any(on_s) and not np.all(on_s):  # split mixed groups
                for mask, bd in ((on_s, "ball"), (~on_s, None)):
                    res = _adjacent_patterns(W, b, X[mask], designed[mask], bd)
                    if res is None:
                        return None
                    all_x.append(X[mask][res[0]])
                    all_p.append(res[1])
                continue
        res = _adjacent_patterns(W, b, X, designed, boundary)
        if res is None:
            return None
        all_x.append(X[res[0]])
        all_p.append(res[1])
    return np.concatenate(all_x), np.concatenate(all_p)


def _reduce_to_row_space(net: TwoLayerNet):
    """(Q, reduced net) with Q (d, r) an orthonormal basis of span{w_l}."""
    U, S, Vt = np.linalg.svd(net.W, full_matrices=False)
    r = int(np.sum(S > 1e-12 * max(S[0], 1e-300))) if S.size else 0
    Q = Vt[:r].T
    return Q, r


def exact_relu_lipschitz(net: TwoLayerNet, domain: Domain, *,
                         max_candidates: int = 2_000_000) -> ExactResult | None:
    r"""Exact :math:`\mathrm{Lip}_\Omega(f)` for piecewise-linear activations
    (relu, leaky relu, abs) in dimension :math:`d \le 3`, or None when the
    arrangement is too degenerate or too large to enumerate.

    Method. The gradient is constant, :math:`g_S = W^T(a\odot\psi'_S)`, on each
    linear region :math:`R_S` of the arrangement of the kink hyperplanes
    :math:`w_\ell\cdot x + b_\ell = 0`, and :math:`\mathrm{Lip}_\Omega(f) =
    \max_S \sup_{R_S\cap\Omega} \|\nabla_\Omega f\|`. For every region meeting
    :math:`\Omega` we produce a point of its closure where that supremum is
    attained, then enumerate the patterns adjacent to each such point (all sign
    combinations of the tight neurons when their normals, with the sphere's
    normal on the boundary, are independent; a linear program per combination
    otherwise):

    - :math:`\mathbb R^d`: in the row space of W (dimension r) every region is a
      pointed polyhedron, so it has a vertex on r independent hyperplanes.
    - Ball :math:`B_R`: the closure of a region meeting the ball has an extreme
      point inside the ball: an arrangement vertex, or a point of the sphere on
      :math:`d-1` hyperplanes, or (d = 3) a point of a circle :math:`\{w_\ell\cdot
      x = -b_\ell\} \cap S` that crosses no other circle, or any point when no
      hyperplane meets the ball.
    - Sphere (geodesic): :math:`\|\nabla_S f\|^2 = \|g_S\|^2 - (g_S\cdot x)^2/R^2`
      is largest where :math:`|g_S\cdot x|` is smallest on the region's patch:
      at a zero of :math:`g_S\cdot x` (a point of the great circle
      :math:`g_S^\perp` inside the patch, or where it crosses a boundary circle)
      or at a critical point of :math:`g_S\cdot x` on a boundary circle or at a
      patch vertex. All of these are added per region pattern.

    Parameters
    ----------
    net : TwoLayerNet
        Piecewise-linear activation, ``d <= 3``.
    domain : Domain

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    >>> round(exact_relu_lipschitz(net, Domain.rd()).value, 9)
    1.414213562
    >>> round(exact_relu_lipschitz(net, Domain.sphere()).value, 9)
    1.414213562
    """
    net = _check_net(net)
    domain = _check_domain(domain, net.d)
    if not net.activation.is_piecewise_linear:
        raise ValueError(f"net: exact values need a piecewise-linear activation, got {net.spec}")
    if net.d > 3:
        raise ValueError(f"net: exact enumeration is implemented for d <= 3, got d = {net.d}")
    k, d = net.k, net.d
    est = len(_combinations(k, d)) if k >= d else 1
    if est * 2**d > max_candidates:
        return None
    if domain.kind == "rd":
        Q, r = _reduce_to_row_space(net)
        if r == 0:
            return ExactResult(0.0, np.zeros(d), net.patterns(np.zeros((1, d)))[0], 1)
        red = TwoLayerNet(net.a, net.W @ Q, net.b, net.activation)
        table = _region_table(red, Domain.rd())
        if table is None:
            return None
        X, P = table
        X = X @ Q.T
    else:
        table = _region_table(net, domain)
        if table is None:
            return None
        X, P = table
    Pu, inv = _unique_patterns(P)
    regions = Pu.shape[0]
    if domain.kind == "sphere":
        extra = _sphere_extra(net, domain, Pu)
        if extra is None:
            return None
        X = np.concatenate([X, extra[0]])
        Pu, inv = _unique_patterns(np.concatenate([P, extra[1]]))
        P = None
    Gu = net.pattern_gradients(Pu)
    G = Gu[inv]
    vals2 = np.sum(G**2, axis=1)
    if domain.kind == "sphere":
        vals2 = vals2 - np.sum(G * X, axis=1) ** 2 / domain.radius**2
    i = int(np.argmax(vals2))
    return ExactResult(float(np.sqrt(max(vals2[i], 0.0))), X[i].copy(), Pu[inv[i]].copy(),
                       regions)


def _unique_patterns(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a bool pattern array and the inverse index (packed
    bits, so memory stays small for many candidates)."""
    packed = np.ascontiguousarray(np.packbits(P, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    return P[first], inv.reshape(-1)


def _sphere_extra(net, domain, Pu):
    """For each region pattern met on the sphere (rows of ``Pu``), the
    g-dependent candidates of :func:`exact_relu_lipschitz` (sphere case), with
    their adjacent patterns: (points, patterns), or None if degenerate."""
    R = domain.radius
    W, b = net.W, net.b
    Gu = net.pattern_gradients(Pu)
    gn = np.linalg.norm(Gu, axis=1)
    Gu = Gu[gn > 0]
    k = W.shape[0]
    if Gu.shape[0] == 0:
        return np.zeros((0, W.shape[1])), np.zeros((0, k), dtype=bool)
    d = W.shape[1]
    pts, tight = [], []
    if d == 2:
        u = _orthogonal_unit(Gu)
        for sgn in (1.0, -1.0):
            pts.append(sgn * R * u)
            tight.append(np.zeros((Gu.shape[0], 0), dtype=int))
    else:
        pts.append(R * _orthogonal_unit(Gu))
        tight.append(np.zeros((Gu.shape[0], 0), dtype=int))
        n2 = np.sum(W**2, axis=1)
        live = np.flatnonzero(n2 > 0)
        c = -(b[live] / n2[live])[:, None] * W[live]  # circle centres
        rad2 = R**2 - np.sum(c**2, axis=1)
        ok = rad2 > 0
        live, c, rad = live[ok], c[ok], np.sqrt(rad2[ok])
        for j, l in enumerate(live):
            wl = W[l] / np.sqrt(n2[l])
            # critical points of g.x on the circle: c +- rad * (P_l g)/|P_l g|
            Pg = Gu - (Gu @ wl)[:, None] * wl[None, :]
            pn = np.linalg.norm(Pg, axis=1)
            okp = pn > 1e-12 * np.linalg.norm(Gu, axis=1)
            for sgn in (1.0, -1.0):
                pts.append(c[j] + sgn * rad[j] * Pg[okp] / pn[okp, None])
                tight.append(np.full((int(okp.sum()), 1), l))
            # zeros of g.x on the circle: the line {g.x = 0, w_l.x = -b_l} meets the sphere
            Wg = np.concatenate([Gu, W[l][None]])
            bg = np.concatenate([np.zeros(Gu.shape[0]), [b[l]]])
            pairs = np.stack([np.arange(Gu.shape[0]), np.full(Gu.shape[0], Gu.shape[0])], 1)
            x0, nvec = _lines(Wg, bg, pairs)
            r2 = R**2 - np.sum(x0**2, axis=1)
            okr = r2 > 0
            for sgn in (1.0, -1.0):
                pts.append(x0[okr] + sgn * np.sqrt(r2[okr])[:, None] * nvec[okr])
                tight.append(np.full((int(okr.sum()), 1), l))
    xs, ps = [np.zeros((0, W.shape[1]))], [np.zeros((0, k), dtype=bool)]
    for Xc, des in zip(pts, tight, strict=True):
        if Xc.shape[0] == 0:
            continue
        res = _adjacent_patterns(W, b, Xc, des, "sphere")
        if res is None:
            return None
        xs.append(Xc[res[0]])
        ps.append(res[1])
    return np.concatenate(xs), np.concatenate(ps)


def region_gradients(net: TwoLayerNet, domain: Domain) -> np.ndarray | None:
    """The distinct constant gradients of all linear regions of a
    piecewise-linear network (d <= 3) that meet the domain (R^d or a ball),
    shape (r, d); None when degenerate. Any norm of the gradient maximized over
    these rows is the exact Lipschitz constant for the dual norm.

    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0], [[1.0, 1.0]], [0.0], "relu")
    >>> region_gradients(net, Domain.rd()).tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    """
    net = _check_net(net)
    domain = _check_domain(domain, net.d)
    if domain.kind == "sphere":
        raise ValueError("domain: region_gradients is for R^d and balls (the sphere's "
                         "tangential gradients depend on the point)")
    if not net.activation.is_piecewise_linear or net.d > 3:
        raise ValueError("net: needs a piecewise-linear activation and d <= 3")
    if domain.kind == "rd":
        Q, r = _reduce_to_row_space(net)
        if r == 0:
            return np.zeros((1, net.d))
        red = TwoLayerNet(net.a, net.W @ Q, net.b, net.activation)
        table = _region_table(red, Domain.rd())
    else:
        table = _region_table(net, domain)
    if table is None:
        return None
    Pu, _ = _unique_patterns(table[1])
    return np.unique(net.pattern_gradients(Pu), axis=0)


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------
@dataclass
class LipschitzReport:
    """Certified bracket of a network's Lipschitz constant on a domain.

    ``lower`` is attained at ``lower_witness`` (re-verify with
    ``lower_witness.verify(net, domain)``); ``upper`` is the smallest of the
    proved bounds in ``uppers``; ``exact`` is the enumerated value (None when
    not computed, with ``exact_reason``).
    """

    domain: Domain
    lower: float
    lower_witness: Witness | None
    lower_method: str
    upper: float
    upper_method: str
    uppers: dict = field(default_factory=dict)
    lowers: dict = field(default_factory=dict)
    exact: float | None = None
    exact_reason: str = ""
    seconds: float = 0.0

    @property
    def bracket(self) -> float:
        """``upper / lower`` (inf when lower is 0)."""
        return self.upper / self.lower if self.lower > 0 else float("inf")

    def to_dict(self) -> dict:
        """JSON-friendly dict with at least ``lower``, ``upper``, ``exact``,
        ``domain``, ``witness``."""
        def fin(v):
            return None if v is None or not np.isfinite(v) else float(v)

        return {
            "domain": self.domain.kind,
            "radius": self.domain.radius,
            "lower": float(self.lower),
            "lower_method": self.lower_method,
            "lowers": {k: float(v) for k, v in self.lowers.items()},
            "witness": None if self.lower_witness is None else self.lower_witness.to_dict(),
            "upper": fin(self.upper),
            "upper_method": self.upper_method,
            "uppers": {k: fin(v) for k, v in self.uppers.items()},
            "bracket": fin(self.bracket),
            "exact": fin(self.exact),
            "exact_reason": self.exact_reason,
            "seconds": round(self.seconds, 6),
        }

    def summary(self) -> str:
        """A few human-readable lines."""
        ex = "not computed" if self.exact is None else f"{self.exact:.6g}"
        lines = [
            f"domain      {self.domain.label}",
            f"lower       {self.lower:.6g}   ({self.lower_method}; witness: "
            f"{self.lower_witness.kind if self.lower_witness else 'none'})",
            f"upper       {self.upper:.6g}   ({self.upper_method})",
            f"exact       {ex}" + (f"   ({self.exact_reason})" if self.exact_reason else ""),
            f"upper/lower {self.bracket:.4g}",
        ]
        for k, v in self.uppers.items():
            lines.append(f"  upper[{k}] = {v:.6g}")
        lines.append(f"seconds     {self.seconds:.3f}")
        return "\n".join(lines)


#: Extra upper-bound providers: name -> callable(net, domain) -> float or None.
#: Other modules (e.g. the LipSDP-type bound) register here.
UPPER_BOUND_PROVIDERS: dict = {}


def lipschitz_report(net: TwoLayerNet, domain: Domain | None = None, *, X=None, seed=0,
                     exact: str | bool = "auto", n_random: int = 256, steps: int = 60,
                     polish_top: int = 64, lipsdp: bool = True) -> LipschitzReport:
    """Bracket :math:`\\mathrm{Lip}_\\Omega(f)` with certified bounds.

    Parameters
    ----------
    net : TwoLayerNet
    domain : Domain, default R^d
    X : array_like (n, d), optional
        Data: used for the pair quotient and as extra ascent starts.
    seed : int or Generator
    exact : {"auto", True, False}
        Enumerate linear regions ("auto": when the activation is piecewise
        linear and d <= 3).
    n_random, steps, polish_top : int
        Effort of :func:`gradient_lower_bound`.
    lipsdp : bool
        Include the LipSDP-Neuron bound of :mod:`numerics.lipschitz.lipsdp` (THEORY.md
        §3b; multipliers optimized, the final value certified by a Cholesky
        test of the matrix inequality) among the upper bounds.

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> rep = lipschitz_report(net, Domain.sphere(), seed=1)
    >>> round(rep.exact, 9), rep.lower <= rep.exact <= rep.upper
    (1.0, True)
    """
    net = _check_net(net)
    domain = Domain.rd() if domain is None else _check_domain(domain, net.d)
    if exact not in ("auto", True, False):
        raise ValueError(f"exact: expected 'auto', True or False, got {exact!r}")
    t0 = time.perf_counter()
    lowers, witnesses = {}, {}
    if X is not None:
        X = as_matrix(X, "X", cols=net.d)
        v, w = pair_lower_bound(net, X, domain)
        if w is not None:
            lowers["pair"], witnesses["pair"] = v, w
    v, w = gradient_lower_bound(net, domain, X=X, n_random=n_random, steps=steps,
                                polish_top=polish_top, seed=seed)
    if w is not None:
        lowers["gradient"], witnesses["gradient"] = v, w
    uppers = {
        "spectral": spectral_upper_bound(net, domain),
        "path_norm": path_norm_upper_bound(net, domain),
        "domain_aware": centered_upper_bound(net, domain),
    }
    if lipsdp:
        from numerics.lipschitz.lipsdp import lipsdp_upper_bound

        res = lipsdp_upper_bound(net, domain)
        if res is not None and res.certified:
            uppers["lipsdp"] = float(res.value)
    for name, provider in UPPER_BOUND_PROVIDERS.items():
        val = provider(net, domain)
        if val is not None:
            uppers[name] = float(val)
    ex, reason = None, ""
    pl = net.activation.is_piecewise_linear
    want = exact is True or (exact == "auto" and pl and net.d <= 3)
    if want:
        if not pl or net.d > 3:
            reason = "exact enumeration needs a piecewise-linear activation and d <= 3"
        else:
            res = exact_relu_lipschitz(net, domain)
            if res is None:
                reason = "arrangement too degenerate or too large to enumerate"
            else:
                ex = res.value
    elif exact == "auto":
        reason = "not attempted (needs a piecewise-linear activation and d <= 3)"
    if lowers:
        best = max(lowers, key=lowers.get)
        lower, lw = lowers[best], witnesses[best]
    else:
        best, lower, lw = "none", 0.0, None
    up_name = min(uppers, key=uppers.get)
    return LipschitzReport(domain=domain, lower=float(lower), lower_witness=lw,
                           lower_method=best, upper=float(uppers[up_name]),
                           upper_method=up_name, uppers=uppers, lowers=lowers, exact=ex,
                           exact_reason=reason, seconds=time.perf_counter() - t0)
