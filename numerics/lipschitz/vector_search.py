r"""Certified lower bounds for networks with m outputs: witnesses :math:`(x, c)` with
:math:`\|J(x)\|_{op} \ge \|J(x)^Tc\|/\|c\|`, and a local search for good ones.

Mathematics
-----------
For :math:`F(x) = A\psi(Wx+b)` and a point x strictly inside an activation cell (or any
point, for smooth ψ), :math:`\mathrm{Lip}_{2,\Omega}(F) \ge \|J(x)\|_{op} \ge
\|J(x)^Tc\|_2/\|c\|_2` for every :math:`c \ne 0` (on the sphere: the tangential
Jacobian, :math:`\|J(x)P_x\|_{op} \ge \|P_xJ(x)^Tc\|/\|c\|`). Now :math:`J(x)^Tc` is the
gradient of the scalar network :math:`c^TF`, with output weights :math:`A^Tc`. Its
certified value uses the scalar machinery: with :math:`\hat a = fl(A^Tc)` the float
output weights, :meth:`numerics.lipschitz.witness.Witness.verify` gives a certified
:math:`\underline g \le \|\nabla f_{\hat a}(x)\|` (pre-activation and pattern
certainty, gradient rounding, ball membership, the sphere's tangential part; see
:mod:`numerics.rounding`), and

.. math::

    \|J(x)^Tc\| \ge \|\nabla f_{\hat a}(x)\| - \|W^T\mathrm{diag}(\psi'(z))(A^Tc - \hat a)\|
    \ge \underline g - L\,\|W\|_{op}\,\gamma_m\,\|\,|A|^T|c|\,\|,

L the largest slope of ψ on R, :math:`\|W\|_{op}` certified
(:func:`numerics.rounding.certified_operator_norm`); the result is divided by
:math:`\|c\|` rounded up and rounded down. With c the top left singular vector of
:math:`J(x)` this is :math:`\|J(x)\|_{op}` up to rounding.

**Search** ("power iteration on J, ascent over x"): random points of the domain (and the
data); at the best ones, c = the top left singular vector of J(x); the scalar
search :func:`numerics.lipschitz.search.gradient_lower_bound` of
:math:`c^TF` from there moves x (its gradient norm is :math:`\|J(x)^Tc\| \le
\|J(x)\|_{op}`); then c is updated at the new point, for a few rounds.

Examples
--------
>>> from numerics.models import VectorTwoLayerNet
>>> net = VectorTwoLayerNet([[1.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
>>> w = VectorWitness(np.array([[1.0, 1.0]]), np.array([0.0, 1.0]), 0.0)
>>> 2.0 * (1 - 1e-12) <= w.verify(net) <= 2.0
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numerics import rounding
from numerics._validate import as_matrix
from numerics.domain import Domain
from numerics.lipschitz.ascent import _starts
from numerics.lipschitz.search import gradient_lower_bound
from numerics.lipschitz.witness import Witness
from numerics.models import VectorTwoLayerNet

__all__ = ["VectorWitness", "vector_lower_bound"]


def _max_slope(net: VectorTwoLayerNet) -> float:
    from numerics.lipschitz.lipsdp import _slope_range_R

    sr = _slope_range_R(net.spec)
    if sr is None:
        return math.inf
    return max(abs(sr[0]), abs(sr[1]))


@dataclass(frozen=True)
class VectorWitness:
    r"""Evidence for :math:`\mathrm{Lip}_{2,\Omega}(F) \ge \|J(x)^Tc\|/\|c\|`: ``points``
    (1, d) the point x, ``direction`` (m,) the output direction c, ``value`` the claimed
    bound. :meth:`verify` recomputes it from the network as a certified number."""

    points: np.ndarray
    direction: np.ndarray
    value: float
    kind: str = "point"
    p: float = 2.0

    def verify(self, net: VectorTwoLayerNet, domain: Domain | None = None) -> float:
        """The certified :math:`\\|J(x)^Tc\\|/\\|c\\|` rounded down (module docstring);
        ValueError when the point is not certified to be in the domain or lies on (or
        within rounding of) a kink, or c is zero."""
        if not isinstance(net, VectorTwoLayerNet):
            raise ValueError(f"net: expected a VectorTwoLayerNet, got {type(net).__name__}")
        domain = Domain.rd() if domain is None else domain
        c = np.asarray(self.direction, dtype=float).reshape(-1)
        if c.shape != (net.m,) or not np.all(np.isfinite(c)) or not np.any(c != 0):
            raise ValueError(f"witness: direction must be a finite nonzero vector of length "
                             f"{net.m}")
        P = as_matrix(np.atleast_2d(np.asarray(self.points, dtype=float)), "witness",
                      cols=net.d)[:1]
        g = Witness("point", P, 0.0, 2.0).verify(net.combination(c), domain)
        L = _max_slope(net)
        err = L * rounding.certified_operator_norm(net.W) * rounding.gamma(net.m + 2) \
            * float(np.linalg.norm(np.abs(net.a).T @ np.abs(c)))
        err = rounding.round_up_bound(err, 2 * net.m + 8)
        cn = rounding.round_up_bound(float(np.linalg.norm(c)), net.m + 2)
        return rounding.round_down_bound(max(g - err, 0.0) / cn, 2)

    def to_dict(self) -> dict:
        return {"kind": "point", "points": np.asarray(self.points).tolist(),
                "direction": np.asarray(self.direction).tolist(), "value": float(self.value),
                "p": "2"}


def _top_direction(net: VectorTwoLayerNet, x: np.ndarray) -> tuple[float, np.ndarray]:
    J = net.jacobian(x)
    Uu, s, _ = np.linalg.svd(J, full_matrices=False)
    return float(s[0]), Uu[:, 0]


def _certify(net, domain, x, c) -> tuple[float, VectorWitness | None]:
    w = VectorWitness(np.asarray(x, dtype=float)[None, :].copy(), c.copy(), 0.0)
    try:
        v = w.verify(net, domain)
    except ValueError:
        return 0.0, None
    return v, VectorWitness(w.points, w.direction, v)


def vector_lower_bound(net: VectorTwoLayerNet, domain: Domain | None = None, *, X=None,
                       seed=0, n_random: int = 256, rounds: int = 3, top: int = 4,
                       effort: int = 64) -> tuple[float, VectorWitness | None]:
    r"""Certified lower bound on :math:`\mathrm{Lip}_{2,\Omega}(F)` with its witness, from
    the search of the module docstring (``n_random`` random starts, ``rounds`` of
    direction updates at the ``top`` best points, ``effort`` random starts per scalar
    search).

    Examples
    --------
    >>> from numerics.models import VectorTwoLayerNet
    >>> rng = np.random.default_rng(0)
    >>> net = VectorTwoLayerNet(rng.standard_normal((3, 8)), rng.standard_normal((8, 2)),
    ...                         rng.standard_normal(8))
    >>> v, w = vector_lower_bound(net, Domain.ball(1.0), seed=0)
    >>> v > 0, w.verify(net, Domain.ball(1.0)) == v
    (True, True)
    """
    if not isinstance(net, VectorTwoLayerNet):
        raise ValueError(f"net: expected a VectorTwoLayerNet, got {type(net).__name__}")
    domain = Domain.rd() if domain is None else domain
    rng = np.random.default_rng(seed)
    P = _starts(net.combination(np.ones(net.m)), domain, n_random, rng)
    if X is not None:
        X = as_matrix(X, "X", cols=net.d)
        P = np.vstack([X, P])
    vals = np.array([_top_direction(net, x)[0] for x in P])
    order = np.argsort(-vals)[:top]
    best, bw = 0.0, None
    for i in order:
        x = P[i]
        for _ in range(rounds):
            _, c = _top_direction(net, x)
            v, w = _certify(net, domain, x, c)
            if w is not None and v > best:
                best, bw = v, w
            _, sw = gradient_lower_bound(net.combination(c), domain, X=x[None, :],
                                         n_random=effort, polish_top=8, n_vertex=64,
                                         seed=int(rng.integers(2**31)))
            if sw is None or sw.kind != "point":
                break
            x = np.asarray(sw.points[0], dtype=float)
        _, c = _top_direction(net, x)
        v, w = _certify(net, domain, x, c)
        if w is not None and v > best:
            best, bw = v, w
    return best, bw
