r"""The arithmetic of interpolating training: the fused loss-and-gradient
:class:`Objective` (with the Gauss--Newton Gram matrix), the compact-form L-BFGS
(:class:`_Memory`, :func:`_lbfgs`) and the Levenberg--Marquardt solve
(:func:`_lm_step`) that :mod:`numerics.construct.fit` drives.

Everything is float64, vectorized over the data points and written into
buffers allocated once per fit; ``benchmarks/fit.py`` measures the achieved
rates against the machine's matrix-product rate.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.optimize import minimize

from theory.activations import get_activation

__all__ = ["Objective"]

_EPS = 1e-8  # smoothing of the path norm (as in numerics.construct.fit)


class Objective:
    r"""The loss :math:`L(\theta)` and its gradient in one fused pass, with
    preallocated buffers, for fixed data: the fitting loop's hot path.

    With the data augmented by a column of ones, :math:`\tilde X = [X, 1]`
    (n, d + 1), and :math:`\tilde W = [W, b]` (k, d + 1), one evaluation is

    .. math::
        Z = \tilde X\tilde W^T,\quad H = \psi(Z),\quad r = Ha - y,\quad
        E = \psi'(Z)\odot r 1^T,\quad \nabla_a L = H^T r,\quad
        [\nabla_W L, \nabla_b L] = \operatorname{diag}(a)\, E^T\tilde X,

    i.e. two dense products (:math:`4nk(d+1)` flops) and a few elementwise
    passes over (n, k) arrays, all written into buffers allocated once. For the
    piecewise-linear activations (relu, leaky relu, abs) :math:`\psi` and
    :math:`\psi'` are computed from the slopes of the two pieces
    (:math:`\psi'(0)` is the right slope, as in :mod:`theory.activations`),
    never through ``np.select``; other activations use their lambdified
    functions. Values agree with :func:`loss_and_gradient` to rounding.

    Parameters
    ----------
    X : ndarray (n, d); y : ndarray (n,)
        float64 (converted once).
    k : int
    activation : str
        Activation spec.
    lam : float
        Path-norm weight (see the module docstring).

    Examples
    --------
    >>> X = np.array([[1.0, 0.0]]); y = np.array([1.0])
    >>> L, g = Objective(X, y, 1, "relu")(np.array([2.0, 1.0, 0.0, 0.0]))
    >>> float(L), g.tolist()
    (0.5, [1.0, 2.0, 0.0, 2.0])
    """

    def __init__(self, X, y, k: int, activation: str = "relu", lam: float = 0.0):
        X = np.asarray(X, dtype=np.float64)
        self.n, self.d = n, d = X.shape
        self.k, self.lam, self.evals = k, float(lam), 0
        self.Xa = np.empty((n, d + 1))
        self.Xa[:, :d], self.Xa[:, d] = X, 1.0
        self.y = np.asarray(y, dtype=np.float64)
        act = get_activation(activation)
        self.psi, self.dpsi = act.numeric, act.numeric_derivative
        self.slopes = None
        if act.is_piecewise_linear:
            self.slopes = (float(self.dpsi(np.array(-1.0))), float(self.dpsi(np.array(1.0))))
        self.Wa = np.empty((k, d + 1))
        self.Z, self.H = np.empty((n, k)), np.empty((n, k))
        self.on = np.empty((n, k), dtype=bool)
        self.r, self.G = np.empty(n), np.empty((k, d + 1))

    def values(self, theta: np.ndarray) -> np.ndarray:
        r""":math:`H = \psi(Z)` at ``theta`` (into the buffer ``H``; ``Z`` keeps the
        pre-activations, ``on`` the pattern :math:`Z\ge 0`)."""
        k, d = self.k, self.d
        self.Wa[:, :d] = theta[k:k + k * d].reshape(k, d)
        self.Wa[:, d] = theta[k + k * d:]
        Z, H = self.Z, self.H
        np.matmul(self.Xa, self.Wa.T, out=Z)
        if self.slopes is None:
            H[...] = self.psi(Z)
            return H
        lo, hi = self.slopes
        np.greater_equal(Z, 0.0, out=self.on)
        if lo == 0.0 and hi == 1.0:
            np.maximum(Z, 0.0, out=H)
        else:
            np.multiply(Z, lo, out=H)
            np.copyto(H, Z * hi, where=self.on)
        return H

    def residual(self, theta: np.ndarray) -> np.ndarray:
        """:math:`r = f_\theta(X) - y` (a new array)."""
        return self.values(theta) @ theta[:self.k] - self.y

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        k, d = self.k, self.d
        a = theta[:k]
        H = self.values(theta)
        r = np.matmul(H, a, out=self.r)
        r -= self.y
        L = 0.5 * float(r @ r)
        g = np.empty(k * (d + 2))
        np.matmul(r, H, out=g[:k])
        E = self.Z   # the pre-activations are no longer needed: E = psi'(Z) * r
        if self.slopes is None:
            np.multiply(self.dpsi(E), r[:, None], out=E)
        elif self.slopes == (0.0, 1.0):
            np.multiply(self.on, r[:, None], out=E)
        else:
            lo, hi = self.slopes
            np.multiply(np.where(self.on, hi, lo), r[:, None], out=E)
        np.matmul(E.T, self.Xa, out=self.G)
        self.G *= a[:, None]
        g[k:k + k * d] = self.G[:, :d].ravel()
        g[k + k * d:] = self.G[:, d]
        if self.lam:
            W = theta[k:k + k * d].reshape(k, d)
            na = np.sqrt(a * a + _EPS ** 2)
            nw = np.sqrt(np.einsum("ij,ij->i", W, W) + _EPS ** 2)
            L += self.lam * float(na @ nw)
            g[:k] += self.lam * (a / na) * nw
            g[k:k + k * d] += (self.lam * (na / nw)[:, None] * W).ravel()
        self.evals += 1
        return L, g

    def gram(self, theta: np.ndarray) -> np.ndarray:
        r"""The Gauss--Newton Gram matrix :math:`JJ^T` (n, n) of the residual
        Jacobian :math:`J = \partial f(x_i)/\partial\theta`, without forming J:
        with :math:`T = \psi'(Z)\operatorname{diag}(a)`,
        :math:`JJ^T = HH^T + (TT^T)\odot(\tilde X\tilde X^T)` (about
        :math:`2n^2(2k + d)` flops instead of :math:`2n^2k(d+2)`)."""
        T = self._slopes_times_a(theta)
        return self.H @ self.H.T + (T @ T.T) * (self.Xa @ self.Xa.T)

    def jt(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        """:math:`J^T v` at the point of the last :meth:`gram` call."""
        k, d = self.k, self.d
        T = self._T
        out = np.empty(k * (d + 2))
        out[:k] = v @ self.H
        G = (T * v[:, None]).T @ self.Xa
        out[k:k + k * d] = G[:, :d].ravel()
        out[k + k * d:] = G[:, d]
        return out

    def _slopes_times_a(self, theta: np.ndarray) -> np.ndarray:
        self.values(theta)
        a = theta[:self.k]
        if self.slopes is None:
            S = self.dpsi(self.Z)
        else:
            lo, hi = self.slopes
            S = np.where(self.on, hi, lo)
        self._T = S * a
        return self._T


class _Memory:
    r"""The last ``m`` pairs :math:`s_i = x_{i+1}-x_i`, :math:`y_i = g_{i+1}-g_i` of
    L-BFGS in circular (m, p) buffers, with :math:`S^TY` and :math:`Y^TY` kept up
    to date, and the product of the inverse-Hessian approximation with a vector
    in the compact form of Byrd, Nocedal and Schnabel (1994, eq. 2.6):

    .. math::
        H g = \gamma g + S\,R^{-T}\big((D + \gamma Y^TY)R^{-1}S^Tg - \gamma Y^Tg\big)
        - \gamma\, Y R^{-1} S^T g,

    :math:`R` the upper triangle of :math:`S^TY`, :math:`D` its diagonal,
    :math:`\gamma = s^Ty/y^Ty` of the newest pair. Two (m, p) matrix--vector
    products per application instead of the ``4m`` vector operations of the
    two-loop recursion (and none of L-BFGS-B's bound handling)."""

    def __init__(self, m: int, p: int):
        self.SY = np.zeros((2 * m, p))          # rows: s_0..s_{m-1}, y_0..y_{m-1}
        self.S, self.Y = self.SY[:m], self.SY[m:]
        self.StY, self.YtY = np.zeros((m, m)), np.zeros((m, m))
        self.m, self.count, self.head, self.gamma = m, 0, 0, 1.0

    def push(self, s: np.ndarray, y: np.ndarray) -> None:
        """Store a pair (replacing the oldest when full) and refresh the small
        matrices of the compact form."""
        m, j = self.m, self.head
        self.S[j], self.Y[j] = s, y
        ps, py = self.SY @ s, self.SY @ y
        self.StY[j, :] = ps[m:]
        self.StY[:, j] = py[:m]
        self.YtY[j, :] = self.YtY[:, j] = py[m:]
        self.head, self.count = (j + 1) % m, min(self.count + 1, m)
        self.gamma = gam = float(s @ y) / float(y @ y)
        idx = (self.head - self.count + np.arange(self.count)) % m   # oldest first
        StY = self.StY[np.ix_(idx, idx)]
        Rinv = solve_triangular(np.triu(StY), np.eye(idx.size), check_finite=False)
        inner = np.diag(np.diag(StY)) + gam * self.YtY[np.ix_(idx, idx)]
        self._idx, self._Rinv, self._M = idx, Rinv, Rinv.T @ inner @ Rinv

    def apply(self, g: np.ndarray) -> np.ndarray:
        """:math:`Hg` (a new array): one product with the stacked (2m, p) buffer
        each way."""
        if self.count == 0:
            return g.copy()
        m, idx, gam = self.m, self._idx, self.gamma
        uw = self.SY @ g
        u, w = uw[:m][idx], uw[m:][idx]
        coef = np.zeros(2 * m)
        coef[idx] = self._M @ u - gam * (self._Rinv.T @ w)
        coef[m + idx] = -gam * (self._Rinv @ u)
        out = coef @ self.SY
        out += gam * g
        return out


def _lbfgs(obj: Objective, theta, lam: float, maxiter: int, stop_at: float, m: int = 30):
    r"""Unconstrained L-BFGS on ``obj`` (weight ``lam``), with the compact
    inverse-Hessian product (:class:`_Memory`) and a backtracking Armijo line
    search (:math:`c_1 = 10^{-4}`, quadratic interpolation, unit step first);
    a pair with :math:`s^Ty \le 10^{-12}\|s\|\|y\|` is not stored, which keeps
    the approximation positive definite. Stops when the loss is ``<= stop_at``,
    after ``maxiter`` iterations, or when the line search cannot decrease the
    loss. Returns ``(theta, iterations, message)``."""
    obj.lam = lam
    x = np.array(theta, dtype=np.float64)
    f, g = obj(x)
    mem = _Memory(m, x.size)
    msg = "maximum iterations"
    it = 0
    for it in range(1, maxiter + 1):
        if f <= stop_at:
            it, msg = it - 1, "loss below the stopping value"
            break
        d = -mem.apply(g)
        slope = float(g @ d)
        if not slope < 0:   # not a descent direction: restart from the gradient
            mem = _Memory(m, x.size)
            d, slope = -g, -float(g @ g)
        t = 1.0 if mem.count else min(1.0, 1.0 / max(np.sqrt(-slope), 1e-300))
        for _ in range(40):
            xn = x + t * d
            fn, gn = obj(xn)
            if fn <= f + 1e-4 * t * slope:
                break
            t = min(0.5 * t, max(0.1 * t, -slope * t * t / (2.0 * (fn - f - slope * t))))
        else:
            msg = "line search found no decrease"
            break
        s, yv = xn - x, gn - g
        if float(s @ yv) > 1e-12 * np.linalg.norm(s) * np.linalg.norm(yv):
            mem.push(s, yv)
        x, f, g = xn, fn, gn
    return x, it, f"lbfgs(lam={lam:g}): {msg}"


def _lbfgs_scipy(obj: Objective, theta, lam: float, maxiter: int, stop_at: float):
    """scipy's L-BFGS-B (no bounds) on ``obj``: the reference for ``benchmarks/fit.py``."""
    obj.lam = lam

    def stop(intermediate_result):
        if intermediate_result.fun <= stop_at:
            raise StopIteration

    res = minimize(obj, theta, jac=True, method="L-BFGS-B", callback=stop,
                   options={"maxiter": maxiter, "ftol": 0.0, "gtol": 1e-15, "maxcor": 30})
    return res.x, int(res.nit), f"lbfgs-b(lam={lam:g}): {res.message}"


def _lm_step(G: np.ndarray, r: np.ndarray) -> np.ndarray:
    r""":math:`u = (G + \mu I)^{-1} r` with the smallest :math:`\mu` in
    :math:`10^{-14}\cdot\{1, 10^3, 10^6, \dots\}\cdot\operatorname{tr}G/n` for which
    the Cholesky factorization succeeds (the minimal-norm Gauss--Newton step
    :math:`J^+r = J^T u` in the limit :math:`\mu\to 0`)."""
    n = G.shape[0]
    scale = max(float(np.trace(G)) / n, np.finfo(float).tiny)
    for e in range(-14, 1, 3):
        try:
            c = cho_factor(G + (scale * 10.0 ** e) * np.eye(n), lower=True,
                           check_finite=False)
        except np.linalg.LinAlgError:
            continue
        return cho_solve(c, r, check_finite=False)
    return np.linalg.lstsq(G, r, rcond=None)[0]
