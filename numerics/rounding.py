r"""Floating-point rounding in certified numbers: the one certification routine.

Every certified number of :mod:`numerics.lipschitz` (docs/mathematics.md#rounding) is
a float with an explicit error bound, never a fixed relative fudge factor. With unit
roundoff :math:`u = 2^{-53}` and :math:`\gamma_m = mu/(1 - mu)` (Higham, *Accuracy
and Stability of Numerical Algorithms*, 2nd ed., §3.1, Lemma 3.1 and (3.5)): a dot
product of length m computed in any order (with or without FMA) is within
:math:`\gamma_m\sum_i|x_i||y_i|` of the exact one.

What is bounded, and how:

- **pre-activations** :math:`\hat z = fl(Wx + b)`: :math:`|\hat z_\ell - z_\ell| \le
  e^z_\ell = \gamma_{d+1}(|w_\ell|\cdot|x| + |b_\ell|)` (the point x is the float witness
  itself, so it is exact);
- **the activation's own rounding**, assumed per activation for numpy's kernels: relu
  and abs exact (max/abs/select); leaky relu one product with the rounded slope
  :math:`fl(\alpha)` (:math:`3u|\psi|`); tanh within 4 ulps (glibc's tanh is below 2);
  softplus (the stable log1p/exp form, four operations) within 12 ulps plus an absolute
  :math:`10^{-300}` for underflow; power :math:`t^p` within 4 ulps. Derivatives: relu,
  abs exact; leaky relu :math:`u\alpha`; tanh (:math:`1 - \tanh^2`) absolute
  :math:`12u`; softplus (a logistic, three operations) relative :math:`8u`; power
  :math:`pt^{p-1}` relative :math:`6u`;
- **network values** :math:`|\hat f(x) - f(x)| \le e(x) = \gamma_{k}\sum_\ell|a_\ell||\hat\psi_\ell|
  + \sum_\ell |a_\ell|\,(c_\psi u|\psi(\hat z_\ell)| + \eta_\psi + L_\ell e^z_\ell)`, with
  :math:`L_\ell` a bound of :math:`|\psi'|` on :math:`[\hat z_\ell \pm e^z_\ell]`
  (:func:`value_error`); deep ReLU nets layer by layer,
  :math:`E_\ell = |W_\ell|E_{\ell-1} + \gamma_{N_{\ell-1}+1}(|W_\ell||\hat h_{\ell-1}| + |b_\ell|)`;
- **gradients** :math:`|\hat g - g| \le \gamma_{k+1}(|a\odot\hat\psi'|)^T|W| + \sum_\ell|a_\ell|
  \delta_\ell|w_\ell|`, :math:`\delta_\ell` the derivative's evaluation error plus
  :math:`\sup|\psi''|\,e^z_\ell`; for piecewise-linear activations the point must have a
  *certain* pattern, :math:`|\hat z_\ell| > e^z_\ell` for every live neuron, so that the
  computed pattern is the true one (:func:`gradient_error`); deep nets: the product
  bound :math:`\gamma_{N}|W_1|^TD_1\cdots|W_L|^TD_L|a|`, N the length of the chain;
- **gradient-norm witnesses** :math:`\|g\|_q \ge \|\hat g\|_q(1-\gamma_{d+2}) -
  \|E\|_q` (:func:`certified_gradient_norms`);
- **pair quotients** :math:`(|\hat f(x) - \hat f(x')| - e(x) - e(x')) / \mathrm{dist}_{up}`,
  clipped at 0, the distance computed directly from :math:`x - x'` and rounded up
  (:func:`certified_pair_quotients`);
- **membership** in the ball: :math:`fl(\|x\|^2)(1+\gamma_{d+1}) \le R^2` rounded down
  (:func:`in_ball`); on the sphere a float point x stands for the point
  :math:`y = Rx/\|x\|` of the sphere, and values are corrected by
  :math:`\|y - x\| = |\|x\| - R|` times a gradient bound near the sphere;
- **closed-form upper bounds** are computed in floats and increased by their mirror
  image (:func:`round_up_bound`: a chain of m operations on non-negative numbers is
  within a factor :math:`1+\gamma_m` of its exact value);
- **operator norms** :math:`\|W\|_2 \le \sqrt{s}` certified by a floating-point Cholesky
  factorization of :math:`sI - fl(W^TW) - cI` with the margin c of Rump (2006,
  *Verification of positive definiteness*, BIT 46) plus the error of forming
  :math:`W^TW`, not read off an SVD (:func:`certified_operator_norm`).

Examples
--------
>>> gamma(2) > 2 * U
True
>>> t = certified_operator_norm(np.array([[3.0, 0.0], [0.0, 4.0]]))
>>> 4.0 <= t <= 4.0 * (1 + 1e-12)
True
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

__all__ = [
    "U",
    "certified_gradient_norms",
    "certified_operator_norm",
    "certified_pair_quotients",
    "down",
    "gamma",
    "gradient_error",
    "in_ball",
    "into_ball",
    "round_down_bound",
    "round_up_bound",
    "sphere_constants",
    "up",
    "value_error",
]

#: Unit roundoff of IEEE double precision.
U = 2.0**-53
_TINY = 2.0**-1074  # smallest positive subnormal
_ETA = 1e-300  # absolute allowance for underflow in an activation's kernel
#: Largest distance |‖x‖ - R| / R at which a float point stands for a point of the sphere.
SPHERE_SLACK = 1e-9


def gamma(m) -> float:
    r""":math:`\gamma_m = mu/(1-mu)` rounded up (m >= 0, :math:`mu < 1/2`).

    >>> gamma(0), gamma(1) > U
    (0.0, True)
    """
    m = float(m)
    if m * U >= 0.5:
        raise ValueError(f"m: gamma_m needs m u < 1/2, got m = {m:g}")
    if m == 0:
        return 0.0
    return up(m * U / down(1.0 - m * U))


def up(v):
    """A float >= the exact value of a non-negative quantity computed as v with one
    rounding (``v (1 + 4u) + tiny``)."""
    if np.ndim(v):
        return np.asarray(v, dtype=float) * (1.0 + 4 * U) + _TINY
    return float(v) * (1.0 + 4 * U) + _TINY


def down(v):
    """A float <= the exact value of a non-negative quantity computed as v with one
    rounding (``v (1 - 4u) - tiny``, clipped at 0)."""
    out = np.maximum(np.asarray(v, dtype=float) * (1.0 - 4 * U) - _TINY, 0.0)
    return out if np.ndim(v) else float(out)


def round_up_bound(v: float, m: int) -> float:
    r"""A closed-form bound computed in floats by a chain of at most m operations on
    non-negative numbers, increased by its rounding error: :math:`fl(v)(1+\gamma_m)`
    rounded up. Infinite or NaN input gives inf.

    >>> round_up_bound(1.0, 10) > 1.0
    True
    """
    v = float(v)
    if not np.isfinite(v):
        return float("inf")
    return float(up(v * (1.0 + gamma(m))))


def round_down_bound(v: float, m: int) -> float:
    r"""The mirror image of :func:`round_up_bound`: a closed-form lower bound computed in
    floats by a chain of at most m operations on non-negative numbers, decreased by its
    rounding error, :math:`fl(v)(1-\gamma_m)` rounded down, clipped at 0. NaN gives 0
    (no bound); +inf stays inf.

    >>> 0.0 < round_down_bound(1.0, 10) < 1.0, round_down_bound(-1.0, 3)
    (True, 0.0)
    """
    v = float(v)
    if np.isnan(v):
        return 0.0
    if v == float("inf"):
        return v
    return float(down(max(v, 0.0) * (1.0 - gamma(m))))


# ---------------------------------------------------------------------------
# activations: what is assumed of numpy's kernels
# ---------------------------------------------------------------------------
_ULPS = {"relu": (0, 0, 0), "abs": (0, 0, 0), "leaky_relu": (3, 1, 0), "tanh": (4, 0, 12),
         "softplus": (12, 8, 0), "power": (4, 6, 0)}


def _activation_model(act):
    """(name, param, value ulps, derivative relative ulps, derivative absolute ulps)."""
    cv, cd, ca = _ULPS[act.name]
    return act.name, (None if act.param is None else float(act.param)), cv, cd, ca


def _slope_bound(name, param, Zhat, ez):
    """A bound of |psi'| on [z - ez, z + ez], elementwise."""
    if name == "power":
        return up(param * (np.abs(Zhat) + ez) ** (param - 1) * (1 + 8 * param * U))
    return np.ones_like(Zhat)  # relu, abs, leaky (alpha < 1), tanh, softplus: |psi'| <= 1


def _curvature_bound(name, param, Zhat, ez):
    """A bound of |psi''| on [z - ez, z + ez] (smooth activations), elementwise."""
    if name == "tanh":
        return np.full_like(Zhat, 0.7698004)  # max |tanh''| = 4 / (3 sqrt 3) = 0.76980035...
    if name == "softplus":
        return np.full_like(Zhat, up(param / 4.0))  # beta s (1 - s) <= beta / 4
    if name == "power":
        return up(param * (param - 1) * (np.abs(Zhat) + ez) ** max(param - 2, 0.0)
                  * (1 + 8 * param * U))
    return np.zeros_like(Zhat)


def _preactivation_error(net, P: np.ndarray):
    """(Zhat, ez): computed pre-activations and bounds of their errors."""
    Zhat = net.preactivation(P)
    ez = up(gamma(net.d + 1) * (np.abs(P) @ np.abs(net.W).T + np.abs(net.b))
            * (1 + gamma(2 * net.d + 4)))
    return Zhat, ez


def value_error(net, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Computed values :math:`\hat f(x)` and bounds :math:`e(x) \ge |\hat f(x) - f(x)|`
    for each row of P (two-layer or deep ReLU networks), shapes (m,), (m,).

    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([1e8, -1e8], [[1.0, 0.0], [1.0, 0.0]], [10.0, 10.0 + 1e-7], "relu")
    >>> f, e = value_error(net, np.array([[0.5, 0.0]]))
    >>> bool(abs(f[0] - (-10.0)) <= e[0])
    True
    """
    P = np.atleast_2d(np.asarray(P, dtype=float))
    if not hasattr(net, "activation"):
        return _deep_value_error(net, P)
    name, param, cv, _, _ = _activation_model(net.activation)
    Zhat, ez = _preactivation_error(net, P)
    Psi = net.activation.numeric(Zhat)
    absa = np.abs(net.a)
    L = _slope_bound(name, param, Zhat, ez)
    act_err = cv * U * np.abs(Psi) / (1 - (cv + 1) * U) + (_ETA if cv else 0.0)
    e = gamma(net.k) * (np.abs(Psi) @ absa) + (act_err + L * ez) @ absa
    return Psi @ net.a, up(e * (1.0 + gamma(2 * (net.k + net.d) + 16)))


def _deep_layers(net, P):
    """Computed hidden layers and bounds of their errors: [(Zhat, E)] per layer."""
    H, E, out = P, np.zeros_like(P), []
    for W, b in zip(net.weights, net.biases, strict=True):
        n_in = H.shape[1]
        Z = H @ W.T + b
        E = E @ np.abs(W).T + gamma(n_in + 1) * (np.abs(H) @ np.abs(W).T + np.abs(b))
        E = up(E * (1 + gamma(2 * n_in + 8)))
        out.append((Z, E))
        H = np.maximum(Z, 0.0)
    return out


def _deep_value_error(net, P):
    layers = _deep_layers(net, P)
    Z, E = layers[-1]
    H = np.maximum(Z, 0.0)
    absa = np.abs(net.a)
    e = E @ absa + gamma(H.shape[1]) * (np.abs(H) @ absa)
    return H @ net.a, up(e * (1.0 + gamma(2 * H.shape[1] + 16)))


def gradient_error(net, P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Computed gradients, componentwise error bounds, and the rows where they hold.

    Returns ``(G, E, ok)``, shapes (m, d), (m, d), (m,). ``ok`` is False where a
    piecewise-linear network's activation pattern is not certain
    (:math:`|\hat z_\ell| \le e^z_\ell` for a live neuron: the point may lie on a kink,
    where the computed gradient need not be a gradient).

    >>> from numerics.models import TwoLayerNet
    >>> net = TwoLayerNet([1.0], [[1.0, -2.0]], [0.0], "relu")
    >>> G, E, ok = gradient_error(net, np.array([[3.0, 1.0], [2.0, 1.0]]))
    >>> G[0].tolist(), bool(ok[0]), bool(ok[1])
    ([1.0, -2.0], True, False)
    """
    P = np.atleast_2d(np.asarray(P, dtype=float))
    if not hasattr(net, "activation"):
        return _deep_gradient_error(net, P)
    name, param, _, cd, ca = _activation_model(net.activation)
    Zhat, ez = _preactivation_error(net, P)
    D = net.activation.numeric_derivative(Zhat)
    G = (D * net.a) @ net.W
    if net.activation.is_piecewise_linear:
        live = np.any(net.W != 0, axis=1)
        ok = np.all((np.abs(Zhat) > ez) | ~live[None, :], axis=1)
        delta = cd * U * np.abs(D)
    else:
        ok = np.ones(P.shape[0], dtype=bool)
        delta = cd * U * np.abs(D) + ca * U + _curvature_bound(name, param, Zhat, ez) * ez
    absa, absW = np.abs(net.a), np.abs(net.W)
    E = gamma(net.k + 1) * ((np.abs(D) * absa) @ absW) + (delta * absa) @ absW
    return G, up(E * (1.0 + gamma(2 * (net.k + net.d) + 16))), ok


def _deep_gradient_error(net, P):
    layers = _deep_layers(net, P)
    ok = np.ones(P.shape[0], dtype=bool)
    for (Z, E), W, b in zip(layers, net.weights, net.biases, strict=True):
        live = np.any(W != 0, axis=1) | (b != 0)
        ok &= np.all((np.abs(Z) > E) | ~live[None, :], axis=1)
    G = net.gradient(P)
    A = (layers[-1][0] >= 0) * np.abs(net.a)
    for ell in range(net.depth - 1, 0, -1):
        A = (A @ np.abs(net.weights[ell])) * (layers[ell - 1][0] >= 0)
    A = A @ np.abs(net.weights[0])
    n = sum(net.widths) + net.d + 1
    return G, up(gamma(n) * A * (1.0 + gamma(2 * n + 8))), ok


# ---------------------------------------------------------------------------
# norms, membership, certified witnesses
# ---------------------------------------------------------------------------
def _norm_up(V: np.ndarray, p: float) -> np.ndarray:
    """Upper bounds of the exact l_p norms of the float rows of V."""
    d = V.shape[1]
    if p == 1.0:
        return up(np.abs(V).sum(axis=1) * (1 + gamma(d)))
    if p == 2.0:
        return up(np.linalg.norm(V, axis=1) * (1 + gamma(d + 2)))
    return np.abs(V).max(axis=1)


def _norm_down(V: np.ndarray, p: float) -> np.ndarray:
    """Lower bounds of the exact l_p norms of the float rows of V."""
    d = V.shape[1]
    if p == 1.0:
        return down(np.abs(V).sum(axis=1) * (1 - gamma(d)))
    if p == 2.0:
        return down(np.linalg.norm(V, axis=1) * (1 - gamma(d + 2)))
    return np.abs(V).max(axis=1)


def in_ball(P: np.ndarray, radius: float) -> np.ndarray:
    r"""Certified membership :math:`\|x\|_2 \le R` of each row:
    :math:`fl(\|x\|^2)(1+\gamma_{d+1})` rounded up :math:`\le fl(R^2)` rounded down.

    >>> bool(in_ball(np.array([[1.0, 0.0]]), 1.0)[0]), bool(in_ball([[0.5, 0.5]], 1.0)[0])
    (False, True)
    """
    P = np.atleast_2d(np.asarray(P, dtype=float))
    s = up(np.sum(P * P, axis=1) * (1 + gamma(P.shape[1] + 1)))
    return s <= down(radius * radius)


def into_ball(P: np.ndarray, radius: float) -> np.ndarray:
    """Rows of P not certified inside the ball scaled towards 0 until they are (by
    ``1 - 2^-40`` at least); rows already certified inside are unchanged."""
    P = np.array(P, dtype=float)
    for _ in range(60):
        bad = ~in_ball(P, radius)
        if not np.any(bad):
            return P
        r = np.linalg.norm(P[bad], axis=1)
        scale = np.minimum(1.0, radius / np.maximum(r, _TINY)) * (1 - 2.0**-40)
        P[bad] *= scale[:, None]
    raise ValueError("domain: could not place the points strictly inside the ball")


def sphere_offsets(P: np.ndarray, radius: float) -> np.ndarray:
    """Upper bounds of ``|‖x‖ - R| = ‖y - x‖`` with ``y = R x / ‖x‖`` (the point of the
    sphere a float row x stands for)."""
    P = np.atleast_2d(np.asarray(P, dtype=float))
    r = np.linalg.norm(P, axis=1)
    return up(np.abs(r - radius) + up(gamma(P.shape[1] + 2) * r) + U * radius)


def sphere_constants(net, radius: float) -> tuple[float, float]:
    r"""Bounds (lip, curv) of :math:`\|\nabla f\|` and of the gradient's Lipschitz constant
    on the ball of radius :math:`R(1 + 10^{-9})` (two-layer nets):
    :math:`\sum_\ell |a_\ell| L_\ell\|w_\ell\|` and :math:`\sum_\ell|a_\ell|C_\ell\|w_\ell\|^2`,
    :math:`L_\ell, C_\ell` bounds of :math:`|\psi'|, |\psi''|` on the neuron's range there."""
    name, param, _, _, _ = _activation_model(net.activation)
    Rp = radius * (1 + SPHERE_SLACK)
    wn = up(np.linalg.norm(net.W, axis=1) * (1 + gamma(net.d + 2)))
    zmax = up(np.abs(net.b) + Rp * wn)
    zero = np.zeros_like(zmax)
    absa = np.abs(net.a)
    lip = float(np.sum(absa * _slope_bound(name, param, zmax, zero) * wn))
    curv = 0.0 if net.activation.is_piecewise_linear else float(
        np.sum(absa * _curvature_bound(name, param, zmax, zero) * wn * wn))
    return round_up_bound(lip, 3 * net.k + 8), round_up_bound(curv, 4 * net.k + 8)


def certified_pair_quotients(net, A: np.ndarray, B: np.ndarray, p: float, domain) -> np.ndarray:
    r"""Certified lower bounds of :math:`|f(x) - f(x')| / \mathrm{dist}(x, x')` for the
    paired rows of A and B: :math:`(|\hat f(x) - \hat f(x')| - e(x) - e(x'))/
    \mathrm{dist}_{up}(x, x')`, rounded down and clipped at 0. The distance is
    :math:`\|x - x'\|_p` computed directly; on the sphere (p = 2) the geodesic distance
    between :math:`y = Rx/\|x\|` and :math:`y'`, the values corrected by
    :func:`sphere_constants`' lip times :math:`\|y - x\| + \|y' - x'\|`. The caller
    certifies that the points are in the domain.

    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0], [[1.0]], [1e8], "relu")
    >>> q = certified_pair_quotients(net, [[0.0]], [[7.7e-7]], 2.0, Domain.rd())
    >>> bool(0.9 < q[0] <= 1.0)
    True
    """
    A = np.atleast_2d(np.asarray(A, dtype=float))
    B = np.atleast_2d(np.asarray(B, dtype=float))
    fa, ea = value_error(net, A)
    fb, eb = value_error(net, B)
    num = down(np.abs(fa - fb)) - up(ea + eb)
    if domain.kind == "sphere":
        R = domain.radius
        off = up(sphere_offsets(A, R) + sphere_offsets(B, R))
        num = num - up(sphere_constants(net, R)[0] * off)
        chord = up(_norm_up(A - B, 2.0) + off)
        dist = up(2 * R * np.arcsin(np.minimum(up(chord / (2 * R)), 1.0)) * (1 + 8 * U))
    else:
        dist = _norm_up(A - B, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where((dist > 0) & (num > 0), num / np.where(dist > 0, dist, 1.0), 0.0)
    return down(q)


def certified_gradient_norms(net, P: np.ndarray, p: float,
                             domain) -> tuple[np.ndarray, np.ndarray]:
    r"""Certified lower bounds of :math:`\|\nabla_\Omega f(x)\|_q` (:math:`1/p+1/q=1`) at the
    rows of P, and the rows where they hold (certain pattern). On the sphere (p = 2):
    the tangential gradient at :math:`y = Rx/\|x\|`; piecewise-linear nets must keep a
    certain pattern on the segment from x to y (so the gradient is the same), smooth
    nets lose :func:`sphere_constants`' curv times :math:`\|y - x\|`; forming the
    tangential part costs at most :math:`(4\sqrt d + 4)\gamma_{2d+8}` times the
    gradient's norm.
    """
    G, E, ok = gradient_error(net, P)
    q = {1.0: np.inf, 2.0: 2.0, np.inf: 1.0}[p]
    if domain.kind != "sphere":
        return np.maximum(down(_norm_down(G, q) - _norm_up(E, q)), 0.0), ok
    R = domain.radius
    off = sphere_offsets(P, R)
    ok = ok & (off <= SPHERE_SLACK * R)
    if net.activation.is_piecewise_linear:
        Zhat, ez = _preactivation_error(net, P)
        wn = up(np.linalg.norm(net.W, axis=1) * (1 + gamma(net.d + 2)))
        live = np.any(net.W != 0, axis=1)
        ok = ok & np.all((np.abs(Zhat) > ez + wn[None, :] * off[:, None]) | ~live[None, :],
                         axis=1)
        shift = np.zeros(P.shape[0])
    else:
        shift = up(sphere_constants(net, R)[1] * off)
    Uv = P / np.linalg.norm(P, axis=1, keepdims=True)
    T = G - np.sum(G * Uv, axis=1, keepdims=True) * Uv
    gn = up(_norm_up(G, 2.0) + _norm_up(E, 2.0))
    d = P.shape[1]
    form = up((4 * np.sqrt(d) + 4) * gamma(2 * d + 8) * gn)
    val = down(_norm_down(T, 2.0) - _norm_up(E, 2.0) - form - shift)
    return np.maximum(val, 0.0), ok


def certified_operator_norm(W) -> float:
    r"""A certified upper bound :math:`t \ge \|W\|_2`: :math:`\sqrt{s}` rounded up, where
    the float Cholesky factorization of :math:`sI - fl(M) - cI` succeeds, M the smaller
    Gram matrix of W scaled by a power of two, c covering the error of forming M
    (:math:`\gamma_{m+2}\|W\|_F^2`), of the diagonal subtraction
    (:math:`2u(s + \max_i M_{ii})`) and of the factorization (Rump 2006:
    :math:`\gamma_{n+1}\mathrm{tr}(A)/(1-2\gamma_{n+1})` plus an underflow term). s
    starts at the SVD estimate and grows until the test passes.

    >>> t = certified_operator_norm(np.array([[1.0, 1.0], [0.0, 1.0]]))
    >>> 1.6180339887 <= t <= 1.6180339888
    True
    """
    W = np.atleast_2d(np.asarray(W, dtype=float))
    if W.size == 0 or not np.any(W != 0):
        return 0.0
    if not np.all(np.isfinite(W)):
        return float("inf")
    e2 = int(np.frexp(float(np.abs(W).max()))[1])
    Ws = np.ldexp(W, -e2)  # scaling by a power of two: exact except in the subnormal range
    pow2 = float(np.ldexp(1.0, e2))
    lost = np.sqrt(W.size) * 2.0**-1074 * pow2  # what the subnormal range may have lost
    k, d = Ws.shape
    M = Ws.T @ Ws if d <= k else Ws @ Ws.T
    n, m_inner = M.shape[0], (k if d <= k else d)
    fro = float(np.sum(Ws * Ws))
    s = float(np.linalg.norm(Ws, 2)) ** 2 * (1 + 1e-14) + 1e-300
    g = gamma(n + 1)
    for _ in range(80):
        A = s * np.eye(n) - M
        c = up(gamma(m_inner + 2) * fro * 1.01 + 2 * U * (s + float(np.max(np.diag(M)))))
        tr = float(np.trace(A)) + n * c
        c = up(c + g / (1 - 2 * g) * tr * 1.01 + 4 * n * (2 * n + 2 + s) * 2.0**-1022)
        try:
            sla.cholesky(A - c * np.eye(n), lower=True, check_finite=True)
            return float(up(up(np.sqrt(up(s))) * pow2 + lost))
        except (np.linalg.LinAlgError, ValueError):
            s = s * (1 + 1e-12) + 2 * c
    return float("inf")
