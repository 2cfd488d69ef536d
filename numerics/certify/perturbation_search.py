r"""Optimized weight perturbations, batched: per-point worst margins, one perturbation
against a whole data set, and lower estimates of empirical Rademacher complexities.

All three maximize a linear functional of the logits of perturbed networks

.. math::

    \Phi_b(\Delta_b) = \sum_j c_{bj}\big(\hat f_{y_b}(x_{bj}) - \hat f_{k_b}(x_{bj})\big),
    \qquad \hat W^i_b = W^i + \Delta^i_b,\ \|\Delta^i_b\|_\infty \le \epsilon_i,

for ``B`` independent problems at once (numpy batch axis, no Python loop over
points), by projected gradient ascent (each row projected onto an
:math:`\ell_1` ball, :func:`numerics.certify.perturbation.project_rows_l1`) with
Frank–Wolfe vertices as extra candidates and several starts. What is returned is
**attained**: every value comes with its perturbation (the witness), so a
per-point worst margin is an upper bound on the true worst-case margin and a
Rademacher estimate is a lower bound on the supremum for each sign vector
(docs/mathematics.md#s4-weight-perturbations).

Examples
--------
>>> from numerics.models import MultiLayerClassifier
>>> net = MultiLayerClassifier.random((3, 5, 3), seed=0)
>>> X = np.random.default_rng(1).standard_normal((4, 3)); y = np.array([0, 1, 2, 0])
>>> wm = worst_case_margins(net, X, y, [0.1, 0.1], seed=0, steps=10)
>>> from numerics.certify.perturbation import certified_margins
>>> bool(np.all(certified_margins(net, X, y, [0.1, 0.1]).certified <= wm.margins))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics._validate import as_finite_float, as_positive_int, as_rng
from numerics.certify.perturbation import _check_eps, as_class_labels, project_rows_l1
from numerics.models import MultiLayerClassifier
from numerics.models.multilayer import batched_backward, batched_forward  # face: see report

__all__ = [
    "AttackResult",
    "WorstMargins",
    "batched_pair_ascent",
    "dataset_attack",
    "rademacher_lower_estimate",
    "sign_vectors",
    "worst_case_margins",
]


def _fw_vertices(G: np.ndarray, r: float) -> np.ndarray:
    """Row-wise maximizer of <G, D> over {||D_row||_1 <= r}, batched over leading axes."""
    j = np.argmax(np.abs(G), axis=-1)[..., None]
    V = np.zeros_like(G)
    np.put_along_axis(V, j, r * np.sign(np.take_along_axis(G, j, axis=-1)), axis=-1)
    return V


def _project(D: np.ndarray, r: float) -> np.ndarray:
    shape = D.shape
    return project_rows_l1(D.reshape(-1, shape[-1]), r).reshape(shape)


def _pair_objective(net, D, X, C, y, k):
    Ws = [W[None] + Di for W, Di in zip(net.weights, D, strict=True)]
    Z, H, F = batched_forward(Ws, X, net._psi)
    b = np.arange(F.shape[0])
    M = F[b, :, y] - F[b, :, k]  # (B, m)
    GF = np.zeros_like(F)
    GF[b, :, y] = C
    GF[b, :, k] = -C
    return (C * M).sum(axis=1), M, batched_backward(Ws, Z, H, GF, net._dpsi)


def batched_pair_ascent(net: MultiLayerClassifier, X, C, y, k, eps, *, seed,
                        steps: int = 40, starts: int = 2, lr: float = 0.5):
    r"""Maximize :math:`\Phi_b` (module docstring) for every ``b`` independently.

    Steps :math:`\Delta^i_b \leftarrow P_i(\Delta^i_b + \eta_t\epsilon_i G^i_b/\max|G^i_b|)`,
    :math:`\eta_t = \mathrm{lr}/\sqrt{1+t/10}`, from the zero perturbation and
    ``starts - 1`` random vertices; the Frank–Wolfe vertex of every gradient is
    evaluated too; the best *evaluated* perturbation per problem is kept.

    Parameters
    ----------
    net : MultiLayerClassifier
    X : ndarray, shape (B, m, d) or (1, m, d)
    C : ndarray, shape (B, m)
        Coefficients :math:`c_{bj}`.
    y, k : ndarray of int, shape (B,)
        The class pair of each problem (``y != k``).
    eps : array_like, shape (L,)
    seed : int or numpy.random.Generator
    steps, starts : int
    lr : float

    Returns
    -------
    value : ndarray, shape (B,)
        The attained :math:`\Phi_b` (re-evaluated at ``deltas``).
    margins : ndarray, shape (B, m)
        The perturbed pair margins at the witness.
    deltas : list of ndarray
        Witness perturbations, layer ``i`` of shape (B, n_i, n_{i-1}).
    """
    e = _check_eps(eps, net.depth)
    steps = as_positive_int(steps, "steps")
    starts = as_positive_int(starts, "starts")
    lr = as_finite_float(lr, "lr", positive=True)
    rng = as_rng(seed)
    C = np.asarray(C, dtype=float)
    B = C.shape[0]
    zero = [np.zeros((B, *W.shape)) for W in net.weights]
    best_v, best_m, _ = _pair_objective(net, zero, X, C, y, k)
    best_D = [z.copy() for z in zero]

    def keep(v, m, D):
        better = v > best_v
        best_v[better] = v[better]
        best_m[better] = m[better]
        for Bd, Dd in zip(best_D, D, strict=True):
            Bd[better] = Dd[better]

    for start in range(starts):
        D = [z.copy() for z in zero] if start == 0 else [
            _fw_vertices(rng.standard_normal(z.shape), ei) for z, ei in zip(zero, e, strict=True)]
        for t in range(steps + 1):
            v, m, G = _pair_objective(net, D, X, C, y, k)
            keep(v, m, D)
            V = [_fw_vertices(Gi, ei) for Gi, ei in zip(G, e, strict=True)]
            keep(*_pair_objective(net, V, X, C, y, k)[:2], V)
            if t == steps:
                break
            eta = lr / np.sqrt(1.0 + t / 10.0)
            D = [_project(Di + eta * ei * Gi / np.maximum(
                np.abs(Gi).max(axis=(1, 2), keepdims=True), 1e-300), ei)
                 for Di, Gi, ei in zip(D, G, e, strict=True)]
    return best_v, best_m, best_D


@dataclass(frozen=True)
class WorstMargins:
    r"""Per-point attained worst margins (:func:`worst_case_margins`).

    Attributes
    ----------
    margins : ndarray, shape (n,)
        :math:`\min_k \hat m_{y_ik}(x_i)` at the witnesses: an **upper** bound on the
        true worst-case margin of each point.
    pair_margins : ndarray, shape (n, K)
        The attained perturbed margin against every class (``inf`` at ``y_i``).
    worst_class : ndarray of int, shape (n,)
    deltas : list of ndarray
        The witness of each point (for its worst class), layer ``i`` (n, n_i, n_{i-1}).
    """

    margins: np.ndarray
    pair_margins: np.ndarray
    worst_class: np.ndarray
    deltas: list

    @property
    def fraction(self) -> float:
        """Fraction of points still correct at their witness: an upper estimate of
        the fraction that is robust to every perturbation in the budget."""
        return float(np.mean(self.margins > 0))


def worst_case_margins(net: MultiLayerClassifier, X, labels, eps, *, seed,
                       steps: int = 40, starts: int = 2, lr: float = 0.5) -> WorstMargins:
    r"""For every point separately, search
    :math:`\min_{\|\hat W^i - W^i\|_\infty\le\epsilon_i}\min_{k\ne y_i}\hat m_{y_ik}(x_i)`
    (one batched ascent per class ``k``; the minima over ``k`` and over
    :math:`\hat W` commute).

    Parameters
    ----------
    net : MultiLayerClassifier
    X : array_like, shape (n, d)
    labels : array_like of int, shape (n,)
    eps : float or array_like, shape (L,)
    seed : int or numpy.random.Generator
    steps, starts, lr
        As for :func:`batched_pair_ascent`.

    Returns
    -------
    WorstMargins

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0]]])
    >>> worst_case_margins(net, [[2.0, 0.0]], [0], 0.2, seed=0, steps=2).margins.round(6)
    array([1.2])
    """
    if not isinstance(net, MultiLayerClassifier):
        raise ValueError(f"net: expected a MultiLayerClassifier, got {type(net).__name__}")
    X = net._points(X)
    y = as_class_labels(labels, net.n_classes, size=X.shape[0])
    e = _check_eps(eps, net.depth)
    rng = as_rng(seed)
    n, K = X.shape[0], net.n_classes
    pair = np.full((n, K), np.inf)
    deltas = [np.zeros((n, *W.shape)) for W in net.weights]
    best = np.full(n, np.inf)
    for kk in range(K):
        idx = np.flatnonzero(y != kk)
        if idx.size == 0:
            continue
        _, m, D = batched_pair_ascent(net, X[idx, None, :], -np.ones((idx.size, 1)), y[idx],
                                      np.full(idx.size, kk), e, seed=rng, steps=steps,
                                      starts=starts, lr=lr)
        pair[idx, kk] = m[:, 0]
        better = m[:, 0] < best[idx]
        for full, Dk in zip(deltas, D, strict=True):
            full[idx[better]] = Dk[better]
        best[idx[better]] = m[better, 0]
    return WorstMargins(margins=pair.min(axis=1), pair_margins=pair,
                        worst_class=np.argmin(pair, axis=1), deltas=deltas)


@dataclass(frozen=True)
class AttackResult:
    """One perturbation of the network against a whole data set (:func:`dataset_attack`).

    Attributes
    ----------
    accuracy : float
        Accuracy of the perturbed network (attained: an upper bound on the
        worst-case accuracy over the budget).
    clean_accuracy : float
    deltas : tuple of ndarray
        The perturbation (inside the budgets).
    """

    accuracy: float
    clean_accuracy: float
    deltas: tuple


def _ce_objective(net, D, X, y):
    Ws = [W[None] + Di for W, Di in zip(net.weights, D, strict=True)]
    Z, H, F = batched_forward(Ws, X[None], net._psi)
    F = F - F.max(axis=2, keepdims=True)
    P = np.exp(F)
    P /= P.sum(axis=2, keepdims=True)
    rows = np.arange(X.shape[0])
    acc = (np.argmax(F, axis=2) == y[None]).mean(axis=1)
    GF = P.copy()
    GF[:, rows, y] -= 1.0  # gradient of the summed cross-entropy
    return acc, batched_backward(Ws, Z, H, GF, net._dpsi)


def dataset_attack(net: MultiLayerClassifier, X, labels, eps, *, seed, steps: int = 60,
                   starts: int = 3, lr: float = 0.5) -> AttackResult:
    r"""One weight perturbation lowering the accuracy on ``(X, labels)``: projected
    gradient ascent of the summed cross-entropy over the budgets (``starts``
    problems in one batch; the first from zero, the others from random vertices),
    Frank–Wolfe vertices evaluated too; the perturbation with the lowest evaluated
    accuracy is kept.

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0]]])
    >>> res = dataset_attack(net, [[2.0, 0.0], [0.25, 0.3]], [0, 1], 0.2, seed=0, steps=5)
    >>> res.clean_accuracy, res.accuracy
    (1.0, 0.5)
    """
    if not isinstance(net, MultiLayerClassifier):
        raise ValueError(f"net: expected a MultiLayerClassifier, got {type(net).__name__}")
    X = net._points(X)
    y = as_class_labels(labels, net.n_classes, size=X.shape[0])
    e = _check_eps(eps, net.depth)
    steps = as_positive_int(steps, "steps")
    starts = as_positive_int(starts, "starts")
    rng = as_rng(seed)
    zero = [np.zeros((starts, *W.shape)) for W in net.weights]
    D = [np.concatenate([z[:1], _fw_vertices(rng.standard_normal(z[1:].shape), ei)])
         for z, ei in zip(zero, e, strict=True)]
    clean = float((np.argmax(net.logits(X), axis=1) == y).mean())
    best = (clean, tuple(z[0] for z in zero))
    for t in range(steps + 1):
        acc, G = _ce_objective(net, D, X, y)
        V = [_fw_vertices(Gi, ei) for Gi, ei in zip(G, e, strict=True)]
        accv, _ = _ce_objective(net, V, X, y)
        for a, cand in ((acc, D), (accv, V)):
            j = int(np.argmin(a))
            if a[j] < best[0]:
                best = (float(a[j]), tuple(Ci[j].copy() for Ci in cand))
        eta = lr / np.sqrt(1.0 + t / 10.0)
        D = [_project(Di + eta * ei * Gi / np.maximum(
            np.abs(Gi).max(axis=(1, 2), keepdims=True), 1e-300), ei)
             for Di, Gi, ei in zip(D, G, e, strict=True)]
    acc = float((np.argmax(net.perturbed(best[1]).logits(X), axis=1) == y).mean())
    return AttackResult(accuracy=acc, clean_accuracy=clean, deltas=best[1])


def sign_vectors(m: int) -> np.ndarray:
    """All :math:`2^m` vectors in :math:`\\{-1, 1\\}^m`, shape (2^m, m).

    >>> sign_vectors(2).tolist()
    [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    """
    m = as_positive_int(m, "m")
    if m > 16:
        raise ValueError(f"m: enumeration of 2^m sign vectors needs m <= 16, got {m}")
    bits = (np.arange(2**m)[:, None] >> np.arange(m - 1, -1, -1)) & 1
    return 2.0 * bits - 1.0


def rademacher_lower_estimate(net: MultiLayerClassifier, X, y: int, k: int, eps, *, seed,
                              sigmas=None, steps: int = 60, starts: int = 3) -> dict:
    r"""Lower estimate of the empirical Rademacher complexity of the pair-margin class
    within the budget of ``net``,

    .. math::

        \hat{\mathfrak R}_S = \frac1m\,\mathbb E_\sigma
          \sup_{\|\hat W^i - W^i\|_\infty\le\epsilon_i}\sum_{j=1}^m\sigma_j
          \big(\hat f_y(x_j) - \hat f_k(x_j)\big).

    For every sign vector the supremum is replaced by an **attained** value
    (:func:`batched_pair_ascent`). With ``sigmas=None`` all :math:`2^m` sign
    vectors are enumerated, so the returned ``estimate`` is a true lower bound on
    :math:`\hat{\mathfrak R}_S` (no sampling error); with given ``sigmas`` it is an
    average over them (a Monte Carlo estimate).

    Returns
    -------
    dict
        ``estimate`` (float), ``per_sigma`` (attained sup / m, per sign vector),
        ``sigmas``, ``exhaustive`` (bool).

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0]]])
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> r = rademacher_lower_estimate(net, X, 0, 1, 0.5, seed=0, steps=3)
    >>> round(r["estimate"], 6)      # (2 eps / m) E ||sum_j sigma_j x_j||_inf = 0.5
    0.5
    """
    if not isinstance(net, MultiLayerClassifier):
        raise ValueError(f"net: expected a MultiLayerClassifier, got {type(net).__name__}")
    X = net._points(X)
    y, k = net._classes(y, k)
    m = X.shape[0]
    exhaustive = sigmas is None
    S = sign_vectors(m) if exhaustive else np.asarray(sigmas, dtype=float)
    if S.ndim != 2 or S.shape[1] != m or not np.all(np.abs(S) == 1):
        raise ValueError(f"sigmas: expected an array of shape (s, {m}) with entries +-1")
    B = S.shape[0]
    val, _, _ = batched_pair_ascent(net, X[None], S, np.full(B, y), np.full(B, k), eps,
                                    seed=seed, steps=steps, starts=starts)
    per = val / m
    return {"estimate": float(per.mean()), "per_sigma": per, "sigmas": S,
            "exhaustive": exhaustive}
