r"""Interpolating training of k-neuron two-layer networks.

Full-batch minimization of the squared loss (optionally plus a smoothed
path norm) over all parameters :math:`\theta = (a, W, b)`,

.. math::
    L(\theta) = \tfrac12\sum_{i=1}^n (f_\theta(x_i) - y_i)^2
    + \lambda \sum_{\ell=1}^k \sqrt{a_\ell^2+\epsilon^2}\,\sqrt{\|w_\ell\|^2+\epsilon^2},

with L-BFGS (:mod:`numerics.construct.fit_kernels`: compact form, fused
value-and-gradient in preallocated buffers) and analytic batched gradients
(:math:`Z = XW^T + 1b^T`,
:math:`H = \psi(Z)`, :math:`r = Ha - y`, :math:`D = (r a^T)\odot\psi'(Z)`):

.. math::
    \nabla_a L = H^T r, \qquad \nabla_W L = D^T X, \qquad \nabla_b L = D^T 1

(plus the regularizer's terms). Each evaluation costs about
:math:`4nkd + 9nk` flops (:func:`flops_per_evaluation`).

**What "fit" means** (reported in :attr:`FitResult.status`):

- ``"exact"``: :math:`\max_i |f(x_i) - y_i| \le` ``tol`` (default 1e-9);
- ``"separated"``: not exact, but the weaker condition of
  ``docs/mathematics.md#law-of-robustness``
  :math:`f(x_i) - f(x_j) \ge 2` for all :math:`i\in I_+, j\in I_-` holds;
- ``"sign"``: only :math:`y_i f(x_i) > 0` for all i;
- ``"failed"``: none of these.

To reach ``tol`` (L-BFGS rarely gets below ~1e-7 on its own, and needs hundreds
of iterations near interpolation), a *polish* runs: when k >= n, the
minimal-norm correction of the output layer, :math:`a \leftarrow a + \Phi^+(y -
\Phi a)`, :math:`\Phi = \psi(XW^T+1b^T)` (exact when :math:`\Phi` has rank n);
otherwise (or if that fails) damped Gauss--Newton steps on all parameters,
:math:`\theta \leftarrow \theta - t J^T(JJ^T+\mu I)^{-1} r` (the minimal-norm step
:math:`J^+r` as :math:`\mu\to 0`; the Jacobian has full row rank generically when
:math:`k(d+2) \ge n`), with :math:`JJ^T` formed from :math:`H` and
:math:`\psi'(Z)` without forming J. With ``gn_switch`` the hand-over happens as
soon as the RMS residual is below it; L-BFGS resumes if Gauss--Newton does not
reach ``tol``. Failures are returned with their status and message, never hidden.

Examples
--------
>>> from numerics.data import random_dataset
>>> D = random_dataset(20, 5, seed=0)
>>> res = fit_interpolant(D.X, D.y, k=20, seed=0)
>>> res.status, res.max_error <= 1e-9, res.net.k
('exact', True, 20)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from numerics._validate import as_finite_float, as_positive_int, as_rng
from numerics.construct.fit_kernels import (  # noqa: F401 - Objective, _Memory: public here
    Objective,
    _lbfgs,
    _lbfgs_scipy,
    _lm_step,
    _Memory,
)
from numerics.data import validate_dataset
from numerics.models import TwoLayerNet

__all__ = [
    "FIT_STATUSES",
    "FitResult",
    "Objective",
    "fit_interpolant",
    "fit_seeds",
    "flops_per_evaluation",
    "loss_and_gradient",
]

#: Possible values of :attr:`FitResult.status`, best first.
FIT_STATUSES = ("exact", "separated", "sign", "failed")

_EPS = 1e-8  # smoothing of the path norm


@dataclass
class FitResult:
    """Outcome of one training run.

    Attributes
    ----------
    net : TwoLayerNet
    status : str
        One of :data:`FIT_STATUSES` (see the module docstring).
    max_error : float
        :math:`\\max_i |f(x_i) - y_i|`.
    separation : float
        :math:`\\min_{I_+} f - \\max_{I_-} f` (inf when one class is empty).
    min_margin : float
        :math:`\\min_i y_i f(x_i)`.
    loss : float
        Final squared loss :math:`\\frac12\\sum_i (f(x_i)-y_i)^2`.
    tol : float
    seed : int or None
    lbfgs_iterations, grad_evals, gn_iterations : int
        L-BFGS iterations, loss/gradient evaluations, Gauss-Newton steps.
    polish : str
        ``'none'``, ``'output_lstsq'`` or ``'gauss_newton'``: what ran after L-BFGS.
    flops : float
        Estimated flops of the gradient evaluations (and Jacobian products).
    seconds : float
    message : str
    reg, lam : regularizer name (None or ``'path'``) and weight.
    """

    net: TwoLayerNet
    status: str
    max_error: float
    separation: float
    min_margin: float
    loss: float
    tol: float
    seed: int | None = None
    lbfgs_iterations: int = 0
    grad_evals: int = 0
    gn_iterations: int = 0
    polish: str = "none"
    flops: float = 0.0
    seconds: float = 0.0
    message: str = ""
    reg: str | None = None
    lam: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the fit is exact to ``tol``."""
        return self.status == "exact"

    def to_dict(self) -> dict:
        """JSON-friendly summary (no weights)."""
        def fin(v):
            return float(v) if np.isfinite(v) else None

        return {"status": self.status, "max_error": fin(self.max_error),
                "separation": fin(self.separation), "min_margin": fin(self.min_margin),
                "loss": fin(self.loss), "tol": self.tol, "seed": self.seed, "k": self.net.k,
                "activation": self.net.spec, "lbfgs_iterations": self.lbfgs_iterations,
                "grad_evals": self.grad_evals, "gn_iterations": self.gn_iterations,
                "polish": self.polish, "flops": self.flops, "seconds": round(self.seconds, 6),
                "message": self.message, "reg": self.reg, "lam": self.lam, **self.extra}


def flops_per_evaluation(n: int, k: int, d: int) -> int:
    """Estimated flops of one loss-and-gradient evaluation: the products
    :math:`XW^T` and :math:`D^TX` (2nkd each) plus O(nk) elementwise work.

    >>> flops_per_evaluation(10, 5, 3)  # 4*10*5*3 + 9*10*5
    1050
    """
    return 4 * n * k * d + 9 * n * k


def _unpack(theta: np.ndarray, k: int, d: int):
    return theta[:k], theta[k:k + k * d].reshape(k, d), theta[k + k * d:]


def loss_and_gradient(theta, X, y, k: int, psi, dpsi, lam: float = 0.0):
    r"""Loss :math:`L(\theta)` and its gradient, parameters packed as
    ``[a (k), W (k*d, row-major), b (k)]``.

    Parameters
    ----------
    theta : ndarray, shape (k (d + 2),)
    X : ndarray (n, d); y : ndarray (n,)
    k : int
    psi, dpsi : callables
        The activation and its derivative (vectorized).
    lam : float
        Path-norm weight :math:`\lambda`.

    Returns
    -------
    (float, ndarray of shape (k (d + 2),))

    Examples
    --------
    >>> X = np.array([[1.0, 0.0]]); y = np.array([1.0])
    >>> th = np.array([2.0, 1.0, 0.0, 0.0])  # a = 2, w = (1, 0), b = 0
    >>> L, g = loss_and_gradient(th, X, y, 1, lambda z: np.maximum(z, 0),
    ...                          lambda z: (z >= 0) * 1.0)
    >>> float(L), g.tolist()  # f = 2, r = 1
    (0.5, [1.0, 2.0, 0.0, 2.0])
    """
    d = X.shape[1]
    a, W, b = _unpack(theta, k, d)
    Z = X @ W.T + b
    H = psi(Z)
    r = H @ a - y
    L = 0.5 * float(r @ r)
    ga = H.T @ r
    D = np.outer(r, a) * dpsi(Z)
    gW = D.T @ X
    gb = D.sum(axis=0)
    if lam:
        na = np.sqrt(a * a + _EPS ** 2)
        nw = np.sqrt(np.sum(W * W, axis=1) + _EPS ** 2)
        L += lam * float(na @ nw)
        ga = ga + lam * (a / na) * nw
        gW = gW + lam * (na / nw)[:, None] * W
    return L, np.concatenate([ga, gW.ravel(), gb])


def _jacobian(theta, X, k, psi, dpsi):
    """Residual Jacobian d f(x_i) / d theta, shape (n, k (d + 2)) (reference for
    :meth:`Objective.gram`; not used by the fit)."""
    n, d = X.shape
    a, W, b = _unpack(theta, k, d)
    Z = X @ W.T + b
    H = psi(Z)
    S = dpsi(Z) * a  # (n, k)
    JW = (S[:, :, None] * X[:, None, :]).reshape(n, k * d)
    return np.concatenate([H, JW, S], axis=1)


def _status(f: np.ndarray, y: np.ndarray, tol: float) -> tuple[str, float, float, float]:
    err = float(np.max(np.abs(f - y)))
    pos, neg = f[y > 0], f[y < 0]
    sep = float(pos.min() - neg.max()) if pos.size and neg.size else np.inf
    margin = float(np.min(y * f))
    if err <= tol:
        st = "exact"
    elif sep >= 2:
        st = "separated"
    elif margin > 0:
        st = "sign"
    else:
        st = "failed"
    return st, err, sep, margin


def _init(n: int, d: int, k: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    W = rng.standard_normal((k, d)) * scale
    b = rng.standard_normal(k) * 0.5 * scale
    a = rng.standard_normal(k) / np.sqrt(k)
    return np.concatenate([a, W.ravel(), b])


_OPTIMIZERS = {"lbfgs": _lbfgs, "scipy": _lbfgs_scipy}


def _output_polish(obj: Objective, theta, err: float):
    """Minimal-norm correction of the output layer, when it lowers the error:
    ``(theta, err, flops, used)``."""
    n, k, d = obj.n, obj.k, obj.d
    Phi = obj.values(theta).copy()
    a = theta[:k]
    da = np.linalg.lstsq(Phi, obj.y - Phi @ a, rcond=None)[0]
    cand = theta.copy()
    cand[:k] = a + da
    e2 = float(np.max(np.abs(obj.residual(cand))))
    flops = 2.0 * n * n * k + 2.0 * n * k * d
    return (cand, e2, flops, True) if e2 < err else (theta, err, flops, False)


def _revive(obj: Objective, theta, r, G, tol: float):
    """Points no parameter moves (zero row of J, i.e. zero diagonal of JJ^T) with a
    residual above ``tol``: raise the bias of the nearest neuron so it switches on.
    Returns ``(theta, count)``."""
    dead = np.flatnonzero((np.diag(G) == 0) & (np.abs(r) > tol))
    if not dead.size:
        return theta, 0
    k, d = obj.k, obj.d
    theta = theta.copy()
    b = theta[k + k * d:]
    Z = obj.Xa[dead, :d] @ theta[k:k + k * d].reshape(k, d).T + b
    near = np.argmax(Z, axis=1)
    np.maximum.at(b, near, b[near] - Z[np.arange(dead.size), near] + 1e-3)
    return theta, int(dead.size)


def _gauss_newton(obj: Objective, theta, tol: float, steps: int):
    r"""Damped Gauss--Newton (Levenberg--Marquardt in the dual form) on all
    parameters: :math:`\theta \leftarrow \theta - t J^T(JJ^T+\mu I)^{-1} r` with
    backtracking on :math:`t`; never increases the loss. Returns ``(theta, r,
    steps taken, points revived, flops)``."""
    n, k, d = obj.n, obj.k, obj.d
    r = obj.residual(theta)
    theta0, r0 = theta, r
    gn = revived = 0
    flops = 0.0
    for _ in range(steps):
        G = obj.gram(theta)
        theta, nrev = _revive(obj, theta, r, G, tol)
        if nrev:
            revived += nrev
            r = obj.residual(theta)
            G = obj.gram(theta)
        step = obj.jt(theta, _lm_step(G, r))
        flops += 2.0 * n * n * (2 * k + d + 2) + n ** 3 / 3 + 6.0 * n * k * (d + 1)
        gn += 1
        t, accepted = 1.0, False
        for _ in range(30):
            cand = theta - t * step
            rc = obj.residual(cand)
            if rc @ rc < r @ r:
                theta, r, accepted = cand, rc, True
                break
            t /= 2
        if not accepted or np.max(np.abs(r)) <= tol:
            break
    if r @ r > r0 @ r0:  # revivals made things worse: keep the starting point
        theta, r = theta0, r0
    return theta, r, gn, revived, flops


def _check(X, y, k, tol, lam, maxiter, gn_steps, init_scale, reg, gn_switch):
    X, y = validate_dataset(X, y)
    k = as_positive_int(k, "k")
    tol = as_finite_float(tol, "tol", positive=True)
    lam = as_finite_float(lam, "lam", nonnegative=True)
    maxiter = as_positive_int(maxiter, "maxiter")
    gn_steps = as_positive_int(gn_steps, "gn_steps", minimum=0)
    init_scale = as_finite_float(init_scale, "init_scale", positive=True)
    gn_switch = as_finite_float(gn_switch, "gn_switch", nonnegative=True)
    if reg not in (None, "path"):
        raise ValueError(f"reg: expected None or 'path', got {reg!r}")
    return X, y, k, tol, (lam if reg is not None else 0.0), maxiter, gn_steps, init_scale, \
        gn_switch


def fit_interpolant(X, y, k: int, *, activation: str = "relu", seed=0, reg: str | None = None,
                    lam: float = 0.0, tol: float = 1e-9, maxiter: int = 3000,
                    polish: bool = True, gn_steps: int = 40,
                    init_scale: float = 1.0, gn_switch: float = 0.1,
                    optimizer: str = "lbfgs") -> FitResult:
    r"""Train a k-neuron network to interpolate ``(X, y)``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Labels +-1.
    k : int
        Number of neurons.
    activation : str
        Activation spec (``'relu'``, ``'softplus:2'``, ``'tanh'``, ...).
    seed : int or numpy.random.Generator
        Initialization: :math:`W_{\ell j}\sim N(0, s^2)`,
        :math:`b_\ell \sim N(0, s^2/4)`, :math:`a_\ell\sim N(0, 1/k)`, s =
        ``init_scale``.
    reg : None or ``'path'``
        Regularizer; with ``'path'`` the first L-BFGS stage minimizes
        :math:`L + \lambda\sum_\ell |a_\ell|\,\|w_\ell\|` (smoothed), then an
        unregularized stage and the polish restore the fit.
    lam : float >= 0
        :math:`\lambda`.
    tol : float > 0
        Exact-fit tolerance on :math:`\max_i|f(x_i)-y_i|`.
    maxiter : int
        L-BFGS iterations per stage.
    polish : bool
        Run the output-layer least-squares / Gauss-Newton polish (module docstring).
    gn_steps : int
        Maximum Gauss-Newton steps.
    gn_switch : float >= 0
        With ``polish`` and :math:`k(d+2)\ge n`, the unregularized L-BFGS stage
        hands over to Gauss--Newton once the RMS residual is below ``gn_switch``
        (near interpolation Gauss--Newton converges in a few steps where L-BFGS
        needs hundreds; ``benchmarks/fit.py``); if that does not reach ``tol``,
        L-BFGS resumes for the rest of its iterations and the polish runs again.
        0 disables the hand-over.
    optimizer : {"lbfgs", "scipy"}
        The package's L-BFGS (compact form, :func:`_lbfgs`) or scipy's L-BFGS-B
        (the same iteration with more overhead per step; kept for comparison).

    Returns
    -------
    FitResult

    Examples
    --------
    >>> from numerics.data import random_dataset
    >>> D = random_dataset(30, 10, seed=1)
    >>> r = fit_interpolant(D.X, D.y, k=8, seed=0)  # k < n <= k (d + 2)
    >>> r.status, r.max_error <= 1e-9
    ('exact', True)
    """
    t0 = time.perf_counter()
    X, y, k, tol, lam, maxiter, gn_steps, init_scale, gn_switch = _check(
        X, y, k, tol, lam, maxiter, gn_steps, init_scale, reg, gn_switch)
    n, d = X.shape
    seed_int = int(seed) if isinstance(seed, (int, np.integer)) else None
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer: expected 'lbfgs' or 'scipy', got {optimizer!r}")
    lbfgs = _OPTIMIZERS[optimizer]
    theta = _init(n, d, k, as_rng(seed), init_scale)
    obj = Objective(X, y, k, activation)
    stop_at = 0.5 * tol * tol  # L <= tol^2/2 implies max_i |r_i| <= tol
    early = polish and gn_steps > 0 and gn_switch > 0 and k * (d + 2) >= n
    iters, messages, how = 0, [], "none"
    gn = revived = 0
    extra_flops = 0.0
    if lam > 0:
        theta, it, msg = lbfgs(obj, theta, lam, maxiter, -np.inf)
        iters, messages = iters + it, [msg]
    left = maxiter
    for switch in ([0.5 * n * gn_switch ** 2, stop_at] if early else [stop_at]):
        theta, it, msg = lbfgs(obj, theta, 0.0, left, max(switch, stop_at))
        iters, left = iters + it, left - it
        messages.append(msg)
        err = float(np.max(np.abs(obj.residual(theta))))
        if polish and err > tol and k >= n:
            theta, err, fl, used = _output_polish(obj, theta, err)
            extra_flops += fl
            how = "output_lstsq" if used else how
        if polish and err > tol and gn_steps > 0:
            theta, r, g, rv, fl = _gauss_newton(obj, theta, tol, gn_steps)
            how, gn, revived, extra_flops = "gauss_newton", gn + g, revived + rv, extra_flops + fl
            err = float(np.max(np.abs(r)))
            messages.append(f"gauss_newton: {g} steps, {rv} dead point(s) revived, "
                            f"max error {err:.3g}")
        if err <= tol or left <= 0:
            break
    a, W, b = _unpack(theta, k, d)
    net = TwoLayerNet(a, W.copy(), b, activation)
    f = net(X)
    status, err, sep, margin = _status(f, y, tol)
    return FitResult(net=net, status=status, max_error=err, separation=sep, min_margin=margin,
                     loss=0.5 * float(np.sum((f - y) ** 2)), tol=tol, seed=seed_int,
                     lbfgs_iterations=iters, grad_evals=obj.evals, gn_iterations=gn,
                     polish=how, flops=obj.evals * flops_per_evaluation(n, k, d) + extra_flops,
                     seconds=time.perf_counter() - t0, message="; ".join(messages),
                     reg=reg, lam=lam)


def fit_seeds(X, y, k: int, seeds=(0, 1, 2), **kwargs) -> list[FitResult]:
    """:func:`fit_interpolant` for several seeds; every result is returned,
    failures included (sort or filter by ``status`` yourself).

    >>> from numerics.data import random_dataset
    >>> D = random_dataset(10, 3, seed=0)
    >>> [r.status for r in fit_seeds(D.X, D.y, 10, seeds=(0, 1))]
    ['exact', 'exact']
    """
    if isinstance(seeds, (int, np.integer)):
        raise ValueError(f"seeds: expected a sequence of seeds, got {seeds!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds: needs at least one seed")
    return [fit_interpolant(X, y, k, seed=s, **kwargs) for s in seeds]
