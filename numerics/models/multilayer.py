r"""Bias-free multilayer classifiers for S4 (margin robustness to weight perturbations).

.. math::

    h^0 = x,\qquad h^i = \psi(W^i h^{i-1})\ (1 \le i < L),\qquad
    f(x) = W^L h^{L-1} \in \mathbb R^K \quad\text{(logits)}.

Shapes: ``W^1`` is (n_1, d), ``W^i`` is (n_i, n_{i-1}), the last ``W^L`` is
(K, n_{L-1}) with ``K >= 2`` classes; batches of inputs are (m, d). The
activation is a spec string resolved by :func:`theory.activations.get_activation`
and must satisfy the hypotheses of the S4 bound (1-Lipschitz, :math:`\psi(0) = 0`),
checked symbolically by :func:`theory.perturbation.activation_hypotheses`
(relu, leaky relu, tanh, abs pass; softplus and powers are refused).

Examples
--------
>>> net = MultiLayerClassifier([[[1.0, -1.0], [0.5, 2.0]], [[1.0, 0.0], [0.0, 1.0]]], "relu")
>>> net.logits([[1.0, 1.0]])
array([[0. , 2.5]])
>>> net.depth, net.widths, net.n_classes
(2, (2, 2, 2), 2)
>>> net.margin([[1.0, 1.0]], y=1, k=0)
array([2.5])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from numerics._validate import as_matrix, as_positive_int, as_rng
from theory.activations import Activation, get_activation
from theory.perturbation import activation_hypotheses

__all__ = [
    "MultiLayerClassifier",
    "batched_backward",
    "batched_forward",
    "inf_norm",
    "margin_and_weight_gradients",
]


def inf_norm(W) -> float:
    r"""The matrix :math:`\infty`-norm, the max absolute row sum
    :math:`\|W\|_\infty = \max_r \sum_c |W_{rc}|` (operator norm
    :math:`\ell_\infty\to\ell_\infty`).

    Examples
    --------
    >>> inf_norm([[1.0, -2.0], [0.5, 0.5]])
    3.0
    """
    W = as_matrix(W, "W")
    return float(np.abs(W).sum(axis=1).max())


_HYPOTHESES: dict[str, dict] = {}


def _hypotheses(act: Activation) -> dict:
    """:func:`theory.perturbation.activation_hypotheses`, cached per spec (sympy is slow)."""
    if act.spec not in _HYPOTHESES:
        _HYPOTHESES[act.spec] = activation_hypotheses(act)
    return _HYPOTHESES[act.spec]


def margin_and_weight_gradients(weights: Sequence[np.ndarray], x: np.ndarray, y: int, k: int,
                                psi, dpsi) -> tuple[float, list[np.ndarray]]:
    r"""Unvalidated fast path of :meth:`MultiLayerClassifier.margin_weight_gradients`
    (raw weight list, 1-D ``x``, numeric :math:`\psi, \psi'`); used in inner loops."""
    H = [x]
    Z = []
    for W in weights[:-1]:
        Z.append(W @ H[-1])
        H.append(psi(Z[-1]))
    WL = weights[-1]
    grads: list[np.ndarray] = [np.zeros_like(W) for W in weights]
    grads[-1][y] = H[-1]
    grads[-1][k] = -H[-1]
    g = WL[y] - WL[k]
    m = float(H[-1] @ g)
    for i in range(len(weights) - 2, -1, -1):
        gz = g * dpsi(Z[i])
        grads[i] = np.outer(gz, H[i])
        g = weights[i].T @ gz
    return m, grads


def batched_forward(weights: Sequence[np.ndarray], X: np.ndarray, psi
                    ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    r"""Forward pass of ``B`` networks of one architecture at once (unvalidated fast path).

    .. math::

        h^0_b = X_b,\qquad z^i_b = h^{i-1}_b (W^i_b)^T,\qquad h^i_b = \psi(z^i_b),
        \qquad F_b = h^{L-1}_b (W^L_b)^T .

    Parameters
    ----------
    weights : list of ndarray
        ``W^i`` of shape (B, n_i, n_{i-1}) (a leading axis of length 1 broadcasts).
    X : ndarray, shape (B, m, d)
        ``m`` inputs per network (axis 0 may have length 1 and broadcast).
    psi : callable
        The activation, vectorized.

    Returns
    -------
    Z : list of ndarray
        Pre-activations, each (B, m, n_i), ``i < L``.
    H : list of ndarray
        ``[h^0, ..., h^{L-1}]``, each (B, m, n_i).
    F : ndarray, shape (B, m, K)
        Logits.

    Examples
    --------
    >>> net = MultiLayerClassifier.random((3, 4, 2), seed=0)
    >>> X = np.ones((5, 3))
    >>> _, _, F = batched_forward([W[None] for W in net.weights], X[None], net._psi)
    >>> bool(np.allclose(F[0], net.logits(X)))
    True
    """
    H = [X]
    Z = []
    for W in weights[:-1]:
        Z.append(np.matmul(H[-1], np.swapaxes(W, -1, -2)))
        H.append(psi(Z[-1]))
    F = np.matmul(H[-1], np.swapaxes(weights[-1], -1, -2))
    return Z, H, F


def batched_backward(weights: Sequence[np.ndarray], Z: list, H: list, GF: np.ndarray,
                     dpsi) -> list[np.ndarray]:
    r"""Gradients of :math:`\Phi_b = \sum_{j,c} G_{bjc} F_{bjc}` with respect to every
    ``W^i_b`` (backpropagation with fixed coefficients ``GF``).

    .. math::

        \frac{\partial\Phi_b}{\partial W^L_b} = G_b^T h^{L-1}_b,\qquad
        g^{L-1}_b = G_b W^L_b,\qquad
        \frac{\partial\Phi_b}{\partial W^i_b} = (g^i_b\odot\psi'(z^i_b))^T h^{i-1}_b,\qquad
        g^{i-1}_b = (g^i_b\odot\psi'(z^i_b)) W^i_b .

    Parameters
    ----------
    weights, Z, H
        As for :func:`batched_forward`.
    GF : ndarray, shape (B, m, K)
        Coefficients on the logits (e.g. ``softmax - onehot`` for cross-entropy).
    dpsi : callable
        Derivative of the activation (for relu the right derivative at 0).

    Returns
    -------
    list of ndarray
        One gradient per layer, shape (B, n_i, n_{i-1}).

    Examples
    --------
    >>> net = MultiLayerClassifier.random((3, 4, 2), seed=0)
    >>> x = np.array([0.5, -1.0, 2.0])
    >>> Ws = [W[None] for W in net.weights]
    >>> Z, H, F = batched_forward(Ws, x[None, None], net._psi)
    >>> G = batched_backward(Ws, Z, H, np.array([[[1.0, -1.0]]]), net._dpsi)
    >>> m, ref = net.margin_weight_gradients(x, 0, 1)
    >>> all(np.allclose(g[0], r) for g, r in zip(G, ref))
    True
    """
    B = max(GF.shape[0], *(W.shape[0] for W in weights))
    grads: list = [None] * len(weights)
    grads[-1] = np.matmul(np.swapaxes(GF, -1, -2), H[-1])
    g = np.matmul(GF, weights[-1])
    for i in range(len(weights) - 2, -1, -1):
        gz = g * dpsi(Z[i])
        grads[i] = np.matmul(np.swapaxes(gz, -1, -2), H[i])
        if i:
            g = np.matmul(gz, weights[i])
    return [np.broadcast_to(G, (B, *G.shape[1:])) if G.shape[0] != B else G for G in grads]


class MultiLayerClassifier:
    """A bias-free feed-forward classifier with ``L`` weight layers.

    Parameters
    ----------
    weights : sequence of array_like
        ``[W^1, ..., W^L]`` with ``W^1`` (n_1, d), ``W^i`` (n_i, n_{i-1}) and
        the output layer ``W^L`` (K, n_{L-1}), ``K >= 2``.
    activation : str or Activation
        1-Lipschitz with :math:`\\psi(0) = 0` (e.g. ``'relu'``,
        ``'leaky_relu:0.1'``, ``'tanh'``).

    Raises
    ------
    ValueError
        Naming the argument: empty ``weights``, non-finite entries, shapes that
        do not chain, fewer than 2 classes, or an activation that is not
        1-Lipschitz or does not vanish at 0.
    """

    __slots__ = ("weights", "activation", "_psi", "_dpsi")

    def __init__(self, weights: Sequence, activation: str | Activation = "relu"):
        if isinstance(weights, np.ndarray) and weights.ndim == 2:
            weights = [weights]
        try:
            weights = list(weights)
        except TypeError as exc:
            raise ValueError("weights: expected a sequence of 2-D arrays") from exc
        if not weights:
            raise ValueError("weights: needs at least one layer")
        mats = []
        for i, W in enumerate(weights):
            M = as_matrix(W, f"weights[{i}]")
            if mats and M.shape[1] != mats[-1].shape[0]:
                raise ValueError(f"weights[{i}]: expected {mats[-1].shape[0]} columns "
                                 f"(rows of weights[{i - 1}]), got shape {M.shape}")
            M.setflags(write=False)
            mats.append(M)
        if mats[-1].shape[0] < 2:
            raise ValueError(f"weights: the output layer needs >= 2 rows (classes), "
                             f"got shape {mats[-1].shape}")
        act = get_activation(activation)
        hyp = _hypotheses(act)
        if not hyp["holds"]:
            raise ValueError(f"activation: {act.spec} violates the S4 hypotheses ({hyp['reason']})")
        self.weights = tuple(mats)
        self.activation = act
        self._psi = act.numeric
        self._dpsi = act.numeric_derivative

    # -- facts ------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Number of weight layers ``L``."""
        return len(self.weights)

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.weights[0].shape[1]

    @property
    def n_classes(self) -> int:
        """Number of classes ``K`` (rows of the output layer)."""
        return self.weights[-1].shape[0]

    @property
    def widths(self) -> tuple[int, ...]:
        """``(d, n_1, ..., n_{L-1}, K)``."""
        return (self.d, *(W.shape[0] for W in self.weights))

    @property
    def spec(self) -> str:
        """Activation spec string."""
        return self.activation.spec

    def __repr__(self) -> str:
        return f"MultiLayerClassifier(widths={self.widths}, activation={self.spec!r})"

    def layer_norms(self) -> np.ndarray:
        r""":math:`\|W^i\|_\infty` for every layer, shape (L,)."""
        return np.array([float(np.abs(W).sum(axis=1).max()) for W in self.weights])

    def _points(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[None, :]
        return as_matrix(X, "X", cols=self.d)

    # -- evaluation -------------------------------------------------------
    def forward(self, X) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations ``[z^1..z^{L-1}]`` and hidden outputs ``[h^0..h^{L-1}]``
        (each (m, n_i); ``h^0 = X``)."""
        H = [self._points(X)]
        Z = []
        for W in self.weights[:-1]:
            Z.append(H[-1] @ W.T)
            H.append(self._psi(Z[-1]))
        return Z, H

    def logits(self, X) -> np.ndarray:
        """Logits :math:`f(x)`, shape (m, K)."""
        _, H = self.forward(X)
        return H[-1] @ self.weights[-1].T

    __call__ = logits

    def _classes(self, y: int, k: int) -> tuple[int, int]:
        K = self.n_classes
        for name, v in (("y", y), ("k", k)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < K:
                raise ValueError(f"{name}: must be a class index in [0, {K}), got {v!r}")
        if y == k:
            raise ValueError(f"k: must differ from y, got y = k = {y}")
        return int(y), int(k)

    def margin(self, X, y: int, k: int) -> np.ndarray:
        r"""The pairwise margin :math:`f_y(x) - f_k(x)` per row, shape (m,)."""
        y, k = self._classes(y, k)
        F = self.logits(X)
        return F[:, y] - F[:, k]

    def margin_weight_gradients(self, x, y: int, k: int) -> tuple[float, list[np.ndarray]]:
        r"""The margin at one point and its gradients with respect to every weight
        matrix (backpropagation; for relu the right derivative at 0).

        .. math::

            \frac{\partial m}{\partial W^L} = (e_y - e_k) (h^{L-1})^T,\quad
            g^{L-1} = (W^L_y - W^L_k),\quad
            \frac{\partial m}{\partial W^i} = (g^i \odot \psi'(z^i)) (h^{i-1})^T,\quad
            g^{i-1} = (W^i)^T (g^i\odot\psi'(z^i)).

        Returns
        -------
        margin : float
        grads : list of ndarray, shapes of :attr:`weights`
        """
        y, k = self._classes(y, k)
        x = self._points(x)
        if x.shape[0] != 1:
            raise ValueError(f"x: expected one point, got shape {x.shape}")
        return margin_and_weight_gradients(self.weights, x[0], y, k, self._psi, self._dpsi)

    def with_weights(self, weights: Sequence) -> MultiLayerClassifier:
        """A classifier with the same activation and new weights (validated)."""
        return MultiLayerClassifier(weights, self.activation)

    def perturbed(self, deltas: Sequence) -> MultiLayerClassifier:
        r"""The classifier with weights :math:`\hat W^i = W^i + \Delta^i`."""
        deltas = list(deltas)
        if len(deltas) != self.depth:
            raise ValueError(f"deltas: expected {self.depth} matrices, got {len(deltas)}")
        new = []
        for i, (W, D) in enumerate(zip(self.weights, deltas, strict=True)):
            new.append(W + as_matrix(D, f"deltas[{i}]", rows=W.shape[0], cols=W.shape[1]))
        return self.with_weights(new)

    # -- random instances -------------------------------------------------
    @classmethod
    def random(cls, widths: Sequence[int], activation: str | Activation = "relu", *,
               seed, scale: str = "he") -> MultiLayerClassifier:
        r"""A random classifier with ``widths = (d, n_1, ..., n_{L-1}, K)``.

        Entries i.i.d. :math:`N(0, 2/n_{i-1})` (``scale='he'``) or
        :math:`N(0, 1/n_{i-1})` (``scale='lecun'``).

        Examples
        --------
        >>> MultiLayerClassifier.random((3, 4, 2), seed=0).widths
        (3, 4, 2)
        """
        widths = [as_positive_int(w, "widths") for w in widths]
        if len(widths) < 2:
            raise ValueError(f"widths: needs (d, ..., K), got {widths}")
        if scale not in ("he", "lecun"):
            raise ValueError(f"scale: must be 'he' or 'lecun', got {scale!r}")
        rng = as_rng(seed)
        gain = 2.0 if scale == "he" else 1.0
        weights = [rng.standard_normal((n_out, n_in)) * np.sqrt(gain / n_in)
                   for n_in, n_out in zip(widths[:-1], widths[1:], strict=True)]
        return cls(weights, activation)
