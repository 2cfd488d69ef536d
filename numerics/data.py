r"""Datasets and labels, always seeded.

Rows uniform on the unit sphere :math:`S^{d-1}`, Gaussian rows
:math:`N(0, I_d/d)` (so :math:`\mathbb E\|x\|^2 = 1`), and Rademacher labels
(i.i.d. uniform on :math:`\{\pm 1\}`, or exactly balanced). A
:class:`Dataset` bundles ``X`` (n, d) and ``y`` (n,) with validation and
``.npz`` I/O (arrays ``X`` and ``y``).

Examples
--------
>>> X = sphere_data(5, 3, seed=0)
>>> X.shape, bool(np.allclose(np.linalg.norm(X, axis=1), 1))
((5, 3), True)
>>> y = rademacher_labels(6, seed=1, balanced=True)
>>> int(y.sum())
0
>>> D = random_dataset(8, 4, seed=2)
>>> D.n, D.d
(8, 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numerics._validate import as_labels, as_matrix, as_positive_int, as_rng

__all__ = [
    "Dataset",
    "as_dataset",
    "gaussian_data",
    "rademacher_labels",
    "random_dataset",
    "sphere_data",
    "validate_dataset",
]


def sphere_data(n: int, d: int, seed) -> np.ndarray:
    """``n`` rows i.i.d. uniform on :math:`S^{d-1}`; shape (n, d).

    Parameters
    ----------
    n, d : int
        Number of points (>= 1) and dimension (>= 1).
    seed : int or numpy.random.Generator
    """
    n = as_positive_int(n, "n")
    d = as_positive_int(d, "d")
    rng = as_rng(seed)
    Z = rng.standard_normal((n, d))
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    while np.any(norms == 0):  # probability zero; redraw rather than divide by 0
        bad = norms[:, 0] == 0
        Z[bad] = rng.standard_normal((int(bad.sum()), d))
        norms = np.linalg.norm(Z, axis=1, keepdims=True)
    return Z / norms


def gaussian_data(n: int, d: int, seed) -> np.ndarray:
    """``n`` rows i.i.d. :math:`N(0, I_d/d)`; shape (n, d)."""
    n = as_positive_int(n, "n")
    d = as_positive_int(d, "d")
    return as_rng(seed).standard_normal((n, d)) / np.sqrt(d)


def rademacher_labels(n: int, seed, *, balanced: bool = False) -> np.ndarray:
    """Labels in {+1, -1} as floats, shape (n,).

    ``balanced=True`` returns a uniformly random permutation of
    ``ceil(n/2)`` ones and ``floor(n/2)`` minus ones.
    """
    n = as_positive_int(n, "n")
    rng = as_rng(seed)
    if balanced:
        y = np.ones(n)
        y[n - n // 2:] = -1.0
        return rng.permutation(y)
    return rng.choice(np.array([-1.0, 1.0]), size=n)


def validate_dataset(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Validated float copies of ``(X, y)``.

    Raises ValueError naming ``X`` or ``y`` for NaN/inf, wrong shapes, labels
    not +-1, and for duplicated points carrying opposite labels (no function
    can fit those).

    >>> validate_dataset([[0.0, 1.0], [0.0, 1.0]], [1, -1])
    Traceback (most recent call last):
    ...
    ValueError: X: rows 0 and 1 are the same point with opposite labels
    """
    X = as_matrix(X, "X")
    y = as_labels(y, "y", size=X.shape[0])
    _, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    clash = y != y[first[inverse]]
    if np.any(clash):
        i = int(np.flatnonzero(clash)[0])
        j = int(first[inverse[i]])
        raise ValueError(f"X: rows {min(i, j)} and {max(i, j)} are the same point "
                         "with opposite labels")
    return X, y


@dataclass(frozen=True)
class Dataset:
    """Points ``X`` (n, d) and labels ``y`` (n,), validated on construction."""

    X: np.ndarray
    y: np.ndarray

    def __post_init__(self):
        X, y = validate_dataset(self.X, self.y)
        X.setflags(write=False)
        y.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def n_plus(self) -> int:
        return int(np.sum(self.y > 0))

    @property
    def n_minus(self) -> int:
        return int(np.sum(self.y < 0))

    def save(self, path: str | Path) -> Path:
        """Write ``X`` and ``y`` to an ``.npz`` file; returns the path."""
        path = Path(path)
        np.savez(path, X=self.X, y=self.y)
        return path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")

    @classmethod
    def load(cls, path: str | Path) -> Dataset:
        """Read a dataset written by :meth:`save` (arrays ``X`` and ``y``)."""
        with np.load(Path(path), allow_pickle=False) as z:
            missing = {"X", "y"} - set(z.files)
            if missing:
                raise ValueError(f"path: {path} lacks array(s) {sorted(missing)}")
            return cls(z["X"], z["y"])


def as_dataset(X, y=None, *, d: int | None = None) -> Dataset:
    """The one conversion at public entry points: a :class:`Dataset` from ``(X, y)``,
    or ``X`` itself when it already is one (validated when it was built, so it is
    not checked again).

    Parameters
    ----------
    X : Dataset or array_like, shape (n, d)
    y : array_like, shape (n,), optional
        Labels in {-1, +1}; required with a raw ``X``, refused with a Dataset.
    d : int, optional
        Required dimension (ValueError naming ``X`` otherwise).

    Examples
    --------
    >>> D = as_dataset([[0.0, 1.0], [1.0, 0.0]], [1, -1])
    >>> as_dataset(D) is D, D.n, D.d
    (True, 2, 2)
    >>> as_dataset(D, d=3)
    Traceback (most recent call last):
    ...
    ValueError: X: expected 3 columns (the dimension d), got 2
    """
    if isinstance(X, Dataset):
        if y is not None:
            raise ValueError("y: give either a Dataset or the arrays X and y, not both")
        D = X
    else:
        if y is None:
            raise ValueError("y: labels are required when X is an array (or pass a Dataset)")
        D = Dataset(X, y)
    if d is not None and D.d != d:
        raise ValueError(f"X: expected {d} columns (the dimension d), got {D.d}")
    return D


def random_dataset(n: int, d: int, seed, *, kind: str = "sphere",
                   balanced: bool = False) -> Dataset:
    """Random data with Rademacher labels: ``kind`` is ``'sphere'`` or
    ``'gaussian'``. One Generator drives both, so the seed fixes everything."""
    rng = as_rng(seed)
    if kind == "sphere":
        X = sphere_data(n, d, rng)
    elif kind == "gaussian":
        X = gaussian_data(n, d, rng)
    else:
        raise ValueError(f"kind: expected 'sphere' or 'gaussian', got {kind!r}")
    return Dataset(X, rademacher_labels(n, rng, balanced=balanced))
