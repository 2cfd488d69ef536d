r"""The shared prologue of every certificate: the instance, its hypothesis checks,
the certificate type, blocked results and the registry of certifiers.

A certificate applies one registered :class:`theory.bounds.Bound` to one instance
``(net, X, y)`` (docs/mathematics.md#notation). :class:`Instance` validates the
instance once and caches what several bounds share (the network's values on the
data, the basis of the span of the weights); every hypothesis of a bound is checked
on it by :meth:`Instance.check`. A bound whose checkable hypothesis fails gives a
:class:`Certificate` with ``value=None`` and the reason; this is done once, here, by
the :func:`certifier` decorator, so a certifier only computes the bound.

The certifiers themselves live in one module per bound family
(:mod:`numerics.certify.projection`, :mod:`numerics.certify.spectral`,
:mod:`numerics.certify.quadratic`) and register with :func:`certifier`; the package
face imports them all, so :data:`CERTIFIERS` is complete whenever
:func:`certify` can be called. May import :mod:`theory`, :mod:`numerics.models`,
:mod:`numerics.lipschitz` and the root plumbing.

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> X = np.eye(2); y = np.array([1.0, -1.0])
>>> net = TwoLayerNet([1.0, -1.0], X, [0.0, 0.0], "relu")
>>> certs = {c.bound.key: c for c in certify(net, X, y)}
>>> round(certs["R1.pair"].value, 6)
1.414214
>>> certs["R3"].value is None, certs["R3"].failed()
(True, ['homogeneous_quadratic'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from numerics import rounding
from numerics._validate import as_finite_float, as_labels, as_matrix
from numerics.lipschitz import Witness
from numerics.models import TwoLayerNet
from theory.bounds import Bound, all_bounds, get_bound
from theory.bounds import delta as tb_delta

__all__ = [
    "CERTIFIERS",
    "Certificate",
    "FIT_TOL",
    "HypothesisCheck",
    "Instance",
    "certifier",
    "certify",
    "projection_basis",
    "register_certifier",
]


#: Default tolerance of the exact-fit hypothesis: max_i |f(x_i) - y_i| <= FIT_TOL.
FIT_TOL = 1e-6


@dataclass(frozen=True)
class HypothesisCheck:
    """Outcome of one hypothesis on one instance: ``ok`` is True/False, or None
    when the hypothesis cannot be checked on one instance (e.g. random labels)."""

    name: str
    ok: bool | None
    reason: str

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "reason": self.reason}


@dataclass
class Certificate:
    """A bound applied to one instance.

    ``value`` is the bound's value (None when a checkable hypothesis fails or
    the instance is degenerate; ``reason`` says why). ``witnesses`` holds
    inspectable evidence (e.g. a :class:`numerics.lipschitz.witness.Witness`).
    ``probability`` is set for bounds that hold with a probability over the
    labels (then ``value`` is what the bound asserts, not a certainty).
    """

    bound: Bound
    hypotheses_met: dict[str, HypothesisCheck]
    value: float | None
    reason: str = ""
    witnesses: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    probability: str | None = None

    def failed(self) -> list[str]:
        """Names of the hypotheses that fail on this instance."""
        return [n for n, h in self.hypotheses_met.items() if h.ok is False]

    @property
    def quantity(self) -> str:
        return self.bound.quantity

    def to_dict(self) -> dict:
        wit = {}
        for k, w in self.witnesses.items():
            if isinstance(w, Witness):
                wit[k] = w.to_dict()
            elif isinstance(w, np.ndarray):
                wit[k] = w.tolist()
            else:
                wit[k] = w
        return {
            "key": self.bound.key,
            "name": self.bound.name,
            "quantity": self.bound.quantity,
            "direction": self.bound.direction,
            "status": self.bound.status,
            "value": self.value,
            "reason": self.reason,
            "hypotheses": {k: h.to_dict() for k, h in self.hypotheses_met.items()},
            "failed": self.failed(),
            "probability": self.probability,
            "witnesses": wit,
            "details": self.details,
        }


def projection_basis(W) -> tuple[np.ndarray, np.ndarray]:
    r"""Orthonormal bases of :math:`\mathrm{range}(W^T)` (the span of the
    neurons' weights) and of its orthogonal complement.

    Rank by numpy's default rule (singular values above
    :math:`\sigma_{max}\max(k, d)\,\epsilon`).

    Returns
    -------
    Q : ndarray (d, r)
        The projection is :math:`P = Q Q^T`.
    N : ndarray (d, d - r)

    Examples
    --------
    >>> Q, N = projection_basis([[1.0, 1.0, 0.0], [2.0, 2.0, 0.0]])
    >>> Q.shape, N.shape
    ((3, 1), (3, 2))
    """
    return _basis(as_matrix(W, "W"))


def _basis(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`projection_basis` of a validated weight matrix."""
    _, s, Vt = np.linalg.svd(W, full_matrices=True)
    tol = (s.max() if s.size else 0.0) * max(W.shape) * np.finfo(float).eps
    r = int(np.sum(s > tol))
    return Vt[:r].T.copy(), Vt[r:].T.copy()


def _labels_split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.flatnonzero(y > 0), np.flatnonzero(y < 0)


def _check_xy(net, X, y) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    X = as_matrix(X, "X", cols=net.d)
    y = as_labels(y, "y", size=X.shape[0])
    return X, y


def _probability(bound: Bound, delta: float) -> float:
    """The bound's success probability at this delta (1 when deterministic)."""
    if bound.probability is None:
        return 1.0
    return float(bound.probability.subs(tb_delta, delta))


def _value(bound: Bound, **values: float) -> float:
    """``bound.evaluate`` with the instance's values of the symbols the bound uses
    (an instance knows more quantities than any one bound needs)."""
    used = set(bound.symbols)
    return bound.evaluate(**{k: v for k, v in values.items() if k in used})


#: Relative excess of a formula's value over its witnessed counterpart beyond which the
#: certificate refuses (a wrong formula or a degenerate instance); below it the reported
#: value is the smaller of the two, so it decides only what is reported, never soundness.
#: (A witness on the sphere pays up to about 1e-4 relative for its certified projection
#: and geodesic distance, measured by benchmarks/soundness_certificates.py.)
DOMINATION_RTOL = 1e-3


def dominated(formula: float, witnessed: float) -> tuple[float | None, str]:
    """Certification by domination: a closed-form lower bound whose derivation assumes
    exact arithmetic (an exact projection, an exact rank) and that is dominated, in exact
    arithmetic, by a witnessed lower bound. Returns ``(min(formula, witnessed), "")`` when
    the formula does not exceed the witness by more than :data:`DOMINATION_RTOL`, else
    ``(None, reason)``: a formula above its own witness is a wrong formula or a degenerate
    instance, never a number to report.

    >>> dominated(1.0, 1.0 + 1e-12), dominated(1.1, 1.0)[0]
    ((1.0, ''), None)
    """
    if witnessed > 0 and formula <= witnessed * (1 + DOMINATION_RTOL):
        return min(formula, witnessed), ""
    return None, (f"not certified: the formula's value {formula:.10g} exceeds the witnessed "
                  f"bound {witnessed:.10g} that dominates it")


def _bounds(bounds, keys) -> dict:
    out = {key: get_bound(key) for key in keys}
    if bounds:
        for key, b in bounds.items():
            if not isinstance(b, Bound):
                raise ValueError(f"bounds: entry {key!r} is not a Bound")
            out[key] = b
    return out


class Instance:
    """A (network, data) pair with cached derived quantities and hypothesis checks.

    Parameters
    ----------
    net : TwoLayerNet
    X, y : data
    radius : float
        Radius R of the ball domain.
    fit_tol : float
        Exact fit holds when :math:`\\max_i |f(x_i) - y_i| \\le` ``fit_tol``.
    sphere_tol : float
        Data are on the sphere when :math:`\\max_i |\\|x_i\\| - 1| \\le` ``sphere_tol``.
    """

    def __init__(self, net: TwoLayerNet, X, y, *, radius: float = 1.0,
                 fit_tol: float = FIT_TOL, sphere_tol: float = 1e-9):
        self.X, self.y = _check_xy(net, X, y)
        self.net = net
        self.radius = as_finite_float(radius, "radius", positive=True)
        self.fit_tol = as_finite_float(fit_tol, "fit_tol", nonnegative=True)
        self.sphere_tol = as_finite_float(sphere_tol, "sphere_tol", nonnegative=True)

    @cached_property
    def f(self) -> np.ndarray:
        return self.net(self.X)

    @cached_property
    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Bases of the span of the weights and of its complement (:func:`projection_basis`)."""
        return _basis(self.net.W)

    @cached_property
    def rank(self) -> int:
        return self.basis[0].shape[1]

    def check(self, name: str) -> HypothesisCheck:
        """Check one named hypothesis (see :data:`theory.bounds.CHECKABLE_HYPOTHESES`)."""
        X, y, f, net = self.X, self.y, self.f, self.net
        npl, nmi = int(np.sum(y > 0)), int(np.sum(y < 0))
        if name == "exact_fit":
            res = float(np.max(np.abs(f - y)))
            return HypothesisCheck(name, res <= self.fit_tol,
                                   f"max |f(x_i) - y_i| = {res:.3g} (tolerance {self.fit_tol:g})")
        if name == "separation":
            if npl == 0 or nmi == 0:
                return HypothesisCheck(name, False, "only one label present")
            gap = float(f[y > 0].min() - f[y < 0].max())
            need = 2 - 2 * self.fit_tol
            return HypothesisCheck(
                name, gap >= need,
                f"min_{{I+}} f - max_{{I-}} f = {gap:.6g} (need >= {need:g}; the value uses "
                "the actual gap)")
        if name == "both_labels":
            return HypothesisCheck(name, npl > 0 and nmi > 0, f"n+ = {npl}, n- = {nmi}")
        if name == "data_in_ball":
            # fails only when some row is certified outside (its norm rounded down > R);
            # rows within rounding of the sphere pass: every certified number that needs a
            # point of the ball uses a witness whose membership is certified separately
            m = float(np.max(rounding._norm_down(X, 2.0)))
            return HypothesisCheck(name, m <= self.radius,
                                   f"max ||x_i|| >= {m:.6g} (rounded down), R = {self.radius:g}")
        if name == "data_on_sphere":
            dev = float(np.max(np.abs(np.linalg.norm(X, axis=1) - 1)))
            return HypothesisCheck(name, dev <= self.sphere_tol,
                                   f"max | ||x_i|| - 1 | = {dev:.3g} "
                                   f"(tolerance {self.sphere_tol:g})")
        if name == "rank_deficient":
            return HypothesisCheck(name, self.rank < net.d, f"rank W = {self.rank}, d = {net.d}")
        if name == "relu":
            return HypothesisCheck(name, net.spec == "relu", f"activation {net.spec}")
        if name == "homogeneous_quadratic":
            ok = net.spec == "power:2" and not np.any(net.b != 0)
            return HypothesisCheck(name, ok, f"activation {net.spec}, max |b| = "
                                   f"{float(np.max(np.abs(net.b))):.3g}")
        if name in ("random_labels", "generic_data"):
            return HypothesisCheck(name, None, "assumed; not checkable on one instance")
        return HypothesisCheck(name, None, "no checker for this hypothesis")

    def checks(self, bound: Bound) -> dict[str, HypothesisCheck]:
        return {h.name: self.check(h.name) for h in bound.hypotheses}


def _blocked(bound: Bound, checks: dict) -> Certificate | None:
    failed = [n for n, h in checks.items() if h.ok is False]
    if failed:
        why = "; ".join(f"{n}: {checks[n].reason}" for n in failed)
        return Certificate(bound, checks, None, f"hypotheses fail: {why}")
    return None


#: key -> certifier(instance, bound, **options) -> Certificate. Filled by the bound
#: families' modules through :func:`certifier`; others may add theirs with
#: :func:`register_certifier`.
CERTIFIERS: dict[str, Callable] = {}


def register_certifier(key: str, fn: Callable) -> None:
    """Add a certifier ``fn(instance, bound, **options) -> Certificate`` for the
    bound with this key (ValueError naming ``key`` on a duplicate)."""
    if key in CERTIFIERS:
        raise ValueError(f"key: a certifier for {key!r} already exists")
    CERTIFIERS[key] = fn


def certifier(*keys: str) -> Callable:
    """Register ``fn(instance, bound, checks, **options) -> Certificate`` for the bounds
    with these keys. The registered certifier checks the bound's hypotheses on the
    instance first and returns the blocked certificate (``value=None``, the failing
    hypotheses and their reasons) without calling ``fn`` when one fails.

    Examples
    --------
    >>> @certifier("demo.key")
    ... def _demo(inst, bound, checks, **options):
    ...     return Certificate(bound, checks, 1.0)
    >>> "demo.key" in CERTIFIERS
    True
    >>> del CERTIFIERS["demo.key"]
    """
    def register(fn: Callable) -> Callable:
        def run(inst: Instance, bound: Bound, **options) -> Certificate:
            checks = inst.checks(bound)
            blocked = _blocked(bound, checks)
            if blocked is not None:
                return blocked
            return fn(inst, bound, checks, **options)

        run.__name__ = run.__qualname__ = fn.__name__
        run.__doc__ = fn.__doc__
        for key in keys:
            register_certifier(key, run)
        return fn

    return register


def certify(net: TwoLayerNet, X, y, *, radius: float = 1.0, fit_tol: float = FIT_TOL,
            delta: float = 0.05, bounds: list[Bound] | None = None) -> list[Certificate]:
    r"""Apply every bound that has a certifier to the instance ``(net, X, y)``.

    Parameters
    ----------
    net : TwoLayerNet
    X : array_like (n, d)
    y : array_like (n,) of +-1
    radius : float
        Ball radius R for the ball bounds (data must satisfy
        :math:`\|x_i\|\le R`, checked).
    fit_tol : float
        Tolerance of the exact-fit hypothesis (explicit in every output).
    delta : float
        Confidence parameter of the probabilistic bound R2, in (0, 1/3).
    bounds : list of Bound, optional
        Bounds to apply (default: every registered bound with a certifier);
        a bound without a certifier raises ValueError naming ``bounds``.

    Returns
    -------
    list of Certificate
        One per bound, in registry order.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "relu")
    >>> c = certify(net, np.eye(2), [1.0, -1.0])[0]
    >>> c.bound.key, c.value is None, c.failed()
    ('R1', True, ['separation'])
    """
    inst = Instance(net, X, y, radius=radius, fit_tol=fit_tol)
    delta = as_finite_float(delta, "delta", positive=True)
    if not delta < 1 / 3:
        raise ValueError(f"delta: must be in (0, 1/3), got {delta}")
    if bounds is None:
        todo = [b for b in all_bounds() if b.key in CERTIFIERS]
    else:
        todo = list(bounds)
        for b in todo:
            if not isinstance(b, Bound) or b.key.rstrip("'") not in CERTIFIERS:
                raise ValueError(f"bounds: no certifier for {getattr(b, 'key', b)!r}")
    return [CERTIFIERS[b.key.rstrip("'")](inst, b, delta=delta) for b in todo]
