r"""The Lipschitz (ReLU) version of the S2 threshold memorizer: every
:math:`H` replaced by a steep ramp, with a proved condition for exact
interpolation and a certified Lipschitz bracket on the data's ball
(``docs/mathematics.md#s2-memorization``).

**The ramp network.** With :math:`r_s(t) = (\mathrm{relu}(t) - \mathrm{relu}(t - s))/s
= \min(\max(t/s, 0), 1)`, a threshold network (one head: first layer
:math:`G, \tau`, second-layer neurons :math:`(u_k, m_k)`, k = 1..K) becomes,
for widths :math:`s > 0`, :math:`s_2 > 0`, :math:`s_3 > 0` and a shift
:math:`\theta \in [0, 1)`,

.. math::

    \Phi_s(x) = r_s(Gx + \tau),\qquad
    h_k(x) = r_{s_2}\big(m_k - \theta - \langle u_k, \Phi_s(x)\rangle\big),\qquad
    f(x) = 2\, r_{s_3}\Big(\sum_k h_k(x)\Big) - 1 ,

a ReLU network with hidden widths 2N+1, 2K+1, 3 (the extra neuron of each
layer carries the constant 1 for the output's −1) and no output bias, i.e. a
:class:`numerics.models.DeepReLUNet`.

**Theorem (ramp condition).** Write :math:`z_j(x) = g_j\cdot x + \tau_j`, and for a
point :math:`x'` of the −1 class C' the *slack*
:math:`\sigma_k(x') = \langle u_k, \Phi(x')\rangle - m_k \ge 0` (an integer) and the
*ramp deficit*

.. math::

    D_k(x'; s) = \sum_{j:\, u_{kj} = 1,\ z_j(x') > 0} \big(1 - z_j(x')/s\big)_+ .

Suppose the threshold network interpolates and
:math:`s_2 \le 1 - \theta`, :math:`s_3 \le 1` and

.. math::

    D_k(x'; s) \le \sigma_k(x') + \theta \qquad \text{for every } k \text{ and } x' \in C'. \tag{R}

Then :math:`f(x_i) = y_i` for every data point. In particular (R) holds whenever
:math:`s \le \mu_+ = \min\{z_j(x') : x' \in C',\ z_j(x') > 0\}`, the smallest positive
first-layer margin on C' (then every deficit is 0).

*Proof.* :math:`0 \le r_s(t) \le H(t)` for all t, with equality when
:math:`t \le 0` or :math:`t \ge s`; hence :math:`\Phi_s \le \Phi` coordinatewise and
:math:`\langle u_k, \Phi(x) - \Phi_s(x)\rangle = D_k(x; s)` since :math:`u_k \ge 0`.
(i) x' in C': the pre-activation of :math:`h_k` is
:math:`m_k - \theta - \langle u_k,\Phi(x')\rangle + D_k(x'; s) = D_k - \sigma_k - \theta \le 0`
by (R), so :math:`h_k(x') = 0` for all k, :math:`\sum_k h_k = 0` and
:math:`f(x') = -1`. (ii) x in C: interpolation of the threshold network gives a k
with :math:`\langle u_k, \Phi(x)\rangle \le m_k - 1` (integers), so the
pre-activation of :math:`h_k` is
:math:`\ge m_k - \theta - \langle u_k,\Phi(x)\rangle \ge 1 - \theta \ge s_2` and
:math:`h_k(x) = 1`; all :math:`h \ge 0`, so :math:`\sum h \ge 1 \ge s_3` and
:math:`f(x) = 1`. :math:`D_k(x'; s)` is nondecreasing in s, so the admissible s
form an interval :math:`(0, s_{\max}]` containing :math:`(0, \mu_+]`. ∎

The check of (R) is done in floating point with the deficit rounded up by
:math:`\gamma_{N+4}` relative (all its terms are nonnegative; Higham §3), so a
"holds" is a proof up to the stated rounding model. The pre-activations
:math:`z_j(x')` used are the computed ones (the expression the ReLU network itself
evaluates); a point with :math:`|z_j|` at rounding level could lie on the other side
in exact arithmetic, which is one more reason interpolation is also measured on
every point.

**Lipschitz bracket** on the ball :math:`B_R`, :math:`R = \max_i\|x_i\|`:

- upper (proved, :func:`structured_upper_bound`): a.e.
  :math:`\nabla f = -\tfrac{2}{s s_2 s_3}\,\delta_3\, G^T D_1 U^T D_2 \mathbf 1` with
  diagonal :math:`D_1, D_2` and :math:`\delta_3` in [0, 1]; U is entrywise
  nonnegative, so :math:`\|D_1 U^T D_2 \mathbf 1\|_2 \le \|U^T\mathbf 1\|_2` and

  .. math:: \mathrm{Lip}_{B_R}(f) \le \frac{2}{s s_2 s_3}\,\|G_A\|_{op}\,\|U_A^T \mathbf 1\|_2 ,

  where A are the hyperplanes whose ramp is not constant on :math:`B_R` (all others
  have :math:`D_1 = 0` there). :math:`\|G_A\|_{op}` is certified by a Cholesky test
  (:func:`certified_operator_norm`). The toolkit's product of layer norms
  (:func:`numerics.lipschitz.product_norm_upper_bound`) is also reported; the smaller
  one is used.
- lower (witnessed): :func:`numerics.lipschitz.lp_lower_bound` started from points on
  the segments joining the closest cross-class pairs and from their midpoints projected
  onto the middle of every first-layer ramp (where one wall has slope
  :math:`\approx 2\|g_j\|/s`) and from the zero of f on each segment (found by
  bisection; f is continuous and goes from 1 to −1 there), and the best pair quotient
  among the segment points and pairs straddling the wall at each zero
  (:func:`numerics.lipschitz.pair_lower_bound`); the witness re-verifies.

Examples
--------
>>> from numerics.construct.memorization import memorize
>>> X = np.array([[0.5, 0.0], [-0.5, 0.0], [0.0, 0.9], [0.0, -0.9]])
>>> y = np.array([1, -1, 1, -1])
>>> res = memorize(X, y, width=60, bias_range=0.5, seed=0)
>>> ramp = ramp_memorizer(res.net, X, y)
>>> ramp.condition_holds, ramp.interpolates, ramp.lower <= ramp.upper
(True, True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics.construct.memorization import ThresholdNetwork
from numerics.data import validate_dataset
from numerics.domain import Domain
from numerics.lipschitz import Witness, lp_lower_bound, pair_lower_bound, product_norm_upper_bound
from numerics.models import DeepReLUNet
from numerics.rounding import U, certified_operator_norm, gamma

__all__ = [
    "RampMemorizer",
    "certified_operator_norm",
    "largest_ramp_width",
    "ramp_condition",
    "ramp_memorizer",
    "ramp_network",
    "structured_upper_bound",
]

#: Tolerance of the measured interpolation check ``max |f(x_i) - y_i|``.
FIT_TOL = 1e-9


def _single_head(net: ThresholdNetwork) -> None:
    if not isinstance(net, ThresholdNetwork) or len(net.classes) != 1:
        raise ValueError("net: expected a two-class ThresholdNetwork (one head)")


def _check_widths(s, s2, s3, theta) -> tuple[float, float, float, float]:
    theta = float(theta)
    if not (np.isfinite(theta) and 0 <= theta < 1):
        raise ValueError(f"theta: must be in [0, 1), got {theta!r}")
    s2 = 1.0 - theta if s2 is None else float(s2)
    vals = {"s": float(s), "s2": s2, "s3": float(s3)}
    for name, v in vals.items():
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{name}: must be a finite number > 0, got {v!r}")
    return vals["s"], s2, vals["s3"], theta


def _negatives(net: ThresholdNetwork, X, y):
    X, y = validate_dataset(X, y)
    if X.shape[1] != net.d:
        raise ValueError(f"X: expected {net.d} columns, got {X.shape[1]}")
    Xn = X[y == -1]
    Z = Xn @ net.G.T + net.tau
    slack = (Z > 0).astype(float) @ net.U.T.astype(float) - net.m
    return Z, slack


def _deficit_ok(Z, slack, U, s, theta) -> bool:
    if Z.shape[0] == 0 or U.shape[0] == 0:
        return True
    Dm = np.where(Z > 0, np.clip(1.0 - Z / s, 0.0, 1.0), 0.0)
    D = Dm @ U.T.astype(float)
    return bool(np.all(D * (1 + gamma(Z.shape[1] + 4)) <= slack + theta))


def ramp_condition(net: ThresholdNetwork, X, y, s: float, *, theta: float = 0.0,
                   s2: float | None = None, s3: float = 1.0) -> bool:
    r"""Whether the module's condition (R) holds together with
    :math:`s_2 \le 1 - \theta`, :math:`s_3 \le 1` (:math:`s_2` defaults to
    :math:`1 - \theta`). The threshold network must interpolate (X, y) for the
    theorem to apply; that is checked separately by :func:`ramp_memorizer`.

    Examples
    --------
    >>> net = ThresholdNetwork([[1.0]], [0.0], [[1]], [1], [0], [1])
    >>> X, y = np.array([[-1.0], [0.5]]), np.array([1, -1])
    >>> ramp_condition(net, X, y, 0.5), ramp_condition(net, X, y, 0.6)
    (True, False)
    """
    _single_head(net)
    s, s2, s3, theta = _check_widths(s, s2, s3, theta)
    if s2 > 1 - theta or s3 > 1:
        return False
    Z, slack = _negatives(net, X, y)
    return _deficit_ok(Z, slack, net.U, s, theta)


def largest_ramp_width(net: ThresholdNetwork, X, y, *, theta: float = 0.0,
                       iters: int = 60) -> tuple[float, float]:
    r"""``(s, mu_plus)``: an s for which (R) is verified, found by bisection
    between :math:`\mu_+` (always admissible) and the largest first-layer
    pre-activation on C' (the condition is monotone in s), and :math:`\mu_+`
    itself. Returns :math:`(1, 1)` when C' has no positive pre-activation.

    Examples
    --------
    >>> net = ThresholdNetwork([[1.0]], [0.0], [[1]], [1], [0], [1])
    >>> s, mu = largest_ramp_width(net, np.array([[-1.0], [0.5]]), np.array([1, -1]))
    >>> round(s, 9), mu
    (0.5, 0.5)
    """
    _single_head(net)
    _check_widths(1.0, None, 1.0, theta)
    Z, slack = _negatives(net, X, y)
    pos = Z[Z > 0]
    if pos.size == 0:
        return 1.0, 1.0
    mu = float(pos.min())
    lo, hi = mu, max(float(pos.max()), mu) * 2
    if not _deficit_ok(Z, slack, net.U, lo, theta):  # pragma: no cover - theorem says no
        raise RuntimeError("ramp condition fails at mu_plus: rounding trouble")
    if _deficit_ok(Z, slack, net.U, hi, theta):
        return hi, mu
    for _ in range(iters):
        mid = np.sqrt(lo * hi)
        if _deficit_ok(Z, slack, net.U, mid, theta):
            lo = mid
        else:
            hi = mid
    return float(lo), mu


def ramp_network(net: ThresholdNetwork, s: float, *, theta: float = 0.0,
                 s2: float | None = None, s3: float = 1.0) -> DeepReLUNet:
    r"""The ramp version f of a one-head threshold network as a
    :class:`~numerics.models.DeepReLUNet` (module docstring; widths 2N+1, 2K+1, 3).

    Examples
    --------
    >>> net = ThresholdNetwork([[1.0]], [0.0], [[1]], [1], [0], [1])
    >>> f = ramp_network(net, 0.5)
    >>> f(np.array([[-1.0], [0.5], [0.25]])).tolist()
    [1.0, -1.0, 0.0]
    """
    _single_head(net)
    s, s2, s3, theta = _check_widths(s, s2, s3, theta)
    N, K, d = net.N, net.K, net.d
    U = net.U.astype(float)
    W1 = np.vstack([net.G, net.G, np.zeros((1, d))])
    b1 = np.r_[net.tau, net.tau - s, 1.0]
    rows = np.hstack([-U / s, U / s, np.zeros((K, 1))])
    const = np.r_[np.zeros(2 * N), 1.0][None, :]
    W2 = np.vstack([rows, rows, const])
    base = net.m - theta
    b2 = np.r_[base, base - s2, 0.0]
    ones = np.ones(K) / s2
    W3 = np.array([np.r_[ones, -ones, 0.0], np.r_[ones, -ones, 0.0],
                   np.r_[np.zeros(2 * K), 1.0]])
    b3 = np.array([0.0, -s3, 0.0])
    a = np.array([2.0 / s3, -2.0 / s3, -1.0])
    return DeepReLUNet(a, [W1, W2, W3], [b1, b2, b3])


def structured_upper_bound(net: ThresholdNetwork, s: float, *, radius: float,
                           theta: float = 0.0, s2: float | None = None,
                           s3: float = 1.0) -> float:
    r"""The proved bound :math:`\frac{2}{s s_2 s_3}\|G_A\|_{op}\|U_A^T\mathbf 1\|_2`
    on :math:`\mathrm{Lip}_{B_R}` of the ramp network (module docstring), A the
    hyperplanes whose ramp varies on :math:`B_R`: those with
    :math:`\tau_j - R\|g_j\| < s` and :math:`\tau_j + R\|g_j\| > 0`, tested with
    :math:`\|g_j\|` rounded up by :math:`\gamma_{d+2}` and a margin
    :math:`4u(|\tau_j| + R\|g_j\| + s)` for the rounding of the comparisons (so a
    hyperplane is dropped only when it provably never switches on the ball).

    >>> net = ThresholdNetwork([[3.0, 4.0]], [0.0], [[1]], [1], [0], [1])
    >>> round(structured_upper_bound(net, 0.5, radius=1.0), 6)
    20.0
    """
    _single_head(net)
    s, s2, s3, theta = _check_widths(s, s2, s3, theta)
    R = float(radius)
    gn = np.linalg.norm(net.G, axis=1) * (1 + gamma(net.d + 2)) * R
    err = 4 * U * (np.abs(net.tau) + gn + s)  # rounding of the two comparisons
    A = (net.tau - gn < s + err) & (net.tau + gn > -err)
    if not np.any(A) or net.K == 0:
        return 0.0
    col = net.U[:, A].sum(axis=0).astype(np.int64)
    un = float(np.sqrt(float(np.sum(col * col)))) * (1 + 2 * U)
    val = 2.0 / (s * s2 * s3) * certified_operator_norm(net.G[A]) * un
    return float(val * (1 + 8 * U))


@dataclass(frozen=True)
class RampMemorizer:
    """The ramp network with its condition, measured fit and Lipschitz bracket
    on the ball of radius ``radius`` (module docstring)."""

    net: DeepReLUNet
    s: float
    s2: float
    s3: float
    theta: float
    mu_plus: float
    condition_holds: bool
    fit_error: float
    radius: float
    lower: float
    witness: Witness | None
    upper: float
    upper_method: str
    upper_structured: float
    upper_product: float

    @property
    def interpolates(self) -> bool:
        """Measured: ``max_i |f(x_i) - y_i| <= FIT_TOL``."""
        return bool(self.fit_error <= FIT_TOL)

    def to_dict(self) -> dict:
        """JSON-friendly summary (no weights)."""
        return {"s": self.s, "s2": self.s2, "s3": self.s3, "theta": self.theta,
                "mu_plus": self.mu_plus, "condition_holds": self.condition_holds,
                "fit_error": self.fit_error, "interpolates": self.interpolates,
                "radius": self.radius, "lip_lower": self.lower, "lip_upper": self.upper,
                "upper_method": self.upper_method, "upper_structured": self.upper_structured,
                "upper_product": self.upper_product,
                "witness": None if self.witness is None else self.witness.to_dict()}


def _segment_starts(X, y, n_pairs: int = 16, per: int = 33) -> np.ndarray:
    from scipy.spatial import cKDTree

    P, Q = X[y == 1], X[y == -1]
    dist, j = cKDTree(Q).query(P)
    top = np.argsort(dist)[:n_pairs]
    t = np.linspace(0.0, 1.0, per)[None, :, None]
    return (P[top][:, None, :] * (1 - t) + Q[j[top]][:, None, :] * t).reshape(-1, X.shape[1])


def _wall_starts(net: ThresholdNetwork, mids: np.ndarray, s: float, R: float) -> np.ndarray:
    r"""The points ``mids`` projected onto the middle of every first-layer ramp
    (:math:`g_j\cdot x + \tau_j = s/2`), where a single wall is steepest; those in B_R."""
    G, tau = net.G, net.tau
    shift = (mids @ G.T + tau - s / 2) / np.sum(G * G, axis=1)  # (m, N)
    P = (mids[:, None, :] - shift[:, :, None] * G[None, :, :]).reshape(-1, net.d)
    return P[np.linalg.norm(P, axis=1) < R]


def _crossing_starts(f: DeepReLUNet, starts: np.ndarray, per: int = 33,
                     iters: int = 60) -> np.ndarray:
    r"""On each segment from a +1 point (f = 1) to a −1 point (f = −1) of
    :func:`_segment_starts`, the point where f crosses 0, by bisection (f is
    continuous): it lies inside a wall, where f is steep."""
    A, B = starts[0::per], starts[per - 1::per]
    lo, hi = np.zeros(len(A)), np.ones(len(A))
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        pos = f(A + mid[:, None] * (B - A)) > 0
        lo, hi = np.where(pos, mid, lo), np.where(pos, hi, mid)
    t = 0.5 * (lo + hi)
    return A + t[:, None] * (B - A)


def _straddling_pairs(f: DeepReLUNet, C: np.ndarray, h: float, R: float) -> np.ndarray:
    """Points ``c -+ h v`` around each crossing point c, v the unit (one-sided)
    gradient there: pairs straddling the steepest wall (rows in B_R)."""
    Gr = f.gradient(C)
    nrm = np.linalg.norm(Gr, axis=1)
    C, V = C[nrm > 0], Gr[nrm > 0] / nrm[nrm > 0, None]
    P = np.vstack([C - h * V, C + h * V])
    return P[np.linalg.norm(P, axis=1) < R]


def ramp_memorizer(net: ThresholdNetwork, X, y, *, s: float | None = None,
                   theta: float = 0.0, s2: float | None = None, s3: float = 1.0,
                   seed=0, n_starts: int = 16, steps: int = 40) -> RampMemorizer:
    r"""Build the ramp version of ``net`` (s defaults to
    :func:`largest_ramp_width`), check (R), measure the fit and certify the
    Lipschitz bracket on :math:`B_R`, :math:`R = \max_i\|x_i\|`.

    Raises ValueError naming ``net`` if it does not interpolate (X, y) (the
    theorem needs it), and naming ``s``, ``s2``, ``s3``, ``theta`` for bad widths.

    Examples
    --------
    >>> from numerics.construct.memorization import memorize
    >>> from numerics.shipped_data import two_moons
    >>> X, y = two_moons(100, 0.05, seed=0)
    >>> rm = ramp_memorizer(memorize(X, y, 200, 1.0, seed=0).net, X, y, n_starts=4, steps=10)
    >>> rm.condition_holds, rm.interpolates, rm.s >= rm.mu_plus, rm.lower <= rm.upper
    (True, True, True, True)
    >>> rm.witness.verify(rm.net, Domain.ball(rm.radius)) >= rm.lower
    True
    """
    _single_head(net)
    X, y = validate_dataset(X, y)
    if not np.array_equal(net.predict(X), np.where(y > 0, 1, -1)):
        raise ValueError("net: the threshold network does not interpolate (X, y)")
    mu = largest_ramp_width(net, X, y, theta=theta)[1]
    if s is None:
        s = largest_ramp_width(net, X, y, theta=theta)[0]
    s, s2, s3, theta = _check_widths(s, s2, s3, theta)
    holds = ramp_condition(net, X, y, s, theta=theta, s2=s2, s3=s3)
    f = ramp_network(net, s, theta=theta, s2=s2, s3=s3)
    fit = float(np.max(np.abs(f(X) - y)))
    R = float(np.linalg.norm(X, axis=1).max()) * (1 + gamma(X.shape[1] + 2))
    dom = Domain.ball(R)
    starts = _segment_starts(X, y)
    walls = _wall_starts(net, starts[16::33], s, R)
    cross = _crossing_starts(f, starts)
    lo, wit, _ = lp_lower_bound(f, dom, 2, X=np.vstack([starts, walls, cross]), seed=seed,
                                n_samples=64, n_starts=n_starts, steps=steps)
    h = s / (4 * float(np.linalg.norm(net.G, axis=1).max()))
    lo_pair, wit_pair = pair_lower_bound(
        f, np.vstack([starts[::8], _straddling_pairs(f, cross, h, R)]), dom, 2)
    if lo_pair > lo:
        lo, wit = lo_pair, wit_pair
    up_s = structured_upper_bound(net, s, radius=R, theta=theta, s2=s2, s3=s3)
    up_p = product_norm_upper_bound(f, 2)
    up, how = (up_s, "structured") if up_s <= up_p else (up_p, "layer-product")
    return RampMemorizer(f, s, s2, s3, theta, mu, holds, fit, R, float(lo), wit, float(up),
                         how, float(up_s), float(up_p))
