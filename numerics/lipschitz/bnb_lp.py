r"""Node bounds of branch and bound without LipSDP: the box bound for the :math:`\ell_1` and
:math:`\ell_\infty` input norms, and the exact vertex bound for any norm when few neurons
are free (:func:`sector_vertex_bound`; ``docs/mathematics.md#branch-and-bound``).

Mathematics
-----------
With respect to :math:`\|\cdot\|_p` on inputs the Lipschitz constant of a
piecewise-linear two-layer network on a convex domain is the largest **dual** norm
:math:`\|g_S\|_q` (:math:`1/p + 1/q = 1`) of a cell gradient
:math:`g_S = \sum_\ell a_\ell s_\ell w_\ell` over the cells meeting the domain's
interior. On a node's region R every neuron's slope lies in a sector
:math:`s_\ell \in [\alpha_\ell, \beta_\ell]` (one point for a fixed neuron), so

.. math::

    \sup_R \|\nabla f\|_q \le \max\{\|\textstyle\sum_\ell a_\ell t_\ell w_\ell\|_q :
    t_\ell \in [\alpha_\ell, \beta_\ell]\} =: B_q.

The **componentwise interval bound**: coordinate j of the sum ranges over
:math:`[\underline g_j, \overline g_j]` with
:math:`\overline g_j = \sum_\ell \max(\alpha_\ell c_{\ell j}, \beta_\ell c_{\ell j})`,
:math:`\underline g_j = \sum_\ell \min(\cdot)`, :math:`c_{\ell j} = a_\ell W_{\ell j}`
(each term is linear in its own :math:`t_\ell`), so :math:`|g_j| \le m_j =
\max(\overline g_j, -\underline g_j)` and

- :math:`q = \infty` (:math:`p = 1`): :math:`B_\infty = \max_j m_j`, **exact** (both
  ends of coordinate j are attained by a vertex of the box);
- :math:`q = 1` (:math:`p = \infty`): :math:`B_1 \le \sum_j m_j`; for
  :math:`d \le` ``VERTEX_MAX_D`` also the exact value
  :math:`B_1 = \max_{\sigma\in\{\pm1\}^d}\sum_\ell\max(\alpha_\ell\,c_\ell\cdot\sigma,
  \beta_\ell\,c_\ell\cdot\sigma)` (:math:`\|g\|_1 = \max_\sigma \sigma\cdot g`), and the
  smaller of the two is used.

On a leaf (:math:`\alpha = \beta`) both are the exact dual norm :math:`\|g_S\|_q`.

Rounding (``docs/mathematics.md#rounding``): every computed entry
(:math:`\overline g_j`, :math:`\underline g_j`, :math:`\sum_\ell \max(\dots)` for one
:math:`\sigma`) is a sum of k terms, each a product of :math:`t_\ell` and a computed
:math:`c_\ell\cdot\sigma` (at most d + 1 roundings), so it errs by at most
:math:`\gamma_{k+d+4}\sum_\ell \tau_\ell|a_\ell|\,\|w_\ell\|_1` with
:math:`\tau_\ell = \max(|\alpha_\ell|, |\beta_\ell|)`; that error (which also bounds the
sum over j of the coordinate errors) is added, and the final max/sum of non-negative
numbers is rounded up by :func:`numerics.rounding.round_up_bound`.

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> net = TwoLayerNet([1.0, -1.0], [[1.0, 2.0], [2.0, 1.0]], None, "relu")
>>> lo, hi = np.zeros(2), np.ones(2)
>>> b1 = sector_box_bound(net, lo, hi, "inf")     # p = 1: max_j |g_j|
>>> binf = sector_box_bound(net, lo, hi, 1)       # p = inf: ||g||_1
>>> 2.0 <= b1 <= 2.0 * (1 + 1e-12), 3.0 <= binf <= 3.0 * (1 + 1e-12)
(True, True)
"""

from __future__ import annotations

import itertools

import numpy as np

from numerics import rounding
from numerics.lipschitz.norms import INF, _as_p, lp_norm
from numerics.models import TwoLayerNet

__all__ = ["FREE_MAX", "VERTEX_BUDGET", "VERTEX_MAX_D", "sector_box_bound", "sector_vertex_bound"]

#: Enumerate the 2^f slope vertices of :func:`sector_vertex_bound` only up to f free neurons,
#: and only while 2^f d <= VERTEX_BUDGET (the entries of the vertex matrix).
FREE_MAX = 14
VERTEX_BUDGET = 2**18

#: Enumerate the 2^d sign vectors of the exact q = 1 box bound only up to this d.
VERTEX_MAX_D = 10

_SIGNS: dict[int, np.ndarray] = {}


def _signs(d: int) -> np.ndarray:
    """The 2^(d-1) sign vectors with first entry +1, rows of shape (2^(d-1), d); their
    negatives, the other half of {-1, 1}^d, are handled by the caller."""
    if d not in _SIGNS:
        S = np.array(list(itertools.product([-1.0, 1.0], repeat=d - 1))) if d > 1 \
            else np.zeros((1, 0))
        _SIGNS[d] = np.hstack([np.ones((S.shape[0], 1)), S])
    return _SIGNS[d]


def sector_box_bound(net: TwoLayerNet, alpha, beta, q) -> float:
    r"""Certified upper bound of :math:`\max\{\|\sum_\ell a_\ell t_\ell w_\ell\|_q :
    t_\ell\in[\alpha_\ell, \beta_\ell]\}` for :math:`q \in \{1, \infty\}` (module
    docstring): the componentwise interval bound, for q = 1 and small d the exact
    vertex maximum when smaller, rounded up.

    Parameters
    ----------
    net : TwoLayerNet
    alpha, beta : array_like, shape (k,)
        Sector ends, ``alpha <= beta`` (equal for a fixed neuron).
    q : {1, inf}
        The dual exponent (q = inf for the input norm p = 1, q = 1 for p = inf).

    Returns
    -------
    float
    """
    q = _as_p(q, "q")
    if q == 2.0:
        raise ValueError("q: the box bound is for q in {1, inf} (use LipSDP for q = 2)")
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    C = net.a[:, None] * net.W  # (k, d): a_l w_l
    lo_t, hi_t = alpha[:, None] * C, beta[:, None] * C
    up = np.maximum(lo_t, hi_t).sum(axis=0)
    dn = np.minimum(lo_t, hi_t).sum(axis=0)
    m = np.maximum(up, -dn)
    tau = np.maximum(np.abs(alpha), np.abs(beta))
    if not np.any((tau != 0) & (net.a != 0) & np.any(net.W != 0, axis=1)):
        return 0.0  # every term is an exact zero (no product formed): the bound is exact
    err = rounding.gamma(net.k + net.d + 4) * float(
        np.sum(tau * np.abs(net.a) * lp_norm(net.W, 1.0)))
    if q == INF:
        return rounding.round_up_bound(float(np.max(m, initial=0.0)) + err, 4)
    val = float(np.sum(m))
    if net.d <= VERTEX_MAX_D:
        T = _signs(net.d) @ C.T  # (2^(d-1), k): c_l . sigma
        # sigma and -sigma: sum_l max(alpha T, beta T) and sum_l max(-alpha T, -beta T)
        pos = np.maximum(alpha * T, beta * T).sum(axis=1)
        neg = np.maximum(-alpha * T, -beta * T).sum(axis=1)
        val = min(val, float(np.max(np.maximum(pos, neg))))
    return rounding.round_up_bound(val + err, net.d + 4)


def sector_vertex_bound(net: TwoLayerNet, alpha, beta, q) -> float | None:
    r"""Certified value of :math:`\max\{\|\sum_\ell a_\ell t_\ell w_\ell\|_q :
    t_\ell\in[\alpha_\ell, \beta_\ell]\}` for any q when at most ``FREE_MAX`` sectors are
    proper (:math:`\alpha_\ell < \beta_\ell`), by enumerating the :math:`2^f` vertices
    of the box (a norm is convex, so its maximum over the box is at a vertex): the exact
    maximum of the relaxation every per-neuron bound (LipSDP included) bounds, hence
    never above them up to rounding.

    Rounding: coordinate j of a vertex is a sum of at most k + f computed terms
    (:math:`t_\ell a_\ell W_{\ell j}` for the fixed part, and the differences
    :math:`(\beta_\ell - \alpha_\ell)a_\ell W_{\ell j}` added to the base
    :math:`\sum_\ell\alpha_\ell a_\ell W_{\ell j}`), each of magnitude at most
    :math:`2\tau_\ell|a_\ell W_{\ell j}|` with at most three roundings (terms of total
    magnitude at most :math:`3\sum_\ell\tau_\ell|a_\ell W_{\ell j}|`), so it errs by at
    most :math:`e_j = 3\gamma_{k+f+4}\sum_\ell\tau_\ell|a_\ell W_{\ell j}|` (that sum
    itself rounded up by :math:`1+\gamma_{k+2}`); the bound
    is :math:`\max_v\|fl(v)\|_q` rounded up plus :math:`\|e\|_q` rounded up (triangle
    inequality), rounded up (``docs/mathematics.md#rounding``).

    Parameters
    ----------
    net : TwoLayerNet
    alpha, beta : array_like, shape (k,)
        Sector ends, ``alpha <= beta``.
    q : {1, 2, inf}
        The dual exponent.

    Returns
    -------
    float or None
        None when more than ``FREE_MAX`` sectors are proper, or when
        :math:`2^f d` exceeds ``VERTEX_BUDGET``.

    Examples
    --------
    >>> import numpy as np
    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> b = sector_vertex_bound(net, np.zeros(2), np.ones(2), 2)    # vertex (1, 1)
    >>> bool(2**0.5 <= b <= 2**0.5 * (1 + 1e-12))
    True
    """
    q = _as_p(q, "q")
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    free = np.flatnonzero(beta > alpha)
    if free.size > FREE_MAX or 2**free.size * net.d > VERTEX_BUDGET:
        return None
    C = net.a[:, None] * net.W
    tau = np.maximum(np.abs(alpha), np.abs(beta))
    if not np.any((tau != 0) & (net.a != 0) & np.any(net.W != 0, axis=1)):
        return 0.0
    base = alpha @ C
    Dlt = (beta[free] - alpha[free])[:, None] * C[free]                  # (f, d)
    bits = _bits(free.size)                                            # (2^f, f)
    V = base[None, :] + bits @ Dlt
    e = rounding.up(3 * rounding.gamma(net.k + free.size + 4) * (1 + rounding.gamma(net.k + 2))
                    * (tau @ np.abs(C)))
    top = float(np.max(rounding._norm_up(V, q)))
    err = float(rounding._norm_up(e[None, :], q)[0])
    return rounding.round_up_bound(top + err, 2)


_BITS: dict[int, np.ndarray] = {}


def _bits(f: int) -> np.ndarray:
    """All 0/1 vectors of length f, rows of shape (2^f, f)."""
    if f not in _BITS:
        _BITS[f] = ((np.arange(2**f)[:, None] >> np.arange(f)[None, :]) & 1).astype(float)
    return _BITS[f]
