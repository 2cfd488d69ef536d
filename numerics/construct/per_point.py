r"""Constructions with one neuron (C1, docs/mathematics.md#c1-one-neuron-per-point) or
one ramp pair (C2, docs/mathematics.md#c2-cap-ramps) per data point, for data on the
unit sphere.

Examples
--------
>>> from numerics.data import random_dataset
>>> from numerics.domain import Domain
>>> D = random_dataset(20, 30, seed=0)
>>> r = c1_one_neuron_per_point(D.X, D.y)
>>> r.condition_holds, r.fit_error <= 1e-9, r.net.k
(True, True, 20)
>>> r.upper_for(Domain.ball(1.0)) is not None
True
"""

from __future__ import annotations

import math

import numpy as np

from numerics import rounding
from numerics._validate import as_finite_float, as_positive_int
from numerics.construct.result import (
    CertifiedUpper,
    ConstructionResult,
    _certified_gram,
    _finish,
    _offdiag,
    _sphere_problem,
)
from numerics.data import validate_dataset
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = ["c1_lipschitz_bound", "c1_one_neuron_per_point", "c2_cap_ramps"]


def c1_lipschitz_bound(tau: float, mu: float, n: int, nu: float = 1.0) -> tuple[float | None, str]:
    r"""Certified :math:`\mathrm{Lip}_{B_1}` of C1, or None with the reason.

    Parameters
    ----------
    tau : float
        Threshold of the construction.
    mu : float
        An upper bound of :math:`\mu = \max_{i\ne j}|x_i\cdot x_j|` (0 when n = 1);
        the constructions pass certified bounds of the float weights' exact values.
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

    With :math:`\nu = 1` this is the bound of docs/mathematics.md#c1-one-neuron-per-point (the cap
    ``m <= n`` is the
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
    if m is None:
        return None, f"needs mu < tau^2 with rounding, got mu = {mu:.6g}, tau = {tau:.6g}"
    # the formula's own rounding (a chain of 8 operations) and the output weight as built,
    # fl(y_i / fl(1 - tau)): rounded up by gamma_10 (docs/mathematics.md#rounding)
    value = (rounding.round_up_bound(math.sqrt(m * (nu + (m - 1) * mu)) / (1 - tau), 10)
             if m > 0 else 0.0)
    return value, (f"Lip_B1 <= (1-tau)^-1 sqrt(m(nu+(m-1)mu)), tau={tau:.6g}, mu={mu:.6g}, "
                   f"nu={nu:.6g}, m={m}")


def _c1_active_max(tau: float, mu: float, n: int, nu: float) -> int | None:
    """m = min(n, floor(q)), q = (nu - mu)/(tau^2 - mu) rounded up, the most neurons active
    at once, for upper bounds mu, nu of the exact max |x_i.x_j| and max |x_i|^2: from
    |A| tau^2 < nu + (|A|-1) mu, |A| < q for any such bounds; the numerator is rounded
    up and the denominator down, so floor(q) >= the exact integer. None when tau^2 - mu
    is not certified positive."""
    den = rounding.down(rounding.down(tau * tau) - mu)
    if not den > 0:
        return None
    q = rounding.up(rounding.up(nu - mu) / den)
    return max(0, int(min(n, math.floor(q))))


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
    G, eps, _, nu = _certified_gram(X)
    off = _offdiag(G)
    cmax = float(off.max()) if n > 1 else -1.0
    # certified upper bounds of the exact max |x_i.x_j| and max |x_i|^2 of the weights
    mu = float(rounding.up(float(np.abs(off).max()) + eps)) if n > 1 else 0.0
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
    value, stmt = c1_lipschitz_bound(-float(net.b[0]), mu, n, nu)   # tau as built
    m = _c1_active_max(-float(net.b[0]), mu, n, nu) if value is not None else None
    bound = CertifiedUpper(Domain.ball(1.0), value,
                           "Lip_B1 <= (1-tau)^-1 sqrt(m(nu+(m-1)mu)), "
                           "m=min(n, floor((nu-mu)/(tau^2-mu))), nu=max|x_i|^2",
                           None if value is not None else stmt)
    return _finish("C1", net, X, y, ok, reason, "data on S^{d-1} and max_(i!=j) x_i.x_j <= tau",
                   [bound], {"tau": tau, "mu": mu, "max_inner": cmax, "nu": nu, "m": m})


def _c2_caps_overlap(cmax: float, eps: float, nu_low: float, nu_up: float, c: float,
                     n: int) -> str | None:
    r"""None when the caps :math:`\{x\in S: x\cdot x_i > c\}` are certified pairwise
    disjoint, else the reason. The cap of :math:`x_i` has angular radius
    :math:`\theta_i \le \theta`, :math:`\cos\theta = c/\sqrt{\nu_{up}}` (c >= 0); two caps
    are disjoint when the angle between the centres is at least :math:`2\theta`, i.e.
    :math:`\cos\angle(x_i, x_j) \le 2c^2/\nu_{up} - 1`, checked with
    :math:`\cos\angle \le (\max\hat G_{ij} + \epsilon)/\nu_{low}` (or
    :math:`/\nu_{up}` when negative) rounded up against the right side rounded down. With
    unit data this is the docstring's :math:`x_i\cdot x_j \le 2(1-s)^2 - 1`."""
    if n < 2:
        return None
    if not (c >= 0 and nu_low > 0):
        return f"caps not certified disjoint (threshold {c:.6g}, min |x_i|^2 {nu_low:.6g})"
    g = cmax + eps
    cos_up = rounding.up(g / nu_low) if g > 0 else -rounding.down(-g / nu_up)
    limit = rounding.down(2 * rounding.down(c * c / nu_up) * (1 - 2 * rounding.U)) - 1.0
    if cos_up > limit:
        return (f"caps overlap: max x_i.x_j = {cmax:.6g} > 2(1-s)^2 - 1 = "
                f"{2 * c * c - 1:.6g} (with rounding)")
    return None


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
    G, eps, nu_low, nu_up = _certified_gram(X)
    cmax = float(_offdiag(G).max()) if n > 1 else -1.0
    if s is None:   # the widest caps certified disjoint (the choice is checked below)
        g = cmax + eps
        cos_up = (g / nu_low if g > 0 else g / nu_up) if n > 1 and nu_low > 0 else -1.0
        smax = 1 - math.sqrt(max(0.0, nu_up * (1 + cos_up) / 2))
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
    c = -float(net.b[0])                      # the cap threshold as built, fl(1 - s)
    why = sphere or _c2_caps_overlap(cmax, eps, nu_low, nu_up, c, n)
    amax = float(np.max(np.abs(net.a)))       # fl(1/s) as built
    bounds = [
        CertifiedUpper(Domain.sphere(1.0), None if why else rounding.round_up_bound(
            amax * math.sqrt(rounding.up(nu_up - rounding.down(c * c))), 6),
            "Lip_S = sqrt((2-s)/s) (disjoint caps)", why),
        CertifiedUpper(Domain.ball(1.0), None if why else rounding.round_up_bound(
            amax * math.sqrt(nu_up), 4), "Lip_B1 <= 1/s (disjoint caps)", why),
    ]
    return _finish("C2", net, X, y, ok, reason,
                   "data on S^{d-1} and max_(i!=j) x_i.x_j <= 1 - s", bounds,
                   {"s": s, "max_inner": cmax, "caps_disjoint": why is None})
