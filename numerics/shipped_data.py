r"""Data sets that need no download: two moons (numpy) and scikit-learn's
``load_digits`` (an optional extra, ``pip install 'robustlaw[data]'``).

Both are returned rescaled so that :math:`\max_i \|x_i\|_2 = 1`, the scale on
which the S2 memorization algorithm's bias range λ is measured
(``docs/mathematics.md#s2-memorization``).

MNIST and CIFAR need a download, which robustlaw does not do. To run the
memorization construction on them, fetch them yourself (for instance
``sklearn.datasets.fetch_openml("mnist_784")``), flatten to ``X`` (n, d), center
and rescale to max norm 1, pick two classes as ``y = ±1``, save with
``numpy.savez("mnist.npz", X=X, y=y)`` and run
``robustlaw memorize mnist.npz --width 1000 --bias-range 1``.

Examples
--------
>>> X, y = two_moons(200, noise=0.05, seed=0)
>>> X.shape, float(np.linalg.norm(X, axis=1).max()), sorted(set(y.tolist()))
((200, 2), 1.0, [-1.0, 1.0])
"""

from __future__ import annotations

import numpy as np

from numerics._validate import as_finite_float, as_positive_int, as_rng

__all__ = ["DIGITS_HINT", "digits_available", "digits_pair", "load_digits_dataset",
           "rescale_max_norm", "two_moons"]

DIGITS_HINT = ("load_digits needs scikit-learn, an optional extra: "
               "pip install 'robustlaw[data]' (or pip install scikit-learn)")


def rescale_max_norm(X: np.ndarray) -> np.ndarray:
    """``X / max_i ||x_i||`` (ValueError naming ``X`` if every row is 0).

    >>> rescale_max_norm(np.array([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [[0.6, 0.8], [0.0, 0.2]]
    """
    r = float(np.linalg.norm(X, axis=1).max())
    if not r > 0:
        raise ValueError("X: all points are 0; cannot rescale")
    return X / r


def two_moons(n: int, noise: float = 0.05, seed=0) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaved half circles with Gaussian noise, rescaled to max norm 1.

    .. math::

        x = (\cos t, \sin t) \ (y = +1), \qquad
        x = (1 - \cos t, \tfrac12 - \sin t) \ (y = -1), \qquad t \sim \mathrm{Unif}[0, \pi],

    plus :math:`N(0, \text{noise}^2 I_2)`, then shifted by the centre
    :math:`(\tfrac12, \tfrac14)` of the noise-free picture and divided by the
    largest norm. The first :math:`\lceil n/2\rceil` points drawn are +1; rows
    are returned in a random order. (The shape is scikit-learn's
    ``make_moons``; the angles are random, not a grid, so n can be large.)

    Parameters
    ----------
    n : int >= 2
    noise : float >= 0
    seed : int or numpy.random.Generator

    Returns
    -------
    X : (n, 2) float, y : (n,) float in {±1}

    Examples
    --------
    >>> X, y = two_moons(10, 0.0, seed=1)
    >>> int((y == 1).sum()), int((y == -1).sum())
    (5, 5)
    """
    n = as_positive_int(n, "n", minimum=2)
    noise = as_finite_float(noise, "noise", nonnegative=True)
    rng = as_rng(seed)
    n_pos = (n + 1) // 2
    t = rng.uniform(0.0, np.pi, size=n)
    X = np.empty((n, 2))
    X[:n_pos] = np.c_[np.cos(t[:n_pos]), np.sin(t[:n_pos])]
    X[n_pos:] = np.c_[1.0 - np.cos(t[n_pos:]), 0.5 - np.sin(t[n_pos:])]
    X += noise * rng.standard_normal((n, 2))
    X -= np.array([0.5, 0.25])
    y = np.r_[np.ones(n_pos), -np.ones(n - n_pos)]
    perm = rng.permutation(n)
    return rescale_max_norm(X[perm]), y[perm]


def digits_available() -> bool:
    """True when scikit-learn (the optional ``[data]`` extra) is importable."""
    try:
        import sklearn.datasets  # noqa: F401
    except ImportError:
        return False
    return True


def load_digits_dataset(*, center: bool = True,
                        scale: str = "max_norm") -> tuple[np.ndarray, np.ndarray]:
    r"""scikit-learn's ``load_digits`` (1797 images, 8×8, grey levels 0–16, ten
    classes), flattened to (1797, 64), centred (``center=True``: minus the mean
    image) and rescaled: ``scale='max_norm'`` to max norm 1, ``scale='pixels'`` to
    grey levels in [0, 1] (divided by 16, before any centring); labels are ints 0–9.

    Raises
    ------
    ModuleNotFoundError
        With :data:`DIGITS_HINT` when scikit-learn is not installed.

    Examples
    --------
    >>> X, lab = load_digits_dataset()  # doctest: +SKIP
    >>> X.shape, sorted(set(lab.tolist()))[:3]  # doctest: +SKIP
    ((1797, 64), [0, 1, 2])
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ModuleNotFoundError(DIGITS_HINT) from exc
    if scale not in ("max_norm", "pixels"):
        raise ValueError(f"scale: expected 'max_norm' or 'pixels', got {scale!r}")
    data = load_digits()
    X = np.asarray(data.data, dtype=float)
    if scale == "pixels":
        X = X / 16.0
    if center:
        X = X - X.mean(axis=0)
    labels = np.asarray(data.target, dtype=np.int64)
    return (rescale_max_norm(X) if scale == "max_norm" else X), labels


def digits_pair(a: int, b: int, *, center: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The digits a (label +1) and b (label −1) of :func:`load_digits_dataset`,
    rescaled to max norm 1 again; ValueError naming ``a``/``b`` unless they are
    distinct digits 0–9.

    >>> X, y = digits_pair(3, 8)  # doctest: +SKIP
    >>> X.shape[1], sorted(set(y.tolist()))  # doctest: +SKIP
    (64, [-1.0, 1.0])
    """
    for name, v in (("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v <= 9:
            raise ValueError(f"{name}: must be a digit 0-9, got {v!r}")
    if a == b:
        raise ValueError(f"b: must differ from a, got {b!r}")
    X, lab = load_digits_dataset(center=center)
    keep = (lab == a) | (lab == b)
    return rescale_max_norm(X[keep]), np.where(lab[keep] == a, 1.0, -1.0)
