"""S3: random features, the J identity, sigma^2, adversarial training, robust error."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from numerics.experiments.random_features import (
    RFConfig,
    RFInstance,
    adversarial_objective,
    adversarial_train,
    best_rf_error_beta_averaged,
    clean_test_error,
    feature_kernel,
    features,
    gradient_kernel,
    gradient_norms_squared,
    j_matrix,
    plot_sweep,
    robust_test_error_lower_estimate,
    robust_test_error_upper_bound,
    run_config,
    run_sweep,
    sigma2_constant,
    summarize,
    sweep_table,
    trend_summary,
)

Z = 5.0  # tolerance in Monte Carlo standard errors


def _mc(values):
    return values.mean(), values.std(ddof=1) / np.sqrt(values.size)


# -- the J identity ----------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_j_identity_by_monte_carlo(seed):
    rng = np.random.default_rng(seed)
    N, d = 12, 5
    W = rng.standard_normal((N, d)) * rng.uniform(0.5, 2, size=(N, 1))  # any row norms
    W[1] = 0.9 * W[0] + 0.1 * W[1]  # a strongly correlated pair
    theta = rng.standard_normal(N)
    X = rng.standard_normal((40000, d))
    mean, se = _mc(gradient_norms_squared(W, theta, X))
    exact = theta @ gradient_kernel(W) @ theta
    assert abs(mean - exact) <= Z * se
    J = j_matrix(W)
    assert np.isclose(np.linalg.norm(J @ theta) ** 2, exact, rtol=1e-9)


def test_j_identity_holds_for_other_rotation_invariant_x():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((8, 4))
    theta = rng.standard_normal(8)
    X = rng.standard_normal((40000, 4))
    X *= rng.exponential(size=(40000, 1)) / np.linalg.norm(X, axis=1, keepdims=True)
    mean, se = _mc(gradient_norms_squared(W, theta, X))
    assert abs(mean - theta @ gradient_kernel(W) @ theta) <= Z * se


@pytest.mark.parametrize("wrong", ["dropped factor 2", "independent patterns"])
def test_wrong_j_kernels_are_caught(wrong):
    rng = np.random.default_rng(4)
    N, d = 12, 5
    W = rng.standard_normal((N, d))
    W[1] = 0.9 * W[0] + 0.1 * W[1]
    theta = np.abs(rng.standard_normal(N))
    X = rng.standard_normal((40000, d))
    mean, se = _mc(gradient_norms_squared(W, theta, X))
    G = W @ W.T
    nr = np.sqrt(np.diag(G))
    R = np.clip(G / np.outer(nr, nr), -1, 1)
    if wrong == "dropped factor 2":
        K = G * (np.pi - np.arccos(R)) / np.pi
    else:
        K = G / 4
    assert abs(mean - theta @ K @ theta) > Z * se


def test_feature_kernel_and_clean_error_by_monte_carlo():
    inst = RFInstance.sample(d=6, N=10, tau=0.5, seed=5)
    rng = np.random.default_rng(6)
    X, y = inst.data(60000, seed=7)
    Phi = inst.features(X)
    Ks = feature_kernel(inst.W)
    for l, m in [(0, 0), (0, 1), (3, 7)]:
        mean, se = _mc(Phi[:, l] * Phi[:, m])
        assert abs(mean - Ks[l, m]) <= Z * se
    theta = rng.standard_normal(10) * 0.5
    mean, se = _mc((y - Phi @ theta) ** 2)
    assert abs(mean - clean_test_error(theta, inst)) <= Z * se


# -- sigma^2 ---------------------------------------------------------------------
def _extrapolated_intercept(psi1, tau, sizes, seed):
    """Weighted least squares of the mean best error on 1/d: (intercept, its SE)."""
    rng = np.random.default_rng(seed)
    ds, means, ses = [], [], []
    for d, reps in sizes:
        N = int(round(psi1 * d))
        vals = np.array([best_rf_error_beta_averaged(RFInstance.sample(d, N, tau, rng).W, tau)
                         for _ in range(reps)])
        ds.append(d)
        means.append(vals.mean())
        ses.append(vals.std(ddof=1) / np.sqrt(reps))
    A = np.c_[np.ones(len(ds)), 1 / np.array(ds)]
    w = 1 / np.array(ses)
    Aw = A * w[:, None]
    coef = np.linalg.lstsq(Aw, np.array(means) * w, rcond=None)[0]
    cov = np.linalg.inv(Aw.T @ Aw)
    return coef[0], np.sqrt(cov[0, 0])


@pytest.mark.slow
@pytest.mark.parametrize("psi1", [0.5, 2.0])
def test_sigma2_constant_against_simulation(psi1):
    # sigma^2 is a d -> oo limit: the exact finite-d quantity (beta-averaged best error
    # of the model, exact arc-cosine kernel) is extrapolated linearly in 1/d from
    # d = 40, 80, 160 and compared within 5 standard errors of the intercept.
    icpt, se = _extrapolated_intercept(psi1, 0.5, [(40, 40), (80, 20), (160, 10)], seed=11)
    target = sigma2_constant(psi1, 0.5)
    assert abs(icpt - target) <= Z * se
    # the alternative sign convention (S = +m) is far outside the error bars
    c = 1 - 2 / np.pi
    from theory.random_features import mp_stieltjes

    wrong = 0.25 + 1 - psi1 * (1 + c * float(mp_stieltjes(-c, psi1)))
    assert abs(icpt - wrong) > Z * se


# -- adversarial training ----------------------------------------------------------
def _problem(d, N, n, seed):
    inst = RFInstance.sample(d=d, N=N, tau=0.5, seed=seed)
    X, y = inst.data(n, seed=seed + 1)
    return inst, inst.features(X), y, j_matrix(inst.W)


@given(st.integers(2, 8), st.integers(1, 30), st.integers(2, 25), st.floats(0.01, 1.0),
       st.integers(0, 10**6))
def test_adversarial_training_is_optimal_along_random_directions(d, N, n, eps, seed):
    _, Phi, y, J = _problem(d, N, n, seed)
    res = adversarial_train(Phi, y, J, eps)
    assert np.isclose(res.objective, adversarial_objective(res.theta, Phi, y, J, eps))
    rng = np.random.default_rng(seed)
    F, gap = res.objective, res.suboptimality_bound
    assert res.success and gap <= 1e-6 * (1 + F)
    for _ in range(20):
        v = rng.standard_normal(N)
        v /= np.linalg.norm(v)
        for h in (1e-2, 1e-4):
            # convexity: a local minimum is global; up to the certified smoothing gap
            assert F <= adversarial_objective(res.theta + h * v, Phi, y, J, eps) + gap


@pytest.mark.parametrize("eps", [0.05, 0.3, 2.0])
def test_adversarial_training_one_feature_matches_scalar_minimization(eps):
    _, Phi, y, J = _problem(4, 1, 15, seed=2)
    res = adversarial_train(Phi, y, J, eps)
    ref = minimize_scalar(lambda t: adversarial_objective([t], Phi, y, J, eps),
                          bracket=(-5, 5), tol=1e-12)
    assert res.objective <= ref.fun + res.suboptimality_bound
    assert res.suboptimality_bound <= 1e-6
    assert np.isclose(res.theta[0], ref.x, atol=1e-5)


def test_eps_zero_is_least_squares():
    _, Phi, y, J = _problem(5, 4, 30, seed=3)
    res = adversarial_train(Phi, y, J, 0.0)
    assert np.allclose(res.theta, np.linalg.lstsq(Phi, y, rcond=None)[0])


# -- robust test error: lower estimate <= true <= upper bound ---------------------
@given(st.integers(2, 6), st.integers(1, 20), st.floats(0.0, 1.0), st.integers(0, 10**6))
def test_robust_lower_estimate_and_upper_bound(d, N, eps, seed):
    inst = RFInstance.sample(d=d, N=N, tau=0.5, seed=seed)
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(N)
    X, y = inst.data(30, seed=seed + 1)
    low = robust_test_error_lower_estimate(theta, inst.W, X, y, eps, seed=seed, steps=8,
                                           starts=2)
    up = robust_test_error_upper_bound(theta, inst.W, X, y, eps)
    clean = (y - inst.features(X) @ theta) ** 2
    # the lower estimate is attained by its witnesses, inside the ball
    assert np.all(np.linalg.norm(low.deltas, axis=1) <= eps * (1 + 1e-12) + 1e-15)
    again = (y - features(inst.W, X + low.deltas) @ theta) ** 2
    assert np.allclose(again, low.per_point, rtol=1e-10, atol=1e-12)
    assert np.all(low.per_point >= clean - 1e-12)
    # the certified upper bound dominates the attack and random points of the ball
    assert np.all(up.per_point >= low.per_point * (1 - 1e-12) - 1e-12)
    for _ in range(5):
        D = rng.standard_normal(X.shape)
        D *= eps * rng.uniform(size=(30, 1)) ** (1 / d) / np.linalg.norm(D, axis=1, keepdims=True)
        val = (y - features(inst.W, X + D) @ theta) ** 2
        assert np.all(val <= up.per_point * (1 + 1e-12) + 1e-12)


def test_wrong_upper_bound_is_caught():
    # dropping the undetermined neurons' term from the upper bound is not valid:
    # the attack exceeds it somewhere
    inst = RFInstance.sample(d=3, N=30, tau=0.5, seed=8)
    rng = np.random.default_rng(8)
    theta = rng.standard_normal(30) * 3
    X, y = inst.data(200, seed=9)
    eps = 1.0
    low = robust_test_error_lower_estimate(theta, inst.W, X, y, eps, seed=0)
    Z_ = X @ inst.W.T
    r = np.abs(y - inst.features(X) @ theta)
    gA = np.linalg.norm(((Z_ > eps) * theta) @ inst.W, axis=1)
    wrong = (r + eps * gA) ** 2
    assert np.any(low.per_point > wrong * (1 + 1e-9))


def test_eps_zero_robust_equals_clean():
    inst = RFInstance.sample(d=4, N=6, tau=0.5, seed=1)
    theta = np.ones(6)
    X, y = inst.data(20, seed=2)
    clean = (y - inst.features(X) @ theta) ** 2
    assert np.allclose(robust_test_error_lower_estimate(theta, inst.W, X, y, 0.0,
                                                        seed=0).per_point, clean)
    assert np.allclose(robust_test_error_upper_bound(theta, inst.W, X, y, 0.0).per_point, clean)


# -- experiment plumbing -------------------------------------------------------------
def test_run_config_and_resumable_sweep(tmp_path):
    row = run_config(d=8, psi1=1.0, psi2=2.0, eps=0.1, tau=0.5, seed=0, n_test=50, steps=3,
                     starts=1)
    assert row["N"] == 8 and row["n"] == 16
    assert row["robust_lower"] <= row["robust_upper"]
    assert row["clean"] >= row["best_rf_error"] - 1e-12
    path = tmp_path / "rows.jsonl"
    seen = []
    kw = dict(d=6, psi1s=[0.5, 1.0], psi2=2.0, epss=[0.1], tau=0.5, seeds=[0, 1], n_test=20,
              steps=2, starts=1, path=path)
    rows = run_sweep(**kw, progress=seen.append)
    assert len(rows) == 4 and len(seen) == 4
    assert len(path.read_text().splitlines()) == 4
    json.loads(path.read_text().splitlines()[0])
    seen.clear()
    again = run_sweep(**kw, progress=seen.append)  # resumes: nothing recomputed
    assert seen == [] and len(again) == 4
    summ = summarize(again)
    assert [s["psi1"] for s in summ] == [0.5, 1.0]
    assert all(s["seeds"] == 2 and s["clean_se"] >= 0 for s in summ)


def test_bad_inputs():
    inst = RFInstance.sample(d=3, N=4, tau=0.5, seed=0)
    X, y = inst.data(5, seed=1)
    with pytest.raises(ValueError, match="W"):
        features(np.zeros((2, 3)), X)
    with pytest.raises(ValueError, match="W"):
        feature_kernel(2 * inst.W)
    with pytest.raises(ValueError, match="X"):
        features(inst.W, np.ones((2, 4)))
    with pytest.raises(ValueError, match="theta"):
        clean_test_error(np.ones(3), inst)
    with pytest.raises(ValueError, match="eps"):
        adversarial_train(inst.features(X), y, j_matrix(inst.W), -0.1)
    with pytest.raises(ValueError, match="smoothing"):
        adversarial_train(inst.features(X), y, j_matrix(inst.W), 0.1, smoothing=())
    with pytest.raises(ValueError, match="J"):
        adversarial_train(inst.features(X), y, np.ones((2, 3)), 0.1)
    with pytest.raises(ValueError, match="psi1"):
        sigma2_constant(0, 0.5)
    with pytest.raises(ValueError, match="tau"):
        RFInstance(inst.W, inst.beta, -1)
    with pytest.raises(ValueError, match="steps"):
        robust_test_error_lower_estimate(np.ones(4), inst.W, X, y, 0.1, seed=0, steps=0)
    with pytest.raises(ValueError, match="y"):
        robust_test_error_upper_bound(np.ones(4), inst.W, X, y[:2], 0.1)


def test_figure_table_and_trend(tmp_path):
    rows = run_sweep(d=6, psi1s=[0.5, 1.0, 2.0], psi2=2.0, epss=[0.1, 0.5], tau=0.5,
                     seeds=[0, 1], n_test=20, steps=2, starts=1)
    summ = summarize(rows)
    files = plot_sweep(summ, tmp_path / "fig")
    assert [f.suffix for f in files] == [".png", ".pdf"] and all(f.stat().st_size for f in files)
    tex = sweep_table(summ, RFConfig.fast())
    assert r"\toprule" in tex and tex.count(r"\\") >= len(summ) + 1
    trend = trend_summary(summ)
    assert set(trend) == {"0.1", "0.5"}
    for t in trend.values():
        assert t["robust_min"] <= t["robust_last"]
        assert isinstance(t["clean_falls"], bool) and isinstance(t["robust_rises"], bool)


def test_trend_summary_detects_a_rise_and_its_absence():
    base = {"clean_se": 0.01, "robust_lower_se": 0.01}
    rising = [dict(base, eps=0.3, psi1=p, clean=1 / p, robust_lower=r)
              for p, r in [(1, 1.0), (2, 0.9), (4, 1.3)]]
    t = trend_summary(rising)["0.3"]
    assert t["robust_rises"] and t["clean_falls"] and t["robust_min_psi1"] == 2
    falling = [dict(r, robust_lower=2 - r["psi1"] / 4) for r in rising]
    assert not trend_summary(falling)["0.3"]["robust_rises"]


def test_command_bad_inputs(tmp_path):
    from numerics.cli.commands import random_features as cmd

    with pytest.raises(ValueError, match="config"):
        cmd.produce(tmp_path, config="huge")
    with pytest.raises(ValueError, match="seed"):
        cmd.produce(tmp_path, seed=-1)
    assert cmd.NAME == "random-features" and cmd.REPRODUCE_ORDER == 70


def test_reproduce_hook_writes_every_file(tmp_path, monkeypatch):
    from numerics.cli.commands import random_features as cmd
    from numerics.experiments import random_features as rf

    tiny = RFConfig(d=5, psi1s=(0.5, 2.0), epss=(0.1,), seeds=(0, 1), n_test=20, steps=2,
                    starts=1)
    monkeypatch.setattr(rf.RFConfig, "fast", classmethod(lambda cls: tiny))
    files = cmd.reproduce(tmp_path, seed=3)
    names = sorted(f.name for f in files)
    assert names == sorted(["random_features_records_fast.jsonl", "random_features.png",
                            "random_features.pdf", "random_features_table.tex",
                            "random_features_summary.json"])
    assert all(f.exists() and f.stat().st_size > 0 for f in files)
    summary = json.loads((tmp_path / "random_features" / "random_features_summary.json")
                         .read_text())
    assert summary["config"]["seeds"] == [3, 4]
    assert set(summary["trend"]) == {"0.1"}
