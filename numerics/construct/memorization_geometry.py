r"""Computable geometry *proxies* for the S2 memorization algorithm
(``docs/mathematics.md#s2-memorization``).

The theorem of Dirksen, Finke and Genzel sizes the network by a mutual
complexity of the two classes (covering numbers at a separation scale) whose
exact definition our sources do not state. These are honest, computable
stand-ins, labelled as proxies everywhere they are reported:

- the separation :math:`\delta = \min_{x\in C, x'\in C'}\|x - x'\|`;
- greedy covering numbers :math:`\hat N(C, r)`: repeatedly take the first
  uncovered point and cover every point within distance r of it. It is a cover
  by r-balls centred in C, and its centres are more than r apart, so
  :math:`N(C, r) \le \hat N(C, r) \le M(C, r) \le N(C, r/2)` (M the packing
  number at separation r, N the covering number with centres in C);
- for a first layer :math:`(G, \tau)`, the fraction of hyperplanes separating a
  cross-class pair, :math:`\frac1N\#\{j: \Phi_j(x) \ne \Phi_j(x')\}`, over all (or a
  sample of) pairs, with its minimum, mean and its value at the closest pair.

Examples
--------
>>> X = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 0.0]])
>>> y = np.array([1, 1, -1])
>>> separation(X, y)
0.9
>>> greedy_covering_number(X[y == 1], 0.05), greedy_covering_number(X[y == 1], 0.2)
(2, 1)
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from numerics._validate import as_finite_float, as_rng
from numerics.construct.memorization import ThresholdNetwork, packed_features
from numerics.data import validate_dataset

__all__ = ["geometry_proxies", "greedy_covering_number", "hyperplane_separation", "separation"]


def separation(X, y) -> float:
    r""":math:`\delta`, the smallest distance between the two classes (KD-tree).

    >>> separation(np.array([[0.0], [3.0], [1.0]]), np.array([1, -1, 1]))
    2.0
    """
    X, y = validate_dataset(X, y)
    P, Q = X[y == 1], X[y == -1]
    if len(P) == 0 or len(Q) == 0:
        raise ValueError("y: both classes must occur")
    if len(P) > len(Q):
        P, Q = Q, P
    return float(cKDTree(Q).query(P)[0].min())


def greedy_covering_number(P, r: float) -> int:
    r"""Greedy cover of the rows of P by balls of radius r centred at points
    of P (first uncovered point in row order, KD-tree range queries); the
    number of balls.

    >>> greedy_covering_number(np.array([[0.0], [0.5], [1.0]]), 0.5)
    2
    """
    P = np.asarray(P, dtype=float)
    r = as_finite_float(r, "r", positive=True)
    tree = cKDTree(P)
    covered = np.zeros(len(P), bool)
    count = 0
    for i in range(len(P)):
        if covered[i]:
            continue
        count += 1
        covered[tree.query_ball_point(P[i], r)] = True
    return count


def hyperplane_separation(net: ThresholdNetwork, X, y, *, max_pairs: int = 200_000,
                          seed=0) -> dict:
    r"""Fraction of the N first-layer hyperplanes separating each cross-class
    pair: ``min``, ``mean``, ``closest_pair`` (at the pair realizing δ),
    ``zero_pairs`` (pairs no hyperplane separates; then no threshold network on
    this first layer can interpolate) and ``pairs`` evaluated (all when
    :math:`n_+ n_- \le` ``max_pairs``, else a uniform sample).

    >>> net = ThresholdNetwork([[1.0], [-1.0]], [0.0, -1.5], [[1, 0]], [1], [0], [1])
    >>> hyperplane_separation(net, np.array([[1.0], [-1.0]]), np.array([1, -1]))["min"]
    0.5
    """
    X, y = validate_dataset(X, y)
    P = packed_features(X, net.G, net.tau)
    ip, iq = np.flatnonzero(y == 1), np.flatnonzero(y == -1)
    total = len(ip) * len(iq)
    rng = as_rng(seed)
    if total <= max_pairs:
        a, b = np.repeat(ip, len(iq)), np.tile(iq, len(ip))
    else:
        a, b = rng.choice(ip, max_pairs), rng.choice(iq, max_pairs)
    frac = np.empty(len(a))
    for lo in range(0, len(a), 65536):
        sl = slice(lo, lo + 65536)
        frac[sl] = np.bitwise_count(P[a[sl]] ^ P[b[sl]]).sum(axis=1) / net.N
    dist, j = cKDTree(X[iq]).query(X[ip])
    i0 = int(np.argmin(dist))
    closest = np.bitwise_count(P[ip[i0]] ^ P[iq[j[i0]]]).sum() / net.N
    return {"min": float(frac.min()), "mean": float(frac.mean()),
            "closest_pair": float(closest), "zero_pairs": int(np.sum(frac == 0)),
            "pairs": int(len(a)), "sampled": bool(total > max_pairs)}


def geometry_proxies(X, y, *, radii=(0.05, 0.1, 0.2, 0.4), net: ThresholdNetwork | None = None,
                     seed=0) -> dict:
    r"""All proxies for one two-class data set: ``delta``, greedy covering numbers
    of each class at :math:`\delta/2` and at ``radii`` (keys ``cover_pos``,
    ``cover_neg``: radius -> count), and, with ``net``, the hyperplane
    separation fractions. Everything is a *proxy* for the paper's mutual
    complexity (module docstring).

    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 0.0]])
    >>> g = geometry_proxies(X, np.array([1, 1, -1]), radii=(0.2,))
    >>> g["delta"], g["cover_pos"]
    (0.9, {'delta/2': 1, '0.2': 1})
    """
    X, y = validate_dataset(X, y)
    delta = separation(X, y)
    out = {"proxy": True, "delta": delta, "cover_pos": {}, "cover_neg": {}}
    for label, key in ((1, "cover_pos"), (-1, "cover_neg")):
        P = X[y == label]
        out[key]["delta/2"] = greedy_covering_number(P, delta / 2)
        for r in radii:
            out[key][f"{r:g}"] = greedy_covering_number(P, r)
    if net is not None:
        out["hyperplanes"] = hyperplane_separation(net, X, y, seed=seed)
    return out
