r"""A training loss that raises the certified perturbation margin, and Adam in numpy.

The loss (ours, built on the S4 bound, docs/mathematics.md#s4-weight-perturbations;
the cited paper's own loss is not among our sources):

.. math::

    \mathcal L(W) = \frac1n\sum_i \mathrm{CE}(f(x_i), y_i)
      + \frac{\lambda}{n}\sum_i\sum_{k\ne y_i}
          \big[\gamma - m_{y_ik}(x_i) + B_{y_ik}(x_i)\big]_+
      + \frac{\mu}{2}\sum_l\|W^l\|_F^2,

with :math:`B_{yk}(x) = \|x\|_\infty\,g(u_{yk}, n_1, \dots, n_{L-1})` the S4 bound
(:math:`u_{yk} = \|W^L_y - W^L_k\|_1`, :math:`n_l = \|W^l\|_\infty`), so the hinge is on
the certified pair margin :math:`m_{yk} - B_{yk}`. The partial derivatives
:math:`\partial g/\partial u`, :math:`\partial g/\partial n_l` are sympy's, of the same
expression. **Non-smooth pieces use subgradients** (no smoothing): the hinge
(:math:`1[\cdot > 0]`), the max-row-sum norm (the sign pattern of the first row
attaining the maximum), :math:`|\cdot|` in :math:`u_{yk}` (sign, 0 at 0) and relu
(right derivative). The loss is differentiable away from a set of measure zero,
where the gradient matches finite differences (tested).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((40, 3)); y = (X[:, 0] > 0).astype(int)
>>> res = train_classifier(X, y, (3, 8, 2), eps=[0.01, 0.01], penalty=1.0, seed=0, steps=200)
>>> bool(res.losses[-1] < res.losses[0]), res.net.widths
(True, (3, 8, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from numerics._validate import as_finite_float, as_positive_int, as_rng
from numerics.certify.perturbation import _check_eps, as_class_labels
from numerics.models import MultiLayerClassifier
from numerics.models.multilayer import batched_backward, batched_forward  # face: see report
from theory.perturbation import margin_change_bound_expr

__all__ = ["TrainResult", "perturbation_loss", "train_classifier"]


@lru_cache(maxsize=16)
def _partials(depth: int):
    """Lambdified g = bound / x_inf and its partials in u and every n_l (numpy)."""
    expr, syms = margin_change_bound_expr(depth)
    g = sp.expand(expr / syms.x_inf)
    args = (syms.u, *syms.norms, *syms.eps)
    fs = [sp.lambdify(args, e, "numpy") for e in
          (g, sp.diff(g, syms.u), *[sp.diff(g, n) for n in syms.norms])]
    return fs


def _norm_subgradient(W: np.ndarray) -> np.ndarray:
    """A subgradient of the max absolute row sum: sign pattern of the first maximal row."""
    r = int(np.argmax(np.abs(W).sum(axis=1)))
    G = np.zeros_like(W)
    G[r] = np.sign(W[r])
    return G


def _loss_and_grad(weights, psi, dpsi, X, y, eps, lam, gamma, wd):
    L = len(weights)
    n, K = X.shape[0], weights[-1].shape[0]
    rows = np.arange(n)
    Ws = [W[None] for W in weights]
    Z, H, F = batched_forward(Ws, X[None], psi)
    F = F[0]
    Fs = F - F.max(axis=1, keepdims=True)
    P = np.exp(Fs)
    P /= P.sum(axis=1, keepdims=True)
    ce = float(np.mean(np.log(P[rows, y])) * -1.0)
    GF = P.copy()
    GF[rows, y] -= 1.0
    GF /= n
    norms = [float(np.abs(W).sum(axis=1).max()) for W in weights[:-1]]
    WL = weights[-1]
    diff = WL[:, None, :] - WL[None, :, :]
    U = np.abs(diff).sum(axis=2)
    fg, fu, *fn = _partials(L)
    gU = np.broadcast_to(fg(U, *norms, *eps), U.shape)
    x_inf = np.abs(X).max(axis=1)
    Mg = F[rows, y][:, None] - F
    slack = gamma - Mg + x_inf[:, None] * gU[y]
    A = (slack > 0).astype(float)
    A[rows, y] = 0.0
    pen = float((A * slack).sum() / n)
    grads = [np.zeros_like(W) for W in weights]
    if lam > 0:
        GF[rows, y] -= lam / n * A.sum(axis=1)
        GF += lam / n * A
        S0 = np.zeros((K, K))
        np.add.at(S0, y, A * x_inf[:, None])
        S0 *= lam / n
        Su = S0 * np.broadcast_to(fu(U, *norms, *eps), U.shape)
        grads[-1] += ((Su + Su.T)[:, :, None] * np.sign(diff)).sum(axis=1)
        for j in range(L - 1):
            dn = float((S0 * np.broadcast_to(fn[j](U, *norms, *eps), U.shape)).sum())
            grads[j] += dn * _norm_subgradient(weights[j])
    back = batched_backward(Ws, Z, H, GF[None], dpsi)
    value = ce + lam * pen + 0.5 * wd * sum(float((W**2).sum()) for W in weights)
    return value, [g + b[0] + wd * W for g, b, W in zip(grads, back, weights, strict=True)]


def perturbation_loss(net: MultiLayerClassifier, X, labels, eps, *, penalty: float = 1.0,
                      gamma: float = 1.0, weight_decay: float = 0.0
                      ) -> tuple[float, list[np.ndarray]]:
    r"""The loss of the module docstring and its (sub)gradient in every weight matrix.

    Parameters
    ----------
    net : MultiLayerClassifier
    X : array_like, shape (n, d)
    labels : array_like of int, shape (n,)
    eps : float or array_like, shape (L,)
        Budgets :math:`\epsilon_l \ge 0` (one per layer).
    penalty : float
        :math:`\lambda \ge 0` (0: plain cross-entropy).
    gamma : float
        :math:`\gamma \ge 0`, the target certified margin.
    weight_decay : float
        :math:`\mu \ge 0`.

    Returns
    -------
    value : float
    grads : list of ndarray, shapes of ``net.weights``

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0]]])
    >>> v, g = perturbation_loss(net, [[2.0, 0.0]], [0], 0.1, penalty=1.0, gamma=2.0)
    >>> round(v - float(np.log(1 + np.exp(-2.0))), 6)    # hinge: 2 - 2 + 2*0.1*2
    0.4
    """
    if not isinstance(net, MultiLayerClassifier):
        raise ValueError(f"net: expected a MultiLayerClassifier, got {type(net).__name__}")
    X = net._points(X)
    y = as_class_labels(labels, net.n_classes, size=X.shape[0])
    e = _check_eps(eps, net.depth)
    lam = as_finite_float(penalty, "penalty", nonnegative=True)
    gamma = as_finite_float(gamma, "gamma", nonnegative=True)
    wd = as_finite_float(weight_decay, "weight_decay", nonnegative=True)
    return _loss_and_grad(list(net.weights), net._psi, net._dpsi, X, y, e, lam, gamma, wd)


@dataclass(frozen=True)
class TrainResult:
    """A trained classifier and its loss history (one value per Adam step)."""

    net: MultiLayerClassifier
    losses: np.ndarray


def train_classifier(X, labels, widths, *, eps, penalty: float = 0.0, gamma: float = 1.0,
                     activation: str = "relu", seed, steps: int = 500, lr: float = 0.01,
                     weight_decay: float = 0.0) -> TrainResult:
    r"""Minimize :func:`perturbation_loss` by full-batch Adam (numpy;
    :math:`\beta = (0.9, 0.999)`), from a He initialization
    (:meth:`MultiLayerClassifier.random`).

    Parameters
    ----------
    X : array_like, shape (n, d)
    labels : array_like of int, shape (n,)
    widths : sequence of int
        ``(d, n_1, ..., n_{L-1}, K)``; ``len(widths) - 1`` layers.
    eps : float or array_like, shape (L,)
    penalty, gamma, weight_decay
        As for :func:`perturbation_loss`.
    activation : str
    seed : int or numpy.random.Generator
    steps : int
    lr : float

    Returns
    -------
    TrainResult
    """
    widths = tuple(as_positive_int(w, "widths") for w in widths)
    if len(widths) < 2:
        raise ValueError(f"widths: needs (d, ..., K), got {widths}")
    net = MultiLayerClassifier.random(widths, activation, seed=as_rng(seed))
    X = net._points(X)
    y = as_class_labels(labels, net.n_classes, size=X.shape[0])
    e = _check_eps(eps, net.depth)
    lam = as_finite_float(penalty, "penalty", nonnegative=True)
    gamma = as_finite_float(gamma, "gamma", nonnegative=True)
    wd = as_finite_float(weight_decay, "weight_decay", nonnegative=True)
    steps = as_positive_int(steps, "steps")
    lr = as_finite_float(lr, "lr", positive=True)
    W = [np.array(M) for M in net.weights]
    m1 = [np.zeros_like(M) for M in W]
    m2 = [np.zeros_like(M) for M in W]
    losses = np.empty(steps)
    for t in range(1, steps + 1):
        val, G = _loss_and_grad(W, net._psi, net._dpsi, X, y, e, lam, gamma, wd)
        losses[t - 1] = val
        for i, g in enumerate(G):
            m1[i] = 0.9 * m1[i] + 0.1 * g
            m2[i] = 0.999 * m2[i] + 0.001 * g * g
            W[i] = W[i] - lr * (m1[i] / (1 - 0.9**t)) / (np.sqrt(m2[i] / (1 - 0.999**t)) + 1e-8)
    return TrainResult(net=net.with_weights(W), losses=losses)
