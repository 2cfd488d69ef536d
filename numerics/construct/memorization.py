r"""Memorization by three-layer threshold networks sized by the data's geometry
(S2: Dirksen, Finke, Genzel, JMLR 2024; ``docs/mathematics.md#s2-memorization``).

With :math:`H(z) = \mathbf 1[z > 0]` (so :math:`H(0) = 0`) and data rescaled so
that :math:`\max_i\|x_i\| = 1`:

1. first layer: :math:`N` hyperplanes, rows :math:`g_j \sim N(0, I_d)` (not
   normalized) and biases :math:`\tau_j \sim \mathrm{Unif}[-\lambda, \lambda]`,
   :math:`\Phi(x) = H(Gx + \tau) \in \{0,1\}^N`;
2. greedy randomized cover of the class :math:`C` labelled +1 against
   :math:`C'` (label −1): candidates :math:`S = C`, uncovered :math:`U = C`;
   while both are non-empty pick :math:`x^* \in S` uniformly at random, remove it
   from S, put :math:`u = \mathbf 1[\Phi(x^*) = 0]` and
   :math:`m = \min_{x\in C'}\langle u, \Phi(x)\rangle`; if :math:`m > 0` keep the
   neuron :math:`h(x) = H(m - \langle u, \Phi(x)\rangle)` and remove from S and U
   every :math:`x \in C` with :math:`\langle u,\Phi(x)\rangle < m`;
3. output :math:`F(x) = H(\sum_k h_k(x))` (an OR).

:math:`h` fires on :math:`x^*` (:math:`\langle u,\Phi(x^*)\rangle = 0 < m`) and on
no point of :math:`C'` (there :math:`\langle u,\Phi\rangle \ge m`), so
:math:`F = 0` on :math:`C'` by construction and F interpolates exactly when U is
empty at the end. Parameters: :math:`N(d+1) + K(N+1) + (K+1)`. Several classes:
one-vs-rest, the first layer shared (one cover per class).

Nothing is assumed: :func:`memorize` evaluates the network it built on every
point and compares with the labels, so a wrong cover step is caught by the
check, not trusted. Features are stored bit-packed (:func:`numpy.packbits`), so
:math:`\langle u, \Phi(x)\rangle` is a popcount and :math:`10^6` points fit in
memory.

Examples
--------
>>> X = np.array([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0]])
>>> res = memorize(X, [1, 1, -1, -1], width=50, bias_range=0.5, seed=0)
>>> res.interpolates, res.uncovered, res.parameters == 50 * 3 + res.K * 51 + res.K + 1
(True, 0, True)
>>> res.net.predict(X).tolist()
[1, 1, -1, -1]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numerics._validate import as_finite_float, as_matrix, as_positive_int, as_rng
from numerics.data import validate_dataset

__all__ = [
    "CoverResult",
    "MemorizationResult",
    "ThresholdNetwork",
    "greedy_cover",
    "memorize",
    "memorize_multiclass",
    "packed_features",
    "parameter_count",
    "popcount_products",
]

#: Rows per chunk when features are computed or evaluated in blocks.
CHUNK = 65536


def parameter_count(N: int, d: int, K) -> int:
    r"""Weights and biases of the threshold network: :math:`N(d+1)` (first layer)
    plus, per class head with K second-layer neurons, :math:`K(N+1) + (K+1)`.

    ``K`` is an int (one head) or a sequence of ints (one per head).

    >>> parameter_count(200, 2, 6)
    1813
    >>> parameter_count(10, 3, [1, 2])
    78
    """
    Ks = [int(K)] if np.ndim(K) == 0 else [int(k) for k in K]
    return int(N * (d + 1) + sum(k * (N + 1) + (k + 1) for k in Ks))


def packed_features(X: np.ndarray, G: np.ndarray, tau: np.ndarray) -> np.ndarray:
    r""":math:`\Phi(x) = H(Gx + \tau)` for every row, bit-packed along the N
    features: uint8 array of shape (n, ceil(N/8)); the padding bits are 0.

    >>> packed_features(np.array([[1.0]]), np.array([[1.0], [-1.0]]), np.zeros(2))
    array([[128]], dtype=uint8)
    """
    out = np.empty((X.shape[0], (G.shape[0] + 7) // 8), dtype=np.uint8)
    for a in range(0, X.shape[0], CHUNK):
        Z = X[a:a + CHUNK] @ G.T + tau
        out[a:a + CHUNK] = np.packbits(Z > 0, axis=1)
    return out


def popcount_products(P: np.ndarray, U: np.ndarray) -> np.ndarray:
    r""":math:`\langle u_k, \Phi(x_i)\rangle` for packed features P (n, B) and
    packed rows U (K, B): int array (n, K).

    >>> P = np.packbits(np.array([[1, 1, 0], [0, 1, 1]], bool), axis=1)
    >>> U = np.packbits(np.array([[1, 0, 1]], bool), axis=1)
    >>> popcount_products(P, U).ravel().tolist()
    [1, 1]
    """
    out = np.empty((P.shape[0], U.shape[0]), dtype=np.int64)
    step = max(1, CHUNK // max(1, U.shape[0]))
    for a in range(0, P.shape[0], step):
        out[a:a + step] = np.bitwise_count(P[a:a + step, None, :] & U[None, :, :]).sum(axis=2)
    return out


def _min_count(P: np.ndarray, u: np.ndarray, block: int = 4096) -> int:
    r""":math:`\min_i \langle u, \Phi(x_i)\rangle` over the rows of P, scanning
    blocks and stopping at the first zero (the common way a candidate fails)."""
    best = None
    for a in range(0, P.shape[0], block):
        v = int(np.bitwise_count(P[a:a + block] & u).sum(axis=1).min())
        best = v if best is None else min(best, v)
        if best == 0:
            break
    return int(best)


def _valid_mask(N: int) -> np.ndarray:
    return np.packbits(np.ones(N, bool))


@dataclass(frozen=True)
class CoverResult:
    """Second-layer neurons of one head: packed rows ``U`` (K, B) and
    thresholds ``m`` (K,), and which positives the cover *claims* to have
    covered (``covered``, bool (n+,)); :func:`memorize` re-checks the claim."""

    U: np.ndarray
    m: np.ndarray
    covered: np.ndarray
    candidates_tried: int


def greedy_cover(P_pos: np.ndarray, P_neg: np.ndarray, N: int,
                 rng: np.random.Generator) -> CoverResult:
    r"""The greedy randomized cover of the positives (module docstring, step 2).

    Picking :math:`x^*` uniformly from the remaining candidates at every step is
    the same as walking one uniform random permutation of C and skipping points
    already removed, which is what is done. Each step costs one popcount pass
    over :math:`C'` and over the still-uncovered positives.

    Parameters
    ----------
    P_pos, P_neg : uint8 arrays (n+, B), (n-, B)
        Packed features of C and C' (:func:`packed_features`).
    N : int
        Number of first-layer features.
    rng : numpy.random.Generator

    Examples
    --------
    >>> P = lambda rows: np.packbits(np.array(rows, bool), axis=1)
    >>> cov = greedy_cover(P([[1, 0, 0], [1, 1, 0]]), P([[0, 1, 1]]), 3,
    ...                    np.random.default_rng(0))
    >>> cov.covered.tolist(), cov.m.tolist()
    ([True, True], [2])
    """
    valid = _valid_mask(N)
    n_pos = P_pos.shape[0]
    S = np.ones(n_pos, bool)
    uncovered = np.ones(n_pos, bool)
    Us, ms, tried = [], [], 0
    for i in rng.permutation(n_pos):
        if not uncovered.any():
            break
        if not S[i]:
            continue
        S[i] = False
        tried += 1
        u = ~P_pos[i] & valid
        m = _min_count(P_neg, u)
        if m > 0:
            idx = np.flatnonzero(uncovered)
            hit = idx[np.bitwise_count(P_pos[idx] & u).sum(axis=1) < m]
            S[hit] = False
            uncovered[hit] = False
            Us.append(u)
            ms.append(m)
    B = P_pos.shape[1]
    U = np.array(Us, dtype=np.uint8).reshape(len(Us), B)
    return CoverResult(U, np.array(ms, dtype=np.int64), ~uncovered, tried)


class ThresholdNetwork:
    r"""A three-layer threshold network with a shared first layer and one OR
    head per class.

    Head c computes :math:`F_c(x) = H(\sum_k H(m_{c,k} - \langle u_{c,k},
    \Phi(x)\rangle))`. With one head (two classes) :meth:`predict` returns
    :math:`2F - 1 \in \{\pm1\}`; with several, the label of the first head
    that fires (``classes[0]``-based order; ``None`` fires nowhere → ``fill``).

    Parameters
    ----------
    G : array (N, d); tau : array (N,)
    U : uint8/bool array (sum K_c, N) of 0/1 entries; m : int array (sum K_c,)
    head : int array (sum K_c,)
        Which head each second-layer neuron belongs to.
    classes : sequence
        One label per head (for two classes: ``[1]``, the covered class).

    Examples
    --------
    >>> net = ThresholdNetwork([[1.0]], [0.0], [[1]], [1], [0], [1])
    >>> net(np.array([[-1.0], [0.5]])).tolist(), net.predict(np.array([[-1.0]])).tolist()
    ([1, 0], [1])
    >>> net.n_params == parameter_count(1, 1, 1) == 6
    True
    """

    def __init__(self, G, tau, U, m, head, classes):
        self.G = as_matrix(G, "G")
        self.N, self.d = self.G.shape
        tau = np.asarray(tau, dtype=float).reshape(-1)
        if tau.shape != (self.N,) or not np.all(np.isfinite(tau)):
            raise ValueError(f"tau: expected {self.N} finite biases")
        self.tau = tau
        U = np.asarray(U).reshape(-1, self.N)
        if not np.all((U == 0) | (U == 1)):
            raise ValueError("U: entries must be 0 or 1")
        self.U = U.astype(bool)
        self.m = np.asarray(m, dtype=np.int64).reshape(-1)
        self.head = np.asarray(head, dtype=np.int64).reshape(-1)
        self.classes = np.asarray(classes).reshape(-1)
        if not (len(self.m) == len(self.head) == len(self.U)):
            raise ValueError("m: U, m and head must have one entry per second-layer neuron")
        if len(self.head) and (self.head.min() < 0 or self.head.max() >= len(self.classes)):
            raise ValueError("head: indices must address classes")
        self._Up = np.packbits(self.U, axis=1).reshape(len(self.U), (self.N + 7) // 8)

    @property
    def widths(self) -> tuple[int, ...]:
        """Second-layer width of each head."""
        return tuple(int(np.sum(self.head == c)) for c in range(len(self.classes)))

    @property
    def K(self) -> int:
        """Total second-layer width."""
        return int(len(self.m))

    @property
    def n_params(self) -> int:
        """:func:`parameter_count` of this network."""
        return parameter_count(self.N, self.d, self.widths)

    def features(self, X) -> np.ndarray:
        r"""Bool (n, N) array :math:`\Phi(x_i)`."""
        X = as_matrix(X, "X", cols=self.d)
        return (X @ self.G.T + self.tau) > 0

    def hidden(self, X) -> np.ndarray:
        """Second-layer outputs, bool (n, sum K_c)."""
        X = as_matrix(X, "X", cols=self.d)
        P = packed_features(X, self.G, self.tau)
        return popcount_products(P, self._Up) < self.m

    def head_outputs(self, X) -> np.ndarray:
        r"""Bool (n, number of heads): :math:`F_c(x_i)`."""
        Hd = self.hidden(X)
        out = np.zeros((Hd.shape[0], len(self.classes)), bool)
        for c in range(len(self.classes)):
            out[:, c] = Hd[:, self.head == c].any(axis=1)
        return out

    def __call__(self, X) -> np.ndarray:
        """F(x) in {0, 1} (int) for one head; the (n, C) head outputs otherwise."""
        out = self.head_outputs(X).astype(np.int64)
        return out[:, 0] if len(self.classes) == 1 else out

    def predict(self, X, fill=-1) -> np.ndarray:
        """Labels: ±1 for one head; otherwise the first firing head's class (``fill``
        where none fires)."""
        F = self.head_outputs(X)
        if len(self.classes) == 1:
            return np.where(F[:, 0], 1, -1)
        lab = self.classes[np.argmax(F, axis=1)]
        return np.where(F.any(axis=1), lab, fill)

    def save(self, path) -> Path:
        """Write G, tau, U (uint8), m, head, classes to ``.npz``."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        np.savez(path, kind=np.array("threshold-memorizer"), G=self.G, tau=self.tau,
                 U=self.U.astype(np.uint8), m=self.m, head=self.head, classes=self.classes)
        return path

    @classmethod
    def load(cls, path) -> ThresholdNetwork:
        """Read a network written by :meth:`save` (ValueError naming ``path`` if
        it is not one)."""
        with np.load(Path(path), allow_pickle=False) as z:
            need = {"kind", "G", "tau", "U", "m", "head", "classes"}
            if not need <= set(z.files) or str(z["kind"]) != "threshold-memorizer":
                raise ValueError(f"path: {path} is not a threshold network written by save()")
            return cls(z["G"], z["tau"], z["U"], z["m"], z["head"], z["classes"])

    def __repr__(self) -> str:
        return f"ThresholdNetwork(d={self.d}, N={self.N}, widths={self.widths})"


@dataclass(frozen=True)
class MemorizationResult:
    r"""What :func:`memorize` returns.

    ``interpolates`` is measured on every point (never the cover's claim);
    ``uncovered`` counts points of a covered class where their head is 0;
    ``false_positives`` counts points where a head fires outside its class
    (0 unless the cover step is wrong); ``consistent`` says whether the cover's
    claim agrees with the check.
    """

    net: ThresholdNetwork
    interpolates: bool
    uncovered: int
    false_positives: int
    consistent: bool
    K: int
    widths: tuple[int, ...]
    parameters: int
    candidates_tried: int
    params: dict = field(default_factory=dict)

    @property
    def second_layer_width(self) -> int:
        """Alias of ``K``."""
        return self.K

    def to_dict(self) -> dict:
        """JSON-friendly summary (no weights)."""
        return {"interpolates": self.interpolates, "uncovered": self.uncovered,
                "false_positives": self.false_positives, "consistent": self.consistent,
                "second_layer_width": self.K, "widths": list(self.widths),
                "parameters": self.parameters, "candidates_tried": self.candidates_tried,
                **self.params}


Cover = Callable[[np.ndarray, np.ndarray, int, np.random.Generator], CoverResult]


def _check_knobs(width, bias_range) -> tuple[int, float]:
    return as_positive_int(width, "width"), as_finite_float(bias_range, "bias_range",
                                                              nonnegative=True)


def _first_layer(d: int, N: int, lam: float, rng: np.random.Generator):
    G = rng.standard_normal((N, d))
    tau = rng.uniform(-lam, lam, size=N)
    return G, tau


def _build(X, labels, classes, N, lam, rng, cover: Cover, positive_of) -> MemorizationResult:
    G, tau = _first_layer(X.shape[1], N, lam, rng)
    P = packed_features(X, G, tau)
    Us, ms, heads, claimed, tried = [], [], [], 0, 0
    for c, cls in enumerate(classes):
        pos = positive_of(cls)
        cov = cover(P[pos], P[~pos], N, rng)
        Us.append(np.unpackbits(cov.U, axis=1, count=N).reshape(-1, N))
        ms.append(cov.m)
        heads.append(np.full(len(cov.m), c))
        claimed += int(np.sum(~cov.covered))
        tried += cov.candidates_tried
    net = ThresholdNetwork(G, tau, np.concatenate(Us), np.concatenate(ms),
                           np.concatenate(heads), classes)
    F = net.head_outputs(X)
    truth = np.stack([positive_of(cls) for cls in classes], axis=1)
    uncovered = int(np.sum(truth & ~F))
    false_pos = int(np.sum(~truth & F))
    ok = uncovered == 0 and false_pos == 0
    return MemorizationResult(
        net, ok, uncovered, false_pos, consistent=(false_pos == 0 and uncovered == claimed),
        K=net.K, widths=net.widths, parameters=net.n_params, candidates_tried=tried,
        params={"width": N, "bias_range": lam, "n": int(X.shape[0]), "d": int(X.shape[1])})


def memorize(X, y, width: int, bias_range: float, seed=0, *,
             cover: Cover = greedy_cover) -> MemorizationResult:
    r"""Build the S2 threshold network for two classes (the +1 class is covered)
    and check it on every point.

    Parameters
    ----------
    X : array (n, d)
        Points (rescale to max norm 1 first: λ is measured on that scale).
    y : array (n,) of ±1
        Both classes must occur; a point may not occur twice with opposite labels.
    width : int >= 1
        N, the number of first-layer hyperplanes.
    bias_range : float >= 0
        λ (biases uniform in [−λ, λ]).
    seed : int or numpy.random.Generator
    cover : callable, optional
        The cover step (default :func:`greedy_cover`); any replacement is
        checked like the default.

    Returns
    -------
    MemorizationResult

    Raises
    ------
    ValueError
        Naming ``X``, ``y``, ``width`` or ``bias_range``.

    Examples
    --------
    >>> X = np.array([[0.5, 0.0], [-0.5, 0.0], [0.0, 0.9]])
    >>> memorize(X, [1, -1, 1], width=40, bias_range=1.0, seed=1).interpolates
    True
    """
    X, y = validate_dataset(X, y)
    if np.all(y == y[0]):
        raise ValueError("y: both classes (+1 and -1) must occur")
    N, lam = _check_knobs(width, bias_range)
    return _build(X, y, [1], N, lam, as_rng(seed), cover, lambda c: y == c)


def memorize_multiclass(X, labels, width: int, bias_range: float, seed=0, *,
                        cover: Cover = greedy_cover) -> MemorizationResult:
    r"""One-vs-rest with the first layer shared: one greedy cover per class
    (class c against all the others).

    ``labels`` are integers (n,) with at least two distinct values; a point may
    not occur twice with different labels. Interpolation means: on every point
    exactly its own head fires.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> res = memorize_multiclass(X, [0, 1, 2, 2], width=60, bias_range=0.5, seed=0)
    >>> res.interpolates, len(res.widths), res.net.predict(X).tolist()
    (True, 3, [0, 1, 2, 2])
    """
    X = as_matrix(X, "X")
    lab = np.asarray(labels)
    if lab.shape != (X.shape[0],) or not np.issubdtype(lab.dtype, np.integer):
        raise ValueError(f"labels: expected {X.shape[0]} integer labels, got "
                         f"shape {lab.shape} dtype {lab.dtype}")
    classes = np.unique(lab)
    if len(classes) < 2:
        raise ValueError("labels: at least two classes must occur")
    _, first, inv = np.unique(X, axis=0, return_index=True, return_inverse=True)
    clash = lab != lab[first[inv.reshape(-1)]]
    if np.any(clash):
        i = int(np.flatnonzero(clash)[0])
        raise ValueError(f"X: row {i} repeats row {int(first[inv.reshape(-1)[i]])} "
                         "with a different label")
    N, lam = _check_knobs(width, bias_range)
    return _build(X, lab, classes, N, lam, as_rng(seed), cover, lambda c: lab == c)
