r"""Hypothesis strategies for robustlaw objects: datasets, networks, domains.

For property-based tests of code that consumes :class:`numerics.data.Dataset`,
:class:`numerics.models.network.TwoLayerNet` or :class:`numerics.domain.Domain`, ours
and users'. `hypothesis <https://hypothesis.readthedocs.io>`_ is an optional
dependency of this module alone (install the ``test`` extra).

Numerical arrays are drawn from a hypothesis-drawn seed through numpy (so an
example is reproducible from its seed, and generic instances are fast to
make); the *structure* (sizes, kind of awkwardness, activation, scales) is
drawn by hypothesis directly, so failures shrink to small, simple cases.

Datasets (all return :class:`~numerics.data.Dataset`):

- :func:`sphere_datasets`, :func:`gaussian_datasets`: the generic models of
  docs/mathematics.md#notation with Rademacher labels;
- awkward ones: :func:`clustered_datasets` (a few tight clusters, labels mixed
  inside a cluster), :func:`collinear_datasets` (points within a tiny distance
  of one line), :func:`duplicated_datasets` (repeated points, same label),
  :func:`tiny_datasets` (n in 1..3), :func:`unbalanced_datasets` (at most one
  point in the minority class, possibly none);
- :func:`datasets`: any of the above.

Networks: :func:`two_layer_nets` for every activation of
:mod:`theory.activations` (relu, leaky_relu:alpha, abs, softplus:beta, tanh,
power:p), with :math:`a_\ell \sim N(0, 1/k)`, :math:`w_\ell \sim N(0, I_d)`,
:math:`b_\ell \sim N(0, 0.5^2)` (``weights='gaussian'``), or small
half-integers with zeros allowed (``weights='lattice'``: parallel and
concurrent kink hyperplanes, dead neurons, degenerate arrangements).

Domains: :func:`domains` (R^d, balls, spheres).

Adversarial instances for the certified numbers (docs/mathematics.md#rounding):
:func:`adversarial_nets` (huge and tiny weight scales, 1e8 cancellations, nearly
parallel neurons, neurons switching on just outside the unit ball),
:func:`constant_gradient_nets` (every neuron on or off on the whole unit ball, so the
exact Lipschitz constant is the norm of one gradient, computable in rational
arithmetic) and :func:`close_points` (data points 1e-11 apart).

Examples
--------
>>> from hypothesis import find, settings
>>> D = find(tiny_datasets(d=2), lambda D: D.n == 3,
...          settings=settings(database=None, max_examples=200))
>>> D.n, D.d
(3, 2)
>>> isinstance(two_layer_nets(activations=("relu",), d=2, k=3), SearchStrategy)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "numerics.strategies needs the optional dependency 'hypothesis' "
        "(pip install hypothesis, or install robustlaw with the 'test' extra)") from exc

from numerics.data import Dataset, gaussian_data, rademacher_labels, sphere_data
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = [
    "ADVERSARIAL_FAMILIES",
    "adversarial_nets",
    "close_points",
    "constant_gradient_nets",
    "ACTIVATION_SPECS",
    "SearchStrategy",
    "activation_specs",
    "clustered_datasets",
    "collinear_datasets",
    "datasets",
    "domains",
    "duplicated_datasets",
    "gaussian_datasets",
    "seeds",
    "sphere_datasets",
    "tiny_datasets",
    "two_layer_nets",
    "unbalanced_datasets",
]

#: Activation specs drawn by default, grouped by family (every family of
#: :data:`theory.activations.ACTIVATION_NAMES`, with a few parameters each).
ACTIVATION_SPECS: dict[str, tuple[str, ...]] = {
    "relu": ("relu",),
    "leaky_relu": ("leaky_relu:0", "leaky_relu:1/100", "leaky_relu:1/10", "leaky_relu:1/2"),
    "abs": ("abs",),
    "softplus": ("softplus:1/2", "softplus:1", "softplus:2", "softplus:3", "softplus:10"),
    "tanh": ("tanh",),
    "power": ("power:1", "power:2", "power:3"),
}

#: The piecewise-linear families.
PIECEWISE_LINEAR = ("relu", "leaky_relu", "abs")

IntRange = int | tuple[int, int]


def _ints(v: IntRange, name: str) -> SearchStrategy:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        if v < 1:
            raise ValueError(f"{name}: must be >= 1, got {v}")
        return st.just(int(v))
    try:
        lo, hi = (int(x) for x in v)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected an int or a (min, max) pair, got {v!r}") from exc
    if not 1 <= lo <= hi:
        raise ValueError(f"{name}: expected 1 <= min <= max, got {v!r}")
    return st.integers(lo, hi)


def seeds() -> SearchStrategy:
    """Seeds for :func:`numpy.random.default_rng` (non-negative 32-bit ints).

    >>> from hypothesis import find, settings
    >>> find(seeds(), lambda s: s >= 10, settings=settings(database=None))
    10
    """
    return st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------
@st.composite
def _labelled(draw, make, n: IntRange, d: IntRange, balanced: bool | None):
    n_ = draw(_ints(n, "n"))
    d_ = draw(_ints(d, "d"))
    rng = np.random.default_rng(draw(seeds()))
    bal = draw(st.booleans()) if balanced is None else balanced
    X = make(n_, d_, rng)
    return Dataset(X, _consistent(X, rademacher_labels(n_, rng, balanced=bal)))


def _consistent(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Give repeated rows (e.g. the sphere S^0 = {-1, 1} in d = 1) the label
    of their first occurrence, so the data can be interpolated."""
    _, first, inv = np.unique(X, axis=0, return_index=True, return_inverse=True)
    return y[first[inv.reshape(-1)]]


def sphere_datasets(n: IntRange = (2, 40), d: IntRange = (1, 6), *,
                    balanced: bool | None = None) -> SearchStrategy:
    """Rows uniform on the unit sphere, Rademacher labels (exactly balanced
    when ``balanced``; drawn either way when None).

    Parameters
    ----------
    n, d : int or (min, max)
        Number of points and dimension.
    balanced : bool or None

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> D = find(sphere_datasets(n=4, d=3), lambda D: True,
    ...          settings=settings(database=None))
    >>> D.X.shape, bool(np.allclose(np.linalg.norm(D.X, axis=1), 1))
    ((4, 3), True)
    """
    return _labelled(lambda n_, d_, rng: sphere_data(n_, d_, rng), n, d, balanced)


def gaussian_datasets(n: IntRange = (2, 40), d: IntRange = (1, 6), *,
                      balanced: bool | None = None) -> SearchStrategy:
    """Rows i.i.d. :math:`N(0, I_d/d)`, Rademacher labels.

    >>> isinstance(gaussian_datasets(), SearchStrategy)
    True
    """
    return _labelled(lambda n_, d_, rng: gaussian_data(n_, d_, rng), n, d, balanced)


@st.composite
def clustered_datasets(draw, n: IntRange = (2, 40), d: IntRange = (1, 6)) -> Dataset:
    r"""Points in 1 to 3 tight clusters around unit vectors: ``x = c_j +
    s z`` with :math:`z \sim N(0, I_d)` and spread :math:`s \in [10^{-8},
    10^{-2}]`; labels are Rademacher, so opposite labels sit a distance
    :math:`\sim s` apart (large Lipschitz constants for interpolants).

    >>> isinstance(clustered_datasets(d=2), SearchStrategy)
    True
    """
    n_ = draw(_ints(n, "n"))
    d_ = draw(_ints(d, "d"))
    c = draw(st.integers(1, min(3, n_)))
    spread = 10.0 ** draw(st.floats(-8, -2))
    rng = np.random.default_rng(draw(seeds()))
    centres = sphere_data(c, d_, rng)
    X = centres[rng.integers(0, c, size=n_)] + spread * rng.standard_normal((n_, d_))
    return Dataset(X, _consistent(X, rademacher_labels(n_, rng)))


@st.composite
def collinear_datasets(draw, n: IntRange = (2, 40), d: IntRange = (2, 6)) -> Dataset:
    r"""Nearly collinear points: ``x_i = t_i u + e z_i`` with u a unit vector,
    :math:`t_i \sim U[-1, 1]`, :math:`z_i \sim N(0, I_d)` and offset
    :math:`e \in \{0\} \cup [10^{-10}, 10^{-4}]` (exactly collinear when 0).

    >>> isinstance(collinear_datasets(), SearchStrategy)
    True
    """
    n_ = draw(_ints(n, "n"))
    d_ = draw(_ints(d, "d"))
    e = draw(st.one_of(st.just(0.0), st.floats(-10, -4).map(lambda s: 10.0 ** s)))
    rng = np.random.default_rng(draw(seeds()))
    u = sphere_data(1, d_, rng)[0]
    t = rng.uniform(-1, 1, size=n_)
    X = t[:, None] * u[None, :] + e * rng.standard_normal((n_, d_))
    return Dataset(X, _consistent(X, rademacher_labels(n_, rng)))


@st.composite
def duplicated_datasets(draw, n: IntRange = (1, 30), d: IntRange = (1, 6)) -> Dataset:
    """A sphere dataset with some rows repeated (each copy keeps its label,
    as interpolation requires), rows shuffled; always at least one duplicate.

    >>> isinstance(duplicated_datasets(), SearchStrategy)
    True
    """
    base = draw(sphere_datasets(n=n, d=d))
    rng = np.random.default_rng(draw(seeds()))
    extra = draw(st.integers(1, max(1, base.n)))
    idx = np.concatenate([np.arange(base.n), rng.integers(0, base.n, size=extra)])
    idx = rng.permutation(idx)
    return Dataset(base.X[idx], base.y[idx])


def tiny_datasets(d: IntRange = (1, 6)) -> SearchStrategy:
    """Datasets with n in {1, 2, 3} (sphere rows, Rademacher labels).

    >>> from hypothesis import find, settings
    >>> find(tiny_datasets(d=1), lambda D: D.n == 1,
    ...      settings=settings(database=None)).X.shape
    (1, 1)
    """
    return sphere_datasets(n=(1, 3), d=d)


@st.composite
def unbalanced_datasets(draw, n: IntRange = (2, 40), d: IntRange = (1, 6)) -> Dataset:
    """Rows in the shell 1/2 <= |x| <= 1 (distinct even in d = 1) whose
    minority class has 0 or 1 points (``n_plus`` or
    ``n_minus`` in {0, 1}).

    >>> isinstance(unbalanced_datasets(), SearchStrategy)
    True
    """
    n_ = draw(_ints(n, "n"))
    d_ = draw(_ints(d, "d"))
    rng = np.random.default_rng(draw(seeds()))
    minority = draw(st.integers(0, min(1, n_)))
    sign = draw(st.sampled_from([1.0, -1.0]))
    y = np.full(n_, sign)
    y[rng.permutation(n_)[:minority]] = -sign
    X = sphere_data(n_, d_, rng) * rng.uniform(0.5, 1.0, size=(n_, 1))  # distinct rows
    return Dataset(X, y)


DATASET_KINDS = ("sphere", "gaussian", "clustered", "collinear", "duplicated", "tiny",
                 "unbalanced")


def datasets(kinds: Sequence[str] = DATASET_KINDS, d: IntRange = (1, 6)) -> SearchStrategy:
    """Any dataset of the given kinds (see the module docstring).

    Parameters
    ----------
    kinds : sequence of str
        Subset of ``('sphere', 'gaussian', 'clustered', 'collinear',
        'duplicated', 'tiny', 'unbalanced')``.
    d : int or (min, max)
        Dimension (``'collinear'`` needs d >= 2 and is left out when d is 1).

    Examples
    --------
    >>> isinstance(datasets(kinds=("tiny", "duplicated"), d=2), SearchStrategy)
    True
    >>> datasets(kinds=("bogus",))
    Traceback (most recent call last):
    ...
    ValueError: kinds: unknown dataset kind 'bogus'; known: ...
    """
    makers = {
        "sphere": lambda: sphere_datasets(d=d),
        "gaussian": lambda: gaussian_datasets(d=d),
        "clustered": lambda: clustered_datasets(d=d),
        "collinear": lambda: collinear_datasets(d=_at_least_2(d)),
        "duplicated": lambda: duplicated_datasets(d=d),
        "tiny": lambda: tiny_datasets(d=d),
        "unbalanced": lambda: unbalanced_datasets(d=d),
    }
    kinds = tuple(kinds)
    if not kinds:
        raise ValueError("kinds: need at least one dataset kind")
    for kind in kinds:
        if kind not in makers:
            raise ValueError(f"kinds: unknown dataset kind {kind!r}; known: {DATASET_KINDS}")
    if _max(d) < 2:
        kinds = tuple(k for k in kinds if k != "collinear") or ("sphere",)
    return st.one_of([makers[k]() for k in kinds])


def _max(v: IntRange) -> int:
    return int(v) if isinstance(v, (int, np.integer)) else int(v[1])


def _at_least_2(v: IntRange) -> IntRange:
    if isinstance(v, (int, np.integer)):
        return max(2, int(v))
    return (max(2, int(v[0])), max(2, int(v[1])))


# ---------------------------------------------------------------------------
# Networks and domains
# ---------------------------------------------------------------------------
def activation_specs(activations: Sequence[str] | None = None) -> SearchStrategy:
    """Activation spec strings. ``activations`` lists families (keys of
    :data:`ACTIVATION_SPECS`) or explicit specs (``'softplus:3'``); default
    all families.

    >>> activation_specs(["relu", "tanh"])
    sampled_from(['relu', 'tanh'])
    """
    from theory.activations import get_activation

    names = list(ACTIVATION_SPECS) if activations is None else list(activations)
    if not names:
        raise ValueError("activations: need at least one activation")
    groups: list[tuple[str, ...]] = []
    for name in names:
        if name in ACTIVATION_SPECS:
            groups.append(ACTIVATION_SPECS[name])
        else:
            get_activation(name)  # raises ValueError naming 'activation' if unknown
            groups.append((name,))
    if all(len(g) == 1 for g in groups):
        return st.sampled_from([g[0] for g in groups])
    # family first, then its parameter: every family is equally likely
    return st.sampled_from(groups).flatmap(st.sampled_from)


@st.composite
def two_layer_nets(draw, activations: Sequence[str] | None = None, d: IntRange = (1, 4),
                   k: IntRange = (1, 8), *, weights: str | None = None,
                   bias: bool = True) -> TwoLayerNet:
    r"""Two-layer networks :math:`\sum_\ell a_\ell\psi(w_\ell\cdot x + b_\ell)`.

    Parameters
    ----------
    activations : sequence of str, optional
        Families or specs (see :func:`activation_specs`); default: all.
    d, k : int or (min, max)
        Input dimension and width.
    weights : {'gaussian', 'lattice'} or None
        ``'gaussian'``: :math:`a \sim N(0, I/k)`, :math:`W \sim N(0, I)`,
        :math:`b \sim N(0, 0.25 I)` times a drawn overall scale in [1/4, 4]
        for ``W`` (generic arrangements); ``'lattice'``: entries in
        {-2, -1.5, ..., 2} (zeros, parallel and concurrent hyperplanes, dead
        neurons). None draws either.
    bias : bool
        Zero biases when False.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> net = find(two_layer_nets(activations=("abs",), d=2, k=3), lambda n: True,
    ...            settings=settings(database=None))
    >>> net.k, net.d, net.spec
    (3, 2, 'abs')
    """
    spec = draw(activation_specs(activations))
    d_ = draw(_ints(d, "d"))
    k_ = draw(_ints(k, "k"))
    mode = draw(st.sampled_from(["gaussian", "lattice"])) if weights is None else weights
    if mode == "gaussian":
        rng = np.random.default_rng(draw(seeds()))
        scale = 2.0 ** draw(st.integers(-2, 2))
        a = rng.standard_normal(k_) / np.sqrt(k_)
        W = scale * rng.standard_normal((k_, d_))
        b = 0.5 * scale * rng.standard_normal(k_)
    elif mode == "lattice":
        half = st.integers(-4, 4).map(lambda v: v / 2)
        a = np.array(draw(st.lists(half, min_size=k_, max_size=k_)))
        W = np.array(draw(st.lists(half, min_size=k_ * d_, max_size=k_ * d_))).reshape(k_, d_)
        b = np.array(draw(st.lists(half, min_size=k_, max_size=k_)))
    else:
        raise ValueError(f"weights: expected 'gaussian', 'lattice' or None, got {weights!r}")
    if not bias:
        b = np.zeros(k_)
    return TwoLayerNet(a, W, b, spec)


def domains(kinds: Sequence[str] = ("rd", "ball", "sphere"), *,
            radius: tuple[float, float] = (0.25, 4.0), d: int | None = None) -> SearchStrategy:
    """Domains: R^d, balls and spheres with radius drawn log-uniformly in
    ``radius`` (or exactly 1). With ``d = 1`` the sphere is left out (S^0 has
    no geodesic metric).

    >>> domains(kinds=("rd",))
    just(Domain(kind='rd', radius=None))
    """
    lo, hi = (float(r) for r in radius)
    if not 0 < lo <= hi or not np.isfinite(hi):
        raise ValueError(f"radius: expected 0 < min <= max < inf, got {radius!r}")
    kinds = tuple(kinds)
    if d is not None and d < 2:
        kinds = tuple(k for k in kinds if k != "sphere")
    if not kinds:
        raise ValueError("kinds: no domain kind left to draw")
    radii = st.one_of(st.just(1.0), st.floats(np.log(lo), np.log(hi)).map(np.exp).map(float))
    out = []
    for kind in kinds:
        if kind == "rd":
            out.append(st.just(Domain.rd()))
        elif kind in ("ball", "sphere"):
            out.append(radii.map(lambda r, kind=kind: Domain(kind, r)))
        else:
            raise ValueError(f"kinds: unknown domain kind {kind!r}")
    return out[0] if len(out) == 1 else st.one_of(out)


#: The families of :func:`adversarial_nets`.
ADVERSARIAL_FAMILIES = ("scale", "cancellation", "near_parallel", "outside_switch")


@st.composite
def adversarial_nets(draw, families: Sequence[str] = ADVERSARIAL_FAMILIES,
                     activations: Sequence[str] | None = ("relu", "leaky_relu", "abs"),
                     d: IntRange = (1, 3)) -> TwoLayerNet:
    r"""Networks that stress floating-point certification, on the unit ball:

    - ``'scale'``: a generic net with the output layer scaled by :math:`10^{s}`,
      :math:`s \in [-8, 8]`, and the first layer by :math:`10^{t}`, :math:`t \in [-4, 4]`;
    - ``'cancellation'``: pairs :math:`\pm 10^8\psi(w\cdot x + b)`, biases differing by
      :math:`10^{-7}` (values cancel to ~1e-8 relative);
    - ``'near_parallel'``: two neurons with normals :math:`w` and
      :math:`w + \epsilon v`, :math:`\epsilon \in [10^{-10}, 10^{-6}]`, huge opposite
      output weights;
    - ``'outside_switch'``: a giant neuron (:math:`a = 10^{12}`) switching on at
      :math:`\|x\| = 1 + \delta`, :math:`\delta \in [10^{-12}, 10^{-8}]`, beside a
      unit one.

    >>> from hypothesis import find, settings
    >>> net = find(adversarial_nets(families=("cancellation",)), lambda n: True,
    ...            settings=settings(database=None))
    >>> bool(abs(net.a).max() >= 1e8)
    True
    """
    family = draw(st.sampled_from(list(families)))
    spec = draw(activation_specs(activations))
    d_ = draw(_ints(d, "d"))
    rng = np.random.default_rng(draw(seeds()))
    if family == "scale":
        k = draw(st.integers(1, 6))
        a = rng.standard_normal(k) * 10.0 ** draw(st.integers(-8, 8))
        W = rng.standard_normal((k, d_)) * 10.0 ** draw(st.integers(-4, 4))
        b = 0.5 * rng.standard_normal(k) * float(np.abs(W).max())
        return TwoLayerNet(a, W, b, spec)
    w = rng.standard_normal(d_)
    w /= np.linalg.norm(w)
    if family == "cancellation":
        b0 = float(draw(st.sampled_from([0.0, 0.3, 10.0])))
        return TwoLayerNet([1e8, -1e8], np.stack([w, w]), [b0, b0 + 1e-7], spec)
    if family == "near_parallel":
        eps = 10.0 ** draw(st.floats(-10, -6))
        v = rng.standard_normal(d_)
        A = float(draw(st.sampled_from([1.0, 1.7e8])))
        b0 = float(draw(st.sampled_from([0.0, 0.5, 10.0])))
        return TwoLayerNet([A, -A], np.stack([w, w + eps * v]), [b0, b0], spec)
    delta = 10.0 ** draw(st.floats(-12, -8))
    return TwoLayerNet([1.0, 1e12], np.stack([w, w]), [0.0, -(1.0 + delta)], spec)


@st.composite
def constant_gradient_nets(draw, d: IntRange = (1, 3), k: IntRange = (1, 6)) -> TwoLayerNet:
    r"""ReLU networks whose every neuron is on, or off, on the whole unit ball
    (:math:`|b_\ell| \ge (1 + 10^{-6})\|w_\ell\|`), with adversarial scales and
    cancellations: on the ball the gradient is the constant
    :math:`\sum_{b_\ell > 0} a_\ell w_\ell`, an exact oracle in rational arithmetic.

    >>> from hypothesis import find, settings
    >>> net = find(constant_gradient_nets(d=2), lambda n: True,
    ...            settings=settings(database=None))
    >>> bool(np.all(np.abs(net.b) >= np.linalg.norm(net.W, axis=1)))
    True
    """
    d_ = draw(_ints(d, "d"))
    k_ = draw(_ints(k, "k"))
    rng = np.random.default_rng(draw(seeds()))
    W = rng.standard_normal((k_, d_)) * 10.0 ** draw(st.integers(-4, 4))
    if draw(st.booleans()) and k_ >= 2:  # nearly equal rows with huge opposite weights
        W[1] = W[0] * (1 + 10.0 ** draw(st.floats(-10, -6)))
    a = rng.standard_normal(k_) * 10.0 ** draw(st.integers(-8, 8))
    if draw(st.booleans()) and k_ >= 2:
        a[1] = -a[0]
    norms = np.linalg.norm(W, axis=1)
    sign = np.where(rng.random(k_) < 0.7, 1.0, -1.0)
    b = sign * norms * (1 + 10.0 ** draw(st.floats(-6, 1)))
    return TwoLayerNet(a, W, b, "relu")


@st.composite
def close_points(draw, d: int, n: IntRange = (2, 12), radius: float = 1.0) -> np.ndarray:
    """``n`` points of the open ball of radius ``radius`` within about 1e-11 of each
    other (and of a random centre), shape (n, d).

    >>> from hypothesis import find, settings
    >>> X = find(close_points(2), lambda X: True, settings=settings(database=None))
    >>> bool(np.ptp(X, axis=0).max() < 1e-9)
    True
    """
    n_ = draw(_ints(n, "n"))
    rng = np.random.default_rng(draw(seeds()))
    c = rng.standard_normal(d)
    c *= radius * 0.9 * rng.random() / max(np.linalg.norm(c), 1e-300)
    return c + 1e-11 * rng.standard_normal((n_, d))
