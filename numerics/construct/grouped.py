r"""Constructions that fit points in groups: C3, Baum-type mere fitting
(docs/mathematics.md#c3-baum), and C4, grouped minimum-norm ramps
(docs/mathematics.md#c4-grouped-min-norm).

Examples
--------
>>> from numerics.data import random_dataset
>>> D = random_dataset(20, 30, seed=0)
>>> r4 = c4_grouped_min_norm(D.X, D.y, group_size=2)
>>> r4.net.k, r4.condition_holds == (r4.fit_error <= 1e-9)
(20, True)
"""

from __future__ import annotations

import math

import numpy as np

from numerics import rounding
from numerics._validate import as_finite_float, as_positive_int
from numerics.construct.result import CertifiedUpper, ConstructionResult, _finish
from numerics.data import validate_dataset
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = ["c3_baum", "c4_group_size", "c4_grouped_min_norm", "c4_lipschitz_bound"]


def _chunks(idx: np.ndarray, m: int) -> list[np.ndarray]:
    return [idx[i:i + m] for i in range(0, len(idx), m)]


def _solve_group(XG: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Min-norm u with XG u = rhs, the residual, and the rank of XG."""
    u = np.linalg.pinv(XG) @ rhs
    return u, float(np.max(np.abs(XG @ u - rhs))), int(np.linalg.matrix_rank(XG))


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

    Certified bound (the theory gives none; this one is elementary):
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
    \mathrm{relu}(-t-\theta)]` (:math:`\theta = 1/2` in docs/mathematics.md#c4-grouped-min-norm:
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
    # ||U||_op certified (Cholesky test), the formula's and the output weight's rounding
    t = rounding.certified_operator_norm(U)
    return rounding.round_up_bound(t * t / (theta * (1 - theta)), 8)


def c4_grouped_min_norm(X, y, *, group_size: int | None = None, k: int | None = None,
                        threshold: float | str = 0.5) -> ConstructionResult:
    r"""C4, grouped min-norm interpolation (k = 2 (number of groups)).

    Consecutive groups G of m <= d points (any labels),
    :math:`u_G = X_G^+ y_G` (so :math:`u_G\cdot x_i = y_i` on G when
    :math:`X_G` has full row rank), and two ReLUs per group:

    .. math::
        f(x) = \sum_G h(u_G\cdot x), \qquad
        h(t) = \frac{\mathrm{relu}(t-\theta) - \mathrm{relu}(-t-\theta)}{1-\theta},

    which is the construction's :math:`2\mathrm{relu}(u\cdot x-\tfrac12) -
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
        :math:`\theta` (default 1/2, the construction's choice, which minimizes the
        bound). ``"auto"``: the smallest :math:`\theta \ge 1/2` that makes the
        condition hold, :math:`\max(1/2, (1+10^{-9})\max_{j\notin G}|u_G\cdot
        x_j|)` when that is < 1 (extends the exact range; the bound is the same
        formula at that :math:`\theta`).

    Examples
    --------
    >>> X = np.eye(3); y = np.array([1.0, -1.0, 1.0])
    >>> r = c4_grouped_min_norm(X, y, group_size=1)
    >>> r.net.k, r.fit_error, round(r.upper_for(Domain.ball()), 9)  # min(4|U|^2, 2|U| sqrt 3)
    (6, 0.0, 3.464101615)
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
    opn = rounding.certified_operator_norm(U)
    bounds = [
        CertifiedUpper(Domain.ball(1.0), c4_lipschitz_bound(U, theta),
                       "Lip_B1 <= |U|_op^2/(theta(1-theta)) (= 4|U|_op^2 at theta=1/2)"),
        CertifiedUpper(Domain.rd(), rounding.round_up_bound(
            opn * math.sqrt(len(groups)) / (1 - theta), 8),
                       "Lip_Rd <= |U|_op sqrt(g)/(1-theta)"),
    ]
    return _finish("C4", net, X, y, not problems, "; ".join(problems[:3]),
                   "X_G full row rank and max_(j not in G) |u_G.x_j| <= theta", bounds,
                   {"group_size": m, "groups": len(groups), "threshold": theta,
                    "U_op": opn, "max_cross": worst})
