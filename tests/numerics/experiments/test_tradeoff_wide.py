"""Wide widths from ensemble starts (numerics.experiments.tradeoff_wide) and the regime
summary of the curve (numerics.experiments.tradeoff_report.regime_summary)."""

import pytest

from numerics.experiments.tradeoff import verify_curve
from numerics.experiments.tradeoff_report import in_window, regime_summary
from numerics.experiments.tradeoff_wide import run_wide


def test_wide_points_are_exact_and_reverify(tmp_path):
    p = tmp_path / "w.jsonl"
    recs = run_wide(12, 6, [8, 16], p, k0=4, member_budget=(2, 100), outer=2, inner=100)
    assert [r["status"] for r in recs] == ["exact", "exact"]
    assert [r["ensemble"]["members"] for r in recs] == [2, 4]
    # the mean of m exact interpolants is an exact start: U never above the mean start's
    assert all(r["upper"] >= r["L"] for r in recs)
    checks = verify_curve(p)
    assert len(checks) == 2 and all(c.ok for c in checks.values())
    again = run_wide(12, 6, [8, 16], p, k0=4, member_budget=(2, 100), outer=2, inner=100)
    assert [r["upper"] for r in again] == [r["upper"] for r in recs]      # resumed


def test_wide_members_with_restarts_capped(tmp_path):
    """Members searched with restarts (member_budget carries refine), at most ``members``
    of them: every width starts from the mean of that many, the points are exact and
    re-verify from the saved weights, and a corrupted saved weight is caught."""
    import numpy as np

    from numerics.experiments.tradeoff import _nets_dir
    from numerics.experiments.tradeoff_wide import _load_members

    p = tmp_path / "w.jsonl"
    recs = run_wide(12, 6, [8, 16], p, k0=4, member_budget=(2, 100, 1), members=1,
                    outer=2, inner=100, refine=1, population=1)
    assert [r["status"] for r in recs] == ["exact", "exact"]
    assert [r["ensemble"]["members"] for r in recs] == [1, 1]
    assert recs[0]["ensemble"]["member_budget"] == [2, 100, 1]
    assert len(_load_members(p.with_name(p.stem + "_members.npz"))) == 1
    assert recs[1]["upper"] <= recs[0]["upper"] * (1 + 1e-6)   # k = 8 split is a start
    checks = verify_curve(p)
    assert len(checks) == 2 and all(c.ok for c in checks.values())
    f = _nets_dir(p) / recs[1]["net_file"]
    with np.load(f) as z:
        arrays = dict(z)
    arrays["W"] = arrays["W"] * 1.01
    np.savez(f, **arrays)
    bad = verify_curve(p)[recs[1]["key"]]
    assert not bad.ok and not bad.fit_ok


def test_member_restarts_lower_the_bound():
    """Restarts of each member's search never raise its certified bound and here lower
    it (a member budget that ignored refine would give the same value)."""
    from numerics.data import random_dataset
    from numerics.experiments.tradeoff_wide import ensemble_members

    D = random_dataset(16, 6, seed=0)
    plain = ensemble_members(D.X, D.y, 6, 1, outer=2, inner=60)
    more = ensemble_members(D.X, D.y, 6, 1, outer=2, inner=60, refine=3)
    assert more[0][1] < plain[0][1]


def test_wide_bad_member_budget(tmp_path):
    with pytest.raises(ValueError, match="member_budget"):
        run_wide(12, 6, [8], tmp_path / "w.jsonl", k0=4, member_budget=(2, 100, 1, 1))
    with pytest.raises(ValueError, match="member_budget"):
        run_wide(12, 6, [8], tmp_path / "w.jsonl", k0=4, member_budget=(0, 100))


def test_wide_bad_ks(tmp_path):
    with pytest.raises(ValueError, match="ks"):
        run_wide(12, 6, [6], tmp_path / "w.jsonl", k0=4)


def _recs(slope, floor=1.0):
    return [{"method": "minlip", "kind": "curve", "n": 64, "d": 64, "k": k, "seed": s,
             "status": "exact", "upper": (3 + s) * k ** slope, "L": floor, "pair": floor,
             "gap": (3 + s) * k ** slope / floor, "lipschitz": {"lower": floor}}
            for k in (1, 2, 4, 8, 16, 32, 128) for s in (0, 1, 2)]


def test_regime_summary_recovers_the_slope_inside_the_window():
    out = regime_summary(_recs(-0.5))[0]
    assert out["window_ks"] == [1, 2, 4, 8, 16, 32]        # 128 > n / F^2 = 64
    assert out["window_slope"]["mean"] == pytest.approx(-0.5)
    assert out["window_slope"]["seeds"] == 3
    by_k = {w["k"]: w for w in out["widths"]}
    assert by_k[4]["gap_max"] == pytest.approx(5 * 4 ** -0.5)
    assert not by_k[128]["in_window"]


def test_window_uses_the_floor():
    """A floor four times higher shrinks the window to k <= n / 16; ignoring it is caught."""
    recs = _recs(-0.5, floor=2.0)
    assert max(r["k"] for r in in_window(recs)) == 16
    assert max(r["k"] for r in in_window(_recs(-0.5))) != 16


def test_envelope_pass_makes_the_curve_non_increasing(tmp_path):
    """A width left above a smaller one (here: replaced by a plain trained fit) is lowered
    to at most the smaller width's U, stays exact and re-verifies; the unprocessed curve
    is caught as non-monotone."""
    from numerics.construct import certify_point, fit_interpolant
    from numerics.data import random_dataset
    from numerics.experiments.tradeoff import _save_point, run_tradeoff
    from numerics.experiments.tradeoff_wide import envelope_pass
    from numerics.records import append_record, load_records

    p = tmp_path / "c.jsonl"
    recs = run_tradeoff(10, 6, [4, 8], p, outer=2, inner=80, light=True, constructions=False)
    by_k = {r["k"]: r for r in recs}
    D = random_dataset(10, 6, seed=0)
    fit = fit_interpolant(D.X, D.y, 8, seed=3)
    cert = certify_point(fit.net)
    worse = dict(by_k[8], upper=cert.value * 3, passes=["forward"],
                 net_file=_save_point(p, by_k[8]["key"] + "|worse", fit.net, cert))
    worse["upper"] = max(worse["upper"], 2 * by_k[4]["upper"])
    append_record(p, worse)
    last = {r["k"]: r for r in load_records(p)}
    assert last[8]["upper"] > last[4]["upper"]                  # not monotone: caught
    envelope_pass(p, outer=2, inner=80)
    last = {r["k"]: r for r in load_records(p)}
    assert last[8]["upper"] <= last[4]["upper"] * (1 + 1e-6)
    assert "envelope" in last[8]["passes"]
    checks = verify_curve(p)
    assert all(c.ok for c in checks.values())
    assert envelope_pass(p) == []                                 # resumed: nothing to do


def test_grid_runs_the_envelope_pass_when_configured(tmp_path):
    """A configuration with ``envelope`` runs the pass after each curve (its key says
    so, a configuration without it keeps its old key) and the curve comes out
    non-increasing in k."""
    from numerics.experiments.tradeoff_grid import curve_specs, run_curve

    cfg = {"panels": [(10, 6)], "seeds": (0,), "ks": [4, 8], "outer": 2, "inner": 80,
           "refine": 0, "population": 1, "continuation": "forward", "starts": ("fit",),
           "light": True, "per_octave": 2}
    plain = curve_specs(cfg, tmp_path / "a")[0]
    spec = curve_specs(dict(cfg, envelope=True), tmp_path / "b")[0]
    assert spec.envelope and not plain.envelope
    assert spec.key != plain.key  # the pass is part of the run (the key is a hash)
    rec = run_curve(spec)
    assert rec["status"] == "ok" and rec["points"] == 2
    from numerics.records import load_records
    last = {r["k"]: r for r in load_records(spec.path) if r.get("kind") == "curve"}
    assert last[8]["upper"] <= last[4]["upper"] * (1 + 1e-6)
    checks = verify_curve(spec.path)
    assert checks and all(c.ok for c in checks.values())
