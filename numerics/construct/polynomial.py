r"""Polynomial (power-activation) networks, C5 (docs/mathematics.md#c5-polynomial-interpolation):
kernel interpolants of minimal energy or norm, Waring networks and exact Dirichlet
energies of power networks.

The energy certificate R4 and the zonal-kernel machinery (:func:`energy_certificate`,
:func:`kernel_coefficients`, ...) live in :mod:`numerics.certify.energy`; the
interpolants here are the minimizers it certifies. Every fact used comes from
:mod:`theory.sphere` (docs/mathematics.md#tensors-and-sphere) and is only *evaluated*
in floating point here.

Examples
--------
>>> from numerics.data import random_dataset
>>> D = random_dataset(30, 5, seed=0)
>>> interp = min_energy_interpolant(D.X, D.y, 3, homogeneous=True)
>>> bool(np.allclose(interp(D.X), D.y))
True
>>> cert = energy_certificate(D.X, D.y, 3, homogeneous=True)
>>> bool(cert.formula_value <= interp.energy * (1 + 1e-9))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.linalg as sla
import sympy as sp

from numerics._validate import as_matrix, as_positive_int, as_rng, as_vector
from numerics.certify import (
    energy_certificate,
    gegenbauer_numeric,
    kernel_coefficients,
    kernel_matrix,
    sphere_targets,
)
from numerics.certify.energy import _d, _degree
from numerics.models import TwoLayerNet
from theory import sphere
from theory.tensors import generic_rank, poly_dim, sym_dim

__all__ = [
    "KernelInterpolant",
    "WaringFit",
    "min_energy_interpolant",
    "min_norm_interpolant",
    "harmonic_norms",
    "gradient_energy",
    "waring_network",
    "waring_low_rank",
    "fit_power_network",
    "power_degree",
    "space_dimension",
    "regime_rows",
]




@dataclass(frozen=True)
class KernelInterpolant:
    r"""The kernel interpolant :math:`g(x) = c + \sum_i\alpha_i\kappa(u_i\cdot x)` on
    the sphere, extended to :math:`\mathbb R^d` as a polynomial of degree p:
    homogeneously, :math:`\sum_m \kappa_m (u_i\cdot x)^m\|x\|^{p-m}` and
    :math:`c\|x\|^p`, when ``homogeneous``; as written otherwise.

    ``energy`` is the minimal energy :math:`E_{\min}` (formula value)."""

    centers: np.ndarray
    alpha: np.ndarray
    constant: float
    coeffs: np.ndarray
    degree: int
    homogeneous: bool
    kind: str
    energy: float

    @property
    def d(self) -> int:
        return self.centers.shape[1]

    def __call__(self, X) -> np.ndarray:
        """Values at the rows of X, shape (m,)."""
        X = as_matrix(np.atleast_2d(X), "X", cols=self.d)
        T = X @ self.centers.T
        if not self.homogeneous:
            return self.constant + np.polynomial.polynomial.polyval(T, self.coeffs) @ self.alpha
        r2 = np.sum(X * X, axis=1)
        p = self.degree
        out = self.constant * r2 ** (p // 2) if p % 2 == 0 else np.zeros(X.shape[0])
        for m, cm in enumerate(self.coeffs):
            if cm == 0:
                continue
            if (p - m) % 2:
                raise ValueError("coeffs: parity does not match the degree")
            out = out + cm * (T**m @ self.alpha) * r2 ** ((p - m) // 2)
        return out


def _interpolant(X, y, degree, homogeneous, kind) -> KernelInterpolant:
    p = _degree(degree)
    if kind == "ball" and not homogeneous:
        raise ValueError("kind: the ball version needs homogeneous=True")
    cert = energy_certificate(X, y, p, homogeneous=homogeneous, kind=kind)
    if cert.value is None:
        raise ValueError(f"X: no kernel interpolant: {cert.reason}")
    U, v, d, _ = sphere_targets(X, y, p, homogeneous, kind)
    coeffs, free, _ = kernel_coefficients(d, p, homogeneous=homogeneous, kind=kind)
    K = kernel_matrix(U, coeffs)
    cf = sla.cho_factor(K, lower=True)
    a = sla.cho_solve(cf, v)
    c = 0.0
    if free:
        b = sla.cho_solve(cf, np.ones(v.size))
        c = float(np.sum(a) / np.sum(b))
        a = a - c * b
    return KernelInterpolant(U, a, c, np.array(coeffs), p, bool(homogeneous), kind,
                             float(cert.formula_value))


def min_energy_interpolant(X, y, degree: int, *, homogeneous: bool = False,
                           kind: str = "sphere") -> KernelInterpolant:
    r"""The interpolant of minimal energy (``kind`` as in :func:`energy_certificate`):
    :math:`g = c^* + \sum_i\alpha_i\kappa(u_i\cdot\,)`, :math:`\alpha = K^{-1}(v - c^*\mathbf 1)`,
    :math:`c^* = \mathbf 1^TK^{-1}v/\mathbf 1^TK^{-1}\mathbf 1` (0 without free constants).
    Raises ValueError when the certificate is refused (singular K).

    >>> g = min_energy_interpolant(np.eye(2), [1.0, 2.0], 1, homogeneous=True)
    >>> np.round(g(np.array([[3.0, 4.0]])), 12)
    array([11.])
    """
    return _interpolant(X, y, degree, homogeneous, kind)


def min_norm_interpolant(X, y, degree: int, *, homogeneous: bool = False) -> KernelInterpolant:
    r"""The interpolant of minimal :math:`L^2(\sigma)` norm in the space (kernel
    :math:`\sum_{j\in J}N(d,j)G_j`).

    >>> g = min_norm_interpolant(np.eye(2), [1.0, -1.0], 2, homogeneous=True)
    >>> np.round(g(np.eye(2)), 12)
    array([ 1., -1.])
    """
    return _interpolant(X, y, degree, homogeneous, "l2")


def power_degree(net: TwoLayerNet) -> int:
    """p for a network with activation ``power:p``; ValueError otherwise."""
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    if net.activation.name != "power":
        raise ValueError(f"net: activation must be power:p, got {net.spec}")
    return int(net.activation.param)


@lru_cache(maxsize=256)
def _funk_hecke(p: int, d: int) -> np.ndarray:
    M = np.array(sphere.funk_hecke_matrix(p, d).tolist(), dtype=float)
    M.setflags(write=False)
    return M


def _ridge_profiles(net: TwoLayerNet):
    """Unit directions U (k,d) and profile coefficients H (k, p+1) with
    a_l (w_l.x + b_l)^p = sum_m H[l,m] (u_l.x)^m."""
    p = power_degree(net)
    r = np.linalg.norm(net.W, axis=1)
    U = np.zeros_like(net.W)
    U[:, 0] = 1.0
    nz = r > 0
    U[nz] = net.W[nz] / r[nz, None]
    m = np.arange(p + 1)
    binom = np.array([float(sp.binomial(p, i)) for i in m])
    with np.errstate(invalid="ignore"):
        H = net.a[:, None] * binom * r[:, None] ** m * net.b[:, None] ** (p - m)
    H[:, m == p] = (net.a * r**p)[:, None]  # 0**0 = 1 handled explicitly
    if p > 0:
        H[:, 0] = net.a * net.b**p
    return U, H, p


def _norms_from_profiles(U, H, p, d) -> np.ndarray:
    M = _funk_hecke(p, d)
    C = H @ M.T  # (k, p+1): mu_j of each neuron's profile
    G = np.clip(U @ U.T, -1.0, 1.0)
    out = np.zeros(p + 1)
    for j in range(p + 1):
        if not np.any(C[:, j]):
            continue
        Nj = float(sphere.harmonic_dim(d, j))
        out[j] = Nj * float(C[:, j] @ gegenbauer_numeric(j, d, G) @ C[:, j])
    return np.maximum(out, 0.0)


def harmonic_norms(net: TwoLayerNet) -> np.ndarray:
    r""":math:`\|g_j\|^2_{L^2(\sigma)}`, j = 0..p, for a ``power:p`` network, exactly
    (Funk–Hecke, no sampling): with :math:`w_\ell = r_\ell u_\ell` and
    :math:`a_\ell(r_\ell t + b_\ell)^p = \sum_m h_{\ell m}t^m`,

    .. math:: \|g_j\|^2 = N(d,j)\, c_j^T G_j(UU^T) c_j,\qquad c_{j\ell} = \sum_m M_{jm} h_{\ell m}.

    Shape (p+1,). Cost :math:`O(k^2 p)`.

    >>> net = TwoLayerNet([1.0], [[1.0, 0.0, 0.0]], None, "power:2")
    >>> np.round(harmonic_norms(net), 12)   # x1^2 = 1/3 + (x1^2 - 1/3)
    array([0.111111, 0.      , 0.088889])
    """
    U, H, p = _ridge_profiles(net)
    return _norms_from_profiles(U, H, p, _d(net.d))


def gradient_energy(net: TwoLayerNet) -> dict[str, float]:
    r"""Exact energies of a ``power:p`` network on :math:`S^{d-1}` (no sampling):

    - ``tangential`` :math:`\mathbb E_\sigma\|\nabla_S g\|^2 = \sum_j\lambda_j\|g_j\|^2`;
    - ``radial`` :math:`\mathbb E_\sigma (x\cdot\nabla g)^2` (the ridge profiles of
      :math:`x\cdot\nabla g` are :math:`t\,h_\ell'(t)`, projected the same way);
    - ``full`` :math:`\mathbb E_\sigma\|\nabla g\|^2` = tangential + radial
      :math:`\le \mathrm{Lip}_{B_1}(g)^2`;
    - ``l2`` :math:`\mathbb E_\sigma g^2`.

    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "power:1")
    >>> {k: round(v, 12) for k, v in gradient_energy(net).items()}
    {'tangential': 0.5, 'radial': 0.5, 'full': 1.0, 'l2': 0.5}
    """
    U, H, p = _ridge_profiles(net)
    d = _d(net.d)
    norms = _norms_from_profiles(U, H, p, d)
    lam = np.array([float(sphere.eigenvalue(j, d)) for j in range(p + 1)])
    radial = float(np.sum(_norms_from_profiles(U, H * np.arange(p + 1), p, d)))
    tangential = float(lam @ norms)
    return {"tangential": tangential, "radial": radial, "full": tangential + radial,
            "l2": float(norms.sum())}


@dataclass(frozen=True)
class WaringFit:
    """A Waring network and how well it reproduces its polynomial.

    ``relative_error`` is max |net - g| / max |g| on fresh test points (sphere for
    homogeneous, ball for general polynomials); ``field`` is the field of the
    weights (always R: float weights); ``method`` names the construction."""

    net: TwoLayerNet
    relative_error: float
    method: str
    field: str = "R"


def _sample_points(d: int, m: int, homogeneous: bool, rng) -> np.ndarray:
    Z = rng.standard_normal((m, d))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    if not homogeneous:  # off the sphere: |x|^2 - 1 must not vanish on the sample
        Z *= rng.uniform(0.2, 1.0, size=(m, 1)) ** (1 / d)
    return Z


def _lift(Z: np.ndarray, homogeneous: bool) -> np.ndarray:
    return Z if homogeneous else np.hstack([Z, np.ones((Z.shape[0], 1))])


def _relative_error(net, poly, d, homogeneous, rng, m=400) -> float:
    Z = _sample_points(d, m, homogeneous, rng)
    g = np.asarray(poly(Z), dtype=float)
    scale = float(np.max(np.abs(g)))
    err = float(np.max(np.abs(net(Z) - g)))
    return err / scale if scale > 0 else err


def _net_from_lifted(a, Wt, degree, homogeneous) -> TwoLayerNet:
    if homogeneous:
        return TwoLayerNet(a, Wt, None, f"power:{degree}")
    return TwoLayerNet(a, Wt[:, :-1], Wt[:, -1], f"power:{degree}")


def waring_network(poly, d: int, degree: int, *, homogeneous: bool, seed=0,
                   oversample: float = 2.0) -> WaringFit:
    r"""A ``power:p`` network equal to a given polynomial, on a spanning set of
    directions.

    Any homogeneous polynomial of degree p in :math:`d' = d` variables (or, with
    biases, :math:`d' = d+1` after homogenizing with :math:`(x, 1)`) is a combination
    of :math:`(\tilde w_\ell\cdot\tilde x)^p` for :math:`k = \binom{d'+p-1}{p}` generic
    directions. The directions are random unit vectors; the coefficients solve the
    least-squares system :math:`\sum_\ell a_\ell(\tilde w_\ell\cdot\tilde z_s)^p = g(z_s)`
    on ``oversample * k`` random points (sphere, or ball for general polynomials).

    Parameters
    ----------
    poly : callable
        ``poly(Z)`` for Z (m, d) -> (m,), a polynomial of degree <= p
        (homogeneous of degree p if ``homogeneous``); e.g. a
        :class:`KernelInterpolant` or a network.

    Returns
    -------
    WaringFit
        With the reproduction error on fresh points.

    >>> g = lambda Z: Z[:, 0] * Z[:, 1] * Z[:, 2]
    >>> fit = waring_network(g, 3, 3, homogeneous=True, seed=0)
    >>> fit.net.k, fit.relative_error < 1e-9
    (10, True)
    """
    d = as_positive_int(d, "d")
    p = _degree(degree)
    rng = as_rng(seed)
    dl = d if homogeneous else d + 1
    k = int(sym_dim(dl, p))
    if not oversample >= 1:
        raise ValueError(f"oversample: must be >= 1, got {oversample}")
    Wt = rng.standard_normal((k, dl))
    Wt /= np.linalg.norm(Wt, axis=1, keepdims=True)
    Z = _sample_points(d, int(np.ceil(oversample * k)), homogeneous, rng)
    A = (_lift(Z, homogeneous) @ Wt.T) ** p
    g = np.asarray(poly(Z), dtype=float)
    a = np.linalg.lstsq(A, g, rcond=None)[0]
    net = _net_from_lifted(a, Wt, p, homogeneous)
    return WaringFit(net, _relative_error(net, poly, d, homogeneous, rng), "spanning set")


def _lm_fit(Z_lift, target, k, p, rng, restarts, tol):
    from scipy.optimize import least_squares

    m, dl = Z_lift.shape
    best = None

    def unpack(theta):
        return theta[:k], theta[k:].reshape(k, dl)

    def resid(theta):
        a, Wt = unpack(theta)
        return (Z_lift @ Wt.T) ** p @ a - target

    def jac(theta):
        a, Wt = unpack(theta)
        S = Z_lift @ Wt.T
        Ja = S**p
        Jw = (p * S ** (p - 1) * a)[:, :, None] * Z_lift[:, None, :]
        return np.hstack([Ja, Jw.reshape(m, k * dl)])

    for _ in range(restarts):
        Wt0 = rng.standard_normal((k, dl)) / np.sqrt(dl)
        A0 = (Z_lift @ Wt0.T) ** p
        a0 = np.linalg.lstsq(A0, target, rcond=None)[0]
        method = "lm" if m >= k * (dl + 1) else "trf"
        sol = least_squares(resid, np.concatenate([a0, Wt0.ravel()]), jac=jac, method=method,
                            xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000)
        rel = float(np.max(np.abs(sol.fun))) / max(float(np.max(np.abs(target))), 1e-300)
        if best is None or rel < best[0]:
            best = (rel, sol.x)
        if rel < tol * 1e-2:
            break
    a, Wt = unpack(best[1])
    return a, Wt, best[0]


def waring_low_rank(poly, d: int, degree: int, *, homogeneous: bool = True, k: int | None = None,
                    k_max: int | None = None, seed=0, restarts: int = 4,
                    tol: float = 1e-9) -> WaringFit:
    r"""A Waring network near the generic rank, by nonlinear least squares
    (Levenberg–Marquardt on :math:`(a, \tilde W)`; small d and p only).

    Starts at k = the generic rank over :math:`\mathbb C`
    (:func:`theory.tensors.generic_rank`, in d' variables) and increases k until the
    reproduction error is below ``tol`` (real ranks can exceed the complex generic
    rank) or ``k_max`` (default: generic rank + 3) is reached; the returned
    :class:`WaringFit` says how well it did (check ``relative_error``).

    >>> g = lambda Z: Z[:, 0] ** 3 + Z[:, 1] ** 3 - 2 * Z[:, 0] * Z[:, 1] ** 2
    >>> fit = waring_low_rank(g, 2, 3, seed=1)
    >>> fit.net.k <= 4, fit.relative_error < 1e-9
    (True, True)
    """
    d = as_positive_int(d, "d")
    p = _degree(degree)
    rng = as_rng(seed)
    dl = d if homogeneous else d + 1
    if int(sym_dim(dl, p)) > 200:
        raise ValueError(f"d: nonlinear least squares is for small spaces; dim = "
                         f"{int(sym_dim(dl, p))} > 200 (use waring_network)")
    k0 = generic_rank(dl, p) if k is None else as_positive_int(k, "k")
    k_max = k0 + 3 if k_max is None else as_positive_int(k_max, "k_max")
    N = int(sym_dim(dl, p))
    Z = _sample_points(d, 3 * N + 10, homogeneous, rng)
    target = np.asarray(poly(Z), dtype=float)
    fit = None
    for kk in range(k0, max(k0, k_max) + 1):
        a, Wt, _ = _lm_fit(_lift(Z, homogeneous), target, kk, p, rng, restarts, tol)
        net = _net_from_lifted(a, Wt, p, homogeneous)
        err = _relative_error(net, poly, d, homogeneous, rng)
        fit = WaringFit(net, err, f"nonlinear least squares, k = {kk} (generic rank over C "
                                  f"{generic_rank(dl, p)})")
        if err < tol:
            break
    return fit


def fit_power_network(X, y, degree: int, k: int, *, homogeneous: bool = False, seed=0,
                      restarts: int = 3) -> tuple[TwoLayerNet, float]:
    r"""Fit a k-neuron ``power:p`` network to data by nonlinear least squares on
    the interpolation residual :math:`f(x_i) - y_i` (a "low-rank fit"; trust-region
    or Levenberg–Marquardt, random restarts). Returns ``(net, max_abs_residual)``;
    the parameter count says it can interpolate generic data only if
    :math:`k(d+1) \ge n` (kd without biases).

    >>> from numerics.data import random_dataset
    >>> D = random_dataset(8, 3, seed=0)
    >>> net, res = fit_power_network(D.X, D.y, 2, 4, seed=0)
    >>> res < 1e-8
    True
    """
    X = as_matrix(X, "X")
    y = as_vector(y, "y", size=X.shape[0])
    p = _degree(degree)
    k = as_positive_int(k, "k")
    rng = as_rng(seed)
    a, Wt, _ = _lm_fit(_lift(X, homogeneous), y, k, p, rng, restarts, 1e-12)
    net = _net_from_lifted(a, Wt, p, homogeneous)
    return net, float(np.max(np.abs(net(X) - y)))


def space_dimension(d: int, degree: int, *, homogeneous: bool) -> int:
    r"""Dimension of the polynomial network space on :math:`\mathbb R^d`:
    :math:`\binom{d+p-1}{p}` homogeneous, :math:`\binom{d+p}{p}` with biases.

    >>> space_dimension(3, 2, homogeneous=False)
    10
    """
    return int(sym_dim(d, degree) if homogeneous else poly_dim(d, degree))


def regime_rows(ps=(2, 3), ds=(8, 12), cs=(0.25, 0.5, 0.75), seeds: int = 5, *, seed=0,
                homogeneous: bool = True) -> list[dict]:
    r"""Confront the heuristic :math:`E_{\min}\approx\lambda_p c/(1-c)`
    (:func:`theory.energy.heuristic_energy`) with the certificate on random data.

    For each (p, d, c): ``seeds`` datasets of :math:`n = \mathrm{round}(c\dim V)`
    points uniform on :math:`S^{d-1}` with Rademacher labels, the certified value
    (sphere version; and the ball version when ``homogeneous``), their mean and
    standard deviation, the heuristic at the realized :math:`c = n/\dim V`, and the
    combination with the parameter count :math:`k_{\min} = \lceil n/(d+1)\rceil`
    (:math:`\lceil n/d\rceil` without biases): the certified
    :math:`\sqrt{E}/\sqrt{n/k_{\min}}` against the heuristic
    :math:`\sqrt{\lambda_p c/((1-c)(n/k_{\min}))}`.

    Returns one dict per configuration (JSON-friendly; ``values`` per seed).

    >>> rows = regime_rows(ps=(2,), ds=(6,), cs=(0.5,), seeds=2)
    >>> sorted(rows[0])[:4]
    ['ball_mean', 'c', 'd', 'dim']
    """
    from theory.energy import heuristic_energy

    rng = as_rng(seed)
    seeds = as_positive_int(seeds, "seeds")
    rows = []
    for p in ps:
        p = _degree(p)
        for d in ds:
            d = _d(d)
            J = sphere.degrees(p, homogeneous=homogeneous)
            dim = int(sum(sphere.harmonic_dim(d, j) for j in J))
            for c in cs:
                if not 0 < c < 1:
                    raise ValueError(f"cs: fractions must be in (0, 1), got {c}")
                n = int(round(c * dim))
                vals, balls, refused = [], [], 0
                for _ in range(seeds):
                    X = rng.standard_normal((n, d))
                    X /= np.linalg.norm(X, axis=1, keepdims=True)
                    y = rng.choice(np.array([-1.0, 1.0]), size=n)
                    cert = energy_certificate(X, y, p, homogeneous=homogeneous)
                    if cert.value is None:
                        refused += 1
                        continue
                    vals.append(cert.value)
                    if homogeneous:
                        balls.append(energy_certificate(X, y, p, homogeneous=True,
                                                        kind="ball").value)
                c_real = n / dim
                heur = float(heuristic_energy(p, d, sp.Rational(n, dim)))
                k_min = -(-n // (d if homogeneous else d + 1))
                mean = float(np.mean(vals)) if vals else None
                row = {
                    "p": p, "d": d, "homogeneous": homogeneous, "dim": dim, "c": c_real, "n": n,
                    "values": vals, "mean": mean,
                    "median": float(np.median(vals)) if vals else None,
                    "std": float(np.std(vals, ddof=1)) if len(vals) > 1 else None,
                    "ball_mean": float(np.mean(balls)) if balls else None,
                    "refused": refused, "heuristic": heur,
                    "ratio": mean / heur if mean is not None else None,
                    "k_min": k_min, "sqrt_n_over_k": float(np.sqrt(n / k_min)),
                    "lip_lower": float(np.sqrt(mean)) if mean is not None else None,
                    "lip_over_sqrt_n_over_k": (float(np.sqrt(mean) / np.sqrt(n / k_min))
                                               if mean is not None else None),
                    "heuristic_lip_over_sqrt_n_over_k": float(np.sqrt(heur / (n / k_min))),
                }
                rows.append(row)
    return rows
