r"""Per-neuron slope ranges on a domain: the one implementation, with its cache.

For :math:`f(x) = \sum_\ell a_\ell\psi(w_\ell\cdot x + b_\ell)` and a domain
:math:`\Omega`, neuron :math:`\ell`'s pre-activation ranges over an interval
(:func:`preactivation_intervals`) and :math:`\psi'` over
:math:`[\underline s_\ell, \overline s_\ell]` (:func:`slope_ranges`). Every closed-form
upper bound and the LipSDP sectors read these ranges from here.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np

from numerics import rounding
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = ["centered_slopes", "preactivation_intervals", "slope_ranges"]

#: The ranges of the last few (network, domain) pairs (the symbolic slope range
#: of a smooth activation is slow to recompute).
_SLOPE_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 8


def preactivation_intervals(net: TwoLayerNet, domain: Domain, *,
                            certified: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Range [lo, hi] of each neuron's pre-activation over the domain (ball and
    sphere of radius R: ``b -+ R ||w||``, with ``certified`` widened by the rounding
    error of computing it, :math:`\\gamma_{d+4}(|b| + R\\|w\\|)`; R^d: the whole line
    unless w = 0)."""
    norms = np.linalg.norm(net.W, axis=1)
    if domain.kind == "rd":
        lo = np.where(norms > 0, -np.inf, net.b)
        hi = np.where(norms > 0, np.inf, net.b)
    else:
        R = domain.radius
        slack = rounding.up(rounding.gamma(net.d + 4) * (np.abs(net.b) + R * norms)) \
            if certified else 0.0
        lo = net.b - R * norms - slack
        hi = net.b + R * norms + slack
    return lo, hi


def slope_ranges(net: TwoLayerNet, domain: Domain, *,
                 certified: bool = False) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-neuron range :math:`[\underline s_\ell, \overline s_\ell]` of
    :math:`\psi'` over the pre-activations neuron :math:`\ell` takes on the
    domain, shape (k,) each (cached: see ``_SLOPE_CACHE``). With ``certified`` the
    ranges are widened by the rounding error of the pre-activation intervals and of
    the slope values (docs/mathematics.md#rounding): the certified closed-form upper
    bounds use these; the plain float ranges feed the LipSDP sectors, which widen
    them themselves.

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
    key = (certified, net.spec, domain, net.a.tobytes(), net.W.tobytes(), net.b.tobytes(),
           net.W.shape)
    if key in _SLOPE_CACHE:
        _SLOPE_CACHE.move_to_end(key)
    else:
        _SLOPE_CACHE[key] = _slope_ranges(net, domain, certified)
        if len(_SLOPE_CACHE) > _CACHE_SIZE:
            _SLOPE_CACHE.popitem(last=False)
    lo, hi = _SLOPE_CACHE[key]
    return lo.copy(), hi.copy()


def _slope_ranges(net: TwoLayerNet, domain: Domain,
                  certified: bool) -> tuple[np.ndarray, np.ndarray]:
    act = net.activation
    dpsi = act.numeric_derivative
    lo_z, hi_z = preactivation_intervals(net, domain, certified=certified)
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
    if not certified:
        return lo, hi
    err = _derivative_error(act, lo), _derivative_error(act, hi)
    return lo - err[0], hi + err[1]


def _derivative_error(act, S: np.ndarray) -> np.ndarray:
    """How far a computed slope value may be from the true one: the derivative
    kernel's error (:mod:`numerics.rounding`) or the rounding of a sympy constant to a
    float; the integer slopes (0, 1, -1) of piecewise-linear activations are exact."""
    with np.errstate(invalid="ignore"):
        exact = np.isfinite(S) & (S == np.round(S)) & act.is_piecewise_linear
    _, _, _, cd, ca = rounding._activation_model(act)
    err = (cd + 1) * rounding.U * np.abs(S) + ca * rounding.U
    return np.where(exact | ~np.isfinite(S), 0.0, rounding.up(err))


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


def centered_slopes(net: TwoLayerNet, domain: Domain) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-neuron slope midpoint m and half-width h on the domain, the real interval
    [m - h, m + h] containing the slope range (neurons with a = 0 or w = 0 contribute
    nothing), or None if some slope is unbounded."""
    lo, hi = slope_ranges(net, domain, certified=True)
    dead = (net.a == 0) | ~np.any(net.W != 0, axis=1)
    lo, hi = np.where(dead, 0.0, lo), np.where(dead, 0.0, hi)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        return None
    m = (lo + hi) / 2
    h = np.where(hi > lo, rounding.up(np.maximum(hi - m, m - lo)), 0.0)  # [m -+ h] covers it
    return m, h
