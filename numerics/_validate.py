"""Strict input validation shared by every numeric module.

Every public routine validates its inputs with these helpers, so that bad input
(NaN/inf, wrong shapes, empty dimensions, labels not +-1) raises a
:class:`ValueError` that names the offending argument. Nothing is coerced
silently: integer arrays are accepted as exact values, complex or object
arrays are refused.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_matrix", "as_vector", "as_labels", "as_positive_int", "as_rng", "as_finite_float"]


def _as_real_array(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy's own error
        raise ValueError(f"{name}: cannot be converted to an array ({exc})") from exc
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating)
                                 or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    arr = arr.astype(float, copy=True)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    return arr


def as_matrix(x, name: str, *, rows: int | None = None, cols: int | None = None,
              min_rows: int = 1, min_cols: int = 1) -> np.ndarray:
    """A finite float copy of a 2-D array, with checked shape.

    >>> as_matrix([[1, 2]], "X").shape
    (1, 2)
    >>> as_matrix([1, 2], "X")
    Traceback (most recent call last):
    ...
    ValueError: X: expected a 2-D array, got shape (2,)
    """
    arr = _as_real_array(x, name)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array, got shape {arr.shape}")
    if rows is not None and arr.shape[0] != rows:
        raise ValueError(f"{name}: expected {rows} rows, got shape {arr.shape}")
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{name}: expected {cols} columns, got shape {arr.shape}")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name}: needs at least {min_rows} row(s), got shape {arr.shape}")
    if arr.shape[1] < min_cols:
        raise ValueError(f"{name}: needs at least {min_cols} column(s), got shape {arr.shape}")
    return arr


def as_vector(x, name: str, *, size: int | None = None, min_size: int = 1) -> np.ndarray:
    """A finite float copy of a 1-D array, with checked length.

    >>> as_vector([1, float("nan")], "a")
    Traceback (most recent call last):
    ...
    ValueError: a: contains NaN or inf
    """
    arr = _as_real_array(x, name)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if size is not None and arr.shape[0] != size:
        raise ValueError(f"{name}: expected length {size}, got {arr.shape[0]}")
    if arr.shape[0] < min_size:
        raise ValueError(f"{name}: needs at least {min_size} entr(y/ies), got {arr.shape[0]}")
    return arr


def as_labels(y, name: str = "y", *, size: int | None = None) -> np.ndarray:
    """Labels as a float array of exactly +-1.

    >>> as_labels([1, -1, 1])
    array([ 1., -1.,  1.])
    >>> as_labels([1, 0])
    Traceback (most recent call last):
    ...
    ValueError: y: labels must be +1 or -1, found [0.]
    """
    arr = as_vector(y, name, size=size)
    bad = arr[np.abs(arr) != 1]
    if bad.size:
        raise ValueError(f"{name}: labels must be +1 or -1, found {np.unique(bad)[:5]}")
    return arr


def as_positive_int(v, name: str, *, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools and non-integral floats refused).

    >>> as_positive_int(0, "k")
    Traceback (most recent call last):
    ...
    ValueError: k: must be an integer >= 1, got 0
    """
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {v!r}")
    if v < minimum:
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {v!r}")
    return int(v)


def as_finite_float(v, name: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    """A finite float, optionally > 0 or >= 0.

    >>> as_finite_float(-1, "radius", positive=True)
    Traceback (most recent call last):
    ...
    ValueError: radius: must be > 0, got -1.0
    """
    if isinstance(v, bool):
        raise ValueError(f"{name}: must be a number, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: must be a number, got {v!r}") from exc
    if not np.isfinite(f):
        raise ValueError(f"{name}: must be finite, got {f}")
    if positive and not f > 0:
        raise ValueError(f"{name}: must be > 0, got {f}")
    if nonnegative and not f >= 0:
        raise ValueError(f"{name}: must be >= 0, got {f}")
    return f


def as_rng(seed) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from an int seed or a Generator.

    ``None`` is refused: every random routine in robustlaw is reproducible.

    >>> bool(as_rng(0).integers(10) == as_rng(0).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError("seed: must be a non-negative int or numpy.random.Generator, "
                         f"got {seed!r}")
    return np.random.default_rng(int(seed))
