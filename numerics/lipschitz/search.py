r"""Certified lower bounds on Lipschitz constants, each attained at a :class:`Witness`.

- :func:`pair_lower_bound`: the best data-pair quotient
  :math:`|f(x_i) - f(x_j)| / \mathrm{dist}(x_i, x_j)` (domain metric for p = 2,
  :math:`\ell_p` distance otherwise);
- :func:`gradient_lower_bound` (two-layer, p = 2, all domains incl. the sphere):
  the largest effective gradient norm :math:`\|\nabla_\Omega f(x)\|` found by a
  batched projected ascent from many starts; for piecewise-linear activations the
  ascent runs on a smoothed surrogate (:math:`\psi'` replaced by a sigmoid of width
  :math:`\tau`, continuation :math:`\tau \to 0`) followed by a local search over
  neighbouring activation patterns (:mod:`numerics.lipschitz.ascent`);
- :func:`lp_lower_bound` (any p, two-layer and deep): dual norms
  :math:`\|\nabla f(x)\|_q` at points strictly inside linear regions and quotients
  of pairs refined by gradient ascent on the quotient.

The certified value is always recomputed at the witness (the true gradient norm
at a point strictly inside a linear region, or the quotient of the pair).
"""

from __future__ import annotations

import numpy as np

from numerics import rounding
from numerics._validate import as_matrix, as_positive_int, as_rng
from numerics.domain import Domain
from numerics.lipschitz._args import check_domain, check_net
from numerics.lipschitz.ascent import (
    _ascent,
    _effective_norms,
    _interior_points,
    _lp_pattern_search,
    _pair_ascent,
    _ray_polish,
    _smoothed_ascent,
    _sphere_region_step,
    _starts,
    _vertex_starts,
)
from numerics.lipschitz.norms import _as_p, dual_exponent, lp_norm
from numerics.lipschitz.witness import Witness, _interior
from numerics.models import TwoLayerNet

__all__ = ["best_pair_quotient", "gradient_lower_bound", "lp_lower_bound", "pair_lower_bound"]


def _metric(domain: Domain, p: float):
    r"""All distances between rows of A and of B (shape (len(A), len(B))), computed
    directly from the differences: :math:`\|x - x'\|_p`, geodesic on the sphere."""
    def dist(A, B):
        D = lp_norm((A[:, None, :] - B[None, :, :]).reshape(-1, A.shape[1]), p).reshape(
            A.shape[0], B.shape[0])
        if domain.kind == "sphere":
            R = domain.radius
            D = 2 * R * np.arcsin(np.clip(D / (2 * R), 0.0, 1.0))
        return D

    return dist


def best_pair_quotient(f: np.ndarray, X: np.ndarray, dist, *, chunk: int = 2048,
                       err: np.ndarray | None = None) -> tuple[float, int, int]:
    r"""The pair maximizing :math:`(|f_i - f_j| - e_i - e_j) / \mathrm{dist}(x_i, x_j)`
    (``err`` = e, the values' error bounds; 0 if None), in row blocks of ``chunk``:
    returns ``(quotient, i, j)``, ``(0.0, -1, -1)`` when no pair of distinct points
    has a positive quotient. ``dist(A, B)`` gives all distances between rows of A
    and B. The quotient is a float search value; callers certify the returned pair.

    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> q, i, j = best_pair_quotient(np.array([0.0, 2.0, 3.0]), X, _metric(Domain.rd(), 2.0))
    >>> round(q, 9), sorted((i, j))
    (2.0, [0, 1])
    """
    best, bi, bj = 0.0, -1, -1
    for s in range(0, X.shape[0], chunk):
        A = X[s:s + chunk]
        D = dist(A, X)
        num = np.abs(f[s:s + chunk, None] - f[None, :])
        if err is not None:
            num = np.maximum(num - err[s:s + chunk, None] - err[None, :], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            Q = np.where(D > 0, num / np.where(D > 0, D, 1.0), 0.0)
        idx = np.unravel_index(np.argmax(Q), Q.shape)
        if Q[idx] > best:
            best, bi, bj = float(Q[idx]), s + int(idx[0]), int(idx[1])
    return best, bi, bj


def pair_lower_bound(net, X, domain: Domain | None = None, p=2, *,
                     chunk: int | None = None) -> tuple[float, Witness | None]:
    r"""Best data-pair quotient :math:`\max_{i \ne j} |f(x_i) - f(x_j)| /
    \mathrm{dist}_\Omega(x_i, x_j)`, a certified lower bound on
    :math:`\mathrm{Lip}_\Omega(f)` (for p = 2; for p = 1, inf the distance is
    :math:`\|x_i - x_j\|_p` on R^d and Euclidean balls, the value rounded down by its
    floating-point error bound).

    Only rows of ``X`` in the domain are used (on the sphere, rows are first
    normalized to it; the witness holds the normalized points). Returns
    ``(0.0, None)`` when fewer than two distinct usable points remain.

    Parameters
    ----------
    net : TwoLayerNet (or DeepReLUNet for p != 2)
    X : array_like, shape (n, d)
    domain : Domain, default R^d
    p : {1, 2, inf}
    chunk : int, optional
        Rows per block of the all-pairs search.

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "relu")
    >>> val, w = pair_lower_bound(net, [[1.0, 0.0], [0.0, 1.0]], Domain.rd())
    >>> round(val, 6), w.kind
    (0.707107, 'pair')
    """
    p = _as_p(p)
    net = check_net(net, deep=p != 2.0 or not isinstance(net, TwoLayerNet))
    domain = check_domain(domain, net.d, p, net)
    X = as_matrix(X, "X", cols=net.d)
    return _pair_search(net, X, domain, p, chunk)


def _pair_search(net, X: np.ndarray, domain: Domain, p: float,
                 chunk: int | None = None) -> tuple[float, Witness | None]:
    """:func:`pair_lower_bound` on validated arguments: rows outside the domain are
    dropped (on the sphere, rows are normalized to it; in the ball, rows not certified
    inside are moved strictly inside), the search maximizes the error-aware quotient
    and the value is the certified quotient of the pair found."""
    if domain.kind == "sphere":
        X = domain.project(X)
    else:
        X = X[domain.contains(X, tol=0.0)]
        if domain.kind == "ball":
            X = rounding.into_ball(X, domain.radius)
    if X.shape[0] < 2:
        return 0.0, None
    f, e = rounding.value_error(net, X)
    step = max(1, min(chunk or 2048, int(4e6 // max(1, X.shape[0] * X.shape[1]))))
    _, bi, bj = best_pair_quotient(f, X, _metric(domain, p), chunk=step, err=e)
    if bi < 0:
        return 0.0, None
    w = Witness("pair", np.stack([X[bi], X[bj]]), 0.0, p)
    v = w.verify(net, domain)
    return v, Witness("pair", w.points, v, p)


def gradient_lower_bound(net: TwoLayerNet, domain: Domain, *, X=None, n_random: int = 256,
                         steps: int = 60, polish_top: int = 64, polish_rounds: int = 20,
                         kicks: int = 3, lp_top: int = 4, n_vertex: int = 1024,
                         seed=0) -> tuple[float, Witness | None]:
    r"""Certified lower bound :math:`\|\nabla_\Omega f(x^\star)\| \le
    \mathrm{Lip}_\Omega(f)` from a batched search for a large effective
    gradient.

    Starts: the rows of ``X`` (projected onto the domain) and ``n_random``
    random points of the domain. Each start runs ``steps`` iterations of
    projected ascent (smoothed for piecewise-linear activations, see the module
    docstring); the ``polish_top`` best then run a local search over
    neighbouring activation patterns. The returned value is the true effective
    gradient norm at the witness point, which lies in the domain and, for
    piecewise-linear activations, strictly inside a linear region.

    Parameters
    ----------
    net : TwoLayerNet
    domain : Domain
    X : array_like, shape (n, d), optional
        Extra starting points (e.g. the data).
    n_random, steps, polish_top, polish_rounds : int
        Search effort. The number of gradient evaluations is about
        ``(n + n_random) * steps + polish_top * k * polish_rounds``.
    kicks, lp_top : int
        Rounds of perturb-and-polish from the best points; LP-certified
        single-flip pattern ascents (R^d and balls).
    n_vertex : int
        Piecewise-linear nets: also start near ``n_vertex`` random vertices of
        the kink arrangement (``4 n_vertex`` starts), where small regions with
        large gradients crowd.
    seed : int or numpy.random.Generator

    Returns
    -------
    (value, witness) : (float, Witness or None)

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    >>> val, w = gradient_lower_bound(net, Domain.ball(), seed=0)
    >>> round(val, 9), bool(np.all(w.points[0] > 0))
    (1.414213562, True)
    """
    net = check_net(net)
    domain = check_domain(domain, net.d)
    n_random = as_positive_int(n_random, "n_random", minimum=0)
    X = None if X is None else as_matrix(X, "X", cols=net.d)
    return _gradient_search(net, domain, X, n_random=n_random, steps=steps,
                            polish_top=polish_top, polish_rounds=polish_rounds, kicks=kicks,
                            lp_top=lp_top, n_vertex=n_vertex, rng=as_rng(seed))


def _gradient_search(net: TwoLayerNet, domain: Domain, X: np.ndarray | None, *, n_random: int,
                     steps: int, polish_top: int, polish_rounds: int, kicks: int, lp_top: int,
                     n_vertex: int, rng: np.random.Generator) -> tuple[float, Witness | None]:
    """:func:`gradient_lower_bound` on validated arguments."""
    starts = [domain.sample(n_random, net.d, rng)] if n_random else []
    if n_random and domain.kind == "rd":
        # regions of R^d may be far out: spread the starts over scales
        norms = np.linalg.norm(net.W, axis=1)
        s0 = 1.0 + float(np.max(np.abs(net.b) / np.where(norms > 0, norms, np.inf), initial=0))
        starts[0] *= s0 * 10.0 ** rng.uniform(-1, 2, size=(n_random, 1))
    if n_vertex and net.activation.is_piecewise_linear:
        starts.append(_vertex_starts(net, domain, n_vertex, rng))
    if X is not None:
        starts.append(domain.project(X))
    if not starts:
        raise ValueError("n_random: need random starts or X")
    P = np.concatenate(starts)
    if steps > 0:
        P = _ascent(net, domain, P, steps=steps, rng=rng)
    if net.activation.is_piecewise_linear and polish_top > 0 and polish_rounds > 0:
        val = _effective_norms(net, domain, P)
        top = np.argsort(val)[::-1][:polish_top]
        Q = _ray_polish(net, domain, P[top], rounds=polish_rounds, rng=rng)
        found = [P, Q]
        # iterated local search: kick the best points and polish again
        span = float(np.median(np.linalg.norm(P, axis=1))) + 1e-12
        for kick in range(kicks):
            qv = _effective_norms(net, domain, Q)
            best = Q[np.argsort(qv)[::-1][:max(1, polish_top // 4)]]
            rep = np.repeat(best, 4, axis=0)
            scale = span * 0.3 * 0.5**kick
            Q = domain.project(rep + scale * rng.standard_normal(rep.shape))
            Q = _ray_polish(net, domain, Q, rounds=polish_rounds, rng=rng)
            found.append(Q)
        P = np.concatenate(found)
        if domain.kind != "sphere" and lp_top > 0:
            val = _effective_norms(net, domain, P)
            top = np.argsort(val)[::-1][:lp_top]
            P = np.concatenate([P, np.stack([_lp_pattern_search(net, domain, P[i])
                                             for i in top])])
    if domain.kind == "sphere" and net.activation.is_piecewise_linear:
        P = np.concatenate([P, _sphere_region_step(net, domain, P)])
    P = _interior_points(net, domain, P)
    return _best_point(net, domain, 2.0, P)


def _best_point(net, domain: Domain, p: float, P: np.ndarray) -> tuple[float, Witness | None]:
    """The point witness of largest certified gradient norm among the rows of P (moved
    strictly inside a ball first), or ``(0.0, None)`` when none has a certain pattern."""
    if domain.kind == "ball":
        P = rounding.into_ball(P, domain.radius)
    if P.shape[0] == 0:
        return 0.0, None
    vals, ok = rounding.certified_gradient_norms(net, P, p, domain)
    if not np.any(ok):
        return 0.0, None
    i = int(np.argmax(np.where(ok, vals, -1.0)))
    w = Witness("point", P[i:i + 1].copy(), 0.0, p)
    v = w.verify(net, domain)
    return v, Witness("point", w.points, v, p)


def lp_lower_bound(net, domain: Domain | None = None, p=2, *, X=None, seed=0,
                   n_samples: int = 256, n_starts: int = 16, steps: int = 40,
                   polish_rounds: int = 10) -> tuple[float, Witness | None, str]:
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
    of two points of the domain, both recomputed by :meth:`Witness.verify`.

    Returns
    -------
    (value, witness, method) : (float, Witness or None, str)
        method is ``'gradient'`` (point witness) or ``'pair-ascent'``.

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    >>> v, w, m = lp_lower_bound(net, Domain.ball(), p="inf", seed=0)
    >>> round(v, 9), m
    (2.0, 'gradient')
    """
    net = check_net(net, deep=True)
    p = _as_p(p)
    domain = check_domain(domain, net.d, p, net)
    X = None if X is None else as_matrix(X, "X", cols=net.d)
    n_samples = as_positive_int(n_samples, "n_samples", minimum=0)
    return _lp_search(net, domain, p, X, n_samples=n_samples,
                      n_starts=as_positive_int(n_starts, "n_starts", minimum=0),
                      steps=as_positive_int(steps, "steps", minimum=0),
                      polish_rounds=as_positive_int(polish_rounds, "polish_rounds", minimum=0),
                      rng=as_rng(seed))


def _lp_search(net, domain: Domain, p: float, X: np.ndarray | None, *, n_samples: int,
               n_starts: int, steps: int, polish_rounds: int,
               rng: np.random.Generator) -> tuple[float, Witness | None, str]:
    """:func:`lp_lower_bound` on validated arguments."""
    q = dual_exponent(p)
    parts = [_starts(net, domain, n_samples, rng)] if n_samples else []
    if X is not None:
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
    vals = lp_norm(net.gradient(P), q)
    inside = _interior(net, P)
    best, wit = _best_point(net, domain, p, P[inside]) if np.any(inside) else (0.0, None)
    method = "gradient" if wit is not None else "none"
    if n_starts and steps:
        top = np.argsort(vals)[::-1][:n_starts]
        A, B, Qv = _pair_ascent(net, domain, p, P[top], steps=steps, rng=rng)
        j = int(np.argmax(Qv))
        if Qv[j] > best * (1 + 1e-9):
            v, w = _certified_pair(net, domain, p, np.stack([A[j], B[j]]))
            if v > best:
                best, wit, method = v, w, "pair-ascent"
    return float(best), wit, method


def _certified_pair(net, domain: Domain, p: float, P: np.ndarray) -> tuple[float, Witness | None]:
    """The certified quotient of a pair found by the ascent (moved strictly inside a
    ball first); ``(0.0, None)`` when the two points coincide."""
    if domain.kind == "ball":
        P = rounding.into_ball(P, domain.radius)
    if not np.any(P[0] != P[1]):
        return 0.0, None
    w = Witness("pair", P, 0.0, p)
    v = w.verify(net, domain)
    return v, Witness("pair", P, v, p)
