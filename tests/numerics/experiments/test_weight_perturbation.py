"""The weight-perturbation experiment: tiny grid, resumable records, CLI errors."""

import json

import numpy as np
import pytest

from numerics.cli import main
from numerics.experiments import weight_perturbation as wp

TINY = wp.WPConfig(datasets=("two-class", "multi-class"), seeds=(0,), epss=(0.05,), hidden=6,
                   n_train=40, n_test=30, train_steps=40, attack_steps=3, attack_starts=1)


def test_tiny_grid_rows_are_consistent_and_resume(tmp_path):
    path = tmp_path / "wp.jsonl"
    calls = []
    rows = wp.run_experiment(TINY, path, progress=calls.append)
    assert len(rows) == len(calls) == 4  # 2 data sets x 1 budget x (plain, penalty)
    for r in rows:
        # certified <= pointwise attacked <= (accuracy of any single perturbation)
        assert r["certified"] <= r["pointwise_attacked"] <= r["attacked"] + 1e-12
        assert r["attacked"] <= r["clean"] + 1e-12
        assert np.isclose(r["gap"], (1 - r["clean"]) - (1 - r["train_acc"]))
    again = []
    rows2 = wp.run_experiment(TINY, path, progress=again.append)
    assert again == [] and rows2 == rows  # resumed, nothing recomputed
    summary = wp.summarize(rows)
    assert {s["penalty"] for s in summary} == {0.0, TINY.penalty}
    tex = wp.results_table(summary, TINY)
    assert "\\toprule" in tex and "certified" in tex


def test_same_seed_same_numbers():
    a = wp.make_dataset("multi-class", seed=3, n_train=10, n_test=5)
    b = wp.make_dataset("multi-class", seed=3, n_train=10, n_test=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_bad_dataset_names(capsys):
    with pytest.raises(ValueError, match="datasets"):
        wp.make_dataset("cifar", seed=0, n_train=5, n_test=5)
    assert main(["weight-perturbation", "--datasets", "cifar"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("robustlaw: error: --datasets") and "Traceback" not in err


def test_digits_without_scikit_learn_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setattr(wp, "digits_available", lambda: False)
    assert main(["weight-perturbation", "--datasets", "digits"]) == 2
    assert "scikit-learn" in capsys.readouterr().err


@pytest.mark.skipif(not wp.digits_available(), reason="scikit-learn not installed")
def test_digits_loads():
    X, y, Xt, yt = wp.make_dataset("digits", seed=0, n_train=50, n_test=20)
    assert X.shape == (50, 64) and 0 <= X.min() and X.max() <= 1 and yt.shape == (20,)


def test_cli_writes_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(wp.WPConfig, "fast", classmethod(lambda cls: TINY))
    assert main(["weight-perturbation", "--out", str(tmp_path), "--datasets", "two-class",
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    names = {p.split("/")[-1] for p in res["files"]}
    assert {"weight_perturbation.png", "weight_perturbation_table.tex",
            "weight_perturbation_summary.json"} <= names
