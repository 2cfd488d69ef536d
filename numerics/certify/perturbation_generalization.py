r"""The Rademacher bound of :mod:`theory.rademacher` on instances, and the
generalization statement built on it (docs/mathematics.md#s4-weight-perturbations).

- :func:`a0_exact` (enumeration of all sign vectors, small samples) and
  :func:`a0_massart` (Massart's bound) for :math:`A_0 = \mathbb E_\sigma\|\sum_j
  \sigma_jx_j\|_\infty`;
- :func:`rademacher_pair_bound`: the proved upper bound on
  :math:`\hat{\mathfrak R}_S(\mathcal M^\epsilon_{yk}(W))`, lambdified from the same
  sympy expression (any expression in the same symbols can be passed: the tests
  feed deflated versions);
- :func:`generalization_bound`: the corollary's right-hand side for the clean
  network and, through the certified margins, for every network in the budget.

Examples
--------
>>> from numerics.models import MultiLayerClassifier
>>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0]]])
>>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
>>> rademacher_pair_bound(net, X, 0, 1, 0.5, a0=a0_exact(X))   # depth 1: equality
0.5
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from numerics._validate import as_finite_float, as_matrix
from numerics.certify.perturbation import (
    _check_eps,
    as_class_labels,
    certified_margins,
)
from numerics.certify.perturbation_search import sign_vectors
from numerics.models import MultiLayerClassifier
from theory import rademacher as trad

__all__ = [
    "a0_exact",
    "a0_massart",
    "generalization_bound",
    "pair_bound_factors",
    "rademacher_pair_bound",
    "ramp",
]


def a0_exact(X) -> float:
    r""":math:`A_0 = 2^{-m}\sum_{\sigma\in\{\pm1\}^m}\|\sum_j\sigma_jx_j\|_\infty`, by
    enumeration (``m <= 16``).

    >>> a0_exact([[1.0], [1.0]])
    1.0
    """
    X = as_matrix(X, "X")
    S = sign_vectors(X.shape[0])
    return float(np.abs(S @ X).max(axis=1).mean())


def a0_massart(X) -> float:
    r"""Massart's bound :math:`\max_c\|X_{:,c}\|_2\sqrt{2\log(2d)}\ \ge A_0`.

    >>> round(a0_massart([[1.0], [1.0]]), 4)
    1.6651
    """
    X = as_matrix(X, "X")
    return float(np.linalg.norm(X, axis=0).max() * np.sqrt(2 * np.log(2 * X.shape[1])))


@lru_cache(maxsize=64)
def _lambdified(depth: int, expr_key: str | None):
    expr, syms = trad.rademacher_bound_expr(depth)
    if expr_key is not None:
        expr = sp.sympify(expr_key)
    args = (trad.A0, trad.m_sample, syms.u, *syms.norms, *syms.eps)
    extra = expr.free_symbols - set(args)
    if extra:
        raise ValueError(f"expr: symbols {sorted(map(str, extra))} are not symbols of the "
                         f"depth-{depth} Rademacher bound")
    return sp.lambdify(args, expr, modules="numpy")


def rademacher_pair_bound(net: MultiLayerClassifier, X, y: int, k: int, eps, *,
                          a0: float | None = None, expr: sp.Expr | None = None) -> float:
    r"""The proved bound :math:`\frac{2^{L-1}A_0}{m}[u(\hat P - P) + 2\epsilon_L\hat P]`
    on the empirical Rademacher complexity of the pair margins within the budget.

    Parameters
    ----------
    net : MultiLayerClassifier
    X : array_like, shape (m, d)
    y, k : int
    eps : float or array_like, shape (L,)
    a0 : float, optional
        :math:`A_0` (default: Massart's bound, :func:`a0_massart`; pass
        :func:`a0_exact` for the sharper version).
    expr : sympy.Expr, optional
        Another expression in the symbols ``A_0, m_S, u, n_i, epsilon_i``.

    Returns
    -------
    float
    """
    if not isinstance(net, MultiLayerClassifier):
        raise ValueError(f"net: expected a MultiLayerClassifier, got {type(net).__name__}")
    X = net._points(X)
    y, k = net._classes(y, k)
    e = _check_eps(eps, net.depth)
    a = a0_massart(X) if a0 is None else as_finite_float(a0, "a0", nonnegative=True)
    WL = net.weights[-1]
    u = float(np.abs(WL[y] - WL[k]).sum())
    f = _lambdified(net.depth, None if expr is None else sp.srepr(expr))
    return float(f(a, X.shape[0], u, *net.layer_norms()[:-1], *e))


def pair_bound_factors(net: MultiLayerClassifier, eps) -> np.ndarray:
    r"""The bracket :math:`2^{L-1}[u_{yk}(\hat P - P) + 2\epsilon_L\hat P]` for every
    class pair, shape (K, K) (0 on the diagonal): the bound is this times
    :math:`A_0/m`.

    >>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0]]])
    >>> pair_bound_factors(net, 0.25).tolist()
    [[0.0, 0.5], [0.5, 0.0]]
    """
    e = _check_eps(eps, net.depth)
    expr, syms = trad.rademacher_bound_expr(net.depth)
    f = sp.lambdify((syms.u, *syms.norms, *syms.eps), expr * trad.m_sample / trad.A0, "numpy")
    WL = net.weights[-1]
    U = np.abs(WL[:, None, :] - WL[None, :, :]).sum(axis=2)
    out = np.array(np.broadcast_to(f(U, *net.layer_norms()[:-1], *e), U.shape), dtype=float)
    np.fill_diagonal(out, 0.0)
    return out


def ramp(t, rho: float) -> np.ndarray:
    r"""The ramp loss :math:`\ell_\rho(t) = \min(1, \max(0, 1 - t/\rho))` (1 for
    :math:`t \le 0`, 0 for :math:`t\ge\rho`).

    >>> ramp(np.array([-1.0, 0.5, 2.0]), 1.0).tolist()
    [1.0, 0.5, 0.0]
    """
    return np.clip(1.0 - np.asarray(t, dtype=float) / rho, 0.0, 1.0)


def generalization_bound(net: MultiLayerClassifier, X, labels, eps, *,
                         rhos=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
                         delta: float = 0.05) -> dict:
    r"""Right-hand side of the generalization corollary of :mod:`theory.rademacher`,
    minimized over a grid of margins fixed in advance (union bound: :math:`\delta`
    is split evenly over the grid).

    .. math::

        \mathrm{err}(\hat W) \le \frac1m\sum_j\ell_\rho(\mu_j)
          + \frac{2}{\rho m}\sum_c\sum_{k\ne c}A_0(S_c)\,
            2^{L-1}[u_{ck}(\hat P - P) + 2\epsilon_L\hat P]
          + 3\sqrt{\frac{\log(2G/\delta)}{2m}},

    with :math:`\mu_j` the clean margin (``"clean"``) or the certified margin
    (``"robust"``: then the statement holds for every :math:`\hat W` in the budget at
    once), :math:`A_0(S_c)` Massart's bound on the points of class ``c``.

    **Hypothesis**: the class (its centre ``net`` and the budgets) is fixed before
    the sample is drawn. For a ``net`` trained on ``(X, labels)`` this fails, and the
    numbers are a diagnostic, not a certificate.

    Returns
    -------
    dict
        ``clean``/``robust`` (best bound on the test error), ``rho_clean``/``rho_robust``,
        ``complexity`` (per rho), ``confidence``, ``train_error``.

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0]]])
    >>> X = np.array([[2.0, 0.0], [0.0, 2.0]] * 50)
    >>> g = generalization_bound(net, X, [0, 1] * 50, 0.01)
    >>> bool(0 < g["clean"] <= g["robust"] < 1), g["train_error"]
    (True, 0.0)
    """
    cm = certified_margins(net, X, labels, eps)
    X = net._points(X)
    y = as_class_labels(labels, net.n_classes, size=X.shape[0])
    delta = as_finite_float(delta, "delta", positive=True)
    if delta >= 1:
        raise ValueError(f"delta: must be in (0, 1), got {delta}")
    rhos = np.asarray([as_finite_float(r, "rhos", positive=True) for r in rhos])
    m = X.shape[0]
    factors = pair_bound_factors(net, eps)
    a0s = np.array([a0_massart(X[y == c]) if np.any(y == c) else 0.0
                    for c in range(net.n_classes)])
    total = float((a0s[:, None] * factors).sum())
    complexity = 2 * total / (rhos * m)
    conf = 3 * np.sqrt(np.log(2 * rhos.size / delta) / (2 * m))
    clean = np.array([ramp(cm.margins, r).mean() for r in rhos]) + complexity + conf
    robust = np.array([ramp(cm.certified, r).mean() for r in rhos]) + complexity + conf
    ic, ir = int(np.argmin(clean)), int(np.argmin(robust))
    return {"clean": float(clean[ic]), "rho_clean": float(rhos[ic]),
            "robust": float(robust[ir]), "rho_robust": float(rhos[ir]),
            "complexity": complexity.tolist(), "confidence": float(conf),
            "rhos": rhos.tolist(), "train_error": float(np.mean(cm.margins <= 0)),
            "delta": delta}

