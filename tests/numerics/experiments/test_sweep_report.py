"""Tests of numerics.experiments.sweep_report: slopes with their intervals, the figure and
the table of a sweep."""

import math

import numpy as np
import pytest

from numerics.experiments.sweep_report import (
    fit_slopes,
    plot_tradeoff,
    sweep_table,
    sweep_table_rows,
)


# ------------------------------------------------------------------ slopes, figure, table
def test_fit_slopes_recovers_known_slope_and_ci():
    rng = np.random.default_rng(0)
    recs = []
    for k in (2, 4, 8, 16, 32, 64):
        for _ in range(4):
            v = 5.0 * k ** -0.5 * math.exp(0.05 * rng.standard_normal())
            recs.append({"method": "m", "n": 64, "d": 4, "k": k, "status": "exact",
                         "lipschitz": {"lower": v, "exact": None}})
    recs.append({"method": "m", "n": 64, "d": 4, "k": 2, "status": "failed",
                 "lipschitz": {"lower": 1e6, "exact": None}})  # ignored: not a fit
    recs.append({"method": "single", "n": 64, "d": 4, "k": 2, "status": "exact",
                 "lipschitz": {"lower": 1.0, "exact": None}})  # one k: no slope
    (s,) = fit_slopes(recs)
    assert s["method"] == "m" and s["points"] == 24
    assert s["ci_low"] < -0.5 < s["ci_high"]
    assert abs(s["slope"] + 0.5) < 0.05
    # a wrong slope is outside the interval
    assert not s["ci_low"] < -1.0 < s["ci_high"]
    with pytest.raises(ValueError, match="level"):
        fit_slopes(recs, level=1.5)


def test_figure_and_table(small_sweep, tmp_path):
    _, full = small_sweep
    files = plot_tradeoff(full.records, tmp_path / "fig")
    assert [f.suffix for f in files] == [".png", ".pdf"]
    assert all(f.stat().st_size > 1000 for f in files)
    tex = sweep_table(full.records)
    assert r"\toprule" in tex and r"\bottomrule" in tex and "tab:sweep" in tex
    rows = sweep_table_rows(full.records)
    assert sum(r["runs"] for r in rows) == full.total
    with pytest.raises(ValueError, match="records"):
        plot_tradeoff([], tmp_path / "empty")
