r"""Minimum-Lipschitz interpolation (docs/mathematics.md#min-lipschitz-interpolation):
k-neuron ReLU interpolants with small *certified* Lipschitz constants.

For data :math:`(x_i, y_i)_{i\le n}` and a width k the search seeks

.. math::

    \min\ \big\{\,U(f) : f = \textstyle\sum_{\ell\le k} a_\ell\,\mathrm{relu}(w_\ell\cdot x
    + b_\ell),\ f(x_i) = y_i\ (i = 1..n)\big\},

where U(f) is the certified upper bound of
:func:`numerics.construct.minlip_certificate.certify_point` (the LipSDP bound,
re-optimized and Cholesky-certified, or a closed form). Starts:
trained interpolants (:mod:`numerics.construct.fit`) and the explicit constructions C1
and C4 where they interpolate, padded with inactive neurons (:math:`a_\ell = 0`) up to
k; each is improved by the local optimizer of :mod:`numerics.construct.minlip_optimize`
(smoothed LipSDP objective under an augmented Lagrangian), polished to exact
interpolation and certified from scratch. The optimizer's own numbers are never
reported.

Examples
--------
>>> from numerics.data import random_dataset
>>> D = random_dataset(12, 6, seed=0)
>>> res = min_lipschitz_interpolant(D.X, D.y, 12, starts=("fit",), seeds=(0,),
...                                 outer=4, inner=150)
>>> res.max_error <= 1e-9, res.certificate.method
(True, 'lipsdp')
>>> verify_point(res.net, D.X, D.y, res.certificate).ok
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from numerics._validate import as_positive_int
from numerics.construct.fit import fit_interpolant
from numerics.construct.grouped import c4_grouped_min_norm
from numerics.construct.minlip_certificate import (
    FIT_TOL,
    LipCertificate,
    certify_point,
    verify_point,  # noqa: F401  (used by the examples)
)
from numerics.construct.minlip_optimize import _optimize, _polish
from numerics.construct.per_point import c1_one_neuron_per_point, c2_cap_ramps
from numerics.data import validate_dataset
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = ["MinLipResult", "min_lipschitz_interpolant", "start_networks"]


_START_KINDS = ("fit", "fit_path", "C1", "C2", "C4")


def _pad(net: TwoLayerNet, k: int, rng: np.random.Generator) -> TwoLayerNet:
    """Pad with k - net.k inactive neurons (a = 0, small random w, b)."""
    extra = k - net.k
    if extra <= 0:
        return net
    scale = float(np.median(np.linalg.norm(net.W, axis=1))) or 1.0
    W = rng.standard_normal((extra, net.d)) * scale / math.sqrt(net.d)
    b = rng.standard_normal(extra) * 0.1 * scale
    return TwoLayerNet(np.concatenate([net.a, np.zeros(extra)]), np.vstack([net.W, W]),
                       np.concatenate([net.b, b]), net.activation)


def start_networks(X, y, k: int, *, starts=("fit", "C1", "C4"), seeds=(0,),
                   fit_maxiter: int = 2000) -> list[tuple[str, TwoLayerNet]]:
    r"""Starting networks with exactly k neurons, as ``(label, net)`` pairs.

    - ``'fit'`` / ``'fit_path'``: :func:`numerics.construct.fit.fit_interpolant` (plain / path-norm
      regularized) for each seed; kept when it interpolates or separates.
    - ``'C1'`` (needs :math:`k \ge n`), ``'C2'`` (needs :math:`k \ge 2n`) and ``'C4'``
      (the smallest group size whose :math:`2\lceil n/m\rceil \le k`): the explicit
      constructions, kept only when their exactness condition holds, padded with inactive
      neurons to k.

    Examples
    --------
    >>> from numerics.data import random_dataset
    >>> D = random_dataset(10, 20, seed=0)
    >>> [lab for lab, _ in start_networks(D.X, D.y, 12, starts=("C1", "C4"))]
    ['C1', 'C4']
    """
    X, y = validate_dataset(X, y)
    k = as_positive_int(k, "k")
    _check_starts(starts)
    return _starts(X, y, k, starts, seeds, fit_maxiter)


def _check_starts(starts) -> None:
    for s in starts:
        if s not in _START_KINDS:
            raise ValueError(f"starts: unknown start {s!r}; known: {_START_KINDS}")


def _starts(X: np.ndarray, y: np.ndarray, k: int, starts, seeds,
            fit_maxiter: int) -> list[tuple[str, TwoLayerNet]]:
    """:func:`start_networks` on validated data."""
    n, d = X.shape
    rng = np.random.default_rng([k, n, d])
    out = []
    for s in starts:
        if s in ("fit", "fit_path"):
            for seed in seeds:
                kw = {"reg": "path", "lam": 1e-3} if s == "fit_path" else {}
                r = fit_interpolant(X, y, k, seed=seed, maxiter=fit_maxiter, **kw)
                if r.status in ("exact", "separated"):
                    out.append((f"{s}:{seed}", r.net))
        elif s == "C1" and k >= n:
            r = c1_one_neuron_per_point(X, y)
            if r.condition_holds and r.interpolates:
                out.append(("C1", _pad(r.net, k, rng)))
        elif s == "C2" and k >= 2 * n:
            r = c2_cap_ramps(X, y)
            if r.condition_holds and r.interpolates:
                out.append(("C2", _pad(r.net, k, rng)))
        elif s == "C4":
            m = math.ceil(2 * n / k) if k < 2 * n else 1
            while m <= d and 2 * math.ceil(n / m) > k:
                m += 1
            if m <= d:
                r = c4_grouped_min_norm(X, y, group_size=m, threshold="auto")
                if r.condition_holds and r.interpolates:
                    out.append(("C4", _pad(r.net, k, rng)))
    return out


@dataclass
class MinLipResult:
    """Outcome of :func:`min_lipschitz_interpolant` for one (data, k).

    Attributes
    ----------
    net : TwoLayerNet or None
        The best certified interpolant (None when no start led to an exact fit).
    certificate : LipCertificate or None
    max_error : float
    start : str
        Label of the start that won.
    candidates : list of dict
        Every start: label, start certified bound, final certified bound, fit error,
        polish, status.
    seconds : float
    budget : dict
        What the search was allowed: optimizer calls (starts + restarts), ``outer`` and
        ``inner`` iterations of each, the population size.
    """

    net: TwoLayerNet | None
    certificate: LipCertificate | None
    max_error: float
    start: str | None
    candidates: list
    seconds: float
    budget: dict = field(default_factory=dict)

    @property
    def value(self) -> float | None:
        return None if self.certificate is None else self.certificate.value

    def to_dict(self) -> dict:
        return {"value": self.value, "max_error": self.max_error, "start": self.start,
                "certificate": None if self.certificate is None
                else self.certificate.to_dict(with_t=False),
                "candidates": self.candidates, "seconds": round(self.seconds, 3),
                "budget": dict(self.budget)}


def min_lipschitz_interpolant(X, y, k: int, *, domain: Domain | None = None,
                              starts=("fit", "C1", "C4"), seeds=(0,), outer: int = 8,
                              inner: int = 1000, fit_maxiter: int = 2000,
                              extra_starts=(), refine: int = 0,
                              population: int = 1) -> MinLipResult:
    r"""Search a k-neuron ReLU interpolant of ``(X, y)`` with a small certified
    :math:`\mathrm{Lip}_\Omega`: from every start (:func:`start_networks` and
    ``extra_starts``), run :func:`optimize_from`, :func:`polish_exact` and
    :func:`certify_point`; keep the exact interpolants
    (:math:`\max_i|f(x_i)-y_i|\le 10^{-9}`) with the smallest certified bounds. The starts
    themselves, when exact, are candidates too (so the result is never worse than the
    best exact start). Then ``refine`` restarts are spent on a *population* of the
    ``population`` best distinct candidates: each restart goes to the lineage whose last
    restart improved its certified bound the most (relative gain; every lineage gets a
    first restart, best first), continuing from its latest exact iterate.

    **Budget per k**: ``len(starts) + refine`` calls of :func:`optimize_from`, each of at
    most ``outer`` x ``inner`` L-BFGS iterations, plus one certificate per exact iterate
    (``MinLipResult.budget``).

    Parameters
    ----------
    X : array_like (n, d); y : array_like (n,) of +-1
    k : int
    domain : Domain, default the unit ball :math:`B_1`
    starts, seeds : see :func:`start_networks`
    outer, inner : see :func:`optimize_from`
    fit_maxiter : int
        L-BFGS iterations of the training starts.
    extra_starts : sequence of (label, TwoLayerNet)
        Further ReLU starts with at most k neurons (padded with inactive neurons to
        k), e.g. the optimum found for a smaller k (padded or split,
        :func:`numerics.construct.minlip_moves.split_neuron`: the same function, so the
        curve is non-increasing in k) or for k + 1 (pruned or merged,
        :func:`numerics.construct.minlip_moves.prune_candidates`).
    refine : int >= 0
        Restarts of :func:`optimize_from` (each restarting the penalty and the multipliers
        of the augmented Lagrangian) + polish + certificate; restarts keep lowering the
        bound long after a single run has stalled.
    population : int >= 1
        Number of lineages the restarts are spread over (1: always the incumbent).

    Returns
    -------
    MinLipResult

    Examples
    --------
    >>> from numerics.data import random_dataset
    >>> D = random_dataset(8, 4, seed=1)
    >>> r = min_lipschitz_interpolant(D.X, D.y, 8, starts=("fit",), outer=3, inner=100)
    >>> r.net.k, r.max_error <= 1e-9, r.value >= 1.0    # Lip >= 2 / max distance >= 1
    (8, True, True)
    """
    t0 = time.perf_counter()
    X, y = validate_dataset(X, y)
    k = as_positive_int(k, "k")
    refine = as_positive_int(refine, "refine", minimum=0)
    population = as_positive_int(population, "population")
    outer = as_positive_int(outer, "outer")
    inner = as_positive_int(inner, "inner")
    _check_starts(starts)
    domain = Domain.ball(1.0) if domain is None else domain
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    rng = np.random.default_rng([k, 7])
    extra = []
    for label, net in extra_starts:
        if not isinstance(net, TwoLayerNet) or net.spec != "relu" or net.d != X.shape[1] \
                or net.k > k:
            raise ValueError(f"extra_starts: {label!r} is not a relu network with d = "
                             f"{X.shape[1]} and at most k = {k} neurons")
        extra.append((str(label), _pad(net, k, rng)))
    pool = extra + _starts(X, y, k, starts, seeds, fit_maxiter)
    cands, found = _run_starts(pool, X, y, domain, outer, inner)
    lineages = _population(found, population)
    cands += _restarts(lineages, refine, X, y, domain, outer, inner, population > 1)
    best = min((lin for lin in lineages), key=lambda lin: lin.cert.value, default=None)
    secs = time.perf_counter() - t0
    budget = {"optimizer_calls": len(pool) + refine, "outer": outer, "inner": inner,
              "starts": len(pool), "refine": refine, "population": population}
    if best is None:
        return MinLipResult(None, None, math.inf, None, cands, secs, budget)
    return MinLipResult(best.net, best.cert, best.err, best.label, cands, secs, budget)


@dataclass
class _Lineage:
    """One candidate of the population: its best exact network so far, the latest exact
    iterate the next restart continues from, and the relative gain of its last restart."""

    label: str
    net: TwoLayerNet
    cert: LipCertificate
    err: float
    chain: TwoLayerNet
    gain: float = math.inf
    alive: bool = True


def _exact(net: TwoLayerNet, X: np.ndarray, y: np.ndarray) -> float | None:
    """The fit error when ``net`` is a finite exact interpolant, else None."""
    err = float(np.max(np.abs(net(X) - y)))
    if err > FIT_TOL or not np.all(np.isfinite(net.W)) or not np.all(np.isfinite(net.a)):
        return None
    return err


def _run_starts(pool, X, y, domain, outer, inner) -> tuple[list, list]:
    """Optimize from every start; every exact start and result is a certified candidate."""
    cands, found = [], []
    for label, net0 in pool:
        entry = {"start": label}
        tries = []
        if _exact(net0, X, y) is not None:
            tries.append((label, net0, "none"))
        try:
            net2, how = _polish(_optimize(net0, X, y, outer, inner), X, y)
            tries.append((label + "+opt", net2, how))
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        for lab, net, how in tries:
            which = "start" if lab == label else "opt"
            err = _exact(net, X, y)
            if err is None:
                e = float(np.max(np.abs(net(X) - y)))
                entry[which + "_status"] = f"not exact ({e:.2g})"
                continue
            cert = certify_point(net, domain)
            entry[which + "_bound"] = cert.value
            entry["polish"] = how
            found.append(_Lineage(lab, net, cert, err, net))
        cands.append(entry)
    return cands, found


def _population(found: list, size: int) -> list:
    """The ``size`` best candidates with distinct certified values (stable order)."""
    out, seen = [], set()
    for lin in sorted(found, key=lambda c: c.cert.value):
        if lin.cert.value in seen:
            continue
        seen.add(lin.cert.value)
        out.append(lin)
        if len(out) == size:
            break
    return out


def _restarts(lineages, refine, X, y, domain, outer, inner, tagged) -> list:
    """Spend ``refine`` restarts on the lineage with the largest last gain."""
    cands = []
    for i in range(refine if lineages else 0):
        live = [lin for lin in lineages if lin.alive]
        if not live:
            break
        lin = max(live, key=lambda c: (c.gain, -c.cert.value))
        entry = {"start": f"refine:{i}"}
        if tagged:
            entry["from"] = lin.label
        try:
            net2, how = _polish(_optimize(lin.chain, X, y, outer, inner), X, y)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
            cands.append(entry)
            lin.alive = False
            continue
        err = _exact(net2, X, y)
        if err is None:
            entry["opt_status"] = f"not exact ({float(np.max(np.abs(net2(X) - y))):.2g})"
            lin.gain = 0.0
        else:
            cert = certify_point(net2, domain)
            entry.update(opt_bound=cert.value, polish=how)
            lin.chain = net2            # continue from the latest exact point
            lin.gain = (lin.cert.value - cert.value) / lin.cert.value
            if cert.value < lin.cert.value:
                lin.label = lin.label.split("+refine")[0] + f"+refine{i + 1}"
                lin.net, lin.cert, lin.err = net2, cert, err
        cands.append(entry)
    return cands
