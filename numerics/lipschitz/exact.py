r"""Exact Lipschitz constants of piecewise-linear two-layer networks in dimension d <= 3.

By enumerating the linear regions of the arrangement of the kink hyperplanes
:math:`w_\ell\cdot x + b_\ell = 0` that meet the domain (:math:`\mathbb R^d`, the
ball, the sphere): :func:`exact_relu_lipschitz` (p = 2, all three domains) and
:func:`exact_lp_lipschitz` (:math:`\max_S\|g_S\|_q` over the constant region
gradients :func:`region_gradients`, on :math:`\mathbb R^d` and Euclidean balls).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from numerics.domain import Domain
from numerics.lipschitz._args import check_domain, check_net, two_layer
from numerics.lipschitz.norms import _as_p, dual_exponent, lp_norm
from numerics.models import DeepReLUNet, TwoLayerNet

__all__ = ["ExactResult", "degenerate_reason", "exact_lp_lipschitz", "exact_relu_lipschitz",
           "region_gradients"]


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
    if not all_x:
        return None
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
    net = check_net(net)
    domain = check_domain(domain, net.d)
    if not net.activation.is_piecewise_linear:
        raise ValueError(f"net: exact values need a piecewise-linear activation, got {net.spec}")
    if net.d > 3:
        raise ValueError(f"net: exact enumeration is implemented for d <= 3, got d = {net.d}")
    k, d = net.k, net.d
    est = len(_combinations(k, d)) if k >= d else 1
    if est * 2**d > max_candidates:
        return None
    if degenerate_reason(net.W, net.b, domain) is not None:
        return None
    if not np.any(net.W != 0) or (domain.kind == "rd" and _reduce_to_row_space(net)[1] == 0):
        return ExactResult(0.0, np.zeros(d), net.patterns(np.zeros((1, d)))[0], 1)
    table = _table(net, domain)
    if table is None or table[0].shape[0] == 0:
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
    if X.shape[0] == 0:
        return None
    Gu = net.pattern_gradients(Pu)
    G = Gu[inv]
    vals2 = np.sum(G**2, axis=1)
    if domain.kind == "sphere":
        vals2 = vals2 - np.sum(G * X, axis=1) ** 2 / domain.radius**2
    i = int(np.argmax(vals2))
    return ExactResult(float(np.sqrt(max(vals2[i], 0.0))), X[i].copy(), Pu[inv[i]].copy(),
                       regions)


def _table(net: TwoLayerNet, domain: Domain):
    """(points, patterns) of the candidates (R^d: in the row space of W), or None."""
    if domain.kind != "rd":
        return _region_table(net, domain)
    Q, r = _reduce_to_row_space(net)
    red = TwoLayerNet(net.a, net.W @ Q, net.b, net.activation)
    table = _region_table(red, Domain.rd())
    return None if table is None else (table[0] @ Q.T, table[1])


def _exact_rank(W: np.ndarray) -> int:
    """The rank of W in exact rational arithmetic (Gaussian elimination on the floats'
    exact values; W has at most 3 columns)."""
    M = [[Fraction(float(v)) for v in row] for row in W if np.any(row != 0)]
    rank, cols = 0, W.shape[1]
    for c in range(cols):
        piv = next((i for i in range(rank, len(M)) if M[i][c] != 0), None)
        if piv is None:
            continue
        M[rank], M[piv] = M[piv], M[rank]
        for i in range(rank + 1, len(M)):
            if M[i][c] != 0:
                f = M[i][c] / M[rank][c]
                M[i] = [x - f * y for x, y in zip(M[i], M[rank], strict=True)]
        rank += 1
    return rank


def degenerate_reason(W: np.ndarray, b: np.ndarray | None = None,
                      domain: Domain | None = None, rel: float = 1e-12) -> str | None:
    """Why the arrangement of the kink hyperplanes is too ill-conditioned to enumerate
    in floating point, or None: a set of at most d live normals (or W itself) that
    is nearly, but not exactly, linearly dependent (Gram determinant at most ``rel``
    times the product of the squared norms, rank decided in exact arithmetic), or
    (with ``b``) two parallel kink hyperplanes closer than :math:`10^{-8}(1 + |s|)` but
    distinct, s their offset (the region between them is thinner than the
    enumeration's tolerances), or (with a ball or sphere ``domain``) a kink hyperplane
    tangent to the sphere within a relative 1e-9 (first-order tests cannot tell the
    sides of a tangency).

    >>> degenerate_reason(np.array([[1.0, 0.0], [1.0, 1e-7]]))
    'nearly parallel neurons 0 and 1 (normals dependent to 1e-14, but not exactly)'
    >>> degenerate_reason(np.array([[1.0, 0.0], [2.0, 0.0]])) is None
    True
    """
    live = np.flatnonzero(np.any(W != 0, axis=1))
    for r in range(2, min(W.shape[1], live.size) + 1):
        idx = live[_combinations(live.size, r)]
        A = W[idx]
        gram = A @ np.transpose(A, (0, 2, 1))
        scale = np.prod(np.sum(A**2, axis=2), axis=1)
        ratio = np.linalg.det(gram) / scale
        flagged = np.flatnonzero(ratio <= rel)
        if flagged.size > 20000:
            return f"{flagged.size} nearly dependent sets of {r} neurons"
        for c in flagged:
            if _exact_rank(A[c]) == r:
                names = " and ".join(str(int(i)) for i in idx[c])
                return (f"nearly parallel neurons {names} (normals dependent to "
                        f"{max(float(ratio[c]), 0.0):.0e}, but not exactly)")
    if b is not None:
        reason = _close_parallel_kinks(W, b, live)
        if reason is not None:
            return reason
        if domain is not None and domain.kind != "rd" and live.size:
            dist = np.abs(b[live]) / np.linalg.norm(W[live], axis=1)
            tangent = np.abs(dist - domain.radius) <= 1e-9 * domain.radius
            if np.any(tangent):
                return (f"the kink of neuron {int(live[np.argmax(tangent)])} is tangent to the "
                        "sphere")
    U_, S, _ = np.linalg.svd(W, full_matrices=False)
    if S.size and S[0] > 0 and np.any(S <= rel * S[0]):
        r_float = int(np.sum(S > rel * S[0]))
        if _exact_rank(W) != r_float:
            return "the weight matrix is nearly, but not exactly, rank-deficient"
    return None


def _close_parallel_kinks(W: np.ndarray, b: np.ndarray, live: np.ndarray) -> str | None:
    """Two (numerically) parallel, distinct kink hyperplanes closer than 1e-8 (1 + |s|)."""
    if live.size < 2:
        return None
    n = np.linalg.norm(W[live], axis=1)
    U = W[live] / n[:, None]
    first = U[np.arange(live.size), np.argmax(np.abs(U) > 0, axis=1)]
    sgn = np.where(first < 0, -1.0, 1.0)
    U, off = U * sgn[:, None], -b[live] / n * sgn
    i, j = np.triu_indices(live.size, 1)
    par = np.linalg.norm(U[i] - U[j], axis=1) <= 1e-8
    gap = np.abs(off[i] - off[j])
    close = par & (gap > 0) & (gap <= 1e-8 * (1 + np.abs(off[i])))
    if np.any(close):
        c = int(np.flatnonzero(close)[0])
        return (f"kinks of neurons {int(live[i[c]])} and {int(live[j[c]])} are parallel and "
                f"{gap[c]:.1e} apart (a region thinner than the enumeration resolves)")
    return None


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
    net = check_net(net)
    domain = check_domain(domain, net.d)
    if domain.kind == "sphere":
        raise ValueError("domain: region_gradients is for R^d and balls (the sphere's "
                         "tangential gradients depend on the point)")
    if not net.activation.is_piecewise_linear or net.d > 3:
        raise ValueError("net: needs a piecewise-linear activation and d <= 3")
    if degenerate_reason(net.W, net.b, domain) is not None:
        return None
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


def exact_lp_lipschitz(net: TwoLayerNet, domain: Domain | None = None,
                       p=2) -> tuple[float | None, str]:
    r"""Exact :math:`\mathrm{Lip}_{p,\Omega}(f) = \max_S\|g_S\|_q` for a
    piecewise-linear two-layer network with :math:`d \le 3` on
    :math:`\mathbb R^d` or a Euclidean ball, where :math:`g_S` ranges over the
    constant gradients of the linear regions meeting :math:`\Omega`
    (:func:`region_gradients`). Returns ``(value, '')`` or
    ``(None, reason)``.

    Examples
    --------
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> exact_lp_lipschitz(net, Domain.rd(), p="inf")
    (2.0, '')
    """
    p = _as_p(p)
    if isinstance(net, DeepReLUNet) and net.depth > 1:
        domain = check_domain(domain, net.d, p)
        return None, "region enumeration is implemented for two-layer networks only"
    net = two_layer(net)
    domain = check_domain(domain, net.d, p)
    if not net.activation.is_piecewise_linear or net.d > 3:
        return None, "exact values need a piecewise-linear activation and d <= 3"
    G = region_gradients(net, domain)
    if G is None:
        return None, (degenerate_reason(net.W, net.b, domain)
                      or "arrangement too degenerate to enumerate")
    return float(lp_norm(G, dual_exponent(p)).max()), ""
