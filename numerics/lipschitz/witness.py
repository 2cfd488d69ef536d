r"""One witness type for every norm, and the kink tests witnesses rely on.

A certified lower bound is attained by a :class:`Witness` the caller can
re-verify: a pair of points of the domain (a difference quotient) or one point
where the network is differentiable (a gradient norm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics.domain import Domain
from numerics.lipschitz._args import check_domain, check_net
from numerics.lipschitz.norms import INF, _as_p, _p_label, dual_exponent, lp_norm
from numerics.models import TwoLayerNet

__all__ = ["Witness", "kink_margin"]


@dataclass(frozen=True)
class Witness:
    r"""Evidence for a certified lower bound on :math:`\mathrm{Lip}_{p,\Omega}(f)`, any p.

    ``kind='pair'``: ``points`` (2, d); the bound is
    :math:`|f(x_1) - f(x_2)|/\mathrm{dist}(x_1, x_2)` with the domain's metric
    (geodesic on the sphere) for p = 2 and :math:`\|x_1 - x_2\|_p` otherwise.
    ``kind='point'``: ``points`` (1, d), a point of the domain where ``f`` is
    differentiable (strictly inside a linear region for piecewise-linear
    networks); the bound is :math:`\|\nabla_\Omega f(x)\|_q` (the tangential
    gradient on the sphere), :math:`1/p + 1/q = 1`.

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([1.0], [[1.0, -2.0]], [0.0], "relu")
    >>> w = Witness("point", np.array([[3.0, 1.0]]), 3.0, 2.0)
    >>> round(w.verify(net), 6), w.verify(net, p=1), w.verify(net, p="inf")
    (2.236068, 2.0, 3.0)
    """

    kind: str
    points: np.ndarray
    value: float
    p: float = 2.0

    def verify(self, net, domain: Domain | None = None, p=None) -> float:
        """Recompute the witnessed quantity from scratch (for ``p``, default the
        witness's own). Raises ValueError when a point is outside the domain,
        the pair coincides, or a point witness lies on a kink."""
        net = check_net(net, deep=True)
        p = self.p if p is None else _as_p(p)
        domain = check_domain(domain, net.d, p)
        P = np.asarray(self.points, dtype=float)
        if not np.all(domain.contains(P)):
            raise ValueError("witness: point(s) outside the domain")
        if self.kind == "pair":
            if p == 2.0:
                dist = float(domain.distance(P[:1], P[1:])[0])
            else:
                dist = float(lp_norm(P[:1] - P[1:], p)[0])
            if dist <= 0:
                raise ValueError("witness: the two points coincide")
            return float(abs(net(P[:1])[0] - net(P[1:])[0]) / dist)
        if self.kind == "point":
            if kink_margin(net, P[:1])[0] <= 0:
                raise ValueError("witness: the point lies on a kink of the network")
            G = domain.effective_gradient(P[:1], net.gradient(P[:1]))
            if p == 2.0:
                return float(np.linalg.norm(G[0]))
            return float(lp_norm(G, dual_exponent(p))[0])
        raise ValueError(f"witness: unknown kind {self.kind!r}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": np.asarray(self.points).tolist(),
                "value": float(self.value), "p": _p_label(self.p)}


def _two_layer_kink_margin(net: TwoLayerNet, P: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest kink hyperplane of a
    piecewise-linear network (inf when there is none), shape (m,)."""
    norms = np.linalg.norm(net.W, axis=1)
    live = norms > 0
    if not np.any(live):
        return np.full(P.shape[0], np.inf)
    Z = P @ net.W[live].T + net.b[live]
    return np.min(np.abs(Z) / norms[live], axis=1)


def kink_margin(net, P: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest kink of the network, shape (m,):
    geometric distance to a kink hyperplane (two-layer piecewise-linear), the
    pre-activation margin of :meth:`DeepReLUNet.margin` (deep), inf for smooth
    activations. Where it is > 0 the network is differentiable."""
    if isinstance(net, TwoLayerNet):
        if not net.activation.is_piecewise_linear:
            return np.full(P.shape[0], INF)
        return _two_layer_kink_margin(net, P)
    return net.margin(P)


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
