r"""The :math:`\ell_p` norms the toolkit measures inputs with, :math:`p \in \{1, 2, \infty\}`.

Norms of rows, the dual exponent :math:`q` (:math:`1/p + 1/q = 1`), the dual
direction of Hölder's equality case and operator norms
:math:`\|M\|_{p_{in}\to p_{out}}` (exact where cheap, else a proved upper bound).
"""

from __future__ import annotations

import itertools

import numpy as np

from numerics import rounding

__all__ = ["INF", "MAX_ENUM", "P_VALUES", "dual_direction", "dual_exponent", "lp_norm",
           "operator_norm_bound"]


INF = float("inf")


#: The supported exponents.
P_VALUES = (1.0, 2.0, INF)


#: Enumerate sign vectors of the cube only up to this dimension.
MAX_ENUM = 12


def _as_p(p, name: str = "p") -> float:
    if isinstance(p, str):
        key = p.strip().lower()
        table = {"1": 1.0, "2": 2.0, "inf": INF, "infinity": INF, "oo": INF}
        if key not in table:
            raise ValueError(f"{name}: must be 1, 2 or inf, got {p!r}")
        return table[key]
    if isinstance(p, bool):
        raise ValueError(f"{name}: must be 1, 2 or inf, got {p!r}")
    try:
        v = float(p)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: must be 1, 2 or inf, got {p!r}") from exc
    if v not in P_VALUES:
        raise ValueError(f"{name}: must be 1, 2 or inf, got {p!r}")
    return v


def _p_label(p: float) -> str:
    return "inf" if p == INF else str(int(p))


def dual_exponent(p) -> float:
    r"""The dual exponent :math:`q` with :math:`1/p + 1/q = 1` (1 <-> inf, 2 <-> 2).

    ``p`` may be 1, 2, ``inf`` (float) or the strings ``'1'``, ``'2'``, ``'inf'``.

    Examples
    --------
    >>> dual_exponent(1), dual_exponent("inf"), dual_exponent(2)
    (inf, 1.0, 2.0)
    """
    p = _as_p(p)
    return {1.0: INF, 2.0: 2.0, INF: 1.0}[p]


def lp_norm(V, p) -> np.ndarray:
    r""":math:`\|v\|_p` of each row of ``V`` (m, d), shape (m,).

    Examples
    --------
    >>> lp_norm([[3.0, -4.0]], 1), lp_norm([[3.0, -4.0]], 2), lp_norm([[3.0, -4.0]], "inf")
    (array([7.]), array([5.]), array([4.]))
    """
    p = _as_p(p)
    V = np.atleast_2d(np.asarray(V, dtype=float))
    if p == 1.0:
        return np.abs(V).sum(axis=1)
    if p == 2.0:
        return np.linalg.norm(V, axis=1)
    return np.abs(V).max(axis=1)


def dual_direction(G, p) -> np.ndarray:
    r"""For each row g of ``G``, a vector v with :math:`\|v\|_p = 1` and
    :math:`v\cdot g = \|g\|_q` (Hölder's equality case; also a subgradient
    of :math:`\|\cdot\|_q` at g). p = 2: :math:`g/\|g\|_2`; p = inf:
    :math:`\mathrm{sign}(g)`; p = 1: :math:`\mathrm{sign}(g_j)e_j` with
    :math:`|g_j|` maximal. Rows g = 0 give :math:`e_1`.

    Examples
    --------
    >>> dual_direction([[3.0, -4.0]], 1), dual_direction([[3.0, -4.0]], "inf")
    (array([[ 0., -1.]]), array([[ 1., -1.]]))
    """
    p = _as_p(p)
    G = np.atleast_2d(np.asarray(G, dtype=float))
    m, d = G.shape
    V = np.zeros_like(G)
    zero = ~np.any(G != 0, axis=1)
    if p == 2.0:
        # rescale by the largest entry first: squares of tiny rows underflow
        s = np.abs(G).max(axis=1, keepdims=True)
        H = G / np.where(s > 0, s, 1.0)
        n = np.linalg.norm(H, axis=1, keepdims=True)
        V = H / np.where(n > 0, n, 1.0)
    elif p == INF:
        V = np.sign(G)
    else:
        j = np.argmax(np.abs(G), axis=1)
        V[np.arange(m), j] = np.sign(G[np.arange(m), j])
    V[zero] = 0.0
    V[zero, 0] = 1.0
    return V


def operator_norm_bound(M, p_in, p_out) -> float:
    r"""The operator norm :math:`\|M\|_{p_{in}\to p_{out}} = \max_{\|x\|_{p_{in}}\le 1}
    \|Mx\|_{p_{out}}`, exactly where it is cheap, otherwise a proved upper
    bound of it, rounded up by its floating-point error (the (2, 2) norm certified by
    :func:`numerics.rounding.certified_operator_norm`).

    Exact cases (M is (r, c) with rows :math:`m_i`, columns :math:`M_{:j}`):

    - :math:`p_{in} = 1`: :math:`\max_j \|M_{:j}\|_{p_{out}}` (the unit
      :math:`\ell_1` ball is the convex hull of :math:`\pm e_j`);
    - :math:`p_{out} = \infty`: :math:`\max_i \|m_i\|_{p_{in}^*}` (Hölder per row);
    - :math:`(2, 2)`: the largest singular value;
    - :math:`(\infty, p_{out})` with :math:`c \le` ``MAX_ENUM``:
      :math:`\max_{\sigma\in\{\pm1\}^c}\|M\sigma\|_{p_{out}}` (a convex
      function on the cube is maximal at a vertex).

    Bounds otherwise: :math:`\|M\|_{\infty\to 2} \le \min(\sqrt c\,\|M\|_{op},
    (\sum_i\|m_i\|_1^2)^{1/2})` (:math:`|m_i\cdot x| \le \|m_i\|_1\|x\|_\infty`);
    :math:`\|M\|_{\infty\to 1} \le \min(\sqrt r\,\|M\|_{\infty\to 2}\text{-bound},
    \sum_{ij}|M_{ij}|)`; :math:`\|M\|_{2\to 1} = \|M^T\|_{\infty\to 2}`
    (duality).

    Examples
    --------
    >>> M = np.array([[1.0, -2.0], [3.0, 4.0]])
    >>> round(operator_norm_bound(M, 1, 1), 9), round(operator_norm_bound(M, "inf", "inf"), 9)
    (6.0, 7.0)
    >>> round(operator_norm_bound(M, 2, 2), 6), round(operator_norm_bound(M, "inf", 2), 6)
    (5.116673, 7.071068)
    """
    M = np.atleast_2d(np.asarray(M, dtype=float))
    pi, po = _as_p(p_in, "p_in"), _as_p(p_out, "p_out")
    r, c = M.shape
    if pi == 2.0 and po == 2.0:
        return rounding.certified_operator_norm(M)
    # every other value is a max of sums of at most r c + r + c non-negative terms
    return rounding.round_up_bound(_operator_norm_float(M, pi, po), 2 * (r * c + r + c) + 16)


def _operator_norm_float(M: np.ndarray, pi: float, po: float) -> float:
    r, c = M.shape
    if pi == 1.0:
        return float(lp_norm(M.T, po).max())
    if po == INF:
        return float(lp_norm(M, dual_exponent(pi)).max())
    if pi == 2.0 and po == 1.0:
        return operator_norm_bound(M.T, INF, 2.0)
    # pi == inf, po in {1, 2}
    if c <= MAX_ENUM:
        S = np.array(list(itertools.product([-1.0, 1.0], repeat=c)))
        return float(lp_norm(S @ M.T, po).max())
    spec = rounding.certified_operator_norm(M)
    b2 = min(rounding.up(np.sqrt(c)) * spec, float(np.sqrt(np.sum(lp_norm(M, 1) ** 2))))
    if po == 2.0:
        return float(b2)
    return float(min(rounding.up(np.sqrt(r)) * b2, np.abs(M).sum()))
