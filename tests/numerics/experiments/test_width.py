"""Experiment S1 (numerics.experiments.width): records, summaries, resumption; figures,
tables and the random-networks command (S1 and S5)."""

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.cli.commands import random_networks as cmd
from numerics.domain import Domain
from numerics.experiments import width as W
from numerics.lipschitz import Witness
from numerics.models import he_deep, he_two_layer


def assert_certified(value: float, recomputed: float) -> None:
    """A certified lower bound is its witness's recomputed value rounded down by
    a floating-point error bound (numerics.lipschitz.search._certify): never above
    it, and only negligibly below."""
    assert value <= recomputed
    assert recomputed - value <= 1e-6 * max(1.0, recomputed)

TINY_S1 = W.S1Config(dims=(2, 3), widths=(6,), seeds=(0,), deep_d=2, deep_widths=(4, 8),
                     deep_depths=(1, 2), effort=W.EFFORT_FAST)
TINY_S5 = W.S5Config(widths=(2, 6, 20), seeds=(0,), n_train=40, n_test=60, d=2,
                     maxiter=150, restarts=1)


@pytest.fixture(scope="module")
def s1_records():
    return W.run_s1(TINY_S1)


@pytest.fixture(scope="module")
def s5_records():
    return W.run_s5(TINY_S5)


def test_s1_records_are_certified(s1_records):
    kinds = {r["kind"] for r in s1_records}
    assert kinds == {"shallow", "deep"}
    for r in s1_records:
        assert 0 < r["lower"] <= r["upper"]
        if r["kind"] == "shallow":
            net = he_two_layer(r["d"], r["width"], seed=W._rng(r["seed"], r["d"], r["width"]))
            assert r["norm"] == pytest.approx(math.sqrt(r["d"]) if r["p"] == "2" else r["d"])
            assert r["lower_ratio"] == pytest.approx(r["lower"] / r["norm"])
            assert r["exact"] is not None  # d <= 3, width <= 300
            assert r["lower"] <= r["exact"] * (1 + 1e-9) <= r["upper"] * (1 + 2e-9)
        else:
            net = he_deep(r["d"], [r["width"]] * r["depth"],
                          seed=W._rng(r["seed"], r["d"], r["width"], r["depth"]))
            assert r["ratio"] == pytest.approx(r["upper"] / r["lower"])
        w = r["witness"]
        wit = Witness(w["kind"], np.array(w["points"]), w["value"],
                        math.inf if w["p"] == "inf" else float(w["p"]))
        assert_certified(r["lower"], wit.verify(net, Domain.rd()))


def test_s1_widths_include_d():
    cfg = W.S1Config(widths=(5, 1000))
    assert cfg.widths_for(8) == (8, 1000)
    assert cfg.widths_for(2) == (2, 5, 1000)
    assert W.S1Config().widths_for(256) == (256, 1000, 1024, 10_000)


def test_s1_summary_bands(s1_records):
    s = W.s1_summary(s1_records)
    for p in ("2", "inf"):
        b = s["bands"][p]
        rs = [r["lower_ratio"] for r in s1_records if r["kind"] == "shallow" and r["p"] == p]
        assert b["lower_min"] == min(rs) and b["lower_max"] == max(rs)
        assert b["lower_min"] <= b["upper_max"]
    assert s["deep"]["2"]["ratio_min"] >= 1


@given(st.floats(-1, 1), st.floats(-2, 2))
def test_s1_deep_fit_recovers_slope(slope, icpt):
    recs = [{"kind": "deep", "p": "2", "ratio": math.exp(slope * x + icpt),
             "log_width_times_depth": x} for x in (1.0, 2.0, 3.5, 5.0)]
    f = W.s1_summary(recs)["deep"]["2"]
    assert f["log_ratio_slope"] == pytest.approx(slope, abs=1e-9)
    assert f["log_ratio_intercept"] == pytest.approx(icpt, abs=1e-9)


def test_resume_does_not_recompute(tmp_path, monkeypatch):
    path = tmp_path / "s1.jsonl"
    cfg = W.S1Config(dims=(2,), widths=(3,), seeds=(0,), deep_widths=(), deep_depths=(),
                     effort=W.EFFORT_FAST)
    first = W.run_s1(cfg, path)
    lines = path.read_text().splitlines()
    assert len(lines) == len(first) == 4  # widths {2, 3} x p {2, inf}

    def boom(*a, **k):
        raise AssertionError("recomputed")

    monkeypatch.setattr(W, "s1_shallow_record", boom)
    again = W.run_s1(cfg, path)
    assert [r["key"] for r in again] == [r["key"] for r in first]
    # other effort: other keys, so they are computed (they raise here: the grid runner
    # records each failure, names it, and goes on)
    other = W.run_s1(W.S1Config(dims=(2,), widths=(3,), seeds=(0,), deep_widths=(),
                                deep_depths=(), effort=W.EFFORT_FULL), path)
    assert len(other) == 4 and all(r["status"] == "error" for r in other)
    assert all("recomputed" in r["error"] for r in other)
    assert len(path.read_text().splitlines()) == 8


def test_figures_and_tables(tmp_path, s1_records, s5_records):
    f1 = W.plot_s1(s1_records, tmp_path / "s1")
    f5 = W.plot_s5(s5_records, tmp_path / "s5")
    for f in f1 + f5:
        assert f.exists() and f.stat().st_size > 1000
    assert {f.suffix for f in f1} == {".png", ".pdf"}
    t1, t5 = W.s1_table(s1_records), W.s5_table(s5_records)
    for t in (t1, t5):
        assert r"\toprule" in t and r"\bottomrule" in t
    assert "tab:s1-deep" in t1 and "tab:s5" in t5


def test_command_produce(tmp_path, monkeypatch):
    monkeypatch.setattr(W.S1Config, "fast", classmethod(lambda cls: TINY_S1))
    monkeypatch.setattr(W.S5Config, "fast", classmethod(lambda cls: TINY_S5))
    files = cmd.reproduce(tmp_path, seed=0)
    names = {f.name for f in files}
    assert {"s1_random_relu.png", "s1_random_relu.pdf", "s5_double_descent.png",
            "s5_double_descent.pdf", "s1_tables.tex", "s5_table.tex",
            "random_networks_summary.json"} <= names
    assert all(f.exists() for f in files)
    summary = json.loads((tmp_path / "random_networks" / "random_networks_summary.json")
                         .read_text())
    assert "bands" in summary["s1"] and "corr" in summary["s5"]
    assert cmd.REPRODUCE_ORDER == 60 and cmd.NAME == "random-networks"


def test_command_bad_input(tmp_path):
    with pytest.raises(ValueError, match="^experiment:"):
        cmd.produce(tmp_path, experiment="s9")
    with pytest.raises(ValueError, match="^config:"):
        cmd.produce(tmp_path, config="huge")
    with pytest.raises(ValueError, match="^seed:"):
        cmd.produce(tmp_path, seed=-1)


def test_cli_json(tmp_path, monkeypatch, capsys):
    from numerics.cli import main

    monkeypatch.setattr(W.S1Config, "fast", classmethod(lambda cls: TINY_S1))
    monkeypatch.setattr(W.S5Config, "fast", classmethod(lambda cls: TINY_S5))
    assert main(["random-networks", "--out", str(tmp_path), "--experiment", "s5",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any(f.endswith("s5_double_descent.pdf") for f in out["files"])
    assert "s1" not in out["summary"] and "corr" in out["summary"]["s5"]
    assert main(["random-networks", "--out", str(tmp_path), "--experiment", "s1"]) == 0
    assert "S1 shallow p=2" in capsys.readouterr().out
