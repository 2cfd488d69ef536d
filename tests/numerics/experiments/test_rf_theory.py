"""S3: the numerical saddle point of the cited formula, and its confrontation with
simulation (numerics/experiments/rf_theory.py, rf_confront.py)."""

import math

import numpy as np
import pytest

from numerics.experiments import rf_confront as rc
from numerics.experiments import rf_theory as rt
from numerics.experiments.rf_model import sigma2_constant

GRID = [(0.5, 2.0, 0.3), (2.0, 2.0, 0.3), (4.0, 2.0, 1.0), (1.0, 1.0, 0.5)]


@pytest.fixture(scope="module")
def sols():
    return {g: rt.solve_saddle(psi1=g[0], psi2=g[1], eps=g[2], tau=0.5) for g in GRID}


@pytest.mark.parametrize("g", GRID)
def test_first_order_conditions_and_saddle(sols, g):
    sol = sols[g]
    assert sol.converged and not sol.boundary
    grad = rt.grad_objective(sol.x, sol.params) * sol.x
    assert np.max(np.abs(grad)) < rt.FOC_TOL
    checks = rt.saddle_checks(sol)
    assert checks["all_ok"], checks


def test_gradient_matches_finite_differences(sols):
    sol = sols[(2.0, 2.0, 0.3)]
    x = sol.x * np.array([1.1, 0.9, 1.05, 0.95, 1.1])    # off the saddle: gradient != 0
    g = rt.grad_objective(x, sol.params)
    for i in range(5):
        h = 1e-6 * x[i]
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        fd = (rt.objective_value(xp, sol.params) - rt.objective_value(xm, sol.params)) / (2 * h)
        assert abs(fd - g[i]) < 1e-5 * max(1.0, abs(g[i])), i


def test_saddle_check_rejects_a_non_saddle_point(sols):
    sol = sols[(2.0, 2.0, 0.3)]
    import dataclasses

    moved = dataclasses.replace(sol, alpha=sol.alpha * 1.3)
    assert not rt.saddle_checks(moved, rel=1e-2)["all_ok"]
    moved = dataclasses.replace(sol, gamma=sol.gamma * 0.7)
    assert not rt.saddle_checks(moved, rel=1e-2)["all_ok"]


@pytest.mark.parametrize("g", [GRID[1], GRID[3]])
def test_unique_from_several_starts(sols, g):
    u = rt.uniqueness_check(sols[g], n_starts=2, seed=1)
    assert u["converged"] >= 1 and u["same"], u


def test_risk_at_zero_test_budget_is_standard_risk(sols):
    for sol in sols.values():
        assert rt.adversarial_risk(sol, 0.0) == sol.standard_risk
        assert sol.standard_risk == pytest.approx(sol.alpha**2 + sol.sigma2, rel=1e-15)
        assert rt.adversarial_risk(sol, 0.5 * sol.eps) < sol.robust_risk()
        assert sol.robust_risk() > sol.standard_risk > sol.sigma2


def test_sigma2_matches_the_existing_implementation(sols):
    for (p1, _, _), sol in sols.items():
        assert sol.sigma2 == pytest.approx(sigma2_constant(p1, 0.5), rel=1e-14)


def test_nu_root_solves_the_root_equation():
    for c, b, tg in [(1.0, 0.5, 0.3), (3.0, 0.1, 2.0), (0.9, 2.0, 0.01)]:
        v = rt.nu_root(c, b, tg)
        F = c - (b / tg) * v - v * math.erf(v / math.sqrt(2)) - math.sqrt(2 / math.pi) * math.exp(
            -v * v / 2)
        assert 0 < v <= c * tg / b and abs(F) < 1e-12
    assert rt.nu_root(0.7, 1.0, 1.0) == 0.0           # c <= sqrt(2/pi): indicator off


@pytest.mark.parametrize("kw,name", [
    (dict(psi1=0.0), "psi1"), (dict(psi1=-1.0), "psi1"), (dict(psi2=0.0), "psi2"),
    (dict(eps=0.0), "eps"), (dict(eps=-0.1), "eps"), (dict(tau=-0.5), "tau"),
    (dict(psi1=float("nan")), "psi1"), (dict(eps=float("inf")), "eps")])
def test_outside_assumptions_raise(kw, name):
    base = dict(psi1=1.0, psi2=2.0, eps=0.3, tau=0.5)
    with pytest.raises(ValueError, match=name):
        rt.solve_saddle(**{**base, **kw})


def test_negative_test_budget_raises(sols):
    with pytest.raises(ValueError, match="eps_test"):
        rt.adversarial_risk(sols[GRID[0]], -0.1)


def test_extrapolation_recovers_intercept_and_se():
    ds = [50, 100, 200, 400]
    a, s = rc.extrapolate(ds, [2.0 + 3.0 / d for d in ds], [0.01] * 4)
    assert abs(a - 2.0) < 1e-12 and 0.005 < s < 0.02
    a1, s1 = rc.extrapolate([100], [1.5], [0.1])
    assert (a1, s1) == (1.5, 0.1)


@pytest.fixture(scope="module")
def small_sim():
    """d = 40, 10 seeds, psi1 = 4 (N = 160), psi2 = 2 (n = 80), eps = 0.3."""
    return [rc.simulate_point(d=40, psi1=4.0, psi2=2.0, eps=0.3, tau=0.5, seed=s,
                              n_test=200, steps=5, starts=1) for s in range(10)]


def _z(rows, sol, key):
    v = np.array([r[key] for r in rows])
    th = sol.standard_risk if key == "clean_pop" else sol.robust_risk()
    return (v.mean() - th) / (v.std(ddof=1) / math.sqrt(v.size))


def test_formula_matches_small_simulation_and_wrong_terms_do_not(small_sim):
    right = rt.solve_saddle(psi1=4.0, psi2=2.0, eps=0.3, tau=0.5)
    assert abs(_z(small_sim, right, "clean_pop")) < 5
    assert abs(_z(small_sim, right, "low")) < 5
    for wrong in ("drop_2_over_pi", "swap_beta_gamma_in_c"):
        bad = rt.solve_saddle(psi1=4.0, psi2=2.0, eps=0.3, tau=0.5, wrong=wrong)
        assert max(abs(_z(small_sim, bad, "clean_pop")), abs(_z(small_sim, bad, "low"))) > 5, \
            wrong


def test_simulated_measures_are_ordered(small_sim):
    for r in small_sim:
        assert r["clean"] <= r["low"] <= r["up"] * (1 + 1e-12)
        assert r["train_success"]


def test_unknown_wrong_variant_raises():
    with pytest.raises(ValueError, match="wrong"):
        rt.solve_saddle(psi1=1.0, psi2=2.0, eps=0.3, tau=0.5, wrong="nope")


def test_rf_theory_command_text_and_json(capsys):
    from numerics.cli import main

    assert main(["rf-theory", "--psi1", "2", "--psi2", "2", "--eps", "0.3", "--eps-test", "0",
                 "--json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["converged"] and out["saddle_checks_ok"]
    assert out["adversarial_risk"] == out["standard_risk"] < out["robust_risk"]
    assert {"alpha", "tau_g", "beta", "gamma", "tau_q", "nu", "sigma2"} <= set(out)


@pytest.mark.parametrize("argv,name", [
    (["--psi1", "0", "--psi2", "2", "--eps", "0.3"], "--psi1"),
    (["--psi1", "1", "--psi2", "-2", "--eps", "0.3"], "--psi2"),
    (["--psi1", "1", "--psi2", "2", "--eps", "0"], "--eps"),
    (["--psi1", "1", "--psi2", "2", "--eps", "0.3", "--tau", "-1"], "--tau"),
    (["--psi1", "1", "--psi2", "2", "--eps", "0.3", "--eps-test", "-1"], "--eps-test")])
def test_rf_theory_command_bad_input(capsys, argv, name):
    from numerics.cli import main

    assert main(["rf-theory", *argv]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("robustlaw: error: " + name)


def test_sweep_table_defines_sample_population_and_formula_columns():
    from numerics.experiments.random_features import sweep_table

    row = {"eps": 0.3, "psi1": 1.0, "N": 40, "seeds": 3, "d": 40, "n": 80, "psi2": 2.0,
           "tau": 0.5, "sigma2": 0.698, "clean": 1.0, "clean_se": 0.01, "clean_mc": 0.99,
           "clean_mc_se": 0.02, "robust_lower": 1.4, "robust_lower_se": 0.03,
           "robust_upper": 2.1, "robust_upper_se": 0.05, "theory_standard": 0.965,
           "theory_robust": 1.44, "theory_converged": True}
    tex = sweep_table([row])
    for s in ("clean (sample)", "lower est.", "upper bd.", "clean (population)",
              "standard (formula)", "robust (formula)", "same fresh test sample",
              "not a sample mean", "0.990 $\\pm$ 0.020", "1.440"):
        assert s in tex, s
    assert "$^*$" not in tex.split("Formula columns")[0]
    tex2 = sweep_table([{**row, "theory_converged": False}])
    assert "--$^*$" in tex2 and "0.965" not in tex2


def test_command_json_has_no_nan():
    from numerics.cli.commands.random_features import _no_nan

    out = _no_nan({"1.0": [{"psi1": 0.25, "robust": float("nan"), "converged": False}]})
    assert out["1.0"][0]["robust"] is None and out["1.0"][0]["psi1"] == 0.25
