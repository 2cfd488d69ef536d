r"""Exact Lipschitz constants of piecewise-linear two-layer networks by branch and bound
over the activation arrangement: an anytime certified bracket
(``docs/mathematics.md#branch-and-bound``).

Mathematics
-----------
For ψ piecewise linear with one kink at 0 (relu, leaky relu, abs) with slopes
:math:`s_-` (z < 0) and :math:`s_+` (z > 0), f is linear on every cell of the
arrangement :math:`\{w_\ell\cdot x + b_\ell = 0\}`, with gradient
:math:`g_S = \sum_\ell a_\ell s_{S_\ell} w_\ell`, and for convex :math:`\Omega`

.. math::

    \mathrm{Lip}_\Omega(f) = \max\{\|g_S\| : \text{the cell } S \text{ meets the interior
    of } \Omega\}.

A **node** fixes signs :math:`\sigma_\ell` of some neurons: its region
:math:`R = \{x\in\Omega^\circ : \sigma_\ell(w_\ell\cdot x + b_\ell) > 0\}` is convex, and
on R a fixed neuron is linear with slope :math:`s_{\sigma_\ell}` while a free one has
slopes in the sector :math:`[\min(s_\pm), \max(s_\pm)]`. So
:func:`numerics.lipschitz.lipsdp.lipsdp_sector_bound` with these sectors is a
certified upper bound on :math:`\sup_R\|\nabla f\|` (``docs/mathematics.md#lipsdp-reduction``),
and on a leaf (every neuron fixed) it is :math:`\|g_S\|` plus rounding. A point
strictly inside R (maximal-margin LP, :mod:`numerics.lipschitz.bnb_regions`) is a
witness: its true gradient norm, re-verified by
:meth:`numerics.lipschitz.witness.Witness.verify`, is a lower bound. Regions proved empty
by weak duality (with rounding) are pruned; so are nodes whose upper bound is at most
the incumbent lower bound times :math:`1 + \text{rtol}` (their bounds are kept in
``pruned_upper``, so the bracket stays certified). With every leaf closed,

.. math::

    \text{lower} \le \mathrm{Lip}_\Omega(f) \le
    \text{upper} = \max(\text{lower}, \text{pruned upper}, \max_{\text{open}}
    \text{upper}).

**Search.** Best first (largest upper bound). **Fixings** (ball and sphere): before a
node is bounded, every free neuron whose sign is constant on its region is fixed,
proved by the Lagrange dual of :math:`\min \pm p_i` over the ball and the fixed
half-spaces (:func:`numerics.lipschitz.bnb_regions.pair_fixings`); so the free neurons
are (nearly) those whose hyperplane cuts the region, which is what the per-neuron
sectors pay for. **Node bound:** with at most ``FREE_MAX`` free neurons the exact
maximum over the box of slopes (:func:`numerics.lipschitz.bnb_lp.sector_vertex_bound`,
never above LipSDP), else LipSDP warm-started from the parent's multipliers and stopped
once it is decided whether the node can be pruned (``target``). **Branching rule:** the
free neuron with the largest :math:`(\max s_\pm - \min s_\pm)\,|a_\ell\, w_\ell\cdot u|`,
u the direction of the relaxation's maximizing gradient found by greedy ascent from
the gradient at the node's witness (:meth:`_Search.ascent`): the neurons that move the
bound most along the direction that attains it. Measured against the former rule (the
width :math:`|a_\ell|\,\|w_\ell\|`, ``branching = "width"``): 505 → 147 nodes on a random
d = 10, k = 50 ball network, 3703 → 1920 at d = 6, k = 100 (``benchmarks/exact.py``).
Of the two children, the one containing the parent's witness inherits it; the
other is checked by one maximal-margin LP (a point, or a proof of emptiness, or
undecided: then the node stays, without a witness). A child with a single feasible
sibling is an implied fixing and costs one node.

**Domains.** :math:`\mathbb R^d` (homogenized regions), the ball :math:`B_R`, and the
sphere :math:`RS^{d-1}` with the geodesic metric: there the regions are those of the
ball (an outer relaxation, since :math:`\|\nabla_S f\| \le \|\nabla f\|`) and the
witnesses are radial projections of region points onto the sphere (kept if they stay
in a cell), so the sphere's bracket is certified but rarely closes.

**Norms.** For the input norm :math:`\ell_p`, :math:`p\in\{1,\infty\}` (R^d and
Euclidean balls, as everywhere in the toolkit), the constant is the largest dual norm
:math:`\|g_S\|_q` over the same cells, so the regions, the search and the witnesses
(verified with p) are unchanged; the node bound is the certified sector box bound of
:mod:`numerics.lipschitz.bnb_lp` (componentwise interval bound, exact for p = 1; for
p = inf the exact vertex maximum when d <= 10), exact on leaves. The ball stays the
Euclidean ball of the :class:`~numerics.domain.Domain` for every p.

Rounding (``docs/mathematics.md#rounding``): node upper bounds are the LipSDP
certificate (Cholesky with margin); lower bounds are :meth:`Witness.verify`, which rounds
the gradient norm down by its error bound (:mod:`numerics.rounding`); root signs use norms
rounded up; emptiness proofs carry explicit :math:`\gamma_m` terms.

Examples
--------
>>> from numerics.models import TwoLayerNet
>>> from numerics.domain import Domain
>>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
>>> res = branch_and_bound_lipschitz(net, Domain.rd(), seed=0)
>>> res.exact is not None, round(res.lower, 9), round(res.upper, 9)
(True, 1.414213562, 1.414213562)
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np

from numerics import rounding
from numerics._validate import as_finite_float
from numerics.domain import Domain
from numerics.lipschitz._args import check_domain
from numerics.lipschitz.bnb_lp import sector_box_bound, sector_vertex_bound
from numerics.lipschitz.bnb_regions import Lifted, classify_region, pair_fixings, region_point
from numerics.lipschitz.lipsdp import lipsdp_sector_bound
from numerics.lipschitz.lipsdp_certify import NeuronSectors
from numerics.lipschitz.norms import _as_p, _p_label, dual_exponent, lp_norm
from numerics.lipschitz.search import gradient_lower_bound, lp_lower_bound
from numerics.lipschitz.witness import Witness
from numerics.models import TwoLayerNet

__all__ = ["BnBResult", "branch_and_bound_lipschitz", "pl_slopes"]

_U = rounding.U


@dataclass(frozen=True)
class BnBResult:
    r"""Outcome of :func:`branch_and_bound_lipschitz`.

    Attributes
    ----------
    lower, upper : float
        Certified bracket :math:`\text{lower} \le \mathrm{Lip}_\Omega(f) \le \text{upper}`.
    exact : float or None
        ``lower`` when ``upper <= lower * (1 + rtol)``, else None.
    witness : Witness or None
        Point witness of ``lower`` (re-verify with ``witness.verify(net, domain)``).
    nodes : int
        Nodes whose bounds were computed.
    seconds : float
    open_nodes, undecided : int
        Nodes left in the queue at the end; nodes kept because their region could be
        neither proved empty nor given a witness.
    status : str
        ``'closed'``, ``'time limit'`` or ``'node limit'``.
    rtol : float
    domain : Domain
    p : float
        The input norm's exponent (the gradient is measured in the dual norm).
    """

    lower: float
    upper: float
    exact: float | None
    witness: Witness | None
    nodes: int
    seconds: float
    open_nodes: int
    undecided: int
    status: str
    rtol: float
    domain: Domain
    history: list = field(default_factory=list, repr=False)
    p: float = 2.0

    @property
    def gap(self) -> float:
        """Relative gap ``upper / lower - 1`` (inf when lower = 0 < upper)."""
        if self.lower <= 0:
            return 0.0 if self.upper <= 0 else math.inf
        return self.upper / self.lower - 1

    def to_dict(self) -> dict:
        """JSON keys of the CLI: exact, lower, upper, nodes, seconds (and more)."""
        return {"exact": self.exact, "lower": self.lower, "upper": self.upper,
                "nodes": self.nodes, "seconds": self.seconds, "gap": self.gap,
                "open_nodes": self.open_nodes, "undecided": self.undecided,
                "status": self.status, "rtol": self.rtol, "domain": self.domain.label,
                "p": _p_label(self.p),
                "witness": None if self.witness is None else self.witness.to_dict()}


def pl_slopes(net: TwoLayerNet) -> tuple[float, float]:
    """Slopes (s_-, s_+) of a piecewise-linear activation with its only kink at 0;
    ValueError naming ``net`` otherwise."""
    act = net.activation
    if not act.is_piecewise_linear:
        raise ValueError(f"net: branch and bound needs a piecewise-linear activation "
                         f"(relu, leaky relu, abs), got {net.spec}")
    crit = [float(c) for c in act.derivative_critical_points]
    if any(c != 0.0 for c in crit):
        raise ValueError(f"net: branch and bound needs the kink at 0, got {net.spec}")
    lo = float(act.numeric_derivative(np.array(-1.0)))
    hi = float(act.numeric_derivative(np.array(1.0)))
    return lo, hi


@dataclass(order=True)
class _Node:
    key: float
    count: int
    upper: float = field(compare=False)
    sig: np.ndarray = field(compare=False)
    x: np.ndarray | None = field(compare=False)
    t: np.ndarray | None = field(compare=False, default=None)


class _Search:
    """State of one branch-and-bound run."""

    def __init__(self, net, domain, rtol, lipsdp_tol, sector_hook, prune_slack,
                 tighten_max=8, p=2.0):
        self.net, self.domain, self.rtol = net, domain, rtol
        self.p, self.q = p, dual_exponent(p)
        self.s_lo, self.s_hi = pl_slopes(net)
        self.L = Lifted.of(net, domain)
        self.live = (net.a != 0) & (np.linalg.norm(net.W, axis=1) > 0)
        smin, smax = min(self.s_lo, self.s_hi), max(self.s_lo, self.s_hi)
        self.smin, self.smax = smin, smax
        self.score = np.abs(net.a) * lp_norm(net.W, self.q) * (smax - smin)
        self.lipsdp_tol = lipsdp_tol
        self.sector_hook = sector_hook
        self.prune_slack = prune_slack
        self.tighten_max = tighten_max
        self.branching = "direction"
        self.C = net.a[:, None] * net.W
        self.maxiter = 80
        self.lower, self.witness = 0.0, None
        self.pruned_upper = 0.0
        self.nodes = self.undecided = self.count = 0
        self.heap: list[_Node] = []

    # -- bounds --------------------------------------------------------------
    def sectors(self, sig: np.ndarray) -> NeuronSectors:
        slope = np.where(sig > 0, self.s_hi, self.s_lo)
        fixed = sig != 0
        alpha = np.where(fixed, slope, self.smin)
        beta = np.where(fixed, slope, self.smax)
        if self.sector_hook is not None:
            alpha, beta = self.sector_hook(sig, alpha, beta)
        free = self.live & ~fixed & (beta > alpha)
        linear = self.live & (alpha == beta) & (alpha != 0)
        alpha = np.where(free | linear, alpha, 0.0)
        beta = np.where(free | linear, beta, 0.0)
        return NeuronSectors(alpha, beta, free, linear, "branch-and-bound region")

    def upper_bound(self, sig: np.ndarray, parent: _Node | None) -> tuple[float, np.ndarray]:
        """min(the region's bound, the parent's bound): the region is a subset of the
        parent's. p = 2: LipSDP, warm-started from the parent's multipliers; p = 1, inf:
        the sector box bound of :mod:`numerics.lipschitz.bnb_lp`."""
        S = self.sectors(sig)
        ub = sector_vertex_bound(self.net, S.alpha, S.beta, self.q)
        if ub is None and self.p != 2.0:
            ub = sector_box_bound(self.net, S.alpha, S.beta, self.q)
        if ub is not None:
            t = None if parent is None else parent.t
            return (parent.upper, t) if parent is not None and parent.upper < ub else (ub, t)
        t_start = None if parent is None else parent.t
        res = lipsdp_sector_bound(self.net, S, tol=self.lipsdp_tol, maxiter=self.maxiter,
                                  t_start=t_start,
                                  target=self.lower * (1 + self.rtol) * self.prune_slack)
        ub = float(res.value) if res.certified else math.inf
        if parent is not None and parent.upper < ub:
            return parent.upper, parent.t
        return ub, res.t

    def offer(self, x: np.ndarray | None) -> None:
        """Update the incumbent with the verified gradient norm at x (if in a cell)."""
        if x is None:
            return
        x = np.asarray(x, dtype=float)
        if self.domain.kind == "sphere":
            nx = float(np.linalg.norm(x))
            if nx == 0:  # any point of the sphere off the kinks is a valid witness
                x = np.zeros_like(x)
                x[0], nx = 1.0, 1.0
            x = x * (self.domain.radius / nx)
        w = Witness("point", x[None, :].copy(), 0.0, self.p)
        try:
            v = w.verify(self.net, self.domain)  # already certified (numerics.rounding)
        except ValueError:
            return
        if v > self.lower or self.witness is None:
            self.lower = max(v, self.lower)
            self.witness = Witness("point", w.points, v, self.p)

    def push(self, sig: np.ndarray, x: np.ndarray | None, parent: _Node | None = None) -> None:
        self.nodes += 1
        self.offer(x)
        sig = pair_fixings(self.L, sig, None if x is None else np.asarray(x, float))
        if sig is None:  # proved empty
            return
        ub, t = self.upper_bound(sig, parent)
        if ub <= self.lower * (1 + self.rtol) * self.prune_slack:
            self._pruned(ub)
            return
        self.count += 1
        heapq.heappush(self.heap, _Node(-ub, self.count, ub, sig, x, t))

    def _pruned(self, ub: float) -> None:
        """Record a pruned node's bound (``_prune_slack != 1`` is the deliberately
        wrong variant for tests: it prunes above the incumbent and forgets it)."""
        keep = ub if self.prune_slack == 1.0 else min(ub, self.lower)
        self.pruned_upper = max(self.pruned_upper, keep)

    def global_upper(self) -> float:
        top = self.heap[0].upper if self.heap else 0.0
        return max(self.lower, self.pruned_upper, top)

    # -- branching -------------------------------------------------------------
    def child(self, sig: np.ndarray, j: int, s: int, x: np.ndarray | None):
        """(sig', point or None, status) for fixing neuron j to sign s."""
        sig2 = sig.copy()
        sig2[j] = s
        if x is not None:
            p = float(self.net.W[j] @ x + self.net.b[j])
            err = 4 * (self.net.d + 2) * _U * float(np.abs(self.net.W[j]) @ np.abs(x)
                                                    + abs(self.net.b[j]))
            if s * p > err:
                return sig2, x, "inherited"
        pt, status = classify_region(self.L, sig2)
        return sig2, pt, status

    def implied(self, node: _Node) -> tuple[np.ndarray, dict]:
        """Fix every free neuron whose opposite side (relative to the node's witness)
        is proved empty; returns (signs, {j: (sign, point)} of two-sided neurons)."""
        sig = node.sig.copy()
        x = node.x
        two_sided: dict = {}
        free = np.flatnonzero(self.live & (sig == 0))
        if x is None or free.size > self.tighten_max:
            return sig, two_sided
        p = self.net.W[free] @ x + self.net.b[free]
        for j, pj in zip(free, p, strict=True):
            s = 1 if pj > 0 else -1
            sig2, x2, status = self.child(node.sig, int(j), -s, x)
            if status == "empty":
                sig[j] = s
            elif status == "point":
                two_sided[int(j)] = (-s, x2)
        return sig, two_sided

    def expand(self, node: _Node) -> None:
        sig = node.sig
        two_sided: dict = {}
        if self.tighten_max > 0 and node.x is not None:
            sig2, two_sided = self.implied(node)
            if np.any(sig2 != sig):
                self.nodes += 1
                ub, t = self.upper_bound(sig2, node)
                if ub <= self.lower * (1 + self.rtol) * self.prune_slack:
                    self._pruned(ub)
                    return
                node = _Node(-ub, node.count, ub, sig2, node.x, t)
                sig = sig2
        free = np.flatnonzero(self.live & (sig == 0))
        if free.size == 0:
            # leaf: the upper bound is ||g_S|| + rounding; the witness (if any) closed it
            if node.x is None:
                self.undecided += 1
            self._pruned(node.upper) if node.upper <= self.lower * (1 + self.rtol) \
                else self._leaf(node)
            return
        j = self.branch_on(sig, free, node.x)
        for s in (1, -1):
            if j in two_sided and two_sided[j][0] == s:
                sig2 = sig.copy()
                sig2[j] = s
                x2, status = two_sided[j][1], "point"
            else:
                sig2, x2, status = self.child(sig, j, s, node.x)
            if status == "empty":
                continue
            if status == "undecided":
                self.undecided += 1
            self.push(sig2, x2, node)

    def ascent(self, sig: np.ndarray, x: np.ndarray | None) -> np.ndarray:
        """The unit direction u of a vertex g of the node's relaxation found by greedy
        ascent from the gradient at x (the branching rule's direction)."""
        free = np.flatnonzero(self.live & (sig == 0))
        C = self.C
        slope = np.where(sig > 0, self.s_hi, self.s_lo) * (sig != 0)
        base = slope @ C + self.smin * C[free].sum(axis=0)
        dC = (self.smax - self.smin) * C[free]
        if x is not None:
            g = base + ((self.net.W[free] @ x + self.net.b[free]) > 0) @ dC
        else:
            g = base + 0.5 * dC.sum(axis=0)
        for _ in range(8):  # greedy ascent of the relaxation's maximizing direction
            u = g / max(float(np.linalg.norm(g)), 1e-300)
            g2 = base + (dC @ u > 0) @ dC
            if np.array_equal(g2, g):
                break
            g = g2
        return g / max(float(np.linalg.norm(g)), 1e-300)

    def branch_on(self, sig: np.ndarray, free: np.ndarray, x: np.ndarray | None) -> int:
        """The free neuron to branch on (module docstring: branching rule)."""
        if self.branching == "width" or self.p != 2.0:
            return int(free[np.argmax(self.score[free])])
        u = self.ascent(sig, x)
        return int(free[np.argmax(np.abs(self.C[free] @ u))])

    def _leaf(self, node: _Node) -> None:
        """An open leaf (no witness, or the sphere): its bound stays in the bracket."""
        self.pruned_upper = max(self.pruned_upper, node.upper)


def _root_signs(net: TwoLayerNet, domain: Domain) -> np.ndarray:
    """Neurons whose sign is constant on the ball/sphere (interval b -+ R||w||,
    inflated for rounding); 0 = free. On R^d every live neuron is free."""
    sig = np.zeros(net.k, dtype=np.int8)
    if domain.kind == "rd":
        return sig
    wn = rounding.up(rounding._norm_up(net.W, 2.0) * domain.radius)
    slack = 8 * (net.d + 2) * _U * (wn + np.abs(net.b))
    sig[net.b - wn > slack] = 1
    sig[net.b + wn < -slack] = -1
    return sig


def _check_budget(time_limit, node_limit) -> tuple[float, int]:
    if time_limit is None:
        tl = math.inf
    else:
        tl = as_finite_float(time_limit, "time_limit")
        if tl < 0:
            raise ValueError(f"time_limit: must be >= 0 seconds, got {time_limit!r}")
    if node_limit is None:
        nl = 2**62
    elif isinstance(node_limit, bool) or not isinstance(node_limit, (int, np.integer)) \
            or node_limit < 1:
        raise ValueError(f"node_limit: must be an integer >= 1, got {node_limit!r}")
    else:
        nl = int(node_limit)
    return tl, nl


def branch_and_bound_lipschitz(net: TwoLayerNet, domain: Domain | None = None, p=2, *,
                               time_limit: float | None = 60.0,
                               node_limit: int | None = None, rtol: float = 1e-9,
                               seed=0, lower_search: bool = True, X=None, witness=None,
                               lipsdp_tol: float = 1e-2, _sector_hook=None,
                               _prune_slack: float = 1.0) -> BnBResult:
    r"""Anytime certified bracket, exact when it closes, of
    :math:`\mathrm{Lip}_{p,\Omega}(f)` for relu, leaky-relu and abs networks on
    :math:`\mathbb R^d`, a ball or (p = 2) a sphere (geodesic), by branch and bound over
    activation patterns (module docstring).

    Parameters
    ----------
    net : TwoLayerNet
        Piecewise-linear activation with its kink at 0.
    domain : Domain, default R^d
        For p = 1, inf: R^d or a Euclidean ball (the regions are the same as for p = 2:
        only the norm of the gradient changes).
    p : {1, 2, inf}
        The input norm; gradients are measured in the dual norm. p = 2: LipSDP node
        bounds; p = 1, inf: the sector box bound of :mod:`numerics.lipschitz.bnb_lp`.
    time_limit : float or None
        Seconds (>= 0; None: no limit). The root is always bounded.
    node_limit : int or None
    rtol : float
        ``exact`` is set when ``upper <= lower * (1 + rtol)``; nodes with
        ``upper <= lower * (1 + rtol)`` are pruned.
    seed : int or numpy.random.Generator
        For the initial local search (:func:`numerics.lipschitz.search.gradient_lower_bound`).
    lower_search : bool
        Run that local search for the first incumbent.
    X : array_like, shape (n, d), optional
        Extra starting points of that search (e.g. the training data).
    witness : Witness, optional
        A known point witness (e.g. ``lipschitz_report(...).lower_witness``); it is
        re-verified before it becomes the incumbent.
    lipsdp_tol : float
        Primal-dual tolerance of the node bounds (any value is certified; looser is
        faster and weaker).

    Returns
    -------
    BnBResult

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> rng = np.random.default_rng(1)
    >>> net = TwoLayerNet(rng.standard_normal(8), rng.standard_normal((8, 3)),
    ...                   rng.standard_normal(8), "relu")
    >>> res = branch_and_bound_lipschitz(net, Domain.ball(1.0), seed=0)
    >>> res.status, res.lower <= res.upper <= res.lower * (1 + 1e-9)
    ('closed', True)
    >>> abs(res.witness.verify(net, Domain.ball(1.0)) - res.lower) <= 1e-9 * res.lower
    True
    >>> res1 = branch_and_bound_lipschitz(net, Domain.rd(), p="inf", seed=0)
    >>> res1.status, res1.witness.p == float("inf")
    ('closed', True)
    """
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    p = _as_p(p)
    domain = check_domain(domain, net.d, p, net)
    tl, nl = _check_budget(time_limit, node_limit)
    rtol = as_finite_float(rtol, "rtol", nonnegative=True)
    lipsdp_tol = as_finite_float(lipsdp_tol, "lipsdp_tol", positive=True)
    t0 = time.perf_counter()
    S = _Search(net, domain, rtol, lipsdp_tol, _sector_hook, _prune_slack, p=p)
    if lower_search:
        if p == 2.0:
            _, w = gradient_lower_bound(net, domain, X=X, seed=seed, n_random=128,
                                        polish_top=16, n_vertex=256)
        else:
            _, w, _ = lp_lower_bound(net, domain, p, X=X, seed=seed, n_samples=128,
                                     n_starts=0)
        if w is not None and w.kind == "point":
            S.offer(w.points[0])
    if witness is not None:
        if not isinstance(witness, Witness):
            raise ValueError(f"witness: expected a Witness, got {type(witness).__name__}")
        if witness.kind == "point":
            S.offer(np.asarray(witness.points, dtype=float)[0])
    sig0 = _root_signs(net, domain)
    x0 = None if S.witness is None else S.witness.points[0]
    if x0 is not None and domain.kind == "sphere":
        x0 = x0 * (1 - 1e-6)  # strictly inside the ball's region
    if x0 is None or not _consistent(net, sig0, x0):
        x0 = region_point(S.L, sig0)
    S.push(sig0, x0)
    status = _run(S, t0, tl, nl)
    return _finish(S, t0, status)


def _consistent(net: TwoLayerNet, sig: np.ndarray, x: np.ndarray) -> bool:
    p = net.W @ x + net.b
    return bool(np.all((sig == 0) | (sig * p > 0)))


def _run(S: _Search, t0: float, tl: float, nl: int) -> str:
    history = S.history = []
    while S.heap:
        if S.heap[0].upper <= S.lower * (1 + S.rtol) * S.prune_slack:
            S._pruned(heapq.heappop(S.heap).upper)
            continue
        if time.perf_counter() - t0 > tl:
            return "time limit"
        if S.nodes >= nl:
            return "node limit"
        S.expand(heapq.heappop(S.heap))
        if S.nodes % 25 == 0:
            history.append((time.perf_counter() - t0, S.lower, S.global_upper(), S.nodes))
    return "closed"


def _finish(S: _Search, t0: float, status: str) -> BnBResult:
    upper = S.global_upper()
    lower = S.lower
    closed = upper <= lower * (1 + S.rtol)
    if status == "closed" and not closed:
        status = "exhausted (open leaves: undecided regions, or the sphere's leaf bounds)"
    exact = lower if closed else None
    if closed:
        status = "closed"
    hist = list(getattr(S, "history", []))
    hist.append((time.perf_counter() - t0, lower, upper, S.nodes))
    return BnBResult(lower=float(lower), upper=float(upper), exact=exact, witness=S.witness,
                     nodes=S.nodes, seconds=time.perf_counter() - t0,
                     open_nodes=len(S.heap), undecided=S.undecided, status=status,
                     rtol=S.rtol, domain=S.domain, history=hist, p=S.p)
