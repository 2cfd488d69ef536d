"""Consistency is an error (issue 13, item 3): a record whose certified lower bound exceeds
its certified upper bound is written with status "inconsistent", reported like a failure,
and every command exits non-zero naming it (and every failed run) after writing the rest."""

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from numerics.cli import main
from numerics.experiments import consistency as C
from numerics.experiments import sweep as ex
from numerics.experiments import weight_perturbation as wp
from numerics.experiments import width as W
from numerics.experiments.runner import apply_check, run_grid
from numerics.records import read_records


@dataclass(frozen=True)
class Spec:
    seed: int

    @property
    def key(self) -> str:
        return f"s={self.seed}"


def bracket_run(spec: Spec) -> dict:
    """lower > upper for seed 1 (a planted bug), lower < upper otherwise; seed 2 raises."""
    if spec.seed == 2:
        raise RuntimeError("planted failure")
    return {"status": "ok", "lower": 2.0 if spec.seed == 1 else 0.5, "upper": 1.0}


def test_inconsistent_record_is_written_and_reported_like_a_failure(tmp_path):
    p = tmp_path / "g.jsonl"
    specs = [Spec(s) for s in range(4)]
    res = run_grid(specs, bracket_run, p, progress=False, check=C.check_lower_upper)
    recs = {r["key"]: r for r in read_records(p)}
    assert set(recs) == {"s=0", "s=1", "s=2", "s=3"}          # every record written
    bad = recs["s=1"]
    assert bad["status"] == "inconsistent" and bad["status_before_check"] == "ok"
    assert bad["inconsistent"] == ["s=1: lower 2 (lower) > upper 1 (upper)"]
    assert "lower 2 (lower) > upper 1 (upper)" in bad["error"]
    assert recs["s=0"]["status"] == "ok" and recs["s=2"]["status"] == "error"
    assert res.inconsistent == ["s=1"] and res.errors == ["s=2"]
    assert res.failed == ["s=1", "s=2"]
    text = res.failure_text()
    assert "error: s=2" in text and "inconsistent: s=1" in text
    # resume: the error is re-run, the (deterministic) inconsistent record is not
    again = run_grid(specs, bracket_run, p, progress=False, check=C.check_lower_upper)
    assert again.ran == 1 and again.failed == ["s=1", "s=2"]


def test_no_check_no_status_change(tmp_path):
    res = run_grid([Spec(1)], bracket_run, tmp_path / "g.jsonl", progress=False)
    assert res.failed == [] and res.records[0]["status"] == "ok"


def test_check_has_no_slack():
    """One ulp above the upper bound is caught; a version with the old 1e-9 relative slack
    would not be."""
    up = 1.0
    lo = float(np.nextafter(up, 2.0))
    assert C.bracket_violations("k", [("lo", lo)], [("up", up)])
    assert not C.bracket_violations("k", [("lo", up)], [("up", up)])

    def slack(lows, ups, rel=1e-9):  # the deliberately wrong (old) comparison
        return [1 for _, a in lows for _, b in ups if a > b * (1 + rel)]

    assert not slack([("lo", lo)], [("up", up)])   # it misses what the check catches


def test_a_broken_check_is_an_error():
    def broken(rec):
        raise KeyError("upper")

    out = apply_check({"key": "a", "status": "ok"}, broken)
    assert out["status"] == "error" and "check: KeyError" in out["error"]


def test_sweep_check_record_exact_and_named():
    rec = {"key": "r", "lipschitz": {"lower": 1.0, "upper": 1.0, "exact": None},
           "construction_upper": None, "certificates": [
               {"direction": "lower", "value": float(np.nextafter(1.0, 2.0)),
                "probability": None, "quantity": ex.BALL_QUANTITIES[0], "key": "R1"}]}
    (msg,) = ex.check_record(rec)
    assert "certificate R1" in msg and "(toolkit)" in msg


def test_tradeoff_and_wp_checks():
    rec = {"key": "t", "kind": "curve", "L": 1.0, "R1": 0.5, "pair": 1.0, "L_net": 3.0,
           "upper": 2.0}
    assert C.check_tradeoff_record(rec) == ["t: lower 3 (L_net) > upper 2 (U)"]
    assert not C.check_tradeoff_record({**rec, "L_net": 2.0})
    row = {"key": "w", "certified": 0.5, "clean": 0.5, "pointwise_attacked": 0.5,
           "attacked": 0.5}
    assert not C.check_wp_record(row)
    assert C.check_wp_record({**row, "attacked": 0.45})


# ---------------------------------------------------------------------------- commands
def _fake_run_one(spec, *, light=False, certificates=True, exact_node_limit=0):
    if spec.seed == 1:
        raise RuntimeError("planted failure")
    lo = 5.0 if spec.k == 8 else 0.5
    return {"key": spec.key, "n": spec.n, "d": spec.d, "k": spec.k, "method": spec.method,
            "seed": spec.seed, "status": "exact", "construction_upper": None,
            "certificates": [], "upper": 1.0,
            "lipschitz": {"lower": lo, "upper": 1.0, "exact": None}}


def test_sweep_command_exits_nonzero_naming_failed_and_inconsistent(tmp_path, monkeypatch,
                                                                    capsys):
    monkeypatch.setattr(ex, "run_one", _fake_run_one)
    out = tmp_path / "s.jsonl"
    rc = main(["sweep", "--out", str(out), "--n", "8", "--d", "10", "--k", "4", "8",
               "--methods", "fit", "--seeds", "0", "1", "--quiet"])
    text = capsys.readouterr().out
    assert rc == 1
    assert "inconsistent: n=8|d=10|k=8|method=fit|seed=0" in text
    assert "n=8|d=10|k=4|method=fit|seed=1" in text and "error:" in text
    assert len(read_records(out)) == 4                           # every record written


def test_random_networks_command_exits_nonzero_on_inconsistent(tmp_path, monkeypatch, capsys):
    real = W.s1_shallow_record

    def planted(d, width, seed, p, effort, exact_max_width=300):
        rec = real(d, width, seed, p, effort, exact_max_width)
        if d == 3 and rec["p"] == "2":
            rec["lower"] = rec["upper"] * 2          # a planted unsound lower bound
        return rec

    tiny = W.S1Config(dims=(2, 3), widths=(4,), seeds=(0,), deep_d=2, deep_widths=(4,),
                      deep_depths=(1,), effort=W.EFFORT_FAST)
    monkeypatch.setattr(W.S1Config, "fast", classmethod(lambda cls: tiny))
    monkeypatch.setattr(W, "s1_shallow_record", planted)
    rc = main(["random-networks", "--experiment", "s1", "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert rc == 1 and "inconsistent: shallow-d3-N3-s0-p2" in text
    recs = read_records(tmp_path / "s1_records_fast.jsonl")
    assert len(recs) == len(W.s1_specs(tiny))
    assert sum(r.get("status") == "inconsistent" for r in recs) == 2   # d = 3: N = 3, 4
    assert (tmp_path / "s1_tables.tex").exists()                # the rest was written


def test_weight_perturbation_and_reproduce_exit_nonzero_on_a_failing_run(tmp_path,
                                                                         monkeypatch, capsys):
    tiny = wp.WPConfig(datasets=("two-class",), seeds=(0,), epss=(0.05,), hidden=4,
                       n_train=30, n_test=20, train_steps=20, attack_steps=2, attack_starts=1)

    def planted(name, seed, cfg):
        raise RuntimeError("planted failure")

    monkeypatch.setattr(wp.WPConfig, "fast", classmethod(lambda cls: tiny))
    monkeypatch.setattr(wp, "_plain_net", planted)       # the plain (penalty 0) run fails
    rc = main(["weight-perturbation", "--out", str(tmp_path / "wp"), "--datasets",
               "two-class"])
    text = capsys.readouterr().out
    key = "wp|two-class|seed=0|eps=0.05|penalty=0.0"
    assert rc == 1 and "error: " + key in text
    rows = read_records(tmp_path / "wp" / "weight_perturbation_records_fast.jsonl")
    assert {r.get("status") for r in rows} == {"error", None} and len(rows) == 2
    rc = main(["reproduce", "--out", str(tmp_path / "rep"), "--only", "weight-perturbation",
               "--json"])
    manifest = json.loads(capsys.readouterr().out)
    assert rc == 1 and manifest["failed"] == ["weight-perturbation"]
    assert key in manifest["steps"][0]["error"]


def test_tradeoff_point_inconsistent_exits_nonzero(tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    from numerics.experiments import tradeoff as T

    monkeypatch.setattr(T, "_net_lower", lambda net, X, y, seed, light, etl=0.0:
                        (1e300, "planted", SimpleNamespace(bnb=None)))
    rc = main(["tradeoff", "--out", str(tmp_path), "--n", "8", "--d", "5", "--k", "4",
               "--outer", "2", "--inner", "40", "--refine", "0", "--seed", "0"])
    cap = capsys.readouterr()
    assert rc == 1 and "inconsistent: n=8|d=5|k=4|method=minlip|seed=0" in cap.out
    assert "expected wall time" in cap.err
    recs = read_records(tmp_path / "tradeoff_n8_d5_s0.jsonl")
    assert any(r["kind"] == "construction" for r in recs)       # the rest was written
    pt = next(r for r in recs if r.get("kind") == "curve")
    assert pt["status"] == "inconsistent" and "(L_net)" in pt["error"]


@pytest.mark.parametrize("seed", [0])
def test_full_tradeoff_preset_is_inside_the_window_over_a_decade(seed):
    """The full preset's n = 2048 panel: sqrt(n/k) exceeds the pair-quotient floor of one
    draw (the module's own floor computation) on widths spanning more than a decade."""
    from numerics.data import random_dataset
    from numerics.experiments.tradeoff import data_lower_bounds
    from numerics.experiments.tradeoff_grid import CONFIGS, _window

    cfg = CONFIGS["full"]
    n, d = max(cfg["panels"])
    assert n == 2048 and d >= 64
    D = random_dataset(n, d, seed=seed)
    floor = data_lower_bounds(D.X, D.y, 32)["pair"]
    inside = _window(n, d, cfg["ks"][(n, d)], floor)
    assert max(inside) / min(inside) >= 10
    assert all(math.sqrt(n / k) > floor for k in inside)
