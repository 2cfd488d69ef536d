r"""Regions of the activation arrangement for branch and bound: lifted coordinates,
maximal-margin points and rigorous emptiness proofs (``docs/mathematics.md#branch-and-bound``).

A node fixes signs :math:`\sigma_j \in \{\pm1\}` of some neurons; its region is
:math:`\{x\in\Omega : \sigma_j(w_j\cdot x + b_j) > 0\}`. Two liftings make every region
a subset of a bounded convex set :math:`K` in coordinates z, with pre-activations
:math:`p_j(z) = A_j\cdot z + c_j`:

- **ball** :math:`B_R` (and the sphere, through its ball): :math:`z = x`, :math:`A_j = w_j`,
  :math:`c_j = b_j`, :math:`K = B_R`.
- :math:`\mathbb R^d` (**homogenized**): :math:`z = (x, t)\in\mathbb R^{d+1}`,
  :math:`A_j = (w_j, b_j)`, :math:`c_j = 0`, plus :math:`t > 0`, and
  :math:`K = [-1, 1]^{d+1}`. The region is an open cone; it is nonempty iff it meets
  the interior of K (scale a point into it), and a point :math:`(x, t)`, :math:`t>0`,
  maps back to :math:`x/t` with the same signs.

**Maximal margin.** :math:`\max m` subject to :math:`\sigma_j p_j(z) \ge m\|A_j\|`
(and :math:`t \ge m`), :math:`z \in K`, :math:`|m| \le M`; the region has interior points
iff the optimum is positive. It is solved as a linear program (HiGHS through scipy);
for the ball the margin also measures the distance to the sphere,
:math:`\|z\| + m \le R` (together with the redundant :math:`\|z\| \le R`: the
optimum is positive iff the region meets the open ball), replaced by the box
:math:`|z_i|\le R` and half-spaces :math:`u\cdot z + m \le R` (:math:`\|u\| = 1`) added
at the LP solutions that violate it (cutting planes: every cut is valid, so the LP
stays an outer relaxation).

**Rigorous emptiness.** For any multipliers :math:`y \ge 0` of the constraints
:math:`Gz' \le h` (:math:`z' = (z, m)`), weak duality gives, for every feasible
:math:`z'`, :math:`m = (e_m - G^Ty)\cdot z' + y\cdot h \le \|r_z\|_*\,\rho_K +
|r_m|M + y\cdot h` with :math:`r = e_m - G^Ty`, :math:`\rho_K` the radius of K in the
norm dual to :math:`\|\cdot\|_*` (:math:`\|\cdot\|_2` and R for the ball,
:math:`\|\cdot\|_1` and 1 for the cube). The rounding of r and :math:`y\cdot h` is
bounded by :math:`\gamma_{m+2}(|e_m| + |G|^T y)` and :math:`\gamma_m |y|\cdot|h|`
(Higham §3, ``docs/mathematics.md#rounding``). If the bound is :math:`\le 0` the region
has no interior point: the node is pruned. The multipliers come from the LP's duals
(HiGHS), then, for the ball, are improved by minimizing that bound over
:math:`y\ge0` (L-BFGS-B: the Lagrange dual of the exact second-order-cone problem).

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> from numerics.domain import Domain
>>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [1.0, 0.0]], [0.0, -2.0], "relu")
>>> L = Lifted.of(net, Domain.ball(1.0))
>>> sig = np.array([0, 1], dtype=np.int8)       # neuron 1 on: x_1 > 2, outside B_1
>>> region_point(L, sig) is None, prove_empty(L, sig)
(True, True)
>>> x = region_point(L, np.array([1, -1], dtype=np.int8))
>>> bool(x[0] > 0 and np.linalg.norm(x) < 1)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import linprog, minimize

from numerics.domain import Domain
from numerics.models import TwoLayerNet
from numerics.rounding import U as _U
from numerics.rounding import gamma as _gamma

_CUT_ROUNDS = 4


@dataclass(frozen=True)
class Lifted:
    """Lifted pre-activation data: ``A`` (k, D), ``c`` (k,), ``radius`` of K, ``homog``
    (R^d lifting with the extra coordinate t) and the original dimension ``d``."""

    A: np.ndarray
    c: np.ndarray
    norms: np.ndarray
    radius: float
    homog: bool
    d: int

    @classmethod
    def of(cls, net: TwoLayerNet, domain: Domain) -> Lifted:
        """The lifting for the domain (sphere: its ball)."""
        if domain.kind == "rd":
            A = np.hstack([net.W, net.b[:, None]])
            return cls(A, np.zeros(net.k), np.linalg.norm(A, axis=1), 1.0, True, net.d)
        return cls(net.W.copy(), net.b.copy(), np.linalg.norm(net.W, axis=1),
                   float(domain.radius), False, net.d)

    @property
    def D(self) -> int:
        return self.A.shape[1]

    def to_x(self, z: np.ndarray) -> np.ndarray:
        """Back to the original coordinates (x = z, or x/t)."""
        return z[:self.d] / z[self.d] if self.homog else z.copy()

    def cap(self) -> float:
        """The bound M on |m| (never binding at the optimum's sign)."""
        live = self.norms > 0
        ratio = np.abs(self.c[live]) / self.norms[live]
        return float(self.radius + (ratio.max() if ratio.size else 0.0)) + 1.0


def _margin_rows(L: Lifted, sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Constraints G (z, m) <= h of the maximal-margin problem."""
    idx = np.flatnonzero((sig != 0) & (L.norms > 0))
    s = sig[idx].astype(float)
    G = np.hstack([-(s[:, None] * L.A[idx]), L.norms[idx][:, None]])
    h = s * L.c[idx]
    if L.homog:
        row = np.zeros((1, L.D + 1))
        row[0, L.d] = -1.0
        row[0, -1] = 1.0
        G, h = np.vstack([G, row]), np.append(h, 0.0)
    return G, h


def _solve_margin(L: Lifted, G: np.ndarray, h: np.ndarray):
    """LP of the maximal margin over the cube (R^d) or box + cuts (ball); returns
    (z, m, y, G, h) with the final constraint set, or None if HiGHS fails."""
    D, M = L.D, L.cap()
    bounds = [(-L.radius, L.radius)] * D + [(-M, M)]
    cost = np.zeros(D + 1)
    cost[-1] = -1.0
    for rnd in range(_CUT_ROUNDS):
        res = linprog(cost, A_ub=G if G.size else None, b_ub=h if G.size else None,
                      bounds=bounds, method="highs")
        if res.status != 0:
            return None
        z, m = res.x[:D], float(res.x[-1])
        y = -np.asarray(res.ineqlin.marginals) if G.size else np.zeros(0)
        nz = float(np.linalg.norm(z))
        if L.homog or nz + m <= L.radius * (1 + 1e-9) or m <= 0:
            return z, m, np.maximum(y, 0.0), G, h
        if rnd == _CUT_ROUNDS - 1:
            break
        cut = np.append(z / nz, 1.0)  # u.z + m <= R: valid for ||z|| + m <= R
        G, h = np.vstack([G, cut[None]]) if G.size else cut[None], np.append(h, L.radius)
    return z, m, np.maximum(y, 0.0), G, h


def _dual_bound(L: Lifted, G: np.ndarray, h: np.ndarray, y: np.ndarray) -> float:
    """Rigorous upper bound on the maximal margin from multipliers y >= 0 (module
    docstring), rounding included."""
    m = G.shape[0]
    e = np.zeros(G.shape[1])
    e[-1] = 1.0
    r = e - G.T @ y if m else e
    gam = _gamma(m + 2)
    err = gam * (np.abs(e) + (np.abs(G).T @ y if m else 0.0))
    rz, ez = np.abs(r[:-1]) + err[:-1], abs(r[-1]) + err[-1]
    zpart = float(np.sum(rz)) if L.homog else float(np.linalg.norm(rz))
    yh = float(y @ h) if m else 0.0
    yh_err = _gamma(m + 1) * float(np.abs(y) @ np.abs(h)) if m else 0.0
    bound = zpart * L.radius + ez * L.cap() + yh + yh_err
    return bound * (1 + 8 * _U) + 8 * _U * (zpart * L.radius + ez * L.cap() + abs(yh))


def _polish_dual(L: Lifted, G: np.ndarray, h: np.ndarray, y0: np.ndarray) -> np.ndarray:
    r"""Ball: minimize :math:`(R\|G_z^Ty\| + h\cdot y)/(n\cdot y)` over y >= 0
    (n = the m-column of G) from y0 by L-BFGS-B, and return y scaled to
    :math:`n\cdot y = 1`, so that :math:`r_m = 0` up to rounding: the Lagrange dual of
    the exact ball-constrained margin problem."""
    Gz, n = G[:, :-1], G[:, -1]
    R = L.radius

    def ratio(y):
        q = Gz.T @ y
        nq = math.sqrt(float(q @ q) + 1e-300)
        num = nq * R + float(h @ y)
        den = float(n @ y)
        if den <= 1e-12:  # y ~ 0: steer away
            return 1e12, -n
        gnum = (Gz @ q) * (R / nq) + h
        return num / den, gnum / den - num * n / den**2

    start = np.maximum(y0, 0.0) + 1e-6 * max(float(np.max(y0, initial=0.0)), 1e-6)
    res = minimize(ratio, start, jac=True, method="L-BFGS-B", bounds=[(0, None)] * y0.size,
                   options={"maxiter": 300})
    y = np.maximum(res.x, 0.0)
    den = float(n @ y)
    return y / den if den > 0 else y


def _interior(L: Lifted, sig: np.ndarray, z: np.ndarray) -> bool:
    """z strictly inside the region and K (rounding of p_j(z) accounted for)."""
    idx = np.flatnonzero((sig != 0) & (L.norms > 0))
    p = L.A[idx] @ z + L.c[idx]
    err = _gamma(L.D + 2) * (np.abs(L.A[idx]) @ np.abs(z) + np.abs(L.c[idx]))
    if not np.all(sig[idx] * p > err):
        return False
    if L.homog:
        return bool(z[L.d] > 0)
    return bool(float(z @ z) * (1 + _gamma(L.D + 1)) < L.radius**2)


def _slsqp_point(L: Lifted, G: np.ndarray, h: np.ndarray, z0: np.ndarray,
                 m0: float) -> np.ndarray | None:
    """Ball: maximize the margin with the exact constraint ||z|| + m <= R by SLSQP
    from the LP point (a heuristic; its point is verified by the caller)."""
    R = L.radius
    cost = np.zeros(G.shape[1])
    cost[-1] = -1.0
    cons = [{"type": "ineq", "fun": lambda v: h - G @ v, "jac": lambda v: -G},
            {"type": "ineq", "fun": lambda v: np.array([(R - v[-1]) ** 2 - v[:-1] @ v[:-1],
                                                         R - v[-1]]),
             "jac": lambda v: np.vstack([np.append(-2 * v[:-1], -2 * (R - v[-1])),
                                         np.append(np.zeros(v.size - 1), -1.0)])}]
    nz = float(np.linalg.norm(z0))
    v0 = np.append(z0 * min(1.0, 0.5 * R / max(nz, 1e-300)), min(m0, 0.0))
    res = minimize(lambda v: (float(cost @ v), cost), v0, jac=True, method="SLSQP",
                   constraints=cons, options={"maxiter": 100, "ftol": 1e-12})
    if not np.all(np.isfinite(res.x)) or res.x[-1] <= 0:
        return None
    return res.x[:-1]


def pair_fixings(L: Lifted, sig: np.ndarray, x: np.ndarray | None = None, *, iters: int = 40,
                 rounds: int = 3, _radius_scale: float = 1.0) -> np.ndarray | None:
    r"""Signs of the region of ``sig`` extended by every free neuron whose sign is
    constant on it, proved by Lagrangian duality over the ball (ball and sphere
    liftings; on :math:`\mathbb R^d` ``sig`` is returned unchanged).

    For a free neuron i, a sign s and any multipliers :math:`\lambda_l \ge 0` of the
    fixed neurons X, every z of the ball :math:`\|z\| \le R` with
    :math:`\sigma_l p_l(z) \ge 0` (l in X) has

    .. math::

        s\,p_i(z) \ge s\,p_i(z) - \sum_{l\in X}\lambda_l\sigma_l p_l(z)
        \ge s c_i - \sum_l\lambda_l\sigma_l c_l
        - R\,\Big\|sA_i - \sum_l\lambda_l\sigma_l A_l\Big\| =: \varphi_i(\lambda),

    so if :math:`\varphi_i(\lambda) > 0`, :math:`s p_i > 0` on the region's closure and
    the child with the opposite sign is empty: neuron i is fixed to s.
    :math:`\varphi_i` is the Lagrange dual of :math:`\min s\,p_i` over the ball and the
    fixed half-spaces (a second-order-cone problem; strong duality holds when the
    region has interior points), so with good multipliers this proves every fixing the
    exact problem proves. **Multipliers:** the best single constraint in closed form
    (with :math:`\hat u = \sigma_lA_l/\|A_l\|`, :math:`\alpha = sA_i\cdot\hat u`,
    :math:`\beta = \|sA_i - \alpha\hat u\|`, :math:`t = \sigma_l c_l/(R\|A_l\|)`:
    :math:`\lambda_l\|A_l\| = \max(0, \alpha - t\beta/\sqrt{1-t^2})` for
    :math:`|t| < 1`, else 0), then ``iters`` steps of projected gradient ascent on the
    concave :math:`\varphi_i`, all (i, s) at once; any :math:`\lambda \ge 0` is valid,
    so the ascent needs no accuracy. With a point x of the region only the sign of
    :math:`p_i(x)` is tried.

    **Rounding** (``docs/mathematics.md#rounding``): each certificate is evaluated
    directly, and a fixing is made only if :math:`\varphi_i` exceeds
    :math:`4\gamma_{D+|X|+8}(|c_i| + \sum_l\lambda_l|c_l| + R(\|r\| + \|A_i\| +
    \sum_l\lambda_l\|A_l\|))`, :math:`r` the computed residual vector: every term of the
    evaluation is one of these magnitudes times at most D + |X| + 8 roundings. A neuron
    proved positive and negative shows the region empty. Fixing is repeated while it
    finds new neurons (a fixed neuron is a new constraint), at most ``rounds`` times.

    Parameters
    ----------
    L : Lifted
    sig : array of int8, shape (k,)
        Signs (0 = free) of a node.
    x : array, shape (d,), optional
        A point strictly inside the region.
    iters, rounds : int
        Ascent steps per round; rounds.
    _radius_scale : float
        Multiplies R in the certificates: any value below 1 is the deliberately wrong
        variant for tests (it proves fixings a smaller ball would have).

    Returns
    -------
    array of int8, shape (k,), or None
        ``sig`` with the proved fixings added; None when some neuron is proved positive
        and negative on the region (so the region is empty).

    Examples
    --------
    >>> import numpy as np
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [1.0, 0.1]], [-0.5, -0.2], "relu")
    >>> L = Lifted.of(net, Domain.ball(1.0))
    >>> pair_fixings(L, np.array([1, 0], dtype=np.int8)).tolist()   # x_1 > 0.5 => on
    [1, 1]
    """
    sig = np.asarray(sig, dtype=np.int8).copy()
    if L.homog:
        return sig
    live = L.norms > 0
    for _ in range(rounds):
        fixed = np.flatnonzero((sig != 0) & live)
        free = np.flatnonzero((sig == 0) & live)
        if fixed.size == 0 or free.size == 0:
            break
        new = _fixings(L, sig, fixed, free, iters, x, L.radius * _radius_scale)
        if new is None:
            return None
        if not np.any(new):
            break
        sig[free[new != 0]] = new[new != 0]
    return sig


def _fixings(L: Lifted, sig, fixed, free, iters: int, x, R: float):
    """One round of :func:`pair_fixings`: the proved sign of each free neuron (0 if
    none), or None when some neuron is proved both ways. With a point x of the region
    only the sign of :math:`p_i(x)` can be proved, so only that one is tried."""
    D = L.D
    nl = L.norms[fixed]
    Uh = (sig[fixed].astype(float) / nl)[:, None] * L.A[fixed]          # (x, D) unit rows
    hh = sig[fixed] * L.c[fixed] / nl                                   # (x,)
    tt = hh / R
    useful = np.abs(tt) < 1
    root = np.sqrt(np.maximum(1 - tt**2, 1e-300))
    f = free.size
    sgn = np.repeat([1.0, -1.0], f)
    idx = np.tile(free, 2)
    if x is not None:
        px = L.A[free] @ x + L.c[free]
        keep = np.concatenate([px > 0, px < 0])
        sgn, idx = sgn[keep], idx[keep]
    else:
        keep = np.ones(2 * f, dtype=bool)
    if idx.size == 0:
        return np.zeros(f, dtype=np.int8)
    nrow = idx.size
    V = sgn[:, None] * L.A[idx]                                         # (2f, D)
    c0 = sgn * L.c[idx]
    nv = L.norms[idx]
    # best single constraint, in closed form (mu = lambda ||A_l||)
    alpha = V @ Uh.T                                                    # (2f, x)
    beta = np.sqrt(np.maximum(nv[:, None] ** 2 - alpha**2, 0.0))
    mu1 = np.where(useful, np.maximum(alpha - tt * beta / root, 0.0), 0.0)
    val1 = c0[:, None] - mu1 * hh - R * np.sqrt(np.maximum(
        nv[:, None] ** 2 - 2 * mu1 * alpha + mu1**2, 0.0))
    best = np.argmax(val1, axis=1)
    mu = np.zeros_like(alpha)
    mu[np.arange(nrow), best] = mu1[np.arange(nrow), best]

    def phi(M):
        r = V - M @ Uh
        nr = np.sqrt(np.einsum("ij,ij->i", r, r))
        return c0 - M @ hh - R * nr, r, nr

    val, r, nr = phi(mu)
    eta = 0.1 * nv / R
    for _ in range(iters):  # projected gradient ascent on the concave dual
        g = -hh[None, :] + R * (r @ Uh.T) / np.maximum(nr, 1e-300)[:, None]
        trial = np.maximum(mu + eta[:, None] * g, 0.0)
        tval, tr, tnr = phi(trial)
        up = tval > val
        mu = np.where(up[:, None], trial, mu)
        val, r, nr = np.where(up, tval, val), np.where(up[:, None], tr, r), \
            np.where(up, tnr, nr)
        eta = np.where(up, 1.5 * eta, 0.5 * eta)
    # rigorous evaluation of each certificate (rounding: module docstring of pair_fixings)
    lam = mu / nl                                                       # (2f, x)
    Sx = sig[fixed].astype(float)
    r = V - (lam * Sx) @ L.A[fixed]
    nr = np.linalg.norm(r, axis=1)
    cst = c0 - (lam * Sx) @ L.c[fixed]
    err = 4 * _gamma(D + fixed.size + 8) * (np.abs(L.c[idx]) + lam @ np.abs(L.c[fixed])
                                           + R * (nr + nv + lam @ nl))
    ok = np.zeros(2 * f, dtype=bool)
    ok[keep] = cst - R * nr > err
    ok = ok.reshape(2, f)
    if np.any(ok[0] & ok[1]):
        return None
    return np.where(ok[0], 1, np.where(ok[1], -1, 0)).astype(np.int8)


def classify_region(L: Lifted, sig: np.ndarray) -> tuple[np.ndarray | None, str]:
    """(point, status) for the region of ``sig``: status ``'point'`` with a point
    (original coordinates) strictly inside the region and the domain's interior;
    ``'empty'`` when the region provably has no interior point (weak duality with
    rounding, or the exact Gordan certificate on R^d); else ``'undecided'``."""
    G0, h0 = _margin_rows(L, sig)
    out = _solve_margin(L, G0, h0)
    if out is None:
        return None, "undecided"
    z, m, y, G, h = out
    if m > 0:
        if _interior(L, sig, z):
            return L.to_x(z), "point"
        if not L.homog:
            z2 = _slsqp_point(L, G, h, z, m)
            if z2 is not None and _interior(L, sig, z2):
                return L.to_x(z2), "point"
            if G.shape[0] and _dual_bound(L, G, h, _polish_dual(L, G, h, y)) <= 0:
                return None, "empty"
        return None, "undecided"
    if _dual_bound(L, G, h, y) <= 0:
        return None, "empty"
    if L.homog:
        return None, ("empty" if _gordan_exact(G, y) else "undecided")
    if G.shape[0] and _dual_bound(L, G, h, _polish_dual(L, G, h, y)) <= 0:
        return None, "empty"
    return None, "undecided"


def region_point(L: Lifted, sig: np.ndarray) -> np.ndarray | None:
    """A point (original coordinates) strictly inside the region of ``sig`` and the
    domain's interior, or None when none was found (see :func:`classify_region`)."""
    return classify_region(L, sig)[0]


def prove_empty(L: Lifted, sig: np.ndarray) -> bool:
    """True only if the region of ``sig`` provably has no interior point in the
    domain (:func:`classify_region`)."""
    return classify_region(L, sig)[1] == "empty"


def _nullspace_exact(M: list[list[Fraction]], ncols: int) -> list[list[Fraction]]:
    """Basis of the null space of a rational matrix (reduced row echelon form)."""
    rows = [r[:] for r in M]
    pivots, r = [], 0
    for c in range(ncols):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        inv = 1 / rows[r][c]
        rows[r] = [v * inv for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
        if r == len(rows):
            break
    basis = []
    for fc in (c for c in range(ncols) if c not in pivots):
        v = [Fraction(0)] * ncols
        v[fc] = Fraction(1)
        for i, pc in enumerate(pivots):
            v[pc] = -rows[i][fc]
        basis.append(v)
    return basis


def _gordan_exact(G: np.ndarray, y: np.ndarray) -> bool:
    r"""Exact Gordan certificate that the open cone :math:`\{z : V z > 0\}` is empty,
    V the rows of the homogenized constraints (:math:`\sigma_jA_j` and :math:`e_t`):
    on the support J of the LP multipliers, a vector :math:`y_J > 0` with
    :math:`V_J^Ty_J = 0` computed in rational arithmetic (floats are rationals), so
    no rounding enters. The cone's optimum margin is exactly 0 when it is empty (the
    apex), which the floating-point duality bound cannot show."""
    if y.size == 0 or float(y.max()) <= 0:
        return False
    J = np.flatnonzero(y > 1e-9 * float(y.max()))
    V = -G[J, :-1]  # rows sigma_j A_j, and e_t
    if J.size > 64:
        return False
    D = V.shape[1]
    M = [[Fraction(float(V[i, c])) for i in range(J.size)] for c in range(D)]
    basis = _nullspace_exact(M, J.size)
    if len(basis) != 1:
        return False
    v = basis[0]
    if v[int(np.argmax(y[J]))] < 0:
        v = [-x for x in v]
    return all(x > 0 for x in v)
