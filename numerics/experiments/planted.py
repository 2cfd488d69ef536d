r"""Planted answers for the minimum-Lipschitz search
(docs/mathematics.md#min-lipschitz-interpolation): instances whose minimum certified
Lipschitz constant over k-neuron interpolants is bounded from above by construction, so
that the search can be checked against them.

Three families, each with a *planted value* P (an upper bound on the minimum, proved by an
explicit interpolant) and the pair-quotient floor F (a lower bound for every interpolant):

- ``teacher``: points on :math:`S^{d-1}` with :math:`|u\cdot x_i| \ge \gamma`, labels
  :math:`\mathrm{sign}(u\cdot x_i)`, and the k₀ = 3 neuron teacher (the constant is a neuron
  :math:`\mathrm{relu}(0\cdot x + 1)`)
  :math:`f_0(x) = -1 + \mathrm{relu}(u\cdot x/\gamma + 1) - \mathrm{relu}(u\cdot x/\gamma - 1)`,
  which interpolates exactly and has :math:`\mathrm{Lip}_{B_1}(f_0) = 1/\gamma` (gradient
  :math:`u/\gamma` on the band, 0 elsewhere). P = the certified bound of :math:`f_0`
  (:func:`numerics.construct.certify_point`), so for every k >= 3 the minimum is <= P.
- ``orthogonal``: n <= d nearly orthogonal unit points (max :math:`|x_i\cdot x_j|` small);
  P = the certified bound of C1 (k = n), near optimal there.
- ``line``: d = 1 (points in [-1, 1]); the minimum over *all* interpolating functions is
  exactly the floor F, attained by the piecewise-linear interpolant, a ReLU network with
  two neurons per label change (and one for the constant). P = its certified bound, which
  exceeds F: the certificates (LipSDP, centred) add the slopes of overlapping ramps, so
  the certified minimum is limited by the certificate, not by the search.

In every family P is the certified bound (:func:`numerics.construct.certify_point`) of the
planted interpolant, so the minimum of the search's objective over k >= k_min neurons is
at most P.

The search must reach :math:`U \le 1.05\,P` (:func:`run_planted`) without being handed the
planted network: its starts are trained interpolants (plain and path-norm penalized) and
the constructions C1 and C4 (C4 only for ``orthogonal``, whose planted network is C1).

Examples
--------
>>> inst = planted_instance("teacher", 12, 3, seed=0)
>>> inst.floor <= inst.planted, inst.k_min
(True, 3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numerics._validate import as_positive_int
from numerics.construct import (
    c1_one_neuron_per_point,
    certify_point,
    min_lipschitz_interpolant,
    verify_point,
)
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = ["FAMILIES", "PlantedInstance", "planted_instance", "planted_table", "run_planted"]

FAMILIES = ("teacher", "orthogonal", "line")
_BALL = Domain.ball(1.0)


@dataclass(frozen=True)
class PlantedInstance:
    """Data, the planted upper bound on the minimum and how it was obtained."""

    family: str
    X: np.ndarray
    y: np.ndarray
    planted: float
    floor: float
    k_min: int
    witness: TwoLayerNet
    seed: int


def _floor(X: np.ndarray, y: np.ndarray) -> float:
    P, N = X[y > 0], X[y < 0]
    D = np.sqrt(np.maximum(((P[:, None, :] - N[None, :, :]) ** 2).sum(-1), 0.0))
    return 2.0 / float(D.min())


def _teacher(n: int, d: int, rng) -> tuple:
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    gamma = 0.5 / math.sqrt(d)
    pts = []
    while len(pts) < n:
        Z = rng.standard_normal((4 * n, d))
        Z /= np.linalg.norm(Z, axis=1, keepdims=True)
        pts += list(Z[np.abs(Z @ u) >= gamma])
    X = np.array(pts[:n])
    y = np.sign(X @ u)
    y[0], y[1] = 1.0, -1.0
    X[0], X[1] = X[0] * np.sign(X[0] @ u), X[1] * -np.sign(X[1] @ u)
    # clip(t, -1, 1) = relu(t + 1) - relu(t - 1) - 1, the constant as relu(0.x + 1)
    net = TwoLayerNet([1.0, -1.0, -1.0], np.stack([u / gamma, u / gamma, np.zeros(d)]),
                      [1.0, -1.0, 1.0], "relu")
    return X, y, net, 3


def _orthogonal(n: int, d: int, rng) -> tuple:
    if n > d:
        raise ValueError(f"n: the orthogonal family needs n <= d, got n = {n}, d = {d}")
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = Q[:n] + 0.02 / math.sqrt(d) * rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.choice([-1.0, 1.0], n)
    y[0], y[1] = 1.0, -1.0
    r = c1_one_neuron_per_point(X, y)
    return X, y, r.net, n


def _line(n: int, rng) -> tuple:
    x = np.linspace(-0.9, 0.9, n) + rng.uniform(-0.2, 0.2, n) * 0.9 / max(n - 1, 1)
    changes = 3
    cuts = np.sort(rng.choice(np.arange(1, n), changes, replace=False))
    y = np.ones(n)
    for c in cuts:
        y[c:] *= -1
    X = x[:, None]
    # the piecewise-linear interpolant: y_0 + sum over changes of a ramp between neighbours
    a, W, b = [], [], []
    for c in cuts:
        lo, hi = x[c - 1], x[c]
        s = (y[c] - y[c - 1]) / (hi - lo)
        a += [s, -s]
        W += [[1.0], [1.0]]
        b += [-lo, -hi]
    a.append(y[0])          # the constant y_0 as relu(0 x + 1)
    W.append([0.0])
    b.append(1.0)
    net = TwoLayerNet(a, W, b, "relu")
    return X, y, net, 2 * changes + 1


def planted_instance(family: str, n: int, d: int, *, seed: int = 0) -> PlantedInstance:
    """One planted instance (``family`` in :data:`FAMILIES`; ``d`` is ignored for
    ``line``). Raises ValueError if the planted network does not interpolate exactly."""
    if family not in FAMILIES:
        raise ValueError(f"family: expected one of {FAMILIES}, got {family!r}")
    n, d = as_positive_int(n, "n", minimum=2), as_positive_int(d, "d")
    rng = np.random.default_rng([seed, FAMILIES.index(family)])
    if family == "teacher":
        X, y, net, k_min = _teacher(n, d, rng)
    elif family == "orthogonal":
        X, y, net, k_min = _orthogonal(n, d, rng)
    else:
        X, y, net, k_min = _line(n, rng)
    err = float(np.max(np.abs(net(X) - y)))
    if err > 1e-9:
        raise ValueError(f"family: the planted network of {family!r} misses by {err:.3g}")
    cert = certify_point(net, _BALL)
    return PlantedInstance(family, X, y, float(cert.value), _floor(X, y), k_min, net, seed)


def run_planted(inst: PlantedInstance, k: int, *, outer: int = 4, inner: int = 400,
                refine: int = 2, population: int = 2, seeds=(0, 1),
                tolerance: float = 0.05) -> dict:
    """Run the search on a planted instance at width k (never from the planted network):
    ``ok`` when the certified U re-verifies and :math:`U \\le (1 + tol)\\,P`."""
    starts = ("fit", "fit_path", "C4") + (() if inst.family == "orthogonal" else ("C1",))
    res = min_lipschitz_interpolant(inst.X, inst.y, k, starts=starts,
                                    seeds=seeds, outer=outer, inner=inner, refine=refine,
                                    population=population)
    U = res.value
    verified = res.net is not None and verify_point(res.net, inst.X, inst.y,
                                                    res.certificate).ok
    return {"family": inst.family, "n": inst.X.shape[0], "d": inst.X.shape[1], "k": k,
            "seed": inst.seed, "planted": inst.planted, "floor": inst.floor, "U": U,
            "ratio": None if U is None else U / inst.planted,
            "ok": bool(verified and U is not None and U <= (1 + tolerance) * inst.planted),
            "verified": bool(verified), "seconds": res.seconds}


def planted_table(rows: list[dict]) -> str:
    """The benchmark as a booktabs table (:func:`theory.latex.render_table`)."""
    from theory.latex import render_table

    cols = [("family", "family"), ("n", "$n$"), ("d", "$d$"), ("k", "$k$"), ("seed", "seed"),
            ("floor", "floor $F$"), ("planted", "planted $P$"), ("U", "$U$"),
            ("ratio", "$U/P$"), ("ok", r"$U \le 1.05P$")]
    cap = (r"Planted answers for the minimum-Lipschitz search on $B_1$: $P$ is the certified "
           r"bound of a planted interpolant (teacher; C1 for nearly orthogonal points; for "
           r"$d = 1$ the exact minimizer over all functions, whose true constant is the "
           r"floor $F$); $U$ is the search's certified "
           r"bound (trained and construction starts, never the planted network), "
           r"re-verified from the weights.")
    return render_table(rows, cols, caption=cap, label="tab:planted", align="lrrrrrrrrl")
