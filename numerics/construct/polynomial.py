r"""Polynomial (power-activation) networks: the energy certificate R4, kernel
interpolants, Waring networks and exact Dirichlet energies.

Every fact used here comes from :mod:`theory.sphere` (exact kernels, Gegenbauer
polynomials, Funk–Hecke matrices, :math:`N(d,j)`, :math:`\lambda_j`) and is only
*evaluated* in floating point here.

**Energy certificate** (THEORY.md §2 R4). For interpolation of values
:math:`v_i` at points :math:`u_i \in S^{d-1}` by g in
:math:`V = \bigoplus_{j\in J} H_j`, and a quadratic energy
:math:`Q(g) = \sum_{j\in J} \omega_j^{-1}\|g_j\|^2` (:math:`\omega_j = 1/\lambda_j`,
j > 0, for the tangential energy :math:`\mathbb E_\sigma\|\nabla_S g\|^2`, with a free
constant when 0 is in J; :math:`\omega_j = 1/(\lambda_j+p^2)` for the full gradient
of homogeneous g, the *ball* version), the kernel of (V, Q) is
:math:`\kappa(t) = \sum_j \omega_j N(d,j) G_j(t)` and, for every
:math:`\alpha\in\mathbb R^n` (with :math:`\mathbf 1^T\alpha = 0` when constants are
free), Cauchy–Schwarz in the reproducing kernel Hilbert space gives

.. math::
    Q(g) \ \ge\ \frac{(\alpha^T v)^2}{\alpha^T K\alpha},\qquad K_{ik} = \kappa(u_i\cdot u_k),

with equality at :math:`\alpha = K^{-1}(v - c^*\mathbf 1)`, where the right side is
:math:`E_{\min} = v^TK^{-1}v - (\mathbf 1^TK^{-1}v)^2/(\mathbf 1^TK^{-1}\mathbf 1)`
(no second term without free constants). Then
:math:`\mathrm{Lip}_{B_1}(g) \ge \mathrm{Lip}_S(g) \ge \sqrt{Q(g)}` (sphere) or
:math:`\mathrm{Lip}_{B_1}(g)\ge\sqrt{Q(g)}` (ball).

**Numerical honesty rule.** :func:`energy_certificate` solves for α by Cholesky,
refuses (``value=None`` with the reason) when Cholesky fails, when
:math:`n` exceeds the dimension of the kernel's space (K singular), or when LAPACK's
reciprocal condition estimate is below :data:`RCOND_MIN`; otherwise it *evaluates*
the weak-duality bound above at the computed α (rounded to a dyadic grid so that
:math:`\mathbf 1^T\alpha = 0` holds exactly), with the numerator decreased and the
denominator increased by first-order floating-point error bounds. The value is
therefore a lower bound whatever the accuracy of the solve; the solve only decides
how close it is to :math:`E_{\min}` (reported as ``formula_value``).

Examples
--------
>>> from numerics.data import random_dataset
>>> D = random_dataset(30, 5, seed=0)
>>> cert = energy_certificate(D.X, D.y, 3, homogeneous=True)
>>> bool(cert.value is not None and cert.value <= cert.formula_value * (1 + 1e-9))
True
>>> interp = min_energy_interpolant(D.X, D.y, 3, homogeneous=True)
>>> bool(np.allclose(interp(D.X), D.y))
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.linalg as sla
import sympy as sp

from numerics._validate import as_matrix, as_positive_int, as_rng, as_vector
from numerics.models import TwoLayerNet
from theory import sphere
from theory.tensors import generic_rank, poly_dim, sym_dim

__all__ = [
    "RCOND_MIN",
    "SPHERE_TOL",
    "KINDS",
    "EnergyCertificate",
    "KernelInterpolant",
    "WaringFit",
    "space_weights",
    "kernel_coefficients",
    "gegenbauer_numeric",
    "energy_certificate",
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

#: Refuse the certificate when LAPACK's reciprocal condition estimate of K is below this.
RCOND_MIN = 1e-12
#: Points farther than this from the unit sphere are refused by the sphere certificate.
SPHERE_TOL = 1e-8
#: Energies: tangential on the sphere, full gradient (homogeneous, ball), L2 norm (min-norm).
KINDS = ("sphere", "ball", "l2")

_U = np.finfo(float).eps / 2  # unit roundoff


def _gamma(m: float) -> float:
    return m * _U / (1 - m * _U)


def _degree(p) -> int:
    return as_positive_int(p, "degree")


def _d(d) -> int:
    d = as_positive_int(d, "d")
    if d < 2:
        raise ValueError(f"d: the sphere certificate needs d >= 2, got {d}")
    return d


def space_weights(d: int, degree: int, *, homogeneous: bool,
                  kind: str = "sphere") -> tuple[dict[int, sp.Expr], bool]:
    r"""Exact kernel weights :math:`\omega_j` and whether constants are free.

    - ``"sphere"``: :math:`\omega_j = 1/\lambda_j` for j > 0 in J; constants free iff
      0 is in J (energy :math:`\mathbb E_\sigma\|\nabla_S g\|^2`).
    - ``"ball"`` (homogeneous only): :math:`\omega_j = 1/(\lambda_j + p^2)` for all j
      in J (energy :math:`\mathbb E_\sigma\|\nabla g\|^2`, since
      :math:`\|\nabla g\|^2 = \|\nabla_S g\|^2 + p^2 g^2` on S).
    - ``"l2"``: :math:`\omega_j = 1` (norm :math:`\mathbb E_\sigma g^2`).

    >>> space_weights(3, 2, homogeneous=True)
    ({2: 1/6}, True)
    """
    d, p = _d(d), _degree(degree)
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    J = sphere.degrees(p, homogeneous=homogeneous)
    if kind == "sphere":
        return {j: 1 / sphere.eigenvalue(j, d) for j in J if j > 0}, 0 in J
    if kind == "ball":
        if not homogeneous:
            raise ValueError("kind: the ball certificate needs homogeneous=True")
        return {j: 1 / (sphere.eigenvalue(j, d) + p**2) for j in J}, False
    return {j: sp.Integer(1) for j in J}, False


@lru_cache(maxsize=256)
def _kernel_cached(d: int, degree: int, homogeneous: bool, kind: str):
    weights, free = space_weights(d, degree, homogeneous=homogeneous, kind=kind)
    poly = sphere.space_kernel(weights, d)
    coeffs = sp.Poly(poly, sphere.t).all_coeffs()[::-1] if poly != 0 else [0]
    dim = int(sum(sphere.harmonic_dim(d, j) for j in weights))
    c = np.array([float(v) for v in coeffs])
    c.setflags(write=False)
    return c, free, dim


def kernel_coefficients(d: int, degree: int, *, homogeneous: bool,
                        kind: str = "sphere") -> tuple[np.ndarray, bool, int]:
    r"""``(coeffs, free_constant, dim)``: ascending float coefficients of
    :math:`\kappa(t) = \sum_j\omega_j N(d,j)G_j(t)` (exact rationals from
    :func:`theory.sphere.space_kernel`, rounded once), whether constants are free,
    and the dimension of the kernel's space (K is singular when n exceeds it).

    >>> c, free, dim = kernel_coefficients(3, 1, homogeneous=True)
    >>> c.tolist(), free, dim
    ([0.0, 1.5], False, 3)
    """
    return _kernel_cached(_d(d), _degree(degree), bool(homogeneous), kind)


@lru_cache(maxsize=256)
def _gegenbauer_coeffs(j: int, d: int) -> np.ndarray:
    c = np.array([float(v) for v in sp.Poly(sphere.gegenbauer(j, d), sphere.t).all_coeffs()[::-1]])
    c.setflags(write=False)
    return c


def gegenbauer_numeric(j: int, d: int, x) -> np.ndarray:
    r"""Evaluate the normalized Gegenbauer polynomial :math:`G_j` of
    :func:`theory.sphere.gegenbauer` at the entries of ``x`` (any shape).

    >>> gegenbauer_numeric(2, 3, np.array([0.0, 1.0])).tolist()
    [-0.5, 1.0]
    """
    if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or j < 0:
        raise ValueError(f"j: must be a non-negative int, got {j!r}")
    d = _d(d)
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError("x: contains NaN or inf")
    return np.polynomial.polynomial.polyval(x, _gegenbauer_coeffs(int(j), d))


# -- the certificate -------------------------------------------------------------

@dataclass
class EnergyCertificate:
    r"""The R4 energy certificate on one instance.

    Attributes
    ----------
    value : float or None
        A proved lower bound on the energy of every interpolant in the space
        (``kind="sphere"``: :math:`\mathbb E_\sigma\|\nabla_S g\|^2`; ``"ball"``:
        :math:`\mathbb E_\sigma\|\nabla g\|^2`); None when refused (see ``reason``).
    lipschitz_lower : float or None
        :math:`\sqrt{\text{value}}`, a lower bound on :math:`\mathrm{Lip}_{B_1}(g)`
        (and on the geodesic :math:`\mathrm{Lip}_S(g)` for ``kind="sphere"``); None
        for ``kind="l2"`` (a norm bound, not a gradient bound) and when refused.
    formula_value : float or None
        :math:`E_{\min}` from the closed formula with the computed solves (an
        estimate; ``value`` is the certified number).
    dual : ndarray or None
        The witness α (n,): anyone can re-evaluate
        :math:`(\alpha^Tv)^2/\alpha^TK\alpha`.
    """

    kind: str
    degree: int
    homogeneous: bool
    d: int
    n: int
    dim: int
    degrees: tuple[int, ...]
    value: float | None
    lipschitz_lower: float | None
    formula_value: float | None
    dual: np.ndarray | None
    rcond: float | None
    reason: str | None
    duplicates_removed: int = 0
    seconds: float = 0.0
    statement: str = field(default="")

    def to_dict(self) -> dict:
        """JSON-friendly summary (the dual vector is omitted; its norm is kept)."""
        out = {k: getattr(self, k) for k in (
            "kind", "degree", "homogeneous", "d", "n", "dim", "value", "lipschitz_lower",
            "formula_value", "rcond", "reason", "duplicates_removed", "seconds", "statement")}
        out["degrees"] = list(self.degrees)
        out["dual_norm"] = None if self.dual is None else float(np.linalg.norm(self.dual))
        return out


def _prepare(X, values, degree: int, homogeneous: bool, kind: str):
    """Points on the sphere and their target values (homogeneous: rescaled)."""
    X = as_matrix(X, "X")
    v = as_vector(values, "y", size=X.shape[0])
    d = _d(X.shape[1])
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    norms = np.linalg.norm(X, axis=1)
    if np.any(norms == 0):
        raise ValueError(f"X: row {int(np.flatnonzero(norms == 0)[0])} is the origin")
    if homogeneous:
        # g(x) = |x|^p g(x/|x|): interpolating (x, y) <=> interpolating (x/|x|, y/|x|^p)
        v = v / norms**degree
    else:
        off = float(np.max(np.abs(norms - 1)))
        if off > SPHERE_TOL:
            raise ValueError(f"X: rows must lie on the unit sphere for the non-homogeneous "
                             f"certificate (max | |x| - 1 | = {off:.3g}); pass homogeneous=True "
                             "to rescale for homogeneous networks")
    U = X / norms[:, None]
    # exact duplicates: same value -> drop (the constraint repeats), else no interpolant
    _, first, inverse = np.unique(U, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    clash = v != v[first[inverse]]
    if np.any(clash):
        i = int(np.flatnonzero(clash)[0])
        j = int(first[inverse[i]])
        raise ValueError(f"X: rows {min(i, j)} and {max(i, j)} are the same point of the sphere "
                         "with different target values: no interpolant exists")
    keep = np.sort(first)
    return U[keep], v[keep], d, X.shape[0] - keep.size


def _grid_zero_sum(alpha: np.ndarray) -> np.ndarray:
    """Round alpha to a dyadic grid (relative step 2^-40) and fix one entry so that
    the floats sum to exactly zero (exact integer arithmetic)."""
    amax = float(np.max(np.abs(alpha)))
    if amax == 0:
        return alpha
    h = 2.0 ** (np.floor(np.log2(amax)) - 40)
    m = np.rint(alpha / h).astype(np.int64)
    i = int(np.argmax(np.abs(m)))
    m[i] -= int(m.sum())
    return m.astype(float) * h  # |m| < 2^42: exact


def _weak_duality(alpha, K, absK, v, coeffs, d, p, free) -> float:
    r"""Certified :math:`(\alpha^Tv)^2/\alpha^TK\alpha` with rounding-error margins."""
    if free:
        alpha = _grid_zero_sum(alpha)
    n = alpha.size
    a_abs = np.abs(alpha)
    # numerator: |fl(a.v) - a.v_exact| <= gamma_n |a|.|v| + (rescaled targets) gamma_{p+d+4}|a|.|v|
    num = float(alpha @ v)
    num_err = 1.01 * (_gamma(n) + _gamma(p + d + 4)) * float(a_abs @ np.abs(v))
    num_low = max(abs(num) - num_err, 0.0)
    # denominator: BLAS error + kernel-entry error (dot products, normalization, Horner)
    Ka = K @ alpha
    den = float(alpha @ Ka)
    blas_err = 1.01 * _gamma(n + 1) * float(a_abs @ (absK @ a_abs))
    k0 = float(np.sum(np.abs(coeffs)))
    k1 = float(np.sum(np.abs(coeffs) * np.arange(coeffs.size)))
    entry_err = 2.0 * (k1 * _gamma(3 * d + 8) + k0 * _gamma(2 * p + 2))
    den_up = den + blas_err + entry_err * float(a_abs.sum()) ** 2
    if not den_up > 0:
        return 0.0
    return float(num_low**2 / den_up)


def _kernel_matrix(U: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """K = kappa(U U^T) by in-place Horner (one n x n temporary besides the Gram)."""
    G = U @ U.T
    np.clip(G, -1.0, 1.0, out=G)
    K = np.full_like(G, coeffs[-1])
    for c in coeffs[-2::-1]:
        K *= G
        if c != 0:
            K += c
    return K


def _statement(kind: str, p: int, homogeneous: bool) -> str:
    what = (f"homogeneous degree-{p} polynomials (networks sum a (w.x)^{p})" if homogeneous
            else f"polynomials of degree <= {p} (networks sum a (w.x+b)^{p})")
    if kind == "sphere":
        return (f"every interpolant g among {what} has E_sigma|grad_S g|^2 >= value, hence "
                "Lip_B1(g) >= Lip_S(g) >= sqrt(value)")
    if kind == "ball":
        return (f"every interpolant g among {what} has E_sigma|grad g|^2 >= value, hence "
                "Lip_B1(g) >= sqrt(value)")
    return f"every interpolant g among {what} has E_sigma g^2 >= value"


def energy_certificate(X, y, degree: int, *, homogeneous: bool = False,
                       kind: str = "sphere", _weights: dict | None = None) -> EnergyCertificate:
    r"""The R4 certificate: a proved lower bound on the energy (hence on the
    Lipschitz constant) of every degree-p polynomial interpolant of ``(X, y)``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points on :math:`S^{d-1}` (within :data:`SPHERE_TOL`); with
        ``homogeneous=True`` any non-zero points (rescaled to the sphere with
        targets :math:`y_i/\|x_i\|^p`).
    y : array_like, shape (n,)
        Target values (labels or any reals).
    degree : int
        p, the activation :math:`t^p`.
    homogeneous : bool
        Networks without biases (:math:`J = \{j\le p: j\equiv p \bmod 2\}`).
    kind : {"sphere", "ball", "l2"}
        See :func:`space_weights`; ``"ball"`` is the stronger certificate for
        homogeneous networks.

    Returns
    -------
    EnergyCertificate
        ``value`` (certified, see the module's honesty rule) or None with ``reason``.

    Notes on the data: points are normalized, :math:`u_i = x_i/\|x_i\|`; without
    ``homogeneous`` they must lie within :data:`SPHERE_TOL` of the sphere and the
    certificate concerns interpolation at the :math:`u_i`. Exact duplicates with equal
    targets are dropped (``duplicates_removed``); with different targets no
    interpolant exists and ValueError is raised.

    Notes
    -----
    .. math::
        E_{\min} = v^TK^{-1}v - \frac{(\mathbf 1^TK^{-1}v)^2}{\mathbf 1^TK^{-1}\mathbf 1},
        \qquad K = \sum_{j} \omega_j N(d,j) G_j(UU^T).

    Examples
    --------
    >>> X = np.eye(3)
    >>> c = energy_certificate(X, [1.0, -1.0, 1.0], 1, homogeneous=True)
    >>> round(c.value, 6), round(c.formula_value, 6)   # g = x1 - x2 + x3: E|grad_S g|^2 = 2
    (2.0, 2.0)
    """
    t0 = time.perf_counter()
    p = _degree(degree)
    U, v, d, dups = _prepare(X, y, p, homogeneous, kind)
    n = U.shape[0]
    coeffs, free, dim = kernel_coefficients(d, p, homogeneous=homogeneous, kind=kind)
    if _weights is not None:  # testing hook: a deliberately wrong kernel
        poly = sphere.space_kernel(_weights, d)
        coeffs = np.array([float(c) for c in sp.Poly(poly, sphere.t).all_coeffs()[::-1]])
    J = sphere.degrees(p, homogeneous=homogeneous)
    space_dim = int(sum(sphere.harmonic_dim(d, j) for j in J))

    def refuse(reason: str, rcond=None) -> EnergyCertificate:
        return EnergyCertificate(kind, p, homogeneous, d, n, space_dim, J, None, None, None,
                                 None, rcond, reason, dups, time.perf_counter() - t0,
                                 _statement(kind, p, homogeneous))

    if n > dim:
        return refuse(f"K is singular: n = {n} points exceed the dimension {dim} of the "
                      f"kernel's space (the space of interpolants has dimension {space_dim}"
                      f"{', constants free' if free else ''}); generic labels have no "
                      "interpolant and no certificate is claimed")
    K = _kernel_matrix(U, coeffs)
    try:
        cf = sla.cho_factor(K, lower=True, check_finite=True)
    except (sla.LinAlgError, ValueError):
        return refuse("K is not numerically positive definite (Cholesky failed): repeated, "
                      "antipodal or otherwise dependent points; no certificate is claimed")
    absK = np.abs(K)
    anorm = float(np.max(np.sum(absK, axis=0)))
    rcond, info = sla.lapack.dpocon(cf[0], anorm, uplo="L")
    rcond = float(rcond)
    if info != 0 or not rcond >= RCOND_MIN:
        return refuse(f"K is ill-conditioned (reciprocal condition estimate {rcond:.2e} < "
                      f"{RCOND_MIN:g}); no certificate is claimed", rcond)
    a = sla.cho_solve(cf, v)
    if free:
        b = sla.cho_solve(cf, np.ones(n))
        c_star = float(np.sum(a) / np.sum(b))
        alpha = a - c_star * b
        formula = float(v @ a - np.sum(a) ** 2 / np.sum(b))
    else:
        alpha = a
        formula = float(v @ a)
    value = _weak_duality(alpha, K, absK, v, coeffs, d, p, free)
    lip = None if kind == "l2" else float(np.sqrt(value))  # the L2 norm bounds no gradient
    return EnergyCertificate(kind, p, homogeneous, d, n, space_dim, J, value,
                             lip, formula, alpha, rcond, None, dups,
                             time.perf_counter() - t0, _statement(kind, p, homogeneous))


# -- interpolants ----------------------------------------------------------------

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
    U, v, d, _ = _prepare(X, y, p, homogeneous, kind)
    coeffs, free, _ = kernel_coefficients(d, p, homogeneous=homogeneous, kind=kind)
    K = _kernel_matrix(U, coeffs)
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


# -- exact energies of networks ---------------------------------------------------

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


# -- Waring networks ---------------------------------------------------------------

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


# -- the regime n = c dim V ------------------------------------------------------------

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
