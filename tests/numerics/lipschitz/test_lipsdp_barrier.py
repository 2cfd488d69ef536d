"""The barrier (interior-point) solver of the reduced LipSDP problem and the float32
first-order path: derivatives against finite differences (a wrong Hessian is caught),
a closed-form optimum, and the same certified values as the previous first-order
optimizer (kept as the reference: the barrier switched off) on random networks."""

import math

import numpy as np
import pytest
import scipy.linalg as sla

import numerics.lipschitz.lipsdp_solve as solve
from numerics.domain import Domain
from numerics.lipschitz import lipsdp_upper_bound
from numerics.lipschitz.lipsdp_ipm import _derivatives, _factor, _gram, barrier_solve
from numerics.models import TwoLayerNet

TOL = 1e-3


def _net(seed: int, k: int, d: int, act: str) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k) / math.sqrt(k),
                       rng.standard_normal((k, d)) / math.sqrt(d),
                       0.5 * rng.standard_normal(k), act)


def _barrier_value(Y, g, c, t, z):
    rho, tau = z[0], z[1:]
    cf = _factor(g, c, rho, tau, _gram(Y, tau))
    assert cf is not None
    return t * rho - 2.0 * float(np.sum(np.log(np.diag(cf[0])))), cf


def _fd_check(Y, g, c, t, z, hess_fix=None):
    """Max relative error of the analytic gradient and Hessian against central
    differences; ``hess_fix`` corrupts the Hessian (to show the check can fail)."""
    _, cf = _barrier_value(Y, g, c, t, z)
    grad, H, _ = _derivatives(Y, g, c, t, z[1:], cf)
    if hess_fix is not None:
        H = hess_fix(H, z)
    n = z.size
    h = 1e-6 * np.maximum(np.abs(z), 1e-3)
    E = np.eye(n)

    def gfd(zz):
        return np.array([(_barrier_value(Y, g, c, t, zz + h[i] * E[i])[0]
                          - _barrier_value(Y, g, c, t, zz - h[i] * E[i])[0]) / (2 * h[i])
                         for i in range(n)])

    Hfd = np.array([(_derivatives(Y, g, c, t, (z + h[i] * E[i])[1:],
                                  _barrier_value(Y, g, c, t, z + h[i] * E[i])[1])[0]
                     - _derivatives(Y, g, c, t, (z - h[i] * E[i])[1:],
                                    _barrier_value(Y, g, c, t, z - h[i] * E[i])[1])[0])
                    / (2 * h[i]) for i in range(n)])
    eg = np.max(np.abs(grad - gfd(z))) / np.max(np.abs(grad))
    eh = np.max(np.abs(H - Hfd)) / np.max(np.abs(H))
    return eg, eh


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_barrier_derivatives_match_finite_differences_and_a_wrong_hessian_is_caught(seed):
    rng = np.random.default_rng(seed)
    k, r = 6, 4
    Y = rng.standard_normal((k, r))
    c = 0.2 * rng.random(k) + 0.05
    g = rng.standard_normal(r)
    tau = 1.0 + rng.random(k)
    s = float(np.sum(c * c / tau))
    lam = float(np.linalg.eigvalsh(_gram(Y, tau) + np.outer(g, g) / (1 - s))[-1])
    z = np.concatenate([[1.5 * lam], tau])
    t = 3.0
    eg, eh = _fd_check(Y, g, c, t, z)
    assert eg < 1e-6 and eh < 1e-5

    def drop_curvature_term(H, z):  # forget d^2 L / d tau^2 (the 2 c^2 S_nn / tau^3 term)
        H = H.copy()
        cf = _barrier_value(Y, g, c, t, z)[1]
        Snn = sla.cho_solve(cf, np.eye(r + 1))[r, r]
        H[1:, 1:] -= np.diag(2 * c * c * Snn / z[1:] ** 3)
        return H

    assert _fd_check(Y, g, c, t, z, drop_curvature_term)[1] > 1e-3


@pytest.mark.parametrize("k", [8, 40])
def test_barrier_reaches_the_closed_form_optimum(k):
    # orthonormal rows, g = 0: min max_l tau_l subject to sum c_l^2 / tau_l <= 1 is
    # attained at equal tau = sum c^2, so the optimum is rho* = sum c_l^2
    rng = np.random.default_rng(k)
    c = rng.random(k) + 0.1
    opt = float(np.sum(c * c))
    out = barrier_solve(np.eye(k), c, np.zeros(k), np.full(k, 2 * opt), tol=1e-7)
    exact = float(np.max(out.tau))  # lambda_max of diag(tau)
    assert float(np.sum(c * c / out.tau)) < 1
    assert opt * (1 - 1e-12) <= exact <= opt * (1 + 1e-6)
    assert out.dual <= opt * (1 + 1e-12)
    assert out.dual >= opt * (1 - 1e-6)
    assert out.rho >= exact * (1 - 1e-12)


CASES = [(0, 40, 40, "relu", Domain.rd()), (1, 48, 64, "relu", Domain.ball(1.0)),
         (2, 80, 100, "abs", Domain.rd()), (3, 60, 60, "leaky_relu:0.1", Domain.ball(1.0)),
         (4, 50, 90, "tanh", Domain.rd()), (5, 120, 200, "relu", Domain.rd())]


@pytest.mark.parametrize("seed,k,d,act,dom", CASES)
def test_barrier_gives_the_certified_value_of_the_first_order_solver(seed, k, d, act, dom,
                                                                     monkeypatch):
    net = _net(seed, k, d, act)
    new = lipsdp_upper_bound(net, dom, tol=TOL)
    assert new.method.startswith("barrier")
    monkeypatch.setattr(solve, "_BARRIER_MAX_K", 0)  # the previous optimizer
    old = lipsdp_upper_bound(net, dom, tol=TOL)
    assert old.method.startswith("smoothed")
    assert new.certified and old.certified
    # both are feasible points and both duals are lower bounds on the same optimum
    assert new.rho >= old.rho_dual * (1 - 1e-12)
    assert old.rho >= new.rho_dual * (1 - 1e-12)
    # same value to the solver tolerance, and never worse than the previous one
    assert new.rho <= old.rho * (1 + TOL)
    assert abs(new.value / old.value - 1) <= TOL
    assert new.gap <= TOL


def test_float32_first_order_path_gives_the_float64_value(monkeypatch):
    net = _net(7, 1300, 64, "relu")  # k d^2 = 5.3e6: float32 Gram and eigensolver
    assert net.k * net.d**2 > solve._F32_WORK
    f32 = lipsdp_upper_bound(net, tol=TOL)
    monkeypatch.setattr(solve, "_F32_WORK", math.inf)
    f64 = lipsdp_upper_bound(net, tol=TOL)
    assert f32.certified and f64.certified
    assert f32.rho >= f64.rho_dual * (1 - 1e-12)
    assert f64.rho >= f32.rho_dual * (1 - 1e-12)
    assert abs(f32.value / f64.value - 1) <= TOL
    assert f32.value <= f32.spectral * (1 + 1e-8)
