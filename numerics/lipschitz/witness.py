r"""One witness type for every norm, and the kink tests witnesses rely on.

A certified lower bound is attained by a :class:`Witness` the caller can
re-verify: a pair of points of the domain (a difference quotient) or one point
where the network is differentiable (a gradient norm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics import rounding
from numerics.domain import Domain
from numerics.lipschitz._args import check_domain, check_net, two_layer_or_none
from numerics.lipschitz.norms import INF, _as_p, _p_label
from numerics.models import TwoLayerNet, VectorTwoLayerNet

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
    >>> from numerics.models import TwoLayerNet, VectorTwoLayerNet
    >>> net = TwoLayerNet([1.0], [[1.0, -2.0]], [0.0], "relu")
    >>> w = Witness("point", np.array([[3.0, 1.0]]), 3.0, 2.0)
    >>> round(w.verify(net), 9), round(w.verify(net, p=1), 9), round(w.verify(net, p="inf"), 9)
    (2.236067977, 2.0, 3.0)
    """

    kind: str
    points: np.ndarray
    value: float
    p: float = 2.0

    def verify(self, net, domain: Domain | None = None, p=None) -> float:
        """Recompute the witnessed quantity from scratch as a *certified* number (for
        ``p``, default the witness's own; docs/mathematics.md#rounding): the pair
        quotient or gradient norm rounded down by its floating-point error bound
        (:mod:`numerics.rounding`). Raises ValueError when membership in the domain is
        not certified (ball: :math:`fl(\\|x\\|^2)(1+\\gamma_{d+1}) \\le R^2`; sphere: the
        float point lies within a relative :math:`10^{-9}` of the sphere and stands for
        its projection), the pair coincides, or a point witness's activation pattern
        is not certain (it may lie on a kink)."""
        if isinstance(net, VectorTwoLayerNet) and net.m == 1:
            net = net.scalar()  # the scalar network it is (lipschitz_report does the same)
        net = check_net(net, deep=True)
        net = two_layer_or_none(net) or net  # a depth-1 deep net is a two-layer one
        p = self.p if p is None else _as_p(p)
        domain = check_domain(domain, net.d, p, net)
        P = np.atleast_2d(np.asarray(self.points, dtype=float))
        _check_membership(P, domain)
        if self.kind == "pair":
            if P.shape[0] != 2 or not np.any(P[0] != P[1]):
                raise ValueError("witness: a pair witness needs two points that do not coincide")
            return float(rounding.certified_pair_quotients(net, P[:1], P[1:], p, domain)[0])
        if self.kind == "point":
            vals, ok = rounding.certified_gradient_norms(net, P[:1], p, domain)
            if not ok[0]:
                raise ValueError("witness: the point lies on (or within rounding error of) "
                                 "a kink of the network")
            return float(vals[0])
        raise ValueError(f"witness: unknown kind {self.kind!r}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": np.asarray(self.points).tolist(),
                "value": float(self.value), "p": _p_label(self.p)}


def _check_membership(P: np.ndarray, domain: Domain) -> None:
    """ValueError unless every row is certified to lie in the domain."""
    if not np.all(np.isfinite(P)):
        raise ValueError("witness: points must be finite")
    if domain.kind == "ball" and not np.all(rounding.in_ball(P, domain.radius)):
        raise ValueError("witness: point(s) outside the ball (membership not certified)")
    if domain.kind == "sphere":
        off = rounding.sphere_offsets(P, domain.radius)
        if not np.all(off <= rounding.SPHERE_SLACK * domain.radius):
            raise ValueError("witness: point(s) outside the domain (not on the sphere)")


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
