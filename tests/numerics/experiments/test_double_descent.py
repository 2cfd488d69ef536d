"""Experiment S5 (numerics.experiments.double_descent): the Gaussian mixture, training,
records, summaries and their reproducibility."""


import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.experiments import double_descent as W

TINY_S5 = W.S5Config(widths=(2, 6, 20), seeds=(0,), n_train=40, n_test=60, d=2,
                     maxiter=150, restarts=1)


@pytest.fixture(scope="module")
def s5_records():
    return W.run_s5(TINY_S5)


def test_gaussian_mixture():
    X, y, yc = W.gaussian_mixture(500, 4, seed=0, mu_norm=2.0, noise=0.2)
    assert int(np.sum(y != yc)) == 100
    assert int(yc.sum()) == 0
    # class means at +-mu e_1
    assert abs(X[yc > 0, 0].mean() - 2.0) < 5 / np.sqrt(250)
    assert abs(X[yc < 0, 0].mean() + 2.0) < 5 / np.sqrt(250)
    with pytest.raises(ValueError, match="^noise:"):
        W.gaussian_mixture(10, 2, seed=0, noise=1.5)
    with pytest.raises(ValueError, match="^mu_norm:"):
        W.gaussian_mixture(10, 2, seed=0, mu_norm=-1.0)


def test_training_decreases_loss():
    X, y, _ = W.gaussian_mixture(60, 3, seed=1, noise=0.2)
    net0, _ = W.train_two_layer(X, y, 10, seed=2, maxiter=1)
    net, info = W.train_two_layer(X, y, 10, seed=2, maxiter=300)
    assert info["loss"] < 0.5 * float(np.sum((net0(X) - y) ** 2))
    assert info["loss"] == pytest.approx(0.5 * float(np.sum((net(X) - y) ** 2)))


def test_s5_records(s5_records):
    assert [r["width"] for r in s5_records] == [2, 6, 20]
    for r in s5_records:
        assert 0 <= r["test_error"] <= 1 and 0 <= r["train_error"] <= 1
        assert 0 < r["lower"] <= r["upper"]
        assert r["lower_points"] >= 1


def test_s5_summary_correlations():
    rng = np.random.default_rng(0)
    recs = [{"width": m, "seed": s, "test_error": float(rng.random()),
             "upper": float(rng.random() + 1), "lower": float(rng.random() + 0.1),
             "train_error": 0.0} for m in (2, 4, 8, 16, 32) for s in (0, 1)]
    s = W.s5_summary(recs)
    te = np.array(s["mean"]["test_error"])
    up = np.log(np.array(s["mean"]["upper"]))
    assert s["corr"]["upper"]["pearson"] == pytest.approx(np.corrcoef(up, te)[0, 1])
    assert s["widths"] == [2, 4, 8, 16, 32]
    med_te = np.array(s["median"]["test_error"])
    med_lo = np.log(np.array(s["median"]["lower"]))
    assert s["corr_median"]["lower"]["pearson"] == pytest.approx(np.corrcoef(med_lo, med_te)[0, 1])
    assert s["first_interpolating_width"] == 2
    # a wrong pairing (bounds shifted by one width) gives another number
    shifted = np.roll(up, 1)
    assert np.corrcoef(shifted, te)[0, 1] != pytest.approx(s["corr"]["upper"]["pearson"])


def test_s5_config_validation():
    with pytest.raises(ValueError, match="^restarts:"):
        W.S5Config(restarts=0)
    with pytest.raises(ValueError, match="^noise:"):
        W.S5Config(noise=2.0)
    with pytest.raises(ValueError, match="^widths:"):
        W.S5Config(widths=())


@given(st.integers(0, 3))
def test_s5_record_reproducible(seed):
    cfg = W.S5Config(widths=(3,), seeds=(seed,), n_train=20, n_test=20, d=2, maxiter=30,
                     restarts=1)
    a, b = W.s5_record(3, seed, cfg), W.s5_record(3, seed, cfg)
    assert a == b
