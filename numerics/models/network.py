r"""Two-layer networks :math:`f(x) = \sum_{\ell=1}^k a_\ell\,\psi(w_\ell\cdot x + b_\ell)`.

Shapes: ``a`` (k,), ``W`` (k, d) with rows :math:`w_\ell`, ``b`` (k,); batches
of points are (m, d). The activation is a spec string resolved by
:func:`theory.activations.get_activation`, whose lambdified expression and
derivative are the numeric :math:`\psi, \psi'` used here (one source of truth).

Gradient: :math:`\nabla f(x) = W^T\big(a \odot \psi'(Wx + b)\big)`, batched as
``(psi'(X W^T + b) * a) @ W``.

Networks with m outputs, :math:`F(x) = A\,\psi(Wx + b)`, are :class:`VectorTwoLayerNet`
(``a`` of shape (m, k)); same file format, and :meth:`TwoLayerNet.load` reads both.

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

__all__ = ["TwoLayerNet", "VectorTwoLayerNet", "load_network"]


class _TwoLayerBase:
    """What the scalar and the vector two-layer network share: the first layer
    (``W``, ``b``, ``activation``), pre-activations, patterns and the npz format."""

    __slots__ = ()

    def _set(self, a: np.ndarray, W: np.ndarray, b, activation) -> None:
        """Validate ``b`` and the activation, freeze the arrays and store them (``a`` and
        ``W`` validated by the subclass)."""
        k = W.shape[0]
        b = np.zeros(k) if b is None else as_vector(b, "b", size=k)
        act = get_activation(activation)
        for arr in (a, W, b):
            arr.setflags(write=False)
        self.a, self.W, self.b, self.activation = a, W, b, act
        self._psi = act.numeric
        self._dpsi = act.numeric_derivative

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

    def _points(self, X, name: str = "X") -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[None, :]
        return as_matrix(X, name, cols=self.d)

    def preactivation(self, X) -> np.ndarray:
        """``X W^T + b``, shape (n, k) for n points."""
        return self._points(X) @ self.W.T + self.b

    def patterns(self, X) -> np.ndarray:
        """Activation pattern ``w.x + b >= 0`` per point and neuron, bool (n, k)
        (the side on which relu's right derivative 1 is used)."""
        return self.preactivation(X) >= 0

    def save(self, path: str | Path) -> Path:
        """Write arrays ``a`` (shape (k,), or (m, k) for m outputs), ``W``, ``b`` and the
        ``activation`` spec to ``.npz``."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        np.savez(path, a=self.a, W=self.W, b=self.b, activation=np.array(self.spec))
        return path

    def to_dict(self) -> dict:
        """JSON-friendly description (lists of floats; ``a`` a list of m lists for m
        outputs)."""
        return {"activation": self.spec, "a": self.a.tolist(), "W": self.W.tolist(),
                "b": self.b.tolist()}


def _read_npz(path: str | Path) -> tuple:
    """The arrays ``a``, ``W``, ``b`` and the activation spec of a network file."""
    with np.load(Path(path), allow_pickle=False) as z:
        missing = {"a", "W", "b", "activation"} - set(z.files)
        if missing:
            raise ValueError(f"path: {path} lacks array(s) {sorted(missing)}")
        return z["a"], z["W"], z["b"], str(z["activation"])


class TwoLayerNet(_TwoLayerBase):
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
        self._set(as_vector(a, "a", size=k), W, b, activation)

    # -- basic facts -----------------------------------------------------
    def __repr__(self) -> str:
        return f"TwoLayerNet(k={self.k}, d={self.d}, activation={self.spec!r})"

    # -- evaluation (preactivation and patterns: the base class) --------
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
    @classmethod
    def load(cls, path: str | Path):
        """Read a network written by :meth:`save`; a file whose ``a`` has shape (m, k)
        (m outputs) gives a :class:`VectorTwoLayerNet`."""
        a, W, b, act = _read_npz(path)
        if a.ndim == 2:
            return VectorTwoLayerNet(a, W, b, act)
        return cls(a, W, b, act)

    def with_weights(self, a=None, W=None, b=None) -> TwoLayerNet:
        """A copy with some arrays replaced (validated again)."""
        return TwoLayerNet(self.a if a is None else a, self.W if W is None else W,
                           self.b if b is None else b, self.activation)


class VectorTwoLayerNet(_TwoLayerBase):
    r"""A two-layer network with m outputs, :math:`F(x) = A\,\psi(Wx + b)`, k neurons,
    dimension d (immutable arrays). The Jacobian is :math:`J(x) = A\,\mathrm{diag}(\psi'(Wx
    + b))\,W` (m × d), whose :math:`\ell_2` operator norm the Lipschitz toolkit bounds.

    Why a sibling class and not a 2-D ``a`` in :class:`TwoLayerNet`:
    every scalar routine of the toolkit (gradients, rounding bounds, LipSDP's reduction,
    branch and bound, the experiments) reads ``net.a`` as a vector of length k; a 2-D ``a``
    there would change the meaning of ``gradient`` and ``__call__`` for every caller. A
    separate class keeps every scalar path byte-for-byte unchanged, and the file format is
    the same: :meth:`TwoLayerNet.load` and this class's :meth:`load` read ``.npz`` files whose
    ``a`` has shape (k,) or (m, k) (:func:`load_network` picks the class by ``a.ndim``).

    Parameters
    ----------
    a : array_like, shape (m, k)
        Output weights A (a 1-D ``a`` of length k is read as m = 1).
    W : array_like, shape (k, d)
    b : array_like, shape (k,), optional
    activation : str or Activation

    Raises
    ------
    ValueError
        Naming the argument: NaN/inf entries, shape mismatches (``a`` must have k
        columns), k = 0, d = 0, or an unknown activation.

    Examples
    --------
    >>> net = VectorTwoLayerNet([[1.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]])
    >>> net(np.array([[1.0, 1.0]]))
    array([[1., 2.]])
    >>> net.jacobian(np.array([1.0, 1.0]))
    array([[1., 0.],
           [0., 2.]])
    >>> VectorTwoLayerNet([[1.0, 2.0]], [[1.0]], None, "relu")
    Traceback (most recent call last):
    ...
    ValueError: a: expected 1 columns (k, the rows of W), got shape (1, 2)
    """

    __slots__ = ("a", "W", "b", "activation", "_psi", "_dpsi")

    def __init__(self, a, W, b=None, activation: str | Activation = "relu"):
        W = as_matrix(W, "W")
        k = W.shape[0]
        if np.ndim(a) == 1:
            A = as_vector(a, "a", size=k)[None, :]
        else:
            A = as_matrix(a, "a")
            if A.shape[1] != k:
                raise ValueError(f"a: expected {k} columns (k, the rows of W), got shape "
                                 f"{A.shape}")
        self._set(A, W, b, activation)

    @property
    def m(self) -> int:
        """Number of outputs."""
        return self.a.shape[0]

    def __repr__(self) -> str:
        return (f"VectorTwoLayerNet(m={self.m}, k={self.k}, d={self.d}, "
                f"activation={self.spec!r})")

    def __call__(self, X) -> np.ndarray:
        """Outputs F(x) for each row, shape (n, m)."""
        return self._psi(self.preactivation(X)) @ self.a.T

    value = __call__

    def jacobian(self, x) -> np.ndarray:
        r""":math:`J(x) = A\,\mathrm{diag}(\psi'(Wx+b))\,W` at one point, shape (m, d)
        (right derivative at kinks, as :meth:`TwoLayerNet.gradient`)."""
        s = self._dpsi(self.preactivation(x))[0]
        return (self.a * s) @ self.W

    def output(self, i: int) -> TwoLayerNet:
        """The scalar network of output i (row i of A)."""
        return TwoLayerNet(self.a[i], self.W, self.b, self.activation)

    def combination(self, c) -> TwoLayerNet:
        r"""The scalar network :math:`c^T F` (output weights :math:`A^Tc`); its gradient
        is :math:`J(x)^Tc`, so its Lipschitz constant is at most
        :math:`\|c\|\,\mathrm{Lip}(F)`."""
        c = as_vector(c, "c", size=self.m)
        return TwoLayerNet(self.a.T @ c, self.W, self.b, self.activation)

    def scalar(self) -> TwoLayerNet:
        """For m = 1, the :class:`TwoLayerNet` this network is (same arrays)."""
        if self.m != 1:
            raise ValueError(f"net: has m = {self.m} outputs, not 1")
        return self.output(0)

    @classmethod
    def load(cls, path: str | Path) -> VectorTwoLayerNet:
        """Read a network written by :meth:`save` (or a scalar one, as m = 1)."""
        return cls(*_read_npz(path))

def load_network(a, W, b, activation):
    """A :class:`TwoLayerNet` when ``a`` is 1-D, a :class:`VectorTwoLayerNet` when it is
    2-D (the arrays of a network file).

    >>> type(load_network([[1.0], [2.0]], [[1.0]], [0.0], "relu")).__name__
    'VectorTwoLayerNet'
    >>> type(load_network([1.0], [[1.0]], [0.0], "relu")).__name__
    'TwoLayerNet'
    """
    if np.ndim(a) == 2:
        return VectorTwoLayerNet(a, W, b, activation)
    return TwoLayerNet(a, W, b, activation)
