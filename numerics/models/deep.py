r"""Deep (multilayer) ReLU networks with a scalar output.

.. math::

    h_0 = x,\qquad h_\ell = \mathrm{relu}(W_\ell h_{\ell-1} + b_\ell)\ (\ell = 1..L),
    \qquad f(x) = a \cdot h_L,

with :math:`W_\ell \in \mathbb R^{N_\ell\times N_{\ell-1}}`, :math:`N_0 = d`,
:math:`b_\ell \in \mathbb R^{N_\ell}`, :math:`a \in \mathbb R^{N_L}` and no
output bias. Depth :math:`L = 1` is exactly
``TwoLayerNet(a, W_1, b_1, 'relu')`` (:meth:`DeepReLUNet.from_two_layer`,
:meth:`DeepReLUNet.to_two_layer`). Conventions follow
:class:`~numerics.models.network.TwoLayerNet`: validated immutable float arrays,
batches of points are (m, d), ``.npz`` I/O.

Gradient by batched backpropagation, with
:math:`D_\ell(x) = \mathrm{diag}(\mathbf 1[W_\ell h_{\ell-1} + b_\ell \ge 0])`
(relu's right derivative at 0, as in ``TwoLayerNet``):

.. math::

    \nabla f(x) = W_1^T D_1 W_2^T D_2 \cdots W_L^T D_L\, a .

Examples
--------
>>> net = DeepReLUNet([1.0, -1.0], [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]])
>>> net(np.array([[1.0, 2.0]]))
array([-2.])
>>> net.gradient(np.array([[1.0, 2.0]]))
array([[ 0., -1.]])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from numerics._validate import as_matrix, as_vector
from numerics.models.network import TwoLayerNet

__all__ = ["DeepReLUNet"]


class DeepReLUNet:
    """A scalar-output ReLU network with L >= 1 hidden layers.

    Parameters
    ----------
    a : array_like, shape (N_L,)
        Output weights.
    weights : sequence of array_like
        ``weights[l]`` has shape (N_{l+1}, N_l) with N_0 = d.
    biases : sequence of array_like, optional
        ``biases[l]`` has shape (N_{l+1},) (default zeros).

    Raises
    ------
    ValueError
        Naming the argument (``weights[i]``, ``biases[i]``, ``a``): NaN/inf,
        empty or mismatched shapes.
    """

    __slots__ = ("a", "weights", "biases")

    def __init__(self, a, weights: Sequence, biases: Sequence | None = None):
        if isinstance(weights, np.ndarray) and weights.ndim == 2:
            raise ValueError("weights: expected a sequence of 2-D arrays (one per layer), "
                             "got a single 2-D array")
        try:
            weights = list(weights)
        except TypeError as exc:
            raise ValueError(f"weights: expected a sequence of 2-D arrays ({exc})") from exc
        if not weights:
            raise ValueError("weights: needs at least one layer")
        Ws = []
        cols = None
        for i, W in enumerate(weights):
            W = as_matrix(W, f"weights[{i}]", cols=cols)
            Ws.append(W)
            cols = W.shape[0]
        if biases is None:
            bs = [np.zeros(W.shape[0]) for W in Ws]
        else:
            biases = list(biases)
            if len(biases) != len(Ws):
                raise ValueError(f"biases: expected {len(Ws)} vectors, got {len(biases)}")
            bs = [as_vector(b, f"biases[{i}]", size=W.shape[0])
                  for i, (W, b) in enumerate(zip(Ws, biases, strict=True))]
        a = as_vector(a, "a", size=Ws[-1].shape[0])
        for arr in (*Ws, *bs, a):
            arr.setflags(write=False)
        self.a, self.weights, self.biases = a, tuple(Ws), tuple(bs)

    # -- basic facts -----------------------------------------------------
    @property
    def d(self) -> int:
        """Input dimension."""
        return self.weights[0].shape[1]

    @property
    def depth(self) -> int:
        """Number of hidden layers L."""
        return len(self.weights)

    @property
    def widths(self) -> tuple[int, ...]:
        """Hidden widths (N_1, ..., N_L)."""
        return tuple(W.shape[0] for W in self.weights)

    @property
    def n_params(self) -> int:
        """Number of weights and biases (including the output weights)."""
        return int(sum(W.size + b.size for W, b in zip(self.weights, self.biases, strict=True))
                   + self.a.size)

    spec = "relu"

    def __repr__(self) -> str:
        return f"DeepReLUNet(d={self.d}, widths={self.widths})"

    def _points(self, X, name: str = "X") -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[None, :]
        return as_matrix(X, name, cols=self.d)

    # -- evaluation ------------------------------------------------------
    def preactivations(self, X) -> list[np.ndarray]:
        r"""Pre-activations :math:`z_\ell = W_\ell h_{\ell-1} + b_\ell` of every
        layer, a list of (m, N_l) arrays."""
        H = self._points(X)
        out = []
        for W, b in zip(self.weights, self.biases, strict=True):
            Z = H @ W.T + b
            out.append(Z)
            H = np.maximum(Z, 0.0)
        return out

    def __call__(self, X) -> np.ndarray:
        """Values f(x) for each row, shape (m,)."""
        return np.maximum(self.preactivations(X)[-1], 0.0) @ self.a

    value = __call__

    def value_and_gradient(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Values (m,) and gradients (m, d) by one forward and one backward pass."""
        Zs = self.preactivations(X)
        vals = np.maximum(Zs[-1], 0.0) @ self.a
        G = (Zs[-1] >= 0) * self.a
        for ell in range(self.depth - 1, 0, -1):
            G = (G @ self.weights[ell]) * (Zs[ell - 1] >= 0)
        return vals, G @ self.weights[0]

    def gradient(self, X) -> np.ndarray:
        r"""Gradients :math:`\nabla f(x)` (the Jacobian of the scalar output)
        for each row, shape (m, d); one-sided at kinks (module docstring)."""
        return self.value_and_gradient(X)[1]

    def patterns(self, X) -> list[np.ndarray]:
        """Activation patterns ``z_l >= 0`` per layer, list of bool (m, N_l)."""
        return [Z >= 0 for Z in self.preactivations(X)]

    def margin(self, X) -> np.ndarray:
        r""":math:`\min_{\ell, i} |(z_\ell)_i(x)|` per point, shape (m,). When it is
        > 0, every pattern is constant near x, f is affine there and
        :meth:`gradient` is the true gradient."""
        return np.min(np.hstack([np.abs(Z) for Z in self.preactivations(X)]), axis=1)

    # -- conversions and I/O --------------------------------------------
    @classmethod
    def from_two_layer(cls, net: TwoLayerNet) -> DeepReLUNet:
        """The depth-1 network equal to a relu ``TwoLayerNet``."""
        if net.spec != "relu":
            raise ValueError(f"net: activation must be relu, got {net.spec!r}")
        return cls(net.a, [net.W], [net.b])

    def to_two_layer(self) -> TwoLayerNet:
        """The equal ``TwoLayerNet`` (depth 1 only)."""
        if self.depth != 1:
            raise ValueError(f"net: only depth 1 converts to TwoLayerNet, depth is {self.depth}")
        return TwoLayerNet(self.a, self.weights[0], self.biases[0], "relu")

    def save(self, path: str | Path) -> Path:
        """Write ``a``, ``W0..W{L-1}``, ``b0..b{L-1}`` and ``depth`` to ``.npz``."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        arrays = {"a": self.a, "depth": np.array(self.depth)}
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            arrays[f"W{i}"], arrays[f"b{i}"] = W, b
        np.savez(path, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> DeepReLUNet:
        """Read a network written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as z:
            if "depth" not in z.files or "a" not in z.files:
                raise ValueError(f"path: {path} lacks array(s) 'depth'/'a'")
            L = int(z["depth"])
            missing = {f"{c}{i}" for i in range(L) for c in "Wb"} - set(z.files)
            if missing:
                raise ValueError(f"path: {path} lacks array(s) {sorted(missing)}")
            return cls(z["a"], [z[f"W{i}"] for i in range(L)], [z[f"b{i}"] for i in range(L)])

    def to_dict(self) -> dict:
        """JSON-friendly description (lists of floats)."""
        return {"activation": "relu", "a": self.a.tolist(),
                "weights": [W.tolist() for W in self.weights],
                "biases": [b.tolist() for b in self.biases]}
