r"""Minimum-Lipschitz interpolation: k-neuron ReLU interpolants with small *certified*
Lipschitz constants.

For data :math:`(x_i, y_i)_{i\le n}` and a width k this module searches

.. math::

    \min_{a, W, b, t}\ \rho(a, W, t) \quad\text{subject to}\quad
    f_{a,W,b}(x_i) = y_i \ (i = 1..n),

where :math:`\sqrt{\rho}` is the LipSDP-Neuron bound of THEORY.md §3b for the ReLU
network :math:`f(x) = \sum_\ell a_\ell\,\mathrm{relu}(w_\ell\cdot x + b_\ell)` on
:math:`\mathbb R^d`,

.. math::

    \rho(a, W, t) = \lambda_{\max}\Big(\tfrac12 W^T\mathrm{diag}(t)W
    + \frac{gg^T}{4(1 - s(t))}\Big),\qquad g = W^Ta,\quad s(t) = \sum_\ell
    \frac{a_\ell^2}{2t_\ell} < 1 .

**Parametrization of the multipliers.** With :math:`\pi = \mathrm{softmax}(u)` and
:math:`\sigma = 1/(1+e^{-v})` put :math:`t_\ell = a_\ell^2/(2\sigma\pi_\ell)`; then
:math:`s = \sigma < 1` automatically and

.. math::

    \rho = \lambda_{\max}(M),\qquad M = \tfrac14\,W^T\Big(\mathrm{diag}\big(
    \tfrac{a^2}{\sigma\pi}\big) + \frac{aa^T}{1-\sigma}\Big)W .

The objective is a smoothed maximum eigenvalue
:math:`F = \lambda_1 + \epsilon\log\sum_i e^{(\lambda_i - \lambda_1)/\epsilon}`
(gradient :math:`\partial F = \langle P, \partial M\rangle` with
:math:`P = \sum_i p_i q_iq_i^T`, :math:`p = \mathrm{softmax}(\lambda/\epsilon)`); with
:math:`A = \mathrm{diag}(|a|/\sqrt{\sigma\pi})W`, :math:`h = W^Ta`,
:math:`q_\ell = w_\ell^TPw_\ell`, :math:`\gamma = h^TPh`,
:math:`e_\ell = a_\ell^2q_\ell/(4\sigma\pi_\ell)`:

.. math::

    \nabla_W F = \tfrac12\mathrm{diag}\big(\tfrac{a^2}{\sigma\pi}\big)WP
      + \frac{a\,(Ph)^T}{2(1-\sigma)},\quad
    \nabla_a F = \frac{a\,q}{2\sigma\pi} + \frac{WPh}{2(1-\sigma)},\quad
    \nabla_u F = -e + \pi\textstyle\sum_\ell e_\ell,\quad
    \partial_v F = -(1-\sigma)\textstyle\sum_\ell e_\ell + \frac{\sigma\gamma}{4(1-\sigma)} .

**Interpolation** is enforced by an augmented Lagrangian
:math:`F + \lambda^Tr + \tfrac\mu2\|r\|^2`, :math:`r_i = f(x_i) - y_i`, minimized by
scipy's L-BFGS over :math:`(a, W, b, u, v)` jointly, with multiplier updates
:math:`\lambda \leftarrow \lambda + \mu r`, a growing :math:`\mu`, and a continuation of
the smoothing :math:`\epsilon`. Starts: trained interpolants (:mod:`numerics.construct.fit`) and
the explicit constructions C1 and C4 (:mod:`numerics.construct.constructions`) where they
interpolate, padded with inactive neurons (:math:`a_\ell = 0`) up to k.

**Exactness polish.** After the optimization: when :math:`k \ge n`, the minimal-norm
correction of the output layer :math:`a \leftarrow a + \Phi^+(y - \Phi a)`; otherwise
(or if that is not enough) damped Gauss--Newton steps with minimal-norm solutions on
all parameters.

**Certification (from scratch).** The optimizer's numbers are never reported. The
final network is certified on the domain (default the unit ball :math:`B_1`) by
:func:`numerics.lipschitz.lipsdp.lipsdp_upper_bound` (which re-optimizes the multipliers
domain-aware and certifies the full matrix inequality by a Cholesky test) and by the
closed-form bounds of :mod:`numerics.lipschitz.l2`; the smallest is the claim, stored
with what is needed to re-check it (:class:`LipCertificate`). :func:`verify_point`
re-checks a claim in a separate call: exact fit to ``1e-9`` and the claimed bound
recomputed from the weights (for LipSDP: :func:`numerics.lipschitz.lipsdp.certify_multipliers`
with the stored multipliers at :math:`\rho = U^2`, which rejects any deflated value).

Examples
--------
>>> from numerics.data import random_dataset
>>> D = random_dataset(12, 6, seed=0)
>>> res = min_lipschitz_interpolant(D.X, D.y, 12, starts=("fit",), seeds=(0,),
...                                 outer=4, inner=150)
>>> res.max_error <= 1e-9, res.certificate.method
(True, 'lipsdp')
>>> verify_point(res.net, D.X, D.y, res.certificate).ok
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from numerics._validate import as_finite_float, as_positive_int
from numerics.data import validate_dataset
from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = [
    "FIT_TOL",
    "LipCertificate",
    "MinLipResult",
    "PointCheck",
    "certify_point",
    "lipsdp_objective",
    "min_lipschitz_interpolant",
    "optimize_from",
    "polish_exact",
    "start_networks",
    "verify_point",
]

#: Exact fit: :math:`\max_i |f(x_i) - y_i| \le` FIT_TOL.
FIT_TOL = 1e-9
#: Methods a :class:`LipCertificate` may name; each is recomputable from the weights.
CERT_METHODS = ("lipsdp", "centered", "path_norm", "spectral")
_START_KINDS = ("fit", "fit_path", "C1", "C4")


# ---------------------------------------------------------------------------
# the objective
# ---------------------------------------------------------------------------
def _split(theta: np.ndarray, k: int, d: int):
    a = theta[:k]
    W = theta[k:k + k * d].reshape(k, d)
    b = theta[k + k * d:k + k * d + k]
    u = theta[k + k * d + k:k + k * d + 2 * k]
    v = float(theta[-1])
    return a, W, b, u, v


def lipsdp_objective(a, W, u, v, *, temp: float = 0.0):
    r"""The (smoothed) LipSDP value :math:`F \approx \lambda_{\max}(M)` of the module
    docstring and its gradients in :math:`(a, W, u, v)`.

    Parameters
    ----------
    a : ndarray (k,); W : ndarray (k, d)
    u : ndarray (k,)
        Logits of :math:`\pi = \mathrm{softmax}(u)`.
    v : float
        Logit of :math:`\sigma = s(t)`.
    temp : float >= 0
        Smoothing temperature :math:`\epsilon` (absolute, in units of
        :math:`\lambda`; 0: the exact :math:`\lambda_{\max}` and a subgradient).

    Returns
    -------
    (F, rho, grad_a, grad_W, grad_u, grad_v, t)
        ``rho`` is the exact :math:`\lambda_{\max}(M)`; ``t`` the multipliers
        :math:`t_\ell = a_\ell^2/(2\sigma\pi_\ell)` (Fazlyab's T of
        :mod:`numerics.lipschitz.lipsdp`, so ``rho`` equals the largest eigenvalue of
        :func:`numerics.lipschitz.lipsdp.reduced_matrix` on :math:`\mathbb R^d`).

    Examples
    --------
    >>> F, rho, *_ , t = lipsdp_objective(np.array([1.0]), np.array([[3.0, 4.0]]),
    ...                                   np.zeros(1), 0.0)
    >>> round(rho, 12), t.tolist()   # sigma = 1/2: M = (1/4)(2 + 2) w w^T
    (25.0, [1.0])
    """
    a = np.asarray(a, dtype=float)
    W = np.asarray(W, dtype=float)
    k = a.size
    lu = u - np.logaddexp.reduce(u)
    pi = np.exp(lu)
    sig = 1.0 / (1.0 + math.exp(-v))
    one_m = 1.0 / (1.0 + math.exp(v))  # 1 - sigma, without cancellation
    D = a * a / (sig * pi)
    h = W.T @ a
    M = 0.25 * ((W.T * D) @ W + np.outer(h, h) / one_m)
    M = (M + M.T) / 2
    lam, Q = np.linalg.eigh(M)
    rho = float(lam[-1])
    if temp > 0:
        T = temp
        z = (lam - rho) / T
        w = np.exp(np.maximum(z, -700.0))
        F = rho + T * math.log(float(w.sum()))
        p = w / w.sum()
    else:
        F = rho
        p = np.zeros(lam.size)
        p[-1] = 1.0
    keep = p > 1e-300
    Qk = Q[:, keep] * np.sqrt(p[keep])
    WQ = W @ Qk
    q = np.einsum("ij,ij->i", WQ, WQ)      # w_l^T P w_l
    Ph = Qk @ (Qk.T @ h)
    gam = float(h @ Ph)
    WPh = W @ Ph
    gW = 0.5 * D[:, None] * (WQ @ Qk.T) + np.outer(a, Ph) / (2 * one_m)
    ga = a * q / (2 * sig * pi) + WPh / (2 * one_m)
    e = D * q / 4
    se = float(e.sum())
    gu = -e + pi * se
    gv = -one_m * se + sig * gam / (4 * one_m)
    with np.errstate(divide="ignore"):
        t = a * a / (2 * sig * pi)
    return F, rho, ga, gW, gu, gv, t.reshape(k)


def _residual(a, W, b, X, y):
    Z = X @ W.T + b
    H = np.maximum(Z, 0.0)
    return H @ a - y, Z, H


def _lagrangian(theta, X, y, k, lam, mu, temp, scale):
    n, d = X.shape
    a, W, b, u, v = _split(theta, k, d)
    F, _, ga, gW, gu, gv, _ = lipsdp_objective(a, W, u, v, temp=temp)
    r, Z, H = _residual(a, W, b, X, y)
    c = lam + mu * r                    # d/dr of lam.r + mu/2 |r|^2
    val = F + float(lam @ r) + 0.5 * mu * float(r @ r)
    ga = ga + H.T @ c
    Dz = np.outer(c, a) * (Z > 0)
    gW = gW + Dz.T @ X
    gb = Dz.sum(axis=0)
    grad = np.concatenate([ga, gW.ravel(), gb, gu, [gv]])
    return val / scale, grad / scale


def _pack(net: TwoLayerNet, u=None, v: float = 0.0) -> np.ndarray:
    if u is None:
        u = _best_u(net)
    return np.concatenate([net.a, net.W.ravel(), net.b, u, [v]])


def _best_u(net: TwoLayerNet) -> np.ndarray:
    r"""Multiplier logits proportional to the closed-form best response
    :math:`\pi_\ell \propto |a_\ell|\|w_\ell\|` (the path-norm weights), floored at a
    tenth of their mean so that inactive neurons (:math:`a_\ell = 0`, e.g. padding) are
    not frozen: with a tiny :math:`\pi_\ell`, switching neuron ℓ on would cost
    :math:`a_\ell^2/\pi_\ell` at once."""
    s = np.abs(net.a) * np.linalg.norm(net.W, axis=1)
    pos = s[s > 0]
    floor = 0.1 * float(pos.mean()) if pos.size else 1.0
    return np.log(np.maximum(s, floor))


# ---------------------------------------------------------------------------
# polish and certificates
# ---------------------------------------------------------------------------
def _jac(a, W, b, X):
    """Jacobian of f(x_i) in (a, W, b), shape (n, k(d + 2))."""
    n, d = X.shape
    Z = X @ W.T + b
    H = np.maximum(Z, 0.0)
    S = (Z > 0) * a
    JW = (S[:, :, None] * X[:, None, :]).reshape(n, -1)
    return np.concatenate([H, JW, S], axis=1)


def polish_exact(net: TwoLayerNet, X, y, *, tol: float = 1e-11,
                 gn_steps: int = 30) -> tuple[TwoLayerNet, str]:
    r"""Make a nearly interpolating ReLU network interpolate to ``tol``.

    First, when :math:`k \ge n` and :math:`\Phi = \mathrm{relu}(XW^T + 1b^T)` has rank
    n, the minimal-norm output correction :math:`a \leftarrow a + \Phi^+(y - \Phi a)`
    (exact up to rounding); otherwise damped Gauss--Newton steps
    :math:`\theta \leftarrow \theta - sJ^+r` on all parameters. Returns the network
    and what ran (``'none'``, ``'output_lstsq'``, ``'gauss_newton'``); the result may
    still miss ``tol`` (the caller checks).

    Examples
    --------
    >>> X = np.eye(2); y = np.array([1.0, -1.0])
    >>> net = TwoLayerNet([1.1, -0.9], np.eye(2), [0.0, 0.0], "relu")
    >>> out, how = polish_exact(net, X, y)
    >>> how, float(np.max(np.abs(out(X) - y))) <= 1e-12
    ('output_lstsq', True)
    """
    X, y = validate_dataset(X, y)
    tol = as_finite_float(tol, "tol", positive=True)
    n = X.shape[0]
    a, W, b = net.a.copy(), net.W.copy(), net.b.copy()
    r, _, H = _residual(a, W, b, X, y)
    err = float(np.max(np.abs(r)))
    if err <= tol:
        return net, "none"
    how = "none"
    if net.k >= n:
        da = np.linalg.lstsq(H, -r, rcond=None)[0]
        a2 = a + da
        r2 = _residual(a2, W, b, X, y)[0]
        e2 = float(np.max(np.abs(r2)))
        if e2 < err:
            a, r, err, how = a2, r2, e2, "output_lstsq"
    k, d = W.shape
    for _ in range(gn_steps if err > tol else 0):
        how = "gauss_newton"
        J = _jac(a, W, b, X)
        step = np.linalg.lstsq(J, r, rcond=None)[0]
        s, ok = 1.0, False
        for _ in range(30):
            th = np.concatenate([a, W.ravel(), b]) - s * step
            a2, W2, b2 = th[:k], th[k:k + k * d].reshape(k, d), th[k + k * d:]
            r2 = _residual(a2, W2, b2, X, y)[0]
            if r2 @ r2 < r @ r:
                a, W, b, r, ok = a2, W2, b2, r2, True
                break
            s /= 2
        err = float(np.max(np.abs(r)))
        if not ok or err <= tol:
            break
    return TwoLayerNet(a, W, b, net.activation), how


@dataclass(frozen=True)
class LipCertificate:
    r"""A certified upper bound :math:`\mathrm{Lip}_\Omega(f) \le` ``value`` and what
    is needed to re-check it.

    Attributes
    ----------
    method : str
        ``'lipsdp'`` (THEORY.md §3b with the stored multipliers ``t``), ``'centered'``,
        ``'path_norm'`` or ``'spectral'`` (closed forms of :mod:`numerics.lipschitz.l2`).
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
    from numerics.lipschitz import (
        centered_upper_bound,
        path_norm_upper_bound,
        spectral_upper_bound,
    )

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
    from numerics.lipschitz import lipsdp_upper_bound

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
    from numerics.lipschitz import certify_multipliers, lipsdp_upper_bound

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


# ---------------------------------------------------------------------------
# starts and optimization
# ---------------------------------------------------------------------------
def _pad(net: TwoLayerNet, k: int, rng: np.random.Generator) -> TwoLayerNet:
    """Pad with k - net.k inactive neurons (a = 0, small random w, b)."""
    extra = k - net.k
    if extra <= 0:
        return net
    scale = float(np.median(np.linalg.norm(net.W, axis=1))) or 1.0
    W = rng.standard_normal((extra, net.d)) * scale / math.sqrt(net.d)
    b = rng.standard_normal(extra) * 0.1 * scale
    return TwoLayerNet(np.concatenate([net.a, np.zeros(extra)]), np.vstack([net.W, W]),
                       np.concatenate([net.b, b]), net.activation)


def start_networks(X, y, k: int, *, starts=("fit", "C1", "C4"), seeds=(0,),
                   fit_maxiter: int = 2000) -> list[tuple[str, TwoLayerNet]]:
    r"""Starting networks with exactly k neurons, as ``(label, net)`` pairs.

    - ``'fit'`` / ``'fit_path'``: :func:`numerics.construct.fit.fit_interpolant` (plain / path-norm
      regularized) for each seed; kept when it interpolates or separates.
    - ``'C1'`` (needs :math:`k \ge n`) and ``'C4'`` (the smallest group size whose
      :math:`2\lceil n/m\rceil \le k`): the explicit constructions, kept only when
      their exactness condition holds, padded with inactive neurons to k.

    Examples
    --------
    >>> from numerics.data import random_dataset
    >>> D = random_dataset(10, 20, seed=0)
    >>> [lab for lab, _ in start_networks(D.X, D.y, 12, starts=("C1", "C4"))]
    ['C1', 'C4']
    """
    from numerics.construct.constructions import c1_one_neuron_per_point, c4_grouped_min_norm
    from numerics.construct.fit import fit_interpolant

    X, y = validate_dataset(X, y)
    n, d = X.shape
    k = as_positive_int(k, "k")
    for s in starts:
        if s not in _START_KINDS:
            raise ValueError(f"starts: unknown start {s!r}; known: {_START_KINDS}")
    rng = np.random.default_rng([k, n, d])
    out = []
    for s in starts:
        if s in ("fit", "fit_path"):
            for seed in seeds:
                kw = {"reg": "path", "lam": 1e-3} if s == "fit_path" else {}
                r = fit_interpolant(X, y, k, seed=seed, maxiter=fit_maxiter, **kw)
                if r.status in ("exact", "separated"):
                    out.append((f"{s}:{seed}", r.net))
        elif s == "C1" and k >= n:
            r = c1_one_neuron_per_point(X, y)
            if r.condition_holds and r.interpolates:
                out.append(("C1", _pad(r.net, k, rng)))
        elif s == "C4":
            m = math.ceil(2 * n / k) if k < 2 * n else 1
            while m <= d and 2 * math.ceil(n / m) > k:
                m += 1
            if m <= d:
                r = c4_grouped_min_norm(X, y, group_size=m, threshold="auto")
                if r.condition_holds and r.interpolates:
                    out.append(("C4", _pad(r.net, k, rng)))
    return out


def optimize_from(net: TwoLayerNet, X, y, *, outer: int = 8, inner: int = 1000,
                  mu0: float | None = None) -> TwoLayerNet:
    r"""Augmented-Lagrangian minimization of the smoothed LipSDP objective subject to
    interpolation, from ``net`` (ReLU). Returns the last iterate (not polished, not
    certified: use :func:`polish_exact` and :func:`certify_point`).

    ``outer`` multiplier updates, each with up to ``inner`` L-BFGS iterations; the
    smoothing goes from :math:`10^{-2}` to :math:`10^{-4}` (relative), the penalty
    grows tenfold whenever :math:`\|r\|_\infty` fails to drop by 4.

    Examples
    --------
    >>> X = np.eye(2); y = np.array([1.0, -1.0])
    >>> net = TwoLayerNet([2.0, -2.0], 2 * np.eye(2), [-1.0, -1.0], "relu")
    >>> out = optimize_from(net, X, y, outer=3, inner=100)
    >>> float(np.max(np.abs(out(X) - y))) < 1e-2
    True
    """
    X, y = validate_dataset(X, y)
    if net.spec != "relu":
        raise ValueError(f"net: the optimizer handles relu networks, got {net.spec}")
    outer = as_positive_int(outer, "outer")
    inner = as_positive_int(inner, "inner")
    n, d = X.shape
    k = net.k
    theta = _pack(net)
    F0 = lipsdp_objective(net.a, net.W, theta[k + k * d + k:-1], 0.0)[1]
    scale = max(F0, 1e-8)
    mu = (10.0 * scale) if mu0 is None else as_finite_float(mu0, "mu0", positive=True)
    lam = np.zeros(n)
    prev = math.inf
    epss = np.geomspace(1e-2, 1e-4, max(outer, 2))
    bounds = [(None, None)] * (theta.size - k - 1) + [(-40.0, 40.0)] * k + [(-30.0, 30.0)]
    for it in range(outer):
        eps = float(epss[min(it, epss.size - 1)])
        a, W, b, u, v = _split(theta, k, d)
        temp = eps * max(lipsdp_objective(a, W, u, v)[1], 1e-12)
        res = minimize(_lagrangian, theta, args=(X, y, k, lam, mu, temp, scale), jac=True,
                       method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": inner, "maxcor": 20, "ftol": 1e-15, "gtol": 1e-12})
        theta = res.x
        a, W, b, u, v = _split(theta, k, d)
        r = _residual(a, W, b, X, y)[0]
        lam = lam + mu * r
        err = float(np.max(np.abs(r)))
        if err > prev / 4:
            mu *= 10.0
        prev = err
    a, W, b, _, _ = _split(theta, k, d)
    return TwoLayerNet(a.copy(), W.copy(), b.copy(), "relu")


@dataclass
class MinLipResult:
    """Outcome of :func:`min_lipschitz_interpolant` for one (data, k).

    Attributes
    ----------
    net : TwoLayerNet or None
        The best certified interpolant (None when no start led to an exact fit).
    certificate : LipCertificate or None
    max_error : float
    start : str
        Label of the start that won.
    candidates : list of dict
        Every start: label, start certified bound, final certified bound, fit error,
        polish, status.
    seconds : float
    """

    net: TwoLayerNet | None
    certificate: LipCertificate | None
    max_error: float
    start: str | None
    candidates: list
    seconds: float

    @property
    def value(self) -> float | None:
        return None if self.certificate is None else self.certificate.value

    def to_dict(self) -> dict:
        return {"value": self.value, "max_error": self.max_error, "start": self.start,
                "certificate": None if self.certificate is None
                else self.certificate.to_dict(with_t=False),
                "candidates": self.candidates, "seconds": round(self.seconds, 3)}


def min_lipschitz_interpolant(X, y, k: int, *, domain: Domain | None = None,
                              starts=("fit", "C1", "C4"), seeds=(0,), outer: int = 8,
                              inner: int = 1000, fit_maxiter: int = 2000,
                              extra_starts=(), refine: int = 0) -> MinLipResult:
    r"""Search a k-neuron ReLU interpolant of ``(X, y)`` with a small certified
    :math:`\mathrm{Lip}_\Omega`: from every start (:func:`start_networks`), run
    :func:`optimize_from`, :func:`polish_exact` and :func:`certify_point`; keep the
    exact interpolant (:math:`\max_i|f(x_i)-y_i|\le 10^{-9}`) with the smallest
    certified bound. The starts themselves, when exact, are candidates too (so the
    result is never worse than the best exact start).

    Parameters
    ----------
    X : array_like (n, d); y : array_like (n,) of +-1
    k : int
    domain : Domain, default the unit ball :math:`B_1`
    starts, seeds : see :func:`start_networks`
    outer, inner : see :func:`optimize_from`
    fit_maxiter : int
        L-BFGS iterations of the training starts.
    extra_starts : sequence of (label, TwoLayerNet)
        Further ReLU starts with at most k neurons (padded with inactive neurons to
        k), e.g. the optimum found for a smaller k: a k'-neuron interpolant padded
        with zero output weights is a k-neuron interpolant with the same function, so
        this makes the curve non-increasing in k.
    refine : int >= 0
        Further rounds of :func:`optimize_from` (each restarting the penalty and the
        multipliers of the augmented Lagrangian) + polish + certificate, starting from the
        incumbent and continuing from the latest exact round (even when it is slightly
        worse); the best exact network is kept. Restarts keep lowering the bound long after a
        single run has stalled.

    Returns
    -------
    MinLipResult

    Examples
    --------
    >>> from numerics.data import random_dataset
    >>> D = random_dataset(8, 4, seed=1)
    >>> r = min_lipschitz_interpolant(D.X, D.y, 8, starts=("fit",), outer=3, inner=100)
    >>> r.net.k, r.max_error <= 1e-9, r.value >= 1.0    # Lip >= 2 / max distance >= 1
    (8, True, True)
    """
    t0 = time.perf_counter()
    X, y = validate_dataset(X, y)
    k = as_positive_int(k, "k")
    refine = as_positive_int(refine, "refine", minimum=0)
    domain = Domain.ball(1.0) if domain is None else domain
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    rng = np.random.default_rng([k, 7])
    extra = []
    for label, net in extra_starts:
        if not isinstance(net, TwoLayerNet) or net.spec != "relu" or net.d != X.shape[1] \
                or net.k > k:
            raise ValueError(f"extra_starts: {label!r} is not a relu network with d = "
                             f"{X.shape[1]} and at most k = {k} neurons")
        extra.append((str(label), _pad(net, k, rng)))
    cands = []
    best = None
    for label, net0 in extra + start_networks(X, y, k, starts=starts, seeds=seeds,
                                              fit_maxiter=fit_maxiter):
        entry = {"start": label}
        pool = []
        e0 = float(np.max(np.abs(net0(X) - y)))
        if e0 <= FIT_TOL:
            pool.append((label, net0, "none"))
        try:
            net1 = optimize_from(net0, X, y, outer=outer, inner=inner)
            net2, how = polish_exact(net1, X, y)
            pool.append((label + "+opt", net2, how))
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        for lab, net, how in pool:
            err = float(np.max(np.abs(net(X) - y)))
            if err > FIT_TOL or not np.all(np.isfinite(net.W)) or not np.all(np.isfinite(net.a)):
                entry[("start" if lab == label else "opt") + "_status"] = f"not exact ({err:.2g})"
                continue
            cert = certify_point(net, domain)
            entry[("start" if lab == label else "opt") + "_bound"] = cert.value
            entry["polish"] = how
            if best is None or cert.value < best[2].value:
                best = (lab, net, cert, err)
        cands.append(entry)
    chain = best[1] if best is not None else None
    for i in range(refine if best is not None else 0):
        entry = {"start": f"refine:{i}"}
        try:
            net2, how = polish_exact(optimize_from(chain, X, y, outer=outer, inner=inner),
                                     X, y)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
            cands.append(entry)
            break
        err = float(np.max(np.abs(net2(X) - y)))
        if err <= FIT_TOL and np.all(np.isfinite(net2.W)) and np.all(np.isfinite(net2.a)):
            cert = certify_point(net2, domain)
            entry.update(opt_bound=cert.value, polish=how)
            chain = net2            # continue from the latest exact point
            if cert.value < best[2].value:
                best = (best[0].split("+refine")[0] + f"+refine{i + 1}", net2, cert, err)
        else:
            entry["opt_status"] = f"not exact ({err:.2g})"
        cands.append(entry)
    secs = time.perf_counter() - t0
    if best is None:
        return MinLipResult(None, None, math.inf, None, cands, secs)
    return MinLipResult(best[1], best[2], best[3], best[0], cands, secs)
