"""Exact Lipschitz constants from branch and bound in the sweep and the tradeoff curve
(issue 18, item 6): closed brackets are recorded, lie in the certified bracket, are
checked exactly, survive resume, replace the upper bound in slopes, and are re-checked
from the saved weights."""

import argparse
import json

import pytest

from numerics.cli.commands import sweep as sweep_cmd
from numerics.experiments.consistency import check_tradeoff_record
from numerics.experiments.sweep import (
    RunSpec,
    check_record,
    expand_grid,
    load_records,
    run_one,
    run_sweep,
)
from numerics.experiments.sweep_report import fit_slopes, sweep_table_rows
from numerics.experiments.tradeoff import run_tradeoff, verify_curve
from numerics.experiments.tradeoff_exact import recheck_exact
from numerics.experiments.tradeoff_grid import CONFIGS, curve_specs
from numerics.experiments.tradeoff_report import tradeoff_slope, tradeoff_table
from numerics.records import append_record

BNB_KEYS = {"nodes", "seconds", "gap", "status"}


# ---------------------------------------------------------------------------
# the sweep
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bnb_sweep(tmp_path_factory):
    path = tmp_path_factory.mktemp("bnb_sweep") / "s.jsonl"
    specs = expand_grid(ns=[10], ds=[4], ks=[4, 10], methods=["C1", "C4"], seeds=[0])
    s = run_sweep(specs, path, progress=False, light=True, exact_node_limit=200)
    return path, specs, s


def test_closed_records_carry_exact_in_the_bracket(bnb_sweep):
    _, _, s = bnb_sweep
    assert s.failed == []
    closed = 0
    for r in s.records:
        lip = r["lipschitz"]
        assert BNB_KEYS <= set(lip["bnb"])
        if lip["bnb"]["status"] == "closed":
            closed += 1
            assert lip["exact"] is not None
            assert lip["lower"] <= lip["exact"] <= lip["upper"] <= r["upper"] or \
                lip["lower"] <= lip["exact"] <= r["upper"]
            assert lip["upper"] <= lip["exact"] * (1 + 1e-9)
            assert (r.get("proven_lower") or 0.0) <= lip["exact"]
        else:
            assert lip["exact"] is None
    assert closed >= 2  # d = 4: branch and bound closes on these small networks


def test_exact_above_upper_is_caught(bnb_sweep):
    _, _, s = bnb_sweep
    r = next(r for r in s.records if r["lipschitz"]["exact"] is not None)
    assert check_record(r, exact=False) == []
    lip = r["lipschitz"]
    wrong = dict(r, lipschitz=dict(lip, exact=lip["upper"] * (1 + 1e-12) + 1e-300))
    bad = check_record(wrong, exact=False)  # the certified part, as run_sweep applies it
    assert any("(exact) > upper" in b for b in bad)
    below = dict(r, lipschitz=dict(lip, exact=lip["lower"] * (1 - 1e-12)))
    assert any("(toolkit) > upper" in b and "(exact)" in b for b in check_record(below,
                                                                             exact=False))


def test_resume_keeps_the_exact_fields(bnb_sweep):
    path, specs, s = bnb_sweep
    before = path.read_bytes()
    again = run_sweep(specs, path, progress=False, light=True, exact_node_limit=200)
    assert again.ran == 0 and path.read_bytes() == before
    by_key = {r["key"]: r for r in again.records}
    for r in s.records:
        assert by_key[r["key"]]["lipschitz"]["exact"] == r["lipschitz"]["exact"]
        assert by_key[r["key"]]["lipschitz"]["bnb"] == json.loads(json.dumps(
            r["lipschitz"]["bnb"]))
    assert [r["key"] for r in load_records(path)] == [r["key"] for r in s.records]


def test_table_counts_exact_constants(bnb_sweep):
    _, _, s = bnb_sweep
    n_exact = sum(r["lipschitz"]["exact"] is not None for r in s.records
                  if r["status"] == "exact")
    assert n_exact >= 1
    assert sum(r["lip_exact"] for r in sweep_table_rows(s.records)) == n_exact


def test_slope_uses_exact_instead_of_upper():
    recs = [{"method": "m", "n": 8, "d": 2, "k": k, "status": "exact", "upper": 50.0,
             "lipschitz": {"lower": 1.0, "upper": 50.0, "exact": 3 * k ** -0.5,
                           "bnb": {"status": "closed"}}} for k in (1, 4, 16)]
    s = fit_slopes(recs, value="upper")[0]
    assert s["slope"] == pytest.approx(-0.5) and s["exact_points"] == 3
    open_ = [dict(r, lipschitz=dict(r["lipschitz"], exact=None)) for r in recs]
    s = fit_slopes(open_, value="upper")[0]
    assert s["slope"] == pytest.approx(0.0) and s["exact_points"] == 0


def test_run_one_without_budget_has_no_bnb():
    rec = run_one(RunSpec(10, 4, 10, "C1", 0), light=True, certificates=False)
    assert rec["lipschitz"]["bnb"] is None and rec["lipschitz"]["nodes"] is None


def test_cli_exact_node_limit(tmp_path):
    ns = argparse.Namespace(config="fast", exact_node_limit=None)
    assert sweep_cmd.exact_budget(ns) == sweep_cmd.FAST["exact_node_limit"] > 0
    assert sweep_cmd.exact_budget(argparse.Namespace(config="fast",
                                                     exact_node_limit=0)) == 0.0
    with pytest.raises(ValueError, match="--exact-node-limit"):
        sweep_cmd.exact_budget(argparse.Namespace(config="fast", exact_node_limit=-1))
    with pytest.raises(ValueError, match="exact_node_limit"):
        run_sweep([], tmp_path / "x.jsonl", exact_node_limit=-1, progress=False)


# ---------------------------------------------------------------------------
# the tradeoff curve
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exact_curve(tmp_path_factory):
    path = tmp_path_factory.mktemp("exact_curve") / "t.jsonl"
    recs = run_tradeoff(10, 4, [6, 10], path, seed=1, outer=3, inner=100, light=True,
                        constructions=False, exact_node_limit=200)
    return path, [r for r in recs if r["kind"] == "curve"]


def test_curve_u_is_exact_where_closed(exact_curve):
    _, recs = exact_curve
    closed = [r for r in recs if r["lipschitz"]["exact"] is not None]
    assert closed, [r["lipschitz"].get("bnb") for r in recs]
    for r in recs:
        assert r["status"] == "exact"
        assert r["upper"] <= r["U_cert"]  # min of certified numbers: never larger
        assert BNB_KEYS <= set(r["lipschitz"]["bnb"])
        assert check_tradeoff_record(r) == []
    for r in closed:
        ex = r["lipschitz"]["exact"]
        assert r["L"] <= ex and r["L_net"] <= ex <= r["upper"] <= ex * (1 + 1e-9)
    assert sum(s["exact_points"] for s in tradeoff_slope(recs)) == len(closed)
    assert "yes" in tradeoff_table(recs)


def test_curve_exact_reverifies_and_tampering_is_caught(exact_curve, tmp_path):
    path, recs = exact_curve
    checks = verify_curve(path)
    assert all(c.ok for c in checks.values()), {k: c.reasons for k, c in checks.items()}
    r = next(r for r in recs if r["lipschitz"]["exact"] is not None)
    copy = tmp_path / "t.jsonl"
    copy.write_bytes(path.read_bytes())
    (tmp_path / "t_nets").symlink_to(path.parent / "t_nets")
    deflated = dict(r, upper=r["lipschitz"]["exact"] * (1 - 1e-6))  # below the constant
    append_record(copy, deflated)
    c = verify_curve(copy)[r["key"]]
    assert not c.ok and any("branch and bound" in x for x in c.reasons)
    lip = r["lipschitz"]
    inflated = dict(r, lipschitz=dict(lip, exact=lip["exact"] * 1.01))  # witness claims more
    append_record(copy, inflated)
    c = verify_curve(copy)[r["key"]]
    assert not c.ok and any("witness" in x for x in c.reasons)
    assert check_tradeoff_record(inflated)  # and the consistency check sees exact > U


def test_recheck_needs_the_witness():
    from numerics.models import TwoLayerNet

    net = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "relu")
    assert recheck_exact(net, {"upper": 1.0, "lipschitz": {"exact": 1.0}})


def test_curve_resume_keeps_the_exact_fields(exact_curve):
    path, recs = exact_curve
    before = path.read_bytes()
    again = run_tradeoff(10, 4, [6, 10], path, seed=1, outer=3, inner=100, light=True,
                         constructions=False, exact_node_limit=200)
    assert path.read_bytes() == before
    by_key = {r["key"]: r for r in again}
    for r in recs:
        assert by_key[r["key"]]["lipschitz"] == r["lipschitz"]
        assert by_key[r["key"]]["upper"] == r["upper"]


def test_configs_have_budgets_and_zero_keeps_old_keys(tmp_path):
    assert all(c["exact_node_limit"] >= 0 for c in CONFIGS.values())
    assert 0 < CONFIGS["fast"]["exact_node_limit"] <= 50
    on = curve_specs(CONFIGS["fast"], tmp_path)[0]
    off = curve_specs(dict(CONFIGS["fast"], exact_node_limit=0), tmp_path)[0]
    assert on.exact_node_limit > 0 and off.exact_node_limit == 0
    assert on.key != off.key
    old = curve_specs({k: v for k, v in CONFIGS["fast"].items() if k != "exact_node_limit"},
                      tmp_path)[0]
    assert old.key == off.key


def test_figures_mark_exact_points(bnb_sweep, exact_curve, tmp_path):
    from numerics.experiments.sweep_report import plot_tradeoff
    from numerics.experiments.tradeoff_report import plot_curve

    _, _, s = bnb_sweep
    files = plot_tradeoff(s.records, tmp_path / "sweep", value="upper")
    files += plot_curve(exact_curve[1], tmp_path / "curve")
    assert all(f.exists() and f.stat().st_size > 0 for f in files)
