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
