r"""The quadratic-rank bound R3 (docs/mathematics.md#r3-quadratic-rank) for
homogeneous quadratic networks :math:`f(x) = x^TAx`, per instance.

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "power:2")
>>> r3_quantities(net, np.eye(2), [1.0, -1.0])["rank"]
1
"""

from __future__ import annotations

import numpy as np

from numerics import rounding
from numerics.certify.prologue import Certificate, Instance, _check_xy, _value, certifier
from numerics.models import TwoLayerNet
from theory.bounds import Bound

__all__ = ["r3_quantities"]


def r3_quantities(net: TwoLayerNet, X, y) -> dict:
    r"""For a homogeneous quadratic network :math:`f(x) = x^TAx`,
    :math:`A = \sum_\ell a_\ell w_\ell w_\ell^T`: ``A``, ``lip_ball``
    :math:`= 2\|A\|_{op}` (exact :math:`\mathrm{Lip}_{B_1}`), ``M_op``
    :math:`=\|X^T\mathrm{diag}(y)X\|_{op}`, ``trace`` :math:`=\mathrm{tr}(AM) =
    \sum_i y_i f(x_i)`, ``nuclear`` :math:`\|A\|_*`, ``rank`` of A.

    Examples
    --------
    >>> net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "power:2")
    >>> q = r3_quantities(net, np.eye(2), [1.0, -1.0])
    >>> q["lip_ball"], q["M_op"], q["trace"]
    (2.0, 1.0, 1.0)
    """
    X, y = _check_xy(net, X, y)
    if net.spec != "power:2" or np.any(net.b != 0):
        raise ValueError("net: R3 needs activation power:2 and zero biases")
    return _r3_quantities(net, X, y, net(X))


def _r3_quantities(net: TwoLayerNet, X: np.ndarray, y: np.ndarray, f: np.ndarray) -> dict:
    """:func:`r3_quantities` on a validated homogeneous quadratic instance (f = net(X))."""
    A = (net.W.T * net.a) @ net.W
    A = (A + A.T) / 2
    M = (X.T * y) @ X
    ev = np.linalg.eigvalsh(A)
    return {"A": A, "lip_ball": float(2 * np.max(np.abs(ev))),
            "M_op": float(np.max(np.abs(np.linalg.eigvalsh((M + M.T) / 2)))),
            "trace": float(np.sum(A * M)), "nuclear": float(np.sum(np.abs(ev))),
            "rank": int(np.linalg.matrix_rank(A)), "sum_yf": float(y @ f)}


@certifier("R3")
def _cert_r3(inst: Instance, bound: Bound, checks: dict, **options) -> Certificate:
    q = _r3_quantities(inst.net, inst.X, inst.y, inst.f)
    if q["M_op"] <= 0 or q["sum_yf"] <= 0:
        return Certificate(bound, checks, None, "degenerate: M = 0 or sum y_i f(x_i) <= 0")
    n_low, m_up = _r3_margins(inst)
    if not n_low > 0:
        return Certificate(bound, checks, None, "sum y_i f(x_i) is not certified positive")
    # tr(AM) = sum y_i f(x_i) (= n under exact fit): use the actual value, rounded down
    val = _value(bound, n=n_low, k=inst.net.k, d=inst.net.d, M_op=m_up)
    return Certificate(bound, checks, rounding.round_down_bound(val, 8),
                       "with sum_i y_i f(x_i) (= n under exact fit) in place of n",
                       details={k: q[k] for k in ("lip_ball", "M_op", "trace", "rank")})


def _r3_margins(inst: Instance) -> tuple[float, float]:
    r"""Certified :math:`n_{low} \le \sum_i y_i f(x_i)` (exact values; :math:`\hat f, e`
    from :func:`numerics.rounding.value_error`, the sum's own :math:`\gamma_n`) and
    :math:`m_{up} \ge \|X^T\mathrm{diag}(y)X\|_{op}`: the certified operator norm of the
    float product :math:`\hat M` plus its forming error
    :math:`\|\,|\hat M - M|\,\|_{op} \le \gamma_n\|X\|_F^2`."""
    X, y, f = inst.X, inst.y, inst.f
    n = X.shape[0]
    e = rounding.value_error(inst.net, X)[1]
    err = float(np.sum(e)) + rounding.gamma(n) * float(np.sum(np.abs(f)))
    n_low = rounding.down(float(y @ f) - rounding.up(err * (1 + rounding.gamma(n))))
    M = (X.T * y) @ X
    fro = float(np.sum(X * X)) * (1 + rounding.gamma(X.size))
    m_up = rounding.up(rounding.certified_operator_norm(M) + rounding.up(rounding.gamma(n) * fro))
    return float(n_low), float(m_up)
