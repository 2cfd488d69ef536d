r"""S4 numerics: margins, the margin-change bound, and worst weight perturbations.

The bound (derived and proved in :mod:`theory.perturbation`; evaluated here by
lambdifying the *same* sympy expression):

.. math::

    |\hat m(x) - m(x)| \le \|x\|_\infty\Big[\|W^L_y - W^L_k\|_1
      \Big(\prod_{i<L}(\|W^i\|_\infty + \epsilon_i) - \prod_{i<L}\|W^i\|_\infty\Big)
      + 2\epsilon_L \prod_{i<L}(\|W^i\|_\infty + \epsilon_i)\Big]

for all :math:`\hat W` with :math:`\|\hat W^i - W^i\|_\infty \le \epsilon_i`
(max absolute row sum).

The worst perturbation is searched by projected gradient ascent over the product
of the layers' balls (the projection onto :math:`\{\Delta: \|\Delta\|_\infty
\le \epsilon\}` projects each row onto the :math:`\ell_1` ball of radius
:math:`\epsilon`, :func:`project_rows_l1`), with Frank–Wolfe vertices as extra
candidates and several starts. What it returns is an **attained** change (a
lower bound on the true supremum, with its perturbation as witness), never
more; the theorem says it can never exceed the bound.

Over a data set, :func:`certified_margins` gives every point's certified
perturbation margin :math:`\min_{k\ne y}(m_{yk} - B_{yk})` (minus an explicit
rounding bound), vectorized; batched searches live in
:mod:`numerics.certify.perturbation_search`.

Examples
--------
>>> from numerics.models import MultiLayerClassifier
>>> net = MultiLayerClassifier.random((4, 6, 3), "relu", seed=0)
>>> x = np.array([1.0, -0.5, 0.25, 0.0])
>>> b = margin_change_bound(net, x, 0, 1, [0.1, 0.1])
>>> res = worst_margin_perturbation(net, x, 0, 1, [0.1, 0.1], seed=0, steps=50)
>>> bool(0 < res.change <= b)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from numerics._validate import as_finite_float, as_matrix, as_positive_int, as_rng, as_vector
from numerics.models import MultiLayerClassifier, margin_and_weight_gradients
from theory.perturbation import margin_change_bound_expr

__all__ = [
    "CertifiedMargins",
    "MarginPerturbationResult",
    "as_class_labels",
    "bound_arguments",
    "certified_margins",
    "depth_one_attaining_perturbation",
    "even_spread_perturbation",
    "margin_change_bound",
    "nonnegative_tight_instance",
    "pairwise_bound_matrix",
    "project_rows_l1",
    "worst_margin_perturbation",
]

#: Unit roundoff of IEEE double precision.
UNIT_ROUNDOFF = 2.0**-53


def project_rows_l1(V, radius: float) -> np.ndarray:
    r"""Euclidean projection of every row of ``V`` onto the :math:`\ell_1` ball of
    radius ``radius``; equivalently, the projection of ``V`` onto the
    max-row-sum ball :math:`\{\Delta: \|\Delta\|_\infty \le r\}` (the constraint
    and the Frobenius distance both separate over rows).

    Sort-based algorithm (Duchi, Shalev-Shwartz, Singer, Chandra 2008),
    vectorized over rows: :math:`w = \operatorname{sign}(v)\max(|v| - \theta, 0)`
    with the threshold :math:`\theta \ge 0` making :math:`\|w\|_1 = r` when
    :math:`\|v\|_1 > r`.

    Parameters
    ----------
    V : array_like, shape (p, q)
    radius : float, >= 0

    Returns
    -------
    ndarray, shape (p, q)

    Examples
    --------
    >>> project_rows_l1([[3.0, 1.0], [0.2, -0.1]], 1.0)
    array([[ 1. ,  0. ],
           [ 0.2, -0.1]])
    >>> project_rows_l1([[1.0, -1.0]], 1.0)
    array([[ 0.5, -0.5]])
    """
    V = as_matrix(V, "V")
    r = as_finite_float(radius, "radius", nonnegative=True)
    A = np.abs(V)
    inside = A.sum(axis=1) <= r
    if np.all(inside):
        return V
    if r == 0:
        return np.zeros_like(V)
    U = -np.sort(-A, axis=1)
    css = np.cumsum(U, axis=1) - r
    j = np.arange(1, V.shape[1] + 1)
    cond = U - css / j > 0  # holds exactly for j <= rho (in exact arithmetic, rho >= 1)
    rho = np.maximum(cond.sum(axis=1) - 1, 0)  # robust to r below round-off of u_1
    theta = css[np.arange(V.shape[0]), rho] / (rho + 1)
    theta = np.where(inside, 0.0, np.maximum(theta, 0.0))
    return np.sign(V) * np.maximum(A - theta[:, None], 0.0)


def _check_eps(eps, depth: int) -> np.ndarray:
    e = np.asarray(eps, dtype=float) if not np.isscalar(eps) else np.full(depth, float(eps))
    e = as_vector(e, "eps", size=depth)
    if np.any(e < 0):
        raise ValueError(f"eps: budgets must be >= 0, got {e}")
    return e


@lru_cache(maxsize=32)
def _lambdified(depth: int, expr_key: str | None):
    expr, syms = margin_change_bound_expr(depth)
    if expr_key is not None:
        expr = sp.sympify(expr_key)  # an srepr string: symbols keep their assumptions
        if not expr.free_symbols <= set(syms.all):
            raise ValueError(f"expr: symbols {expr.free_symbols - set(syms.all)} are not "
                             f"symbols of the depth-{depth} bound")
    return sp.lambdify(syms.all, expr, modules="math")


def bound_arguments(net: MultiLayerClassifier, x, y: int, k: int, eps) -> dict:
    r"""The numbers the bound depends on, keyed by the names of the symbols of
    :func:`theory.perturbation.margin_change_bound_expr`: ``x_inf``
    (:math:`\|x\|_\infty`), ``u`` (:math:`\|W^L_y - W^L_k\|_1`), ``n_i``
    (:math:`\|W^i\|_\infty`, ``i < L``), ``epsilon_i``.

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, 2.0], [0.0, -1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    >>> args = bound_arguments(net, [1.0, -3.0], 0, 1, 0.5)
    >>> [round(args[n], 3) for n in ("x_inf", "u", "n_1", "epsilon_1", "epsilon_2")]
    [3.0, 2.0, 3.0, 0.5, 0.5]
    """
    if not isinstance(net, MultiLayerClassifier):
        raise ValueError(f"net: expected a MultiLayerClassifier, got {type(net).__name__}")
    x = as_vector(x, "x", size=net.d)
    y, k = net._classes(y, k)
    e = _check_eps(eps, net.depth)
    WL = net.weights[-1]
    out = {"x_inf": float(np.abs(x).max()), "u": float(np.abs(WL[y] - WL[k]).sum())}
    norms = net.layer_norms()
    for i in range(net.depth - 1):
        out[f"n_{i + 1}"] = float(norms[i])
    for i in range(net.depth):
        out[f"epsilon_{i + 1}"] = float(e[i])
    return out


def margin_change_bound(net: MultiLayerClassifier, x, y: int, k: int, eps,
                        expr: sp.Expr | None = None) -> float:
    r"""Evaluate the S4 bound (or another expression in the same symbols) at an instance.

    Parameters
    ----------
    net : MultiLayerClassifier
    x : array_like, shape (d,)
    y, k : int
        The two classes of the margin :math:`f_y - f_k`.
    eps : float or array_like, shape (L,)
        Per-layer budgets :math:`\epsilon_i \ge 0`.
    expr : sympy.Expr, optional
        Defaults to :func:`theory.perturbation.margin_change_bound_expr` for the
        network's depth; any expression in the same symbols may be passed
        (the tests feed deliberately weakened versions through here).

    Returns
    -------
    float

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, -1.0], [2.0, 0.0]]])
    >>> margin_change_bound(net, [0.5, -2.0], 0, 1, 0.25)   # 2 eps ||x||_inf
    1.0
    """
    args = bound_arguments(net, x, y, k, eps)
    f = _lambdified(net.depth, None if expr is None else sp.srepr(expr))
    _, syms = margin_change_bound_expr(net.depth)
    return float(f(*[args[s.name] for s in syms.all]))


def as_class_labels(labels, n_classes: int, *, size: int | None = None,
                    name: str = "labels") -> np.ndarray:
    """Integer class labels in ``[0, n_classes)``, shape (n,).

    Examples
    --------
    >>> as_class_labels([0, 2, 1], 3).tolist()
    [0, 2, 1]
    >>> as_class_labels([0, 3], 3)
    Traceback (most recent call last):
    ...
    ValueError: labels: must be class indices in [0, 3), got values [3]
    """
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D array, got shape {arr.shape}")
    if size is not None and arr.size != size:
        raise ValueError(f"{name}: expected {size} labels (one per point), got {arr.size}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name}: expected integer class indices, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name}: expected integer class indices")
    arr = arr.astype(int)
    bad = np.unique(arr[(arr < 0) | (arr >= n_classes)])
    if bad.size:
        raise ValueError(f"{name}: must be class indices in [0, {n_classes}), "
                         f"got values {bad.tolist()}")
    return arr


@lru_cache(maxsize=32)
def _lambdified_numpy(depth: int):
    expr, syms = margin_change_bound_expr(depth)
    return sp.lambdify(syms.all, expr, modules="numpy")


def pairwise_bound_matrix(net: MultiLayerClassifier, X, eps) -> np.ndarray:
    r"""The S4 bound for every point and every class pair, shape (n, K, K):
    ``out[i, y, k]`` bounds :math:`|\hat m_{yk}(x_i) - m_{yk}(x_i)|` (0 on the diagonal).

    The same lambdified expression as :func:`margin_change_bound`, evaluated with
    numpy broadcasting over :math:`\|x_i\|_\infty` and
    :math:`u_{yk} = \|W^L_y - W^L_k\|_1`.

    Examples
    --------
    >>> net = MultiLayerClassifier.random((3, 4, 3), seed=1)
    >>> x = np.array([1.0, -2.0, 0.5])
    >>> B = pairwise_bound_matrix(net, x[None], [0.1, 0.2])
    >>> bool(np.isclose(B[0, 2, 1], margin_change_bound(net, x, 2, 1, [0.1, 0.2])))
    True
    """
    if not isinstance(net, MultiLayerClassifier):
        raise ValueError(f"net: expected a MultiLayerClassifier, got {type(net).__name__}")
    X = net._points(X)
    e = _check_eps(eps, net.depth)
    WL = net.weights[-1]
    U = np.abs(WL[:, None, :] - WL[None, :, :]).sum(axis=2)  # (K, K)
    x_inf = np.abs(X).max(axis=1)
    f = _lambdified_numpy(net.depth)
    norms = net.layer_norms()[:-1]
    val = f(x_inf[:, None, None], U[None], *norms, *e)
    out = np.array(np.broadcast_to(val, (X.shape[0], *U.shape)), dtype=float)
    idx = np.arange(U.shape[0])
    out[:, idx, idx] = 0.0
    return out


def _rounding_bound(net: MultiLayerClassifier, x_inf: np.ndarray, bounds: np.ndarray
                    ) -> np.ndarray:
    r"""Explicit bound on the floating-point error of the computed certified margin
    :math:`\hat m - \hat B` (docs/mathematics.md#rounding: :math:`\gamma_m = mu/(1 - mu)`).

    Layer ``i`` adds at most :math:`\gamma_{q_i}\|W^i\|_\infty\|\tilde h^{i-1}\|_\infty`
    (dot products) plus :math:`u\|\tilde h^i\|_\infty` (activation), propagated by
    1-Lipschitz maps and :math:`\|W^j\|_\infty`; with
    :math:`\|\tilde h^i\|_\infty \le (1+\gamma)P_i\|x\|_\infty` this is at most
    :math:`2(L+1)\gamma_{q+2}\prod_{i\le L}\|W^i\|_\infty\|x\|_\infty (1 + \gamma_{q+2})^L`
    for the two logits of a margin (``q`` the largest fan-in), plus
    :math:`\gamma_{3L+4}\hat B` for the evaluation of the bound.
    """
    q = max(W.shape[1] for W in net.weights) + 2
    L = net.depth
    g = q * UNIT_ROUNDOFF / (1 - q * UNIT_ROUNDOFF)
    gb = (3 * L + 4) * UNIT_ROUNDOFF / (1 - (3 * L + 4) * UNIT_ROUNDOFF)
    prod = float(np.prod(net.layer_norms()))
    return 2 * (L + 1) * g * prod * x_inf * (1 + g) ** L * (1 + g) + gb * bounds


@dataclass(frozen=True)
class CertifiedMargins:
    r"""Certified perturbation margins of a data set (:func:`certified_margins`).

    Attributes
    ----------
    margins : ndarray, shape (n,)
        :math:`m(x_i) = \min_{k\ne y_i} f_{y_i}(x_i) - f_k(x_i)`.
    certified : ndarray, shape (n,)
        :math:`\min_{k\ne y_i}[m_{y_ik}(x_i) - B_{y_ik}(x_i)] - e_i`, a lower bound on
        the margin of *every* perturbed network in the budget (``e_i`` the
        explicit rounding bound).
    bounds : ndarray, shape (n, K)
        :math:`B_{y_ik}(x_i)` (0 at ``k = y_i``).
    worst_class : ndarray of int, shape (n,)
        The class ``k`` achieving the minimum in ``certified``.
    rounding : ndarray, shape (n,)
        ``e_i``.
    eps : ndarray, shape (L,)
    """

    margins: np.ndarray
    certified: np.ndarray
    bounds: np.ndarray
    worst_class: np.ndarray
    rounding: np.ndarray
    eps: np.ndarray

    @property
    def robust(self) -> np.ndarray:
        """Points certified robust (``certified > 0``: correctly classified by every
        network in the budget)."""
        return self.certified > 0

    @property
    def fraction(self) -> float:
        """Fraction of points certified robust."""
        return float(np.mean(self.robust))


def certified_margins(net: MultiLayerClassifier, X, labels, eps) -> CertifiedMargins:
    r"""Certified perturbation margins of every point, vectorized.

    .. math::

        \underline m(x_i) = \min_{k\ne y_i}\big[f_{y_i}(x_i) - f_k(x_i)
            - B_{y_ik}(x_i)\big] - e_i \;\le\;
        \min_{\|\hat W^l - W^l\|_\infty\le\epsilon_l}\ \min_{k\ne y_i}
            \hat f_{y_i}(x_i) - \hat f_k(x_i),

    with :math:`B_{yk}` the S4 bound (docs/mathematics.md#s4-weight-perturbations)
    and :math:`e_i` an explicit floating-point error bound. Exact at depth 1 (up to
    :math:`e_i`): there :math:`B = 2\epsilon_1\|x\|_\infty` is attained for every
    ``k`` (:func:`depth_one_attaining_perturbation`) and the two minima commute.
    A lower bound on the true worst-case margin beyond.

    Parameters
    ----------
    net : MultiLayerClassifier
    X : array_like, shape (n, d)
    labels : array_like of int, shape (n,)
        Classes in ``[0, K)``.
    eps : float or array_like, shape (L,)
        Per-layer budgets, >= 0.

    Returns
    -------
    CertifiedMargins

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0]]])   # depth 1
    >>> cm = certified_margins(net, [[2.0, 0.0], [0.0, 0.5]], [0, 1], 0.2)
    >>> cm.margins.tolist(), cm.certified.round(6).tolist(), cm.fraction
    ([2.0, 0.5], [1.2, 0.3], 1.0)
    """
    B = pairwise_bound_matrix(net, X, eps)
    X = net._points(X)
    y = as_class_labels(labels, net.n_classes, size=X.shape[0])
    e = _check_eps(eps, net.depth)
    F = net.logits(X)
    rows = np.arange(X.shape[0])
    M = F[rows, y][:, None] - F  # (n, K)
    Bi = B[rows, y]  # (n, K)
    C = M - Bi
    C[rows, y] = np.inf
    M[rows, y] = np.inf
    k = np.argmin(C, axis=1)
    rnd = _rounding_bound(net, np.abs(X).max(axis=1), Bi[rows, k])
    return CertifiedMargins(margins=M.min(axis=1), certified=C[rows, k] - rnd, bounds=Bi,
                            worst_class=k, rounding=rnd, eps=e)


@dataclass(frozen=True)
class MarginPerturbationResult:
    """An attained margin change and its witness perturbation.

    Attributes
    ----------
    deltas : tuple of ndarray
        :math:`\\Delta^i = \\hat W^i - W^i` (inside the budgets).
    margin, perturbed_margin : float
        :math:`m(x)` and :math:`\\hat m(x)` (recomputed by a forward pass).
    change : float
        :math:`|\\hat m - m|`, attained by ``deltas`` (a lower bound on the sup).
    bound : float
        The S4 bound at this instance.
    eps : ndarray
    """

    deltas: tuple
    margin: float
    perturbed_margin: float
    change: float
    bound: float
    eps: np.ndarray

    @property
    def ratio(self) -> float:
        """``change / bound`` (``nan`` when the bound is 0)."""
        return self.change / self.bound if self.bound > 0 else float("nan")

    def to_dict(self) -> dict:
        return {"margin": self.margin, "perturbed_margin": self.perturbed_margin,
                "change": self.change, "bound": self.bound, "eps": self.eps.tolist(),
                "deltas": [D.tolist() for D in self.deltas]}


def _fw_vertex(G: np.ndarray, r: float) -> np.ndarray:
    """Maximizer of <G, D> over the max-row-sum ball of radius r (row by row, all
    mass on a largest |G| entry)."""
    V = np.zeros_like(G)
    j = np.argmax(np.abs(G), axis=1)
    rows = np.arange(G.shape[0])
    V[rows, j] = r * np.sign(G[rows, j])
    return V


def worst_margin_perturbation(net: MultiLayerClassifier, x, y: int, k: int, eps, *,
                              seed, steps: int = 200, starts: int = 4,
                              lr: float = 0.5) -> MarginPerturbationResult:
    r"""Search :math:`\max |\hat m(x) - m(x)|` over :math:`\|\Delta^i\|_\infty \le \epsilon_i`.

    Projected gradient ascent on :math:`s(\hat m - m)` for both signs
    :math:`s = \pm 1`, from the zero perturbation and ``starts - 1`` random
    vertices of the balls, with steps :math:`\Delta^i \leftarrow
    P_i(\Delta^i + \eta_t\epsilon_i G^i / \max|G^i|)`, :math:`\eta_t =
    \mathrm{lr}/\sqrt{1 + t/10}`; at every iterate the Frank–Wolfe vertex
    (the linear maximizer over the balls) is evaluated too. The best
    *evaluated* perturbation is returned: its change is attained, hence a lower
    bound on the supremum.

    Parameters
    ----------
    net : MultiLayerClassifier
    x : array_like, shape (d,)
    y, k : int
    eps : float or array_like, shape (L,)
    seed : int or numpy.random.Generator
    steps : int
        Ascent steps per start and sign.
    starts : int
        Starts per sign (the first is the zero perturbation).
    lr : float
        Relative step size (> 0).

    Returns
    -------
    MarginPerturbationResult

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, -2.0], [0.5, 1.0]]])   # depth 1: attained
    >>> res = worst_margin_perturbation(net, [0.5, -2.0], 0, 1, 0.1, seed=0, steps=3)
    >>> round(res.change, 6), round(res.bound, 6)
    (0.4, 0.4)
    """
    bound = margin_change_bound(net, x, y, k, eps)  # validates net, x, y, k, eps
    x = as_vector(x, "x", size=net.d)
    y, k = net._classes(y, k)
    e = _check_eps(eps, net.depth)
    steps = as_positive_int(steps, "steps")
    starts = as_positive_int(starts, "starts")
    lr = as_finite_float(lr, "lr", positive=True)
    rng = as_rng(seed)
    W = [np.array(M) for M in net.weights]
    psi, dpsi = net._psi, net._dpsi
    m0, _ = margin_and_weight_gradients(W, x, y, k, psi, dpsi)

    def evaluate(D):
        Wh = [Wi + Di for Wi, Di in zip(W, D, strict=True)]
        return margin_and_weight_gradients(Wh, x, y, k, psi, dpsi)

    best = (0.0, [np.zeros_like(Wi) for Wi in W], m0)
    for s in (1.0, -1.0):
        for start in range(starts):
            if start == 0:
                D = [np.zeros_like(Wi) for Wi in W]
            else:
                D = [_fw_vertex(rng.standard_normal(Wi.shape), ei) for Wi, ei in zip(W, e,
                                                                                        strict=True)]
            for t in range(steps + 1):
                m, G = evaluate(D)
                if abs(m - m0) > best[0]:
                    best = (abs(m - m0), [Di.copy() for Di in D], m)
                V = [_fw_vertex(s * Gi, ei) for Gi, ei in zip(G, e, strict=True)]
                mv, _ = evaluate(V)
                if abs(mv - m0) > best[0]:
                    best = (abs(mv - m0), V, mv)
                if t == steps:
                    break
                eta = lr / np.sqrt(1.0 + t / 10.0)
                D = [project_rows_l1(Di + eta * ei * s * Gi / max(np.abs(Gi).max(), 1e-300), ei)
                     for Di, Gi, ei in zip(D, G, e, strict=True)]
    change, D, m = best
    return MarginPerturbationResult(deltas=tuple(D), margin=m0, perturbed_margin=m,
                                    change=float(change), bound=bound, eps=e)


def depth_one_attaining_perturbation(net: MultiLayerClassifier, x, y: int, k: int,
                                     eps) -> tuple[np.ndarray]:
    r"""At depth 1 (:math:`f = W^1 x`), the perturbation attaining the bound
    :math:`2\epsilon_1\|x\|_\infty` [proved here]: with :math:`j = \arg\max|x_j|`,

    .. math::

        \Delta_{y} = \epsilon_1\operatorname{sign}(x_j) e_j,\quad
        \Delta_{k} = -\epsilon_1\operatorname{sign}(x_j) e_j,\quad
        \text{other rows } 0,

    so :math:`\hat m - m = (\Delta_y - \Delta_k)\cdot x = 2\epsilon_1|x_j|`.

    Examples
    --------
    >>> net = MultiLayerClassifier([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    >>> (D,) = depth_one_attaining_perturbation(net, [0.5, -2.0], 2, 0, 0.1)
    >>> float(net.perturbed([D]).margin([0.5, -2.0], 2, 0)[0] - net.margin([0.5, -2.0], 2, 0)[0])
    0.4
    """
    if not isinstance(net, MultiLayerClassifier) or net.depth != 1:
        raise ValueError("net: expected a depth-1 MultiLayerClassifier")
    x = as_vector(x, "x", size=net.d)
    y, k = net._classes(y, k)
    (e1,) = _check_eps(eps, 1)
    j = int(np.argmax(np.abs(x)))
    sgn = 1.0 if x[j] >= 0 else -1.0
    D = np.zeros_like(net.weights[0])
    D[y, j] = e1 * sgn
    D[k, j] = -e1 * sgn
    return (D,)


def nonnegative_tight_instance(widths, *, seed) -> tuple[MultiLayerClassifier, np.ndarray,
                                                          int, int]:
    r"""A relu instance on which the bound is attained at every depth [proved here].

    Hidden weights entrywise positive with every row of a layer summing to the
    same value (so :math:`\|W^i\|_\infty` is attained by every row), ``x`` a
    positive constant vector, and an output layer with :math:`W^L_0 - W^L_1 \ge 0`
    entrywise. Then relu acts as the identity along the whole forward pass and
    :func:`even_spread_perturbation` attains the bound for classes ``(0, 1)``.

    Returns
    -------
    net, x, y, k
        With ``y = 0``, ``k = 1``.

    Examples
    --------
    >>> net, x, y, k = nonnegative_tight_instance((3, 4, 2), seed=0)
    >>> D = even_spread_perturbation(net, y, k, [0.1, 0.2])
    >>> change = net.perturbed(D).margin(x, y, k)[0] - net.margin(x, y, k)[0]
    >>> bool(np.isclose(change, margin_change_bound(net, x, y, k, [0.1, 0.2])))
    True
    """
    widths = [as_positive_int(w, "widths") for w in widths]
    if len(widths) < 2 or widths[-1] < 2:
        raise ValueError(f"widths: needs (d, ..., K) with K >= 2, got {widths}")
    rng = as_rng(seed)
    weights = []
    for n_in, n_out in zip(widths[:-2], widths[1:-1], strict=True):
        A = rng.uniform(0.1, 1.0, size=(n_out, n_in))
        A *= rng.uniform(0.5, 2.0) / A.sum(axis=1, keepdims=True)
        weights.append(A)
    K, n_last = widths[-1], widths[-2]
    WL = rng.standard_normal((K, n_last))
    WL[1] = WL[0] - rng.uniform(0.0, 1.0, size=n_last)
    weights.append(WL)
    x = np.full(widths[0], rng.uniform(0.5, 2.0))
    return MultiLayerClassifier(weights, "relu"), x, 0, 1


def even_spread_perturbation(net: MultiLayerClassifier, y: int, k: int, eps) -> tuple:
    r"""Spread each hidden budget evenly, :math:`\Delta^i = \epsilon_i\mathbf 1
    \mathbf 1^T/n_{i-1}` (``i < L``), and in the last layer
    :math:`\Delta^L_y = \epsilon_L\mathbf 1^T/n_{L-1}`,
    :math:`\Delta^L_k = -\Delta^L_y` (other rows 0). Every row uses its full
    :math:`\ell_1` budget. Attains the bound on :func:`nonnegative_tight_instance`.

    Examples
    --------
    >>> net = MultiLayerClassifier([np.ones((2, 4)), np.ones((3, 2))])
    >>> [D.round(3).tolist()[0] for D in even_spread_perturbation(net, 0, 2, [0.4, 0.2])]
    [[0.1, 0.1, 0.1, 0.1], [0.1, 0.1]]
    """
    y, k = net._classes(y, k)
    e = _check_eps(eps, net.depth)
    D = [np.full(W.shape, ei / W.shape[1]) for W, ei in zip(net.weights[:-1], e, strict=False)]
    WL = net.weights[-1]
    DL = np.zeros_like(WL)
    DL[y] = e[-1] / WL.shape[1]
    DL[k] = -e[-1] / WL.shape[1]
    D.append(DL)
    return tuple(D)
