r"""Explicit interpolating networks: the constructions C1--C4 of THEORY.md §3.

Each construction takes data ``X`` (n, d) and labels ``y`` (n,) in
:math:`\{\pm1\}` and returns a :class:`ConstructionResult`: the
:class:`~numerics.models.network.TwoLayerNet`, whether the construction's
*exactness condition* holds on this data (and the reason when it does not),
the measured fit error :math:`\max_i |f(x_i) - y_i|`, and the certified
Lipschitz upper bounds the construction comes with (each with the domain it
holds on, its statement, or the reason it is unavailable).

=====  ==========================  ======================  ===================================
name   neurons k                   exact when              certified upper bound
=====  ==========================  ======================  ===================================
C1     n                           max x_i.x_j <= tau      Lip_B1 <= sqrt(m(1+(m-1)mu))/(1-tau)
C2     2n                          max x_i.x_j <= 1-s      Lip_S = sqrt((2-s)/s), disjoint caps
C3     3 (#groups), about 3n/d     width > 0               triangle inequality on R^d
C4     2 (#groups), group m <= d   max |u_G.x_j| <= 1/2    Lip_B1 <= 4 |U|_op^2
C5     dim of the degree-p space   n <= dim, K regular     none (THEORY.md gives none)
=====  ==========================  ======================  ===================================

C1 and C2 need the data on the unit sphere. C5 (polynomial/tensor
interpolation with the activation :math:`t^p`) wraps
:func:`numerics.construct.polynomial.min_energy_interpolant` and
:func:`numerics.construct.polynomial.waring_network`; THEORY.md gives no upper bound for it.

Floating point: the bounds are evaluated in double precision (norms, SVDs);
the combinatorial step of C1 (the integer ``m``) is rounded *up* so it stays
valid under rounding.

Examples
--------
>>> from numerics.data import random_dataset
>>> D = random_dataset(20, 30, seed=0)
>>> r = c1_one_neuron_per_point(D.X, D.y)
>>> r.condition_holds, r.fit_error <= 1e-9, r.net.k
(True, True, 20)
>>> r.upper_for(Domain.ball(1.0)) is not None
True
>>> r4 = c4_grouped_min_norm(D.X, D.y, group_size=2)
>>> r4.net.k, r4.condition_holds == (r4.fit_error <= 1e-9)
(20, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from numerics._validate import as_finite_float, as_positive_int
from numerics.data import validate_dataset
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = [
    "CONSTRUCTIONS",
    "CertifiedUpper",
    "ConstructionResult",
    "FIT_TOL",
    "c1_lipschitz_bound",
    "c1_one_neuron_per_point",
    "c2_cap_ramps",
    "c3_baum",
    "c4_group_size",
    "c4_grouped_min_norm",
    "c4_lipschitz_bound",
    "c5_polynomial",
    "construct",
]

#: Tolerance of "interpolates exactly": :math:`\max_i |f(x_i) - y_i| \le` FIT_TOL.
FIT_TOL = 1e-9
#: Tolerance on :math:`|\|x_i\|^2 - 1|` for "data on the unit sphere".
SPHERE_TOL = 1e-10


@dataclass(frozen=True)
class CertifiedUpper:
    """A proved upper bound on the Lipschitz constant on ``domain``.

    ``value`` is None when a hypothesis of the bound fails; ``reason`` then
    says which. ``statement`` is the inequality that was evaluated.
    """

    domain: Domain
    value: float | None
    statement: str
    reason: str | None = None

    def to_dict(self) -> dict:
        return {"domain": self.domain.label, "value": self.value,
                "statement": self.statement, "reason": self.reason}


@dataclass(frozen=True)
class ConstructionResult:
    r"""What a construction returns.

    Attributes
    ----------
    name : str
        ``'C1'`` ... ``'C5'``.
    net : TwoLayerNet or None
        The network (None only for C5 when no interpolant exists).
    condition_holds : bool
        Whether the exactness condition (a sufficient condition for
        :math:`f(x_i) = y_i` for all i) holds on the data.
    reason : str or None
        Why it fails (None when it holds).
    condition : str
        The condition, in words.
    fit_error : float
        Measured :math:`\max_i |f(x_i) - y_i|`.
    bounds : tuple of CertifiedUpper
        The construction's certified Lipschitz upper bounds (possibly with
        ``value=None`` and a reason).
    params : dict
        Parameters actually used (tau, s, group sizes, widths, ...).
    """

    name: str
    net: TwoLayerNet | None
    condition_holds: bool
    reason: str | None
    condition: str
    fit_error: float
    bounds: tuple[CertifiedUpper, ...] = ()
    params: dict = field(default_factory=dict)

    @property
    def interpolates(self) -> bool:
        """``fit_error <= FIT_TOL``."""
        return bool(self.fit_error <= FIT_TOL)

    def upper_for(self, domain: Domain) -> float | None:
        r"""The best certified upper bound valid on ``domain`` (or None).

        Uses :math:`\mathrm{Lip}_{S_R} \le \mathrm{Lip}_{B_R} \le
        \mathrm{Lip}_{\mathbb R^d}` and :math:`B_r \subset B_R` for r <= R: a bound
        proved on a larger domain holds on a smaller one.
        """
        vals = [c.value for c in self.bounds if c.value is not None
                and _contains(c.domain, domain)]
        return min(vals) if vals else None

    def to_dict(self) -> dict:
        """JSON-friendly summary (no weights)."""
        return {"name": self.name, "k": None if self.net is None else self.net.k,
                "activation": None if self.net is None else self.net.spec,
                "condition_holds": self.condition_holds, "reason": self.reason,
                "condition": self.condition, "fit_error": self.fit_error,
                "interpolates": self.interpolates,
                "bounds": [c.to_dict() for c in self.bounds], "params": self.params}


def _contains(big: Domain, small: Domain) -> bool:
    """Whether a Lipschitz bound on ``big`` is a bound on ``small``."""
    if big.kind == "rd":
        return True
    if small.kind == "rd":
        return False
    if big.kind == "ball":
        return small.radius <= big.radius
    return small.kind == "sphere" and small.radius == big.radius


def _finish(name, net, X, y, ok, reason, condition, bounds, params) -> ConstructionResult:
    err = float("inf") if net is None else float(np.max(np.abs(net(X) - y)))
    return ConstructionResult(name, net, bool(ok), None if ok else reason, condition, err,
                              tuple(bounds), params)


def _sphere_problem(X: np.ndarray) -> str | None:
    dev = float(np.max(np.abs(np.sum(X * X, axis=1) - 1.0)))
    if dev > SPHERE_TOL:
        return f"data not on the unit sphere (max | |x_i|^2 - 1 | = {dev:.3g} > {SPHERE_TOL:g})"
    return None


def _offdiag(G: np.ndarray) -> np.ndarray:
    n = G.shape[0]
    return G[~np.eye(n, dtype=bool)]


# ---------------------------------------------------------------------------
# C1
# ---------------------------------------------------------------------------
def c1_lipschitz_bound(tau: float, mu: float, n: int, nu: float = 1.0) -> tuple[float | None, str]:
    r"""Certified :math:`\mathrm{Lip}_{B_1}` of C1, or None with the reason.

    Parameters
    ----------
    tau : float
        Threshold of the construction.
    mu : float
        :math:`\mu = \max_{i\ne j}|x_i\cdot x_j|` (0 when n = 1).
    n : int
        Number of points (an active set has at most n elements).
    nu : float
        :math:`\nu = \max_i\|x_i\|^2` (1 on the sphere; kept so that rounding
        of the norms cannot invalidate the bound).

    Returns
    -------
    (value, statement_or_reason)

    Notes
    -----
    Derivation. The network is
    :math:`f(x) = (1-\tau)^{-1}\sum_i y_i\,\mathrm{relu}(x_i\cdot x - \tau)`,
    piecewise linear and continuous, so on the convex ball
    :math:`\mathrm{Lip}_{B_1}(f) = \sup \|\nabla f\|` over the interiors of
    its linear regions, where :math:`\nabla f(x) = (1-\tau)^{-1}\sum_{i\in A}
    y_i x_i` with :math:`A = \{i : x_i\cdot x > \tau\}`. Let
    :math:`s = \sum_{i\in A} x_i`. For :math:`\|x\|\le 1` and :math:`\tau > 0`,

    .. math::
        |A|\tau < s\cdot x \le \|s\|, \qquad
        \|s\|^2 = \sum_{i,j\in A} x_i\cdot x_j \le |A|\nu + |A|(|A|-1)\mu,

    so :math:`|A|\tau^2 < \nu + (|A|-1)\mu`, i.e. (when :math:`\mu < \tau^2`)
    :math:`|A| < (\nu-\mu)/(\tau^2-\mu)`, hence :math:`|A| \le m =
    \min(n, \lfloor(\nu-\mu)/(\tau^2-\mu)\rfloor)`. The same expansion with
    signs :math:`y_iy_j` gives :math:`\|\sum_{i\in A} y_i x_i\|^2 \le
    |A|(\nu + (|A|-1)\mu)`, increasing in :math:`|A|`, so

    .. math::
        \mathrm{Lip}_{B_1}(f) \le (1-\tau)^{-1}\sqrt{m\,(\nu + (m-1)\mu)}.

    With :math:`\nu = 1` this is THEORY.md's bound (the cap ``m <= n`` is the
    trivial refinement). It needs :math:`0 < \tau < 1` and
    :math:`\mu < \tau^2`; otherwise None is returned with the reason.

    Examples
    --------
    >>> v, _ = c1_lipschitz_bound(0.8, 0.5, 2)
    >>> round(v, 6)  # m = min(2, floor(0.5/0.14)) = 2, sqrt(2*1.5)/0.2
    8.660254
    >>> c1_lipschitz_bound(0.5, 0.3, 4)[0] is None
    True
    """
    tau = as_finite_float(tau, "tau")
    mu = as_finite_float(mu, "mu", nonnegative=True)
    nu = as_finite_float(nu, "nu", positive=True)
    n = as_positive_int(n, "n")
    if not 0 < tau < 1:
        return None, f"needs 0 < tau < 1, got tau = {tau:.6g}"
    if not mu < tau * tau:
        return None, f"needs mu < tau^2, got mu = {mu:.6g} >= tau^2 = {tau * tau:.6g}"
    m = _c1_active_max(tau, mu, n, nu)
    value = math.sqrt(m * (nu + (m - 1) * mu)) / (1 - tau) if m > 0 else 0.0
    return value, (f"Lip_B1 <= (1-tau)^-1 sqrt(m(nu+(m-1)mu)), tau={tau:.6g}, mu={mu:.6g}, "
                   f"nu={nu:.6g}, m={m}")


def _c1_active_max(tau: float, mu: float, n: int, nu: float) -> int:
    """m = min(n, floor((nu - mu)/(tau^2 - mu))), the most neurons active at once
    (needs mu < tau^2). |A| < q strictly and floor(q) >= ceil(q) - 1; the upward
    nudge keeps the integer valid when q is computed slightly below its true value."""
    q = (nu - mu) / (tau * tau - mu)
    return max(0, int(min(n, math.floor(q * (1 + 1e-12)))))


def _c1_default_tau(cmax: float, mu: float, nu: float, n: int) -> float:
    """The tau >= cmax (exactness) with mu < tau^2 minimizing the C1 bound;
    falls back to max(cmax, 0) when no such tau < 1 exists."""
    lo = max(cmax, math.sqrt(mu), 0.0)
    if lo >= 1:
        return max(cmax, 0.0) if cmax < 1 else 0.5
    lo = lo + 1e-9 * (1 - lo)
    M = np.arange(1, n + 1)
    cand = np.sqrt(mu + (nu - mu) / (M + 1)) * (1 + 1e-9)
    cand = np.concatenate([[lo], cand[(cand >= lo) & (cand < 1)]])
    vals = [c1_lipschitz_bound(float(t), mu, n, nu)[0] for t in cand]
    vals = [np.inf if v is None else v for v in vals]
    return float(cand[int(np.argmin(vals))])


def c1_one_neuron_per_point(X, y, *, tau: float | None = None) -> ConstructionResult:
    r"""C1, one ReLU neuron per point (k = n), data on the unit sphere.

    .. math::
        f(x) = (1-\tau)^{-1} \sum_{i=1}^n y_i\,\mathrm{relu}(x_i\cdot x - \tau).

    At :math:`x_j` the own neuron gives :math:`(1-\tau)^{-1}(1-\tau) = 1`
    times :math:`y_j`; the others vanish iff :math:`x_i\cdot x_j \le \tau`.
    So f interpolates when :math:`\max_{i\ne j} x_i\cdot x_j \le \tau`
    (the exactness condition). The certified bound is
    :func:`c1_lipschitz_bound` (needs :math:`\mu < \tau^2`).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points on the unit sphere.
    y : array_like, shape (n,)
        Labels +-1.
    tau : float in [0, 1), optional
        Threshold. Default: the :math:`\tau \ge \max_{i\ne j} x_i\cdot x_j`
        with :math:`\mu < \tau^2` that minimizes the certified bound (scan of
        the breakpoints of m), or :math:`\max(0, \max_{i \ne j} x_i\cdot x_j)`
        when there is none.

    Examples
    --------
    >>> X = np.eye(3); y = np.array([1.0, -1.0, 1.0])
    >>> r = c1_one_neuron_per_point(X, y, tau=0.5)
    >>> r.fit_error, round(r.upper_for(Domain.ball()), 6), r.params["m"]  # sqrt(3)/(1-1/2)
    (0.0, 3.464102, 3)
    """
    X, y = validate_dataset(X, y)
    n = X.shape[0]
    G = X @ X.T
    off = _offdiag(G)
    cmax = float(off.max()) if n > 1 else -1.0
    mu = float(np.abs(off).max()) if n > 1 else 0.0
    nu = float(np.max(np.diag(G)))
    if tau is None:
        tau = _c1_default_tau(cmax, mu, nu, n)
    else:
        tau = as_finite_float(tau, "tau")
        if not 0 <= tau < 1:
            raise ValueError(f"tau: must lie in [0, 1), got {tau}")
    net = TwoLayerNet(y / (1 - tau), X, np.full(n, -tau), "relu")
    sphere = _sphere_problem(X)
    if sphere:
        ok, reason = False, sphere
    elif cmax > tau:
        ok, reason = False, f"max_(i!=j) x_i.x_j = {cmax:.6g} > tau = {tau:.6g}"
    else:
        ok, reason = True, None
    value, stmt = c1_lipschitz_bound(tau, mu, n, nu)
    m = _c1_active_max(tau, mu, n, nu) if value is not None else None
    bound = CertifiedUpper(Domain.ball(1.0), value,
                           "Lip_B1 <= (1-tau)^-1 sqrt(m(nu+(m-1)mu)), "
                           "m=min(n, floor((nu-mu)/(tau^2-mu))), nu=max|x_i|^2",
                           None if value is not None else stmt)
    return _finish("C1", net, X, y, ok, reason, "data on S^{d-1} and max_(i!=j) x_i.x_j <= tau",
                   [bound], {"tau": tau, "mu": mu, "max_inner": cmax, "nu": nu, "m": m})


# ---------------------------------------------------------------------------
# C2
# ---------------------------------------------------------------------------
def c2_cap_ramps(X, y, *, s: float | None = None) -> ConstructionResult:
    r"""C2, cap ramps (k = 2n), data on the unit sphere.

    .. math::
        \varphi_i(x) = s^{-1}\big[\mathrm{relu}(x_i\cdot x - 1 + s)
        - \mathrm{relu}(x_i\cdot x - 1)\big], \qquad f = \sum_i y_i\varphi_i .

    :math:`\varphi_i(x_i) = 1`, and :math:`\varphi_i` vanishes off the cap
    :math:`C_i = \{x\cdot x_i > 1 - s\}`; f interpolates when
    :math:`x_i\cdot x_j \le 1 - s` for :math:`i \ne j` (exactness condition).

    Certified bounds (need :math:`0 < s \le 1` and pairwise disjoint caps).
    The cap :math:`C_i\cap S` has angular radius :math:`\theta`,
    :math:`\cos\theta = 1-s`; two caps are disjoint iff the angle between the
    centres is at least :math:`2\theta`, i.e.
    :math:`x_i\cdot x_j \le \cos 2\theta = 2(1-s)^2 - 1` (checked). On the
    sphere only one :math:`\varphi_i` is non-zero at a time, with tangential
    gradient :math:`s^{-1}(x_i - (x_i\cdot x)x)` of norm
    :math:`s^{-1}\sqrt{1 - t^2}`, :math:`t = x_i\cdot x\in[1-s, 1]`, largest at
    :math:`t = 1-s`:

    .. math::
        \mathrm{Lip}_S(f) = \sqrt{(2-s)/s}.

    In :math:`B_1` the second ReLU vanishes and the regions
    :math:`\{x\cdot x_i > 1-s\}\cap B_1` are disjoint too (radially project to
    the sphere), with gradient :math:`s^{-1}y_ix_i`, so
    :math:`\mathrm{Lip}_{B_1}(f) \le 1/s`.

    Parameters
    ----------
    X, y : data on the unit sphere and labels.
    s : float in (0, 1], optional
        Ramp width. Default: the largest s with disjoint caps,
        :math:`(1 - \sqrt{(1 + c)/2})(1 - 10^{-9})`, :math:`c = \max_{i\ne j}
        x_i\cdot x_j`.

    Examples
    --------
    >>> r = c2_cap_ramps(np.eye(2), np.array([1.0, -1.0]))
    >>> r.condition_holds, round(r.upper_for(Domain.sphere()), 6)  # s = 1 - 1/sqrt(2)
    (True, 2.414214)
    """
    X, y = validate_dataset(X, y)
    n = X.shape[0]
    G = X @ X.T
    cmax = float(_offdiag(G).max()) if n > 1 else -1.0
    if s is None:
        smax = 1 - math.sqrt(max(0.0, (1 + cmax) / 2))
        s = smax * (1 - 1e-9) if smax > 0 else 0.5
    else:
        s = as_finite_float(s, "s")
        if not 0 < s <= 1:
            raise ValueError(f"s: must lie in (0, 1], got {s}")
    W = np.concatenate([X, X])
    b = np.concatenate([np.full(n, s - 1.0), np.full(n, -1.0)])
    a = np.concatenate([y, -y]) / s
    net = TwoLayerNet(a, W, b, "relu")
    sphere = _sphere_problem(X)
    if sphere:
        ok, reason = False, sphere
    elif cmax > 1 - s:
        ok, reason = False, f"max_(i!=j) x_i.x_j = {cmax:.6g} > 1 - s = {1 - s:.6g}"
    else:
        ok, reason = True, None
    limit = 2 * (1 - s) ** 2 - 1
    if sphere:
        why = sphere
    elif cmax > limit:
        why = f"caps overlap: max x_i.x_j = {cmax:.6g} > 2(1-s)^2 - 1 = {limit:.6g}"
    else:
        why = None
    bounds = [
        CertifiedUpper(Domain.sphere(1.0), None if why else math.sqrt((2 - s) / s),
                       "Lip_S = sqrt((2-s)/s) (disjoint caps)", why),
        CertifiedUpper(Domain.ball(1.0), None if why else 1 / s,
                       "Lip_B1 <= 1/s (disjoint caps)", why),
    ]
    return _finish("C2", net, X, y, ok, reason,
                   "data on S^{d-1} and max_(i!=j) x_i.x_j <= 1 - s", bounds,
                   {"s": s, "max_inner": cmax, "caps_disjoint": why is None})


# ---------------------------------------------------------------------------
# grouping helper
# ---------------------------------------------------------------------------
def _chunks(idx: np.ndarray, m: int) -> list[np.ndarray]:
    return [idx[i:i + m] for i in range(0, len(idx), m)]


def _solve_group(XG: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Min-norm u with XG u = rhs, the residual, and the rank of XG."""
    u = np.linalg.pinv(XG) @ rhs
    return u, float(np.max(np.abs(XG @ u - rhs))), int(np.linalg.matrix_rank(XG))


# ---------------------------------------------------------------------------
# C3
# ---------------------------------------------------------------------------
def c3_baum(X, y, *, group_size: int | None = None,
            width: float | None = None) -> ConstructionResult:
    r"""C3, Baum-type mere fitting (k = 3 (number of groups), about 3n/d).

    Same-label groups G of at most m <= d points (consecutive indices within
    :math:`I_+` and within :math:`I_-`); the min-norm :math:`u_G` with
    :math:`u_G\cdot x_i = 1` on G (a hyperplane through the group); a tent of
    three ReLUs of width :math:`\delta_G` in :math:`t = u_G\cdot x`:

    .. math::
        T_G(t) = \delta_G^{-1}\big[\mathrm{relu}(t-1+\delta_G)
        - 2\,\mathrm{relu}(t-1) + \mathrm{relu}(t-1-\delta_G)\big],
        \qquad f = \sum_G y_G\,T_G(u_G\cdot x).

    :math:`T_G(1) = 1` and :math:`T_G(t) = 0` for :math:`|t-1|\ge\delta_G`.
    Exactness condition: :math:`X_G` has full row rank and
    :math:`|u_G\cdot x_j - 1| \ge \delta_G > 0` for every :math:`j\notin G`.
    Default width: :math:`\delta_G = \min(1, \min_{j\notin G}|u_G\cdot x_j - 1|)`.

    Certified bound (THEORY.md gives none; this one is elementary):
    :math:`T_G` is :math:`\delta_G^{-1}`-Lipschitz, so
    :math:`\nabla f(x) = \sum_G c_G u_G` with :math:`|c_G|\le\delta_G^{-1}`, and

    .. math::
        \mathrm{Lip}_{\mathbb R^d}(f) \le \min\Big(\sum_G \|u_G\|/\delta_G,\;
        \|U\|_{op}\big(\textstyle\sum_G \delta_G^{-2}\big)^{1/2}\Big).

    Examples
    --------
    >>> from numerics.data import random_dataset
    >>> D = random_dataset(12, 4, seed=1)
    >>> r = c3_baum(D.X, D.y)
    >>> r.condition_holds, r.fit_error <= 1e-9
    (True, True)
    """
    X, y = validate_dataset(X, y)
    n, d = X.shape
    m = d if group_size is None else as_positive_int(group_size, "group_size")
    if m > d:
        raise ValueError(f"group_size: must be <= d = {d}, got {m}")
    if width is not None:
        width = as_finite_float(width, "width", positive=True)
    groups = (_chunks(np.flatnonzero(y > 0), m) + _chunks(np.flatnonzero(y < 0), m))
    groups = [g for g in groups if len(g)]
    U = np.empty((len(groups), d))
    widths = np.empty(len(groups))
    problems = []
    for gi, g in enumerate(groups):
        u, res, rank = _solve_group(X[g], np.ones(len(g)))
        if rank < len(g) or res > 1e-10:
            problems.append(f"group {gi}: X_G rank {rank} < {len(g)} (no hyperplane u.x=1)")
        others = np.setdiff1d(np.arange(n), g)
        gap = float(np.min(np.abs(X[others] @ u - 1))) if others.size else np.inf
        w = min(1.0, gap) if width is None else width
        if not gap >= w or w <= 0:
            problems.append(f"group {gi}: min_(j not in G) |u.x_j - 1| = {gap:.3g} < width {w:.3g}")
            if w <= 0:
                w = 1.0  # a network is still returned; the condition is reported failed
        U[gi], widths[gi] = u, w
    g_lab = np.array([y[g[0]] for g in groups])
    W = np.repeat(U, 3, axis=0)
    b = (np.array([-1.0, -1.0, -1.0])[None, :] + np.outer(widths, [1.0, 0.0, -1.0])).ravel()
    a = (np.outer(g_lab / widths, [1.0, -2.0, 1.0])).ravel()
    net = TwoLayerNet(a, W, b, "relu")
    ok = not problems
    tri = float(np.sum(np.linalg.norm(U, axis=1) / widths))
    op = float(np.linalg.norm(U, 2) * np.sqrt(np.sum(widths ** -2.0)))
    bound = CertifiedUpper(Domain.rd(), min(tri, op),
                           "Lip_Rd <= min(sum_G |u_G|/delta_G, |U|_op sqrt(sum_G delta_G^-2))")
    return _finish("C3", net, X, y, ok, "; ".join(problems[:3]),
                   "X_G full row rank and |u_G.x_j - 1| >= delta_G > 0 for j not in G",
                   [bound], {"group_size": m, "groups": len(groups),
                             "min_width": float(widths.min())})


# ---------------------------------------------------------------------------
# C4
# ---------------------------------------------------------------------------
def c4_group_size(n: int, k: int, d: int) -> int:
    """The group size m for C4 with about k neurons: ``ceil(2n/k)`` clipped
    to [1, d]; the construction then has ``2 ceil(n/m)`` neurons.

    >>> c4_group_size(100, 50, 10), c4_group_size(100, 400, 10), c4_group_size(100, 2, 10)
    (4, 1, 10)
    """
    n, k, d = as_positive_int(n, "n"), as_positive_int(k, "k"), as_positive_int(d, "d")
    return int(min(d, max(1, math.ceil(2 * n / k))))


def c4_lipschitz_bound(U, threshold: float = 0.5) -> float:
    r"""Certified :math:`\mathrm{Lip}_{B_1}` of C4 with group directions U (g, d).

    Derivation. With :math:`h(t) = (1-\theta)^{-1}[\mathrm{relu}(t-\theta) -
    \mathrm{relu}(-t-\theta)]` (:math:`\theta = 1/2` in THEORY.md:
    :math:`2\mathrm{relu}(t-\tfrac12) - 2\mathrm{relu}(-t-\tfrac12)`), the
    network is :math:`f(x) = \sum_G h(u_G\cdot x)`, and a.e.

    .. math::
        \nabla f(x) = (1-\theta)^{-1}\sum_{G\in A} u_G = (1-\theta)^{-1}U^T 1_A,
        \qquad A = \{G: |u_G\cdot x| > \theta\}.

    On :math:`B_1`, :math:`|A|\theta^2 < \sum_G (u_G\cdot x)^2 = \|Ux\|^2 \le
    \|U\|_{op}^2`, and :math:`\|U^T1_A\| \le \|U\|_{op}\sqrt{|A|}`, so

    .. math::
        \mathrm{Lip}_{B_1}(f) \le \frac{\|U\|_{op}^2}{\theta(1-\theta)}
        \;(= 4\|U\|_{op}^2 \text{ at } \theta = 1/2).

    Examples
    --------
    >>> c4_lipschitz_bound(np.eye(2))
    4.0
    """
    U = np.asarray(U, dtype=float)
    theta = as_finite_float(threshold, "threshold")
    if not 0 < theta < 1:
        raise ValueError(f"threshold: must lie in (0, 1), got {theta}")
    return float(np.linalg.norm(U, 2) ** 2 / (theta * (1 - theta)))


def c4_grouped_min_norm(X, y, *, group_size: int | None = None, k: int | None = None,
                        threshold: float | str = 0.5) -> ConstructionResult:
    r"""C4, grouped min-norm interpolation (k = 2 (number of groups)).

    Consecutive groups G of m <= d points (any labels),
    :math:`u_G = X_G^+ y_G` (so :math:`u_G\cdot x_i = y_i` on G when
    :math:`X_G` has full row rank), and two ReLUs per group:

    .. math::
        f(x) = \sum_G h(u_G\cdot x), \qquad
        h(t) = \frac{\mathrm{relu}(t-\theta) - \mathrm{relu}(-t-\theta)}{1-\theta},

    which is THEORY.md's :math:`2\mathrm{relu}(u\cdot x-\tfrac12) -
    2\mathrm{relu}(-u\cdot x - \tfrac12)` at the default :math:`\theta = 1/2`.
    :math:`h(\pm1) = \pm1`, :math:`h = 0` on :math:`[-\theta,\theta]`.
    Exactness condition: every :math:`X_G` has full row rank and
    :math:`\max_{j\notin G}|u_G\cdot x_j| \le \theta`. Certified bound:
    :func:`c4_lipschitz_bound`; also on :math:`\mathbb R^d` (all groups may be
    active): :math:`\|U\|_{op}\sqrt{g}/(1-\theta)`, g the number of groups.

    Parameters
    ----------
    X, y : data and labels.
    group_size : int in [1, d], optional
        m. Exactly one of ``group_size`` and ``k`` may be given; default
        ``min(d, n)``.
    k : int, optional
        Target number of neurons; m = :func:`c4_group_size` (n, k, d).
    threshold : float in (0, 1) or "auto"
        :math:`\theta` (default 1/2, THEORY.md's choice, which minimizes the
        bound). ``"auto"``: the smallest :math:`\theta \ge 1/2` that makes the
        condition hold, :math:`\max(1/2, (1+10^{-9})\max_{j\notin G}|u_G\cdot
        x_j|)` when that is < 1 (extends the exact range; the bound is the same
        formula at that :math:`\theta`).

    Examples
    --------
    >>> X = np.eye(3); y = np.array([1.0, -1.0, 1.0])
    >>> r = c4_grouped_min_norm(X, y, group_size=1)
    >>> r.net.k, r.fit_error, r.upper_for(Domain.ball())  # min(4|U|^2, 2|U| sqrt 3)
    (6, 0.0, 3.4641016151377544)
    """
    X, y = validate_dataset(X, y)
    n, d = X.shape
    if group_size is not None and k is not None:
        raise ValueError("group_size: give group_size or k, not both")
    if k is not None:
        m = c4_group_size(n, k, d)
    elif group_size is not None:
        m = as_positive_int(group_size, "group_size")
        if m > d:
            raise ValueError(f"group_size: must be <= d = {d}, got {m}")
    else:
        m = min(d, n)
    auto = isinstance(threshold, str)
    if auto and threshold != "auto":
        raise ValueError(f"threshold: expected a number in (0, 1) or 'auto', got {threshold!r}")
    theta = 0.5 if auto else as_finite_float(threshold, "threshold")
    if not 0 < theta < 1:
        raise ValueError(f"threshold: must lie in (0, 1), got {theta}")
    groups = _chunks(np.arange(n), m)
    U = np.empty((len(groups), d))
    problems = []
    owner = np.empty(n, dtype=int)
    for gi, g in enumerate(groups):
        u, res, rank = _solve_group(X[g], y[g])
        if rank < len(g) or res > 1e-10:
            problems.append(f"group {gi}: X_G rank {rank} < {len(g)}")
        U[gi] = u
        owner[g] = gi
    T = X @ U.T  # (n, g): u_G . x_j
    T[np.arange(n), owner] = 0.0
    worst = float(np.max(np.abs(T)))
    if auto and theta < worst * (1 + 1e-9) < 1:
        theta = worst * (1 + 1e-9)
    if worst > theta:
        gi, j = np.unravel_index(int(np.argmax(np.abs(T).T)), (len(groups), n))
        problems.append(f"max_(j not in G) |u_G.x_j| = {worst:.4g} > {theta:g} "
                        f"(group {gi}, point {j})")
    W = np.repeat(U, 2, axis=0) * np.tile([1.0, -1.0], len(groups))[:, None]
    b = np.full(2 * len(groups), -theta)
    a = np.tile([1.0, -1.0], len(groups)) / (1 - theta)
    net = TwoLayerNet(a, W, b, "relu")
    opn = float(np.linalg.norm(U, 2))
    bounds = [
        CertifiedUpper(Domain.ball(1.0), c4_lipschitz_bound(U, theta),
                       "Lip_B1 <= |U|_op^2/(theta(1-theta)) (= 4|U|_op^2 at theta=1/2)"),
        CertifiedUpper(Domain.rd(), opn * math.sqrt(len(groups)) / (1 - theta),
                       "Lip_Rd <= |U|_op sqrt(g)/(1-theta)"),
    ]
    return _finish("C4", net, X, y, not problems, "; ".join(problems[:3]),
                   "X_G full row rank and max_(j not in G) |u_G.x_j| <= theta", bounds,
                   {"group_size": m, "groups": len(groups), "threshold": theta,
                    "U_op": opn, "max_cross": worst})


# ---------------------------------------------------------------------------
# C5
# ---------------------------------------------------------------------------
#: Relative reproduction error below which the Waring network counts as equal
#: to its polynomial.
WARING_TOL = 1e-10


def c5_polynomial(X, y, *, degree: int = 3, homogeneous: bool = True, kind: str | None = None,
                  seed=0) -> ConstructionResult:
    r"""C5, polynomial (tensor) interpolation as a ``power:p`` network.

    The minimal-energy interpolant g of degree p (kernel of
    :mod:`numerics.construct.polynomial`; energy ``kind`` = ``'ball'`` for homogeneous g,
    ``'sphere'`` otherwise) written as a network in :math:`F_k(t^p)` by a Waring
    decomposition on a spanning set of k = dim directions
    (:func:`numerics.construct.polynomial.waring_network`):

    .. math::
        g(x) = \sum_{\ell=1}^{k} a_\ell (w_\ell\cdot x + b_\ell)^p .

    Exactness condition: an interpolant exists in the space (n at most its
    dimension and the kernel matrix non-singular; otherwise ``net`` is None and
    the reason is the kernel's) and the Waring network reproduces g to relative
    error ``WARING_TOL`` on fresh points. No certified Lipschitz upper bound
    (``bounds`` is empty; use :mod:`numerics.lipschitz.l2`).

    Examples
    --------
    >>> from numerics.data import random_dataset
    >>> D = random_dataset(12, 4, seed=0)
    >>> r = c5_polynomial(D.X, D.y, degree=3)
    >>> r.condition_holds, r.fit_error <= 1e-9, r.net.k, r.net.spec
    (True, True, 20, 'power:3')
    >>> c5_polynomial(D.X, D.y, degree=2).net is None  # 12 > dim = 10
    True
    """
    from numerics.construct.polynomial import min_energy_interpolant, waring_network

    X, y = validate_dataset(X, y)
    p = as_positive_int(degree, "degree", minimum=2)
    if kind is None:
        kind = "ball" if homogeneous else "sphere"
    params = {"degree": p, "homogeneous": bool(homogeneous), "kind": kind}
    cond = "an interpolant exists in the degree-p space and the Waring network reproduces it"
    try:
        g = min_energy_interpolant(X, y, p, homogeneous=homogeneous, kind=kind)
    except ValueError as exc:
        if "kind" in str(exc).split(":")[0]:
            raise
        return _finish("C5", None, X, y, False, str(exc), cond, [], params)
    w = waring_network(g, X.shape[1], p, homogeneous=homogeneous, seed=seed)
    params.update({"energy": g.energy, "waring_relative_error": w.relative_error,
                   "waring_method": w.method})
    ok = w.relative_error <= WARING_TOL
    reason = f"Waring relative error {w.relative_error:.3g} > {WARING_TOL:g}"
    return _finish("C5", w.net, X, y, ok, reason, cond, [], params)


#: name -> construction function.
CONSTRUCTIONS = {"C1": c1_one_neuron_per_point, "C2": c2_cap_ramps, "C3": c3_baum,
                 "C4": c4_grouped_min_norm, "C5": c5_polynomial}


def construct(name: str, X, y, **kwargs) -> ConstructionResult:
    """Dispatch by name (``'C1'`` ... ``'C5'``).

    >>> construct("C2", np.eye(2), np.array([1.0, 1.0])).net.k
    4
    """
    if name not in CONSTRUCTIONS:
        raise ValueError(f"name: unknown construction {name!r}; known: {sorted(CONSTRUCTIONS)}")
    return CONSTRUCTIONS[name](X, y, **kwargs)
