r"""Two-layer networks :math:`f(x) = \sum_{\ell=1}^k a_\ell\,\psi(w_\ell\cdot x + b_\ell)`.

Shapes: ``a`` (k,), ``W`` (k, d) with rows :math:`w_\ell`, ``b`` (k,); batches
of points are (m, d). The activation is a spec string resolved by
:func:`theory.activations.get_activation`, whose lambdified expression and
derivative are the numeric :math:`\psi, \psi'` used here (one source of truth).

Gradient: :math:`\nabla f(x) = W^T\big(a \odot \psi'(Wx + b)\big)`, batched as
``(psi'(X W^T + b) * a) @ W``.

Examples
--------
>>> net = TwoLayerNet([1.0, -2.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.5], "relu")
>>> net(np.array([[1.0, 1.0]]))
array([-2.])
>>> net.gradient(np.array([[1.0, 1.0]]))
array([[ 1., -2.]])
>>> net.patterns(np.array([[1.0, -1.0]]))
array([[ True, False]])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from numerics._validate import as_matrix, as_vector
from theory.activations import Activation, get_activation

__all__ = ["TwoLayerNet"]


class TwoLayerNet:
    """A two-layer network with k neurons in dimension d (immutable arrays).

    Parameters
    ----------
    a : array_like, shape (k,)
        Output weights.
    W : array_like, shape (k, d)
        Input weights (rows are neurons).
    b : array_like, shape (k,), optional
        Biases (default zeros).
    activation : str or Activation
        Spec string such as ``'relu'``, ``'leaky_relu:0.1'``, ``'softplus:2'``,
        ``'tanh'``, ``'abs'``, ``'power:3'``.

    Raises
    ------
    ValueError
        Naming the argument: NaN/inf entries, shape mismatches, k = 0, d = 0,
        or an unknown activation.
    """

    __slots__ = ("a", "W", "b", "activation", "_psi", "_dpsi")

    def __init__(self, a, W, b=None, activation: str | Activation = "relu"):
        W = as_matrix(W, "W")
        k, _ = W.shape
        a = as_vector(a, "a", size=k)
        b = np.zeros(k) if b is None else as_vector(b, "b", size=k)
        act = get_activation(activation)
        for arr in (a, W, b):
            arr.setflags(write=False)
        self.a, self.W, self.b, self.activation = a, W, b, act
        self._psi = act.numeric
        self._dpsi = act.numeric_derivative

    # -- basic facts -----------------------------------------------------
    @property
    def k(self) -> int:
        """Number of neurons."""
        return self.W.shape[0]

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.W.shape[1]

    @property
    def spec(self) -> str:
        """Activation spec string."""
        return self.activation.spec

    def __repr__(self) -> str:
        return f"TwoLayerNet(k={self.k}, d={self.d}, activation={self.spec!r})"

    def _points(self, X, name: str = "X") -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[None, :]
        return as_matrix(X, name, cols=self.d)

    # -- evaluation ------------------------------------------------------
    def preactivation(self, X) -> np.ndarray:
        """``X W^T + b``, shape (m, k)."""
        X = self._points(X)
        return X @ self.W.T + self.b

    def __call__(self, X) -> np.ndarray:
        """Values f(x) for each row, shape (m,)."""
        return self._psi(self.preactivation(X)) @ self.a

    value = __call__

    def gradient(self, X) -> np.ndarray:
        r"""Gradients :math:`\nabla f(x)` for each row, shape (m, d) (for
        piecewise-linear activations, the one-sided gradient with
        :math:`\psi'(0)` taken from the right)."""
        return (self._dpsi(self.preactivation(X)) * self.a) @ self.W

    def value_and_gradient(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Both at once, sharing the pre-activations."""
        Z = self.preactivation(X)
        return self._psi(Z) @ self.a, (self._dpsi(Z) * self.a) @ self.W

    def patterns(self, X) -> np.ndarray:
        """Activation pattern ``w.x + b >= 0`` per point and neuron, bool (m, k)
        (the side on which relu's right derivative 1 is used)."""
        return self.preactivation(X) >= 0

    def pattern_gradients(self, S) -> np.ndarray:
        r"""For piecewise-linear activations, the constant gradient on the
        region with pattern ``S`` (bool (m, k)): :math:`W^T(a \odot
        \psi'_\pm)` with the slope of the positive piece where on, of the
        negative piece where off. Shape (m, d)."""
        if not self.activation.is_piecewise_linear:
            raise ValueError(f"activation: {self.spec} is not piecewise linear")
        lo = float(self._dpsi(np.array(-1.0)))
        hi = float(self._dpsi(np.array(1.0)))
        S = np.asarray(S, dtype=bool)
        return (np.where(S, hi, lo) * self.a) @ self.W

    # -- I/O -------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write arrays ``a``, ``W``, ``b`` and the ``activation`` spec to ``.npz``."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        np.savez(path, a=self.a, W=self.W, b=self.b, activation=np.array(self.spec))
        return path

    @classmethod
    def load(cls, path: str | Path):
        """Read a network written by :meth:`save`; a file whose ``a`` has shape (m, k)
        (m outputs) gives a :class:`numerics.models.vector.VectorTwoLayerNet`."""
        with np.load(Path(path), allow_pickle=False) as z:
            missing = {"a", "W", "b", "activation"} - set(z.files)
            if missing:
                raise ValueError(f"path: {path} lacks array(s) {sorted(missing)}")
            if z["a"].ndim == 2:
                from numerics.models.vector import VectorTwoLayerNet

                return VectorTwoLayerNet(z["a"], z["W"], z["b"], str(z["activation"]))
            return cls(z["a"], z["W"], z["b"], str(z["activation"]))

    def to_dict(self) -> dict:
        """JSON-friendly description (lists of floats)."""
        return {"activation": self.spec, "a": self.a.tolist(), "W": self.W.tolist(),
                "b": self.b.tolist()}

    def with_weights(self, a=None, W=None, b=None) -> TwoLayerNet:
        """A copy with some arrays replaced (validated again)."""
        return TwoLayerNet(self.a if a is None else a, self.W if W is None else W,
                           self.b if b is None else b, self.activation)
