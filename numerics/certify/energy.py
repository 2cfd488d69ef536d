r"""The R4 energy certificate (docs/mathematics.md#r4-energy-certificate; ball version
docs/mathematics.md#r4-ball) and the zonal-kernel machinery it shares with the kernel
interpolants of :mod:`numerics.construct.polynomial`.

Every fact used here comes from :mod:`theory.sphere` (exact kernels, Gegenbauer
polynomials, :math:`N(d,j)`, :math:`\lambda_j`; docs/mathematics.md#tensors-and-sphere)
and is only *evaluated* in floating point here.

**Energy certificate.** For interpolation of values
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
denominator increased by first-order floating-point error bounds (docs/mathematics.md#rounding).
The value is therefore a lower bound whatever the accuracy of the solve; the solve only
decides how close it is to :math:`E_{\min}` (reported as ``formula_value``).

Examples
--------
>>> from numerics.data import random_dataset
>>> D = random_dataset(30, 5, seed=0)
>>> cert = energy_certificate(D.X, D.y, 3, homogeneous=True)
>>> bool(cert.value is not None and cert.value <= cert.formula_value * (1 + 1e-9))
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.linalg as sla
import sympy as sp

from numerics._validate import as_matrix, as_positive_int, as_vector
from numerics.rounding import gamma
from theory import sphere

__all__ = [
    "KINDS",
    "RCOND_MIN",
    "SPHERE_TOL",
    "EnergyCertificate",
    "energy_certificate",
    "gegenbauer_numeric",
    "kernel_coefficients",
    "kernel_matrix",
    "space_weights",
    "sphere_targets",
]


#: Refuse the certificate when LAPACK's reciprocal condition estimate of K is below this.
RCOND_MIN = 1e-12


#: Points farther than this from the unit sphere are refused by the sphere certificate.
SPHERE_TOL = 1e-8


#: Energies: tangential on the sphere, full gradient (homogeneous, ball), L2 norm (min-norm).
KINDS = ("sphere", "ball", "l2")


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


def sphere_targets(X, values, degree: int, homogeneous: bool, kind: str):
    r"""The interpolation problem on the sphere: points :math:`u_i = x_i/\|x_i\|` and
    targets :math:`v_i` (homogeneous: :math:`v_i = y_i/\|x_i\|^p`, since
    :math:`g(x) = \|x\|^p g(x/\|x\|)`), exact duplicates with equal targets dropped.

    Returns
    -------
    (U, v, d, duplicates_removed)

    Examples
    --------
    >>> U, v, d, dups = sphere_targets([[2.0, 0.0], [2.0, 0.0]], [4.0, 4.0], 2, True, "ball")
    >>> U.tolist(), v.tolist(), d, dups
    ([[1.0, 0.0]], [1.0], 2, 1)
    """
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
    num_err = 1.01 * (gamma(n) + gamma(p + d + 4)) * float(a_abs @ np.abs(v))
    num_low = max(abs(num) - num_err, 0.0)
    # denominator: BLAS error + kernel-entry error (dot products, normalization, Horner)
    Ka = K @ alpha
    den = float(alpha @ Ka)
    blas_err = 1.01 * gamma(n + 1) * float(a_abs @ (absK @ a_abs))
    k0 = float(np.sum(np.abs(coeffs)))
    k1 = float(np.sum(np.abs(coeffs) * np.arange(coeffs.size)))
    entry_err = 2.0 * (k1 * gamma(3 * d + 8) + k0 * gamma(2 * p + 2))
    den_up = den + blas_err + entry_err * float(a_abs.sum()) ** 2
    if not den_up > 0:
        return 0.0
    return float(num_low**2 / den_up)


def kernel_matrix(U: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    r""":math:`K = \kappa(UU^T)` for unit rows U (n, d) and the ascending coefficients of
    :math:`\kappa` (:func:`kernel_coefficients`), by in-place Horner (one n x n
    temporary besides the Gram matrix); no validation (internal use).

    Examples
    --------
    >>> kernel_matrix(np.eye(2), np.array([1.0, 2.0])).tolist()
    [[3.0, 1.0], [1.0, 3.0]]
    """
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
    U, v, d, dups = sphere_targets(X, y, p, homogeneous, kind)
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
    K = kernel_matrix(U, coeffs)
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
