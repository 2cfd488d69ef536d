"""One display name per method key (numerics.names), used by every table and legend."""

import pytest

import numerics.records
from numerics.construct.minlip_certificate import CERT_METHODS
from numerics.experiments.sweep import METHODS
from numerics.experiments.sweep_report import plot_tradeoff, sweep_table
from numerics.experiments.tradeoff_report import plot_curve, tradeoff_table
from numerics.names import DISPLAY_NAMES, display_name

#: Every key a table cell or legend can show: sweep methods, search starts and the
#: bound methods of numerics.lipschitz (upper and witnessed lower).
SHOWN = (*METHODS, "minlip", *CERT_METHODS, "product_norm", "operator_norm", "l2_conversion",
         "box", "pair", "pair-ascent", "gradient")


def _unnamed(names: dict) -> list[str]:
    return [k for k in SHOWN if k not in names or names[k] == k]


def test_every_shown_key_has_one_distinct_name():
    assert _unnamed(DISPLAY_NAMES) == []
    assert len(set(DISPLAY_NAMES.values())) == len(DISPLAY_NAMES)
    # a mapping that forgets a method is caught
    wrong = {k: v for k, v in DISPLAY_NAMES.items() if k != "fit_path"}
    assert _unnamed(wrong) == ["fit_path"]


def test_display_name_passes_registry_keys_through_and_refuses_non_strings():
    assert display_name("R1.pair") == "R1.pair"
    assert display_name("fit") == "trained interpolant"
    with pytest.raises(ValueError, match="key"):
        display_name(3)


def _sweep_records():
    return [{"method": m, "n": 8, "d": 3, "k": k, "status": "exact", "upper": 3.0 / k ** 0.5,
             "lipschitz": {"lower": 2.0 / k ** 0.5, "exact": None}}
            for m in ("C4", "fit", "fit_path") for k in (2, 4, 8)]


def _legend_texts(monkeypatch, plot, records, tmp_path):
    seen = []

    def capture(fig, base, **kw):
        seen.extend(t.get_text() for ax in fig.axes if ax.get_legend()
                    for t in ax.get_legend().get_texts())
        return []

    monkeypatch.setattr(numerics.records, "save_figure", capture)
    plot(records, tmp_path / "fig")
    assert seen
    return seen


def test_sweep_table_and_legend_show_names_not_keys(monkeypatch, tmp_path):
    recs = _sweep_records()
    tex = sweep_table(recs)
    assert "trained, path-norm penalized" in tex and "C4 grouped min-norm" in tex
    assert r"fit\_path" not in tex and "& fit &" not in tex
    texts = _legend_texts(monkeypatch, plot_tradeoff, recs, tmp_path)
    assert any(t.startswith("trained, path-norm penalized") for t in texts)
    assert not any(t.split(":")[0] in METHODS for t in texts)


def test_tradeoff_table_and_legend_show_names_not_keys(monkeypatch, tmp_path):
    curve = [{"method": "minlip", "kind": "curve", "n": 8, "d": 3, "k": k, "seed": 0,
              "status": "exact", "upper": 3.0 / k ** 0.5, "U": 3.0 / k ** 0.5,
              "cert_method": "lipsdp", "sqrt_n_over_k": (8 / k) ** 0.5, "pair": 1.5,
              "L": 1.5, "L_key": "R1.pair", "gap": 2.0 / k ** 0.5, "L_net": 2.0 / k ** 0.5,
              "gap_net": 1.5, "spectral_proxy": 4.0, "R2": 0.5,
              "lipschitz": {"lower": 1.0}} for k in (2, 4, 8)]
    cons = [{"method": "C4", "kind": "construction", "n": 8, "d": 3, "k": 4, "seed": 0,
             "status": "exact", "upper": 5.0}]
    tex = tradeoff_table(curve)
    assert "LipSDP" in tex and "lipsdp" not in tex
    texts = _legend_texts(monkeypatch, plot_curve, curve + cons, tmp_path)
    assert "C4 grouped min-norm (certified upper)" in texts
    assert not any(t.startswith("C4 (") for t in texts)
