r"""Closed-form upper bounds on Lipschitz constants of two-layer networks, every p.

For :math:`f(x) = \sum_\ell a_\ell\psi(w_\ell\cdot x + b_\ell)`,
:math:`\nabla f(x) = W^T(a\odot\psi'(Wx+b))`. With
:math:`\psi'(w_\ell\cdot x + b_\ell) \in [\underline s_\ell, \overline s_\ell]` on
:math:`\Omega` (:func:`numerics.lipschitz.slopes.slope_ranges`), midpoint :math:`m_\ell`,
half-width :math:`h_\ell` and :math:`L_\ell = \max(|\underline s_\ell|, |\overline s_\ell|)`:

- p = 2: spectral :math:`\|W\|_{op}\|a\odot L\|_2`, path norm
  :math:`\sum_\ell |a_\ell| L_\ell \|w_\ell\|`, and the centred bound
  :math:`\|W^T(a\odot m)\| + \min(\|W\|_{op}\|a\odot h\|_2, \sum_\ell|a_\ell|h_\ell\|w_\ell\|)`
  (ReLU neurons that never switch on in the domain drop out, neurons on everywhere
  merge into a linear term);
- every p: path-norm form, operator-norm form, box relaxation and the norm
  conversion of the best :math:`\ell_2` bound.

Each proof is in the function's docstring.
"""

from __future__ import annotations

import itertools

import numpy as np

from numerics import rounding
from numerics.domain import Domain
from numerics.lipschitz._args import check_domain, check_net, two_layer
from numerics.lipschitz.norms import (
    INF,
    MAX_ENUM,
    _as_p,
    dual_exponent,
    lp_norm,
    operator_norm_bound,
)
from numerics.lipschitz.slopes import centered_slopes, slope_ranges
from numerics.models import TwoLayerNet

__all__ = [
    "UPPER_BOUND_PROVIDERS",
    "box_upper_bound_lp",
    "centered_upper_bound",
    "conversion_upper_bound_lp",
    "operator_upper_bound_lp",
    "path_norm_upper_bound",
    "path_norm_upper_bound_lp",
    "spectral_upper_bound",
]




#: Extra upper-bound providers: name -> callable(net, domain) -> float or None.
#: Other modules (e.g. the LipSDP-type bound) register here.
UPPER_BOUND_PROVIDERS: dict = {}


def _finish(v: float, net) -> float:
    """A bound computed in floats, increased by its rounding error (a chain of at most
    4(k + d) + 32 operations on non-negative numbers; docs/mathematics.md#rounding)."""
    return rounding.round_up_bound(v, 4 * (net.k + net.d) + 32)


def _lin(net: TwoLayerNet, m: np.ndarray, q: float) -> float:
    r"""An upper bound of :math:`\|W^T(a\odot m)\|_q`: the float vector's norm plus
    the norm of its error bound :math:`\gamma_{k+1}|W|^T|a\odot m|`."""
    am = net.a * m
    v = am @ net.W
    err = rounding.gamma(net.k + 1) * (np.abs(am) @ np.abs(net.W))
    return float(lp_norm(v, q)[0] + lp_norm(err, q)[0])


def _row_norms(net: TwoLayerNet, q: float = 2.0) -> np.ndarray:
    """Upper bounds of the l_q norms of the rows of W."""
    return lp_norm(net.W, q) * (1 + rounding.gamma(net.d + 2))


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
    net = check_net(net)
    domain = check_domain(domain, net.d)
    lo, hi = slope_ranges(net, domain, certified=True)
    L = np.maximum(np.abs(lo), np.abs(hi))
    with np.errstate(invalid="ignore"):  # 0 * inf for a_l = 0 is replaced just below
        aL = np.abs(net.a) * L
    aL = np.where(net.a == 0, 0.0, aL)
    if not np.all(np.isfinite(aL)):
        return float("inf")
    return _finish(rounding.certified_operator_norm(net.W) * np.linalg.norm(aL), net)


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
    net = check_net(net)
    domain = check_domain(domain, net.d)
    lo, hi = slope_ranges(net, domain, certified=True)
    L = np.maximum(np.abs(lo), np.abs(hi))
    with np.errstate(invalid="ignore"):  # 0 * inf for a_l = 0 or w_l = 0: replaced below
        terms = np.abs(net.a) * L * _row_norms(net)
    terms = np.where((net.a == 0) | ~np.any(net.W != 0, axis=1), 0.0, terms)
    if not np.all(np.isfinite(terms)):
        return float("inf")
    return _finish(terms.sum(), net)


def centered_upper_bound(net: TwoLayerNet, domain: Domain | None = None) -> float:
    r"""Centred bound (it sees the domain through the slope ranges)
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
    net = check_net(net)
    domain = check_domain(domain, net.d)
    s = centered_slopes(net, domain)
    if s is None:
        return INF
    m, h = s
    lin = _lin(net, m, 2.0)
    ah = np.abs(net.a) * h
    path = float(np.sum(ah * _row_norms(net)))
    if not np.any(ah > 0):
        return _finish(lin, net)
    spec = rounding.certified_operator_norm(net.W) * float(np.linalg.norm(ah))
    return _finish(lin + min(spec, path), net)


def path_norm_upper_bound_lp(net: TwoLayerNet, domain: Domain | None = None, p=2) -> float:
    r"""Path-norm form:
    :math:`\mathrm{Lip}_{p,\Omega}(f) \le \|W^T(a\odot m)\|_q + \sum_\ell
    |a_\ell|\,h_\ell\,\|w_\ell\|_q`.

    Proof. On :math:`\Omega`, :math:`\psi'(w_\ell\cdot x+b_\ell) = m_\ell +
    h_\ell\sigma_\ell(x)` with :math:`|\sigma_\ell|\le 1`, so
    :math:`\nabla f(x) = W^T(a\odot m) + \sum_\ell a_\ell h_\ell\sigma_\ell(x)
    w_\ell` and the triangle inequality in :math:`\ell_q` gives the bound for
    every x; take the supremum (module docstring). Since
    :math:`|m_\ell| + h_\ell = L_\ell := \max|\psi'|` on the neuron's range,
    it is at most the plain path norm :math:`\sum_\ell |a_\ell| L_\ell
    \|w_\ell\|_q` (on :math:`\mathbb R^d` for relu: :math:`\sum_\ell
    |a_\ell|\,\|w_\ell\|_q`).

    Examples
    --------
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 2.0], [2.0, 1.0]], None, "relu")
    >>> [round(path_norm_upper_bound_lp(net, p=p), 9) for p in (1, "inf")]
    [2.5, 4.0]
    """
    net = two_layer(net)
    domain = check_domain(domain, net.d, p)
    q = dual_exponent(p)
    s = centered_slopes(net, domain)
    if s is None:
        return INF
    m, h = s
    lin = _lin(net, m, q)
    return _finish(lin + float(np.sum(np.abs(net.a) * h * _row_norms(net, q))), net)


def operator_upper_bound_lp(net: TwoLayerNet, domain: Domain | None = None, p=2) -> float:
    r"""Operator-norm form:
    :math:`\mathrm{Lip}_{p,\Omega}(f) \le \|W^T(a\odot m)\|_q +
    \|W^T\|_{2\to q}\,\|a\odot h\|_2`.

    Proof. As in :func:`path_norm_upper_bound_lp`, :math:`\nabla f(x) -
    W^T(a\odot m) = W^T(a\odot h\odot\sigma(x))` with :math:`\|a\odot
    h\odot\sigma\|_2 \le \|a\odot h\|_2`, and :math:`\|W^Tv\|_q \le
    \|W^T\|_{2\to q}\|v\|_2`. The norms (:func:`operator_norm_bound`):
    :math:`\|W^T\|_{2\to 2} = \|W\|_{op}` (p = 2: this is the spectral bound
    :math:`\|a\|_2\|W\|_{op}` up to the centring),
    :math:`\|W^T\|_{2\to\infty} = \max_j\|W_{:j}\|_2` (largest column norm
    of W; p = 1), and :math:`\|W^T\|_{2\to 1} = \max_{\sigma\in\{\pm1\}^d}
    \|W\sigma\|_2 \le \sqrt d\,\|W\|_{op}` (p = inf; enumerated when
    :math:`d \le` ``MAX_ENUM``).

    Examples
    --------
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> round(operator_upper_bound_lp(net, p="inf"), 9), round(operator_upper_bound_lp(net, p=1), 9)
    (2.0, 1.207106781)
    """
    net = two_layer(net)
    domain = check_domain(domain, net.d, p)
    q = dual_exponent(p)
    s = centered_slopes(net, domain)
    if s is None:
        return INF
    m, h = s
    lin = _lin(net, m, q)
    ah = float(np.linalg.norm(net.a * h))
    if ah == 0:
        return _finish(lin, net)
    return _finish(lin + operator_norm_bound(net.W.T, 2, q) * ah, net)


def box_upper_bound_lp(net: TwoLayerNet, domain: Domain | None = None, p=2) -> float | None:
    r"""Box relaxation: :math:`\max\{\|\sum_\ell a_\ell t_\ell w_\ell\|_q :
    t_\ell \in [\underline s_\ell, \overline s_\ell]\}`, which is
    :math:`\ge \|\nabla f(x)\|_q` for every :math:`x\in\Omega` (take
    :math:`t_\ell = \psi'(w_\ell\cdot x+b_\ell)`), and at most the path-norm
    and operator-norm forms. The objective is convex in t, so the maximum is
    at a vertex of the box; it is computed exactly:

    - p = 1 (q = inf): coordinatewise,
      :math:`\max_j \max(\sum_\ell \max_t a_\ell t W_{\ell j},
      -\sum_\ell\min_t a_\ell t W_{\ell j})`;
    - p = inf (q = 1): :math:`\max_{\sigma\in\{\pm1\}^d}\sum_\ell
      \max_t t\,a_\ell(w_\ell\cdot\sigma)` (``d <= MAX_ENUM``);
    - p = 2: vertices of the box over the neurons with :math:`h_\ell > 0`
      (at most ``MAX_ENUM`` of them).

    Returns None when the enumeration would be too large or a slope is
    unbounded.

    Examples
    --------
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 2.0], [2.0, 1.0]], None, "relu")
    >>> round(box_upper_bound_lp(net, p=1), 9), round(box_upper_bound_lp(net, p="inf"), 9)
    (2.0, 3.0)
    """
    net = two_layer(net)
    domain = check_domain(domain, net.d, p)
    p = _as_p(p)
    s = centered_slopes(net, domain)
    if s is None:
        return None
    m, h = s
    lo, hi = m - h, m + h
    # every entry below is a sum of at most 2k + d products of magnitude at most
    # |a_l| (2|lo_l| + |hi_l|) |W_lj|: its error is at most gamma_{2k+d+4} times that sum
    err = rounding.gamma(2 * net.k + net.d + 4) * float(
        np.sum(np.abs(net.a) * (2 * np.abs(lo) + np.abs(hi)) * lp_norm(net.W, 1.0)))
    C = net.a[:, None] * net.W  # (k, d): a_l w_l
    if p == 1.0:
        up = np.maximum(lo[:, None] * C, hi[:, None] * C).sum(axis=0)
        dn = np.minimum(lo[:, None] * C, hi[:, None] * C).sum(axis=0)
        return _finish(float(np.max(np.maximum(up, -dn))) + err, net)
    if p == INF:
        if net.d > MAX_ENUM:
            return None
        S = np.array(list(itertools.product([-1.0, 1.0], repeat=net.d)))
        T = S @ C.T  # (2^d, k): a_l w_l . sigma
        return _finish(float(np.max(np.maximum(lo * T, hi * T).sum(axis=1))) + err, net)
    sw = np.flatnonzero(h > 0)
    if sw.size > MAX_ENUM:
        return None
    base = (net.a * lo) @ net.W
    if sw.size == 0:
        return _finish(float(np.linalg.norm(base)) + err, net)
    V = np.array(list(itertools.product([0.0, 1.0], repeat=sw.size)))
    G = base + V @ ((2 * h[sw])[:, None] * C[sw])
    return _finish(float(np.linalg.norm(G, axis=1).max()) + err, net)


def conversion_upper_bound_lp(net: TwoLayerNet, domain: Domain | None = None, p=2) -> float:
    r"""Norm conversion of the best certified :math:`\ell_2` bound
    :math:`U_2` of this module (spectral, path norm, centred,
    and any registered provider): :math:`\|g\|_\infty \le \|g\|_2` and
    :math:`\|g\|_1 \le \sqrt d\,\|g\|_2` give :math:`\mathrm{Lip}_1 \le U_2`,
    :math:`\mathrm{Lip}_\infty \le \sqrt d\,U_2`.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[3.0, 4.0]], None, "relu")
    >>> round(conversion_upper_bound_lp(net, p="inf"), 6)
    7.071068
    """
    net = two_layer(net)
    domain = check_domain(domain, net.d, p)
    p = _as_p(p)
    u2 = min(spectral_upper_bound(net, domain), path_norm_upper_bound(net, domain),
             centered_upper_bound(net, domain))
    for provider in UPPER_BOUND_PROVIDERS.values():
        v = provider(net, domain)
        if v is not None:
            u2 = min(u2, float(v))
    c = rounding.up(np.sqrt(net.d)) if p == INF else 1.0
    return _finish(c * u2, net)
