r"""Tests of numerics.lipschitz.norms: dual directions and operator norms.
"""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.lipschitz import (
    INF,
    dual_direction,
    dual_exponent,
    lp_norm,
    operator_norm_bound,
)

PS = (1.0, 2.0, INF)


ps = st.sampled_from(PS)


@given(st.lists(st.floats(-10, 10), min_size=1, max_size=6), ps)
@example([0.0, 0.0], 1.0)
@example([3.0, -4.0], INF)
@example([1.7262808817249873e-276], 2.0)  # squares underflow: found by the ci profile
def test_dual_direction_attains_the_dual_norm(g, p):
    g = np.array([g])
    v = dual_direction(g, p)
    assert lp_norm(v, p)[0] == pytest.approx(1.0)
    assert float(v[0] @ g[0]) == pytest.approx(lp_norm(g, dual_exponent(p))[0], abs=1e-12)


def test_wrong_dual_direction_is_caught():
    g = np.array([[3.0, -4.0, 1.0]])
    for p in (1.0, INF):  # using the primal exponent's direction breaks Hölder's equality
        v = dual_direction(g, dual_exponent(p))
        ok = (abs(lp_norm(v, p)[0] - 1) < 1e-12
              and abs(v[0] @ g[0] - lp_norm(g, dual_exponent(p))[0]) < 1e-12)
        assert not ok


@given(st.integers(0, 10**6), st.integers(1, 5), st.integers(1, 5), ps, ps)
def test_operator_norm_bound_dominates_ratios(seed, r, c, pi, po):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((r, c))
    bound = operator_norm_bound(M, pi, po)
    X = rng.standard_normal((500, c))
    X = np.vstack([X, np.sign(X), np.eye(c)])
    ratios = lp_norm(X @ M.T, po) / lp_norm(X, pi)
    assert ratios.max() <= bound * (1 + 1e-12)
    # exact cases are attained by a vertex/sign vector/basis vector/singular vector
    if pi == 1.0 or po == INF or pi == INF:
        S = np.array(np.meshgrid(*[[-1.0, 1.0]] * c)).reshape(c, -1).T
        cand = np.vstack([np.eye(c), S])
        best = (lp_norm(cand @ M.T, po) / lp_norm(cand, pi)).max()
        if po == INF and pi == 2.0:
            best = lp_norm(M, 2).max()
        assert best == pytest.approx(bound, rel=1e-12)


def _is_bound(val, M, pi, po) -> bool:
    """Checker: val >= ||Mx||_po / ||x||_pi at basis vectors and sign vectors."""
    c = M.shape[1]
    S = np.array(np.meshgrid(*[[-1.0, 1.0]] * c)).reshape(c, -1).T
    X = np.vstack([np.eye(c), S])
    return bool(val >= (lp_norm(X @ M.T, po) / lp_norm(X, pi)).max() * (1 - 1e-12))


def test_operator_norm_wrong_index_is_caught():
    M = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]])
    assert _is_bound(operator_norm_bound(M, INF, INF), M, INF, INF)
    assert _is_bound(operator_norm_bound(M, 1, 1), M, 1, 1)
    wrong_inf = float(np.abs(M).sum(axis=0).max())  # column sums: the (1, 1) formula
    assert not _is_bound(wrong_inf, M, INF, INF)
    wrong_one = float(np.abs(M.T).sum(axis=0).max() / 2)  # rows, deflated
    assert not _is_bound(wrong_one, M, 1, 1)
