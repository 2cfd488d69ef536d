r"""Lipschitz constants for the input norms :math:`\ell_p`, :math:`p \in \{1, 2, \infty\}`.

For a domain :math:`\Omega` and :math:`f:\Omega\to\mathbb R`,

.. math::

    \mathrm{Lip}_{p,\Omega}(f) = \sup_{x \ne x' \in \Omega}
    \frac{|f(x) - f(x')|}{\|x - x'\|_p}
    = \operatorname*{ess\,sup}_{x \in \Omega} \|\nabla f(x)\|_q,
    \qquad \tfrac1p + \tfrac1q = 1,

the second equality for convex :math:`\Omega` with non-empty interior and
locally Lipschitz f (mean value theorem along segments and Hölder,
:math:`|g\cdot v| \le \|g\|_q\|v\|_p` with equality for the *dual direction*
:func:`dual_direction`). Domains here are :math:`\mathbb R^d` and the
**Euclidean** ball :math:`B_R = \{\|x\|_2 \le R\}` (:class:`numerics.domain.Domain`):
the set is an :math:`\ell_2` ball, the metric is :math:`\ell_p`. The sphere is
refused (its metric is geodesic). :math:`\ell_p` balls for :math:`p \ne 2` are
not implemented (the exact values rely on the region enumeration of
:mod:`numerics.lipschitz.l2`, which handles :math:`\mathbb R^d` and Euclidean
balls).

Two-layer networks :math:`f(x) = \sum_\ell a_\ell\psi(w_\ell\cdot x + b_\ell)`,
:math:`\nabla f(x) = W^T(a\odot\psi'(Wx+b))`. With
:math:`\psi'(w_\ell\cdot x + b_\ell) \in [\underline s_\ell, \overline s_\ell]`
on :math:`\Omega` (:func:`numerics.lipschitz.l2.slope_ranges`), midpoint
:math:`m_\ell` and half-width :math:`h_\ell`:

- **certified lower bounds**: dual norms :math:`\|\nabla f(x)\|_q` at points
  strictly inside linear regions found by a search (smoothed ascent on
  :math:`\|\nabla f\|_q` and a local search over neighbouring patterns), and
  quotients :math:`|f(x)-f(x')|/\|x-x'\|_p` for data pairs and for pairs
  refined by gradient ascent on the quotient; every value comes with an
  :class:`LpWitness` that :meth:`LpWitness.verify` recomputes.
- **upper bounds** (proofs in the docstrings): path-norm form
  :func:`path_norm_upper_bound_lp`, operator-norm form
  :func:`operator_upper_bound_lp`, box relaxation :func:`box_upper_bound_lp`,
  and the norm conversion :func:`conversion_upper_bound_lp` of any certified
  :math:`\ell_2` bound.
- **exact values** for piecewise-linear activations with :math:`d \le 3` on
  :math:`\mathbb R^d` and Euclidean balls: :math:`\max_S \|g_S\|_q` over the
  constant gradients of the linear regions meeting the domain
  (:func:`numerics.lipschitz.l2.region_gradients`).

Deep networks (:class:`numerics.models.deep.DeepReLUNet`) get the same lower-bound
search (random points and pair-quotient ascent) and the product-of-norms upper
bound (:func:`numerics.models.deep.product_norm_upper_bound`).

Examples
--------
>>> from numerics.models import TwoLayerNet
>>> net = TwoLayerNet([1.0], [[1.0, -2.0, 3.0]], [0.0], "relu")
>>> rep = lp_lipschitz_report(net, Domain.rd(), p=1, seed=0)
>>> round(rep.lower, 9), round(rep.upper, 9)
(3.0, 3.0)
>>> rep = lp_lipschitz_report(net, Domain.rd(), p="inf", seed=0)
>>> round(rep.lower, 9), round(rep.upper, 9)
(6.0, 6.0)
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from numerics._validate import as_matrix, as_positive_int, as_rng
from numerics.domain import Domain
from numerics.lipschitz.l2 import _ray_polish, best_pair_quotient
from numerics.models import TwoLayerNet

__all__ = [
    "P_VALUES",
    "LpLipschitzReport",
    "LpWitness",
    "box_upper_bound_lp",
    "conversion_upper_bound_lp",
    "dual_direction",
    "dual_exponent",
    "exact_lp_lipschitz",
    "lp_lipschitz_report",
    "lp_lower_bound",
    "lp_norm",
    "operator_norm_bound",
    "operator_upper_bound_lp",
    "pair_lower_bound_lp",
    "path_norm_upper_bound_lp",
]

INF = float("inf")
#: The supported exponents.
P_VALUES = (1.0, 2.0, INF)
#: Relative safety factors (as in :mod:`numerics.lipschitz.l2`): certified lower
#: bounds are shrunk, upper bounds inflated, by this much to absorb rounding.
LOWER_SAFETY = 1e-12
UPPER_SAFETY = 1e-12
#: Enumerate sign vectors of the cube only up to this dimension.
MAX_ENUM = 12


# ---------------------------------------------------------------------------
# Norms
# ---------------------------------------------------------------------------
def _as_p(p, name: str = "p") -> float:
    if isinstance(p, str):
        key = p.strip().lower()
        table = {"1": 1.0, "2": 2.0, "inf": INF, "infinity": INF, "oo": INF}
        if key not in table:
            raise ValueError(f"{name}: must be 1, 2 or inf, got {p!r}")
        return table[key]
    if isinstance(p, bool):
        raise ValueError(f"{name}: must be 1, 2 or inf, got {p!r}")
    try:
        v = float(p)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: must be 1, 2 or inf, got {p!r}") from exc
    if v not in P_VALUES:
        raise ValueError(f"{name}: must be 1, 2 or inf, got {p!r}")
    return v


def dual_exponent(p) -> float:
    r"""The dual exponent :math:`q` with :math:`1/p + 1/q = 1` (1 <-> inf, 2 <-> 2).

    ``p`` may be 1, 2, ``inf`` (float) or the strings ``'1'``, ``'2'``, ``'inf'``.

    Examples
    --------
    >>> dual_exponent(1), dual_exponent("inf"), dual_exponent(2)
    (inf, 1.0, 2.0)
    """
    p = _as_p(p)
    return {1.0: INF, 2.0: 2.0, INF: 1.0}[p]


def lp_norm(V, p) -> np.ndarray:
    r""":math:`\|v\|_p` of each row of ``V`` (m, d), shape (m,).

    Examples
    --------
    >>> lp_norm([[3.0, -4.0]], 1), lp_norm([[3.0, -4.0]], 2), lp_norm([[3.0, -4.0]], "inf")
    (array([7.]), array([5.]), array([4.]))
    """
    p = _as_p(p)
    V = np.atleast_2d(np.asarray(V, dtype=float))
    if p == 1.0:
        return np.abs(V).sum(axis=1)
    if p == 2.0:
        return np.linalg.norm(V, axis=1)
    return np.abs(V).max(axis=1)


def dual_direction(G, p) -> np.ndarray:
    r"""For each row g of ``G``, a vector v with :math:`\|v\|_p = 1` and
    :math:`v\cdot g = \|g\|_q` (Hölder's equality case; also a subgradient
    of :math:`\|\cdot\|_q` at g). p = 2: :math:`g/\|g\|_2`; p = inf:
    :math:`\mathrm{sign}(g)`; p = 1: :math:`\mathrm{sign}(g_j)e_j` with
    :math:`|g_j|` maximal. Rows g = 0 give :math:`e_1`.

    Examples
    --------
    >>> dual_direction([[3.0, -4.0]], 1), dual_direction([[3.0, -4.0]], "inf")
    (array([[ 0., -1.]]), array([[ 1., -1.]]))
    """
    p = _as_p(p)
    G = np.atleast_2d(np.asarray(G, dtype=float))
    m, d = G.shape
    V = np.zeros_like(G)
    zero = ~np.any(G != 0, axis=1)
    if p == 2.0:
        # rescale by the largest entry first: squares of tiny rows underflow
        s = np.abs(G).max(axis=1, keepdims=True)
        H = G / np.where(s > 0, s, 1.0)
        n = np.linalg.norm(H, axis=1, keepdims=True)
        V = H / np.where(n > 0, n, 1.0)
    elif p == INF:
        V = np.sign(G)
    else:
        j = np.argmax(np.abs(G), axis=1)
        V[np.arange(m), j] = np.sign(G[np.arange(m), j])
    V[zero] = 0.0
    V[zero, 0] = 1.0
    return V


def operator_norm_bound(M, p_in, p_out) -> float:
    r"""The operator norm :math:`\|M\|_{p_{in}\to p_{out}} = \max_{\|x\|_{p_{in}}\le 1}
    \|Mx\|_{p_{out}}`, exactly where it is cheap, otherwise a proved upper
    bound of it.

    Exact cases (M is (r, c) with rows :math:`m_i`, columns :math:`M_{:j}`):

    - :math:`p_{in} = 1`: :math:`\max_j \|M_{:j}\|_{p_{out}}` (the unit
      :math:`\ell_1` ball is the convex hull of :math:`\pm e_j`);
    - :math:`p_{out} = \infty`: :math:`\max_i \|m_i\|_{p_{in}^*}` (Hölder per row);
    - :math:`(2, 2)`: the largest singular value;
    - :math:`(\infty, p_{out})` with :math:`c \le` ``MAX_ENUM``:
      :math:`\max_{\sigma\in\{\pm1\}^c}\|M\sigma\|_{p_{out}}` (a convex
      function on the cube is maximal at a vertex).

    Bounds otherwise: :math:`\|M\|_{\infty\to 2} \le \min(\sqrt c\,\|M\|_{op},
    (\sum_i\|m_i\|_1^2)^{1/2})` (:math:`|m_i\cdot x| \le \|m_i\|_1\|x\|_\infty`);
    :math:`\|M\|_{\infty\to 1} \le \min(\sqrt r\,\|M\|_{\infty\to 2}\text{-bound},
    \sum_{ij}|M_{ij}|)`; :math:`\|M\|_{2\to 1} = \|M^T\|_{\infty\to 2}`
    (duality).

    Examples
    --------
    >>> M = np.array([[1.0, -2.0], [3.0, 4.0]])
    >>> operator_norm_bound(M, 1, 1), operator_norm_bound(M, "inf", "inf")
    (6.0, 7.0)
    >>> round(operator_norm_bound(M, 2, 2), 6), round(operator_norm_bound(M, "inf", 2), 6)
    (5.116673, 7.071068)
    """
    M = np.atleast_2d(np.asarray(M, dtype=float))
    pi, po = _as_p(p_in, "p_in"), _as_p(p_out, "p_out")
    r, c = M.shape
    if pi == 1.0:
        return float(lp_norm(M.T, po).max())
    if po == INF:
        return float(lp_norm(M, dual_exponent(pi)).max())
    if pi == 2.0 and po == 2.0:
        return float(np.linalg.norm(M, 2))
    if pi == 2.0 and po == 1.0:
        return operator_norm_bound(M.T, INF, 2.0)
    # pi == inf, po in {1, 2}
    if c <= MAX_ENUM:
        S = np.array(list(itertools.product([-1.0, 1.0], repeat=c)))
        return float(lp_norm(S @ M.T, po).max())
    b2 = min(np.sqrt(c) * np.linalg.norm(M, 2), float(np.sqrt(np.sum(lp_norm(M, 1) ** 2))))
    if po == 2.0:
        return float(b2)
    return float(min(np.sqrt(r) * b2, np.abs(M).sum()))


# ---------------------------------------------------------------------------
# Witnesses and helpers
# ---------------------------------------------------------------------------
def _check_domain(domain) -> Domain:
    if domain is None:
        return Domain.rd()
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    if domain.kind == "sphere":
        raise ValueError("domain: l_p constants are implemented for R^d and Euclidean balls "
                         "(the sphere's metric is geodesic)")
    return domain


def _check_net(net):
    from numerics.models import DeepReLUNet

    if not isinstance(net, (TwoLayerNet, DeepReLUNet)):
        raise ValueError(f"net: expected a TwoLayerNet or DeepReLUNet, got {type(net).__name__}")
    return net


def _margin(net, P: np.ndarray) -> np.ndarray:
    """Smallest |pre-activation - kink| per point (inf when the activation is
    smooth): when > 0, every activation pattern is constant near the point and
    f is differentiable there with the computed gradient."""
    if isinstance(net, TwoLayerNet):
        if not net.activation.is_piecewise_linear:
            return np.full(P.shape[0], INF)
        Z = net.preactivation(P)
        kinks = np.array([float(c) for c in net.activation.kinks]) if net.activation.kinks \
            else np.zeros(0)
        if kinks.size == 0:
            return np.full(P.shape[0], INF)
        live = np.any(net.W != 0, axis=1)
        if not np.any(live):
            return np.full(P.shape[0], INF)
        Z = Z[:, live]
        return np.min(np.min(np.abs(Z[:, :, None] - kinks), axis=2), axis=1)
    return net.margin(P)


def _interior(net, P: np.ndarray) -> np.ndarray:
    """Mask of points whose margin clearly exceeds rounding error."""
    scale = 1.0 + np.linalg.norm(P, axis=1)
    if isinstance(net, TwoLayerNet):
        scale = scale * (1.0 + float(np.abs(net.W).max()) + float(np.abs(net.b).max()))
    else:
        scale = scale * (1.0 + max(float(np.abs(W).max()) for W in net.weights))
    return _margin(net, P) > 1e-9 * scale


@dataclass(frozen=True)
class LpWitness:
    r"""Evidence for a certified lower bound on :math:`\mathrm{Lip}_{p,\Omega}`.

    ``kind='pair'``: ``points`` (2, d); value
    :math:`|f(x_1)-f(x_2)|/\|x_1-x_2\|_p`. ``kind='point'``: ``points`` (1, d)
    strictly inside a linear region (f differentiable); value
    :math:`\|\nabla f(x)\|_q`; "strictly" means every pre-activation is
    farther from a kink than :math:`10^{-9}` times the scale of the numbers
    involved, so the computed activation pattern is the true one.
    """

    kind: str
    points: np.ndarray
    value: float
    p: float

    def verify(self, net, domain: Domain | None = None, p=None) -> float:
        """Recompute the witnessed quantity (for ``p``, default the witness's
        own). Raises ValueError when a point is outside the domain, the pair
        coincides, or a point witness is not strictly inside a region.

        Examples
        --------
        >>> from numerics.models import TwoLayerNet
        >>> net = TwoLayerNet([1.0], [[1.0, -2.0]], [0.0], "relu")
        >>> w = LpWitness("point", np.array([[3.0, 1.0]]), 3.0, 2.0)
        >>> round(w.verify(net), 6), w.verify(net, p=1), w.verify(net, p="inf")
        (2.236068, 2.0, 3.0)
        """
        net = _check_net(net)
        domain = _check_domain(domain)
        p = self.p if p is None else _as_p(p)
        P = np.asarray(self.points, dtype=float)
        if not np.all(domain.contains(P, tol=0.0)):
            raise ValueError("witness: point(s) outside the domain")
        if self.kind == "pair":
            dist = float(lp_norm(P[:1] - P[1:], p)[0])
            if dist <= 0:
                raise ValueError("witness: the two points coincide")
            return float(abs(net(P[:1])[0] - net(P[1:])[0]) / dist)
        if self.kind == "point":
            if not _interior(net, P[:1])[0]:
                raise ValueError("witness: the point lies on (or within rounding error of) "
                                 "a kink of the network")
            return float(lp_norm(net.gradient(P), dual_exponent(p))[0])
        raise ValueError(f"witness: unknown kind {self.kind!r}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": np.asarray(self.points).tolist(),
                "value": float(self.value), "p": _p_label(self.p)}


def _p_label(p: float) -> str:
    return "inf" if p == INF else str(int(p))


def _into(domain: Domain, P: np.ndarray) -> np.ndarray:
    """Points of a ball that rounding left just outside it, pulled exactly inside."""
    P = np.array(P, dtype=float)
    if domain.kind == "ball":
        r = np.linalg.norm(P, axis=1)
        out = r > domain.radius
        P[out] *= (domain.radius * (1 - 1e-12) / r[out])[:, None]
    return P


def _abs_gradient(net, P: np.ndarray) -> tuple[np.ndarray, int]:
    r"""The gradient computed with every factor replaced by its absolute value
    (a bound on the sum of absolute values of the terms the floating-point
    gradient adds up), and the number of terms in the longest sum."""
    if isinstance(net, TwoLayerNet):
        S = np.abs(net.activation.numeric_derivative(net.preactivation(P)))
        return (S * np.abs(net.a)) @ np.abs(net.W), net.k + net.d
    Zs = net.preactivations(P)
    G = (Zs[-1] >= 0) * np.abs(net.a)
    for ell in range(net.depth - 1, 0, -1):
        G = (G @ np.abs(net.weights[ell])) * (Zs[ell - 1] >= 0)
    return G @ np.abs(net.weights[0]), sum(net.widths) + net.d


def _certify(net, domain, p, kind, P) -> tuple[float, LpWitness]:
    r"""Recompute the witnessed value and round it *down* by a bound on its
    floating-point error: for a pair, :math:`|f(x)-f(x')|` is reduced by
    :math:`64\,\epsilon(|f(x)|+|f(x')|)`; for a point, :math:`\|
abla f\|_q`
    by :math:`2n\epsilon\,\|\,|
abla f|_{abs}\|_q` (n terms summed, the
    gradient of absolute values; standard summation error bounds). Then the
    relative factor ``1 - LOWER_SAFETY``."""
    eps = np.finfo(float).eps
    w = LpWitness(kind, _into(domain, P), 0.0, p)
    v = w.verify(net, domain)
    if kind == "pair":
        f = net(w.points)
        r = float(lp_norm(w.points[:1] - w.points[1:], p)[0])
        v = max(0.0, v - 64 * eps * float(np.abs(f).sum()) / r)
    else:
        A, n = _abs_gradient(net, w.points)
        v = max(0.0, v - 2 * n * eps * float(lp_norm(A, dual_exponent(p))[0]))
    v = float(v) * (1 - LOWER_SAFETY)
    return v, LpWitness(kind, w.points, v, p)


# ---------------------------------------------------------------------------
# Lower bounds
# ---------------------------------------------------------------------------
def pair_lower_bound_lp(net, X, domain: Domain | None = None, p=2, *,
                        chunk: int = 512) -> tuple[float, LpWitness | None]:
    r"""Best data-pair quotient :math:`\max_{i\ne j}|f(x_i)-f(x_j)|/\|x_i-x_j\|_p`
    over the rows of ``X`` inside the domain (a certified lower bound, with
    the pair as witness). ``(0.0, None)`` when fewer than two distinct rows
    remain.

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "relu")
    >>> v, w = pair_lower_bound_lp(net, [[1.0, 0.0], [0.0, 1.0]], p="inf")
    >>> round(v, 9), w.kind
    (1.0, 'pair')
    """
    net = _check_net(net)
    domain = _check_domain(domain)
    p = _as_p(p)
    X = as_matrix(X, "X", cols=net.d)
    X = X[domain.contains(X, tol=0.0)]
    if X.shape[0] < 2:
        return 0.0, None
    step = max(1, min(chunk, int(4e6 // max(1, X.shape[0] * X.shape[1]))))

    def dist(A, B):
        return lp_norm((A[:, None, :] - B[None, :, :]).reshape(-1, B.shape[1]), p).reshape(
            A.shape[0], B.shape[0])

    _, bi, bj = best_pair_quotient(net(X), X, dist, chunk=step)
    if bi < 0:
        return 0.0, None
    return _certify(net, domain, p, "pair", np.stack([X[bi], X[bj]]))


def _starts(net, domain: Domain, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random points of the domain; on R^d at several radii around the scale of
    the first layer's kink hyperplanes (so that far-away regions are seen)."""
    d = net.d
    if domain.kind == "ball":
        return domain.sample(n, d, rng)
    if isinstance(net, TwoLayerNet):
        W, b = net.W, net.b
    else:
        W, b = net.weights[0], net.biases[0]
    nw = np.linalg.norm(W, axis=1)
    s = 1.0 + float(np.median(np.abs(b[nw > 0]) / nw[nw > 0])) if np.any(nw > 0) else 1.0
    Z = rng.standard_normal((n, d))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    radii = s * np.array([0.25, 1.0, 4.0, 32.0])[rng.integers(0, 4, n)] * rng.random(n) ** (1 / d)
    return Z * radii[:, None]


def _smoothed_ascent(net: TwoLayerNet, domain: Domain, P: np.ndarray, q: float, *,
                     steps: int, rng: np.random.Generator) -> np.ndarray:
    r"""Projected normalized ascent of :math:`\|\nabla f\|_q`, with the slope of a
    piecewise-linear activation smoothed as ``lo + (hi-lo)*sigmoid(z/tau)``
    (``tau`` shrinking). The ascent direction is
    :math:`W^T(a\odot\partial_z\psi'\odot(Wu))`, u a subgradient of
    :math:`\|\cdot\|_q` at the (smoothed) gradient. Returns the best points
    seen for the true objective."""
    W, a, b = net.W, net.a, net.b
    if not net.activation.is_piecewise_linear:
        return P
    lo = float(net.activation.numeric_derivative(np.array(-1.0)))
    hi = float(net.activation.numeric_derivative(np.array(1.0)))
    p = dual_exponent(q)
    scale = float(np.median(np.abs(P @ W.T + b))) + 1e-12
    xscale = float(np.median(np.linalg.norm(P, axis=1))) + 1e-12
    step = np.full(P.shape[0], 0.25 * xscale)
    best_val = lp_norm(net.gradient(P), q)
    best_P = P.copy()
    for it in range(steps):
        tau = scale * (0.5 ** (8 * it / max(steps - 1, 1)))
        Z = P @ W.T + b
        s = 0.5 * (1.0 + np.tanh(0.5 * Z / tau))
        G = ((lo + (hi - lo) * s) * a) @ W
        U = dual_direction(G, p)
        D = ((a * (hi - lo) * s * (1 - s) / tau) * (U @ W.T)) @ W
        nd = np.linalg.norm(D, axis=1, keepdims=True)
        dirn = np.where(nd > 0, D / np.where(nd > 0, nd, 1.0),
                        rng.standard_normal(D.shape) * 1e-3)
        Pn = domain.project(P + step[:, None] * dirn)
        val = lp_norm(net.gradient(Pn), q)
        better = val >= best_val
        best_P[better] = Pn[better]
        best_val = np.maximum(best_val, val)
        step = np.maximum(np.where(better, step * 1.2, step * 0.6), 1e-6 * xscale)
        P = Pn
    return best_P


def _pair_ascent(net, domain: Domain, p: float, P: np.ndarray, *, steps: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradient ascent on the quotient :math:`Q = (f(x)-f(x'))/\|x-x'\|_p`
    from the pairs :math:`(x, x + h v)`, v the dual direction of
    :math:`\nabla f(x)`. Gradients: :math:`\nabla_x Q = \nabla f(x)/r - Q\,u/r`,
    :math:`\nabla_{x'}Q = -\nabla f(x')/r + Q\,u/r`, u a subgradient of
    :math:`\|\cdot\|_p` at :math:`x - x'`. Returns the best pairs (x, x')
    and their quotients."""
    q = dual_exponent(p)
    _, G = net.value_and_gradient(P)
    V = dual_direction(G, p)
    xscale = float(np.median(np.linalg.norm(P, axis=1))) + 1.0
    h = 0.05 * xscale
    A = P.copy()
    B = domain.project(P + h * V)
    same = lp_norm(A - B, p) <= 1e-12 * xscale
    if np.any(same):  # at the ball's boundary: step inwards instead
        B[same] = domain.project(P[same] - h * V[same])
    fa, fb = net(A), net(B)
    r = lp_norm(A - B, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        Qv = np.where(r > 0, (fb - fa) / r, 0.0)
    sgn = np.where(Qv >= 0, 1.0, -1.0)  # maximize sgn * (f(B) - f(A)) / r
    bestA, bestB, bestQ = A.copy(), B.copy(), np.abs(Qv)
    lr = np.full(P.shape[0], 0.1 * xscale)
    for _ in range(steps):
        fa, Ga = net.value_and_gradient(A)
        fb, Gb = net.value_and_gradient(B)
        Dv = B - A
        r = lp_norm(Dv, p)
        ok = r > 1e-9 * xscale
        rr = np.where(ok, r, 1.0)
        Qv = sgn * (fb - fa) / rr
        U = dual_direction(Dv, q)  # subgradient of ||.||_p at B - A
        gB = (sgn[:, None] * Gb - Qv[:, None] * U) / rr[:, None]
        gA = (-sgn[:, None] * Ga + Qv[:, None] * U) / rr[:, None]
        nrm = np.sqrt(np.sum(gA**2, 1) + np.sum(gB**2, 1))
        nrm = np.where(nrm > 0, nrm, 1.0)
        A2 = domain.project(A + (lr / nrm)[:, None] * gA)
        B2 = domain.project(B + (lr / nrm)[:, None] * gB)
        r2 = lp_norm(B2 - A2, p)
        ok2 = r2 > 1e-9 * xscale
        with np.errstate(divide="ignore", invalid="ignore"):
            Q2 = np.where(ok2, sgn * (net(B2) - net(A2)) / np.where(ok2, r2, 1.0), -INF)
        better = Q2 > bestQ
        bestA[better], bestB[better], bestQ[better] = A2[better], B2[better], Q2[better]
        lr = np.where(Q2 >= Qv, lr * 1.1, lr * 0.5)
        A, B = np.where(ok2[:, None], A2, A), np.where(ok2[:, None], B2, B)
    return bestA, bestB, bestQ


def lp_lower_bound(net, domain: Domain | None = None, p=2, *, X=None, seed=0,
                   n_samples: int = 256, n_starts: int = 16, steps: int = 40,
                   polish_rounds: int = 10) -> tuple[float, LpWitness | None, str]:
    r"""Certified lower bound on :math:`\mathrm{Lip}_{p,\Omega}(f)` with a witness.

    Search: ``n_samples`` random points of the domain (on :math:`\mathbb R^d`
    at several radii) and the rows of ``X`` inside the domain. For a
    two-layer network, ``steps`` iterations of smoothed ascent on
    :math:`\|\nabla f\|_q` and ``polish_rounds`` of local search over
    neighbouring patterns. For every network, the ``n_starts`` best points
    start a gradient ascent on the pair quotient (:func:`_pair_ascent`).

    Certification: the value is either :math:`\|\nabla f(x)\|_q` at a point of
    the domain strictly inside a linear region (so f is differentiable there
    and, the domain being convex with interior, :math:`\|\nabla f(x)\|_q \le
    \mathrm{Lip}_{p,\Omega}`), or a quotient :math:`|f(x)-f(x')|/\|x-x'\|_p`
    of two points of the domain, both recomputed by :meth:`LpWitness.verify`.

    Returns
    -------
    (value, witness, method) : (float, LpWitness or None, str)
        method is ``'gradient'`` (point witness) or ``'pair-ascent'``.

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    >>> v, w, m = lp_lower_bound(net, Domain.ball(), p="inf", seed=0)
    >>> round(v, 9), m
    (2.0, 'gradient')
    """
    net = _check_net(net)
    domain = _check_domain(domain)
    p = _as_p(p)
    q = dual_exponent(p)
    rng = as_rng(seed)
    n_samples = as_positive_int(n_samples, "n_samples", minimum=0)
    n_starts = as_positive_int(n_starts, "n_starts", minimum=0)
    steps = as_positive_int(steps, "steps", minimum=0)
    polish_rounds = as_positive_int(polish_rounds, "polish_rounds", minimum=0)
    parts = [_starts(net, domain, n_samples, rng)] if n_samples else []
    if X is not None:
        X = as_matrix(X, "X", cols=net.d)
        parts.append(X[domain.contains(X, tol=0.0)])
    if not parts or sum(len(x) for x in parts) == 0:
        raise ValueError("n_samples: need random points or X inside the domain")
    P = np.concatenate(parts)
    if isinstance(net, TwoLayerNet) and net.activation.is_piecewise_linear:
        if steps:
            P = np.concatenate([P, _smoothed_ascent(net, domain, P, q, steps=steps, rng=rng)])
        if polish_rounds:
            val = lp_norm(net.gradient(P), q)
            top = np.argsort(val)[::-1][:max(n_starts, 1)]
            P = np.concatenate([P, _ray_polish(
                net, domain, P[top], rounds=polish_rounds, rng=rng,
                objective=lambda Q: lp_norm(net.gradient(Q), q))])
    best, wit, method = 0.0, None, "none"
    inside = _interior(net, P)
    vals = lp_norm(net.gradient(P), q)
    if np.any(inside):
        i = int(np.flatnonzero(inside)[np.argmax(vals[inside])])
        best, wit = _certify(net, domain, p, "point", P[i:i + 1])
        method = "gradient"
    if n_starts and steps:
        top = np.argsort(vals)[::-1][:n_starts]
        A, B, Qv = _pair_ascent(net, domain, p, P[top], steps=steps, rng=rng)
        j = int(np.argmax(Qv))
        if Qv[j] > best * (1 + 1e-9):
            try:
                v, w = _certify(net, domain, p, "pair", np.stack([A[j], B[j]]))
            except ValueError:
                v, w = 0.0, None
            if v > best:
                best, wit, method = v, w, "pair-ascent"
    return float(best), wit, method


# ---------------------------------------------------------------------------
# Upper bounds (two-layer networks)
# ---------------------------------------------------------------------------
_SLOPE_CACHE: OrderedDict = OrderedDict()


def _slopes(net: TwoLayerNet, domain: Domain) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-neuron slope midpoint m and half-width h on the domain (neurons with
    a = 0 or w = 0 contribute nothing), or None if some slope is unbounded.
    The ranges of the last few (network, domain) pairs are cached (the
    symbolic slope range of a smooth activation is slow to recompute)."""
    from numerics.lipschitz.l2 import slope_ranges

    key = (net.spec, domain, net.a.tobytes(), net.W.tobytes(), net.b.tobytes(), net.W.shape)
    if key in _SLOPE_CACHE:
        _SLOPE_CACHE.move_to_end(key)
        lo, hi = _SLOPE_CACHE[key]
    else:
        lo, hi = slope_ranges(net, domain)
        _SLOPE_CACHE[key] = (lo, hi)
        if len(_SLOPE_CACHE) > 8:
            _SLOPE_CACHE.popitem(last=False)
    dead = (net.a == 0) | ~np.any(net.W != 0, axis=1)
    lo, hi = np.where(dead, 0.0, lo), np.where(dead, 0.0, hi)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        return None
    return (lo + hi) / 2, (hi - lo) / 2


def _finish(v: float) -> float:
    return float(v) * (1 + UPPER_SAFETY) if np.isfinite(v) else INF


def _two_layer(net) -> TwoLayerNet:
    from numerics.models import DeepReLUNet

    if isinstance(net, DeepReLUNet) and net.depth == 1:
        return net.to_two_layer()
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    return net


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
    net = _two_layer(net)
    domain = _check_domain(domain)
    q = dual_exponent(p)
    s = _slopes(net, domain)
    if s is None:
        return INF
    m, h = s
    lin = float(lp_norm((net.a * m) @ net.W, q)[0])
    return _finish(lin + float(np.sum(np.abs(net.a) * h * lp_norm(net.W, q))))


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
    net = _two_layer(net)
    domain = _check_domain(domain)
    q = dual_exponent(p)
    s = _slopes(net, domain)
    if s is None:
        return INF
    m, h = s
    lin = float(lp_norm((net.a * m) @ net.W, q)[0])
    ah = float(np.linalg.norm(net.a * h))
    if ah == 0:
        return _finish(lin)
    return _finish(lin + operator_norm_bound(net.W.T, 2, q) * ah)


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
    net = _two_layer(net)
    domain = _check_domain(domain)
    p = _as_p(p)
    s = _slopes(net, domain)
    if s is None:
        return None
    m, h = s
    lo, hi = m - h, m + h
    C = net.a[:, None] * net.W  # (k, d): a_l w_l
    if p == 1.0:
        up = np.maximum(lo[:, None] * C, hi[:, None] * C).sum(axis=0)
        dn = np.minimum(lo[:, None] * C, hi[:, None] * C).sum(axis=0)
        return _finish(float(np.max(np.maximum(up, -dn))))
    if p == INF:
        if net.d > MAX_ENUM:
            return None
        S = np.array(list(itertools.product([-1.0, 1.0], repeat=net.d)))
        T = S @ C.T  # (2^d, k): a_l w_l . sigma
        return _finish(float(np.max(np.maximum(lo * T, hi * T).sum(axis=1))))
    sw = np.flatnonzero(h > 0)
    if sw.size > MAX_ENUM:
        return None
    base = (net.a * lo) @ net.W
    if sw.size == 0:
        return _finish(float(np.linalg.norm(base)))
    V = np.array(list(itertools.product([0.0, 1.0], repeat=sw.size)))
    G = base + V @ ((2 * h[sw])[:, None] * C[sw])
    return _finish(float(np.linalg.norm(G, axis=1).max()))


def conversion_upper_bound_lp(net: TwoLayerNet, domain: Domain | None = None, p=2) -> float:
    r"""Norm conversion of the best certified :math:`\ell_2` bound
    :math:`U_2` of :mod:`numerics.lipschitz.l2` (spectral, path norm, centred,
    and any registered provider): :math:`\|g\|_\infty \le \|g\|_2` and
    :math:`\|g\|_1 \le \sqrt d\,\|g\|_2` give :math:`\mathrm{Lip}_1 \le U_2`,
    :math:`\mathrm{Lip}_\infty \le \sqrt d\,U_2`.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[3.0, 4.0]], None, "relu")
    >>> round(conversion_upper_bound_lp(net, p="inf"), 6)
    7.071068
    """
    from numerics.lipschitz import l2 as L2

    net = _two_layer(net)
    domain = _check_domain(domain)
    p = _as_p(p)
    u2 = min(L2.spectral_upper_bound(net, domain), L2.path_norm_upper_bound(net, domain),
             L2.centered_upper_bound(net, domain))
    for provider in getattr(L2, "UPPER_BOUND_PROVIDERS", {}).values():
        v = provider(net, domain)
        if v is not None:
            u2 = min(u2, float(v))
    c = np.sqrt(net.d) if p == INF else 1.0
    return _finish(c * u2)


# ---------------------------------------------------------------------------
# Exact values
# ---------------------------------------------------------------------------
def exact_lp_lipschitz(net: TwoLayerNet, domain: Domain | None = None,
                       p=2) -> tuple[float | None, str]:
    r"""Exact :math:`\mathrm{Lip}_{p,\Omega}(f) = \max_S\|g_S\|_q` for a
    piecewise-linear two-layer network with :math:`d \le 3` on
    :math:`\mathbb R^d` or a Euclidean ball, where :math:`g_S` ranges over the
    constant gradients of the linear regions meeting :math:`\Omega`
    (:func:`numerics.lipschitz.l2.region_gradients`). Returns ``(value, '')`` or
    ``(None, reason)``.

    Examples
    --------
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> exact_lp_lipschitz(net, Domain.rd(), p="inf")
    (2.0, '')
    """
    from numerics.lipschitz.l2 import region_gradients

    domain = _check_domain(domain)
    p = _as_p(p)
    try:
        net = _two_layer(net)
    except ValueError:
        return None, "region enumeration is implemented for two-layer networks only"
    if not net.activation.is_piecewise_linear or net.d > 3:
        return None, "exact values need a piecewise-linear activation and d <= 3"
    G = region_gradients(net, domain)
    if G is None:
        return None, "arrangement too degenerate to enumerate"
    return float(lp_norm(G, dual_exponent(p)).max()), ""


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------
@dataclass
class LpLipschitzReport:
    r"""Certified bracket of :math:`\mathrm{Lip}_{p,\Omega}(f)`.

    ``lower`` is attained at ``lower_witness`` (re-verify with
    ``lower_witness.verify(net, domain)``); ``upper`` is the smallest proved
    bound in ``uppers``; ``exact`` is the enumerated value or None with
    ``exact_reason``.
    """

    p: float
    domain: Domain
    lower: float
    lower_witness: LpWitness | None
    lower_method: str
    upper: float
    upper_method: str
    uppers: dict = field(default_factory=dict)
    exact: float | None = None
    exact_reason: str = ""
    seconds: float = 0.0

    @property
    def q(self) -> float:
        """The dual exponent."""
        return dual_exponent(self.p)

    def to_dict(self) -> dict:
        """JSON-friendly dict."""
        def fin(v):
            return None if v is None or not np.isfinite(v) else float(v)

        return {"p": _p_label(self.p), "q": _p_label(self.q), "domain": self.domain.kind,
                "radius": self.domain.radius, "lower": float(self.lower),
                "lower_method": self.lower_method,
                "witness": None if self.lower_witness is None else self.lower_witness.to_dict(),
                "upper": fin(self.upper), "upper_method": self.upper_method,
                "uppers": {k: fin(v) for k, v in self.uppers.items()},
                "exact": fin(self.exact), "exact_reason": self.exact_reason,
                "seconds": round(self.seconds, 6)}


def lp_lipschitz_report(net, domain: Domain | None = None, p=2, *, X=None, seed=0,
                        exact: str | bool = "auto", n_samples: int = 256, n_starts: int = 16,
                        steps: int = 40) -> LpLipschitzReport:
    r"""Bracket :math:`\mathrm{Lip}_{p,\Omega}(f)` for a two-layer or deep network.

    Lower: best of :func:`pair_lower_bound_lp` (data pairs, when ``X`` is
    given) and :func:`lp_lower_bound`. Upper, two-layer: path-norm,
    operator-norm, box relaxation and :math:`\ell_2` conversion forms; deep:
    :func:`numerics.models.deep.product_norm_upper_bound`. Exact (``'auto'``:
    piecewise-linear two-layer networks with :math:`d\le 3`):
    :func:`exact_lp_lipschitz`.

    Examples
    --------
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> rep = lp_lipschitz_report(net, Domain.ball(), p="inf", seed=0)
    >>> round(rep.lower, 9), round(rep.exact, 9), round(rep.upper, 9)
    (2.0, 2.0, 2.0)
    """
    from numerics.models import DeepReLUNet, product_norm_upper_bound

    net = _check_net(net)
    domain = _check_domain(domain)
    p = _as_p(p)
    if exact not in ("auto", True, False):
        raise ValueError(f"exact: expected 'auto', True or False, got {exact!r}")
    t0 = time.perf_counter()
    lowers = {}
    if X is not None:
        v, w = pair_lower_bound_lp(net, X, domain, p)
        if w is not None:
            lowers["pair"] = (v, w)
    v, w, method = lp_lower_bound(net, domain, p, X=X, seed=seed, n_samples=n_samples,
                                  n_starts=n_starts, steps=steps)
    if w is not None:
        lowers[method] = (v, w)
    if isinstance(net, DeepReLUNet) and net.depth > 1:
        uppers = {"product_norm": _finish(product_norm_upper_bound(net, p))}
        two = None
    else:
        two = _two_layer(net)
        uppers = {"path_norm": path_norm_upper_bound_lp(two, domain, p),
                  "operator_norm": operator_upper_bound_lp(two, domain, p),
                  "l2_conversion": conversion_upper_bound_lp(two, domain, p)}
        box = box_upper_bound_lp(two, domain, p)
        if box is not None:
            uppers["box"] = box
    ex, reason = None, ""
    pl = two is not None and two.activation.is_piecewise_linear and two.d <= 3
    if exact is True or (exact == "auto" and pl):
        if two is None:
            reason = "region enumeration is implemented for two-layer networks only"
        else:
            ex, reason = exact_lp_lipschitz(two, domain, p)
    elif exact == "auto":
        reason = "not attempted (needs a piecewise-linear two-layer network with d <= 3)"
    if lowers:
        best = max(lowers, key=lambda k: lowers[k][0])
        lower, lw = lowers[best]
    else:
        best, lower, lw = "none", 0.0, None
    up = min(uppers, key=uppers.get)
    return LpLipschitzReport(p=p, domain=domain, lower=float(lower), lower_witness=lw,
                             lower_method=best, upper=float(uppers[up]), upper_method=up,
                             uppers=uppers, exact=ex, exact_reason=reason,
                             seconds=time.perf_counter() - t0)
