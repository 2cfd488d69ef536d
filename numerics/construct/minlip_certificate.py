r"""Certified Lipschitz upper bounds of one interpolant, from its weights alone, and
their independent re-verification (docs/mathematics.md#min-lipschitz-interpolation,
docs/mathematics.md#lipsdp-reduction).

**Certification (from scratch).** The optimizer's numbers are never reported. The
final network is certified on the domain (default the unit ball :math:`B_1`) by
:func:`numerics.lipschitz.lipsdp_upper_bound` (which re-optimizes the multipliers
domain-aware and certifies the full matrix inequality by a Cholesky test) and by the
closed-form bounds of :mod:`numerics.lipschitz`; the smallest is the claim, stored
with what is needed to re-check it (:class:`LipCertificate`). :func:`verify_point`
re-checks a claim in a separate call: exact fit to ``1e-9`` and the claimed bound
recomputed from the weights (for LipSDP: :func:`numerics.lipschitz.certify_multipliers`
with the stored multipliers at :math:`\rho = U^2`, which rejects any deflated value).

Examples
--------
>>> X = np.eye(2); y = np.array([1.0, -1.0])
>>> net = TwoLayerNet([1.0, -1.0], np.eye(2), [0.0, 0.0], "relu")
>>> verify_point(net, X, y, certify_point(net)).ok
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from numerics._validate import as_finite_float
from numerics.data import validate_dataset
from numerics.domain import Domain
from numerics.lipschitz import (
    centered_upper_bound,
    certify_multipliers,
    lipsdp_upper_bound,
    path_norm_upper_bound,
    spectral_upper_bound,
)
from numerics.models import TwoLayerNet

__all__ = ["CERT_METHODS", "FIT_TOL", "LipCertificate", "PointCheck", "certify_point",
           "verify_point"]


#: Exact fit: :math:`\max_i |f(x_i) - y_i| \le` FIT_TOL.
FIT_TOL = 1e-9


#: Methods a :class:`LipCertificate` may name; each is recomputable from the weights.
CERT_METHODS = ("lipsdp", "centered", "path_norm", "spectral")


@dataclass(frozen=True)
class LipCertificate:
    r"""A certified upper bound :math:`\mathrm{Lip}_\Omega(f) \le` ``value`` and what
    is needed to re-check it.

    Attributes
    ----------
    method : str
        ``'lipsdp'`` (docs/mathematics.md#lipsdp-reduction with the stored multipliers ``t``),
        ``'centered'``,
        ``'path_norm'`` or ``'spectral'`` (closed forms of :mod:`numerics.lipschitz.upper`).
    value : float
    domain : Domain
    t : ndarray or None
        LipSDP multipliers (Fazlyab's T), shape (k,).
    others : dict
        The other certified bounds computed at the same time (name -> value).
    """

    method: str
    value: float
    domain: Domain
    t: np.ndarray | None = None
    others: dict = field(default_factory=dict)

    def to_dict(self, *, with_t: bool = True) -> dict:
        out = {"method": self.method, "value": self.value, "domain": self.domain.label,
               "others": dict(self.others)}
        if with_t:
            out["t"] = None if self.t is None else [float(x) for x in self.t]
        return out

    @classmethod
    def from_dict(cls, dct: dict, domain: Domain) -> LipCertificate:
        """Inverse of :meth:`to_dict` (the domain is passed explicitly)."""
        t = dct.get("t")
        return cls(dct["method"], float(dct["value"]), domain,
                   None if t is None else np.asarray(t, dtype=float),
                   dict(dct.get("others") or {}))


def _closed_form(method: str, net: TwoLayerNet, domain: Domain) -> float:
    fn = {"centered": centered_upper_bound, "path_norm": path_norm_upper_bound,
          "spectral": spectral_upper_bound}[method]
    return float(fn(net, domain))


def certify_point(net: TwoLayerNet, domain: Domain | None = None, *,
                  tol: float = 1e-4) -> LipCertificate:
    r"""Certify an upper bound on :math:`\mathrm{Lip}_\Omega(f)` from the weights alone:
    the smallest of the LipSDP bound (:func:`numerics.lipschitz.lipsdp.lipsdp_upper_bound`,
    multipliers re-optimized from scratch, domain-aware, Cholesky-certified) and the
    closed-form centred, path-norm and spectral bounds.

    Parameters
    ----------
    net : TwoLayerNet
    domain : Domain, default the unit ball
    tol : float
        Target primal-dual gap of the multiplier optimization.

    Examples
    --------
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    >>> c = certify_point(net, Domain.rd())
    >>> round(c.value, 6), sorted(c.others)  # Lip = sqrt(2): both on, gradient (1, -1)
    (1.414214, ['centered', 'lipsdp', 'path_norm', 'spectral'])
    """
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    domain = Domain.ball(1.0) if domain is None else domain
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    others = {m: _closed_form(m, net, domain) for m in ("centered", "path_norm", "spectral")}
    res = lipsdp_upper_bound(net, domain, tol=tol)
    best = ("lipsdp", res.value, res.t) if res is not None and res.certified else None
    if res is not None:
        others["lipsdp"] = res.value if res.certified else math.inf
    for m in ("centered", "path_norm", "spectral"):
        if best is None or others[m] < best[1]:
            best = (m, others[m], None)
    return LipCertificate(best[0], float(best[1]), domain,
                          None if best[2] is None else np.asarray(best[2], dtype=float),
                          {m: float(v) for m, v in others.items()})


@dataclass(frozen=True)
class PointCheck:
    """Outcome of :func:`verify_point`: ``ok`` iff the network interpolates to
    ``fit_tol`` and the claimed certificate re-verifies; ``reasons`` lists failures."""

    ok: bool
    max_error: float
    fit_ok: bool
    certificate_ok: bool
    recomputed: float | None
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"ok": self.ok, "max_error": self.max_error, "fit_ok": self.fit_ok,
                "certificate_ok": self.certificate_ok, "recomputed": self.recomputed,
                "reasons": list(self.reasons)}


def verify_point(net: TwoLayerNet, X, y, certificate: LipCertificate, *,
                 fit_tol: float = FIT_TOL, recompute: bool = False) -> PointCheck:
    r"""Independent check of one point of the curve.

    1. Exact fit: :math:`\max_i|f(x_i) - y_i| \le` ``fit_tol`` (evaluated afresh).
    2. The claim :math:`\mathrm{Lip}_\Omega(f) \le U` (``certificate.value``) re-verified
       from the weights: for ``'lipsdp'``,
       :func:`numerics.lipschitz.lipsdp.certify_multipliers` (net, t, :math:`U^2`, domain) must
       succeed (sectors, :math:`s(t) < 1`, Cholesky of :math:`(U^2 - m)I - R(t)`), so a
       deflated U is rejected; for a closed form, the recomputed bound must be
       :math:`\le U`.
    3. With ``recompute=True`` the LipSDP bound is also re-optimized from scratch and
       returned as ``recomputed`` (informative: a second certified value).

    Examples
    --------
    >>> X = np.eye(2); y = np.array([1.0, -1.0])
    >>> net = TwoLayerNet([1.0, -1.0], np.eye(2), [0.0, 0.0], "relu")
    >>> cert = certify_point(net)
    >>> verify_point(net, X, y, cert).ok
    True
    >>> from dataclasses import replace
    >>> verify_point(net, X, y, replace(cert, value=cert.value * 0.99)).reasons[0][:27]
    'certificate does not verify'
    """
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    if not isinstance(certificate, LipCertificate):
        raise ValueError("certificate: expected a LipCertificate")
    X, y = validate_dataset(X, y)
    if X.shape[1] != net.d:
        raise ValueError(f"X: expected {net.d} columns, got {X.shape[1]}")
    fit_tol = as_finite_float(fit_tol, "fit_tol", positive=True)
    reasons = []
    err = float(np.max(np.abs(net(X) - y)))
    fit_ok = err <= fit_tol
    if not fit_ok:
        reasons.append(f"does not interpolate: max |f(x_i) - y_i| = {err:.3g} > {fit_tol:g}")
    U = certificate.value
    dom = certificate.domain
    if not (isinstance(U, float) and math.isfinite(U) and U >= 0):
        cert_ok = False
    elif certificate.method == "lipsdp":
        t = certificate.t
        cert_ok = (t is not None and np.shape(t) == (net.k,)
                   and bool(certify_multipliers(net, t, U * U, dom)))
    elif certificate.method in CERT_METHODS:
        cert_ok = _closed_form(certificate.method, net, dom) <= U
    else:
        raise ValueError(f"certificate: unknown method {certificate.method!r}")
    if not cert_ok:
        reasons.append(f"certificate does not verify: {certificate.method} bound {U!r} on "
                       f"{dom.label}")
    rec = None
    if recompute:
        res = lipsdp_upper_bound(net, dom)
        rec = res.value if res is not None and res.certified else None
    return PointCheck(fit_ok and cert_ok, err, fit_ok, cert_ok, rec, tuple(reasons))
