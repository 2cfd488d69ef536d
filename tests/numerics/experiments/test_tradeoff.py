"""Tests of numerics.experiments.tradeoff and the ``tradeoff`` command: the curve's points
interpolate and re-verify in a separate call, tampering is caught, the lower bounds
bracket, the files resume."""

import argparse
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.cli.commands import tradeoff as cmd
from numerics.construct import c1_one_neuron_per_point, fit_interpolant
from numerics.data import random_dataset
from numerics.domain import Domain
from numerics.experiments.sweep import append_record, load_records
from numerics.experiments.tradeoff import (
    cited_applicability,
    data_lower_bounds,
    default_ks,
    load_point,
    run_tradeoff,
    verify_curve,
)
from numerics.experiments.tradeoff_report import plot_curve, tradeoff_slope, tradeoff_table
from numerics.lipschitz import lipschitz_report

BALL = Domain.ball(1.0)
N, D_, KS = 10, 6, [3, 6, 10]


@pytest.fixture(scope="module")
def curve(tmp_path_factory):
    path = tmp_path_factory.mktemp("curve") / "t.jsonl"
    recs = run_tradeoff(N, D_, KS, path, seed=1, outer=3, inner=120, light=True)
    return path, recs


def _curve_recs(recs):
    return sorted((r for r in recs if r["kind"] == "curve"), key=lambda r: r["k"])


def _bracket_violations(recs, rel=1e-9):
    """The checker: every certified lower bound <= the certified upper bound."""
    bad = []
    for r in recs:
        if r.get("kind") == "curve" and r.get("status") == "exact":
            for name in ("L", "L_net"):
                if r[name] > r["upper"] * (1 + rel):
                    bad.append((r["key"], name))
    return bad


# ---------------------------------------------------------------------------
# the curve
# ---------------------------------------------------------------------------
def test_every_point_interpolates_and_reverifies(curve):
    path, recs = curve
    cur = _curve_recs(recs)
    exact = [r for r in cur if r["status"] == "exact"]
    assert len(exact) >= 2
    checks = verify_curve(path, recompute=True)
    assert set(checks) == {r["key"] for r in exact}
    for r in exact:
        c = checks[r["key"]]
        assert c.ok, c.reasons
        assert c.max_error <= 1e-9
        assert c.recomputed is not None and c.recomputed >= r["L"]


def test_curve_is_bracketed_and_monotone(curve):
    _, recs = curve
    assert _bracket_violations(recs) == []
    ex = [r for r in _curve_recs(recs) if r["status"] == "exact"]
    for a, b in zip(ex, ex[1:], strict=False):
        assert b["upper"] <= a["upper"] * (1 + 1e-3)   # warm start from the previous k


def test_inflated_lower_bound_is_caught_by_the_checker(curve):
    _, recs = curve
    wrong = [dict(r, L=r["upper"] * 1.5) if r.get("status") == "exact" else r for r in recs]
    assert _bracket_violations(wrong)


def test_perturbed_network_fails_verification(curve, tmp_path):
    path, recs = curve
    copy = tmp_path / "t.jsonl"
    copy.write_bytes(path.read_bytes())
    (tmp_path / "t_nets").mkdir()
    for f in (path.parent / "t_nets").iterdir():
        (tmp_path / "t_nets" / f.name).write_bytes(f.read_bytes())
    r = [r for r in _curve_recs(recs) if r["status"] == "exact"][-1]
    f = tmp_path / "t_nets" / r["net_file"]
    with np.load(f) as z:
        data = {k: z[k] for k in z.files}
    data["b"] = data["b"] + 1e-5
    with open(f, "wb") as fh:
        np.savez(fh, **data)
    checks = verify_curve(copy)
    assert not checks[r["key"]].ok and not checks[r["key"]].fit_ok
    others = [c for key, c in checks.items() if key != r["key"]]
    assert all(c.ok for c in others)


@pytest.mark.parametrize("factor, ok", [(1 - 1e-6, False), (0.9, False), (1.05, True)])
def test_deflated_certificate_fails_inflated_passes(curve, tmp_path, factor, ok):
    path, recs = curve
    copy = tmp_path / "t.jsonl"
    copy.write_bytes(path.read_bytes())
    (tmp_path / "t_nets").symlink_to(path.parent / "t_nets")
    r = [r for r in _curve_recs(recs) if r["status"] == "exact"][0]
    append_record(copy, dict(r, upper=r["upper"] * factor))  # same key: last one wins
    c = verify_curve(copy)[r["key"]]
    assert c.fit_ok
    assert c.certificate_ok is ok and c.ok is ok


def test_saved_point_matches_record(curve):
    path, recs = curve
    r = [r for r in _curve_recs(recs) if r["status"] == "exact"][0]
    net, cert = load_point(path, r)
    assert net.k == r["k"] and cert.value == r["upper"] and cert.method == r["cert_method"]


def test_resume_skips_recorded_widths(curve):
    path, recs = curve
    before = path.read_bytes()
    again = run_tradeoff(N, D_, KS, path, seed=1, outer=3, inner=120, light=True)
    assert path.read_bytes() == before
    assert {r["key"] for r in again} == {r["key"] for r in recs}


def test_constructions_recorded(curve):
    _, recs = curve
    cons = {r["method"]: r for r in recs if r["kind"] == "construction"}
    assert {"C1", "C2", "C4"} <= set(cons)
    for r in cons.values():
        if r["status"] == "exact":
            assert r["upper"] is not None and r["upper"] >= data_lower_bounds(
                *_data(), r["k"])["L"]


def _data():
    D = random_dataset(N, D_, seed=1)
    return D.X, D.y


def test_outputs(curve, tmp_path):
    _, recs = curve
    files = plot_curve(recs, tmp_path / "fig")
    assert all(f.exists() and f.stat().st_size > 0 for f in files)
    tex = tradeoff_table(recs)
    assert r"\label{tab:certified-tradeoff}" in tex and r"\toprule" in tex
    s = tradeoff_slope(recs)
    assert len(s) == 1 and math.isfinite(s[0]["slope"])


def test_slope_recovers_a_power_law():
    recs = [{"method": "minlip", "kind": "curve", "n": 9, "d": 3, "k": k, "status": "exact",
             "upper": 3.0 * k ** -0.5 * (1 + 0.01 * (-1) ** k), "lipschitz": {"lower": 1.0}}
            for k in (2, 4, 8, 16, 32)]
    s = tradeoff_slope(recs)[0]
    assert s["ci_low"] <= -0.5 <= s["ci_high"]
    assert abs(s["slope"] + 0.5) < 0.02


# ---------------------------------------------------------------------------
# lower bounds
# ---------------------------------------------------------------------------
@given(seed=st.integers(0, 10**6))
def test_data_lower_bound_below_every_interpolant(seed):
    """L(k) is valid for every k-neuron interpolant: it never exceeds a certified upper
    bound of one (C1, and a trained fit)."""
    D = random_dataset(12, 16, seed=seed)
    nets = []
    c1 = c1_one_neuron_per_point(D.X, D.y)
    if c1.interpolates:
        nets.append(c1.net)
    fit = fit_interpolant(D.X, D.y, 6, seed=seed, maxiter=500)
    if fit.status == "exact":
        nets.append(fit.net)
    for net in nets:
        L = data_lower_bounds(D.X, D.y, net.k)["L"]
        up = lipschitz_report(net, BALL, X=D.X, seed=0, exact=False, n_random=8, steps=5).upper
        assert L <= up * (1 + 1e-9)


def test_data_lower_bound_parts():
    D = random_dataset(40, 10, seed=0)
    prev = math.inf
    for k in (1, 2, 5, 10, 20, 80):
        lb = data_lower_bounds(D.X, D.y, k)
        assert lb["L"] == max(lb["R1"], lb["pair"])
        assert lb["R1"] <= prev
        prev = lb["R1"]
        assert lb["R2"] < lb["R2_sharp"] * 10  # both finite, both recorded
    # the pair bound is attained: the closest opposite pair gives 2 / distance
    pos, neg = D.X[D.y > 0], D.X[D.y < 0]
    dist = np.min(np.linalg.norm(pos[:, None] - neg[None], axis=2))
    assert abs(lb["pair"] - 2 / dist) <= 1e-8 * lb["pair"]
    # R1 with r = min(k, d): the same value for every k >= d
    assert data_lower_bounds(D.X, D.y, 10)["R1"] == data_lower_bounds(D.X, D.y, 99)["R1"]


def test_cited_laws_not_applicable_at_small_n():
    rows = {r["key"]: r for r in cited_applicability(256, 32, 16)}
    assert rows["BS"]["applies"] is False and "n >=" in rows["BS"]["reason"]
    assert rows["Shmalo"]["applies"] is False
    assert cited_applicability(10**6, 32, 16)[0]["applies"] is True


def test_default_ks():
    ks = default_ks(256, 32)
    assert ks[0] == 8 and ks[-1] == 512 and ks == sorted(set(ks))
    assert default_ks(10, 100)[0] == 2


# ---------------------------------------------------------------------------
# command
# ---------------------------------------------------------------------------
def test_command_run_small(tmp_path):
    args = argparse.Namespace(out=str(tmp_path), config="fast", n=8, d=5, k=[4, 8], seed=0,
                              outer=2, inner=60, refine=1, no_resume=True, quiet=True)
    out = cmd.run(args)
    assert out["failed_verification"] == []
    summ = json.loads((tmp_path / "tradeoff_summary.json").read_text())
    assert summ["points"] >= 1 and summ["max_gap"] >= 1.0
    assert all(v["ok"] for v in summ["verified"].values())
    assert (tmp_path / "certified_tradeoff.png").exists()
    assert load_records(tmp_path / "tradeoff_n8_d5_s0.jsonl")
    assert cmd.NAME == "tradeoff" and cmd.REPRODUCE_ORDER == 55


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_bad_ks(tmp_path):
    with pytest.raises(ValueError, match="ks"):
        run_tradeoff(6, 3, [0], tmp_path / "x.jsonl")
    with pytest.raises(ValueError, match="ks"):
        run_tradeoff(6, 3, [], tmp_path / "x.jsonl")


def test_bad_n(tmp_path):
    with pytest.raises(ValueError, match="n"):
        default_ks(0, 3)


def test_bad_labels():
    with pytest.raises(ValueError, match="y"):
        data_lower_bounds(np.eye(3), np.ones(3), 2)


def test_bad_k():
    with pytest.raises(ValueError, match="k"):
        data_lower_bounds(np.eye(2), np.array([1.0, -1.0]), 0)


def test_continuation_both_ways_never_worsens_and_reverifies(tmp_path):
    """The decreasing pass (pruned / merged starts from k + 1) replaces a record only when
    U improves; every point, replaced or not, re-verifies from its saved weights."""
    from numerics.experiments.tradeoff_grid import run_config

    cfg = {"panels": [(10, 12)], "seeds": (0,), "ks": [2, 4, 8], "outer": 2, "inner": 60,
           "refine": 1, "population": 2, "continuation": "both", "starts": ("fit",),
           "light": True, "per_octave": 1}
    fwd = run_tradeoff(10, 12, [2, 4, 8], tmp_path / "f.jsonl", outer=2, inner=60, refine=1,
                       population=2, starts=("fit",), light=True, constructions=False)
    recs, checks, _ = run_config(cfg, tmp_path / "both")
    curve = {r["k"]: r for r in recs if r.get("kind") == "curve"}
    first = {r["k"]: r for r in fwd if r.get("kind") == "curve"}
    assert all(c.ok for c in checks.values()) and len(checks) == 3
    for k, r in curve.items():
        assert r["passes"] == (["forward"] if k == 8 else ["forward", "backward"])
        assert r["budget"]["population"] == 2
        if r.get("improved_by_backward") is not None:
            assert r["improved_by_backward"] > 1
    # the forward pass alone is the same computation: the backward pass can only lower U
    assert all(curve[k]["upper"] <= first[k]["upper"] * (1 + 1e-12) for k in (2, 4, 8))
    with pytest.raises(ValueError, match="continuation"):
        run_tradeoff(10, 12, [2], tmp_path / "x.jsonl", continuation="sideways")


def test_slope_over_seeds_and_window():
    from numerics.experiments.tradeoff_report import law_window, slope_over_seeds

    recs = [{"kind": "curve", "method": "minlip", "n": 16, "d": 4, "k": k, "seed": s,
             "status": "exact", "upper": 3.0 * k ** -0.5, "lipschitz": {"lower": 1.0}}
            for k in (2, 4, 8) for s in (0, 1, 2)]
    (out,) = slope_over_seeds(recs)
    assert out["mean"] == pytest.approx(-0.5) and out["seeds"] == 3
    assert out["ci_low"] == pytest.approx(-0.5) and out["ci_high"] == pytest.approx(-0.5)
    lo, hi = law_window(16, 4, 2.0)
    assert (lo, hi) == (16 / 5, 4.0)
    assert law_window(16, 4, 4.0)[1] < law_window(16, 4, 4.0)[0]     # empty window
