r"""Branch and bound for the :math:`\ell_2` operator-norm Lipschitz constant of
piecewise-linear networks with m outputs, :math:`F(x) = A\psi(Wx+b)`
(``docs/mathematics.md#vector-outputs``).

The search is the one of :mod:`numerics.lipschitz.bnb` (nodes are partial sign
assignments, regions checked by the same LPs, best first, the same branching rule with
:math:`\|A_\ell\|` in place of :math:`|a_\ell|`), with three changes:

- on a cell with pattern S, :math:`J = A\,\mathrm{diag}(s_S)\,W` is constant and the
  constant is :math:`\max_S \|A\,\mathrm{diag}(s_S)W\|_{op}` over the cells meeting the
  interior of Ω;
- node upper bounds are the block LipSDP bound of
  :func:`numerics.lipschitz.vector_lipsdp.vector_sector_bound` with the node's sectors;
  on a leaf every neuron is linear, the block problem has no free neuron and the bound
  is :math:`\|A\,\mathrm{diag}(s_S)W\|_{op}` certified by the Cholesky test of
  :math:`\left(\begin{smallmatrix}\rho I & G^T\\ G & I\end{smallmatrix}\right)`;
- incumbents are :class:`numerics.lipschitz.vector_search.VectorWitness` es: a point of the
  region and the top left singular vector c of J there, re-verified from the network.

Only the :math:`\ell_2` input norm (``p = 2``) and the domains :math:`\mathbb R^d` and the
ball are handled: l1/l_inf vector outputs raise a ValueError naming ``p``, the sphere
one naming ``domain``.

Examples
--------
>>> from numerics.models import VectorTwoLayerNet
>>> from numerics.domain import Domain
>>> rng = np.random.default_rng(1)
>>> net = VectorTwoLayerNet(rng.standard_normal((2, 6)), rng.standard_normal((6, 2)),
...                         rng.standard_normal(6), "relu")
>>> res = vector_branch_and_bound(net, Domain.ball(1.0), seed=0)
>>> res.status, res.lower <= res.upper <= res.lower * (1 + 1e-9)
('closed', True)
>>> res.witness.verify(net, Domain.ball(1.0)) == res.lower
True
"""

from __future__ import annotations

import time

import numpy as np

from numerics._validate import as_finite_float
from numerics.domain import Domain
from numerics.lipschitz.bnb import (
    BnBResult,
    _check_budget,
    _consistent,
    _finish,
    _root_signs,
    _run,
    _Search,
)
from numerics.lipschitz.bnb_regions import region_point
from numerics.lipschitz.norms import _as_p
from numerics.lipschitz.vector_lipsdp import proxy_net, vector_sector_bound
from numerics.lipschitz.vector_search import (
    VectorWitness,
    _certify,
    _top_direction,
    vector_lower_bound,
)
from numerics.models import VectorTwoLayerNet

__all__ = ["vector_branch_and_bound"]


class _VectorSearch(_Search):
    """:class:`numerics.lipschitz.bnb._Search` with block node bounds and vector witnesses;
    ``self.net`` is the proxy scalar network (same W, b, live neurons) the region code
    reads."""

    def __init__(self, vnet: VectorTwoLayerNet, domain, rtol, sector_hook, prune_slack,
                 maxiter: int):
        super().__init__(proxy_net(vnet), domain, rtol, 1e-2, sector_hook, prune_slack)
        self.vnet = vnet
        self.maxiter = maxiter
        self.branching = "width"  # the scalar direction rule reads a scalar output layer

    def upper_bound(self, sig: np.ndarray, parent):
        res = vector_sector_bound(self.vnet, self.sectors(sig), t_start=None if parent is None
                                  else parent.t, maxiter=self.maxiter,
                                  target=self.lower * (1 + self.rtol) * (1 - 1e-12))
        ub = float(res.value)
        if parent is not None and parent.upper < ub:
            return parent.upper, parent.t
        return ub, res.t

    def offer(self, x: np.ndarray | None) -> None:
        if x is None:
            return
        x = np.asarray(x, dtype=float)
        _, c = _top_direction(self.vnet, x)
        v, w = _certify(self.vnet, self.domain, x, c)
        if w is not None and (v > self.lower or self.witness is None):
            self.lower = max(v, self.lower)
            self.witness = w


def vector_branch_and_bound(net: VectorTwoLayerNet, domain: Domain | None = None, p=2, *,
                            time_limit: float | None = 60.0, node_limit: int | None = None,
                            rtol: float = 1e-9, seed=0, lower_search: bool = True, X=None,
                            witness: VectorWitness | None = None, maxiter: int = 60,
                            _sector_hook=None, _prune_slack: float = 1.0) -> BnBResult:
    r"""Anytime certified bracket, exact when it closes, of :math:`\sup_x\|J(x)\|_{op}`
    for relu, leaky-relu and abs networks with m outputs on :math:`\mathbb R^d` or a ball
    (module docstring). Arguments as
    :func:`numerics.lipschitz.bnb.branch_and_bound_lipschitz`; ``maxiter`` caps the
    L-BFGS iterations of each node bound. The result's ``witness`` is a
    :class:`~numerics.lipschitz.vector_search.VectorWitness`.
    """
    if not isinstance(net, VectorTwoLayerNet):
        raise ValueError(f"net: expected a VectorTwoLayerNet, got {type(net).__name__}")
    if _as_p(p) != 2.0:
        raise ValueError(f"p: branch and bound for m outputs handles the l2 input norm only "
                         f"(p = 2), got {p!r}")
    domain = Domain.rd() if domain is None else domain
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    if domain.kind == "sphere":
        raise ValueError("domain: branch and bound for m outputs handles R^d and balls")
    tl, nl = _check_budget(time_limit, node_limit)
    rtol = as_finite_float(rtol, "rtol", nonnegative=True)
    t0 = time.perf_counter()
    S = _VectorSearch(net, domain, rtol, _sector_hook, _prune_slack, maxiter)
    S.score = np.linalg.norm(net.a, axis=0) * np.linalg.norm(net.W, axis=1) \
        * (S.smax - S.smin)
    if lower_search:
        _, w = vector_lower_bound(net, domain, X=X, seed=seed, n_random=64, rounds=2, top=2,
                                  effort=32)
        if w is not None:
            S.offer(w.points[0])
    if witness is not None:
        if not isinstance(witness, VectorWitness):
            raise ValueError(f"witness: expected a VectorWitness, got {type(witness).__name__}")
        S.offer(np.asarray(witness.points, dtype=float)[0])
    sig0 = _root_signs(S.net, domain)
    x0 = None if S.witness is None else S.witness.points[0]
    if x0 is None or not _consistent(S.net, sig0, x0):
        x0 = region_point(S.L, sig0)
    S.push(sig0, x0)
    status = _run(S, t0, tl, nl)
    return _finish(S, t0, status)
